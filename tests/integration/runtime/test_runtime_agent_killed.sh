#!/usr/bin/env bash
# The agent killed mid-request: the runtime fails with a clear message (never hangs),
# and `delete --force` cleans everything up.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/runtime/runtime-lib.sh"
runtime_setup

id=victim-$$
bundle=$(make_bundle b -- sleep 600)
rt create --bundle "$bundle" "$id"
rt start "$id"
agent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pids"]["agent"])' "$ROOT/$id/state.json")
[ "$agent" -gt 1 ] || fail "no agent pid in the state"

# A request in flight (exec waits for its process) when the agent dies.
timeout 60 "$RUNTIME" --root "$ROOT" --config "$CONF" exec "$id" -- sleep 300 >"$WORK/exec.out" 2>&1 &
execpid=$!
sleep 1
kill -9 "$agent"
st=0
wait "$execpid" || st=$?
[ "$st" != 124 ] || fail "exec hung after the agent died (killed by timeout)"
assert_eq 1 "$st" "exec exit status after the agent died"
assert_contains "$(cat "$WORK/exec.out")" "agent" "exec error names the agent"

# Later calls fail fast and clearly.
err=$(timeout 60 "$RUNTIME" --root "$ROOT" --config "$CONF" ps "$id" 2>&1) && fail "ps succeeded without an agent"
assert_contains "$err" "$id" "ps error names the sandbox"
err=$(rt delete "$id" 2>&1) && fail "delete without --force succeeded"
rt delete --force "$id"
assert_sandbox_gone "$id"
finish
