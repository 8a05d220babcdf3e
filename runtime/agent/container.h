/* Container lifecycle on the agent's side: create (cgroup, clone, rootfs), start, exec,
 * pause/resume, remove. Every function returns 0 or a negative errno with err set;
 * -EINVAL means the request was wrong (INVALID_ARGUMENT), -ENOENT an unknown id,
 * -EEXIST a duplicate, -EBUSY a wrong state (FAILED_PRECONDITION). */
#ifndef KATA_AGENT_CONTAINER_H
#define KATA_AGENT_CONTAINER_H

#include "agent/agent.h"

/* Takes ownership of spec (freed on failure too). */
int container_create(struct agent *a, const char *id, kata_oci_spec *spec, kata_error *err);
int container_start(struct agent *a, const char *id, kata_error *err);
/* Takes ownership of the contents of *process (cleared). */
int container_exec(struct agent *a, const char *id, const char *exec_id, kata_oci_process *process,
                   kata_error *err);
int container_signal(struct agent *a, const char *id, const char *exec_id, int sig,
                     kata_error *err);
/* Applies new limits to the container's cgroup (UpdateContainer). */
int container_update(struct agent *a, const char *id, const kata_oci_resources *res,
                     kata_error *err);
int container_pause(struct agent *a, const char *id, bool pause, kata_error *err);
/* Kills every process of the container, waits at most timeout_s (0: a default) and
 * deletes its cgroup. */
int container_remove(struct agent *a, const char *id, unsigned timeout_s, kata_error *err);
/* Removes every container (DestroySandbox, shutdown). */
void container_remove_all(struct agent *a);

/* The pid of the container's init, or -ENOENT. */
int container_init_pid(struct agent *a, const char *id, pid_t *pid, kata_error *err);

const char *container_status_name(enum container_status s);

#endif
