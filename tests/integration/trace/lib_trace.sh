# Shared by the trace tests (sourced after tests/lib.sh): a scratch sandbox made of real
# v1 cgroups under a test parent, written into a state root through the state library.
TOOLS=$KATA_BUILD_DIR/tests
KATA_CTL=$KATA_BIN/kata-ctl
[ -x "$KATA_CTL" ] || fail "kata-ctl not built: $KATA_CTL"
[ -x "$TOOLS/trace-state-tool" ] || fail "trace-state-tool not built"

TEST_PARENT=kata-test-trace-$$
SID=sb-trace-$$
STATE_ROOT=$(scratch_dir)
CONTROLLERS="memory pids"
BG_PIDS=()
KILL9_PIDS=() # pid 1 of a pid namespace ignores SIGTERM from outside

cleanup_trace() {
        set +e
        for p in "${KILL9_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
        for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
        for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null; done
        for c in $CONTROLLERS; do
                local top=/sys/fs/cgroup/$c/$TEST_PARENT
                [ -d "$top" ] || continue
                # Move anything left to the root, then remove the tree bottom-up.
                find "$top" -name cgroup.procs | while read -r f; do
                        while read -r p; do echo "$p" >"/sys/fs/cgroup/$c/cgroup.procs"; done <"$f"
                done
                find "$top" -depth -type d -exec rmdir {} \; 2>/dev/null
        done
        rmdir "/sys/fs/cgroup/unified/$TEST_PARENT/c" "/sys/fs/cgroup/unified/$TEST_PARENT" 2>/dev/null
        rm -rf "$STATE_ROOT"
}
trap cleanup_trace EXIT

# sandbox_dir CONTROLLER: the sandbox's host cgroup in that hierarchy.
sandbox_dir() { echo "/sys/fs/cgroup/$1/$TEST_PARENT/kata_$SID"; }

# make_sandbox HYPERVISOR AGENT_PID CONTAINER=CGROUPS_PATH...: cgroups and state.
make_sandbox() {
        local hv=$1 agent=$2
        shift 2
        local args=()
        for c in $CONTROLLERS; do
                mkdir -p "$(sandbox_dir "$c")"
                args+=("cgroup:$c=$(sandbox_dir "$c")")
        done
        for spec in "$@"; do args+=("container:$spec"); done
        "$TOOLS/trace-state-tool" "$STATE_ROOT" "$SID" "$hv" "$agent" "${args[@]}" ||
                fail "writing the sandbox state"
}

# container_cgroup REL: creates REL under the sandbox in every controller.
container_cgroup() {
        for c in $CONTROLLERS; do mkdir -p "$(sandbox_dir "$c")$1"; done
}

# run_in REL CMD...: runs CMD in the sandbox cgroup REL ("" = the sandbox's own) of every
# controller and waits for it.
run_in() {
        local rel=$1
        shift
        local procs=""
        for c in $CONTROLLERS; do procs="$procs $(sandbox_dir "$c")$rel/cgroup.procs"; done
        bash -c 'for f in '"$procs"'; do echo $$ > $f; done; exec "$@"' run_in "$@"
}

# start_trace OUT ERR ARGS...: starts kata-ctl trace in the background and waits until it
# says it is tracing.
start_trace() {
        local out=$1 err=$2
        shift 2
        rm -f "$err" # a stale "tracing" line must not pass for readiness
        "$KATA_CTL" trace "$@" >"$out" 2>"$err" &
        TRACE_PID=$!
        BG_PIDS+=("$TRACE_PID")
        for _ in $(seq 1 200); do
                grep -q "tracing" "$err" 2>/dev/null && return 0
                kill -0 "$TRACE_PID" 2>/dev/null || fail "kata-ctl trace exited early: $(cat "$err")"
                sleep 0.05
        done
        fail "kata-ctl trace did not start: $(cat "$err")"
}

stop_trace() {
        sleep 0.3 # let the last events reach the ring buffer reader
        kill -INT "$TRACE_PID"
        local rc=0
        wait "$TRACE_PID" || rc=$?
        assert_eq 0 "$rc" "kata-ctl trace exit status"
}

# py EXPR-SCRIPT FILE: runs a python3 check over the JSON lines of FILE (as `recs`).
json_check() {
        local file=$1 script=$2
        /usr/bin/python3 - "$file" <<PY || fail "JSON check failed on $file: $(cat "$file")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
$script
PY
        pass
}
