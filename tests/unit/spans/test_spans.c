/* kata-ctl spans on synthetic spans: tree building, dedupe, orphans, chains, the four
 * report formats and expect-file checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "spans.h"

#define T1 "11111111111111111111111111111111"
#define T2 "22222222222222222222222222222222"

static void add(kata_span_set *set, const char *trace, const char *id, const char *parent,
                const char *name, const char *source, uint64_t start, uint64_t end)
{
        kata_error err = KATA_ERROR_INIT;
        kata_span_fields f = {.trace_id = trace,
                              .span_id = id,
                              .parent_span_id = parent,
                              .name = name,
                              .source = source,
                              .sandbox_id = "sb",
                              .container_id = "c1",
                              .status = "unset",
                              .attributes = "{\"n\":3,\"ok\":true,\"s\":\"x\"}",
                              .start_ns = start,
                              .end_ns = end};
        assert_int_equal(kata_span_set_add(set, &f, &err), 0);
}

/* Two traces: create > {create_sandbox > start_agent, CreateContainer > agent
 * create_container}; start > StartContainer. */
static void pod(kata_span_set *set)
{
        kata_error err = KATA_ERROR_INIT;
        kata_span_set_init(set);
        add(set, T1, "00000000000000a4", "00000000000000a3", "create_container", "agent", 1500,
            1900);
        add(set, T1, "00000000000000a1", "", "create", "runtime", 1000, 2000);
        add(set, T1, "00000000000000a2", "00000000000000a1", "create_sandbox", "runtime", 1010,
            1400);
        add(set, T1, "00000000000000a3", "00000000000000a1", "CreateContainer", "runtime", 1450,
            1950);
        add(set, T1, "00000000000000a5", "00000000000000a2", "start_agent", "runtime", 1020, 1100);
        add(set, T2, "00000000000000b1", "", "start", "runtime", 3000, 3500);
        add(set, T2, "00000000000000b2", "00000000000000b1", "StartContainer", "runtime", 3100,
            3400);
        assert_int_equal(kata_span_set_build(set, &err), 0);
}

static char *capture(int (*fn)(const kata_span_set *, FILE *, kata_error *),
                     const kata_span_set *set)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(fn(set, f, &err), 0);
        fclose(f);
        return buf;
}

static void test_tree_links(void **state)
{
        (void)state;
        kata_span_set set;
        pod(&set);
        assert_int_equal(set.n_spans, 7);
        assert_int_equal(set.n_roots, 2);
        assert_int_equal(set.n_orphans, 0);
        assert_int_equal(set.n_traces, 2);
        /* Traces in time order; each has one top. */
        assert_string_equal(set.traces[0].trace_id, T1);
        assert_int_equal(set.traces[0].n_spans, 5);
        assert_int_equal(set.traces[0].n_tops, 1);
        assert_int_equal(set.traces[0].start_ns, 1000);
        assert_int_equal(set.traces[0].end_ns, 2000);
        kata_span *root = set.traces[0].tops[0];
        assert_string_equal(root->name, "create");
        assert_int_equal(root->n_children, 2);
        /* Children by start time, whatever the order they were added in. */
        assert_string_equal(root->children[0]->name, "create_sandbox");
        assert_string_equal(root->children[1]->name, "CreateContainer");
        kata_span *agent = kata_span_set_find(&set, "00000000000000a4");
        assert_non_null(agent);
        assert_ptr_equal(agent->parent, root->children[1]);
        assert_int_equal(agent->depth, 2);
        assert_int_equal(kata_span_duration_ns(agent), 400);
        assert_null(kata_span_set_find(&set, "00000000000000ff"));
        /* Spans come out in start order. */
        for (size_t i = 1; i < set.n_spans; i++)
                assert_true(set.spans[i - 1]->start_ns <= set.spans[i]->start_ns);
        kata_span_set_free(&set);
}

static void test_dedupe_and_invalid(void **state)
{
        (void)state;
        kata_span_set set;
        kata_error err = KATA_ERROR_INIT;
        kata_span_set_init(&set);
        add(&set, T1, "00000000000000a1", "", "create", "runtime", 1000, 2000);
        add(&set, T1, "00000000000000a1", "", "create", "runtime", 1000, 2000);
        add(&set, T1, "00000000000000a2", "00000000000000a1", "x", "runtime", 1100, 1200);
        add(&set, "xyz", "00000000000000a3", "", "bad-trace-id", "runtime", 1, 2);
        add(&set, T1, "00000000000000A4", "", "upper-case-id", "runtime", 1, 2);
        add(&set, T1, "00000000000000a5", "123", "short-parent", "runtime", 1, 2);
        add(&set, T1, "00000000000000a6", "", "", "runtime", 1, 2);
        assert_int_equal(kata_span_set_build(&set, &err), 0);
        assert_int_equal(set.n_spans, 2);
        assert_int_equal(set.duplicates, 1);
        assert_int_equal(set.invalid, 4);
        assert_int_equal(set.traces[0].tops[0]->n_children, 1);
        kata_span_set_free(&set);
}

static void test_orphans(void **state)
{
        (void)state;
        kata_span_set set;
        kata_error err = KATA_ERROR_INIT;
        kata_span_set_init(&set);
        add(&set, T1, "00000000000000a1", "", "root", "runtime", 1000, 2000);
        add(&set, T1, "00000000000000a2", "00000000000000ff", "lost", "agent", 1100, 1200);
        add(&set, T2, "00000000000000b2", "00000000000000a1", "cross", "runtime", 1100, 1200);
        add(&set, T1, "00000000000000c1", "00000000000000c1", "self", "runtime", 1300, 1400);
        /* A cycle, with one span hanging off it. */
        add(&set, T1, "00000000000000d1", "00000000000000d2", "cyc1", "runtime", 1500, 1600);
        add(&set, T1, "00000000000000d2", "00000000000000d1", "cyc2", "runtime", 1510, 1590);
        add(&set, T1, "00000000000000d3", "00000000000000d2", "below", "runtime", 1520, 1530);
        assert_int_equal(kata_span_set_build(&set, &err), 0);
        assert_int_equal(set.n_roots, 1);
        assert_int_equal(set.n_orphans, 4);
        assert_string_equal(kata_span_set_find(&set, "00000000000000a2")->orphan_reason,
                            "parent not in the trace");
        assert_string_equal(kata_span_set_find(&set, "00000000000000b2")->orphan_reason,
                            "parent in another trace");
        assert_string_equal(kata_span_set_find(&set, "00000000000000c1")->orphan_reason,
                            "its own parent");
        /* Exactly one link of the cycle is cut; "below" keeps its parent. */
        kata_span *c1 = kata_span_set_find(&set, "00000000000000d1");
        kata_span *c2 = kata_span_set_find(&set, "00000000000000d2");
        assert_true((c1->orphan_reason != NULL) != (c2->orphan_reason != NULL));
        kata_span *below = kata_span_set_find(&set, "00000000000000d3");
        assert_null(below->orphan_reason);
        assert_ptr_equal(below->parent, c2);
        /* The root has no children: the cross-trace span is not attached. */
        assert_int_equal(kata_span_set_find(&set, "00000000000000a1")->n_children, 0);
        kata_span_set_free(&set);
}

static void test_chains(void **state)
{
        (void)state;
        kata_span_set set;
        pod(&set);
        const char *c1[] = {"agent:create_container", "CreateContainer", "create"};
        assert_int_equal(kata_span_set_count_chain(&set, c1, 3), 1);
        const char *c2[] = {"runtime:create_container", "CreateContainer"};
        assert_int_equal(kata_span_set_count_chain(&set, c2, 2), 0);
        const char *c3[] = {"start_agent", "create_sandbox", "create", "*"};
        assert_int_equal(kata_span_set_count_chain(&set, c3, 4), 0); /* create is a root */
        const char *c4[] = {"*", "create"};
        assert_int_equal(kata_span_set_count_chain(&set, c4, 2), 2);
        const char *c6[] = {"agent:CreateContainer|create_container", "runtime:CreateContainer"};
        assert_int_equal(kata_span_set_count_chain(&set, c6, 2), 1);
        const char *c7[] = {"agent:CreateContainer|create_contain", "CreateContainer"};
        assert_int_equal(kata_span_set_count_chain(&set, c7, 2), 0);
        const char *c5[] = {"Start*"};
        assert_int_equal(kata_span_set_count_chain(&set, c5, 1), 1);
        kata_span_set_free(&set);
}

static void test_report_text(void **state)
{
        (void)state;
        kata_span_set set;
        pod(&set);
        char *out = capture(kata_spans_report_text, &set);
        assert_non_null(strstr(out, "7 spans, 2 traces, 2 roots, 0 orphans"));
        assert_non_null(strstr(out, "\ncreate  1.000 us  [runtime]"));
        assert_non_null(strstr(out, "|  `- start_agent  80 ns  [runtime]"));
        assert_non_null(strstr(out, "   `- create_container  400 ns  [agent]"));
        /* The first trace's tree comes before the second's. */
        assert_true(strstr(out, "trace " T1) < strstr(out, "trace " T2));
        /* Totals per source:name, largest first. */
        char *by = strstr(out, "by name (count, total, mean, max):\n");
        assert_non_null(by);
        char *line = strstr(by, "\n  runtime:create ");
        assert_non_null(line);
        char row[128];
        assert_int_equal(sscanf(line, " runtime:create %127[^\n]", row), 1);
        assert_string_equal(row, "1      1.000 us      1.000 us      1.000 us");
        assert_true(strstr(by, "runtime:create ") < strstr(by, "runtime:start "));
        assert_true(strstr(by, "runtime:start ") < strstr(by, "agent:create_container "));
        free(out);
        kata_span_set_free(&set);
}

static void test_report_chrome(void **state)
{
        (void)state;
        kata_span_set set;
        pod(&set);
        char *out = capture(kata_spans_report_chrome, &set);
        json_object *root = json_tokener_parse(out);
        assert_non_null(root);
        json_object *events;
        assert_true(json_object_object_get_ex(root, "traceEvents", &events));
        size_t x = 0;
        for (size_t i = 0; i < json_object_array_length(events); i++) {
                json_object *e = json_object_array_get_idx(events, i), *v;
                json_object_object_get_ex(e, "ph", &v);
                if (strcmp(json_object_get_string(v), "X") != 0)
                        continue;
                x++;
                json_object *name, *pid, *tid, *ts, *dur;
                json_object_object_get_ex(e, "name", &name);
                json_object_object_get_ex(e, "pid", &pid);
                json_object_object_get_ex(e, "tid", &tid);
                json_object_object_get_ex(e, "ts", &ts);
                json_object_object_get_ex(e, "dur", &dur);
                const char *n = json_object_get_string(name);
                /* pid per source, tid per trace, microseconds since the first span. */
                assert_int_equal(json_object_get_int(pid),
                                 strcmp(n, "create_container") == 0 ? 2 : 1);
                assert_int_equal(json_object_get_int(tid),
                                 strstr("start StartContainer", n) ? 2 : 1);
                if (strcmp(n, "StartContainer") == 0) {
                        assert_float_equal(json_object_get_double(ts), 2.1, 1e-9);
                        assert_float_equal(json_object_get_double(dur), 0.3, 1e-9);
                }
        }
        assert_int_equal(x, 7);
        json_object_put(root);
        free(out);
        kata_span_set_free(&set);
}

static json_object *get(json_object *o, const char *key)
{
        json_object *v = NULL;
        assert_true(json_object_object_get_ex(o, key, &v));
        return v;
}

static void test_report_otlp(void **state)
{
        (void)state;
        kata_span_set set;
        pod(&set);
        char *out = capture(kata_spans_report_otlp, &set);
        json_object *root = json_tokener_parse(out);
        assert_non_null(root);
        json_object *rs = get(root, "resourceSpans");
        assert_int_equal(json_object_array_length(rs), 2);
        size_t total = 0;
        for (size_t i = 0; i < 2; i++) {
                json_object *r = json_object_array_get_idx(rs, i);
                json_object *kv =
                    json_object_array_get_idx(get(get(r, "resource"), "attributes"), 0);
                assert_string_equal(json_object_get_string(get(kv, "key")), "service.name");
                const char *svc = json_object_get_string(get(get(kv, "value"), "stringValue"));
                json_object *spans =
                    get(json_object_array_get_idx(get(r, "scopeSpans"), 0), "spans");
                total += json_object_array_length(spans);
                for (size_t k = 0; k < json_object_array_length(spans); k++) {
                        json_object *s = json_object_array_get_idx(spans, k);
                        const char *name = json_object_get_string(get(s, "name"));
                        assert_string_equal(svc, strcmp(name, "create_container") == 0
                                                     ? "kata-agent"
                                                     : "kata-runtime");
                        assert_int_equal(strlen(json_object_get_string(get(s, "traceId"))), 32);
                        assert_int_equal(strlen(json_object_get_string(get(s, "spanId"))), 16);
                        /* Times are decimal strings; roots carry no parentSpanId. */
                        assert_true(
                            json_object_is_type(get(s, "startTimeUnixNano"), json_type_string));
                        json_object *p;
                        bool has_parent = json_object_object_get_ex(s, "parentSpanId", &p);
                        assert_int_equal(has_parent,
                                         strcmp(name, "create") != 0 && strcmp(name, "start") != 0);
                        if (strcmp(name, "start") == 0) {
                                assert_string_equal(
                                    json_object_get_string(get(s, "startTimeUnixNano")), "3000");
                                assert_string_equal(
                                    json_object_get_string(get(s, "endTimeUnixNano")), "3500");
                        }
                        /* {"n":3,...} -> intValue "3", boolValue, stringValue. */
                        json_object *attrs = get(s, "attributes");
                        bool saw_int = false;
                        for (size_t a = 0; a < json_object_array_length(attrs); a++) {
                                json_object *kv2 = json_object_array_get_idx(attrs, a);
                                if (strcmp(json_object_get_string(get(kv2, "key")), "n") == 0) {
                                        assert_string_equal(json_object_get_string(
                                                                get(get(kv2, "value"), "intValue")),
                                                            "3");
                                        saw_int = true;
                                }
                        }
                        assert_true(saw_int);
                }
        }
        assert_int_equal(total, 7);
        json_object_put(root);
        free(out);
        kata_span_set_free(&set);
}

static void test_report_html(void **state)
{
        (void)state;
        kata_span_set set;
        kata_error err = KATA_ERROR_INIT;
        pod(&set);
        char *out = capture(kata_spans_report_html, &set);
        static const char *names[] = {"create",          "create_sandbox",   "start_agent",
                                      "CreateContainer", "create_container", "start",
                                      "StartContainer"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                char want[128];
                snprintf(want, sizeof(want), ">%s</span>", names[i]);
                assert_non_null(strstr(out, want));
        }
        /* Self-contained: nothing fetched from anywhere. */
        assert_null(strstr(out, "src="));
        assert_null(strstr(out, "href="));
        assert_null(strstr(out, "http"));
        free(out);
        kata_span_set_free(&set);

        /* Names are escaped. */
        kata_span_set_init(&set);
        add(&set, T1, "00000000000000a1", "", "<script>alert(1)</script>", "runtime", 1, 2);
        assert_int_equal(kata_span_set_build(&set, &err), 0);
        out = capture(kata_spans_report_html, &set);
        assert_null(strstr(out, "<script>alert"));
        assert_non_null(strstr(out, "&lt;script&gt;alert(1)&lt;/script&gt;"));
        free(out);
        kata_span_set_free(&set);
}

static int check_text(const char *expect, const kata_span_set *set, char **out)
{
        kata_spans_expect *e = NULL;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_spans_expect_parse(expect, "t.expect", &e, &err), 0);
        size_t len = 0;
        FILE *f = open_memstream(out, &len);
        int r = kata_spans_check(e, set, false, f, &err);
        fclose(f);
        kata_spans_expect_free(e);
        return r;
}

static void test_check_pass_and_fail(void **state)
{
        (void)state;
        kata_span_set set;
        pod(&set);
        char *out = NULL;
        assert_int_equal(check_text("# pod\nmin-spans 7\nmin-traces 2\none-root-per-trace\n"
                                    "root create\nspan 2 *Container\n"
                                    "chain agent:create_container > CreateContainer > create\n"
                                    "chain StartContainer > start   # trailing comment\n",
                                    &set, &out),
                         0);
        assert_non_null(strstr(out, "PASS: 0 of 9 expectations failed"));
        assert_non_null(strstr(out, "  max-orphans 0"));
        free(out);

        assert_int_equal(check_text("min-spans 8\nchain agent:start_container > StartContainer > "
                                    "start\nchain 2 StartContainer > start\nroot delete\n",
                                    &set, &out),
                         4);
        assert_non_null(strstr(out, "- min-spans 8"));
        assert_non_null(strstr(out, "(found 7)"));
        assert_non_null(strstr(out, "- chain agent:start_container > StartContainer > start"));
        assert_non_null(strstr(out, "+     no span matches agent:start_container"));
        assert_non_null(strstr(out, "- chain 2 StartContainer > start"));
        assert_non_null(strstr(out, "- root delete"));
        assert_non_null(strstr(out, "FAIL: 4 of 6 expectations failed"));
        free(out);

        /* Where the chain breaks, say what the spans hang from instead. */
        assert_int_equal(check_text("chain start_agent > connect_agent\n", &set, &out), 1);
        assert_non_null(strstr(out, "start_agent found 1 times, but not under connect_agent"));
        assert_non_null(strstr(out, "+       runtime:create_sandbox"));
        free(out);
        kata_span_set_free(&set);
}

static void test_check_every(void **state)
{
        (void)state;
        kata_span_set set;
        pod(&set);
        char *out = NULL;
        assert_int_equal(check_text("every agent:* > runtime:[A-Z]* > create\n", &set, &out), 0);
        free(out);
        /* create_sandbox hangs from create, start_agent from create_sandbox. */
        assert_int_equal(check_text("every runtime:*_* > create\n", &set, &out), 1);
        assert_non_null(strstr(out, "- every runtime:*_* > create"));
        assert_non_null(strstr(out, "runtime:start_agent span 00000000000000a5: under "
                                    "runtime:create_sandbox, not create"));
        assert_null(strstr(out, "span 00000000000000a2"));
        free(out);
        /* Too few matches fail even when all of them hold. */
        assert_int_equal(check_text("every 2 agent:* > CreateContainer\n", &set, &out), 1);
        assert_non_null(strstr(out, "1 spans match agent:*, fewer than 2"));
        free(out);
        assert_int_equal(check_text("every start > x\n", &set, &out), 1);
        assert_non_null(strstr(out, "runtime:start span 00000000000000b1: under nothing (root), "
                                    "not x"));
        free(out);
        kata_span_set_free(&set);
}

static void test_check_orphans(void **state)
{
        (void)state;
        kata_span_set set;
        kata_error err = KATA_ERROR_INIT;
        kata_span_set_init(&set);
        add(&set, T1, "00000000000000a1", "", "create", "runtime", 1000, 2000);
        add(&set, T1, "00000000000000a2", "00000000000000ff", "lost", "agent", 1100, 1200);
        assert_int_equal(kata_span_set_build(&set, &err), 0);
        char *out = NULL;
        /* No orphans unless allowed. */
        assert_int_equal(check_text("span create\n", &set, &out), 1);
        assert_non_null(strstr(out, "- max-orphans 0"));
        assert_non_null(strstr(out, "orphan agent:lost span 00000000000000a2 parent "
                                    "00000000000000ff"));
        free(out);
        assert_int_equal(check_text("span create\nmax-orphans 1\n", &set, &out), 0);
        free(out);
        assert_int_equal(check_text("one-root-per-trace\nmax-orphans 1\n", &set, &out), 1);
        assert_non_null(strstr(out, "1 roots, 1 orphans"));
        free(out);
        kata_span_set_free(&set);
}

static void test_check_lost(void **state)
{
        (void)state;
        kata_span_set set;
        pod(&set);
        char *out = NULL;
        /* Spans the tracer discarded make the check fail unless allowed. */
        set.lost = 5;
        assert_int_equal(check_text("span create\n", &set, &out), 1);
        assert_non_null(strstr(out, "- max-lost 0"));
        assert_non_null(strstr(out, "5 events discarded by the tracer"));
        free(out);
        assert_int_equal(check_text("span create\nmax-lost 5\n", &set, &out), 0);
        free(out);
        out = capture(kata_spans_report_text, &set);
        assert_non_null(strstr(out, ", 5 events lost by the tracer (buffers full)"));
        free(out);
        /* Discarded, count unknown: never passes. */
        set.lost = 0;
        set.lost_unknown = true;
        assert_int_equal(check_text("span create\nmax-lost 100\n", &set, &out), 1);
        assert_non_null(strstr(out, "how many unknown"));
        free(out);
        kata_span_set_free(&set);
}

static void test_check_json(void **state)
{
        (void)state;
        kata_span_set set;
        pod(&set);
        kata_spans_expect *e = NULL;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_spans_expect_parse("span create\nspan nope\n", "j", &e, &err), 0);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_int_equal(kata_spans_check(e, &set, true, f, &err), 1);
        fclose(f);
        json_object *root = json_tokener_parse(buf);
        assert_non_null(root);
        assert_false(json_object_get_boolean(get(root, "pass")));
        json_object *results = get(root, "results");
        assert_int_equal(json_object_array_length(results), 4);
        json_object *second = json_object_array_get_idx(results, 1);
        assert_string_equal(json_object_get_string(get(second, "expectation")), "span nope");
        assert_int_equal(json_object_get_int(get(second, "line")), 2);
        assert_false(json_object_get_boolean(get(second, "ok")));
        json_object_put(root);
        free(buf);
        kata_spans_expect_free(e);
        kata_span_set_free(&set);
}

static void test_expect_errors(void **state)
{
        (void)state;
        static const struct {
                const char *text;
                const char *msg;
        } bad[] = {
            {"min-spans 3\nfrobnicate 2\n", "t.expect:2: unknown expectation 'frobnicate'"},
            {"min-spans lots\n", "t.expect:1: min-spans wants a number, got 'lots'"},
            {"chain A > > B\n", "t.expect:1: bad span pattern ''"},
            {"span A > B\n", "t.expect:1: span takes one pattern"},
            {"span\n", "t.expect:1: span needs a span pattern"},
            {"every A\n", "t.expect:1: every needs a chain"},
            {"one-root-per-trace 3\n", "t.expect:1: one-root-per-trace takes no argument"},
            {"# nothing\n\n", "t.expect: no expectations"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                kata_spans_expect *e = NULL;
                kata_error err = KATA_ERROR_INIT;
                assert_true(kata_spans_expect_parse(bad[i].text, "t.expect", &e, &err) < 0);
                assert_null(e);
                if (!strstr(err.msg, bad[i].msg))
                        fail_msg("'%s': got '%s', want '%s'", bad[i].text, err.msg, bad[i].msg);
        }
}

static void test_expect_files_parse(void **state)
{
        (void)state;
        /* The expect files in the tree stay valid. */
        static const char *files[] = {"tests/expect/runtime-pod.expect",
                                      "tests/expect/agent-pod.expect"};
        for (size_t i = 0; i < 2; i++) {
                kata_spans_expect *e = NULL;
                kata_error err = KATA_ERROR_INIT;
                if (kata_spans_expect_load(files[i], &e, &err) < 0)
                        fail_msg("%s: %s", files[i], err.msg);
                kata_spans_expect_free(e);
        }
}

static void test_read_ctf_errors(void **state)
{
        (void)state;
        char dir[] = "/tmp/test-spans-XXXXXX";
        assert_non_null(mkdtemp(dir));
        kata_span_set set;
        kata_error err = KATA_ERROR_INIT;
        kata_span_set_init(&set);
        /* An empty directory holds no trace. */
        assert_int_equal(kata_spans_read_ctf(dir, &set, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "no CTF trace"));
        /* A "metadata" file that is not CTF is reported, not crashed on. */
        char path[64];
        snprintf(path, sizeof(path), "%s/metadata", dir);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("not a CTF metadata stream\n", f);
        fclose(f);
        kata_error_clear(&err);
        assert_true(kata_spans_read_ctf(dir, &set, &err) < 0);
        assert_non_null(strstr(err.msg, "not a readable CTF trace"));
        unlink(path);
        rmdir(dir);
        kata_error_clear(&err);
        assert_int_equal(kata_spans_read_ctf("/nonexistent-spans", &set, &err), -ENOENT);
        kata_span_set_free(&set);
}

/* A real LTTng trace (tests/unit/spans/ctf-relayed): 4 frames of 20 agent spans relayed by
 * kata-trace-forwarder, span fx-N-0 the root of fx-N-1..19. The roots after the first come
 * after spans with a parent in the same stream: babeltrace2 2.0.4 shows their empty
 * parent_span_id as the previous event's. */
static void test_read_ctf_fixture(void **state)
{
        (void)state;
        kata_span_set set;
        kata_error err = KATA_ERROR_INIT;
        kata_span_set_init(&set);
        if (kata_spans_read_ctf("tests/unit/spans/ctf-relayed", &set, &err) < 0)
                fail_msg("reading the fixture: %s", err.msg);
        assert_int_equal(set.n_spans, 80);
        assert_int_equal(set.n_traces, 4);
        assert_int_equal(set.n_roots, 4);
        assert_int_equal(set.n_orphans, 0);
        assert_int_equal(set.invalid, 0);
        unsigned seen = 0;
        for (size_t t = 0; t < set.n_traces; t++) {
                const kata_span_trace *tr = &set.traces[t];
                assert_int_equal(tr->n_tops, 1);
                kata_span *root = tr->tops[0];
                unsigned frame = 9;
                char tail = 0;
                assert_int_equal(sscanf(root->name, "fx-%u-0%c", &frame, &tail), 1);
                assert_true(frame < 4 && !(seen & (1u << frame)));
                seen |= 1u << frame;
                assert_string_equal(root->parent_span_id, "");
                assert_string_equal(root->source, "agent");
                assert_int_equal(root->n_children, 19);
                for (size_t i = 0; i < root->n_children; i++)
                        assert_string_equal(root->children[i]->parent_span_id, root->span_id);
        }
        assert_int_equal(seen, 0xf);
        kata_span_set_free(&set);
}

/* The pod of tests/integration/spans as the runtime records it, with (agent) or without
 * the agent's RPC spans under each client span: both expect files must judge it right. */
static void synthetic_pod(kata_span_set *set, bool agent)
{
        /* Per command: "name<parent index" entries; index 0 is the root. */
        static const char *const cmds[][10] = {
            {"create", "create_sandbox<0", "start_agent<1", "connect_agent<1", "CreateSandbox<1",
             "CreateContainer<0", "ListProcesses<0"},
            {"start", "StartContainer<0"},
            {"create", "CreateContainer<0", "ListProcesses<0"},
            {"start", "StartContainer<0"},
            {"exec", "ExecProcess<0", "ReadStdout<0", "WaitProcess<0"},
            {"delete", "SignalProcess<0", "RemoveContainer<0"},
            {"delete", "SignalProcess<0", "RemoveContainer<0", "DestroySandbox<0"},
        };
        kata_error err = KATA_ERROR_INIT;
        unsigned id = 1;
        kata_span_set_init(set);
        for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
                char trace[33], ids[10][17];
                snprintf(trace, sizeof(trace), "%032zx", c + 1);
                uint64_t t0 = 1000000 * (c + 1);
                for (size_t k = 0; k < 10 && cmds[c][k]; k++) {
                        char name[64];
                        snprintf(name, sizeof(name), "%s", cmds[c][k]);
                        char *lt = strchr(name, '<');
                        const char *parent = "";
                        if (lt) {
                                *lt = 0;
                                parent = ids[atoi(lt + 1)];
                        }
                        snprintf(ids[k], sizeof(ids[k]), "%016x", id++);
                        add(set, trace, ids[k], parent, name, "runtime", t0 + k * 10,
                            t0 + 1000 - k * 10);
                        /* The agent's server span of an RPC, named as Kata's agent names
                         * it: CreateContainer -> create_container. */
                        if (agent && lt && name[0] >= 'A' && name[0] <= 'Z') {
                                char sid[17], kata_name[64];
                                size_t n = 0;
                                for (const char *p = name; *p && n < sizeof(kata_name) - 2; p++) {
                                        if (*p >= 'A' && *p <= 'Z') {
                                                if (n)
                                                        kata_name[n++] = '_';
                                                kata_name[n++] = (char)(*p - 'A' + 'a');
                                        } else {
                                                kata_name[n++] = *p;
                                        }
                                }
                                kata_name[n] = '\0';
                                snprintf(sid, sizeof(sid), "%016x", id++);
                                add(set, trace, sid, ids[k], kata_name, "agent", t0 + k * 10 + 1,
                                    t0 + 1000 - k * 10 - 1);
                        }
                }
        }
        assert_int_equal(kata_span_set_build(set, &err), 0);
}

static int check_file(const char *path, const kata_span_set *set)
{
        kata_spans_expect *e = NULL;
        kata_error err = KATA_ERROR_INIT;
        if (kata_spans_expect_load(path, &e, &err) < 0)
                fail_msg("%s: %s", path, err.msg);
        int r = kata_spans_check(e, set, false, NULL, &err);
        kata_spans_expect_free(e);
        return r;
}

static void test_expect_files_judge_pods(void **state)
{
        (void)state;
        kata_span_set set;
        synthetic_pod(&set, false);
        assert_int_equal(set.n_spans, 25);
        assert_int_equal(check_file("tests/expect/runtime-pod.expect", &set), 0);
        /* Without agent spans: every agent line fails, the generic ones hold. */
        assert_int_equal(check_file("tests/expect/agent-pod.expect", &set), 8);
        kata_span_set_free(&set);

        synthetic_pod(&set, true);
        assert_int_equal(set.n_orphans, 0);
        assert_int_equal(check_file("tests/expect/runtime-pod.expect", &set), 0);
        assert_int_equal(check_file("tests/expect/agent-pod.expect", &set), 0);
        kata_span_set_free(&set);
}

static void test_format_names(void **state)
{
        (void)state;
        enum kata_spans_format f;
        assert_int_equal(kata_spans_format_parse("otlp-json", &f), 0);
        assert_int_equal(f, KATA_SPANS_OTLP_JSON);
        assert_int_equal(kata_spans_format_parse("html", &f), 0);
        assert_int_equal(f, KATA_SPANS_HTML);
        assert_true(kata_spans_format_parse("xml", &f) < 0);
        char buf[32];
        assert_string_equal(kata_spans_format_duration(999, buf, sizeof(buf)), "999 ns");
        assert_string_equal(kata_spans_format_duration(1500000, buf, sizeof(buf)), "1.500 ms");
        assert_string_equal(kata_spans_format_duration(2500000000ULL, buf, sizeof(buf)), "2.500 s");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_tree_links),
            cmocka_unit_test(test_dedupe_and_invalid),
            cmocka_unit_test(test_orphans),
            cmocka_unit_test(test_chains),
            cmocka_unit_test(test_report_text),
            cmocka_unit_test(test_report_chrome),
            cmocka_unit_test(test_report_otlp),
            cmocka_unit_test(test_report_html),
            cmocka_unit_test(test_check_pass_and_fail),
            cmocka_unit_test(test_check_orphans),
            cmocka_unit_test(test_check_every),
            cmocka_unit_test(test_check_json),
            cmocka_unit_test(test_check_lost),
            cmocka_unit_test(test_expect_errors),
            cmocka_unit_test(test_expect_files_parse),
            cmocka_unit_test(test_format_names),
            cmocka_unit_test(test_expect_files_judge_pods),
            cmocka_unit_test(test_read_ctf_errors),
            cmocka_unit_test(test_read_ctf_fixture),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
