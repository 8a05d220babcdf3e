#include "qemu_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "state/state.h"

/* Starts argv in a session of its own with stdout/stderr to log_path, inside cg (moved
 * there before it execs, so that nothing it starts escapes). */
int qemu_proc_spawn(char *const argv[], const char *log_path, kata_cgroup *cg, pid_t *out,
                    kata_error *err)
{
        int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (log_fd < 0)
                return kata_error_errno(err, errno, "cannot create %s", log_path);
        int sync_pipe[2], exec_pipe[2];
        if (pipe2(sync_pipe, O_CLOEXEC) < 0) {
                close(log_fd);
                return kata_error_errno(err, errno, "pipe");
        }
        if (pipe2(exec_pipe, O_CLOEXEC) < 0) {
                close(log_fd);
                close(sync_pipe[0]);
                close(sync_pipe[1]);
                return kata_error_errno(err, errno, "pipe");
        }
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(log_fd);
                for (int i = 0; i < 2; i++) {
                        close(sync_pipe[i]);
                        close(exec_pipe[i]);
                }
                return kata_error_errno(err, e, "fork");
        }
        if (pid == 0) {
                char b;
                close(sync_pipe[1]);
                close(exec_pipe[0]);
                if (kata_read_full(sync_pipe[0], &b, 1) < 0)
                        _exit(120);
                setsid();
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                int devnull = open("/dev/null", O_RDONLY);
                if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(log_fd, 1) < 0 ||
                    dup2(log_fd, 2) < 0)
                        _exit(121);
                /* QEMU and the backend outlive us: no lock or socket of ours may go
                 * with them. */
                for (int fd = 3; fd < 1024; fd++)
                        if (fd != exec_pipe[1])
                                close(fd);
                execv(argv[0], argv);
                int e = errno;
                (void)!write(exec_pipe[1], &e, sizeof(e));
                _exit(127);
        }
        close(log_fd);
        close(sync_pipe[0]);
        close(exec_pipe[1]);
        int r = kata_cgroup_add_pid(cg, pid, err);
        if (r == 0 && write(sync_pipe[1], "1", 1) != 1)
                r = kata_error_errno(err, errno, "cannot release %s", argv[0]);
        close(sync_pipe[1]);
        int exec_errno = 0;
        if (r == 0 && kata_read_full(exec_pipe[0], &exec_errno, sizeof(exec_errno)) == 0)
                r = kata_error_errno(err, exec_errno, "cannot run %s", argv[0]);
        close(exec_pipe[0]);
        if (r < 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return r;
        }
        *out = pid;
        return 0;
}

/* True while pid is a live (not zombie) process whose executable name contains what. */
bool qemu_proc_alive(long pid, const char *what)
{
        if (pid <= 0)
                return false;
        char path[64], exe[PATH_MAX], *stat = NULL;
        snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
        ssize_t n = readlink(path, exe, sizeof(exe) - 1);
        if (n < 0)
                return false;
        exe[n] = '\0';
        if (!strstr(exe, what))
                return false;
        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        if (kata_read_file(path, 4096, &stat, NULL, NULL) < 0)
                return false;
        const char *close_paren = strrchr(stat, ')');
        bool zombie = close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z';
        free(stat);
        if (zombie)
                waitpid((pid_t)pid, NULL, WNOHANG); /* ours when we started it in this run */
        return !zombie;
}

static bool wait_exit(long pid, const char *what, int timeout_ms)
{
        uint64_t deadline = kata_now_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
        int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
        bool gone = true;
        while (qemu_proc_alive(pid, what)) {
                uint64_t now = kata_now_monotonic_ns();
                if (now >= deadline) {
                        gone = false;
                        break;
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
        return gone;
}

void qemu_proc_stop(long pid, const char *what, int timeout_ms)
{
        if (pid <= 0 || wait_exit(pid, what, timeout_ms))
                return;
        kata_log_warn("%s (pid %ld) did not exit within %d ms: killing it", what, pid, timeout_ms);
        kill((pid_t)pid, SIGKILL);
        wait_exit(pid, what, 2000);
}

long qemu_proc_read_pid(const char *root, const char *id, const char *name)
{
        char path[KATA_STATE_PATH_MAX], *text = NULL;
        uint64_t pid = 0;
        if (kata_state_sandbox_path(root, id, name, path, sizeof(path), NULL) < 0 ||
            kata_read_file(path, 64, &text, NULL, NULL) < 0)
                return 0;
        if (kata_parse_u64(text, &pid) < 0)
                pid = 0;
        free(text);
        return (long)pid;
}

int qemu_proc_write_pid(const char *root, const char *id, const char *name, long pid,
                        kata_error *err)
{
        char path[KATA_STATE_PATH_MAX], buf[32];
        int r = kata_state_sandbox_path(root, id, name, path, sizeof(path), err);
        if (r < 0)
                return r;
        int n = snprintf(buf, sizeof(buf), "%ld", pid);
        return kata_write_file_replace(path, buf, (size_t)n, 0644, err);
}
