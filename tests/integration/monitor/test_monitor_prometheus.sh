#!/usr/bin/env bash
# Two sandboxes with real agents, kata-ctl monitor, and Debian's Prometheus scraping it
# every second: the exposition is promtool-lint clean, and every query of every panel of
# dashboards/kata-containers.json returns data through Prometheus' HTTP API.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/monitor/monitor-lib.sh"

command -v prometheus >/dev/null || fail "prometheus is missing (.ci/install-deps)"
command -v promtool >/dev/null || fail "promtool is missing (.ci/install-deps)"
DASHBOARD=$KATA_SOURCE_DIR/dashboards/kata-containers.json

# Queries that may rightly return nothing here, with the reason. (None today: OOM kill
# panels use increase(), which is 0, not empty, without kills.)
declare -A EXPECTED_EMPTY=()

monitor_setup
sandbox_start sba
sandbox_start sbb
monitor_start --agent-timeout 2000

# The exposition passes promtool's checks and lint with no findings.
curl --noproxy '*' -sf "$MONITOR_URL/metrics" >"$WORK/metrics.txt" || fail "GET /metrics failed"
lint=$(promtool check metrics <"$WORK/metrics.txt" 2>&1) || fail "promtool check metrics failed: $lint"
assert_eq "" "$lint" "promtool check metrics findings"
for family in kata_monitor_running_sandboxes kata_monitor_scrape_duration_seconds_bucket \
        kata_hypervisor_threads kata_sandbox_memory_usage_bytes kata_agent_resident_memory_bytes \
        kata_guest_meminfo kata_container_cpu_usage_seconds_total; do
        grep -Eq "^$family[{ ]" "$WORK/metrics.txt" || fail "exposition has no $family"
        pass
done
text=$(cat "$WORK/metrics.txt")
assert_eq 2 "$(metric "$text" kata_monitor_running_sandboxes)" "running sandboxes"
assert_ne "" "$(metric "$text" 'kata_container_pids{sandbox_id="sba",container_id="sba-c1"}')" "container pids of sba"

# kata-ctl metrics prints one sandbox's series.
one=$("$KATA_CTL" metrics --root "$ROOT" sbb)
assert_contains "$one" 'kata_agent_threads{sandbox_id="sbb"}' "kata-ctl metrics sbb"
assert_not_contains "$one" 'sandbox_id="sba"' "kata-ctl metrics sbb"
assert_status 1 "$KATA_CTL" metrics --root "$ROOT" nosuch
assert_status 2 "$KATA_CTL" metrics --root "$ROOT" 'bad/id'
assert_status 2 "$KATA_CTL" metrics --root "$ROOT"

# The dashboard pins what an import needs.
assert_eq 39 "$(jq .schemaVersion "$DASHBOARD")" "dashboard schemaVersion"
assert_eq '["kata-prometheus"]' "$(jq -c '[.. | objects | select(has("datasource")) | .datasource.uid] | unique' "$DASHBOARD")" "datasource uids"
for section in Monitor Hypervisor "Sandbox (host cgroup)" Agent Guest Containers; do
        assert_eq 1 "$(jq --arg t "$section" '[.panels[] | select(.type == "row" and .title == $t)] | length' "$DASHBOARD")" "dashboard row $section"
done

# A real Prometheus scraping the monitor every second.
PROM_PORT=$(free_port)
port=${MONITOR_URL##*:}
cat >"$WORK/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: kata
    static_configs:
      - targets: ["127.0.0.1:$port"]
EOF2
promtool check config "$WORK/prometheus.yml" >/dev/null || fail "bad test prometheus.yml"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prom-data" \
        --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
BG_PIDS+=("$!")
PROM=http://127.0.0.1:$PROM_PORT

query() { # PROMQL: prints the number of series in the result
        curl --noproxy '*' -sf --max-time 20 "$PROM/api/v1/query" --data-urlencode "query=$1" |
                jq -r 'if .status == "success" then (.data.result | length) else "error" end'
}

up=""
for i in $(seq 1 100); do
        up=$(query 'up{job="kata"} == 1' 2>/dev/null || true)
        [ "$up" = 1 ] && break
        sleep 0.2
done
[ "$up" = 1 ] || { tail -20 "$WORK/prometheus.log" >&2; fail "Prometheus did not scrape the monitor"; }
# rate() over 1m windows needs two samples, and the histogram some increase: wait for 6.
for i in $(seq 1 60); do
        v=$(curl --noproxy '*' -sf "$PROM/api/v1/query" --data-urlencode 'query=count_over_time(kata_monitor_scrapes_total[1m])' | jq -r '.data.result[0].value[1] // 0')
        [ "${v%.*}" -ge 6 ] 2>/dev/null && break
        sleep 0.5
done

# The template variable's values, as Grafana would ask for them.
labels=$(curl --noproxy '*' -sf "$PROM/api/v1/label/sandbox_id/values" --data-urlencode 'match[]=kata_monitor_agent_up' -G | jq -c .data)
assert_eq '["sba","sbb"]' "$labels" "sandbox variable values"

# Every panel query, with the variable set to All.
nq=0
while IFS= read -r expr; do
        nq=$((nq + 1))
        q=${expr//\$sandbox/.+}
        got=$(query "$q")
        if [ -n "${EXPECTED_EMPTY[$expr]:-}" ]; then
                pass
                continue
        fi
        [ "$got" != error ] || fail "query failed: $q"
        [ "$got" -gt 0 ] || fail "no data for dashboard query: $q"
        pass
done < <(jq -r '.panels[] | .targets[]?.expr' "$DASHBOARD")
assert_eq 30 "$nq" "dashboard queries evaluated"

# Per-sandbox series reach Prometheus for both sandboxes.
assert_eq 2 "$(query 'kata_container_memory_usage_bytes')" "container memory series"
assert_eq 2 "$(query 'kata_monitor_agent_up == 1')" "agents up"
finish
