/* The debug console (`agent.debug_console`): a shell on a connection to port 1026
 * (agent.debug_console_vport), in the sandbox's namespaces, for `kata-ctl exec`. On
 * hybrid vsock the connection arrives on the agent's own socket and the accept hook hands
 * it over; in a VM the agent listens on vsock for it. Off unless asked for. */
#ifndef KATA_AGENT_DEBUG_CONSOLE_H
#define KATA_AGENT_DEBUG_CONSOLE_H

#include "agent/agent.h"

/* Forks a session process for the connection fd, at once (it never waits for the
 * client): a client's request line (runtime/libs/console/protocol.h) gets a shell on a
 * pseudo-terminal or one command with its exit status; any other client gets /bin/sh
 * with fd as its stdin, stdout and stderr. The caller keeps and closes its own fd. */
int agent_debug_console_spawn(int fd, kata_error *err);

/* In a VM (vsock listener): listens on vsock port vport and serves consoles from a
 * thread. */
int agent_debug_console_listen_vsock(struct agent *a, uint32_t vport, kata_error *err);

#endif
