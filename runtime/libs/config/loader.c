/* Reads configuration.toml: libinih splits sections and keys, a line reader of ours
 * feeds it (so every key knows its line number and section headers are seen even
 * when a section has no keys), and the schema decides what each value must be. */
#include "config/config.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "config/schema.h"

/* Bounds that keep a hostile file cheap to reject. */
#define MAX_SECTIONS 256
#define MAX_WARNINGS 100
#define MAX_JOINS    256

struct seen_section {
        char *name;
        unsigned line;
};

struct parse_ctx {
        const char *name; /* file name in messages */
        const char *data;
        size_t len, pos;
        unsigned line;         /* where the current logical line starts, for messages */
        unsigned phys_line;    /* lines read so far */
        unsigned logical_line; /* lines handed to libinih so far */
        /* Multi-line arrays joined into one logical line. */
        char *joined;
        size_t joined_len;
        unsigned extra_lines;
        struct {
                unsigned logical, extra;
        } joins[MAX_JOINS];
        size_t njoins;
        struct kata_config *cfg;
        kata_error *err;
        bool failed;
        bool warnings_capped;
        /* The section the current line belongs to, as our reader saw its header. */
        enum kata_config_section_kind kind;
        char *section; /* NULL before the first header */
        struct seen_section sections[MAX_SECTIONS];
        size_t nsections;
        /* Line where each schema key was set (0: not yet), to refuse duplicates. */
        unsigned key_line[KATA_SECTION_IGNORED + 1][KATA_CONFIG_MAX_SECTION_KEYS];
};

static void add_warning(struct parse_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_warning(struct parse_ctx *ctx, const char *fmt, ...)
{
        struct kata_config *cfg = ctx->cfg;
        if (ctx->warnings_capped)
                return;
        char *text = NULL;
        if (cfg->warning_count == MAX_WARNINGS) {
                ctx->warnings_capped = true;
                if (asprintf(&text, "%s: more than %d warnings, the rest are not shown", ctx->name,
                             MAX_WARNINGS) < 0)
                        return;
        } else {
                va_list ap;
                va_start(ap, fmt);
                int r = vasprintf(&text, fmt, ap);
                va_end(ap);
                if (r < 0)
                        return;
        }
        char **w = realloc(cfg->warnings, (cfg->warning_count + 1) * sizeof(char *));
        if (!w) {
                free(text);
                return;
        }
        w[cfg->warning_count++] = text;
        cfg->warnings = w;
}

static int fail_at(struct parse_ctx *ctx, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fails the parse with "file:line: what: message". */
static int fail_at(struct parse_ctx *ctx, const char *what, const char *fmt, ...)
{
        char msg[KATA_ERROR_MSG_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        ctx->failed = true;
        return kata_error_set(ctx->err, EINVAL, "%s:%u: %s: %s", ctx->name, ctx->line, what, msg);
}

static char *trim_copy(const char *s, size_t n)
{
        while (n && (*s == ' ' || *s == '\t')) {
                s++;
                n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
                n--;
        return strndup(s, n);
}

static void join_hypervisor_names(char *buf, size_t size)
{
        size_t used = 0;
        buf[0] = '\0';
        for (size_t i = 0; kata_config_hypervisor_names[i]; i++) {
                int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                                 kata_config_hypervisor_names[i]);
                if (n < 0 || (size_t)n >= size - used)
                        return;
                used += (size_t)n;
        }
}

/* A "[name]" line: remember the section, check it is allowed. Returns 0 or fails. */
static int section_header(struct parse_ctx *ctx, const char *line)
{
        char what[64];
        snprintf(what, sizeof(what), "%.60s", line);
        if (line[1] == '[')
                return fail_at(ctx, what, "arrays of tables ([[...]]) are not supported");
        const char *end = strchr(line, ']');
        if (!end)
                return 0; /* libinih reports the syntax error with its line */
        const char *rest = end + 1;
        while (*rest == ' ' || *rest == '\t' || *rest == '\r')
                rest++;
        if (*rest != '\0' && *rest != '#' && *rest != ';')
                return fail_at(ctx, what, "unexpected text after the section header");

        char *name = trim_copy(line + 1, (size_t)(end - line - 1));
        if (!name) {
                ctx->failed = true;
                return kata_error_set(ctx->err, ENOMEM, "out of memory");
        }
        if (name[0] == '\0') {
                free(name);
                return fail_at(ctx, what, "empty section name");
        }
        for (size_t i = 0; i < ctx->nsections; i++) {
                if (strcmp(ctx->sections[i].name, name) == 0) {
                        unsigned first = ctx->sections[i].line;
                        free(name);
                        return fail_at(ctx, what, "section given twice (first on line %u)", first);
                }
        }
        if (ctx->nsections == MAX_SECTIONS) {
                free(name);
                return fail_at(ctx, what, "more than %d sections", MAX_SECTIONS);
        }
        ctx->sections[ctx->nsections].name = name;
        ctx->sections[ctx->nsections].line = ctx->line;
        ctx->nsections++;

        const char *hv = NULL;
        ctx->kind = kata_config_section_kind(name, &hv);
        ctx->section = name;
        struct kata_hypervisor_config *h = &ctx->cfg->hypervisor;
        switch (ctx->kind) {
        case KATA_SECTION_HYPERVISOR:
                if (!kata_config_hypervisor_known(hv)) {
                        char known[256];
                        join_hypervisor_names(known, sizeof(known));
                        return fail_at(ctx, what, "unknown hypervisor '%s' (known: %s)", hv, known);
                }
                if (h->line)
                        return fail_at(ctx, what,
                                       "several hypervisor sections: [hypervisor.%s] (line %u) "
                                       "and [hypervisor.%s]; keep only the one to use",
                                       h->name, h->line, hv);
                char *copy = strdup(hv);
                if (!copy) {
                        ctx->failed = true;
                        return kata_error_set(ctx->err, ENOMEM, "out of memory");
                }
                free(h->name);
                h->name = copy;
                h->line = ctx->line;
                break;
        case KATA_SECTION_UNKNOWN:
                add_warning(ctx, "%s:%u: [%s]: unknown section, its keys are ignored", ctx->name,
                            ctx->line, name);
                break;
        default:
                break;
        }
        return 0;
}

/* Length of line[0..n) without a trailing `#` comment (a `#` outside quotes). */
static size_t without_comment(const char *line, size_t n)
{
        if (n && line[0] == ';')
                return 0;
        char quote = 0;
        for (size_t i = 0; i < n; i++) {
                char c = line[i];
                if (quote) {
                        if (c == '\\' && quote == '"' && i + 1 < n)
                                i++;
                        else if (c == quote)
                                quote = 0;
                } else if (c == '"' || c == '\'') {
                        quote = c;
                } else if (c == '#') {
                        return i;
                }
        }
        return n;
}

/* The next physical line, without leading and trailing blanks (and the BOM). Without
 * leading blanks libinih never takes an indented key for the continuation of the
 * previous value (TOML allows indentation). False at the end or on a NUL byte. */
static bool next_line(struct parse_ctx *ctx, const char **out, size_t *outlen)
{
        if (ctx->failed || ctx->pos >= ctx->len)
                return false;
        const char *start = ctx->data + ctx->pos;
        const char *nl = memchr(start, '\n', ctx->len - ctx->pos);
        size_t n = nl ? (size_t)(nl - start) : ctx->len - ctx->pos;
        ctx->pos += n + (nl ? 1 : 0);
        ctx->phys_line++;
        if (memchr(start, '\0', n)) {
                ctx->line = ctx->phys_line;
                fail_at(ctx, "line", "NUL byte in the file");
                return false;
        }
        if (ctx->phys_line == 1 && n >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
                start += 3;
                n -= 3;
        }
        while (n && (*start == ' ' || *start == '\t')) {
                start++;
                n--;
        }
        while (n && (start[n - 1] == ' ' || start[n - 1] == '\t' || start[n - 1] == '\r'))
                n--;
        *out = start;
        *outlen = n;
        return true;
}

/* Change in `[` nesting over line[0..n), brackets inside strings not counted. */
static int bracket_depth(const char *line, size_t n)
{
        int depth = 0;
        char quote = 0;
        for (size_t i = 0; i < n; i++) {
                char c = line[i];
                if (quote) {
                        if (c == '\\' && quote == '"' && i + 1 < n)
                                i++;
                        else if (c == quote)
                                quote = 0;
                } else if (c == '"' || c == '\'') {
                        quote = c;
                } else if (c == '[') {
                        depth++;
                } else if (c == ']') {
                        depth--;
                }
        }
        return depth;
}

/* An array value that spans several lines is joined into one logical line (comments
 * dropped) so libinih sees `key = [...]`. Returns false when out of memory. */
static bool join_array_lines(struct parse_ctx *ctx, const char *first, size_t n, int depth)
{
        size_t cap = n + 256;
        char *buf = malloc(cap);
        if (!buf)
                return false;
        memcpy(buf, first, n);
        size_t used = n;
        const char *line;
        size_t len;
        unsigned start_line = ctx->phys_line;
        while (depth > 0 && used <= KATA_CONFIG_MAX_LINE && next_line(ctx, &line, &len)) {
                len = without_comment(line, len);
                while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
                        len--;
                if (used + 1 + len + 1 > cap) {
                        cap = used + 1 + len + 256;
                        char *nb = realloc(buf, cap);
                        if (!nb) {
                                free(buf);
                                return false;
                        }
                        buf = nb;
                }
                buf[used++] = ' ';
                memcpy(buf + used, line, len);
                used += len;
                depth += bracket_depth(line, len);
        }
        free(ctx->joined);
        ctx->joined = buf;
        ctx->joined_len = used;
        ctx->extra_lines += ctx->phys_line - start_line;
        if (ctx->njoins < MAX_JOINS) {
                ctx->joins[ctx->njoins].logical = ctx->logical_line;
                ctx->joins[ctx->njoins].extra = ctx->extra_lines;
                ctx->njoins++;
        }
        return true;
}

/* libinih's line source. Stops the parse (returns NULL) once something failed. */
static char *read_line(char *str, int num, void *stream)
{
        struct parse_ctx *ctx = stream;
        const char *start;
        size_t n;
        if (!next_line(ctx, &start, &n))
                return NULL;
        ctx->logical_line++;
        ctx->line = ctx->phys_line;
        if (n && start[0] != '[' && start[0] != '#' && start[0] != ';') {
                size_t code = without_comment(start, n);
                int depth = bracket_depth(start, code);
                if (depth > 0) {
                        if (!join_array_lines(ctx, start, code, depth)) {
                                ctx->failed = true;
                                kata_error_set(ctx->err, ENOMEM, "out of memory");
                                return NULL;
                        }
                        start = ctx->joined;
                        n = ctx->joined_len;
                }
        }
        if (num >= 1 && n > (size_t)num - 1) {
                /* Long comments (Kata's files have some) are dropped, long values refused. */
                n = without_comment(start, n);
                while (n && (start[n - 1] == ' ' || start[n - 1] == '\t'))
                        n--;
        }
        if (num < 1 || n > (size_t)num - 1) {
                fail_at(ctx, "line", "longer than %d characters (comments excepted)", num - 1);
                return NULL;
        }
        memcpy(str, start, n);
        str[n] = '\0';
        if (str[0] == '[' && section_header(ctx, str) < 0)
                return NULL;
        return str;
}

/* The physical line of libinih's logical line number (they differ after joins). */
static unsigned physical_line(const struct parse_ctx *ctx, unsigned logical)
{
        unsigned extra = 0;
        for (size_t i = 0; i < ctx->njoins && ctx->joins[i].logical < logical; i++)
                extra = ctx->joins[i].extra;
        return logical + extra;
}

static int store_value(struct parse_ctx *ctx, const struct kata_config_key *key, void *base,
                       const char *value)
{
        kata_error *err = ctx->err;
        void *field = (char *)base + key->offset;
        int r = 0;
        switch (key->type) {
        case KATA_KEY_STRING:
        case KATA_KEY_PATH:
        case KATA_KEY_CHOICE: {
                char *s = NULL;
                r = kata_toml_parse_string(value, &s, err);
                if (r < 0)
                        break;
                if (key->type == KATA_KEY_PATH && s[0] != '\0' && s[0] != '/') {
                        r = kata_error_set(err, EINVAL, "must be an absolute path, got '%s'", s);
                        free(s);
                        break;
                }
                if (key->type == KATA_KEY_CHOICE) {
                        bool ok = false;
                        char list[256] = "";
                        size_t used = 0;
                        for (size_t i = 0; key->choices[i]; i++) {
                                ok = ok || strcmp(key->choices[i], s) == 0;
                                int n = snprintf(list + used, sizeof(list) - used, "%s%s",
                                                 i ? ", " : "", key->choices[i]);
                                if (n > 0 && (size_t)n < sizeof(list) - used)
                                        used += (size_t)n;
                        }
                        if (!ok) {
                                r = kata_error_set(err, EINVAL, "must be one of %s; got '%s'", list,
                                                   s);
                                free(s);
                                break;
                        }
                }
                char **slot = field;
                free(*slot);
                if (s[0] == '\0' && key->type != KATA_KEY_CHOICE) {
                        free(s);
                        s = NULL;
                }
                *slot = s;
                break;
        }
        case KATA_KEY_BOOL:
                r = kata_toml_parse_boolean(value, (bool *)field, err);
                break;
        case KATA_KEY_U32: {
                int64_t v;
                r = kata_toml_parse_integer(value, &v, err);
                if (r < 0)
                        break;
                if (v < (int64_t)key->min || v > (int64_t)key->max) {
                        r = kata_error_set(err, EINVAL, "must be between %u and %u, got %lld",
                                           key->min, key->max, (long long)v);
                        break;
                }
                *(uint32_t *)field = (uint32_t)v;
                break;
        }
        case KATA_KEY_STRING_LIST: {
                struct kata_string_list list = {0};
                r = kata_toml_parse_string_array(value, &list, err);
                if (r < 0)
                        break;
                struct kata_string_list *slot = field;
                kata_string_list_free(slot);
                *slot = list;
                break;
        }
        case KATA_KEY_IGNORED:
                r = kata_toml_check_value(value, err);
                break;
        }
        return r;
}

static int on_key(void *user, const char *inih_section, const char *name, const char *value)
{
        struct parse_ctx *ctx = user;
        if (ctx->failed)
                return 0;
        if (!ctx->section) {
                add_warning(ctx, "%s:%u: %s: key outside any section, ignored", ctx->name,
                            ctx->line, name);
                return 1;
        }
        if (ctx->kind == KATA_SECTION_IGNORED || ctx->kind == KATA_SECTION_UNKNOWN)
                return 1;
        const struct kata_config_key *key = kata_config_schema_find(ctx->kind, name);
        if (!key) {
                add_warning(ctx, "%s:%u: %s: unknown key in [%s], ignored", ctx->name, ctx->line,
                            name, ctx->section);
                return 1;
        }
        unsigned *first = &ctx->key_line[ctx->kind][kata_config_schema_index(ctx->kind, key)];
        if (*first) {
                fail_at(ctx, name, "set twice in [%s] (first on line %u)", ctx->section, *first);
                return 0;
        }
        *first = ctx->line;
        const char *hv = ctx->cfg->hypervisor.name;
        if (key->only_for && strcmp(key->only_for, hv) != 0) {
                add_warning(ctx, "%s:%u: %s: applies only to [hypervisor.%s], ignored", ctx->name,
                            ctx->line, name, key->only_for);
                return 1;
        }
        void *base = NULL;
        switch (ctx->kind) {
        case KATA_SECTION_HYPERVISOR:
                base = &ctx->cfg->hypervisor;
                break;
        case KATA_SECTION_AGENT:
                base = &ctx->cfg->agent;
                break;
        default:
                base = &ctx->cfg->runtime;
                break;
        }
        if (store_value(ctx, key, base, value) < 0) {
                kata_error_prefix(ctx->err, "%s:%u: %s", ctx->name, ctx->line, name);
                ctx->failed = true;
                return 0;
        }
        return 1;
}

int kata_config_parse_buffer(const char *name, const char *data, size_t len,
                             struct kata_config *out, kata_error *err)
{
        memset(out, 0, sizeof(*out));
        struct kata_config cfg;
        int r = kata_config_init_defaults(&cfg, err);
        if (r < 0)
                return r;
        struct parse_ctx *ctx = calloc(1, sizeof(*ctx));
        if (!ctx) {
                kata_config_free(&cfg);
                return kata_error_set(err, ENOMEM, "out of memory");
        }
        ctx->name = name;
        ctx->data = data;
        ctx->len = len;
        ctx->cfg = &cfg;
        ctx->err = err;

        int line = ini_parse_stream(read_line, ctx, on_key, ctx);
        if (ctx->failed) {
                r = -(err && err->code ? err->code : EINVAL);
        } else if (line == -2) {
                r = kata_error_set(err, ENOMEM, "%s: out of memory", name);
        } else if (line != 0) {
                r = kata_error_set(err, EINVAL,
                                   "%s:%u: syntax error: expected 'key = value', '[section]' or "
                                   "a comment",
                                   name, physical_line(ctx, (unsigned)line));
        } else {
                r = 0;
        }
        for (size_t i = 0; i < ctx->nsections; i++)
                free(ctx->sections[i].name);
        free(ctx->joined);
        free(ctx);
        if (r < 0) {
                kata_config_free(&cfg);
                return r;
        }
        /* An empty state_root means "not set", like any empty path: the default. */
        if (!cfg.runtime.state_root)
                cfg.runtime.state_root = strdup(KATA_CONFIG_DEFAULT_ROOT);
        char *source = strdup(name);
        if (!source || !cfg.runtime.state_root) {
                free(source);
                kata_config_free(&cfg);
                return kata_error_set(err, ENOMEM, "out of memory");
        }
        free(cfg.source);
        cfg.source = source;
        cfg.source_kind = KATA_CONFIG_FROM_BUFFER;
        *out = cfg;
        return 0;
}

static int load_file(const char *path, enum kata_config_source kind, const char *how,
                     struct kata_config *out, kata_error *err)
{
        char *data = NULL;
        size_t len = 0;
        int r = kata_read_file(path, KATA_CONFIG_MAX_SIZE, &data, &len, err);
        if (r < 0)
                return kata_error_prefix(err, "configuration file (%s)", how);
        r = kata_config_parse_buffer(path, data, len, out, err);
        free(data);
        if (r < 0)
                return r;
        out->source_kind = kind;
        return 0;
}

int kata_config_load_from(const char *explicit_path, const char *env_path, const char *system_path,
                          struct kata_config *out, kata_error *err)
{
        memset(out, 0, sizeof(*out));
        if (explicit_path && explicit_path[0])
                return load_file(explicit_path, KATA_CONFIG_FROM_EXPLICIT, "--config", out, err);
        if (env_path && env_path[0])
                return load_file(env_path, KATA_CONFIG_FROM_ENV, "$" KATA_CONFIG_ENV, out, err);
        if (system_path && system_path[0]) {
                struct stat st;
                if (stat(system_path, &st) == 0)
                        return load_file(system_path, KATA_CONFIG_FROM_SYSTEM, "system default",
                                         out, err);
                if (errno != ENOENT)
                        return kata_error_errno(err, errno, "configuration file %s", system_path);
        }
        return kata_config_init_defaults(out, err);
}

int kata_config_load(const char *explicit_path, struct kata_config *out, kata_error *err)
{
        return kata_config_load_from(explicit_path, getenv(KATA_CONFIG_ENV),
                                     KATA_CONFIG_SYSTEM_PATH, out, err);
}
