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

# Names only this run uses, so that execs of other processes (another run of this
# benchmark, a test's loop) are not counted: the storm runs as storm-PID and execs
# true-PID (a link to /bin/true); comm is the basename of what was exec'd.
cp "$STORM" "$TMP/storm-$$"
ln -s /bin/true "$TMP/true-$$"

# storm: runs the storm inside $CG, prints its rate line.
storm() {
        bash -c 'echo $$ > '"$CG"'/cgroup.procs; exec "$@"' storm "$TMP/storm-$$" "$SECS" "$WORKERS" "$TMP/true-$$"
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

# Per phase, summed over the rounds: execs, storm seconds, events printed, drops reported.
declare -A EXECS SECONDS_RUN CAPTURED DROPS
PHASES=(off kata-all kata-cgroup)
[ -x /usr/sbin/execsnoop ] && PHASES+=(execsnoop)
command -v bpftrace >/dev/null && PHASES+=(bpftrace)
for p in "${PHASES[@]}"; do EXECS[$p]=0; SECONDS_RUN[$p]=0; CAPTURED[$p]=0; DROPS[$p]=0; done

# account PHASE STORM-LINE: adds one storm's figures to PHASE.
account() {
        local execs secs
        execs=$(sed -n 's/^execs=\([0-9]*\).*/\1/p' <<<"$2")
        secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$2")
        [ -n "$execs" ] || { echo "bench_trace_exec: exec-storm failed: $2" >&2; exit 1; }
        EXECS[$1]=$((EXECS[$1] + execs))
        SECONDS_RUN[$1]=$(awk -v a="${SECONDS_RUN[$1]}" -v b="$secs" 'BEGIN { print a + b }')
}

run_phase() { # name out-file err-file ready-file ready-pattern count-pattern cmd...
        local name=$1 out=$2 err=$3 rfile=$4 rpat=$5 cpat=$6
        shift 6
        rm -f "$out" "$err"
        "$@" >"$out" 2>"$err" &
        TRACER=$!
        if ! wait_ready "$rfile" "$rpat" "$TRACER"; then
                echo "bench_trace_exec: $name did not start: $(head -c 300 "$err")" >&2
                kill -INT "$TRACER" 2>/dev/null; wait "$TRACER" 2>/dev/null; TRACER=""
                exit 1
        fi
        local line
        line=$(storm)
        sleep 0.5
        kill -INT "$TRACER"
        wait "$TRACER" 2>/dev/null
        TRACER=""
        account "$name" "$line"
        CAPTURED[$name]=$((CAPTURED[$name] + $(grep -c -E -- "$cpat" "$out")))
}

# drops_of FILE...: sum of "Lost N" (execsnoop, bpftrace) or kata-ctl's final count.
kata_drops() { sed -n 's/.*at exit: \([0-9]*\) events lost.*/\1/p' "$1"; }
peer_drops() { cat "$@" 2>/dev/null | grep -o 'Lost [0-9]*' | awk '{s+=$2} END {print s+0}'; }

# What each tool prints for one exec of the storm: kata-ctl the new comm and the argv,
# execsnoop the new comm (its argv read fails: the strings are in pages the fork has not
# mapped yet), bpftrace the caller's comm.
KATA_PAT=" true-$$ .* $TMP/true-$$ storm\$"
ROUNDS=3
[ "${BENCH_SMOKE:-0}" = 1 ] && ROUNDS=1
storm >/dev/null # warm-up: page cache, first-fork costs
# Rounds interleave the phases so that drift in the machine's load hits them all alike.
for round in $(seq 1 "$ROUNDS"); do
        account off "$(storm)"
        run_phase kata-all "$TMP/k.out" "$TMP/k.err" "$TMP/k.err" tracing "$KATA_PAT" \
                "$KATA_CTL" trace exec --all
        DROPS[kata-all]=$((DROPS[kata-all] + $(kata_drops "$TMP/k.err")))
        run_phase kata-cgroup "$TMP/k.out" "$TMP/k.err" "$TMP/k.err" tracing "$KATA_PAT" \
                "$KATA_CTL" trace exec --cgroup "$CG"
        DROPS[kata-cgroup]=$((DROPS[kata-cgroup] + $(kata_drops "$TMP/k.err")))
        if [ -n "${EXECS[execsnoop]:-}" ]; then
                run_phase execsnoop "$TMP/e.out" "$TMP/e.err" "$TMP/e.out" PCOMM "^true-$$ " \
                        stdbuf -oL /usr/sbin/execsnoop
                DROPS[execsnoop]=$((DROPS[execsnoop] + $(peer_drops "$TMP/e.err")))
        fi
        if [ -n "${EXECS[bpftrace]:-}" ]; then
                run_phase bpftrace "$TMP/b.out" "$TMP/b.err" "$TMP/b.out" Attaching "^storm-$$ " \
                        bpftrace -e 'tracepoint:syscalls:sys_enter_execve { printf("%s %s\n", comm, str(args->filename)); }'
                DROPS[bpftrace]=$((DROPS[bpftrace] + $(peer_drops "$TMP/b.out" "$TMP/b.err")))
        fi
done

rate() { awk -v e="${EXECS[$1]}" -v s="${SECONDS_RUN[$1]}" 'BEGIN { if (s > 0) printf "%.0f", e / s; else print 0 }'; }
off_rate=$(rate off)
echo "trace exec benchmark: $ROUNDS round(s) of ${SECS} s exec storms per phase, $WORKERS fork+exec loops"
echo "(kata-all/execsnoop/bpftrace trace the whole host; kata-cgroup only the storm's cgroup)"
printf "%-12s %9s %8s %9s %9s %8s %6s\n" phase execs/s vs-off execs captured missed drops
for p in "${PHASES[@]}"; do
        r=$(rate "$p")
        ratio=$(awk -v a="$r" -v b="$off_rate" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }')
        if [ "$p" = off ]; then
                printf "%-12s %9s %8s %9s %9s %8s %6s\n" "$p" "$r" "$ratio" "${EXECS[$p]}" - - -
        else
                printf "%-12s %9s %8s %9s %9s %8s %6s\n" "$p" "$r" "$ratio" "${EXECS[$p]}" \
                        "${CAPTURED[$p]}" "$((EXECS[$p] - CAPTURED[$p]))" "${DROPS[$p]}"
        fi
done
# kata-ctl must print every exec of the storm or count it as lost: no silent loss.
for p in kata-all kata-cgroup; do
        missed=$((EXECS[$p] - CAPTURED[$p]))
        if [ "$missed" -gt "${DROPS[$p]}" ]; then
                echo "bench_trace_exec: $p missed $missed execs but reported ${DROPS[$p]} drops" >&2
                exit 1
        fi
done
exit 0
