# Helpers for kata-ctl exec tests (sourced after tests/lib.sh): the runtime tests' state
# root and cleanup, with a configuration that enables the agent's debug console.
source "$KATA_SOURCE_DIR/tests/integration/runtime/runtime-lib.sh"

exec_setup() {
        runtime_setup
        CG_PARENT=kata-test-exec-$$
        cat >"$CONF" <<CONF
[hypervisor.local]
cgroup_parent = "/$CG_PARENT"
[agent.kata]
dial_timeout = 10
debug_console_enabled = true
CONF
}

kexec() {
        "$KATA_CTL" exec --root "$ROOT" "$@"
}

# wait_pane LINE [KEYS]: until tmux pane $session shows LINE as a whole line (fails after
# 10 s); KEYS, when given, are typed again every half second meanwhile.
wait_pane() {
        for i in $(seq 200); do
                tmux capture-pane -p -t "$session" | grep -qxF -- "$1" && return 0
                [ -n "${2:-}" ] && [ $((i % 10)) = 0 ] && tmux send-keys -t "$session" "$2" Enter
                sleep 0.05
        done
        fail "the pane never showed '$1': $(tmux capture-pane -p -t "$session")"
}

# check_interactive_shell SANDBOX: kata-ctl exec SANDBOX in a tmux pane: a shell on a
# pseudo-terminal (tty, size, resize, line editing), its exit status, and our terminal
# as it was before.
check_interactive_shell() {
        local sb=$1
        session=kata-exec-$$
        rm -f "$WORK/status" "$WORK/stty.after"
        cat >"$WORK/pane.sh" <<PANE
stty -g >"$WORK/stty.before"
"$KATA_CTL" exec --root "$ROOT" "$sb"
echo "status=\$?" >"$WORK/status"
stty -g >"$WORK/stty.after"
PANE
        # The session ends with kata-ctl: on a failure, when the cleanup deletes the sandbox.
        tmux new-session -d -s "$session" -x 100 -y 30 "bash $WORK/pane.sh"
        tmux send-keys -t "$session" 'echo hi-$((1+1)); tty | sed "s/[0-9]*$/N/"; stty size' Enter
        wait_pane "hi-2"
        wait_pane "/dev/pts/N"
        wait_pane "30 100"
        pass
        # tmux resizes the pane's terminal asynchronously: ask until the new size shows.
        tmux resize-window -t "$session" -x 90 -y 25
        wait_pane "25 90" "stty size"
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
        assert_eq "$(cat "$WORK/stty.before")" "$(cat "$WORK/stty.after")" \
                "terminal settings restored"
        tmux kill-session -t "$session" 2>/dev/null || true
}
