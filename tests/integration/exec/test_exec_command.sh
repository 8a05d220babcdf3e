#!/usr/bin/env bash
# kata-ctl exec SANDBOX -- CMD on a local-driver sandbox: stdout and stderr apart and
# byte-exact, the exit status exact (0, 1, 3, 127, 128+signal), stdin passed on; the
# errors for a sandbox that is unknown, has no console, or is not running.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/exec/exec-lib.sh"
exec_setup

sb=exec-$$
bundle=$(make_bundle b -- sleep 600)
rt create --bundle "$bundle" "$sb" && rt start "$sb"

status=0
kexec "$sb" -- sh -c 'echo out; echo err >&2; exit 3' >"$WORK/out" 2>"$WORK/err" || status=$?
assert_eq 3 "$status" "exit status of sh -c 'exit 3'"
assert_eq out "$(cat "$WORK/out")" "stdout"
assert_eq err "$(cat "$WORK/err")" "stderr"
assert_status 0 kexec "$sb" -- true
assert_status 1 kexec "$sb" -- false
status=0
kexec "$sb" -- no-such-command-$$ >"$WORK/out" 2>"$WORK/err" || status=$?
assert_eq 127 "$status" "exit status of a missing command"
assert_contains "$(cat "$WORK/err")" "no-such-command-$$: No such file or directory" "stderr"
assert_status 137 kexec "$sb" -- sh -c 'kill -KILL $$'
assert_status 143 kexec "$sb" -- sh -c 'kill -TERM $$'
assert_status 126 kexec "$sb" -- /etc/hostname

# Output as it is: no newline added, binary bytes unchanged (the bundle's static busybox,
# read inside the sandbox, against the same file read here).
assert_eq "$(printf 'a\0b' | od -An -c)" "$(kexec "$sb" -- printf 'a\0b' | od -An -c)" \
        "output with a NUL and no final newline"
want=$(md5sum <"$bundle/rootfs/bin/busybox" | cut -d' ' -f1)
got=$(kexec "$sb" -- cat "$bundle/rootfs/bin/busybox" | md5sum | cut -d' ' -f1)
assert_eq "$want" "$got" "md5 of a binary file through the console"
assert_eq "$(stat -c %s "$bundle/rootfs/bin/busybox")" \
        "$(kexec "$sb" -- cat "$bundle/rootfs/bin/busybox" | wc -c)" "size of the binary file"

# stdin goes to the command, and its end too; -n gives it end of file at once.
head -c 300000 /dev/urandom >"$WORK/in"
assert_eq "$(md5sum <"$WORK/in" | cut -d' ' -f1)" \
        "$(kexec "$sb" -- md5sum <"$WORK/in" | cut -d' ' -f1)" "md5 of stdin in the sandbox"
assert_eq 0 "$(echo data | kexec -n "$sb" -- wc -c)" "--no-stdin"
# Without a command and without a terminal: sh reads its commands from stdin.
assert_eq "5 $sb" "$(printf 'echo $((2+3)) $(hostname)\nexit 0\n' | kexec "$sb" | tr '\n' ' ' | sed 's/ $//')" \
        "a script on stdin"
assert_status 4 sh -c "echo 'exit 4' | '$KATA_CTL' exec --root '$ROOT' '$sb'"
# The command runs in the sandbox's namespaces (its UTS name is the sandbox id).
assert_eq "$sb" "$(kexec "$sb" -- hostname)" "hostname in the sandbox"

# kata-ctl ended by a signal: its status says which, and the command does not outlive
# the connection (the agent kills it).
marker=$((7000000 + $$))
"$KATA_CTL" exec --root "$ROOT" "$sb" -- sleep "$marker" &
client=$!
for _ in $(seq 100); do
        pgrep -f "^sleep $marker\$" >/dev/null && break
        sleep 0.05
done
pgrep -f "^sleep $marker\$" >/dev/null || fail "the command never started in the sandbox"
kill -TERM "$client"
status=0
wait "$client" || status=$?
assert_eq 143 "$status" "kata-ctl's status after SIGTERM"
for _ in $(seq 100); do
        pgrep -f "^sleep $marker\$" >/dev/null || break
        sleep 0.05
done
! pgrep -f "^sleep $marker\$" >/dev/null || fail "the command outlived kata-ctl"
pass

# Usage and errors.
assert_status 2 "$KATA_CTL" exec
assert_status 2 "$KATA_CTL" exec --root "$ROOT" "$sb" ls -l
assert_status 2 "$KATA_CTL" exec --root "$ROOT" ../x -- true
assert_status 0 "$KATA_CTL" exec --help
assert_contains "$("$KATA_CTL" exec --help)" "debug_console_enabled" "--help"
status=0
err=$(kexec no-such-sandbox -- true 2>&1) || status=$?
assert_eq 1 "$status" "exit status for an unknown sandbox"
assert_contains "$err" "unknown sandbox 'no-such-sandbox'" "error"

# A sandbox whose agent has no console: refused, and the message says how to enable it.
cp "$CONF" "$WORK/noconsole.toml"
sed -i '/debug_console_enabled/d' "$WORK/noconsole.toml"
"$RUNTIME" --root "$ROOT" --config "$WORK/noconsole.toml" create --bundle "$bundle" "$sb-off"
status=0
err=$(kexec "$sb-off" -- true 2>&1) || status=$?
assert_eq 1 "$status" "exit status when the console is off"
assert_contains "$err" "refused the debug console" "error"
assert_contains "$err" "debug_console_enabled = true" "error says how to enable it"

# An agent that died: not running.
agent_pid=$(jq -r .pids.agent "$ROOT/$sb/state.json")
kill -9 "$agent_pid"
for _ in $(seq 100); do
        kill -0 "$agent_pid" 2>/dev/null || break
        sleep 0.05
done
status=0
err=$(kexec "$sb" -- true 2>&1) || status=$?
assert_eq 1 "$status" "exit status when the agent is gone"
assert_contains "$err" "is not running" "error"
finish
