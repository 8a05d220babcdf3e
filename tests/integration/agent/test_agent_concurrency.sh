#!/usr/bin/env bash
# No lock held across blocking work: SignalProcess and RemoveContainer complete while 20
# StatsContainer calls and a pending GetOOMEvent long poll are in flight, and every stats
# caller gets an answer (stats, or NOT_FOUND once the container is gone).
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/agent/agent-lib.sh"

agent_setup
agent_start

bundle=$(make_bundle b --cgroups-path "system.slice:kata:busy" -- sleep 1000)
create_container busy "$bundle"
rpc StartContainer '{"container_id":"busy"}' >/dev/null
rpc ExecProcess '{"container_id":"busy","exec_id":"e1","process":{"Args":["sleep","999"],"Cwd":"/"}}' >/dev/null

"$KATA_CTL" agent --addr "$ADDR" --compact -t 300 GetOOMEvent >"$WORK/oom.out" 2>&1 &
oom_poll=$!

# 20 clients, each calling StatsContainer in a loop until the container is gone.
stats_pids=()
for i in $(seq 1 20); do
        (
                n=0
                while :; do
                        out=$("$KATA_CTL" agent --addr "$ADDR" --compact -t 30 StatsContainer \
                                '{"container_id":"busy"}' 2>&1) && { n=$((n + 1)); continue; }
                        case $out in
                        *NOT_FOUND*) echo "ok $n"; exit 0 ;;
                        *) echo "error after $n: $out"; exit 1 ;;
                        esac
                done
        ) >"$WORK/stats.$i" &
        stats_pids+=($!)
done
# Let them all get going (not an assertion: any overlap proves the point).
sleep 0.5

"$KATA_CTL" agent --addr "$ADDR" -t 30 SignalProcess '{"container_id":"busy","exec_id":"e1","signal":9}' >/dev/null ||
        fail "SignalProcess did not complete while stats and an OOM poll were in flight"
pass
assert_eq 137 "$(rpc WaitProcess '{"container_id":"busy","exec_id":"e1"}' | jq -r .status)" "signalled exec status"
"$KATA_CTL" agent --addr "$ADDR" -t 30 RemoveContainer '{"container_id":"busy"}' >/dev/null ||
        fail "RemoveContainer did not complete while stats and an OOM poll were in flight"
pass

for i in $(seq 1 20); do
        wait "${stats_pids[$((i - 1))]}" || fail "stats client $i: $(cat "$WORK/stats.$i")"
        assert_contains "$(cat "$WORK/stats.$i")" "ok " "stats client $i"
done
total=$(cat "$WORK"/stats.* | awk '{s += $2} END {print s}')
[ "$total" -gt 0 ] || fail "no StatsContainer call succeeded before the remove"
pass
kill -0 "$oom_poll" 2>/dev/null || fail "the pending GetOOMEvent ended: $(cat "$WORK/oom.out")"
pass
[ ! -d "$(container_cgroup_dir pids /system.slice/kata-busy.scope)" ] || fail "cgroup left behind"
pass
assert_eq SERVING "$(rpc Check | jq -r .status)" "health"
kill "$oom_poll" 2>/dev/null || true
echo "stats calls served before the remove: $total"
finish
