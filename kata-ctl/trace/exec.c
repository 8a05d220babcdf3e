/* kata-ctl trace exec: execve/execveat in scope, with full argv and return codes. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "exec.skel.h"
#include "internal.h"

static const char *const exec_tracepoints[] = {
    "syscalls/sys_enter_execve",   "syscalls/sys_exit_execve",
    "syscalls/sys_enter_execveat", "syscalls/sys_exit_execveat",
    "btf:sched_process_exec",      "btf:cgroup_mkdir",
    "btf:cgroup_release",          NULL};

struct exec_args {
        const char *arg[TRACE_MAX_ARGS];
        int len[TRACE_MAX_ARGS];
        unsigned n;
        bool truncated;
};

/* Splits the NUL-separated argument area. Arguments read from the new program's stack
 * (TRACE_EXEC_ARGS_FROM_MM) get the same limits as those read at sys_enter. */
static void collect_args(const struct trace_exec_event *e, size_t len, unsigned max_args,
                         struct exec_args *a)
{
        bool from_mm = e->flags & TRACE_EXEC_ARGS_FROM_MM;
        a->n = 0;
        a->truncated = e->flags & (TRACE_EXEC_ARGS_TRUNCATED | TRACE_EXEC_ARG_TRUNCATED);
        size_t off = 0;
        while (off < len && (from_mm || a->n < e->argc)) {
                if (a->n >= max_args) {
                        a->truncated = true;
                        break;
                }
                size_t n = strnlen(e->args + off, len - off);
                a->arg[a->n] = e->args + off;
                a->len[a->n] = (int)n;
                if (n > TRACE_ARG_LEN - 1) {
                        a->len[a->n] = TRACE_ARG_LEN - 1;
                        a->truncated = true;
                }
                a->n++;
                off += n + 1;
        }
        if (from_mm && len >= TRACE_ARGS_SIZE)
                a->truncated = true;
}

/* Text: arguments separated by spaces, with " ..." where something was cut. */
static void print_args(FILE *out, const struct trace_exec_event *e, const struct exec_args *a)
{
        for (unsigned i = 0; i < a->n; i++)
                fprintf(out, "%s%.*s", i ? " " : "", a->len[i], a->arg[i]);
        if (a->truncated)
                fputs(" ...", out);
        if (e->flags & TRACE_EXEC_ARGV_FAULT)
                fputs(" [argv unreadable]", out);
}

static int on_exec(void *ctx, void *data, size_t size)
{
        trace_session *s = ctx;
        const struct trace_exec_event *e = data;
        size_t head = offsetof(struct trace_exec_event, args);
        if (size < head)
                return 0;
        size_t len = size - head;
        if (len > e->args_size)
                len = e->args_size;
        const char *cgroup, *container;
        trace_scope_lookup(s->scope, e->h.hierarchy, e->h.cgroup_id, NULL, &cgroup, &container);
        char filename[TRACE_PATH_LEN + 1];
        memcpy(filename, e->filename, TRACE_PATH_LEN);
        filename[TRACE_PATH_LEN] = 0;
        struct exec_args args;
        collect_args(e, len, s->opts->max_args ? s->opts->max_args : TRACE_DEFAULT_ARGS, &args);

        if (s->opts->json) {
                json_object *o = json_object_new_object();
                trace_json_add_head(s, o, "exec", &e->h, cgroup, container);
                json_object_object_add(o, "ppid", json_object_new_int64(e->ppid));
                json_object_object_add(
                    o, "syscall",
                    json_object_new_string(e->flags & TRACE_EXEC_AT ? "execveat" : "execve"));
                if (e->flags & TRACE_EXEC_AT) {
                        json_object_object_add(o, "dirfd", json_object_new_int(e->dirfd));
                        json_object_object_add(o, "at_flags", json_object_new_int64(e->at_flags));
                }
                json_object_object_add(o, "ret", json_object_new_int(e->ret));
                json_object_object_add(o, "filename", json_object_new_string(filename));
                json_object *argv = json_object_new_array();
                for (unsigned i = 0; i < args.n; i++)
                        json_object_array_add(argv,
                                              json_object_new_string_len(args.arg[i], args.len[i]));
                json_object_object_add(o, "argv", argv);
                json_object_object_add(o, "args_truncated",
                                       json_object_new_boolean(args.truncated));
                if (e->flags & TRACE_EXEC_ARGV_FAULT)
                        json_object_object_add(o, "argv_fault", json_object_new_boolean(1));
                trace_json_emit(s, o);
                return 0;
        }
        trace_print_time_columns(s, e->h.ts_ns);
        fprintf(s->out, "%-16.16s %-16.16s %-7u %-7u %-7u %-7u %-5u %4d %s",
                container[0] ? container : "-", e->h.comm, e->h.pid, e->h.ns_pid, e->h.tid, e->ppid,
                e->h.uid, e->ret, e->flags & TRACE_EXEC_AT ? "[at] " : "");
        print_args(s->out, e, &args);
        fputc('\n', s->out);
        s->records++;
        return 0;
}

int kata_trace_exec(const kata_trace_opts *opts, kata_error *err)
{
        unsigned max_args = opts->max_args ? opts->max_args : TRACE_DEFAULT_ARGS;
        if (max_args > TRACE_MAX_ARGS)
                return kata_error_set(err, EINVAL, "--max-args %u is over the limit of %d",
                                      max_args, TRACE_MAX_ARGS);
        int rc = trace_preflight(exec_tracepoints, err);
        if (rc < 0)
                return rc;
        trace_libbpf_setup();
        FILE *notes = opts->notes ? opts->notes : stderr;
        trace_scope scope;
        rc = trace_scope_resolve(opts, false, notes, &scope, err);
        if (rc < 0)
                return rc;

        struct exec_bpf *skel = exec_bpf__open();
        struct ring_buffer *rb = NULL;
        if (!skel) {
                rc = kata_error_errno(err, errno, "opening the exec eBPF object");
                goto out;
        }
        TRACE_SET_SCOPE_RODATA(skel->rodata, &scope);
        skel->rodata->max_args = max_args;
        skel->rodata->report_failed = opts->failed;
        trace_session s;
        rc = trace_session_attach(&s, "exec", opts, &scope, skel->skeleton, skel->maps.events,
                                  skel->maps.drops, skel->maps.tracker, on_exec, &rb, err);
        if (rc < 0)
                goto out;
        if (!opts->json) {
                trace_print_time_header(&s);
                fprintf(s.out, "%-16s %-16s %-7s %-7s %-7s %-7s %-5s %4s %s\n", "CONTAINER",
                        "PCOMM", "PID", "NSPID", "TID", "PPID", "UID", "RET", "ARGS");
        }
        rc = trace_session_run(&s, rb, "exec", err);
out:
        ring_buffer__free(rb);
        exec_bpf__destroy(skel);
        trace_scope_free(&scope);
        return rc;
}
