/* Frame codec, OTLP encode/decode, the wire-format check, JSON lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tracing/frame.h"
#include "tracing/ids.h"
#include "tracing/otlp.h"
#include "tracing/record.h"
#include "common/util.h"

static void test_frame_header(void **state)
{
        uint8_t buf[16] = {0};
        kata_frame_header_encode(0x0102030405060708ull, buf);
        assert_int_equal(buf[0], 0x01);
        assert_int_equal(buf[7], 0x08);

        kata_error err = KATA_ERROR_INIT;
        size_t len = 0;
        kata_frame_header_encode(5, buf);
        assert_int_equal(kata_frame_parse(buf, 7, 100, &len, &err), 0);  /* short header */
        assert_int_equal(kata_frame_parse(buf, 12, 100, &len, &err), 0); /* short payload */
        assert_int_equal(kata_frame_parse(buf, 13, 100, &len, &err), 1);
        assert_int_equal(len, 5);
        assert_int_equal(kata_frame_parse(buf, 13, 4, &len, &err), -EMSGSIZE);
        assert_non_null(strstr(err.msg, "cap"));
        kata_frame_header_encode(0, buf);
        assert_int_equal(kata_frame_parse(buf, 8, 100, &len, &err), -EBADMSG);
        memset(buf, 0xff, 8);
        assert_int_equal(kata_frame_parse(buf, 8, UINT64_MAX, &len, &err), -EBADMSG);
}

static kata_span_record sample(kata_span_attr *attrs)
{
        kata_span_record r = {0};
        for (int i = 0; i < 16; i++)
                r.trace_id[i] = (uint8_t)(i + 1);
        for (int i = 0; i < 8; i++) {
                r.span_id[i] = (uint8_t)(0xa0 + i);
                r.parent_span_id[i] = (uint8_t)(0xb0 + i);
        }
        r.name = "create_container";
        r.source = "agent";
        r.sandbox_id = "sb1";
        r.container_id = "c\"1";
        r.status_message = "boom";
        r.status = KATA_SPAN_STATUS_ERROR;
        r.kind = KATA_SPAN_KIND_SERVER;
        r.start_ns = 1700000000000000000ull;
        r.end_ns = 1700000000000001000ull;
        attrs[0] = (kata_span_attr){.key = "image", .type = KATA_ATTR_STRING, .v.s = "busy\nbox"};
        attrs[1] = (kata_span_attr){.key = "pid", .type = KATA_ATTR_INT, .v.i = -42};
        attrs[2] = (kata_span_attr){.key = "tty", .type = KATA_ATTR_BOOL, .v.b = true};
        r.attrs = attrs;
        r.n_attrs = 3;
        return r;
}

struct collected {
        int n;
        kata_span_record *recs[8];
};

static void collect(const kata_span_record *rec, void *ctx)
{
        struct collected *c = ctx;
        if (c->n < 8)
                c->recs[c->n++] = kata_span_record_clone(rec);
}

static void test_otlp_roundtrip(void **state)
{
        kata_span_attr attrs[3];
        kata_span_record a = sample(attrs), b = sample(attrs);
        memset(b.parent_span_id, 0, 8); /* a root */
        b.span_id[0] = 0x11;
        b.status = KATA_SPAN_STATUS_UNSET;
        const kata_span_record *recs[2] = {&a, &b};
        uint8_t *buf;
        size_t len;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_otlp_encode(recs, 2, "agent", &buf, &len, &err), 0);
        assert_int_equal(kata_otlp_wire_check(buf, len, &err), 2);

        struct collected c = {0};
        assert_int_equal(kata_otlp_decode(buf, len, collect, &c, &err), 2);
        assert_int_equal(c.n, 2);
        kata_span_record *d = c.recs[0];
        assert_memory_equal(d->trace_id, a.trace_id, 16);
        assert_memory_equal(d->span_id, a.span_id, 8);
        assert_memory_equal(d->parent_span_id, a.parent_span_id, 8);
        assert_string_equal(d->name, "create_container");
        assert_string_equal(d->source, "agent");
        assert_string_equal(d->sandbox_id, "sb1");
        assert_string_equal(d->container_id, "c\"1");
        assert_int_equal(d->status, KATA_SPAN_STATUS_ERROR);
        assert_string_equal(d->status_message, "boom");
        assert_int_equal(d->kind, KATA_SPAN_KIND_SERVER);
        assert_true(d->start_ns == a.start_ns && d->end_ns == a.end_ns);
        assert_int_equal(d->n_attrs, 3);
        assert_string_equal(d->attrs[0].v.s, "busy\nbox");
        assert_int_equal(d->attrs[1].v.i, -42);
        assert_true(kata_span_record_is_root(c.recs[1]));
        assert_int_equal(c.recs[1]->status, KATA_SPAN_STATUS_UNSET);

        /* Two requests concatenated are one valid request (repeated fields merge): the
         * forwarder batches pass-through frames this way. */
        uint8_t *two = malloc(2 * len);
        memcpy(two, buf, len);
        memcpy(two + len, buf, len);
        assert_int_equal(kata_otlp_wire_check(two, 2 * len, &err), 4);
        assert_int_equal(kata_otlp_decode(two, 2 * len, NULL, NULL, &err), 4);
        free(two);
        for (int i = 0; i < c.n; i++)
                free(c.recs[i]);
        free(buf);
}

static void test_otlp_rejects_garbage(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x13, 0x37};
        assert_int_equal(kata_otlp_wire_check(garbage, sizeof(garbage), &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "invalid OTLP"));
        assert_true(kata_otlp_decode(garbage, sizeof(garbage), NULL, NULL, &err) < 0);

        /* Wrong wire type for resource_spans (varint instead of a message). */
        static const uint8_t wrong_type[] = {0x08, 0x01};
        assert_int_equal(kata_otlp_wire_check(wrong_type, sizeof(wrong_type), &err), -EBADMSG);

        /* A well-formed request whose span has a 3-byte trace id. */
        kata_span_attr attrs[3];
        kata_span_record a = sample(attrs);
        const kata_span_record *recs[1] = {&a};
        uint8_t *buf;
        size_t len;
        assert_int_equal(kata_otlp_encode(recs, 1, "agent", &buf, &len, &err), 0);
        /* Truncating anywhere inside must be caught by both decoders. */
        for (size_t cut = 1; cut < len; cut++) {
                int64_t w = kata_otlp_wire_check(buf, cut, &err);
                int d = kata_otlp_decode(buf, cut, NULL, NULL, &err);
                assert_true(w < 0 || w <= 1);
                assert_true(d < 0 || d <= 1);
        }
        uint8_t *p = memmem(buf, len, "\x0a\x10\x01\x02\x03", 5); /* trace_id field */
        assert_non_null(p);
        p[1] = 0x03; /* claims 3 bytes: the rest no longer parses as that span */
        assert_true(kata_otlp_wire_check(buf, len, &err) < 0);
        assert_true(kata_otlp_decode(buf, len, NULL, NULL, &err) < 0);
        free(buf);
        /* An empty request is valid and has no spans. */
        assert_int_equal(kata_otlp_wire_check((const uint8_t *)"", 0, &err), 0);
}

/* Appends field (tag byte) with a length-delimited body: enough to hand-build requests. */
static size_t put_len(uint8_t *out, uint8_t tag, const uint8_t *body, size_t len)
{
        out[0] = tag;
        out[1] = (uint8_t)len; /* bodies here are < 128 bytes */
        memcpy(out + 2, body, len);
        return len + 2;
}

/* ExportTraceServiceRequest{ResourceSpans{ScopeSpans{Span{span bytes}}}} */
static size_t wrap_span(const uint8_t *span, size_t len, uint8_t *out)
{
        uint8_t a[256], b[256];
        size_t n = put_len(a, 0x12, span, len); /* ScopeSpans.spans */
        n = put_len(b, 0x12, a, n);             /* ResourceSpans.scope_spans */
        return put_len(out, 0x0a, b, n);        /* request.resource_spans */
}

static void test_wire_check_slow_path_and_strictness(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        uint8_t span[128], req[256];
        size_t n = 0;
        uint8_t id16[16], id8[8];
        memset(id16, 0x11, sizeof(id16));
        memset(id8, 0x22, sizeof(id8));
        n += put_len(span + n, 0x0a, id16, 16);
        n += put_len(span + n, 0x12, id8, 8);
        n += put_len(span + n, 0x2a, (const uint8_t *)"nm", 2);
        /* An unknown field 20 (varint) after the known ones: the fast path declines, the
         * general walk accepts, and so does the decoder. */
        span[n++] = 0xa0;
        span[n++] = 0x01;
        span[n++] = 0x05;
        size_t len = wrap_span(span, n, req);
        assert_int_equal(kata_otlp_wire_check(req, len, &err), 1);
        assert_int_equal(kata_otlp_decode(req, len, NULL, NULL, &err), 1);
        /* Fields out of order (name first) take the general walk too. */
        uint8_t reordered[128];
        size_t r = put_len(reordered, 0x2a, (const uint8_t *)"nm", 2);
        memcpy(reordered + r, span, 28);
        len = wrap_span(reordered, r + 28, req);
        assert_int_equal(kata_otlp_wire_check(req, len, &err), 1);
        assert_int_equal(kata_otlp_decode(req, len, NULL, NULL, &err), 1);

        /* A span without span_id is refused by both. */
        n = put_len(span, 0x0a, id16, 16);
        len = wrap_span(span, n, req);
        assert_true(kata_otlp_wire_check(req, len, &err) < 0);
        assert_non_null(strstr(err.msg, "missing"));
        assert_true(kata_otlp_decode(req, len, NULL, NULL, &err) < 0);

        /* A length written as a 6-byte varint is refused, as protobuf-c does. */
        static const uint8_t long_len[] = {0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
        assert_true(kata_otlp_wire_check(long_len, sizeof(long_len), &err) < 0);
        assert_true(kata_otlp_decode(long_len, sizeof(long_len), NULL, NULL, &err) < 0);
}

static void test_jsonl(void **state)
{
        kata_span_attr attrs[3];
        kata_span_record a = sample(attrs);
        kata_strbuf b = {0};
        assert_int_equal(kata_span_record_jsonl(&a, &b), 0);
        assert_string_equal(
            b.data,
            "{\"trace_id\":\"0102030405060708090a0b0c0d0e0f10\",\"span_id\":\"a0a1a2a3a4a5a6a7\","
            "\"parent_span_id\":\"b0b1b2b3b4b5b6b7\",\"name\":\"create_container\",\"source\":"
            "\"agent\",\"sandbox_id\":\"sb1\",\"container_id\":\"c\\\"1\",\"start_ns\":"
            "1700000000000000000,\"end_ns\":1700000000000001000,\"status\":\"error\","
            "\"status_message\":\"boom\",\"attributes\":{\"image\":\"busy\\nbox\",\"pid\":-42,"
            "\"tty\":true}}\n");
        kata_strbuf_free(&b);

        kata_span_record *copy = kata_span_record_clone(&a);
        assert_string_equal(copy->attrs[0].v.s, "busy\nbox");
        assert_ptr_not_equal(copy->name, a.name);
        free(copy);
}

/* This binary links kata-tracing alone, as the agent does: no LTTng code is loaded. */
static void test_core_library_loads_no_lttng(void **state)
{
        char *maps;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_read_file("/proc/self/maps", 0, &maps, NULL, &err), 0);
        assert_null(strstr(maps, "lttng"));
        free(maps);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_frame_header),
            cmocka_unit_test(test_otlp_roundtrip),
            cmocka_unit_test(test_otlp_rejects_garbage),
            cmocka_unit_test(test_wire_check_slow_path_and_strictness),
            cmocka_unit_test(test_jsonl),
            cmocka_unit_test(test_core_library_loads_no_lttng),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
