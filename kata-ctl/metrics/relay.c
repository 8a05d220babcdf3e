#include "metrics/relay.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define MAX_LABELS 16
#define MAX_DECLS  512

struct rename {
        const char *from;
        const char *to;
        enum kata_metric_type type;
};

/* Kata's agent names that break Prometheus conventions, and ours. */
static const struct rename renames[] = {
    {"kata_agent_scrape_count", "kata_agent_scrapes_total", KATA_METRIC_COUNTER},
    {"kata_agent_total_time", "kata_agent_cpu_seconds_total", KATA_METRIC_COUNTER},
    {"kata_agent_total_vm", "kata_agent_virtual_memory_bytes", KATA_METRIC_GAUGE},
    {"kata_agent_total_rss", "kata_agent_resident_memory_bytes", KATA_METRIC_GAUGE},
    {"kata_guest_cpu_time", "kata_guest_cpu_seconds_total", KATA_METRIC_COUNTER},
};

const char *kata_metrics_relay_name(const char *name, enum kata_metric_type *type, char *buf,
                                    size_t size)
{
        for (size_t i = 0; i < KATA_ARRAY_SIZE(renames); i++) {
                if (strcmp(name, renames[i].from) == 0) {
                        *type = renames[i].type;
                        return renames[i].to;
                }
        }
        if (*type == KATA_METRIC_COUNTER && !kata_str_endswith(name, "_total")) {
                snprintf(buf, size, "%s_total", name);
                return buf;
        }
        return name;
}

struct decl {
        char name[128];
        enum kata_metric_type type;
        char help[256];
        bool has_type;
};

struct parser {
        const char *p, *end;
        size_t line;
        kata_error *err;
};

static bool relayed(const char *name)
{
        return kata_str_startswith(name, "kata_agent_") || kata_str_startswith(name, "kata_guest_");
}

static bool is_name_char(char c, bool first)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
               (!first && c >= '0' && c <= '9');
}

static void skip_blanks(const char **p, const char *end)
{
        while (*p < end && (**p == ' ' || **p == '\t'))
                (*p)++;
}

/* Copies a metric or label name at *p into buf; 0 when none or too long. */
static size_t take_name(const char **p, const char *end, char *buf, size_t size)
{
        size_t n = 0;
        while (*p < end && is_name_char(**p, n == 0)) {
                if (n + 1 >= size)
                        return 0;
                buf[n++] = *(*p)++;
        }
        buf[n] = '\0';
        return n;
}

/* Prometheus refuses a whole scrape over one label value that is not UTF-8: one guest
 * must not be able to blind the monitor for every sandbox. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
        for (size_t i = 0; i < n;) {
                unsigned char c = s[i];
                size_t len = c < 0x80           ? 1
                             : (c >> 5) == 0x6  ? 2
                             : (c >> 4) == 0xe  ? 3
                             : (c >> 3) == 0x1e ? 4
                                                : 0;
                if (!len || i + len > n || (len == 2 && c < 0xc2))
                        return false;
                uint32_t cp = len == 1 ? c : c & (0x7f >> len);
                for (size_t k = 1; k < len; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += len;
        }
        return true;
}

static int bad(struct parser *ps, const char *what)
{
        return kata_error_set(ps->err, EINVAL, "agent metrics line %zu: %s", ps->line, what);
}

static struct decl *find_decl(struct decl *decls, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++) {
                if (strcmp(decls[i].name, name) == 0)
                        return &decls[i];
        }
        return NULL;
}

static int parse_comment(struct parser *ps, const char *p, const char *end, struct decl *decls,
                         size_t *ndecls)
{
        p++; /* '#' */
        skip_blanks(&p, end);
        bool help = (size_t)(end - p) > 5 && strncmp(p, "HELP ", 5) == 0;
        bool type = (size_t)(end - p) > 5 && strncmp(p, "TYPE ", 5) == 0;
        if (!help && !type)
                return 0; /* a plain comment */
        p += 5;
        skip_blanks(&p, end);
        char name[128];
        if (!take_name(&p, end, name, sizeof(name)))
                return bad(ps, "HELP/TYPE without a valid metric name");
        if (p < end && *p != ' ' && *p != '\t')
                return bad(ps, "invalid character in a metric name");
        skip_blanks(&p, end);
        struct decl *d = find_decl(decls, *ndecls, name);
        if (!d) {
                if (*ndecls == MAX_DECLS)
                        return bad(ps, "too many metric families");
                d = &decls[(*ndecls)++];
                memset(d, 0, sizeof(*d));
                snprintf(d->name, sizeof(d->name), "%s", name);
        }
        if (type) {
                char tname[16] = "";
                size_t n = (size_t)(end - p);
                while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
                        n--;
                if (n >= sizeof(tname))
                        return bad(ps, "unknown metric type");
                memcpy(tname, p, n);
                tname[n] = '\0';
                if (d->has_type)
                        return bad(ps, "second TYPE line for a metric");
                if (kata_metric_type_parse(tname, &d->type) < 0)
                        return bad(ps, "unknown metric type");
                d->has_type = true;
                return 0;
        }
        size_t o = 0;
        for (; p < end && o + 1 < sizeof(d->help); p++) {
                if (*p == '\\' && p + 1 < end) {
                        p++;
                        d->help[o++] = *p == 'n' ? ' ' : *p;
                } else if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f) {
                        d->help[o++] = *p; /* ASCII only: HELP is decoration, never a reason
                                              to lose a scrape */
                }
        }
        d->help[o] = '\0';
        return 0;
}

static int parse_value(const char *tok, size_t n, double *out)
{
        char buf[64];
        if (n == 0 || n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, tok, n);
        buf[n] = '\0';
        if (strcmp(buf, "+Inf") == 0 || strcmp(buf, "Inf") == 0) {
                *out = INFINITY;
                return 0;
        }
        if (strcmp(buf, "-Inf") == 0) {
                *out = -INFINITY;
                return 0;
        }
        if (strcmp(buf, "NaN") == 0) {
                *out = NAN;
                return 0;
        }
        /* strtod would also take hex, "inf" and "nan(...)": the format has none of them. */
        for (size_t i = 0; i < n; i++) {
                if (!strchr("0123456789+-.eE", buf[i]))
                        return -EINVAL;
        }
        char *e;
        errno = 0;
        *out = strtod(buf, &e);
        return (*e || errno == ERANGE) ? -EINVAL : 0;
}

struct label_buf {
        char names[MAX_LABELS][128];
        char *values[MAX_LABELS];
        size_t n;
};

static void labels_free(struct label_buf *lb)
{
        for (size_t i = 0; i < lb->n; i++)
                free(lb->values[i]);
        lb->n = 0;
}

static int parse_labels(struct parser *ps, const char **pp, const char *end, struct label_buf *lb)
{
        const char *p = *pp + 1; /* past '{' */
        for (;;) {
                skip_blanks(&p, end);
                if (p < end && *p == '}') {
                        p++;
                        break;
                }
                if (lb->n == MAX_LABELS)
                        return bad(ps, "too many labels");
                char *name = lb->names[lb->n];
                if (!take_name(&p, end, name, sizeof(lb->names[0])) || strchr(name, ':'))
                        return bad(ps, "invalid label name");
                skip_blanks(&p, end);
                if (p >= end || *p != '=')
                        return bad(ps, "expected '=' after a label name");
                p++;
                skip_blanks(&p, end);
                if (p >= end || *p != '"')
                        return bad(ps, "expected a quoted label value");
                p++;
                char *v = malloc((size_t)(end - p) + 1);
                if (!v)
                        return kata_error_set(ps->err, ENOMEM, "out of memory");
                size_t o = 0;
                bool closed = false;
                for (; p < end; p++) {
                        if (*p == '"') {
                                closed = true;
                                p++;
                                break;
                        }
                        if (*p == '\\') {
                                if (++p >= end)
                                        break;
                                if (*p == 'n')
                                        v[o++] = '\n';
                                else if (*p == '\\' || *p == '"')
                                        v[o++] = *p;
                                else {
                                        free(v);
                                        return bad(ps, "invalid escape in a label value");
                                }
                        } else {
                                v[o++] = *p;
                        }
                }
                v[o] = '\0';
                if (!closed) {
                        free(v);
                        return bad(ps, "unterminated label value");
                }
                if (!utf8_valid((const unsigned char *)v, o)) {
                        free(v);
                        return bad(ps, "label value is not UTF-8");
                }
                for (size_t i = 0; i < lb->n; i++) {
                        if (strcmp(lb->names[i], name) == 0) {
                                free(v);
                                return bad(ps, "repeated label name");
                        }
                }
                lb->values[lb->n++] = v;
                skip_blanks(&p, end);
                if (p < end && *p == ',') {
                        p++;
                        continue;
                }
                if (p < end && *p == '}') {
                        p++;
                        break;
                }
                return bad(ps, "expected ',' or '}' in labels");
        }
        *pp = p;
        return 0;
}

/* Which declared family a sample name belongs to, and its suffix. */
static struct decl *family_of(struct decl *decls, size_t n, const char *name, const char **suffix)
{
        struct decl *d = find_decl(decls, n, name);
        *suffix = "";
        if (d)
                return d;
        static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
        for (size_t i = 0; i < KATA_ARRAY_SIZE(suffixes); i++) {
                if (!kata_str_endswith(name, suffixes[i]))
                        continue;
                size_t base = strlen(name) - strlen(suffixes[i]);
                for (size_t j = 0; j < n; j++) {
                        if ((decls[j].type == KATA_METRIC_HISTOGRAM ||
                             (decls[j].type == KATA_METRIC_SUMMARY && i > 0)) &&
                            strlen(decls[j].name) == base &&
                            strncmp(decls[j].name, name, base) == 0) {
                                *suffix = suffixes[i];
                                return &decls[j];
                        }
                }
        }
        return NULL;
}

static int parse_sample(struct parser *ps, const char *p, const char *end, struct decl *decls,
                        size_t ndecls, const char *sandbox_id, kata_metric_set *set)
{
        char name[128];
        if (!take_name(&p, end, name, sizeof(name)))
                return bad(ps, "expected a metric name");
        struct label_buf lb = {.n = 0};
        int r = 0;
        if (p < end && *p == '{')
                r = parse_labels(ps, &p, end, &lb);
        if (r == 0 && (p >= end || (*p != ' ' && *p != '\t')))
                r = bad(ps, "expected a value after the metric");
        double value = 0;
        if (r == 0) {
                skip_blanks(&p, end);
                const char *tok = p;
                while (p < end && *p != ' ' && *p != '\t')
                        p++;
                if (parse_value(tok, (size_t)(p - tok), &value) < 0)
                        r = bad(ps, "invalid sample value");
        }
        if (r == 0) {
                /* An optional timestamp (integer milliseconds), dropped: the monitor's
                 * scrape time is what Prometheus should record. */
                skip_blanks(&p, end);
                const char *tok = p;
                while (p < end && (*p == '-' || (*p >= '0' && *p <= '9')))
                        p++;
                skip_blanks(&p, end);
                if (p != end || (tok != p && tok[0] == '-' && p - tok == 1))
                        r = bad(ps, "unexpected text after the value");
        }
        const char *suffix = "";
        struct decl *d = r == 0 ? family_of(decls, ndecls, name, &suffix) : NULL;
        const char *family = d ? d->name : name;
        if (r == 0 && relayed(family)) {
                enum kata_metric_type type = d && d->has_type ? d->type : KATA_METRIC_UNTYPED;
                char renamed[160];
                const char *out_name =
                    kata_metrics_relay_name(family, &type, renamed, sizeof(renamed));
                kata_metric_label labels[MAX_LABELS + 1];
                size_t n = 0;
                labels[n++] = (kata_metric_label){"sandbox_id", sandbox_id};
                for (size_t i = 0; i < lb.n; i++) {
                        if (strcmp(lb.names[i], "sandbox_id") != 0)
                                labels[n++] = (kata_metric_label){lb.names[i], lb.values[i]};
                }
                kata_metric_family *f;
                const char *help = d && d->help[0] ? d->help : "Relayed from the agent.";
                r = kata_metric_family_get(set, out_name, type, help, &f, ps->err);
                if (r == 0)
                        r = kata_metric_add(f, suffix, labels, n, value, ps->err);
                if (r < 0)
                        kata_error_prefix(ps->err, "agent metrics line %zu", ps->line);
        }
        labels_free(&lb);
        return r;
}

int kata_metrics_relay_parse(const char *text, size_t len, const char *sandbox_id,
                             kata_metric_set **out, kata_error *err)
{
        kata_metric_set *set;
        int r = kata_metric_set_new(&set, err);
        if (r < 0)
                return r;
        struct decl *decls = calloc(MAX_DECLS, sizeof(*decls));
        if (!decls) {
                kata_metric_set_free(set);
                return kata_error_set(err, ENOMEM, "out of memory");
        }
        size_t ndecls = 0;
        struct parser ps = {.p = text, .end = text + len, .line = 0, .err = err};
        while (r == 0 && ps.p < ps.end) {
                const char *nl = memchr(ps.p, '\n', (size_t)(ps.end - ps.p));
                const char *line_end = nl ? nl : ps.end;
                ps.line++;
                const char *p = ps.p;
                ps.p = nl ? nl + 1 : ps.end;
                if ((size_t)(line_end - p) > KATA_RELAY_MAX_LINE) {
                        r = bad(&ps, "line too long");
                        break;
                }
                if (memchr(p, '\0', (size_t)(line_end - p))) {
                        r = bad(&ps, "NUL byte");
                        break;
                }
                skip_blanks(&p, line_end);
                if (p == line_end)
                        continue;
                if (*p == '#')
                        r = parse_comment(&ps, p, line_end, decls, &ndecls);
                else
                        r = parse_sample(&ps, p, line_end, decls, ndecls, sandbox_id, set);
                if (r == 0 && kata_metric_set_nsamples(set) > KATA_RELAY_MAX_SAMPLES)
                        r = kata_error_set(err, E2BIG, "agent metrics: more than %d samples",
                                           KATA_RELAY_MAX_SAMPLES);
        }
        free(decls);
        if (r < 0) {
                kata_metric_set_free(set);
                return r;
        }
        *out = set;
        return 0;
}
