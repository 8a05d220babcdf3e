#!/usr/bin/env bash
# Whole-process time of `kata-ctl check no-network-checks` vs `virt-host-validate qemu`,
# measured in the same run (20 runs each; BENCH_SMOKE=1: 3), with how many checks each
# runs. Target: kata-ctl at most 1.5x virt-host-validate's time.
set -euo pipefail
: "${KATA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${KATA_BIN:=$KATA_SOURCE_DIR/build/bin}"
ctl=$KATA_BIN/kata-ctl
runs=20
[ "${BENCH_SMOKE:-0}" = 1 ] && runs=3

[ -x "$ctl" ] || { echo "bench_check: $ctl not built" >&2; exit 1; }
if ! command -v virt-host-validate >/dev/null; then
        echo "bench_check: virt-host-validate not installed (libvirt-clients)" >&2
        exit 1
fi

ours=("$ctl" check no-network-checks --hypervisor qemu)
peer=(virt-host-validate qemu)

# Mean wall time in microseconds over $runs runs, after one warm-up run.
mean_us() {
        "$@" >/dev/null 2>&1 || true
        local total=0 start end
        for ((i = 0; i < runs; i++)); do
                start=$(date +%s%N)
                "$@" >/dev/null 2>&1 || true
                end=$(date +%s%N)
                total=$((total + (end - start) / 1000))
        done
        echo $((total / runs))
}

ours_us=$(mean_us "${ours[@]}")
peer_us=$(mean_us "${peer[@]}")
ours_checks=$("$ctl" check no-network-checks --json | grep -c '"id":')
peer_checks=$("${peer[@]}" 2>&1 | grep -cE ': (PASS|WARN|FAIL)' || true)

ratio=$(awk -v a="$ours_us" -v b="$peer_us" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
printf 'runs each:                    %d\n' "$runs"
printf 'kata-ctl check (qemu):        %6.1f ms mean, %d checks\n' "$(awk -v u="$ours_us" 'BEGIN{print u/1000}')" "$ours_checks"
printf 'virt-host-validate qemu:      %6.1f ms mean, %d checks\n' "$(awk -v u="$peer_us" 'BEGIN{print u/1000}')" "$peer_checks"
printf 'ratio kata-ctl / peer:        %s (target <= 1.5)\n' "$ratio"
if [ "${BENCH_SMOKE:-0}" != 1 ]; then
        awk -v r="$ratio" 'BEGIN { exit !(r <= 1.5) }' && echo "target met" || echo "target NOT met"
fi
# Sanity, even in smoke mode: both tools ran and reported checks.
[ "$ours_checks" -gt "$peer_checks" ] || { echo "bench_check: kata-ctl ran no more checks than the peer" >&2; exit 1; }
