#!/usr/bin/env bash
# kata-vsock-backend with the real QEMU (TCG): the CLI (--help, --version, usage errors),
# QEMU's vhost-user-vsock-pci realizing against the backend (features, protocol features,
# GET_CONFIG for the guest CID), then QEMU killed with SIGKILL: the backend must exit 0 and
# remove both of its sockets. No guest kernel is needed for this part (QEMU stays paused
# with -S); the full guest path is exercised by the VM tests once the initrd exists.
source "$KATA_SOURCE_DIR/tests/lib.sh"
bin=$KATA_BIN/kata-vsock-backend
[ -x "$bin" ] || fail "$bin not built"

out=$("$bin" --help)
assert_contains "$out" "--uds-path" "--help"
assert_contains "$out" "--guest-cid" "--help"
out=$("$bin" --version)
assert_contains "$out" "kata-vsock-backend" "--version"
assert_status 2 "$bin" --socket /tmp/x.sock
assert_status 2 "$bin" --socket /tmp/x.sock --uds-path /tmp/y.sock --guest-cid 2
assert_status 2 "$bin" --socket /tmp/x.sock --uds-path /tmp/y.sock --guest-cid 3 --log-level loud
assert_status 2 "$bin" --socket /tmp/x.sock --uds-path /tmp/y.sock --guest-cid 3 extra

# SIGTERM (the runtime stopping a sandbox): exit 0, sockets removed.
tdir=$(scratch_dir)
"$bin" --socket "$tdir/vu.sock" --uds-path "$tdir/kata.hvsock" --guest-cid 9 2>"$tdir/log" &
tpid=$!
for _ in $(seq 1 100); do [ -S "$tdir/kata.hvsock" ] && break; sleep 0.05; done
[ -S "$tdir/kata.hvsock" ] || fail "the backend did not start: $(cat "$tdir/log")"
kill -TERM "$tpid"
tstatus=0
wait "$tpid" || tstatus=$?
assert_eq 0 "$tstatus" "exit status after SIGTERM"
[ ! -e "$tdir/vu.sock" ] && [ ! -e "$tdir/kata.hvsock" ] || fail "sockets left after SIGTERM"
rm -rf "$tdir"
pass

if ! command -v qemu-system-x86_64 >/dev/null; then
        echo "SKIP [$TEST_NAME]: qemu-system-x86_64 is not installed"
        exit 77
fi

dir=$(scratch_dir)
bpid="" qpid=""
cleanup() {
        [ -n "$qpid" ] && kill -KILL "$qpid" 2>/dev/null
        [ -n "$bpid" ] && kill "$bpid" 2>/dev/null
        wait 2>/dev/null
        rm -rf "$dir"
}
trap cleanup EXIT

"$bin" --socket "$dir/vu.sock" --uds-path "$dir/kata.hvsock" --guest-cid 5 \
        --log-level debug 2>"$dir/backend.log" &
bpid=$!
for _ in $(seq 1 100); do [ -S "$dir/vu.sock" ] && break; sleep 0.05; done
[ -S "$dir/vu.sock" ] || fail "the backend did not create its vhost-user socket"
[ -S "$dir/kata.hvsock" ] || fail "the backend did not create its hybrid vsock socket"
pass

qemu-system-x86_64 -nodefaults -nographic -S -monitor none -serial none \
        -machine q35,accel=tcg -m 128M \
        -object memory-backend-memfd,id=mem,size=128M,share=on -numa node,memdev=mem \
        -chardev socket,id=vsock0,path="$dir/vu.sock" \
        -device vhost-user-vsock-pci,chardev=vsock0 >"$dir/qemu.log" 2>&1 &
qpid=$!
for _ in $(seq 1 200); do grep -q GET_CONFIG "$dir/backend.log" && break; sleep 0.05; done
log=$(cat "$dir/backend.log")
assert_contains "$log" "vhost-user frontend connected" "backend log"
assert_contains "$log" "GET_FEATURES" "backend log"
assert_contains "$log" "SET_PROTOCOL_FEATURES" "backend log"
assert_contains "$log" "GET_CONFIG" "backend log"
assert_not_contains "$log" "error" "backend log"
kill -0 "$qpid" 2>/dev/null || fail "QEMU exited: $(cat "$dir/qemu.log")"
pass

# QEMU dies without a goodbye: the backend notices the hangup, exits 0, cleans up.
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
[ ! -e "$dir/vu.sock" ] || fail "vu.sock left behind"
[ ! -e "$dir/kata.hvsock" ] || fail "kata.hvsock left behind"
pass
finish
