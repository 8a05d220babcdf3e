#!/usr/bin/env bash
# The otlp sink against a loopback OTLP/HTTP receiver started here (python3, 127.0.0.1,
# port 0) whose request bodies are decoded with the library's decoder:
#   503 then 200 delivers every span exactly once; 400 drops and counts; a receiver that
#   is down keeps the forwarder's memory bounded and counts drops; SIGTERM sends what was
#   already received.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/forwarder/fwd_lib.sh"
command -v python3 >/dev/null || fail "python3 is needed (in .ci/install-deps)"

dir=$(scratch_dir)
pids_to_kill=()
cleanup() {
        local p
        for p in "${pids_to_kill[@]}"; do
                kill "$p" 2>/dev/null || true
        done
        rm -rf "$dir"
}
trap cleanup EXIT

# start_receiver NAME STATUSES: sets RECV_PORT and RECV_DIR.
start_receiver() {
        RECV_DIR=$dir/$1
        mkdir -p "$RECV_DIR"
        python3 "$KATA_SOURCE_DIR/tests/integration/forwarder/otlp_receiver.py" \
                --dir "$RECV_DIR" --port-file "$RECV_DIR/port" --statuses "$2" &
        pids_to_kill+=($!)
        wait_for_file "$RECV_DIR/port"
        RECV_PORT=$(cat "$RECV_DIR/port")
}

# start_forwarder NAME ARGS...: sets FWD_PID, FWD_SOCK, FWD_ERR.
start_forwarder() {
        FWD_SOCK=$dir/$1.sock
        FWD_ERR=$dir/$1.err
        shift
        "$FWD" --listen "$FWD_SOCK" --sink otlp "$@" 2>"$FWD_ERR" &
        FWD_PID=$!
        pids_to_kill+=($FWD_PID)
        wait_for_file "$FWD_SOCK"
}

# spans_accepted DIR: decoded spans in bodies the receiver answered 200.
spans_accepted() {
        local f n=0
        for f in "$1"/req-*-200.bin; do
                [ -e "$f" ] || continue
                "$OTLP_DUMP" "$f" >>"$1/accepted.jsonl" || fail "receiver got invalid OTLP: $f"
        done
        touch "$1/accepted.jsonl"
        wc -l <"$1/accepted.jsonl"
}

wait_for_glob() { # pattern
        local i
        for ((i = 0; i < 200; i++)); do
                compgen -G "$1" >/dev/null && return 0
                sleep 0.05
        done
        fail "timed out waiting for $1"
}

# 1. 503 then 200: retried with backoff, delivered exactly once.
start_receiver retry 503,200
start_forwarder retry --otlp-endpoint "http://127.0.0.1:$RECV_PORT/v1/traces" \
        --otlp-backoff-ms 50 --otlp-batch-ms 50
"$SENDER" --socket "$FWD_SOCK" --frames 5 --spans 10 --tag retry || fail "sender failed"
wait_for_glob "$RECV_DIR/req-*-200.bin"
stop_forwarder "$FWD_PID"
assert_eq 1 "$(ls "$RECV_DIR"/req-*-503.bin | wc -l)" "requests answered 503"
assert_eq 50 "$(spans_accepted "$RECV_DIR")" "spans accepted by the receiver"
assert_eq 50 "$(sed -n 's/.*"name":"\(retry-[0-9-]*\)".*/\1/p' "$RECV_DIR/accepted.jsonl" | sort -u | wc -l)" \
        "distinct spans accepted"
assert_eq 50 "$(stat_of "$FWD_ERR" forwarded)" "forwarded after a 503"
assert_eq 0 "$(stat_of "$FWD_ERR" dropped)" "dropped after a 503"
# The retried body is the same batch, byte for byte.
cmp -s "$RECV_DIR"/req-0000-503.bin "$RECV_DIR"/req-0001-200.bin || fail "retry sent a different body"
pass

# 2. 400 is final: no retry, spans dropped and counted.
start_receiver reject 400
start_forwarder reject --otlp-endpoint "http://127.0.0.1:$RECV_PORT/v1/traces" \
        --otlp-backoff-ms 50 --otlp-batch-ms 50
"$SENDER" --socket "$FWD_SOCK" --frames 1 --spans 20 --tag reject || fail "sender failed"
wait_for_glob "$RECV_DIR/req-*-400.bin"
sleep 0.3
stop_forwarder "$FWD_PID"
assert_eq 1 "$(ls "$RECV_DIR"/req-*.bin | wc -l)" "requests for a 400 (no retry)"
assert_eq 20 "$(stat_of "$FWD_ERR" received)" "received with a 400 receiver"
assert_eq 0 "$(stat_of "$FWD_ERR" forwarded)" "forwarded with a 400 receiver"
assert_eq 20 "$(stat_of "$FWD_ERR" dropped)" "dropped with a 400 receiver"
assert_contains "$(cat "$FWD_ERR")" "answered 400"

# 3. Receiver down: a port nothing listens on. ~45 MB of spans go through a 1 MB queue;
#    memory stays bounded and every span is counted as dropped.
down_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_forwarder down --otlp-endpoint "http://127.0.0.1:$down_port/v1/traces" \
        --otlp-backoff-ms 20 --otlp-max-retries 2 --otlp-queue-bytes 1000000 \
        --otlp-batch-bytes 250000 --flush-timeout-ms 200
senders=()
for i in 0 1 2 3; do
        "$SENDER" --socket "$FWD_SOCK" --frames 750 --spans 100 --tag "down$i" &
        senders+=($!)
done
for p in "${senders[@]}"; do
        wait "$p" || fail "sender failed"
done
rss_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$FWD_PID/status")
stop_forwarder "$FWD_PID"
assert_eq 300000 "$(stat_of "$FWD_ERR" received)" "received with the receiver down"
assert_eq 0 "$(stat_of "$FWD_ERR" forwarded)" "forwarded with the receiver down"
assert_eq 300000 "$(stat_of "$FWD_ERR" dropped)" "dropped with the receiver down"
echo "peak RSS with the receiver down: ${rss_kb} kB"
[ "$rss_kb" -lt 40000 ] || fail "peak RSS ${rss_kb} kB with the receiver down: queue not bounded"
pass

# 4. SIGTERM flushes: a batch that would wait a minute is sent at exit.
start_receiver term 200
start_forwarder term --otlp-endpoint "http://127.0.0.1:$RECV_PORT/v1/traces" \
        --otlp-batch-ms 60000
"$SENDER" --socket "$FWD_SOCK" --frames 3 --spans 10 --tag term || fail "sender failed"
for _ in $(seq 100); do
        kill -USR1 "$FWD_PID"
        sleep 0.05
        [ "$(stat_of "$FWD_ERR" received)" = 30 ] && break
done
assert_eq 0 "$(ls "$RECV_DIR" | grep -c '^req-' || true)" "requests before SIGTERM"
stop_forwarder "$FWD_PID"
assert_eq 30 "$(spans_accepted "$RECV_DIR")" "spans sent at SIGTERM"
assert_eq 30 "$(stat_of "$FWD_ERR" forwarded)" "forwarded at SIGTERM"

finish
