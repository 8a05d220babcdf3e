#include "agent/debug_console.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "transport/transport.h"

extern char **environ;

int agent_debug_console_spawn(int fd, kata_error *err)
{
        const char *shell = access("/bin/sh", X_OK) == 0 ? "/bin/sh" : "/bin/bash";
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&attr);
        for (int i = 0; i < 3; i++)
                posix_spawn_file_actions_adddup2(&fa, fd, i);
        /* The agent blocks these for its reaper thread; a shell must get them. */
        sigset_t none, defaults;
        sigemptyset(&none);
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGPIPE);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                            POSIX_SPAWN_SETSIGDEF);
        char *argv[] = {(char *)shell, "-i", NULL};
        char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "TERM=dumb", "PS1=kata-agent# ", NULL};
        pid_t pid;
        int r = posix_spawn(&pid, shell, &fa, &attr, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return kata_error_errno(err, r, "debug console: cannot start %s", shell);
        kata_log_info("debug console: %s started as pid %d", shell, pid);
        return 0;
}

struct console_listener {
        struct agent *a;
        int fd;
};

static void *console_thread(void *arg)
{
        struct console_listener *l = arg;
        while (!l->a->stopping) {
                kata_error err = KATA_ERROR_INIT;
                int fd = kata_transport_accept(l->fd, 1000, &err);
                if (fd == -ETIMEDOUT)
                        continue;
                if (fd < 0) {
                        kata_log_warn("debug console: %s", err.msg);
                        continue;
                }
                if (agent_debug_console_spawn(fd, &err) < 0)
                        kata_log_warn("%s", err.msg);
                close(fd);
        }
        close(l->fd);
        return NULL;
}

int agent_debug_console_listen_vsock(struct agent *a, uint32_t vport, kata_error *err)
{
        char text[64];
        snprintf(text, sizeof(text), "vsock://any:%u", vport);
        static struct console_listener l;
        l.a = a;
        l.fd = kata_transport_listen_str(text, 0, err);
        if (l.fd < 0)
                return kata_error_prefix(err, "debug console");
        pthread_t t;
        int r = pthread_create(&t, NULL, console_thread, &l);
        if (r != 0) {
                close(l.fd);
                return kata_error_errno(err, r, "debug console thread");
        }
        pthread_detach(t);
        kata_log_info("debug console on %s", text);
        return 0;
}
