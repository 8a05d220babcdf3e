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
finish
