/* Parent-side preparation and the clone()d children of spawn.h. */
#include "agent/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <termios.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* Where the runtime puts a container's bundle when root.path is relative (Kata's
 * convention for the shared directory). */
#define SHARED_CONTAINERS_DIR "/run/kata-containers/shared/containers"

/* ---- parent: plans ---- */

int spawn_plan_process(struct spawn_plan *plan, const kata_oci_process *process, kata_error *err)
{
        plan->process = process;
        plan->envp = process->env;
        const char *path = kata_oci_env_get(process->env, "PATH");
        snprintf(plan->path_env, sizeof(plan->path_env), "%s", path ? path : DEFAULT_PATH);
        return 0;
}

int spawn_plan_init(struct spawn_plan *plan, const kata_oci_spec *spec, const char *container_id,
                    kata_error *err)
{
        memset(plan, 0, sizeof(*plan));
        int r = spawn_plan_process(plan, &spec->process, err);
        if (r < 0)
                return r;
        if (!kata_oci_spec_has_namespace(spec, KATA_OCI_NS_MOUNT, NULL))
                return kata_error_set(err, EINVAL,
                                      "linux.namespaces: a mount namespace is required");
        for (size_t i = 0; i < spec->linux.n_namespaces; i++) {
                const kata_oci_namespace *ns = &spec->linux.namespaces[i];
                if (ns->path)
                        return kata_error_set(err, EINVAL,
                                              "linux.namespaces[%zu].path: joining namespaces "
                                              "is not supported",
                                              i);
                switch (ns->type) {
                case KATA_OCI_NS_USER:
                        return kata_error_set(err, EINVAL,
                                              "linux.namespaces[%zu]: user namespaces are not "
                                              "supported",
                                              i);
                case KATA_OCI_NS_NETWORK:
                        /* As in Kata, the containers of a sandbox share its network. */
                        break;
                case KATA_OCI_NS_CGROUP:
                        plan->new_cgroup_ns = true;
                        break;
                default:
                        plan->clone_flags |= kata_oci_ns_clone_flag(ns->type);
                }
        }
        if (spec->hostname && spec->hostname[0] &&
            kata_oci_spec_has_namespace(spec, KATA_OCI_NS_UTS, NULL))
                plan->hostname = spec->hostname;
        if (spec->root_path[0] == '/')
                snprintf(plan->rootfs, sizeof(plan->rootfs), "%s", spec->root_path);
        else
                snprintf(plan->rootfs, sizeof(plan->rootfs), "%s/%s/%s", SHARED_CONTAINERS_DIR,
                         container_id, spec->root_path);
        char *real = realpath(plan->rootfs, NULL);
        if (!real) /* a bad spec, whatever errno says: INVALID_ARGUMENT */
                return kata_error_set(err, EINVAL, "root.path: %s: %s", plan->rootfs,
                                      strerror(errno));
        snprintf(plan->rootfs, sizeof(plan->rootfs), "%s", real);
        free(real);
        if (strcmp(plan->rootfs, "/") == 0)
                return kata_error_set(err, EINVAL, "root.path: the host root cannot be a rootfs");
        plan->rootfs_readonly = spec->root_readonly;
        plan->masked_paths = spec->linux.masked_paths;
        plan->readonly_paths = spec->linux.readonly_paths;

        plan->mounts = calloc(spec->n_mounts ? spec->n_mounts : 1, sizeof(*plan->mounts));
        if (!plan->mounts)
                return kata_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const kata_oci_mount *m = &spec->mounts[i];
                struct spawn_mount *sm = &plan->mounts[i];
                plan->n_mounts = i + 1;
                if (strstr(m->destination, "/../") || kata_str_endswith(m->destination, "/.."))
                        return kata_error_set(err, EINVAL,
                                              "mounts[%zu].destination: '..' is not allowed", i);
                r = kata_oci_mount_parse_options(m, &sm->flags, &sm->propagation, &sm->data, err);
                if (r < 0)
                        return kata_error_prefix(err, "mounts[%zu]", i);
                snprintf(sm->target, sizeof(sm->target), "%s%s", plan->rootfs, m->destination);
                sm->type = m->type;
                sm->source = m->source;
                sm->bind = (sm->flags & MS_BIND) || (m->type && strcmp(m->type, "bind") == 0);
                if (m->type && strcmp(m->type, "cgroup") == 0) {
                        /* The agent's own cgroup mounts, seen read-only when asked. */
                        sm->bind = true;
                        sm->source = "/sys/fs/cgroup";
                        sm->flags |= MS_BIND | MS_REC;
                }
                if (sm->bind) {
                        sm->flags |= MS_BIND;
                        if (!sm->source || sm->source[0] != '/')
                                return kata_error_set(err, EINVAL,
                                                      "mounts[%zu].source: a bind mount needs an "
                                                      "absolute source",
                                                      i);
                }
        }
        return 0;
}

void spawn_plan_release(struct spawn_plan *plan)
{
        for (size_t i = 0; i < plan->n_mounts; i++)
                free(plan->mounts[i].data);
        free(plan->mounts);
        plan->mounts = NULL;
        plan->n_mounts = 0;
        for (size_t i = 0; i < plan->n_ns; i++)
                if (plan->ns_fds[i] >= 0)
                        close(plan->ns_fds[i]);
        plan->n_ns = 0;
}

/* A pseudo-terminal from the agent's own devpts instance (init mounts /dev/pts with
 * newinstance, so /dev/ptmx may belong to the host's). The container gets the slave as
 * stdin, stdout and stderr; the agent keeps the master for reads, and a copy of it for
 * writes. */
static int open_tty(struct spawn_stdio *io, const kata_oci_process *p, kata_error *err)
{
        int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return kata_error_errno(err, errno, "process.terminal: no pseudo-terminal");
        int unlock = 0, ptn = -1;
        char slave_path[64];
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &ptn) < 0) {
                int e = errno;
                close(master);
                return kata_error_errno(err, e, "process.terminal: unlocking the terminal");
        }
        /* The slave through the master (TIOCGPTPEER): no path lookup in whichever devpts. */
        int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0) {
                snprintf(slave_path, sizeof(slave_path), "/dev/pts/%d", ptn);
                slave = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
        }
        if (slave < 0) {
                int e = errno;
                close(master);
                return kata_error_errno(err, e, "process.terminal: opening terminal %d", ptn);
        }
        if (p->console_height && p->console_width) {
                struct winsize ws = {.ws_row = (unsigned short)p->console_height,
                                     .ws_col = (unsigned short)p->console_width};
                ioctl(master, TIOCSWINSZ, &ws);
        }
        io->child[0] = slave;
        io->child[1] = fcntl(slave, F_DUPFD_CLOEXEC, 0);
        io->child[2] = fcntl(slave, F_DUPFD_CLOEXEC, 0);
        io->parent[0] = fcntl(master, F_DUPFD_CLOEXEC, 0);
        io->parent[1] = master;
        io->tty = true;
        if (io->child[1] < 0 || io->child[2] < 0 || io->parent[0] < 0) {
                int e = errno;
                spawn_stdio_close_all(io);
                return kata_error_errno(err, e, "process.terminal");
        }
        return 0;
}

int spawn_stdio_open(struct spawn_stdio *io, const kata_oci_process *p, kata_error *err)
{
        for (int i = 0; i < 3; i++)
                io->child[i] = io->parent[i] = -1;
        io->tty = false;
        if (p->terminal)
                return open_tty(io, p, err);
        for (int i = 0; i < 3; i++) {
                int fds[2];
                if (pipe2(fds, O_CLOEXEC) < 0) {
                        int e = errno;
                        spawn_stdio_close_all(io);
                        return kata_error_errno(err, e, "cannot create stdio pipes");
                }
                io->child[i] = i == 0 ? fds[0] : fds[1];
                io->parent[i] = i == 0 ? fds[1] : fds[0];
        }
        return 0;
}

void spawn_stdio_close_child(struct spawn_stdio *io)
{
        for (int i = 0; i < 3; i++) {
                if (io->child[i] >= 0)
                        close(io->child[i]);
                io->child[i] = -1;
        }
}

void spawn_stdio_close_all(struct spawn_stdio *io)
{
        spawn_stdio_close_child(io);
        for (int i = 0; i < 3; i++) {
                if (io->parent[i] >= 0)
                        close(io->parent[i]);
                io->parent[i] = -1;
        }
}

int spawn_read_msg(int fd, int timeout_ms, struct spawn_msg *msg, kata_error *err)
{
        size_t got = 0;
        memset(msg, 0, sizeof(*msg));
        while (got < sizeof(*msg)) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int r = poll(&p, 1, timeout_ms);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return kata_error_errno(err, errno, "waiting for the container process");
                if (r == 0)
                        return kata_error_set(err, ETIMEDOUT,
                                              "the container process did not answer within %d ms",
                                              timeout_ms);
                ssize_t n = read(fd, (char *)msg + got, sizeof(*msg) - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return kata_error_errno(err, errno, "reading from the container process");
                if (n == 0) {
                        if (got == 0)
                                return -EPIPE;
                        return kata_error_set(err, EPROTO,
                                              "truncated message from the container "
                                              "process");
                }
                got += (size_t)n;
        }
        msg->text[SPAWN_MSG_MAX - 1] = 0;
        return 0;
}

/* ---- child side: nothing below allocates ---- */

void spawn_child_report(int fd, int err, const char *fmt, ...)
{
        struct spawn_msg msg;
        memset(&msg, 0, sizeof(msg));
        msg.kind = SPAWN_MSG_ERROR;
        msg.err = err;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(msg.text, sizeof(msg.text), fmt, ap);
        va_end(ap);
        if (err && n >= 0 && (size_t)n < sizeof(msg.text))
                snprintf(msg.text + n, sizeof(msg.text) - (size_t)n, ": %s", strerrordesc_np(err));
        ssize_t w = write(fd, &msg, sizeof(msg));
        (void)w;
}

static void child_send(int fd, enum spawn_msg_kind kind, pid_t pid)
{
        struct spawn_msg msg;
        memset(&msg, 0, sizeof(msg));
        msg.kind = kind;
        msg.pid = pid;
        ssize_t w = write(fd, &msg, sizeof(msg));
        (void)w;
}

/* Fixed fd numbers in the children: 0-2 stdio, then these. */
enum { CHILD_SYNC_FD = 3, CHILD_GO_FD = 4, CHILD_NS_FD0 = 5 };

/* Moves the fds the child keeps to 0.. in order and closes every other fd, so a
 * container never holds the agent's sockets or other containers' pipes. */
static int child_keep_fds(const int *fds, int n)
{
        int hi = 64;
        for (int i = 0; i < n; i++)
                if (fds[i] >= hi)
                        hi = fds[i] + 1;
        int tmp[16];
        for (int i = 0; i < n; i++) {
                tmp[i] = fcntl(fds[i], F_DUPFD, hi);
                if (tmp[i] < 0)
                        return -1;
                hi = tmp[i] + 1;
        }
        for (int i = 0; i < n; i++)
                if (dup2(tmp[i], i) < 0)
                        return -1;
        if (syscall(SYS_close_range, n, ~0U, 0) < 0) {
                for (int fd = n; fd < hi; fd++)
                        close(fd);
        }
        return 0;
}

static void child_reset_signals(void)
{
        sigset_t none;
        sigemptyset(&none);
        for (int sig = 1; sig < NSIG; sig++)
                signal(sig, SIG_DFL);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

static int wait_byte(int fd, char want)
{
        char c;
        for (;;) {
                ssize_t n = read(fd, &c, 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n == 1 && c == want)
                        return 0;
                return -1;
        }
}

/* The bounding set first (it needs CAP_SETPCAP, which root still has); a process
 * that becomes another user keeps its permitted set through setresuid. */
static int child_drop_bounding(const kata_oci_process *p)
{
        for (int cap = 0; cap < 64; cap++) {
                if (p->caps.bounding & (UINT64_C(1) << cap))
                        continue;
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) {
                        spawn_child_report(CHILD_SYNC_FD, errno,
                                           "process.capabilities.bounding: dropping %d", cap);
                        return -1;
                }
        }
        if (p->uid != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
                spawn_child_report(CHILD_SYNC_FD, errno, "process.capabilities: keepcaps");
                return -1;
        }
        return 0;
}

/* Effective, permitted and inheritable sets, then the ambient ones. */
static int child_set_caps(const kata_oci_process *p)
{
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct data[2];
        for (int i = 0; i < 2; i++) {
                data[i].effective = (uint32_t)(p->caps.effective >> (32 * i));
                data[i].permitted = (uint32_t)(p->caps.permitted >> (32 * i));
                data[i].inheritable = (uint32_t)(p->caps.inheritable >> (32 * i));
        }
        if (syscall(SYS_capset, &hdr, data) < 0) {
                spawn_child_report(CHILD_SYNC_FD, errno, "process.capabilities");
                return -1;
        }
        for (int cap = 0; cap < 64; cap++) {
                if (!(p->caps.ambient & (UINT64_C(1) << cap)))
                        continue;
                /* Ambient needs the capability permitted and inheritable: skip it
                 * otherwise, as runc does. */
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 && errno != EPERM &&
                    errno != EINVAL) {
                        spawn_child_report(CHILD_SYNC_FD, errno, "process.capabilities.ambient");
                        return -1;
                }
        }
        return 0;
}

/* Credentials, limits, cwd, then execve with a PATH search; reports and exits on
 * failure. */
static void child_exec(const struct spawn_plan *plan)
{
        const kata_oci_process *p = plan->process;
        /* A new session whose controlling terminal is the one on stdin. */
        if (p->terminal && (setsid() < 0 || ioctl(0, TIOCSCTTY, 0) < 0)) {
                spawn_child_report(CHILD_SYNC_FD, errno, "process.terminal: controlling terminal");
                _exit(127);
        }
        for (size_t i = 0; i < p->n_rlimits; i++) {
                struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
                if (setrlimit(p->rlimits[i].resource, &rl) < 0) {
                        spawn_child_report(CHILD_SYNC_FD, errno, "process.rlimits[%zu]", i);
                        _exit(127);
                }
        }
        gid_t groups[64];
        size_t ng = p->n_additional_gids < 64 ? p->n_additional_gids : 64;
        for (size_t i = 0; i < ng; i++)
                groups[i] = p->additional_gids[i];
        if (p->caps.set && child_drop_bounding(p) < 0)
                _exit(127);
        /* Raw system calls: glibc's wrappers would signal the threads of the parent,
         * which this clone believes it still has, and wait forever. */
        if (syscall(SYS_setgroups, ng, groups) < 0 ||
            syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0 ||
            syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0) {
                spawn_child_report(CHILD_SYNC_FD, errno, "process.user: cannot become %u:%u",
                                   p->uid, p->gid);
                _exit(127);
        }
        if (p->caps.set && child_set_caps(p) < 0)
                _exit(127);
        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                spawn_child_report(CHILD_SYNC_FD, errno, "process.noNewPrivileges");
                _exit(127);
        }
        if (chdir(p->cwd) < 0) {
                spawn_child_report(CHILD_SYNC_FD, errno, "process.cwd: %s", p->cwd);
                _exit(127);
        }
        child_reset_signals();
        const char *file = p->args[0];
        if (strchr(file, '/')) {
                execve(file, p->args, plan->envp);
                spawn_child_report(CHILD_SYNC_FD, errno, "process.args[0]: cannot execute %s",
                                   file);
                _exit(127);
        }
        int first_err = ENOENT;
        const char *dir = plan->path_env;
        char candidate[PATH_MAX];
        while (*dir) {
                const char *end = strchrnul(dir, ':');
                size_t len = (size_t)(end - dir);
                if (len == 0)
                        snprintf(candidate, sizeof(candidate), "./%s", file);
                else
                        snprintf(candidate, sizeof(candidate), "%.*s/%s", (int)len, dir, file);
                execve(candidate, p->args, plan->envp);
                if (errno == EACCES)
                        first_err = EACCES;
                if (!*end)
                        break;
                dir = end + 1;
        }
        spawn_child_report(CHILD_SYNC_FD, first_err,
                           "process.args[0]: cannot execute '%s' (searched PATH=%s)", file,
                           plan->path_env);
        _exit(127);
}

static int init_child(const struct spawn_plan *plan)
{
        if (wait_byte(CHILD_GO_FD, 'g') < 0)
                _exit(1);
        if (plan->new_cgroup_ns && unshare(CLONE_NEWCGROUP) < 0) {
                spawn_child_report(CHILD_SYNC_FD, errno, "cgroup namespace");
                _exit(1);
        }
        if (spawn_child_rootfs(plan, CHILD_SYNC_FD) < 0)
                _exit(1);
        if (plan->hostname && sethostname(plan->hostname, strlen(plan->hostname)) < 0) {
                spawn_child_report(CHILD_SYNC_FD, errno, "hostname '%s'", plan->hostname);
                _exit(1);
        }
        child_send(CHILD_SYNC_FD, SPAWN_MSG_READY, 0);
        /* Created: wait for StartContainer. EOF means the container was removed. */
        if (wait_byte(CHILD_GO_FD, 's') < 0)
                _exit(0);
        close(CHILD_GO_FD);
        fcntl(CHILD_SYNC_FD, F_SETFD, FD_CLOEXEC);
        child_exec(plan);
        return 127;
}

static int exec_child(const struct spawn_plan *plan)
{
        if (wait_byte(CHILD_GO_FD, 'g') < 0)
                _exit(1);
        /* The mount namespace last: after it, paths are the container's. */
        for (int pass = 0; pass < 2; pass++) {
                for (size_t i = 0; i < plan->n_ns; i++) {
                        bool is_mnt = plan->ns_types[i] == CLONE_NEWNS;
                        if (is_mnt != (pass == 1))
                                continue;
                        if (setns(CHILD_NS_FD0 + (int)i, plan->ns_types[i]) < 0) {
                                spawn_child_report(CHILD_SYNC_FD, errno,
                                                   "cannot join the container's namespaces");
                                _exit(1);
                        }
                }
        }
        pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid < 0) {
                spawn_child_report(CHILD_SYNC_FD, errno, "clone");
                _exit(1);
        }
        if (pid == 0) {
                if (syscall(SYS_close_range, CHILD_GO_FD, ~0U, 0) < 0)
                        for (int fd = CHILD_GO_FD; fd < CHILD_NS_FD0 + SPAWN_MAX_NS; fd++)
                                close(fd);
                fcntl(CHILD_SYNC_FD, F_SETFD, FD_CLOEXEC);
                child_exec(plan);
        }
        child_send(CHILD_SYNC_FD, SPAWN_MSG_PID, pid);
        _exit(0);
}

/* ---- parent: clone ---- */

static pid_t spawn_clone(const struct spawn_plan *plan, struct spawn_stdio *io, int flags,
                         bool is_exec, int *sync_fd, int *go_fd, kata_error *err)
{
        int sync[2], go[2];
        if (pipe2(sync, O_CLOEXEC) < 0)
                return kata_error_errno(err, errno, "cannot create the sync pipe");
        if (pipe2(go, O_CLOEXEC) < 0) {
                int e = errno;
                close(sync[0]);
                close(sync[1]);
                return kata_error_errno(err, e, "cannot create the start pipe");
        }
        /* A raw clone (not fork()): it takes namespace flags and runs no atfork
         * handlers; the child calls only system calls. */
        pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid == 0) {
                int keep[5 + SPAWN_MAX_NS] = {io->child[0], io->child[1], io->child[2], sync[1],
                                              go[0]};
                int n = 5;
                for (size_t i = 0; is_exec && i < plan->n_ns; i++)
                        keep[n++] = plan->ns_fds[i];
                if (child_keep_fds(keep, n) < 0)
                        _exit(1);
                _exit(is_exec ? exec_child(plan) : init_child(plan));
        }
        int e = errno;
        close(sync[1]);
        close(go[0]);
        if (pid < 0) {
                close(sync[0]);
                close(go[1]);
                return kata_error_errno(err, e, "clone");
        }
        *sync_fd = sync[0];
        *go_fd = go[1];
        return pid;
}

pid_t spawn_init(const struct spawn_plan *plan, struct spawn_stdio *io, int *sync_fd, int *go_fd,
                 kata_error *err)
{
        return spawn_clone(plan, io, plan->clone_flags, false, sync_fd, go_fd, err);
}

pid_t spawn_exec(const struct spawn_plan *plan, struct spawn_stdio *io, int *sync_fd, int *go_fd,
                 kata_error *err)
{
        return spawn_clone(plan, io, 0, true, sync_fd, go_fd, err);
}
