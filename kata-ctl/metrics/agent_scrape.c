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

/* StatsContainer in the observe library's terms, so both sources give the same series. */
static void usage_from_agent(const Grpc__CgroupStats *cs, kata_observe_usage *u)
{
        memset(u, 0, sizeof(*u));
        u->source = KATA_OBSERVE_SOURCE_AGENT;
        if (cs->cpu_stats && cs->cpu_stats->cpu_usage) {
                u->cpu_valid = true;
                u->cpu_usage_ns = cs->cpu_stats->cpu_usage->total_usage;
                if (cs->cpu_stats->throttling_data)
                        u->cpu_throttled_ns = cs->cpu_stats->throttling_data->throttled_time;
        }
        if (cs->memory_stats && cs->memory_stats->usage) {
                const Grpc__MemoryData *m = cs->memory_stats->usage;
                uint64_t inactive = memory_stat(cs->memory_stats, "total_inactive_file");
                u->memory_valid = true;
                u->memory_usage_bytes = m->usage;
                u->memory_working_set_bytes = m->usage > inactive ? m->usage - inactive : 0;
                u->memory_cache_bytes = cs->memory_stats->cache;
                /* A v1 "no limit" reads as a page-rounded maximum: treat huge as none. */
                u->memory_limit_bytes =
                    m->limit == 0 || m->limit >= (1ull << 62) ? KATA_OBSERVE_UNLIMITED : m->limit;
                u->oom_kills = memory_stat(cs->memory_stats, "oom_kill");
        }
        if (cs->pids_stats) {
                u->pids_valid = true;
                u->pids_current = cs->pids_stats->current;
        }
}

static bool host_sees(const kata_observe_sandbox *ob, const char *cid)
{
        const kata_observe_container *c = ob ? kata_observe_find_container(ob, cid) : NULL;
        return c && c->usage.source == KATA_OBSERVE_SOURCE_HOST;
}

static int stats_containers(kata_agent_conn *conn, const kata_observe_sandbox *ob,
                            const kata_sandbox_state *st, uint64_t deadline_ns,
                            kata_metric_set *set, kata_error *err)
{
        for (size_t i = 0; i < st->ncontainers; i++) {
                const kata_container_state *c = &st->containers[i];
                if ((c->status != KATA_CONTAINER_RUNNING && c->status != KATA_CONTAINER_PAUSED) ||
                    host_sees(ob, c->id))
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
                if (s->cgroup_stats) {
                        kata_observe_usage u;
                        usage_from_agent(s->cgroup_stats, &u);
                        r = kata_metrics_usage_series(&u, st->id, c->id, set, err);
                }
                protobuf_c_message_free_unpacked(resp, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int scrape_once(kata_agent_conn *conn, const kata_observe_sandbox *ob,
                       const kata_sandbox_state *st, uint64_t deadline_ns, kata_metric_set *set,
                       kata_error *err)
{
        if (!conn->client) {
                uint64_t left_ms = remaining_ns(deadline_ns) / 1000000;
                int r =
                    kata_agent_connect(st->agent_address, (int)(left_ms ? left_ms : 1), conn, err);
                if (r < 0)
                        return r;
        }
        kata_metric_set *part;
        int r = kata_metric_set_new(&part, err);
        if (r < 0)
                return r;
        r = relay_metrics(conn, st, deadline_ns, part, err);
        if (r == 0)
                r = stats_containers(conn, ob, st, deadline_ns, part, err);
        if (r == 0)
                r = kata_metric_set_merge(set, part, err);
        kata_metric_set_free(part);
        return r;
}

int kata_metrics_agent_sandbox(const kata_observe_sandbox *ob, const kata_sandbox_state *st,
                               uint64_t deadline_ns, kata_agent_conn *conn, kata_metric_set *set,
                               kata_error *err)
{
        if (!st->agent_address[0])
                return kata_error_set(err, ENOENT, "sandbox %s has no agent address", st->id);
        if (conn->client && strcmp(conn->address, st->agent_address) != 0)
                kata_agent_close(conn); /* the sandbox moved its agent */
        bool reused = conn->client != NULL;
        int r = scrape_once(conn, ob, st, deadline_ns, set, err);
        /* A kept connection may have died with an agent that restarted since: one fresh
         * attempt, unless the time is gone (a wedged agent costs its timeout once). */
        if (r < 0 && reused && r != -ETIMEDOUT && kata_now_monotonic_ns() < deadline_ns) {
                kata_agent_close(conn);
                kata_error_clear(err);
                r = scrape_once(conn, ob, st, deadline_ns, set, err);
        }
        if (r < 0)
                kata_agent_close(conn);
        return r;
}
