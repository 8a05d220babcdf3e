#!/usr/bin/env bash
# kata-ctl top on a real VM sandbox (qemu driver): the sandbox's figures from the host
# (the VMM's cgroup), its containers' figures and processes from the agent inside the
# guest; a busy container above 50% CPU and an idle one below 5% (guest time); EXEC/s is
# not claimed for a VM (the host's eBPF cannot see the guest). Skips without the guest
# image (build the `initrd` target).
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/vm/vm-lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/top/top-lib.sh"
vm_setup

busy=$(make_bundle busy-bundle -- sh -c 'while :; do :; done')
idle=$(make_bundle idle-bundle -- sleep 600)
rt create --bundle "$busy" vmtop && rt start vmtop
rt create --bundle "$idle" --sandbox vmtop vmtop-idle && rt start vmtop-idle

frames=$("$TOP" top --json -n 3 -d 2 --root "$ROOT")
json=$(tail -n 1 <<<"$frames")
q() { jq -r "$1" <<<"$json"; }
assert_eq qemu "$(q '.sandboxes[0].hypervisor')" "driver"
assert_eq host "$(q '.sandboxes[0].stats_source')" "sandbox figures (the VMM's cgroup)"
assert_ne null "$(q '.sandboxes[0].vmm_pid')" "VMM pid"
assert_eq true "$(q '.sandboxes[0].agent.ok')" "agent health over hybrid vsock"
assert_eq null "$(q '.sandboxes[0].exec_per_sec')" "no exec/s for a VM"
for c in vmtop vmtop-idle; do
        sel=".sandboxes[0].containers[] | select(.id==\"$c\")"
        assert_eq agent "$(q "$sel | .stats_source")" "$c figures from the agent"
        assert_eq 1 "$(q "$sel | .pids_current")" "$c pids"
        assert_eq null "$(q "$sel | .processes[0].host_pid")" "$c host pid (not visible)"
        assert_ne null "$(q "$sel | .processes[0].sandbox_pid")" "$c guest pid"
done
assert_eq "sh -c while :; do :; done" \
        "$(q '.sandboxes[0].containers[] | select(.id=="vmtop") | .processes[0].args')" "busy args"
cpus() { jq -r ".sandboxes[0].containers[] | select(.id==\"$1\") | .cpu_percent" <<<"$frames"; }
best=$(cpus vmtop | sort -g | tail -n 1)
awk -v v="$best" 'BEGIN { exit !(v > 50) }' || fail "busy VM container at $(cpus vmtop | tr '\n' ' ')% CPU"
pass
worst=$(cpus vmtop-idle | sort -g | tail -n 1)
awk -v v="$worst" 'BEGIN { exit !(v >= 0 && v < 5) }' || fail "idle VM container at $worst% CPU"
pass
finish
