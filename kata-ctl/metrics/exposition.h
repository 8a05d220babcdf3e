/* Prometheus text exposition (format 0.0.4): a set of metric families built during one
 * scrape and rendered once. Families keep their first-added order; samples of one family
 * are rendered together under one HELP/TYPE header, whichever sandbox added them, which
 * is what lets the relay merge many agents' outputs into one valid exposition. */
#ifndef KATA_METRICS_EXPOSITION_H
#define KATA_METRICS_EXPOSITION_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

enum kata_metric_type {
        KATA_METRIC_UNTYPED = 0,
        KATA_METRIC_COUNTER,
        KATA_METRIC_GAUGE,
        KATA_METRIC_HISTOGRAM,
        KATA_METRIC_SUMMARY,
};

/* One label; values are stored unescaped and escaped on render. */
typedef struct kata_metric_label {
        const char *name;
        const char *value;
} kata_metric_label;

typedef struct kata_metric_family kata_metric_family;
typedef struct kata_metric_set kata_metric_set;

int kata_metric_set_new(kata_metric_set **out, kata_error *err);
void kata_metric_set_free(kata_metric_set *set);

/* Returns the family called name, adding it when absent. An existing family keeps its
 * type and help; -EINVAL when the name is not a valid metric name or type differs from
 * the existing family's. help NULL means "". */
int kata_metric_family_get(kata_metric_set *set, const char *name, enum kata_metric_type type,
                           const char *help, kata_metric_family **out, kata_error *err);
/* The family called name, or NULL. */
kata_metric_family *kata_metric_family_find(kata_metric_set *set, const char *name);
enum kata_metric_type kata_metric_family_type(const kata_metric_family *f);

/* Adds one sample. suffix is "" for plain samples, "_bucket"/"_sum"/"_count" for
 * histograms and summaries (NULL means ""; anything else: -EINVAL). Label names must be valid label
 * names and may not repeat: -EINVAL. */
int kata_metric_add(kata_metric_family *f, const char *suffix, const kata_metric_label *labels,
                    size_t nlabels, double value, kata_error *err);

/* Shorthand: gets the family and adds one sample with the labels given as
 * name/value pairs, NULL-terminated: kata_metric_addv(set, "x_total", COUNTER, "help", 3,
 * err, "sandbox_id", id, NULL). */
int kata_metric_addv(kata_metric_set *set, const char *name, enum kata_metric_type type,
                     const char *help, double value, kata_error *err, ...)
    __attribute__((sentinel));

size_t kata_metric_set_nsamples(const kata_metric_set *set);

/* Moves every sample of src into dst (families are created in dst as needed; src is left
 * empty). A family whose type differs from dst's family of that name is left in src and
 * reported: -EINVAL after the other families have moved. */
int kata_metric_set_merge(kata_metric_set *dst, kata_metric_set *src, kata_error *err);

/* Renders the set as Prometheus text into a malloc'd NUL-terminated string. */
int kata_metric_set_render(const kata_metric_set *set, char **out, size_t *len, kata_error *err);

/* Name checks of the data model: [a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]*. */
bool kata_metric_name_is_valid(const char *name);
bool kata_metric_label_name_is_valid(const char *name);
const char *kata_metric_type_name(enum kata_metric_type t);
/* Parses "counter", "gauge"... -EINVAL for anything else. */
int kata_metric_type_parse(const char *name, enum kata_metric_type *out);

/* A histogram with fixed buckets, accumulated across scrapes by its owner (not
 * thread-safe: the owner locks). */
#define KATA_METRIC_HISTOGRAM_MAX_BUCKETS 16
typedef struct kata_metric_histogram {
        size_t nbuckets;
        double bounds[KATA_METRIC_HISTOGRAM_MAX_BUCKETS];             /* ascending, +Inf implied */
        unsigned long long counts[KATA_METRIC_HISTOGRAM_MAX_BUCKETS]; /* not cumulative */
        unsigned long long count;
        double sum;
} kata_metric_histogram;

void kata_metric_histogram_init(kata_metric_histogram *h, const double *bounds, size_t n);
void kata_metric_histogram_observe(kata_metric_histogram *h, double value);
/* Adds the histogram's _bucket/_sum/_count samples to the family name. */
int kata_metric_histogram_export(kata_metric_set *set, const char *name, const char *help,
                                 const kata_metric_histogram *h, kata_error *err);

#endif
