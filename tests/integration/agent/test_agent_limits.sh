#!/usr/bin/env bash
# Limits from the OCI spec hold: a pids limit stops a fork bomb (and remove still cleans
# it up), a memory limit ends in an OOM kill that a pending GetOOMEvent reports with the
# container's id.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/agent/agent-lib.sh"

agent_setup
agent_start

# --- fork bomb under pids.max = 16 ---
bundle=$(make_bundle bomb --cgroups-path "system.slice:kata:bomb" --pids 16 -- \
        sh -c 'echo armed; bomb() { bomb | bomb & }; bomb 2>/dev/null; sleep 1000')
create_container bomb "$bundle"
pidsdir=$(container_cgroup_dir pids /system.slice/kata-bomb.scope)
assert_eq 16 "$(cat "$pidsdir/pids.max")" "pids.max"
rpc StartContainer '{"container_id":"bomb"}' >/dev/null
assert_eq armed "$(read_some bomb)" "bomb stdout"
# Wait until the limit was hit at least once (a loaded machine may take a while).
for i in $(seq 1 600); do
        events=$(awk '/^max/ {print $2}' "$pidsdir/pids.events")
        [ "${events:-0}" -gt 0 ] && break
        sleep 0.05
done
[ "${events:-0}" -gt 0 ] || fail "pids.events shows no refused fork"
pass
current=$(cat "$pidsdir/pids.current")
[ "$current" -le 16 ] || fail "pids.current $current above the limit 16"
pass
stats=$(rpc StatsContainer '{"container_id":"bomb"}')
assert_eq 16 "$(echo "$stats" | jq -r .cgroup_stats.pids_stats.limit)" "pids limit in stats"
assert_eq SERVING "$(rpc Check | jq -r .status)" "health during the fork bomb"
rpc RemoveContainer '{"container_id":"bomb","timeout":20}' >/dev/null
[ ! -d "$pidsdir" ] || fail "fork bomb cgroup left behind"
pass

# --- OOM kill under memory.limit = 32 MiB, no swap ---
oom_out=$WORK/oom.json
"$KATA_CTL" agent --addr "$ADDR" --compact -t 120 GetOOMEvent >"$oom_out" 2>&1 &
oom_poll=$!
bundle=$(make_bundle hog --cgroups-path "system.slice:kata:hog" --memory 33554432 -- \
        dd if=/dev/zero of=/dev/null bs=128M count=1)
jq '.linux.resources.memory.swap = 33554432' "$bundle/config.json" >"$bundle/c.json"
mv "$bundle/c.json" "$bundle/config.json"
create_container hog "$bundle"
memdir=$(container_cgroup_dir memory /system.slice/kata-hog.scope)
assert_eq 33554432 "$(cat "$memdir/memory.limit_in_bytes")" "memory.limit_in_bytes"
rpc StartContainer '{"container_id":"hog"}' >/dev/null
status=$(rpc WaitProcess '{"container_id":"hog"}' | jq -r .status)
assert_eq 137 "$status" "status of the OOM-killed init (128 + SIGKILL)"
wait "$oom_poll" || fail "GetOOMEvent failed: $(cat "$oom_out")"
pass
assert_eq hog "$(jq -r .container_id "$oom_out")" "GetOOMEvent container id"
stats=$(rpc StatsContainer '{"container_id":"hog"}')
assert_eq 1 "$(echo "$stats" | jq -r '.cgroup_stats.memory_stats.stats.oom_kill // 0')" "oom_kill count in stats"
assert_eq 1 "$(awk '/^oom_kill / {print $2}' "$memdir/memory.oom_control")" "oom_kill in memory.oom_control"

rpc RemoveContainer '{"container_id":"hog"}' >/dev/null
[ ! -d "$memdir" ] || fail "memory cgroup left behind"
pass
assert_eq SERVING "$(rpc Check | jq -r .status)" "health after the OOM"
finish
