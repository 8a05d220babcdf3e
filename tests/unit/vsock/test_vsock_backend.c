/* kata-vsock-backend against a fake QEMU + guest driver (fake_frontend.c): the vhost-user
 * handshake, connections both ways, bulk data with credit, many connections, host
 * disconnects, malformed input, and the binary exiting when the frontend goes away. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_vsock.h>

#include "fake_frontend.h"
#include "transport/transport.h"
#include "vsock/backend.h"
#include "vsock/vhost_user.h"

#define CID 42u

struct env {
        char dir[64];
        char vu_path[128];
        char uds_path[128];
        struct kata_vsock_backend *b;
        pthread_t thread;
        int run_rc;
        kata_error err;
        struct fake_frontend *ff;
};

static void *run_backend(void *arg)
{
        struct env *e = arg;
        e->run_rc = kata_vsock_backend_run(e->b, &e->err);
        return NULL;
}

static uint32_t env_max_conns; /* 0: the default */

static struct env *env_new(bool event_idx, bool start_ff)
{
        struct env *e = calloc(1, sizeof(*e));
        strcpy(e->dir, "/tmp/kata-vsock-test-XXXXXX");
        assert_non_null(mkdtemp(e->dir));
        snprintf(e->vu_path, sizeof(e->vu_path), "%s/vhost-user.sock", e->dir);
        snprintf(e->uds_path, sizeof(e->uds_path), "%s/kata.hvsock", e->dir);
        struct kata_vsock_backend_options o = {.socket_path = e->vu_path,
                                               .uds_path = e->uds_path,
                                               .guest_cid = CID,
                                               .max_conns = env_max_conns};
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_vsock_backend_new(&o, &e->b, &err), 0);
        assert_int_equal(pthread_create(&e->thread, NULL, run_backend, e), 0);
        if (start_ff) {
                struct ff_options fo = {.guest_cid = CID, .event_idx = event_idx};
                e->ff = ff_start(e->vu_path, &fo);
                assert_non_null(e->ff);
        }
        return e;
}

/* Disconnects the frontend: the backend's run must return 0 by itself. */
static void env_free(struct env *e)
{
        ff_stop(e->ff);
        if (!e->ff)
                kata_vsock_backend_stop(e->b);
        pthread_join(e->thread, NULL);
        if (e->ff)
                assert_int_equal(e->run_rc, 0);
        kata_vsock_backend_free(e->b);
        assert_int_not_equal(access(e->vu_path, F_OK), 0);
        assert_int_not_equal(access(e->uds_path, F_OK), 0);
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
        assert_int_equal(system(cmd), 0);
        free(e);
}

static struct kata_vsock_stats stats(struct env *e)
{
        struct kata_vsock_stats s;
        kata_vsock_backend_get_stats(e->b, &s);
        return s;
}

static int host_listen(struct env *e, uint32_t port)
{
        kata_error err = KATA_ERROR_INIT;
        int fd = kata_hvsock_host_listen(e->uds_path, port, 64, &err);
        assert_true(fd >= 0);
        return fd;
}

static int host_accept(int lfd)
{
        kata_error err = KATA_ERROR_INIT;
        int fd = kata_transport_accept(lfd, 5000, &err);
        assert_true(fd >= 0);
        return fd;
}

/* Starts a host-initiated connection without waiting for OK (the guest must answer). */
static int host_connect_start(struct env *e, uint32_t port)
{
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, e->uds_path);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        char line[32];
        int n = snprintf(line, sizeof(line), "CONNECT %u\n", port);
        /* A refusing backend may have closed already; the OK line tells. */
        (void)!send(fd, line, (size_t)n, MSG_NOSIGNAL);
        struct timeval tv = {.tv_sec = 10};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        return fd;
}

/* Reads "OK <n>\n" byte by byte; returns n, or -1 when the socket closed first. */
static long host_read_ok(int fd)
{
        char line[32];
        size_t len = 0;
        while (len < sizeof(line)) {
                ssize_t r = read(fd, line + len, 1);
                if (r <= 0)
                        return -1;
                if (line[len++] == '\n')
                        break;
        }
        uint32_t n;
        kata_error err = KATA_ERROR_INIT;
        if (kata_hvsock_parse_ok(line, len, &n, &err) < 0)
                return -1;
        return n;
}

static void read_exact(int fd, void *buf, size_t len)
{
        size_t got = 0;
        while (got < len) {
                ssize_t r = read(fd, (char *)buf + got, len - got);
                assert_true(r > 0);
                got += (size_t)r;
        }
}

static void test_handshake_and_config(void **state)
{
        (void)state;
        struct env *e = env_new(true, true);
        /* A second frontend is refused; the first keeps working. */
        struct ff_options fo = {.guest_cid = CID};
        struct fake_frontend *second = NULL;
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, e->vu_path);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        char c;
        assert_int_equal(read(fd, &c, 1), 0); /* closed by the backend */
        close(fd);
        (void)fo;
        (void)second;
        ff_listen(e->ff, 1024);
        int h = host_connect_start(e, 1024);
        assert_non_null(ff_accept(e->ff, 5000));
        assert_true(host_read_ok(h) >= 0x40000000);
        close(h);
        env_free(e);
}

static void test_guest_initiated(void **state)
{
        (void)state;
        struct env *e = env_new(true, true);
        int lfd = host_listen(e, 10240);
        struct ff_conn *c = ff_connect(e->ff, 10240);
        assert_non_null(c);
        int h = host_accept(lfd);
        assert_int_equal(ff_write(e->ff, c, "hello", 5), 0);
        char buf[16];
        read_exact(h, buf, 5);
        assert_memory_equal(buf, "hello", 5);
        assert_int_equal(write(h, "world!", 6), 6);
        long got = 0;
        while (got < 6) {
                long r = ff_read(e->ff, c, buf + got, sizeof(buf) - (size_t)got, 5000);
                assert_true(r > 0);
                got += r;
        }
        assert_memory_equal(buf, "world!", 6);
        /* Host closes: the guest reads EOF, closes, and the backend answers with RST. */
        close(h);
        assert_int_equal(ff_read(e->ff, c, buf, sizeof(buf), 5000), 0);
        assert_int_equal(ff_close(e->ff, c), 0);
        /* Nobody listens on port 7777: refused. */
        assert_null(ff_connect(e->ff, 7777));
        assert_true(stats(e).conns_refused >= 1);
        close(lfd);
        env_free(e);
}

static void test_host_initiated(void **state)
{
        (void)state;
        struct env *e = env_new(false, true);
        ff_listen(e->ff, 1024);
        int h = host_connect_start(e, 1024);
        /* Bytes sent right after the CONNECT line belong to the stream. */
        assert_int_equal(write(h, "ping", 4), 4);
        struct ff_conn *c = ff_accept(e->ff, 5000);
        assert_non_null(c);
        long port = host_read_ok(h);
        assert_true(port > 0);
        char buf[8];
        long got = 0;
        while (got < 4) {
                long r = ff_read(e->ff, c, buf + got, 4 - (size_t)got, 5000);
                assert_true(r > 0);
                got += r;
        }
        assert_memory_equal(buf, "ping", 4);
        assert_int_equal(ff_write(e->ff, c, "pong", 4), 0);
        read_exact(h, buf, 4);
        assert_memory_equal(buf, "pong", 4);
        /* Guest closes: the host sees EOF. */
        assert_int_equal(ff_close(e->ff, c), 0);
        assert_int_equal(read(h, buf, 1), 0);
        close(h);
        /* A port nobody listens on in the guest: the host is closed on without OK. */
        h = host_connect_start(e, 1025);
        for (int i = 0; i < 50; i++)
                ff_pump(e->ff, 10);
        assert_int_equal(host_read_ok(h), -1);
        close(h);
        /* A malformed CONNECT line is refused too. */
        h = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, e->uds_path);
        assert_int_equal(connect(h, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(write(h, "CONNECT x\n", 10), 10);
        assert_int_equal(host_read_ok(h), -1);
        close(h);
        env_free(e);
}

/* ---- 100 MB each way ---------------------------------------------------------------- */

#define BULK (100u << 20)

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                h = (h ^ p[i]) * 1099511628211ull;
        return h;
}

static void fill(uint8_t *p, size_t n, uint64_t *seed)
{
        for (size_t i = 0; i < n; i++) {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                p[i] = (uint8_t)*seed;
        }
}

struct host_io {
        int fd;
        uint64_t sum;
        size_t bytes;
        bool slow;
};

static void *host_reader(void *arg)
{
        struct host_io *io = arg;
        uint8_t buf[32768];
        io->sum = 1469598103934665603ull;
        unsigned reads = 0;
        for (;;) {
                ssize_t r = read(io->fd, buf, sizeof(buf));
                if (r <= 0)
                        break;
                io->sum = fnv(io->sum, buf, (size_t)r);
                io->bytes += (size_t)r;
                if (io->slow && ++reads % 64 == 0)
                        usleep(2000);
        }
        return NULL;
}

static void *host_writer(void *arg)
{
        struct host_io *io = arg;
        uint8_t buf[65536];
        uint64_t seed = 0x9e3779b97f4a7c15ull;
        io->sum = 1469598103934665603ull;
        while (io->bytes < BULK) {
                size_t n = BULK - io->bytes < sizeof(buf) ? BULK - io->bytes : sizeof(buf);
                fill(buf, n, &seed);
                io->sum = fnv(io->sum, buf, n);
                size_t off = 0;
                while (off < n) {
                        ssize_t w = write(io->fd, buf + off, n - off);
                        if (w <= 0)
                                return NULL;
                        off += (size_t)w;
                }
                io->bytes += n;
        }
        shutdown(io->fd, SHUT_WR);
        return NULL;
}

static void test_host_gives_up(void **state)
{
        (void)state;
        struct env *e = env_new(true, true);
        ff_listen(e->ff, 1024);
        /* Closes while the guest has not answered yet. */
        int h = host_connect_start(e, 1024);
        close(h);
        uint64_t active = 1;
        for (int i = 0; i < 200 && active; i++) {
                ff_pump(e->ff, 10);
                active = stats(e).conns_active;
        }
        assert_int_equal(active, 0);
        /* Connects and never sends its CONNECT line: closed after the handshake timeout. */
        h = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, e->uds_path);
        assert_int_equal(connect(h, (struct sockaddr *)&sa, sizeof(sa)), 0);
        struct timeval tv = {.tv_sec = 15};
        setsockopt(h, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        char c;
        assert_int_equal(read(h, &c, 1), 0);
        close(h);
        env_free(e);
}

static void test_connection_limit(void **state)
{
        (void)state;
        env_max_conns = 3;
        struct env *e = env_new(true, true);
        env_max_conns = 0;
        int lfd = host_listen(e, 9100);
        struct ff_conn *c[3];
        int h[3];
        for (int i = 0; i < 3; i++) {
                c[i] = ff_connect(e->ff, 9100);
                assert_non_null(c[i]);
                h[i] = host_accept(lfd);
        }
        /* Full: the guest is refused, a host client is closed on. */
        assert_null(ff_connect(e->ff, 9100));
        ff_listen(e->ff, 1024);
        int hc = host_connect_start(e, 1024);
        assert_int_equal(host_read_ok(hc), -1);
        close(hc);
        /* One closes: room again. */
        assert_int_equal(ff_close(e->ff, c[0]), 0);
        struct ff_conn *again = ff_connect(e->ff, 9100);
        assert_non_null(again);
        int h3 = host_accept(lfd);
        close(h3);
        for (int i = 0; i < 3; i++)
                close(h[i]);
        close(lfd);
        env_free(e);
}

/* A guest that stops reading gets exactly its buffer's worth, and one CREDIT_REQUEST. */
static void test_guest_stops_reading(void **state)
{
        (void)state;
        struct env *e = env_new(true, true);
        int lfd = host_listen(e, 9200);
        struct ff_conn *c = ff_connect(e->ff, 9200);
        assert_non_null(c);
        int h = host_accept(lfd);
        struct host_io wr = {.fd = h};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, host_writer, &wr), 0);
        for (int i = 0; i < 100; i++)
                ff_pump(e->ff, 10);
        assert_int_equal(c->rx_cnt, c->buf_alloc);
        assert_false(c->credit_violation);
        assert_int_equal(ff_credit_requests(e->ff), 1);
        /* Reading resumes the stream. */
        uint8_t buf[4096];
        uint32_t before = c->rx_cnt;
        for (int i = 0; i < 200; i++)
                assert_true(ff_read(e->ff, c, buf, sizeof(buf), 5000) > 0);
        for (int i = 0; i < 20; i++)
                ff_pump(e->ff, 5);
        assert_true(c->rx_cnt > before);
        shutdown(h, SHUT_RDWR);
        pthread_join(t, NULL);
        close(h);
        close(lfd);
        assert_int_equal(ff_close(e->ff, c), 0);
        env_free(e);
}

static void test_bulk_both_ways(void **state)
{
        (void)state;
        struct env *e = env_new(true, true);
        int lfd = host_listen(e, 5000);
        struct ff_conn *c = ff_connect(e->ff, 5000);
        assert_non_null(c);

        /* Guest -> host, slow host reader. */
        struct host_io rd = {.fd = host_accept(lfd), .slow = true};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, host_reader, &rd), 0);
        uint8_t *chunk = malloc(1 << 20);
        uint64_t seed = 12345, sum = 1469598103934665603ull;
        for (size_t sent = 0; sent < BULK; sent += 1 << 20) {
                fill(chunk, 1 << 20, &seed);
                sum = fnv(sum, chunk, 1 << 20);
                assert_int_equal(ff_write(e->ff, c, chunk, 1 << 20), 0);
        }
        ff_shutdown(e->ff, c, 2 /* send */);
        for (int i = 0; i < 500 && rd.bytes < BULK; i++)
                ff_pump(e->ff, 20);
        pthread_join(t, NULL);
        assert_int_equal(rd.bytes, BULK);
        assert_true(rd.sum == sum);
        /* The guest never had more in flight than the backend advertised. */
        assert_true(c->max_in_flight_to_host <= KATA_VSOCK_DEFAULT_BUF_ALLOC);
        assert_int_equal(stats(e).bad_packets, 0);
        close(rd.fd);
        ff_close(e->ff, c);

        /* Host -> guest, slow guest reader. */
        c = ff_connect(e->ff, 5000);
        assert_non_null(c);
        struct host_io wr = {.fd = host_accept(lfd)};
        assert_int_equal(pthread_create(&t, NULL, host_writer, &wr), 0);
        size_t got = 0;
        unsigned reads = 0;
        uint64_t gsum = 1469598103934665603ull;
        for (;;) {
                long r = ff_read(e->ff, c, chunk, 3000, 10000);
                assert_true(r >= 0);
                if (r == 0)
                        break;
                gsum = fnv(gsum, chunk, (size_t)r);
                got += (size_t)r;
                if (++reads % 2000 == 0)
                        usleep(2000);
        }
        pthread_join(t, NULL);
        assert_int_equal(got, BULK);
        assert_true(gsum == wr.sum);
        assert_false(c->credit_violation);
        assert_int_equal(ff_close(e->ff, c), 0);
        close(wr.fd);
        close(lfd);
        free(chunk);
        env_free(e);
}

static void test_many_connections(void **state)
{
        (void)state;
        struct env *e = env_new(true, true);
        int lfd = host_listen(e, 6000);
        ff_listen(e->ff, 1024);
        for (int i = 0; i < 200; i++) {
                char b = (char)i, r = 0;
                if (i % 2 == 0) {
                        struct ff_conn *c = ff_connect(e->ff, 6000);
                        assert_non_null(c);
                        int h = host_accept(lfd);
                        assert_int_equal(ff_write(e->ff, c, &b, 1), 0);
                        read_exact(h, &r, 1);
                        assert_int_equal(r, b);
                        assert_int_equal(ff_close(e->ff, c), 0);
                        assert_int_equal(read(h, &r, 1), 0);
                        close(h);
                } else {
                        int h = host_connect_start(e, 1024);
                        struct ff_conn *c = ff_accept(e->ff, 5000);
                        assert_non_null(c);
                        assert_true(host_read_ok(h) > 0);
                        assert_int_equal(write(h, &b, 1), 1);
                        assert_int_equal(ff_read(e->ff, c, &r, 1, 5000), 1);
                        assert_int_equal(r, b);
                        close(h);
                        assert_int_equal(ff_read(e->ff, c, &r, 1, 5000), 0);
                        assert_int_equal(ff_close(e->ff, c), 0);
                }
        }
        for (int i = 0; i < 20; i++)
                ff_pump(e->ff, 5);
        struct kata_vsock_stats s = stats(e);
        assert_int_equal(s.conns_opened, 200);
        assert_int_equal(s.conns_active, 0);
        close(lfd);
        env_free(e);
}

static void test_host_disconnects_mid_stream(void **state)
{
        (void)state;
        struct env *e = env_new(true, true);
        int lfd = host_listen(e, 7000);
        struct ff_conn *c = ff_connect(e->ff, 7000);
        assert_non_null(c);
        int h = host_accept(lfd);
        uint8_t *buf = calloc(1, 1 << 20);
        assert_int_equal(ff_write(e->ff, c, buf, 64 * 1024), 0);
        read_exact(h, buf, 1000);
        close(h);
        /* The guest keeps writing into a closed socket: it gets reset, never hangs. */
        int rc = 0;
        for (int i = 0; i < 64 && rc == 0; i++)
                rc = ff_write(e->ff, c, buf, 1 << 20);
        assert_int_equal(rc, -1);
        assert_true(c->reset);
        c->state = FF_FREE;

        /* The host writes then vanishes: the guest gets every byte, then EOF. */
        ff_listen(e->ff, 1024);
        h = host_connect_start(e, 1024);
        c = ff_accept(e->ff, 5000);
        assert_non_null(c);
        assert_true(host_read_ok(h) > 0);
        memset(buf, 0xab, 100000);
        size_t off = 0;
        while (off < 100000) {
                ssize_t w = write(h, buf + off, 100000 - off);
                if (w <= 0)
                        break;
                off += (size_t)w;
                ff_pump(e->ff, 0);
        }
        close(h);
        size_t got = 0;
        long r;
        while ((r = ff_read(e->ff, c, buf, 1 << 20, 5000)) > 0)
                got += (size_t)r;
        assert_int_equal(r, 0);
        assert_int_equal(got, 100000);
        assert_int_equal(ff_close(e->ff, c), 0);
        free(buf);
        close(lfd);
        env_free(e);
}

static void test_bad_chains_and_packets(void **state)
{
        (void)state;
        struct env *e = env_new(true, true);
        uint64_t gpa;
        size_t size;
        ff_guest_mem(e->ff, &gpa, &size);
        /* Out of guest memory, a loop, an out-of-range next, an oversized length. */
        ff_publish_raw_tx(e->ff, 200, gpa + size + 4096, 64, 0, 0);
        ff_publish_raw_tx(e->ff, 201, gpa, 64, VRING_DESC_F_NEXT, 201);
        ff_publish_raw_tx(e->ff, 202, gpa, 64, VRING_DESC_F_NEXT, 4000);
        ff_publish_raw_tx(e->ff, 203, gpa, 0xffffffffu, 0, 0);
        ff_publish_raw_tx(e->ff, 204, gpa, 64, VRING_DESC_F_INDIRECT, 0);
        ff_publish_raw_tx(e->ff, 205, gpa, 10, 0, 0); /* shorter than a header */
        for (int i = 0; i < 20; i++)
                ff_pump(e->ff, 10);
        struct kata_vsock_stats s = stats(e);
        assert_int_equal(s.bad_chains, 5);
        assert_true(s.bad_packets >= 1);
        /* Packets from the wrong CID are dropped; unknown connections get an RST. */
        ff_send_raw(e->ff, 99, 2, 1, 2, VIRTIO_VSOCK_TYPE_STREAM, VIRTIO_VSOCK_OP_RW, "x", 1);
        ff_send_raw(e->ff, CID, 2, 1234, 4321, VIRTIO_VSOCK_TYPE_STREAM, VIRTIO_VSOCK_OP_RW, "x",
                    1);
        for (int i = 0; i < 50 && ff_orphan_resets(e->ff) == 0; i++)
                ff_pump(e->ff, 10);
        assert_int_equal(ff_orphan_resets(e->ff), 1);
        /* The device still works. */
        int lfd = host_listen(e, 8000);
        struct ff_conn *c = ff_connect(e->ff, 8000);
        assert_non_null(c);
        assert_int_equal(ff_close(e->ff, c), 0);
        close(lfd);
        assert_int_equal(ff_errors(e->ff), 0);
        env_free(e);
}

static void test_malformed_vhost_user(void **state)
{
        (void)state;
        struct {
                uint32_t req, flags, size;
                struct kata_vu_vring_state s;
        } cases[] = {
            {KATA_VU_SET_VRING_NUM, KATA_VU_VERSION, 8, {0, 3}},    /* not a power of 2 */
            {KATA_VU_SET_VRING_NUM, KATA_VU_VERSION, 8, {7, 256}},  /* no such ring */
            {KATA_VU_SET_VRING_NUM, KATA_VU_VERSION, 4, {0, 256}},  /* short payload */
            {KATA_VU_SET_FEATURES, KATA_VU_VERSION, 8, {~0u, ~0u}}, /* bits not offered */
            {KATA_VU_GET_FEATURES, 0x2, 0, {0, 0}},                 /* wrong version */
            {KATA_VU_SET_MEM_TABLE, KATA_VU_VERSION, 8, {1, 0}},    /* 1 region, no fd */
            {999, KATA_VU_VERSION, 0, {0, 0}},                      /* unknown request */
            {KATA_VU_GET_CONFIG, KATA_VU_VERSION, 8, {0, 0}},       /* short config */
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct env *e = env_new(false, false);
                int fd = socket(AF_UNIX, SOCK_STREAM, 0);
                struct sockaddr_un sa = {.sun_family = AF_UNIX};
                strcpy(sa.sun_path, e->vu_path);
                assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
                uint8_t msg[20];
                memcpy(msg, &cases[i], 12);
                memcpy(msg + 12, &cases[i].s, 8);
                assert_int_equal(write(fd, msg, 12 + cases[i].size), (ssize_t)(12 + cases[i].size));
                pthread_join(e->thread, NULL);
                assert_true(e->run_rc < 0);
                assert_true(strlen(e->err.msg) > 0);
                close(fd);
                kata_vsock_backend_free(e->b);
                rmdir(e->dir);
                free(e);
        }
        /* A header announcing a huge payload. */
        struct env *e = env_new(false, false);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, e->vu_path);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        uint32_t h[3] = {KATA_VU_SET_MEM_TABLE, KATA_VU_VERSION, 1u << 30};
        assert_int_equal(write(fd, h, sizeof(h)), sizeof(h));
        pthread_join(e->thread, NULL);
        assert_true(e->run_rc < 0);
        assert_non_null(strstr(e->err.msg, "payload"));
        close(fd);
        kata_vsock_backend_free(e->b);
        rmdir(e->dir);
        free(e);
}

/* A memory region larger than its file would SIGBUS us on first touch: refused. */
static void test_mem_table_past_file_end(void **state)
{
        (void)state;
        struct env *e = env_new(false, true);
        int mfd = memfd_create("small", MFD_CLOEXEC);
        assert_int_equal(ftruncate(mfd, 4096), 0);
        struct {
                uint32_t n, pad;
                struct kata_vu_mem_region r;
        } mt = {1, 0, {0x100000, 1 << 20, 0x7f0000000000ull, 0}};
        assert_int_equal(
            ff_vu_request(e->ff, KATA_VU_SET_MEM_TABLE, 0, &mt, sizeof(mt), mfd, NULL, 0), 0);
        close(mfd);
        pthread_join(e->thread, NULL);
        assert_true(e->run_rc < 0);
        assert_non_null(strstr(e->err.msg, "past the end"));
        ff_stop(e->ff);
        kata_vsock_backend_free(e->b);
        assert_int_not_equal(access(e->vu_path, F_OK), 0);
        rmdir(e->dir);
        free(e);
}

static void test_binary_exits_with_frontend(void **state)
{
        (void)state;
        const char *build = getenv("KATA_BUILD_DIR");
        if (!build)
                skip();
        char bin[512], dir[] = "/tmp/kata-vsock-bin-XXXXXX", vu[128], uds[128];
        snprintf(bin, sizeof(bin), "%s/bin/kata-vsock-backend", build);
        assert_non_null(mkdtemp(dir));
        snprintf(vu, sizeof(vu), "%s/vu.sock", dir);
        snprintf(uds, sizeof(uds), "%s/kata.hvsock", dir);
        pid_t pid = fork();
        if (pid == 0) {
                execl(bin, bin, "--socket", vu, "--uds-path", uds, "--guest-cid", "7",
                      "--log-level", "warn", (char *)NULL);
                _exit(127);
        }
        struct ff_options fo = {.guest_cid = 7, .event_idx = true};
        struct fake_frontend *ff = ff_start(vu, &fo);
        assert_non_null(ff);
        assert_int_equal(access(uds, F_OK), 0);
        ff_stop(ff); /* QEMU killed */
        int status = -1;
        for (int i = 0; i < 500; i++) {
                if (waitpid(pid, &status, WNOHANG) == pid)
                        break;
                usleep(10000);
        }
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_int_not_equal(access(vu, F_OK), 0);
        assert_int_not_equal(access(uds, F_OK), 0);
        rmdir(dir);
}

static void test_options_rejected(void **state)
{
        (void)state;
        struct kata_vsock_backend *b = NULL;
        kata_error err = KATA_ERROR_INIT;
        struct kata_vsock_backend_options o = {
            .socket_path = "/tmp/x.sock", .uds_path = "/tmp/y.sock", .guest_cid = 2};
        assert_int_equal(kata_vsock_backend_new(&o, &b, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "CID"));
        char longp[200];
        memset(longp, 'a', sizeof(longp) - 1);
        longp[0] = '/';
        longp[199] = 0;
        o.guest_cid = 3;
        o.uds_path = longp;
        assert_int_equal(kata_vsock_backend_new(&o, &b, &err), -ENAMETOOLONG);
        assert_null(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_options_rejected),
            cmocka_unit_test(test_handshake_and_config),
            cmocka_unit_test(test_guest_initiated),
            cmocka_unit_test(test_host_initiated),
            cmocka_unit_test(test_many_connections),
            cmocka_unit_test(test_host_disconnects_mid_stream),
            cmocka_unit_test(test_host_gives_up),
            cmocka_unit_test(test_connection_limit),
            cmocka_unit_test(test_guest_stops_reading),
            cmocka_unit_test(test_bad_chains_and_packets),
            cmocka_unit_test(test_malformed_vhost_user),
            cmocka_unit_test(test_mem_table_past_file_end),
            cmocka_unit_test(test_bulk_both_ways),
            cmocka_unit_test(test_binary_exits_with_frontend),
        };
        signal(SIGPIPE, SIG_IGN); /* host sides write into sockets the tests close */
        return cmocka_run_group_tests(tests, NULL, NULL);
}
