#!/usr/bin/env bash
# kata-ctl top batch modes against three real sandboxes: JSON figures agree with the
# cgroup files, the busy container is above 50% CPU and the idle ones below 5%, text
# frames list the busy sandbox first, usage errors exit 2.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/top/top-lib.sh"
runtime_setup
start_three_sandboxes

assert_status 2 "$TOP" top -b -n 0
assert_status 2 "$TOP" top -b -d 0.01
assert_status 2 "$TOP" top -b --sort nosuchcolumn
assert_status 2 "$TOP" top -b extra-argument

# Three frames of two seconds each; every container's figures and processes. On a
# loaded two-CPU machine one window may starve the busy loop, so its best frame counts;
# the idle containers must stay below 5% in every frame.
frames=$("$TOP" top --json -n 3 -d 2 --root "$ROOT")
assert_eq 3 "$(wc -l <<<"$frames")" "one JSON line per frame"
json=$(tail -n 1 <<<"$frames")
q() { jq -r "$1" <<<"$json"; }
assert_eq "busy idle1 idle2" "$(q '[.sandboxes[].id] | join(" ")')" "sandboxes"
assert_eq "local" "$(q '.sandboxes[0].hypervisor')" "driver"

cpus() { jq -r ".sandboxes[].containers[] | select(.id==\"$1\") | .cpu_percent" <<<"$frames"; }
busy_cpu=$(cpus busy | sort -g | tail -n 1)
awk -v v="$busy_cpu" 'BEGIN { exit !(v > 50) }' ||
        fail "busy container at $(cpus busy | tr '\n' ' ')% CPU, expected > 50 (load: $(cat /proc/loadavg))"
pass
for c in idle1 idle2 idle2-b; do
        v=$(cpus "$c" | sort -g | tail -n 1)
        awk -v v="$v" 'BEGIN { exit !(v >= 0 && v < 5) }' || fail "idle container $c at $v% CPU, expected < 5"
        pass
done

# Memory and pids as the cgroup files say (an idle container's figures hold still).
for c in idle1 idle2-b; do
        sb=${c%-b}
        mem=$(q ".sandboxes[] | select(.id==\"$sb\") | .containers[] | select(.id==\"$c\") | .memory_usage_bytes")
        file=$(cat "$(container_cgroup memory "$sb" "$c")/memory.usage_in_bytes")
        diff=$((mem > file ? mem - file : file - mem))
        [ "$diff" -le 65536 ] || fail "$c memory: top says $mem, memory.usage_in_bytes $file"
        pass
        pids=$(q ".sandboxes[] | select(.id==\"$sb\") | .containers[] | select(.id==\"$c\") | .pids_current")
        assert_eq "$(cat "$(container_cgroup pids "$sb" "$c")/pids.current")" "$pids" "$c pids"
done
# A sandbox's pids count the agent's threads, one of which serves our connection while
# it lasts: compare the sandbox's figure from a run that does not talk to the agent.
sb_pids=$("$TOP" top --json --no-agent -n 1 -d 0.2 --root "$ROOT" |
        jq '.sandboxes[] | select(.id=="idle2") | .pids_current')
assert_eq "$(cat /sys/fs/cgroup/pids/"$CG_PARENT"/kata_idle2/pids.current)" "$sb_pids" "idle2 sandbox pids"
assert_eq "null" "$(q '.sandboxes[0].memory_limit_bytes')" "no memory limit is null"

# Processes: host and sandbox pids of the busy loop, and the agent answered.
assert_contains "$(q '.sandboxes[] | select(.id=="busy") | .containers[0].processes[0].args')" "while" "busy process args"
host_pid=$(q '.sandboxes[] | select(.id=="busy") | .containers[0].processes[0].host_pid')
# (The cgroup is the truth: kata-runtime's recorded pid can belong to another sandbox
# of the same name under another cgroup parent.)
assert_eq "$(cat "$(container_cgroup pids busy busy)/cgroup.procs")" "$host_pid" "host pid of the busy container"
assert_ne "null" "$(q '.sandboxes[] | select(.id=="busy") | .containers[0].processes[0].sandbox_pid')" "sandbox pid"
assert_eq "true" "$(q '.sandboxes[0].agent.ok')" "agent health"
assert_ne "null" "$(q '.sandboxes[0].agent.latency_us')" "agent latency"

# EXEC/s from the eBPF exec stream (kata-ctl trace exec): a sandbox that execs in a loop
# has a rate, an idle one none. Where eBPF is unavailable the rate is null with a hint.
execer=$(make_bundle execer-bundle -- sh -c 'while :; do /bin/true; sleep 0.2; done')
rt create --bundle "$execer" execer && rt start execer
json=$("$TOP" top --json --no-processes -n 3 -d 1 --root "$ROOT" | tail -n 1)
if [ "$(q '.exec_hint')" = null ]; then
        rate=$(q '.sandboxes[] | select(.id=="execer") | .exec_per_sec')
        awk -v v="$rate" 'BEGIN { exit !(v >= 2) }' || fail "execer at $rate exec/s, expected >= 2"
        pass
        assert_eq 0 "$(q '.sandboxes[] | select(.id=="idle1") | .exec_per_sec')" "idle exec/s"
else
        echo "note: no exec stream here: $(q '.exec_hint')"
        assert_eq null "$(q '.sandboxes[0].exec_per_sec')" "exec/s without the eBPF stream"
fi

# Text frames: the sandbox list, busiest first.
text=$("$TOP" top -b -n 2 -d 1 --root "$ROOT")
assert_eq 2 "$(grep -c '^kata-ctl top - ' <<<"$text")" "two frames"
first=$(awk '/^ID /{getline; print $1; exit}' <<<"$text")
assert_eq busy "$first" "first row sorted by CPU"
with_containers=$("$TOP" top -b -c -n 1 -d 0.5 --root "$ROOT")
assert_contains "$with_containers" "idle2-b" "text frame with containers"
sorted=$("$TOP" top -b -n 1 -d 0.5 --sort id --root "$ROOT" | awk '/^ID /{getline; print $1; exit}')
assert_eq busy "$sorted" "sorted by id"
filtered=$("$TOP" top -b -n 1 -d 0.5 --filter idle2 --root "$ROOT")
assert_not_contains "$filtered" "idle1" "filtered frame"

# An empty root is no sandboxes, not an error.
empty=$("$TOP" top --json -n 1 -d 0.2 --root "$WORK/empty-root")
assert_eq 0 "$(jq '.sandboxes | length' <<<"$empty")" "empty root"
# An unreadable state entry is skipped and named, not fatal.
mkdir -p "$WORK/broken-root/bad"
echo '{"version": 9}' >"$WORK/broken-root/bad/state.json"
broken=$("$TOP" top --json -n 1 -d 0.2 --root "$WORK/broken-root")
assert_eq "bad" "$(jq -r '.problems[0].id' <<<"$broken")" "problem entry"
assert_contains "$(jq -r '.problems[0].error' <<<"$broken")" "newer than this build" "problem reason"
assert_contains "$("$TOP" top -b -n 1 -d 0.2 --root "$WORK/broken-root")" "! bad: " "text frame problem line"
finish
