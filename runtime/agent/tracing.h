/* The agent's spans (agent.trace): one span per RPC, a child of the caller's span when
 * the request carries a W3C traceparent in its metadata, plus children for the costly
 * steps of a container's creation. Finished spans go to the host's trace forwarder
 * through the tracing library's exporter: host port 10240, i.e. AF_VSOCK in a VM and
 * <agent socket>_10240 next to a hybrid vsock or unix socket (local driver). */
#ifndef KATA_AGENT_TRACING_H
#define KATA_AGENT_TRACING_H

#include "agent/agent.h"
#include "tracing/tracing.h"

/* Called before init's mounts: remembers the directory of the listening socket by an fd,
 * so that a /run mounted over it later cannot hide the forwarder's socket. Spans are
 * exported only when settings.trace is on; otherwise this does nothing. */
int agent_tracing_start(struct agent *a, int listen_fd, bool vsock, kata_error *err);
/* Flushes (bounded) and stops the exporter. */
void agent_tracing_stop(void);

/* Spans the exporter sent to the host and dropped (queue full, forwarder gone); false
 * when the agent does not trace. For GetMetrics. */
bool agent_tracing_stats(uint64_t *sent, uint64_t *dropped);

/* The span of the RPC this thread is serving (NULL when tracing is off). */
kata_span *agent_rpc_span(void);
void agent_set_rpc_span(kata_span *span);

#endif
