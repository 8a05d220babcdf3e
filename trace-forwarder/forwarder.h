/* kata-trace-forwarder: accepts framed OTLP spans from many agents (epoll) and relays
 * them to sinks. main.c fills a fwd_config and calls fwd_run. */
#ifndef KATA_FORWARDER_FORWARDER_H
#define KATA_FORWARDER_FORWARDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define FWD_DEFAULT_SOCKET   "/run/kata/trace-forwarder.sock"
#define FWD_HVSOCK_PORT      10240
#define FWD_MAX_LISTENERS    16
#define FWD_MAX_SINKS        8
#define FWD_DEFAULT_OTLP_URL "http://127.0.0.1:4318/v1/traces"

struct fwd_sink_spec {
        const char *name; /* lttng, otlp, jsonl */
        const char *arg;  /* jsonl: output file; NULL: stdout */
};

struct fwd_otlp_config {
        const char *endpoint;
        size_t queue_bytes;   /* bound on batches waiting to be sent */
        size_t batch_bytes;   /* a batch is sent when it reaches this size */
        unsigned batch_ms;    /* ... or this age */
        unsigned max_retries; /* per batch, on 429/502/503/504 and transport errors */
        unsigned backoff_ms;  /* first retry delay, doubled each time */
        unsigned timeout_ms;  /* per request */
};

struct fwd_config {
        const char *socket_paths[FWD_MAX_LISTENERS]; /* hybrid vsock: listen on P_10240 */
        size_t n_socket_paths;
        const char *listen_paths[FWD_MAX_LISTENERS]; /* plain unix sockets */
        size_t n_listen_paths;
        bool vsock;
        uint32_t vsock_cid;
        uint32_t vsock_port;
        uint64_t max_frame;
        struct fwd_sink_spec sinks[FWD_MAX_SINKS];
        size_t n_sinks;
        struct fwd_otlp_config otlp;
        unsigned flush_timeout_ms; /* at SIGTERM/SIGINT: how long sinks may take to drain */
};

void fwd_config_defaults(struct fwd_config *cfg);

/* Runs until SIGTERM/SIGINT (returns 0 after flushing) or a fatal error (negative errno,
 * err set). Counters go to stderr on SIGUSR1 and at exit. */
int fwd_run(const struct fwd_config *cfg, kata_error *err);

#endif
