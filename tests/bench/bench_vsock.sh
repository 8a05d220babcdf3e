#!/usr/bin/env bash
# kata-vsock-backend: stream throughput through the backend, both directions, against a
# plain unix socket pair measured in the same run. The "guest" is the tests' fake vhost-user
# frontend, so the figures are the backend's own cost plus a memcpy per byte on the guest
# side (a real guest kernel does the same copy).
# Full run: 512 MiB per direction, best of 3. BENCH_SMOKE=1: 32 MiB once, nothing judged.
source "$KATA_SOURCE_DIR/tests/lib.sh"
bench=$KATA_BUILD_DIR/tests/kata-bench-vsock
backend=$KATA_BIN/kata-vsock-backend
[ -x "$bench" ] || fail "$bench not built"
[ -x "$backend" ] || fail "$backend not built"
mib=512 rounds=3
[ "${BENCH_SMOKE:-0}" = 1 ] && mib=32 rounds=1
out=$("$bench" "$backend" "$mib" "$rounds") || fail "benchmark failed: $out"
echo "$out"
assert_contains "$out" "ratio backend/unix guest->host" "benchmark output"
assert_contains "$out" "ratio backend/unix host->guest" "benchmark output"

# Full runs only, when the `initrd` target built a guest: a real guest under QEMU TCG
# streams 64 MiB to the host through the backend (dd bs=64k into its debug console).
conf=$KATA_BUILD_DIR/configuration-qemu.toml
if [ "${BENCH_SMOKE:-0}" != 1 ] && [ -f "$conf" ] && command -v qemu-system-x86_64 >/dev/null; then
        kernel=$(sed -n 's/^kernel = "\(.*\)"$/\1/p' "$conf")
        initrd=$(sed -n 's/^initrd = "\(.*\)"$/\1/p' "$conf")
        dir=$(mktemp -d /tmp/kata-bench-vsock-vm-XXXXXX)
        "$backend" --socket "$dir/vu.sock" --uds-path "$dir/kata.hvsock" --guest-cid 3 \
                --log-level warn 2>"$dir/backend.log" &
        bpid=$!
        for _ in $(seq 1 100); do [ -S "$dir/vu.sock" ] && break; sleep 0.05; done
        qemu-system-x86_64 -nodefaults -nographic -no-reboot -monitor none \
                -machine q35,accel=tcg -cpu max -m 512M \
                -object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem \
                -chardev socket,id=v,path="$dir/vu.sock" -device vhost-user-vsock-pci,chardev=v \
                -kernel "$kernel" -initrd "$initrd" \
                -append "console=ttyS0 quiet panic=-1 agent.debug_console" \
                -serial "file:$dir/console.log" >"$dir/qemu.log" 2>&1 &
        qpid=$!
        trap 'kill -KILL $qpid 2>/dev/null; kill $bpid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
        for _ in $(seq 1 120); do
                "$KATA_BIN/kata-ctl" agent --addr "hvsock://$dir/kata.hvsock:1024" -t 5 Check \
                        >/dev/null 2>&1 && break
                sleep 1
        done
        peer="python3 $KATA_SOURCE_DIR/tests/integration/vsock/hvsock_peer.py"
        t0=$(date +%s%N)
        $peer console "$dir/kata.hvsock" 1026 \
                "echo ==M==; dd if=/dev/zero bs=65536 count=1024 2>/dev/null; exit" "$dir/z" "==M=="
        t1=$(date +%s%N)
        bytes=$(stat -c %s "$dir/z")
        assert_eq 67108864 "$bytes" "bytes from the guest"
        awk -v b="$bytes" -v ns=$((t1 - t0)) \
                'BEGIN {printf "real guest (QEMU TCG) -> host, dd bs=64k: %.1f MiB/s\n", b / 1048576 / (ns / 1e9)}'
        echo "backend RSS with a 512 MiB guest: $(awk '/^VmRSS/ {print $2}' /proc/$bpid/status) KiB," \
                "QEMU RSS: $(awk '/^VmRSS/ {print $2}' /proc/$qpid/status) KiB"
fi
finish
