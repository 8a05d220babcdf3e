#include "agent/tracing.h"

#include <errno.h>
#include <fcntl.h>
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
        bool vsock;
} tracing = {.dir_fd = -1};

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
}
