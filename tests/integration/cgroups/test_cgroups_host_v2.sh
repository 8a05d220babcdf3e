#!/usr/bin/env bash
# The cgroups library on this host's real cgroup2 (at /sys/fs/cgroup/unified on hybrid
# hosts, /sys/fs/cgroup on unified ones), used as a v2 layout on its own: create, move a
# process in, cpu.stat, cgroup.freeze with cgroup.events, cgroup.kill, delete. Limits and
# OOM only where the hierarchy has those controllers (this host's has none).
source "$KATA_SOURCE_DIR/tests/lib.sh"
require_root

TOOL=${1:-$KATA_BUILD_DIR/tests/kata-cgroup-tool}
[ -x "$TOOL" ] || fail "helper $TOOL not built"
mnt=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
if [ -z "$mnt" ]; then
        echo "SKIP [$TEST_NAME]: no cgroup2 mount"
        exit 77
fi
export KATA_CGROUP_ROOT=$mnt
CG=/kata-test-v2-$$
cleanup() {
        "$TOOL" kill "$CG" >/dev/null 2>&1 || true
        "$TOOL" delete "$CG" >/dev/null 2>&1 || true
}
trap cleanup EXIT
stat_of() {
        "$TOOL" stats "$CG" | sed -n "s/^$1=//p"
}
controllers=$(cat "$mnt/cgroup.controllers")

assert_contains "$("$TOOL" layout)" "mode=v2" "layout of $mnt"
"$TOOL" create "$CG"
[ -d "$mnt$CG" ] || fail "$mnt$CG not created"
pass
if [ ! -e "$mnt$CG/cgroup.freeze" ]; then
        echo "SKIP [$TEST_NAME]: kernel without cgroup.freeze"
        exit 77
fi

"$TOOL" exec "$CG" -- sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 60' &
child=$!
for _ in $(seq 50); do
        grep -qx "$child" "$mnt$CG/cgroup.procs" && break
        sleep 0.1
done
assert_eq "$child" "$("$TOOL" pids "$CG")" "pids of the cgroup"
usage=$(stat_of cpu.usage_ns)
[ "${usage:-0}" -gt 0 ] || fail "cpu.usage_ns from cpu.stat is '$usage'"
pass
want=$(awk '$1 == "usage_usec" { print $2 * 1000 }' "$mnt$CG/cpu.stat")
[ "$usage" -le "$want" ] || fail "cpu.usage_ns $usage above cpu.stat's $want"
pass

"$TOOL" freeze "$CG"
assert_contains "$(cat "$mnt$CG/cgroup.events")" "frozen 1" "cgroup.events after freeze"
assert_eq 1 "$(cat "$mnt$CG/cgroup.freeze")" "cgroup.freeze"
"$TOOL" thaw "$CG"
assert_contains "$(cat "$mnt$CG/cgroup.events")" "frozen 0" "cgroup.events after thaw"

case " $controllers " in
*" pids "*)
        "$TOOL" apply "$CG" pids_limit=8
        assert_eq 8 "$(cat "$mnt$CG/pids.max")" "pids.max"
        out=$("$TOOL" exec "$CG" -- "$TOOL" forkbomb 64)
        forked=$(sed -n 's/.*forked=\([0-9]*\).*/\1/p' <<<"$out")
        [ "$forked" -le 7 ] || fail "fork bomb forked $forked children under pids.max 8"
        pass
        ;;
esac
case " $controllers " in
*" memory "*)
        "$TOOL" apply "$CG" memory_limit=33554432 memory_swap=33554432
        out=$("$TOOL" oom-run "$CG" 10000 -- "$TOOL" alloc 256)
        assert_contains "$out" "oom_kills=1" "OOM notification (inotify on memory.events)"
        ;;
esac

"$TOOL" kill "$CG"
{ wait "$child"; } 2>/dev/null || true
assert_eq "" "$("$TOOL" pids "$CG")" "pids after kill"
"$TOOL" delete "$CG"
[ ! -e "$mnt$CG" ] || fail "$mnt$CG left after delete"
pass

finish
