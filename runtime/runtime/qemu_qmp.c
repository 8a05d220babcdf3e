#include "qemu_qmp.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/util.h"

/* Next complete line, parsed; NULL with err set on timeout, EOF or bad JSON. */
static json_object *read_message(qemu_qmp *q, int timeout_ms, kata_error *err)
{
        uint64_t deadline = kata_now_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
        for (;;) {
                char *nl = memchr(q->buf, '\n', q->len);
                if (nl) {
                        *nl = '\0';
                        json_object *m = json_tokener_parse(q->buf);
                        size_t used = (size_t)(nl - q->buf) + 1;
                        memmove(q->buf, q->buf + used, q->len - used);
                        q->len -= used;
                        if (!m)
                                kata_error_set(err, EPROTO, "QMP: a message is not JSON");
                        return m;
                }
                if (q->len == sizeof(q->buf)) {
                        kata_error_set(err, EMSGSIZE, "QMP: message larger than %zu bytes",
                                       sizeof(q->buf));
                        return NULL;
                }
                uint64_t now = kata_now_monotonic_ns();
                if (now >= deadline) {
                        kata_error_set(err, ETIMEDOUT, "QMP: no answer within %d ms", timeout_ms);
                        return NULL;
                }
                struct pollfd p = {.fd = q->fd, .events = POLLIN};
                int r = poll(&p, 1, (int)((deadline - now) / 1000000ull) + 1);
                if (r < 0 && errno != EINTR) {
                        kata_error_errno(err, errno, "QMP: poll");
                        return NULL;
                }
                if (r <= 0)
                        continue;
                ssize_t n = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (n <= 0) {
                        kata_error_set(err, ECONNRESET, "QMP: QEMU closed the connection");
                        return NULL;
                }
                q->len += (size_t)n;
        }
}

int qemu_qmp_connect(const char *path, int timeout_ms, qemu_qmp *q, kata_error *err)
{
        memset(q, 0, sizeof(*q));
        q->fd = -1;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                return kata_error_set(err, ENAMETOOLONG, "QMP socket path %s is too long", path);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        uint64_t deadline = kata_now_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
        for (;;) {
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return kata_error_errno(err, errno, "QMP: socket");
                if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
                        q->fd = fd;
                        break;
                }
                int e = errno;
                close(fd);
                if ((e != ENOENT && e != ECONNREFUSED) || kata_now_monotonic_ns() >= deadline)
                        return kata_error_errno(err, e, "QMP: cannot connect to %s", path);
                usleep(10000);
        }
        json_object *greeting = read_message(q, timeout_ms, err);
        if (!greeting) {
                qemu_qmp_close(q);
                return kata_error_prefix(err, "QMP greeting");
        }
        json_object_put(greeting);
        int r = qemu_qmp_execute(q, "qmp_capabilities", NULL, NULL, timeout_ms, err);
        if (r < 0)
                qemu_qmp_close(q);
        return r;
}

int qemu_qmp_execute(qemu_qmp *q, const char *command, json_object *args, json_object **ret,
                     int timeout_ms, kata_error *err)
{
        if (ret)
                *ret = NULL;
        json_object *cmd = json_object_new_object();
        json_object_object_add(cmd, "execute", json_object_new_string(command));
        if (args)
                json_object_object_add(cmd, "arguments", args);
        const char *text = json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN);
        size_t len = strlen(text);
        int r = 0;
        if (write(q->fd, text, len) != (ssize_t)len || write(q->fd, "\n", 1) != 1)
                r = kata_error_errno(err, errno, "QMP %s: write", command);
        json_object_put(cmd);
        if (r < 0)
                return r;
        for (;;) {
                json_object *m = read_message(q, timeout_ms, err);
                if (!m)
                        return kata_error_prefix(err, "QMP %s", command);
                json_object *v;
                if (json_object_object_get_ex(m, "return", &v)) {
                        if (ret)
                                *ret = json_object_get(v);
                        json_object_put(m);
                        return 0;
                }
                if (json_object_object_get_ex(m, "error", &v)) {
                        json_object *desc = NULL;
                        json_object_object_get_ex(v, "desc", &desc);
                        r = kata_error_set(err, EIO, "QMP %s: %s", command,
                                           desc ? json_object_get_string(desc) : "error");
                        json_object_put(m);
                        return r;
                }
                json_object_put(m); /* an event */
        }
}

void qemu_qmp_close(qemu_qmp *q)
{
        if (q->fd >= 0)
                close(q->fd);
        q->fd = -1;
        q->len = 0;
}
