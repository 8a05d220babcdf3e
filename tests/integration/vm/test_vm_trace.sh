#!/usr/bin/env bash
# Tracing a VM sandbox: `kata-ctl spans record` around `kata-runtime run` (qemu driver).
# The agent's spans leave the guest over vsock, cross kata-vsock-backend to
# <sandbox>/kata.hvsock_10240, reach the forwarder and land in the same LTTng trace as
# the runtime's, as children of its client spans.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/vm/vm-lib.sh"
vm_setup
KATA_CTL=$KATA_BIN/kata-ctl

id=vmtrace-$$
bundle=$(make_bundle b -- sh -c 'echo traced; exit 4')
st=0
out=$("$KATA_CTL" spans record -o "$WORK/trace" -- \
        "$RUNTIME" --root "$ROOT" --config "$CONF" run --bundle "$bundle" "$id" 2>&1) || st=$?
assert_eq 4 "$st" "record passes on run's exit status"
assert_contains "$out" "traced" "container output"
assert_contains "$out" "0 orphans" "record summary"
report=$("$KATA_CTL" spans report "$WORK/trace")
assert_contains "$report" "[agent]" "agent spans in the host trace"
check=$("$KATA_CTL" spans check "$WORK/trace" --expect "$KATA_SOURCE_DIR/tests/expect/vm-run.expect") ||
        fail "vm-run.expect fails:
$check
$report"
pass
assert_vm_gone "$id"
finish
