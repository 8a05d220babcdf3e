# Helpers for VM sandbox tests (sourced after tests/lib.sh): the runtime test helpers
# with the configuration the `initrd` target wrote (qemu driver, guest kernel, initrd)
# plus a test-only cgroup parent. Skips when the guest or QEMU is not there.
source "$KATA_SOURCE_DIR/tests/integration/runtime/runtime-lib.sh"

QEMU_CONF=$KATA_BUILD_DIR/configuration-qemu.toml

vm_setup() {
        require_root
        if [ ! -f "$QEMU_CONF" ]; then
                echo "SKIP [$TEST_NAME]: $QEMU_CONF missing (build the \`initrd\` target)"
                exit 77
        fi
        command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 not installed"
        [ -x "$KATA_BIN/kata-vsock-backend" ] || fail "kata-vsock-backend not built"
        runtime_setup
        # The same guest, with the sandbox cgroups under the test's own parent.
        sed "s|^\[hypervisor.qemu\]\$|[hypervisor.qemu]\ncgroup_parent = \"/$CG_PARENT\"|" \
                "$QEMU_CONF" >"$CONF"
        grep -q "^cgroup_parent = \"/$CG_PARENT\"" "$CONF" || fail "cannot set cgroup_parent in $CONF"
}

# Asserts that VM sandbox SID left nothing: the runtime's checks plus QEMU and backend.
assert_vm_gone() {
        assert_sandbox_gone "$1"
        ! ls -d /sys/fs/cgroup/*/"$CG_PARENT"/kata_"$1" >/dev/null 2>&1 ||
                fail "cgroups left: $(ls -d /sys/fs/cgroup/*/"$CG_PARENT"/kata_"$1")"
        ! pgrep -af "qemu-system.*$ROOT/$1/" >/dev/null || fail "QEMU of $1 still runs"
        ! pgrep -af "kata-vsock-backend.*$ROOT/$1/" >/dev/null || fail "backend of $1 still runs"
        pass
}
