#!/usr/bin/env bash
# kata-trace-forwarder with many agents at once: 8 good senders on a plain socket and a
# hybrid-vsock socket, one more with 2 MB frames, while 4 others send a bad length, a
# truncated frame, garbage protobuf and an oversized frame. Each bad one closes its own connection only; every
# good span reaches the jsonl sink exactly once, including at SIGTERM.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/forwarder/fwd_lib.sh"

dir=$(scratch_dir)
fwd_pid=
cleanup() {
        [ -n "$fwd_pid" ] && kill "$fwd_pid" 2>/dev/null
        rm -rf "$dir"
}
trap cleanup EXIT

# Command line: help, version, usage errors exit 2.
assert_status 0 "$FWD" --help
assert_contains "$("$FWD" --version)" "kata-trace-forwarder"
assert_status 2 "$FWD" --sink nosuch
assert_status 2 "$FWD" --max-frame abc
assert_status 2 "$FWD" extra-argument
out=$("$FWD" --sink jsonl --sink jsonl 2>&1 || true)
assert_contains "$out" "given twice"

"$FWD" --listen "$dir/fwd.sock" --socket-path "$dir/kata.hvsock" --max-frame 3000000 \
        --sink "jsonl=$dir/out.jsonl" 2>"$dir/err" &
fwd_pid=$!
wait_for_file "$dir/fwd.sock"
wait_for_file "$dir/kata.hvsock_10240"

# Without the lttng sink the forwarder does not trace: liblttng-ust (and its threads)
# must not be loaded; only the small tracepoint-registration library is.
maps=$(cat "/proc/$fwd_pid/maps")
assert_not_contains "$maps" "liblttng-ust.so" "maps of a forwarder without the lttng sink"
assert_eq 1 "$(awk '/^Threads:/ {print $2}' "/proc/$fwd_pid/status")" "threads of a jsonl-only forwarder"

# A second forwarder on the same socket must refuse, not steal it.
rc=0
"$FWD" --listen "$dir/fwd.sock" 2>"$dir/err2" || rc=$?
assert_eq 1 "$rc" "second forwarder on a busy socket"
assert_contains "$(cat "$dir/err2")" "already listening"

pids=()
for i in 0 1 2 3 4 5 6 7; do
        sock=$dir/fwd.sock
        [ $((i % 2)) = 1 ] && sock=$dir/kata.hvsock_10240
        "$SENDER" --socket "$sock" --frames 50 --spans 20 --tag "good$i" &
        pids+=($!)
done
"$SENDER" --socket "$dir/kata.hvsock_10240" --frames 2 --spans 15000 --tag big &
pids+=($!)
bad_pids=()
for mode in length0 truncated garbage oversized=4000000; do
        "$SENDER" --socket "$dir/fwd.sock" --frames 2 --spans 10 --tag "bad-${mode%%=*}" \
                --bad "$mode" &
        bad_pids+=($!)
done
for p in "${pids[@]}"; do
        wait "$p" || fail "a good sender failed"
done
for p in "${bad_pids[@]}"; do
        rc=0
        wait "$p" || rc=$?
        assert_eq 0 "$rc" "bad sender saw its connection closed by the forwarder"
done

# SIGUSR1 prints the counters without stopping.
kill -USR1 "$fwd_pid"
for _ in $(seq 100); do
        grep -q 'stats: connections=' "$dir/err" && break
        sleep 0.05
done
# 13 senders, plus the refused second forwarder's check that the socket is alive.
assert_contains "$(cat "$dir/err")" "stats: connections=14"
kill -0 "$fwd_pid" || fail "forwarder died on SIGUSR1"

# SIGTERM right away: everything received must be written before exit.
stop_forwarder "$fwd_pid"
fwd_pid=

assert_eq 14 "$(stat_of "$dir/err" connections)" "connections"
assert_eq 0 "$(stat_of "$dir/err" active)" "connections still open"
assert_eq 4 "$(stat_of "$dir/err" bad_frames)" "bad frames"
want=$((8 * 50 * 20 + 2 * 15000 + 4 * 2 * 10))
assert_eq "$want" "$(stat_of "$dir/err" received)" "spans received"
assert_eq "$want" "$(stat_of "$dir/err" forwarded)" "spans forwarded"
assert_eq 0 "$(stat_of "$dir/err" dropped)" "spans dropped"
assert_eq "$want" "$(wc -l <"$dir/out.jsonl")" "jsonl lines"
for i in 0 1 2 3 4 5 6 7; do
        assert_eq 1000 "$(grep -c "\"name\":\"good$i-" "$dir/out.jsonl")" "spans of sender $i"
done
assert_eq 30000 "$(grep -c '"name":"big-' "$dir/out.jsonl")" "spans in 2 MB frames"
for mode in length0 truncated garbage oversized; do
        assert_eq 20 "$(grep -c "\"name\":\"bad-$mode-" "$dir/out.jsonl")" \
                "good spans sent before the $mode frame"
done
assert_eq 0 "$(grep -c '"name":"truncated-' "$dir/out.jsonl" || true)" "spans of the truncated frame"
dups=$(sed -n 's/.*"span_id":"\([0-9a-f]*\)".*/\1/p' "$dir/out.jsonl" | sort | uniq -d | wc -l)
assert_eq 0 "$dups" "duplicated span ids"
line=$(grep '"name":"good0-0-1"' "$dir/out.jsonl" | head -n1)
assert_contains "$line" '"source":"agent"'
assert_contains "$line" '"sandbox_id":"sandbox-0123456789"'
assert_contains "$line" '"attributes":{"pid":4242}'
assert_contains "$(cat "$dir/err")" "bad frame length 0"
assert_contains "$(cat "$dir/err")" "truncated frame"
assert_contains "$(cat "$dir/err")" "not an OTLP ExportTraceServiceRequest"
assert_contains "$(cat "$dir/err")" "exceeds the cap"
[ ! -e "$dir/fwd.sock" ] || fail "forwarder left its socket behind"
pass

finish
