#!/usr/bin/env bash
# With no listener option the forwarder listens on /run/kata/trace-forwarder.sock. Run in
# a private mount namespace over a fresh /run, so the host's /run/kata is never touched.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/forwarder/fwd_lib.sh"
require_root
command -v unshare >/dev/null || fail "unshare (util-linux) is needed"

dir=$(scratch_dir)
trap 'rm -rf "$dir"' EXIT

unshare --mount --propagation private bash -euc '
        mount -t tmpfs tmpfs /run
        "$1" --sink "jsonl=$2/out.jsonl" 2>"$2/err" &
        fwd=$!
        for _ in $(seq 100); do
                [ -S /run/kata/trace-forwarder.sock ] && break
                sleep 0.05
        done
        "$3" --socket /run/kata/trace-forwarder.sock --frames 2 --spans 5 --tag default
        kill -TERM $fwd
        wait $fwd
        [ ! -e /run/kata/trace-forwarder.sock ]
' _ "$FWD" "$dir" "$SENDER" || fail "forwarder on the default socket: $(cat "$dir/err" 2>/dev/null)"
assert_eq 10 "$(grep -c '"name":"default-' "$dir/out.jsonl")" "spans via the default socket"
assert_eq 1 "$(stat_of "$dir/err" connections)" "connections on the default socket"

finish
