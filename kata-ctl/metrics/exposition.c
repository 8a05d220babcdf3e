#include "metrics/exposition.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LABELS 16

struct metric_sample {
        const char *suffix; /* static: one of suffixes[] */
        char *labels;       /* rendered: name="escaped",... ; "" when none */
        double value;
};

struct kata_metric_family {
        char *name;
        enum kata_metric_type type;
        char *help;
        struct metric_sample *samples;
        size_t nsamples, cap;
};

struct kata_metric_set {
        kata_metric_family **families;
        size_t nfamilies, cap;
};

bool kata_metric_name_is_valid(const char *name)
{
        if (!name || !*name)
                return false;
        for (const char *p = name; *p; p++) {
                char c = *p;
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                          c == ':' || (p != name && c >= '0' && c <= '9');
                if (!ok)
                        return false;
        }
        return true;
}

bool kata_metric_label_name_is_valid(const char *name)
{
        return kata_metric_name_is_valid(name) && !strchr(name, ':');
}

static const char *const type_names[] = {"untyped", "counter", "gauge", "histogram", "summary"};

const char *kata_metric_type_name(enum kata_metric_type t)
{
        return (size_t)t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t] : "untyped";
}

int kata_metric_type_parse(const char *name, enum kata_metric_type *out)
{
        for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
                if (strcmp(name, type_names[i]) == 0) {
                        *out = (enum kata_metric_type)i;
                        return 0;
                }
        }
        return -EINVAL;
}

int kata_metric_set_new(kata_metric_set **out, kata_error *err)
{
        *out = calloc(1, sizeof(**out));
        return *out ? 0 : kata_error_set(err, ENOMEM, "out of memory");
}

static const char *const suffixes[] = {"", "_bucket", "_sum", "_count"};

static void family_free(kata_metric_family *f)
{
        for (size_t i = 0; i < f->nsamples; i++)
                free(f->samples[i].labels);
        free(f->samples);
        free(f->name);
        free(f->help);
        free(f);
}

void kata_metric_set_free(kata_metric_set *set)
{
        if (!set)
                return;
        for (size_t i = 0; i < set->nfamilies; i++)
                family_free(set->families[i]);
        free(set->families);
        free(set);
}

kata_metric_family *kata_metric_family_find(kata_metric_set *set, const char *name)
{
        for (size_t i = 0; i < set->nfamilies; i++) {
                if (strcmp(set->families[i]->name, name) == 0)
                        return set->families[i];
        }
        return NULL;
}

enum kata_metric_type kata_metric_family_type(const kata_metric_family *f)
{
        return f->type;
}

int kata_metric_family_get(kata_metric_set *set, const char *name, enum kata_metric_type type,
                           const char *help, kata_metric_family **out, kata_error *err)
{
        if (!kata_metric_name_is_valid(name))
                return kata_error_set(err, EINVAL, "invalid metric name '%.64s'", name);
        kata_metric_family *f = kata_metric_family_find(set, name);
        if (f) {
                if (f->type != type)
                        return kata_error_set(err, EINVAL, "metric %s: type %s, already %s", name,
                                              kata_metric_type_name(type),
                                              kata_metric_type_name(f->type));
                *out = f;
                return 0;
        }
        if (set->nfamilies == set->cap) {
                size_t cap = set->cap ? set->cap * 2 : 32;
                kata_metric_family **n = realloc(set->families, cap * sizeof(*n));
                if (!n)
                        return kata_error_set(err, ENOMEM, "out of memory");
                set->families = n;
                set->cap = cap;
        }
        f = calloc(1, sizeof(*f));
        if (f) {
                f->name = strdup(name);
                f->help = strdup(help ? help : "");
                f->type = type;
        }
        if (!f || !f->name || !f->help) {
                if (f)
                        family_free(f);
                return kata_error_set(err, ENOMEM, "out of memory");
        }
        set->families[set->nfamilies++] = f;
        *out = f;
        return 0;
}

/* Label values escape backslash, double quote and newline; HELP text escapes backslash
 * and newline. */
static void write_escaped(FILE *s, const char *v, bool quote)
{
        for (; *v; v++) {
                if (*v == '\\')
                        fputs("\\\\", s);
                else if (*v == '\n')
                        fputs("\\n", s);
                else if (quote && *v == '"')
                        fputs("\\\"", s);
                else
                        fputc(*v, s);
        }
}

static size_t escaped_len(const char *v)
{
        size_t n = 0;
        for (; *v; v++)
                n += (*v == '\\' || *v == '\n' || *v == '"') ? 2 : 1;
        return n;
}

static char *put_escaped(char *o, const char *v)
{
        for (; *v; v++) {
                if (*v == '\\' || *v == '"') {
                        *o++ = '\\';
                        *o++ = *v;
                } else if (*v == '\n') {
                        *o++ = '\\';
                        *o++ = 'n';
                } else {
                        *o++ = *v;
                }
        }
        return o;
}

/* Built by hand, not with a stream: a scrape of 100 sandboxes adds some 12000 samples. */
int kata_metric_add(kata_metric_family *f, const char *suffix, const kata_metric_label *labels,
                    size_t nlabels, double value, kata_error *err)
{
        const char *sfx = NULL;
        for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
                if (strcmp(suffix ? suffix : "", suffixes[i]) == 0)
                        sfx = suffixes[i];
        }
        if (!sfx)
                return kata_error_set(err, EINVAL, "metric %s: invalid sample suffix", f->name);
        size_t len = 1;
        for (size_t i = 0; i < nlabels; i++) {
                if (!kata_metric_label_name_is_valid(labels[i].name))
                        return kata_error_set(err, EINVAL, "metric %s: invalid label name '%.64s'",
                                              f->name, labels[i].name ? labels[i].name : "");
                for (size_t j = 0; j < i; j++) {
                        if (strcmp(labels[i].name, labels[j].name) == 0)
                                return kata_error_set(err, EINVAL, "metric %s: label %s repeated",
                                                      f->name, labels[i].name);
                }
                len += strlen(labels[i].name) + 4 +
                       escaped_len(labels[i].value ? labels[i].value : "");
        }
        if (f->nsamples == f->cap) {
                size_t cap = f->cap ? f->cap * 2 : 8;
                struct metric_sample *n = realloc(f->samples, cap * sizeof(*n));
                if (!n)
                        return kata_error_set(err, ENOMEM, "out of memory");
                f->samples = n;
                f->cap = cap;
        }
        char *text = malloc(len);
        if (!text)
                return kata_error_set(err, ENOMEM, "out of memory");
        char *o = text;
        for (size_t i = 0; i < nlabels; i++) {
                if (i)
                        *o++ = ',';
                size_t n = strlen(labels[i].name);
                memcpy(o, labels[i].name, n);
                o += n;
                *o++ = '=';
                *o++ = '"';
                o = put_escaped(o, labels[i].value ? labels[i].value : "");
                *o++ = '"';
        }
        *o = '\0';
        struct metric_sample *sm = &f->samples[f->nsamples++];
        sm->suffix = sfx;
        sm->labels = text;
        sm->value = value;
        return 0;
}

int kata_metric_addv(kata_metric_set *set, const char *name, enum kata_metric_type type,
                     const char *help, double value, kata_error *err, ...)
{
        kata_metric_label labels[MAX_LABELS];
        size_t n = 0;
        va_list ap;
        va_start(ap, err);
        const char *lname;
        while ((lname = va_arg(ap, const char *)) != NULL) {
                const char *lvalue = va_arg(ap, const char *);
                if (n == MAX_LABELS) {
                        va_end(ap);
                        return kata_error_set(err, EINVAL, "metric %s: too many labels", name);
                }
                labels[n].name = lname;
                labels[n].value = lvalue;
                n++;
        }
        va_end(ap);
        kata_metric_family *f;
        int r = kata_metric_family_get(set, name, type, help, &f, err);
        if (r < 0)
                return r;
        return kata_metric_add(f, "", labels, n, value, err);
}

size_t kata_metric_set_nsamples(const kata_metric_set *set)
{
        size_t n = 0;
        for (size_t i = 0; i < set->nfamilies; i++)
                n += set->families[i]->nsamples;
        return n;
}

static void write_value(FILE *s, double v)
{
        if (isnan(v))
                fputs("NaN", s);
        else if (isinf(v))
                fputs(v > 0 ? "+Inf" : "-Inf", s);
        else if (v == floor(v) && fabs(v) < 9007199254740992.0) /* 2^53: exact integers */
                fprintf(s, "%.0f", v);
        else {
                /* The shortest form that reads back as the same double. */
                char buf[32];
                snprintf(buf, sizeof(buf), "%.15g", v);
                if (strtod(buf, NULL) != v)
                        snprintf(buf, sizeof(buf), "%.17g", v);
                fputs(buf, s);
        }
}

int kata_metric_set_render(const kata_metric_set *set, char **out, size_t *len, kata_error *err)
{
        char *text = NULL;
        size_t n = 0;
        FILE *s = open_memstream(&text, &n);
        if (!s)
                return kata_error_errno(err, errno, "open_memstream");
        for (size_t i = 0; i < set->nfamilies; i++) {
                const kata_metric_family *f = set->families[i];
                if (f->nsamples == 0)
                        continue;
                fprintf(s, "# HELP %s ", f->name);
                write_escaped(s, f->help, false);
                fprintf(s, "\n# TYPE %s %s\n", f->name, kata_metric_type_name(f->type));
                for (size_t j = 0; j < f->nsamples; j++) {
                        const struct metric_sample *sm = &f->samples[j];
                        fprintf(s, "%s%s", f->name, sm->suffix);
                        if (sm->labels[0])
                                fprintf(s, "{%s}", sm->labels);
                        fputc(' ', s);
                        write_value(s, sm->value);
                        fputc('\n', s);
                }
        }
        if (fclose(s) != 0) {
                free(text);
                return kata_error_set(err, ENOMEM, "out of memory rendering metrics");
        }
        *out = text;
        if (len)
                *len = n;
        return 0;
}

void kata_metric_histogram_init(kata_metric_histogram *h, const double *bounds, size_t n)
{
        memset(h, 0, sizeof(*h));
        if (n > KATA_METRIC_HISTOGRAM_MAX_BUCKETS)
                n = KATA_METRIC_HISTOGRAM_MAX_BUCKETS;
        memcpy(h->bounds, bounds, n * sizeof(*bounds));
        h->nbuckets = n;
}

void kata_metric_histogram_observe(kata_metric_histogram *h, double value)
{
        for (size_t i = 0; i < h->nbuckets; i++) {
                if (value <= h->bounds[i]) {
                        h->counts[i]++;
                        break;
                }
        }
        h->count++;
        h->sum += value;
}

int kata_metric_histogram_export(kata_metric_set *set, const char *name, const char *help,
                                 const kata_metric_histogram *h, kata_error *err)
{
        kata_metric_family *f;
        int r = kata_metric_family_get(set, name, KATA_METRIC_HISTOGRAM, help, &f, err);
        unsigned long long cumulative = 0;
        char le[64];
        for (size_t i = 0; r == 0 && i <= h->nbuckets; i++) {
                if (i < h->nbuckets) {
                        cumulative += h->counts[i];
                        snprintf(le, sizeof(le), "%g", h->bounds[i]);
                } else {
                        cumulative = h->count;
                        snprintf(le, sizeof(le), "+Inf");
                }
                kata_metric_label l = {"le", le};
                r = kata_metric_add(f, "_bucket", &l, 1, (double)cumulative, err);
        }
        if (r == 0)
                r = kata_metric_add(f, "_sum", NULL, 0, h->sum, err);
        if (r == 0)
                r = kata_metric_add(f, "_count", NULL, 0, (double)h->count, err);
        return r;
}

int kata_metric_set_merge(kata_metric_set *dst, kata_metric_set *src, kata_error *err)
{
        int result = 0;
        for (size_t i = 0; i < src->nfamilies; i++) {
                kata_metric_family *sf = src->families[i];
                if (sf->nsamples == 0)
                        continue;
                kata_metric_family *df;
                kata_error ferr = KATA_ERROR_INIT;
                int r = kata_metric_family_get(dst, sf->name, sf->type, sf->help, &df, &ferr);
                if (r < 0) {
                        if (result == 0) {
                                result = r;
                                if (err)
                                        *err = ferr;
                        }
                        continue;
                }
                if (df->cap - df->nsamples < sf->nsamples) {
                        size_t cap = df->nsamples + sf->nsamples;
                        struct metric_sample *n = realloc(df->samples, cap * sizeof(*n));
                        if (!n)
                                return kata_error_set(err, ENOMEM, "out of memory");
                        df->samples = n;
                        df->cap = cap;
                }
                memcpy(df->samples + df->nsamples, sf->samples,
                       sf->nsamples * sizeof(*sf->samples));
                df->nsamples += sf->nsamples;
                sf->nsamples = 0;
        }
        return result;
}
