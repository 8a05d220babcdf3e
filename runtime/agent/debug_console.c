/* The debug console. Every connection gets its own session process, forked at once so
 * that the agent's accept path never waits for a client: the session reads the client's
 * request (runtime/libs/console/protocol.h) and becomes a plain shell, a shell on a
 * pseudo-terminal, or one command, relaying frames. The session is a fork of a threaded
 * process: it uses system calls only (no malloc, no stdio, no locks) until it execs. */
#include "agent/debug_console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "console/protocol.h"
#include "transport/transport.h"

#define SESSION_SOCK_FD  3
#define SESSION_SNIFF_MS 1000 /* a silent client gets the plain shell after this */
#define SESSION_REQ_MS   5000 /* to finish a request once its magic came */
#define SESSION_MAX_ARGS 4096

static const char *const shell_path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                                      "/sbin:/bin";
static const char *const search_dirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                          "/usr/bin",        "/sbin",          "/bin"};

/* ---- small async-signal-safe helpers ---------------------------------------------- */

static size_t str_len(const char *s)
{
        size_t n = 0;
        while (s[n])
                n++;
        return n;
}

static int write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN) {
                        struct pollfd pf = {.fd = fd, .events = POLLOUT};
                        if (poll(&pf, 1, 5000) <= 0)
                                return -1;
                        continue;
                }
                if (n <= 0)
                        return -1;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static void send_frame(int sock, char type, const void *data, size_t len)
{
        unsigned char h[KATA_CONSOLE_HEADER_SIZE];
        kata_console_put_header(h, type, (uint32_t)len);
        if (write_all(sock, h, sizeof(h)) == 0 && len)
                write_all(sock, data, len);
}

static void send_exit(int sock, uint32_t status)
{
        unsigned char p[4];
        kata_console_put_u32(p, status);
        send_frame(sock, KATA_CONSOLE_FRAME_EXIT, p, sizeof(p));
}

/* "kata-agent: <what>: <strerror>" as an 'e' frame (exec) or onto fd (the command's
 * stderr, in the child). */
static void report(int fd, bool framed, const char *what, int e)
{
        char msg[512];
        size_t n = 0;
        const char *parts[] = {"kata-agent: ", what, ": ", strerrordesc_np(e), "\n"};
        for (size_t i = 0; i < 5; i++) {
                const char *s = parts[i] ? parts[i] : "?";
                for (size_t j = 0; s[j] && n < sizeof(msg); j++)
                        msg[n++] = s[j];
        }
        if (framed)
                send_frame(fd, KATA_CONSOLE_FRAME_STDERR, msg, n);
        else
                write_all(fd, msg, n);
}

static void close_from(int first)
{
        if (syscall(SYS_close_range, first, ~0U, 0) == 0)
                return;
        for (int fd = first; fd < 1024; fd++)
                close(fd);
}

/* What a fresh program expects: default dispositions, nothing blocked. */
static void reset_signals(void)
{
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        sigaction(sig, &sa, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

static void exec_shell(bool with_terminal, const char *term)
{
        char term_env[16 + KATA_CONSOLE_TERM_MAX] = "TERM=";
        size_t n = 5;
        for (size_t i = 0; term[i] && n + 1 < sizeof(term_env); i++)
                term_env[n++] = term[i];
        term_env[n] = 0;
        char *envp[] = {(char *)shell_path, term_env, "PS1=kata-agent# ", "HOME=/", NULL};
        /* Like Kata's console: bash when there is one (line editing on a terminal), else
         * sh (busybox's ash in the guest image). */
        const char *shells[] = {"/bin/bash", "/bin/sh"};
        for (size_t i = with_terminal ? 0 : 1; i < 2; i++) {
                char *argv[] = {(char *)shells[i], "-i", NULL};
                execve(shells[i], argv, envp);
        }
        if (!with_terminal) {
                char *argv[] = {"/bin/bash", "-i", NULL};
                execve("/bin/bash", argv, envp);
        }
        report(2, false, "no shell (/bin/bash, /bin/sh)", errno);
        _exit(127);
}

/* execvp over a fixed PATH, with shell exit codes: 127 not found, 126 not runnable. */
static void exec_command(char **argv)
{
        char *envp[] = {(char *)shell_path, "TERM=dumb", "HOME=/", NULL};
        int first_error = ENOENT;
        if (strchr(argv[0], '/')) {
                execve(argv[0], argv, envp);
                first_error = errno;
        } else {
                char path[4096];
                size_t alen = str_len(argv[0]);
                for (size_t i = 0; i < sizeof(search_dirs) / sizeof(search_dirs[0]); i++) {
                        size_t dlen = str_len(search_dirs[i]);
                        if (dlen + 1 + alen + 1 > sizeof(path))
                                continue;
                        memcpy(path, search_dirs[i], dlen);
                        path[dlen] = '/';
                        memcpy(path + dlen + 1, argv[0], alen + 1);
                        execve(path, argv, envp);
                        if (errno != ENOENT && errno != ENOTDIR && first_error == ENOENT)
                                first_error = errno;
                }
        }
        report(2, false, argv[0], first_error);
        _exit(first_error == ENOENT || first_error == ENOTDIR ? 127 : 126);
}

/* ---- the request ------------------------------------------------------------------ */

static int wait_readable(int fd, int ms)
{
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int r;
        do
                r = poll(&pf, 1, ms);
        while (r < 0 && errno == EINTR);
        return r;
}

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* True when the client's first bytes are the request magic (nothing consumed yet); false
 * for anything else, or silence, which gets the plain shell. */
static bool client_sent_magic(int sock)
{
        const size_t mlen = sizeof(KATA_CONSOLE_MAGIC) - 1;
        uint64_t deadline = now_ms() + SESSION_SNIFF_MS;
        char peek[sizeof(KATA_CONSOLE_MAGIC)];
        for (;;) {
                uint64_t now = now_ms();
                if (now >= deadline || wait_readable(sock, (int)(deadline - now)) <= 0)
                        return false;
                ssize_t n = recv(sock, peek, mlen, MSG_PEEK);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return false;
                if (memcmp(peek, KATA_CONSOLE_MAGIC, (size_t)n) != 0)
                        return false;
                if ((size_t)n == mlen)
                        return true;
                struct timespec pause = {0, 10 * 1000 * 1000}; /* the rest is on its way */
                nanosleep(&pause, NULL);
        }
}

/* Reads exactly len bytes within the request deadline. */
static int read_request(int sock, void *buf, size_t len, uint64_t deadline)
{
        char *p = buf;
        while (len > 0) {
                uint64_t now = now_ms();
                if (now >= deadline || wait_readable(sock, (int)(deadline - now)) <= 0)
                        return -1;
                ssize_t n = read(sock, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static int read_request_line(int sock, char *line, size_t size, uint64_t deadline)
{
        for (size_t n = 0; n + 1 < size; n++) {
                if (read_request(sock, line + n, 1, deadline) < 0)
                        return -1;
                if (line[n] == '\n') {
                        line[n] = 0;
                        return 0;
                }
        }
        return -1;
}

/* ---- the relay --------------------------------------------------------------------- */

struct relay {
        int sock;
        int in_fd;     /* the command's stdin or the terminal master; -1 once closed */
        int out_fd[2]; /* stdout, stderr (exec) or the master and -1 (tty); -1 at EOF */
        bool tty;
        pid_t child;
        int pidfd;
};

static unsigned char to_client[KATA_CONSOLE_HEADER_SIZE + KATA_CONSOLE_FRAME_MAX];
static unsigned char from_client[KATA_CONSOLE_HEADER_SIZE + KATA_CONSOLE_FRAME_MAX];
static char *exec_argv[SESSION_MAX_ARGS + 1];
static char exec_args[KATA_CONSOLE_ARGV_MAX + 1];

static void set_nonblock(int fd)
{
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
                fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void hang_up(struct relay *r)
{
        int sig = r->tty ? SIGHUP : SIGKILL;
        kill(-r->child, sig);
        kill(r->child, sig); /* in case it has not made its own group yet */
        if (r->tty)
                kill(-r->child, SIGCONT);
        _exit(0);
}

/* Moves bytes both ways until the child is gone and its output drained. One frame in
 * flight each way: a source is read only when its destination took everything before. */
static void relay_run(struct relay *r)
{
        size_t out_len = 0, out_off = 0;    /* to_client */
        size_t in_have = 0, in_written = 0; /* from_client: header + payload */
        bool exited = false;
        for (;;) {
                bool outputs_open = r->out_fd[0] >= 0 || r->out_fd[1] >= 0;
                if (!outputs_open && out_len == 0)
                        break;
                struct pollfd pf[5];
                int n = 0, i_sock = -1, i_in = -1, i_out[2] = {-1, -1}, i_pid = -1;
                size_t frame_len =
                    in_have >= KATA_CONSOLE_HEADER_SIZE
                        ? KATA_CONSOLE_HEADER_SIZE + kata_console_get_u32(from_client + 1)
                        : 0;
                bool frame_complete = frame_len && in_have == frame_len;
                bool pending_stdin = frame_complete && from_client[0] == KATA_CONSOLE_FRAME_STDIN &&
                                     in_written < frame_len - KATA_CONSOLE_HEADER_SIZE;
                short sock_events = 0;
                if (!frame_complete)
                        sock_events |= POLLIN;
                if (out_len)
                        sock_events |= POLLOUT;
                i_sock = n;
                pf[n++] = (struct pollfd){.fd = r->sock, .events = sock_events};
                if (pending_stdin && r->in_fd >= 0) {
                        i_in = n;
                        pf[n++] = (struct pollfd){.fd = r->in_fd, .events = POLLOUT};
                }
                for (int k = 0; k < 2; k++) {
                        if (r->out_fd[k] >= 0 && out_len == 0) {
                                i_out[k] = n;
                                pf[n++] = (struct pollfd){.fd = r->out_fd[k], .events = POLLIN};
                        }
                }
                if (r->pidfd >= 0 && !exited) {
                        i_pid = n;
                        pf[n++] = (struct pollfd){.fd = r->pidfd, .events = POLLIN};
                }
                /* After the child exited, what is left to read comes at once; anything
                 * slower belongs to a background process that kept the output open. */
                int ready = poll(pf, (nfds_t)n, exited ? 200 : -1);
                if (ready < 0 && errno == EINTR)
                        continue;
                if (ready < 0)
                        hang_up(r);
                if (ready == 0) {
                        if (out_len == 0)
                                break;
                        continue;
                }
                if (i_pid >= 0 && pf[i_pid].revents)
                        exited = true;
                short sre = pf[i_sock].revents;
                if ((sre & POLLOUT) && out_len) {
                        ssize_t w = write(r->sock, to_client + out_off, out_len - out_off);
                        if (w < 0 && errno != EAGAIN && errno != EINTR)
                                hang_up(r);
                        if (w > 0) {
                                out_off += (size_t)w;
                                if (out_off == out_len)
                                        out_len = out_off = 0;
                        }
                } else if ((sre & (POLLERR | POLLHUP)) && !(sre & POLLIN)) {
                        hang_up(r);
                }
                if ((sre & POLLIN) && !frame_complete) {
                        size_t want = in_have < KATA_CONSOLE_HEADER_SIZE
                                          ? KATA_CONSOLE_HEADER_SIZE - in_have
                                          : frame_len - in_have;
                        ssize_t got = read(r->sock, from_client + in_have, want);
                        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
                                hang_up(r);
                        if (got > 0) {
                                in_have += (size_t)got;
                                if (in_have == KATA_CONSOLE_HEADER_SIZE &&
                                    kata_console_get_u32(from_client + 1) > KATA_CONSOLE_FRAME_MAX)
                                        hang_up(r);
                                frame_len = in_have >= KATA_CONSOLE_HEADER_SIZE
                                                ? KATA_CONSOLE_HEADER_SIZE +
                                                      kata_console_get_u32(from_client + 1)
                                                : 0;
                        }
                        if (frame_len && in_have == frame_len) {
                                size_t plen = frame_len - KATA_CONSOLE_HEADER_SIZE;
                                const unsigned char *pl = from_client + KATA_CONSOLE_HEADER_SIZE;
                                bool done = true;
                                if (from_client[0] == KATA_CONSOLE_FRAME_STDIN) {
                                        if (plen == 0 && !r->tty && r->in_fd >= 0) {
                                                close(r->in_fd);
                                                r->in_fd = -1;
                                        } else if (plen > 0 && r->in_fd >= 0) {
                                                done = false; /* written below */
                                                in_written = 0;
                                        }
                                } else if (from_client[0] == KATA_CONSOLE_FRAME_WINSZ &&
                                           plen == 4 && r->tty) {
                                        struct winsize ws = {
                                            .ws_row = (unsigned short)(pl[0] << 8 | pl[1]),
                                            .ws_col = (unsigned short)(pl[2] << 8 | pl[3])};
                                        ioctl(r->in_fd, TIOCSWINSZ, &ws);
                                }
                                if (done)
                                        in_have = 0;
                        }
                        continue; /* the frame's stdin is written on the next round */
                }
                if (i_in >= 0 && (pf[i_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
                        size_t plen = frame_len - KATA_CONSOLE_HEADER_SIZE;
                        ssize_t w =
                            write(r->in_fd, from_client + KATA_CONSOLE_HEADER_SIZE + in_written,
                                  plen - in_written);
                        if (w > 0)
                                in_written += (size_t)w;
                        else if (w < 0 && errno != EAGAIN && errno != EINTR)
                                in_written = plen; /* nobody reads it: dropped */
                        if (in_written == plen)
                                in_have = in_written = 0;
                }
                for (int k = 0; k < 2; k++) {
                        if (i_out[k] < 0 || !pf[i_out[k]].revents || out_len)
                                continue;
                        ssize_t got = read(r->out_fd[k], to_client + KATA_CONSOLE_HEADER_SIZE,
                                           KATA_CONSOLE_FRAME_MAX);
                        if (got < 0 && (errno == EAGAIN || errno == EINTR))
                                continue;
                        if (got <= 0) { /* EOF, or EIO: the terminal's last user left */
                                if (!r->tty)
                                        close(r->out_fd[k]);
                                r->out_fd[k] = -1;
                                continue;
                        }
                        kata_console_put_header(to_client,
                                                k == 0 ? KATA_CONSOLE_FRAME_STDOUT
                                                       : KATA_CONSOLE_FRAME_STDERR,
                                                (uint32_t)got);
                        out_len = KATA_CONSOLE_HEADER_SIZE + (size_t)got;
                        out_off = 0;
                }
        }
        int status = 0;
        pid_t w;
        do
                w = waitpid(r->child, &status, 0);
        while (w < 0 && errno == EINTR);
        uint32_t code = w < 0                 ? 255
                        : WIFEXITED(status)   ? (uint32_t)WEXITSTATUS(status)
                        : WIFSIGNALED(status) ? 128u + (uint32_t)WTERMSIG(status)
                                              : 255;
        int fl = fcntl(r->sock, F_GETFL);
        if (fl >= 0)
                fcntl(r->sock, F_SETFL, fl & ~O_NONBLOCK);
        send_exit(r->sock, code);
        shutdown(r->sock, SHUT_WR);
        /* The client closes once it has the status: wait for that (bounded) so that the
         * status is not lost to a reset. */
        char drain[256];
        while (wait_readable(r->sock, 2000) > 0 && read(r->sock, drain, sizeof(drain)) > 0)
                ;
        _exit(0);
}

static void start_relay(struct relay *r)
{
        r->pidfd = (int)syscall(SYS_pidfd_open, r->child, 0);
        set_nonblock(r->sock);
        if (r->in_fd >= 0)
                set_nonblock(r->in_fd);
        for (int k = 0; k < 2; k++)
                if (r->out_fd[k] >= 0)
                        set_nonblock(r->out_fd[k]);
        relay_run(r);
}

static void session_exec(int sock, size_t len)
{
        uint64_t deadline = now_ms() + SESSION_REQ_MS;
        if (read_request(sock, exec_args, len, deadline) < 0 || exec_args[len - 1] != 0)
                _exit(0);
        int argc = kata_console_argv_split(exec_args, len, exec_argv, SESSION_MAX_ARGS);
        if (argc < 0) {
                report(sock, true, "malformed command", -argc);
                send_exit(sock, 127);
                _exit(0);
        }
        int in[2], out[2], errp[2];
        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
                report(sock, true, "pipes for the command", errno);
                send_exit(sock, 126);
                _exit(0);
        }
        pid_t pid = fork();
        if (pid < 0) {
                report(sock, true, "starting the command", errno);
                send_exit(sock, 126);
                _exit(0);
        }
        if (pid == 0) {
                setpgid(0, 0);
                reset_signals();
                dup2(in[0], 0);
                dup2(out[1], 1);
                dup2(errp[1], 2);
                close_from(3);
                exec_command(exec_argv);
        }
        setpgid(pid, pid); /* as the child does: whichever runs first */
        close(in[0]);
        close(out[1]);
        close(errp[1]);
        struct relay r = {.sock = sock, .in_fd = in[1], .out_fd = {out[0], errp[0]}, .child = pid};
        start_relay(&r);
}

static void session_tty(int sock, unsigned rows, unsigned cols, const char *term)
{
        int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        int unlock = 0, slave = -1;
        if (master >= 0 && ioctl(master, TIOCSPTLCK, &unlock) == 0) {
                slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
                int ptn;
                if (slave < 0 && ioctl(master, TIOCGPTN, &ptn) == 0) {
                        char path[32] = "/dev/pts/";
                        char digits[12];
                        int nd = 0;
                        do
                                digits[nd++] = (char)('0' + ptn % 10);
                        while ((ptn /= 10) > 0 && nd < 11);
                        for (int i = 0; i < nd; i++)
                                path[9 + i] = digits[nd - 1 - i];
                        path[9 + nd] = 0;
                        slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
                }
        }
        if (slave < 0) {
                report(sock, true, "no pseudo-terminal", errno);
                send_exit(sock, 126);
                _exit(0);
        }
        struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
        ioctl(master, TIOCSWINSZ, &ws);
        pid_t pid = fork();
        if (pid < 0) {
                report(sock, true, "starting the shell", errno);
                send_exit(sock, 126);
                _exit(0);
        }
        if (pid == 0) {
                setsid();
                ioctl(slave, TIOCSCTTY, 0);
                reset_signals();
                dup2(slave, 0);
                dup2(slave, 1);
                dup2(slave, 2);
                close_from(3);
                exec_shell(true, term);
        }
        close(slave);
        struct relay r = {
            .sock = sock, .in_fd = master, .out_fd = {master, -1}, .tty = true, .child = pid};
        start_relay(&r);
}

static void session_main(int fd)
{
        if (fd != SESSION_SOCK_FD && dup2(fd, SESSION_SOCK_FD) < 0)
                _exit(1);
        int sock = SESSION_SOCK_FD;
        fcntl(sock, F_SETFD, 0);
        close_from(SESSION_SOCK_FD + 1);
        int null = open("/dev/null", O_RDWR);
        for (int i = 0; i < 3 && null >= 0; i++)
                if (i != null)
                        dup2(null, i);
        reset_signals();
        struct sigaction ign;
        memset(&ign, 0, sizeof(ign));
        ign.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &ign, NULL);
        setsid();

        if (!client_sent_magic(sock)) {
                /* Kata's console as it always was: the connection is the shell's stdio. */
                dup2(sock, 0);
                dup2(sock, 1);
                dup2(sock, 2);
                close(sock);
                reset_signals();
                exec_shell(false, "dumb");
        }
        char line[KATA_CONSOLE_LINE_MAX];
        if (read_request_line(sock, line, sizeof(line), now_ms() + SESSION_REQ_MS) < 0)
                _exit(0);
        kata_console_request req;
        if (kata_console_request_parse(line, &req) == 0) {
                if (req.mode == KATA_CONSOLE_MODE_EXEC)
                        session_exec(sock, req.argv_len);
                else
                        session_tty(sock, req.rows, req.cols, req.term);
        }
        report(sock, true, "malformed console request", EPROTO);
        _exit(0);
}

int agent_debug_console_spawn(int fd, kata_error *err)
{
        pid_t pid = fork();
        if (pid < 0)
                return kata_error_errno(err, errno, "debug console: cannot fork a session");
        if (pid == 0)
                session_main(fd);
        kata_log_info("debug console: session pid %d", pid);
        return 0;
}

struct console_listener {
        struct agent *a;
        int fd;
};

static void *console_thread(void *arg)
{
        struct console_listener *l = arg;
        while (!l->a->stopping) {
                kata_error err = KATA_ERROR_INIT;
                int fd = kata_transport_accept(l->fd, 1000, &err);
                if (fd == -ETIMEDOUT)
                        continue;
                if (fd < 0) {
                        kata_log_warn("debug console: %s", err.msg);
                        continue;
                }
                if (agent_debug_console_spawn(fd, &err) < 0)
                        kata_log_warn("%s", err.msg);
                close(fd);
        }
        close(l->fd);
        return NULL;
}

int agent_debug_console_listen_vsock(struct agent *a, uint32_t vport, kata_error *err)
{
        char text[64];
        snprintf(text, sizeof(text), "vsock://any:%u", vport);
        static struct console_listener l;
        l.a = a;
        l.fd = kata_transport_listen_str(text, 0, err);
        if (l.fd < 0)
                return kata_error_prefix(err, "debug console");
        pthread_t t;
        int r = pthread_create(&t, NULL, console_thread, &l);
        if (r != 0) {
                close(l.fd);
                return kata_error_errno(err, r, "debug console thread");
        }
        pthread_detach(t);
        kata_log_info("debug console on %s", text);
        return 0;
}
