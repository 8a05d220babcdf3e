#!/usr/bin/env bash
# Cost of one stats sample of a cgroup (what kata-ctl top and monitor pay per sandbox per
# refresh): kata-cgroups (cpu + memory + pids + io, every v1 hierarchy) against
# systemd-cgtop (-b, which samples cpu, memory, io and tasks of every cgroup), on the same
# cgroups in the same run. Needs root and this host's v1 hierarchies.
# BENCH_SMOKE=1: a few rounds, just to show it runs.
source "$KATA_SOURCE_DIR/tests/lib.sh"

TOOL=${1:-$KATA_BUILD_DIR/tests/kata-cgroup-tool}
if [ "$(id -u)" != 0 ] || ! grep -q " /sys/fs/cgroup/memory .* cgroup " /proc/self/mountinfo; then
        echo "SKIP [$TEST_NAME]: needs root and a v1 memory hierarchy"
        # 77 tells ctest (smoke run) it was skipped; `make bench` just moves on.
        [ "${BENCH_SMOKE:-0}" = 1 ] && exit 77
        exit 0
fi
[ -x "$TOOL" ] || fail "helper $TOOL not built"
ROUNDS=200
N=8
[ "${BENCH_SMOKE:-0}" = 1 ] && ROUNDS=5

rels=()
pids=()
cleanup() {
        for r in "${rels[@]}"; do
                "$TOOL" kill "$r" >/dev/null 2>&1 || true
                "$TOOL" delete "$r" >/dev/null 2>&1 || true
        done
}
trap cleanup EXIT
for i in $(seq "$N"); do
        r=/kata-test-bench-$$-$i
        rels+=("$r")
        "$TOOL" create "$r"
        "$TOOL" exec "$r" -- sleep 600 &
        pids+=($!)
done
sleep 0.2

ours=$("$TOOL" stats-bench "$ROUNDS" "${rels[@]}")
ours_ns=$(sed -n 's/.*ns_per_read=\([0-9]*\).*/\1/p' <<<"$ours")
[ -n "$ours_ns" ] || fail "no figure from stats-bench: $ours"
pass

peer_ns=
if command -v systemd-cgtop >/dev/null; then
        delay_ms=1
        t0=$(date +%s%N)
        rows=$(systemd-cgtop -b -n "$ROUNDS" -d 0.00$delay_ms --raw 2>/dev/null | grep -c '^/' || true)
        t1=$(date +%s%N)
        if [ "${rows:-0}" -gt 0 ]; then
                busy=$(((t1 - t0) - (ROUNDS - 1) * delay_ms * 1000000))
                peer_ns=$((busy / rows))
        fi
fi

echo "cgroup stats sample, $N cgroups x $ROUNDS rounds:"
echo "  kata-cgroups:  $((ours_ns / 1000)) us per cgroup (cpu, per-cpu, throttling, memory, swap, oom, pids, io)"
if [ -n "$peer_ns" ]; then
        echo "  systemd-cgtop: $((peer_ns / 1000)) us per cgroup row (cpu, memory, io, tasks; $rows rows, process start included)"
        awk -v a="$ours_ns" -v b="$peer_ns" 'BEGIN { printf "  ratio kata-cgroups / systemd-cgtop: %.2f\n", a / b }'
else
        echo "  systemd-cgtop: not available"
fi
finish
