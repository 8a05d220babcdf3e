#!/usr/bin/env bash
# kata-ctl exec SANDBOX from a real terminal (a tmux pane): an interactive shell on a
# pseudo-terminal in the sandbox (line editing on the far side, window size passed on),
# the shell's exit status, and our terminal restored.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/exec/exec-lib.sh"
exec_setup
command -v tmux >/dev/null || fail "tmux is not installed"

sb=exec-tty-$$
bundle=$(make_bundle b -- sleep 600)
rt create --bundle "$bundle" "$sb" && rt start "$sb"
session=kata-exec-$$
cat >"$WORK/pane.sh" <<PANE
stty -g >"$WORK/stty.before"
"$KATA_CTL" exec --root "$ROOT" "$sb"
echo "status=\$?" >"$WORK/status"
stty -g >"$WORK/stty.after"
PANE
# The session ends with kata-ctl: on a failure, when the cleanup deletes the sandbox.
tmux new-session -d -s "$session" -x 100 -y 30 "bash $WORK/pane.sh"

# wait_pane TEXT: until the pane shows TEXT (or fail after 10 s).
wait_pane() {
        for _ in $(seq 200); do
                tmux capture-pane -p -t "$session" | grep -qF -- "$1" && return 0
                sleep 0.05
        done
        fail "the pane never showed '$1': $(tmux capture-pane -p -t "$session")"
}
tmux send-keys -t "$session" 'echo hi-$((1+1)); tty; stty size' Enter
wait_pane "hi-2"
pass
wait_pane "/dev/pts/"
wait_pane "30 100"
pass
tmux resize-window -t "$session" -x 90 -y 25
sleep 0.2 # no event tells when tmux delivered SIGWINCH; the check below retries anyway
tmux send-keys -t "$session" 'stty size' Enter
wait_pane "25 90"
pass
# Line editing happens in the sandbox's terminal: a typo erased with backspace.
tmux send-keys -t "$session" 'echo edix' BSpace 't-ok' Enter
wait_pane "edit-ok"
pass
tmux send-keys -t "$session" 'exit 5' Enter
for _ in $(seq 200); do
        [ -s "$WORK/stty.after" ] && break
        sleep 0.05
done
assert_eq "status=5" "$(cat "$WORK/status" 2>/dev/null)" "exit status of the interactive shell"
assert_eq "$(cat "$WORK/stty.before")" "$(cat "$WORK/stty.after")" "terminal settings restored"
tmux kill-session -t "$session" 2>/dev/null || true
finish
