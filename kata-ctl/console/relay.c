/* Frames between our stdio and the agent's console session: one frame in flight to the
 * agent (stdin is read only when the previous frame went out, the socket being
 * non-blocking so that output keeps flowing meanwhile); output frames are written to
 * stdout/stderr as they come. Terminating signals and SIGWINCH are only delivered inside
 * ppoll, so that they are seen without races. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "console/protocol.h"
#include "relay_internal.h"

static volatile sig_atomic_t got_winch;
static volatile sig_atomic_t got_stop;

static void on_signal(int sig)
{
        if (sig == SIGWINCH)
                got_winch = 1;
        else
                got_stop = sig;
}

int kata_console_write_all(int fd, const void *buf, size_t len, kata_error *err)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return kata_error_errno(err, errno, "write");
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

struct relay {
        int sock;
        int in_fd;
        int winsize_fd;
        unsigned char out[KATA_CONSOLE_HEADER_SIZE + KATA_CONSOLE_FRAME_MAX];
        size_t out_len, out_off;
        unsigned char in[KATA_CONSOLE_HEADER_SIZE + KATA_CONSOLE_FRAME_MAX];
        size_t in_have;
};

static void queue_frame(struct relay *r, char type, const void *data, size_t len)
{
        kata_console_put_header(r->out, type, (uint32_t)len);
        if (len && data != r->out + KATA_CONSOLE_HEADER_SIZE)
                memcpy(r->out + KATA_CONSOLE_HEADER_SIZE, data, len);
        r->out_len = KATA_CONSOLE_HEADER_SIZE + len;
        r->out_off = 0;
}

static void queue_winsize(struct relay *r)
{
        struct winsize ws;
        if (ioctl(r->winsize_fd, TIOCGWINSZ, &ws) < 0 || !ws.ws_row || !ws.ws_col)
                return;
        unsigned char p[4] = {(unsigned char)(ws.ws_row >> 8), (unsigned char)ws.ws_row,
                              (unsigned char)(ws.ws_col >> 8), (unsigned char)ws.ws_col};
        queue_frame(r, KATA_CONSOLE_FRAME_WINSZ, p, sizeof(p));
}

/* One complete frame from the agent. Returns 1 at the exit frame, 0 to go on, -EPIPE
 * when our stdout is gone, other negative errnos on protocol errors. */
static int handle_frame(struct relay *r, int *status, kata_error *err)
{
        uint32_t len = kata_console_get_u32(r->in + 1);
        const unsigned char *p = r->in + KATA_CONSOLE_HEADER_SIZE;
        switch (r->in[0]) {
        case KATA_CONSOLE_FRAME_STDOUT:
        case KATA_CONSOLE_FRAME_STDERR: {
                int fd = r->in[0] == KATA_CONSOLE_FRAME_STDOUT ? 1 : 2;
                kata_error werr = KATA_ERROR_INIT;
                int w = kata_console_write_all(fd, p, len, &werr);
                if (w == -EPIPE)
                        return -EPIPE;
                if (w < 0) {
                        *err = werr;
                        return kata_error_prefix(err, "%s", fd == 1 ? "stdout" : "stderr");
                }
                return 0;
        }
        case KATA_CONSOLE_FRAME_EXIT:
                if (len != 4)
                        return kata_error_set(err, EPROTO, "debug console: exit frame of %u bytes",
                                              len);
                *status = (int)kata_console_get_u32(p);
                if (*status < 0 || *status > 255)
                        return kata_error_set(
                            err, EPROTO, "debug console: exit status %d out of range", *status);
                return 1;
        default:
                return kata_error_set(err, EPROTO, "debug console: unknown frame type 0x%02x",
                                      r->in[0]);
        }
}

static int relay_loop(struct relay *r, const sigset_t *wait_mask, int *status, kata_error *err)
{
        for (;;) {
                if (got_stop) {
                        *status = 128 + got_stop;
                        return 0;
                }
                if (got_winch && r->out_len == 0 && r->winsize_fd >= 0) {
                        got_winch = 0;
                        queue_winsize(r);
                }
                struct pollfd pf[2] = {{.fd = r->sock, .events = POLLIN}, {.fd = -1}};
                if (r->out_len)
                        pf[0].events |= POLLOUT;
                else if (r->in_fd >= 0)
                        pf[1] = (struct pollfd){.fd = r->in_fd, .events = POLLIN};
                int n = ppoll(pf, 2, NULL, wait_mask);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return kata_error_errno(err, errno, "poll");
                if (pf[0].revents & POLLOUT) {
                        ssize_t w = write(r->sock, r->out + r->out_off, r->out_len - r->out_off);
                        if (w < 0 && errno != EAGAIN && errno != EINTR)
                                return kata_error_errno(err, errno,
                                                        "debug console: sending to the agent");
                        if (w > 0 && (r->out_off += (size_t)w) == r->out_len)
                                r->out_len = r->out_off = 0;
                }
                if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        size_t want = r->in_have < KATA_CONSOLE_HEADER_SIZE
                                          ? KATA_CONSOLE_HEADER_SIZE - r->in_have
                                          : KATA_CONSOLE_HEADER_SIZE +
                                                kata_console_get_u32(r->in + 1) - r->in_have;
                        ssize_t got = read(r->sock, r->in + r->in_have, want);
                        if (got < 0 && (errno == EAGAIN || errno == EINTR))
                                continue;
                        if (got < 0)
                                return kata_error_errno(err, errno,
                                                        "debug console: reading from the agent");
                        if (got == 0)
                                return kata_error_set(err, ECONNRESET,
                                                      "debug console: the agent closed the "
                                                      "connection before the exit status came "
                                                      "(sandbox stopped?)");
                        r->in_have += (size_t)got;
                        if (r->in_have == KATA_CONSOLE_HEADER_SIZE &&
                            kata_console_get_u32(r->in + 1) > KATA_CONSOLE_FRAME_MAX)
                                return kata_error_set(err, EPROTO,
                                                      "debug console: frame of %u bytes",
                                                      kata_console_get_u32(r->in + 1));
                        if (r->in_have >= KATA_CONSOLE_HEADER_SIZE &&
                            r->in_have ==
                                KATA_CONSOLE_HEADER_SIZE + kata_console_get_u32(r->in + 1)) {
                                int h = handle_frame(r, status, err);
                                r->in_have = 0;
                                if (h == -EPIPE) {
                                        *status = 128 + SIGPIPE;
                                        return 0;
                                }
                                if (h != 0)
                                        return h > 0 ? 0 : h;
                        }
                }
                if (pf[1].fd >= 0 && pf[1].revents) {
                        ssize_t got = read(r->in_fd, r->out + KATA_CONSOLE_HEADER_SIZE,
                                           KATA_CONSOLE_FRAME_MAX);
                        if (got < 0 && (errno == EAGAIN || errno == EINTR))
                                continue;
                        if (got <= 0) { /* end of input (or an unreadable stdin: the same) */
                                r->in_fd = -1;
                                got = 0;
                        }
                        queue_frame(r, KATA_CONSOLE_FRAME_STDIN, r->out + KATA_CONSOLE_HEADER_SIZE,
                                    (size_t)got);
                }
        }
}

int kata_console_relay(int sock, int in_fd, int winsize_fd, int *status, kata_error *err)
{
        static struct relay r; /* 128 KiB of buffers: not on the stack */
        memset(&r, 0, sizeof(r));
        r.sock = sock;
        r.in_fd = in_fd;
        r.winsize_fd = winsize_fd;
        if (in_fd < 0)
                queue_frame(&r, KATA_CONSOLE_FRAME_STDIN, NULL, 0);
        int fl = fcntl(sock, F_GETFL);
        if (fl < 0 || fcntl(sock, F_SETFL, fl | O_NONBLOCK) < 0)
                return kata_error_errno(err, errno, "debug console socket");

        const int sigs[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGPIPE};
        struct sigaction sa, old_sa[5];
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigset_t block, old_mask;
        sigemptyset(&block);
        for (size_t i = 0; i < 4; i++)
                sigaddset(&block, sigs[i]);
        sigprocmask(SIG_BLOCK, &block, &old_mask);
        for (size_t i = 0; i < 5; i++) {
                struct sigaction use = sa;
                if (sigs[i] == SIGPIPE)
                        use.sa_handler = SIG_IGN; /* EPIPE instead */
                sigaction(sigs[i], &use, &old_sa[i]);
        }
        got_winch = got_stop = 0;
        sigset_t wait_mask = old_mask;
        for (size_t i = 0; i < 4; i++)
                sigdelset(&wait_mask, sigs[i]);

        int rc = relay_loop(&r, &wait_mask, status, err);

        for (size_t i = 0; i < 5; i++)
                sigaction(sigs[i], &old_sa[i], NULL);
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        return rc;
}
