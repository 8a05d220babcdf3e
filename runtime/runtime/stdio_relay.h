/* Relays a process's stdio through the agent's stream RPCs (ReadStdout, ReadStderr,
 * WriteStdin, CloseStdin) and waits for its exit: what `run` and `exec` do after the
 * process starts. Works the same for a local sandbox and a VM. */
#ifndef KATA_RUNTIME_STDIO_RELAY_H
#define KATA_RUNTIME_STDIO_RELAY_H

#include "agentclient/agent_client.h"

/* Relays until the process exits and its output is drained; *exit_status gets the
 * status as a shell reports it. stdin is forwarded until EOF (then CloseStdin). */
int stdio_relay_and_wait(kata_agent_conn *agent, const char *container_id, const char *exec_id,
                         int *exit_status, kata_error *err);

#endif
