#!/usr/bin/env bash
# Runs every benchmark (tests/bench/bench_*.sh) in full and prints its figures.
# `make test` runs the same scripts with BENCH_SMOKE=1 (few iterations, no figures judged).
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${KATA_BUILD_DIR:=$PWD/build}"
: "${KATA_BIN:=$KATA_BUILD_DIR/bin}"
export KATA_SOURCE_DIR=$PWD KATA_BUILD_DIR KATA_BIN
status=0
for b in tests/bench/bench_*.sh; do
        [ -e "$b" ] || continue
        echo "== $(basename "$b" .sh)"
        bash "$b" || { echo "benchmark $b failed" >&2; status=1; }
done
exit $status
