#!/usr/bin/env bash
# The cgroups library on this host's real hierarchies (hybrid: v1 controllers plus an
# empty cgroup2). Test cgroups are created at each hierarchy's root (our own memory
# cgroup is not the root here), named kata-test-<pid>, and all removed at the end.
source "$KATA_SOURCE_DIR/tests/lib.sh"
require_root

TOOL=${1:-$KATA_BUILD_DIR/tests/kata-cgroup-tool}
[ -x "$TOOL" ] || fail "helper $TOOL not built"
ROOT=/sys/fs/cgroup
if ! grep -q " $ROOT/memory .* cgroup " /proc/self/mountinfo; then
        echo "SKIP [$TEST_NAME]: no v1 memory hierarchy at $ROOT/memory"
        exit 77
fi

CG=/kata-test-$$
SLICE=/kata_test_$$.slice
cleanup() {
        "$TOOL" kill "$CG" >/dev/null 2>&1 || true
        "$TOOL" delete "$CG" >/dev/null 2>&1 || true
        "$TOOL" delete "$CG-gone" >/dev/null 2>&1 || true
        "$TOOL" delete "$SLICE/kata-c1.scope" >/dev/null 2>&1 || true
        "$TOOL" delete "$SLICE" >/dev/null 2>&1 || true
}
trap cleanup EXIT

val() { # file under a hierarchy
        tr -d '\n' <"$ROOT/$1"
}
stat_of() { # key from `tool stats`
        "$TOOL" stats "$CG" | sed -n "s/^$1=//p"
}

# Layout and driver decision as this host presents them.
layout=$("$TOOL" layout)
assert_contains "$layout" "mode=hybrid" "layout"
assert_contains "$layout" "memory=$ROOT/memory" "layout"
out=$("$TOOL" driver 1 system.slice:kata:abc)
assert_contains "$out" "used=cgroupfs" "driver as init"
assert_contains "$out" "runs as init" "driver reason"
if [ ! -d /run/systemd/system ]; then
        out=$("$TOOL" driver 0 system.slice:kata:abc)
        assert_contains "$out" "systemd is not running" "driver without systemd"
fi
assert_eq "/system.slice/kata-abc.scope" "$("$TOOL" map system.slice:kata:abc)" "mapping"
assert_status 1 "$TOOL" map "/kata/../../etc"
assert_status 1 "$TOOL" create "/../escape"

# Create: one directory per hierarchy, name=systemd and cgroup2 included.
"$TOOL" create "$CG"
for h in cpu cpuacct cpuset memory pids devices freezer blkio; do
        [ -d "$ROOT/$h$CG" ] || fail "$ROOT/$h$CG was not created"
        pass
done
assert_eq "$(val cpuset/cpuset.cpus)" "$(val cpuset$CG/cpuset.cpus)" "inherited cpuset.cpus"

# Limits, read back from the files.
"$TOOL" apply "$CG" cpu_shares=512 cpu_period=100000 cpu_quota=20000 \
        memory_limit=67108864 memory_swap=67108864 memory_reservation=33554432 pids_limit=8 \
        device=deny:a:-1:-1:rwm device=allow:c:1:3:rwm device=allow:c:1:5:rwm
assert_eq 512 "$(val cpu$CG/cpu.shares)" "cpu.shares"
assert_eq 100000 "$(val cpu$CG/cpu.cfs_period_us)" "cpu.cfs_period_us"
assert_eq 20000 "$(val cpu$CG/cpu.cfs_quota_us)" "cpu.cfs_quota_us"
assert_eq 67108864 "$(val memory$CG/memory.limit_in_bytes)" "memory.limit_in_bytes"
assert_eq 33554432 "$(val memory$CG/memory.soft_limit_in_bytes)" "memory.soft_limit_in_bytes"
if [ -e "$ROOT/memory$CG/memory.memsw.limit_in_bytes" ]; then
        assert_eq 67108864 "$(val memory$CG/memory.memsw.limit_in_bytes)" "memsw"
fi
assert_eq 8 "$(val pids$CG/pids.max)" "pids.max"
devices=$(cat "$ROOT/devices$CG/devices.list")
assert_contains "$devices" "c 1:3 rwm" "devices.list"
assert_contains "$devices" "c 1:5 rwm" "devices.list"
assert_not_contains "$devices" "a *:* rwm" "devices.list"
"$TOOL" apply "$CG" cpus=0 mems=0
assert_eq 0 "$(val cpuset$CG/cpuset.cpus)" "cpuset.cpus"
assert_eq 0 "$(val cpuset$CG/cpuset.mems)" "cpuset.mems"
assert_status 1 "$TOOL" apply "$CG" cpus=4096
err=$("$TOOL" apply "$CG" cpus=4096 2>&1 || true)
assert_contains "$err" "cpuset.cpus" "error for an impossible cpuset"
assert_eq 67108864 "$(stat_of memory.limit)" "stats memory.limit"
assert_eq 8 "$(stat_of pids.limit)" "stats pids.limit"

# No quota: v1 writes -1.
"$TOOL" apply "$CG" cpu_quota=0
assert_eq -1 "$(val cpu$CG/cpu.cfs_quota_us)" "cpu.cfs_quota_us without a quota"
"$TOOL" apply "$CG" cpu_quota=20000
assert_eq 20000 "$(val cpu$CG/cpu.cfs_quota_us)" "cpu.cfs_quota_us"

# A child moved in: listed, counted, and charged.
"$TOOL" exec "$CG" -- sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 60' &
child=$!
for _ in $(seq 50); do
        grep -qx "$child" "$ROOT/pids$CG/cgroup.procs" && break
        sleep 0.1
done
for h in cpu memory pids freezer systemd unified; do
        grep -qx "$child" "$ROOT/$h$CG/cgroup.procs" || fail "$child not in $h$CG"
        pass
done
assert_eq "$child" "$("$TOOL" pids "$CG")" "pids of the cgroup"
assert_eq 1 "$(stat_of pids.current)" "pids.current"
usage=$(stat_of cpu.usage_ns)
[ "$usage" -gt 0 ] || fail "cpu.usage_ns is $usage"
pass
# Read after the sample, so it may only have grown since.
later=$(val cpuacct$CG/cpuacct.usage)
[ "$usage" -le "$later" ] || fail "cpu.usage_ns $usage above cpuacct.usage $later"
pass
mem=$(stat_of memory.usage)
[ "$mem" -gt 0 ] || fail "memory.usage is $mem"
pass
[ "$(stat_of cpu.n_percpu)" -ge 1 ] || fail "no per-cpu usage"
pass

# Freeze and thaw, waiting for the state.
"$TOOL" freeze "$CG"
assert_eq FROZEN "$(val freezer$CG/freezer.state)" "freezer.state"
state=$(awk '{print $3}' "/proc/$child/stat")
assert_ne R "$state" "frozen task state"
"$TOOL" thaw "$CG"
assert_eq THAWED "$(val freezer$CG/freezer.state)" "freezer.state"

# Kill: nobody left.
"$TOOL" kill "$CG"
{ wait "$child"; } 2>/dev/null || true
assert_eq "" "$("$TOOL" pids "$CG")" "pids after kill"

# A pids limit stops a (bounded) fork bomb: 8 tasks at most, itself included.
out=$("$TOOL" exec "$CG" -- "$TOOL" forkbomb 64)
forked=$(sed -n 's/.*forked=\([0-9]*\).*/\1/p' <<<"$out")
failed=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$out")
[ "$forked" -le 7 ] || fail "fork bomb forked $forked children under pids.max 8"
pass
[ "$failed" -ge 57 ] || fail "only $failed forks failed"
pass

# OOM: a child allocating past a 32 MiB limit (no swap) is killed; the eventfd says so.
"$TOOL" apply "$CG" memory_limit=33554432 memory_swap=33554432
out=$("$TOOL" oom-run "$CG" 10000 -- "$TOOL" alloc 256)
assert_contains "$out" "oom_kills=1" "OOM notification"
assert_contains "$out" "child=killed" "OOM victim"
[ "$(stat_of memory.oom_kills)" -ge 1 ] || fail "memory.oom_kills not counted"
pass
# The memsw counter trips first when swap equals the limit, so look at the peak instead.
peak=$(stat_of memory.max_usage)
[ "$peak" -gt 16777216 ] || fail "memory.max_usage $peak: the allocation was not charged"
pass

# A v1 OOM watch learns that its cgroup is gone (-ENOENT = -2), instead of waiting forever.
"$TOOL" create "$CG-gone"
out=$("$TOOL" oom-gone "$CG-gone")
assert_eq "woken=1 consume=-2" "$out" "OOM watch after rmdir"

# Delete leaves nothing behind.
"$TOOL" delete "$CG"
left=$(ls -d "$ROOT"/*"$CG" 2>/dev/null || true)
assert_eq "" "$left" "directories left after delete"
assert_status 1 "$TOOL" stats "$CG"

# A systemd-form path on the host: the slice stays a directory.
rel=$("$TOOL" map "kata_test_$$.slice:kata:c1")
assert_eq "$SLICE/kata-c1.scope" "$rel" "mapped path"
"$TOOL" create "$rel"
[ -d "$ROOT/memory$SLICE/kata-c1.scope" ] || fail "scope not created under the slice"
pass
"$TOOL" delete "$rel"
"$TOOL" delete "$SLICE"
left=$(ls -d "$ROOT"/*"$SLICE" 2>/dev/null || true)
assert_eq "" "$left" "slice directories left"

finish
