# Helpers for kata-runtime integration tests (sourced after tests/lib.sh): an isolated
# state root, a configuration with a test-only cgroup parent, bundles, and a cleanup that
# force-deletes whatever a failed test left.

RUNTIME=$KATA_BIN/kata-runtime
KATA_CTL=$KATA_BIN/kata-ctl
MAKE_BUNDLE=$KATA_SOURCE_DIR/tests/bundle/make-bundle.sh

runtime_setup() {
        require_root
        [ -x "$RUNTIME" ] || fail "kata-runtime not built: $RUNTIME"
        WORK=$(scratch_dir)
        ROOT=$WORK/root
        CG_PARENT=kata-test-rt-$$
        CONF=$WORK/configuration.toml
        cat >"$CONF" <<CONF
[hypervisor.local]
cgroup_parent = "/$CG_PARENT"
[agent.kata]
dial_timeout = 10
CONF
        trap runtime_cleanup EXIT
}

rt() {
        "$RUNTIME" --root "$ROOT" --config "$CONF" "$@"
}

# make_bundle NAME [make-bundle options...] [-- ARGS...]: prints the bundle directory.
make_bundle() {
        local name=$1 opts=()
        shift
        while [ $# -gt 0 ] && [ "$1" != -- ]; do
                opts+=("$1")
                shift
        done
        bash "$MAKE_BUNDLE" "${opts[@]}" "$WORK/$name" "$@" >/dev/null ||
                fail "make-bundle $name failed"
        echo "$WORK/$name"
}

# Every cgroup directory of sandbox SID in every hierarchy.
sandbox_cgroup_dirs() {
        ls -d /sys/fs/cgroup/*/"$CG_PARENT"/kata_"$1" 2>/dev/null || true
}

runtime_cleanup() {
        local status=$?
        if [ -d "$ROOT/containers" ]; then
                for c in "$ROOT"/containers/*; do
                        [ -e "$c" ] || [ -L "$c" ] || continue
                        rt delete --force "$(basename "$c")" >/dev/null 2>&1 || true
                done
        fi
        for d in /sys/fs/cgroup/*/"$CG_PARENT"; do
                [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
        done
        grep -q "$WORK" /proc/self/mountinfo && echo "leftover mounts under $WORK" >&2
        rm -rf "$WORK"
        exit $status
}

# Asserts that nothing of sandbox SID is left: state, cgroups, agent, mounts.
assert_sandbox_gone() {
        local sid=$1
        [ ! -e "$ROOT/$sid" ] || fail "state directory $ROOT/$sid left behind"
        [ -z "$(sandbox_cgroup_dirs "$sid")" ] || fail "cgroups left: $(sandbox_cgroup_dirs "$sid")"
        ! pgrep -f "kata-agent" -a | grep -q "$ROOT/$sid" || fail "agent of $sid still runs"
        ! grep -q "$WORK" /proc/self/mountinfo || fail "mounts left under $WORK"
        pass
}

# jget JSON-TEXT PYTHON-EXPR: evaluates EXPR with `j` bound to the parsed JSON.
jget() {
        python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}
