/* LTTng-UST tracepoint provider kata_trace: one event, kata_trace:span, per finished span.
 * The schema (field names and meaning) is documented in README.md, "Tracing"; users write
 * analyses against it, so change it only compatibly. */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER kata_trace

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "tracing/kata_trace_tp.h"

#ifndef KATA_TRACE_TP_SPAN_STRUCT
#define KATA_TRACE_TP_SPAN_STRUCT
#include <stdint.h>
/* Tracepoints take at most 10 arguments; the event has 12 fields, so they travel in one
 * struct. Strings are never NULL. */
struct kata_trace_tp_span {
        const char *trace_id;       /* 32 lower-case hex */
        const char *span_id;        /* 16 lower-case hex */
        const char *parent_span_id; /* 16 lower-case hex, "" for a root span */
        const char *name;
        const char *source; /* "runtime" or "agent" */
        const char *sandbox_id;
        const char *container_id;
        uint64_t start_ns; /* CLOCK_REALTIME */
        uint64_t end_ns;
        const char *status;     /* "unset", "ok" or "error" */
        const char *attributes; /* JSON object text */
};
#endif

#if !defined(KATA_TRACING_KATA_TRACE_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define KATA_TRACING_KATA_TRACE_TP_H

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(
    kata_trace, span, LTTNG_UST_TP_ARGS(const struct kata_trace_tp_span *, s),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_string(trace_id, s->trace_id) lttng_ust_field_string(span_id, s->span_id)
            lttng_ust_field_string(parent_span_id, s->parent_span_id)
                lttng_ust_field_string(name, s->name) lttng_ust_field_string(source, s->source)
                    lttng_ust_field_string(sandbox_id, s->sandbox_id)
                        lttng_ust_field_string(container_id, s->container_id)
                            lttng_ust_field_integer(uint64_t, start_ns, s->start_ns)
                                lttng_ust_field_integer(uint64_t, end_ns, s->end_ns)
                                    lttng_ust_field_string(status, s->status)
                                        lttng_ust_field_string(attributes, s->attributes)))

#endif

#include <lttng/tracepoint-event.h>
