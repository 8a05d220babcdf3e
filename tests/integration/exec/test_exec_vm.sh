#!/usr/bin/env bash
# kata-ctl exec on a VM sandbox (qemu driver, TCG here): the console reaches the guest
# through the vhost-user-vsock backend; exit statuses, stdout/stderr and binary output
# as on the local driver; the shell is the guest's (its kernel, not the host's), also
# interactively on a pseudo-terminal in the guest.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/vm/vm-lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/exec/exec-lib.sh"
vm_setup
sed -i 's|^\[agent.kata\]$|[agent.kata]\ndebug_console_enabled = true|' "$CONF"
kexec() {
        "$KATA_CTL" exec --root "$ROOT" -t 30000 "$@"
}

sb=exec-vm-$$
bundle=$(make_bundle b -- sleep 600)
rt create --bundle "$bundle" "$sb"
rt start "$sb"

status=0
kexec "$sb" -- sh -c 'echo out; echo err >&2; exit 3' >"$WORK/out" 2>"$WORK/err" || status=$?
assert_eq 3 "$status" "exit status of sh -c 'exit 3'"
assert_eq out "$(cat "$WORK/out")" "stdout"
assert_eq err "$(cat "$WORK/err")" "stderr"
assert_status 0 kexec "$sb" -- true
assert_status 127 kexec "$sb" -- no-such-command-$$
assert_status 137 kexec "$sb" -- sh -c 'kill -KILL $$'
assert_contains "$(kexec "$sb" -- uname -r)" "cloud-amd64" "the command runs in the guest"
assert_ne "$(uname -r)" "$(kexec "$sb" -- uname -r)" "guest kernel (must not be the host's)"
# Binary both ways: random bytes sent as stdin come back unchanged through cat.
head -c 1000000 /dev/urandom >"$WORK/in"
assert_eq "$(md5sum <"$WORK/in" | cut -d' ' -f1)" \
        "$(kexec "$sb" -- cat <"$WORK/in" | md5sum | cut -d' ' -f1)" "1 MB of random bytes through the guest"
assert_eq "$(md5sum <"$WORK/in" | cut -d' ' -f1)" \
        "$(kexec "$sb" -- md5sum <"$WORK/in" | cut -d' ' -f1)" "md5 computed in the guest"
# Interactive: busybox's ash on a pseudo-terminal in the guest.
command -v tmux >/dev/null || fail "tmux is not installed"
check_interactive_shell "$sb"
rt delete --force "$sb"
assert_vm_gone "$sb"
finish
