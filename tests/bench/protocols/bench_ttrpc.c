/* kata-bench-ttrpc N: Health.Check round trips through the ttrpc client and server, over a
 * unix socket and over hybrid vsock (CONNECT handshake in the accept hook), against the
 * peer that bounds what any RPC layer can do: a raw unix-socket echo of a same-sized
 * message. Also N calls spread over 4 threads sharing one connection. Prints one line per
 * case: name, calls, mean microseconds per call, calls per second. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "health.pb-c.h"
#include "protocols/ttrpc.h"
#include "transport/transport.h"
#include "ttrpc.pb-c.h"

static int h_check(void *u, const kata_ttrpc_call_info *info, const ProtobufCMessage *req,
                   ProtobufCMessage **resp, kata_ttrpc_status *st)
{
        Grpc__HealthCheckResponse *r = malloc(sizeof(*r));
        grpc__health_check_response__init(r);
        r->status = GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
        *resp = &r->base;
        return KATA_TTRPC_OK;
}

static int hvsock_hook(void *user, int fd, void **conn_data, kata_error *err)
{
        uint32_t port;
        return kata_hvsock_server_handshake(fd, NULL, 0, 5000, &port, err);
}

struct serve {
        kata_ttrpc_server *s;
        int fd;
};

static void *serve_main(void *arg)
{
        struct serve *sv = arg;
        kata_error err = KATA_ERROR_INIT;
        kata_ttrpc_server_serve(sv->s, sv->fd, &err);
        return NULL;
}

static void die(const kata_error *err)
{
        kata_error_print(err, "kata-bench-ttrpc", stderr);
        exit(1);
}

static int check_once(kata_ttrpc_client *c)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        kata_error err = KATA_ERROR_INIT;
        int r = kata_ttrpc_call(c, "grpc.Health", "Check", &req.base,
                                &grpc__health_check_response__descriptor, NULL, 0, 10000000000ull,
                                &resp, NULL, &err);
        if (r < 0)
                die(&err);
        protobuf_c_message_free_unpacked(resp, NULL);
        return 0;
}

static void report(const char *name, long n, uint64_t ns)
{
        printf("%-26s calls=%ld mean_us=%.2f calls_per_s=%.0f\n", name, n, ns / 1e3 / n,
               n / (ns / 1e9));
}

static double bench_client(const char *name, const char *addr, long n)
{
        kata_error err = KATA_ERROR_INIT;
        int fd = kata_transport_connect_str(addr, 5000, &err);
        if (fd < 0)
                die(&err);
        kata_ttrpc_client *c;
        if (kata_ttrpc_client_new(fd, &c, &err) < 0)
                die(&err);
        check_once(c); /* warm-up */
        uint64_t t0 = kata_now_monotonic_ns();
        for (long i = 0; i < n; i++)
                check_once(c);
        uint64_t ns = kata_now_monotonic_ns() - t0;
        kata_ttrpc_client_free(c);
        report(name, n, ns);
        return ns / 1e3 / n;
}

/* The server alone: frames written and read inline by this thread, no client library. */
static double bench_inline_client(const char *addr, long n)
{
        kata_error err = KATA_ERROR_INIT;
        int fd = kata_transport_connect_str(addr, 5000, &err);
        if (fd < 0)
                die(&err);
        Ttrpc__Request req = TTRPC__REQUEST__INIT;
        req.service = "grpc.Health";
        req.method = "Check";
        uint8_t buf[128];
        size_t len = ttrpc__request__pack(&req, buf);
        uint64_t t0 = kata_now_monotonic_ns();
        for (long i = 0; i < n; i++) {
                kata_ttrpc_header h = {.length = (uint32_t)len,
                                       .stream_id = (uint32_t)(2 * i + 1),
                                       .type = KATA_TTRPC_TYPE_REQUEST};
                uint8_t *payload = NULL;
                if (kata_ttrpc_write_frame(fd, &h, buf, &err) < 0 ||
                    kata_ttrpc_read_frame(fd, &h, &payload, &err) < 0)
                        die(&err);
                free(payload);
        }
        uint64_t ns = kata_now_monotonic_ns() - t0;
        close(fd);
        report("ttrpc-unix-inline-client", n, ns);
        return ns / 1e3 / n;
}

struct par {
        kata_ttrpc_client *c;
        long n;
};

static void *par_main(void *arg)
{
        struct par *p = arg;
        for (long i = 0; i < p->n; i++)
                check_once(p->c);
        return NULL;
}

static double bench_parallel(const char *addr, long n)
{
        kata_error err = KATA_ERROR_INIT;
        int fd = kata_transport_connect_str(addr, 5000, &err);
        if (fd < 0)
                die(&err);
        kata_ttrpc_client *c;
        if (kata_ttrpc_client_new(fd, &c, &err) < 0)
                die(&err);
        pthread_t t[4];
        struct par p = {c, n / 4};
        uint64_t t0 = kata_now_monotonic_ns();
        for (int i = 0; i < 4; i++)
                pthread_create(&t[i], NULL, par_main, &p);
        for (int i = 0; i < 4; i++)
                pthread_join(t[i], NULL);
        uint64_t ns = kata_now_monotonic_ns() - t0;
        kata_ttrpc_client_free(c);
        report("ttrpc-unix-4-threads", p.n * 4, ns);
        return ns / 1e3 / (p.n * 4);
}

static void *echo_main(void *arg)
{
        int fd = (int)(intptr_t)arg;
        char buf[256];
        for (;;) {
                ssize_t r = read(fd, buf, sizeof(buf));
                if (r <= 0 || write(fd, buf, (size_t)r) != r)
                        break;
        }
        close(fd);
        return NULL;
}

/* The peer: one write and one read of a request-sized message per round trip. */
static double bench_raw_echo(long n)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
                exit(1);
        pthread_t t;
        pthread_create(&t, NULL, echo_main, (void *)(intptr_t)sv[1]);
        char msg[33] = "0123456789abcdef0123456789abcdef"; /* ~ a Check request frame */
        char back[32];
        uint64_t t0 = kata_now_monotonic_ns();
        for (long i = 0; i < n; i++) {
                if (write(sv[0], msg, 32) != 32)
                        exit(1);
                size_t got = 0;
                while (got < 32) {
                        ssize_t r = read(sv[0], back + got, 32 - got);
                        if (r <= 0)
                                exit(1);
                        got += (size_t)r;
                }
        }
        uint64_t ns = kata_now_monotonic_ns() - t0;
        close(sv[0]);
        pthread_join(t, NULL);
        report("raw-unix-echo (peer)", n, ns);
        return ns / 1e3 / n;
}

int main(int argc, char **argv)
{
        long n = argc > 1 ? atol(argv[1]) : 20000;
        if (n < 4)
                n = 4;
        char dir[] = "/tmp/kata-bench-ttrpc.XXXXXX";
        if (!mkdtemp(dir))
                return 1;
        char unix_addr[128], hv_listen[128], hv_addr[128];
        snprintf(unix_addr, sizeof(unix_addr), "unix://%s/agent.sock", dir);
        snprintf(hv_listen, sizeof(hv_listen), "unix://%s/kata.hvsock", dir);
        snprintf(hv_addr, sizeof(hv_addr), "hvsock://%s/kata.hvsock:1024", dir);

        kata_error err = KATA_ERROR_INIT;
        kata_ttrpc_server *s1, *s2;
        if (kata_ttrpc_server_new(&s1, &err) < 0 || kata_ttrpc_server_new(&s2, &err) < 0)
                die(&err);
        kata_ttrpc_server_register_method(s1, &grpc__health__descriptor, "Check", h_check, NULL,
                                          NULL, &err);
        kata_ttrpc_server_register_method(s2, &grpc__health__descriptor, "Check", h_check, NULL,
                                          NULL, &err);
        kata_ttrpc_server_set_accept_hook(s2, hvsock_hook, NULL, NULL);
        struct serve a = {s1, kata_transport_listen_str(unix_addr, 0, &err)};
        struct serve b = {s2, kata_transport_listen_str(hv_listen, 0, &err)};
        if (a.fd < 0 || b.fd < 0)
                die(&err);
        pthread_t ta, tb;
        pthread_create(&ta, NULL, serve_main, &a);
        pthread_create(&tb, NULL, serve_main, &b);

        double raw = bench_raw_echo(n);
        double u = bench_client("ttrpc-unix", unix_addr, n);
        double in = bench_inline_client(unix_addr, n);
        double h = bench_client("ttrpc-hvsock", hv_addr, n);
        double p = bench_parallel(unix_addr, n);
        printf("ratio ttrpc-unix/raw-echo=%.1f ttrpc-hvsock/raw-echo=%.1f "
               "ttrpc-hvsock/ttrpc-unix=%.2f 4-threads/1-thread=%.2f inline/library-client=%.2f\n",
               u / raw, h / raw, h / u, p / u, in / u);

        kata_ttrpc_server_stop(s1);
        kata_ttrpc_server_stop(s2);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        kata_ttrpc_server_free(s1);
        kata_ttrpc_server_free(s2);
        close(a.fd);
        close(b.fd);
        char path[200];
        snprintf(path, sizeof(path), "%s/agent.sock", dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/kata.hvsock", dir);
        unlink(path);
        rmdir(dir);
        return 0;
}
