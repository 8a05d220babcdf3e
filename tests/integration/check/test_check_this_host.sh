#!/usr/bin/env bash
# kata-ctl check on this machine (PVM KVM, no vmx/svm, no module support, hybrid
# cgroups, no systemd) compared with virt-host-validate, plus the CLI's rules.
source "$KATA_SOURCE_DIR/tests/lib.sh"
require_root
ctl=$KATA_BIN/kata-ctl
fixtures=$KATA_SOURCE_DIR/tests/fixtures/hosts

for hv in local qemu; do
        assert_status 0 "$ctl" check no-network-checks --hypervisor "$hv"
done

out=$("$ctl" check no-network-checks --hypervisor qemu -v)
assert_contains "$out" "kvm.create-vcpu" "verbose output"
assert_contains "$out" "KVM is usable" "functional probe"
if [ -e /sys/module/kvm_pvm ]; then
        assert_contains "$out" "kvm_pvm" "flavour"
        assert_contains "$out" "TCG" "fallback"
fi
assert_contains "$out" "System is capable of running Kata Containers" "closing line"
assert_contains "$out" "System can currently create Kata Containers" "root closing line"
assert_contains "$out" "Version check skipped" "no network in no-network-checks"

# virt-host-validate calls this host unfit; we say it works (with the PVM caveat).
if command -v virt-host-validate >/dev/null; then
        vhv=$(virt-host-validate qemu 2>&1 || true)
        if [ -e /sys/module/kvm_pvm ]; then
                assert_contains "$vhv" "FAIL" "virt-host-validate output"
        fi
fi

# As root, 'all' does no network check unless --network; KATA_CHECK_NO_NETWORK too.
# An unreachable release URL proves it: a network attempt would print a WARN line.
out=$(KATA_RELEASE_URL=http://127.0.0.1:9/none "$ctl" check all -v)
assert_contains "$out" "running as root (use --network)" "root rule"
assert_not_contains "$out" "version check failed" "root rule"
out=$(KATA_CHECK_NO_NETWORK=1 KATA_RELEASE_URL=http://127.0.0.1:9/none "$ctl" check --network -v)
assert_contains "$out" "KATA_CHECK_NO_NETWORK is set" "env rule"
out=$(KATA_RELEASE_URL=http://127.0.0.1:9/none "$ctl" check --network --timeout 2)
assert_contains "$out" "WARN: version check failed" "network failure is a warning"
assert_status 0 env KATA_RELEASE_URL=http://127.0.0.1:9/none "$ctl" check --network --timeout 2

# Go flags and subcommands.
assert_status 0 "$ctl" check -n --hypervisor local
assert_status 0 "$ctl" check --no-network-checks -q
assert_eq "" "$("$ctl" check -n -q --hypervisor qemu)" "quiet output when nothing fails"

# Usage errors exit 2.
assert_status 2 "$ctl" check bogus
assert_status 2 "$ctl" check --hypervisor xen
assert_status 2 "$ctl" check --timeout 0
assert_status 2 "$ctl" check list no-network-checks
assert_status 0 "$ctl" check --help

# list
out=$("$ctl" check list)
assert_contains "$out" "kvm.create-vm" "list"
assert_contains "$out" "firecracker" "list"

# Fixture hosts through the binary: verdicts become exit codes.
assert_status 1 "$ctl" check -n --host-root "$fixtures/no-kvm" --hypervisor firecracker
assert_status 0 "$ctl" check -n --host-root "$fixtures/no-kvm" --hypervisor qemu
assert_status 1 "$ctl" check -n --host-root "$fixtures/no-kvm" --hypervisor qemu --strict
assert_status 1 "$ctl" check -n --host-root "$fixtures/cgroup-v2-no-memory" --hypervisor local
out=$("$ctl" check -n --host-root "$fixtures/no-kvm" --hypervisor firecracker || true)
assert_contains "$out" "System is not capable of running Kata Containers" "failure line"
out=$("$ctl" check -n -q --host-root "$fixtures/no-kvm" --hypervisor firecracker || true)
assert_contains "$out" "kvm.device" "quiet shows failures"
assert_not_contains "$out" "Verdicts" "quiet output"
assert_status 1 "$ctl" check -n --host-root /nonexistent

finish
