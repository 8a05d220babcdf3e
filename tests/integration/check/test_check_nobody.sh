#!/usr/bin/env bash
# kata-ctl check as an unprivileged user who cannot open /dev/kvm: the hint says so and
# what to do; local and qemu still pass (qemu with TCG).
source "$KATA_SOURCE_DIR/tests/lib.sh"
require_root
id nobody >/dev/null 2>&1 || { echo "SKIP [$TEST_NAME]: no user nobody"; exit 77; }
if setpriv --reuid nobody --regid nogroup --clear-groups test -r /dev/kvm -a -w /dev/kvm 2>/dev/null; then
        echo "SKIP [$TEST_NAME]: nobody can open /dev/kvm here"
        exit 77
fi
[ -e /dev/kvm ] || { echo "SKIP [$TEST_NAME]: no /dev/kvm"; exit 77; }

dir=$(scratch_dir)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
install -m 755 "$KATA_BIN/kata-ctl" "$dir/kata-ctl"
as_nobody() { setpriv --reuid nobody --regid nogroup --clear-groups "$@"; }

out=$(cd / && as_nobody "$dir/kata-ctl" check no-network-checks --hypervisor qemu -v)
assert_contains "$out" "no permission on /dev/kvm" "hint"
assert_contains "$out" "kvm" "hint names the group"
assert_contains "$out" "System is capable of running Kata Containers" "qemu under TCG"
assert_not_contains "$out" "System can currently create" "non-root closing line"
assert_contains "$out" "TCG" "qemu verdict"
assert_status 0 as_nobody "$dir/kata-ctl" check no-network-checks --hypervisor local
assert_status 0 as_nobody "$dir/kata-ctl" check no-network-checks --hypervisor qemu
assert_status 1 as_nobody "$dir/kata-ctl" check no-network-checks --hypervisor firecracker
json=$(as_nobody "$dir/kata-ctl" check no-network-checks --json)
assert_contains "$json" '"probe":"no-permission"' "json probe outcome"
finish
