/* The typed-value layer: every value type, escapes, comments, arrays, and the
 * messages bad values get. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/toml_value.h"

static char *parse_string_ok(const char *text)
{
        kata_error err = KATA_ERROR_INIT;
        char *s = NULL;
        int r = kata_toml_parse_string(text, &s, &err);
        if (r != 0)
                fail_msg("'%s' failed: %s", text, err.msg);
        return s;
}

static void check_string(const char *text, const char *want)
{
        char *s = parse_string_ok(text);
        assert_string_equal(s, want);
        free(s);
}

static void check_string_error(const char *text, const char *msg_part)
{
        kata_error err = KATA_ERROR_INIT;
        char *s = NULL;
        assert_int_equal(kata_toml_parse_string(text, &s, &err), -EINVAL);
        assert_null(s);
        if (!strstr(err.msg, msg_part))
                fail_msg("'%s': message '%s' lacks '%s'", text, err.msg, msg_part);
}

static void test_strings(void **state)
{
        check_string("\"plain\"", "plain");
        check_string("\"\"", "");
        check_string("'C:\\literal\\no escapes'", "C:\\literal\\no escapes");
        check_string("\"with # hash\"  # and a comment", "with # hash");
        check_string("\"a\\tb\\nc\\\"d\\\\e\\b\\f\\r\"", "a\tb\nc\"d\\e\b\f\r");
        check_string("\"\\u00e9\\U0001F600\"", "\xC3\xA9\xF0\x9F\x98\x80");
        check_string("\"tab\there\"", "tab\there");
}

static void test_string_errors(void **state)
{
        check_string_error("\"open", "unterminated string");
        check_string_error("plain", "expected a quoted string");
        check_string_error("\"x\" y", "unexpected text after the value");
        check_string_error("\"bad \\q\"", "invalid escape '\\q'");
        check_string_error("\"\\u12\"", "needs 4 hex digits");
        check_string_error("\"\\uD800\"", "not a Unicode scalar value");
        check_string_error("\"\\U00110000\"", "not a Unicode scalar value");
        check_string_error("\"\\u0000\"", "NUL character");
        check_string_error("\"\"\"multi\"\"\"", "multi-line strings are not supported");
        check_string_error("\"ctl\x01\"", "control character 0x01");
        check_string_error("", "missing value");
        check_string_error("# only a comment", "missing value");
}

static void test_integers(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        int64_t v;
        assert_int_equal(kata_toml_parse_integer("42", &v, &err), 0);
        assert_int_equal(v, 42);
        assert_int_equal(kata_toml_parse_integer("+7 # comment", &v, &err), 0);
        assert_int_equal(v, 7);
        assert_int_equal(kata_toml_parse_integer("-1_024", &v, &err), 0);
        assert_int_equal(v, -1024);
        assert_int_equal(kata_toml_parse_integer("0", &v, &err), 0);
        assert_int_equal(v, 0);
        assert_int_equal(kata_toml_parse_integer("9223372036854775807", &v, &err), 0);
        assert_true(v == INT64_MAX);
        assert_int_equal(kata_toml_parse_integer("-9223372036854775808", &v, &err), 0);
        assert_true(v == INT64_MIN);

        static const struct {
                const char *text, *msg;
        } bad[] = {
            {"9223372036854775808", "out of range"},
            {"1.5", "not a float"},
            {"1e3", "not a float"},
            {"0x10", "only decimal"},
            {"012", "leading zeros"},
            {"1__0", "between digits"},
            {"10_", "between digits"},
            {"\"3\"", "expected an integer"},
            {"3 4", "unexpected text"},
            {"", "missing value"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                kata_error_clear(&err);
                assert_int_equal(kata_toml_parse_integer(bad[i].text, &v, &err), -EINVAL);
                if (!strstr(err.msg, bad[i].msg))
                        fail_msg("'%s': message '%s' lacks '%s'", bad[i].text, err.msg, bad[i].msg);
        }
}

static void test_booleans(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        bool b = false;
        assert_int_equal(kata_toml_parse_boolean("true", &b, &err), 0);
        assert_true(b);
        assert_int_equal(kata_toml_parse_boolean("false # off", &b, &err), 0);
        assert_false(b);
        assert_int_equal(kata_toml_parse_boolean("truex", &b, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "expected true or false"));
        assert_int_equal(kata_toml_parse_boolean("yes", &b, &err), -EINVAL);
        assert_int_equal(kata_toml_parse_boolean("True", &b, &err), -EINVAL);
        assert_int_equal(kata_toml_parse_boolean("\"true\"", &b, &err), -EINVAL);
        assert_int_equal(kata_toml_parse_boolean("true false", &b, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "unexpected text"));
}

static void test_arrays(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        struct kata_string_list l = {0};
        assert_int_equal(kata_toml_parse_string_array("[]", &l, &err), 0);
        assert_int_equal(l.count, 0);
        assert_int_equal(kata_toml_parse_string_array("[ ] # empty", &l, &err), 0);
        assert_int_equal(l.count, 0);
        assert_int_equal(kata_toml_parse_string_array(
                             "[\"a\", 'b\\c',\"#not comment\" , \"\\u00e9\",]", &l, &err),
                         0);
        assert_int_equal(l.count, 4);
        assert_string_equal(l.items[0], "a");
        assert_string_equal(l.items[1], "b\\c");
        assert_string_equal(l.items[2], "#not comment");
        assert_string_equal(l.items[3], "\xC3\xA9");
        struct kata_string_list copy;
        assert_int_equal(kata_string_list_copy(&l, &copy), 0);
        assert_int_equal(copy.count, 4);
        assert_string_equal(copy.items[3], "\xC3\xA9");
        kata_string_list_free(&copy);
        kata_string_list_free(&l);
        assert_int_equal(l.count, 0);

        static const struct {
                const char *text, *msg;
        } bad[] = {
            {"[\"a\"", "unterminated array"},
            {"[\"a\" # c", "unterminated array"},
            {"[1, 2]", "array element 1: expected a quoted string"},
            {"[\"a\", true]", "array element 2"},
            {"[\"a\" \"b\"]", "expected ',' or ']'"},
            {"[\"a\"] x", "unexpected text"},
            {"[\"a\\x\"]", "array element 1: invalid escape"},
            {"[[\"a\"]]", "expected a quoted string"},
            {"\"a\"", "expected an array of strings"},
            {"", "missing value"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                kata_error_clear(&err);
                assert_int_equal(kata_toml_parse_string_array(bad[i].text, &l, &err), -EINVAL);
                if (!strstr(err.msg, bad[i].msg))
                        fail_msg("'%s': message '%s' lacks '%s'", bad[i].text, err.msg, bad[i].msg);
        }
}

static void test_any_value(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_toml_check_value("\"s\"", &err), 0);
        assert_int_equal(kata_toml_check_value("['x']", &err), 0);
        assert_int_equal(kata_toml_check_value("false", &err), 0);
        assert_int_equal(kata_toml_check_value("-3", &err), 0);
        assert_int_equal(kata_toml_check_value("bare", &err), -EINVAL);
        assert_int_equal(kata_toml_check_value("", &err), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_strings),  cmocka_unit_test(test_string_errors),
            cmocka_unit_test(test_integers), cmocka_unit_test(test_booleans),
            cmocka_unit_test(test_arrays),   cmocka_unit_test(test_any_value),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
