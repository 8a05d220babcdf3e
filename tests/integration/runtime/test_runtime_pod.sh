#!/usr/bin/env bash
# A pod of two containers: exec, ps, stats, kill, pause/resume, list; deleting the last
# container removes the sandbox with its cgroups, agent, mounts and state.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/runtime/runtime-lib.sh"
runtime_setup

pod=pod-$$
b1=$(make_bundle b1 --memory 67108864 --pids 64 -- sleep 600)
b2=$(make_bundle b2 -- sh -c 'trap "exit 3" TERM; while :; do sleep 0.1; done')
rt create --bundle "$b1" --pid-file "$WORK/c1.pid" "$pod"
rt start "$pod"
rt create --bundle "$b2" --sandbox "$pod" "$pod-c2"
rt start "$pod-c2"

list=$(rt list --json)
assert_eq 2 "$(jget "$list" 'len(j)')" "containers listed"
assert_eq "$pod $pod" "$(jget "$list" '" ".join(c["sandbox"] for c in j)')" "both in one sandbox"
pid=$(cat "$WORK/c1.pid")
assert_eq "$pid" "$(jget "$(rt state "$pod")" 'j["pid"]')" "pid file matches state"
assert_contains "$(cat /proc/$pid/cmdline | tr '\0' ' ')" "sleep 600" "pid file names the container init"

# exec: output, exit status, environment of the container.
out=$(rt exec "$pod" -- sh -c 'echo in-$(hostname); exit 5') && st=0 || st=$?
assert_eq 5 "$st" "exec exit status"
assert_contains "$out" "in-" "exec output"
out=$(rt exec --env FOO=bar "$pod" sh -c 'echo $FOO')
assert_eq bar "$out" "exec --env"

# ps and stats agree with the host.
ps=$(rt ps --json "$pod")
assert_eq "$pid" "$(jget "$ps" '[p["pid"] for p in j if p["comm"]=="sleep"][0]')" "ps host pid"
stats=$(rt stats --json "$pod")
limit=$(jget "$stats" 'j["cgroup_stats"]["memory_stats"]["usage"]["limit"]')
assert_eq 67108864 "$limit" "stats memory limit"
# Without linux.cgroupsPath the container's cgroup is /<container-id> in the sandbox's.
cgdir=/sys/fs/cgroup/memory/$CG_PARENT/kata_$pod/$pod
assert_eq "$(cat "$cgdir/memory.limit_in_bytes")" "$limit" "stats vs memory.limit_in_bytes"
assert_eq 64 "$(jget "$stats" 'j["cgroup_stats"]["pids_stats"]["limit"]')" "stats pids limit"
rt stats "$pod" | grep -q MEMORY || fail "stats text output has no MEMORY line"
pass

# pause/resume: the freezer state follows.
rt pause "$pod"
assert_eq paused "$(jget "$(rt state "$pod")" 'j["status"]')" "state after pause"
fz=/sys/fs/cgroup/freezer/$CG_PARENT/kata_$pod/$pod
assert_eq FROZEN "$(cat "$fz/freezer.state")" "freezer.state after pause"
rt resume "$pod"
assert_eq THAWED "$(cat "$fz/freezer.state")" "freezer.state after resume"
assert_eq running "$(jget "$(rt state "$pod")" 'j["status"]')" "state after resume"

# kill: TERM reaches the second container's init, which exits.
rt kill "$pod-c2" TERM
for _ in $(seq 100); do
        [ "$(jget "$(rt state "$pod-c2")" 'j["status"]')" = stopped ] && break
        sleep 0.05
done
assert_eq stopped "$(jget "$(rt state "$pod-c2")" 'j["status"]')" "state after kill"

# A running container is not deleted without --force.
assert_status 1 rt delete "$pod"
err=$(rt delete "$pod" 2>&1 || true)
assert_contains "$err" "--force" "delete of a running container says how"
rt delete "$pod-c2"
assert_eq 1 "$(jget "$(rt list --json)" 'len(j)')" "one container left"
[ -d "$ROOT/$pod" ] || fail "sandbox removed while a container remains"
rt delete --force "$pod"
assert_eq 0 "$(jget "$(rt list --json)" 'len(j)')" "no container left"
kill -0 "$pid" 2>/dev/null && fail "container process $pid survived delete"
assert_sandbox_gone "$pod"
finish
