#!/usr/bin/env bash
# Sandboxes that vanish while kata-ctl top runs: their rows go, top keeps running and
# exits 0 on SIGTERM with nothing on stderr; a sandbox that appears gets a row.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/top/top-lib.sh"
runtime_setup
start_three_sandboxes

out=$WORK/frames.jsonl
"$TOP" top --json -d 0.3 --root "$ROOT" >"$out" 2>"$WORK/stderr" &
top_pid=$!
frames() { wc -l <"$out"; }
wait_frames() { # N: until N frames are out
        for i in $(seq 100); do
                [ "$(frames)" -ge "$1" ] && return 0
                sleep 0.1
        done
        fail "top printed $(frames) frames, expected $1"
}
wait_frames 2
rt delete --force idle2-b
rt delete --force idle2
idle=$(make_bundle late-bundle -- sleep 600)
rt create --bundle "$idle" late && rt start late
# Two more frames after the changes, then SIGTERM: a clean exit 0.
n=$(frames)
wait_frames $((n + 2))
kill -TERM "$top_pid"
status=0
wait "$top_pid" || status=$?
assert_eq 0 "$status" "top exit status after SIGTERM"
assert_eq "" "$(cat "$WORK/stderr")" "top stderr"
last=$(frames)
ids() { sed -n "${1}p" "$out" | jq -r '[.sandboxes[].id] | join(" ")'; }
assert_eq "busy idle1 idle2" "$(ids 1)" "first frame"
assert_eq "busy idle1 late" "$(ids "$last")" "last frame"
# No frame carries an error for a sandbox it lists (a half-deleted one is just gone).
errors=$(jq -r '.sandboxes[] | select(.error != null) | "\(.id): \(.error)"' "$out" | sort -u)
assert_eq "" "$errors" "sandbox errors"
finish
