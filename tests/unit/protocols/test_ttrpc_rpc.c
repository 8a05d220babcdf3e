/* ttrpc client and server over unix sockets in /tmp: normal calls, metadata, bad frames
 * of every kind (each answered or closing only its own connection while another client
 * keeps being served), timeouts, dead peers, concurrent callers and blocking handlers. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.pb-c.h"
#include "health.pb-c.h"
#include "protocols/ttrpc.h"
#include "ttrpc.pb-c.h"

#define SEC 1000000000ull

static char sock_dir[64];
static char sock_path[128];
static int listen_fd = -1;
static kata_ttrpc_server *server;
static pthread_t serve_thread;
static kata_ttrpc_client *shared; /* a long-lived client used to prove others are unaffected */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static int blocked_handlers;
static int hook_calls;

/* ---- handlers ---- */

static int handle_check(void *user, const kata_ttrpc_call_info *info, const ProtobufCMessage *req,
                        ProtobufCMessage **resp, kata_ttrpc_status *st)
{
        const Grpc__CheckRequest *r = (const Grpc__CheckRequest *)req;
        if (strcmp(r->service, "missing") == 0)
                return kata_ttrpc_status_set(st, KATA_TTRPC_NOT_FOUND, "no service '%s'",
                                             r->service);
        Grpc__HealthCheckResponse *out = malloc(sizeof(*out));
        grpc__health_check_response__init(out);
        out->status = GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
        *resp = &out->base;
        return KATA_TTRPC_OK;
}

/* Echoes the request's service into agent_version and the traceparent metadata into
 * grpc_version, so callers can check that replies reach the right caller. */
static int handle_version(void *user, const kata_ttrpc_call_info *info, const ProtobufCMessage *req,
                          ProtobufCMessage **resp, kata_ttrpc_status *st)
{
        const Grpc__CheckRequest *r = (const Grpc__CheckRequest *)req;
        const char *tp = kata_ttrpc_metadata_get(info, "traceparent");
        Grpc__VersionCheckResponse *out = malloc(sizeof(*out));
        grpc__version_check_response__init(out);
        out->agent_version = strdup(r->service);
        out->grpc_version = strdup(tp ? tp : "");
        *resp = &out->base;
        return KATA_TTRPC_OK;
}

/* Long poll: waits for the gate (or the server's stop). */
static int handle_oom(void *user, const kata_ttrpc_call_info *info, const ProtobufCMessage *req,
                      ProtobufCMessage **resp, kata_ttrpc_status *st)
{
        pthread_mutex_lock(&gate_lock);
        blocked_handlers++;
        pthread_cond_broadcast(&gate_cond);
        while (!gate_open && !kata_ttrpc_server_stopping(server))
                pthread_cond_wait(&gate_cond, &gate_lock);
        blocked_handlers--;
        pthread_cond_broadcast(&gate_cond);
        pthread_mutex_unlock(&gate_lock);
        Grpc__OOMEvent *out = malloc(sizeof(*out));
        grpc__oomevent__init(out);
        out->container_id = strdup("c1");
        *resp = &out->base;
        return KATA_TTRPC_OK;
}

static int handle_wrong_type(void *user, const kata_ttrpc_call_info *info,
                             const ProtobufCMessage *req, ProtobufCMessage **resp,
                             kata_ttrpc_status *st)
{
        Grpc__OOMEvent *out = malloc(sizeof(*out));
        grpc__oomevent__init(out);
        *resp = &out->base;
        return KATA_TTRPC_OK;
}

static int handle_errno(void *user, const kata_ttrpc_call_info *info, const ProtobufCMessage *req,
                        ProtobufCMessage **resp, kata_ttrpc_status *st)
{
        return -ENOENT;
}

static int count_hook(void *user, int fd, void **conn_data, kata_error *err)
{
        __atomic_add_fetch(&hook_calls, 1, __ATOMIC_SEQ_CST);
        return 0;
}

static void *serve_main(void *arg)
{
        kata_error err = KATA_ERROR_INIT;
        kata_ttrpc_server_serve(server, listen_fd, &err);
        return NULL;
}

static int connect_raw(void)
{
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static kata_ttrpc_client *connect_client(void)
{
        int fd = connect_raw();
        assert_true(fd >= 0);
        kata_ttrpc_client *c = NULL;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_ttrpc_client_new(fd, &c, &err), 0);
        return c;
}

static int setup(void **state)
{
        snprintf(sock_dir, sizeof(sock_dir), "/tmp/kata-ttrpc-test.XXXXXX");
        if (!mkdtemp(sock_dir))
                return -1;
        snprintf(sock_path, sizeof(sock_path), "%s/agent.sock", sock_dir);
        kata_error err = KATA_ERROR_INIT;
        if (kata_ttrpc_server_new(&server, &err) < 0)
                return -1;
        kata_ttrpc_server_register_method(server, &grpc__health__descriptor, "Check", handle_check,
                                          NULL, NULL, &err);
        kata_ttrpc_server_register_method(server, &grpc__health__descriptor, "Version",
                                          handle_version, NULL, NULL, &err);
        kata_ttrpc_server_register_method(server, &grpc__agent_service__descriptor, "GetOOMEvent",
                                          handle_oom, NULL, NULL, &err);
        kata_ttrpc_server_register_method(server, &grpc__agent_service__descriptor, "GetMetrics",
                                          handle_wrong_type, NULL, NULL, &err);
        kata_ttrpc_server_register_method(server, &grpc__agent_service__descriptor,
                                          "StatsContainer", handle_errno, NULL, NULL, &err);
        if (kata_ttrpc_server_register_method(server, &grpc__health__descriptor, "Check",
                                              handle_check, NULL, NULL, &err) != -EEXIST)
                return -1;
        if (kata_ttrpc_server_register_method(server, &grpc__health__descriptor, "Nope",
                                              handle_check, NULL, NULL, &err) != -ENOENT)
                return -1;
        kata_ttrpc_server_set_accept_hook(server, count_hook, NULL, NULL);
        listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
        if (bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
            listen(listen_fd, 64) < 0)
                return -1;
        if (pthread_create(&serve_thread, NULL, serve_main, NULL) != 0)
                return -1;
        int fd = connect_raw();
        if (fd < 0 || kata_ttrpc_client_new(fd, &shared, &err) < 0)
                return -1;
        return 0;
}

static int teardown(void **state)
{
        kata_ttrpc_client_free(shared);
        kata_ttrpc_server_stop(server);
        pthread_join(serve_thread, NULL);
        kata_ttrpc_server_free(server);
        close(listen_fd);
        unlink(sock_path);
        rmdir(sock_dir);
        return 0;
}

/* One Health.Check on c; returns the call's result. */
static int check(kata_ttrpc_client *c, const char *service, kata_ttrpc_status *st)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        req.service = (char *)service;
        ProtobufCMessage *resp = NULL;
        kata_error err = KATA_ERROR_INIT;
        int r = kata_ttrpc_call(c, "grpc.Health", "Check", &req.base,
                                &grpc__health_check_response__descriptor, NULL, 0, 5 * SEC, &resp,
                                st, &err);
        if (r == 0) {
                assert_non_null(resp);
                assert_int_equal(((Grpc__HealthCheckResponse *)resp)->status,
                                 GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
                protobuf_c_message_free_unpacked(resp, NULL);
        } else {
                assert_null(resp);
        }
        return r;
}

static void assert_shared_still_served(void)
{
        kata_ttrpc_status st;
        assert_int_equal(check(shared, "", &st), 0);
        assert_int_equal(st.code, KATA_TTRPC_OK);
}

/* Sends one raw frame and reads one response frame; returns its status code, or -1 when
 * the connection closed without answering. */
static int raw_exchange(int fd, uint32_t stream, uint8_t type, const void *payload, uint32_t len,
                        uint32_t declared_len)
{
        uint8_t hdr[KATA_TTRPC_HEADER_SIZE];
        kata_ttrpc_header h = {.length = declared_len, .stream_id = stream, .type = type};
        kata_ttrpc_header_encode(&h, hdr);
        assert_int_equal(send(fd, hdr, sizeof(hdr), MSG_NOSIGNAL), (ssize_t)sizeof(hdr));
        if (len)
                assert_int_equal(send(fd, payload, len, MSG_NOSIGNAL), (ssize_t)len);
        kata_ttrpc_header rh;
        uint8_t *rp = NULL;
        kata_error err = KATA_ERROR_INIT;
        if (kata_ttrpc_read_frame(fd, &rh, &rp, &err) < 0)
                return -1;
        assert_int_equal(rh.type, KATA_TTRPC_TYPE_RESPONSE);
        assert_int_equal(rh.stream_id, stream);
        Ttrpc__Response *resp = ttrpc__response__unpack(NULL, rh.length, rp);
        free(rp);
        assert_non_null(resp);
        int code = resp->status ? resp->status->code : 0;
        ttrpc__response__free_unpacked(resp, NULL);
        return code;
}

static size_t pack_request(const char *service, const char *method, const uint8_t *payload,
                           size_t len, uint8_t *out)
{
        Ttrpc__Request req = TTRPC__REQUEST__INIT;
        req.service = (char *)service;
        req.method = (char *)method;
        req.payload.data = (uint8_t *)payload;
        req.payload.len = len;
        return ttrpc__request__pack(&req, out);
}

static void test_call_ok_and_status(void **state)
{
        kata_ttrpc_status st;
        assert_int_equal(check(shared, "", &st), 0);
        kata_error err = KATA_ERROR_INIT;
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        req.service = "missing";
        ProtobufCMessage *resp = NULL;
        int r = kata_ttrpc_call(shared, "grpc.Health", "Check", &req.base,
                                &grpc__health_check_response__descriptor, NULL, 0, 5 * SEC, &resp,
                                &st, &err);
        assert_int_equal(r, -ENOENT);
        assert_int_equal(st.code, KATA_TTRPC_NOT_FOUND);
        assert_string_equal(st.message, "no service 'missing'");
        assert_non_null(strstr(err.msg, "NOT_FOUND"));
        assert_true(__atomic_load_n(&hook_calls, __ATOMIC_SEQ_CST) >= 1);
}

static void test_metadata_reaches_handler(void **state)
{
        const char *tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        kata_ttrpc_kv md[] = {{"other", "x"}, {"traceparent", tp}};
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        req.service = "svc";
        ProtobufCMessage *resp = NULL;
        kata_ttrpc_status st;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_ttrpc_call(shared, "grpc.Health", "Version", &req.base,
                                         &grpc__version_check_response__descriptor, md, 2, 5 * SEC,
                                         &resp, &st, &err),
                         0);
        Grpc__VersionCheckResponse *v = (Grpc__VersionCheckResponse *)resp;
        assert_string_equal(v->grpc_version, tp);
        assert_string_equal(v->agent_version, "svc");
        protobuf_c_message_free_unpacked(resp, NULL);
}

static void test_unknown_method(void **state)
{
        kata_ttrpc_status st;
        kata_error err = KATA_ERROR_INIT;
        ProtobufCMessage *resp = NULL;
        int r = kata_ttrpc_call(shared, "grpc.AgentService", "NoSuchMethod", NULL, NULL, NULL, 0,
                                5 * SEC, &resp, &st, &err);
        assert_int_equal(r, -ENOSYS);
        assert_int_equal(st.code, KATA_TTRPC_UNIMPLEMENTED);
        assert_non_null(strstr(st.message, "NoSuchMethod"));
        assert_shared_still_served();
}

static void test_wrong_response_type_is_internal(void **state)
{
        kata_ttrpc_status st;
        kata_error err = KATA_ERROR_INIT;
        ProtobufCMessage *resp = NULL;
        int r = kata_ttrpc_call(shared, "grpc.AgentService", "GetMetrics", NULL,
                                &grpc__metrics__descriptor, NULL, 0, 5 * SEC, &resp, &st, &err);
        assert_int_equal(r, -EREMOTEIO);
        assert_int_equal(st.code, KATA_TTRPC_INTERNAL);
}

static void test_negative_errno_maps_to_status(void **state)
{
        kata_ttrpc_status st;
        kata_error err = KATA_ERROR_INIT;
        ProtobufCMessage *resp = NULL;
        int r = kata_ttrpc_call(shared, "grpc.AgentService", "StatsContainer", NULL,
                                &grpc__stats_container_response__descriptor, NULL, 0, 5 * SEC,
                                &resp, &st, &err);
        assert_int_equal(r, -ENOENT);
        assert_int_equal(st.code, KATA_TTRPC_NOT_FOUND);
        assert_string_equal(st.message, "NOT_FOUND");
}

static void test_garbage_payload_keeps_connection(void **state)
{
        int fd = connect_raw();
        assert_true(fd >= 0);
        uint8_t garbage[32];
        memset(garbage, 0xff, sizeof(garbage));
        assert_int_equal(raw_exchange(fd, 1, 1, garbage, sizeof(garbage), sizeof(garbage)),
                         KATA_TTRPC_INVALID_ARGUMENT);
        /* valid envelope, payload not a CheckRequest */
        uint8_t buf[256];
        size_t n = pack_request("grpc.Health", "Check", garbage, 8, buf);
        assert_int_equal(raw_exchange(fd, 3, 1, buf, (uint32_t)n, (uint32_t)n),
                         KATA_TTRPC_INVALID_ARGUMENT);
        /* unknown method on the raw connection */
        n = pack_request("grpc.AgentService", "Bogus", NULL, 0, buf);
        assert_int_equal(raw_exchange(fd, 5, 1, buf, (uint32_t)n, (uint32_t)n),
                         KATA_TTRPC_UNIMPLEMENTED);
        /* a response frame sent to a server */
        assert_int_equal(raw_exchange(fd, 7, 2, NULL, 0, 0), KATA_TTRPC_INVALID_ARGUMENT);
        /* the same connection still serves a good request */
        n = pack_request("grpc.Health", "Check", NULL, 0, buf);
        assert_int_equal(raw_exchange(fd, 9, 1, buf, (uint32_t)n, (uint32_t)n), KATA_TTRPC_OK);
        close(fd);
        assert_shared_still_served();
}

static void test_oversized_frame_closes_only_that_connection(void **state)
{
        int fd = connect_raw();
        assert_true(fd >= 0);
        assert_int_equal(raw_exchange(fd, 1, 1, NULL, 0, KATA_TTRPC_MAX_PAYLOAD + 1),
                         KATA_TTRPC_RESOURCE_EXHAUSTED);
        char c;
        assert_int_equal(read(fd, &c, 1), 0); /* then closed */
        close(fd);
        assert_shared_still_served();
}

static void test_bad_type_closes_only_that_connection(void **state)
{
        int fd = connect_raw();
        assert_true(fd >= 0);
        assert_int_equal(raw_exchange(fd, 1, 9, NULL, 0, 0), KATA_TTRPC_INVALID_ARGUMENT);
        char c;
        assert_int_equal(read(fd, &c, 1), 0);
        close(fd);
        assert_shared_still_served();
}

static void test_truncated_frame(void **state)
{
        int fd = connect_raw();
        assert_true(fd >= 0);
        uint8_t hdr[KATA_TTRPC_HEADER_SIZE];
        kata_ttrpc_header h = {.length = 100, .stream_id = 1, .type = 1};
        kata_ttrpc_header_encode(&h, hdr);
        assert_int_equal(send(fd, hdr, sizeof(hdr), 0), (ssize_t)sizeof(hdr));
        assert_int_equal(send(fd, "abc", 3, 0), 3);
        shutdown(fd, SHUT_WR);
        char c;
        assert_int_equal(read(fd, &c, 1), 0); /* server gives up on it and closes */
        close(fd);
        /* half a header */
        fd = connect_raw();
        assert_int_equal(send(fd, hdr, 4, 0), 4);
        close(fd);
        assert_shared_still_served();
}

static void test_client_timeout(void **state)
{
        kata_ttrpc_status st;
        kata_error err = KATA_ERROR_INIT;
        ProtobufCMessage *resp = NULL;
        int r = kata_ttrpc_call(shared, "grpc.AgentService", "GetOOMEvent", NULL,
                                &grpc__oomevent__descriptor, NULL, 0, SEC / 10, &resp, &st, &err);
        assert_int_equal(r, -ETIMEDOUT);
        assert_int_equal(st.code, KATA_TTRPC_DEADLINE_EXCEEDED);
        assert_null(resp);
        /* the connection survives the timeout; the late reply will be dropped */
        assert_shared_still_served();
        pthread_mutex_lock(&gate_lock);
        gate_open = true;
        pthread_cond_broadcast(&gate_cond);
        while (blocked_handlers > 0)
                pthread_cond_wait(&gate_cond, &gate_lock);
        gate_open = false;
        pthread_mutex_unlock(&gate_lock);
        assert_shared_still_served();
}

static void *read_one_then_die(void *arg)
{
        int fd = (int)(intptr_t)arg;
        kata_ttrpc_header h;
        uint8_t *p = NULL;
        kata_error err = KATA_ERROR_INIT;
        kata_ttrpc_read_frame(fd, &h, &p, &err);
        free(p);
        close(fd);
        return NULL;
}

static void test_dead_peer_unavailable(void **state)
{
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        kata_ttrpc_client *c = NULL;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_ttrpc_client_new(sv[0], &c, &err), 0);
        /* the peer reads the request and dies without answering: no hang, UNAVAILABLE */
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, read_one_then_die, (void *)(intptr_t)sv[1]), 0);
        kata_ttrpc_status st;
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        /* no timeout at all: only the peer's death can end this call */
        assert_int_equal(kata_ttrpc_call(c, "grpc.Health", "Check", &req.base,
                                         &grpc__health_check_response__descriptor, NULL, 0, 0,
                                         &resp, &st, &err),
                         -ECONNRESET);
        assert_int_equal(st.code, KATA_TTRPC_UNAVAILABLE);
        pthread_join(t, NULL);
        /* later calls fail at once */
        assert_int_equal(check(c, "", &st), -ECONNRESET);
        assert_int_equal(st.code, KATA_TTRPC_UNAVAILABLE);
        kata_ttrpc_client_free(c);
}

#define CALLERS 8
#define CALLS   50

static void *caller_main(void *arg)
{
        kata_ttrpc_client *c = arg;
        static int next_id;
        int me = __atomic_fetch_add(&next_id, 1, __ATOMIC_SEQ_CST);
        intptr_t failures = 0;
        for (int i = 0; i < CALLS; i++) {
                char tag[32], tp[32];
                snprintf(tag, sizeof(tag), "caller-%d-%d", me, i);
                snprintf(tp, sizeof(tp), "tp-%d-%d", me, i);
                kata_ttrpc_kv md = {"traceparent", tp};
                Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
                req.service = tag;
                ProtobufCMessage *resp = NULL;
                kata_ttrpc_status st;
                kata_error err = KATA_ERROR_INIT;
                if (kata_ttrpc_call(c, "grpc.Health", "Version", &req.base,
                                    &grpc__version_check_response__descriptor, &md, 1, 10 * SEC,
                                    &resp, &st, &err) != 0) {
                        failures++;
                        continue;
                }
                Grpc__VersionCheckResponse *v = (Grpc__VersionCheckResponse *)resp;
                if (strcmp(v->agent_version, tag) != 0 || strcmp(v->grpc_version, tp) != 0)
                        failures++;
                protobuf_c_message_free_unpacked(resp, NULL);
        }
        return (void *)failures;
}

static void test_concurrent_callers_one_connection(void **state)
{
        kata_ttrpc_client *c = connect_client();
        pthread_t t[CALLERS];
        for (int i = 0; i < CALLERS; i++)
                assert_int_equal(pthread_create(&t[i], NULL, caller_main, c), 0);
        for (int i = 0; i < CALLERS; i++) {
                void *failures;
                pthread_join(t[i], &failures);
                assert_int_equal((intptr_t)failures, 0);
        }
        kata_ttrpc_client_free(c);
}

struct oom_call {
        kata_ttrpc_client *c;
        int result;
        char container[16];
};

static void *oom_caller(void *arg)
{
        struct oom_call *oc = arg;
        ProtobufCMessage *resp = NULL;
        kata_ttrpc_status st;
        kata_error err = KATA_ERROR_INIT;
        oc->result = kata_ttrpc_call(oc->c, "grpc.AgentService", "GetOOMEvent", NULL,
                                     &grpc__oomevent__descriptor, NULL, 0, 0, &resp, &st, &err);
        if (oc->result == 0) {
                snprintf(oc->container, sizeof(oc->container), "%s",
                         ((Grpc__OOMEvent *)resp)->container_id);
                protobuf_c_message_free_unpacked(resp, NULL);
        }
        return NULL;
}

#define LONG_POLLS 20

static void test_blocking_handler_blocks_nothing_else(void **state)
{
        /* 20 long polls blocked in handlers on two connections (the pool must grow past
         * them), and both connections plus a new one still answer at once. */
        kata_ttrpc_client *c = connect_client();
        struct oom_call oc[LONG_POLLS];
        pthread_t t[LONG_POLLS];
        for (int i = 0; i < LONG_POLLS; i++) {
                oc[i] = (struct oom_call){.c = i % 2 ? c : shared};
                assert_int_equal(pthread_create(&t[i], NULL, oom_caller, &oc[i]), 0);
        }
        pthread_mutex_lock(&gate_lock);
        while (blocked_handlers < LONG_POLLS)
                pthread_cond_wait(&gate_cond, &gate_lock);
        pthread_mutex_unlock(&gate_lock);
        kata_ttrpc_status st;
        for (int i = 0; i < 10; i++) {
                assert_int_equal(check(c, "", &st), 0);
                assert_int_equal(check(shared, "", &st), 0);
        }
        kata_ttrpc_client *other = connect_client();
        assert_int_equal(check(other, "", &st), 0);
        kata_ttrpc_client_free(other);

        pthread_mutex_lock(&gate_lock);
        gate_open = true;
        pthread_cond_broadcast(&gate_cond);
        pthread_mutex_unlock(&gate_lock);
        for (int i = 0; i < LONG_POLLS; i++) {
                pthread_join(t[i], NULL);
                assert_int_equal(oc[i].result, 0);
                assert_string_equal(oc[i].container, "c1");
        }
        pthread_mutex_lock(&gate_lock);
        while (blocked_handlers > 0)
                pthread_cond_wait(&gate_cond, &gate_lock);
        gate_open = false;
        pthread_mutex_unlock(&gate_lock);
        kata_ttrpc_client_free(c);
}

static void test_graceful_stop_of_second_server(void **state)
{
        /* A server serving a connected fd (no listener): free() stops it, closes the
         * connection, and the client sees UNAVAILABLE. */
        kata_ttrpc_server *s2;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_ttrpc_server_new(&s2, &err), 0);
        assert_int_equal(kata_ttrpc_server_register_method(s2, &grpc__health__descriptor, "Check",
                                                           handle_check, NULL, NULL, &err),
                         0);
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(kata_ttrpc_server_add_conn(s2, sv[1], &err), 0);
        kata_ttrpc_client *c = NULL;
        assert_int_equal(kata_ttrpc_client_new(sv[0], &c, &err), 0);
        kata_ttrpc_status st;
        assert_int_equal(check(c, "", &st), 0);
        assert_int_equal(kata_ttrpc_server_conn_count(s2), 1);
        kata_ttrpc_server_free(s2);
        /* the server's side is closed now */
        assert_int_equal(check(c, "", &st), -ECONNRESET);
        kata_ttrpc_client_free(c);
}

static int handle_big_metrics(void *user, const kata_ttrpc_call_info *info,
                              const ProtobufCMessage *req, ProtobufCMessage **resp,
                              kata_ttrpc_status *st)
{
        Grpc__Metrics *out = malloc(sizeof(*out));
        grpc__metrics__init(out);
        out->metrics = malloc(1 << 20);
        memset(out->metrics, 'm', (1 << 20) - 1);
        out->metrics[(1 << 20) - 1] = '\0';
        *resp = &out->base;
        return KATA_TTRPC_OK;
}

static void test_free_with_client_that_never_reads(void **state)
{
        /* Responses (1 MiB each) pile up on a client that only writes: the workers block
         * writing, and free() must still return (after its grace period). */
        kata_ttrpc_server *s2;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_ttrpc_server_new(&s2, &err), 0);
        assert_int_equal(kata_ttrpc_server_register_method(s2, &grpc__agent_service__descriptor,
                                                           "GetMetrics", handle_big_metrics, NULL,
                                                           NULL, &err),
                         0);
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(kata_ttrpc_server_add_conn(s2, sv[1], &err), 0);
        uint8_t buf[128];
        size_t n = pack_request("grpc.AgentService", "GetMetrics", NULL, 0, buf);
        for (uint32_t i = 0; i < 8; i++) {
                uint8_t hdr[KATA_TTRPC_HEADER_SIZE];
                kata_ttrpc_header h = {.length = (uint32_t)n, .stream_id = 2 * i + 1, .type = 1};
                kata_ttrpc_header_encode(&h, hdr);
                assert_int_equal(send(sv[0], hdr, sizeof(hdr), 0), (ssize_t)sizeof(hdr));
                assert_int_equal(send(sv[0], buf, n, 0), (ssize_t)n);
        }
        usleep(200000); /* let the workers fill the socket buffer */
        kata_ttrpc_server_free(s2);
        /* the server's end is closed: reading drains what was sent and then ends */
        char drain[65536];
        ssize_t r;
        while ((r = read(sv[0], drain, sizeof(drain))) > 0) {
        }
        assert_int_equal(r, 0);
        close(sv[0]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_call_ok_and_status),
            cmocka_unit_test(test_metadata_reaches_handler),
            cmocka_unit_test(test_unknown_method),
            cmocka_unit_test(test_wrong_response_type_is_internal),
            cmocka_unit_test(test_negative_errno_maps_to_status),
            cmocka_unit_test(test_garbage_payload_keeps_connection),
            cmocka_unit_test(test_oversized_frame_closes_only_that_connection),
            cmocka_unit_test(test_bad_type_closes_only_that_connection),
            cmocka_unit_test(test_truncated_frame),
            cmocka_unit_test(test_client_timeout),
            cmocka_unit_test(test_dead_peer_unavailable),
            cmocka_unit_test(test_concurrent_callers_one_connection),
            cmocka_unit_test(test_blocking_handler_blocks_nothing_else),
            cmocka_unit_test(test_graceful_stop_of_second_server),
            cmocka_unit_test(test_free_with_client_that_never_reads),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
