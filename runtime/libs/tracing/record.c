#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracing/ids.h"
#include "tracing/record.h"

bool kata_span_record_is_root(const kata_span_record *rec)
{
        return kata_id_bytes_zero(rec->parent_span_id, KATA_SPAN_ID_LEN);
}

const char *kata_span_status_name(enum kata_span_status status)
{
        switch (status) {
        case KATA_SPAN_STATUS_OK:
                return "ok";
        case KATA_SPAN_STATUS_ERROR:
                return "error";
        default:
                return "unset";
        }
}

static size_t str_size(const char *s)
{
        return s ? strlen(s) + 1 : 1;
}

static const char *copy_str(char **pool, const char *s)
{
        char *dst = *pool;
        size_t n = str_size(s);
        if (s)
                memcpy(dst, s, n);
        else
                dst[0] = '\0';
        *pool += n;
        return dst;
}

kata_span_record *kata_span_record_clone(const kata_span_record *rec)
{
        size_t size = sizeof(*rec) + rec->n_attrs * sizeof(kata_span_attr);
        size += str_size(rec->name) + str_size(rec->source) + str_size(rec->sandbox_id) +
                str_size(rec->container_id) + str_size(rec->status_message);
        for (size_t i = 0; i < rec->n_attrs; i++) {
                size += str_size(rec->attrs[i].key);
                if (rec->attrs[i].type == KATA_ATTR_STRING)
                        size += str_size(rec->attrs[i].v.s);
        }
        kata_span_record *copy = malloc(size);
        if (!copy)
                return NULL;
        *copy = *rec;
        kata_span_attr *attrs = (kata_span_attr *)(copy + 1);
        char *pool = (char *)(attrs + rec->n_attrs);
        copy->name = copy_str(&pool, rec->name);
        copy->source = copy_str(&pool, rec->source);
        copy->sandbox_id = copy_str(&pool, rec->sandbox_id);
        copy->container_id = copy_str(&pool, rec->container_id);
        copy->status_message = copy_str(&pool, rec->status_message);
        for (size_t i = 0; i < rec->n_attrs; i++) {
                attrs[i] = rec->attrs[i];
                attrs[i].key = copy_str(&pool, rec->attrs[i].key);
                if (rec->attrs[i].type == KATA_ATTR_STRING)
                        attrs[i].v.s = copy_str(&pool, rec->attrs[i].v.s);
        }
        copy->attrs = rec->n_attrs ? attrs : NULL;
        return copy;
}

int kata_strbuf_reserve(kata_strbuf *b, size_t extra)
{
        if (b->cap - b->len > extra)
                return 0;
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len <= extra)
                cap *= 2;
        char *data = realloc(b->data, cap);
        if (!data)
                return -ENOMEM;
        b->data = data;
        b->cap = cap;
        return 0;
}

void kata_strbuf_free(kata_strbuf *b)
{
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}

static int put(kata_strbuf *b, const char *s, size_t n)
{
        if (kata_strbuf_reserve(b, n) < 0)
                return -ENOMEM;
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
}

#define PUT_LIT(b, lit) put(b, lit, sizeof(lit) - 1)

/* JSON string with escapes; bytes >= 0x80 pass through (UTF-8 stays UTF-8). */
static int put_json_string(kata_strbuf *b, const char *s)
{
        size_t n = s ? strlen(s) : 0;
        if (kata_strbuf_reserve(b, n * 6 + 2) < 0)
                return -ENOMEM;
        char *o = b->data + b->len;
        *o++ = '"';
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == '"' || c == '\\') {
                        *o++ = '\\';
                        *o++ = (char)c;
                } else if (c == '\n') {
                        *o++ = '\\';
                        *o++ = 'n';
                } else if (c == '\t') {
                        *o++ = '\\';
                        *o++ = 't';
                } else if (c == '\r') {
                        *o++ = '\\';
                        *o++ = 'r';
                } else if (c < 0x20 || c == 0x7f) {
                        o += sprintf(o, "\\u%04x", c);
                } else {
                        *o++ = (char)c;
                }
        }
        *o++ = '"';
        *o = '\0';
        b->len = (size_t)(o - b->data);
        return 0;
}

static int put_u64(kata_strbuf *b, uint64_t v)
{
        /* snprintf costs more than the rest of a span's line: digits by hand. */
        char tmp[24];
        char *end = tmp + sizeof(tmp), *p = end;
        do {
                *--p = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        return put(b, p, (size_t)(end - p));
}

static int put_attr_value(kata_strbuf *b, const kata_span_attr *a)
{
        char tmp[40];
        int n;
        switch (a->type) {
        case KATA_ATTR_STRING:
                return put_json_string(b, a->v.s);
        case KATA_ATTR_INT:
                if (a->v.i < 0) {
                        if (PUT_LIT(b, "-") < 0)
                                return -ENOMEM;
                        return put_u64(b, (uint64_t)0 - (uint64_t)a->v.i);
                }
                return put_u64(b, (uint64_t)a->v.i);
        case KATA_ATTR_BOOL:
                return a->v.b ? PUT_LIT(b, "true") : PUT_LIT(b, "false");
        case KATA_ATTR_DOUBLE:
                if (!isfinite(a->v.d))
                        return PUT_LIT(b, "null");
                n = snprintf(tmp, sizeof(tmp), "%.17g", a->v.d);
                return put(b, tmp, (size_t)n);
        }
        return PUT_LIT(b, "null");
}

int kata_span_attrs_json(const kata_span_record *rec, kata_strbuf *out)
{
        int rc = PUT_LIT(out, "{");
        for (size_t i = 0; rc == 0 && i < rec->n_attrs; i++) {
                if (i)
                        rc = PUT_LIT(out, ",");
                if (rc == 0)
                        rc = put_json_string(out, rec->attrs[i].key);
                if (rc == 0)
                        rc = PUT_LIT(out, ":");
                if (rc == 0)
                        rc = put_attr_value(out, &rec->attrs[i]);
        }
        return rc ? rc : PUT_LIT(out, "}");
}

int kata_span_record_jsonl(const kata_span_record *rec, kata_strbuf *out)
{
        char trace[2 * KATA_TRACE_ID_LEN + 1], span[2 * KATA_SPAN_ID_LEN + 1],
            parent[2 * KATA_SPAN_ID_LEN + 1] = "";
        kata_hex_encode(rec->trace_id, KATA_TRACE_ID_LEN, trace);
        kata_hex_encode(rec->span_id, KATA_SPAN_ID_LEN, span);
        if (!kata_span_record_is_root(rec))
                kata_hex_encode(rec->parent_span_id, KATA_SPAN_ID_LEN, parent);
        int rc = 0;
        rc |= PUT_LIT(out, "{\"trace_id\":\"");
        rc |= put(out, trace, 2 * KATA_TRACE_ID_LEN);
        rc |= PUT_LIT(out, "\",\"span_id\":\"");
        rc |= put(out, span, 2 * KATA_SPAN_ID_LEN);
        rc |= PUT_LIT(out, "\",\"parent_span_id\":\"");
        rc |= put(out, parent, strlen(parent));
        rc |= PUT_LIT(out, "\",\"name\":");
        rc |= put_json_string(out, rec->name);
        rc |= PUT_LIT(out, ",\"source\":");
        rc |= put_json_string(out, rec->source);
        rc |= PUT_LIT(out, ",\"sandbox_id\":");
        rc |= put_json_string(out, rec->sandbox_id);
        rc |= PUT_LIT(out, ",\"container_id\":");
        rc |= put_json_string(out, rec->container_id);
        rc |= PUT_LIT(out, ",\"start_ns\":");
        rc |= put_u64(out, rec->start_ns);
        rc |= PUT_LIT(out, ",\"end_ns\":");
        rc |= put_u64(out, rec->end_ns);
        rc |= PUT_LIT(out, ",\"status\":");
        rc |= put_json_string(out, kata_span_status_name(rec->status));
        if (rec->status_message && rec->status_message[0]) {
                rc |= PUT_LIT(out, ",\"status_message\":");
                rc |= put_json_string(out, rec->status_message);
        }
        rc |= PUT_LIT(out, ",\"attributes\":");
        rc |= kata_span_attrs_json(rec, out);
        rc |= PUT_LIT(out, "}\n");
        return rc ? -ENOMEM : 0;
}
