#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_trace_service.pb-c.h"
#include "tracing/otlp.h"

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest Request;
typedef Opentelemetry__Proto__Trace__V1__Span Span;
typedef Opentelemetry__Proto__Common__V1__KeyValue KeyValue;

static const char *resource_source(const Opentelemetry__Proto__Trace__V1__ResourceSpans *rs)
{
        if (!rs->resource)
                return "";
        for (size_t i = 0; i < rs->resource->n_attributes; i++) {
                const KeyValue *kv = rs->resource->attributes[i];
                if (kv->key && strcmp(kv->key, "kata.source") == 0 && kv->value &&
                    kv->value->value_case ==
                        OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE)
                        return kv->value->string_value;
        }
        return "";
}

static int check_span(const Span *s, size_t index, kata_error *err)
{
        if (s->trace_id.len != KATA_TRACE_ID_LEN)
                return kata_error_set(err, EBADMSG, "span %zu: trace_id of %zu bytes, want %d",
                                      index, s->trace_id.len, KATA_TRACE_ID_LEN);
        if (s->span_id.len != KATA_SPAN_ID_LEN)
                return kata_error_set(err, EBADMSG, "span %zu: span_id of %zu bytes, want %d",
                                      index, s->span_id.len, KATA_SPAN_ID_LEN);
        if (s->parent_span_id.len != 0 && s->parent_span_id.len != KATA_SPAN_ID_LEN)
                return kata_error_set(err, EBADMSG,
                                      "span %zu: parent_span_id of %zu bytes, want 0 or %d", index,
                                      s->parent_span_id.len, KATA_SPAN_ID_LEN);
        return 0;
}

/* Turns one protobuf span into a record; kata.sandbox_id / kata.container_id attributes
 * become the record's ids. Attributes of types a record cannot hold are left out. */
static void to_record(const Span *s, const char *source, kata_span_record *rec,
                      kata_span_attr *attrs)
{
        memset(rec, 0, sizeof(*rec));
        memcpy(rec->trace_id, s->trace_id.data, KATA_TRACE_ID_LEN);
        memcpy(rec->span_id, s->span_id.data, KATA_SPAN_ID_LEN);
        if (s->parent_span_id.len)
                memcpy(rec->parent_span_id, s->parent_span_id.data, KATA_SPAN_ID_LEN);
        rec->name = s->name ? s->name : "";
        rec->source = source;
        rec->sandbox_id = "";
        rec->container_id = "";
        rec->status_message = "";
        rec->kind = (enum kata_span_kind)s->kind;
        rec->start_ns = s->start_time_unix_nano;
        rec->end_ns = s->end_time_unix_nano;
        if (s->status) {
                int code = (int)s->status->code;
                rec->status =
                    code == 1 || code == 2 ? (enum kata_span_status)code : KATA_SPAN_STATUS_UNSET;
                rec->status_message = s->status->message ? s->status->message : "";
        }
        size_t n = 0;
        for (size_t i = 0; i < s->n_attributes && n < KATA_SPAN_MAX_ENCODED_ATTRS; i++) {
                const KeyValue *kv = s->attributes[i];
                if (!kv->key || !kv->value)
                        continue;
                const Opentelemetry__Proto__Common__V1__AnyValue *v = kv->value;
                kata_span_attr *a = &attrs[n];
                a->key = kv->key;
                switch (v->value_case) {
                case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE:
                        if (strcmp(kv->key, "kata.sandbox_id") == 0) {
                                rec->sandbox_id = v->string_value;
                                continue;
                        }
                        if (strcmp(kv->key, "kata.container_id") == 0) {
                                rec->container_id = v->string_value;
                                continue;
                        }
                        a->type = KATA_ATTR_STRING;
                        a->v.s = v->string_value;
                        break;
                case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE:
                        a->type = KATA_ATTR_INT;
                        a->v.i = v->int_value;
                        break;
                case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE:
                        a->type = KATA_ATTR_BOOL;
                        a->v.b = v->bool_value;
                        break;
                case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
                        a->type = KATA_ATTR_DOUBLE;
                        a->v.d = v->double_value;
                        break;
                default:
                        continue;
                }
                n++;
        }
        rec->attrs = attrs;
        rec->n_attrs = n;
}

/* protobuf-c allocates every nested message separately; a request is unpacked, walked
 * and freed as a whole, so a per-thread bump arena replaces those mallocs and frees. */
struct arena {
        uint8_t *chunk;
        size_t used, size;
        struct arena_big {
                struct arena_big *next;
        } * big; /* allocations too large for the chunk */
};

#define ARENA_CHUNK (256 * 1024)

static _Thread_local struct arena decode_arena;

static void *arena_alloc(void *data, size_t size)
{
        struct arena *a = data;
        size = (size + 15) & ~(size_t)15;
        if (!a->chunk) {
                a->chunk = malloc(ARENA_CHUNK);
                if (!a->chunk)
                        return NULL;
                a->size = ARENA_CHUNK;
        }
        if (a->size - a->used >= size) {
                void *p = a->chunk + a->used;
                a->used += size;
                return p;
        }
        struct arena_big *b = malloc(sizeof(*b) + 16 + size);
        if (!b)
                return NULL;
        b->next = a->big;
        a->big = b;
        return (uint8_t *)b + 16;
}

static void arena_free(void *data, void *p)
{
}

static void arena_reset(struct arena *a)
{
        while (a->big) {
                struct arena_big *next = a->big->next;
                free(a->big);
                a->big = next;
        }
        a->used = 0;
}

int kata_otlp_decode(const uint8_t *buf, size_t len, kata_otlp_span_fn fn, void *ctx,
                     kata_error *err)
{
        ProtobufCAllocator allocator = {arena_alloc, arena_free, &decode_arena};
        /* A callback may decode again on this thread (tests, fuzzers): then that inner
         * call uses malloc rather than the arena being walked. */
        static _Thread_local int depth;
        ProtobufCAllocator *alloc = depth == 0 ? &allocator : NULL;
        depth++;
        Request *req =
            opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
                alloc, len, buf);
        if (!req) {
                depth--;
                if (alloc)
                        arena_reset(&decode_arena);
                return kata_error_set(err, EBADMSG,
                                      "not an OTLP ExportTraceServiceRequest (%zu bytes)", len);
        }
        int rc = 0;
        size_t count = 0;
        for (size_t r = 0; rc == 0 && r < req->n_resource_spans; r++) {
                const Opentelemetry__Proto__Trace__V1__ResourceSpans *rs = req->resource_spans[r];
                for (size_t s = 0; rc == 0 && s < rs->n_scope_spans; s++) {
                        const Opentelemetry__Proto__Trace__V1__ScopeSpans *ss = rs->scope_spans[s];
                        for (size_t i = 0; rc == 0 && i < ss->n_spans; i++)
                                rc = check_span(ss->spans[i], count++, err);
                }
        }
        if (rc == 0 && count > INT32_MAX)
                rc = kata_error_set(err, EBADMSG, "too many spans in one request");
        if (rc == 0 && fn) {
                kata_span_attr attrs[KATA_SPAN_MAX_ENCODED_ATTRS];
                kata_span_record rec;
                for (size_t r = 0; r < req->n_resource_spans; r++) {
                        const Opentelemetry__Proto__Trace__V1__ResourceSpans *rs =
                            req->resource_spans[r];
                        const char *source = resource_source(rs);
                        for (size_t s = 0; s < rs->n_scope_spans; s++) {
                                const Opentelemetry__Proto__Trace__V1__ScopeSpans *ss =
                                    rs->scope_spans[s];
                                for (size_t i = 0; i < ss->n_spans; i++) {
                                        to_record(ss->spans[i], source, &rec, attrs);
                                        fn(&rec, ctx);
                                }
                        }
                }
        }
        /* Arena memory goes all at once: no need to walk the tree to free it. */
        if (alloc)
                arena_reset(&decode_arena);
        else
                opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(
                    req, NULL);
        depth--;
        return rc < 0 ? rc : (int)count;
}
