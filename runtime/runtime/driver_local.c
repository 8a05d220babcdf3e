/* The `local` driver: no VM. The agent runs as pid 1 of fresh pid/mnt/uts/ipc/net/cgroup
 * namespaces inside a host cgroup of its own (`kata_<sandbox-id>` under the configured
 * parent), so it is in init mode for real, as in a VM. It inherits its listening socket
 * <root>/<id>/kata.hvsock as fd 3 (LISTEN_FDS) and speaks hybrid vsock on it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "common/log.h"
#include "common/util.h"
#include "driver.h"
#include "transport/transport.h"

#define LOCAL_DEFAULT_CGROUP_PARENT "/kata"
#define AGENT_LOG_FILENAME          "agent.log"

static const char *cgroup_parent(const runtime_opts *o)
{
        const char *p = o->config.hypervisor.cgroup_parent;
        return p && p[0] ? p : LOCAL_DEFAULT_CGROUP_PARENT;
}

/* kata-agent next to our own binary, unless the configuration names one. */
static int agent_binary(const runtime_opts *o, char *out, size_t size, kata_error *err)
{
        const char *conf = o->config.hypervisor.agent_path;
        if (conf && conf[0]) {
                snprintf(out, size, "%s", conf);
        } else {
                char self[PATH_MAX];
                ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
                if (n < 0)
                        return kata_error_errno(err, errno, "cannot resolve /proc/self/exe");
                self[n] = '\0';
                char *slash = strrchr(self, '/');
                if (slash)
                        *slash = '\0';
                snprintf(out, size, "%s/kata-agent", self);
        }
        if (access(out, X_OK) < 0)
                return kata_error_errno(err, errno,
                                        "kata-agent not found at %s (set agent_path in "
                                        "[hypervisor.local])",
                                        out);
        return 0;
}

static int sandbox_cgroup_create(runtime_opts *o, kata_sandbox_state *st, kata_cgroup_layout **lo,
                                 kata_cgroup **cg, kata_error *err)
{
        char name[KATA_STATE_ID_MAX + 8];
        char rel[KATA_CGROUP_PATH_MAX];
        snprintf(name, sizeof(name), "kata_%s", st->id);
        int r = kata_cgroup_layout_detect(NULL, lo, err);
        if (r < 0)
                return r;
        r = kata_cgroup_sandbox_path(cgroup_parent(o), name, rel, sizeof(rel), err);
        if (r < 0)
                return r;
        r = kata_cgroup_create(*lo, rel, cg, err);
        if (r < 0)
                return kata_error_prefix(err, "sandbox cgroup %s", rel);
        st->cgroup_version = kata_cgroup_layout_mode(*lo) == KATA_CGROUP_MODE_V2 ? 2 : 1;
        for (int c = 0; c < KATA_CGROUP_NR_CONTROLLERS; c++) {
                const char *dir = kata_cgroup_dir(*cg, (enum kata_cgroup_controller)c);
                if (!dir)
                        continue;
                const char *ctl = kata_cgroup_layout_on_v2(*lo, (enum kata_cgroup_controller)c)
                                      ? "unified"
                                      : kata_cgroup_controller_name((enum kata_cgroup_controller)c);
                if (kata_sandbox_state_cgroup(st, ctl))
                        continue;
                r = kata_sandbox_state_set_cgroup(st, ctl, dir, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Runs in the forked child: waits until the parent has put it into the sandbox cgroup,
 * makes the namespaces (the cgroup namespace is rooted at the sandbox cgroup because we
 * are in it now), and forks the agent as pid 1. Reports the agent's host pid and exits. */
static void __attribute__((noreturn))
spawn_agent_child(const runtime_opts *o, int sync_fd, int report_fd, int listen_fd, int log_fd,
                  const char *agent)
{
        char b;
        if (kata_read_full(sync_fd, &b, 1) < 0)
                _exit(120);
        if (setsid() < 0)
                _exit(121);
        if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP |
                    CLONE_NEWPID) < 0) {
                int e = errno;
                (void)!write(report_fd, &(pid_t){-e}, sizeof(pid_t));
                _exit(122);
        }
        /* Nothing the agent mounts (its /proc, /sys, /dev, /run, cgroups) may reach the
         * host's mount table. */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
                int e = errno;
                (void)!write(report_fd, &(pid_t){-e}, sizeof(pid_t));
                _exit(123);
        }
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                (void)!write(report_fd, &(pid_t){-e}, sizeof(pid_t));
                _exit(124);
        }
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDONLY);
                if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(log_fd, 1) < 0 ||
                    dup2(log_fd, 2) < 0)
                        _exit(125);
                /* dup2 onto itself keeps CLOEXEC: clear it by hand in that case. */
                if (listen_fd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(listen_fd, 3) < 0)
                        _exit(125);
                for (int fd = 4; fd < 1024; fd++)
                        close(fd);
                /* The new pid namespace makes us pid 1: that is the LISTEN_PID to give. */
                setenv("LISTEN_PID", "1", 1);
                setenv("LISTEN_FDS", "1", 1);
                setenv("KATA_AGENT_SERVER_ADDR", "fd://", 1);
                setenv("KATA_AGENT_HVSOCK", "1", 1);
                if (runtime_agent_tracing(o))
                        setenv("KATA_AGENT_TRACE", "1", 1);
                if (o->config.agent.debug_console_enabled)
                        setenv("KATA_AGENT_DEBUG_CONSOLE", "1", 1);
                if (o->config.agent.enable_debug)
                        setenv("KATA_AGENT_LOG_LEVEL", "debug", 1);
                execl(agent, "kata-agent", (char *)NULL);
                _exit(127);
        }
        (void)!write(report_fd, &pid, sizeof(pid));
        _exit(0);
}

static int local_start(runtime_opts *o, kata_sandbox_state *st, kata_error *err)
{
        char agent[PATH_MAX];
        char sock[KATA_STATE_PATH_MAX];
        char logpath[KATA_STATE_PATH_MAX];
        kata_cgroup_layout *layout = NULL;
        kata_cgroup *cg = NULL;
        int listen_fd = -1, log_fd = -1, sync_pipe[2] = {-1, -1}, report_pipe[2] = {-1, -1};
        pid_t child = -1;
        int r;

        if ((r = agent_binary(o, agent, sizeof(agent), err)) < 0)
                return r;
        if ((r = kata_state_sandbox_path(o->root, st->id, KATA_HVSOCK_FILENAME, sock, sizeof(sock),
                                         err)) < 0 ||
            (r = kata_state_sandbox_path(o->root, st->id, AGENT_LOG_FILENAME, logpath,
                                         sizeof(logpath), err)) < 0)
                return r;

        if ((r = sandbox_cgroup_create(o, st, &layout, &cg, err)) < 0)
                goto fail;
        if (runtime_agent_tracing(o) && (r = driver_link_trace_forwarder(o, st, err)) < 0)
                goto fail;

        kata_address addr = {.kind = KATA_TRANSPORT_HVSOCK, .port = KATA_PORT_AGENT};
        if (strlen(sock) >= sizeof(addr.path)) {
                r = kata_error_set(err, ENAMETOOLONG,
                                   "socket path %s is too long for a unix socket (use a "
                                   "shorter --root)",
                                   sock);
                goto fail;
        }
        snprintf(addr.path, sizeof(addr.path), "%s", sock);
        listen_fd = kata_transport_listen(&addr, 0, err);
        if (listen_fd < 0) {
                r = listen_fd;
                goto fail;
        }
        /* The agent blocks in accept(); our fd is non-blocking, its copy must not be. */
        fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) & ~O_NONBLOCK);
        log_fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (log_fd < 0) {
                r = kata_error_errno(err, errno, "cannot create %s", logpath);
                goto fail;
        }
        if (pipe2(sync_pipe, O_CLOEXEC) < 0 || pipe2(report_pipe, O_CLOEXEC) < 0) {
                r = kata_error_errno(err, errno, "cannot create pipes");
                goto fail;
        }
        child = fork();
        if (child < 0) {
                r = kata_error_errno(err, errno, "cannot fork");
                goto fail;
        }
        if (child == 0) {
                close(sync_pipe[1]);
                close(report_pipe[0]);
                spawn_agent_child(o, sync_pipe[0], report_pipe[1], listen_fd, log_fd, agent);
        }
        close(sync_pipe[0]);
        close(report_pipe[1]);
        sync_pipe[0] = report_pipe[1] = -1;

        r = kata_cgroup_add_pid(cg, child, err);
        if (r < 0) {
                kata_error_prefix(err, "cannot move the sandbox into its cgroup");
                kill(child, SIGKILL);
                goto fail;
        }
        if (write(sync_pipe[1], "1", 1) != 1) {
                r = kata_error_errno(err, errno, "cannot signal the sandbox process");
                goto fail;
        }
        pid_t agent_pid = 0;
        if (kata_read_full(report_pipe[0], &agent_pid, sizeof(agent_pid)) < 0 || agent_pid <= 0) {
                r = agent_pid < 0
                        ? kata_error_errno(err, -agent_pid, "cannot create the sandbox namespaces")
                        : kata_error_set(err, EIO,
                                         "the sandbox process died before starting "
                                         "the agent");
                goto fail;
        }
        waitpid(child, NULL, 0);
        child = -1;
        st->agent_pid = agent_pid;
        snprintf(st->agent_address, sizeof(st->agent_address), "hvsock://%s:%u", sock,
                 KATA_PORT_AGENT);
        r = 0;
        goto out;
fail:
        if (child > 0) {
                kill(child, SIGKILL);
                waitpid(child, NULL, 0);
        }
        if (cg)
                kata_cgroup_delete(cg, 1000, NULL);
out:
        if (listen_fd >= 0)
                close(listen_fd);
        if (log_fd >= 0)
                close(log_fd);
        for (int i = 0; i < 2; i++) {
                if (sync_pipe[i] >= 0)
                        close(sync_pipe[i]);
                if (report_pipe[i] >= 0)
                        close(report_pipe[i]);
        }
        if (cg)
                kata_cgroup_free(cg);
        if (layout)
                kata_cgroup_layout_free(layout);
        return r;
}

/* True while pid is a live (not zombie) process that runs kata-agent: a recycled pid
 * must never be killed by mistake. */
static bool agent_alive(long pid)
{
        if (pid <= 0)
                return false;
        char path[64], exe[PATH_MAX], *stat = NULL;
        snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
        ssize_t n = readlink(path, exe, sizeof(exe) - 1);
        if (n < 0)
                return false;
        exe[n] = '\0';
        if (!strstr(exe, "kata-agent"))
                return false;
        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        if (kata_read_file(path, 4096, &stat, NULL, NULL) < 0)
                return false;
        const char *close_paren = strrchr(stat, ')');
        bool zombie = close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z';
        free(stat);
        return !zombie;
}

static bool local_alive(const kata_sandbox_state *st)
{
        return agent_alive(st->agent_pid);
}

static bool wait_agent_exit(long pid, int timeout_ms)
{
        uint64_t deadline = kata_now_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
        int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
        while (agent_alive(pid)) {
                uint64_t now = kata_now_monotonic_ns();
                if (now >= deadline) {
                        if (pidfd >= 0)
                                close(pidfd);
                        return false;
                }
                int left = (int)((deadline - now) / 1000000ull) + 1;
                if (pidfd >= 0) {
                        struct pollfd p = {.fd = pidfd, .events = POLLIN};
                        poll(&p, 1, left < 50 ? left : 50);
                } else {
                        usleep(5000);
                }
        }
        if (pidfd >= 0)
                close(pidfd);
        return true;
}

/* Kills whatever is left in a cgroup directory and its descendants, then removes them,
 * deepest first. Containers' cgroups made by the agent sit below the sandbox's. */
static void cgroup_tree_remove(const char *dir, int timeout_ms)
{
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 ||
                    strcmp(e->d_name, "..") == 0)
                        continue;
                char sub[PATH_MAX];
                snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
                cgroup_tree_remove(sub, timeout_ms);
        }
        closedir(d);
        uint64_t deadline = kata_now_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
        for (;;) {
                char procs_path[PATH_MAX], *procs = NULL;
                snprintf(procs_path, sizeof(procs_path), "%s/cgroup.procs", dir);
                if (kata_read_file(procs_path, 0, &procs, NULL, NULL) == 0) {
                        for (char *save = NULL, *tok = strtok_r(procs, "\n", &save); tok;
                             tok = strtok_r(NULL, "\n", &save)) {
                                uint64_t pid;
                                if (kata_parse_u64(tok, &pid) == 0 && pid > 1)
                                        kill((pid_t)pid, SIGKILL);
                        }
                        free(procs);
                }
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return;
                if (kata_now_monotonic_ns() >= deadline) {
                        kata_log_warn("cannot remove cgroup %s: %s", dir, strerror(errno));
                        return;
                }
                usleep(2000);
        }
}

/* The sandbox cgroup's path relative to its hierarchy: the recorded directory minus the
 * hierarchy's mount point. */
static int sandbox_cgroup_rel(const kata_sandbox_state *st, char *rel, size_t size)
{
        char name[KATA_STATE_ID_MAX + 8];
        snprintf(name, sizeof(name), "/kata_%s", st->id);
        for (size_t i = 0; i < st->ncgroups; i++) {
                const char *dir = st->cgroups[i].path;
                const char *at = strstr(dir, name);
                if (!at || at[strlen(name)] != '\0')
                        continue;
                /* dir is <root>/<hierarchy><rel>: skip "<root>/<hierarchy>". */
                const char *p = dir + strlen(KATA_CGROUP_DEFAULT_ROOT);
                if (strncmp(dir, KATA_CGROUP_DEFAULT_ROOT "/",
                            strlen(KATA_CGROUP_DEFAULT_ROOT) + 1) != 0)
                        continue;
                const char *slash = strchr(p + 1, '/');
                if (!slash || st->cgroup_version == 2)
                        slash = p;
                snprintf(rel, size, "%s", slash);
                return 0;
        }
        return -ENOENT;
}

static int local_stop(runtime_opts *o, kata_sandbox_state *st, int timeout_ms, kata_error *err)
{
        if (st->agent_pid > 0 && !wait_agent_exit(st->agent_pid, timeout_ms)) {
                kata_log_warn("agent (pid %lld) did not exit within %d ms: killing it",
                              (long long)st->agent_pid, timeout_ms);
                kill((pid_t)st->agent_pid, SIGKILL);
                wait_agent_exit(st->agent_pid, 2000);
        }
        for (size_t i = 0; i < st->ncgroups; i++)
                cgroup_tree_remove(st->cgroups[i].path, 2000);
        /* The cgroup also exists in hierarchies without a controller of ours (name=systemd,
         * the cgroup2 of a hybrid host): remove it from every hierarchy mounted. */
        char rel[KATA_STATE_PATH_MAX];
        DIR *d = st->cgroup_version == 1 ? opendir(KATA_CGROUP_DEFAULT_ROOT) : NULL;
        if (d && sandbox_cgroup_rel(st, rel, sizeof(rel)) == 0) {
                struct dirent *e;
                while ((e = readdir(d))) {
                        if (e->d_name[0] == '.')
                                continue;
                        char dir[PATH_MAX];
                        snprintf(dir, sizeof(dir), "%s/%s%s", KATA_CGROUP_DEFAULT_ROOT, e->d_name,
                                 rel);
                        cgroup_tree_remove(dir, 2000);
                }
        }
        if (d)
                closedir(d);
        /* A path that still exists means something survived: say so. */
        for (size_t i = 0; i < st->ncgroups; i++) {
                if (access(st->cgroups[i].path, F_OK) == 0)
                        return kata_error_set(err, EBUSY, "cgroup %s could not be removed",
                                              st->cgroups[i].path);
        }
        return 0;
}

/* True when a line of /proc/PID/cgroup ("N:ctl:/path") has path rel or a path below it. */
static bool cgroup_lines_contain(const char *lines, const char *rel)
{
        size_t n = strlen(rel);
        for (const char *p = strstr(lines, rel); p; p = strstr(p + 1, rel)) {
                if (p > lines && p[-1] == ':' && (p[n] == '/' || p[n] == '\n' || !p[n]))
                        return true;
        }
        return false;
}

/* NSpid lists a process's pid in every namespace from the host down; the second entry
 * is its pid in the agent's namespace. The cgroup check keeps us inside this sandbox. */
static long local_host_pid(const kata_sandbox_state *st, long ns_pid)
{
        /* The sandbox's own cgroup path (under its parent), as /proc/PID/cgroup shows it:
         * a sandbox of the same id under another parent must not match. */
        char marker[KATA_STATE_PATH_MAX + 2];
        if (sandbox_cgroup_rel(st, marker, sizeof(marker) - 1) < 0)
                return 0;
        DIR *d = opendir("/proc");
        if (!d)
                return 0;
        long found = 0;
        struct dirent *e;
        while (!found && (e = readdir(d))) {
                uint64_t pid;
                if (kata_parse_u64(e->d_name, &pid) < 0)
                        continue;
                char path[64], *status = NULL, *cgroup = NULL;
                snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
                if (kata_read_file(path, 0, &status, NULL, NULL) < 0)
                        continue;
                const char *ns = strstr(status, "\nNSpid:");
                long host = 0, inner = 0;
                if (ns && sscanf(ns, "\nNSpid: %ld %ld", &host, &inner) == 2 && inner == ns_pid) {
                        snprintf(path, sizeof(path), "/proc/%s/cgroup", e->d_name);
                        if (kata_read_file(path, 0, &cgroup, NULL, NULL) == 0 &&
                            cgroup_lines_contain(cgroup, marker))
                                found = host;
                        free(cgroup);
                }
                free(status);
        }
        closedir(d);
        return found;
}

const sandbox_driver sandbox_driver_local = {
    .name = "local",
    .start = local_start,
    .stop = local_stop,
    .host_pid = local_host_pid,
    .alive = local_alive,
};

const sandbox_driver *sandbox_driver_find(const char *name, kata_error *err)
{
        if (name && strcmp(name, "local") == 0)
                return &sandbox_driver_local;
        if (name && strcmp(name, "qemu") == 0)
                return &sandbox_driver_qemu;
        kata_error_set(err, ENOTSUP,
                       "hypervisor '%s' has no driver in this build (available: local, qemu)",
                       name ? name : "(none)");
        return NULL;
}
