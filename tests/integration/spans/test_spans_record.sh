#!/usr/bin/env bash
# kata-ctl spans record|report|check around kata-runtime: a pod of two containers, an
# exec, deletes, in one CTF trace. Every command is one tree, no orphans, and the trace
# meets tests/expect/runtime-pod.expect and tests/expect/agent-pod.expect.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/spans/spans-lib.sh"
spans_setup

pod=spans-$$
b1=$(make_bundle b1 -- sleep 600)
b2=$(make_bundle b2 -- sleep 600)
cat >"$WORK/workload.sh" <<WL
set -e
rt() { "$RUNTIME" --root "$ROOT" --config "$CONF" "\$@"; }
rt create --bundle "$b1" $pod
rt start $pod
rt create --bundle "$b2" --sandbox $pod $pod-c2
rt start $pod-c2
[ "\$(rt exec $pod -- echo hello)" = hello ]
rt delete --force $pod-c2
rt delete --force $pod
WL

# record: the workload's status, a summary, a trace on disk.
trace=$WORK/trace
out=$("$KATA_CTL" spans record -o "$trace" -- bash "$WORK/workload.sh" 2>"$WORK/record.err") ||
        fail "spans record failed: $out $(cat "$WORK/record.err")"
assert_contains "$out" "trace in $trace:" "record summary"
assert_contains "$out" "0 orphans (command exited 0)" "record summary"
[ -n "$(find "$trace" -name metadata)" ] || fail "no CTF metadata under $trace"
pass
[ ! -e "$ROOT/$pod" ] || fail "workload left its sandbox"

# check against the runtime expectations.
check=$("$KATA_CTL" spans check "$trace" --expect "$KATA_SOURCE_DIR/tests/expect/runtime-pod.expect") ||
        fail "spans check failed:
$check"
assert_contains "$check" "PASS: 0 of" "check verdict"
json=$("$KATA_CTL" spans check "$trace" --expect "$KATA_SOURCE_DIR/tests/expect/runtime-pod.expect" --json)
assert_eq True "$(jget "$json" 'j["pass"]')" "check --json pass"
assert_eq 0 "$(jget "$json" 'j["orphans"]')" "orphans"

# One tree per command: 7 commands, 7 traces, each with exactly one root and the
# command's name at the root.
text=$("$KATA_CTL" spans report "$trace")
assert_contains "$text" ", 7 traces, 7 roots, 0 orphans" "text report summary"
roots=$(printf '%s\n' "$text" | grep -A1 '^trace ' | grep -v -e '^trace ' -e '^--' | awk '{print $1}' | tr '\n' ' ')
assert_eq "create start create start exec delete delete " "$roots" "root span of each trace, in order"

# The agent's spans, relayed by the forwarder that record starts, hang under the runtime's
# client spans: one tree per command across host and sandbox.
assert_contains "$text" "[agent]" "agent spans in the host trace"
agent=$("$KATA_CTL" spans check "$trace" --expect "$KATA_SOURCE_DIR/tests/expect/agent-pod.expect") ||
        fail "agent-pod.expect fails:
$agent"
pass

# A failing expectation: exit 1 and a diff naming what is missing.
printf 'chain agent:no_such_span > CreateContainer > create\nspan 99 start\n' >"$WORK/bad.expect"
st=0
diff=$("$KATA_CTL" spans check "$trace" --expect "$WORK/bad.expect") || st=$?
assert_eq 1 "$st" "check exit status on failure"
assert_contains "$diff" "- chain agent:no_such_span > CreateContainer > create" "diff"
assert_contains "$diff" "+     no span matches agent:no_such_span" "diff"
assert_contains "$diff" "- span 99 start" "diff"

# Reports: Chrome JSON and OTLP JSON hold every span; HTML names them all.
span_count=$(jget "$json" 'j["spans"]')
"$KATA_CTL" spans report "$trace" --format chrome -o "$WORK/chrome.json"
assert_eq "$span_count" "$(python3 -c 'import json,sys; print(sum(1 for e in json.load(open(sys.argv[1]))["traceEvents"] if e["ph"]=="X"))' "$WORK/chrome.json")" "chrome X events"
"$KATA_CTL" spans report "$trace" --format otlp-json -o "$WORK/otlp.json"
assert_eq "$span_count" "$(python3 -c '
import json,sys
j=json.load(open(sys.argv[1]))
spans=[s for r in j["resourceSpans"] for ss in r["scopeSpans"] for s in ss["spans"]]
assert all(len(s["traceId"])==32 and len(s["spanId"])==16 and s["startTimeUnixNano"].isdigit() for s in spans)
print(len(spans))' "$WORK/otlp.json")" "otlp spans"
"$KATA_CTL" spans report "$trace" --format html -o "$WORK/report.html"
html=$(cat "$WORK/report.html")
for name in create start exec delete create_sandbox start_agent connect_agent CreateSandbox \
        CreateContainer StartContainer ExecProcess WaitProcess RemoveContainer DestroySandbox; do
        assert_contains "$html" ">$name</span>" "HTML report"
done

# Recording errors and usage errors.
mkdir -p "$WORK/full" && touch "$WORK/full/x"
st=0
err=$("$KATA_CTL" spans record -o "$WORK/full" --no-forwarder -- true 2>&1) || st=$?
assert_eq 1 "$st" "record into a non-empty directory"
assert_contains "$err" "is not empty" "record error"
st=0
out=$("$KATA_CTL" spans record -o "$WORK/t3" --no-forwarder -- sh -c 'exit 3') || st=$?
assert_eq 3 "$st" "record passes on the command's exit status"
assert_contains "$out" "holds no span" "record of a command that does not trace"
assert_status 2 "$KATA_CTL" spans record -- true
assert_status 2 "$KATA_CTL" spans check "$trace"
assert_status 2 "$KATA_CTL" spans report "$trace" --format xml
assert_status 2 "$KATA_CTL" spans report "$trace" --json
assert_status 2 "$KATA_CTL" spans check "$trace" --expect "$WORK/bad.expect" --format html
assert_status 2 "$KATA_CTL" spans frobnicate "$trace"
assert_status 1 "$KATA_CTL" spans report "$WORK/nothing-here"
finish
