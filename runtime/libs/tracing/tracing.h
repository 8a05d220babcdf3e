/* The span API used by the runtime and the agent.
 *
 *   kata_span *s = kata_span_begin("CreateContainer", parent);   // NULL when tracing is off
 *   kata_span_set_attr_str(s, "image", img);
 *   ...
 *   kata_span_set_status(s, KATA_SPAN_STATUS_ERROR, err.msg);
 *   kata_span_end(s);                                             // fires the hooks, frees s
 *
 * Every function accepts a NULL span and does nothing, so callers never test whether
 * tracing is on; when it is off, kata_span_begin is one load and a branch.
 *
 * A finished span becomes a kata_span_record handed to each registered hook: the LTTng
 * tracepoint (lttng.h) and/or the agent's exporter (exporter.h). */
#ifndef KATA_TRACING_TRACING_H
#define KATA_TRACING_TRACING_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "tracing/ids.h"
#include "tracing/lttng.h"
#include "tracing/record.h"

typedef struct kata_span kata_span;

/* Attributes kept per span; further ones are dropped (and counted in the span). */
#define KATA_SPAN_MAX_ATTRS 16

extern int kata_tracing_enabled_flag;

static inline bool kata_tracing_enabled(void)
{
        return __builtin_expect(__atomic_load_n(&kata_tracing_enabled_flag, __ATOMIC_RELAXED), 0);
}

/* Global switch (configuration.toml enable_tracing). Off by default. */
void kata_tracing_set_enabled(bool on);

/* The process's span source ("runtime" or "agent"); copied, default "runtime". */
int kata_tracing_set_source(const char *source, kata_error *err);

/* Ids stamped on every span begun afterwards unless the span sets its own; NULL clears.
 * Copied. Set them before spans start on other threads. */
int kata_tracing_set_default_ids(const char *sandbox_id, const char *container_id, kata_error *err);

/* Finished-span hooks. They run on the thread that ends the span and must not block. */
typedef void (*kata_span_hook_fn)(const kata_span_record *rec, void *ctx);
#define KATA_TRACING_MAX_HOOKS 4
int kata_tracing_add_hook(kata_span_hook_fn fn, void *ctx, kata_error *err);
void kata_tracing_remove_hook(kata_span_hook_fn fn, void *ctx);

kata_span *kata_span_begin_enabled(const char *name, const kata_span *parent);
kata_span *kata_span_begin_remote_enabled(const char *name, const kata_span_context *remote_parent);
void kata_span_end_nonnull(kata_span *span);

/* Starts a span: a child of parent, or a root of a new trace when parent is NULL.
 * Inline so that, tracing off, a span costs a load and a branch and no call. */
static inline kata_span *kata_span_begin(const char *name, const kata_span *parent)
{
        return kata_tracing_enabled() ? kata_span_begin_enabled(name, parent) : NULL;
}

/* Starts a span whose parent lives in another process (from a traceparent). */
static inline kata_span *kata_span_begin_remote(const char *name,
                                                const kata_span_context *remote_parent)
{
        return kata_tracing_enabled() ? kata_span_begin_remote_enabled(name, remote_parent) : NULL;
}

void kata_span_set_kind(kata_span *span, enum kata_span_kind kind);
void kata_span_set_sandbox_id(kata_span *span, const char *sandbox_id);
void kata_span_set_container_id(kata_span *span, const char *container_id);
void kata_span_set_attr_str(kata_span *span, const char *key, const char *value);
void kata_span_set_attr_int(kata_span *span, const char *key, int64_t value);
void kata_span_set_attr_bool(kata_span *span, const char *key, bool value);
void kata_span_set_status(kata_span *span, enum kata_span_status status, const char *message);

/* Ids of a live span, e.g. to put in ttrpc metadata. False for a NULL span. */
bool kata_span_get_context(const kata_span *span, kata_span_context *out);
/* Writes the span's traceparent into out (KATA_TRACEPARENT_LEN + 1 bytes); false for a
 * NULL span (then out is ""). */
bool kata_span_traceparent(const kata_span *span, char *out);

/* Ends the span (end time now), runs the hooks and frees it. */
static inline void kata_span_end(kata_span *span)
{
        if (span)
                kata_span_end_nonnull(span);
}

#endif
