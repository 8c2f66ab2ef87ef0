#!/bin/sh
# Installs the Debian packages ferry builds with, when any is missing.
# Runs apt-get as root (directly, or through sudo when not root).
set -eu

PACKAGES="build-essential cmake pkg-config libnng-dev libprotobuf-c-dev protobuf-c-compiler
protobuf-compiler libprotoc-dev libprotobuf-dev libsodium-dev libcmocka-dev libjansson-dev
openssl"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

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
