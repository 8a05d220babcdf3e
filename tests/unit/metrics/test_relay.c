#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/relay.h"

static char *relay(const char *text, const char *sid, int *result, char *msg)
{
        kata_metric_set *set = NULL;
        kata_error err = KATA_ERROR_INIT;
        *result = kata_metrics_relay_parse(text, strlen(text), sid, &set, &err);
        if (msg)
                strcpy(msg, err.msg);
        if (*result < 0) {
                assert_null(set);
                return NULL;
        }
        char *out = NULL;
        assert_int_equal(kata_metric_set_render(set, &out, NULL, &err), 0);
        kata_metric_set_free(set);
        return out;
}

/* What our agent sends (runtime/agent/metrics.c), abridged. */
static void test_agent_text_renamed_and_labelled(void **state)
{
        int r;
        char *out = relay("# HELP kata_agent_scrape_count Metrics scrapes served by the agent.\n"
                          "# TYPE kata_agent_scrape_count counter\n"
                          "kata_agent_scrape_count 7\n"
                          "# HELP kata_agent_total_time Agent CPU time.\n"
                          "# TYPE kata_agent_total_time gauge\n"
                          "kata_agent_total_time 0.250\n"
                          "# TYPE kata_guest_load gauge\n"
                          "kata_guest_load{item=\"load1\"} 0.5 1700000000000\n"
                          "# TYPE kata_guest_things counter\n"
                          "kata_guest_things{ a = \"x\\\"y\" , } 2\n"
                          "# a comment\n\n"
                          "other_metric 1\n",
                          "sb1", &r, NULL);
        assert_int_equal(r, 0);
        assert_string_equal(out,
                            "# HELP kata_agent_scrapes_total Metrics scrapes served by the agent.\n"
                            "# TYPE kata_agent_scrapes_total counter\n"
                            "kata_agent_scrapes_total{sandbox_id=\"sb1\"} 7\n"
                            "# HELP kata_agent_cpu_seconds_total Agent CPU time.\n"
                            "# TYPE kata_agent_cpu_seconds_total counter\n"
                            "kata_agent_cpu_seconds_total{sandbox_id=\"sb1\"} 0.25\n"
                            "# HELP kata_guest_load Relayed from the agent.\n"
                            "# TYPE kata_guest_load gauge\n"
                            "kata_guest_load{sandbox_id=\"sb1\",item=\"load1\"} 0.5\n"
                            "# HELP kata_guest_things_total Relayed from the agent.\n"
                            "# TYPE kata_guest_things_total counter\n"
                            "kata_guest_things_total{sandbox_id=\"sb1\",a=\"x\\\"y\"} 2\n");
        free(out);
}

static void test_agent_sandbox_id_replaced(void **state)
{
        int r;
        char *out = relay("kata_agent_x{sandbox_id=\"forged\",k=\"v\"} +Inf\n", "real", &r, NULL);
        assert_int_equal(r, 0);
        assert_non_null(strstr(out, "kata_agent_x{sandbox_id=\"real\",k=\"v\"} +Inf\n"));
        assert_null(strstr(out, "forged"));
        free(out);
}

static void test_utf8_label_values_kept(void **state)
{
        int r;
        char *out = relay("# HELP kata_guest_x caf\xc3\xa9 \xff\n"
                          "kata_guest_x{a=\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3\"} 1\n",
                          "s", &r, NULL);
        assert_int_equal(r, 0);
        assert_non_null(strstr(out, "# HELP kata_guest_x caf \n"));
        assert_non_null(strstr(out, "a=\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3\"} 1\n"));
        free(out);
}

static void test_histogram_suffixes(void **state)
{
        int r;
        char *out = relay("# TYPE kata_agent_rpc_seconds histogram\n"
                          "kata_agent_rpc_seconds_bucket{le=\"1\"} 2\n"
                          "kata_agent_rpc_seconds_bucket{le=\"+Inf\"} 3\n"
                          "kata_agent_rpc_seconds_sum 1.5\n"
                          "kata_agent_rpc_seconds_count 3\n",
                          "s", &r, NULL);
        assert_int_equal(r, 0);
        assert_non_null(strstr(out,
                               "# TYPE kata_agent_rpc_seconds histogram\n"
                               "kata_agent_rpc_seconds_bucket{sandbox_id=\"s\",le=\"1\"} 2\n"));
        assert_non_null(strstr(out, "kata_agent_rpc_seconds_count{sandbox_id=\"s\"} 3\n"));
        free(out);
}

static void test_bad_input_rejected_with_line(void **state)
{
        static const struct {
                const char *text;
                const char *msg;
        } cases[] = {
            {"kata_agent_x 1\nkata_agent_y{a=\"1\" 2\n", "line 2: expected ',' or '}'"},
            {"kata_agent_x{a=\"unterminated} 1\n", "unterminated label value"},
            {"kata_agent_x{a=\"\\q\"} 1\n", "invalid escape"},
            {"kata_agent_x{a=\"1\",a=\"2\"} 1\n", "repeated label"},
            {"kata_agent_x{1a=\"1\"} 1\n", "invalid label name"},
            {"kata_agent_x 0x10\n", "invalid sample value"},
            {"kata_agent_x nan\n", "invalid sample value"},
            {"kata_agent_x 1 2 3\n", "unexpected text"},
            {"kata_agent_x\n", "expected a value"},
            {"{a=\"1\"} 1\n", "expected a metric name"},
            {"# TYPE kata_agent_x wibble\n", "unknown metric type"},
            {"# TYPE kata_agent_x gauge\n# TYPE kata_agent_x gauge\n", "second TYPE"},
            {"kata_agent_x{a=\"\xff\"} 1\n", "not UTF-8"},
            {"kata_agent_x{a=\"\xc0\xaf\"} 1\n", "not UTF-8"},
            {"kata_agent_x{a=\"\xed\xa0\x80\"} 1\n", "not UTF-8"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int r;
                char msg[KATA_ERROR_MSG_MAX];
                assert_null(relay(cases[i].text, "s", &r, msg));
                assert_int_equal(r, -EINVAL);
                if (!strstr(msg, cases[i].msg))
                        fail_msg("case %zu: '%s' does not contain '%s'", i, msg, cases[i].msg);
        }
}

static void test_nul_and_size_bounds(void **state)
{
        kata_metric_set *set = NULL;
        kata_error err = KATA_ERROR_INIT;
        const char nul[] = "kata_agent_x 1\0\n";
        assert_int_equal(kata_metrics_relay_parse(nul, sizeof(nul) - 1, "s", &set, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "NUL"));
        size_t n = (KATA_RELAY_MAX_SAMPLES + 1) * 16;
        char *big = malloc(n + 1);
        size_t off = 0;
        for (int i = 0; i <= KATA_RELAY_MAX_SAMPLES; i++)
                off += (size_t)snprintf(big + off, n + 1 - off, "kata_agent_%d 1\n", i % 10);
        assert_int_equal(kata_metrics_relay_parse(big, off, "s", &set, &err), -E2BIG);
        free(big);
        assert_null(set);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_agent_text_renamed_and_labelled),
            cmocka_unit_test(test_agent_sandbox_id_replaced),
            cmocka_unit_test(test_utf8_label_values_kept),
            cmocka_unit_test(test_histogram_suffixes),
            cmocka_unit_test(test_bad_input_rejected_with_line),
            cmocka_unit_test(test_nul_and_size_bounds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
