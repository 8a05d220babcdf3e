#!/usr/bin/env bash
# The `initrd` build target: fetches the guest kernel (once, into CACHE), builds the
# initrd around the given kata-agent, and writes a configuration-qemu.toml that selects
# the qemu driver with that kernel and initrd.
#
# Usage: make-guest.sh --agent PATH --cache DIR --out-dir DIR --config FILE
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
agent="" cache="" outdir="" config=""
while [ $# -gt 0 ]; do
        case "$1" in
        --agent) agent=$2; shift 2 ;;
        --cache) cache=$2; shift 2 ;;
        --out-dir) outdir=$2; shift 2 ;;
        --config) config=$2; shift 2 ;;
        *) echo "make-guest: unknown argument '$1'" >&2; exit 2 ;;
        esac
done
for v in agent cache outdir config; do
        [ -n "${!v}" ] || { echo "make-guest: --${v/outdir/out-dir} is required" >&2; exit 2; }
done

ver=$("$here/fetch-kernel.sh" "$cache")
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
initrd="$outdir/kata-initrd.img"
# The uncompressed kernel when fetch-kernel.sh could make one (PVH boot, faster).
if [ -f "$cache/$ver/vmlinux" ]; then
        kernel="$outdir/vmlinux-$ver"
        cp -p "$cache/$ver/vmlinux" "$kernel"
else
        kernel="$outdir/vmlinuz-$ver"
        cp -p "$cache/$ver/vmlinuz" "$kernel"
fi
# The qemu driver reads the guest kernel's config next to it (is it a PVM guest?).
cp -p "$cache/$ver/config" "$outdir/config-$ver"

# Rebuilt only when the agent or the recipe changed: the target runs on every build.
stale=0
[ -f "$initrd" ] || stale=1
for input in "$agent" "$here/build-initrd.sh" "$here/modules.list"; do
        [ "$input" -nt "$initrd" ] && stale=1
done
if [ "$stale" = 1 ]; then
        "$here/build-initrd.sh" --agent "$agent" --kernel-dir "$cache/$ver" --version "$ver" \
                --out "$initrd"
fi

qemu=$(command -v qemu-system-x86_64 || echo /usr/bin/qemu-system-x86_64)
tmp="$config.tmp"
cat >"$tmp" <<TOML
# Written by the \`initrd\` build target (runtime/osbuilder/make-guest.sh): sandboxes are
# VMs booting Debian's cloud kernel $ver with kata-agent as /init.
# Use: kata-runtime --config $config run ...

[hypervisor.qemu]
path = "$qemu"
kernel = "$kernel"
initrd = "$initrd"
machine_type = "q35"
default_vcpus = 1
default_memory = 512
kernel_params = ""

[agent.kata]
dial_timeout = 60
TOML
mv "$tmp" "$config"
echo "make-guest: $config (kernel $ver)" >&2
