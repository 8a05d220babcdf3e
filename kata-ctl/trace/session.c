/* The event loop every trace tool shares: poll the ring buffer until a signal or the
 * duration ends, and report lost events whenever their count grows and at the end. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "common/util.h"
#include "internal.h"

#define POLL_MS 100

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
        (void)sig;
        stop_requested = 1;
}

int trace_session_attach(trace_session *s, const char *tool, const kata_trace_opts *opts,
                         trace_scope *scope, struct bpf_object_skeleton *skeleton,
                         struct bpf_map *events, struct bpf_map *drops, struct bpf_map *tracker,
                         int (*on_event)(void *ctx, void *data, size_t size),
                         struct ring_buffer **rb, kata_error *err)
{
        *rb = NULL;
        if (opts->ringbuf_bytes && bpf_map__set_max_entries(events, opts->ringbuf_bytes) != 0)
                return kata_error_set(err, EINVAL,
                                      "ring buffer size %u is not a power of two of at least a "
                                      "page",
                                      opts->ringbuf_bytes);
        int rc = bpf_object__load_skeleton(skeleton);
        if (rc)
                return kata_error_errno(err, -rc,
                                        "loading the %s eBPF programs (run with "
                                        "KATA_LOG_LEVEL=debug for the verifier log)",
                                        tool);
        rc = bpf_object__attach_skeleton(skeleton);
        if (rc)
                return kata_error_errno(err, -rc, "attaching the %s eBPF programs", tool);
        rc = trace_scope_seed(scope, bpf_map__fd(tracker), err);
        if (rc < 0)
                return rc;
        trace_session_init(s, opts, scope, bpf_map__fd(drops));
        *rb = ring_buffer__new(bpf_map__fd(events), on_event, s, NULL);
        if (!*rb)
                return kata_error_errno(err, errno, "creating the ring buffer reader");
        return 0;
}

void trace_session_init(trace_session *s, const kata_trace_opts *opts, trace_scope *scope,
                        int drops_fd)
{
        memset(s, 0, sizeof(*s));
        s->opts = opts;
        s->out = opts->out ? opts->out : stdout;
        s->notes = opts->notes ? opts->notes : stderr;
        s->drops_fd = drops_fd;
        s->scope = scope;
        s->start_mono_ns = kata_now_monotonic_ns();
        s->start_real_ns = kata_now_realtime_ns();
}

static int read_drops(int fd, uint64_t totals[TRACE_DROP_NR])
{
        int ncpu = libbpf_num_possible_cpus();
        if (ncpu <= 0)
                return -EINVAL;
        uint64_t *vals = calloc(ncpu, sizeof(*vals));
        if (!vals)
                return -ENOMEM;
        for (uint32_t slot = 0; slot < TRACE_DROP_NR; slot++) {
                totals[slot] = 0;
                if (bpf_map_lookup_elem(fd, &slot, vals) != 0)
                        continue;
                for (int c = 0; c < ncpu; c++)
                        totals[slot] += vals[c];
        }
        free(vals);
        return 0;
}

void trace_session_report_drops(trace_session *s, bool final)
{
        uint64_t now[TRACE_DROP_NR];
        if (read_drops(s->drops_fd, now) < 0)
                return;
        bool grew = false;
        uint64_t total = 0;
        for (int i = 0; i < TRACE_DROP_NR; i++) {
                grew |= now[i] > s->drops[i];
                total += now[i];
        }
        if (!grew && !final)
                return;
        memcpy(s->drops, now, sizeof(now));
        fprintf(s->notes,
                "%s: %s%" PRIu64 " events lost (ring buffer full: %" PRIu64
                ", execs in flight over the limit: %" PRIu64 ", cgroups over the tracker "
                "limit: %" PRIu64 ")\n",
                TRACE_PROG, final ? "at exit: " : "", total, now[TRACE_DROP_RINGBUF],
                now[TRACE_DROP_PENDING], now[TRACE_DROP_TRACKER]);
        fflush(s->notes);
        if (s->opts->json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "type", json_object_new_string("lost"));
                json_object_object_add(o, "total", json_object_new_uint64(total));
                json_object_object_add(o, "ringbuf",
                                       json_object_new_uint64(now[TRACE_DROP_RINGBUF]));
                json_object_object_add(o, "pending",
                                       json_object_new_uint64(now[TRACE_DROP_PENDING]));
                json_object_object_add(o, "tracker",
                                       json_object_new_uint64(now[TRACE_DROP_TRACKER]));
                json_object_object_add(o, "final", json_object_new_boolean(final));
                trace_json_emit(s, o);
        }
}

int trace_session_run(trace_session *s, void *rb, const char *what, kata_error *err)
{
        stop_requested = 0;
        if (!s->opts->no_signal_handlers) {
                struct sigaction sa = {.sa_handler = on_signal};
                sigemptyset(&sa.sa_mask);
                sigaction(SIGINT, &sa, NULL);
                sigaction(SIGTERM, &sa, NULL);
        }

        fprintf(s->notes, "%s %s: tracing %s%s\n", TRACE_PROG, what, s->scope->description,
                s->opts->duration_s > 0 ? "" : " (Ctrl-C to stop)");
        fflush(s->notes);
        if (s->opts->on_ready)
                s->opts->on_ready(s->opts->ready_ctx);

        uint64_t deadline = 0;
        if (s->opts->duration_s > 0)
                deadline = s->start_mono_ns + (uint64_t)(s->opts->duration_s * 1e9);
        int rc = 0;
        while (!stop_requested && !(s->opts->stop && *s->opts->stop)) {
                int n = ring_buffer__poll(rb, POLL_MS);
                if (n < 0 && n != -EINTR) {
                        rc = kata_error_errno(err, -n, "reading the ring buffer");
                        break;
                }
                fflush(s->out);
                trace_session_report_drops(s, false);
                if (deadline && kata_now_monotonic_ns() >= deadline)
                        break;
        }
        /* What is already in the buffer was seen before the stop: print it. */
        ring_buffer__consume(rb);
        trace_session_report_drops(s, true);
        fflush(s->out);
        return rc;
}
