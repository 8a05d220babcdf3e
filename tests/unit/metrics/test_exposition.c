#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/exposition.h"

static char *render(kata_metric_set *set)
{
        char *text = NULL;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_metric_set_render(set, &text, NULL, &err), 0);
        return text;
}

static void test_families_grouped_and_escaped(void **state)
{
        kata_metric_set *set;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_metric_set_new(&set, &err), 0);
        assert_int_equal(kata_metric_addv(set, "a_total", KATA_METRIC_COUNTER, "A\\b\nc", 1, &err,
                                          "sandbox_id", "s1", NULL),
                         0);
        assert_int_equal(
            kata_metric_addv(set, "b", KATA_METRIC_GAUGE, "B", 2.5, &err, "x", "q\"\\\n", NULL), 0);
        assert_int_equal(kata_metric_addv(set, "a_total", KATA_METRIC_COUNTER, "ignored", 3, &err,
                                          "sandbox_id", "s2", NULL),
                         0);
        assert_int_equal(kata_metric_addv(set, "c", KATA_METRIC_GAUGE, "C", NAN, &err, NULL), 0);
        assert_int_equal(kata_metric_addv(set, "d", KATA_METRIC_GAUGE, "D", 0.1, &err, NULL), 0);
        char *text = render(set);
        assert_string_equal(text, "# HELP a_total A\\\\b\\nc\n"
                                  "# TYPE a_total counter\n"
                                  "a_total{sandbox_id=\"s1\"} 1\n"
                                  "a_total{sandbox_id=\"s2\"} 3\n"
                                  "# HELP b B\n"
                                  "# TYPE b gauge\n"
                                  "b{x=\"q\\\"\\\\\\n\"} 2.5\n"
                                  "# HELP c C\n# TYPE c gauge\nc NaN\n"
                                  "# HELP d D\n# TYPE d gauge\nd 0.1\n");
        free(text);
        assert_int_equal(kata_metric_set_nsamples(set), 5);
        kata_metric_set_free(set);
}

static void test_invalid_names_and_type_conflicts(void **state)
{
        kata_metric_set *set;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_metric_set_new(&set, &err), 0);
        assert_int_equal(kata_metric_addv(set, "9bad", KATA_METRIC_GAUGE, "", 1, &err, NULL),
                         -EINVAL);
        assert_non_null(strstr(err.msg, "invalid metric name"));
        assert_int_equal(
            kata_metric_addv(set, "ok", KATA_METRIC_GAUGE, "", 1, &err, "a:b", "v", NULL), -EINVAL);
        assert_int_equal(
            kata_metric_addv(set, "ok", KATA_METRIC_GAUGE, "", 1, &err, "a", "1", "a", "2", NULL),
            -EINVAL);
        assert_non_null(strstr(err.msg, "repeated"));
        assert_int_equal(kata_metric_addv(set, "ok", KATA_METRIC_COUNTER, "", 1, &err, NULL),
                         -EINVAL);
        assert_non_null(strstr(err.msg, "already gauge"));
        kata_metric_set_free(set);
}

static void test_merge_moves_samples(void **state)
{
        kata_metric_set *a, *b;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_metric_set_new(&a, &err), 0);
        assert_int_equal(kata_metric_set_new(&b, &err), 0);
        assert_int_equal(kata_metric_addv(a, "x", KATA_METRIC_GAUGE, "X", 1, &err, NULL), 0);
        assert_int_equal(kata_metric_addv(b, "x", KATA_METRIC_GAUGE, "X", 2, &err, "l", "v", NULL),
                         0);
        assert_int_equal(kata_metric_addv(b, "y", KATA_METRIC_COUNTER, "Y", 3, &err, NULL), 0);
        assert_int_equal(kata_metric_set_merge(a, b, &err), 0);
        assert_int_equal(kata_metric_set_nsamples(a), 3);
        assert_int_equal(kata_metric_set_nsamples(b), 0);
        char *text = render(a);
        assert_string_equal(text, "# HELP x X\n# TYPE x gauge\nx 1\nx{l=\"v\"} 2\n"
                                  "# HELP y Y\n# TYPE y counter\ny 3\n");
        free(text);
        /* A family of another type stays behind and is reported. */
        kata_metric_set *c;
        assert_int_equal(kata_metric_set_new(&c, &err), 0);
        assert_int_equal(kata_metric_addv(c, "x", KATA_METRIC_COUNTER, "X", 4, &err, NULL), 0);
        assert_int_equal(kata_metric_addv(c, "z", KATA_METRIC_GAUGE, "Z", 5, &err, NULL), 0);
        assert_int_equal(kata_metric_set_merge(a, c, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "already gauge"));
        assert_int_equal(kata_metric_set_nsamples(a), 4);
        assert_int_equal(kata_metric_set_nsamples(c), 1);
        kata_metric_set_free(a);
        kata_metric_set_free(b);
        kata_metric_set_free(c);
}

static void test_histogram_export(void **state)
{
        static const double bounds[] = {0.01, 0.1, 1};
        kata_metric_histogram h;
        kata_metric_histogram_init(&h, bounds, 3);
        kata_metric_histogram_observe(&h, 0.005);
        kata_metric_histogram_observe(&h, 0.05);
        kata_metric_histogram_observe(&h, 0.05);
        kata_metric_histogram_observe(&h, 5);
        kata_metric_set *set;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_metric_set_new(&set, &err), 0);
        assert_int_equal(kata_metric_histogram_export(set, "d_seconds", "D", &h, &err), 0);
        char *text = render(set);
        assert_string_equal(text, "# HELP d_seconds D\n# TYPE d_seconds histogram\n"
                                  "d_seconds_bucket{le=\"0.01\"} 1\n"
                                  "d_seconds_bucket{le=\"0.1\"} 3\n"
                                  "d_seconds_bucket{le=\"1\"} 3\n"
                                  "d_seconds_bucket{le=\"+Inf\"} 4\n"
                                  "d_seconds_sum 5.105\n"
                                  "d_seconds_count 4\n");
        free(text);
        kata_metric_set_free(set);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_families_grouped_and_escaped),
            cmocka_unit_test(test_invalid_names_and_type_conflicts),
            cmocka_unit_test(test_merge_moves_samples),
            cmocka_unit_test(test_histogram_export),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
