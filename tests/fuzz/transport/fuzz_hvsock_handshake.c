/* Whatever a host sends first, the guest side of the hybrid vsock handshake either
 * accepts a well-formed "CONNECT <port>\n" or fails with a message; it never reads past
 * the line, overruns its buffer or waits once the peer is done. The line parsers alone
 * get the same bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport/transport.h"

static void check_parsers(const uint8_t *data, size_t size)
{
        kata_error err = KATA_ERROR_INIT;
        uint32_t v;
        const char *s = (const char *)data;
        if (kata_hvsock_parse_connect(s, size, &v, &err) == 0) {
                char again[KATA_HVSOCK_LINE_MAX + 1];
                int n = snprintf(again, sizeof(again), "CONNECT %u\n", v);
                uint32_t w;
                if (size > KATA_HVSOCK_LINE_MAX || s[size - 1] != '\n' ||
                    kata_hvsock_parse_connect(again, (size_t)n, &w, &err) != 0 || w != v)
                        abort();
        } else if (err.msg[0] == '\0') {
                abort();
        }
        err.msg[0] = '\0';
        if (kata_hvsock_parse_ok(s, size, &v, &err) != 0 && err.msg[0] == '\0')
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        check_parsers(data, size);
        if (size > 512)
                return 0;
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return 0;
        if (size && write(sv[0], data, size) != (ssize_t)size)
                abort();
        shutdown(sv[0], SHUT_WR);
        const uint32_t allowed[] = {KATA_PORT_AGENT, KATA_PORT_DEBUG_CONSOLE};
        kata_error err = KATA_ERROR_INIT;
        uint32_t port = 0;
        int r = kata_hvsock_server_handshake(sv[1], allowed, 2, 1000, &port, &err);
        if (r == 0) {
                if (port != KATA_PORT_AGENT && port != KATA_PORT_DEBUG_CONSOLE)
                        abort();
                /* Exactly the line was consumed: what follows is still there. */
                const char *nl = memchr(data, '\n', size);
                if (!nl)
                        abort();
                size_t rest = size - (size_t)(nl - (const char *)data) - 1;
                char buf[512];
                ssize_t got = read(sv[1], buf, sizeof(buf));
                if (got != (ssize_t)rest || memcmp(buf, nl + 1, rest) != 0)
                        abort();
                char reply[KATA_HVSOCK_LINE_MAX];
                ssize_t n = read(sv[0], reply, sizeof(reply));
                uint32_t assigned;
                if (n <= 0 || kata_hvsock_parse_ok(reply, (size_t)n, &assigned, &err) != 0)
                        abort();
        } else if (err.msg[0] == '\0' || r == -ETIMEDOUT) {
                /* The peer already closed its side: waiting would be a bug. */
                abort();
        }
        close(sv[0]);
        close(sv[1]);
        return 0;
}
