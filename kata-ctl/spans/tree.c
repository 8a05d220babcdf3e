/* Span set: dedupe by span_id, parent links, roots, orphans, per-trace groups, chains. */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "spans.h"

void kata_span_set_init(kata_span_set *set)
{
        memset(set, 0, sizeof(*set));
}

/* A span and its strings are one allocation. */
static void span_free(kata_span *s)
{
        if (!s)
                return;
        free(s->children);
        free(s);
}

void kata_span_set_free(kata_span_set *set)
{
        for (size_t i = 0; i < set->n_spans; i++)
                span_free(set->spans[i]);
        free(set->spans);
        free(set->orphans);
        for (size_t i = 0; i < set->n_traces; i++)
                free(set->traces[i].tops);
        free(set->traces);
        memset(set, 0, sizeof(*set));
}

static bool is_hex(const char *s, size_t len)
{
        if (!s || strlen(s) != len)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                        return false;
        }
        return true;
}

int kata_span_set_add(kata_span_set *set, const kata_span_fields *f, kata_error *err)
{
        if (set->built)
                return kata_error_set(err, EINVAL, "span set already built");
        const char *parent = f->parent_span_id ? f->parent_span_id : "";
        if (!is_hex(f->trace_id, 32) || !is_hex(f->span_id, 16) ||
            (*parent && !is_hex(parent, 16)) || !f->name || !*f->name) {
                set->invalid++;
                return 0;
        }
        if (set->n_spans == set->cap) {
                size_t cap = set->cap ? set->cap * 2 : 64;
                kata_span **n = realloc(set->spans, cap * sizeof(*n));
                if (!n)
                        return kata_error_errno(err, ENOMEM, "span set");
                set->spans = n;
                set->cap = cap;
        }
        const char *src[] = {f->trace_id,
                             f->span_id,
                             parent,
                             f->name,
                             f->source ? f->source : "",
                             f->sandbox_id ? f->sandbox_id : "",
                             f->container_id ? f->container_id : "",
                             f->status ? f->status : "",
                             f->attributes && *f->attributes ? f->attributes : "{}"};
        size_t len[KATA_ARRAY_SIZE(src)], total = sizeof(kata_span);
        for (size_t i = 0; i < KATA_ARRAY_SIZE(src); i++) {
                len[i] = strlen(src[i]);
                total += len[i] + 1;
        }
        kata_span *s = calloc(1, total);
        if (!s)
                return kata_error_errno(err, ENOMEM, "span");
        char **dst[] = {&s->trace_id,     &s->span_id, &s->parent_span_id,
                        &s->name,         &s->source,  &s->sandbox_id,
                        &s->container_id, &s->status,  &s->attributes};
        char *p = (char *)(s + 1);
        for (size_t i = 0; i < KATA_ARRAY_SIZE(src); i++) {
                memcpy(p, src[i], len[i] + 1);
                *dst[i] = p;
                p += len[i] + 1;
        }
        s->start_ns = f->start_ns;
        s->end_ns = f->end_ns < f->start_ns ? f->start_ns : f->end_ns;
        set->spans[set->n_spans++] = s;
        return 0;
}

uint64_t kata_span_duration_ns(const kata_span *s)
{
        return s->end_ns - s->start_ns;
}

static int cmp_id(const void *a, const void *b)
{
        const kata_span *x = *(kata_span *const *)a, *y = *(kata_span *const *)b;
        return strcmp(x->span_id, y->span_id);
}

static int cmp_start(const void *a, const void *b)
{
        const kata_span *x = *(kata_span *const *)a, *y = *(kata_span *const *)b;
        if (x->start_ns != y->start_ns)
                return x->start_ns < y->start_ns ? -1 : 1;
        /* A parent starts no later than its children: longer first keeps it on top. */
        if (x->end_ns != y->end_ns)
                return x->end_ns > y->end_ns ? -1 : 1;
        return strcmp(x->span_id, y->span_id);
}

static int cmp_trace(const void *a, const void *b)
{
        const kata_span *x = *(kata_span *const *)a, *y = *(kata_span *const *)b;
        int c = strcmp(x->trace_id, y->trace_id);
        return c ? c : cmp_start(a, b);
}

/* Lookup table sorted by span_id, kept beside the start-ordered list. */
static kata_span **by_id(const kata_span_set *set)
{
        return set->spans + set->cap; /* second half of the same allocation */
}

kata_span *kata_span_set_find(const kata_span_set *set, const char *span_id)
{
        if (!set->built || !span_id || !*span_id)
                return NULL;
        kata_span key = {.span_id = (char *)span_id};
        kata_span *k = &key;
        kata_span **hit = bsearch(&k, by_id(set), set->n_spans, sizeof(kata_span *), cmp_id);
        return hit ? *hit : NULL;
}

static int add_child(kata_span *parent, kata_span *child)
{
        kata_span **n = realloc(parent->children, (parent->n_children + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        parent->children = n;
        parent->children[parent->n_children++] = child;
        return 0;
}

static void set_depth(kata_span *s, unsigned depth)
{
        s->depth = depth;
        for (size_t i = 0; i < s->n_children; i++)
                set_depth(s->children[i], depth + 1);
}

static bool is_top(const kata_span *s)
{
        return !s->parent;
}

int kata_span_set_build(kata_span_set *set, kata_error *err)
{
        if (set->built)
                return 0;
        /* Dedupe: sort by id, keep the first of each run. */
        qsort(set->spans, set->n_spans, sizeof(kata_span *), cmp_id);
        size_t w = 0;
        for (size_t i = 0; i < set->n_spans; i++) {
                if (w > 0 && strcmp(set->spans[w - 1]->span_id, set->spans[i]->span_id) == 0) {
                        span_free(set->spans[i]);
                        set->duplicates++;
                        continue;
                }
                set->spans[w++] = set->spans[i];
        }
        set->n_spans = w;
        /* One block: [0, n) by start time, [cap, cap + n) by id. */
        size_t cap = set->n_spans ? set->n_spans : 1;
        kata_span **both = malloc(2 * cap * sizeof(*both));
        if (!both)
                return kata_error_errno(err, ENOMEM, "span index");
        memcpy(both + cap, set->spans, set->n_spans * sizeof(*both));
        memcpy(both, set->spans, set->n_spans * sizeof(*both));
        free(set->spans);
        set->spans = both;
        set->cap = cap;
        set->built = true;
        qsort(set->spans, set->n_spans, sizeof(kata_span *), cmp_start);

        /* Children are appended in start order, so they end up sorted. */
        for (size_t i = 0; i < set->n_spans; i++) {
                kata_span *s = set->spans[i];
                if (!*s->parent_span_id) {
                        set->n_roots++;
                        continue;
                }
                kata_span *p = kata_span_set_find(set, s->parent_span_id);
                if (!p) {
                        s->orphan_reason = "parent not in the trace";
                } else if (p == s) {
                        s->orphan_reason = "its own parent";
                } else if (strcmp(p->trace_id, s->trace_id) != 0) {
                        s->orphan_reason = "parent in another trace";
                } else {
                        s->parent = p;
                        if (add_child(p, s) < 0)
                                return kata_error_errno(err, ENOMEM, "span children");
                }
        }
        /* A parent cycle has no top: a walk up longer than the set ends inside the cycle;
         * cutting that span's link makes it the top of what hung off the cycle. */
        for (size_t i = 0; i < set->n_spans; i++) {
                kata_span *c = set->spans[i];
                size_t steps = 0;
                while (c->parent && steps <= set->n_spans) {
                        c = c->parent;
                        steps++;
                }
                if (!c->parent)
                        continue;
                kata_span *p = c->parent;
                for (size_t k = 0; k < p->n_children; k++) {
                        if (p->children[k] == c) {
                                memmove(&p->children[k], &p->children[k + 1],
                                        (p->n_children - k - 1) * sizeof(kata_span *));
                                p->n_children--;
                                break;
                        }
                }
                c->parent = NULL;
                c->orphan_reason = "parent cycle";
        }
        for (size_t i = 0; i < set->n_spans; i++)
                if (set->spans[i]->orphan_reason)
                        set->n_orphans++;
        if (set->n_orphans) {
                set->orphans = malloc(set->n_orphans * sizeof(kata_span *));
                if (!set->orphans)
                        return kata_error_errno(err, ENOMEM, "orphans");
                size_t k = 0;
                for (size_t i = 0; i < set->n_spans; i++)
                        if (set->spans[i]->orphan_reason)
                                set->orphans[k++] = set->spans[i];
        }
        for (size_t i = 0; i < set->n_spans; i++)
                if (is_top(set->spans[i]))
                        set_depth(set->spans[i], 0);

        /* Traces: group a copy of the list by trace id. */
        if (set->n_spans == 0)
                return 0;
        set->start_ns = UINT64_MAX;
        kata_span **byt = malloc(set->n_spans * sizeof(*byt));
        if (!byt)
                return kata_error_errno(err, ENOMEM, "trace index");
        memcpy(byt, set->spans, set->n_spans * sizeof(*byt));
        qsort(byt, set->n_spans, sizeof(*byt), cmp_trace);
        size_t n_traces = 0;
        for (size_t i = 0; i < set->n_spans; i++)
                if (i == 0 || strcmp(byt[i - 1]->trace_id, byt[i]->trace_id) != 0)
                        n_traces++;
        set->traces = calloc(n_traces, sizeof(*set->traces));
        if (!set->traces) {
                free(byt);
                return kata_error_errno(err, ENOMEM, "traces");
        }
        size_t t = 0;
        for (size_t i = 0; i < set->n_spans;) {
                size_t j = i;
                kata_span_trace *tr = &set->traces[t++];
                tr->trace_id = byt[i]->trace_id;
                tr->start_ns = UINT64_MAX;
                size_t tops = 0;
                while (j < set->n_spans && strcmp(byt[j]->trace_id, tr->trace_id) == 0) {
                        if (is_top(byt[j]))
                                tops++;
                        j++;
                }
                tr->tops = malloc((tops ? tops : 1) * sizeof(kata_span *));
                if (!tr->tops) {
                        set->n_traces = t;
                        free(byt);
                        return kata_error_errno(err, ENOMEM, "traces");
                }
                for (size_t k = i; k < j; k++) {
                        kata_span *s = byt[k];
                        tr->n_spans++;
                        if (!*s->parent_span_id)
                                tr->n_roots++;
                        if (is_top(s))
                                tr->tops[tr->n_tops++] = s;
                        if (s->start_ns < tr->start_ns)
                                tr->start_ns = s->start_ns;
                        if (s->end_ns > tr->end_ns)
                                tr->end_ns = s->end_ns;
                }
                if (tr->start_ns < set->start_ns)
                        set->start_ns = tr->start_ns;
                if (tr->end_ns > set->end_ns)
                        set->end_ns = tr->end_ns;
                i = j;
        }
        set->n_traces = t;
        free(byt);
        /* Traces in time order (ties by id), as people read them. */
        for (size_t i = 1; i < set->n_traces; i++) {
                kata_span_trace cur = set->traces[i];
                size_t k = i;
                while (k > 0 && (set->traces[k - 1].start_ns > cur.start_ns ||
                                 (set->traces[k - 1].start_ns == cur.start_ns &&
                                  strcmp(set->traces[k - 1].trace_id, cur.trace_id) > 0))) {
                        set->traces[k] = set->traces[k - 1];
                        k--;
                }
                set->traces[k] = cur;
        }
        return 0;
}

bool kata_span_matches(const kata_span *s, const char *pattern)
{
        const char *colon = strchr(pattern, ':');
        const char *name = pattern;
        if (colon) {
                size_t n = (size_t)(colon - pattern);
                if (strlen(s->source) != n || strncmp(s->source, pattern, n) != 0)
                        return false;
                name = colon + 1;
        }
        /* NAME may list alternatives: CreateContainer|create_container. */
        for (;;) {
                const char *bar = strchr(name, '|');
                size_t n = bar ? (size_t)(bar - name) : strlen(name);
                char alt[256];
                if (n < sizeof(alt)) {
                        memcpy(alt, name, n);
                        alt[n] = 0;
                        if (fnmatch(alt, s->name, 0) == 0)
                                return true;
                }
                if (!bar)
                        return false;
                name = bar + 1;
        }
}

size_t kata_span_set_count_chain(const kata_span_set *set, const char *const *patterns, size_t n)
{
        size_t count = 0;
        if (n == 0)
                return 0;
        for (size_t i = 0; i < set->n_spans; i++) {
                const kata_span *s = set->spans[i];
                size_t k = 0;
                while (s && k < n && kata_span_matches(s, patterns[k])) {
                        s = s->parent;
                        k++;
                }
                if (k == n)
                        count++;
        }
        return count;
}
