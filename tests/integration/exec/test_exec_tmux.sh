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
check_interactive_shell "$sb"
finish
