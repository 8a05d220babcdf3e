/* kata-agent's shared state: the sandbox (its containers and their processes), guarded
 * by one mutex that is never held across blocking work. Each role has its own file:
 * settings (where configuration comes from), init (pid 1 duties), spawn/rootfs (the
 * container side of clone), container and process (the agent's bookkeeping), oom,
 * metrics, server and rpc_* (the ttrpc API). */
#ifndef KATA_AGENT_AGENT_H
#define KATA_AGENT_AGENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/settings.h"
#include "cgroups/cgroups.h"
#include "common/error.h"
#include "oci/oci.h"

#define AGENT_ID_MAX 128

enum container_status {
        CONTAINER_CREATING,
        CONTAINER_CREATED,
        CONTAINER_RUNNING,
        CONTAINER_PAUSED,
        CONTAINER_STOPPED,
};

struct agent_container;

/* A process the agent started: a container's init (exec_id "") or an exec. Freed when
 * the last reference goes; its stdio fds live as long as it does, so a reader holding a
 * reference never sees its fd reused. */
struct agent_process {
        int refs; /* atomic */
        char exec_id[AGENT_ID_MAX + 1];
        struct agent_container *container; /* not a reference: the container outlives it */
        pid_t pid;
        bool exited;
        int exit_code; /* WEXITSTATUS, or 128 + signal */
        pthread_cond_t exited_cond;
        bool tty;     /* stdin_fd and stdout_fd are a terminal's master; no stderr_fd */
        int stdin_fd; /* agent's end; -1 once closed */
        int stdout_fd;
        int stderr_fd;
        kata_oci_process exec_spec; /* execs only */
        struct agent_process *next; /* in the container's list */
};

struct agent_container {
        int refs; /* under agent.lock */
        char id[AGENT_ID_MAX + 1];
        kata_oci_spec *spec;
        enum container_status status; /* under agent.lock */
        bool removing;                /* under agent.lock */
        /* Serializes state changes of this container (start, pause, exec, remove); only
         * operations on this one container wait for it. */
        pthread_mutex_t op_lock;
        char cgroup_path[KATA_CGROUP_PATH_MAX];
        kata_cgroup *cgroup;
        kata_cgroup_oom *oom;
        int start_fd; /* write end the init waits on until StartContainer; -1 after */
        int sync_fd;  /* read end: the init's errors, EOF once it has exec'd */
        struct agent_process *processes; /* init first, then execs; under agent.lock */
        struct agent_container *next;
};

struct agent {
        struct agent_settings settings;
        bool init_mode;
        uint64_t started_ns;
        pthread_mutex_t lock;
        struct agent_container *containers;
        char sandbox_id[AGENT_ID_MAX + 1];
        bool sandbox_created;

        kata_cgroup_layout *cgroup_layout; /* NULL when no cgroup is mounted */
        kata_cgroup_driver_choice cgroup_driver;

        /* Exit statuses of children nobody claimed yet (a process that ended before
         * its spawner registered it, or a helper). Under lock. */
        struct {
                pid_t pid;
                int exit_code;
        } unclaimed[256];
        size_t n_unclaimed, unclaimed_next;

        struct agent_oom *oom;
        uint64_t scrape_count; /* under lock */
        struct kata_ttrpc_server *server;
        volatile int stopping;
        int exit_code;
};

/* References: get/put under no lock held by the caller (they take agent.lock). */
struct agent_container *agent_container_get(struct agent *a, const char *id);
void agent_container_put(struct agent *a, struct agent_container *c);
struct agent_process *agent_process_get(struct agent *a, const char *container_id,
                                        const char *exec_id, struct agent_container **container);
void agent_process_put(struct agent *a, struct agent_process *p);

/* Checks a container or exec id from the wire: 1..128 of [A-Za-z0-9_.-], not starting
 * with '.' or '-' ("../x", "", "a/b" and longer ids are rejected). */
int agent_check_id(const char *what, const char *id, bool allow_empty, kata_error *err);

/* Requests a stop of the whole agent (DestroySandbox, SIGTERM, fatal error). */
void agent_request_stop(struct agent *a, int exit_code);

/* Runs the agent with these settings until it is told to stop; returns the exit code.
 * In init mode it never returns: it powers off (VM) or exits (pid namespace). */
int agent_run(const struct agent_settings *settings);

#endif
