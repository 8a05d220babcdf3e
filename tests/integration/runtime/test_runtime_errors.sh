#!/usr/bin/env bash
# Bad input gets a clear error and the documented exit code; nothing is left behind.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/runtime/runtime-lib.sh"
runtime_setup

good=$(make_bundle good -- true)

# Usage errors exit 2.
assert_status 2 rt
assert_status 2 rt no-such-verb
assert_status 2 rt create
assert_status 2 rt kill some-id NOSUCHSIG
assert_status 0 rt --help
assert_contains "$("$RUNTIME" --version)" "kata-runtime" "--version"

# Invalid ids.
for id in "../x" "a/b" ".hidden" "$(printf 'x%.0s' $(seq 200))"; do
        err=$(rt create --bundle "$good" "$id" 2>&1) && fail "create accepted id '$id'"
        assert_contains "$err" "invalid container id" "create '$id'"
done
err=$(rt create --bundle "$good" --sandbox "../p" c1 2>&1) && fail "create accepted sandbox ../p"
assert_contains "$err" "invalid sandbox id" "create --sandbox ../p"
err=$(rt state "../x" 2>&1) && fail "state accepted ../x"
assert_contains "$err" "invalid container id" "state ../x"
err=$(rt delete nosuch 2>&1) && fail "delete of an unknown container succeeded"
assert_contains "$err" "container 'nosuch' does not exist" "delete unknown"

# Broken bundles.
mkdir -p "$WORK/nojson"
err=$(rt create --bundle "$WORK/nojson" c1 2>&1) && fail "bundle without config.json accepted"
assert_contains "$err" "config.json" "missing config.json"
cp -r "$good" "$WORK/broken"
echo '{"ociVersion": "1.0.2", "process": {' >"$WORK/broken/config.json"
err=$(rt create --bundle "$WORK/broken" c1 2>&1) && fail "truncated config.json accepted"
assert_contains "$err" "config.json" "truncated config.json"
jq '.process.args = "not-an-array"' "$good/config.json" >"$WORK/broken/config.json"
err=$(rt create --bundle "$WORK/broken" c1 2>&1) && fail "wrong types accepted"
assert_contains "$err" "process.args" "wrong type names the field"
err=$(rt create --bundle "$WORK/none" c1 2>&1) && fail "missing bundle accepted"
assert_contains "$err" "$WORK/none" "missing bundle named"
jq '.linux.cgroupsPath = "../../escape"' "$good/config.json" >"$WORK/broken/config.json"
err=$(rt create --bundle "$WORK/broken" c1 2>&1) && fail "escaping cgroupsPath accepted"
assert_contains "$err" "INVALID_ARGUMENT" "escaping cgroupsPath"
jq '.process.terminal = true' "$good/config.json" >"$WORK/broken/config.json"
err=$(rt run --bundle "$WORK/broken" c1 2>&1 </dev/null) && fail "terminal without a tty accepted"
assert_contains "$err" "process.terminal is true but stdin is not a terminal" "terminal without a tty"
assert_eq 0 "$(jget "$(rt list --json)" 'len(j)')" "nothing created by failures"
assert_sandbox_gone c1

# A second create of one id fails and leaves the first alone.
rt create --bundle "$good" dup
err=$(rt create --bundle "$good" dup 2>&1) && fail "duplicate id accepted"
assert_contains "$err" "already exists" "duplicate id"
assert_eq created "$(jget "$(rt state dup)" 'j["status"]')" "first container intact"
rt delete dup
assert_sandbox_gone dup
finish
