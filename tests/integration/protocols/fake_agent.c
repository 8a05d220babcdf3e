/* kata-fake-agent ADDR...: serves a few agent RPCs with canned behaviour on each address
 * (unix://PATH, or hvsock://PATH:PORT whose CONNECT handshake runs in the ttrpc server's
 * accept hook), until SIGTERM. Test helper for `kata-ctl agent`:
 *   Health.Check        SERVING
 *   Health.Version      agent_version "fake", grpc_version = the request's traceparent
 *   CreateContainer     remembers container_id; INVALID_ARGUMENT for a bad id,
 *                       ALREADY_EXISTS when seen before
 *   StatsContainer      NOT_FOUND unless created
 *   GetGuestDetails     init_daemon false, cgroup_driver "cgroupfs"
 *   GetOOMEvent         blocks until the server stops (to test client timeouts)
 *   WriteStdin          echoes the byte count */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "common/util.h"
#include "health.pb-c.h"
#include "protocols/ttrpc.h"
#include "transport/transport.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *containers[64];
static size_t n_containers;

static bool known(const char *id)
{
        for (size_t i = 0; i < n_containers; i++)
                if (strcmp(containers[i], id) == 0)
                        return true;
        return false;
}

static int h_check(void *u, const kata_ttrpc_call_info *info, const ProtobufCMessage *req,
                   ProtobufCMessage **resp, kata_ttrpc_status *st)
{
        Grpc__HealthCheckResponse *r = malloc(sizeof(*r));
        grpc__health_check_response__init(r);
        r->status = GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
        *resp = &r->base;
        return KATA_TTRPC_OK;
}

static int h_version(void *u, const kata_ttrpc_call_info *info, const ProtobufCMessage *req,
                     ProtobufCMessage **resp, kata_ttrpc_status *st)
{
        const char *tp = kata_ttrpc_metadata_get(info, "traceparent");
        Grpc__VersionCheckResponse *r = malloc(sizeof(*r));
        grpc__version_check_response__init(r);
        r->agent_version = strdup("fake");
        r->grpc_version = strdup(tp ? tp : "");
        *resp = &r->base;
        return KATA_TTRPC_OK;
}

static int h_create(void *u, const kata_ttrpc_call_info *info, const ProtobufCMessage *req,
                    ProtobufCMessage **resp, kata_ttrpc_status *st)
{
        const Grpc__CreateContainerRequest *r = (const Grpc__CreateContainerRequest *)req;
        if (!kata_id_is_valid(r->container_id))
                return kata_ttrpc_status_set(st, KATA_TTRPC_INVALID_ARGUMENT,
                                             "invalid container id '%s'", r->container_id);
        if (!r->oci || !r->oci->process || r->oci->process->n_args == 0)
                return kata_ttrpc_status_set(st, KATA_TTRPC_INVALID_ARGUMENT,
                                             "OCI.Process.Args is empty");
        pthread_mutex_lock(&lock);
        int code = KATA_TTRPC_OK;
        if (known(r->container_id))
                code = kata_ttrpc_status_set(st, KATA_TTRPC_ALREADY_EXISTS,
                                             "container %s already exists", r->container_id);
        else if (n_containers < 64)
                containers[n_containers++] = strdup(r->container_id);
        pthread_mutex_unlock(&lock);
        return code;
}

static int h_stats(void *u, const kata_ttrpc_call_info *info, const ProtobufCMessage *req,
                   ProtobufCMessage **resp, kata_ttrpc_status *st)
{
        const Grpc__StatsContainerRequest *r = (const Grpc__StatsContainerRequest *)req;
        pthread_mutex_lock(&lock);
        bool found = known(r->container_id);
        pthread_mutex_unlock(&lock);
        if (!found)
                return kata_ttrpc_status_set(st, KATA_TTRPC_NOT_FOUND, "no container '%s'",
                                             r->container_id);
        Grpc__StatsContainerResponse *out = malloc(sizeof(*out));
        grpc__stats_container_response__init(out);
        out->cgroup_stats = malloc(sizeof(*out->cgroup_stats));
        grpc__cgroup_stats__init(out->cgroup_stats);
        out->cgroup_stats->pids_stats = malloc(sizeof(*out->cgroup_stats->pids_stats));
        grpc__pids_stats__init(out->cgroup_stats->pids_stats);
        out->cgroup_stats->pids_stats->current = 3;
        out->cgroup_stats->pids_stats->limit = 64;
        *resp = &out->base;
        return KATA_TTRPC_OK;
}

static int h_details(void *u, const kata_ttrpc_call_info *info, const ProtobufCMessage *req,
                     ProtobufCMessage **resp, kata_ttrpc_status *st)
{
        Grpc__GuestDetailsResponse *out = malloc(sizeof(*out));
        grpc__guest_details_response__init(out);
        out->agent_details = malloc(sizeof(*out->agent_details));
        grpc__agent_details__init(out->agent_details);
        out->agent_details->version = strdup("0.0.0-fake");
        out->agent_details->cgroup_driver = strdup("cgroupfs");
        out->agent_details->cgroup_driver_reason = strdup("fake agent");
        *resp = &out->base;
        return KATA_TTRPC_OK;
}

static int h_oom(void *u, const kata_ttrpc_call_info *info, const ProtobufCMessage *req,
                 ProtobufCMessage **resp, kata_ttrpc_status *st)
{
        while (!kata_ttrpc_server_stopping(u))
                usleep(20000);
        return kata_ttrpc_status_set(st, KATA_TTRPC_CANCELLED, "agent stopping");
}

static int h_write(void *u, const kata_ttrpc_call_info *info, const ProtobufCMessage *req,
                   ProtobufCMessage **resp, kata_ttrpc_status *st)
{
        const Grpc__WriteStreamRequest *r = (const Grpc__WriteStreamRequest *)req;
        Grpc__WriteStreamResponse *out = malloc(sizeof(*out));
        grpc__write_stream_response__init(out);
        out->len = (uint32_t)r->data.len;
        *resp = &out->base;
        return KATA_TTRPC_OK;
}

static int hvsock_hook(void *user, int fd, void **conn_data, kata_error *err)
{
        const uint32_t allowed[] = {KATA_PORT_AGENT};
        uint32_t port;
        return kata_hvsock_server_handshake(fd, allowed, 1, 5000, &port, err);
}

struct listener {
        kata_ttrpc_server *server;
        int fd;
};

static void *serve_main(void *arg)
{
        struct listener *l = arg;
        kata_error err = KATA_ERROR_INIT;
        if (kata_ttrpc_server_serve(l->server, l->fd, &err) < 0)
                fprintf(stderr, "kata-fake-agent: %s\n", err.msg);
        return NULL;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: kata-fake-agent ADDR...\n");
                return 2;
        }
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &set, NULL);

        kata_error err = KATA_ERROR_INIT;
        /* One server per address: the accept hook is per server. */
        struct listener l[8];
        pthread_t t[8];
        int n = argc - 1 > 8 ? 8 : argc - 1;
        kata_ttrpc_server *servers[8];
        for (int i = 0; i < n; i++) {
                kata_address addr;
                if (kata_address_parse(argv[i + 1], &addr, &err) < 0 ||
                    kata_ttrpc_server_new(&servers[i], &err) < 0) {
                        kata_error_print(&err, "kata-fake-agent", stderr);
                        return 1;
                }
                kata_ttrpc_server *s = servers[i];
                const ProtobufCServiceDescriptor *h = &grpc__health__descriptor,
                                                 *a = &grpc__agent_service__descriptor;
                kata_ttrpc_server_register_method(s, h, "Check", h_check, NULL, NULL, &err);
                kata_ttrpc_server_register_method(s, h, "Version", h_version, NULL, NULL, &err);
                kata_ttrpc_server_register_method(s, a, "CreateContainer", h_create, NULL, NULL,
                                                  &err);
                kata_ttrpc_server_register_method(s, a, "StatsContainer", h_stats, NULL, NULL,
                                                  &err);
                kata_ttrpc_server_register_method(s, a, "GetGuestDetails", h_details, NULL, NULL,
                                                  &err);
                kata_ttrpc_server_register_method(s, a, "GetOOMEvent", h_oom, NULL, s, &err);
                kata_ttrpc_server_register_method(s, a, "WriteStdin", h_write, NULL, NULL, &err);
                if (addr.kind == KATA_TRANSPORT_HVSOCK)
                        kata_ttrpc_server_set_accept_hook(s, hvsock_hook, NULL, NULL);
                int fd = kata_transport_listen(&addr, 0, &err);
                if (fd < 0) {
                        kata_error_print(&err, "kata-fake-agent", stderr);
                        return 1;
                }
                l[i] = (struct listener){s, fd};
                pthread_create(&t[i], NULL, serve_main, &l[i]);
        }
        printf("ready\n");
        fflush(stdout);
        int sig;
        sigwait(&set, &sig);
        for (int i = 0; i < n; i++)
                kata_ttrpc_server_stop(servers[i]);
        for (int i = 0; i < n; i++) {
                pthread_join(t[i], NULL);
                kata_ttrpc_server_free(servers[i]);
                close(l[i].fd);
        }
        return 0;
}
