/* Semver parsing, precedence and "how much newer" as the release check uses them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "check/semver.h"

static struct kata_semver parse_ok(const char *s)
{
        struct kata_semver v;
        kata_error err = KATA_ERROR_INIT;
        int r = kata_semver_parse(s, &v, &err);
        if (r != 0)
                fail_msg("parsing '%s' failed: %s", s, err.msg);
        return v;
}

static void test_parse_valid(void **state)
{
        struct kata_semver v = parse_ok("2.5.1");
        assert_int_equal(v.major, 2);
        assert_int_equal(v.minor, 5);
        assert_int_equal(v.patch, 1);
        assert_string_equal(v.prerelease, "");

        v = parse_ok("v3.0.0-rc1");
        assert_int_equal(v.major, 3);
        assert_string_equal(v.prerelease, "rc1");

        v = parse_ok("1.0.0-alpha.1+build.5-x");
        assert_string_equal(v.prerelease, "alpha.1");

        v = parse_ok("0.0.0+001");
        assert_string_equal(v.prerelease, "");

        v = parse_ok("18446744073709551615.0.0");
        assert_true(v.major == UINT64_MAX);

        char buf[64];
        kata_semver_format(&v, buf, sizeof(buf));
        assert_string_equal(buf, "18446744073709551615.0.0");
        v = parse_ok("v1.2.3-rc.1+meta");
        kata_semver_format(&v, buf, sizeof(buf));
        assert_string_equal(buf, "1.2.3-rc.1");
}

static void test_parse_invalid(void **state)
{
        static const struct {
                const char *in;
                int code;
                const char *msg_part;
        } cases[] = {
            {"", EINVAL, "empty"},
            {"2.5", EINVAL, "MAJOR.MINOR.PATCH"},
            {"2", EINVAL, "MAJOR.MINOR.PATCH"},
            {"2.5.", EINVAL, "patch version is not a number"},
            {"2.5.0.1", EINVAL, "unexpected text"},
            {"02.5.0", EINVAL, "leading zero"},
            {"2.05.0", EINVAL, "leading zero"},
            {"2.5.0-", EINVAL, "empty pre-release"},
            {"2.5.0-rc..1", EINVAL, "empty pre-release"},
            {"2.5.0-01", EINVAL, "leading zero"},
            {"2.5.0-rc_1", EINVAL, "invalid character"},
            {"2.5.0+", EINVAL, "empty build"},
            {"2.5.0+a+b", EINVAL, "invalid character"},
            {"vv2.5.0", EINVAL, "not a number"},
            {"V2.5.0", EINVAL, "not a number"},
            {" 2.5.0", EINVAL, "not a number"},
            {"2.5.0 ", EINVAL, "unexpected text"},
            {"latest", EINVAL, "not a number"},
            {"kata-2.9.0", EINVAL, "not a number"},
            {"18446744073709551616.0.0", ERANGE, "too large"},
            {"1.-1.0", EINVAL, "not a number"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct kata_semver v;
                kata_error err = KATA_ERROR_INIT;
                int r = kata_semver_parse(cases[i].in, &v, &err);
                if (r != -cases[i].code || strstr(err.msg, cases[i].msg_part) == NULL)
                        fail_msg("'%s': got %d '%s', expected %d with '%s'", cases[i].in, r,
                                 err.msg, -cases[i].code, cases[i].msg_part);
        }

        char long_pre[300] = "1.0.0-";
        memset(long_pre + 6, 'a', 200);
        struct kata_semver v;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_semver_parse(long_pre, &v, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "too long"));
}

static int cmp(const char *a, const char *b)
{
        struct kata_semver va = parse_ok(a), vb = parse_ok(b);
        return kata_semver_compare(&va, &vb);
}

/* The spec's example chain, plus the cases Kata's tags need. */
static void test_precedence(void **state)
{
        static const char *ascending[] = {
            "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
            "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
            "1.0.0-rc.1",  "1.0.0",         "1.0.1-rc0",
            "1.0.1",       "1.1.0",         "1.10.0",
            "2.0.0-rc1",   "2.0.0",         "10.0.0",
        };
        size_t n = sizeof(ascending) / sizeof(ascending[0]);
        for (size_t i = 0; i < n; i++) {
                for (size_t j = 0; j < n; j++) {
                        int c = cmp(ascending[i], ascending[j]);
                        int want = (i > j) - (i < j);
                        if ((c > 0) - (c < 0) != want)
                                fail_msg("compare(%s, %s) = %d, expected sign %d", ascending[i],
                                         ascending[j], c, want);
                }
        }
        assert_true(cmp("2.5.0-rc1", "2.5.0") < 0);
        assert_true(cmp("2.5.0+build1", "2.5.0+build2") == 0);
        assert_true(cmp("v2.5.0", "2.5.0") == 0);
        /* Alphanumeric identifiers compare in ASCII order, as the spec says. */
        assert_true(cmp("2.5.0-rc10", "2.5.0-rc2") < 0);
        assert_true(cmp("2.5.0-rc.10", "2.5.0-rc.2") > 0);
        /* Numeric identifiers larger than 64 bits still order by value. */
        assert_true(cmp("1.0.0-99999999999999999999999", "1.0.0-100000000000000000000000") < 0);
        assert_true(cmp("1.0.0-1", "1.0.0-a") < 0);
        assert_true(cmp("1.0.0-a-b", "1.0.0-a") > 0);
}

static enum kata_semver_bump bump(const char *current, const char *candidate)
{
        struct kata_semver c = parse_ok(current), n = parse_ok(candidate);
        return kata_semver_classify(&c, &n);
}

static void test_classify(void **state)
{
        assert_int_equal(bump("2.4.1", "2.4.2"), KATA_SEMVER_PATCH);
        assert_int_equal(bump("2.4.1", "2.5.0"), KATA_SEMVER_MINOR);
        assert_int_equal(bump("2.4.1", "3.0.0"), KATA_SEMVER_MAJOR);
        assert_int_equal(bump("2.4.1", "2.4.1"), KATA_SEMVER_NOT_NEWER);
        assert_int_equal(bump("2.4.1", "2.4.0"), KATA_SEMVER_NOT_NEWER);
        assert_int_equal(bump("2.4.1", "1.99.99"), KATA_SEMVER_NOT_NEWER);
        /* rc to final, and rc to a later rc, of the same version: a patch. */
        assert_int_equal(bump("2.5.0-rc1", "2.5.0"), KATA_SEMVER_PATCH);
        assert_int_equal(bump("2.5.0-rc1", "2.5.0-rc2"), KATA_SEMVER_PATCH);
        assert_int_equal(bump("2.5.0", "2.5.0-rc2"), KATA_SEMVER_NOT_NEWER);
        assert_int_equal(bump("2.4.1", "2.5.0-rc1"), KATA_SEMVER_MINOR);
        assert_int_equal(bump("2.5.0-rc1", "3.0.0-alpha0"), KATA_SEMVER_MAJOR);
        assert_int_equal(bump("2.4.1+a", "2.4.1+b"), KATA_SEMVER_NOT_NEWER);

        assert_string_equal(kata_semver_bump_name(KATA_SEMVER_MAJOR), "major");
        assert_string_equal(kata_semver_bump_name(KATA_SEMVER_MINOR), "minor");
        assert_string_equal(kata_semver_bump_name(KATA_SEMVER_PATCH), "patch");
        assert_string_equal(kata_semver_bump_name(KATA_SEMVER_NOT_NEWER), "none");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_valid),
            cmocka_unit_test(test_parse_invalid),
            cmocka_unit_test(test_precedence),
            cmocka_unit_test(test_classify),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
