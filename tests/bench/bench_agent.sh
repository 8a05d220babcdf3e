#!/usr/bin/env bash
# kata-agent: idle RSS and threads (target under 2 MiB) against a plain process (`sleep`)
# measured in the same run, and Health.Check round trips over hybrid vsock to the real
# agent against a raw unix-socket echo. The agent runs as an ordinary host process here
# (no namespaces needed for these figures).
# BENCH_SMOKE=1: a few hundred calls, figures printed, nothing judged.
source "$KATA_SOURCE_DIR/tests/lib.sh"
rtt=$KATA_BUILD_DIR/tests/kata-bench-agent-rtt
agent=$KATA_BIN/kata-agent
[ -x "$rtt" ] || fail "$rtt not built"
[ -x "$agent" ] || fail "$agent not built"
n=20000
[ "${BENCH_SMOKE:-0}" = 1 ] && n=300

dir=$(mktemp -d)
"$agent" --server-addr "hvsock://$dir/kata.hvsock:1024" --log-level warn &
pid=$!
sleep 30 &
peer=$!
trap 'kill $pid $peer 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for i in $(seq 1 100); do [ -S "$dir/kata.hvsock" ] && break; sleep 0.05; done
[ -S "$dir/kata.hvsock" ] || fail "the agent did not start"
pass
"$rtt" "hvsock://$dir/kata.hvsock:1024" 10 >/dev/null || fail "warm-up calls failed"
sleep 0.2
rss=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status)
threads=$(awk '/^Threads/ {print $2}' /proc/$pid/status)
peer_rss=$(awk '/^VmRSS/ {print $2}' /proc/$peer/status)
linkage=$(ldd "$agent" >/dev/null 2>&1 && echo dynamic || echo static)
echo "kata-agent idle: RSS $rss KiB, $threads threads ($linkage binary; target < 2048 KiB)"
echo "sleep (plain glibc process): RSS $peer_rss KiB"
awk -v a="$rss" -v b="$peer_rss" 'BEGIN {printf "ratio agent / sleep RSS: %.2f\n", a / b}'
out=$("$rtt" "hvsock://$dir/kata.hvsock:1024" "$n")
echo "$out"
assert_contains "$out" "ratio agent-check / unix-echo" "round-trip output"
finish
