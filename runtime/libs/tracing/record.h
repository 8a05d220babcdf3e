/* A finished span as every consumer sees it: the LTTng tracepoint, the agent exporter,
 * the forwarder's sinks. A record only borrows its strings; kata_span_record_clone()
 * makes an owned copy for queues. */
#ifndef KATA_TRACING_RECORD_H
#define KATA_TRACING_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KATA_TRACE_ID_LEN 16
#define KATA_SPAN_ID_LEN  8

enum kata_attr_type { KATA_ATTR_STRING, KATA_ATTR_INT, KATA_ATTR_BOOL, KATA_ATTR_DOUBLE };

typedef struct kata_span_attr {
        const char *key;
        enum kata_attr_type type;
        union {
                const char *s;
                int64_t i;
                bool b;
                double d;
        } v;
} kata_span_attr;

/* Values match OTLP's Status.StatusCode. */
enum kata_span_status {
        KATA_SPAN_STATUS_UNSET = 0,
        KATA_SPAN_STATUS_OK = 1,
        KATA_SPAN_STATUS_ERROR = 2
};

/* Values match OTLP's Span.SpanKind. */
enum kata_span_kind {
        KATA_SPAN_KIND_INTERNAL = 1,
        KATA_SPAN_KIND_SERVER = 2,
        KATA_SPAN_KIND_CLIENT = 3,
};

typedef struct kata_span_record {
        uint8_t trace_id[KATA_TRACE_ID_LEN];
        uint8_t span_id[KATA_SPAN_ID_LEN];
        uint8_t parent_span_id[KATA_SPAN_ID_LEN]; /* all zero for a root span */
        /* Never NULL; "" when unknown. */
        const char *name;
        const char *source; /* "runtime" or "agent" */
        const char *sandbox_id;
        const char *container_id;
        const char *status_message;
        enum kata_span_status status;
        enum kata_span_kind kind;
        uint64_t start_ns; /* CLOCK_REALTIME */
        uint64_t end_ns;
        const kata_span_attr *attrs;
        size_t n_attrs;
} kata_span_record;

bool kata_span_record_is_root(const kata_span_record *rec);

/* "unset", "ok" or "error". */
const char *kata_span_status_name(enum kata_span_status status);

/* One malloc'd block holding the record and copies of everything it points to; release
 * with free(). NULL on allocation failure. */
kata_span_record *kata_span_record_clone(const kata_span_record *rec);

/* Growable text buffer for the JSON writers below. */
typedef struct kata_strbuf {
        char *data;
        size_t len;
        size_t cap;
} kata_strbuf;

int kata_strbuf_reserve(kata_strbuf *b, size_t extra);
void kata_strbuf_free(kata_strbuf *b);

/* Appends the attributes as one JSON object ({"key":value,...}). -ENOMEM on failure. */
int kata_span_attrs_json(const kata_span_record *rec, kata_strbuf *out);

/* Appends the record as one JSON line (with the trailing newline); the field names are
 * those of the kata_trace:span tracepoint. -ENOMEM on failure. */
int kata_span_record_jsonl(const kata_span_record *rec, kata_strbuf *out);

#endif
