# Sandboxes for kata-ctl top tests (sourced after tests/lib.sh): real kata-runtime
# sandboxes (local driver) in a scratch state root, through the runtime tests' helpers.
source "$KATA_SOURCE_DIR/tests/integration/runtime/runtime-lib.sh"

TOP="$KATA_BIN/kata-ctl"

# Three sandboxes: busy (one container in a busy loop), idle1 (one sleeping container),
# idle2 (two sleeping containers).
start_three_sandboxes() {
        local busy idle
        busy=$(make_bundle busy-bundle -- sh -c 'while :; do :; done')
        idle=$(make_bundle idle-bundle -- sleep 600)
        rt create --bundle "$busy" busy && rt start busy
        rt create --bundle "$idle" idle1 && rt start idle1
        rt create --bundle "$idle" idle2 && rt start idle2
        rt create --bundle "$idle" --sandbox idle2 idle2-b && rt start idle2-b
        # A loaded CI machine (fuzzers, builds) would starve the busy loop below the
        # figures the tests expect: weigh the tests' cgroup parent like ten processes.
        local shares=/sys/fs/cgroup/cpu/$CG_PARENT/cpu.shares
        [ -w "$shares" ] && echo 10240 >"$shares"
        local weight=/sys/fs/cgroup/$CG_PARENT/cpu.weight
        [ -w "$weight" ] && echo 1000 >"$weight"
        return 0
}

# Host cgroup directory of a container in one v1 hierarchy (or cgroup2).
container_cgroup() { # controller sandbox container
        local base
        for base in /sys/fs/cgroup/"$1" /sys/fs/cgroup; do
                if [ -d "$base/$CG_PARENT/kata_$2/$3" ]; then
                        echo "$base/$CG_PARENT/kata_$2/$3"
                        return
                fi
        done
        fail "no $1 cgroup for container $3 of $2"
}
