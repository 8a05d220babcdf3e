#!/usr/bin/env bash
# kata-ctl exec (the agent's debug console) against the peer in the same run, kata-runtime
# exec (ExecProcess over ttrpc, into the container): time per `-- true`, and stdout
# throughput of `head -c N /dev/zero`. Local driver always; a VM sandbox too when the
# `initrd` target's guest exists (not in the smoke run).
# BENCH_SMOKE=1: a few calls and 16 MiB, just to show it runs.
source "$KATA_SOURCE_DIR/tests/lib.sh"

if [ "$(id -u)" != 0 ] || [ ! -x "$KATA_BIN/kata-runtime" ]; then
        echo "SKIP [$TEST_NAME]: needs root and kata-runtime"
        [ "${BENCH_SMOKE:-0}" = 1 ] && exit 77
        exit 0
fi
source "$KATA_SOURCE_DIR/tests/integration/exec/exec-lib.sh"
CALLS=50
MIB=512
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
        CALLS=5
        MIB=16
fi
exec_setup

now_ns() { date +%s%N; }

# measure LABEL SANDBOX CONF: prints the figures of both tools on one sandbox.
measure() {
        local label=$1 sb=$2 conf=$3 t0 t1 ctl_ms rt_ms ctl_mbs rt_mbs n
        t0=$(now_ns)
        for _ in $(seq "$CALLS"); do kexec -t 30000 "$sb" -- true; done
        t1=$(now_ns)
        ctl_ms=$(((t1 - t0) / CALLS / 1000))
        t0=$(now_ns)
        for _ in $(seq "$CALLS"); do "$RUNTIME" --root "$ROOT" --config "$conf" exec "$sb" -- true; done
        t1=$(now_ns)
        rt_ms=$(((t1 - t0) / CALLS / 1000))
        t0=$(now_ns)
        n=$(kexec -t 30000 "$sb" -- head -c $((MIB << 20)) /dev/zero | wc -c)
        t1=$(now_ns)
        [ "$n" = $((MIB << 20)) ] || fail "kata-ctl exec: $n bytes instead of $((MIB << 20))"
        ctl_mbs=$((MIB * 1000000000 / (t1 - t0)))
        t0=$(now_ns)
        n=$("$RUNTIME" --root "$ROOT" --config "$conf" exec "$sb" -- head -c $((MIB << 20)) /dev/zero | wc -c)
        t1=$(now_ns)
        [ "$n" = $((MIB << 20)) ] || fail "kata-runtime exec: $n bytes instead of $((MIB << 20))"
        rt_mbs=$((MIB * 1000000000 / (t1 - t0)))
        printf '%-6s exec -- true:      kata-ctl exec %6d us/call   kata-runtime exec %6d us/call   ratio %s\n' \
                "$label" "$ctl_ms" "$rt_ms" "$(awk -v a="$ctl_ms" -v b="$rt_ms" 'BEGIN{printf "%.2f", a / b}')"
        printf '%-6s stdout %4d MiB:   kata-ctl exec %6d MiB/s    kata-runtime exec %6d MiB/s    ratio %s\n' \
                "$label" "$MIB" "$ctl_mbs" "$rt_mbs" "$(awk -v a="$ctl_mbs" -v b="$rt_mbs" 'BEGIN{printf "%.2f", a / b}')"
        pass
}

bundle=$(make_bundle b -- sleep 3600)
rt create --bundle "$bundle" bench-local && rt start bench-local
measure local bench-local "$CONF"
rt delete --force bench-local

QEMU_CONF=$KATA_BUILD_DIR/configuration-qemu.toml
if [ "${BENCH_SMOKE:-0}" != 1 ] && [ -f "$QEMU_CONF" ]; then
        cp "$QEMU_CONF" "$WORK/qemu.toml"
        sed -i 's|^\[agent.kata\]$|[agent.kata]\ndebug_console_enabled = true|' "$WORK/qemu.toml"
        "$RUNTIME" --root "$ROOT" --config "$WORK/qemu.toml" create --bundle "$bundle" bench-vm
        "$RUNTIME" --root "$ROOT" --config "$WORK/qemu.toml" start bench-vm
        CALLS=$((CALLS / 5)) MIB=$((MIB / 8)) measure vm bench-vm "$WORK/qemu.toml"
        "$RUNTIME" --root "$ROOT" --config "$WORK/qemu.toml" delete --force bench-vm
fi
finish
