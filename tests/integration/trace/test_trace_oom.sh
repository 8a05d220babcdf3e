#!/usr/bin/env bash
# kata-ctl trace oom scoped to a sandbox: a container killed by its memory limit is
# reported with its container id and memory figures, and the container's memcg oom_kill
# counter goes from 0 at start to 1 at exit.
source "$KATA_SOURCE_DIR/tests/lib.sh"
require_root
source "$KATA_SOURCE_DIR/tests/integration/trace/lib_trace.sh"
OUT=$STATE_ROOT/out.json
ERR=$STATE_ROOT/err.txt

make_sandbox local 0 c1=/ctr-c1
container_cgroup /ctr-c1
echo 32M >"$(sandbox_dir memory)/ctr-c1/memory.limit_in_bytes"
echo 0 >"$(sandbox_dir memory)/ctr-c1/memory.swappiness" 2>/dev/null || true

start_trace "$OUT" "$ERR" oom --sandbox "$SID" --root "$STATE_ROOT" --json
rc=0
(run_in /ctr-c1 /usr/bin/python3 -c 'x = bytearray(256 << 20); print(len(x))') >/dev/null 2>&1 || rc=$?
assert_eq 137 "$rc" "exit status of the process over its memory limit"
# An OOM outside the scope must not be reported.
mkdir -p "/sys/fs/cgroup/memory/$TEST_PARENT/outside"
echo 32M >"/sys/fs/cgroup/memory/$TEST_PARENT/outside/memory.limit_in_bytes"
(bash -c 'echo $$ > /sys/fs/cgroup/memory/'"$TEST_PARENT"'/outside/cgroup.procs; exec /usr/bin/python3 -c "x = bytearray(256 << 20)"' || true) >/dev/null 2>&1
stop_trace

json_check "$OUT" '
ooms = [r for r in recs if r["type"] == "oom"]
assert len(ooms) == 1, ooms
o = ooms[0]
assert o["container"] == "c1" and o["comm"] == "python3" and o["sandbox"] == "'"$SID"'", o
assert o["cgroup"].endswith("/kata_'"$SID"'/ctr-c1"), o
assert o["anon_rss_kib"] > 16 * 1024 and o["total_vm_kib"] >= o["anon_rss_kib"], o
for k in ("file_rss_kib", "shmem_rss_kib", "pgtables_kib", "oom_score_adj", "killer_pid", "killer_comm"):
    assert k in o, k
cnt = {r["phase"]: r for r in recs if r["type"] == "oom_counters"}
def kills(phase):
    return [c["oom_kill"] for c in cnt[phase]["cgroups"] if c["container"] == "c1"]
assert kills("start") == [0] and kills("exit") == [1], cnt
'
finish
