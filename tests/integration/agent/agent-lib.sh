# Helpers for the kata-agent integration tests (sourced after tests/lib.sh): a host cgroup
# for the sandbox (as the local driver makes), the agent as pid 1 of new
# pid/mnt/uts/ipc/net/cgroup namespaces inside it, listening on hybrid vsock in a scratch
# directory, and `rpc METHOD [JSON]` to drive it with `kata-ctl agent`.

AGENT_BIN=$KATA_BIN/kata-agent
KATA_CTL=$KATA_BIN/kata-ctl
MAKE_BUNDLE=$KATA_SOURCE_DIR/tests/bundle/make-bundle.sh
CONTROLLERS=(cpu cpuacct cpuset memory pids devices freezer blkio systemd unified)

agent_setup() {
        require_root
        [ -x "$AGENT_BIN" ] || fail "kata-agent not built: $AGENT_BIN"
        [ -x "$KATA_CTL" ] || fail "kata-ctl not built: $KATA_CTL"
        WORK=$(scratch_dir)
        SANDBOX_CG_NAME=kata-agent-test-$$
        SOCK=$WORK/kata.hvsock
        ADDR=hvsock://$SOCK:1024
        AGENT_LOG=$WORK/agent.log
        SANDBOX_CG_DIRS=()
        trap agent_cleanup EXIT
}

# The sandbox cgroup sits under this shell's own cgroup in each hierarchy.
host_cgroup_dir() { # controller
        local c=$1 line path
        case $c in
        unified) line=$(grep '^0::' /proc/self/cgroup) ;;
        systemd) line=$(grep ':name=systemd:' /proc/self/cgroup) ;;
        *) line=$(grep -E "^[0-9]+:([^:]*,)?$c(,[^:]*)?:" /proc/self/cgroup) ;;
        esac
        path=${line#*:*:}
        echo "/sys/fs/cgroup/$c${path%/}"
}

# Starts the agent; waits until it answers Check.
agent_start() {
        local c dir
        for c in "${CONTROLLERS[@]}"; do
                [ -d "/sys/fs/cgroup/$c" ] || continue
                dir=$(host_cgroup_dir "$c")/$SANDBOX_CG_NAME
                mkdir -p "$dir"
                SANDBOX_CG_DIRS+=("$dir")
                if [ "$c" = cpuset ]; then
                        cat "$(dirname "$dir")/cpuset.cpus" >"$dir/cpuset.cpus"
                        cat "$(dirname "$dir")/cpuset.mems" >"$dir/cpuset.mems"
                fi
        done
        (
                for dir in "${SANDBOX_CG_DIRS[@]}"; do echo $BASHPID >"$dir/cgroup.procs"; done
                ns=(unshare --fork --pid --mount --uts --ipc --net --cgroup --mount-proc)
                if [ "${AGENT_LISTEN:-}" = fd ]; then
                        # The local driver's way: the socket is bound by the parent and
                        # inherited as fd 3; its name tells the agent it is hybrid vsock.
                        exec python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(64)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.execvp(sys.argv[2], sys.argv[2:])' "$SOCK" "${ns[@]}" "$AGENT_BIN" --server-addr fd://3 --log-level debug ${AGENT_ARGS:-}
                fi
                exec "${ns[@]}" "$AGENT_BIN" --server-addr "$ADDR" --log-level debug ${AGENT_ARGS:-}
        ) >"$AGENT_LOG" 2>&1 &
        UNSHARE_PID=$!
        local i
        for i in $(seq 1 100); do
                if [ -S "$SOCK" ] && "$KATA_CTL" agent --addr "$ADDR" -t 2 Check >/dev/null 2>&1; then
                        AGENT_PID=$(pgrep -P "$UNSHARE_PID" | head -1)
                        return 0
                fi
                sleep 0.1
        done
        cat "$AGENT_LOG" >&2
        fail "the agent did not answer within 10 s"
}

agent_cleanup() {
        local rc=$?
        if [ -n "${UNSHARE_PID:-}" ]; then
                kill -9 "${AGENT_PID:-$UNSHARE_PID}" 2>/dev/null || true
                wait "$UNSHARE_PID" 2>/dev/null || true
        fi
        # In sanitizer builds, a report in the agent's log fails the test.
        if [ -f "${AGENT_LOG:-}" ] && grep -q -E "Sanitizer|runtime error:" "$AGENT_LOG"; then
                echo "FAIL [$TEST_NAME]: sanitizer report in the agent log" >&2
                rc=1
        fi
        if [ $rc != 0 ] && [ -f "${AGENT_LOG:-}" ]; then
                echo "--- agent log ---" >&2
                tail -50 "$AGENT_LOG" >&2
        fi
        local dir sub
        for dir in "${SANDBOX_CG_DIRS[@]}"; do
                [ -d "$dir" ] || continue
                # Deepest first.
                find "$dir" -depth -type d 2>/dev/null | while read -r sub; do
                        rmdir "$sub" 2>/dev/null || true
                done
        done
        [ -n "${WORK:-}" ] && rm -rf "$WORK"
        exit $rc
}

# rpc METHOD [JSON]: prints the reply; exits the test on failure with the error.
rpc() {
        local out
        out=$("$KATA_CTL" agent --addr "$ADDR" --compact -t 60 "$@" 2>&1) || fail "rpc $1 failed: $out"
        echo "$out"
}

# rpc_err METHOD [JSON]: expects a failure; prints the error text.
rpc_err() {
        local out
        if out=$("$KATA_CTL" agent --addr "$ADDR" --compact -t 60 "$@" 2>&1); then
                fail "rpc $1 succeeded but should have failed: $out"
        fi
        echo "$out"
}

# make_bundle NAME [make-bundle.sh options] [-- ARGS]: a bundle in $WORK/NAME.
make_bundle() {
        local name=$1
        shift
        local opts=() 
        while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
        "$MAKE_BUNDLE" "${opts[@]}" "$WORK/$name" "$@" >/dev/null
        echo "$WORK/$name"
}

# create_container ID BUNDLE: CreateContainer with the bundle's config.json (rootfs path
# made absolute: the agent shares the host's filesystem in these tests).
create_container() {
        local id=$1 bundle=$2
        jq --arg root "$bundle/rootfs" 'del(.ociVersion) | .root.path = $root' \
                "$bundle/config.json" >"$bundle/oci.json"
        rpc CreateContainer --oci "$bundle/oci.json" "{\"container_id\":\"$id\"}" >/dev/null
}

# read_all ID [EXEC]: stdout until EOF, decoded.
read_all() {
        local id=$1 exec=${2:-} out="" chunk
        while :; do
                chunk=$(rpc ReadStdout "{\"container_id\":\"$id\",\"exec_id\":\"$exec\"}" | jq -r '.data // ""')
                [ -n "$chunk" ] || break
                out+=$(echo "$chunk" | base64 -d)
        done
        printf '%s' "$out"
}

# read_some ID [EXEC]: one ReadStdout, decoded.
read_some() {
        rpc ReadStdout "{\"container_id\":\"$1\",\"exec_id\":\"${2:-}\"}" | jq -r '.data // ""' | base64 -d
}

# The container's cgroup directory on the host for a controller.
container_cgroup_dir() { # controller mapped-path
        echo "$(host_cgroup_dir "$1")/$SANDBOX_CG_NAME$2"
}
