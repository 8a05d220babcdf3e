/* OTLP JSON: the protobuf JSON mapping of ExportTraceServiceRequest, as an OTLP/HTTP
 * collector accepts it (hex ids, times as decimal strings, enums as numbers). One
 * resourceSpans per source (service.name kata-runtime, kata-agent...). */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "spans.h"

static json_object *any_value(json_object *v)
{
        json_object *o = json_object_new_object();
        char num[32];
        switch (json_object_get_type(v)) {
        case json_type_boolean:
                json_object_object_add(o, "boolValue",
                                       json_object_new_boolean(json_object_get_boolean(v)));
                break;
        case json_type_int:
                /* int64 travels as a decimal string in the JSON mapping. */
                snprintf(num, sizeof(num), "%" PRId64, json_object_get_int64(v));
                json_object_object_add(o, "intValue", json_object_new_string(num));
                break;
        case json_type_double:
                json_object_object_add(o, "doubleValue",
                                       json_object_new_double(json_object_get_double(v)));
                break;
        case json_type_string:
                json_object_object_add(o, "stringValue",
                                       json_object_new_string(json_object_get_string(v)));
                break;
        default:
                json_object_object_add(o, "stringValue",
                                       json_object_new_string(json_object_to_json_string_ext(
                                           v, JSON_C_TO_STRING_PLAIN)));
                break;
        }
        return o;
}

static void add_kv(json_object *list, const char *key, json_object *value)
{
        json_object *kv = json_object_new_object();
        json_object_object_add(kv, "key", json_object_new_string(key));
        json_object_object_add(kv, "value", value);
        json_object_array_add(list, kv);
}

static json_object *str_value(const char *s)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "stringValue", json_object_new_string(s));
        return o;
}

static json_object *ns_string(uint64_t ns)
{
        char buf[32];
        snprintf(buf, sizeof(buf), "%" PRIu64, ns);
        return json_object_new_string(buf);
}

static json_object *otlp_span(const kata_span *s)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "traceId", json_object_new_string(s->trace_id));
        json_object_object_add(o, "spanId", json_object_new_string(s->span_id));
        if (*s->parent_span_id)
                json_object_object_add(o, "parentSpanId",
                                       json_object_new_string(s->parent_span_id));
        json_object_object_add(o, "name", json_object_new_string(s->name));
        /* The tracepoint does not carry the kind: INTERNAL is the honest default. */
        json_object_object_add(o, "kind", json_object_new_int(1));
        json_object_object_add(o, "startTimeUnixNano", ns_string(s->start_ns));
        json_object_object_add(o, "endTimeUnixNano", ns_string(s->end_ns));
        json_object *attrs = json_object_new_array();
        if (*s->sandbox_id)
                add_kv(attrs, "kata.sandbox_id", str_value(s->sandbox_id));
        if (*s->container_id)
                add_kv(attrs, "kata.container_id", str_value(s->container_id));
        json_object *parsed = json_tokener_parse(s->attributes);
        if (parsed && json_object_is_type(parsed, json_type_object)) {
                json_object_object_foreach(parsed, key, val) add_kv(attrs, key, any_value(val));
        } else if (*s->attributes && strcmp(s->attributes, "{}") != 0) {
                add_kv(attrs, "kata.attributes", str_value(s->attributes));
        }
        json_object_put(parsed);
        json_object_object_add(o, "attributes", attrs);
        json_object *status = json_object_new_object();
        int code = strcmp(s->status, "ok") == 0 ? 1 : strcmp(s->status, "error") == 0 ? 2 : 0;
        json_object_object_add(status, "code", json_object_new_int(code));
        json_object_object_add(o, "status", status);
        return o;
}

int kata_spans_report_otlp(const kata_span_set *set, FILE *out, kata_error *err)
{
        json_object *root = json_object_new_object();
        json_object *resource_spans = json_object_new_array();
        if (!root || !resource_spans) {
                json_object_put(root);
                json_object_put(resource_spans);
                return kata_error_errno(err, ENOMEM, "otlp report");
        }
        /* Sources in order of first appearance. */
        const char **sources = calloc(set->n_spans + 1, sizeof(char *));
        if (!sources) {
                json_object_put(root);
                json_object_put(resource_spans);
                return kata_error_errno(err, ENOMEM, "otlp report");
        }
        size_t n_sources = 0;
        for (size_t i = 0; i < set->n_spans; i++) {
                size_t k = 0;
                while (k < n_sources && strcmp(sources[k], set->spans[i]->source) != 0)
                        k++;
                if (k == n_sources)
                        sources[n_sources++] = set->spans[i]->source;
        }
        for (size_t k = 0; k < n_sources; k++) {
                json_object *rs = json_object_new_object();
                json_object *resource = json_object_new_object();
                json_object *rattrs = json_object_new_array();
                char service[128];
                snprintf(service, sizeof(service), "kata-%s", *sources[k] ? sources[k] : "unknown");
                add_kv(rattrs, "service.name", str_value(service));
                json_object_object_add(resource, "attributes", rattrs);
                json_object_object_add(rs, "resource", resource);
                json_object *scope_spans = json_object_new_array();
                json_object *ss = json_object_new_object();
                json_object *scope = json_object_new_object();
                json_object_object_add(scope, "name", json_object_new_string("kata_trace"));
                json_object_object_add(ss, "scope", scope);
                json_object *spans = json_object_new_array();
                for (size_t i = 0; i < set->n_spans; i++)
                        if (strcmp(set->spans[i]->source, sources[k]) == 0)
                                json_object_array_add(spans, otlp_span(set->spans[i]));
                json_object_object_add(ss, "spans", spans);
                json_object_array_add(scope_spans, ss);
                json_object_object_add(rs, "scopeSpans", scope_spans);
                json_object_array_add(resource_spans, rs);
        }
        free(sources);
        json_object_object_add(root, "resourceSpans", resource_spans);
        const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
        int r = 0;
        if (!text)
                r = kata_error_errno(err, ENOMEM, "otlp report");
        else
                fprintf(out, "%s\n", text);
        json_object_put(root);
        return r;
}
