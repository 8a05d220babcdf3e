#!/usr/bin/env bash
# ttrpc round trips (Health.Check, client + server of runtime/libs/protocols) over unix and
# hybrid vsock, against a raw unix-socket echo measured in the same run.
# BENCH_SMOKE=1: a few hundred calls, figures printed, nothing judged.
source "$KATA_SOURCE_DIR/tests/lib.sh"
bench=$KATA_BUILD_DIR/tests/kata-bench-ttrpc
[ -x "$bench" ] || fail "$bench not built"
n=20000
[ "${BENCH_SMOKE:-0}" = 1 ] && n=400
out=$("$bench" "$n")
echo "$out"
assert_contains "$out" "ttrpc-hvsock" "benchmark output"
assert_contains "$out" "ratio" "benchmark ratios"
finish
