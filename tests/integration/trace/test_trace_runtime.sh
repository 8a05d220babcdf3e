#!/usr/bin/env bash
# kata-ctl trace against a real kata-runtime sandbox (local driver): the container's execs
# (and none of a host loop), the cgroups kata-runtime/the agent create and remove for a
# second container, and a container killed by its memory limit, each with its id.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/runtime/runtime-lib.sh"
runtime_setup
[ -x "$KATA_CTL" ] || fail "kata-ctl not built"
OUT=$WORK/trace.out
ERR=$WORK/trace.err
TRACE_PID=""
HOSTLOOP=""
stop_bg() {
        [ -n "$HOSTLOOP" ] && kill "$HOSTLOOP" 2>/dev/null
        [ -n "$TRACE_PID" ] && kill -INT "$TRACE_PID" 2>/dev/null
        return 0
}
trap 'stop_bg; runtime_cleanup' EXIT

start_trace() {
        rm -f "$ERR"
        "$KATA_CTL" trace "$@" --root "$ROOT" --json >"$OUT" 2>"$ERR" &
        TRACE_PID=$!
        for _ in $(seq 1 200); do
                grep -q tracing "$ERR" 2>/dev/null && return 0
                kill -0 "$TRACE_PID" 2>/dev/null || fail "kata-ctl trace exited: $(cat "$ERR")"
                sleep 0.05
        done
        fail "kata-ctl trace did not start: $(cat "$ERR")"
}
stop_trace() {
        sleep 0.3
        kill -INT "$TRACE_PID"
        local rc=0
        wait "$TRACE_PID" || rc=$?
        TRACE_PID=""
        assert_eq 0 "$rc" "kata-ctl trace exit status"
}
json_check() {
        python3 - "$OUT" <<PY || fail "JSON check failed: $(cat "$OUT")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
$1
PY
        pass
}

pod=trace-$$
b1=$(make_bundle b1 -- sleep 600)
rt create --bundle "$b1" "$pod"
rt start "$pod"

(while :; do /bin/true hostloop; done) &
HOSTLOOP=$!

# exec: the container's execs, by container id, with pids of the sandbox's namespace.
start_trace exec --sandbox "$pod" -x
rt exec "$pod" -- /bin/echo e2e-marker >/dev/null
rt exec "$pod" -- /nonexistent-e2e >/dev/null 2>&1 || true
stop_trace
json_check '
execs = [r for r in recs if r["type"] == "exec"]
assert not [r for r in execs if "hostloop" in r["argv"]], "host loop leaked"
m = [r for r in execs if r["argv"] == ["/bin/echo", "e2e-marker"]]
assert m and m[0]["container"] == "'"$pod"'" and m[0]["ret"] == 0, execs
assert m[0]["ns_pid"] != m[0]["pid"], m[0]
f = [r for r in execs if r["filename"] == "/nonexistent-e2e"]
assert f and f[0]["ret"] < 0 and f[0]["container"] == "'"$pod"'", execs
'
kill "$HOSTLOOP"
HOSTLOOP=""

# cgroup: a second container's cgroups come and go under the sandbox's.
b2=$(make_bundle b2 -- sleep 600)
start_trace cgroup --sandbox "$pod"
rt create --bundle "$b2" --sandbox "$pod" "$pod-c2"
rt start "$pod-c2"
rt delete --force "$pod-c2"
sleep 0.5
stop_trace
json_check '
ev = [r for r in recs if r["type"] == "cgroup" and r["path"].endswith("/kata_'"$pod"'/'"$pod"'-c2")]
ops = {r["op"] for r in ev}
assert {"mkdir", "rmdir"} <= ops, ev
assert all(r["container"] == "'"$pod"'-c2" for r in ev if r["op"] == "mkdir"), ev
assert {r["controller"] for r in ev if r["op"] == "mkdir"} >= {"memory", "pids"}, ev
'

# oom: a container killed by its memory limit.
b3=$(make_bundle b3 --memory 33554432 -- sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived')
start_trace oom --sandbox "$pod"
rt create --bundle "$b3" --sandbox "$pod" "$pod-oom"
rt start "$pod-oom"
for _ in $(seq 1 100); do
        grep -q '"type":"oom"' "$OUT" && break
        sleep 0.1
done
stop_trace
rt delete --force "$pod-oom" >/dev/null 2>&1 || true
json_check '
ooms = [r for r in recs if r["type"] == "oom"]
assert ooms and ooms[0]["container"] == "'"$pod"'-oom", recs
assert ooms[0]["sandbox"] == "'"$pod"'" and ooms[0]["anon_rss_kib"] > 0, ooms
'
rt delete --force "$pod" >/dev/null 2>&1 || true
finish
