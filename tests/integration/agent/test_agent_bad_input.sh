#!/usr/bin/env bash
# Bad input gets a clear error and the agent keeps serving, its other clients included:
# hybrid vsock handshakes, truncated, oversized, garbage and unknown-method frames,
# undecodable payloads, invalid ids, escaping cgroup paths, OCI specs with wrong types.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/agent/agent-lib.sh"

RAW="python3 $KATA_SOURCE_DIR/tests/integration/agent/raw_ttrpc.py"
agent_setup
agent_start

# Another client with a call in flight for the whole test.
"$KATA_CTL" agent --addr "$ADDR" --compact -t 300 GetOOMEvent >"$WORK/oom.out" 2>&1 &
other=$!

healthy() {
        assert_eq SERVING "$(rpc Check | jq -r .status)" "health after $1"
}

assert_eq closed "$($RAW "$SOCK" handshake-garbage)" "garbage handshake"
healthy "a garbage handshake"
assert_eq closed "$($RAW "$SOCK" handshake-port)" "handshake to a port nobody serves"
healthy "a handshake to port 9999"
assert_eq closed "$($RAW "$SOCK" truncated)" "truncated frame"
healthy "a truncated frame"
out=$($RAW "$SOCK" oversized)
case $out in closed | "status 8 "*) pass ;; *) fail "oversized frame: $out" ;; esac
healthy "an oversized frame"
out=$($RAW "$SOCK" garbage)
case $out in closed | "status 3 "* | "status 8 "*) pass ;; *) fail "garbage frame: $out" ;; esac
healthy "garbage frames"
assert_contains "$($RAW "$SOCK" unknown-method)" "status 12 " "unknown method (UNIMPLEMENTED)"
healthy "an unknown method"
assert_contains "$($RAW "$SOCK" bad-payload)" "status 3 " "undecodable payload (INVALID_ARGUMENT)"
healthy "an undecodable payload"
assert_contains "$($RAW "$SOCK" bad-oci-wire-type)" "status 3 " "OCI field of the wrong wire type"
healthy "an OCI field of the wrong wire type"

# Invalid ids, in every RPC family.
bundle=$(make_bundle b -- sleep 1000)
long=$(printf 'a%.0s' $(seq 1 129))
for bad in "../x" "" "$long" "a/b" "-x" ".hidden"; do
        err=$(rpc_err CreateContainer --oci "$bundle/config.json" "{\"container_id\":\"$bad\"}")
        assert_contains "$err" "INVALID_ARGUMENT" "CreateContainer id '$bad'"
        assert_contains "$err" "container_id" "CreateContainer id '$bad' message"
        for m in StartContainer StatsContainer PauseContainer RemoveContainer ListProcesses; do
                assert_contains "$(rpc_err $m "{\"container_id\":\"$bad\"}")" "INVALID_ARGUMENT" "$m id '$bad'"
        done
        # An empty exec id names the container's init.
        [ -z "$bad" ] && continue
        assert_contains "$(rpc_err ReadStdout "{\"container_id\":\"c\",\"exec_id\":\"$bad\"}")" "INVALID_ARGUMENT" "ReadStdout exec id '$bad'"
        assert_contains "$(rpc_err ExecProcess "{\"container_id\":\"c\",\"exec_id\":\"$bad\",\"process\":{\"Args\":[\"true\"],\"Cwd\":\"/\"}}")" "INVALID_ARGUMENT" "ExecProcess exec id '$bad'"
done
[ -z "$(find "$(container_cgroup_dir pids "")" -mindepth 1 -type d)" ] || fail "a cgroup was created for an invalid id"
pass
healthy "invalid ids"

# Escaping cgroup paths.
for bad in "../../escape" "/a/../../escape" "::" "system.slice:kata:a/../../../x" "../x:kata:y" "/"; do
        jq --arg p "$bad" --arg root "$bundle/rootfs" 'del(.ociVersion) | .root.path = $root | .linux.cgroupsPath = $p' \
                "$bundle/config.json" >"$WORK/esc.json"
        err=$(rpc_err CreateContainer --oci "$WORK/esc.json" '{"container_id":"esc"}')
        assert_contains "$err" "INVALID_ARGUMENT" "cgroupsPath '$bad'"
        assert_contains "$err" "linux.cgroupsPath" "cgroupsPath '$bad' message"
done
for c in pids memory; do
        [ ! -e "$(host_cgroup_dir $c)/escape" ] && [ ! -e "$(dirname "$(host_cgroup_dir $c)")/escape" ] ||
                fail "an escaping cgroup was created"
        pass
done
healthy "escaping cgroup paths"

# OCI specs with wrong types or values: the agent's validation names the field.
oci_case() { # jq-filter expected-message
        jq --arg root "$bundle/rootfs" "del(.ociVersion) | .root.path = \$root | $1" \
                "$bundle/config.json" >"$WORK/bad.json"
        err=$(rpc_err CreateContainer --oci "$WORK/bad.json" '{"container_id":"bad"}')
        assert_contains "$err" "INVALID_ARGUMENT" "OCI case $1"
        assert_contains "$err" "$2" "OCI case $1"
}
oci_case '.process.args = []' "OCI: process.args: must name a program"
oci_case '.process.cwd = "relative"' "OCI: process.cwd: expected an absolute path"
oci_case '.linux.namespaces += [{"type":"time"}]' "unknown namespace type 'time'"
oci_case '.process.rlimits[0].type = "RLIMIT_BOGUS"' "unknown rlimit 'RLIMIT_BOGUS'"
oci_case '.mounts[0].destination = "proc"' "mounts[0].destination: expected an absolute path"
oci_case '.root.path = "/nonexistent/rootfs"' "root.path"
# Wrong JSON types are refused before anything is sent, naming the field too.
jq '.process.args = "sh"' "$bundle/config.json" >"$WORK/bad.json"
err=$("$KATA_CTL" agent --addr "$ADDR" CreateContainer --oci "$WORK/bad.json" '{"container_id":"bad"}' 2>&1 || true)
assert_contains "$err" "rgs" "wrong JSON type for process.args"
healthy "bad OCI specs"

# A program that does not exist fails StartContainer with the reason, and the
# container can be removed.
nobin=$(make_bundle nobin -- /no/such/program)
create_container nobin "$nobin"
err=$(rpc_err StartContainer '{"container_id":"nobin"}')
assert_contains "$err" "cannot execute /no/such/program: No such file or directory" "exec failure"
assert_eq 127 "$(rpc WaitProcess '{"container_id":"nobin"}' | jq -r .status)" "status after a failed exec"
rpc RemoveContainer '{"container_id":"nobin"}' >/dev/null
# A duplicate id is refused.
create_container dup "$nobin"
assert_contains "$(rpc_err CreateContainer --oci "$nobin/oci.json" '{"container_id":"dup"}')" "ALREADY_EXISTS" "duplicate container"
rpc RemoveContainer '{"container_id":"dup"}' >/dev/null
healthy "failed starts"

# Nothing of the failed creations is left, and a good container still runs.
assert_contains "$(rpc_err ListProcesses '{"container_id":"bad"}')" "NOT_FOUND" "no container 'bad' left"
create_container good "$bundle"
rpc StartContainer '{"container_id":"good"}' >/dev/null
rpc RemoveContainer '{"container_id":"good"}' >/dev/null

kill -0 "$other" 2>/dev/null || fail "the other client's pending call ended: $(cat "$WORK/oom.out")"
pass
kill "$other" 2>/dev/null || true
finish
