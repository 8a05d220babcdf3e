/* Ids and W3C traceparent. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tracing/ids.h"

static void test_ids_random_nonzero_distinct(void **state)
{
        uint8_t a[16], b[16], s1[8], s2[8];
        kata_trace_id_generate(a);
        kata_trace_id_generate(b);
        kata_span_id_generate(s1);
        kata_span_id_generate(s2);
        assert_false(kata_id_bytes_zero(a, 16));
        assert_false(kata_id_bytes_zero(s1, 8));
        assert_memory_not_equal(a, b, 16);
        assert_memory_not_equal(s1, s2, 8);
}

static void test_hex_roundtrip(void **state)
{
        uint8_t id[8] = {0x00, 0x01, 0xab, 0xcd, 0xef, 0x10, 0x7f, 0xff}, back[8];
        char hex[17];
        kata_hex_encode(id, 8, hex);
        assert_string_equal(hex, "0001abcdef107fff");
        assert_int_equal(kata_hex_decode(hex, 8, back), 0);
        assert_memory_equal(id, back, 8);
        assert_int_equal(kata_hex_decode("zz01abcdef107fff", 8, back), -EINVAL);
}

static void test_traceparent_roundtrip(void **state)
{
        kata_span_context ctx = {.flags = 1}, parsed;
        kata_trace_id_generate(ctx.trace_id);
        kata_span_id_generate(ctx.span_id);
        char tp[KATA_TRACEPARENT_LEN + 1];
        kata_traceparent_format(&ctx, tp);
        assert_int_equal(strlen(tp), KATA_TRACEPARENT_LEN);
        assert_int_equal(tp[0], '0');
        assert_int_equal(tp[54], '1');
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_traceparent_parse(tp, &parsed, &err), 0);
        assert_memory_equal(ctx.trace_id, parsed.trace_id, 16);
        assert_memory_equal(ctx.span_id, parsed.span_id, 8);
        assert_int_equal(parsed.flags, 1);
}

static void test_traceparent_w3c_example(void **state)
{
        kata_span_context ctx;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_traceparent_parse(
                             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &ctx, &err),
                         0);
        assert_int_equal(ctx.trace_id[0], 0x4b);
        assert_int_equal(ctx.span_id[7], 0xb7);
        /* A later version may append fields after a dash. */
        assert_int_equal(
            kata_traceparent_parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz",
                                   &ctx, &err),
            0);
}

static void test_traceparent_rejects(void **state)
{
        static const char *const bad[] = {
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                kata_span_context ctx;
                kata_error err = KATA_ERROR_INIT;
                assert_int_equal(kata_traceparent_parse(bad[i], &ctx, &err), -EINVAL);
                assert_true(strstr(err.msg, "traceparent") != NULL);
        }
        kata_error err = KATA_ERROR_INIT;
        kata_span_context ctx;
        assert_int_equal(kata_traceparent_parse(NULL, &ctx, &err), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_ids_random_nonzero_distinct),
            cmocka_unit_test(test_hex_roundtrip),
            cmocka_unit_test(test_traceparent_roundtrip),
            cmocka_unit_test(test_traceparent_w3c_example),
            cmocka_unit_test(test_traceparent_rejects),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
