#!/usr/bin/env bash
# spans record and agent spans: the forwarder record starts relays agent frames into the
# session (source=agent) and is stopped afterwards; a forwarder already listening is used
# and left running.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/spans/spans-lib.sh"
spans_setup
SENDER=$KATA_BUILD_DIR/tests/kata-test-span-sender
[ -x "$SENDER" ] || fail "not built: $SENDER (tests/integration/forwarder)"
sock=$WORK/fwd.sock

# 20 frames of 50 spans: per frame one trace, span 0 the root of the other 49. Enough
# events for babeltrace2 2.0.4 to recycle fields: roots after the first must still read
# back with an empty parent (see kata-ctl/spans/README.md).
"$KATA_CTL" spans record -o "$WORK/trace" --forwarder-socket "$sock" -- \
        "$SENDER" --socket "$sock" --frames 20 --spans 50 --tag agent >"$WORK/out" 2>"$WORK/err" ||
        fail "spans record failed: $(cat "$WORK/out" "$WORK/err")"
assert_contains "$(cat "$WORK/err")" "started kata-trace-forwarder" "record stderr"
assert_contains "$(cat "$WORK/out")" ": 1000 spans in 20 traces, 0 orphans" "record summary"
! pgrep -f -- "--listen $sock" >/dev/null || fail "the forwarder record started still runs"
pass
cat >"$WORK/agent.expect" <<EXP
min-spans 1000
min-traces 20
one-root-per-trace
root 20 agent:agent-*-0
span 1000 agent:*
chain 49 agent:agent-0-* > agent:agent-0-0
chain 49 agent:agent-19-* > agent:agent-19-0
EXP
check=$("$KATA_CTL" spans check "$WORK/trace" --expect "$WORK/agent.expect") ||
        fail "spans check of relayed agent spans failed:
$check"
assert_contains "$("$KATA_CTL" spans report "$WORK/trace")" "agent-19-49  " "text report"

# A forwarder that already listens is used, said so, and left running.
sock2=$WORK/fwd2.sock
LTTNG_UST_REGISTER_TIMEOUT=-1 "$KATA_BIN/kata-trace-forwarder" --listen "$sock2" --sink lttng \
        2>"$WORK/fwd2.err" &
fwd=$!
for _ in $(seq 100); do [ -S "$sock2" ] && break; sleep 0.05; done
"$KATA_CTL" spans record -o "$WORK/trace2" --forwarder-socket "$sock2" --json -- \
        "$SENDER" --socket "$sock2" --frames 1 --spans 3 --tag again >"$WORK/out2" 2>"$WORK/err2" ||
        fail "spans record with a running forwarder failed: $(cat "$WORK/out2" "$WORK/err2")"
assert_contains "$(cat "$WORK/err2")" "a forwarder already listens on $sock2" "record stderr"
kill -0 "$fwd" 2>/dev/null || fail "record stopped a forwarder it did not start"
pass
kill "$fwd"
wait "$fwd" || true
assert_eq 3 "$(jget "$(cat "$WORK/out2")" 'j["spans"]')" "record --json spans"
assert_eq 0 "$(jget "$(cat "$WORK/out2")" 'j["status"]')" "record --json status"

# --no-forwarder starts none: nothing listens, the sender fails and record passes its
# status on.
st=0
"$KATA_CTL" spans record -o "$WORK/trace3" --forwarder-socket "$WORK/none.sock" --no-forwarder -- \
        "$SENDER" --socket "$WORK/none.sock" --frames 1 --spans 1 >/dev/null 2>&1 || st=$?
assert_ne 0 "$st" "record --no-forwarder with nothing listening"
[ ! -e "$WORK/none.sock" ] || fail "--no-forwarder created the socket"
pass
finish
