#!/usr/bin/env bash
# kata-ctl monitor at scale: N sandboxes with real agents (default 100), one /metrics
# scrape per second for D seconds; prints scrape latency (p50, p90, max) and the monitor's
# CPU, against prometheus-node-exporter (Debian's host exporter, the usual neighbour of an
# exporter like ours) scraped at the same rate in the same run.
# BENCH_SMOKE=1: 5 sandboxes, 3 scrapes, just to show it runs.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/monitor/monitor-lib.sh"

if [ "$(id -u)" != 0 ]; then
        echo "SKIP [$TEST_NAME]: needs root (sandbox cgroups, agents as pid 1)"
        [ "${BENCH_SMOKE:-0}" = 1 ] && exit 77
        exit 0
fi
N=${BENCH_SANDBOXES:-100}
D=${BENCH_SECONDS:-30}
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
        N=5
        D=3
fi

monitor_setup
t0=$(date +%s%N)
for i in $(seq 1 "$N"); do sandbox_start "b$i" --no-container; done
t1=$(date +%s%N)
monitor_start --agent-timeout 2000

HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# bench_scrapes URL PID: D scrapes, one per second; prints "p50 p90 max cpu%".
bench_scrapes() {
        local url=$1 pid=$2 lat=() i c0 c1 w0 w1 t
        curl --noproxy '*' -sf -o /dev/null "$url" || fail "warm-up scrape of $url failed"
        c0=$(cpu_ticks "$pid")
        w0=$(date +%s%N)
        for i in $(seq 1 "$D"); do
                t=$(curl --noproxy '*' -sf -o /dev/null -w '%{time_total}' --max-time 10 "$url") ||
                        fail "scrape $i of $url failed"
                lat+=("$t")
                sleep "$(awk -v t="$t" 'BEGIN { s = 1 - t; print (s > 0 ? s : 0) }')"
        done
        w1=$(date +%s%N)
        c1=$(cpu_ticks "$pid")
        printf '%s\n' "${lat[@]}" | sort -g | awk -v c="$((c1 - c0))" -v hz="$HZ" -v w="$((w1 - w0))" '
                { v[NR] = $1 }
                END { p50 = v[int((NR + 1) * 0.5)]; p90 = v[int((NR * 0.9) + 0.5) < 1 ? 1 : int((NR * 0.9) + 0.5)]
                      printf "%.2f %.2f %.2f %.2f\n", p50 * 1000, p90 * 1000, v[NR] * 1000, 100 * c / hz / (w / 1e9) }'
}

# The exposition is what Prometheus stores: check it once at this scale too.
curl --noproxy '*' -sf "$MONITOR_URL/metrics" >"$WORK/metrics.txt" || fail "GET /metrics failed"
series=$(grep -vc '^#' "$WORK/metrics.txt")
assert_eq "$N" "$(awk '$1 == "kata_monitor_running_sandboxes" { print $2 }' "$WORK/metrics.txt")" "running sandboxes"
assert_eq "$N" "$(grep -c '^kata_monitor_agent_up{.*} 1$' "$WORK/metrics.txt")" "agents up"
read -r m50 m90 mmax mcpu <<<"$(bench_scrapes "$MONITOR_URL/metrics" "$MONITOR_PID")"
pass

peer=""
if command -v prometheus-node-exporter >/dev/null; then
        NE_PORT=$(free_port)
        prometheus-node-exporter --web.listen-address="127.0.0.1:$NE_PORT" >"$WORK/node-exporter.log" 2>&1 &
        NE_PID=$!
        BG_PIDS+=("$NE_PID")
        for i in $(seq 1 50); do
                curl --noproxy '*' -sf -o /dev/null "http://127.0.0.1:$NE_PORT/metrics" && break
                sleep 0.1
        done
        ne_series=$(curl --noproxy '*' -sf "http://127.0.0.1:$NE_PORT/metrics" | grep -vc '^#')
        read -r p50 p90 pmax pcpu <<<"$(bench_scrapes "http://127.0.0.1:$NE_PORT/metrics" "$NE_PID")"
        peer=1
fi

echo "kata-ctl monitor, $N sandboxes (real agents, local driver), $D scrapes at 1/s:"
echo "  sandboxes started in $(((t1 - t0) / 1000000)) ms; exposition: $series samples"
echo "  monitor:       scrape p50 ${m50} ms, p90 ${m90} ms, max ${mmax} ms; CPU ${mcpu}% of one core"
if [ -n "$peer" ]; then
        echo "  node-exporter: scrape p50 ${p50} ms, p90 ${p90} ms, max ${pmax} ms; CPU ${pcpu}% of one core ($ne_series samples)"
        awk -v a="$m50" -v b="$p50" -v c="$mcpu" -v d="$pcpu" 'BEGIN {
                printf "  ratio monitor / node-exporter: latency p50 %.2f, CPU %s\n", a / b,
                       (d > 0 ? sprintf("%.2f", c / d) : "n/a (peer below one tick)") }'
else
        echo "  (prometheus-node-exporter not installed: no peer figures)"
fi
finish
