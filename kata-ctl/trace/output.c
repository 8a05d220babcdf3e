/* Output shared by the tools: time columns and the common JSON fields. */
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "internal.h"

uint64_t trace_realtime_ns(const trace_session *s, uint64_t ts_ns)
{
        return s->start_real_ns + (ts_ns - s->start_mono_ns);
}

void trace_print_time_header(trace_session *s)
{
        if (s->opts->time_column)
                fprintf(s->out, "%-8s ", "TIME");
        if (s->opts->timestamp)
                fprintf(s->out, "%-8s ", "TIME(s)");
}

void trace_print_time_columns(trace_session *s, uint64_t ts_ns)
{
        if (s->opts->time_column) {
                time_t secs = (time_t)(trace_realtime_ns(s, ts_ns) / 1000000000ull);
                struct tm tm;
                char buf[16];
                localtime_r(&secs, &tm);
                strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
                fprintf(s->out, "%-8s ", buf);
        }
        if (s->opts->timestamp) {
                double rel = ts_ns > s->start_mono_ns ? (ts_ns - s->start_mono_ns) / 1e9 : 0;
                fprintf(s->out, "%-8.3f ", rel);
        }
}

void trace_json_add_head(trace_session *s, json_object *o, const char *type,
                         const struct trace_head *h, const char *cgroup, const char *container)
{
        char comm[TRACE_COMM_LEN + 1];
        memcpy(comm, h->comm, TRACE_COMM_LEN);
        comm[TRACE_COMM_LEN] = 0;
        json_object_object_add(o, "type", json_object_new_string(type));
        json_object_object_add(o, "time_ns",
                               json_object_new_uint64(trace_realtime_ns(s, h->ts_ns)));
        json_object_object_add(o, "pid", json_object_new_int64(h->pid));
        json_object_object_add(o, "tid", json_object_new_int64(h->tid));
        json_object_object_add(o, "ns_pid", json_object_new_int64(h->ns_pid));
        json_object_object_add(o, "uid", json_object_new_int64(h->uid));
        json_object_object_add(o, "comm", json_object_new_string(comm));
        json_object_object_add(o, "hierarchy", json_object_new_int64(h->hierarchy));
        json_object_object_add(o, "cgroup_id", json_object_new_uint64(h->cgroup_id));
        json_object_object_add(o, "cgroup", json_object_new_string(cgroup));
        json_object_object_add(o, "container", json_object_new_string(container));
        if (s->scope->has_state)
                json_object_object_add(o, "sandbox", json_object_new_string(s->scope->st.id));
}

void trace_json_emit(trace_session *s, json_object *o)
{
        fprintf(s->out, "%s\n",
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        s->records++;
}
