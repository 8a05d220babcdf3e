#!/usr/bin/env bash
# The kata-ctl top screen in a tmux pane, with three real sandboxes: the busy one first
# when sorted by CPU, drill-down to its container and processes, the filter narrows the
# list, a deleted sandbox's row goes away, a resize redraws, q exits 0 and the terminal
# is usable afterwards.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/top/top-lib.sh"
command -v tmux >/dev/null || fail "tmux is not installed (.ci/install-deps)"
runtime_setup
start_three_sandboxes

SESSION=kata-test-top-$$
# runtime_cleanup owns the EXIT trap and exits with the status it finds in $?: close
# the tmux sessions first, then hand it the test's status.
top_cleanup() {
        local status=$?
        set +e
        tmux kill-session -t "$SESSION" 2>/dev/null
        tmux kill-session -t "$SESSION-nc" 2>/dev/null
        (exit $status)
        runtime_cleanup
}
trap top_cleanup EXIT

screen() { tmux capture-pane -p -t "$SESSION"; }
# wait_screen TEXT [SECONDS]: until the pane shows TEXT.
wait_screen() {
        local i
        for i in $(seq $((${2:-10} * 10))); do
                screen | grep -qF -- "$1" && return 0
                sleep 0.1
        done
        fail "screen never showed '$1'. It was:
$(screen)"
}
wait_screen_gone() {
        local i
        for i in $(seq 100); do
                screen | grep -qF -- "$1" || return 0
                sleep 0.1
        done
        fail "screen still shows '$1'. It was:
$(screen)"
}
keys() { tmux send-keys -t "$SESSION" "$@"; }
# The first row under the column header.
first_row() { screen | awk '/^ID /{getline; print $1; exit}'; }

tmux new-session -d -s "$SESSION" -x 120 -y 30 \
        "TERM=xterm-256color '$TOP' top -d 0.5 --root '$ROOT'; echo EXIT=\$?; stty -a; sleep 120"
wait_screen "3 sandboxes"
# CPU% needs a second sample; then the busy sandbox leads.
for i in $(seq 50); do
        [ "$(first_row)" = busy ] && break
        sleep 0.2
done
assert_eq busy "$(first_row)" "first row sorted by CPU"
assert_contains "$(screen)" "CPU%" "column header"

# Drill down: sandbox -> its containers -> the busy container's processes.
keys Enter
wait_screen "sandbox busy > containers"
assert_eq busy "$(screen | awk '/^ID /{getline; print $1; exit}')" "the busy container"
keys Enter
wait_screen "sandbox busy > container busy > processes"
wait_screen "while :; do :; done"
# The container's latest execs (eBPF), or the reason there are none (once the trace has
# finished starting).
for i in $(seq 100); do
        out=$(screen)
        case "$out" in
        *"Latest execs in this container"* | *"exec/s unavailable"*) break ;;
        esac
        sleep 0.1
done
case "$out" in
*"Latest execs in this container"* | *"exec/s unavailable"*) pass ;;
*) fail "no exec feed and no hint on the processes screen:
$out" ;;
esac
keys Escape
wait_screen "sandbox busy > containers"
keys Escape
wait_screen "sandboxes  (3 of 3 rows)"

# Filter.
keys / i d l e 2 Enter
wait_screen "(1 of 3 rows, filter \"idle2\")"
out=$(screen)
assert_not_contains "$(sed -n '4,$p' <<<"$out")" "busy" "filtered rows"
assert_contains "$out" "idle2" "filtered rows"
keys Escape
wait_screen "(3 of 3 rows)"

# Sort by name with the key, then back to CPU.
keys n
for i in $(seq 20); do [ "$(first_row)" = busy ] && break; sleep 0.1; done
wait_screen "sort ID"
keys c
wait_screen "sort CPU%"

# A sandbox deleted while top runs: its row goes, no error line.
rt delete --force idle1
wait_screen_gone "idle1"
wait_screen "2 sandboxes"
assert_not_contains "$(screen)" "error" "screen after a deletion"

# Resize: the screen is redrawn for the new size (the header is cut at 60 columns).
tmux resize-window -t "$SESSION" -x 60 -y 20
for i in $(seq 50); do
        screen | grep -q "^ID .*PIDS" || break
        sleep 0.1
done
out=$(screen)
assert_contains "$out" "kata-ctl top" "title after resize"
assert_not_contains "$out" "EXEC/s" "header cut to 60 columns"
assert_eq 60 "$(tmux display -p -t "$SESSION" '#{pane_width}')" "pane width"

# Colors on a TTY (the header), none with NO_COLOR.
has_color() { tmux capture-pane -e -p -t "$1" | grep -q $'\e\[4[0-7]m'; }
has_color "$SESSION" || fail "no colors on the screen"
pass
tmux new-session -d -s "$SESSION-nc" -x 100 -y 40 \
        "NO_COLOR=1 TERM=xterm-256color '$TOP' top -d 0.5 --no-exec --root '$ROOT'; echo EXIT=\$?; stty -a; sleep 30"
for i in $(seq 50); do
        tmux capture-pane -p -t "$SESSION-nc" | grep -q "sandboxes  (" && break
        sleep 0.1
done
assert_contains "$(tmux capture-pane -p -t "$SESSION-nc")" "sandboxes  (" "NO_COLOR screen"
! has_color "$SESSION-nc" || fail "colors with NO_COLOR set: $(tmux capture-pane -e -p -t "$SESSION-nc" | cat -v)"
pass
# SIGTERM: exit 0 with the terminal restored, as with q.
shell=$(tmux display -p -t "$SESSION-nc" '#{pane_pid}')
kill -TERM "$(pgrep -P "$shell" -x kata-ctl)"
for i in $(seq 50); do
        tmux capture-pane -p -t "$SESSION-nc" | grep -q "EXIT=" && break
        sleep 0.1
done
out=$(tmux capture-pane -p -t "$SESSION-nc")
assert_contains "$out" "EXIT=0" "exit status after SIGTERM"
assert_contains "$out" " icanon" "stty after SIGTERM"
tmux kill-session -t "$SESSION-nc"

# Help, then quit.
keys '?'
wait_screen "kata-ctl top keys"
keys x
wait_screen_gone "kata-ctl top keys"
keys q
wait_screen "EXIT=0"
# The terminal is back in cooked mode with echo.
out=$(screen)
assert_contains "$out" " icanon" "stty after quit"
assert_contains "$out" " echo " "stty after quit"
# An unknown terminal is an error naming it (ncurses' initscr would just exit).
tmux new-session -d -s "$SESSION-nc" -x 100 -y 10 \
        "TERM=nosuchterm '$TOP' top --no-exec --root '$ROOT'; echo EXIT=\$?; sleep 30"
for i in $(seq 50); do
        tmux capture-pane -p -t "$SESSION-nc" | grep -q "EXIT=" && break
        sleep 0.1
done
out=$(tmux capture-pane -p -t "$SESSION-nc" | tr -d '\n')
assert_contains "$out" "TERM=nosuchterm" "unknown terminal error"
assert_contains "$out" "EXIT=1" "unknown terminal exit status"
finish
