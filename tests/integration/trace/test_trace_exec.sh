#!/usr/bin/env bash
# kata-ctl trace exec scoped to a sandbox: exactly the sandbox's execs while a host loop
# execs /bin/true outside it; argv, failed execs (-x), execveat, container ids (also for a
# container added after the start), pids in the sandbox's pid namespace, --json records.
source "$KATA_SOURCE_DIR/tests/lib.sh"
require_root
source "$KATA_SOURCE_DIR/tests/integration/trace/lib_trace.sh"
OUT=$STATE_ROOT/out.json
ERR=$STATE_ROOT/err.txt

# The "agent": pid 1 of a new pid namespace inside the sandbox cgroup.
for c in $CONTROLLERS; do mkdir -p "$(sandbox_dir "$c")"; done
run_in "" unshare --pid --fork --kill-child sleep 120 2>/dev/null &
BG_PIDS+=($!)
agent=""
for _ in $(seq 1 100); do
        agent=$(pgrep -f -n "^sleep 120$" || true)
        [ -n "$agent" ] && grep -q "NSpid:.*[[:space:]]1$" "/proc/$agent/status" && break
        sleep 0.05
done
[ -n "$agent" ] || fail "agent stand-in did not start"
KILL9_PIDS+=("$agent")
make_sandbox local "$agent" c1=/ctr-c1 c2=system.slice:kata:c2
container_cgroup /ctr-c1
container_cgroup /system.slice/kata-c2.scope

# The host loop runs outside the sandbox for the whole test.
(while :; do /bin/true hostloop; done) &
BG_PIDS+=($!)

start_trace "$OUT" "$ERR" exec --sandbox "$SID" --root "$STATE_ROOT" --json -x
run_in /ctr-c1 /bin/echo arg1 "arg two" >/dev/null
run_in /ctr-c1 /nonexistent/cmd-$$ 2>/dev/null || true
run_in /system.slice/kata-c2.scope "$TOOLS/execveat-helper" /bin true c2marker
run_in /ctr-c1 unshare --pid --fork /bin/echo nsmarker >/dev/null
run_in /ctr-c1 /bin/echo $(seq 1 40) >/dev/null
"$TOOLS/trace-state-tool" --add-container "$STATE_ROOT" "$SID" c3 /ctr-c3
container_cgroup /ctr-c3
run_in /ctr-c3 /bin/echo c3marker >/dev/null
stop_trace

json_check "$OUT" '
execs = [r for r in recs if r["type"] == "exec"]
lost = [r for r in recs if r["type"] == "lost"]
assert lost and lost[-1]["final"] and lost[-1]["total"] == 0, lost
assert execs, "no exec records"
assert not [r for r in execs if "hostloop" in r["argv"]], "host loop exec leaked into the scope"
for r in execs:
    for k in ("time_ns","pid","tid","ns_pid","ppid","uid","comm","filename","argv","ret",
              "cgroup","cgroup_id","container","sandbox","syscall","args_truncated"):
        assert k in r, (k, r)
    assert r["sandbox"] == "'"$SID"'", r
def one(pred, what):
    m = [r for r in execs if pred(r)]
    assert m, what + " not found"
    return m[0]
e = one(lambda r: r["argv"] == ["/bin/echo", "arg1", "arg two"], "echo arg1")
assert e["ret"] == 0 and e["container"] == "c1" and e["filename"] == "/bin/echo", e
assert e["cgroup"].endswith("/ctr-c1"), e
f = one(lambda r: r["filename"] == "/nonexistent/cmd-'"$$"'", "failed exec")
assert f["ret"] == -2 and f["container"] == "c1", f
a = one(lambda r: r["syscall"] == "execveat", "execveat")
assert a["argv"] == ["true", "c2marker"] and a["ret"] == 0 and a["container"] == "c2", a
assert a["filename"] == "true", a
n = one(lambda r: r["argv"] == ["/bin/echo", "nsmarker"], "echo in a pid namespace")
assert n["ns_pid"] == 1 and n["pid"] != 1, n
l = one(lambda r: r["argv"][:2] == ["/bin/echo", "1"], "long argv")
assert len(l["argv"]) == 32 and l["args_truncated"] is True, l
c3 = one(lambda r: r["argv"] == ["/bin/echo", "c3marker"], "container added later")
assert c3["container"] == "c3", c3
'

# --container: only that container's execs.
start_trace "$OUT" "$ERR" exec --container c2 --root "$STATE_ROOT" --json
run_in /ctr-c1 /bin/echo not-c2 >/dev/null
run_in /system.slice/kata-c2.scope /bin/echo in-c2 >/dev/null
stop_trace
json_check "$OUT" '
argvs = [r["argv"] for r in recs if r["type"] == "exec"]
assert ["/bin/echo", "in-c2"] in argvs, argvs
assert ["/bin/echo", "not-c2"] not in argvs, argvs
'

# Text output with time columns, --cgroup scope, --duration.
rm -f "$ERR"
"$KATA_CTL" trace exec --cgroup "$(sandbox_dir memory)/ctr-c1" -T -t --duration 3 >"$OUT" 2>"$ERR" &
tp=$!
for _ in $(seq 1 100); do grep -q tracing "$ERR" 2>/dev/null && break; sleep 0.05; done
run_in /ctr-c1 /bin/echo textmode >/dev/null
wait $tp || fail "trace exec --duration exited $?"
out=$(cat "$OUT")
assert_contains "$out" "TIME     TIME(s)  CONTAINER" "text header"
assert_contains "$out" "/bin/echo textmode" "text record"
assert_contains "$(cat "$ERR")" "events lost" "lost-event summary"

# A VM sandbox: one line saying what the host can see.
"$TOOLS/trace-state-tool" "$STATE_ROOT" vm-$SID qemu 0 "cgroup:memory=$(sandbox_dir memory)"
"$KATA_CTL" trace exec --sandbox "vm-$SID" --root "$STATE_ROOT" --duration 0.5 >/dev/null 2>"$ERR" ||
        fail "trace of a VM sandbox failed: $(cat "$ERR")"
assert_contains "$(cat "$ERR")" "runs in a VM (qemu): the host sees only the VMM's processes" "VM note"

# Errors: unknown sandbox (1), usage (2), not root (1, naming what is missing).
assert_status 1 "$KATA_CTL" trace exec --sandbox nosuch --root "$STATE_ROOT" --duration 1
assert_status 2 "$KATA_CTL" trace exec
assert_status 2 "$KATA_CTL" trace exec --all --sandbox x
assert_status 2 "$KATA_CTL" trace cgroup --all -x
assert_status 2 "$KATA_CTL" trace exec --all --max-args 65
msg=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$KATA_CTL" trace exec --all 2>&1) && fail "non-root trace succeeded"
assert_contains "$msg" "needs root" "non-root error"
finish
