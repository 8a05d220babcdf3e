/* OOM events: one thread polls every container's OOM notification fd (from the cgroups
 * library) and queues the container id; GetOOMEvent takes from the queue, waiting with
 * no lock held by anyone else, so a pending long poll blocks no other call. */
#ifndef KATA_AGENT_OOM_H
#define KATA_AGENT_OOM_H

#include "agent/agent.h"

int agent_oom_start(struct agent *a, kata_error *err);
/* Wakes waiters and joins the thread. */
void agent_oom_stop(struct agent *a);

/* Starts or stops watching c (its cgroup must exist). Failures are logged: a container
 * without OOM events still runs. */
void agent_oom_watch(struct agent *a, struct agent_container *c);
void agent_oom_unwatch(struct agent *a, struct agent_container *c);

/* Waits for the next OOM event (no limit: until the agent stops, -ECANCELED, or
 * deadline_ns, a kata_now_monotonic_ns() time or 0, passes: -ETIMEDOUT) and copies the
 * container id into id. */
int agent_oom_next(struct agent *a, uint64_t deadline_ns, char *id, size_t size);

#endif
