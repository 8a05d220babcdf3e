#!/usr/bin/env bash
# kata-ctl monitor over real kata-runtime sandboxes (local driver): two sandboxes (one with
# two containers) are exported lint-clean with their host, agent and container series; a
# deleted sandbox leaves the exposition; a killed agent leaves host-side series and a
# failed-scrape count.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/runtime/runtime-lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/monitor/monitor-lib.sh"

runtime_setup
BG_PIDS=()
monitor_runtime_cleanup() {
        local rc=$? p
        for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
        for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
        [ $rc != 0 ] && [ -f "$WORK/monitor.err" ] && tail -20 "$WORK/monitor.err" >&2
        (exit $rc)
        runtime_cleanup
}
trap monitor_runtime_cleanup EXIT

idle=$(make_bundle idle -- sleep 600)
rt create --bundle "$idle" sa >/dev/null && rt start sa >/dev/null || fail "sandbox sa did not start"
rt create --bundle "$idle" sb >/dev/null && rt start sb >/dev/null || fail "sandbox sb did not start"
rt create --bundle "$idle" --sandbox sb sb-2 >/dev/null && rt start sb-2 >/dev/null ||
        fail "container sb-2 did not start"
monitor_start --agent-timeout 2000

text=$(curl --noproxy '*' -sf "$MONITOR_URL/metrics") || fail "GET /metrics failed"
lint=$(promtool check metrics <<<"$text" 2>&1) || fail "promtool check metrics failed: $lint"
assert_eq "" "$lint" "promtool findings"
assert_eq 2 "$(metric "$text" kata_monitor_running_sandboxes)" "running sandboxes"
for s in sa sb; do
        assert_eq 1 "$(metric "$text" "kata_monitor_agent_up{sandbox_id=\"$s\"}")" "$s agent up"
        assert_ne "" "$(metric "$text" "kata_sandbox_memory_usage_bytes{sandbox_id=\"$s\"}")" "$s cgroup memory"
        assert_ne "" "$(metric "$text" "kata_agent_threads{sandbox_id=\"$s\"}")" "$s agent threads"
done
for c in sa:sa sb:sb sb:sb-2; do
        v=$(metric "$text" "kata_container_pids{sandbox_id=\"${c%%:*}\",container_id=\"${c#*:}\"}")
        [ -n "$v" ] && [ "$v" -ge 1 ] || fail "container ${c#*:}: pids '$v', expected >= 1"
        pass
done
assert_eq 2 "$(metric "$text" 'kata_guest_containers{sandbox_id="sb"}')" "containers the agent of sb manages"

# A deleted sandbox leaves the exposition.
rt delete --force sa >/dev/null || fail "delete sa failed"
text=$(curl --noproxy '*' -sf "$MONITOR_URL/metrics") || fail "GET /metrics failed after delete"
assert_eq 1 "$(metric "$text" kata_monitor_running_sandboxes)" "running sandboxes after delete"
assert_not_contains "$text" 'sandbox_id="sa"' "exposition after deleting sa"
assert_eq 404 "$(http_status "$MONITOR_URL/metrics?sandbox=sa")" "deleted sandbox"

# sb's agent killed: its host-side series stay, the failure is counted.
agent=$(jq -r .pids.agent "$ROOT/sb/state.json")
[ "$agent" -gt 0 ] || fail "no agent pid in sb's state"
kill -9 "$agent"
text=$(curl --noproxy '*' -sf --max-time 10 "$MONITOR_URL/metrics?sandbox=sb") || fail "GET /metrics?sandbox=sb failed"
assert_eq 0 "$(metric "$text" 'kata_monitor_agent_up{sandbox_id="sb"}')" "sb agent up after kill"
assert_eq 1 "$(metric "$text" 'kata_monitor_scrape_failures_total{sandbox_id="sb"}')" "sb failures"
assert_ne "" "$(metric "$text" 'kata_sandbox_memory_usage_bytes{sandbox_id="sb"}')" "sb host-side series"
finish
