#include <errno.h>
#include <string.h>

#include "agent.pb-c.h"
#include "agentclient/agent_client.h"
#include "common/util.h"
#include "metrics/relay.h"
#include "metrics/sources.h"

/* Time left before deadline; at least 1 ms so that a call never means "no limit". */
static uint64_t remaining_ns(uint64_t deadline_ns)
{
        uint64_t now = kata_now_monotonic_ns();
        return deadline_ns > now + 1000000 ? deadline_ns - now : 1000000;
}

static int relay_metrics(kata_agent_conn *conn, const kata_sandbox_state *st, uint64_t deadline_ns,
                         kata_metric_set *set, kata_error *err)
{
        Grpc__GetMetricsRequest req = GRPC__GET_METRICS_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        int r = kata_agent_call(conn, "GetMetrics", &req.base, &grpc__metrics__descriptor,
                                remaining_ns(deadline_ns), &resp, err);
        if (r < 0)
                return r;
        const char *text = ((Grpc__Metrics *)resp)->metrics;
        kata_metric_set *relayed = NULL;
        r = kata_metrics_relay_parse(text ? text : "", text ? strlen(text) : 0, st->id, &relayed,
                                     err);
        protobuf_c_message_free_unpacked(resp, NULL);
        if (r == 0)
                r = kata_metric_set_merge(set, relayed, err);
        kata_metric_set_free(relayed);
        return r;
}

static uint64_t memory_stat(const Grpc__MemoryStats *m, const char *key)
{
        for (size_t i = 0; m && i < m->n_stats; i++) {
                if (m->stats[i]->key && strcmp(m->stats[i]->key, key) == 0)
                        return m->stats[i]->value;
        }
        return 0;
}

static int container_series(const char *sid, const char *cid, const Grpc__CgroupStats *cs,
                            kata_metric_set *set, kata_error *err)
{
        int r = 0;
#define ADD(name, type, help, value)                                                               \
        if (r == 0)                                                                                \
        r = kata_metric_addv(set, name, type, help, (double)(value), err, "sandbox_id", sid,       \
                             "container_id", cid, NULL)
        if (cs->cpu_stats && cs->cpu_stats->cpu_usage) {
                ADD("kata_container_cpu_usage_seconds_total", KATA_METRIC_COUNTER,
                    "CPU time used by the container (its cgroup in the guest).",
                    cs->cpu_stats->cpu_usage->total_usage / 1e9);
        }
        if (cs->memory_stats && cs->memory_stats->usage) {
                ADD("kata_container_memory_usage_bytes", KATA_METRIC_GAUGE,
                    "Memory charged to the container's cgroup in the guest.",
                    cs->memory_stats->usage->usage);
        }
        if (cs->memory_stats) {
                ADD("kata_container_oom_kills_total", KATA_METRIC_COUNTER,
                    "Processes of the container killed by the OOM killer.",
                    memory_stat(cs->memory_stats, "oom_kill"));
        }
        if (cs->pids_stats) {
                ADD("kata_container_pids", KATA_METRIC_GAUGE, "Tasks in the container's cgroup.",
                    cs->pids_stats->current);
        }
#undef ADD
        return r;
}

static int stats_containers(kata_agent_conn *conn, const kata_sandbox_state *st,
                            uint64_t deadline_ns, kata_metric_set *set, kata_error *err)
{
        for (size_t i = 0; i < st->ncontainers; i++) {
                const kata_container_state *c = &st->containers[i];
                if (c->status != KATA_CONTAINER_RUNNING && c->status != KATA_CONTAINER_PAUSED)
                        continue;
                Grpc__StatsContainerRequest req = GRPC__STATS_CONTAINER_REQUEST__INIT;
                req.container_id = (char *)c->id;
                ProtobufCMessage *resp = NULL;
                kata_error cerr = KATA_ERROR_INIT;
                int r = kata_agent_call(conn, "StatsContainer", &req.base,
                                        &grpc__stats_container_response__descriptor,
                                        remaining_ns(deadline_ns), &resp, &cerr);
                if (r == -ENOENT)
                        continue; /* exited and removed since the state was written */
                if (r < 0) {
                        *err = cerr;
                        return r;
                }
                const Grpc__StatsContainerResponse *s = (const void *)resp;
                if (s->cgroup_stats)
                        r = container_series(st->id, c->id, s->cgroup_stats, set, err);
                protobuf_c_message_free_unpacked(resp, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

int kata_metrics_agent_sandbox(const kata_sandbox_state *st, uint64_t deadline_ns,
                               kata_metric_set *set, kata_error *err)
{
        if (!st->agent_address[0])
                return kata_error_set(err, ENOENT, "sandbox %s has no agent address", st->id);
        kata_agent_conn conn;
        uint64_t left_ms = remaining_ns(deadline_ns) / 1000000;
        int r = kata_agent_connect(st->agent_address, (int)(left_ms ? left_ms : 1), &conn, err);
        if (r < 0)
                return r;
        r = relay_metrics(&conn, st, deadline_ns, set, err);
        if (r == 0)
                r = stats_containers(&conn, st, deadline_ns, set, err);
        kata_agent_close(&conn);
        return r;
}
