#include "stdio_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "common/log.h"

#define STREAM_CHUNK (64u * 1024u)

struct stream {
        kata_agent_conn *agent;
        const char *container_id;
        const char *exec_id;
        const char *method; /* ReadStdout, ReadStderr */
        int out_fd;
};

static int write_all(int fd, const uint8_t *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -1;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

/* An empty read is EOF: the process (and everything it started) closed the stream. */
static void *stream_reader(void *arg)
{
        struct stream *s = arg;
        for (;;) {
                Grpc__ReadStreamRequest req = GRPC__READ_STREAM_REQUEST__INIT;
                req.container_id = (char *)s->container_id;
                req.exec_id = (char *)s->exec_id;
                req.len = STREAM_CHUNK;
                ProtobufCMessage *resp = NULL;
                kata_error err = KATA_ERROR_INIT;
                if (kata_agent_call(s->agent, s->method, &req.base,
                                    &grpc__read_stream_response__descriptor, UINT64_MAX, &resp,
                                    &err) < 0) {
                        kata_log_debug("%s ended: %s", s->method, err.msg);
                        break;
                }
                Grpc__ReadStreamResponse *r = (Grpc__ReadStreamResponse *)resp;
                size_t n = r->data.len;
                int w = n ? write_all(s->out_fd, r->data.data, n) : 0;
                protobuf_c_message_free_unpacked(resp, NULL);
                if (n == 0 || w < 0)
                        break;
        }
        return NULL;
}

struct stdin_pump {
        kata_agent_conn *agent;
        const char *container_id;
        const char *exec_id;
        int cancel_fd; /* readable once the process has exited: stop at once */
};

/* Forwards our stdin until EOF (then CloseStdin) or until cancelled. It polls so that
 * it can always be joined: it must never touch the connection after the relay returns. */
static void *stdin_writer(void *arg)
{
        struct stdin_pump *s = arg;
        uint8_t buf[STREAM_CHUNK];
        for (;;) {
                struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
                                      {.fd = s->cancel_fd, .events = POLLIN}};
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return NULL;
                }
                if (p[1].revents)
                        return NULL;
                ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                Grpc__WriteStreamRequest req = GRPC__WRITE_STREAM_REQUEST__INIT;
                req.container_id = (char *)s->container_id;
                req.exec_id = (char *)s->exec_id;
                req.data.data = buf;
                req.data.len = (size_t)n;
                if (kata_agent_call(s->agent, "WriteStdin", &req.base,
                                    &grpc__write_stream_response__descriptor, 0, NULL, NULL) < 0)
                        return NULL;
        }
        Grpc__CloseStdinRequest req = GRPC__CLOSE_STDIN_REQUEST__INIT;
        req.container_id = (char *)s->container_id;
        req.exec_id = (char *)s->exec_id;
        kata_agent_call(s->agent, "CloseStdin", &req.base, NULL, 0, NULL, NULL);
        return NULL;
}

int stdio_relay_and_wait(kata_agent_conn *agent, const char *container_id, const char *exec_id,
                         int *exit_status, kata_error *err)
{
        struct stream out = {agent, container_id, exec_id, "ReadStdout", 1};
        struct stream errs = {agent, container_id, exec_id, "ReadStderr", 2};
        int cancel[2];
        if (pipe2(cancel, O_CLOEXEC) < 0)
                return kata_error_errno(err, errno, "cannot create a pipe");
        struct stdin_pump in = {agent, container_id, exec_id, cancel[0]};
        pthread_t t_out, t_err, t_in;
        bool have_out = pthread_create(&t_out, NULL, stream_reader, &out) == 0;
        bool have_err = pthread_create(&t_err, NULL, stream_reader, &errs) == 0;
        bool have_in = pthread_create(&t_in, NULL, stdin_writer, &in) == 0;

        Grpc__WaitProcessRequest req = GRPC__WAIT_PROCESS_REQUEST__INIT;
        req.container_id = (char *)container_id;
        req.exec_id = (char *)exec_id;
        ProtobufCMessage *resp = NULL;
        int r = kata_agent_call(agent, "WaitProcess", &req.base,
                                &grpc__wait_process_response__descriptor, UINT64_MAX, &resp, err);
        if (r == 0) {
                *exit_status = ((Grpc__WaitProcessResponse *)resp)->status;
                protobuf_c_message_free_unpacked(resp, NULL);
        }
        /* Output written before the exit is still in the agent's pipes: drain it. */
        if (have_out)
                pthread_join(t_out, NULL);
        if (have_err)
                pthread_join(t_err, NULL);
        (void)!write(cancel[1], "x", 1);
        if (have_in)
                pthread_join(t_in, NULL);
        close(cancel[0]);
        close(cancel[1]);
        return r;
}
