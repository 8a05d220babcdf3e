# Helpers shared by the forwarder tests (sourced after tests/lib.sh).
FWD=$KATA_BIN/kata-trace-forwarder
SENDER=$KATA_BUILD_DIR/tests/kata-test-span-sender
OTLP_DUMP=$KATA_BUILD_DIR/tests/kata-test-otlp-dump
[ -x "$FWD" ] || fail "missing $FWD (build kata-trace-forwarder)"
[ -x "$SENDER" ] || fail "missing $SENDER (build kata-test-span-sender)"

wait_for_file() { # path [seconds]
        local i
        for ((i = 0; i < ${2:-10} * 20; i++)); do
                [ -e "$1" ] && return 0
                sleep 0.05
        done
        fail "timed out waiting for $1"
}

# stat_of FILE KEY: the value of KEY in the last totals line the forwarder printed.
stat_of() {
        grep 'stats: connections=' "$1" | tail -n1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# sink_stat_of FILE SINK KEY
sink_stat_of() {
        grep "stats: sink=$2 " "$1" | tail -n1 | tr ' ' '\n' | sed -n "s/^$3=//p"
}

# stop_forwarder PID: SIGTERM, then its exit status must be 0.
stop_forwarder() {
        kill -TERM "$1"
        local rc=0
        wait "$1" || rc=$?
        assert_eq 0 "$rc" "forwarder exit status after SIGTERM"
}
