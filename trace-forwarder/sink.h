/* A sink receives every valid frame: decoded span by span (span) when it needs the
 * fields, or as the raw validated OTLP bytes (frame) when it can pass them through. */
#ifndef KATA_FORWARDER_SINK_H
#define KATA_FORWARDER_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "forwarder.h"
#include "tracing/record.h"

struct fwd_sink;

struct fwd_sink_ops {
        void (*span)(struct fwd_sink *s, const kata_span_record *rec);
        void (*frame)(struct fwd_sink *s, const uint8_t *payload, size_t len, uint64_t n_spans);
        /* Called about every 100 ms from the epoll loop: time-based flushing. */
        void (*tick)(struct fwd_sink *s);
        /* Writes out everything it holds (within timeout_ms) and releases impl; the
         * counters stay readable. */
        void (*close)(struct fwd_sink *s, unsigned timeout_ms);
};

struct fwd_sink {
        const char *name;
        const struct fwd_sink_ops *ops;
        void *impl;
        uint64_t forwarded; /* atomic */
        uint64_t dropped;   /* atomic */
};

static inline void fwd_sink_count(uint64_t *counter, uint64_t n)
{
        __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static inline uint64_t fwd_sink_read(const uint64_t *counter)
{
        return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/* Creates the sink named by spec. */
int fwd_sink_open(const struct fwd_sink_spec *spec, const struct fwd_config *cfg,
                  struct fwd_sink **out, kata_error *err);
void fwd_sink_free(struct fwd_sink *s);

int fwd_sink_jsonl_open(struct fwd_sink *s, const char *path, kata_error *err);
int fwd_sink_otlp_open(struct fwd_sink *s, const struct fwd_otlp_config *cfg, kata_error *err);
int fwd_sink_lttng_open(struct fwd_sink *s, kata_error *err);

#endif
