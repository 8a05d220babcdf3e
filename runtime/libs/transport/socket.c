/* Listening, accepting and connecting for unix, vsock and inherited sockets. */
#include "transport/transport.h"
#include "transport/io.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

uint64_t kata_tp_deadline(int timeout_ms)
{
        if (timeout_ms < 0)
                return 0;
        return kata_now_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
}

/* Milliseconds left, rounded up so that a short remainder still polls once; -1 for no
 * deadline, 0 when passed. */
static int remaining_ms(uint64_t deadline)
{
        if (deadline == 0)
                return -1;
        uint64_t now = kata_now_monotonic_ns();
        if (now >= deadline)
                return 0;
        uint64_t ms = (deadline - now + 999999ull) / 1000000ull;
        return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

int kata_tp_wait(int fd, short events, uint64_t deadline)
{
        for (;;) {
                /* A passed deadline still polls once, so that a zero timeout means "only
                 * if ready now" (epoll users accept that way). */
                int ms = remaining_ms(deadline);
                struct pollfd p = {.fd = fd, .events = events};
                int r = poll(&p, 1, ms);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r > 0)
                        return 0;
                if (ms == 0)
                        return -ETIMEDOUT;
        }
}

int kata_tp_backoff(uint64_t deadline)
{
        int ms = remaining_ms(deadline);
        if (ms == 0)
                return -ETIMEDOUT;
        if (ms < 0 || ms > 10)
                ms = 10;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
        return 0;
}

int kata_tp_set_nonblock(int fd, int on)
{
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0)
                return -errno;
        int nfl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
        if (nfl != fl && fcntl(fd, F_SETFL, nfl) < 0)
                return -errno;
        return 0;
}

int kata_tp_connect_sockaddr(int family, const struct sockaddr *sa, socklen_t salen,
                             uint64_t deadline, const char *what, kata_error *err)
{
        for (;;) {
                int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                if (fd < 0)
                        return kata_error_errno(err, errno, "cannot create socket for %s", what);
                int r = connect(fd, sa, salen);
                int e = r < 0 ? errno : 0;
                if (r < 0 && (e == EINPROGRESS || e == EINTR)) {
                        /* Completion is reported through SO_ERROR once writable. */
                        int w = kata_tp_wait(fd, POLLOUT, deadline);
                        if (w < 0) {
                                close(fd);
                                if (w == -ETIMEDOUT)
                                        return kata_error_set(err, ETIMEDOUT,
                                                              "timed out connecting to %s", what);
                                return kata_error_errno(err, -w, "cannot connect to %s", what);
                        }
                        socklen_t l = sizeof(e);
                        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
                                e = errno;
                        r = e ? -1 : 0;
                }
                if (r == 0) {
                        int b = kata_tp_set_nonblock(fd, 0);
                        if (b < 0) {
                                close(fd);
                                return kata_error_errno(err, -b, "cannot set %s blocking", what);
                        }
                        return fd;
                }
                close(fd);
                if (e == EAGAIN) {
                        /* A unix listener's backlog is full: it may drain, so retry
                         * until the deadline. */
                        if (kata_tp_backoff(deadline) < 0)
                                return kata_error_set(err, ETIMEDOUT,
                                                      "timed out connecting to %s (its backlog "
                                                      "stayed full)",
                                                      what);
                        continue;
                }
                if (e == ECONNREFUSED)
                        return kata_error_set(err, ECONNREFUSED,
                                              "connection to %s refused: nothing listens there",
                                              what);
                if (e == ENOENT)
                        return kata_error_set(err, ENOENT, "cannot connect to %s: no such socket",
                                              what);
                if (e == ETIMEDOUT)
                        return kata_error_set(err, ETIMEDOUT, "timed out connecting to %s", what);
                return kata_error_errno(err, e, "cannot connect to %s", what);
        }
}

static int fill_sockaddr_un(const char *path, struct sockaddr_un *sun, kata_error *err)
{
        memset(sun, 0, sizeof(*sun));
        sun->sun_family = AF_UNIX;
        size_t n = strlen(path);
        if (n == 0)
                return kata_error_set(err, EINVAL, "empty unix socket path");
        if (n >= sizeof(sun->sun_path))
                return kata_error_set(err, ENAMETOOLONG,
                                      "unix socket path too long (%zu bytes, at most %zu): %s", n,
                                      sizeof(sun->sun_path) - 1, path);
        memcpy(sun->sun_path, path, n + 1);
        return 0;
}

int kata_tp_connect_unix(const char *path, uint64_t deadline, kata_error *err)
{
        struct sockaddr_un sun;
        int r = fill_sockaddr_un(path, &sun, err);
        if (r < 0)
                return r;
        char what[sizeof(sun.sun_path) + 16];
        snprintf(what, sizeof(what), "unix://%s", path);
        return kata_tp_connect_sockaddr(AF_UNIX, (struct sockaddr *)&sun, sizeof(sun), deadline,
                                        what, err);
}

/* An existing socket file nobody accepts on is left over from a dead process. */
static int remove_stale_socket(const char *path, kata_error *err)
{
        struct stat st;
        if (lstat(path, &st) < 0) {
                if (errno == ENOENT)
                        return 0;
                return kata_error_errno(err, errno, "cannot inspect %s", path);
        }
        if (!S_ISSOCK(st.st_mode))
                return kata_error_set(err, EEXIST,
                                      "cannot listen on %s: a non-socket file is there", path);
        kata_error probe = KATA_ERROR_INIT;
        int fd = kata_tp_connect_unix(path, kata_tp_deadline(100), &probe);
        if (fd >= 0) {
                close(fd);
                return kata_error_set(err, EADDRINUSE,
                                      "cannot listen on %s: another process is listening there",
                                      path);
        }
        if (fd != -ECONNREFUSED && fd != -ENOENT)
                return kata_error_set(err, EADDRINUSE, "cannot listen on %s: existing socket: %s",
                                      path, probe.msg);
        if (unlink(path) < 0 && errno != ENOENT)
                return kata_error_errno(err, errno, "cannot remove stale socket %s", path);
        return 0;
}

int kata_tp_listen_unix(const char *path, int backlog, kata_error *err)
{
        struct sockaddr_un sun;
        int r = fill_sockaddr_un(path, &sun, err);
        if (r < 0)
                return r;
        r = remove_stale_socket(path, err);
        if (r < 0)
                return r;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return kata_error_errno(err, errno, "cannot create socket for %s", path);
        if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
                int e = errno;
                close(fd);
                return kata_error_errno(err, e, "cannot bind unix socket %s", path);
        }
        if (listen(fd, backlog > 0 ? backlog : SOMAXCONN) < 0) {
                int e = errno;
                close(fd);
                unlink(path);
                return kata_error_errno(err, e, "cannot listen on %s", path);
        }
        return fd;
}

static int listen_vsock(const kata_address *addr, int backlog, kata_error *err)
{
        int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return kata_error_errno(err, errno, "cannot create vsock socket");
        struct sockaddr_vm svm = {
            .svm_family = AF_VSOCK, .svm_cid = addr->cid, .svm_port = addr->port};
        if (bind(fd, (struct sockaddr *)&svm, sizeof(svm)) < 0 ||
            listen(fd, backlog > 0 ? backlog : SOMAXCONN) < 0) {
                int e = errno;
                close(fd);
                return kata_error_errno(err, e, "cannot listen on vsock %u:%u", addr->cid,
                                        addr->port);
        }
        return fd;
}

/* Adopts an inherited fd after checking it is what a listener must be. */
static int adopt_listener(int fd, kata_error *err)
{
        int type = 0, acc = 0;
        socklen_t l = sizeof(type);
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0)
                return kata_error_errno(err, errno, "inherited fd %d is not a socket", fd);
        l = sizeof(acc);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) < 0)
                return kata_error_errno(err, errno, "inherited fd %d: cannot query it", fd);
        if (type != SOCK_STREAM || !acc)
                return kata_error_set(err, EINVAL,
                                      "inherited fd %d is not a listening stream socket", fd);
        if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
                return kata_error_errno(err, errno, "inherited fd %d: cannot set CLOEXEC", fd);
        int r = kata_tp_set_nonblock(fd, 1);
        if (r < 0)
                return kata_error_errno(err, -r, "inherited fd %d: cannot set O_NONBLOCK", fd);
        return fd;
}

static int parse_env_int(const char *name, const char *v, long *out, kata_error *err)
{
        int64_t n;
        if (kata_parse_i64(v, &n) < 0 || n < 0 || n > INT32_MAX)
                return kata_error_set(err, EINVAL, "%s='%s' is not a valid number", name, v);
        *out = (long)n;
        return 0;
}

int kata_transport_listen_fds(kata_error *err)
{
        const char *pid_s = getenv("LISTEN_PID");
        const char *fds_s = getenv("LISTEN_FDS");
        if (!pid_s || !fds_s)
                return kata_error_set(err, ENOENT,
                                      "no socket passed (LISTEN_PID/LISTEN_FDS unset)");
        long pid = 0, n = 0;
        int r = parse_env_int("LISTEN_PID", pid_s, &pid, err);
        if (r < 0)
                return r;
        r = parse_env_int("LISTEN_FDS", fds_s, &n, err);
        if (r < 0)
                return r;
        if (pid != (long)getpid())
                return kata_error_set(err, ENOENT,
                                      "LISTEN_PID=%ld is another process (this is %ld): no "
                                      "socket passed to us",
                                      pid, (long)getpid());
        if (n < 1)
                return kata_error_set(err, ENOENT, "LISTEN_FDS=0: no socket passed");
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_FDNAMES");
        r = adopt_listener(3, err);
        if (r < 0)
                return kata_error_prefix(err, "LISTEN_FDS");
        return r;
}

int kata_transport_listen(const kata_address *addr, int backlog, kata_error *err)
{
        switch (addr->kind) {
        case KATA_TRANSPORT_UNIX:
        case KATA_TRANSPORT_HVSOCK:
                return kata_tp_listen_unix(addr->path, backlog, err);
        case KATA_TRANSPORT_VSOCK:
                return listen_vsock(addr, backlog, err);
        case KATA_TRANSPORT_FD:
                if (addr->fd < 0)
                        return kata_transport_listen_fds(err);
                return adopt_listener(addr->fd, err);
        }
        return kata_error_set(err, EINVAL, "invalid address kind %d", (int)addr->kind);
}

int kata_transport_listen_str(const char *text, int backlog, kata_error *err)
{
        kata_address a;
        int r = kata_address_parse(text, &a, err);
        if (r < 0)
                return r;
        return kata_transport_listen(&a, backlog, err);
}

int kata_transport_accept(int listen_fd, int timeout_ms, kata_error *err)
{
        uint64_t deadline = kata_tp_deadline(timeout_ms);
        for (;;) {
                int w = kata_tp_wait(listen_fd, POLLIN, deadline);
                if (w == -ETIMEDOUT)
                        return kata_error_set(err, ETIMEDOUT, "no connection within %d ms",
                                              timeout_ms);
                if (w < 0)
                        return kata_error_errno(err, -w, "cannot wait for a connection");
                int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (fd >= 0)
                        return fd;
                switch (errno) {
                case EINTR:
                case EAGAIN:
                case ECONNABORTED:
                case EPROTO:
                case ENETDOWN:
                case ENOPROTOOPT:
                case EHOSTDOWN:
                case ENONET:
                case EHOSTUNREACH:
                case ENETUNREACH:
                        /* The client went away between poll and accept: wait again. */
                        continue;
                default:
                        return kata_error_errno(err, errno, "cannot accept a connection");
                }
        }
}

static int connect_vsock(const kata_address *addr, uint64_t deadline, kata_error *err)
{
        struct sockaddr_vm svm = {
            .svm_family = AF_VSOCK, .svm_cid = addr->cid, .svm_port = addr->port};
        char what[64];
        snprintf(what, sizeof(what), "vsock://%u:%u", addr->cid, addr->port);
        return kata_tp_connect_sockaddr(AF_VSOCK, (struct sockaddr *)&svm, sizeof(svm), deadline,
                                        what, err);
}

int kata_transport_connect(const kata_address *addr, int timeout_ms, kata_error *err)
{
        if (timeout_ms < 0)
                return kata_error_set(err, EINVAL, "connect needs a timeout (got %d ms)",
                                      timeout_ms);
        uint64_t deadline = kata_tp_deadline(timeout_ms);
        switch (addr->kind) {
        case KATA_TRANSPORT_UNIX:
                return kata_tp_connect_unix(addr->path, deadline, err);
        case KATA_TRANSPORT_HVSOCK:
                return kata_hvsock_connect(addr->path, addr->port, timeout_ms, NULL, err);
        case KATA_TRANSPORT_VSOCK:
                return connect_vsock(addr, deadline, err);
        case KATA_TRANSPORT_FD:
                return kata_error_set(err, EINVAL,
                                      "fd:// names a listening socket; it cannot be connected to");
        }
        return kata_error_set(err, EINVAL, "invalid address kind %d", (int)addr->kind);
}

int kata_transport_connect_str(const char *text, int timeout_ms, kata_error *err)
{
        kata_address a;
        int r = kata_address_parse(text, &a, err);
        if (r < 0)
                return r;
        return kata_transport_connect(&a, timeout_ms, err);
}
