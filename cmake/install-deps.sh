#!/bin/sh
# Installs the Debian packages ferry builds and tests with, when any is missing, then
# builds ferry's nng (cmake/build-nng.sh: Debian's nng source package with
# ferry's fixes) when it is not built yet.
# Runs apt-get as root (directly, or through sudo when not root).
set -eu

# dpkg-dev, patch and libmbedtls-dev are for ferry's nng; clang-14 and
# libclang-rt-14-dev for make fuzz (libFuzzer), gcovr for make coverage,
# prometheus (with promtool) for the metrics tests, which scrape with it;
# libc-ares-dev for DNS lookups of balancing channels; dnsmasq-base (the
# program alone, no system service) is the DNS server their tests run.
PACKAGES="build-essential cmake pkg-config dpkg-dev patch libmbedtls-dev libprotobuf-c-dev
protobuf-c-compiler protobuf-compiler libprotoc-dev libprotobuf-dev libsodium-dev libcmocka-dev
libjansson-dev openssl clang-14 libclang-rt-14-dev gcovr prometheus libc-ares-dev dnsmasq-base"

here=$(dirname "$0")

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ]; then
    exec "$here/build-nng.sh"
fi

echo "ferry: installing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "ferry: need root (or sudo) to install:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
"$here/build-nng.sh"
