/* The agent's ttrpc API: one handler per RPC, grouped by family in rpc_*.c files, all
 * registered by agent_rpc_register(). Handlers take the request's ids as they come from
 * the wire, validate them (INVALID_ARGUMENT), and answer with a status whose message
 * says what was wrong; nothing a client sends can stop the agent. */
#ifndef KATA_AGENT_RPC_H
#define KATA_AGENT_RPC_H

#include <protobuf-c/protobuf-c.h>

#include "agent/agent.h"
#include "protocols/ttrpc.h"

int agent_rpc_register(struct agent *a, kata_ttrpc_server *s, kata_error *err);

/* A status for an error from the agent's own code: EINVAL INVALID_ARGUMENT, ENOENT
 * NOT_FOUND, EEXIST ALREADY_EXISTS, EBUSY FAILED_PRECONDITION, ETIMEDOUT
 * DEADLINE_EXCEEDED, ENOTSUP UNIMPLEMENTED, ECANCELED UNAVAILABLE, others INTERNAL. */
int rpc_fail(kata_ttrpc_status *status, const kata_error *err);

/* A zeroed, initialized message of type desc (every part freed by
 * protobuf_c_message_free_unpacked), or NULL. */
void *rpc_new_message(const ProtobufCMessageDescriptor *desc);
/* strdup that never returns NULL for the caller to check: "" on failure. */
char *rpc_strdup(const char *s);

#define RPC_HANDLER(name)                                                                          \
        int name(void *user, const kata_ttrpc_call_info *info, const ProtobufCMessage *request,    \
                 ProtobufCMessage **response, kata_ttrpc_status *status)

/* rpc_sandbox.c */
RPC_HANDLER(rpc_health_check);
RPC_HANDLER(rpc_health_version);
RPC_HANDLER(rpc_create_sandbox);
RPC_HANDLER(rpc_destroy_sandbox);
RPC_HANDLER(rpc_get_guest_details);
RPC_HANDLER(rpc_get_metrics);
RPC_HANDLER(rpc_get_oom_event);
/* rpc_container.c */
RPC_HANDLER(rpc_create_container);
RPC_HANDLER(rpc_start_container);
RPC_HANDLER(rpc_remove_container);
RPC_HANDLER(rpc_stats_container);
RPC_HANDLER(rpc_update_container);
RPC_HANDLER(rpc_pause_container);
RPC_HANDLER(rpc_resume_container);
/* rpc_process.c */
RPC_HANDLER(rpc_exec_process);
RPC_HANDLER(rpc_signal_process);
RPC_HANDLER(rpc_wait_process);
RPC_HANDLER(rpc_list_processes);
/* rpc_stdio.c */
RPC_HANDLER(rpc_read_stdout);
RPC_HANDLER(rpc_read_stderr);
RPC_HANDLER(rpc_write_stdin);
RPC_HANDLER(rpc_close_stdin);
RPC_HANDLER(rpc_tty_win_resize);

#endif
