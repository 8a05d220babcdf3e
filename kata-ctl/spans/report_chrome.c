/* Chrome trace JSON (the "Trace Event Format" that Perfetto and chrome://tracing load):
 * one complete ("X") event per span, a process per source, a thread per trace. Times are
 * microseconds since the earliest span, so doubles keep nanosecond precision. */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "spans.h"

/* pid of a source: runtime 1, agent 2, any other source after them in order of appearance. */
static int source_pid(const char *source, const char **others, size_t *n_others)
{
        if (strcmp(source, "runtime") == 0)
                return 1;
        if (strcmp(source, "agent") == 0)
                return 2;
        for (size_t i = 0; i < *n_others; i++)
                if (strcmp(others[i], source) == 0)
                        return 3 + (int)i;
        others[*n_others] = source;
        return 3 + (int)(*n_others)++;
}

static json_object *meta_event(const char *what, int pid, int tid, const char *name)
{
        json_object *e = json_object_new_object();
        json_object *args = json_object_new_object();
        json_object_object_add(e, "name", json_object_new_string(what));
        json_object_object_add(e, "ph", json_object_new_string("M"));
        json_object_object_add(e, "pid", json_object_new_int(pid));
        json_object_object_add(e, "tid", json_object_new_int(tid));
        json_object_object_add(args, "name", json_object_new_string(name));
        json_object_object_add(e, "args", args);
        return e;
}

/* Printed with exactly nanosecond precision, not the shortest round-trip form. */
static json_object *us_since(uint64_t ns, uint64_t t0)
{
        char buf[40];
        uint64_t d = ns - t0;
        snprintf(buf, sizeof(buf), "%" PRIu64 ".%03u", d / 1000, (unsigned)(d % 1000));
        return json_object_new_double_s((double)d / 1000.0, buf);
}

int kata_spans_report_chrome(const kata_span_set *set, FILE *out, kata_error *err)
{
        json_object *root = json_object_new_object();
        json_object *events = json_object_new_array();
        const char **others = calloc(set->n_spans + 1, sizeof(char *));
        size_t n_others = 0;
        bool seen_pid[3] = {false, false, false};
        if (!root || !events || !others) {
                json_object_put(root);
                json_object_put(events);
                free(others);
                return kata_error_errno(err, ENOMEM, "chrome report");
        }
        uint64_t t0 = set->n_spans ? set->start_ns : 0;
        for (size_t t = 0; t < set->n_traces; t++) {
                const kata_span_trace *tr = &set->traces[t];
                int tid = (int)t + 1;
                char label[96];
                snprintf(label, sizeof(label), "%s %.8s", tr->n_tops ? tr->tops[0]->name : "trace",
                         tr->trace_id);
                for (size_t i = 0; i < set->n_spans; i++) {
                        const kata_span *s = set->spans[i];
                        if (strcmp(s->trace_id, tr->trace_id) != 0)
                                continue;
                        size_t before = n_others;
                        int pid = source_pid(s->source, others, &n_others);
                        if (pid <= 2 ? !seen_pid[pid] : n_others != before) {
                                if (pid <= 2)
                                        seen_pid[pid] = true;
                                char pname[96];
                                snprintf(pname, sizeof(pname), "kata %s", s->source);
                                json_object_array_add(events,
                                                      meta_event("process_name", pid, 0, pname));
                        }
                        json_object *e = json_object_new_object();
                        json_object *args = json_object_new_object();
                        json_object_object_add(e, "name", json_object_new_string(s->name));
                        json_object_object_add(e, "cat", json_object_new_string(s->source));
                        json_object_object_add(e, "ph", json_object_new_string("X"));
                        json_object_object_add(e, "ts", us_since(s->start_ns, t0));
                        json_object_object_add(e, "dur", us_since(s->end_ns, s->start_ns));
                        json_object_object_add(e, "pid", json_object_new_int(pid));
                        json_object_object_add(e, "tid", json_object_new_int(tid));
                        json_object_object_add(args, "trace_id",
                                               json_object_new_string(s->trace_id));
                        json_object_object_add(args, "span_id", json_object_new_string(s->span_id));
                        json_object_object_add(args, "parent_span_id",
                                               json_object_new_string(s->parent_span_id));
                        json_object_object_add(args, "sandbox_id",
                                               json_object_new_string(s->sandbox_id));
                        json_object_object_add(args, "container_id",
                                               json_object_new_string(s->container_id));
                        json_object_object_add(args, "status", json_object_new_string(s->status));
                        json_object *attrs = json_tokener_parse(s->attributes);
                        json_object_object_add(args, "attributes",
                                               attrs ? attrs
                                                     : json_object_new_string(s->attributes));
                        json_object_object_add(e, "args", args);
                        json_object_array_add(events, e);
                }
                /* The thread name is per pid: name it in every process it appears in. */
                for (int pid = 1; pid <= 2 + (int)n_others; pid++)
                        json_object_array_add(events, meta_event("thread_name", pid, tid, label));
        }
        json_object_object_add(root, "traceEvents", events);
        json_object_object_add(root, "displayTimeUnit", json_object_new_string("ms"));
        json_object *other = json_object_new_object();
        char t0s[32];
        snprintf(t0s, sizeof(t0s), "%" PRIu64, t0);
        json_object_object_add(other, "t0_unix_ns", json_object_new_string(t0s));
        json_object_object_add(other, "generator", json_object_new_string("kata-ctl spans"));
        json_object_object_add(root, "otherData", other);
        const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
        int r = 0;
        if (!text)
                r = kata_error_errno(err, ENOMEM, "chrome report");
        else
                fprintf(out, "%s\n", text);
        json_object_put(root);
        free(others);
        return r;
}
