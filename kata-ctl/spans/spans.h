/* kata-ctl spans: trace collection around a workload (LTTng), reading the CTF trace
 * (babeltrace2), span trees, reports and checks against expect files.
 *
 *   record.c        liblttng-ctl session control, forwarder, the traced command
 *   read.c          kata_trace:span events of a CTF trace into a span set
 *   tree.c          span set: dedupe by span_id, parents, roots, orphans, chains
 *   report_text.c   indented tree with durations
 *   report_chrome.c Chrome trace JSON (Perfetto)
 *   report_otlp.c   OTLP JSON (ExportTraceServiceRequest mapping)
 *   report_html.c   self-contained HTML timeline
 *   check.c         expect files: parse, evaluate, diff-like report */
#ifndef KATA_CTL_SPANS_H
#define KATA_CTL_SPANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

#define KATA_SPANS_EVENT_NAME "kata_trace:span"

/* One kata_trace:span event. Strings are owned by the span and never NULL. */
typedef struct kata_span {
        char *trace_id;
        char *span_id;
        char *parent_span_id; /* "" for a root */
        char *name;
        char *source; /* "runtime" or "agent" */
        char *sandbox_id;
        char *container_id;
        char *status;
        char *attributes; /* JSON object text */
        uint64_t start_ns;
        uint64_t end_ns;

        /* Filled by kata_span_set_build(). */
        struct kata_span *parent;
        struct kata_span **children; /* by start time */
        size_t n_children;
        const char *orphan_reason; /* non-NULL: has a parent id that resolves to nothing */
        unsigned depth;            /* 0 for roots and orphans */
} kata_span;

/* Spans of one trace (trace_id), for reports. */
typedef struct kata_span_trace {
        const char *trace_id;
        kata_span **tops; /* roots and orphans of this trace, by start time */
        size_t n_tops;
        size_t n_spans;
        size_t n_roots;
        uint64_t start_ns, end_ns;
} kata_span_trace;

typedef struct kata_span_set {
        kata_span **spans; /* after build: unique by span_id, sorted by start time */
        size_t n_spans;
        size_t cap;
        size_t duplicates; /* events dropped because their span_id was already seen */
        size_t invalid;    /* events dropped because a field was missing or malformed */
        uint64_t lost;     /* events the tracer discarded (buffers full), per the trace */
        bool lost_unknown; /* the trace says events were discarded but not how many */
        kata_span **orphans;
        size_t n_orphans;
        size_t n_roots;
        kata_span_trace *traces; /* by start time */
        size_t n_traces;
        uint64_t start_ns, end_ns; /* earliest start, latest end */
        bool built;
} kata_span_set;

void kata_span_set_init(kata_span_set *set);
void kata_span_set_free(kata_span_set *set);

/* Copies the fields into a new span of the set. Ids are validated (32/16 lower-case hex,
 * parent 16 hex or ""); an invalid span is counted in set->invalid and skipped, not an
 * error. -ENOMEM on allocation failure. */
typedef struct kata_span_fields {
        const char *trace_id, *span_id, *parent_span_id, *name, *source, *sandbox_id, *container_id,
            *status, *attributes;
        uint64_t start_ns, end_ns;
} kata_span_fields;
int kata_span_set_add(kata_span_set *set, const kata_span_fields *f, kata_error *err);

/* Dedupes by span_id (first one wins), links parents and children, finds roots, orphans
 * (parent id not in the set, in another trace, or in a parent cycle) and per-trace
 * groups. Call once, after every add. */
int kata_span_set_build(kata_span_set *set, kata_error *err);

/* The span with this id, or NULL (after build). */
kata_span *kata_span_set_find(const kata_span_set *set, const char *span_id);

uint64_t kata_span_duration_ns(const kata_span *s);

/* Matches one element of a chain: "NAME" or "SOURCE:NAME", with fnmatch(3) wildcards;
 * NAME may be alternatives separated by '|' ("CreateContainer|create_container"). */
bool kata_span_matches(const kata_span *s, const char *pattern);

/* Counts spans whose ancestry matches the chain: pattern[0] matches the span,
 * pattern[1] its parent, and so on (a span and its n-1 nearest ancestors). */
size_t kata_span_set_count_chain(const kata_span_set *set, const char *const *patterns, size_t n);

/* Reads every kata_trace:span event of the CTF trace(s) under dir (any depth: LTTng's
 * ust/uid/0/64-bit layout) into set, then builds it. -ENOENT when dir holds no trace. */
int kata_spans_read_ctf(const char *dir, kata_span_set *set, kata_error *err);

/* Reports. The set must be built. */
enum kata_spans_format {
        KATA_SPANS_TEXT,
        KATA_SPANS_CHROME,
        KATA_SPANS_OTLP_JSON,
        KATA_SPANS_HTML
};
int kata_spans_format_parse(const char *name, enum kata_spans_format *out);
int kata_spans_report(const kata_span_set *set, enum kata_spans_format format, FILE *out,
                      kata_error *err);
int kata_spans_report_text(const kata_span_set *set, FILE *out, kata_error *err);
int kata_spans_report_chrome(const kata_span_set *set, FILE *out, kata_error *err);
int kata_spans_report_otlp(const kata_span_set *set, FILE *out, kata_error *err);
int kata_spans_report_html(const kata_span_set *set, FILE *out, kata_error *err);

/* "1.234 ms" style, in buf. */
const char *kata_spans_format_duration(uint64_t ns, char *buf, size_t len);

/* Expect files (format in README.md "kata-ctl spans"): see check.c. */
typedef struct kata_spans_expect kata_spans_expect;
int kata_spans_expect_parse(const char *text, const char *origin, kata_spans_expect **out,
                            kata_error *err);
int kata_spans_expect_load(const char *path, kata_spans_expect **out, kata_error *err);
void kata_spans_expect_free(kata_spans_expect *e);

/* Evaluates every expectation; writes a diff-like report (text or JSON) to out when out
 * is not NULL. Returns the number of failed expectations (0: pass) or a negative errno. */
int kata_spans_check(const kata_spans_expect *e, const kata_span_set *set, bool json, FILE *out,
                     kata_error *err);

/* Recording. */
typedef struct kata_spans_record_opts {
        const char *output_dir;
        char *const *argv; /* the command to trace */
        bool no_forwarder;
        const char *forwarder_path;   /* NULL: next to kata-ctl, else $PATH */
        const char *forwarder_socket; /* NULL: /run/kata/trace-forwarder.sock */
        bool json;                    /* summary as JSON on stdout */
} kata_spans_record_opts;

/* Records a trace around opts->argv. Returns the command's exit status (0..255; 128+sig
 * when killed) or a negative errno when recording failed. */
int kata_spans_record(const kata_spans_record_opts *opts, kata_error *err);

#endif
