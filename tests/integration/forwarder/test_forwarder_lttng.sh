#!/usr/bin/env bash
# The lttng sink: spans relayed by the forwarder appear in the host's LTTng session as
# kata_trace:span events with source=agent, read back with babeltrace2.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/forwarder/fwd_lib.sh"
require_root
for tool in lttng lttng-sessiond babeltrace2; do
        command -v "$tool" >/dev/null || fail "$tool is needed (lttng-tools, babeltrace2)"
done

dir=$(scratch_dir)
session=kata-fwd-test-$$
fwd_pid=
started_sessiond=
cleanup() {
        [ -n "$fwd_pid" ] && kill "$fwd_pid" 2>/dev/null
        lttng destroy "$session" >/dev/null 2>&1 || true
        # Stop the session daemon only if this test started it (by its pid).
        [ -n "$started_sessiond" ] && kill "$started_sessiond" 2>/dev/null
        rm -rf "$dir"
}
trap cleanup EXIT

if ! lttng list >/dev/null 2>&1; then
        lttng-sessiond --daemonize || fail "cannot start lttng-sessiond"
        started_sessiond=$(pidof -s lttng-sessiond || true)
        for _ in $(seq 50); do
                lttng list >/dev/null 2>&1 && break
                sleep 0.1
        done
fi
lttng create "$session" --output="$dir/trace" >/dev/null || fail "lttng create"
lttng enable-event --userspace --session="$session" 'kata_trace:*' >/dev/null ||
        fail "lttng enable-event"
lttng start "$session" >/dev/null || fail "lttng start"

# liblttng-ust registers with the session daemon when the provider is loaded and by
# default waits at most 3 s for it; on a loaded machine events could go out before
# registration completes. Wait as long as it takes.
LTTNG_UST_REGISTER_TIMEOUT=-1 \
        "$FWD" --listen "$dir/fwd.sock" --sink lttng --sink "jsonl=$dir/out.jsonl" 2>"$dir/err" &
fwd_pid=$!
wait_for_file "$dir/fwd.sock"
"$SENDER" --socket "$dir/fwd.sock" --frames 3 --spans 5 --tag lttng || fail "sender failed"
assert_contains "$(cat "/proc/$fwd_pid/maps")" "liblttng-ust.so" "maps of a forwarder with the lttng sink"
stop_forwarder "$fwd_pid"
fwd_pid=
lttng stop "$session" >/dev/null || fail "lttng stop"
lttng destroy "$session" >/dev/null || fail "lttng destroy"

assert_eq 15 "$(sink_stat_of "$dir/err" lttng forwarded)" "spans emitted by the lttng sink"
events=$(babeltrace2 "$dir/trace" 2>"$dir/bt.err") || fail "babeltrace2: $(cat "$dir/bt.err")"
assert_eq 15 "$(grep -c 'kata_trace:span' <<<"$events")" "kata_trace:span events in the trace"
assert_eq 15 "$(grep -c 'source = "agent"' <<<"$events")" "events with source=agent"
one=$(grep 'name = "lttng-0-1"' <<<"$events")
assert_contains "$one" 'sandbox_id = "sandbox-0123456789"'
assert_contains "$one" 'status = "ok"'
assert_contains "$one" 'attributes = "{\"pid\":4242}"'
# The event carries the same ids as the relayed span.
span_id=$(sed -n 's/.*"span_id":"\([0-9a-f]*\)","parent_span_id":"\([0-9a-f]*\)","name":"lttng-0-1".*/\1/p' "$dir/out.jsonl")
parent_id=$(sed -n 's/.*"parent_span_id":"\([0-9a-f]*\)","name":"lttng-0-1".*/\1/p' "$dir/out.jsonl")
assert_contains "$one" "span_id = \"$span_id\""
assert_contains "$one" "parent_span_id = \"$parent_id\""
root=$(grep 'name = "lttng-0-0"' <<<"$events")
assert_contains "$root" 'parent_span_id = ""'

finish
