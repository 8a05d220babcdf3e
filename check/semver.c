/* Semver 2.0.0 parsing and precedence (https://semver.org/#spec-item-11). */
#include "semver.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_ident_char(char c)
{
        return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* Parses one numeric core component at *p, advancing *p past it. */
static int parse_core_number(const char **p, uint64_t *out, const char *what, const char *whole,
                             kata_error *err)
{
        const char *s = *p;
        uint64_t v = 0;

        if (!is_digit(*s))
                return kata_error_set(err, EINVAL, "version '%s': %s is not a number", whole, what);
        if (s[0] == '0' && is_digit(s[1]))
                return kata_error_set(err, EINVAL, "version '%s': %s has a leading zero", whole,
                                      what);
        for (; is_digit(*s); s++) {
                uint64_t d = (uint64_t)(*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return kata_error_set(err, ERANGE, "version '%s': %s is too large", whole,
                                              what);
                v = v * 10 + d;
        }
        *out = v;
        *p = s;
        return 0;
}

/* Validates a dot-separated identifier list of length len at s. Pre-release numeric
 * identifiers may not have leading zeros; build identifiers may. */
static int check_identifiers(const char *s, size_t len, bool prerelease, const char *whole,
                             kata_error *err)
{
        const char *what = prerelease ? "pre-release" : "build metadata";
        size_t start = 0;

        for (size_t i = 0; i <= len; i++) {
                if (i < len && s[i] != '.') {
                        if (!is_ident_char(s[i]))
                                return kata_error_set(err, EINVAL,
                                                      "version '%s': invalid character in %s",
                                                      whole, what);
                        continue;
                }
                size_t n = i - start;
                if (n == 0)
                        return kata_error_set(err, EINVAL, "version '%s': empty %s identifier",
                                              whole, what);
                bool numeric = true;
                for (size_t j = start; j < i; j++)
                        numeric = numeric && is_digit(s[j]);
                if (prerelease && numeric && n > 1 && s[start] == '0')
                        return kata_error_set(
                            err, EINVAL,
                            "version '%s': numeric pre-release identifier has a leading zero",
                            whole);
                start = i + 1;
        }
        return 0;
}

int kata_semver_parse(const char *s, struct kata_semver *out, kata_error *err)
{
        const char *p;
        int r;

        if (s == NULL || *s == '\0')
                return kata_error_set(err, EINVAL, "empty version");
        memset(out, 0, sizeof(*out));
        p = s[0] == 'v' ? s + 1 : s;

        if ((r = parse_core_number(&p, &out->major, "major version", s, err)) < 0)
                return r;
        if (*p++ != '.')
                return kata_error_set(err, EINVAL, "version '%s': expected MAJOR.MINOR.PATCH", s);
        if ((r = parse_core_number(&p, &out->minor, "minor version", s, err)) < 0)
                return r;
        if (*p++ != '.')
                return kata_error_set(err, EINVAL, "version '%s': expected MAJOR.MINOR.PATCH", s);
        if ((r = parse_core_number(&p, &out->patch, "patch version", s, err)) < 0)
                return r;

        if (*p == '-') {
                const char *pre = ++p;
                size_t len = strcspn(pre, "+");
                if ((r = check_identifiers(pre, len, true, s, err)) < 0)
                        return r;
                if (len >= sizeof(out->prerelease))
                        return kata_error_set(err, EINVAL, "version '%s': pre-release too long", s);
                memcpy(out->prerelease, pre, len);
                out->prerelease[len] = '\0';
                p = pre + len;
        }
        if (*p == '+') {
                const char *build = ++p;
                size_t len = strlen(build);
                if ((r = check_identifiers(build, len, false, s, err)) < 0)
                        return r;
                p = build + len;
        }
        if (*p != '\0')
                return kata_error_set(err, EINVAL, "version '%s': unexpected text after %.*s", s,
                                      (int)(p - s), s);
        return 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
        return (a > b) - (a < b);
}

/* Compares two pre-release identifiers (no dots) of lengths an and bn. */
static int compare_identifier(const char *a, size_t an, const char *b, size_t bn)
{
        bool a_num = true, b_num = true;

        for (size_t i = 0; i < an; i++)
                a_num = a_num && is_digit(a[i]);
        for (size_t i = 0; i < bn; i++)
                b_num = b_num && is_digit(b[i]);

        if (a_num && b_num) {
                /* No leading zeros, so a longer number is a larger one; this also
                 * orders numbers that would not fit in 64 bits. */
                if (an != bn)
                        return an < bn ? -1 : 1;
                int c = memcmp(a, b, an);
                return (c > 0) - (c < 0);
        }
        if (a_num != b_num)
                return a_num ? -1 : 1;

        int c = memcmp(a, b, an < bn ? an : bn);
        if (c != 0)
                return (c > 0) - (c < 0);
        return (an > bn) - (an < bn);
}

static int compare_prerelease(const char *a, const char *b)
{
        if (*a == '\0' || *b == '\0')
                return (*a == '\0') - (*b == '\0'); /* a normal release ranks higher */

        for (;;) {
                size_t an = strcspn(a, "."), bn = strcspn(b, ".");
                int c = compare_identifier(a, an, b, bn);
                if (c != 0)
                        return c;
                a += an;
                b += bn;
                if (*a == '\0' || *b == '\0')
                        return (*a != '\0') - (*b != '\0'); /* more identifiers rank higher */
                a++;
                b++;
        }
}

int kata_semver_compare(const struct kata_semver *a, const struct kata_semver *b)
{
        int c;

        if ((c = cmp_u64(a->major, b->major)) != 0)
                return c;
        if ((c = cmp_u64(a->minor, b->minor)) != 0)
                return c;
        if ((c = cmp_u64(a->patch, b->patch)) != 0)
                return c;
        return compare_prerelease(a->prerelease, b->prerelease);
}

enum kata_semver_bump kata_semver_classify(const struct kata_semver *current,
                                           const struct kata_semver *candidate)
{
        if (kata_semver_compare(candidate, current) <= 0)
                return KATA_SEMVER_NOT_NEWER;
        if (candidate->major != current->major)
                return KATA_SEMVER_MAJOR;
        if (candidate->minor != current->minor)
                return KATA_SEMVER_MINOR;
        return KATA_SEMVER_PATCH;
}

const char *kata_semver_bump_name(enum kata_semver_bump bump)
{
        switch (bump) {
        case KATA_SEMVER_MAJOR:
                return "major";
        case KATA_SEMVER_MINOR:
                return "minor";
        case KATA_SEMVER_PATCH:
                return "patch";
        case KATA_SEMVER_NOT_NEWER:
                break;
        }
        return "none";
}

int kata_semver_format(const struct kata_semver *v, char *buf, size_t size)
{
        return snprintf(buf, size, "%llu.%llu.%llu%s%s", (unsigned long long)v->major,
                        (unsigned long long)v->minor, (unsigned long long)v->patch,
                        v->prerelease[0] ? "-" : "", v->prerelease);
}
