/* Relays a process's stdio through the agent's stream RPCs (ReadStdout, ReadStderr,
 * WriteStdin, CloseStdin) and waits for its exit: what `run` and `exec` do after the
 * process starts. Works the same for a local sandbox and a VM. */
#ifndef KATA_RUNTIME_STDIO_RELAY_H
#define KATA_RUNTIME_STDIO_RELAY_H

#include <stdbool.h>

#include "agentclient/agent_client.h"

/* Relays until the process exits and its output is drained; *exit_status gets the
 * status as a shell reports it. stdin is forwarded until EOF (then CloseStdin). With
 * terminal (the process has a pseudo-terminal in the sandbox; stdin must be a terminal
 * here) our terminal is put in raw mode for the duration, restored on every exit path,
 * and its size follows ours (TtyWinResize at start and on SIGWINCH). */
int stdio_relay_and_wait(kata_agent_conn *agent, const char *container_id, const char *exec_id,
                         bool terminal, int *exit_status, kata_error *err);

#endif
