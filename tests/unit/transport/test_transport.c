/* Transport library: address parsing, unix sockets, both sides of the hybrid vsock
 * handshake (good and bad peers), guest-initiated connections, inherited listeners. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util.h"
#include "transport/transport.h"

static char dir[64];
static char sock[128];

static int setup(void **state)
{
        snprintf(dir, sizeof(dir), "/tmp/kata-transport-XXXXXX");
        if (!mkdtemp(dir))
                return -1;
        snprintf(sock, sizeof(sock), "%s/%s", dir, KATA_HVSOCK_FILENAME);
        return 0;
}

static int teardown(void **state)
{
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static void assert_cloexec(int fd)
{
        int fl = fcntl(fd, F_GETFD);
        assert_true(fl >= 0 && (fl & FD_CLOEXEC));
}

/* ---- Address parsing --------------------------------------------------------------- */

static void roundtrip(const char *text, const char *formatted)
{
        kata_address a;
        kata_error err = KATA_ERROR_INIT;
        int r = kata_address_parse(text, &a, &err);
        if (r != 0)
                fail_msg("parsing '%s' failed: %s", text, err.msg);
        char buf[256];
        assert_true(kata_address_format(&a, buf, sizeof(buf)) > 0);
        assert_string_equal(buf, formatted ? formatted : text);
}

static void test_parse_valid(void **state)
{
        kata_address a;
        kata_error err = KATA_ERROR_INIT;

        assert_int_equal(kata_address_parse("unix:///run/kata/a.sock", &a, &err), 0);
        assert_int_equal(a.kind, KATA_TRANSPORT_UNIX);
        assert_string_equal(a.path, "/run/kata/a.sock");

        assert_int_equal(kata_address_parse("hvsock:///run/kata/sb/kata.hvsock:1024", &a, &err), 0);
        assert_int_equal(a.kind, KATA_TRANSPORT_HVSOCK);
        assert_string_equal(a.path, "/run/kata/sb/kata.hvsock");
        assert_int_equal(a.port, 1024);

        /* The port follows the last ':'; a path may contain ':' itself. */
        assert_int_equal(kata_address_parse("hvsock://rel/a:b:4294967295", &a, &err), 0);
        assert_string_equal(a.path, "rel/a:b");
        assert_int_equal(a.port, UINT32_MAX);

        assert_int_equal(kata_address_parse("vsock://3:1024", &a, &err), 0);
        assert_int_equal(a.kind, KATA_TRANSPORT_VSOCK);
        assert_int_equal(a.cid, 3);
        assert_int_equal(a.port, 1024);
        assert_int_equal(kata_address_parse("vsock://any:10240", &a, &err), 0);
        assert_int_equal(a.cid, KATA_VSOCK_CID_ANY);

        assert_int_equal(kata_address_parse("fd://3", &a, &err), 0);
        assert_int_equal(a.kind, KATA_TRANSPORT_FD);
        assert_int_equal(a.fd, 3);
        assert_int_equal(kata_address_parse("fd://", &a, &err), 0);
        assert_int_equal(a.fd, -1);

        roundtrip("unix:///tmp/x", NULL);
        roundtrip("hvsock:///a/b:1026", NULL);
        roundtrip("vsock://2:1024", NULL);
        roundtrip("vsock://4294967295:1", "vsock://any:1");
        roundtrip("fd://7", NULL);
        roundtrip("fd://", NULL);
        assert_string_equal(kata_transport_kind_name(KATA_TRANSPORT_HVSOCK), "hvsock");
}

static void expect_invalid(const char *text, int code, const char *needle)
{
        kata_address a;
        kata_error err = KATA_ERROR_INIT;
        int r = kata_address_parse(text, &a, &err);
        if (r != -code)
                fail_msg("'%s': expected %d, got %d (%s)", text, -code, r, err.msg);
        if (needle && !strstr(err.msg, needle))
                fail_msg("'%s': message '%s' lacks '%s'", text, err.msg, needle);
}

static void test_parse_invalid(void **state)
{
        char longp[300];
        expect_invalid("", EINVAL, "expected unix://PATH");
        expect_invalid("/run/kata/x.sock", EINVAL, "expected unix://PATH");
        expect_invalid("tcp://127.0.0.1:80", EINVAL, "unknown scheme 'tcp'");
        expect_invalid("unix:/x", EINVAL, NULL);
        expect_invalid("unix://", EINVAL, "empty socket path");
        expect_invalid("hvsock:///p", EINVAL, "hvsock://PATH:PORT");
        expect_invalid("hvsock:///p:", EINVAL, "port must be a decimal number");
        expect_invalid("hvsock://:1024", EINVAL, "empty socket path");
        expect_invalid("hvsock:///p:abc", EINVAL, "port");
        expect_invalid("hvsock:///p:-1", EINVAL, "port");
        expect_invalid("hvsock:///p: 1024", EINVAL, "port");
        expect_invalid("hvsock:///p:1024 ", EINVAL, "port");
        expect_invalid("hvsock:///p:4294967296", ERANGE, "larger than");
        expect_invalid("vsock://x:1", EINVAL, "CID");
        expect_invalid("vsock://3", EINVAL, "vsock://CID:PORT");
        expect_invalid("vsock://3:", EINVAL, "port");
        expect_invalid("vsock://3:1:2", EINVAL, "port");
        expect_invalid("fd://-1", EINVAL, "fd://N");
        expect_invalid("fd://3x", EINVAL, "fd://N");
        expect_invalid("fd://4294967295", EINVAL, "fd://N");
        memset(longp, 'a', sizeof(longp));
        memcpy(longp, "unix:///", 8);
        longp[sizeof(longp) - 1] = '\0';
        expect_invalid(longp, ENAMETOOLONG, "longer than");
}

static void test_parse_handshake_lines(void **state)
{
        uint32_t p;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_hvsock_parse_connect("CONNECT 1024\n", 13, &p, &err), 0);
        assert_int_equal(p, 1024);
        assert_int_equal(kata_hvsock_parse_ok("OK 1073741824\n", 14, &p, &err), 0);
        assert_int_equal(p, 1073741824u);
        const char *bad[] = {"CONNECT 1024",
                             "CONNECT  1024\n",
                             "CONNECT -1\n",
                             "connect 1024\n",
                             "CONNECT\n",
                             "CONNECT 1024\r\n",
                             "CONNECT 10 24\n",
                             "CONNECT \n",
                             "CONNECT 4294967296\n",
                             "CONNECTX 1024\n",
                             "",
                             "OK 1\n",
                             "CONNECT 12345678901234567890123\n"};
        for (size_t i = 0; i < KATA_ARRAY_SIZE(bad); i++) {
                int r = kata_hvsock_parse_connect(bad[i], strlen(bad[i]), &p, &err);
                if (r != -EPROTO)
                        fail_msg("'%s' gave %d", bad[i], r);
        }
        assert_int_equal(kata_hvsock_parse_ok("OK\n", 3, &p, &err), -EPROTO);
        assert_int_equal(kata_hvsock_parse_ok("CONNECT 1\n", 10, &p, &err), -EPROTO);
        /* An embedded NUL is a bad number, not a shorter line. */
        assert_int_equal(kata_hvsock_parse_connect("CONNECT 1\0002\n", 11, &p, &err), -EPROTO);
}

/* ---- unix ---------------------------------------------------------------------------- */

static void exchange(int a, int b)
{
        char buf[8] = {0};
        assert_int_equal(write(a, "ping", 4), 4);
        assert_int_equal(read(b, buf, 4), 4);
        assert_memory_equal(buf, "ping", 4);
        assert_int_equal(write(b, "pong", 4), 4);
        assert_int_equal(read(a, buf, 4), 4);
        assert_memory_equal(buf, "pong", 4);
}

static void test_unix_listen_connect(void **state)
{
        char addr[256], path[128];
        kata_error err = KATA_ERROR_INIT;
        snprintf(path, sizeof(path), "%s/u.sock", dir);
        snprintf(addr, sizeof(addr), "unix://%s", path);

        /* Nobody there yet. */
        assert_int_equal(kata_transport_connect_str(addr, 200, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "no such socket"));

        int l = kata_transport_listen_str(addr, 0, &err);
        assert_true(l >= 0);
        assert_cloexec(l);
        int c = kata_transport_connect_str(addr, 1000, &err);
        assert_true(c >= 0);
        assert_cloexec(c);
        assert_int_equal(fcntl(c, F_GETFL) & O_NONBLOCK, 0);
        /* A zero timeout takes a pending connection (how epoll loops accept). */
        int s = kata_transport_accept(l, 0, &err);
        assert_true(s >= 0);
        assert_cloexec(s);
        exchange(c, s);
        assert_int_equal(kata_transport_accept(l, 0, &err), -ETIMEDOUT);
        close(c);
        close(s);

        /* A second listener on a live socket is refused. */
        assert_int_equal(kata_transport_listen_str(addr, 0, &err), -EADDRINUSE);
        assert_non_null(strstr(err.msg, "another process is listening"));
        /* Its probe connection reaches the live server as an empty one. */
        s = kata_transport_accept(l, 1000, &err);
        assert_true(s >= 0);
        char b;
        assert_int_equal(read(s, &b, 1), 0);
        close(s);
        /* Accept with nobody connecting times out. */
        assert_int_equal(kata_transport_accept(l, 50, &err), -ETIMEDOUT);
        close(l);

        /* The socket file left behind is stale: connect is refused, listen replaces it. */
        assert_int_equal(kata_transport_connect_str(addr, 200, &err), -ECONNREFUSED);
        assert_non_null(strstr(err.msg, "refused"));
        l = kata_transport_listen_str(addr, 0, &err);
        assert_true(l >= 0);
        close(l);

        /* A regular file is never replaced. */
        unlink(path);
        int f = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        close(f);
        assert_int_equal(kata_transport_listen_str(addr, 0, &err), -EEXIST);
        assert_non_null(strstr(err.msg, "non-socket"));

        /* fd:// cannot be connected to; connect needs a timeout. */
        assert_int_equal(kata_transport_connect_str("fd://3", 100, &err), -EINVAL);
        assert_int_equal(kata_transport_connect_str(addr, -1, &err), -EINVAL);
}

/* ---- hybrid vsock -------------------------------------------------------------------- */

static const uint32_t agent_ports[] = {KATA_PORT_AGENT, KATA_PORT_DEBUG_CONSOLE};

/* A raw host: connects to the socket and writes data as it is. */
static int raw_client(const char *data, size_t len)
{
        kata_error err = KATA_ERROR_INIT;
        char addr[160];
        snprintf(addr, sizeof(addr), "unix://%s", sock);
        int c = kata_transport_connect_str(addr, 1000, &err);
        assert_true(c >= 0);
        if (len)
                assert_int_equal(write(c, data, len), (ssize_t)len);
        return c;
}

static void test_hvsock_guest_side(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        char addr[160];
        uint32_t port = 0;
        snprintf(addr, sizeof(addr), "hvsock://%s:%u", sock, KATA_PORT_AGENT);
        int l = kata_transport_listen_str(addr, 0, &err);
        assert_true(l >= 0);

        /* Good: the line and data sent with it in one write; the data stays readable. */
        const char good[] = "CONNECT 1026\nhello";
        int c = raw_client(good, sizeof(good) - 1);
        int s = kata_hvsock_accept(l, agent_ports, 2, 1000, &port, &err);
        if (s < 0)
                fail_msg("%s", err.msg);
        assert_int_equal(port, KATA_PORT_DEBUG_CONSOLE);
        char buf[32] = {0};
        assert_int_equal(read(s, buf, 5), 5);
        assert_memory_equal(buf, "hello", 5);
        memset(buf, 0, sizeof(buf));
        ssize_t n = read(c, buf, sizeof(buf) - 1);
        assert_true(n > 3);
        uint32_t assigned;
        assert_int_equal(kata_hvsock_parse_ok(buf, (size_t)n, &assigned, &err), 0);
        close(c);
        close(s);

        struct {
                const char *line;
                int code;
                const char *needle;
        } bad[] = {
            {"CONNECT abc\n", EPROTO, "decimal number"},
            {"HELLO 1024\n", EPROTO, "expected 'CONNECT <number>'"},
            {"CONNECT 1024 1025 1026 1027 1028 1029 1030\n", EPROTO, "longer than"},
            {"CONNECT 10", ECONNRESET, "peer closed"}, /* closes mid-line */
            {"CONNECT 9999\n", ECONNREFUSED, "no service on port 9999"},
        };
        for (size_t i = 0; i < KATA_ARRAY_SIZE(bad); i++) {
                c = raw_client(bad[i].line, strlen(bad[i].line));
                if (bad[i].code == ECONNRESET)
                        shutdown(c, SHUT_WR);
                s = kata_hvsock_accept(l, agent_ports, 2, 1000, &port, &err);
                if (s != -bad[i].code || !strstr(err.msg, bad[i].needle))
                        fail_msg("'%s': got %d '%s'", bad[i].line, s, err.msg);
                /* Rejected hosts see the connection closed (or reset, when the guest left
                 * bytes unread) without an OK. */
                assert_true(read(c, buf, sizeof(buf)) <= 0);
                close(c);
        }

        /* A host that connects and says nothing is dropped at the timeout. */
        c = raw_client(NULL, 0);
        s = kata_transport_accept(l, 1000, &err);
        assert_true(s >= 0);
        assert_int_equal(kata_hvsock_server_handshake(s, NULL, 0, 100, &port, &err), -ETIMEDOUT);
        assert_non_null(strstr(err.msg, "within 100 ms"));
        close(s);
        close(c);

        /* The listener still serves after all that. */
        c = raw_client("CONNECT 1024\n", 13);
        s = kata_hvsock_accept(l, agent_ports, 2, 1000, &port, &err);
        assert_true(s >= 0);
        assert_int_equal(port, KATA_PORT_AGENT);
        close(s);
        close(c);
        close(l);
}

/* A fake guest run in a thread: behaviour chosen per test. */
enum guest_mode { GUEST_LIBRARY, GUEST_SILENT, GUEST_BAD_REPLY, GUEST_CLOSE };

struct guest {
        int listen_fd;
        enum guest_mode mode;
        int result;
        uint32_t port;
        char msg[KATA_ERROR_MSG_MAX];
};

static void *guest_main(void *arg)
{
        struct guest *g = arg;
        kata_error err = KATA_ERROR_INIT;
        if (g->mode == GUEST_LIBRARY) {
                int fd = kata_hvsock_accept(g->listen_fd, agent_ports, 2, 2000, &g->port, &err);
                g->result = fd;
                snprintf(g->msg, sizeof(g->msg), "%s", err.msg);
                if (fd >= 0) {
                        char buf[4];
                        if (read(fd, buf, 4) == 4)
                                (void)!write(fd, buf, 4); /* echo once */
                        close(fd);
                }
                return NULL;
        }
        int fd = kata_transport_accept(g->listen_fd, 2000, &err);
        g->result = fd;
        if (fd < 0)
                return NULL;
        char buf[64];
        (void)!read(fd, buf, sizeof(buf));
        if (g->mode == GUEST_BAD_REPLY)
                (void)!write(fd, "NOPE\n", 5);
        if (g->mode == GUEST_SILENT)
                usleep(500 * 1000); /* outlives the host's 100 ms timeout */
        close(fd);
        return NULL;
}

static int host_connect_against(enum guest_mode mode, uint32_t port, int timeout_ms,
                                kata_error *err, struct guest *g)
{
        memset(g, 0, sizeof(*g));
        g->mode = mode;
        char addr[160];
        snprintf(addr, sizeof(addr), "hvsock://%s:1", sock);
        g->listen_fd = kata_transport_listen_str(addr, 0, err);
        assert_true(g->listen_fd >= 0);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, guest_main, g), 0);
        uint32_t host_port = 0;
        int fd = kata_hvsock_connect(sock, port, timeout_ms, &host_port, err);
        if (fd >= 0) {
                assert_cloexec(fd);
                assert_true(host_port >= (1u << 30));
                char buf[4];
                assert_int_equal(write(fd, "abcd", 4), 4);
                assert_int_equal(read(fd, buf, 4), 4);
                assert_memory_equal(buf, "abcd", 4);
                close(fd);
        }
        pthread_join(t, NULL);
        close(g->listen_fd);
        return fd;
}

static void test_hvsock_host_side(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        struct guest g;

        int r = host_connect_against(GUEST_LIBRARY, KATA_PORT_AGENT, 2000, &err, &g);
        if (r < 0)
                fail_msg("connect: %s / guest: %s", err.msg, g.msg);
        assert_true(g.result >= 0);
        assert_int_equal(g.port, KATA_PORT_AGENT);

        /* Unknown port: the guest closes, the host reports a refusal. */
        r = host_connect_against(GUEST_LIBRARY, 4242, 2000, &err, &g);
        assert_int_equal(r, -ECONNREFUSED);
        assert_non_null(strstr(err.msg, "refused"));
        assert_int_equal(g.result, -ECONNREFUSED);

        r = host_connect_against(GUEST_BAD_REPLY, KATA_PORT_AGENT, 2000, &err, &g);
        assert_int_equal(r, -EPROTO);
        assert_non_null(strstr(err.msg, "bad handshake reply"));

        r = host_connect_against(GUEST_CLOSE, KATA_PORT_AGENT, 2000, &err, &g);
        assert_int_equal(r, -ECONNREFUSED);

        r = host_connect_against(GUEST_SILENT, KATA_PORT_AGENT, 100, &err, &g);
        assert_int_equal(r, -ETIMEDOUT);
        assert_non_null(strstr(err.msg, "within 100 ms"));

        /* No socket at all. */
        char missing[160];
        snprintf(missing, sizeof(missing), "%s/none", dir);
        assert_int_equal(kata_hvsock_connect(missing, 1024, 100, NULL, &err), -ENOENT);
}

static void test_hvsock_guest_initiated(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        char p[128];
        assert_int_equal(kata_hvsock_port_path(sock, KATA_PORT_TRACING, p, sizeof(p), &err), 0);
        assert_true(kata_str_endswith(p, "/kata.hvsock_10240"));

        /* Before the host listens: a clear error, no hang. */
        assert_int_equal(kata_hvsock_guest_connect(sock, KATA_PORT_TRACING, 100, &err), -ENOENT);

        int l = kata_hvsock_host_listen(sock, KATA_PORT_TRACING, 0, &err);
        assert_true(l >= 0);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        int c = kata_hvsock_guest_connect(sock, KATA_PORT_TRACING, 1000, &err);
        assert_true(c >= 0);
        assert_cloexec(c);
        int s = kata_transport_accept(l, 1000, &err);
        assert_true(s >= 0);
        exchange(c, s);
        close(c);
        close(s);
        close(l);

        char longpath[120];
        memset(longpath, 'x', sizeof(longpath) - 1);
        longpath[sizeof(longpath) - 1] = '\0';
        assert_int_equal(kata_hvsock_guest_connect(longpath, 10240, 100, &err), -ENAMETOOLONG);
}

/* ---- inherited listeners ------------------------------------------------------------- */

/* Runs in a forked child; the exit code tells the parent which check failed. */
static int child_listen_fds(const char *path)
{
        kata_error err = KATA_ERROR_INIT;
        char addr[160];
        snprintf(addr, sizeof(addr), "unix://%s", path);
        int l = kata_transport_listen_str(addr, 0, &err);
        if (l < 0)
                return 10;
        if (l != 3 && (dup2(l, 3) < 0 || close(l) < 0))
                return 11;
        fcntl(3, F_SETFD, 0); /* as inherited across exec: no CLOEXEC */

        char pid[32];
        snprintf(pid, sizeof(pid), "%ld", (long)getppid());
        setenv("LISTEN_PID", pid, 1);
        setenv("LISTEN_FDS", "1", 1);
        if (kata_transport_listen_str("fd://", 0, &err) != -ENOENT)
                return 12; /* meant for another process */

        snprintf(pid, sizeof(pid), "%ld", (long)getpid());
        setenv("LISTEN_PID", pid, 1);
        setenv("LISTEN_FDS", "x", 1);
        if (kata_transport_listen_fds(&err) != -EINVAL)
                return 13;

        setenv("LISTEN_FDS", "1", 1);
        setenv("LISTEN_FDNAMES", "agent", 1);
        int fd = kata_transport_listen_str("fd://", 0, &err);
        if (fd != 3)
                return 14;
        if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
                return 15;
        if (getenv("LISTEN_PID") || getenv("LISTEN_FDS") || getenv("LISTEN_FDNAMES"))
                return 16;
        int c = kata_transport_connect_str(addr, 1000, &err);
        int s = kata_transport_accept(fd, 1000, &err);
        if (c < 0 || s < 0)
                return 17;
        /* fd://N adopts an explicit number too; a non-listening fd is refused. */
        if (kata_transport_listen_str("fd://3", 0, &err) != 3)
                return 18;
        char bad[16];
        snprintf(bad, sizeof(bad), "fd://%d", c);
        if (kata_transport_listen_str(bad, 0, &err) != -EINVAL)
                return 19;
        if (kata_transport_listen_str("fd://1000", 0, &err) >= 0)
                return 20;
        return 0;
}

static void test_inherited_listener(void **state)
{
        char path[128];
        snprintf(path, sizeof(path), "%s/inherited.sock", dir);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(child_listen_fds(path));
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);

        /* No variables: nothing passed. */
        kata_error err = KATA_ERROR_INIT;
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDS");
        assert_int_equal(kata_transport_listen_fds(&err), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_valid),
            cmocka_unit_test(test_parse_invalid),
            cmocka_unit_test(test_parse_handshake_lines),
            cmocka_unit_test_setup_teardown(test_unix_listen_connect, setup, teardown),
            cmocka_unit_test_setup_teardown(test_hvsock_guest_side, setup, teardown),
            cmocka_unit_test_setup_teardown(test_hvsock_host_side, setup, teardown),
            cmocka_unit_test_setup_teardown(test_hvsock_guest_initiated, setup, teardown),
            cmocka_unit_test_setup_teardown(test_inherited_listener, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
