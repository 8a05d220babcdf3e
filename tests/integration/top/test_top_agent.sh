#!/usr/bin/env bash
# Figures the host cannot see (a VM): kata-ctl top asks the agent. A real sandbox's
# state is copied into a second root as a qemu sandbox without host cgroups, so every
# container's figures and processes must come from its agent (StatsContainer,
# ListProcesses), and agree with the cgroup files the agent read. An unreachable agent
# is a row with `agent.ok` false and a reason, not a failure.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/top/top-lib.sh"
runtime_setup

idle=$(make_bundle idle-bundle -- sleep 600)
rt create --bundle "$idle" vm && rt start vm
rt create --bundle "$idle" --sandbox vm vm-b && rt start vm-b

VMROOT=$WORK/vm-root
mkdir -p "$VMROOT/vm"
jq '.hypervisor = "qemu" | del(.cgroups) | del(.pids.agent)' "$ROOT/vm/state.json" \
        >"$VMROOT/vm/state.json"
mkdir -p "$VMROOT/dead"
jq '.id = "dead" | .hypervisor = "qemu" | del(.cgroups) | del(.pids.agent) |
    .agent_address = "unix://'"$WORK"'/no-such-agent.sock" | .containers = []' \
        "$ROOT/vm/state.json" >"$VMROOT/dead/state.json"

json=$("$TOP" top --json -n 2 -d 1 --no-exec --root "$VMROOT" 2>"$WORK/stderr" | tail -n 1)
assert_eq "" "$(cat "$WORK/stderr")" "stderr"
q() { jq -r "$1" <<<"$json"; }
assert_eq "dead vm" "$(q '[.sandboxes[].id] | join(" ")')" "sandboxes"

# The sandbox itself has no host figures, and that is no error.
assert_eq none "$(q '.sandboxes[1].stats_source')" "sandbox stats source"
assert_eq null "$(q '.sandboxes[1].error')" "sandbox error"
assert_eq true "$(q '.sandboxes[1].agent.ok')" "agent health"
assert_eq cgroupfs "$(q '.sandboxes[1].agent.cgroup_driver')" "agent cgroup driver (GetGuestDetails)"

for c in vm vm-b; do
        sel=".sandboxes[1].containers[] | select(.id==\"$c\")"
        assert_eq agent "$(q "$sel | .stats_source")" "$c stats source"
        assert_eq "$(cat "$(container_cgroup pids vm "$c")/pids.current")" \
                "$(q "$sel | .pids_current")" "$c pids from the agent"
        mem=$(q "$sel | .memory_usage_bytes")
        file=$(cat "$(container_cgroup memory vm "$c")/memory.usage_in_bytes")
        diff=$((mem > file ? mem - file : file - mem))
        [ "$diff" -le 65536 ] || fail "$c memory: agent says $mem, memory.usage_in_bytes $file"
        pass
        assert_ne null "$(q "$sel | .cpu_percent")" "$c CPU% from the agent's deltas"
        # Processes from ListProcesses: sandbox pids only, the host's are not visible.
        assert_eq null "$(q "$sel | .processes[0].host_pid")" "$c host pid"
        ns_pid=$(jq -r ".containers[] | select(.id==\"$c\") | .ns_pid" "$ROOT/vm/state.json")
        assert_eq "$ns_pid" "$(q "$sel | .processes[0].sandbox_pid")" "$c sandbox pid"
        assert_eq "sleep 600" "$(q "$sel | .processes[0].args")" "$c args"
done

# The dead agent: a row with the reason.
assert_eq false "$(q '.sandboxes[0].agent.ok')" "dead agent"
assert_ne null "$(q '.sandboxes[0].agent.error')" "dead agent's reason"
finish
