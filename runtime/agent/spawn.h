/* Starting container processes, like runc's create/start split.
 *
 * The agent is multithreaded, so the code that runs in a cloned child allocates nothing:
 * everything it needs (paths, mount flags, argv, envp) is prepared by the parent in a
 * spawn_plan before the clone, and the child only makes system calls.
 *
 * A container's init is cloned straight into its new namespaces. It waits for the parent
 * to place it in the container's cgroup, builds the rootfs (rootfs.c), reports "ready"
 * on the sync pipe, then blocks on the start pipe until StartContainer; the sync pipe is
 * close-on-exec, so EOF tells the parent that execve succeeded, and a message tells why
 * it did not.
 *
 * An exec joins the namespaces of the container's init: a helper is cloned, placed in the
 * cgroup, calls setns() on the namespace fds the parent opened, and clones the process
 * itself with CLONE_PARENT (a pid namespace is entered only by children), so the agent
 * reaps it directly. The helper sends the process's pid and exits. */
#ifndef KATA_AGENT_SPAWN_H
#define KATA_AGENT_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "oci/oci.h"

#define SPAWN_MSG_MAX 480

enum spawn_msg_kind { SPAWN_MSG_READY = 1, SPAWN_MSG_PID, SPAWN_MSG_ERROR };

/* What a child writes on the sync pipe. */
struct spawn_msg {
        int32_t kind;
        int32_t err;
        int32_t pid;
        char text[SPAWN_MSG_MAX];
};

struct spawn_mount {
        char target[4096]; /* inside the rootfs, before pivot_root */
        const char *source;
        const char *type;
        unsigned long flags;
        unsigned long propagation;
        char *data;
        bool bind;
};

#define SPAWN_MAX_NS 7

struct spawn_plan {
        /* process */
        const kata_oci_process *process;
        char *const *envp;
        char path_env[4096]; /* PATH used to find args[0] */

        /* init only */
        int clone_flags; /* CLONE_NEW* to create */
        bool new_cgroup_ns;
        const char *hostname;
        char rootfs[4096];
        bool rootfs_readonly;
        struct spawn_mount *mounts;
        size_t n_mounts;
        char *const *masked_paths;
        char *const *readonly_paths;

        /* exec only: namespaces of the init to join, fds opened by the parent */
        int ns_fds[SPAWN_MAX_NS];
        int ns_types[SPAWN_MAX_NS];
        size_t n_ns;
};

/* Fills plan's init part from a container spec (rootfs resolved to an absolute path).
 * Validates what can be checked before cloning (terminal, user namespaces...). */
int spawn_plan_init(struct spawn_plan *plan, const kata_oci_spec *spec, const char *container_id,
                    kata_error *err);
/* Fills the process part (shared by init and exec). */
int spawn_plan_process(struct spawn_plan *plan, const kata_oci_process *process, kata_error *err);
void spawn_plan_release(struct spawn_plan *plan);

/* Pipes, or a pseudo-terminal when process.terminal is set (then parent[0] and parent[1]
 * are the master, parent[2] is -1, and every child end is the slave). */
struct spawn_stdio {
        int child[3];  /* stdin read end, stdout/stderr write ends */
        int parent[3]; /* stdin write end, stdout/stderr read ends */
        bool tty;
};
int spawn_stdio_open(struct spawn_stdio *io, const kata_oci_process *p, kata_error *err);
void spawn_stdio_close_child(struct spawn_stdio *io);
void spawn_stdio_close_all(struct spawn_stdio *io);

/* Clones a container's init. Returns its pid; *sync_fd is the read end of its sync
 * pipe, *go_fd the pipe on which the parent writes 'g' (cgroup joined: set up) and later
 * 's' (start: exec). */
pid_t spawn_init(const struct spawn_plan *plan, struct spawn_stdio *io, int *sync_fd, int *go_fd,
                 kata_error *err);

/* Clones the exec helper. Returns its pid; the parent joins it to the cgroup, writes 'g'
 * on *go_fd, and reads the exec'd process's pid from *sync_fd. */
pid_t spawn_exec(const struct spawn_plan *plan, struct spawn_stdio *io, int *sync_fd, int *go_fd,
                 kata_error *err);

/* Reads one message from a sync pipe within timeout_ms: 0 with *msg, -EPIPE on EOF,
 * -ETIMEDOUT. */
int spawn_read_msg(int fd, int timeout_ms, struct spawn_msg *msg, kata_error *err);

/* ---- child side (rootfs.c), no allocation ---- */
/* Builds the rootfs and pivots into it; on failure writes an error on sync_fd, returns -1. */
int spawn_child_rootfs(const struct spawn_plan *plan, int sync_fd);
/* Formats an error into a message and writes it on fd. */
void spawn_child_report(int fd, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
