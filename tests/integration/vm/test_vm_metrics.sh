#!/usr/bin/env bash
# kata-ctl metrics and monitor on a VM sandbox: the host sees QEMU (kata_hypervisor_*),
# the guest's figures come from the agent (kata_agent_*, kata_guest_*), every series is
# labelled with the sandbox, and the exposition passes promtool.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/vm/vm-lib.sh"
vm_setup
KATA_CTL=$KATA_BIN/kata-ctl

id=vmmetrics-$$
bundle=$(make_bundle b --memory 67108864 -- sleep 600)
rt create --bundle "$bundle" "$id"
rt start "$id"
text=$("$KATA_CTL" metrics --root "$ROOT" "$id")
for family in kata_hypervisor_ kata_agent_ kata_guest_ kata_monitor_; do
        assert_contains "$text" "$family" "metrics of the VM sandbox"
done
assert_contains "$text" "sandbox_id=\"$id\"" "series labelled with the sandbox"
qemu_pid=$(cat "$ROOT/$id/qemu.pid")
if command -v promtool >/dev/null; then
        lint=$(printf '%s\n' "$text" | promtool check metrics 2>&1) || fail "promtool: $lint"
        pass
fi

# The same through the HTTP endpoint.
"$KATA_CTL" monitor --root "$ROOT" --listen 127.0.0.1:0 >"$WORK/monitor.out" 2>&1 &
mon=$!
port=
for _ in $(seq 100); do
        port=$(grep -oE 'port [0-9]+' "$WORK/monitor.out" | head -1 | cut -d' ' -f2 || true)
        [ -n "$port" ] && break
        sleep 0.05
done
[ -n "$port" ] || fail "monitor did not say its port: $(cat "$WORK/monitor.out")"
body=$(curl -sf --noproxy '*' "http://127.0.0.1:$port/metrics?sandbox=$id")
assert_contains "$body" "kata_guest_" "monitor /metrics?sandbox= of a VM sandbox"
kill -TERM "$mon"
wait "$mon" || fail "monitor did not exit 0 on SIGTERM"
pass
kill -0 "$qemu_pid" || fail "QEMU died during the scrape"
rt delete --force "$id"
assert_vm_gone "$id"
finish
