/* What the forwarder counts. The epoll thread owns the connection and frame counters;
 * sinks own theirs (atomics: the otlp sink counts from its sender thread). */
#ifndef KATA_FORWARDER_COUNTERS_H
#define KATA_FORWARDER_COUNTERS_H

#include <stdint.h>
#include <stdio.h>

struct fwd_sink;

struct fwd_counters {
        uint64_t connections; /* accepted, in total */
        uint64_t active;      /* open now */
        uint64_t frames;      /* valid frames */
        uint64_t bad_frames;  /* bad length, oversized, truncated, garbage protobuf */
        uint64_t received;    /* spans in valid frames */
        uint64_t bytes;       /* payload bytes of valid frames */
};

/* One line of key=value for the totals, then one line per sink. */
void fwd_counters_print(FILE *out, const struct fwd_counters *c, struct fwd_sink *const *sinks,
                        size_t n_sinks);

#endif
