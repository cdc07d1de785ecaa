#!/bin/bash
# Build a tiny 6.12 kernel with one upstream blksnap patch set built in.
# usage: build-kernel.sh SOURCE_TARBALL PATCH CONFIG_FRAGMENT OUT_DIR
# Leaves OUT_DIR/bzImage and OUT_DIR/config; the work tree lives in OUT_DIR/src and is
# removed on success. Runs the compile under `nice` because the machine is shared.
set -euo pipefail
src_tar=$1 patch=$2 frag=$3 out=$4
jobs=${VM_KERNEL_JOBS:-$(nproc)}
# ccache (when installed and VM_CCACHE_DIR is set) shares the objects the three patch sets
# have in common: the second and third kernel compile only what their patch changes.
cc=gcc
if [[ -n ${VM_CCACHE_DIR:-} ]] && command -v ccache >/dev/null; then
  export CCACHE_DIR=$VM_CCACHE_DIR CCACHE_BASEDIR=$out/src CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=2G
  cc="ccache gcc"
fi
rm -rf "$out/src" && mkdir -p "$out/src"
cd "$out/src"
echo "[kernel] unpacking $(basename "$src_tar")"
tar -xaf "$src_tar" --strip-components=1
echo "[kernel] applying $(basename "$patch")"
patch -p1 --quiet --batch < "$patch"
make -s CC="$cc" tinyconfig >/dev/null
opts=$(grep -v '^#' "$frag" | tr -s ' \n' ' ')
args=()
for o in $opts; do args+=(--enable "$o"); done
scripts/config --file .config "${args[@]}"
# HZ is a choice: turn the tinyconfig default off so HZ_250 wins.
scripts/config --file .config --disable HZ_100 --disable HZ_1000 --disable HZ_300
make -s CC="$cc" olddefconfig >/dev/null
missing=()
for o in $opts; do grep -qx "CONFIG_$o=y" .config || missing+=("$o"); done
if ((${#missing[@]})); then
  echo "[kernel] these options did not land in .config: ${missing[*]}" >&2
  exit 3
fi
echo "[kernel] compiling bzImage with -j$jobs (nice 10, CC=$cc)"
nice -n 10 make -s -j"$jobs" bzImage CC="$cc" KBUILD_BUILD_TIMESTAMP=vm-test KBUILD_BUILD_USER=vm KBUILD_BUILD_HOST=vm >"$out/build.log" 2>&1 || {
  tail -40 "$out/build.log" >&2; exit 4; }
cp arch/x86/boot/bzImage "$out/bzImage"
cp .config "$out/config"
cd / && rm -rf "$out/src"
echo "[kernel] done: $out/bzImage"
