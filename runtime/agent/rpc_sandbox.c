/* Sandbox-wide RPCs: health, sandbox create/destroy, guest details, metrics, OOM events. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "agent/container.h"
#include "agent/metrics.h"
#include "agent/tracing.h"
#include "agent/oom.h"
#include "agent/rpc.h"
#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "health.pb-c.h"

RPC_HANDLER(rpc_health_check)
{
        struct agent *a = user;
        Grpc__HealthCheckResponse *resp = rpc_new_message(&grpc__health_check_response__descriptor);
        if (!resp)
                return kata_ttrpc_status_set(status, KATA_TTRPC_RESOURCE_EXHAUSTED,
                                             "out of memory");
        resp->status = a->stopping ? GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING
                                   : GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
        *response = &resp->base;
        return KATA_TTRPC_OK;
}

RPC_HANDLER(rpc_health_version)
{
        Grpc__VersionCheckResponse *resp =
            rpc_new_message(&grpc__version_check_response__descriptor);
        if (!resp)
                return kata_ttrpc_status_set(status, KATA_TTRPC_RESOURCE_EXHAUSTED,
                                             "out of memory");
        resp->grpc_version = rpc_strdup("ttrpc");
        resp->agent_version = rpc_strdup(KATA_VERSION " (commit " KATA_GIT_COMMIT ")");
        *response = &resp->base;
        return KATA_TTRPC_OK;
}

RPC_HANDLER(rpc_create_sandbox)
{
        struct agent *a = user;
        const Grpc__CreateSandboxRequest *req = (const void *)request;
        kata_error err = KATA_ERROR_INIT;
        if (req->sandbox_id[0] && agent_check_id("sandbox_id", req->sandbox_id, false, &err) < 0)
                return rpc_fail(status, &err);
        pthread_mutex_lock(&a->lock);
        bool already = a->sandbox_created;
        if (!already) {
                a->sandbox_created = true;
                snprintf(a->sandbox_id, sizeof(a->sandbox_id), "%s", req->sandbox_id);
        }
        pthread_mutex_unlock(&a->lock);
        if (already)
                return kata_ttrpc_status_set(status, KATA_TTRPC_ALREADY_EXISTS,
                                             "the sandbox was already created");
        if (req->hostname[0]) {
                if (strlen(req->hostname) > 64)
                        return kata_ttrpc_status_set(status, KATA_TTRPC_INVALID_ARGUMENT,
                                                     "hostname is longer than 64 bytes");
                /* Only as init: otherwise this is the host's (or the caller's) UTS. */
                if (a->init_mode && sethostname(req->hostname, strlen(req->hostname)) < 0)
                        kata_log_warn("sethostname %s: %s", req->hostname, strerror(errno));
        }
        kata_log_info("sandbox %s created", req->sandbox_id);
        return KATA_TTRPC_OK;
}

RPC_HANDLER(rpc_destroy_sandbox)
{
        struct agent *a = user;
        container_remove_all(a);
        kata_log_info("sandbox destroyed: stopping");
        agent_request_stop(a, 0);
        return KATA_TTRPC_OK;
}

RPC_HANDLER(rpc_get_guest_details)
{
        struct agent *a = user;
        const Grpc__GuestDetailsRequest *req = (const void *)request;
        Grpc__GuestDetailsResponse *resp =
            rpc_new_message(&grpc__guest_details_response__descriptor);
        Grpc__AgentDetails *d = rpc_new_message(&grpc__agent_details__descriptor);
        if (!resp || !d) {
                free(resp);
                free(d);
                return kata_ttrpc_status_set(status, KATA_TTRPC_RESOURCE_EXHAUSTED,
                                             "out of memory");
        }
        resp->agent_details = d;
        d->version = rpc_strdup(KATA_VERSION);
        d->init_daemon = a->init_mode;
        d->supports_seccomp = false;
        d->cgroup_driver = rpc_strdup(kata_cgroup_driver_name(a->cgroup_driver.used));
        d->cgroup_driver_reason = rpc_strdup(a->cgroup_driver.reason);
        if (req->mem_block_size) {
                char *text = NULL;
                kata_error err = KATA_ERROR_INIT;
                if (kata_read_file("/sys/devices/system/memory/block_size_bytes", 64, &text, NULL,
                                   &err) == 0) {
                        resp->mem_block_size_bytes = strtoull(text, NULL, 16);
                        free(text);
                }
        }
        *response = &resp->base;
        return KATA_TTRPC_OK;
}

RPC_HANDLER(rpc_get_metrics)
{
        struct agent *a = user;
        pthread_mutex_lock(&a->lock);
        uint64_t scrapes = ++a->scrape_count;
        size_t n = 0;
        for (struct agent_container *c = a->containers; c; c = c->next)
                n++;
        pthread_mutex_unlock(&a->lock);
        Grpc__Metrics *resp = rpc_new_message(&grpc__metrics__descriptor);
        if (!resp)
                return kata_ttrpc_status_set(status, KATA_TTRPC_RESOURCE_EXHAUSTED,
                                             "out of memory");
        kata_error err = KATA_ERROR_INIT;
        char *text = NULL;
        if (agent_metrics_render("/proc", scrapes, n, &text, &err) < 0) {
                free(resp);
                return rpc_fail(status, &err);
        }
        uint64_t sent, dropped;
        char *with_tracing = NULL;
        if (agent_tracing_stats(&sent, &dropped) &&
            asprintf(&with_tracing,
                     "%s# HELP kata_agent_trace_spans_sent_total Spans sent to the host's "
                     "trace forwarder.\n# TYPE kata_agent_trace_spans_sent_total counter\n"
                     "kata_agent_trace_spans_sent_total %llu\n"
                     "# HELP kata_agent_trace_spans_dropped_total Spans dropped (queue full, "
                     "forwarder unreachable).\n# TYPE kata_agent_trace_spans_dropped_total "
                     "counter\nkata_agent_trace_spans_dropped_total %llu\n",
                     text, (unsigned long long)sent, (unsigned long long)dropped) > 0) {
                free(text);
                text = with_tracing;
        }
        resp->metrics = text;
        *response = &resp->base;
        return KATA_TTRPC_OK;
}

RPC_HANDLER(rpc_get_oom_event)
{
        struct agent *a = user;
        char id[AGENT_ID_MAX + 1];
        int r = agent_oom_next(a, info->deadline_ns, id, sizeof(id));
        if (r == -ETIMEDOUT)
                return kata_ttrpc_status_set(status, KATA_TTRPC_DEADLINE_EXCEEDED,
                                             "no OOM event before the deadline");
        if (r < 0)
                return kata_ttrpc_status_set(status, KATA_TTRPC_UNAVAILABLE,
                                             "the agent is stopping");
        Grpc__OOMEvent *resp = rpc_new_message(&grpc__oomevent__descriptor);
        if (!resp)
                return kata_ttrpc_status_set(status, KATA_TTRPC_RESOURCE_EXHAUSTED,
                                             "out of memory");
        resp->container_id = rpc_strdup(id);
        *response = &resp->base;
        return KATA_TTRPC_OK;
}
