#!/usr/bin/env bash
# Two containers in one VM: the second one's rootfs is hot-plugged into the running VM
# (QMP) as a second disk; both run, each sees its own root; deleting it unplugs its disk
# and frees the slot; the last delete stops the VM cleanly (the agent powers off) and
# leaves nothing.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/vm/vm-lib.sh"
vm_setup

pod=vmpod-$$
b1=$(make_bundle b1 --rw -- sleep 600)
b2=$(make_bundle b2 -- sleep 600)
echo first >"$b1/rootfs/which"
echo second >"$b2/rootfs/which"
rt create --bundle "$b1" "$pod"
rt start "$pod"
rt create --bundle "$b2" --sandbox "$pod" "$pod-c2"
rt start "$pod-c2"

assert_eq first "$(rt exec "$pod" -- cat /which)" "first container's root"
assert_eq second "$(rt exec "$pod-c2" -- cat /which)" "second container's root"
disks=$(rt exec "$pod" -- cat /proc/partitions)
assert_contains "$disks" "vda" "first disk"
assert_contains "$disks" "vdb" "hot-plugged second disk"
# A writable root is an overlay whose upper layer is in guest memory (the disk itself
# is attached read-only); a read-only root is the disk.
assert_contains "$(rt exec "$pod" -- grep " / " /proc/mounts)" "overlay / overlay" "writable root"
assert_contains "$(rt exec "$pod-c2" -- grep " / " /proc/mounts)" "/dev/vd" "read-only root"
# A writable root is writable, a read-only one is not.
rt exec "$pod" -- sh -c 'echo x >/written'
assert_eq x "$(rt exec "$pod" -- cat /written)" "write to the writable root"
status=0
rt exec "$pod-c2" -- sh -c 'echo x >/written' 2>/dev/null || status=$?
assert_ne 0 "$status" "write to a read-only root"
list=$(rt list --json)
assert_eq "$pod $pod" "$(jget "$list" '" ".join(c["sandbox"] for c in j)')" "both in one sandbox"

rt delete --force "$pod-c2"
[ -d "$ROOT/$pod" ] || fail "sandbox removed while a container remains"
# Its disk left the guest and its slot is free again: a third container gets it.
assert_not_contains "$(rt exec "$pod" -- cat /proc/partitions)" "vdb" "disk of the deleted container"
[ -z "$(ls "$ROOT/$pod"/disk*-"$pod-c2".img 2>/dev/null)" ] || fail "image of $pod-c2 left"
rt create --bundle "$b2" --sandbox "$pod" "$pod-c3"
rt start "$pod-c3"
assert_eq second "$(rt exec "$pod-c3" -- cat /which)" "third container's root"
assert_contains "$(ls "$ROOT/$pod")" "disk1-$pod-c3.img" "slot reused"
rt delete --force "$pod-c3"
# DestroySandbox makes the agent power the VM off: QEMU exits by itself, nothing is
# killed on a timeout.
rt delete --force "$pod" 2>"$WORK/stderr"
assert_not_contains "$(cat "$WORK/stderr")" "killing it" "delete stops the VM cleanly"
assert_vm_gone "$pod"
finish
