#!/usr/bin/env bash
# Smoke run of one libFuzzer harness: SECONDS of fuzzing from the seed corpus. New inputs
# go to a scratch directory so the committed corpus stays as it is. Any crash, leak or
# timeout fails the test; the reproducer is left in the build directory.
set -euo pipefail
harness=$1 corpus=$2 seconds=${3:-5}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
dirs=("$scratch")
[ -d "$corpus" ] && dirs+=("$corpus")
exec "$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="./$(basename "$harness")-" -print_final_stats=1 "${dirs[@]}"
