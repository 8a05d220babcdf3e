#!/usr/bin/env bash
# The seed's case and a container's whole life through the agent's API: a runc-spec
# bundle whose cgroupsPath is system.slice:kata:<id> runs under an init-mode agent, sits in
# the mapped cgroupfs path; exec, wait, signal, stdio, stats against the cgroup files,
# pause/resume, and a remove that leaves no cgroup, mount or process behind.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/agent/agent-lib.sh"

agent_setup
agent_start

details=$(rpc GetGuestDetails)
assert_eq true "$(echo "$details" | jq -r .agent_details.init_daemon)" "init_daemon"
assert_eq cgroupfs "$(echo "$details" | jq -r .agent_details.cgroup_driver)" "cgroup driver"
assert_contains "$(cat "$AGENT_LOG")" "cgroup driver cgroupfs: agent runs as init" "agent log"

rpc CreateSandbox '{"sandbox_id":"sb1","hostname":"sandbox1"}' >/dev/null
id=c1
marker="sleep 4242"
bundle=$(make_bundle b1 --cgroups-path "system.slice:kata:$id" --hostname ctr1 -- \
        sh -c "echo hello; cat /proc/self/cgroup; hostname; exec $marker")
create_container "$id" "$bundle"
assert_contains "$(cat "$AGENT_LOG")" "cgroupsPath 'system.slice:kata:c1' has the systemd form" "agent log"
rpc StartContainer "{\"container_id\":\"$id\"}" >/dev/null

out=$(read_some "$id")
while [ "$(echo "$out" | wc -l)" -lt 3 ]; do out+=$'\n'$(read_some "$id"); done
assert_contains "$out" "hello" "container stdout"
# The container sees the mapped path relative to the sandbox (the agent's cgroup ns).
assert_contains "$out" ":memory:/system.slice/kata-c1.scope" "container /proc/self/cgroup"
assert_contains "$out" "ctr1" "container hostname"

# On the host it sits in <sandbox cgroup>/system.slice/kata-c1.scope.
mapped=/system.slice/kata-$id.scope
for c in memory pids cpu freezer; do
        dir=$(container_cgroup_dir $c "$mapped")
        [ -d "$dir" ] || fail "no cgroup $dir"
        procs=$(cat "$dir/cgroup.procs")
        [ -n "$procs" ] || fail "$dir holds no process"
        pass
done
init_pid=$(head -1 "$(container_cgroup_dir pids "$mapped")/cgroup.procs")
assert_contains "$(tr '\0' ' ' </proc/$init_pid/cmdline)" "$marker" "init's command line"

# runc's spec denies every device; the defaults stay usable, others are refused.
devlist=$(cat "$(container_cgroup_dir devices "$mapped")/devices.list")
assert_not_contains "$devlist" "a *:* rwm" "devices.list"
assert_contains "$devlist" "c 1:3 rwm" "devices.list (null)"
rpc ExecProcess "{\"container_id\":\"$id\",\"exec_id\":\"d1\",\"process\":{\"Capabilities\":{\"Bounding\":[\"CAP_MKNOD\",\"CAP_DAC_OVERRIDE\"],\"Effective\":[\"CAP_MKNOD\",\"CAP_DAC_OVERRIDE\"],\"Permitted\":[\"CAP_MKNOD\",\"CAP_DAC_OVERRIDE\"]},\"Args\":[\"sh\",\"-c\",\"echo x > /dev/null && echo null-ok; exec 2>&1; mknod /dev/sda b 8 0 && head -c1 /dev/sda || echo sda-refused\"],\"Cwd\":\"/\"}}" >/dev/null
out=$(read_all "$id" d1)
assert_contains "$out" "null-ok" "writing /dev/null"
assert_contains "$out" "sda-refused" "reading a block device the spec denies"
assert_contains "$out" "Operation not permitted" "the device cgroup's refusal"

# runc's spec keeps CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE: 0x20000420.
rpc ExecProcess "{\"container_id\":\"$id\",\"exec_id\":\"cap\",\"process\":{\"Args\":[\"grep\",\"^Cap\",\"/proc/self/status\"],\"Cwd\":\"/\"}}" >/dev/null
out=$(read_all "$id" cap)
assert_contains "$out" "CapEff:	0000000020000420" "effective capabilities of an exec"
assert_contains "$out" "CapBnd:	0000000020000420" "bounding capabilities of an exec"
assert_contains "$(grep CapBnd /proc/$init_pid/status)" "0000000020000420" "bounding capabilities of the init"

# exec, stdio, wait
rpc ExecProcess "{\"container_id\":\"$id\",\"exec_id\":\"e1\",\"process\":{\"Args\":[\"sh\",\"-c\",\"read line; echo got:\$line; cat /proc/1/cmdline | tr '\\\\0' ' '; exit 7\"],\"Cwd\":\"/\",\"Env\":[\"PATH=/bin\"]}}" >/dev/null
rpc WriteStdin "{\"container_id\":\"$id\",\"exec_id\":\"e1\",\"data\":\"$(printf 'ping\n' | base64)\"}" >/dev/null
rpc CloseStdin "{\"container_id\":\"$id\",\"exec_id\":\"e1\"}" >/dev/null
out=$(read_all "$id" e1)
assert_contains "$out" "got:ping" "exec stdout"
assert_contains "$out" "$marker" "exec sees the container's pid namespace (pid 1)"
status=$(rpc WaitProcess "{\"container_id\":\"$id\",\"exec_id\":\"e1\"}" | jq -r .status)
assert_eq 7 "$status" "exec exit status"

# a process with a terminal: its size from ConsoleSize, then from TtyWinResize
rpc ExecProcess "{\"container_id\":\"$id\",\"exec_id\":\"t1\",\"process\":{\"Terminal\":true,\"ConsoleSize\":{\"Height\":40,\"Width\":100},\"Args\":[\"sh\",\"-c\",\"test -t 0 && echo is-a-tty; stty size; read x; stty size\"],\"Cwd\":\"/\"}}" >/dev/null
out=$(read_some "$id" t1)
while [ "$(echo "$out" | grep -c .)" -lt 2 ]; do out+=$(read_some "$id" t1); done
assert_contains "$out" "is-a-tty" "exec with a terminal"
assert_contains "$out" "40 100" "terminal size from ConsoleSize"
rpc TtyWinResize "{\"container_id\":\"$id\",\"exec_id\":\"t1\",\"row\":50,\"column\":120}" >/dev/null
rpc WriteStdin "{\"container_id\":\"$id\",\"exec_id\":\"t1\",\"data\":\"$(printf 'go\r' | base64)\"}" >/dev/null
out=$(read_all "$id" t1)
assert_contains "$out" "50 120" "terminal size after TtyWinResize"
assert_eq 0 "$(rpc WaitProcess "{\"container_id\":\"$id\",\"exec_id\":\"t1\"}" | jq -r '.status // 0')" "terminal exec status"
assert_contains "$(rpc_err TtyWinResize "{\"container_id\":\"$id\",\"exec_id\":\"e1\",\"row\":1,\"column\":1}")" "has no terminal" "resize without a terminal"

# signal an exec'd process
rpc ExecProcess "{\"container_id\":\"$id\",\"exec_id\":\"e2\",\"process\":{\"Args\":[\"sleep\",\"1000\"],\"Cwd\":\"/\"}}" >/dev/null
procs=$(rpc ListProcesses "{\"container_id\":\"$id\"}")
assert_eq 2 "$(echo "$procs" | jq '.processes | length')" "ListProcesses count"
assert_contains "$procs" '"sleep","1000"' "ListProcesses args"
rpc SignalProcess "{\"container_id\":\"$id\",\"exec_id\":\"e2\",\"signal\":15}" >/dev/null
status=$(rpc WaitProcess "{\"container_id\":\"$id\",\"exec_id\":\"e2\"}" | jq -r .status)
assert_eq 143 "$status" "status of a process killed by SIGTERM (128 + 15)"
err=$(rpc_err SignalProcess "{\"container_id\":\"$id\",\"exec_id\":\"nope\",\"signal\":15}")
assert_contains "$err" "NOT_FOUND" "signal to an unknown exec"

# stats match the cgroup files
stats=$(rpc StatsContainer "{\"container_id\":\"$id\"}")
memdir=$(container_cgroup_dir memory "$mapped")
pidsdir=$(container_cgroup_dir pids "$mapped")
assert_eq "$(cat "$pidsdir/pids.current")" "$(echo "$stats" | jq -r .cgroup_stats.pids_stats.current)" "pids.current"
usage=$(echo "$stats" | jq -r .cgroup_stats.memory_stats.usage.usage)
file_usage=$(cat "$memdir/memory.usage_in_bytes")
# Usage moves by a few pages between two reads; it must be the same order.
[ "$usage" -gt 0 ] && [ $((usage - file_usage)) -lt 1048576 ] && [ $((file_usage - usage)) -lt 1048576 ] ||
        fail "memory usage $usage vs memory.usage_in_bytes $file_usage"
pass
assert_eq lo "$(echo "$stats" | jq -r '.network_stats[0].name')" "network stats of the sandbox (only lo)"
cpu_total=$(echo "$stats" | jq -r .cgroup_stats.cpu_stats.cpu_usage.total_usage)
[ "$cpu_total" -le "$(cat "$(container_cgroup_dir cpuacct "$mapped")/cpuacct.usage")" ] ||
        fail "cpu total_usage $cpu_total above cpuacct.usage"
pass

# new limits
rpc UpdateContainer "{\"container_id\":\"$id\",\"resources\":{\"Pids\":{\"Limit\":77}}}" >/dev/null
assert_eq 77 "$(cat "$pidsdir/pids.max")" "pids.max after UpdateContainer"

# pause / resume
rpc PauseContainer "{\"container_id\":\"$id\"}" >/dev/null
assert_eq FROZEN "$(cat "$(container_cgroup_dir freezer "$mapped")/freezer.state")" "freezer.state after pause"
err=$(rpc_err ExecProcess "{\"container_id\":\"$id\",\"exec_id\":\"e3\",\"process\":{\"Args\":[\"true\"],\"Cwd\":\"/\"}}")
assert_contains "$err" "FAILED_PRECONDITION" "exec into a paused container"
rpc ResumeContainer "{\"container_id\":\"$id\"}" >/dev/null
assert_eq THAWED "$(cat "$(container_cgroup_dir freezer "$mapped")/freezer.state")" "freezer.state after resume"

metrics=$(rpc GetMetrics | jq -r .metrics)
assert_contains "$metrics" "kata_agent_scrape_count 1" "metrics"
assert_contains "$metrics" "kata_guest_meminfo{item=\"MemTotal\"}" "metrics"

# remove leaves nothing behind
rpc RemoveContainer "{\"container_id\":\"$id\"}" >/dev/null
for c in memory pids cpu cpuacct freezer cpuset; do
        dir=$(container_cgroup_dir $c "$mapped")
        [ ! -d "$dir" ] || fail "cgroup $dir left behind"
        pass
done
! pgrep -f "$marker" >/dev/null || fail "process '$marker' left behind"
pass
assert_not_contains "$(cat /proc/$AGENT_PID/mountinfo)" "$bundle" "agent mounts"
assert_not_contains "$(cat /proc/self/mountinfo)" "$bundle" "host mounts"
err=$(rpc_err StatsContainer "{\"container_id\":\"$id\"}")
assert_contains "$err" "NOT_FOUND" "stats of a removed container"
assert_eq SERVING "$(rpc Check | jq -r .status)" "health after the lifecycle"

rpc DestroySandbox >/dev/null
for i in $(seq 1 50); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$AGENT_PID" 2>/dev/null || fail "agent still running after DestroySandbox"
pass
wait "$UNSHARE_PID" || fail "agent exited with status $?"
pass
finish
