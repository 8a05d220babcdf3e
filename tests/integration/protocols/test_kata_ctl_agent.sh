#!/usr/bin/env bash
# kata-ctl agent against a stand-in agent (kata-fake-agent: the real ttrpc server and
# transports with canned handlers) over unix:// and hvsock://: replies as JSON, status
# codes and exit codes, request JSON from argument/stdin/file, --oci, metadata, timeouts,
# bad input, --list.
source "$KATA_SOURCE_DIR/tests/lib.sh"

fake_agent=$1
ctl=$KATA_BIN/kata-ctl
dir=$(scratch_dir)
agent_pid=
cleanup() {
        [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
        rm -rf "$dir"
}
trap cleanup EXIT

"$fake_agent" "unix://$dir/agent.sock" "hvsock://$dir/kata.hvsock:1024" >"$dir/agent.out" 2>"$dir/agent.err" &
agent_pid=$!
for _ in $(seq 100); do
        grep -q ready "$dir/agent.out" 2>/dev/null && break
        sleep 0.05
done
assert_contains "$(cat "$dir/agent.out")" ready "fake agent start"

U="unix://$dir/agent.sock"
H="hvsock://$dir/kata.hvsock:1024"

# Health over both transports, bare and qualified names
out=$("$ctl" agent --addr "$U" Check)
assert_contains "$out" '"status":"SERVING"' "Check over unix"
out=$("$ctl" agent --addr "$H" grpc.Health.Check --compact)
assert_eq '{"status":"SERVING"}' "$out" "Check over hvsock"
out=$("$ctl" agent -a "$H" -m traceparent=00-abc-def-01 Version --compact)
assert_eq '{"grpc_version":"00-abc-def-01","agent_version":"fake"}' "$out" "metadata reaches the handler"

# hvsock to a port the agent does not serve is refused
assert_status 1 "$ctl" agent --addr "hvsock://$dir/kata.hvsock:9999" Check

# GetGuestDetails: our extension fields come back
out=$("$ctl" agent --addr "$U" GetGuestDetails --compact)
assert_contains "$out" '"cgroup_driver":"cgroupfs"' "guest details"
out=$("$ctl" agent --addr "$U" GetGuestDetails --compact --defaults)
assert_contains "$out" '"init_daemon":false' "--defaults prints false booleans"

# CreateContainer: inline JSON + --oci file, then the same id again
cat >"$dir/config.json" <<'JSON'
{"ociVersion": "1.0.2-dev", "process": {"terminal": false, "user": {"uid": 0, "gid": 0},
 "args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"},
 "linux": {"cgroupsPath": "system.slice:kata:c1", "namespaces": [{"type": "pid"}]}}
JSON
out=$("$ctl" agent --addr "$U" CreateContainer '{"container_id": "c1"}' --oci "$dir/config.json" --compact)
assert_eq '{}' "$out" "CreateContainer reply"
err=$("$ctl" agent --addr "$U" CreateContainer '{"container_id": "c1"}' --oci "$dir/config.json" 2>&1 >/dev/null) && fail "duplicate create succeeded"
assert_contains "$err" "ALREADY_EXISTS" "duplicate create"
assert_status 1 "$ctl" agent --addr "$U" CreateContainer '{"container_id": "c1"}' --oci "$dir/config.json"

# request from stdin and from @FILE
out=$(echo '{"container_id": "c1"}' | "$ctl" agent --addr "$U" StatsContainer - --compact)
assert_contains "$out" '"pids_stats":{"current":3,"limit":64}' "stats from stdin request"
echo '{"container_id": "nope"}' >"$dir/req.json"
err=$("$ctl" agent --addr "$U" StatsContainer "@$dir/req.json" 2>&1 >/dev/null) && fail "stats of unknown container succeeded"
assert_contains "$err" "NOT_FOUND: no container 'nope'" "NOT_FOUND status printed"

# bytes as base64 both ways
out=$("$ctl" agent --addr "$U" WriteStdin '{"container_id": "c1", "exec_id": "c1", "data": "aGVsbG8="}' --compact)
assert_eq '{"len":5}' "$out" "WriteStdin byte count"

# server-side validation errors come back as INVALID_ARGUMENT
err=$("$ctl" agent --addr "$U" CreateContainer '{"container_id": "../x"}' --oci "$dir/config.json" 2>&1 >/dev/null) && fail "bad id accepted"
assert_contains "$err" "INVALID_ARGUMENT" "invalid id"

# unimplemented on the server side
err=$("$ctl" agent --addr "$U" PauseContainer '{"container_id": "c1"}' 2>&1 >/dev/null) && fail "PauseContainer succeeded"
assert_contains "$err" "UNIMPLEMENTED" "unregistered method"

# timeout on a long poll: DEADLINE_EXCEEDED, exit 1, and quickly
err=$("$ctl" agent --addr "$U" --timeout 0.3 GetOOMEvent 2>&1 >/dev/null) && fail "long poll returned"
assert_contains "$err" "DEADLINE_EXCEEDED" "client timeout"
# ... and the agent still serves
out=$("$ctl" agent --addr "$U" Check --compact)
assert_eq '{"status":"SERVING"}' "$out" "served after a timeout"

# usage errors exit 2 and say what is wrong
assert_status 2 "$ctl" agent Check
assert_status 2 "$ctl" agent --addr "$U"
assert_status 2 "$ctl" agent --addr "$U" NoSuchMethod
assert_status 2 "$ctl" agent --addr "$U" Check '{"service": 5}'
assert_status 2 "$ctl" agent --addr "$U" Check '{not json'
assert_status 2 "$ctl" agent --addr "$U" Check --timeout abc
assert_status 2 "$ctl" agent --addr "bogus://x" Check
err=$("$ctl" agent --addr "$U" CreateContainer '{"OCI": {"process": {"args": "sh"}}}' 2>&1 >/dev/null) || true
assert_contains "$err" "OCI.process.args: expected an array" "wrong OCI type named"

# nobody listening: UNAVAILABLE, exit 1
err=$("$ctl" agent --addr "unix://$dir/none.sock" Check 2>&1 >/dev/null) && fail "connect to nothing succeeded"
assert_contains "$err" "UNAVAILABLE" "no agent"

# --list, text and JSON
out=$("$ctl" agent --list)
assert_contains "$out" "grpc.AgentService.CreateContainer" "--list"
assert_contains "$out" "grpc.AgentService.ListProcesses" "--list extension"
out=$("$ctl" agent --list --json)
assert_contains "$out" '"method":"GetOOMEvent"' "--list --json"
out=$("$ctl" agent --help)
assert_contains "$out" "METHOD" "--help"

finish
