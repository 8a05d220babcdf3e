/* The agent's span exporter: finished spans go into a bounded queue; a sender thread
 * batches them into frames (frame.h, OTLP protobuf payload) written to a stream socket
 * connected to the host's trace forwarder. It never blocks the thread ending a span:
 * when the queue is full the span is dropped and counted. It reconnects when the
 * forwarder comes back, and flushes on stop. */
#ifndef KATA_TRACING_EXPORTER_H
#define KATA_TRACING_EXPORTER_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "tracing/record.h"

typedef struct kata_exporter kata_exporter;

/* Returns a connected stream fd (blocking or not), or a negative errno with err set. It
 * runs on the sender thread and should not block for long. In a VM the agent connects
 * AF_VSOCK to the host's port 10240; with the local driver to <hvsock>_10240. */
typedef int (*kata_exporter_connect_fn)(void *ctx, kata_error *err);

typedef struct kata_exporter_options {
        const char *source;               /* resource kata.source; default "agent" */
        kata_exporter_connect_fn connect; /* or NULL to connect to unix_path */
        void *connect_ctx;
        const char *unix_path;
        size_t queue_capacity;      /* spans; default 8192 */
        size_t batch_max;           /* spans per frame; default 512 */
        unsigned flush_interval_ms; /* a partial batch waits at most this; default 100 */
        unsigned reconnect_max_ms;  /* backoff cap; default 2000 */
        unsigned send_timeout_ms;   /* a frame not written by then is given up; 2000 */
} kata_exporter_options;

typedef struct kata_exporter_stats {
        uint64_t submitted; /* spans handed to kata_exporter_submit */
        uint64_t sent;      /* spans written in whole frames */
        uint64_t dropped;   /* queue full, or lost with a broken connection or at stop */
        uint64_t frames;
        uint64_t connects; /* successful connections, reconnections included */
        uint64_t queued;   /* in the queue now */
} kata_exporter_stats;

int kata_exporter_start(const kata_exporter_options *opts, kata_exporter **out, kata_error *err);

/* Copies rec into the queue, or drops it when the queue is full. Never blocks on I/O. */
void kata_exporter_submit(kata_exporter *exp, const kata_span_record *rec);

/* A kata_span_hook_fn: register with kata_tracing_add_hook(kata_exporter_hook, exp). */
void kata_exporter_hook(const kata_span_record *rec, void *exp);

void kata_exporter_get_stats(kata_exporter *exp, kata_exporter_stats *out);
uint64_t kata_exporter_dropped(kata_exporter *exp);

/* Waits until everything queued so far is written or timeout_ms passes; 0 or -ETIMEDOUT. */
int kata_exporter_flush(kata_exporter *exp, unsigned timeout_ms);

/* Flushes (at most flush_timeout_ms), stops the thread and frees exp; what is still
 * queued is counted as dropped. NULL is fine. */
void kata_exporter_stop(kata_exporter *exp, unsigned flush_timeout_ms);

#endif
