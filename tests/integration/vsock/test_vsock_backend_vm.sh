#!/usr/bin/env bash
# kata-vsock-backend with a real guest: QEMU (TCG) boots the `initrd` target's kernel and
# initrd (kata-agent as init, Linux's virtio-vsock driver) on our vhost-user-vsock device.
# Through the backend's hybrid vsock socket: Health.Check on port 1024 (host-initiated),
# the debug console on port 1026 with 8 MiB each way checked by md5, agent spans arriving
# on kata.hvsock_10240 (guest-initiated), then QEMU killed: the backend exits 0 and
# removes its sockets. Skips without the guest (configuration-qemu.toml).
source "$KATA_SOURCE_DIR/tests/lib.sh"
conf=${KATA_QEMU_CONF:-$KATA_BUILD_DIR/configuration-qemu.toml}
if [ ! -f "$conf" ]; then
        echo "SKIP [$TEST_NAME]: $conf missing (build the \`initrd\` target)"
        exit 77
fi
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 not installed"
backend=$KATA_BIN/kata-vsock-backend ctl=$KATA_BIN/kata-ctl
peer="python3 $KATA_SOURCE_DIR/tests/integration/vsock/hvsock_peer.py"
[ -x "$backend" ] || fail "$backend not built"
[ -x "$ctl" ] || fail "$ctl not built"
kernel=$(sed -n 's/^kernel = "\(.*\)"$/\1/p' "$conf")
initrd=$(sed -n 's/^initrd = "\(.*\)"$/\1/p' "$conf")
[ -f "$kernel" ] && [ -f "$initrd" ] || fail "kernel '$kernel' or initrd '$initrd' missing"

dir=$(scratch_dir)
bpid="" qpid="" lpid=""
cleanup() {
        for p in $qpid $lpid; do kill -KILL "$p" 2>/dev/null; done
        [ -n "$bpid" ] && kill "$bpid" 2>/dev/null
        wait 2>/dev/null
        rm -rf "$dir"
}
trap cleanup EXIT
uds=$dir/kata.hvsock

"$backend" --socket "$dir/vu.sock" --uds-path "$uds" --guest-cid 3 --log-level info \
        2>"$dir/backend.log" &
bpid=$!
for _ in $(seq 1 100); do [ -S "$dir/vu.sock" ] && break; sleep 0.05; done
[ -S "$dir/vu.sock" ] || fail "the backend did not start"
$peer listen "${uds}_10240" "$dir/spans.bin" 180 2>"$dir/listen.err" &
lpid=$!

qemu-system-x86_64 -nodefaults -nographic -no-reboot -monitor none \
        -machine q35,accel=tcg -cpu max -m 512M \
        -object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem \
        -chardev socket,id=vsock0,path="$dir/vu.sock" \
        -device vhost-user-vsock-pci,chardev=vsock0 \
        -kernel "$kernel" -initrd "$initrd" \
        -append "console=ttyS0 quiet panic=-1 agent.trace agent.debug_console" \
        -serial "file:$dir/console.log" >"$dir/qemu.log" 2>&1 &
qpid=$!

# Host-initiated: the agent's ttrpc server (refused until the agent listens).
start=$(date +%s)
out=""
while [ $(($(date +%s) - start)) -lt 150 ]; do
        kill -0 "$qpid" 2>/dev/null || fail "QEMU exited: $(cat "$dir/qemu.log")"
        out=$("$ctl" agent --addr "hvsock://$uds:1024" -t 10 --compact Check 2>&1) && break
        sleep 1
done
assert_contains "$out" "SERVING" "Health.Check through the backend"
echo "agent answered $(($(date +%s) - start)) s after QEMU started"

# Debug console, both directions, 8 MiB each with checksums.
$peer console "$uds" 1026 "echo hello-from-guest; exit" "$dir/hello.out"
assert_contains "$(cat "$dir/hello.out")" "hello-from-guest" "console output"
$peer console "$uds" 1026 \
        "dd if=/dev/urandom of=/tmp/blob bs=1M count=8 2>/dev/null; md5sum /tmp/blob; exit" \
        "$dir/sum.out"
guest_sum=$(grep -o '[0-9a-f]\{32\}  /tmp/blob' "$dir/sum.out" | awk '{print $1}')
assert_ne "" "$guest_sum" "md5sum in the guest"
$peer console "$uds" 1026 "echo ==BLOB==; cat /tmp/blob; exit" "$dir/blob" "==BLOB=="
assert_eq 8388608 "$(stat -c %s "$dir/blob")" "bytes received from the guest"
assert_eq "$guest_sum" "$(md5sum <"$dir/blob" | awk '{print $1}')" "md5 guest -> host"
head -c 8388608 /dev/urandom >"$dir/in"
$peer feed "$uds" 1026 "head -c 8388608 | md5sum; exit" "$dir/in" "$dir/feed.out"
assert_contains "$(cat "$dir/feed.out")" "$(md5sum <"$dir/in" | awk '{print $1}')" "md5 host -> guest"

# Guest-initiated: the agent exported the spans of the calls above to host port 10240.
for _ in $(seq 1 100); do
        kill -0 "$lpid" 2>/dev/null || break
        sleep 0.2
done
lpid=""
size=$(stat -c %s "$dir/spans.bin" 2>/dev/null || echo 0)
[ "$size" -gt 8 ] || fail "no span frame reached ${uds}_10240 ($(cat "$dir/listen.err"))"
frame_len=$(od -An -tu1 -N8 "$dir/spans.bin" | awk '{n = 0; for (i = 1; i <= 8; i++) n = n * 256 + $i; print n}')
[ "$frame_len" -gt 0 ] && [ "$frame_len" -le $((size - 8)) ] ||
        fail "first frame length $frame_len does not fit the $size bytes received"
pass

kill -KILL "$qpid"
wait "$qpid" 2>/dev/null || true
qpid=""
status=""
for _ in $(seq 1 100); do
        if ! kill -0 "$bpid" 2>/dev/null; then
                status=0
                wait "$bpid" || status=$?
                break
        fi
        sleep 0.05
done
[ -n "$status" ] || fail "the backend still runs after QEMU was killed"
bpid=""
assert_eq 0 "$status" "backend exit status"
[ ! -e "$dir/vu.sock" ] && [ ! -e "$uds" ] || fail "the backend left its sockets behind"
pass
finish
