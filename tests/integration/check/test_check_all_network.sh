#!/usr/bin/env bash
# `kata-ctl check all --network`: host checks and the release check in one run, against
# the loopback releases server of tests/integration/release. A release failure is a
# warning and never changes the host verdict's exit code.
source "$KATA_SOURCE_DIR/tests/lib.sh"
ctl=$KATA_BIN/kata-ctl
dir=$(scratch_dir)
server_pid=
cleanup() {
        [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
        rm -rf "$dir"
}
trap cleanup EXIT

python3 "$KATA_SOURCE_DIR/tests/integration/release/release_server.py" --lifetime 120 \
        >"$dir/port" &
server_pid=$!
for _ in $(seq 1 100); do
        [ -s "$dir/port" ] && break
        kill -0 "$server_pid" 2>/dev/null || fail "release server exited"
        sleep 0.1
done
port=$(head -n1 "$dir/port")
[ -n "$port" ] || fail "release server printed no port"
base="http://127.0.0.1:$port"
unset http_proxy https_proxy HTTPS_PROXY ALL_PROXY all_proxy GITHUB_TOKEN KATA_CHECK_NO_NETWORK
export no_proxy='*' KATA_CHECK_CURRENT_VERSION=2.4.1
fixture=$KATA_SOURCE_DIR/tests/fixtures/hosts/intel

out=$(KATA_RELEASE_URL=$base/minor "$ctl" check all --network --host-root "$fixture")
assert_contains "$out" "Newer minor release available: 2.5.0" "release line"
assert_contains "$out" "System is capable of running Kata Containers" "closing line"
assert_status 0 env KATA_RELEASE_URL=$base/minor "$ctl" check --network --host-root "$fixture"

json=$(KATA_RELEASE_URL=$base/major "$ctl" check all --network --json --host-root "$fixture")
newer=$(python3 -c 'import json,sys; o=json.loads(sys.argv[1]); print(o["release"]["newer"], o["checks"][0]["id"])' "$json") ||
        fail "check all --json printed no valid JSON: $json"
assert_eq "major cpu.vendor" "$newer" "release and checks in one JSON object"

out=$(KATA_RELEASE_URL=$base/error500 "$ctl" check all --network --host-root "$fixture")
assert_contains "$out" "WARN: version check failed" "release failure is a warning"
assert_contains "$out" "500" "failure names the HTTP status"
assert_status 0 env KATA_RELEASE_URL=$base/error500 "$ctl" check --network --host-root "$fixture"
# ...and a failing host still fails.
assert_status 1 env KATA_RELEASE_URL=$base/minor "$ctl" check --network \
        --host-root "$KATA_SOURCE_DIR/tests/fixtures/hosts/no-kvm" --hypervisor firecracker
finish
