#!/usr/bin/env bash
# A sandbox whose agent dies or wedges: /metrics keeps answering within the agent timeout
# (agents are scraped in parallel), the sandbox keeps its host-side series and its
# failed-scrape count rises; bad requests get 400/404 and the endpoint keeps serving.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/monitor/monitor-lib.sh"

monitor_setup
sandbox_start sba
sandbox_start sbb
TIMEOUT_MS=2000
monitor_start --agent-timeout $TIMEOUT_MS

scrape() { curl --noproxy '*' -sf --max-time "${1:-20}" "$MONITOR_URL/metrics"; }
text=$(scrape)
assert_eq 1 "$(metric "$text" 'kata_monitor_agent_up{sandbox_id="sba"}')" "sba agent up"
assert_eq 0 "$(metric "$text" 'kata_monitor_scrape_failures_total{sandbox_id="sba"}')" "sba failures before"

# Kill sba's agent (pid 1 of its sandbox: its container goes with it).
kill -9 "$(agent_pid sba)"
for i in $(seq 1 50); do kill -0 "$(agent_pid sba)" 2>/dev/null || break; sleep 0.1; done
text=$(scrape 10) || fail "/metrics did not answer after the agent was killed"
assert_eq 0 "$(metric "$text" 'kata_monitor_agent_up{sandbox_id="sba"}')" "sba agent up after kill"
assert_eq 1 "$(metric "$text" 'kata_monitor_scrape_failures_total{sandbox_id="sba"}')" "sba failures after kill"
assert_ne "" "$(metric "$text" 'kata_sandbox_memory_usage_bytes{sandbox_id="sba"}')" "sba host-side memory series"
assert_eq 1 "$(metric "$text" 'kata_monitor_agent_up{sandbox_id="sbb"}')" "sbb agent still up"
assert_ne "" "$(metric "$text" 'kata_agent_threads{sandbox_id="sbb"}')" "sbb agent series"
assert_eq "" "$(metric "$text" 'kata_agent_threads{sandbox_id="sba"}')" "no agent series for sba"
text=$(scrape 10)
assert_eq 2 "$(metric "$text" 'kata_monitor_scrape_failures_total{sandbox_id="sba"}')" "sba failures count every scrape"
assert_contains "$(curl --noproxy '*' -sf "$MONITOR_URL/sandboxes")" '"failed_scrapes":2' "/sandboxes"

# Three wedged agents (accept, never answer): one scrape still ends within one agent
# timeout plus slack, well under the 3 timeouts a serial scraper would need.
wedged_sandbox sbw1
wedged_sandbox sbw2
wedged_sandbox sbw3
bound=$(( (TIMEOUT_MS * 2) / 1000 + 1 )) # 5 s < 3 x 2 s
text=$(scrape $bound) || fail "/metrics took longer than ${bound}s with three wedged agents"
for w in sbw1 sbw2 sbw3; do
        assert_eq 0 "$(metric "$text" "kata_monitor_agent_up{sandbox_id=\"$w\"}")" "$w agent up"
        assert_eq 1 "$(metric "$text" "kata_monitor_scrape_failures_total{sandbox_id=\"$w\"}")" "$w failures"
done
assert_eq 1 "$(metric "$text" 'kata_monitor_agent_up{sandbox_id="sbb"}')" "sbb up beside wedged agents"
one=$("$KATA_CTL" metrics --root "$ROOT" --agent-timeout 500 sbw1) || fail "kata-ctl metrics on a wedged agent failed"
assert_contains "$one" 'kata_monitor_agent_up{sandbox_id="sbw1"} 0' "kata-ctl metrics sbw1"

# Bad requests while sandboxes run, then the endpoint still serves.
assert_eq 404 "$(http_status "$MONITOR_URL/metrics?sandbox=nosuch")" "unknown sandbox"
assert_eq 400 "$(http_status "$MONITOR_URL/metrics?sandbox=%25%00%ff")" "malformed sandbox id"
assert_eq 400 "$(http_status "$MONITOR_URL/metrics?sandbox=sba&sandbox=sbb")" "repeated sandbox"
assert_eq 400 "$(http_status "$MONITOR_URL/metrics?=&&=")" "malformed query"
assert_eq 404 "$(http_status "$MONITOR_URL/nope")" "unknown path"
long=$(head -c 10000 /dev/zero | tr '\0' a)
assert_eq 400 "$(http_status "$MONITOR_URL/metrics?sandbox=$long")" "long URL"
huge=$(head -c 120000 /dev/zero | tr '\0' a)
st=$(http_status "$MONITOR_URL/$huge")
case $st in 400 | 414) pass ;; *) fail "huge URL: got $st, expected 400 or 414" ;; esac
one=$(curl --noproxy '*' -sf "$MONITOR_URL/metrics?sandbox=sbb") || fail "/metrics?sandbox=sbb failed after bad requests"
assert_contains "$one" 'kata_monitor_agent_up{sandbox_id="sbb"} 1' "one sandbox"
assert_not_contains "$one" 'sandbox_id="sba"' "one sandbox"
kill -0 "$MONITOR_PID" || fail "the monitor died"
kill -TERM "$MONITOR_PID"
rc=0
wait "$MONITOR_PID" || rc=$?
assert_eq 0 "$rc" "monitor exit status on SIGTERM"
assert_status 2 "$KATA_CTL" monitor --listen nohost:80
assert_status 2 "$KATA_CTL" monitor --listen 127.0.0.1:99999
finish
