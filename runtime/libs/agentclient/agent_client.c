#include "agentclient/agent_client.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "google/protobuf/empty.pb-c.h"
#include "health.pb-c.h"
#include "tracing/tracing.h"
#include "transport/transport.h"

int kata_agent_connect(const char *address, int timeout_ms, kata_agent_conn *conn, kata_error *err)
{
        memset(conn, 0, sizeof(*conn));
        snprintf(conn->address, sizeof(conn->address), "%s", address);
        conn->timeout_ns = KATA_AGENT_RPC_TIMEOUT_NS;
        int fd = kata_transport_connect_str(address, timeout_ms, err);
        if (fd < 0)
                return kata_error_prefix(err, "cannot reach the agent");
        int r = kata_ttrpc_client_new(fd, &conn->client, err);
        if (r < 0) {
                close(fd);
                return kata_error_prefix(err, "agent at %s", address);
        }
        return 0;
}

static int health_check(kata_agent_conn *conn, uint64_t timeout_ns, kata_error *err)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        kata_ttrpc_status st;
        kata_span *span = kata_span_begin("Check", conn->trace_parent);
        kata_span_set_kind(span, KATA_SPAN_KIND_CLIENT);
        char traceparent[KATA_TRACEPARENT_LEN + 1];
        kata_ttrpc_kv md = {"traceparent", traceparent};
        size_t n_md = kata_span_traceparent(span, traceparent) ? 1 : 0;
        int r = kata_ttrpc_call(conn->client, KATA_HEALTH_SERVICE, "Check", &req.base,
                                &grpc__health_check_response__descriptor, n_md ? &md : NULL, n_md,
                                timeout_ns, &resp, &st, err);
        if (r < 0) {
                kata_span_set_status(span, KATA_SPAN_STATUS_ERROR, "health check failed");
                kata_span_end(span);
                return kata_error_prefix(err, "agent health check");
        }
        kata_span_end(span);
        Grpc__HealthCheckResponse *h = (Grpc__HealthCheckResponse *)resp;
        int serving = h->status == GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
        protobuf_c_message_free_unpacked(resp, NULL);
        if (!serving)
                return kata_error_set(err, EAGAIN, "agent is not serving yet");
        return 0;
}

int kata_agent_wait_ready(const char *address, int timeout_ms, kata_agent_conn *conn,
                          kata_error *err)
{
        const kata_span *parent = conn->trace_parent;
        uint64_t deadline = kata_now_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
        kata_error last = KATA_ERROR_INIT;
        /* Start fast: a local agent is usually ready within a few milliseconds. */
        long delay_us = 500;
        for (;;) {
                uint64_t now = kata_now_monotonic_ns();
                if (now >= deadline)
                        break;
                int left_ms = (int)((deadline - now) / 1000000ull) + 1;
                kata_error_clear(&last);
                int c = kata_agent_connect(address, left_ms, conn, &last);
                conn->trace_parent = parent;
                if (c == 0) {
                        if (health_check(conn, (deadline - now), &last) == 0)
                                return 0;
                        kata_agent_close(conn);
                }
                if (last.code != ENOENT && last.code != ECONNREFUSED && last.code != EAGAIN &&
                    last.code != ECONNRESET) {
                        break;
                }
                usleep((useconds_t)delay_us);
                if (delay_us < 50000)
                        delay_us *= 2;
        }
        if (last.code) {
                *err = last;
                return kata_error_prefix(err, "agent did not become ready within %d ms",
                                         timeout_ms);
        }
        return kata_error_set(err, ETIMEDOUT, "agent at %s did not become ready within %d ms",
                              address, timeout_ms);
}

void kata_agent_close(kata_agent_conn *conn)
{
        if (conn->client)
                kata_ttrpc_client_free(conn->client);
        conn->client = NULL;
}

int kata_agent_call(kata_agent_conn *conn, const char *method, const ProtobufCMessage *request,
                    const ProtobufCMessageDescriptor *response_desc, uint64_t timeout_ns,
                    ProtobufCMessage **response, kata_error *err)
{
        if (!conn->client)
                return kata_error_set(err, ENOTCONN, "agent %s: not connected", method);
        uint64_t t =
            timeout_ns == 0 ? conn->timeout_ns : (timeout_ns == UINT64_MAX ? 0 : timeout_ns);
        kata_ttrpc_status st = {0};
        ProtobufCMessage *resp = NULL;
        const ProtobufCMessageDescriptor *desc =
            response_desc ? response_desc : &google__protobuf__empty__descriptor;
        kata_span *span = kata_span_begin(method, conn->trace_parent);
        kata_span_set_kind(span, KATA_SPAN_KIND_CLIENT);
        char traceparent[KATA_TRACEPARENT_LEN + 1];
        kata_ttrpc_kv md = {"traceparent", traceparent};
        size_t n_md = kata_span_traceparent(span, traceparent) ? 1 : 0;
        int r = kata_ttrpc_call(conn->client, KATA_AGENT_SERVICE, method, request, desc,
                                n_md ? &md : NULL, n_md, t, &resp, &st, err);
        if (r < 0) {
                if (st.code != KATA_TTRPC_OK && st.message[0])
                        kata_error_set(err, -r, "agent %s: %s: %s", method,
                                       kata_ttrpc_code_name(st.code), st.message);
                else
                        kata_error_prefix(err, "agent %s", method);
                kata_span_set_status(span, KATA_SPAN_STATUS_ERROR, err ? err->msg : method);
                kata_span_end(span);
                return r;
        }
        kata_span_end(span);
        if (response)
                *response = resp;
        else if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
        return 0;
}
