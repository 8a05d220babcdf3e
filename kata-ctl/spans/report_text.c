/* Text report: one indented tree per trace, with durations; orphans listed at the end;
 * and the format dispatcher. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "spans.h"

int kata_spans_format_parse(const char *name, enum kata_spans_format *out)
{
        static const struct {
                const char *name;
                enum kata_spans_format f;
        } names[] = {{"text", KATA_SPANS_TEXT},
                     {"chrome", KATA_SPANS_CHROME},
                     {"otlp-json", KATA_SPANS_OTLP_JSON},
                     {"html", KATA_SPANS_HTML}};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                if (strcmp(names[i].name, name) == 0) {
                        *out = names[i].f;
                        return 0;
                }
        }
        return -EINVAL;
}

int kata_spans_report(const kata_span_set *set, enum kata_spans_format format, FILE *out,
                      kata_error *err)
{
        if (!set->built)
                return kata_error_set(err, EINVAL, "span set not built");
        int r;
        switch (format) {
        case KATA_SPANS_TEXT:
                r = kata_spans_report_text(set, out, err);
                break;
        case KATA_SPANS_CHROME:
                r = kata_spans_report_chrome(set, out, err);
                break;
        case KATA_SPANS_OTLP_JSON:
                r = kata_spans_report_otlp(set, out, err);
                break;
        case KATA_SPANS_HTML:
                r = kata_spans_report_html(set, out, err);
                break;
        default:
                return kata_error_set(err, EINVAL, "unknown report format");
        }
        if (r == 0 && (fflush(out) != 0 || ferror(out)))
                r = kata_error_errno(err, errno ? errno : EIO, "writing the report");
        return r;
}

const char *kata_spans_format_duration(uint64_t ns, char *buf, size_t len)
{
        if (ns < 1000)
                snprintf(buf, len, "%" PRIu64 " ns", ns);
        else if (ns < 1000000)
                snprintf(buf, len, "%.3f us", (double)ns / 1e3);
        else if (ns < 1000000000)
                snprintf(buf, len, "%.3f ms", (double)ns / 1e6);
        else
                snprintf(buf, len, "%.3f s", (double)ns / 1e9);
        return buf;
}

/* prefix holds the tree guides of the ancestors ("|  " or "   " each). */
static void print_span(const kata_span *s, FILE *out, char *prefix, size_t plen, size_t cap,
                       bool last, bool top)
{
        char d[32];
        fprintf(out, "%s%s%s  %s  [%s]", prefix, top ? "" : (last ? "`- " : "|- "), s->name,
                kata_spans_format_duration(kata_span_duration_ns(s), d, sizeof(d)), s->source);
        if (*s->container_id)
                fprintf(out, " container=%s", s->container_id);
        if (strcmp(s->status, "error") == 0)
                fprintf(out, " ERROR");
        if (s->orphan_reason)
                fprintf(out, " (orphan: %s %s)", s->orphan_reason, s->parent_span_id);
        fputc('\n', out);
        size_t add = top ? 0 : 3;
        if (plen + add + 1 > cap) {
                if (s->n_children)
                        fprintf(out, "%s   ... %zu children deeper than shown\n", prefix,
                                s->n_children);
                return;
        }
        if (!top)
                memcpy(prefix + plen, last ? "   " : "|  ", 3);
        prefix[plen + add] = 0;
        for (size_t i = 0; i < s->n_children; i++)
                print_span(s->children[i], out, prefix, plen + add, cap, i + 1 == s->n_children,
                           false);
        prefix[plen] = 0;
}

static int cmp_source_name(const void *a, const void *b)
{
        const kata_span *x = *(kata_span *const *)a, *y = *(kata_span *const *)b;
        int c = strcmp(x->source, y->source);
        return c ? c : strcmp(x->name, y->name);
}

struct name_stats {
        const kata_span *first;
        size_t count;
        uint64_t total_ns, max_ns;
};

static int cmp_total(const void *a, const void *b)
{
        const struct name_stats *x = a, *y = b;
        if (x->total_ns != y->total_ns)
                return x->total_ns > y->total_ns ? -1 : 1;
        return cmp_source_name(&x->first, &y->first);
}

/* Where the time went: spans grouped by source and name, largest total first. */
static int print_by_name(const kata_span_set *set, FILE *out, kata_error *err)
{
        if (set->n_spans == 0)
                return 0;
        kata_span **sorted = malloc(set->n_spans * sizeof(*sorted));
        struct name_stats *stats = calloc(set->n_spans, sizeof(*stats));
        if (!sorted || !stats) {
                free(sorted);
                free(stats);
                return kata_error_errno(err, ENOMEM, "text report");
        }
        memcpy(sorted, set->spans, set->n_spans * sizeof(*sorted));
        qsort(sorted, set->n_spans, sizeof(*sorted), cmp_source_name);
        size_t n = 0;
        for (size_t i = 0; i < set->n_spans; i++) {
                if (i == 0 || cmp_source_name(&sorted[i - 1], &sorted[i]) != 0)
                        stats[n++].first = sorted[i];
                struct name_stats *st = &stats[n - 1];
                uint64_t d = kata_span_duration_ns(sorted[i]);
                st->count++;
                st->total_ns += d;
                if (d > st->max_ns)
                        st->max_ns = d;
        }
        qsort(stats, n, sizeof(*stats), cmp_total);
        fprintf(out, "\nby name (count, total, mean, max):\n");
        for (size_t i = 0; i < n; i++) {
                char t[32], m[32], x[32], label[160];
                snprintf(label, sizeof(label), "%s:%s", stats[i].first->source,
                         stats[i].first->name);
                fprintf(
                    out, "  %-32s %5zu  %12s  %12s  %12s\n", label, stats[i].count,
                    kata_spans_format_duration(stats[i].total_ns, t, sizeof(t)),
                    kata_spans_format_duration(stats[i].total_ns / stats[i].count, m, sizeof(m)),
                    kata_spans_format_duration(stats[i].max_ns, x, sizeof(x)));
        }
        free(sorted);
        free(stats);
        return 0;
}

int kata_spans_report_text(const kata_span_set *set, FILE *out, kata_error *err)
{
        char prefix[3 * 64 + 1] = "";
        char d[32];
        fprintf(out, "%zu spans, %zu traces, %zu roots, %zu orphans", set->n_spans, set->n_traces,
                set->n_roots, set->n_orphans);
        if (set->duplicates)
                fprintf(out, ", %zu duplicates dropped", set->duplicates);
        if (set->invalid)
                fprintf(out, ", %zu invalid events skipped", set->invalid);
        if (set->lost || set->lost_unknown)
                fprintf(out, ", %s%" PRIu64 " events lost by the tracer (buffers full)",
                        set->lost_unknown ? "at least " : "", set->lost);
        fputc('\n', out);
        for (size_t t = 0; t < set->n_traces; t++) {
                const kata_span_trace *tr = &set->traces[t];
                const char *sandbox = tr->n_tops ? tr->tops[0]->sandbox_id : "";
                fprintf(out, "\ntrace %s  %zu spans  %s", tr->trace_id, tr->n_spans,
                        kata_spans_format_duration(tr->end_ns - tr->start_ns, d, sizeof(d)));
                if (*sandbox)
                        fprintf(out, "  sandbox=%s", sandbox);
                fputc('\n', out);
                for (size_t i = 0; i < tr->n_tops; i++)
                        print_span(tr->tops[i], out, prefix, 0, sizeof(prefix) - 1, true, true);
        }
        if (set->n_orphans) {
                fprintf(out, "\norphans (parent span not found):\n");
                for (size_t i = 0; i < set->n_orphans; i++) {
                        const kata_span *s = set->orphans[i];
                        fprintf(out, "  %s [%s] span %s parent %s trace %s: %s\n", s->name,
                                s->source, s->span_id, s->parent_span_id, s->trace_id,
                                s->orphan_reason);
                }
        }
        return print_by_name(set, out, err);
}
