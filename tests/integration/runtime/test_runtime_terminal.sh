#!/usr/bin/env bash
# process.terminal true from a real terminal (a tmux pane): the container gets a
# pseudo-terminal, its exit status comes back, and our terminal is restored.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/runtime/runtime-lib.sh"
runtime_setup
command -v tmux >/dev/null || fail "tmux is not installed"

id=tty-$$
bundle=$(make_bundle b -- sh -c '[ -t 0 ] && [ -t 1 ] && echo "is-a-tty"; exit 4')
jq '.process.terminal = true' "$bundle/config.json" >"$WORK/c.json" && mv "$WORK/c.json" "$bundle/config.json"
session=kata-tty-$$
cat >"$WORK/pane.sh" <<PANE
stty -g >"$WORK/stty.before"
"$RUNTIME" --root "$ROOT" --config "$CONF" run --bundle "$bundle" "$id" >"$WORK/out" 2>&1
echo "status=\$?" >"$WORK/status"
stty -g >"$WORK/stty.after"
PANE
tmux new-session -d -s "$session" -x 100 -y 30 "bash $WORK/pane.sh; sleep 30"
for _ in $(seq 200); do
        [ -s "$WORK/stty.after" ] && break
        sleep 0.05
done
tmux kill-session -t "$session" 2>/dev/null || true
assert_eq "status=4" "$(cat "$WORK/status" 2>/dev/null)" "run exit status through a terminal"
assert_contains "$(cat "$WORK/out")" "is-a-tty" "the container's stdio is a terminal"
assert_eq "$(cat "$WORK/stty.before")" "$(cat "$WORK/stty.after")" "terminal settings restored"
assert_sandbox_gone "$id"
finish
