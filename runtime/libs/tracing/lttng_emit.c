/* Tracepoint call site for kata_trace:span with dynamic provider linkage: the probes live
 * in libkata-trace-lttng.so, loaded on demand. Until then (and whenever no LTTng session
 * enables the event) a call costs one load and a branch. */
#define LTTNG_UST_TRACEPOINT_DEFINE
#define LTTNG_UST_TRACEPOINT_PROBE_DYNAMIC_LINKAGE
#include "tracing/kata_trace_tp.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracing/ids.h"
#include "tracing/lttng.h"
#include "tracing/tracing.h"

#define PROVIDER_SONAME "libkata-trace-lttng.so"

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static void *provider_handle;

void kata_tracing_lttng_emit(const kata_span_record *rec)
{
        if (!lttng_ust_tracepoint_enabled(kata_trace, span))
                return;
        char trace[2 * KATA_TRACE_ID_LEN + 1], span[2 * KATA_SPAN_ID_LEN + 1],
            parent[2 * KATA_SPAN_ID_LEN + 1] = "";
        kata_hex_encode(rec->trace_id, KATA_TRACE_ID_LEN, trace);
        kata_hex_encode(rec->span_id, KATA_SPAN_ID_LEN, span);
        if (!kata_span_record_is_root(rec))
                kata_hex_encode(rec->parent_span_id, KATA_SPAN_ID_LEN, parent);
        kata_strbuf attrs = {.data = NULL};
        const char *attrs_json = "{}";
        if (rec->n_attrs) {
                if (kata_span_attrs_json(rec, &attrs) == 0)
                        attrs_json = attrs.data;
        }
        struct kata_trace_tp_span tp = {
            .trace_id = trace,
            .span_id = span,
            .parent_span_id = parent,
            .name = rec->name ? rec->name : "",
            .source = rec->source ? rec->source : "",
            .sandbox_id = rec->sandbox_id ? rec->sandbox_id : "",
            .container_id = rec->container_id ? rec->container_id : "",
            .start_ns = rec->start_ns,
            .end_ns = rec->end_ns,
            .status = kata_span_status_name(rec->status),
            .attributes = attrs_json,
        };
        lttng_ust_do_tracepoint(kata_trace, span, &tp);
        kata_strbuf_free(&attrs);
}

bool kata_tracing_lttng_listening(void)
{
        return lttng_ust_tracepoint_enabled(kata_trace, span);
}

static void lttng_hook(const kata_span_record *rec, void *ctx)
{
        kata_tracing_lttng_emit(rec);
}

static void *open_provider(kata_error *err)
{
        const char *env = getenv("KATA_TRACE_PROVIDER");
        if (env && env[0]) {
                void *h = dlopen(env, RTLD_NOW);
                if (!h)
                        kata_error_set(err, ENOENT, "loading LTTng provider %s: %s", env,
                                       dlerror());
                return h;
        }
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n > 0) {
                exe[n] = '\0';
                char *slash = strrchr(exe, '/');
                if (slash) {
                        *slash = '\0';
                        char path[PATH_MAX + 64];
                        snprintf(path, sizeof(path), "%s/../lib/%s", exe, PROVIDER_SONAME);
                        if (access(path, R_OK) == 0) {
                                void *h = dlopen(path, RTLD_NOW);
                                if (h)
                                        return h;
                        }
                }
        }
        void *h = dlopen(PROVIDER_SONAME, RTLD_NOW);
        if (!h)
                kata_error_set(err, ENOENT,
                               "loading LTTng provider %s (set KATA_TRACE_PROVIDER): %s",
                               PROVIDER_SONAME, dlerror());
        return h;
}

int kata_tracing_lttng_load(kata_error *err)
{
        pthread_mutex_lock(&load_lock);
        int rc = 0;
        if (!provider_handle) {
                provider_handle = open_provider(err);
                if (!provider_handle)
                        rc = -ENOENT;
                else
                        rc = kata_tracing_add_hook(lttng_hook, NULL, err);
        }
        pthread_mutex_unlock(&load_lock);
        return rc;
}

bool kata_tracing_lttng_loaded(void)
{
        pthread_mutex_lock(&load_lock);
        bool loaded = provider_handle != NULL;
        pthread_mutex_unlock(&load_lock);
        return loaded;
}
