# Helpers for the monitor tests (sourced after tests/lib.sh). Until kata-runtime can start
# sandboxes, a sandbox is made the way the local driver makes one: a host cgroup per
# controller, a real kata-agent as pid 1 of new namespaces inside it listening on hybrid
# vsock in <root>/<id>/, one running container, and state.json written by hand.

AGENT_BIN=$KATA_BIN/kata-agent
KATA_CTL=$KATA_BIN/kata-ctl
MAKE_BUNDLE=$KATA_SOURCE_DIR/tests/bundle/make-bundle.sh
CONTROLLERS=(cpu cpuacct cpuset memory pids devices freezer blkio systemd unified)

monitor_setup() {
        require_root
        [ -x "$AGENT_BIN" ] || fail "kata-agent not built: $AGENT_BIN"
        [ -x "$KATA_CTL" ] || fail "kata-ctl not built: $KATA_CTL"
        command -v jq >/dev/null || fail "jq is missing (.ci/install-deps)"
        WORK=$(scratch_dir)
        ROOT=$WORK/root
        mkdir -p "$ROOT"
        CG_DIRS=()
        UNSHARE_PIDS=()
        BG_PIDS=()
        trap monitor_cleanup EXIT
}

# The runtime puts a sandbox at one path relative to every hierarchy. This shell may sit
# in different cgroups per hierarchy (a memory cgroup of its own, say): the sandbox goes
# under the memory one, in every hierarchy, so it stays inside our memory limit.
cgroup_base() {
        local line
        line=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' /proc/self/cgroup)
        line=${line#*:*:}
        echo "${line%/}"
}

# mkdir -p that remembers what it created, for cleanup (deepest last).
make_cgroup_dir() {
        local dir=$1 missing=() d=$1
        while [ ! -d "$d" ]; do
                missing=("$d" "${missing[@]}")
                d=$(dirname "$d")
        done
        for d in "${missing[@]}"; do
                mkdir "$d"
                CG_DIRS+=("$d")
                case $d in
                /sys/fs/cgroup/cpuset/*)
                        cat "$(dirname "$d")/cpuset.cpus" >"$d/cpuset.cpus"
                        cat "$(dirname "$d")/cpuset.mems" >"$d/cpuset.mems"
                        ;;
                esac
        done
}

# agent_rpc ADDR METHOD [JSON]
agent_rpc() {
        local addr=$1 out
        shift
        out=$("$KATA_CTL" agent --addr "$addr" --compact -t 30 "$@" 2>&1) || fail "rpc $1 failed: $out"
        echo "$out"
}

# sandbox_start ID [--no-container]: agent + one running container "<ID>-c1"; writes
# state.json.
sandbox_start() {
        local id=$1 with_container=true c dir cgjson="{}" sock addr log
        [ "${2:-}" = --no-container ] && with_container=false
        local rel
        rel=$(cgroup_base)/kata-test-monitor-$$-$id
        mkdir -p "$ROOT/$id"
        sock=$ROOT/$id/kata.hvsock
        addr=hvsock://$sock:1024
        log=$WORK/agent-$id.log
        local dirs=()
        for c in "${CONTROLLERS[@]}"; do
                [ -d "/sys/fs/cgroup/$c" ] || continue
                dir=/sys/fs/cgroup/$c$rel
                make_cgroup_dir "$dir"
                dirs+=("$dir")
                case $c in
                systemd) ;;
                unified) ;; # hybrid: the state records the v1 hierarchies
                *) cgjson=$(jq -c --arg c "$c" --arg d "$dir" '. + {($c): $d}' <<<"$cgjson") ;;
                esac
        done
        (
                for dir in "${dirs[@]}"; do echo $BASHPID >"$dir/cgroup.procs"; done
                exec unshare --fork --pid --mount --uts --ipc --net --cgroup --mount-proc \
                        "$AGENT_BIN" --server-addr "$addr"
        ) >"$log" 2>&1 &
        local upid=$!
        UNSHARE_PIDS+=("$upid")
        local i ok=false
        for i in $(seq 1 100); do
                if [ -S "$sock" ] && "$KATA_CTL" agent --addr "$addr" -t 2 Check >/dev/null 2>&1; then
                        ok=true
                        break
                fi
                sleep 0.1
        done
        $ok || { cat "$log" >&2; fail "agent of $id did not answer within 10 s"; }
        local apid
        apid=$(pgrep -P "$upid" | head -1)
        agent_rpc "$addr" CreateSandbox "{\"sandbox_id\":\"$id\",\"hostname\":\"$id\"}" >/dev/null
        local cid=$id-c1 bundle=$WORK/bundle-$id containers='[]'
        if $with_container; then
                # A little CPU and memory, then sleep: every container series has data.
                "$MAKE_BUNDLE" --cgroups-path "/kata/$cid" "$bundle" -- \
                        sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 100000' >/dev/null
                jq --arg root "$bundle/rootfs" 'del(.ociVersion) | .root.path = $root' \
                        "$bundle/config.json" >"$bundle/oci.json"
                agent_rpc "$addr" CreateContainer --oci "$bundle/oci.json" "{\"container_id\":\"$cid\"}" >/dev/null
                agent_rpc "$addr" StartContainer "{\"container_id\":\"$cid\"}" >/dev/null
                containers=$(jq -nc --arg cid "$cid" --arg bundle "$bundle" '[{id: $cid, bundle: $bundle,
                        status: "running", cgroup_path: ("/kata/" + $cid)}]')
        fi
        jq -n --arg id "$id" --arg addr "$addr" --argjson apid "$apid" --argjson cg "$cgjson" \
                --argjson containers "$containers" --argjson now "$(date +%s%N)" '{
                version: 1, id: $id, hypervisor: "local", state: "running", created_ns: $now,
                agent_address: $addr, pids: {agent: $apid},
                cgroups: {version: 1, paths: $cg}, containers: $containers
        }' >"$ROOT/$id/state.json"
        eval "AGENT_PID_${id//[^A-Za-z0-9]/_}=$apid"
}

# agent_pid ID
agent_pid() {
        local v=AGENT_PID_${1//[^A-Za-z0-9]/_}
        echo "${!v}"
}

# monitor_start [ARGS]: kata-ctl monitor on a free loopback port; sets MONITOR_URL.
monitor_start() {
        "$KATA_CTL" monitor --root "$ROOT" --listen 127.0.0.1:0 "$@" >"$WORK/monitor.out" 2>"$WORK/monitor.err" &
        MONITOR_PID=$!
        BG_PIDS+=("$MONITOR_PID")
        local i port=""
        for i in $(seq 1 100); do
                port=$(sed -n 's/.*serving on port \([0-9]*\).*/\1/p' "$WORK/monitor.out")
                [ -n "$port" ] && break
                kill -0 "$MONITOR_PID" 2>/dev/null || { cat "$WORK/monitor.err" >&2; fail "monitor exited"; }
                sleep 0.05
        done
        [ -n "$port" ] || fail "monitor did not print its port"
        MONITOR_URL=http://127.0.0.1:$port
}

# free_port: a TCP port nobody listens on now (loopback).
free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wedged_sandbox ID: a sandbox whose "agent" accepts connections and never answers (a
# wedged VM), written to state.json like the others.
wedged_sandbox() {
        local id=$1
        mkdir -p "$ROOT/$id"
        python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(64)
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$ROOT/$id/kata.hvsock" &
        BG_PIDS+=("$!")
        jq -n --arg id "$id" --arg addr "hvsock://$ROOT/$id/kata.hvsock:1024" '{
                version: 1, id: $id, hypervisor: "local", state: "running", created_ns: 1,
                agent_address: $addr, containers: []}' >"$ROOT/$id/state.json"
        local i
        for i in $(seq 1 50); do [ -S "$ROOT/$id/kata.hvsock" ] && return 0; sleep 0.1; done
        fail "the wedged agent of $id did not start"
}

# metric TEXT NAME{LABELS}: the value of one exact series, or "" when absent.
metric() {
        awk -v k="$2" '$1 == k { print $2 }' <<<"$1"
}

# http_status URL: prints the status code only.
http_status() {
        curl --noproxy '*' -s -o /dev/null -w '%{http_code}' --max-time 20 "$1"
}

monitor_cleanup() {
        local rc=$? p dir sub
        for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
        for p in "${UNSHARE_PIDS[@]}"; do
                pkill -9 -P "$p" 2>/dev/null || true
                kill -9 "$p" 2>/dev/null || true
                wait "$p" 2>/dev/null || true
        done
        for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
        if [ $rc != 0 ] && [ -n "${WORK:-}" ]; then
                for f in "$WORK"/*.log "$WORK"/monitor.err; do
                        [ -f "$f" ] || continue
                        echo "--- $f ---" >&2
                        tail -20 "$f" >&2
                done
        fi
        # The agents' children die with their pid namespace; cgroups go deepest first.
        local n=${#CG_DIRS[@]} i j
        for ((i = n - 1; i >= 0; i--)); do
                dir=${CG_DIRS[$i]}
                for j in 1 2 3 4 5 6 7 8 9 10; do
                        [ -d "$dir" ] || break
                        find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || true
                        [ -d "$dir" ] && sleep 0.1
                done
        done
        [ -n "${WORK:-}" ] && rm -rf "$WORK"
        exit $rc
}
