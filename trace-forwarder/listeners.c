#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "listeners.h"

static int fill_addr(struct sockaddr_un *addr, const char *path, kata_error *err)
{
        memset(addr, 0, sizeof(*addr));
        addr->sun_family = AF_UNIX;
        if (strlen(path) >= sizeof(addr->sun_path))
                return kata_error_set(err, ENAMETOOLONG, "socket path too long (max %zu): %s",
                                      sizeof(addr->sun_path) - 1, path);
        strcpy(addr->sun_path, path);
        return 0;
}

/* A socket file nobody accepts on is left over from a dead forwarder: replace it. */
static int remove_stale(const struct sockaddr_un *addr, kata_error *err)
{
        struct stat st;
        if (lstat(addr->sun_path, &st) < 0)
                return 0;
        if (!S_ISSOCK(st.st_mode))
                return kata_error_set(err, EEXIST, "%s exists and is not a socket", addr->sun_path);
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe < 0)
                return kata_error_errno(err, errno, "socket");
        int rc = connect(probe, (const struct sockaddr *)addr, sizeof(*addr));
        close(probe);
        if (rc == 0)
                return kata_error_set(err, EADDRINUSE,
                                      "%s: another forwarder is already listening there",
                                      addr->sun_path);
        if (unlink(addr->sun_path) < 0 && errno != ENOENT)
                return kata_error_errno(err, errno, "removing stale socket %s", addr->sun_path);
        return 0;
}

int fwd_listen_unix(const char *path, kata_error *err)
{
        struct sockaddr_un addr;
        int rc = fill_addr(&addr, path, err);
        if (rc < 0)
                return rc;
        rc = remove_stale(&addr, err);
        if (rc < 0)
                return rc;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return kata_error_errno(err, errno, "socket");
        if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
                int e = errno;
                close(fd);
                return kata_error_errno(err, e, "binding %s", path);
        }
        if (listen(fd, 128) < 0) {
                int e = errno;
                close(fd);
                unlink(path);
                return kata_error_errno(err, e, "listening on %s", path);
        }
        return fd;
}

int fwd_listen_vsock(uint32_t cid, uint32_t port, kata_error *err)
{
        int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return kata_error_errno(err, errno, "vsock socket");
        struct sockaddr_vm addr = {.svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port};
        if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 128) < 0) {
                int e = errno;
                close(fd);
                return kata_error_errno(err, e, "listening on vsock %u:%u", cid, port);
        }
        return fd;
}
