#!/usr/bin/env bash
# Sandboxes that vanish while kata-ctl top runs: their rows go, top keeps running and
# exits 0 with nothing on stderr; a sandbox that appears gets a row.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/top/top-lib.sh"
runtime_setup
start_three_sandboxes

out=$WORK/frames.jsonl
"$TOP" top --json -n 12 -d 0.5 --root "$ROOT" >"$out" 2>"$WORK/stderr" &
top_pid=$!
for i in $(seq 50); do
        [ "$(wc -l <"$out")" -ge 2 ] && break
        sleep 0.1
done
rt delete --force idle2-b
rt delete --force idle2
idle=$(make_bundle late-bundle -- sleep 600)
rt create --bundle "$idle" late && rt start late
status=0
wait "$top_pid" || status=$?
assert_eq 0 "$status" "top exit status"
assert_eq "" "$(cat "$WORK/stderr")" "top stderr"
assert_eq 12 "$(wc -l <"$out")" "frames"
ids() { sed -n "${1}p" "$out" | jq -r '[.sandboxes[].id] | join(" ")'; }
assert_eq "busy idle1 idle2" "$(ids 1)" "first frame"
assert_eq "busy idle1 late" "$(ids 12)" "last frame"
# No frame carries an error for a sandbox it lists (a half-deleted one is just gone).
errors=$(jq -r '.sandboxes[] | select(.error != null) | "\(.id): \(.error)"' "$out" | sort -u)
assert_eq "" "$errors" "sandbox errors"
finish
