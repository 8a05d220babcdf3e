#!/usr/bin/env bash
# kata-ctl spans benchmark, each figure against its peer in the same run:
#  1. reading a CTF trace of N agent spans (relayed by kata-trace-forwarder into the
#     session `spans record` made): `spans report` in each format and `spans check`, vs
#     `babeltrace2 DIR` printing every event (the peer reads the same CTF with the same
#     library);
#  2. the fixed cost of `spans record` around `true` (session, start, stop, destroy;
#     with and without the forwarder) vs the same session made with the lttng CLI.
# Needs root and lttng-sessiond (started if none runs). BENCH_SMOKE=1 (or --smoke): a
# small trace and one round, to check that it all works.
source "$KATA_SOURCE_DIR/tests/lib.sh"
[ "${1:-}" = --smoke ] && BENCH_SMOKE=1
: "${BENCH_SMOKE:=0}"
require_root

KATA_CTL=$KATA_BIN/kata-ctl
SENDER=$KATA_BUILD_DIR/tests/kata-test-span-sender
for b in "$KATA_CTL" "$KATA_BIN/kata-trace-forwarder" "$SENDER"; do
        [ -x "$b" ] || fail "missing $b: build it first"
done
command -v babeltrace2 >/dev/null || fail "babeltrace2 is needed"
if ! lttng list >/dev/null 2>&1; then
        lttng-sessiond --daemonize || fail "cannot start lttng-sessiond"
fi

if [ "$BENCH_SMOKE" = 1 ]; then
        FRAMES=10 ROUNDS=1
else
        FRAMES=500 ROUNDS=5
fi
SPANS_PER_FRAME=100

dir=$(scratch_dir)
trap 'rm -rf "$dir"' EXIT

now_ns() { date +%s%N; }
# best_of CMD...: fastest of ROUNDS runs, in ms (output discarded).
best_of() {
        local best= t0 t i
        for ((i = 0; i < ROUNDS; i++)); do
                t0=$(now_ns)
                "$@" >/dev/null 2>&1 || fail "'$*' failed"
                t=$((($(now_ns) - t0) / 1000000))
                [ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
        done
        echo "$best"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# 1. A trace of FRAMES x SPANS_PER_FRAME agent spans.
sock=$dir/fwd.sock
out=$("$KATA_CTL" spans record -o "$dir/trace" --forwarder-socket "$sock" --json -- \
        "$SENDER" --socket "$sock" --frames $FRAMES --spans $SPANS_PER_FRAME --tag bench 2>/dev/null) ||
        fail "spans record failed: $out"
j() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$out" "$1"; }
# The sender reuses a small pool of ids, so most events are duplicates of a span_id:
# every event is still read, decoded and deduped. Figures are events per second.
events=$(($(j spans) + $(j duplicates)))
assert_eq "$((FRAMES * SPANS_PER_FRAME))" "$events" "events in the trace (sent: all, lost: $(j lost))"
echo "trace: $events events, $(j spans) unique span ids, $(j lost) lost"
spans=$events
printf 'min-spans 1\none-root-per-trace\nchain bench-*-1 > bench-*-0\n' >"$dir/bench.expect"

peer=$(best_of babeltrace2 "$dir/trace")
printf '%-28s %8s ms  %10s events/s  %s\n' "babeltrace2 (peer)" "$peer" \
        "$(awk -v n="$spans" -v t="$peer" 'BEGIN { printf "%.0f", (t > 0 ? n * 1000 / t : 0) }')" "1.00"
for f in text chrome otlp-json html; do
        t=$(best_of "$KATA_CTL" spans report "$dir/trace" --format $f -o /dev/null)
        printf '%-28s %8s ms  %10s events/s  %s x peer\n' "spans report --format $f" "$t" \
                "$(awk -v n="$spans" -v t="$t" 'BEGIN { printf "%.0f", (t > 0 ? n * 1000 / t : 0) }')" \
                "$(ratio "$t" "$peer")"
done
t=$(best_of "$KATA_CTL" spans check "$dir/trace" --expect "$dir/bench.expect")
printf '%-28s %8s ms  %10s events/s  %s x peer\n' "spans check" "$t" \
        "$(awk -v n="$spans" -v t="$t" 'BEGIN { printf "%.0f", (t > 0 ? n * 1000 / t : 0) }')" \
        "$(ratio "$t" "$peer")"

# 2. Fixed cost of a recording.
n=0
lttng_cli() {
        n=$((n + 1))
        local s=kata-bench-spans-$$-$n
        lttng create "$s" --output="$dir/cli-$n" &&
                lttng enable-event -u -s "$s" 'kata_trace:*' &&
                lttng start "$s" && true && lttng stop "$s" && lttng destroy "$s"
}
record_plain() {
        n=$((n + 1))
        "$KATA_CTL" spans record -o "$dir/rec-$n" --no-forwarder -- true
}
record_fwd() {
        n=$((n + 1))
        "$KATA_CTL" spans record -o "$dir/recf-$n" --forwarder-socket "$dir/f-$n.sock" -- true
}
peer=$(best_of lttng_cli)
t1=$(best_of record_plain)
t2=$(best_of record_fwd)
printf '%-40s %6s ms  %s\n' "lttng CLI create..destroy (peer)" "$peer" "1.00"
printf '%-40s %6s ms  %s x peer\n' "spans record -- true (--no-forwarder)" "$t1" "$(ratio "$t1" "$peer")"
printf '%-40s %6s ms  %s x peer\n' "spans record -- true (with forwarder)" "$t2" "$(ratio "$t2" "$peer")"
finish
