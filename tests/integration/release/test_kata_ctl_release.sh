#!/usr/bin/env bash
# `kata-ctl check` release subcommands against the loopback stand-in for the GitHub
# releases API (release_server.py), pointed at with KATA_RELEASE_URL. The running
# version comes from KATA_CHECK_CURRENT_VERSION.
source "$KATA_SOURCE_DIR/tests/lib.sh"

KATA_CTL=$KATA_BIN/kata-ctl
[ -x "$KATA_CTL" ] || fail "$KATA_CTL is not built"

dir=$(scratch_dir)
server_pid=
cleanup() {
        [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
        rm -rf "$dir"
}
trap cleanup EXIT

python3 "$KATA_SOURCE_DIR/tests/integration/release/release_server.py" \
        --record "$dir/record" --lifetime 300 >"$dir/port" &
server_pid=$!
# Wait until the server has bound its port (it prints it once listening).
for _ in $(seq 1 100); do
        [ -s "$dir/port" ] && break
        kill -0 "$server_pid" 2>/dev/null || fail "release server exited"
        sleep 0.1
done
port=$(head -n1 "$dir/port")
[ -n "$port" ] || fail "release server printed no port"
base="http://127.0.0.1:$port"

# Only the loopback: no proxy, no token, no network switch from the caller's environment.
unset http_proxy https_proxy HTTPS_PROXY ALL_PROXY all_proxy GITHUB_TOKEN KATA_CHECK_NO_NETWORK
export no_proxy='*'
export KATA_CHECK_CURRENT_VERSION=2.4.1

out= rc=
# run PATH ARGS...: kata-ctl check ARGS against the scenario at PATH; sets out and rc.
run() {
        local path=$1
        shift
        rc=0
        out=$(KATA_RELEASE_URL="$base$path" timeout 60 "$KATA_CTL" check "$@" 2>&1) || rc=$?
        [ "$rc" != 124 ] || fail "kata-ctl check $* against $path did not return"
        [ "$rc" -lt 128 ] || fail "kata-ctl check $* against $path died with status $rc:
$out"
}

url=https://example.invalid/releases/tag

run /patch check-version-only
assert_eq 0 "$rc" "exit status of check-version-only (patch)"
assert_contains "$out" "Newer patch release available: 2.4.2 (url: $url/2.4.2, date: 2026-02-02T02:02:02Z)"
run /minor check-version-only
assert_contains "$out" "Newer minor release available: 2.5.0 (url: $url/2.5.0, date: 2026-05-05T05:05:05Z)"
run /major --check-version-only
assert_contains "$out" "Newer major release available: 3.0.0 (url: $url/3.0.0, date: 2026-09-09T09:09:09Z)"
run /none check-version-only
assert_eq 0 "$rc" "exit status of check-version-only (none)"
assert_contains "$out" "No newer release available"

# Pre-releases: skipped unless asked for; rc to final is a newer patch.
run /prerelease check-version-only
assert_contains "$out" "Newer patch release available: 2.4.2"
run /prerelease include-all-releases
assert_eq 0 "$rc" "exit status of include-all-releases"
assert_eq "2.5.0-rc1;2026-03-01T10:00:00Z;$url/2.5.0-rc1;pre-release" "$(grep ';' <<<"$out" | head -n1)" "pre-release listed and marked"
assert_contains "$out" "2.4.2;2026-03-01T10:00:00Z;$url/2.4.2"
run /prerelease only-list-releases
assert_not_contains "$out" "2.5.0-rc1" "listing without pre-releases"
run /prerelease --include-all-releases check-version-only
assert_contains "$out" "Newer minor release available: 2.5.0-rc1"
KATA_CHECK_CURRENT_VERSION=2.5.0-rc1 run /rc-final check-version-only
assert_contains "$out" "Newer patch release available: 2.5.0 (url: $url/2.5.0,"
assert_not_contains "$out" "unhandled"

# Listing: version;date;url, newest first, drafts and non-semver tags left out.
run /paged only-list-releases
assert_eq 0 "$rc" "exit status of only-list-releases"
lines=$(grep -c ';' <<<"$out" || true)
assert_eq 6 "$lines" "releases listed over three pages"
assert_eq "3.1.0;2026-12-12T12:12:12Z;$url/3.1.0" "$(grep ';' <<<"$out" | head -n1)" "first listed release"
assert_eq "2.1.0;2026-03-01T10:00:00Z;$url/2.1.0" "$(grep ';' <<<"$out" | tail -n1)" "last listed release"
run /paged --only-list-releases
assert_contains "$out" "3.1.0;2026-12-12T12:12:12Z;$url/3.1.0"
run /drafts only-list-releases
assert_not_contains "$out" "3.0.0" "listing with a draft"
assert_contains "$out" "2.4.1;"
run /nonsemver only-list-releases
assert_eq "2.4.2;2026-03-01T10:00:00Z;$url/2.4.2" "$(grep ';' <<<"$out")" "only the semver tag listed"
run /empty check-version-only
assert_contains "$out" "No newer release available"

# Failures name what failed and never crash.
run /ratelimit check-version-only
assert_eq 1 "$rc" "exit status of check-version-only when rate limited"
assert_contains "$out" "rate limited (HTTP 403, X-RateLimit-Remaining: 0)"
assert_contains "$out" "2027-01-01 00:00:00 UTC"
run /toomany check-version-only
assert_contains "$out" "rate limited (HTTP 429)"
run /error500 check-version-only
assert_contains "$out" "HTTP 500 Internal Server Error"
run /malformed only-list-releases
assert_contains "$out" "bad JSON"
run /wrongtypes check-version-only
assert_contains "$out" 'field "tag_name" is int, expected string'
run /hang check-version-only --timeout 1
assert_eq 1 "$rc" "exit status of check-version-only when the server never answers"
assert_contains "$out" "timed out after 1 s"
run /nothing-here check-version-only
assert_contains "$out" "HTTP 404"

# --json: one object with the result, parsed by a JSON parser.
run /minor check-version-only --json
assert_eq 0 "$rc" "exit status of check-version-only --json"
fields=$(python3 -c 'import json,sys; o=json.loads(sys.argv[1]); print(o["newer"], o["version"], o["current"])' "$out") ||
        fail "check-version-only --json printed no valid JSON: $out"
assert_eq "minor 2.5.0 2.4.1" "$fields" "JSON release result"
run /paged only-list-releases --json
count=$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$out") ||
        fail "only-list-releases --json printed no valid JSON: $out"
assert_eq 6 "$count" "releases in the JSON listing"

# In `all` the release check is one more line: a failure there is a warning and leaves
# the exit status to the host checks.
run /none no-network-checks
host_rc=$rc
run /patch all --network
assert_contains "$out" "Newer patch release available: 2.4.2"
assert_eq "$host_rc" "$rc" "exit status of all with a newer release"
run /error500 all --network
assert_contains "$out" "HTTP 500 Internal Server Error"
assert_eq "$host_rc" "$rc" "exit status of all when the release server fails"
KATA_CHECK_NO_NETWORK=1 run /patch all --network
assert_not_contains "$out" "Newer patch release" "all with KATA_CHECK_NO_NETWORK set"

# The token goes out as a bearer token.
: >"$dir/record"
GITHUB_TOKEN=secret-for-test run /token check-version-only
assert_contains "$(cat "$dir/record")" '"authorization": "Bearer secret-for-test"' "recorded request"
assert_contains "$(cat "$dir/record")" '"user_agent": "kata-ctl/' "recorded request"

finish
