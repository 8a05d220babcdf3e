/* Expect files and `spans check`. One expectation per line ('#' comments, blank lines):
 *
 *   min-spans N              at least N spans (after dedupe)
 *   min-traces N             at least N traces (trace ids)
 *   max-orphans N            at most N orphans (default 0: orphans fail unless allowed)
 *   max-lost N               at most N events discarded by the tracer (default 0)
 *   one-root-per-trace       every trace has exactly one root span: one tree per command
 *   span [MIN] PATTERN       at least MIN (default 1) spans match PATTERN
 *   root [MIN] PATTERN       at least MIN root spans match PATTERN
 *   chain [MIN] P1 > P2 ...  at least MIN spans match P1 whose parent matches P2, whose
 *                            parent matches P3...
 *   every [MIN] P1 > P2 ...  every span matching P1 (at least MIN of them) has that
 *                            ancestry
 *
 * PATTERN is NAME or SOURCE:NAME (source runtime or agent), fnmatch(3) wildcards allowed,
 * NAME may list alternatives: agent:CreateContainer|create_container.
 * The report is diff-like: ' ' kept lines held, '-' lines are missing, '+' lines say what
 * the trace has instead. */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "spans.h"

enum expect_kind {
        EXPECT_MIN_SPANS,
        EXPECT_MIN_TRACES,
        EXPECT_MAX_ORPHANS,
        EXPECT_MAX_LOST,
        EXPECT_ONE_ROOT,
        EXPECT_SPAN,
        EXPECT_ROOT,
        EXPECT_CHAIN,
        EXPECT_EVERY
};

struct expectation {
        enum expect_kind kind;
        unsigned line; /* 0: implicit */
        char *text;
        uint64_t n;
        char **patterns;
        size_t n_patterns;
};

struct kata_spans_expect {
        char *origin;
        struct expectation *items;
        size_t n;
        bool has_max_orphans;
        bool has_max_lost;
};

void kata_spans_expect_free(kata_spans_expect *e)
{
        if (!e)
                return;
        for (size_t i = 0; i < e->n; i++) {
                free(e->items[i].text);
                for (size_t k = 0; k < e->items[i].n_patterns; k++)
                        free(e->items[i].patterns[k]);
                free(e->items[i].patterns);
        }
        free(e->items);
        free(e->origin);
        free(e);
}

static int add_item(kata_spans_expect *e, struct expectation *x, kata_error *err)
{
        struct expectation *n = realloc(e->items, (e->n + 1) * sizeof(*n));
        if (!n)
                return kata_error_errno(err, ENOMEM, "expect file");
        e->items = n;
        e->items[e->n++] = *x;
        return 0;
}

static bool valid_pattern(const char *p)
{
        if (!*p)
                return false;
        for (; *p; p++)
                if (isspace((unsigned char)*p) || *p == '>')
                        return false;
        return true;
}

/* "[MIN] rest": an optional leading count. */
static char *take_count(char *rest, uint64_t *n)
{
        char *sp = rest + strcspn(rest, " \t");
        char save = *sp;
        *sp = 0;
        uint64_t v;
        if (kata_parse_u64(rest, &v) == 0) {
                *n = v;
                return kata_str_trim(save ? sp + 1 : sp);
        }
        *sp = save;
        *n = 1;
        return rest;
}

static int parse_line(kata_spans_expect *e, char *line, unsigned lineno, kata_error *err)
{
        struct expectation x = {.line = lineno};
        char *kw = line;
        char *rest = line + strcspn(line, " \t");
        if (*rest)
                *rest++ = 0;
        rest = kata_str_trim(rest);
        int r = 0;
        if (strcmp(kw, "min-spans") == 0 || strcmp(kw, "min-traces") == 0 ||
            strcmp(kw, "max-orphans") == 0 || strcmp(kw, "max-lost") == 0) {
                x.kind = strcmp(kw, "min-spans") == 0     ? EXPECT_MIN_SPANS
                         : strcmp(kw, "min-traces") == 0  ? EXPECT_MIN_TRACES
                         : strcmp(kw, "max-orphans") == 0 ? EXPECT_MAX_ORPHANS
                                                          : EXPECT_MAX_LOST;
                if (kata_parse_u64(rest, &x.n) < 0)
                        return kata_error_set(err, EINVAL, "%s:%u: %s wants a number, got '%s'",
                                              e->origin, lineno, kw, rest);
                if (x.kind == EXPECT_MAX_ORPHANS)
                        e->has_max_orphans = true;
                if (x.kind == EXPECT_MAX_LOST)
                        e->has_max_lost = true;
        } else if (strcmp(kw, "one-root-per-trace") == 0) {
                x.kind = EXPECT_ONE_ROOT;
                if (*rest)
                        return kata_error_set(err, EINVAL, "%s:%u: %s takes no argument", e->origin,
                                              lineno, kw);
        } else if (strcmp(kw, "span") == 0 || strcmp(kw, "root") == 0 || strcmp(kw, "chain") == 0 ||
                   strcmp(kw, "every") == 0) {
                x.kind = kw[0] == 's'   ? EXPECT_SPAN
                         : kw[0] == 'r' ? EXPECT_ROOT
                         : kw[0] == 'c' ? EXPECT_CHAIN
                                        : EXPECT_EVERY;
                rest = take_count(rest, &x.n);
                size_t cap = 1;
                for (char *p = rest; *p; p++)
                        cap += *p == '>';
                x.patterns = calloc(cap, sizeof(char *));
                if (!x.patterns)
                        return kata_error_errno(err, ENOMEM, "expect file");
                char *save = NULL;
                for (char *tok = strtok_r(rest, ">", &save); tok;
                     tok = strtok_r(NULL, ">", &save)) {
                        char *p = kata_str_trim(tok);
                        if (!valid_pattern(p) || !(x.patterns[x.n_patterns++] = strdup(p))) {
                                r = valid_pattern(p)
                                        ? kata_error_errno(err, ENOMEM, "expect file")
                                        : kata_error_set(err, EINVAL,
                                                         "%s:%u: bad span pattern '%s' (NAME or "
                                                         "SOURCE:NAME, chains as A > B > C)",
                                                         e->origin, lineno, p);
                                break;
                        }
                }
                if (r == 0 && x.n_patterns == 0)
                        r = kata_error_set(err, EINVAL, "%s:%u: %s needs a span pattern", e->origin,
                                           lineno, kw);
                if (r == 0 && x.kind == EXPECT_EVERY && x.n_patterns < 2)
                        r = kata_error_set(err, EINVAL,
                                           "%s:%u: every needs a chain: every CHILD > PARENT",
                                           e->origin, lineno);
                if (r == 0 && x.kind < EXPECT_CHAIN && x.n_patterns != 1)
                        r = kata_error_set(err, EINVAL,
                                           "%s:%u: %s takes one pattern; use 'chain' for A > B",
                                           e->origin, lineno, kw);
        } else {
                return kata_error_set(err, EINVAL,
                                      "%s:%u: unknown expectation '%s' (min-spans, min-traces, "
                                      "max-orphans, max-lost, one-root-per-trace, span, root, "
                                      "chain, every)",
                                      e->origin, lineno, kw);
        }
        if (r == 0) {
                /* Canonical text for the report. */
                char buf[1024];
                size_t o = 0;
                static const char *const kws[] = {
                    "min-spans", "min-traces", "max-orphans", "max-lost", "one-root-per-trace",
                    "span",      "root",       "chain",       "every"};
                o += (size_t)snprintf(buf, sizeof(buf), "%s", kws[x.kind]);
                if (x.kind < EXPECT_ONE_ROOT || (x.n_patterns && x.n != 1))
                        o += (size_t)snprintf(buf + o, sizeof(buf) - o, " %llu",
                                              (unsigned long long)x.n);
                for (size_t k = 0; k < x.n_patterns && o < sizeof(buf); k++)
                        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", k ? " > " : " ",
                                              x.patterns[k]);
                x.text = strdup(buf);
                if (!x.text)
                        r = kata_error_errno(err, ENOMEM, "expect file");
        }
        if (r == 0)
                r = add_item(e, &x, err);
        if (r < 0) {
                for (size_t k = 0; k < x.n_patterns; k++)
                        free(x.patterns[k]);
                free(x.patterns);
                free(x.text);
        }
        return r;
}

int kata_spans_expect_parse(const char *text, const char *origin, kata_spans_expect **out,
                            kata_error *err)
{
        kata_spans_expect *e = calloc(1, sizeof(*e));
        char *copy = strdup(text);
        if (!e || !copy || !(e->origin = strdup(origin ? origin : "expect"))) {
                free(copy);
                kata_spans_expect_free(e);
                return kata_error_errno(err, ENOMEM, "expect file");
        }
        int r = 0;
        unsigned lineno = 0;
        char *save = NULL;
        for (char *line = copy; line && r == 0; line = save) {
                char *nl = strchr(line, '\n');
                save = nl ? nl + 1 : NULL;
                if (nl)
                        *nl = 0;
                lineno++;
                char *hash = strchr(line, '#');
                if (hash)
                        *hash = 0;
                char *t = kata_str_trim(line);
                if (*t)
                        r = parse_line(e, t, lineno, err);
        }
        free(copy);
        if (r == 0 && !e->has_max_orphans) {
                struct expectation x = {.kind = EXPECT_MAX_ORPHANS, .n = 0};
                x.text = strdup("max-orphans 0");
                r = x.text ? add_item(e, &x, err) : kata_error_errno(err, ENOMEM, "expect");
                if (r < 0)
                        free(x.text);
        }
        if (r == 0 && !e->has_max_lost) {
                struct expectation x = {.kind = EXPECT_MAX_LOST, .n = 0};
                x.text = strdup("max-lost 0");
                r = x.text ? add_item(e, &x, err) : kata_error_errno(err, ENOMEM, "expect");
                if (r < 0)
                        free(x.text);
        }
        /* Only the implicit limits: the file says nothing. */
        if (r == 0 && e->n == (size_t)!e->has_max_orphans + (size_t)!e->has_max_lost)
                r = kata_error_set(err, EINVAL, "%s: no expectations", e->origin);
        if (r < 0) {
                kata_spans_expect_free(e);
                return r;
        }
        *out = e;
        return 0;
}

int kata_spans_expect_load(const char *path, kata_spans_expect **out, kata_error *err)
{
        char *text = NULL;
        int r = kata_read_file(path, 1 << 20, &text, NULL, err);
        if (r < 0)
                return kata_error_prefix(err, "expect file");
        r = kata_spans_expect_parse(text, path, out, err);
        free(text);
        return r;
}

/* Evaluation: found count, pass/fail, and up to a few '+' detail lines. */
#define MAX_DETAILS 8

struct result {
        bool ok;
        uint64_t found;
        char *details[MAX_DETAILS];
        size_t n_details;
        size_t more; /* details not shown */
};

static void detail(struct result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void detail(struct result *res, const char *fmt, ...)
{
        if (res->n_details == MAX_DETAILS) {
                res->more++;
                return;
        }
        va_list ap;
        va_start(ap, fmt);
        char *s = NULL;
        if (vasprintf(&s, fmt, ap) >= 0)
                res->details[res->n_details++] = s;
        va_end(ap);
}

static void chain_hint(const struct expectation *x, const kata_span_set *set, struct result *res)
{
        /* The longest head of the chain that exists, and what its spans hang from. */
        for (size_t k = x->n_patterns - 1; k >= 1; k--) {
                size_t c = kata_span_set_count_chain(set, (const char *const *)x->patterns, k);
                if (c == 0)
                        continue;
                char head[512] = "";
                size_t o = 0;
                for (size_t i = 0; i < k && o < sizeof(head); i++)
                        o += (size_t)snprintf(head + o, sizeof(head) - o, "%s%s", i ? " > " : "",
                                              x->patterns[i]);
                detail(res, "%s found %zu times, but not under %s; under instead:", head, c,
                       x->patterns[k]);
                char *seen[MAX_DETAILS];
                size_t n_seen = 0;
                for (size_t i = 0; i < set->n_spans && n_seen < MAX_DETAILS; i++) {
                        const kata_span *s = set->spans[i];
                        size_t m = 0;
                        while (s && m < k && kata_span_matches(s, x->patterns[m])) {
                                s = s->parent;
                                m++;
                        }
                        if (m != k)
                                continue;
                        char what[300];
                        if (s)
                                snprintf(what, sizeof(what), "%s:%s", s->source, s->name);
                        else
                                snprintf(what, sizeof(what), "(nothing: %s)",
                                         set->spans[i]->orphan_reason ? "orphan" : "root");
                        bool dup = false;
                        for (size_t j = 0; j < n_seen; j++)
                                dup |= strcmp(seen[j], what) == 0;
                        if (dup || !(seen[n_seen] = strdup(what)))
                                continue;
                        n_seen++;
                        detail(res, "  %s", what);
                }
                for (size_t j = 0; j < n_seen; j++)
                        free(seen[j]);
                return;
        }
        detail(res, "no span matches %s", x->patterns[0]);
}

static void evaluate(const struct expectation *x, const kata_span_set *set, struct result *res)
{
        switch (x->kind) {
        case EXPECT_MIN_SPANS:
                res->found = set->n_spans;
                res->ok = res->found >= x->n;
                break;
        case EXPECT_MIN_TRACES:
                res->found = set->n_traces;
                res->ok = res->found >= x->n;
                break;
        case EXPECT_MAX_ORPHANS:
                res->found = set->n_orphans;
                res->ok = res->found <= x->n;
                if (!res->ok)
                        for (size_t i = 0; i < set->n_orphans; i++)
                                detail(res, "orphan %s:%s span %s parent %s (%s)",
                                       set->orphans[i]->source, set->orphans[i]->name,
                                       set->orphans[i]->span_id, set->orphans[i]->parent_span_id,
                                       set->orphans[i]->orphan_reason);
                break;
        case EXPECT_MAX_LOST:
                res->found = set->lost;
                res->ok = res->found <= x->n && !set->lost_unknown;
                if (!res->ok && set->lost_unknown)
                        detail(res, "events discarded by the tracer (buffers full), how many "
                                    "unknown: spans are missing");
                else if (!res->ok)
                        detail(res,
                               "%llu events discarded by the tracer (buffers full): spans "
                               "are missing",
                               (unsigned long long)set->lost);
                break;
        case EXPECT_ONE_ROOT:
                res->ok = set->n_traces > 0;
                for (size_t t = 0; t < set->n_traces; t++) {
                        const kata_span_trace *tr = &set->traces[t];
                        if (tr->n_roots == 1 && tr->n_tops == 1) {
                                res->found++;
                                continue;
                        }
                        res->ok = false;
                        detail(res, "trace %s: %zu roots, %zu orphans (first: %s)", tr->trace_id,
                               tr->n_roots, tr->n_tops - tr->n_roots,
                               tr->n_tops ? tr->tops[0]->name : "?");
                }
                if (set->n_traces == 0)
                        detail(res, "no trace at all");
                break;
        case EXPECT_SPAN:
        case EXPECT_ROOT:
                for (size_t i = 0; i < set->n_spans; i++) {
                        const kata_span *s = set->spans[i];
                        if ((x->kind == EXPECT_SPAN || !*s->parent_span_id) &&
                            kata_span_matches(s, x->patterns[0]))
                                res->found++;
                }
                res->ok = res->found >= x->n;
                break;
        case EXPECT_CHAIN:
                res->found =
                    kata_span_set_count_chain(set, (const char *const *)x->patterns, x->n_patterns);
                res->ok = res->found >= x->n;
                if (!res->ok && res->found == 0)
                        chain_hint(x, set, res);
                break;
        case EXPECT_EVERY: {
                /* found: spans matching the head; each must continue the chain. */
                const char *const *pats = (const char *const *)x->patterns;
                for (size_t i = 0; i < set->n_spans; i++) {
                        const kata_span *s = set->spans[i];
                        if (!kata_span_matches(s, pats[0]))
                                continue;
                        res->found++;
                        const kata_span *p = s->parent;
                        size_t k = 1;
                        while (p && k < x->n_patterns && kata_span_matches(p, pats[k])) {
                                p = p->parent;
                                k++;
                        }
                        if (k == x->n_patterns)
                                continue;
                        res->ok = false;
                        const kata_span *at = s;
                        for (size_t m = 1; m < k; m++)
                                at = at->parent;
                        detail(res, "%s:%s span %s: under %s%s%s, not %s", s->source, s->name,
                               s->span_id, at->parent ? at->parent->source : "",
                               at->parent ? ":" : "",
                               at->parent
                                   ? at->parent->name
                                   : (at->orphan_reason ? "nothing (orphan)" : "nothing (root)"),
                               pats[k]);
                }
                if (res->found < x->n) {
                        res->ok = false;
                        detail(res, "%llu spans match %s, fewer than %llu",
                               (unsigned long long)res->found, pats[0], (unsigned long long)x->n);
                } else if (res->n_details == 0 && res->more == 0) {
                        res->ok = true;
                }
                break;
        }
        }
}

static void result_free(struct result *res)
{
        for (size_t i = 0; i < res->n_details; i++)
                free(res->details[i]);
}

int kata_spans_check(const kata_spans_expect *e, const kata_span_set *set, bool json, FILE *out,
                     kata_error *err)
{
        if (!set->built)
                return kata_error_set(err, EINVAL, "span set not built");
        int failed = 0;
        json_object *jroot = NULL, *jresults = NULL;
        if (out && json) {
                jroot = json_object_new_object();
                jresults = json_object_new_array();
                if (!jroot || !jresults) {
                        json_object_put(jroot);
                        json_object_put(jresults);
                        return kata_error_errno(err, ENOMEM, "check report");
                }
        } else if (out) {
                fprintf(out,
                        "--- expected: %s\n+++ found: %zu spans, %zu traces, %zu roots, %zu "
                        "orphans\n",
                        e->origin, set->n_spans, set->n_traces, set->n_roots, set->n_orphans);
        }
        for (size_t i = 0; i < e->n; i++) {
                const struct expectation *x = &e->items[i];
                struct result res = {0};
                evaluate(x, set, &res);
                if (!res.ok)
                        failed++;
                if (jroot) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "line", json_object_new_int((int)x->line));
                        json_object_object_add(o, "expectation", json_object_new_string(x->text));
                        json_object_object_add(o, "ok", json_object_new_boolean(res.ok));
                        json_object_object_add(o, "found",
                                               json_object_new_int64((int64_t)res.found));
                        json_object *d = json_object_new_array();
                        for (size_t k = 0; k < res.n_details; k++)
                                json_object_array_add(d, json_object_new_string(res.details[k]));
                        json_object_object_add(o, "details", d);
                        json_object_array_add(jresults, o);
                } else if (out) {
                        fprintf(out, "%c %-60s  (found %llu)%s\n", res.ok ? ' ' : '-', x->text,
                                (unsigned long long)res.found, x->line ? "" : "  [implicit]");
                        for (size_t k = 0; k < res.n_details; k++)
                                fprintf(out, "+     %s\n", res.details[k]);
                        if (res.more)
                                fprintf(out, "+     ... and %zu more\n", res.more);
                }
                result_free(&res);
        }
        if (jroot) {
                json_object_object_add(jroot, "pass", json_object_new_boolean(failed == 0));
                json_object_object_add(jroot, "expect", json_object_new_string(e->origin));
                json_object_object_add(jroot, "spans",
                                       json_object_new_int64((int64_t)set->n_spans));
                json_object_object_add(jroot, "traces",
                                       json_object_new_int64((int64_t)set->n_traces));
                json_object_object_add(jroot, "orphans",
                                       json_object_new_int64((int64_t)set->n_orphans));
                json_object_object_add(jroot, "failed", json_object_new_int(failed));
                json_object_object_add(jroot, "results", jresults);
                fprintf(out, "%s\n",
                        json_object_to_json_string_ext(jroot, JSON_C_TO_STRING_PRETTY |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(jroot);
        } else if (out) {
                fprintf(out, "%s: %d of %zu expectations failed\n", failed ? "FAIL" : "PASS",
                        failed, e->n);
        }
        return failed;
}
