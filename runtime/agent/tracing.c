#include "agent/tracing.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "tracing/exporter.h"
#include "transport/transport.h"

static struct {
        kata_exporter *exporter;
        int dir_fd; /* directory of the agent's socket, opened before any mount */
        char base[sizeof(((struct sockaddr_un *)0)->sun_path)];
        /* When <socket>_10240 is a link (the local driver's, to the host forwarder), the
         * directory of its target, also opened before any mount: our own /run (or /proc,
         * /sys, /dev) would otherwise hide a target such as /run/kata/.... */
        int target_dir_fd;
        char target_base[sizeof(((struct sockaddr_un *)0)->sun_path)];
        bool vsock;
} tracing = {.dir_fd = -1, .target_dir_fd = -1};

/* Resolves <base>_10240 once, now, if it is a symbolic link. */
static void resolve_forwarder_link(void)
{
        char name[sizeof(tracing.base) + 16], target[PATH_MAX];
        snprintf(name, sizeof(name), "%s_%u", tracing.base, KATA_PORT_TRACING);
        ssize_t n = readlinkat(tracing.dir_fd, name, target, sizeof(target) - 1);
        if (n <= 0)
                return;
        target[n] = '\0';
        char *slash = strrchr(target, '/');
        const char *dir = slash ? (slash == target ? "/" : target) : ".";
        const char *base = slash ? slash + 1 : target;
        if (!base[0] || strlen(base) >= sizeof(tracing.target_base))
                return;
        snprintf(tracing.target_base, sizeof(tracing.target_base), "%s", base);
        if (slash && slash != target)
                *slash = '\0';
        tracing.target_dir_fd = openat(tracing.dir_fd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (tracing.target_dir_fd < 0)
                kata_log_warn("tracing: %s leads to %s, which cannot be opened: %s", name, dir,
                              strerror(errno));
}

static __thread kata_span *rpc_span;

kata_span *agent_rpc_span(void)
{
        return rpc_span;
}

void agent_set_rpc_span(kata_span *span)
{
        rpc_span = span;
}

static int connect_forwarder(void *ctx, kata_error *err)
{
        char addr[256];
        if (tracing.vsock)
                snprintf(addr, sizeof(addr), "vsock://2:%u", KATA_PORT_TRACING);
        else if (tracing.target_dir_fd >= 0)
                snprintf(addr, sizeof(addr), "unix:///proc/self/fd/%d/%s", tracing.target_dir_fd,
                         tracing.target_base);
        else
                snprintf(addr, sizeof(addr), "unix:///proc/self/fd/%d/%s_%u", tracing.dir_fd,
                         tracing.base, KATA_PORT_TRACING);
        return kata_transport_connect_str(addr, 1000, err);
}

int agent_tracing_start(struct agent *a, int listen_fd, bool vsock, kata_error *err)
{
        if (!a->settings.trace)
                return 0;
        tracing.vsock = vsock;
        if (!vsock) {
                struct sockaddr_un sun;
                socklen_t len = sizeof(sun);
                memset(&sun, 0, sizeof(sun));
                if (getsockname(listen_fd, (struct sockaddr *)&sun, &len) < 0 ||
                    sun.sun_family != AF_UNIX || !sun.sun_path[0])
                        return kata_error_set(err, EINVAL,
                                              "tracing: the listening socket has no path to "
                                              "put the forwarder's socket next to");
                char *slash = strrchr(sun.sun_path, '/');
                const char *dir = ".";
                if (slash) {
                        *slash = 0;
                        dir = sun.sun_path[0] ? sun.sun_path : "/";
                }
                snprintf(tracing.base, sizeof(tracing.base), "%s",
                         slash ? slash + 1 : sun.sun_path);
                tracing.dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (tracing.dir_fd < 0)
                        return kata_error_errno(err, errno, "tracing: cannot open %s", dir);
                resolve_forwarder_link();
        }
        kata_tracing_set_source("agent", NULL);
        kata_exporter_options opts = {.source = "agent", .connect = connect_forwarder};
        int r = kata_exporter_start(&opts, &tracing.exporter, err);
        if (r < 0)
                return kata_error_prefix(err, "tracing");
        r = kata_tracing_add_hook(kata_exporter_hook, tracing.exporter, err);
        if (r < 0)
                return kata_error_prefix(err, "tracing");
        kata_tracing_set_enabled(true);
        kata_log_info("tracing: spans go to host port %u%s", KATA_PORT_TRACING,
                      vsock ? " over vsock" : "");
        return 0;
}

void agent_tracing_stop(void)
{
        if (!tracing.exporter)
                return;
        kata_tracing_set_enabled(false);
        kata_tracing_remove_hook(kata_exporter_hook, tracing.exporter);
        kata_exporter_stats st;
        kata_exporter_get_stats(tracing.exporter, &st);
        kata_exporter_stop(tracing.exporter, 2000);
        kata_log_info("tracing: %llu spans sent, %llu dropped", (unsigned long long)st.sent,
                      (unsigned long long)st.dropped);
        tracing.exporter = NULL;
        if (tracing.dir_fd >= 0)
                close(tracing.dir_fd);
        tracing.dir_fd = -1;
        if (tracing.target_dir_fd >= 0)
                close(tracing.target_dir_fd);
        tracing.target_dir_fd = -1;
}

bool agent_tracing_stats(uint64_t *sent, uint64_t *dropped)
{
        if (!tracing.exporter)
                return false;
        kata_exporter_stats st;
        kata_exporter_get_stats(tracing.exporter, &st);
        *sent = st.sent;
        *dropped = st.dropped;
        return true;
}
