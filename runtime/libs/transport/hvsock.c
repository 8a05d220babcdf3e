/* Hybrid vsock: the "CONNECT <port>\n" / "OK <n>\n" handshake on both sides, and the
 * "<path>_<port>" sockets of guest-initiated connections. */
#include "transport/transport.h"
#include "transport/io.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"

/* Strict decimal: 1..10 digits, value within UINT32_MAX. */
static int parse_number(const char *s, size_t len, uint32_t *out)
{
        if (len == 0 || len > 10)
                return -EINVAL;
        uint64_t v = 0;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (v > UINT32_MAX)
                return -ERANGE;
        *out = (uint32_t)v;
        return 0;
}

/* Shared by both line parsers: "<keyword> <number>\n" and nothing else. */
static int parse_line(const char *keyword, const char *line, size_t len, uint32_t *out,
                      kata_error *err)
{
        size_t kl = strlen(keyword);
        if (len > KATA_HVSOCK_LINE_MAX)
                return kata_error_set(err, EPROTO, "hybrid vsock line longer than %d bytes",
                                      KATA_HVSOCK_LINE_MAX);
        if (len == 0 || line[len - 1] != '\n')
                return kata_error_set(err, EPROTO, "hybrid vsock line does not end with a newline");
        if (len < kl + 1 || memcmp(line, keyword, kl) != 0 || line[kl] != ' ')
                return kata_error_set(err, EPROTO, "expected '%s <number>', got '%.*s'", keyword,
                                      (int)(len - 1 > 40 ? 40 : len - 1), line);
        const char *num = line + kl + 1;
        size_t nl = len - kl - 2;
        int r = parse_number(num, nl, out);
        if (r == -ERANGE)
                return kata_error_set(err, EPROTO, "'%s' number out of range: '%.*s'", keyword,
                                      (int)nl, num);
        if (r < 0) {
                /* Show only printable bytes: the line came from a peer. */
                char shown[KATA_HVSOCK_LINE_MAX + 1];
                size_t n = 0;
                for (size_t i = 0; i < nl && n < sizeof(shown) - 1; i++)
                        shown[n++] = (num[i] >= 0x20 && num[i] < 0x7f) ? num[i] : '?';
                shown[n] = '\0';
                return kata_error_set(err, EPROTO, "'%s' needs a decimal number, got '%s'", keyword,
                                      shown);
        }
        return 0;
}

int kata_hvsock_parse_connect(const char *line, size_t len, uint32_t *port, kata_error *err)
{
        return parse_line("CONNECT", line, len, port, err);
}

int kata_hvsock_parse_ok(const char *line, size_t len, uint32_t *n, kata_error *err)
{
        return parse_line("OK", line, len, n, err);
}

/* Reads one line byte by byte so that nothing after the newline is consumed: data the
 * peer sends right after the handshake belongs to the protocol that follows. Returns the
 * length (newline included), or -EPROTO (too long), -ECONNRESET (peer closed),
 * -ETIMEDOUT, or another negative errno. */
static int read_line(int fd, char *buf, size_t max, uint64_t deadline)
{
        size_t n = 0;
        while (n < max) {
                int w = kata_tp_wait(fd, POLLIN, deadline);
                if (w < 0)
                        return w;
                ssize_t r = recv(fd, buf + n, 1, MSG_DONTWAIT);
                if (r < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        return -ECONNRESET;
                if (buf[n++] == '\n')
                        return (int)n;
        }
        return -EPROTO;
}

static int write_all(int fd, const char *buf, size_t len, uint64_t deadline)
{
        while (len > 0) {
                ssize_t w = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                int r = kata_tp_wait(fd, POLLOUT, deadline);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        return -errno;
                }
                buf += w;
                len -= (size_t)w;
        }
        return 0;
}

static int line_error(int r, const char *what, const char *peer, int timeout_ms, kata_error *err)
{
        switch (r) {
        case -ETIMEDOUT:
                return kata_error_set(err, ETIMEDOUT, "%s: no %s line within %d ms", peer, what,
                                      timeout_ms);
        case -ECONNRESET:
                return kata_error_set(err, ECONNRESET, "%s: peer closed before sending its %s line",
                                      peer, what);
        case -EPROTO:
                return kata_error_set(err, EPROTO, "%s: %s line longer than %d bytes", peer, what,
                                      KATA_HVSOCK_LINE_MAX);
        default:
                return kata_error_errno(err, -r, "%s: cannot read %s line", peer, what);
        }
}

/* Connection numbers handed out in "OK <n>": any value is fine for hosts, they only log
 * it; counting from 2^30 keeps them apart from well-known ports. */
static uint32_t next_connection_number(void)
{
        static uint32_t counter = 1u << 30;
        return __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
}

int kata_hvsock_server_handshake(int fd, const uint32_t *allowed, size_t nallowed, int timeout_ms,
                                 uint32_t *port, kata_error *err)
{
        uint64_t deadline = kata_tp_deadline(timeout_ms);
        char line[KATA_HVSOCK_LINE_MAX];
        int n = read_line(fd, line, sizeof(line), deadline);
        if (n < 0)
                return line_error(n, "CONNECT", "hybrid vsock handshake", timeout_ms, err);
        uint32_t p;
        int r = kata_hvsock_parse_connect(line, (size_t)n, &p, err);
        if (r < 0)
                return kata_error_prefix(err, "hybrid vsock handshake");
        bool ok = nallowed == 0;
        for (size_t i = 0; i < nallowed && !ok; i++)
                ok = allowed[i] == p;
        if (!ok)
                return kata_error_set(err, ECONNREFUSED,
                                      "hybrid vsock handshake: no service on port %" PRIu32, p);
        char reply[KATA_HVSOCK_LINE_MAX];
        int rl = snprintf(reply, sizeof(reply), "OK %" PRIu32 "\n", next_connection_number());
        r = write_all(fd, reply, (size_t)rl, deadline);
        if (r == -ETIMEDOUT)
                return kata_error_set(err, ETIMEDOUT,
                                      "hybrid vsock handshake: could not answer within %d ms",
                                      timeout_ms);
        if (r < 0)
                return kata_error_errno(err, -r, "hybrid vsock handshake: cannot answer");
        *port = p;
        return 0;
}

int kata_hvsock_accept(int listen_fd, const uint32_t *allowed, size_t nallowed,
                       int accept_timeout_ms, uint32_t *port, kata_error *err)
{
        int fd = kata_transport_accept(listen_fd, accept_timeout_ms, err);
        if (fd < 0)
                return fd;
        int r = kata_hvsock_server_handshake(fd, allowed, nallowed,
                                             KATA_HVSOCK_HANDSHAKE_TIMEOUT_MS, port, err);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

int kata_hvsock_connect(const char *path, uint32_t port, int timeout_ms, uint32_t *host_port,
                        kata_error *err)
{
        if (timeout_ms < 0)
                return kata_error_set(err, EINVAL, "connect needs a timeout (got %d ms)",
                                      timeout_ms);
        uint64_t deadline = kata_tp_deadline(timeout_ms);
        char peer[sizeof(((kata_address *)0)->path) + 32];
        snprintf(peer, sizeof(peer), "hvsock://%s:%" PRIu32, path, port);
        int fd = kata_tp_connect_unix(path, deadline, err);
        if (fd < 0)
                return kata_error_prefix(err, "%s", peer);
        char line[KATA_HVSOCK_LINE_MAX];
        int n = snprintf(line, sizeof(line), "CONNECT %" PRIu32 "\n", port);
        int r = write_all(fd, line, (size_t)n, deadline);
        if (r < 0) {
                close(fd);
                if (r == -ETIMEDOUT)
                        return kata_error_set(err, ETIMEDOUT, "%s: timed out sending CONNECT",
                                              peer);
                return kata_error_errno(err, -r, "%s: cannot send CONNECT", peer);
        }
        n = read_line(fd, line, sizeof(line), deadline);
        if (n < 0) {
                close(fd);
                if (n == -ECONNRESET)
                        return kata_error_set(err, ECONNREFUSED,
                                              "%s: connection refused (the peer closed without "
                                              "answering OK: nothing serves port %" PRIu32 ")",
                                              peer, port);
                return line_error(n, "OK", peer, timeout_ms, err);
        }
        uint32_t hp;
        r = kata_hvsock_parse_ok(line, (size_t)n, &hp, err);
        if (r < 0) {
                close(fd);
                return kata_error_prefix(err, "%s: bad handshake reply", peer);
        }
        if (host_port)
                *host_port = hp;
        return fd;
}

int kata_hvsock_port_path(const char *path, uint32_t port, char *buf, size_t size, kata_error *err)
{
        size_t limit = sizeof(((kata_address *)0)->path);
        if (size > limit)
                size = limit;
        int n = snprintf(buf, size, "%s_%" PRIu32, path, port);
        if (n < 0 || (size_t)n >= size)
                return kata_error_set(err, ENAMETOOLONG,
                                      "socket path %s_%" PRIu32 " is too long for a unix socket",
                                      path, port);
        return 0;
}

int kata_hvsock_guest_connect(const char *path, uint32_t port, int timeout_ms, kata_error *err)
{
        if (timeout_ms < 0)
                return kata_error_set(err, EINVAL, "connect needs a timeout (got %d ms)",
                                      timeout_ms);
        char p[sizeof(((kata_address *)0)->path)];
        int r = kata_hvsock_port_path(path, port, p, sizeof(p), err);
        if (r < 0)
                return r;
        return kata_tp_connect_unix(p, kata_tp_deadline(timeout_ms), err);
}

int kata_hvsock_host_listen(const char *path, uint32_t port, int backlog, kata_error *err)
{
        char p[sizeof(((kata_address *)0)->path)];
        int r = kata_hvsock_port_path(path, port, p, sizeof(p), err);
        if (r < 0)
                return r;
        return kata_tp_listen_unix(p, backlog, err);
}
