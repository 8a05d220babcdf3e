#!/usr/bin/env bash
# `kata-runtime run` of /bin/true vs `runc run` on the same bundle, same run (20 runs
# each; BENCH_SMOKE=1: 3). kata-runtime also starts a sandbox agent (pid 1 of new
# namespaces) and talks ttrpc to it. crun is not compared: it refuses this machine's
# hybrid cgroup layout. Target: no slower than runc.
set -euo pipefail
: "${KATA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${KATA_BIN:=$KATA_SOURCE_DIR/build/bin}"
runs=20
[ "${BENCH_SMOKE:-0}" = 1 ] && runs=3
[ "$(id -u)" = 0 ] || { echo "bench_runtime: needs root" >&2; exit 1; }
command -v runc >/dev/null || { echo "bench_runtime: runc not installed" >&2; exit 1; }

work=$(mktemp -d /tmp/kata-test-bench-runtime-XXXXXX)
trap 'rm -rf "$work"; for d in /sys/fs/cgroup/*/kata-test-bench-$$; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null; done; true' EXIT
bash "$KATA_SOURCE_DIR/tests/bundle/make-bundle.sh" "$work/bundle" -- /bin/true >/dev/null
cat >"$work/config.toml" <<CONF
[hypervisor.local]
cgroup_parent = "/kata-test-bench-$$"
CONF

mean_us() { # label command...
        local total=0 start end
        for ((i = 0; i < runs; i++)); do
                start=$(date +%s%N)
                "$@" "b$i-$$" >/dev/null 2>"$work/err" || { echo "bench_runtime: '$*' failed: $(cat "$work/err")" >&2; exit 1; }
                end=$(date +%s%N)
                total=$((total + (end - start) / 1000))
        done
        echo $((total / runs))
}

kata() { "$KATA_BIN/kata-runtime" --root "$work/root" --config "$work/config.toml" run --bundle "$work/bundle" "$1"; }
runc_run() { (cd "$work/bundle" && runc --root "$work/runc" run "$1"); }

kata b-warm-$$ >/dev/null 2>&1 || true
ours=$(mean_us kata)
peer=$(mean_us runc_run)
ratio=$(awk -v a="$ours" -v b="$peer" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
printf 'runs each:                     %d\n' "$runs"
printf 'kata-runtime run /bin/true:    %7.1f ms mean\n' "$(awk -v u="$ours" 'BEGIN{print u/1000}')"
printf 'runc run /bin/true:            %7.1f ms mean\n' "$(awk -v u="$peer" 'BEGIN{print u/1000}')"
printf 'ratio kata-runtime / runc:     %s (target <= 1.0)\n' "$ratio"
# Sanity even in smoke mode: nothing of ours left behind.
[ -z "$(ls "$work/root" 2>/dev/null | grep -v containers)" ] || { echo "bench_runtime: sandboxes left in $work/root" >&2; exit 1; }
