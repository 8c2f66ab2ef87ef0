#!/bin/sh
# Builds the nng that ferry links: Debian 12's own nng source package
# (1.5.2-2, the version libnng-dev has) with the fixes in cmake/nng/*.patch,
# as a static, position-independent library installed into .deps/nng.
#
# Why not Debian's libnng: nng 1.5.2 can wedge its reaper thread for good
# when a connection closes while a transfer on it has just completed, and a
# server then leaks a descriptor per closed connection and hangs in
# nng_close() (cmake/nng/01-closed-pipe-io.patch says how). ferry cannot
# prevent that from outside nng. The patched library is linked into
# libferry and does not replace the system's.
#
# The source comes from the machine's own Debian mirrors (the deb lines of
# its apt sources, read as deb-src), checked by apt against the signed
# archive index, into a private apt state: nothing is installed system-wide
# and root is not needed. The build is redone only when the source package
# or a patch changes (.deps/nng/ferry-nng.stamp).
#
# Usage: cmake/build-nng.sh [PREFIX]   (default: .deps/nng in the checkout)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-$root/.deps/nng}
work=$root/.deps/nng-work
version=1.5.2-2

stamp_want=$( (echo "nng $version"; cat "$root"/cmake/nng/*.patch "$0") | sha256sum | cut -c1-16)
if [ -f "$prefix/ferry-nng.stamp" ] && [ "$(cat "$prefix/ferry-nng.stamp")" = "$stamp_want" ]; then
    exit 0
fi

echo "ferry: building nng $version with ferry's fixes (cmake/nng/) into $prefix"
rm -rf "$work"
mkdir -p "$work/sources.list.d" "$work/lists/partial" "$work/cache/archives/partial" "$work/src"

# deb-src entries for every Debian archive the machine already uses.
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    sed -e 's/^Types:.*/Types: deb-src/' "$f" >"$work/sources.list.d/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -n -e 's/^deb[[:space:]]/deb-src /p' "$f" >>"$work/sources.list.d/ferry-src.list"
done

apt_private() {
    apt-get -q \
        -o Dir::Etc::SourceList=/dev/null \
        -o Dir::Etc::SourceParts="$work/sources.list.d" \
        -o Dir::State::Lists="$work/lists" \
        -o Dir::Cache="$work/cache" \
        -o Debug::NoLocking=1 \
        -o APT::Sandbox::User="$(id -un)" \
        "$@"
}
if ! apt_private update >"$work/apt.log" 2>&1; then
    cat "$work/apt.log" >&2
    echo "ferry: could not read the Debian source index (see above)" >&2
    exit 1
fi
if ! (cd "$work/src" && apt_private source --download-only "nng=$version") >>"$work/apt.log" 2>&1; then
    cat "$work/apt.log" >&2
    echo "ferry: could not download Debian's nng $version source package (see above)" >&2
    exit 1
fi

# dpkg-source checks the files against the .dsc and applies Debian's own
# patches; then ferry's.
(cd "$work/src" && dpkg-source -x "nng_$version.dsc" nng) >"$work/dpkg-source.log" 2>&1 || {
    cat "$work/dpkg-source.log" >&2
    exit 1
}
for p in "$root"/cmake/nng/*.patch; do
    patch -d "$work/src/nng" -p1 --quiet --forward <"$p"
done

# Debian builds with TLS (mbed TLS); ferry's tls+tcp:// needs it too.
cmake -S "$work/src/nng" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
    -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DNNG_ENABLE_TLS=ON -DNNG_TESTS=OFF -DNNG_TOOLS=OFF -DNNG_ENABLE_NNGCAT=OFF \
    >"$work/cmake.log" 2>&1 || {
    cat "$work/cmake.log" >&2
    exit 1
}
cmake --build "$work/build" -j "$(nproc 2>/dev/null || echo 2)" >"$work/build.log" 2>&1 || {
    tail -50 "$work/build.log" >&2
    exit 1
}
rm -rf "$prefix"
cmake --install "$work/build" >/dev/null
echo "$stamp_want" >"$prefix/ferry-nng.stamp"
rm -rf "$work"
