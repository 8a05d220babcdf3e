#!/usr/bin/env bash
# CPU used by `kata-ctl top -b -d 1` watching 50 real sandboxes of 4 containers each
# (kata-runtime, local driver; sleeping workloads) over 60 s, against procps
# `top -b -d 1` over the same 60 s on the same machine (which then lists those sandboxes'
# ~250 processes among the rest). Also measured in the same window: `kata-ctl top --json`
# (every container's figures and processes, and the agents' health each refresh).
# BENCH_SMOKE=1: 3 sandboxes of 2 containers for 3 s, just to show it runs.
source "$KATA_SOURCE_DIR/tests/lib.sh"

if [ "$(id -u)" != 0 ] || [ ! -x "$KATA_BIN/kata-runtime" ]; then
        echo "SKIP [$TEST_NAME]: needs root and kata-runtime"
        [ "${BENCH_SMOKE:-0}" = 1 ] && exit 77
        exit 0
fi
source "$KATA_SOURCE_DIR/tests/integration/runtime/runtime-lib.sh"
SANDBOXES=50
CONTAINERS=4
SECONDS_RUN=60
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
        SANDBOXES=3
        CONTAINERS=2
        SECONDS_RUN=3
fi
command -v top >/dev/null || fail "procps top is not installed"
runtime_setup

bundle=$(make_bundle sleeper -- sleep 3600)
t0=$(date +%s%N)
for s in $(seq "$SANDBOXES"); do
        rt create --bundle "$bundle" "sb$s" >/dev/null && rt start "sb$s"
        for c in $(seq 2 "$CONTAINERS"); do
                rt create --bundle "$bundle" --sandbox "sb$s" "sb$s-c$c" >/dev/null
                rt start "sb$s-c$c"
        done
done
t1=$(date +%s%N)
echo "started $SANDBOXES sandboxes x $CONTAINERS containers in $(((t1 - t0) / 1000000)) ms"

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

"$KATA_BIN/kata-ctl" top -b -d 1 --root "$ROOT" >"$WORK/ours.txt" &
ours=$!
"$KATA_BIN/kata-ctl" top --json -d 1 --root "$ROOT" >"$WORK/ours.jsonl" &
ours_json=$!
top -b -d 1 >"$WORK/top.txt" &
peer=$!
sleep "$SECONDS_RUN"
t_ours=$(cpu_ticks $ours)
t_json=$(cpu_ticks $ours_json)
t_peer=$(cpu_ticks $peer)
kill $ours $ours_json $peer
wait $ours $ours_json $peer 2>/dev/null || true

# The figures are only worth something if every sandbox was on every frame.
last=$(tail -n 1 "$WORK/ours.jsonl")
assert_eq "$SANDBOXES" "$(jq '.sandboxes | length' <<<"$last")" "sandboxes in the last JSON frame"
assert_eq "$((SANDBOXES * CONTAINERS))" "$(jq '[.sandboxes[].containers[]] | length' <<<"$last")" \
        "containers in the last JSON frame"
frames=$(grep -c '^kata-ctl top - ' "$WORK/ours.txt" || true)
[ "$frames" -ge 1 ] || fail "kata-ctl top printed no frame"
pass

pct() { awk -v t="$1" -v hz="$ticks" -v s="$SECONDS_RUN" 'BEGIN { printf "%.2f", 100 * t / hz / s }'; }
echo "CPU over ${SECONDS_RUN}s, $SANDBOXES sandboxes x $CONTAINERS containers, refresh 1 s (% of one CPU):"
echo "  kata-ctl top -b -d 1:      $(pct "$t_ours")%  ($frames frames)"
echo "  kata-ctl top --json -d 1:  $(pct "$t_json")%  (all containers, processes, agent health)"
echo "  top -b -d 1 (procps):      $(pct "$t_peer")%"
awk -v a="$t_ours" -v b="$t_peer" 'BEGIN { if (b > 0) printf "  ratio kata-ctl top / top: %.2f\n", a / b }'
finish
