/* The kata_trace tracepoint provider, built as its own shared object
 * (libkata-trace-lttng.so) that links liblttng-ust. Processes dlopen it only when tracing
 * is on (kata_tracing_lttng_load), so the others never load liblttng-ust and its threads. */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "tracing/kata_trace_tp.h"
