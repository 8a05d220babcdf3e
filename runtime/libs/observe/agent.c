/* What the host asks a sandbox's agent: health (its round trip is the latency shown),
 * guest details once per connection, and, for containers the host cannot see (inside a
 * VM), StatsContainer and ListProcesses. One connection per sandbox, kept between samples
 * and dropped on the first failure (the next sample reconnects). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.pb-c.h"
#include "common/util.h"
#include "health.pb-c.h"
#include "observe/internal.h"

static uint64_t timeout_ns(const kata_observe *o)
{
        return (uint64_t)o->agent_timeout_ms * 1000000ull;
}

/* A dead agent costs a connect timeout per attempt: retry after 1 s, 2 s, 4 s... up to
 * 30 s so that one of them cannot stall every refresh. */
#define RETRY_MAX_NS (30ull * 1000000000ull)

void obs_agent_drop(obs_entry *a, kata_observe_agent *out, const kata_error *why)
{
        if (a->connected)
                kata_agent_close(&a->conn);
        a->connected = false;
        a->details_known = false;
        a->failures++;
        unsigned shift = a->failures < 6 ? (unsigned)a->failures - 1 : 5;
        uint64_t delay = 1000000000ull << shift;
        a->retry_at_ns = kata_now_monotonic_ns() + (delay < RETRY_MAX_NS ? delay : RETRY_MAX_NS);
        snprintf(a->last_error, sizeof(a->last_error), "%s", why ? why->msg : "failed");
        if (out) {
                out->ok = false;
                out->failures = a->failures;
                snprintf(out->error, sizeof(out->error), "%s", a->last_error);
        }
}

static void guest_details(kata_observe *o, obs_entry *a)
{
        Grpc__GuestDetailsRequest req = GRPC__GUEST_DETAILS_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        /* Optional: an agent without it still has health and stats. */
        if (kata_agent_call(&a->conn, "GetGuestDetails", &req.base,
                            &grpc__guest_details_response__descriptor, timeout_ns(o), &resp,
                            NULL) < 0)
                return;
        Grpc__GuestDetailsResponse *g = (Grpc__GuestDetailsResponse *)resp;
        if (g->agent_details) {
                snprintf(a->version, sizeof(a->version), "%s", g->agent_details->version);
                snprintf(a->cgroup_driver, sizeof(a->cgroup_driver), "%s",
                         g->agent_details->cgroup_driver);
        }
        a->details_known = true;
        protobuf_c_message_free_unpacked(resp, NULL);
}

obs_entry *obs_agent_check(kata_observe *o, const kata_sandbox_state *st, kata_observe_sandbox *sb)
{
        if (!o->query_agents || st->agent_address[0] == '\0' || st->status == KATA_SANDBOX_STOPPED)
                return NULL;
        char key[KATA_STATE_ID_MAX + 8];
        snprintf(key, sizeof(key), "a:%s", st->id);
        obs_entry *a = obs_history_get(&o->history, key);
        if (!a)
                return NULL;
        sb->agent.queried = true;
        kata_error err = KATA_ERROR_INIT;
        if (!a->connected && kata_now_monotonic_ns() < a->retry_at_ns) {
                sb->agent.ok = false;
                sb->agent.failures = a->failures;
                snprintf(sb->agent.error, sizeof(sb->agent.error), "%s", a->last_error);
                return NULL;
        }
        if (!a->connected) {
                if (kata_agent_connect(st->agent_address, o->agent_timeout_ms, &a->conn, &err) <
                    0) {
                        obs_agent_drop(a, &sb->agent, &err);
                        return NULL;
                }
                a->connected = true;
                a->conn.timeout_ns = timeout_ns(o);
        }
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        kata_ttrpc_status status;
        uint64_t t0 = kata_now_monotonic_ns();
        int r = kata_ttrpc_call(a->conn.client, KATA_HEALTH_SERVICE, "Check", &req.base,
                                &grpc__health_check_response__descriptor, NULL, 0, timeout_ns(o),
                                &resp, &status, &err);
        uint64_t t1 = kata_now_monotonic_ns();
        if (r < 0) {
                kata_error_prefix(&err, "health check");
                obs_agent_drop(a, &sb->agent, &err);
                return NULL;
        }
        bool serving = ((Grpc__HealthCheckResponse *)resp)->status ==
                       GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
        protobuf_c_message_free_unpacked(resp, NULL);
        if (!serving) {
                kata_error_set(&err, EAGAIN, "agent is not serving");
                obs_agent_drop(a, &sb->agent, &err);
                return NULL;
        }
        if (!a->details_known)
                guest_details(o, a);
        sb->agent.ok = true;
        sb->agent.latency_ns = t1 - t0;
        sb->agent.failures = a->failures;
        snprintf(sb->agent.version, sizeof(sb->agent.version), "%s", a->version);
        snprintf(sb->agent.cgroup_driver, sizeof(sb->agent.cgroup_driver), "%s", a->cgroup_driver);
        return a;
}

static uint64_t limit_or_unlimited(uint64_t v)
{
        /* Agents report "no limit" as the maximum (or 0 for pids). */
        return v == 0 || v >= (UINT64_MAX & ~4095ull) ? KATA_OBSERVE_UNLIMITED : v;
}

int obs_agent_stats(kata_observe *o, obs_entry *a, const char *sid, const char *cid,
                    kata_observe_usage *u, kata_error *err)
{
        Grpc__StatsContainerRequest req = GRPC__STATS_CONTAINER_REQUEST__INIT;
        req.container_id = (char *)cid;
        ProtobufCMessage *resp = NULL;
        int r =
            kata_agent_call(&a->conn, "StatsContainer", &req.base,
                            &grpc__stats_container_response__descriptor, timeout_ns(o), &resp, err);
        if (r < 0)
                return r;
        uint64_t now = kata_now_monotonic_ns();
        Grpc__CgroupStats *cs = ((Grpc__StatsContainerResponse *)resp)->cgroup_stats;
        memset(u, 0, sizeof(*u));
        u->source = KATA_OBSERVE_SOURCE_AGENT;
        if (cs && cs->cpu_stats && cs->cpu_stats->cpu_usage) {
                char key[2 * KATA_STATE_ID_MAX + 8];
                snprintf(key, sizeof(key), "g:%s:%s", sid, cid);
                obs_entry *e = obs_history_get(&o->history, key);
                u->cpu_valid = true;
                u->cpu_usage_ns = cs->cpu_stats->cpu_usage->total_usage;
                if (e)
                        obs_cpu_delta(e, u->cpu_usage_ns, now, &u->cpu_percent_valid,
                                      &u->cpu_percent);
                if (cs->cpu_stats->throttling_data) {
                        u->cpu_periods = cs->cpu_stats->throttling_data->periods;
                        u->cpu_throttled_periods =
                            cs->cpu_stats->throttling_data->throttled_periods;
                        u->cpu_throttled_ns = cs->cpu_stats->throttling_data->throttled_time;
                }
        }
        if (cs && cs->memory_stats && cs->memory_stats->usage) {
                Grpc__MemoryStats *m = cs->memory_stats;
                u->memory_valid = true;
                u->memory_usage_bytes = m->usage->usage;
                u->memory_limit_bytes = limit_or_unlimited(m->usage->limit);
                u->memory_cache_bytes = m->cache;
                uint64_t inactive = 0;
                for (size_t i = 0; i < m->n_stats; i++) {
                        if (strcmp(m->stats[i]->key, "oom_kill") == 0)
                                u->oom_kills = m->stats[i]->value;
                        else if (strcmp(m->stats[i]->key, "total_inactive_file") == 0 ||
                                 strcmp(m->stats[i]->key, "inactive_file") == 0)
                                inactive = m->stats[i]->value;
                }
                u->memory_working_set_bytes =
                    inactive < u->memory_usage_bytes ? u->memory_usage_bytes - inactive : 0;
        }
        if (cs && cs->pids_stats) {
                u->pids_valid = true;
                u->pids_current = cs->pids_stats->current;
                u->pids_limit = limit_or_unlimited(cs->pids_stats->limit);
        }
        protobuf_c_message_free_unpacked(resp, NULL);
        return 0;
}

int obs_agent_procs(kata_observe *o, obs_entry *a, const char *sid, const char *cid,
                    kata_observe_container *c, kata_error *err)
{
        Grpc__ListProcessesRequest req = GRPC__LIST_PROCESSES_REQUEST__INIT;
        req.container_id = (char *)cid;
        ProtobufCMessage *resp = NULL;
        int r =
            kata_agent_call(&a->conn, "ListProcesses", &req.base,
                            &grpc__list_processes_response__descriptor, timeout_ns(o), &resp, err);
        if (r < 0)
                return r;
        uint64_t now = kata_now_monotonic_ns();
        Grpc__ListProcessesResponse *lp = (Grpc__ListProcessesResponse *)resp;
        size_t n = lp->n_processes;
        kata_observe_process *procs = calloc(n ? n : 1, sizeof(*procs));
        if (!procs) {
                protobuf_c_message_free_unpacked(resp, NULL);
                return kata_error_set(err, ENOMEM, "out of memory");
        }
        size_t got = 0;
        for (size_t i = 0; i < n; i++) {
                const Grpc__ProcessInfo *pi = lp->processes[i];
                kata_observe_process *p = &procs[got];
                p->sandbox_pid = pi->pid;
                p->ppid = pi->ppid;
                snprintf(p->comm, sizeof(p->comm), "%s", pi->comm);
                p->state = pi->state[0] ? pi->state[0] : '?';
                p->uid = pi->uid;
                p->rss_bytes = pi->rss_bytes;
                p->cpu_time_ns = pi->cpu_time_ns;
                size_t len = 1;
                for (size_t j = 0; j < pi->n_args; j++)
                        len += strlen(pi->args[j]) + 1;
                p->args = calloc(1, len);
                if (!p->args) {
                        obs_procs_free(procs, got);
                        protobuf_c_message_free_unpacked(resp, NULL);
                        return kata_error_set(err, ENOMEM, "out of memory");
                }
                for (size_t j = 0; j < pi->n_args; j++) {
                        if (j)
                                strcat(p->args, " ");
                        strcat(p->args, pi->args[j]);
                }
                char key[2 * KATA_STATE_ID_MAX + 32];
                snprintf(key, sizeof(key), "q:%s:%s:%d", sid, cid, (int)pi->pid);
                obs_entry *e = obs_history_get(&o->history, key);
                if (e)
                        obs_cpu_delta(e, p->cpu_time_ns, now, &p->cpu_percent_valid,
                                      &p->cpu_percent);
                got++;
        }
        protobuf_c_message_free_unpacked(resp, NULL);
        obs_procs_sort(procs, got);
        c->processes = procs;
        c->nprocesses = got;
        c->processes_listed = true;
        return 0;
}
