/* Validates OTLP protobuf bytes against the schema without unpacking: the forwarder's
 * pass-through path checks every frame this way and forwards the bytes unchanged. */
#include <errno.h>
#include <stdbool.h>

#include "tracing/otlp.h"

enum msg {
        M_REQUEST,
        M_RESOURCE_SPANS,
        M_RESOURCE,
        M_KEY_VALUE,
        M_ANY_VALUE,
        M_ARRAY_VALUE,
        M_KV_LIST,
        M_SCOPE,
        M_SCOPE_SPANS,
        M_SPAN,
        M_EVENT,
        M_LINK,
        M_STATUS,
        M_COUNT,
        M_NONE = 0xff,
};

static const char *const msg_names[M_COUNT] = {
    "ExportTraceServiceRequest",
    "ResourceSpans",
    "Resource",
    "KeyValue",
    "AnyValue",
    "ArrayValue",
    "KeyValueList",
    "InstrumentationScope",
    "ScopeSpans",
    "Span",
    "Span.Event",
    "Span.Link",
    "Status",
};

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5, WT_ANY = 0xff };
/* Byte lengths a LEN field must have: ids. */
enum { LEN_ANY = 0, LEN_16, LEN_8, LEN_0_OR_8 };

struct field_rule {
        uint8_t wire;   /* WT_ANY for a field number the schema does not know */
        uint8_t nested; /* message to check inside a LEN field, or M_NONE */
        uint8_t len;
};

#define MAX_FIELD 16
#define UNKNOWN                                                                                    \
        {                                                                                          \
                WT_ANY, M_NONE, LEN_ANY                                                            \
        }
#define BYTES                                                                                      \
        {                                                                                          \
                WT_LEN, M_NONE, LEN_ANY                                                            \
        }
#define VARINT                                                                                     \
        {                                                                                          \
                WT_VARINT, M_NONE, LEN_ANY                                                         \
        }
#define MSG(m)                                                                                     \
        {                                                                                          \
                WT_LEN, m, LEN_ANY                                                                 \
        }

/* Field numbers from OpenTelemetry's opentelemetry-proto (see proto/otlp_*.proto). */
static const struct field_rule rules[M_COUNT][MAX_FIELD + 1] = {
    [M_REQUEST] = {UNKNOWN, MSG(M_RESOURCE_SPANS), UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN,
                   UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN,
                   UNKNOWN},
    [M_RESOURCE_SPANS] = {UNKNOWN, MSG(M_RESOURCE), MSG(M_SCOPE_SPANS), BYTES, UNKNOWN, UNKNOWN,
                          UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN,
                          UNKNOWN, UNKNOWN, UNKNOWN},
    [M_RESOURCE] = {UNKNOWN, MSG(M_KEY_VALUE), VARINT, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN,
                    UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN,
                    UNKNOWN},
    [M_KEY_VALUE] = {UNKNOWN, BYTES, MSG(M_ANY_VALUE), UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN,
                     UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN,
                     UNKNOWN},
    [M_ANY_VALUE] = {UNKNOWN,
                     BYTES,
                     VARINT,
                     VARINT,
                     {WT_I64, M_NONE, LEN_ANY},
                     MSG(M_ARRAY_VALUE),
                     MSG(M_KV_LIST),
                     BYTES,
                     UNKNOWN,
                     UNKNOWN,
                     UNKNOWN,
                     UNKNOWN,
                     UNKNOWN,
                     UNKNOWN,
                     UNKNOWN,
                     UNKNOWN,
                     UNKNOWN},
    [M_ARRAY_VALUE] = {UNKNOWN, MSG(M_ANY_VALUE), UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN,
                       UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN,
                       UNKNOWN, UNKNOWN},
    [M_KV_LIST] = {UNKNOWN, MSG(M_KEY_VALUE), UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN,
                   UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN},
    [M_SCOPE] = {UNKNOWN, BYTES, BYTES, MSG(M_KEY_VALUE), VARINT, UNKNOWN, UNKNOWN, UNKNOWN,
                 UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN},
    [M_SCOPE_SPANS] = {UNKNOWN, MSG(M_SCOPE), MSG(M_SPAN), BYTES, UNKNOWN, UNKNOWN, UNKNOWN,
                       UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN,
                       UNKNOWN, UNKNOWN},
    [M_SPAN] = {UNKNOWN,
                {WT_LEN, M_NONE, LEN_16},     /* 1 trace_id */
                {WT_LEN, M_NONE, LEN_8},      /* 2 span_id */
                BYTES,                        /* 3 trace_state */
                {WT_LEN, M_NONE, LEN_0_OR_8}, /* 4 parent_span_id */
                BYTES,                        /* 5 name */
                VARINT,                       /* 6 kind */
                {WT_I64, M_NONE, LEN_ANY},    /* 7 start_time_unix_nano */
                {WT_I64, M_NONE, LEN_ANY},    /* 8 end_time_unix_nano */
                MSG(M_KEY_VALUE),             /* 9 attributes */
                VARINT,                       /* 10 dropped_attributes_count */
                MSG(M_EVENT),                 /* 11 events */
                VARINT,                       /* 12 dropped_events_count */
                MSG(M_LINK),                  /* 13 links */
                VARINT,                       /* 14 dropped_links_count */
                MSG(M_STATUS),                /* 15 status */
                {WT_I32, M_NONE, LEN_ANY}},   /* 16 flags */
    [M_EVENT] = {UNKNOWN,
                 {WT_I64, M_NONE, LEN_ANY},
                 BYTES,
                 MSG(M_KEY_VALUE),
                 VARINT,
                 UNKNOWN,
                 UNKNOWN,
                 UNKNOWN,
                 UNKNOWN,
                 UNKNOWN,
                 UNKNOWN,
                 UNKNOWN,
                 UNKNOWN,
                 UNKNOWN,
                 UNKNOWN,
                 UNKNOWN,
                 UNKNOWN},
    [M_LINK] = {UNKNOWN,
                BYTES,
                BYTES,
                BYTES,
                MSG(M_KEY_VALUE),
                VARINT,
                {WT_I32, M_NONE, LEN_ANY},
                UNKNOWN,
                UNKNOWN,
                UNKNOWN,
                UNKNOWN,
                UNKNOWN,
                UNKNOWN,
                UNKNOWN,
                UNKNOWN,
                UNKNOWN,
                UNKNOWN},
    [M_STATUS] = {UNKNOWN, UNKNOWN, BYTES, VARINT, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN,
                  UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN},
};

/* AnyValue nests through ArrayValue/KeyValueList; bound the recursion. */
#define MAX_DEPTH 32

struct walker {
        const uint8_t *base;
        int64_t spans;
        kata_error *err;
};

static inline int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
        /* Tags, lengths and enums are nearly always one byte. */
        if (__builtin_expect(*p < end && **p < 0x80, 1)) {
                *out = *(*p)++;
                return 0;
        }
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
                if (*p >= end)
                        return -1;
                uint8_t b = *(*p)++;
                v |= (uint64_t)(b & 0x7f) << shift;
                if (!(b & 0x80)) {
                        *out = v;
                        return 0;
                }
        }
        return -1;
}

static int bad(struct walker *w, const uint8_t *at, enum msg m, const char *what, uint64_t field)
{
        return kata_error_set(
            w->err, EBADMSG, "invalid OTLP protobuf at byte %zu: %s field %llu: %s",
            (size_t)(at - w->base), msg_names[m], (unsigned long long)field, what);
}

/* Nearly every attribute is a short key with one scalar or short string value, encoded
 * in field order. Such a KeyValue is recognized here in a few comparisons; anything else
 * (long strings, arrays, other orders) goes through the general walk. True only for
 * bytes the general walk would also accept. */
static inline bool key_value_fast(const uint8_t *p, const uint8_t *end)
{
        if (end - p < 4 || p[0] != 0x0a || p[1] >= 0x80)
                return false;
        p += 2 + p[1];
        if (end - p < 2 || p[0] != 0x12 || p[1] >= 0x80 || end - p != 2 + p[1])
                return false;
        const uint8_t *v = p + 2;
        if (v == end)
                return true;
        switch (v[0]) {
        case 0x0a: /* string_value */
        case 0x3a: /* bytes_value */
                return end - v >= 2 && v[1] < 0x80 && end - v == 2 + v[1];
        case 0x10: /* bool_value */
        case 0x18: /* int_value */
                for (const uint8_t *q = v + 1; q < end && q - v <= 10; q++) {
                        if (!(*q & 0x80))
                                return q + 1 == end;
                }
                return false;
        case 0x21: /* double_value */
                return end - v == 9;
        default:
                return false;
        }
}

/* Skips one varint of at most 10 bytes ending before end; NULL if there is none. */
static inline const uint8_t *skip_varint(const uint8_t *p, const uint8_t *end)
{
        for (int i = 0; i < 10 && p < end; i++) {
                if (!(*p++ & 0x80))
                        return p;
        }
        return NULL;
}

/* A Span as OTLP encoders write it: fields in number order, one-byte tags and lengths,
 * values short enough for one-byte lengths. Recognized in one straight pass; any other
 * shape returns false and gets the general walk. True only for bytes the general walk
 * would also accept. */
static bool span_fast(const uint8_t *p, const uint8_t *end)
{
#define NEED(n)                                                                                    \
        do {                                                                                       \
                if (end - p < (n))                                                                 \
                        return false;                                                              \
        } while (0)
        NEED(28);
        if (p[0] != 0x0a || p[1] != 16 || p[18] != 0x12 || p[19] != 8)
                return false; /* trace_id (16 bytes), span_id (8 bytes) */
        p += 28;
        if (p < end && p[0] == 0x1a) { /* trace_state */
                NEED(2);
                if (p[1] >= 0x80 || end - p < 2 + p[1])
                        return false;
                p += 2 + p[1];
        }
        if (p < end && p[0] == 0x22) { /* parent_span_id: empty or 8 bytes */
                NEED(2);
                if (p[1] != 0 && p[1] != 8)
                        return false;
                NEED(2 + p[1]);
                p += 2 + p[1];
        }
        if (p < end && p[0] == 0x2a) { /* name */
                NEED(2);
                if (p[1] >= 0x80 || end - p < 2 + p[1])
                        return false;
                p += 2 + p[1];
        }
        if (p < end && p[0] == 0x30) { /* kind */
                p = skip_varint(p + 1, end);
                if (!p)
                        return false;
        }
        if (p < end && p[0] == 0x39) { /* start_time_unix_nano */
                NEED(9);
                p += 9;
        }
        if (p < end && p[0] == 0x41) { /* end_time_unix_nano */
                NEED(9);
                p += 9;
        }
        while (p < end && p[0] == 0x4a) { /* attributes */
                NEED(2);
                if (p[1] >= 0x80 || end - p < 2 + p[1] || !key_value_fast(p + 2, p + 2 + p[1]))
                        return false;
                p += 2 + p[1];
        }
        if (p < end && p[0] == 0x50) { /* dropped_attributes_count */
                p = skip_varint(p + 1, end);
                if (!p)
                        return false;
        }
        if (p < end && p[0] == 0x7a) { /* status: message (2), code (3) */
                NEED(2);
                if (p[1] >= 0x80 || end - p < 2 + p[1])
                        return false;
                const uint8_t *s = p + 2, *s_end = p + 2 + p[1];
                if (s < s_end && s[0] == 0x12) {
                        if (s_end - s < 2 || s[1] >= 0x80 || s_end - s < 2 + s[1])
                                return false;
                        s += 2 + s[1];
                }
                if (s < s_end && s[0] == 0x18) {
                        s = skip_varint(s + 1, s_end);
                        if (!s)
                                return false;
                }
                if (s != s_end)
                        return false;
                p = s_end;
        }
        if (p < end && p[0] == 0x85) { /* flags: fixed32, field 16 (two-byte tag) */
                NEED(6);
                if (p[1] != 0x01)
                        return false;
                p += 6;
        }
        return p == end;
#undef NEED
}

static int check_message(struct walker *w, enum msg m, const uint8_t *p, const uint8_t *end,
                         int depth)
{
        if (depth > MAX_DEPTH)
                return bad(w, p, m, "nested too deeply", 0);
        const uint8_t *start = p;
        unsigned ids_seen = 0; /* Span: bit 0 trace_id, bit 1 span_id (both required) */
        while (p < end) {
                const uint8_t *field_start = p;
                uint64_t key;
                if (read_varint(&p, end, &key) < 0)
                        return bad(w, field_start, m, "truncated tag", 0);
                uint64_t field = key >> 3;
                unsigned wire = (unsigned)(key & 7);
                if (p - field_start > 5)
                        return bad(w, field_start, m, "tag longer than 5 bytes", 0);
                if (field == 0 || field > 0x1fffffff)
                        return bad(w, field_start, m, "invalid field number", field);
                static const struct field_rule unknown = UNKNOWN;
                const struct field_rule *rule = field <= MAX_FIELD ? &rules[m][field] : &unknown;
                if (rule->wire != WT_ANY && rule->wire != wire)
                        return bad(w, field_start, m, "unexpected wire type", field);
                uint64_t v;
                switch (wire) {
                case WT_VARINT:
                        if (read_varint(&p, end, &v) < 0)
                                return bad(w, field_start, m, "truncated varint", field);
                        break;
                case WT_I64:
                        if (end - p < 8)
                                return bad(w, field_start, m, "truncated fixed64", field);
                        p += 8;
                        break;
                case WT_I32:
                        if (end - p < 4)
                                return bad(w, field_start, m, "truncated fixed32", field);
                        p += 4;
                        break;
                case WT_LEN: {
                        const uint8_t *len_start = p;
                        if (read_varint(&p, end, &v) < 0 || v > (uint64_t)(end - p))
                                return bad(w, field_start, m, "length past the end", field);
                        /* Lengths are 32-bit: protobuf decoders refuse longer varints. */
                        if (p - len_start > 5)
                                return bad(w, field_start, m, "length longer than 5 bytes", field);
                        if ((rule->len == LEN_16 && v != 16) || (rule->len == LEN_8 && v != 8) ||
                            (rule->len == LEN_0_OR_8 && v != 0 && v != 8))
                                return bad(w, field_start, m, "id of the wrong size", field);
                        if (m == M_SPAN && field <= 2)
                                ids_seen |= 1u << (field - 1);
                        if (rule->nested == M_KEY_VALUE && key_value_fast(p, p + v)) {
                                p += v;
                                break;
                        }
                        if (rule->nested == M_SPAN && span_fast(p, p + v)) {
                                w->spans++;
                                p += v;
                                break;
                        }
                        if (rule->nested != M_NONE) {
                                if (m == M_SCOPE_SPANS && field == 2)
                                        w->spans++;
                                int rc =
                                    check_message(w, (enum msg)rule->nested, p, p + v, depth + 1);
                                if (rc < 0)
                                        return rc;
                        }
                        p += v;
                        break;
                }
                default:
                        return bad(w, field_start, m, "group or invalid wire type", field);
                }
        }
        if (m == M_SPAN && ids_seen != 3)
                return bad(w, start, m, "missing trace_id or span_id", ids_seen & 1 ? 2 : 1);
        return 0;
}

int64_t kata_otlp_wire_check(const uint8_t *buf, size_t len, kata_error *err)
{
        struct walker w = {.base = buf, .spans = 0, .err = err};
        int rc = check_message(&w, M_REQUEST, buf, buf + len, 0);
        return rc < 0 ? rc : w.spans;
}
