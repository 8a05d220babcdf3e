#!/usr/bin/env bash
# The HTML report of a recorded `kata-runtime run` renders in headless Chromium with no
# server and no network: the rendered DOM shows every span name. The page and its
# screenshot stay in $KATA_BUILD_DIR/test-artifacts/test_spans_html/.
source "$KATA_SOURCE_DIR/tests/lib.sh"
source "$KATA_SOURCE_DIR/tests/integration/spans/spans-lib.sh"
spans_setup

if ! command -v chromium >/dev/null; then
        echo "SKIP [$TEST_NAME]: chromium is not installed (.ci/install-deps installs it)"
        exit 77
fi
ART=$KATA_BUILD_DIR/test-artifacts/$TEST_NAME
rm -rf "$ART"
mkdir -p "$ART"

bundle=$(make_bundle b -- true)
"$KATA_CTL" spans record -o "$WORK/trace" -- \
        "$RUNTIME" --root "$ROOT" --config "$CONF" run --bundle "$bundle" html-$$ >"$WORK/record.out" ||
        fail "spans record of kata-runtime run failed: $(cat "$WORK/record.out")"
"$KATA_CTL" spans report "$WORK/trace" --format html -o "$ART/report.html"
# The span names the trace holds, from the text report (name is the word before the
# duration), to compare with what the browser shows.
names=$("$KATA_CTL" spans report "$WORK/trace" | sed -n 's/^[|` -]*\([A-Za-z_][A-Za-z0-9_]*\)  [0-9].*/\1/p' | sort -u)
[ "$(printf '%s\n' "$names" | wc -l)" -ge 5 ] || fail "too few span names in the trace: $names"
pass

chrome() {
        local profile
        profile=$(mktemp -d "$WORK/chromium-XXXXXX")
        timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
                --disable-background-networking --disable-component-update --disable-sync \
                --user-data-dir="$profile" --window-size=1400,900 "$@" "file://$ART/report.html" \
                2>>"$ART/chromium.log"
}
chrome --screenshot="$ART/screenshot.png" >/dev/null || fail "chromium --screenshot failed: $(tail -5 "$ART/chromium.log")"
[ "$(head -c 8 "$ART/screenshot.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
        fail "no PNG screenshot at $ART/screenshot.png"
pass
dom=$(chrome --dump-dom) || fail "chromium --dump-dom failed: $(tail -5 "$ART/chromium.log")"
printf '%s\n' "$dom" >"$ART/dom.html"
for name in $names; do
        assert_contains "$dom" "<span class=\"label\" style=\"padding-left:" "rendered DOM"
        assert_contains "$dom" ">$name</span>" "rendered DOM"
done
assert_contains "$dom" "run · " "rendered DOM (trace heading)"
finish
