/* Benchmark peer: an OTLP/HTTP receiver on 127.0.0.1 (libmicrohttpd) that answers 200 to
 * every POST and throws the body away, so the forwarder's otlp sink is what is measured.
 * Prints "port N" on stdout once listening; on SIGTERM prints "bytes N requests N". */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static atomic_ullong bytes, requests;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
        static int marker;
        if (!*req_cls) {
                *req_cls = &marker;
                return MHD_YES;
        }
        if (*upload_data_size) {
                atomic_fetch_add(&bytes, *upload_data_size);
                *upload_data_size = 0;
                return MHD_YES;
        }
        atomic_fetch_add(&requests, 1);
        struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
        enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        return rc;
}

int main(void)
{
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        struct MHD_Daemon *d = MHD_start_daemon(
            MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
            (struct sockaddr *)&addr,
            /* Large reads, so that the receiver is not the bottleneck. */
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(8 * 1024 * 1024), MHD_OPTION_END);
        if (!d) {
                fprintf(stderr, "otlp_discard: cannot start the HTTP server\n");
                return 1;
        }
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        printf("port %u\n", (unsigned)info->port);
        fflush(stdout);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_BLOCK, &set, NULL);
        int sig;
        sigwait(&set, &sig);
        MHD_stop_daemon(d);
        printf("bytes %llu requests %llu\n", (unsigned long long)bytes,
               (unsigned long long)requests);
        return 0;
}
