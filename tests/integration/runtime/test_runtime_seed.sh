#!/usr/bin/env bash
# The seed's case end to end: the host asks for a systemd cgroup path, the agent is init
# and has no systemd, so it uses cgroupfs with the mapped path and does not crash.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/runtime/runtime-lib.sh"
runtime_setup

id=seed-$$
bundle=$(make_bundle b1 --cgroups-path "system.slice:kata:$id" -- \
        sh -c 'cat /proc/self/cgroup; echo to-stderr >&2; exit 7')
status=0
out=$(rt run --bundle "$bundle" "$id" 2>"$WORK/stderr") || status=$?
assert_eq 7 "$status" "run exit status (the container's)"
assert_contains "$out" "memory:/system.slice/kata-$id.scope" "container /proc/self/cgroup"
assert_contains "$out" "pids:/system.slice/kata-$id.scope" "container /proc/self/cgroup"
assert_contains "$(cat "$WORK/stderr")" "to-stderr" "container stderr relayed"
assert_sandbox_gone "$id"

# The same sandbox kept alive: the agent reports init mode and the driver it chose.
bundle=$(make_bundle b2 --cgroups-path "system.slice:kata:$id" -- sleep 600)
rt create --bundle "$bundle" "$id"
rt start "$id"
details=$("$KATA_CTL" agent --addr "hvsock://$ROOT/$id/kata.hvsock:1024" GetGuestDetails '{}')
assert_eq True "$(jget "$details" 'j["agent_details"]["init_daemon"]')" "GetGuestDetails init_daemon"
assert_eq cgroupfs "$(jget "$details" 'j["agent_details"]["cgroup_driver"]')" "cgroup driver"
state=$(rt state "$id")
assert_eq running "$(jget "$state" 'j["status"]')" "state status"
pid=$(jget "$state" 'j["pid"]')
[ "$pid" -gt 1 ] || fail "state pid '$pid' is not a host pid"
assert_contains "$(cat /proc/$pid/cgroup)" "/$CG_PARENT/kata_$id/system.slice/kata-$id.scope" \
        "host view of the container's cgroup"
rt delete --force "$id"
assert_sandbox_gone "$id"
finish
