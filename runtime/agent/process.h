/* The agent's process bookkeeping: references, exit statuses from the reaper, waiting. */
#ifndef KATA_AGENT_PROCESS_H
#define KATA_AGENT_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "agent/agent.h"

/* A new process record with one reference and no fds. */
struct agent_process *agent_process_new(const char *exec_id);

/* Atomic reference counting (a process may outlive its container's list). */
void agent_process_ref(struct agent_process *p);
void agent_process_unref(struct agent_process *p);

/* Links p into container c (takes over the caller's reference) and records its pid. If
 * the reaper already collected that pid, p is marked exited at once. Under no lock. */
void agent_process_attach(struct agent *a, struct agent_container *c, struct agent_process *p,
                          pid_t pid);

/* Called by the reaper for every child that ended (wait status). Under no lock. */
void agent_process_reaped(struct agent *a, pid_t pid, int wait_status);

/* Blocks until p exited (or the agent stops: -ECANCELED); *exit_code gets its status. */
int agent_process_wait(struct agent *a, struct agent_process *p, int *exit_code);

/* Exit code convention of Kata's WaitProcess: the exit status, or 128 + signal. */
int agent_exit_code_from_wait_status(int wait_status);

/* Reaps every child that ended, until none is left; SIGCHLD, SIGTERM, SIGINT are blocked
 * in every thread and this thread takes them (TERM/INT request a stop). Runs until the
 * agent stops and no child is left to collect. */
void *agent_reaper_thread(void *arg);

#endif
