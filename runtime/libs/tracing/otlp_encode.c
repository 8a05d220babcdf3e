#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_trace_service.pb-c.h"
#include "tracing/otlp.h"

typedef Opentelemetry__Proto__Common__V1__KeyValue KeyValue;
typedef Opentelemetry__Proto__Common__V1__AnyValue AnyValue;
typedef Opentelemetry__Proto__Trace__V1__Span Span;
typedef Opentelemetry__Proto__Trace__V1__Status Status;

#define ATTR_SANDBOX   "kata.sandbox_id"
#define ATTR_CONTAINER "kata.container_id"

/* Everything one span needs, allocated together so that a batch is a few mallocs. */
struct span_slot {
        Span span;
        Status status;
        KeyValue *kv_ptrs[KATA_SPAN_MAX_ENCODED_ATTRS];
        KeyValue kvs[KATA_SPAN_MAX_ENCODED_ATTRS];
        AnyValue values[KATA_SPAN_MAX_ENCODED_ATTRS];
};

static void set_string_kv(KeyValue *kv, AnyValue *v, const char *key, const char *value)
{
        opentelemetry__proto__common__v1__key_value__init(kv);
        opentelemetry__proto__common__v1__any_value__init(v);
        kv->key = (char *)key;
        v->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
        v->string_value = (char *)(value ? value : "");
        kv->value = v;
}

static void set_attr_kv(KeyValue *kv, AnyValue *v, const kata_span_attr *a)
{
        set_string_kv(kv, v, a->key, "");
        switch (a->type) {
        case KATA_ATTR_STRING:
                v->string_value = (char *)(a->v.s ? a->v.s : "");
                break;
        case KATA_ATTR_INT:
                v->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
                v->int_value = a->v.i;
                break;
        case KATA_ATTR_BOOL:
                v->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE;
                v->bool_value = a->v.b;
                break;
        case KATA_ATTR_DOUBLE:
                v->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE;
                v->double_value = a->v.d;
                break;
        }
}

static void fill_span(struct span_slot *slot, const kata_span_record *rec)
{
        Span *s = &slot->span;
        opentelemetry__proto__trace__v1__span__init(s);
        s->trace_id.data = (uint8_t *)rec->trace_id;
        s->trace_id.len = KATA_TRACE_ID_LEN;
        s->span_id.data = (uint8_t *)rec->span_id;
        s->span_id.len = KATA_SPAN_ID_LEN;
        if (!kata_span_record_is_root(rec)) {
                s->parent_span_id.data = (uint8_t *)rec->parent_span_id;
                s->parent_span_id.len = KATA_SPAN_ID_LEN;
        }
        s->name = (char *)(rec->name ? rec->name : "");
        s->kind = (Opentelemetry__Proto__Trace__V1__Span__SpanKind)rec->kind;
        s->start_time_unix_nano = rec->start_ns;
        s->end_time_unix_nano = rec->end_ns;

        size_t n = 0;
        if (rec->sandbox_id && rec->sandbox_id[0])
                set_string_kv(&slot->kvs[n], &slot->values[n], ATTR_SANDBOX, rec->sandbox_id), n++;
        if (rec->container_id && rec->container_id[0])
                set_string_kv(&slot->kvs[n], &slot->values[n], ATTR_CONTAINER, rec->container_id),
                    n++;
        for (size_t i = 0; i < rec->n_attrs && n < KATA_SPAN_MAX_ENCODED_ATTRS; i++, n++)
                set_attr_kv(&slot->kvs[n], &slot->values[n], &rec->attrs[i]);
        for (size_t i = 0; i < n; i++)
                slot->kv_ptrs[i] = &slot->kvs[i];
        s->n_attributes = n;
        s->attributes = slot->kv_ptrs;
        size_t wanted = rec->n_attrs + (rec->sandbox_id && rec->sandbox_id[0]) +
                        (rec->container_id && rec->container_id[0]);
        s->dropped_attributes_count = (uint32_t)(wanted - n);

        if (rec->status != KATA_SPAN_STATUS_UNSET) {
                opentelemetry__proto__trace__v1__status__init(&slot->status);
                slot->status.code =
                    (Opentelemetry__Proto__Trace__V1__Status__StatusCode)rec->status;
                slot->status.message = (char *)(rec->status_message ? rec->status_message : "");
                s->status = &slot->status;
        }
}

int kata_otlp_encode(const kata_span_record *const *recs, size_t n, const char *source,
                     uint8_t **out, size_t *out_len, kata_error *err)
{
        struct span_slot *slots = calloc(n ? n : 1, sizeof(*slots));
        Span **span_ptrs = calloc(n ? n : 1, sizeof(*span_ptrs));
        if (!slots || !span_ptrs) {
                free(slots);
                free(span_ptrs);
                return kata_error_set(err, ENOMEM, "encoding %zu spans: out of memory", n);
        }
        for (size_t i = 0; i < n; i++) {
                fill_span(&slots[i], recs[i]);
                span_ptrs[i] = &slots[i].span;
        }

        char service[64];
        snprintf(service, sizeof(service), "kata-%s", source && source[0] ? source : "unknown");
        KeyValue res_kvs[2];
        AnyValue res_values[2];
        KeyValue *res_kv_ptrs[2] = {&res_kvs[0], &res_kvs[1]};
        set_string_kv(&res_kvs[0], &res_values[0], "service.name", service);
        set_string_kv(&res_kvs[1], &res_values[1], "kata.source", source ? source : "");
        Opentelemetry__Proto__Resource__V1__Resource resource;
        opentelemetry__proto__resource__v1__resource__init(&resource);
        resource.n_attributes = 2;
        resource.attributes = res_kv_ptrs;

        Opentelemetry__Proto__Common__V1__InstrumentationScope scope;
        opentelemetry__proto__common__v1__instrumentation_scope__init(&scope);
        scope.name = "kata-tracing";

        Opentelemetry__Proto__Trace__V1__ScopeSpans scope_spans;
        opentelemetry__proto__trace__v1__scope_spans__init(&scope_spans);
        scope_spans.scope = &scope;
        scope_spans.n_spans = n;
        scope_spans.spans = span_ptrs;
        Opentelemetry__Proto__Trace__V1__ScopeSpans *scope_ptrs[1] = {&scope_spans};

        Opentelemetry__Proto__Trace__V1__ResourceSpans rs;
        opentelemetry__proto__trace__v1__resource_spans__init(&rs);
        rs.resource = &resource;
        rs.n_scope_spans = 1;
        rs.scope_spans = scope_ptrs;
        Opentelemetry__Proto__Trace__V1__ResourceSpans *rs_ptrs[1] = {&rs};

        Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest req;
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__init(&req);
        req.n_resource_spans = 1;
        req.resource_spans = rs_ptrs;

        size_t size =
            opentelemetry__proto__collector__trace__v1__export_trace_service_request__get_packed_size(
                &req);
        uint8_t *buf = malloc(size ? size : 1);
        if (!buf) {
                free(slots);
                free(span_ptrs);
                return kata_error_set(err, ENOMEM, "encoding %zu spans: out of memory", n);
        }
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__pack(&req, buf);
        free(slots);
        free(span_ptrs);
        *out = buf;
        *out_len = size;
        return 0;
}
