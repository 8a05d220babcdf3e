/* Read-only verbs: state, ps, stats, list. People get aligned text, programs --json. */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "agent.pb-c.h"
#include "common/util.h"
#include "protocols/pb_json.h"
#include "runtime.h"
#include "sandbox.h"

static void format_time(int64_t ns, char *buf, size_t size)
{
        time_t t = (time_t)(ns / 1000000000);
        struct tm tm;
        gmtime_r(&t, &tm);
        size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, size - n, ".%09lldZ", (long long)(ns % 1000000000));
}

/* What the container is now: the stored status, unless its init is gone. */
static const char *container_status_now(const sandbox *sb, const kata_container_state *c)
{
        if ((c->status == KATA_CONTAINER_RUNNING || c->status == KATA_CONTAINER_PAUSED) &&
            !runtime_container_alive(sb, c))
                return "stopped";
        return kata_container_status_name(c->status);
}

static json_object *container_json(const sandbox *sb, const kata_container_state *c)
{
        char created[64];
        format_time(c->created_ns, created, sizeof(created));
        json_object *o = json_object_new_object();
        json_object_object_add(o, "ociVersion", json_object_new_string("1.0.2"));
        json_object_object_add(o, "id", json_object_new_string(c->id));
        json_object_object_add(o, "status", json_object_new_string(container_status_now(sb, c)));
        json_object_object_add(o, "pid", json_object_new_int64(c->pid));
        json_object_object_add(o, "bundle", json_object_new_string(c->bundle));
        json_object_object_add(o, "created", json_object_new_string(created));
        json_object_object_add(o, "sandbox", json_object_new_string(sb->st.id));
        json_object_object_add(o, "hypervisor", json_object_new_string(sb->st.hypervisor));
        json_object_object_add(o, "sandbox_pid", json_object_new_int64(c->ns_pid));
        json_object_object_add(o, "cgroupsPath", json_object_new_string(c->cgroup_path));
        return o;
}

int runtime_container_state(runtime_opts *o, const char *id, FILE *out, kata_error *err)
{
        sandbox sb;
        kata_container_state *c;
        int r = sandbox_load_for_container(o, id, &sb, &c, err);
        if (r < 0)
                return r;
        json_object *j = container_json(&sb, c);
        fprintf(out, "%s\n",
                json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
        sandbox_release(&sb);
        return 0;
}

int runtime_container_ps(runtime_opts *o, const char *id, bool json, FILE *out, kata_error *err)
{
        sandbox sb;
        kata_container_state *c;
        int r = sandbox_load_for_container(o, id, &sb, &c, err);
        if (r < 0)
                return r;
        ProtobufCMessage *resp = NULL;
        Grpc__ListProcessesRequest req = GRPC__LIST_PROCESSES_REQUEST__INIT;
        req.container_id = (char *)id;
        if ((r = sandbox_connect(&sb, 0, err)) < 0 ||
            (r = kata_agent_call(&sb.agent, "ListProcesses", &req.base,
                                 &grpc__list_processes_response__descriptor, 0, &resp, err)) < 0)
                goto out;
        Grpc__ListProcessesResponse *l = (Grpc__ListProcessesResponse *)resp;
        json_object *arr = json ? json_object_new_array() : NULL;
        if (!json)
                fprintf(out, "%-8s %-8s %-8s %-5s %10s  %s\n", "PID", "NSPID", "PPID", "STATE",
                        "RSS", "COMMAND");
        for (size_t i = 0; i < l->n_processes; i++) {
                Grpc__ProcessInfo *p = l->processes[i];
                long host = sb.driver->host_pid(&sb.st, p->pid);
                if (json) {
                        json_object *e = json_object_new_object();
                        json_object_object_add(e, "pid", json_object_new_int64(host));
                        json_object_object_add(e, "ns_pid", json_object_new_int64(p->pid));
                        json_object_object_add(e, "ppid", json_object_new_int64(p->ppid));
                        json_object_object_add(e, "comm", json_object_new_string(p->comm));
                        json_object_object_add(e, "state", json_object_new_string(p->state));
                        json_object_object_add(e, "rss_bytes",
                                               json_object_new_int64((int64_t)p->rss_bytes));
                        json_object_object_add(e, "cpu_time_ns",
                                               json_object_new_int64((int64_t)p->cpu_time_ns));
                        json_object *args = json_object_new_array();
                        for (size_t k = 0; k < p->n_args; k++)
                                json_object_array_add(args, json_object_new_string(p->args[k]));
                        json_object_object_add(e, "args", args);
                        json_object_array_add(arr, e);
                        continue;
                }
                char cmd[512] = "";
                size_t n = 0;
                for (size_t k = 0; k < p->n_args && n < sizeof(cmd) - 1; k++)
                        n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%s%s", k ? " " : "",
                                              p->args[k]);
                fprintf(out, "%-8ld %-8d %-8d %-5s %10llu  %s\n", host, p->pid, p->ppid, p->state,
                        (unsigned long long)p->rss_bytes, cmd[0] ? cmd : p->comm);
        }
        if (json) {
                fprintf(out, "%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
                json_object_put(arr);
        }
        protobuf_c_message_free_unpacked(resp, NULL);
out:
        sandbox_release(&sb);
        return r;
}

int runtime_container_stats(runtime_opts *o, const char *id, bool json, FILE *out, kata_error *err)
{
        sandbox sb;
        kata_container_state *c;
        int r = sandbox_load_for_container(o, id, &sb, &c, err);
        if (r < 0)
                return r;
        ProtobufCMessage *resp = NULL;
        Grpc__StatsContainerRequest req = GRPC__STATS_CONTAINER_REQUEST__INIT;
        req.container_id = (char *)id;
        if ((r = sandbox_connect(&sb, 0, err)) < 0 ||
            (r = kata_agent_call(&sb.agent, "StatsContainer", &req.base,
                                 &grpc__stats_container_response__descriptor, 0, &resp, err)) < 0)
                goto out;
        Grpc__StatsContainerResponse *s = (Grpc__StatsContainerResponse *)resp;
        if (json) {
                char *text = NULL;
                r = kata_pb_to_json_string(resp, KATA_PB_JSON_EMIT_DEFAULTS, JSON_C_TO_STRING_PLAIN,
                                           &text, err);
                if (r == 0)
                        fprintf(out, "%s\n", text);
                free(text);
        } else if (s->cgroup_stats) {
                Grpc__CgroupStats *cs = s->cgroup_stats;
                fprintf(out, "%-12s %s\n", "CONTAINER", id);
                if (cs->cpu_stats && cs->cpu_stats->cpu_usage)
                        fprintf(out, "%-12s %llu ns\n", "CPU",
                                (unsigned long long)cs->cpu_stats->cpu_usage->total_usage);
                if (cs->memory_stats && cs->memory_stats->usage)
                        fprintf(out, "%-12s %llu / %llu bytes\n", "MEMORY",
                                (unsigned long long)cs->memory_stats->usage->usage,
                                (unsigned long long)cs->memory_stats->usage->limit);
                if (cs->pids_stats)
                        fprintf(out, "%-12s %llu / %llu\n", "PIDS",
                                (unsigned long long)cs->pids_stats->current,
                                (unsigned long long)cs->pids_stats->limit);
        }
        protobuf_c_message_free_unpacked(resp, NULL);
out:
        sandbox_release(&sb);
        return r;
}

int runtime_list(runtime_opts *o, bool json, FILE *out, kata_error *err)
{
        kata_state_listing l;
        int r = kata_state_list(o->root, &l, err);
        if (r < 0)
                return r;
        json_object *arr = json ? json_object_new_array() : NULL;
        if (!json)
                fprintf(out, "%-24s %-24s %-8s %-8s %-30s %s\n", "ID", "SANDBOX", "PID", "STATUS",
                        "CREATED", "BUNDLE");
        for (size_t i = 0; i < l.nsandboxes; i++) {
                sandbox sb = {.st = l.sandboxes[i]};
                sb.driver = sandbox_driver_find(sb.st.hypervisor, NULL);
                for (size_t k = 0; k < sb.st.ncontainers; k++) {
                        const kata_container_state *c = &sb.st.containers[k];
                        if (json) {
                                json_object_array_add(arr, container_json(&sb, c));
                                continue;
                        }
                        char created[64];
                        format_time(c->created_ns, created, sizeof(created));
                        fprintf(out, "%-24s %-24s %-8lld %-8s %-30s %s\n", c->id, sb.st.id,
                                (long long)c->pid, container_status_now(&sb, c), created,
                                c->bundle);
                }
        }
        for (size_t i = 0; i < l.nproblems; i++)
                fprintf(stderr, "kata-runtime: warning: sandbox %s: %s\n", l.problems[i].id,
                        l.problems[i].error.msg);
        if (json) {
                fprintf(out, "%s\n",
                        json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(arr);
        }
        kata_state_listing_free(&l);
        return 0;
}
