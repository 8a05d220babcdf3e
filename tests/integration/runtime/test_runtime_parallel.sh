#!/usr/bin/env bash
# 10 parallel creates (5 new sandboxes, 5 containers joining one pod) leave consistent
# state: every container listed once, in the right sandbox, each state.json valid.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/runtime/runtime-lib.sh"
runtime_setup

bundle=$(make_bundle b -- sleep 600)
pod=pod-$$
rt create --bundle "$bundle" "$pod"
pids=()
for i in $(seq 5); do
        rt create --bundle "$bundle" "solo-$i" &
        pids+=($!)
        rt create --bundle "$bundle" --sandbox "$pod" "member-$i" &
        pids+=($!)
done
for p in "${pids[@]}"; do
        wait "$p" || fail "a parallel create failed"
done
list=$(rt list --json)
assert_eq 11 "$(jget "$list" 'len(j)')" "containers listed"
assert_eq 11 "$(jget "$list" 'len(set(c["id"] for c in j))')" "container ids unique"
assert_eq 6 "$(jget "$list" 'sum(1 for c in j if c["sandbox"]=="'"$pod"'")')" "pod members"
for i in $(seq 5); do
        assert_eq "solo-$i" "$(jget "$(rt state "solo-$i")" 'j["sandbox"]')" "solo-$i sandbox"
done
python3 - "$ROOT" <<'PY' || fail "a state.json is not valid"
import json, os, sys
root = sys.argv[1]
for d in os.listdir(root):
    p = os.path.join(root, d, "state.json")
    if os.path.exists(p):
        s = json.load(open(p))
        assert s["version"] == 1, p
PY
pass
# Parallel deletes too.
pids=()
for c in $(jget "$list" '" ".join(c["id"] for c in j)'); do
        rt delete --force "$c" &
        pids+=($!)
done
for p in "${pids[@]}"; do
        wait "$p" || fail "a parallel delete failed"
done
assert_eq 0 "$(jget "$(rt list --json)" 'len(j)')" "all deleted"
for s in "$pod" solo-1 solo-2 solo-3 solo-4 solo-5; do
        assert_sandbox_gone "$s"
done
finish
