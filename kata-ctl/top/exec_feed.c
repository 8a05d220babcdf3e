/* See exec_feed.h. The trace library prints one JSON record per line on a FILE: ours is
 * an fopencookie stream whose write callback parses the records into the ring. */
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "top/exec_feed.h"
#include "top/top.h"
#include "trace.h"

#define RING_SIZE 1024

enum feed_state { FEED_OFF = 0, FEED_STARTING, FEED_RUNNING, FEED_FAILED };

static struct {
        pthread_mutex_t lock;
        enum feed_state state;
        char why[KATA_OBSERVE_ERROR_MAX];
        char *state_root;
        char scope[KATA_CGROUP_PATH_MAX + 256]; /* cgroup directory traced, "" for all */
        top_exec_event ring[RING_SIZE];
        uint64_t seq; /* events ever added; ring[(seq - 1) % RING_SIZE] is the newest */
        uint64_t applied_seq, applied_ns;
        char line[16384];
        size_t line_len;
} feed = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void add_record(const char *text)
{
        json_object *o = json_tokener_parse(text);
        if (!o)
                return;
        json_object *v;
        if (!json_object_object_get_ex(o, "type", &v) ||
            strcmp(json_object_get_string(v), "exec") != 0) {
                json_object_put(o);
                return;
        }
        top_exec_event e = {0};
        if (json_object_object_get_ex(o, "time_ns", &v))
                e.time_ns = (uint64_t)json_object_get_uint64(v);
        if (json_object_object_get_ex(o, "pid", &v))
                e.pid = json_object_get_int64(v);
        if (json_object_object_get_ex(o, "ns_pid", &v))
                e.ns_pid = json_object_get_int64(v);
        if (json_object_object_get_ex(o, "ret", &v))
                e.ret = json_object_get_int(v);
        if (json_object_object_get_ex(o, "comm", &v))
                snprintf(e.comm, sizeof(e.comm), "%s", json_object_get_string(v));
        if (json_object_object_get_ex(o, "cgroup", &v))
                snprintf(e.cgroup, sizeof(e.cgroup), "%s", json_object_get_string(v));
        if (json_object_object_get_ex(o, "argv", &v) && json_object_is_type(v, json_type_array)) {
                size_t n = 0;
                for (size_t i = 0; i < json_object_array_length(v) && n + 1 < sizeof(e.args); i++) {
                        const char *a = json_object_get_string(json_object_array_get_idx(v, i));
                        n += (size_t)snprintf(e.args + n, sizeof(e.args) - n, "%s%s", i ? " " : "",
                                              a ? a : "");
                }
        }
        json_object_put(o);
        pthread_mutex_lock(&feed.lock);
        feed.ring[feed.seq % RING_SIZE] = e;
        feed.seq++;
        pthread_mutex_unlock(&feed.lock);
}

static ssize_t records_write(void *cookie, const char *buf, size_t size)
{
        (void)cookie;
        for (size_t i = 0; i < size; i++) {
                if (buf[i] == '\n') {
                        feed.line[feed.line_len] = '\0';
                        add_record(feed.line);
                        feed.line_len = 0;
                } else if (feed.line_len + 1 < sizeof(feed.line)) {
                        feed.line[feed.line_len++] = buf[i];
                }
        }
        return (ssize_t)size;
}

static void on_ready(void *ctx)
{
        (void)ctx;
        pthread_mutex_lock(&feed.lock);
        feed.state = FEED_RUNNING;
        feed.applied_ns = kata_now_monotonic_ns();
        pthread_mutex_unlock(&feed.lock);
}

static void *feed_thread(void *arg)
{
        (void)arg;
        cookie_io_functions_t io = {.write = records_write};
        FILE *out = fopencookie(NULL, "w", io);
        FILE *notes = fopen("/dev/null", "w");
        kata_error err = KATA_ERROR_INIT;
        int r = -ENOMEM;
        if (out && notes) {
                setvbuf(out, NULL, _IOLBF, 0);
                kata_trace_opts opts = {.state_root = feed.state_root,
                                        .all = feed.scope[0] == '\0',
                                        .cgroup = feed.scope[0] ? feed.scope : NULL,
                                        .json = true,
                                        .out = out,
                                        .notes = notes,
                                        .on_ready = on_ready,
                                        /* top owns the signals; the trace stops with it
                                         * (and the process's exit detaches the programs) */
                                        .no_signal_handlers = true,
                                        .stop = &top_quit_signal};
                r = kata_trace_exec(&opts, &err);
        }
        pthread_mutex_lock(&feed.lock);
        feed.state = FEED_FAILED;
        snprintf(feed.why, sizeof(feed.why), "exec/s unavailable: %s",
                 r < 0 ? err.msg : "the exec trace stopped");
        pthread_mutex_unlock(&feed.lock);
        if (out)
                fclose(out);
        if (notes)
                fclose(notes);
        return NULL;
}

/* The cgroup directory that holds every sandbox of s (their common parent, on the
 * memory hierarchy on v1), or "" when there is none to narrow the trace to. */
static void common_parent(const kata_observe_snapshot *s, char *out, size_t size)
{
        char parent[KATA_CGROUP_PATH_MAX] = "";
        out[0] = '\0';
        for (size_t i = 0; s && i < s->nsandboxes; i++) {
                const char *cg = s->sandboxes[i].cgroup;
                const char *slash = strrchr(cg, '/');
                if (!cg[0] || !slash || slash == cg)
                        return; /* unknown, or directly under the root: trace everything */
                size_t n = (size_t)(slash - cg);
                if (!parent[0])
                        snprintf(parent, sizeof(parent), "%.*s", (int)n, cg);
                else if (strlen(parent) != n || strncmp(parent, cg, n) != 0)
                        return;
        }
        if (!parent[0])
                return;
        kata_cgroup_layout *layout = NULL;
        if (kata_cgroup_layout_detect(NULL, &layout, NULL) < 0)
                return;
        const char *mount = kata_cgroup_layout_on_v2(layout, KATA_CGROUP_MEMORY)
                                ? kata_cgroup_layout_unified(layout)
                                : kata_cgroup_layout_mount(layout, KATA_CGROUP_MEMORY);
        if (mount)
                snprintf(out, size, "%s%s", mount, parent);
        kata_cgroup_layout_free(layout);
}

void top_exec_feed_start(const char *state_root, const kata_observe_snapshot *first)
{
        pthread_mutex_lock(&feed.lock);
        if (feed.state != FEED_OFF) {
                pthread_mutex_unlock(&feed.lock);
                return;
        }
        feed.state = FEED_STARTING;
        feed.state_root = state_root ? strdup(state_root) : NULL;
        common_parent(first, feed.scope, sizeof(feed.scope));
        pthread_mutex_unlock(&feed.lock);
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int r = pthread_create(&t, &attr, feed_thread, NULL);
        pthread_attr_destroy(&attr);
        if (r != 0) {
                pthread_mutex_lock(&feed.lock);
                feed.state = FEED_FAILED;
                snprintf(feed.why, sizeof(feed.why), "exec/s unavailable: no thread: %s",
                         strerror(r));
                pthread_mutex_unlock(&feed.lock);
        }
}

/* True when the cgroup directory dir is rel_path or lies below it. */
static bool in_cgroup(const char *dir, const char *rel_path)
{
        size_t n = strlen(rel_path);
        if (n == 0)
                return false;
        for (const char *p = strstr(dir, rel_path); p; p = strstr(p + 1, rel_path)) {
                if (p[n] == '\0' || p[n] == '/')
                        return true;
        }
        return false;
}

void top_exec_feed_apply(kata_observe_snapshot *s)
{
        pthread_mutex_lock(&feed.lock);
        if (feed.state != FEED_RUNNING) {
                if (feed.state == FEED_FAILED)
                        snprintf(s->exec_hint, sizeof(s->exec_hint), "%s", feed.why);
                else if (feed.state == FEED_STARTING)
                        snprintf(s->exec_hint, sizeof(s->exec_hint),
                                 "exec/s: starting the eBPF exec trace...");
                pthread_mutex_unlock(&feed.lock);
                return;
        }
        s->exec_hint[0] = '\0';
        uint64_t now = kata_now_monotonic_ns();
        double secs = (double)(now - feed.applied_ns) / 1e9;
        uint64_t first = feed.applied_seq;
        if (feed.seq - first > RING_SIZE)
                first = feed.seq - RING_SIZE; /* older ones were overwritten */
        for (size_t i = 0; i < s->nsandboxes; i++) {
                kata_observe_sandbox *sb = &s->sandboxes[i];
                uint64_t n = 0;
                for (uint64_t q = first; q < feed.seq; q++) {
                        if (in_cgroup(feed.ring[q % RING_SIZE].cgroup, sb->cgroup))
                                n++;
                }
                /* Execs inside a VM never reach the host's tracepoints. */
                sb->exec_rate_valid = sb->cgroup[0] && sb->vmm_pid == 0 && secs > 0;
                sb->exec_per_sec = secs > 0 ? (double)n / secs : 0;
        }
        feed.applied_seq = feed.seq;
        feed.applied_ns = now;
        pthread_mutex_unlock(&feed.lock);
}

size_t top_exec_feed_recent(const char *rel_path, top_exec_event *out, size_t max)
{
        size_t got = 0;
        pthread_mutex_lock(&feed.lock);
        uint64_t oldest = feed.seq > RING_SIZE ? feed.seq - RING_SIZE : 0;
        for (uint64_t q = feed.seq; q > oldest && got < max; q--) {
                const top_exec_event *e = &feed.ring[(q - 1) % RING_SIZE];
                if (in_cgroup(e->cgroup, rel_path))
                        out[got++] = *e;
        }
        pthread_mutex_unlock(&feed.lock);
        return got;
}
