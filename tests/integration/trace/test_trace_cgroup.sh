#!/usr/bin/env bash
# kata-ctl trace cgroup scoped to a sandbox: the container cgroups created, joined and
# removed under it in every controller's hierarchy, nothing from outside it.
source "$KATA_SOURCE_DIR/tests/lib.sh"
require_root
source "$KATA_SOURCE_DIR/tests/integration/trace/lib_trace.sh"
OUT=$STATE_ROOT/out.json
ERR=$STATE_ROOT/err.txt

make_sandbox local 0 c1=system.slice:kata:c1
start_trace "$OUT" "$ERR" cgroup --sandbox "$SID" --root "$STATE_ROOT" --json
container_cgroup /system.slice/kata-c1.scope
run_in /system.slice/kata-c1.scope /bin/true
for c in $CONTROLLERS; do
        mkdir "/sys/fs/cgroup/$c/$TEST_PARENT/outside"
        rmdir "/sys/fs/cgroup/$c/$TEST_PARENT/outside"
        rmdir "$(sandbox_dir "$c")/system.slice/kata-c1.scope" "$(sandbox_dir "$c")/system.slice"
done
sleep 0.5 # release follows rmdir once the last reference goes
stop_trace

json_check "$OUT" '
ev = [r for r in recs if r["type"] == "cgroup"]
assert not [r for r in ev if "/outside" in r["path"]], "a cgroup outside the sandbox was reported"
sdir = "/'"$TEST_PARENT"'/kata_'"$SID"'"
for ctl in ("memory", "pids"):
    def has(op, suffix):
        return [r for r in ev if r["op"] == op and r["controller"] == ctl and r["path"] == sdir + suffix]
    for op in ("mkdir", "rmdir"):
        for suffix in ("/system.slice", "/system.slice/kata-c1.scope"):
            assert has(op, suffix), (ctl, op, suffix, ev)
    m = has("mkdir", "/system.slice/kata-c1.scope")[0]
    assert m["container"] == "c1" and m["level"] == 4 and m["hierarchy"] > 0, m
    assert m["cgroup"] == "/sys/fs/cgroup/" + ctl + sdir + "/system.slice/kata-c1.scope", m
    a = has("attach", "/system.slice/kata-c1.scope")
    assert a and a[0]["comm"] == "bash" and a[0]["pid"] > 0, (ctl, ev)
    assert has("release", "/system.slice/kata-c1.scope"), (ctl, "release", ev)
assert [r for r in recs if r["type"] == "lost" and r["final"]], "no final lost record"
'

# The cgroup2 freezer reports freeze/unfreeze (a cgroup on the hybrid host's cgroup2 mount).
U=/sys/fs/cgroup/unified/$TEST_PARENT
if [ -e /sys/fs/cgroup/unified/cgroup.procs ]; then
        mkdir -p "$U"
        start_trace "$OUT" "$ERR" cgroup --cgroup "$U" --json
        mkdir "$U/c"
        echo 1 >"$U/c/cgroup.freeze"
        echo 0 >"$U/c/cgroup.freeze"
        rmdir "$U/c"
        stop_trace
        rmdir "$U"
        json_check "$OUT" '
ops = [r["op"] for r in recs if r["type"] == "cgroup" and r["path"] == "/'"$TEST_PARENT"'/c"]
assert ops[:4] == ["mkdir", "freeze", "unfreeze", "rmdir"], ops
assert all(r["hierarchy"] == 0 and r["controller"] == "unified" for r in recs if r["type"] == "cgroup")
'
fi
finish
