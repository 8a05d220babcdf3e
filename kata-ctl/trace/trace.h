/* kata-ctl trace: eBPF event streams scoped to one sandbox, container, cgroup or the
 * whole host. One entry per tool (exec.c, cgroup.c, oom.c); scope.c resolves the scope
 * and keeps the tracker map, preflight.c names what the host lacks, output.c prints,
 * session.c runs the event loop and reports lost events.
 *
 * Each entry runs until SIGINT/SIGTERM or opts->duration_s, prints records on opts->out
 * (text or one JSON object per line) and notes on opts->notes, and returns 0 or a negative
 * errno with err filled (-EPERM not root, -ENOENT/-ENOTSUP something missing). */
#ifndef KATA_TRACE_H
#define KATA_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

typedef struct kata_trace_opts {
        const char *state_root; /* NULL: the state library's default (/run/kata) */
        const char *sandbox;    /* exactly one of sandbox, container, cgroup, all */
        const char *container;
        const char *cgroup; /* a cgroup directory (v1 controller hierarchy or cgroup2) */
        bool all;
        const char *controller; /* v1 hierarchy to read tasks' cgroups in; NULL: auto */
        bool json;
        bool time_column;       /* -T: wall-clock HH:MM:SS */
        bool timestamp;         /* -t: seconds since the trace started */
        double duration_s;      /* 0: until a signal */
        unsigned max_args;      /* exec: 0 means the default (32); at most 64 */
        bool failed;            /* exec -x: show failed execs too */
        unsigned ringbuf_bytes; /* ring buffer size, a power of two >= page size; 0: default
                                   (tests make it small to see drops counted) */
        FILE *out;              /* records; NULL: stdout */
        FILE *notes;            /* lost-event counts and notes; NULL: stderr */
        /* Called once everything is attached and seeded (tests and benchmarks wait for
         * it); may be NULL. kata-ctl prints nothing then: readiness is in the log. */
        void (*on_ready)(void *ctx);
        void *ready_ctx;
        /* Embedding (kata-ctl top runs a trace on a thread): leave SIGINT/SIGTERM alone,
         * and stop when *stop becomes nonzero (checked every 100 ms). */
        bool no_signal_handlers;
        volatile int *stop;
} kata_trace_opts;

int kata_trace_exec(const kata_trace_opts *opts, kata_error *err);
int kata_trace_cgroup(const kata_trace_opts *opts, kata_error *err);
int kata_trace_oom(const kata_trace_opts *opts, kata_error *err);

#endif
