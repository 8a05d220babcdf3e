#!/usr/bin/env bash
# Forwarder benchmark, every figure measured against its peer in the same run:
#  1. throughput from 1, 4 and 16 agents (kata-test-span-sender, ~150-byte spans in
#     100-span frames) into
#       - socat relaying the same bytes from a unix socket to /dev/null (the peer),
#       - the forwarder decoding every span to the jsonl sink (/dev/null),
#       - the forwarder passing OTLP protobuf through after a wire-format check (otlp
#         sink to a loopback receiver that discards; ingest and delivery both timed);
#  2. cost per span call: tracing off, on without an LTTng session, on with a session
#     (root and lttng-sessiond only; a snapshot session, so nothing is written to disk).
# Every set-up runs BENCH_REPEAT times (default 5), socat and the forwarder back to back
# in each repetition; rates are the best run, ratios the median of paired runs, span costs
# the best run. BENCH_SMOKE=1 (or --smoke) runs a few MB once, to check that it all works.
source "$KATA_SOURCE_DIR/tests/lib.sh"
[ "${1:-}" = --smoke ] && BENCH_SMOKE=1
: "${BENCH_SMOKE:=0}"

FWD=$KATA_BIN/kata-trace-forwarder
SENDER=$KATA_BUILD_DIR/tests/kata-test-span-sender
SPAN_COST=$KATA_BUILD_DIR/tests/kata-bench-span-cost
DISCARD=$KATA_BUILD_DIR/tests/kata-bench-otlp-discard
for b in "$FWD" "$SENDER" "$SPAN_COST" "$DISCARD"; do
        [ -x "$b" ] || fail "missing $b: build it first"
done
command -v socat >/dev/null || fail "socat is needed (in .ci/install-deps)"

SPANS_PER_FRAME=100
if [ "$BENCH_SMOKE" = 1 ]; then
        TOTAL_FRAMES=320 # ~4.5 MB
        COST_ITER=100000
        REPEAT=1
else
        TOTAL_FRAMES=48000 # ~600 MB, 4.8M spans per run
        COST_ITER=5000000
        REPEAT=${BENCH_REPEAT:-5}
fi
TOTAL_SPANS=$((TOTAL_FRAMES * SPANS_PER_FRAME))

dir=$(scratch_dir)
bg_pids=()
session=
cleanup() {
        local p
        for p in "${bg_pids[@]}"; do
                kill "$p" 2>/dev/null || true
        done
        [ -n "$session" ] && lttng destroy "$session" >/dev/null 2>&1
        rm -rf "$dir"
}
trap cleanup EXIT

now_ns() { date +%s%N; }

# Bytes one run sends: measured once by writing the same stream to a file.
"$SENDER" --out "$dir/stream" --frames $((TOTAL_FRAMES / 16)) --spans $SPANS_PER_FRAME --tag b
TOTAL_BYTES=$(($(stat -c %s "$dir/stream") * 16))
rm -f "$dir/stream"

# run_senders SOCKET N: N senders sharing TOTAL_FRAMES; returns when all are done.
run_senders() {
        local sock=$1 n=$2 pids=() i
        for ((i = 0; i < n; i++)); do
                "$SENDER" --socket "$sock" --frames $((TOTAL_FRAMES / n)) \
                        --spans $SPANS_PER_FRAME --tag "b$i" &
                pids+=($!)
        done
        for i in "${pids[@]}"; do
                wait "$i" || fail "sender failed"
        done
}

# stat_of ERRFILE KEY: from the forwarder's last totals line.
stat_of() {
        grep 'stats: connections=' "$1" | tail -n1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# wait_stat PID ERRFILE KEY VALUE: polls the forwarder's counters (SIGUSR1).
wait_stat() {
        local i
        for ((i = 0; i < 6000; i++)); do
                kill -USR1 "$1"
                sleep 0.01
                [ "$(stat_of "$2" "$3")" = "$4" ] && return 0
        done
        fail "forwarder never reached $3=$4 (at $(stat_of "$2" "$3"))"
}

wait_socket() {
        local i
        for ((i = 0; i < 200; i++)); do
                [ -S "$1" ] && return 0
                sleep 0.05
        done
        fail "no socket $1"
}

# cpu_ms PID [TID]: user+system CPU of a process and its reaped children, or of one thread.
cpu_ms() {
        local f=/proc/$1/stat
        [ -n "${2:-}" ] && f=/proc/$1/task/$2/stat
        awk -v hz="$(getconf CLK_TCK)" -v self="${2:-}" '{
                sub(/^.*\) /, "")  # fields after the command name; utime is now $12
                t = $12 + $13
                if (self == "") t += $14 + $15
                printf "%d", t * 1000 / hz }' "$f"
}

rate() { # amount elapsed_ns -> per second
        awk -v a="$1" -v t="$2" 'BEGIN { printf "%.0f", a / (t / 1e9) }'
}
ratio() {
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}
mb() {
        awk -v a="$1" 'BEGIN { printf "%.0fMB/s", a / 1e6 }'
}

echo "forwarder throughput: $TOTAL_SPANS spans, $TOTAL_BYTES bytes per run" \
        "($((TOTAL_BYTES / TOTAL_SPANS)) B/span incl. framing)"
echo "columns (rates: best of $REPEAT; vs_socat: median ratio of paired runs; CPU: median):"
echo "  socat relaying to /dev/null; forwarder decoding to jsonl (/dev/null);"
echo "  forwarder passing OTLP through after a wire-format check (ingest, and delivery to a"
echo "  loopback HTTP receiver, which shares this machine's CPUs); CPU ms of socat (all"
echo "  processes) and of the forwarder's epoll thread for the same bytes; pass-through"
echo "  again with delivery excluded (endpoint refusing, batches dropped at once)"
printf '%-7s %10s %13s %8s %12s %8s %12s %10s %10s %12s %8s\n' agents socat jsonl_spans/s \
        vs_socat pass_ingest vs_socat pass_deliv socat_cpu pass_cpu pass_nodeliv vs_socat
refused_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Each measure_* runs one configuration once and sets T (ns) and, where given, CPU (ms).
measure_socat() { # agents
        socat -u -b 262144 "UNIX-LISTEN:$dir/socat.sock,fork" OPEN:/dev/null &
        local sp=$! t0
        bg_pids+=($sp)
        wait_socket "$dir/socat.sock"
        t0=$(now_ns)
        run_senders "$dir/socat.sock" "$1"
        T=$(($(now_ns) - t0))
        sleep 0.2 # let socat reap its children so that their CPU time is counted
        CPU=$(cpu_ms $sp)
        kill $sp 2>/dev/null
        wait $sp 2>/dev/null || true
        rm -f "$dir/socat.sock"
}

measure_jsonl() { # agents: the forwarder decoding every span to JSON lines
        "$FWD" --listen "$dir/fwd.sock" --sink jsonl=/dev/null 2>"$dir/jsonl.err" &
        local fp=$! t0
        bg_pids+=($fp)
        wait_socket "$dir/fwd.sock"
        t0=$(now_ns)
        run_senders "$dir/fwd.sock" "$1"
        wait_stat $fp "$dir/jsonl.err" received $TOTAL_SPANS
        T=$(($(now_ns) - t0))
        kill -TERM $fp
        wait $fp || fail "forwarder (jsonl) exited non-zero"
        assert_eq $TOTAL_SPANS "$(stat_of "$dir/jsonl.err" forwarded)" "spans written to jsonl"
}

measure_pass() { # agents: OTLP passed through to a discarding receiver; T ingest, T2 delivery
        coproc DISC { exec "$DISCARD"; }
        local dp=$DISC_PID port fp t0
        bg_pids+=($dp)
        read -r _ port <&"${DISC[0]}"
        "$FWD" --listen "$dir/fwd.sock" --sink otlp \
                --otlp-endpoint "http://127.0.0.1:$port/v1/traces" \
                --otlp-queue-bytes $((2 * TOTAL_BYTES + 64000000)) --otlp-batch-bytes 4000000 \
                --otlp-batch-ms 20 2>"$dir/otlp.err" &
        fp=$!
        bg_pids+=($fp)
        wait_socket "$dir/fwd.sock"
        t0=$(now_ns)
        run_senders "$dir/fwd.sock" "$1"
        wait_stat $fp "$dir/otlp.err" received $TOTAL_SPANS
        T=$(($(now_ns) - t0))
        wait_stat $fp "$dir/otlp.err" forwarded $TOTAL_SPANS
        T2=$(($(now_ns) - t0))
        CPU=$(cpu_ms $fp $fp) # the epoll thread: read, frame, check, batch
        kill -TERM $fp
        wait $fp || fail "forwarder (otlp) exited non-zero"
        assert_eq 0 "$(stat_of "$dir/otlp.err" dropped)" "spans dropped in pass-through"
        kill -TERM $dp
        wait $dp 2>/dev/null || true
}

# The same pass-through with delivery taken out of the CPU budget: the endpoint refuses
# connections and batches are dropped at once (no retries), so this times reading,
# framing, the wire-format check and batching alone.
measure_nodeliv() { # agents
        "$FWD" --listen "$dir/fwd.sock" --sink otlp \
                --otlp-endpoint "http://127.0.0.1:$refused_port/v1/traces" \
                --otlp-max-retries 0 --otlp-batch-bytes 4000000 --otlp-batch-ms 20 \
                2>"$dir/nodeliv.err" &
        local fp=$! t0
        bg_pids+=($fp)
        wait_socket "$dir/fwd.sock"
        t0=$(now_ns)
        run_senders "$dir/fwd.sock" "$1"
        wait_stat $fp "$dir/nodeliv.err" received $TOTAL_SPANS
        T=$(($(now_ns) - t0))
        kill -TERM $fp
        wait $fp || fail "forwarder (otlp, no delivery) exited non-zero"
}

# median VALUES...: the middle value (the lower middle for an even count).
median() {
        printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
maxof() {
        printf '%s\n' "$@" | sort -g | tail -n1
}

# On a shared machine other work slows runs down at random. Each repetition measures
# socat and the three forwarder set-ups back to back, so each ratio compares runs made
# under the same conditions; the table shows the best rate of each set-up and the median
# of the per-repetition ratios.
for n in 1 4 16; do
        socat_r=() jsonl_r=() ingest_r=() deliv_r=() nodeliv_r=()
        r_jsonl=() r_ingest=() r_nodeliv=() cpu_s=() cpu_p=()
        for ((r = 0; r < REPEAT; r++)); do
                measure_socat $n
                sb=$(rate $TOTAL_BYTES $T)
                cpu_s+=($CPU)
                measure_jsonl $n
                js=$(rate $TOTAL_SPANS $T)
                jb=$(rate $TOTAL_BYTES $T)
                measure_pass $n
                ib=$(rate $TOTAL_BYTES $T)
                db=$(rate $TOTAL_BYTES $T2)
                cpu_p+=($CPU)
                measure_nodeliv $n
                nb=$(rate $TOTAL_BYTES $T)
                socat_r+=($sb) jsonl_r+=($js) ingest_r+=($ib) deliv_r+=($db) nodeliv_r+=($nb)
                r_jsonl+=($(ratio $jb $sb)) r_ingest+=($(ratio $ib $sb))
                r_nodeliv+=($(ratio $nb $sb))
        done
        printf '%-7s %10s %13s %8s %12s %8s %12s %8sms %8sms %12s %8s\n' $n \
                "$(mb "$(maxof "${socat_r[@]}")")" "$(maxof "${jsonl_r[@]}")" \
                "$(median "${r_jsonl[@]}")" "$(mb "$(maxof "${ingest_r[@]}")")" \
                "$(median "${r_ingest[@]}")" "$(mb "$(maxof "${deliv_r[@]}")")" \
                "$(median "${cpu_s[@]}")" "$(median "${cpu_p[@]}")" \
                "$(mb "$(maxof "${nodeliv_r[@]}")")" "$(median "${r_nodeliv[@]}")"
        pass
done

echo
echo "cost per span call (kata_span_begin + kata_span_end, $COST_ITER spans):"
# best_cost ARGS...: the run with the lowest ns_per_span out of REPEAT.
best_cost() {
        local r out best= best_ns=
        for ((r = 0; r < REPEAT; r++)); do
                out=$("$SPAN_COST" "$@") || fail "span cost ($*) failed"
                local ns_=${out##*ns_per_span=}
                ns_=${ns_%% *}
                if [ -z "$best" ] || awk -v a="$ns_" -v b="$best_ns" 'BEGIN { exit !(a < b) }'; then
                        best=$out best_ns=$ns_
                fi
        done
        echo "$best"
}
off=$(best_cost off $COST_ITER)
on=$(best_cost on $COST_ITER)
echo "  tracing off:                 $off"
echo "  on, no LTTng session:        $on"
if [ "$(id -u)" = 0 ] && command -v lttng >/dev/null && lttng list >/dev/null 2>&1; then
        session=kata-bench-$$
        lttng create "$session" --snapshot --output="$dir/snap" >/dev/null || fail "lttng create"
        lttng enable-event --userspace --session="$session" 'kata_trace:span' >/dev/null
        lttng start "$session" >/dev/null
        # Registration with the session daemon must be complete before timing starts.
        with=$(LTTNG_UST_REGISTER_TIMEOUT=-1 best_cost on $COST_ITER)
        lttng stop "$session" >/dev/null
        lttng destroy "$session" >/dev/null
        session=
        echo "  on, LTTng session recording: $with"
        assert_contains "$with" "session_listening=1" "span cost run under a session"
else
        echo "  on, LTTng session recording: skipped (needs root and a running lttng-sessiond)"
fi
ns() { sed -n 's/.*ns_per_span=\([0-9.]*\).*/\1/p' <<<"$1"; }
echo "  targets: off <= 5 ns, on without a session <= 150 ns, with a session <= 300 ns"
[ -n "${with:-}" ] &&
        echo "  ratio with-session / without: $(ratio "$(ns "$with")" "$(ns "$on")")"
finish
