#!/usr/bin/env bash
# VM sandboxes (qemu driver; TCG on these machines), same run:
#   - boot to agent ready: from `kata-runtime create` to the first answered Health.Check
#     over the VM's hybrid vsock (target under 3 s);
#   - `kata-runtime run` of /bin/true in a VM (target under 5 s) next to the local driver
#     and runc on the same bundle;
#   - host memory per sandbox: RSS of QEMU and of the vsock backend.
# 5 runs each (BENCH_SMOKE=1: 1). Needs root and the `initrd` target's guest.
set -euo pipefail
: "${KATA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${KATA_BUILD_DIR:=$KATA_SOURCE_DIR/build}"
: "${KATA_BIN:=$KATA_BUILD_DIR/bin}"
runs=5
[ "${BENCH_SMOKE:-0}" = 1 ] && runs=1
[ "$(id -u)" = 0 ] || { echo "bench_vm: needs root" >&2; exit 1; }
conf=$KATA_BUILD_DIR/configuration-qemu.toml
if [ ! -f "$conf" ]; then
        echo "SKIP bench_vm: $conf missing (build the \`initrd\` target)"
        exit 77
fi
command -v runc >/dev/null || { echo "bench_vm: runc not installed" >&2; exit 1; }

work=$(mktemp -d /tmp/kata-test-bench-vm-XXXXXX)
cleanup() {
        for c in "$work"/root/containers/*; do
                [ -e "$c" ] || [ -L "$c" ] || continue
                "$KATA_BIN/kata-runtime" --root "$work/root" --config "$conf" delete --force \
                        "$(basename "$c")" >/dev/null 2>&1 || true
        done
        for d in /sys/fs/cgroup/*/kata-test-bench-vm-$$; do
                [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
        done
        rm -rf "$work"
}
trap cleanup EXIT
bash "$KATA_SOURCE_DIR/tests/bundle/make-bundle.sh" "$work/true" -- /bin/true >/dev/null
bash "$KATA_SOURCE_DIR/tests/bundle/make-bundle.sh" "$work/sleep" -- sleep 600 >/dev/null
cat >"$work/local.toml" <<CONF
[hypervisor.local]
cgroup_parent = "/kata-test-bench-vm-$$"
CONF

now_us() { echo $(($(date +%s%N) / 1000)); }
ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }
rt_vm() { "$KATA_BIN/kata-runtime" --root "$work/root" --config "$conf" "$@"; }

# Boot to agent ready, and the create as a whole (disk image, hot-plug, CreateContainer).
boot_total=0 create_total=0
for ((i = 0; i < runs; i++)); do
        id=boot$i-$$
        start=$(now_us)
        rt_vm create --bundle "$work/sleep" "$id" 2>"$work/err" &
        creator=$!
        ready=""
        while [ -z "$ready" ]; do
                if "$KATA_BIN/kata-ctl" agent --addr "hvsock://$work/root/$id/kata.hvsock:1024" \
                        --timeout 2 Check >/dev/null 2>&1; then
                        ready=$(now_us)
                elif ! kill -0 "$creator" 2>/dev/null; then
                        echo "bench_vm: create failed: $(cat "$work/err")" >&2
                        exit 1
                else
                        sleep 0.01
                fi
        done
        wait "$creator" || { echo "bench_vm: create failed: $(cat "$work/err")" >&2; exit 1; }
        created=$(now_us)
        boot_total=$((boot_total + ready - start))
        create_total=$((create_total + created - start))
        if [ "$i" = 0 ]; then
                # Host memory of this sandbox while its container runs.
                qpid=$(cat "$work/root/$id/qemu.pid")
                bpid=$(cat "$work/root/$id/vsock-backend.pid")
                rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
                shmem() { awk '/^RssShmem:/ { print $2 }' "/proc/$1/status"; }
                qrss=$(rss "$qpid") qshm=$(shmem "$qpid") brss=$(rss "$bpid")
                mem=$(awk '/^default_memory/ { print $3 }' "$conf")
                accel=$(grep -o 'accel=[a-z]*' "$work/root/$id/qemu.log" | head -n1)
        fi
        rt_vm delete --force "$id" >/dev/null 2>&1
done

mean_run_us() { # command...
        local total=0 start
        for ((i = 0; i < runs; i++)); do
                start=$(now_us)
                "$@" "r$i-$$" >/dev/null 2>"$work/err" ||
                        { echo "bench_vm: '$*' failed: $(cat "$work/err")" >&2; exit 1; }
                total=$((total + $(now_us) - start))
        done
        echo $((total / runs))
}
vm_run() { rt_vm run --bundle "$work/true" "$1"; }
local_run() {
        "$KATA_BIN/kata-runtime" --root "$work/root-local" --config "$work/local.toml" run \
                --bundle "$work/true" "$1"
}
runc_run() { (cd "$work/true" && runc --root "$work/runc" run "$1"); }
vm=$(mean_run_us vm_run)
loc=$(mean_run_us local_run)
peer=$(mean_run_us runc_run)

printf 'runs each:                              %d (QEMU %s; load average %s)\n' "$runs" "$accel" \
        "$(cut -d' ' -f1 /proc/loadavg)"
printf 'boot to agent ready (qemu driver):      %8s ms mean (target < 3000)\n' "$(ms $((boot_total / runs)))"
printf 'create (boot + rootfs disk + container): %7s ms mean\n' "$(ms $((create_total / runs)))"
printf 'run /bin/true, qemu driver:             %8s ms mean (target < 5000)\n' "$(ms "$vm")"
printf 'run /bin/true, local driver:            %8s ms mean\n' "$(ms "$loc")"
printf 'runc run /bin/true:                     %8s ms mean\n' "$(ms "$peer")"
printf 'ratio qemu / local driver:              %s\n' "$(awk -v a="$vm" -v b="$loc" 'BEGIN { printf "%.1f", a / b }')"
printf 'ratio qemu / runc:                      %s\n' "$(awk -v a="$vm" -v b="$peer" 'BEGIN { printf "%.1f", a / b }')"
printf 'QEMU RSS per sandbox:                   %8s MiB (of which guest memory touched, shared memfd: %s MiB; guest has %s MiB)\n' \
        "$(ms "$qrss")" "$(ms "$qshm")" "$mem"
printf 'vsock backend RSS per sandbox:          %8s MiB\n' "$(ms "$brss")"
printf 'QEMU + backend RSS per sandbox:         %8s MiB\n' "$(ms $((qrss + brss)))"
[ -z "$(ls "$work/root" 2>/dev/null | grep -v containers)" ] ||
        { echo "bench_vm: sandboxes left in $work/root" >&2; exit 1; }
