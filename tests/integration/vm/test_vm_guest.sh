#!/usr/bin/env bash
# Inside the VM the agent is init (GetGuestDetails), cgroups are v2, the seed's systemd
# cgroup path runs under cgroupfs, a memory limit produces an OOM kill that GetOOMEvent
# reports, and the debug console's shell (busybox in the initrd) answers.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/vm/vm-lib.sh"
vm_setup
[ -x "$KATA_CTL" ] || fail "kata-ctl not built: $KATA_CTL"
sed -i 's|^\[agent.kata\]$|[agent.kata]\ndebug_console_enabled = true|' "$CONF"

id=vmguest-$$
bundle=$(make_bundle b1 --cgroups-path "system.slice:kata:$id" --memory 16777216 -- sleep 600)
rt create --bundle "$bundle" "$id"
rt start "$id"
agent() {
        "$KATA_CTL" agent --addr "hvsock://$ROOT/$id/kata.hvsock:1024" --timeout 30 "$@"
}

details=$(agent GetGuestDetails '{}')
assert_eq True "$(jget "$details" 'j["agent_details"]["init_daemon"]')" "GetGuestDetails init_daemon"
assert_eq cgroupfs "$(jget "$details" 'j["agent_details"]["cgroup_driver"]')" "cgroup driver"

# The debug console (port 1026 through the backend): busybox's shell in the guest.
out=$( (printf 'CONNECT 1026\n'; sleep 1; printf 'echo console-$((6 * 7)); exit\n'; sleep 1) |
        timeout 20 socat - "UNIX-CONNECT:$ROOT/$id/kata.hvsock" 2>&1 || true)
assert_contains "$out" "console-42" "a command run by the guest's debug console"

# cgroup v2 only: one "0::" line, and a cgroup2 mount; the systemd path mapped as the
# seed's fix wants it.
cg=$(rt exec "$id" -- cat /proc/self/cgroup)
assert_eq "0::/system.slice/kata-$id.scope" "$cg" "container /proc/self/cgroup"
assert_contains "$(rt exec "$id" -- cat /proc/self/mountinfo)" " - cgroup2 " "cgroup2 mounted"
assert_not_contains "$(rt exec "$id" -- cat /proc/self/mountinfo)" " - cgroup cgroup " \
        "no cgroup v1 mount"
state=$(rt state "$id")
assert_eq running "$(jget "$state" 'j["status"]')" "state status"
assert_eq qemu "$(jget "$state" 'j["hypervisor"]')" "state hypervisor"

# 16 MiB limit, 48 MiB wanted: the kernel kills the hog, the agent reports the OOM.
status=0
rt exec "$id" -- sh -c 'a=$(head -c 50000000 /dev/zero | tr "\000" x); echo ${#a}' \
        >/dev/null 2>&1 || status=$?
assert_eq 137 "$status" "exit status of the OOM-killed process (SIGKILL)"
oom=$(agent GetOOMEvent '{}')
assert_eq "$id" "$(jget "$oom" 'j["container_id"]')" "GetOOMEvent container"
# The container's init survived: only the hog was killed.
assert_eq running "$(jget "$(rt state "$id")" 'j["status"]')" "state after the OOM kill"

rt delete --force "$id"
assert_vm_gone "$id"
finish
