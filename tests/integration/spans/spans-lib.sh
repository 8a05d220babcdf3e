# Helpers for the spans integration tests (sourced after tests/lib.sh): a scratch dir, a
# kata-runtime configuration with a test-only cgroup parent, bundles, a running
# lttng-sessiond, and a cleanup that force-deletes whatever a failed test left.

RUNTIME=$KATA_BIN/kata-runtime
KATA_CTL=$KATA_BIN/kata-ctl
MAKE_BUNDLE=$KATA_SOURCE_DIR/tests/bundle/make-bundle.sh

spans_setup() {
        require_root
        for b in "$RUNTIME" "$KATA_CTL" "$KATA_BIN/kata-trace-forwarder"; do
                [ -x "$b" ] || fail "not built: $b"
        done
        for tool in lttng-sessiond babeltrace2; do
                command -v "$tool" >/dev/null || fail "$tool is needed (lttng-tools, babeltrace2)"
        done
        WORK=$(scratch_dir)
        ROOT=$WORK/root
        CG_PARENT=kata-test-spans-$$
        CONF=$WORK/configuration.toml
        cat >"$CONF" <<CONF
[hypervisor.local]
cgroup_parent = "/$CG_PARENT"
[agent.kata]
dial_timeout = 10
CONF
        trap spans_cleanup EXIT
        # The test starts the session daemon itself when none runs (and leaves it, as
        # `spans record` would).
        if ! lttng list >/dev/null 2>&1; then
                lttng-sessiond --daemonize || fail "cannot start lttng-sessiond"
        fi
}

rt() {
        "$RUNTIME" --root "$ROOT" --config "$CONF" "$@"
}

# make_bundle NAME [-- ARGS...]: prints the bundle directory.
make_bundle() {
        local name=$1
        shift
        bash "$MAKE_BUNDLE" "$WORK/$name" "$@" >/dev/null || fail "make-bundle $name failed"
        echo "$WORK/$name"
}

spans_cleanup() {
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
        rm -rf "$WORK"
        exit $status
}

# jget JSON-TEXT PYTHON-EXPR: evaluates EXPR with `j` bound to the parsed JSON.
jget() {
        python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}
