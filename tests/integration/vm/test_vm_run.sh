#!/usr/bin/env bash
# A container in a real VM (qemu driver, TCG here): `run` relays the container's output
# and exits with its status; the rootfs reached the guest as a disk; nothing is left.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/vm/vm-lib.sh"
vm_setup

id=vmrun-$$
script='echo "hello from $(uname -r)"; echo to-stderr >&2; grep " / " /proc/mounts; exit 7'
bundle=$(make_bundle b1 -- sh -c "$script")
status=0
out=$(rt run --bundle "$bundle" "$id" 2>"$WORK/stderr") || status=$?
assert_eq 7 "$status" "run exit status (the container's)"
assert_contains "$out" "hello from " "container stdout"
assert_not_contains "$out" "hello from $(uname -r)" "guest kernel (must not be the host's)"
assert_contains "$out" "cloud-amd64" "guest kernel"
assert_contains "$out" "/dev/vd" "container root on a virtio-blk disk"
assert_contains "$(cat "$WORK/stderr")" "to-stderr" "container stderr relayed"
assert_vm_gone "$id"

# QEMU killed under a running sandbox: the backend notices and exits, the runtime sees
# the VM gone, and delete --force still cleans everything.
b2=$(make_bundle b2 -- sleep 600)
rt create --bundle "$b2" "$id-k"
qpid=$(cat "$ROOT/$id-k/qemu.pid")
bpid=$(cat "$ROOT/$id-k/vsock-backend.pid")
kill -9 "$qpid"
for _ in $(seq 100); do
        kill -0 "$bpid" 2>/dev/null || break
        sleep 0.05
done
kill -0 "$bpid" 2>/dev/null && fail "the backend outlived QEMU"
rt delete --force "$id-k" 2>/dev/null
assert_vm_gone "$id-k"

# The kernel's vhost-vsock instead of our backend: this machine has no /dev/vhost-vsock,
# which the error says, and nothing is left.
if [ ! -e /dev/vhost-vsock ]; then
        cp "$CONF" "$WORK/vhost.toml"
        sed -i 's|^\[hypervisor.qemu\]$|[hypervisor.qemu]\nuse_vhost_vsock = true|' "$WORK/vhost.toml"
        status=0
        "$RUNTIME" --root "$ROOT" --config "$WORK/vhost.toml" run --bundle "$bundle" "$id-vh" \
                >/dev/null 2>"$WORK/stderr" || status=$?
        assert_ne 0 "$status" "run with use_vhost_vsock and no /dev/vhost-vsock"
        assert_contains "$(cat "$WORK/stderr")" "/dev/vhost-vsock" "error names the device"
        assert_vm_gone "$id-vh"
fi

# A bad kernel path fails the create with a message naming it, and leaves nothing.
sed -i 's|^kernel = .*|kernel = "/nonexistent/vmlinuz"|' "$CONF"
status=0
rt run --bundle "$bundle" "$id-bad" >/dev/null 2>"$WORK/stderr" || status=$?
assert_ne 0 "$status" "run with a missing kernel"
assert_contains "$(cat "$WORK/stderr")" "/nonexistent/vmlinuz" "error names the kernel"
assert_vm_gone "$id-bad"
finish
