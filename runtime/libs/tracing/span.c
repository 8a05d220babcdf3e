#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tracing/tracing.h"

int kata_tracing_enabled_flag;

struct kata_span {
        kata_span_record rec;
        kata_span_attr attrs[KATA_SPAN_MAX_ATTRS];
        /* Owned strings; rec points at these or at process-wide defaults. Short names
         * (nearly all) live in name_buf, saving an allocation per span. */
        char name_buf[48];
        char *name; /* heap copy of a longer name, else NULL */
        char *sandbox_id;
        char *container_id;
        char *status_message;
        char *attr_strings[KATA_SPAN_MAX_ATTRS][2]; /* key, string value */
};

struct hook {
        kata_span_hook_fn fn;
        void *ctx;
};

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hook hooks[KATA_TRACING_MAX_HOOKS];
static int n_hooks;
/* Defaults are read without a lock by every kata_span_begin: replaced strings are never
 * freed, so a reader never sees freed memory. They change once or twice per process. */
static const char *default_source = "runtime";
static const char *default_sandbox_id = "";
static const char *default_container_id = "";

void kata_tracing_set_enabled(bool on)
{
        __atomic_store_n(&kata_tracing_enabled_flag, on ? 1 : 0, __ATOMIC_RELAXED);
}

/* Every default string ever set stays on this list (reachable, so not a leak). */
struct default_str {
        struct default_str *next;
        char s[];
};
static struct default_str *default_strs;

static int replace_default(const char **slot, const char *value, kata_error *err)
{
        const char *copy = "";
        if (value && value[0]) {
                size_t n = strlen(value) + 1;
                struct default_str *d = malloc(sizeof(*d) + n);
                if (!d)
                        return kata_error_set(err, ENOMEM, "tracing: out of memory");
                memcpy(d->s, value, n);
                pthread_mutex_lock(&config_lock);
                d->next = default_strs;
                default_strs = d;
                pthread_mutex_unlock(&config_lock);
                copy = d->s;
        }
        __atomic_store_n(slot, copy, __ATOMIC_RELEASE);
        return 0;
}

int kata_tracing_set_source(const char *source, kata_error *err)
{
        return replace_default(&default_source, source, err);
}

int kata_tracing_set_default_ids(const char *sandbox_id, const char *container_id, kata_error *err)
{
        int rc = replace_default(&default_sandbox_id, sandbox_id, err);
        return rc < 0 ? rc : replace_default(&default_container_id, container_id, err);
}

int kata_tracing_add_hook(kata_span_hook_fn fn, void *ctx, kata_error *err)
{
        pthread_mutex_lock(&config_lock);
        int n = __atomic_load_n(&n_hooks, __ATOMIC_ACQUIRE);
        if (n == KATA_TRACING_MAX_HOOKS) {
                pthread_mutex_unlock(&config_lock);
                return kata_error_set(err, ENOSPC, "tracing: more than %d span hooks",
                                      KATA_TRACING_MAX_HOOKS);
        }
        hooks[n].fn = fn;
        hooks[n].ctx = ctx;
        __atomic_store_n(&n_hooks, n + 1, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&config_lock);
        return 0;
}

void kata_tracing_remove_hook(kata_span_hook_fn fn, void *ctx)
{
        /* Callers remove hooks at shutdown, after the threads that end spans are done. */
        pthread_mutex_lock(&config_lock);
        int n = n_hooks;
        for (int i = 0; i < n; i++) {
                if (hooks[i].fn == fn && hooks[i].ctx == ctx) {
                        hooks[i] = hooks[n - 1];
                        __atomic_store_n(&n_hooks, n - 1, __ATOMIC_RELEASE);
                        break;
                }
        }
        pthread_mutex_unlock(&config_lock);
}

static uint64_t realtime_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static kata_span *span_new(const char *name)
{
        kata_span *s = malloc(sizeof(*s));
        if (!s)
                return NULL;
        memset(&s->rec, 0, sizeof(s->rec));
        if (!name)
                name = "";
        size_t len = strlen(name);
        s->name = NULL;
        if (len < sizeof(s->name_buf)) {
                memcpy(s->name_buf, name, len + 1);
                s->rec.name = s->name_buf;
        } else {
                s->name = strdup(name);
                s->rec.name = s->name ? s->name : "";
        }
        s->sandbox_id = s->container_id = s->status_message = NULL;
        s->rec.source = __atomic_load_n(&default_source, __ATOMIC_ACQUIRE);
        s->rec.sandbox_id = __atomic_load_n(&default_sandbox_id, __ATOMIC_ACQUIRE);
        s->rec.container_id = __atomic_load_n(&default_container_id, __ATOMIC_ACQUIRE);
        s->rec.status_message = "";
        s->rec.kind = KATA_SPAN_KIND_INTERNAL;
        s->rec.attrs = s->attrs;
        kata_span_id_generate(s->rec.span_id);
        s->rec.start_ns = realtime_ns();
        return s;
}

kata_span *kata_span_begin_enabled(const char *name, const kata_span *parent)
{
        kata_span *s = span_new(name);
        if (!s)
                return NULL;
        if (parent) {
                memcpy(s->rec.trace_id, parent->rec.trace_id, KATA_TRACE_ID_LEN);
                memcpy(s->rec.parent_span_id, parent->rec.span_id, KATA_SPAN_ID_LEN);
                /* Children inherit the ids their parent was given explicitly. */
                if (parent->sandbox_id)
                        kata_span_set_sandbox_id(s, parent->sandbox_id);
                if (parent->container_id)
                        kata_span_set_container_id(s, parent->container_id);
        } else {
                kata_trace_id_generate(s->rec.trace_id);
        }
        return s;
}

kata_span *kata_span_begin_remote_enabled(const char *name, const kata_span_context *remote_parent)
{
        if (!remote_parent)
                return kata_span_begin_enabled(name, NULL);
        kata_span *s = span_new(name);
        if (!s)
                return NULL;
        memcpy(s->rec.trace_id, remote_parent->trace_id, KATA_TRACE_ID_LEN);
        memcpy(s->rec.parent_span_id, remote_parent->span_id, KATA_SPAN_ID_LEN);
        return s;
}

void kata_span_set_kind(kata_span *span, enum kata_span_kind kind)
{
        if (span)
                span->rec.kind = kind;
}

static void set_owned(char **slot, const char **field, const char *value)
{
        char *copy = strdup(value ? value : "");
        if (!copy)
                return;
        free(*slot);
        *slot = copy;
        *field = copy;
}

void kata_span_set_sandbox_id(kata_span *span, const char *sandbox_id)
{
        if (span)
                set_owned(&span->sandbox_id, &span->rec.sandbox_id, sandbox_id);
}

void kata_span_set_container_id(kata_span *span, const char *container_id)
{
        if (span)
                set_owned(&span->container_id, &span->rec.container_id, container_id);
}

/* Returns the slot for key (an existing one is overwritten), or NULL when full. */
static kata_span_attr *attr_slot(kata_span *span, const char *key)
{
        if (!key)
                return NULL;
        for (size_t i = 0; i < span->rec.n_attrs; i++) {
                if (strcmp(span->attrs[i].key, key) == 0) {
                        free(span->attr_strings[i][1]);
                        span->attr_strings[i][1] = NULL;
                        return &span->attrs[i];
                }
        }
        if (span->rec.n_attrs == KATA_SPAN_MAX_ATTRS)
                return NULL;
        size_t i = span->rec.n_attrs;
        span->attr_strings[i][0] = strdup(key);
        span->attr_strings[i][1] = NULL;
        if (!span->attr_strings[i][0])
                return NULL;
        span->attrs[i].key = span->attr_strings[i][0];
        span->rec.n_attrs++;
        return &span->attrs[i];
}

void kata_span_set_attr_str(kata_span *span, const char *key, const char *value)
{
        if (!span)
                return;
        kata_span_attr *a = attr_slot(span, key);
        if (!a)
                return;
        size_t i = (size_t)(a - span->attrs);
        span->attr_strings[i][1] = strdup(value ? value : "");
        a->type = KATA_ATTR_STRING;
        a->v.s = span->attr_strings[i][1] ? span->attr_strings[i][1] : "";
}

void kata_span_set_attr_int(kata_span *span, const char *key, int64_t value)
{
        kata_span_attr *a = span ? attr_slot(span, key) : NULL;
        if (a) {
                a->type = KATA_ATTR_INT;
                a->v.i = value;
        }
}

void kata_span_set_attr_bool(kata_span *span, const char *key, bool value)
{
        kata_span_attr *a = span ? attr_slot(span, key) : NULL;
        if (a) {
                a->type = KATA_ATTR_BOOL;
                a->v.b = value;
        }
}

void kata_span_set_status(kata_span *span, enum kata_span_status status, const char *message)
{
        if (!span)
                return;
        span->rec.status = status;
        if (message)
                set_owned(&span->status_message, &span->rec.status_message, message);
}

bool kata_span_get_context(const kata_span *span, kata_span_context *out)
{
        if (!span)
                return false;
        memcpy(out->trace_id, span->rec.trace_id, KATA_TRACE_ID_LEN);
        memcpy(out->span_id, span->rec.span_id, KATA_SPAN_ID_LEN);
        out->flags = KATA_TRACE_FLAG_SAMPLED;
        return true;
}

bool kata_span_traceparent(const kata_span *span, char *out)
{
        kata_span_context ctx;
        if (!kata_span_get_context(span, &ctx)) {
                out[0] = '\0';
                return false;
        }
        kata_traceparent_format(&ctx, out);
        return true;
}

void kata_span_end_nonnull(kata_span *span)
{
        span->rec.end_ns = realtime_ns();
        int n = __atomic_load_n(&n_hooks, __ATOMIC_ACQUIRE);
        for (int i = 0; i < n; i++)
                hooks[i].fn(&span->rec, hooks[i].ctx);
        for (size_t i = 0; i < span->rec.n_attrs; i++) {
                free(span->attr_strings[i][0]);
                free(span->attr_strings[i][1]);
        }
        free(span->name);
        free(span->sandbox_id);
        free(span->container_id);
        free(span->status_message);
        free(span);
}
