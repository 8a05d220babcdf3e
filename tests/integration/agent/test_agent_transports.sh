#!/usr/bin/env bash
# The agent's listeners: a socket inherited as fd 3 (as the local driver hands it over)
# runs the hybrid vsock handshake when it is named kata.hvsock; a plain unix:// socket
# speaks ttrpc at once; settings come from the environment when no argument is given.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/agent/agent-lib.sh"

agent_setup
AGENT_LISTEN=fd AGENT_ARGS=--debug-console agent_start
assert_contains "$(cat "$AGENT_LOG")" "listening on fd://3 (hybrid vsock)" "agent log"
rpc CreateSandbox '{"hostname":"sandbox-7"}' >/dev/null
# The debug console: a shell on port 1026, in the sandbox's namespaces.
out=$(python3 "$KATA_SOURCE_DIR/tests/integration/agent/raw_ttrpc.py" "$SOCK" console)
assert_contains "$out" "console-42" "debug console output"
assert_contains "$out" "sandbox-7" "debug console runs in the sandbox's UTS namespace"
assert_eq SERVING "$(rpc Check | jq -r .status)" "Check over the inherited hybrid vsock socket"
assert_eq true "$(rpc GetGuestDetails | jq -r .agent_details.init_daemon)" "init_daemon"
# A plain unix client gets no answer: the agent waits for CONNECT and then drops it.
out=$("$KATA_CTL" agent --addr "unix://$SOCK" -t 10 Check 2>&1 || true)
assert_not_contains "$out" "SERVING" "unix client on a hybrid vsock socket"
kill -9 "$AGENT_PID"
wait "$UNSHARE_PID" 2>/dev/null || true
rm -f "$SOCK"

# Without --debug-console, port 1026 is refused.
AGENT_ARGS= agent_start
assert_eq refused "$(python3 "$KATA_SOURCE_DIR/tests/integration/agent/raw_ttrpc.py" "$SOCK" console)" "console when disabled"
kill -9 "$AGENT_PID"
wait "$UNSHARE_PID" 2>/dev/null || true
rm -f "$SOCK"

# Tracing: with --trace the agent's spans reach <socket>_10240 (the forwarder's place),
# children of the caller's span named in the traceparent metadata.
trace_id=4bf92f3577b34da6a3ce929d0e0e4736
parent_id=00f067aa0ba902b7
python3 "$KATA_SOURCE_DIR/tests/integration/agent/span_sink.py" "${SOCK}_10240" 20 \
        "$trace_id" "$parent_id" GetGuestDetails kata-agent >"$WORK/sink.out" 2>&1 &
sink=$!
for i in $(seq 1 50); do grep -q listening "$WORK/sink.out" && break; sleep 0.1; done
AGENT_ARGS=--trace agent_start
rpc -m "traceparent=00-$trace_id-$parent_id-01" GetGuestDetails >/dev/null
wait "$sink" || fail "no span of the traced call reached the sink: $(cat "$WORK/sink.out")"
pass
assert_contains "$(cat "$AGENT_LOG")" "tracing: spans go to host port 10240" "agent log"
metrics=$(rpc GetMetrics)
assert_contains "$metrics" "kata_agent_trace_spans_sent_total" "exporter counters in GetMetrics"
assert_contains "$metrics" "kata_agent_trace_spans_dropped_total" "exporter counters in GetMetrics"
kill -9 "$AGENT_PID"
wait "$UNSHARE_PID" 2>/dev/null || true
rm -f "$SOCK" "${SOCK}_10240"

# unix:// given through the environment (the agent's only setting here).
SOCK=$WORK/agent.sock
ADDR=unix://$SOCK
(
        export KATA_AGENT_SERVER_ADDR=$ADDR
        exec unshare --fork --pid --mount --uts --ipc --net --cgroup --mount-proc "$AGENT_BIN"
) >"$AGENT_LOG" 2>&1 &
UNSHARE_PID=$!
for i in $(seq 1 100); do
        "$KATA_CTL" agent --addr "$ADDR" -t 2 Check >/dev/null 2>&1 && break
        sleep 0.1
done
AGENT_PID=$(pgrep -P "$UNSHARE_PID" | head -1)
assert_eq SERVING "$(rpc Check | jq -r .status)" "Check over unix://"
assert_contains "$(cat "$AGENT_LOG")" "listening on unix://$SOCK" "agent log"
assert_not_contains "$(cat "$AGENT_LOG")" "hybrid vsock" "agent log"

# Not init (an ordinary process on this host, which runs no systemd): init_daemon false,
# and a systemd-form path would still get cgroupfs, for the reason given.
kill -9 "$AGENT_PID"
wait "$UNSHARE_PID" 2>/dev/null || true
rm -f "$SOCK"
"$AGENT_BIN" --server-addr "$ADDR" >"$AGENT_LOG" 2>&1 &
UNSHARE_PID=$!
AGENT_PID=$UNSHARE_PID
for i in $(seq 1 100); do
        "$KATA_CTL" agent --addr "$ADDR" -t 2 Check >/dev/null 2>&1 && break
        sleep 0.1
done
details=$(rpc GetGuestDetails)
assert_eq false "$(echo "$details" | jq -r '.agent_details.init_daemon // false')" "init_daemon of a host process"
assert_eq cgroupfs "$(echo "$details" | jq -r .agent_details.cgroup_driver)" "driver when not init"
assert_contains "$(echo "$details" | jq -r .agent_details.cgroup_driver_reason)" "systemd is not running" "driver reason when not init"

# A usage error exits 2.
assert_status 2 "$AGENT_BIN" --bogus-option
assert_status 2 "$AGENT_BIN" --log-level loud
assert_contains "$("$AGENT_BIN" --version)" "kata-agent" "--version"
finish
