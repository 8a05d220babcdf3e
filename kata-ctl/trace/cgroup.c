/* kata-ctl trace cgroup: cgroups created, removed, released, frozen and thawed in scope,
 * and tasks attached to them, in every hierarchy the scope covers. */
#include <errno.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "cgroup.skel.h"
#include "internal.h"

static const char *const cgroup_tracepoints[] = {"btf:cgroup_mkdir",
                                                 "btf:cgroup_rmdir",
                                                 "btf:cgroup_release",
                                                 "btf:cgroup_attach_task",
                                                 "btf:cgroup_freeze",
                                                 "btf:cgroup_unfreeze",
                                                 NULL};

static const char *op_name(uint32_t op)
{
        switch (op) {
        case TRACE_CG_MKDIR:
                return "mkdir";
        case TRACE_CG_RMDIR:
                return "rmdir";
        case TRACE_CG_RELEASE:
                return "release";
        case TRACE_CG_ATTACH:
                return "attach";
        case TRACE_CG_FREEZE:
                return "freeze";
        case TRACE_CG_UNFREEZE:
                return "unfreeze";
        }
        return "unknown";
}

static int on_cgroup(void *ctx, void *data, size_t size)
{
        trace_session *s = ctx;
        const struct trace_cgroup_event *e = data;
        if (size < sizeof(*e))
                return 0;
        char rel[TRACE_PATH_LEN + 1];
        memcpy(rel, e->path, TRACE_PATH_LEN);
        rel[TRACE_PATH_LEN] = 0;
        const char *path, *container;
        trace_scope_lookup(s->scope, e->h.hierarchy, e->h.cgroup_id, rel, &path, &container);
        const char *mount = trace_scope_mount(s->scope, e->h.hierarchy);
        const char *controller = "";
        for (size_t i = 0; i < s->scope->nhier; i++)
                if (s->scope->hier[i].id == e->h.hierarchy)
                        controller = s->scope->hier[i].controller;

        if (s->opts->json) {
                json_object *o = json_object_new_object();
                trace_json_add_head(s, o, "cgroup", &e->h, path, container);
                json_object_object_add(o, "op", json_object_new_string(op_name(e->op)));
                json_object_object_add(o, "controller", json_object_new_string(controller));
                json_object_object_add(o, "level", json_object_new_int(e->level));
                json_object_object_add(o, "path", json_object_new_string(rel));
                if (e->op == TRACE_CG_ATTACH)
                        json_object_object_add(o, "threadgroup",
                                               json_object_new_boolean(e->threadgroup));
                trace_json_emit(s, o);
                return 0;
        }
        (void)mount;
        trace_print_time_columns(s, e->h.ts_ns);
        fprintf(s->out, "%-8s %-16.16s %-3u %-8.8s %-5d ", op_name(e->op),
                container[0] ? container : "-", e->h.hierarchy, controller[0] ? controller : "-",
                e->level);
        if (e->op == TRACE_CG_ATTACH)
                fprintf(s->out, "%-7u %-16.16s ", e->h.pid, e->h.comm);
        else
                fprintf(s->out, "%-7s %-16s ", "-", "-");
        fprintf(s->out, "%s\n", path[0] ? path : rel);
        s->records++;
        return 0;
}

int kata_trace_cgroup(const kata_trace_opts *opts, kata_error *err)
{
        int rc = trace_preflight(cgroup_tracepoints, err);
        if (rc < 0)
                return rc;
        trace_libbpf_setup();
        FILE *notes = opts->notes ? opts->notes : stderr;
        trace_scope scope;
        rc = trace_scope_resolve(opts, false, notes, &scope, err);
        if (rc < 0)
                return rc;
        struct cgroup_bpf *skel = cgroup_bpf__open();
        struct ring_buffer *rb = NULL;
        if (!skel) {
                rc = kata_error_errno(err, errno, "opening the cgroup eBPF object");
                goto out;
        }
        TRACE_SET_SCOPE_RODATA(skel->rodata, &scope);
        trace_session s;
        rc = trace_session_attach(&s, "cgroup", opts, &scope, skel->skeleton, skel->maps.events,
                                  skel->maps.drops, skel->maps.tracker, on_cgroup, &rb, err);
        if (rc < 0)
                goto out;
        if (!opts->json) {
                trace_print_time_header(&s);
                fprintf(s.out, "%-8s %-16s %-3s %-8s %-5s %-7s %-16s %s\n", "EVENT", "CONTAINER",
                        "HID", "CONTROLR", "LEVEL", "PID", "COMM", "PATH");
        }
        rc = trace_session_run(&s, rb, "cgroup", err);
out:
        ring_buffer__free(rb);
        cgroup_bpf__destroy(skel);
        trace_scope_free(&scope);
        return rc;
}
