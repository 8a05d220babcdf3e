/* Stdio RPCs: the agent keeps the other ends of each process's stdin, stdout and stderr
 * pipes; reads and writes run with no lock held (a process reference keeps the fds). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "agent/process.h"
#include "agent/rpc.h"

#define READ_DEFAULT (32u << 10)
#define READ_MAX     (1u << 20)

static int lookup(struct agent *a, const char *container_id, const char *exec_id,
                  struct agent_process **out, kata_ttrpc_status *status)
{
        kata_error err = KATA_ERROR_INIT;
        if (agent_check_id("container_id", container_id, false, &err) < 0 ||
            agent_check_id("exec_id", exec_id, true, &err) < 0)
                return rpc_fail(status, &err);
        *out = agent_process_get(a, container_id, exec_id, NULL);
        if (!*out)
                return kata_ttrpc_status_set(status, KATA_TTRPC_NOT_FOUND,
                                             "process '%s' of container %s not found", exec_id,
                                             container_id);
        return KATA_TTRPC_OK;
}

static int read_stream(struct agent *a, const ProtobufCMessage *request, bool err_stream,
                       ProtobufCMessage **response, kata_ttrpc_status *status)
{
        const Grpc__ReadStreamRequest *req = (const void *)request;
        struct agent_process *p;
        int code = lookup(a, req->container_id, req->exec_id, &p, status);
        if (code != KATA_TTRPC_OK)
                return code;
        size_t len = req->len ? req->len : READ_DEFAULT;
        if (len > READ_MAX)
                len = READ_MAX;
        Grpc__ReadStreamResponse *resp = rpc_new_message(&grpc__read_stream_response__descriptor);
        uint8_t *buf = malloc(len);
        if (!resp || !buf) {
                free(resp);
                free(buf);
                agent_process_put(a, p);
                return kata_ttrpc_status_set(status, KATA_TTRPC_RESOURCE_EXHAUSTED,
                                             "out of memory");
        }
        int fd = err_stream ? p->stderr_fd : p->stdout_fd;
        ssize_t n = 0; /* a terminal has no stderr: EOF at once */
        while (fd >= 0 && (n = read(fd, buf, len)) < 0 && errno == EINTR)
                ;
        /* A terminal's master reports EIO once the last slave holder is gone: EOF. */
        if (n < 0 && errno == EIO && p->tty)
                n = 0;
        int e = errno;
        agent_process_put(a, p);
        if (n < 0) {
                free(buf);
                free(resp);
                return kata_ttrpc_status_set(status, KATA_TTRPC_INTERNAL, "read: %s", strerror(e));
        }
        /* EOF is an empty read: the process and everything it started closed it. */
        if (n == 0) {
                free(buf);
                buf = NULL;
        }
        resp->data.data = buf;
        resp->data.len = (size_t)n;
        *response = &resp->base;
        return KATA_TTRPC_OK;
}

RPC_HANDLER(rpc_read_stdout)
{
        return read_stream(user, request, false, response, status);
}

RPC_HANDLER(rpc_read_stderr)
{
        return read_stream(user, request, true, response, status);
}

RPC_HANDLER(rpc_write_stdin)
{
        struct agent *a = user;
        const Grpc__WriteStreamRequest *req = (const void *)request;
        struct agent_process *p;
        int code = lookup(a, req->container_id, req->exec_id, &p, status);
        if (code != KATA_TTRPC_OK)
                return code;
        /* A private copy of the fd: CloseStdin may close the original meanwhile. */
        pthread_mutex_lock(&a->lock);
        int fd = p->stdin_fd >= 0 ? fcntl(p->stdin_fd, F_DUPFD_CLOEXEC, 0) : -1;
        pthread_mutex_unlock(&a->lock);
        agent_process_put(a, p);
        if (fd < 0)
                return kata_ttrpc_status_set(status, KATA_TTRPC_FAILED_PRECONDITION,
                                             "stdin of process '%s' is closed", req->exec_id);
        size_t done = 0;
        while (done < req->data.len) {
                ssize_t n = write(fd, req->data.data + done, req->data.len - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = errno;
                        close(fd);
                        return kata_ttrpc_status_set(status, KATA_TTRPC_FAILED_PRECONDITION,
                                                     "write to stdin: %s", strerror(e));
                }
                done += (size_t)n;
        }
        close(fd);
        Grpc__WriteStreamResponse *resp = rpc_new_message(&grpc__write_stream_response__descriptor);
        if (!resp)
                return kata_ttrpc_status_set(status, KATA_TTRPC_RESOURCE_EXHAUSTED,
                                             "out of memory");
        resp->len = (uint32_t)done;
        *response = &resp->base;
        return KATA_TTRPC_OK;
}

RPC_HANDLER(rpc_close_stdin)
{
        struct agent *a = user;
        const Grpc__CloseStdinRequest *req = (const void *)request;
        struct agent_process *p;
        int code = lookup(a, req->container_id, req->exec_id, &p, status);
        if (code != KATA_TTRPC_OK)
                return code;
        pthread_mutex_lock(&a->lock);
        if (p->stdin_fd >= 0) {
                /* A terminal stays open (stdout reads from it): send it end-of-file, as
                 * a user typing ^D would. */
                if (p->tty) {
                        ssize_t w = write(p->stdin_fd, "\x04", 1);
                        (void)w;
                }
                close(p->stdin_fd);
        }
        p->stdin_fd = -1;
        pthread_mutex_unlock(&a->lock);
        agent_process_put(a, p);
        return KATA_TTRPC_OK;
}

RPC_HANDLER(rpc_tty_win_resize)
{
        struct agent *a = user;
        const Grpc__TtyWinResizeRequest *req = (const void *)request;
        struct agent_process *p;
        int code = lookup(a, req->container_id, req->exec_id, &p, status);
        if (code != KATA_TTRPC_OK)
                return code;
        if (req->row > 0xffff || req->column > 0xffff) {
                agent_process_put(a, p);
                return kata_ttrpc_status_set(status, KATA_TTRPC_INVALID_ARGUMENT,
                                             "row and column must be at most 65535");
        }
        struct winsize ws = {.ws_row = (unsigned short)req->row,
                             .ws_col = (unsigned short)req->column};
        int r = p->tty ? ioctl(p->stdout_fd, TIOCSWINSZ, &ws) : 0;
        int e = errno;
        bool tty = p->tty;
        agent_process_put(a, p);
        if (!tty)
                return kata_ttrpc_status_set(status, KATA_TTRPC_FAILED_PRECONDITION,
                                             "process '%s' of container %s has no terminal",
                                             req->exec_id, req->container_id);
        if (r < 0)
                return kata_ttrpc_status_set(status, KATA_TTRPC_INTERNAL, "TIOCSWINSZ: %s",
                                             strerror(e));
        return KATA_TTRPC_OK;
}
