/* A host tool's connection to one sandbox's agent (kata-runtime, kata-ctl top, monitor, exec):
 * typed over ttrpc, errors that name the RPC and the agent's status, bounded waits everywhere. */
#ifndef KATA_AGENTCLIENT_AGENT_CLIENT_H
#define KATA_AGENTCLIENT_AGENT_CLIENT_H

#include <protobuf-c/protobuf-c.h>
#include <stdint.h>

#include "common/error.h"
#include "protocols/ttrpc.h"

#define KATA_AGENT_SERVICE  "grpc.AgentService"
#define KATA_HEALTH_SERVICE "grpc.Health"

/* Default bound on one RPC (a dead or wedged agent fails a CLI call within it). */
#define KATA_AGENT_RPC_TIMEOUT_NS (30ull * 1000000000ull)

typedef struct kata_span kata_span;

typedef struct kata_agent_conn {
        kata_ttrpc_client *client;
        /* When tracing is on, each RPC is a client span under this one and carries its
         * W3C traceparent in the request metadata, so the agent's span is its child. */
        const kata_span *trace_parent;
        char address[256];
        uint64_t timeout_ns;
} kata_agent_conn;

/* Connects to the agent at address (transport syntax, e.g. hvsock://DIR/kata.hvsock:1024)
 * within timeout_ms. */
int kata_agent_connect(const char *address, int timeout_ms, kata_agent_conn *conn, kata_error *err);

/* Connects, retrying until timeout_ms while the agent is still starting (no socket yet,
 * refused), then checks grpc.Health/Check (a client span under conn->trace_parent, which
 * the caller may set before the call and which is kept). */
int kata_agent_wait_ready(const char *address, int timeout_ms, kata_agent_conn *conn,
                          kata_error *err);

void kata_agent_close(kata_agent_conn *conn);

/* One AgentService RPC. response_desc NULL means google.protobuf.Empty (nothing returned).
 * timeout_ns 0 uses conn->timeout_ns; UINT64_MAX waits without limit (WaitProcess).
 * Errors read "agent <method>: <STATUS>: <message>". */
int kata_agent_call(kata_agent_conn *conn, const char *method, const ProtobufCMessage *request,
                    const ProtobufCMessageDescriptor *response_desc, uint64_t timeout_ns,
                    ProtobufCMessage **response, kata_error *err);

#endif
