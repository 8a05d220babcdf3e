/* The JSON form of a snapshot (kata-ctl top --json, kata-ctl monitor /sandboxes). Field
 * names and units are documented in kata-ctl/top/README.md: bytes, nanoseconds,
 * cpu_percent where 100 means one CPU; null where a figure is unknown or unlimited. */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "observe/internal.h"

static void add(json_object *o, const char *k, json_object *v)
{
        json_object_object_add(o, k, v);
}

static json_object *u64(uint64_t v)
{
        /* json-c stores uint64 natively since 0.14. */
        return json_object_new_uint64(v);
}

static json_object *u64_or_null(bool valid, uint64_t v)
{
        return valid ? u64(v) : NULL;
}

static json_object *limit(bool valid, uint64_t v)
{
        return valid && v != KATA_OBSERVE_UNLIMITED ? u64(v) : NULL;
}

static json_object *str(const char *s)
{
        return json_object_new_string(s);
}

static json_object *rounded(bool valid, double v)
{
        if (!valid)
                return NULL;
        char buf[32];
        snprintf(buf, sizeof(buf), "%.2f", v);
        return json_object_new_double_s(v, buf);
}

static void add_usage(json_object *o, const kata_observe_usage *u)
{
        add(o, "stats_source", str(kata_observe_source_name(u->source)));
        add(o, "cpu_percent", rounded(u->cpu_valid && u->cpu_percent_valid, u->cpu_percent));
        add(o, "cpu_usage_ns", u64_or_null(u->cpu_valid, u->cpu_usage_ns));
        add(o, "cpu_periods", u64_or_null(u->cpu_valid, u->cpu_periods));
        add(o, "cpu_throttled_periods", u64_or_null(u->cpu_valid, u->cpu_throttled_periods));
        add(o, "cpu_throttled_ns", u64_or_null(u->cpu_valid, u->cpu_throttled_ns));
        add(o, "memory_usage_bytes", u64_or_null(u->memory_valid, u->memory_usage_bytes));
        add(o, "memory_limit_bytes", limit(u->memory_valid, u->memory_limit_bytes));
        add(o, "memory_working_set_bytes",
            u64_or_null(u->memory_valid, u->memory_working_set_bytes));
        add(o, "memory_cache_bytes", u64_or_null(u->memory_valid, u->memory_cache_bytes));
        add(o, "oom_kills", u64_or_null(u->memory_valid, u->oom_kills));
        add(o, "pids_current", u64_or_null(u->pids_valid, u->pids_current));
        add(o, "pids_limit", limit(u->pids_valid, u->pids_limit));
}

static json_object *process_json(const kata_observe_process *p)
{
        json_object *o = json_object_new_object();
        add(o, "host_pid", p->host_pid ? json_object_new_int64(p->host_pid) : NULL);
        add(o, "sandbox_pid", p->sandbox_pid ? json_object_new_int64(p->sandbox_pid) : NULL);
        add(o, "ppid", json_object_new_int64(p->ppid));
        add(o, "comm", str(p->comm));
        add(o, "args", str(p->args));
        char state[2] = {p->state ? p->state : '?', '\0'};
        add(o, "state", str(state));
        add(o, "uid", json_object_new_int64(p->uid));
        add(o, "rss_bytes", u64(p->rss_bytes));
        add(o, "cpu_time_ns", u64(p->cpu_time_ns));
        add(o, "cpu_percent", rounded(p->cpu_percent_valid, p->cpu_percent));
        return o;
}

static json_object *container_json(const kata_observe_container *c)
{
        json_object *o = json_object_new_object();
        add(o, "id", str(c->id));
        add(o, "status", str(kata_container_status_name(c->status)));
        add(o, "pid", c->pid ? json_object_new_int64(c->pid) : NULL);
        add(o, "ns_pid", c->ns_pid ? json_object_new_int64(c->ns_pid) : NULL);
        add(o, "cgroup", c->cgroup[0] ? str(c->cgroup) : NULL);
        add_usage(o, &c->usage);
        if (c->processes_listed) {
                json_object *a = json_object_new_array();
                for (size_t i = 0; i < c->nprocesses; i++)
                        json_object_array_add(a, process_json(&c->processes[i]));
                add(o, "processes", a);
        }
        add(o, "error", c->error[0] ? str(c->error) : NULL);
        return o;
}

static json_object *agent_json(const kata_observe_agent *a)
{
        if (!a->queried)
                return NULL;
        json_object *o = json_object_new_object();
        add(o, "ok", json_object_new_boolean(a->ok));
        add(o, "latency_us", a->ok ? u64(a->latency_ns / 1000) : NULL);
        add(o, "failures", u64(a->failures));
        add(o, "version", a->version[0] ? str(a->version) : NULL);
        add(o, "cgroup_driver", a->cgroup_driver[0] ? str(a->cgroup_driver) : NULL);
        add(o, "error", a->error[0] ? str(a->error) : NULL);
        return o;
}

static json_object *sandbox_json(const kata_observe_sandbox *sb)
{
        json_object *o = json_object_new_object();
        add(o, "id", str(sb->id));
        add(o, "hypervisor", str(sb->hypervisor));
        add(o, "state", str(kata_sandbox_status_name(sb->status)));
        add(o, "created_ns", json_object_new_int64(sb->created_ns));
        add(o, "agent_pid", sb->agent_pid ? json_object_new_int64(sb->agent_pid) : NULL);
        add(o, "vmm_pid", sb->vmm_pid ? json_object_new_int64(sb->vmm_pid) : NULL);
        add(o, "cgroup", sb->cgroup[0] ? str(sb->cgroup) : NULL);
        add(o, "ncontainers", u64(sb->ncontainers));
        add_usage(o, &sb->usage);
        add(o, "agent", agent_json(&sb->agent));
        add(o, "exec_per_sec", rounded(sb->exec_rate_valid, sb->exec_per_sec));
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < sb->ncontainers; i++)
                json_object_array_add(a, container_json(&sb->containers[i]));
        add(o, "containers", a);
        add(o, "error", sb->error[0] ? str(sb->error) : NULL);
        return o;
}

int kata_observe_snapshot_to_json(const kata_observe_snapshot *s, char **out, kata_error *err)
{
        json_object *o = json_object_new_object();
        if (!o)
                return kata_error_set(err, ENOMEM, "out of memory");
        add(o, "time_ns", u64(s->time_ns));
        add(o, "interval_ns", u64(s->interval_ns));
        add(o, "exec_hint", s->exec_hint[0] ? str(s->exec_hint) : NULL);
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < s->nsandboxes; i++)
                json_object_array_add(a, sandbox_json(&s->sandboxes[i]));
        add(o, "sandboxes", a);
        json_object *p = json_object_new_array();
        for (size_t i = 0; i < s->nproblems; i++) {
                json_object *e = json_object_new_object();
                add(e, "id", str(s->problems[i].id));
                add(e, "error", str(s->problems[i].error.msg));
                json_object_array_add(p, e);
        }
        add(o, "problems", p);
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
        *out = text ? strdup(text) : NULL;
        json_object_put(o);
        if (!*out)
                return kata_error_set(err, ENOMEM, "out of memory");
        return 0;
}
