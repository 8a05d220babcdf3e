# Helpers for kata-ctl exec tests (sourced after tests/lib.sh): the runtime tests' state
# root and cleanup, with a configuration that enables the agent's debug console.
source "$KATA_SOURCE_DIR/tests/integration/runtime/runtime-lib.sh"

exec_setup() {
        runtime_setup
        CG_PARENT=kata-test-exec-$$
        cat >"$CONF" <<CONF
[hypervisor.local]
cgroup_parent = "/$CG_PARENT"
[agent.kata]
dial_timeout = 10
debug_console_enabled = true
CONF
}

kexec() {
        "$KATA_CTL" exec --root "$ROOT" "$@"
}
