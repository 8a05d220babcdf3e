/* The kata_trace:span LTTng-UST tracepoint (lttng_emit.c). Only binaries that call these
 * link that object from the kata-tracing archive; the agent (no LTTng session runs in
 * the guest) carries no LTTng code at all. */
#ifndef KATA_TRACING_LTTNG_H
#define KATA_TRACING_LTTNG_H

#include <stdbool.h>

#include "common/error.h"
#include "tracing/record.h"

/* Loads the LTTng-UST provider (libkata-trace-lttng.so) and adds the tracepoint hook.
 * The provider is looked up in $KATA_TRACE_PROVIDER, then next to the executable
 * (<exe dir>/../lib), then by the dynamic loader's search path. Only then does the
 * process load liblttng-ust. */
int kata_tracing_lttng_load(kata_error *err);
bool kata_tracing_lttng_loaded(void);
/* True when an LTTng session currently records kata_trace:span. */
bool kata_tracing_lttng_listening(void);
/* Fires kata_trace:span for rec (no-op until the provider is loaded or when no session
 * listens). Used by the hook and by the forwarder's lttng sink. */
void kata_tracing_lttng_emit(const kata_span_record *rec);

#endif
