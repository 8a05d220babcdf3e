#!/usr/bin/env bash
# tests/bundle/make-bundle.sh: a busybox-static rootfs and a runc-spec config whose
# terminal is off and whose args, cgroupsPath and limits follow the flags.
source "$KATA_SOURCE_DIR/tests/lib.sh"
mb=$KATA_SOURCE_DIR/tests/bundle/make-bundle.sh
dir=$(scratch_dir)
trap 'rm -rf "$dir"' EXIT

"$mb" --cgroups-path system.slice:kata:c1 --memory 33554432 --pids 16 --cpu-shares 512 \
        --hostname h1 --env A=b --cwd /tmp --rw "$dir/b" -- sh -c 'echo hi' >/dev/null
c=$dir/b/config.json
assert_eq false "$(jq -r .process.terminal "$c")" "process.terminal"
assert_eq '["sh","-c","echo hi"]' "$(jq -c .process.args "$c")" "process.args"
assert_eq system.slice:kata:c1 "$(jq -r .linux.cgroupsPath "$c")" "linux.cgroupsPath"
assert_eq 33554432 "$(jq -r .linux.resources.memory.limit "$c")" "memory limit"
assert_eq 16 "$(jq -r .linux.resources.pids.limit "$c")" "pids limit"
assert_eq 512 "$(jq -r .linux.resources.cpu.shares "$c")" "cpu shares"
assert_eq h1 "$(jq -r .hostname "$c")" "hostname"
assert_eq /tmp "$(jq -r .process.cwd "$c")" "cwd"
assert_eq false "$(jq -r .root.readonly "$c")" "root.readonly with --rw"
assert_contains "$(jq -c .process.env "$c")" '"A=b"' "env"
assert_contains "$(jq -c .process.env "$c")" '"PATH=' "runc's env kept"
for f in sh sleep cat mknod stty; do
        [ -x "$dir/b/rootfs/bin/$f" ] || fail "rootfs lacks /bin/$f"
        pass
done
out=$("$dir/b/rootfs/bin/sh" -c 'echo static-ok')
assert_eq static-ok "$out" "the rootfs's busybox runs"

# Defaults: sh, read-only root, no cgroupsPath; bad flags are usage errors.
"$mb" "$dir/d" >/dev/null
assert_eq '["sh"]' "$(jq -c .process.args "$dir/d/config.json")" "default args"
assert_eq true "$(jq -r .root.readonly "$dir/d/config.json")" "default root.readonly"
assert_eq null "$(jq -r .linux.cgroupsPath "$dir/d/config.json")" "default cgroupsPath"
assert_status 2 "$mb" --pids many "$dir/x"
assert_status 2 "$mb" --bogus "$dir/x"
assert_status 0 "$mb" --help
finish
