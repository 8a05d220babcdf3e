#include "config/toml_value.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* How much of an offending value an error message quotes. */
#define QUOTE_MAX 24

static const char *skip_blank(const char *p)
{
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

static int fail_near(kata_error *err, const char *what, const char *at)
{
        if (!*at)
                return kata_error_set(err, EINVAL, "%s at the end of the value", what);
        return kata_error_set(err, EINVAL, "%s near '%.*s'", what, QUOTE_MAX, at);
}

/* After a value only blanks and a `#` comment may follow. */
static int expect_end(const char *p, kata_error *err)
{
        p = skip_blank(p);
        if (*p == '\0' || *p == '#')
                return 0;
        return fail_near(err, "unexpected text after the value", p);
}

static int hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
        if (cp < 0x80) {
                out[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char)(0xC0 | (cp >> 6));
                out[1] = (char)(0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char)(0xE0 | (cp >> 12));
                out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[2] = (char)(0x80 | (cp & 0x3F));
                return 3;
        }
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        return 4;
}

static bool is_control(unsigned char c)
{
        return (c < 0x20 && c != '\t') || c == 0x7F;
}

/* Decodes the escape after a backslash at *pp into out; advances *pp past it. */
static int scan_escape(const char **pp, char *out, size_t *outlen, kata_error *err)
{
        const char *p = *pp;
        char c = *p++;
        int digits = 0;
        switch (c) {
        case 'b':
                out[(*outlen)++] = '\b';
                break;
        case 't':
                out[(*outlen)++] = '\t';
                break;
        case 'n':
                out[(*outlen)++] = '\n';
                break;
        case 'f':
                out[(*outlen)++] = '\f';
                break;
        case 'r':
                out[(*outlen)++] = '\r';
                break;
        case '"':
        case '\\':
                out[(*outlen)++] = c;
                break;
        case 'u':
                digits = 4;
                break;
        case 'U':
                digits = 8;
                break;
        case '\0':
                return kata_error_set(err, EINVAL, "unterminated string");
        default:
                return kata_error_set(err, EINVAL, "invalid escape '\\%c' in string", c);
        }
        if (digits) {
                uint32_t cp = 0;
                for (int i = 0; i < digits; i++) {
                        int h = hex_digit(p[i]);
                        if (h < 0)
                                return kata_error_set(
                                    err, EINVAL, "'\\%c' needs %d hex digits in string", c, digits);
                        cp = (cp << 4) | (uint32_t)h;
                }
                p += digits;
                if (cp == 0)
                        return kata_error_set(err, EINVAL, "NUL character (\\%c0...) in string", c);
                if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        return kata_error_set(err, EINVAL,
                                              "'\\%c%0*X' is not a Unicode scalar value", c, digits,
                                              (unsigned)cp);
                *outlen += utf8_encode(cp, out + *outlen);
        }
        *pp = p;
        return 0;
}

/* Scans one quoted string starting at *pp (a quote), stores a malloc'd copy in *out,
 * advances *pp past the closing quote. */
static int scan_string(const char **pp, char **out, kata_error *err)
{
        const char *p = *pp;
        char quote = *p;
        if (quote != '"' && quote != '\'')
                return fail_near(err, "expected a quoted string", p);
        if (p[1] == quote && p[2] == quote)
                return kata_error_set(err, EINVAL, "multi-line strings are not supported");
        p++;
        /* Escapes never expand: \uXXXX (6 bytes) becomes at most 3, \UXXXXXXXX at most 4. */
        char *buf = malloc(strlen(p) + 1);
        if (!buf)
                return kata_error_set(err, ENOMEM, "out of memory");
        size_t n = 0;
        for (;;) {
                unsigned char c = (unsigned char)*p;
                if (c == '\0') {
                        free(buf);
                        return kata_error_set(err, EINVAL, "unterminated string");
                }
                if (c == (unsigned char)quote) {
                        p++;
                        break;
                }
                if (is_control(c)) {
                        free(buf);
                        return kata_error_set(
                            err, EINVAL, "control character 0x%02X in string (use an escape)", c);
                }
                if (c == '\\' && quote == '"') {
                        p++;
                        int r = scan_escape(&p, buf, &n, err);
                        if (r < 0) {
                                free(buf);
                                return r;
                        }
                        continue;
                }
                buf[n++] = (char)c;
                p++;
        }
        buf[n] = '\0';
        *out = buf;
        *pp = p;
        return 0;
}

int kata_toml_parse_string(const char *text, char **out, kata_error *err)
{
        const char *p = skip_blank(text);
        if (*p == '\0' || *p == '#')
                return kata_error_set(err, EINVAL, "missing value (expected a quoted string)");
        char *s = NULL;
        int r = scan_string(&p, &s, err);
        if (r < 0)
                return r;
        r = expect_end(p, err);
        if (r < 0) {
                free(s);
                return r;
        }
        *out = s;
        return 0;
}

int kata_toml_parse_integer(const char *text, int64_t *out, kata_error *err)
{
        const char *p = skip_blank(text);
        const char *start = p;
        if (*p == '\0' || *p == '#')
                return kata_error_set(err, EINVAL, "missing value (expected an integer)");
        bool negative = false;
        if (*p == '+' || *p == '-')
                negative = *p++ == '-';
        if (!isdigit((unsigned char)*p))
                return fail_near(err, "expected an integer", start);
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o' || p[1] == 'b'))
                return fail_near(err, "only decimal integers are supported", start);
        if (p[0] == '0' && (isdigit((unsigned char)p[1]) || p[1] == '_'))
                return fail_near(err, "leading zeros are not allowed in integers", start);
        /* Accumulate as a negative number so INT64_MIN fits. */
        int64_t value = 0;
        for (;;) {
                if (isdigit((unsigned char)*p)) {
                        int d = *p - '0';
                        if (value < (INT64_MIN + d) / 10)
                                return fail_near(err, "integer out of range", start);
                        value = value * 10 - d;
                        p++;
                } else if (*p == '_' && isdigit((unsigned char)p[1]) &&
                           isdigit((unsigned char)p[-1])) {
                        p++;
                } else {
                        break;
                }
        }
        if (*p == '.' || *p == 'e' || *p == 'E')
                return fail_near(err, "expected an integer, not a float", start);
        if (*p == '_')
                return fail_near(err, "'_' must be between digits", start);
        int r = expect_end(p, err);
        if (r < 0)
                return r;
        if (!negative) {
                if (value == INT64_MIN)
                        return fail_near(err, "integer out of range", start);
                value = -value;
        }
        *out = value;
        return 0;
}

int kata_toml_parse_boolean(const char *text, bool *out, kata_error *err)
{
        const char *p = skip_blank(text);
        if (*p == '\0' || *p == '#')
                return kata_error_set(err, EINVAL, "missing value (expected true or false)");
        bool value;
        if (strncmp(p, "true", 4) == 0) {
                value = true;
                p += 4;
        } else if (strncmp(p, "false", 5) == 0) {
                value = false;
                p += 5;
        } else {
                return fail_near(err, "expected true or false", p);
        }
        if (*p != '\0' && *p != ' ' && *p != '\t' && *p != '#')
                return fail_near(err, "expected true or false", skip_blank(text));
        int r = expect_end(p, err);
        if (r < 0)
                return r;
        *out = value;
        return 0;
}

void kata_string_list_free(struct kata_string_list *list)
{
        if (!list)
                return;
        for (size_t i = 0; i < list->count; i++)
                free(list->items[i]);
        free(list->items);
        list->items = NULL;
        list->count = 0;
}

int kata_string_list_copy(const struct kata_string_list *src, struct kata_string_list *dst)
{
        dst->items = NULL;
        dst->count = 0;
        if (src->count == 0)
                return 0;
        dst->items = calloc(src->count, sizeof(char *));
        if (!dst->items)
                return -ENOMEM;
        for (size_t i = 0; i < src->count; i++) {
                dst->items[i] = strdup(src->items[i]);
                if (!dst->items[i]) {
                        dst->count = i;
                        kata_string_list_free(dst);
                        return -ENOMEM;
                }
        }
        dst->count = src->count;
        return 0;
}

static int list_append(struct kata_string_list *list, char *item, kata_error *err)
{
        char **items = realloc(list->items, (list->count + 1) * sizeof(char *));
        if (!items) {
                free(item);
                return kata_error_set(err, ENOMEM, "out of memory");
        }
        items[list->count++] = item;
        list->items = items;
        return 0;
}

int kata_toml_parse_string_array(const char *text, struct kata_string_list *out, kata_error *err)
{
        const char *p = skip_blank(text);
        if (*p == '\0' || *p == '#')
                return kata_error_set(err, EINVAL, "missing value (expected an array of strings)");
        if (*p != '[')
                return fail_near(err, "expected an array of strings like [\"a\", \"b\"]", p);
        p = skip_blank(p + 1);
        struct kata_string_list list = {0};
        int r = 0;
        while (*p != ']') {
                if (*p == '\0' || *p == '#') {
                        r = kata_error_set(err, EINVAL, "unterminated array");
                        goto fail;
                }
                if (*p != '"' && *p != '\'') {
                        r = kata_error_set(err, EINVAL,
                                           "array element %zu: expected a quoted string near "
                                           "'%.*s'",
                                           list.count + 1, QUOTE_MAX, p);
                        goto fail;
                }
                char *item = NULL;
                r = scan_string(&p, &item, err);
                if (r < 0) {
                        kata_error_prefix(err, "array element %zu", list.count + 1);
                        goto fail;
                }
                r = list_append(&list, item, err);
                if (r < 0)
                        goto fail;
                p = skip_blank(p);
                if (*p == ',') {
                        p = skip_blank(p + 1);
                } else if (*p == '\0' || *p == '#') {
                        continue; /* reported as unterminated at the top of the loop */
                } else if (*p != ']') {
                        r = fail_near(err, "expected ',' or ']' in array", p);
                        goto fail;
                }
        }
        r = expect_end(p + 1, err);
        if (r < 0)
                goto fail;
        *out = list;
        return 0;
fail:
        kata_string_list_free(&list);
        return r;
}

int kata_toml_check_value(const char *text, kata_error *err)
{
        const char *p = skip_blank(text);
        if (*p == '"' || *p == '\'') {
                char *s = NULL;
                int r = kata_toml_parse_string(text, &s, err);
                free(s);
                return r;
        }
        if (*p == '[') {
                struct kata_string_list l = {0};
                int r = kata_toml_parse_string_array(text, &l, err);
                kata_string_list_free(&l);
                return r;
        }
        if (*p == 't' || *p == 'f') {
                bool b;
                return kata_toml_parse_boolean(text, &b, err);
        }
        if (*p == '\0' || *p == '#')
                return kata_error_set(err, EINVAL, "missing value");
        if (*p != '+' && *p != '-' && (*p < '0' || *p > '9'))
                return fail_near(err,
                                 "expected a quoted string, an integer, true, false or an "
                                 "array of strings",
                                 p);
        int64_t i;
        return kata_toml_parse_integer(text, &i, err);
}
