/* kata-bench-agent-rtt ADDR N: N Health.Check round trips to a running kata-agent at ADDR
 * (one connection), then N round trips of a same-sized message through a raw unix-socket
 * echo thread in this process: the floor any RPC over a local socket can reach. Prints one
 * line per case (name, calls, mean microseconds per call) and their ratio. */
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

static void *echo_main(void *arg)
{
        int fd = *(int *)arg;
        char buf[256];
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                if (write(fd, buf, (size_t)n) != n)
                        break;
        return NULL;
}

static double agent_rtt(const char *addr, long n)
{
        kata_error err = KATA_ERROR_INIT;
        int fd = kata_transport_connect_str(addr, 5000, &err);
        kata_ttrpc_client *c = NULL;
        if (fd < 0 || kata_ttrpc_client_new(fd, &c, &err) < 0) {
                kata_error_print(&err, "kata-bench-agent-rtt", stderr);
                exit(1);
        }
        uint64_t t0 = kata_now_monotonic_ns();
        for (long i = 0; i < n; i++) {
                Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
                ProtobufCMessage *resp = NULL;
                if (kata_ttrpc_call(c, "grpc.Health", "Check", &req.base,
                                    &grpc__health_check_response__descriptor, NULL, 0,
                                    5000000000ull, &resp, NULL, &err) < 0) {
                        kata_error_print(&err, "kata-bench-agent-rtt", stderr);
                        exit(1);
                }
                protobuf_c_message_free_unpacked(resp, NULL);
        }
        uint64_t t1 = kata_now_monotonic_ns();
        kata_ttrpc_client_free(c);
        return (double)(t1 - t0) / 1000.0 / (double)n;
}

/* Request and response of a Check are about 40 bytes each way with their headers. */
static double echo_rtt(long n)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
                perror("socketpair");
                exit(1);
        }
        pthread_t t;
        pthread_create(&t, NULL, echo_main, &sv[1]);
        char msg[40], back[40];
        memset(msg, 'x', sizeof(msg));
        uint64_t t0 = kata_now_monotonic_ns();
        for (long i = 0; i < n; i++) {
                if (write(sv[0], msg, sizeof(msg)) != (ssize_t)sizeof(msg))
                        exit(1);
                size_t got = 0;
                while (got < sizeof(back)) {
                        ssize_t r = read(sv[0], back + got, sizeof(back) - got);
                        if (r <= 0)
                                exit(1);
                        got += (size_t)r;
                }
        }
        uint64_t t1 = kata_now_monotonic_ns();
        shutdown(sv[0], SHUT_WR);
        pthread_join(t, NULL);
        close(sv[0]);
        close(sv[1]);
        return (double)(t1 - t0) / 1000.0 / (double)n;
}

int main(int argc, char **argv)
{
        if (argc != 3) {
                fprintf(stderr, "usage: kata-bench-agent-rtt ADDR N\n");
                return 2;
        }
        long n = atol(argv[2]);
        if (n <= 0)
                n = 1000;
        double agent = agent_rtt(argv[1], n);
        double echo = echo_rtt(n);
        printf("agent-check %-28s %8ld calls %8.1f us/call\n", argv[1], n, agent);
        printf("unix-echo   %-28s %8ld calls %8.1f us/call\n", "(socketpair, same process)", n,
               echo);
        printf("ratio agent-check / unix-echo: %.1f\n", echo > 0 ? agent / echo : 0.0);
        return 0;
}
