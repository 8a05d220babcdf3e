#include "stdio_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <string.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "common/log.h"
#include "common/util.h"

#define STREAM_CHUNK (64u * 1024u)

struct stream {
        kata_agent_conn *agent;
        const char *container_id;
        const char *exec_id;
        const char *method; /* ReadStdout, ReadStderr */
        int out_fd;
};

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
                int w = n ? kata_write_all(s->out_fd, r->data.data, n) : 0;
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

static void tty_resize(kata_agent_conn *agent, const char *cid, const char *exec_id)
{
        struct winsize ws;
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0)
                return;
        Grpc__TtyWinResizeRequest req = GRPC__TTY_WIN_RESIZE_REQUEST__INIT;
        req.container_id = (char *)cid;
        req.exec_id = (char *)exec_id;
        req.row = ws.ws_row;
        req.column = ws.ws_col;
        kata_agent_call(agent, "TtyWinResize", &req.base, NULL, 0, NULL, NULL);
}

/* SIGWINCH is taken synchronously by a thread (sigwait), so no RPC runs in a handler. */
struct winch_watch {
        kata_agent_conn *agent;
        const char *container_id;
        const char *exec_id;
};

static void *winch_watcher(void *arg)
{
        struct winch_watch *w = arg;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGWINCH);
        sigaddset(&set, SIGUSR2); /* stop */
        for (;;) {
                int sig;
                if (sigwait(&set, &sig) != 0 || sig == SIGUSR2)
                        return NULL;
                tty_resize(w->agent, w->container_id, w->exec_id);
        }
}

int stdio_relay_and_wait(kata_agent_conn *agent, const char *container_id, const char *exec_id,
                         bool terminal, int *exit_status, kata_error *err)
{
        int cancel[2];
        if (pipe2(cancel, O_CLOEXEC) < 0)
                return kata_error_errno(err, errno, "cannot create a pipe");
        struct termios saved;
        bool raw = false;
        pthread_t t_winch;
        bool have_winch = false;
        struct winch_watch winch = {agent, container_id, exec_id};
        sigset_t winch_set, old_mask;
        if (terminal) {
                if (!isatty(STDIN_FILENO)) {
                        close(cancel[0]);
                        close(cancel[1]);
                        return kata_error_set(err, ENOTTY,
                                              "a terminal was asked for but stdin is not one");
                }
                if (tcgetattr(STDIN_FILENO, &saved) == 0) {
                        struct termios t = saved;
                        cfmakeraw(&t);
                        raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
                }
                sigemptyset(&winch_set);
                sigaddset(&winch_set, SIGWINCH);
                sigaddset(&winch_set, SIGUSR2);
                pthread_sigmask(SIG_BLOCK, &winch_set, &old_mask);
                have_winch = pthread_create(&t_winch, NULL, winch_watcher, &winch) == 0;
                tty_resize(agent, container_id, exec_id);
        }
        struct stream out = {agent, container_id, exec_id, "ReadStdout", 1};
        struct stream errs = {agent, container_id, exec_id, "ReadStderr", 2};
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
        if (have_winch) {
                pthread_kill(t_winch, SIGUSR2);
                pthread_join(t_winch, NULL);
        }
        if (terminal)
                pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
        if (raw)
                tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        return r;
}
