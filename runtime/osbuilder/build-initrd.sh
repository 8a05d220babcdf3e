#!/usr/bin/env bash
# Builds the guest initrd: kata-agent as /init (with its shared libraries and the dynamic
# loader when it is not static), busybox as the debug console's shell, the kernel modules
# of modules.list with their dependencies, and a minimal root layout. The agent loads the
# modules itself, in the order of /lib/modules/<ver>/modules.load.
#
# Usage: build-initrd.sh --agent PATH --kernel-dir DIR --version VER --out FILE
#   --kernel-dir is what fetch-kernel.sh extracted (DIR/lib/modules/VER).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
agent="" kdir="" ver="" out="" busybox=${KATA_BUSYBOX:-/bin/busybox}
while [ $# -gt 0 ]; do
        case "$1" in
        --agent) agent=$2; shift 2 ;;
        --kernel-dir) kdir=$2; shift 2 ;;
        --version) ver=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        *) echo "build-initrd: unknown argument '$1'" >&2; exit 2 ;;
        esac
done
for v in agent kdir ver out; do
        [ -n "${!v}" ] || { echo "build-initrd: --${v/kdir/kernel-dir} is required" >&2; exit 2; }
done
[ -x "$agent" ] || { echo "build-initrd: agent $agent is not an executable" >&2; exit 1; }
moddir="$kdir/lib/modules/$ver"
[ -f "$moddir/modules.dep" ] || { echo "build-initrd: no $moddir/modules.dep" >&2; exit 1; }
# Debian's busybox-static: the dynamic /bin/busybox of package busybox would need libc.
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked' &&
        ldd "$busybox" >/dev/null 2>&1; then
        echo "build-initrd: $busybox is not static (install busybox-static)" >&2
        exit 1
fi

stage=$(mktemp -d "${out}.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,dev,proc,sys,run,tmp,etc,lib,lib64,usr/bin,usr/sbin,root}
mkdir -p "$stage"/run/kata-containers "$stage/lib/modules/$ver"
chmod 1777 "$stage/tmp"

# /init and what the dynamic loader needs for it, if anything.
install -m 0755 "$agent" "$stage/init"
if ldd "$agent" >/dev/null 2>&1; then
        ldd "$agent" | grep -o '/[^ ]*' | sort -u | while read -r lib; do
                mkdir -p "$stage$(dirname "$lib")"
                cp -L "$lib" "$stage$lib"
        done
fi

# busybox and its applets: /bin/sh for the debug console, tools for poking around.
install -m 0755 "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
        [ "$applet" = busybox ] || [ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
done

# Modules: each one after its dependencies (modules.dep lists them transitively).
declare -A seen=()
order=()
resolve() {
        local rel=$1 line dep
        [ -n "${seen[$rel]:-}" ] && return 0
        seen[$rel]=1
        line=$(grep -m1 "^$rel:" "$moddir/modules.dep" || true)
        for dep in ${line#*:}; do
                resolve "$dep"
        done
        order+=("$rel")
}
while read -r name; do
        name=${name%%#*}
        name=${name//[[:space:]]/}
        [ -n "$name" ] || continue
        rel=$(grep -m1 -E "(^|/)${name}\.ko(\.(xz|zst|gz))?:" "$moddir/modules.dep" | cut -d: -f1 || true)
        if [ -z "$rel" ]; then
                if grep -qE "(^|/)${name}\.ko" "$moddir/modules.builtin" 2>/dev/null; then
                        continue # built into this kernel
                fi
                echo "build-initrd: module $name is neither in modules.dep nor built in" >&2
                exit 1
        fi
        resolve "$rel"
done <"$here/modules.list"

: >"$stage/lib/modules/$ver/modules.load"
for rel in "${order[@]}"; do
        src="$moddir/$rel"
        dst_rel=$rel
        # finit_module takes compressed modules only when the kernel was built for it:
        # store them plain.
        case "$rel" in
        *.ko.xz) dst_rel=${rel%.xz}; mkdir -p "$stage/lib/modules/$ver/$(dirname "$rel")"
                xz -dc "$src" >"$stage/lib/modules/$ver/$dst_rel" ;;
        *.ko.zst) dst_rel=${rel%.zst}; mkdir -p "$stage/lib/modules/$ver/$(dirname "$rel")"
                zstd -qdc "$src" >"$stage/lib/modules/$ver/$dst_rel" ;;
        *.ko.gz) dst_rel=${rel%.gz}; mkdir -p "$stage/lib/modules/$ver/$(dirname "$rel")"
                gzip -dc "$src" >"$stage/lib/modules/$ver/$dst_rel" ;;
        *) install -D -m 0644 "$src" "$stage/lib/modules/$ver/$rel" ;;
        esac
        echo "$dst_rel" >>"$stage/lib/modules/$ver/modules.load"
done

cat >"$stage/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat >"$stage/etc/group" <<'GR'
root:x:0:
nogroup:x:65534:
GR
echo kata >"$stage/etc/hostname"

# The kernel opens /dev/console for init's stdio before anything is mounted: without the
# node the agent's log (and any early error) goes nowhere.
if ! mknod -m 0600 "$stage/dev/console" c 5 1 2>/dev/null; then
        echo "build-initrd: warning: cannot create /dev/console (not root?): the guest" \
                "console will not show the agent's log" >&2
fi
mknod -m 0666 "$stage/dev/null" c 1 3 2>/dev/null || true

tmp_out="$out.tmp"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
        gzip -6 -n >"$tmp_out"
mv "$tmp_out" "$out"
echo "build-initrd: $out ($(du -k "$out" | cut -f1) KiB, ${#order[@]} modules)" >&2
