/* Helpers every sandbox driver uses. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"
#include "transport/transport.h"

/* The agent sends its spans to host port 10240, i.e. <sandbox dir>/kata.hvsock_10240;
 * that name leads to the one forwarder socket of the host, for every driver (a VM's
 * connection arrives there through the vsock backend). The link is relative: the local
 * driver's agent resolves it through a handle on the sandbox directory opened before it
 * mounted its own /run, so "../.." walks the host's tree; a forwarder that starts later
 * is found all the same. */
int driver_link_trace_forwarder(const runtime_opts *o, const kata_sandbox_state *st,
                                kata_error *err)
{
        const char *target = getenv("KATA_TRACE_FORWARDER_SOCKET");
        if (!target || !target[0])
                target = KATA_TRACE_FORWARDER_SOCKET;
        char dir[KATA_STATE_PATH_MAX], link[KATA_STATE_PATH_MAX + 16], rel[PATH_MAX];
        int r = kata_state_sandbox_path(o->root, st->id, NULL, dir, sizeof(dir), err);
        if (r < 0)
                return r;
        size_t n = 0;
        rel[0] = '\0';
        for (const char *p = dir; *p; p++) {
                if (*p == '/' && p[1] && p[1] != '/')
                        n += (size_t)snprintf(rel + n, sizeof(rel) - n, "../");
        }
        snprintf(rel + n, sizeof(rel) - n, "%s", target[0] == '/' ? target + 1 : target);
        snprintf(link, sizeof(link), "%s/%s_%u", dir, KATA_HVSOCK_FILENAME, KATA_PORT_TRACING);
        unlink(link);
        if (symlink(rel, link) < 0)
                return kata_error_errno(err, errno, "cannot link %s to the trace forwarder", link);
        return 0;
}
