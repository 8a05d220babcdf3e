#!/usr/bin/env bash
# Exec storm (fork+exec /bin/true from one loop per CPU) with no tracer, with
# `kata-ctl trace exec` (whole host, and scoped to the storm's cgroup), with libbpf-tools'
# execsnoop and with a bpftrace one-liner, all in the same run. Prints the exec rate of
# each phase, its ratio to the untraced rate, the events each tool printed for the storm
# (captured), the storm's execs it did not print (missed) and the drops it reported.
# BENCH_SMOKE=1: 1-second phases.
set -uo pipefail
: "${KATA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${KATA_BUILD_DIR:=$KATA_SOURCE_DIR/build}"
: "${KATA_BIN:=$KATA_BUILD_DIR/bin}"
KATA_CTL=$KATA_BIN/kata-ctl
STORM=$KATA_BUILD_DIR/tests/exec-storm
if [ "$(id -u)" != 0 ]; then
        echo "bench_trace_exec: needs root (eBPF); skipped"
        exit 77
fi
[ -x "$KATA_CTL" ] && [ -x "$STORM" ] || { echo "bench_trace_exec: build kata-ctl and exec-storm first" >&2; exit 1; }
SECS=5
[ "${BENCH_SMOKE:-0}" = 1 ] && SECS=1
WORKERS=$(nproc)
TMP=$(mktemp -d /tmp/kata-bench-trace-XXXXXX)
CG=/sys/fs/cgroup/pids/kata-bench-trace-$$
mkdir -p "$CG"
TRACER=""
cleanup() {
        [ -n "$TRACER" ] && kill -INT "$TRACER" 2>/dev/null && wait "$TRACER" 2>/dev/null
        rmdir "$CG" 2>/dev/null
        [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
# Syscall tracepoints need tracefs (kata-ctl mounts it itself; the peers do not).
[ -d /sys/kernel/tracing/events ] || mount -t tracefs tracefs /sys/kernel/tracing

# storm: runs the storm inside $CG, prints its rate line.
storm() {
        bash -c 'echo $$ > '"$CG"'/cgroup.procs; exec "$@"' storm "$STORM" "$SECS" "$WORKERS"
}

# wait_ready FILE PATTERN PID: waits until the tracer printed PATTERN.
wait_ready() {
        for _ in $(seq 1 300); do
                grep -q "$2" "$1" 2>/dev/null && return 0
                kill -0 "$3" 2>/dev/null || return 1
                sleep 0.05
        done
        return 1
}

declare -A RATE CAPTURED DROPS
run_phase() { # name out-file err-file ready-file ready-pattern count-pattern cmd...
        local name=$1 out=$2 err=$3 rfile=$4 rpat=$5 cpat=$6
        shift 6
        "$@" >"$out" 2>"$err" &
        TRACER=$!
        if ! wait_ready "$rfile" "$rpat" "$TRACER"; then
                echo "bench_trace_exec: $name did not start: $(head -c 300 "$err")" >&2
                kill -INT "$TRACER" 2>/dev/null; wait "$TRACER" 2>/dev/null; TRACER=""
                RATE[$name]=0; CAPTURED[$name]=-; DROPS[$name]=-
                return
        fi
        local line
        line=$(storm)
        sleep 0.5
        kill -INT "$TRACER"
        wait "$TRACER" 2>/dev/null
        TRACER=""
        RATE[$name]=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' <<<"$line")
        EXECS[$name]=$(sed -n 's/^execs=\([0-9]*\).*/\1/p' <<<"$line")
        CAPTURED[$name]=$(grep -c -E -- "$cpat" "$out")
}
declare -A EXECS

storm >/dev/null # warm-up: page cache, first-fork costs
line=$(storm)
off1=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' <<<"$line")
EXECS[off]=$(sed -n 's/^execs=\([0-9]*\).*/\1/p' <<<"$line")
CAPTURED[off]=-; DROPS[off]=-

# What each tool prints for one exec of the storm: kata-ctl the argv, execsnoop the comm
# (its argv read fails: the strings are in pages the fork has not mapped yet), bpftrace
# the caller's comm.
KATA_PAT=' true .* /bin/true storm$'
run_phase kata-all "$TMP/k.out" "$TMP/k.err" "$TMP/k.err" tracing "$KATA_PAT" \
        "$KATA_CTL" trace exec --all
DROPS[kata-all]=$(sed -n 's/.*at exit: \([0-9]*\) events lost.*/\1/p' "$TMP/k.err")

run_phase kata-cgroup "$TMP/kc.out" "$TMP/kc.err" "$TMP/kc.err" tracing "$KATA_PAT" \
        "$KATA_CTL" trace exec --cgroup "$CG"
DROPS[kata-cgroup]=$(sed -n 's/.*at exit: \([0-9]*\) events lost.*/\1/p' "$TMP/kc.err")

if [ -x /usr/sbin/execsnoop ]; then
        run_phase execsnoop "$TMP/e.out" "$TMP/e.err" "$TMP/e.out" PCOMM "^true " \
                stdbuf -oL /usr/sbin/execsnoop
        DROPS[execsnoop]=$(grep -o 'Lost [0-9]*' "$TMP/e.err" | awk '{s+=$2} END {print s+0}')
fi
if command -v bpftrace >/dev/null; then
        run_phase bpftrace "$TMP/b.out" "$TMP/b.err" "$TMP/b.out" Attaching "^exec-storm " \
                bpftrace -e 'tracepoint:syscalls:sys_enter_execve { printf("%s %s\n", comm, str(args->filename)); }'
        DROPS[bpftrace]=$(grep -o 'Lost [0-9]*' "$TMP/b.out" "$TMP/b.err" | awk '{s+=$2} END {print s+0}')
fi

# The untraced rate is measured before and after the traced phases; "off" is their mean,
# so that drift in the machine's load shows in both directions.
line=$(storm)
off2=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' <<<"$line")
RATE[off]=$(((off1 + off2) / 2))
echo "untraced exec rate: $off1/s before, $off2/s after the traced phases"
echo "trace exec benchmark: ${SECS} s exec storm per phase, $WORKERS fork+exec loops (/bin/true)"
printf "%-12s %9s %8s %9s %9s %8s %6s\n" phase execs/s vs-off execs captured missed drops
for p in off kata-all kata-cgroup execsnoop bpftrace; do
        [ -n "${RATE[$p]:-}" ] || continue
        ratio=$(awk -v a="${RATE[$p]}" -v b="${RATE[off]}" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }')
        missed=-
        [ "${CAPTURED[$p]}" != - ] && missed=$((EXECS[$p] - CAPTURED[$p]))
        printf "%-12s %9s %8s %9s %9s %8s %6s\n" "$p" "${RATE[$p]}" "$ratio" "${EXECS[$p]:-0}" \
                "${CAPTURED[$p]}" "$missed" "${DROPS[$p]:--}"
done
# Sanity: kata-ctl must have printed every exec of the storm it saw start (no silent loss).
k_missed=$((EXECS[kata-all] - CAPTURED[kata-all]))
if [ "$k_missed" -gt "${DROPS[kata-all]:-0}" ] && [ "$k_missed" -gt 0 ]; then
        echo "bench_trace_exec: kata-ctl missed $k_missed execs but reported ${DROPS[kata-all]:-0} drops" >&2
        exit 1
fi
exit 0
