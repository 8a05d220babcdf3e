/* The releases JSON parser, on buffers: what is kept, how it is ordered, and that bad
 * input gets an error naming where it is. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check/release.h"

#define REL(tag, pre, draft)                                                                       \
        "{\"tag_name\":\"" tag "\",\"prerelease\":" #pre ",\"draft\":" #draft                      \
        ",\"created_at\":\"2026-01-01T00:00:00Z\",\"published_at\":\"2026-02-02T00:00:00Z\","      \
        "\"html_url\":\"https://example.invalid/" tag "\"}"

static int parse(const char *json, bool include_pre, struct kata_release_list *list,
                 kata_error *err)
{
        memset(list, 0, sizeof(*list));
        return kata_release_list_parse(json, strlen(json), include_pre, list, err);
}

static void test_keeps_and_orders(void **state)
{
        const char *json = "[" REL("2.4.0", false, false) "," REL("3.0.0", false, true) "," REL(
            "2.10.0", false, false) "," REL("2.5.0-rc1", true,
                                            false) "," REL("latest", false,
                                                           false) "," REL("v2.9.1", false,
                                                                          false) "]";
        struct kata_release_list list;
        kata_error err = KATA_ERROR_INIT;

        assert_int_equal(parse(json, false, &list, &err), 0);
        assert_int_equal(list.count, 3);
        assert_string_equal(list.items[0].version, "2.10.0");
        assert_string_equal(list.items[1].version, "2.9.1"); /* 'v' dropped */
        assert_string_equal(list.items[2].version, "2.4.0");
        assert_string_equal(list.items[0].date, "2026-02-02T00:00:00Z");
        assert_string_equal(list.items[0].url, "https://example.invalid/2.10.0");
        assert_false(list.items[0].prerelease);
        kata_release_list_free(&list);
        assert_null(list.items);

        assert_int_equal(parse(json, true, &list, &err), 0);
        assert_int_equal(list.count, 4);
        assert_string_equal(list.items[2].version, "2.5.0-rc1");
        assert_true(list.items[2].prerelease);
        kata_release_list_free(&list);
}

static void test_appends_pages(void **state)
{
        struct kata_release_list list;
        kata_error err = KATA_ERROR_INIT;
        const char *page2 = "[" REL("3.1.0", false, false) "]";

        assert_int_equal(parse("[" REL("2.0.0", false, false) "]", false, &list, &err), 0);
        assert_int_equal(kata_release_list_parse(page2, strlen(page2), false, &list, &err), 0);
        assert_int_equal(list.count, 2);
        assert_string_equal(list.items[0].version, "3.1.0");
        kata_release_list_free(&list);
}

static void test_fields_fallbacks(void **state)
{
        /* published_at null (as GitHub sends for drafts) falls back to created_at; a
         * version-shaped tag not flagged as pre-release is still one. */
        const char *json = "[{\"tag_name\":\"2.0.0\",\"published_at\":null,"
                           "\"created_at\":\"2025-05-05T00:00:00Z\"},"
                           "{\"tag_name\":\"2.1.0-rc0\",\"prerelease\":false}]";
        struct kata_release_list list;
        kata_error err = KATA_ERROR_INIT;

        assert_int_equal(parse(json, false, &list, &err), 0);
        assert_int_equal(list.count, 1);
        assert_string_equal(list.items[0].date, "2025-05-05T00:00:00Z");
        assert_string_equal(list.items[0].url, "");
        kata_release_list_free(&list);
        assert_int_equal(parse(json, true, &list, &err), 0);
        assert_int_equal(list.count, 2);
        assert_true(list.items[0].prerelease);
        kata_release_list_free(&list);

        /* Control characters cannot reach the terminal; a NUL does not hide in a tag. */
        const char *hostile = "[{\"tag_name\":\"2.0.0\",\"html_url\":\"https://x/\\u001b[31mred\","
                              "\"published_at\":\"2026\\nNewer major release\"},"
                              "{\"tag_name\":\"9.0.0\\u0000x\"}]";
        assert_int_equal(parse(hostile, false, &list, &err), 0);
        assert_int_equal(list.count, 1);
        assert_string_equal(list.items[0].url, "https://x/?[31mred");
        assert_string_equal(list.items[0].date, "2026?Newer major release");
        kata_release_list_free(&list);

        assert_int_equal(parse(" [ ]\r\n ", false, &list, &err), 0);
        assert_int_equal(list.count, 0);
        kata_release_list_free(&list);
}

static void test_errors(void **state)
{
        static const struct {
                const char *json;
                const char *msg_part;
        } cases[] = {
            {"", "ends early"},
            {"[{\"tag_name\": \"2.5.0\"", "ends early"},
            {"[1,]", "bad JSON at byte"},
            {"<html>", "bad JSON at byte 0"},
            {"[] x", "bad JSON at byte 3"},
            {"{\"message\":\"Not Found\"}", "expected an array of releases, got object"},
            {"\"2.5.0\"", "expected an array of releases, got string"},
            {"[{\"tag_name\":\"2.4.0\"}, 7]", "release 1 is int, expected object"},
            {"[null]", "release 0 is null, expected object"},
            {"[{\"tag_name\":250}]", "release 0: field \"tag_name\" is int, expected string"},
            {"[{\"name\":\"x\"}]", "release 0 has no string field \"tag_name\""},
            {"[{\"tag_name\":\"2.0.0\",\"draft\":\"no\"}]",
             "field \"draft\" is string, expected boolean"},
            {"[{\"tag_name\":\"2.0.0\",\"prerelease\":1}]",
             "field \"prerelease\" is int, expected boolean"},
            {"[{\"tag_name\":\"2.0.0\",\"html_url\":[]}]",
             "field \"html_url\" is array, expected string"},
            {"[{\"tag_name\":\"2.0.0\",\"published_at\":5}]",
             "field \"published_at\" is int, expected string"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct kata_release_list list;
                kata_error err = KATA_ERROR_INIT;
                int r = parse(cases[i].json, false, &list, &err);
                if (r != -EBADMSG || strstr(err.msg, cases[i].msg_part) == NULL)
                        fail_msg("%s: got %d '%s', expected -EBADMSG with '%s'", cases[i].json, r,
                                 err.msg, cases[i].msg_part);
                kata_release_list_free(&list);
        }
}

static void test_deep_nesting(void **state)
{
        char json[4096];
        struct kata_release_list list;
        kata_error err = KATA_ERROR_INIT;

        memset(json, '[', sizeof(json) - 1);
        json[sizeof(json) - 1] = '\0';
        assert_int_equal(parse(json, false, &list, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "bad JSON at byte"));
        kata_release_list_free(&list);
}

static void test_link_next(void **state)
{
        static const struct {
                const char *link, *base, *next; /* next NULL: none; "!": error */
        } cases[] = {
            {"", "https://a/r", NULL},
            {"<https://a/r?page=2>; rel=\"next\", <https://a/r?page=5>; rel=\"last\"",
             "https://a/r", "https://a/r?page=2"},
            {"<https://a/r?page=1>; rel=\"prev\", <https://a/r?page=3>; rel=\"next\"",
             "https://a/r?page=2", "https://a/r?page=3"},
            {"</r?page=2>; rel=next", "http://127.0.0.1:8/r?page=1", "http://127.0.0.1:8/r?page=2"},
            {"<https://a/2>; rel=\"prev next\"", "https://a/r", "https://a/2"},
            {"<https://a/2>; REL=\"Next\"", "https://a/r", "https://a/2"},
            {"<https://a/2>; rel=\"nextpage\"", "https://a/r", NULL},
            {"<https://a/2>; rel=\"last\"", "https://a/r", NULL},
            {"<https://a/2; rel=\"next\"", "https://a/r", "!"},
            {"<http://[::1>; rel=\"next\"", "https://a/r", "!"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *next = (char *)"unset";
                kata_error err = KATA_ERROR_INIT;
                int r = kata_release_link_next(cases[i].link, cases[i].base, &next, &err);
                if (cases[i].next != NULL && strcmp(cases[i].next, "!") == 0) {
                        if (r != -EBADMSG || strstr(err.msg, "bad Link header") == NULL)
                                fail_msg("'%s': got %d '%s', expected a bad Link header error",
                                         cases[i].link, r, err.msg);
                        assert_null(next);
                        continue;
                }
                if (r != 0)
                        fail_msg("'%s': failed: %s", cases[i].link, err.msg);
                if (cases[i].next == NULL)
                        assert_null(next);
                else
                        assert_string_equal(next, cases[i].next);
                free(next);
        }
}

static void test_running_version(void **state)
{
        struct kata_release_options opts = {0};

        unsetenv("KATA_CHECK_CURRENT_VERSION");
        assert_non_null(kata_release_running_version(&opts));
        setenv("KATA_CHECK_CURRENT_VERSION", "9.9.9", 1);
        assert_string_equal(kata_release_running_version(&opts), "9.9.9");
        opts.current_version = "1.2.3";
        assert_string_equal(kata_release_running_version(&opts), "1.2.3");
        unsetenv("KATA_CHECK_CURRENT_VERSION");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_keeps_and_orders), cmocka_unit_test(test_appends_pages),
            cmocka_unit_test(test_fields_fallbacks), cmocka_unit_test(test_errors),
            cmocka_unit_test(test_deep_nesting),     cmocka_unit_test(test_link_next),
            cmocka_unit_test(test_running_version),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
