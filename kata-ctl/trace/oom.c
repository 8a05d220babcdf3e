/* kata-ctl trace oom: OOM-killer victims in scope, and the memcg OOM-kill counters of the
 * scope's cgroups (the sandbox and its containers) at start and at exit. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "cgroups/cgroups.h"
#include "common/util.h"
#include "internal.h"
#include "oom.skel.h"

static const char *const oom_tracepoints[] = {"btf:mark_victim", "btf:cgroup_mkdir",
                                              "btf:cgroup_release", NULL};

/* The oom_kill count of a memory cgroup directory: memory.oom_control on v1,
 * memory.events on v2. -ENOENT when neither file exists. */
static int read_oom_kills(const char *dir, uint64_t *out)
{
        const char *files[] = {"memory.oom_control", "memory.events"};
        for (size_t i = 0; i < KATA_ARRAY_SIZE(files); i++) {
                char path[8192], *text = NULL;
                kata_error e = KATA_ERROR_INIT;
                snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
                if (kata_read_file(path, 0, &text, NULL, &e) < 0)
                        continue;
                const char *p = strstr(text, "oom_kill ");
                int rc = -ENOENT;
                if (p && (p == text || p[-1] == '\n')) {
                        *out = strtoull(p + 9, NULL, 10);
                        rc = 0;
                }
                free(text);
                if (rc == 0)
                        return 0;
        }
        return -ENOENT;
}

/* The memory cgroups whose counters are reported: the scope directory in the memory (or
 * cgroup2) hierarchy and, for a sandbox, each container's. */
static void report_counters(trace_session *s, const char *phase)
{
        trace_scope *scope = s->scope;
        const trace_hierarchy *h = NULL;
        for (size_t i = 0; i < scope->nhier && !h; i++)
                if (scope->hier[i].id == scope->hierarchy && scope->hier[i].scope_dir[0])
                        h = &scope->hier[i];
        if (!h)
                return;
        json_object *list = s->opts->json ? json_object_new_array() : NULL;
        size_t n = 0;
        /* The scope directory, then each direct or nested container directory. */
        for (size_t k = 0; k <= (scope->has_state ? scope->st.ncontainers : 0); k++) {
                char dir[8192];
                const char *container = "";
                if (k == 0) {
                        snprintf(dir, sizeof(dir), "%s", h->scope_dir);
                } else {
                        const kata_container_state *c = &scope->st.containers[k - 1];
                        if (scope->only_container[0] && strcmp(c->id, scope->only_container) != 0)
                                continue;
                        char rel[KATA_CGROUP_PATH_MAX];
                        kata_error e = KATA_ERROR_INIT;
                        if (kata_cgroup_path_map(c->cgroup_path, c->id, rel, sizeof(rel), &e) < 0)
                                continue;
                        const char *sdir = kata_sandbox_state_cgroup(&scope->st, h->controller);
                        if (!sdir)
                                continue;
                        snprintf(dir, sizeof(dir), "%s%s", sdir, rel);
                        container = c->id;
                        if (k > 0 && strcmp(dir, h->scope_dir) == 0)
                                continue; /* --container: already reported as the scope */
                }
                uint64_t kills;
                if (read_oom_kills(dir, &kills) < 0)
                        continue;
                n++;
                if (list) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "path", json_object_new_string(dir));
                        json_object_object_add(o, "container", json_object_new_string(container));
                        json_object_object_add(o, "oom_kill", json_object_new_uint64(kills));
                        json_object_array_add(list, o);
                } else {
                        fprintf(s->notes, "%s oom: %s: memcg oom_kill %" PRIu64 " %s%s%s\n",
                                TRACE_PROG, phase, kills, dir, container[0] ? " container " : "",
                                container);
                }
        }
        /* Without containers to name, the scope's direct children are the candidates. */
        DIR *d = scope->has_state ? NULL : opendir(h->scope_dir);
        for (struct dirent *de; d && (de = readdir(d));) {
                char dir[8192];
                uint64_t kills;
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                snprintf(dir, sizeof(dir), "%s/%s", h->scope_dir, de->d_name);
                if (read_oom_kills(dir, &kills) < 0)
                        continue;
                n++;
                if (list) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "path", json_object_new_string(dir));
                        json_object_object_add(o, "container", json_object_new_string(""));
                        json_object_object_add(o, "oom_kill", json_object_new_uint64(kills));
                        json_object_array_add(list, o);
                } else {
                        fprintf(s->notes, "%s oom: %s: memcg oom_kill %" PRIu64 " %s\n", TRACE_PROG,
                                phase, kills, dir);
                }
        }
        if (d)
                closedir(d);
        if (list) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "type", json_object_new_string("oom_counters"));
                json_object_object_add(o, "phase", json_object_new_string(phase));
                json_object_object_add(o, "cgroups", list);
                trace_json_emit(s, o);
        } else if (n == 0) {
                fprintf(s->notes, "%s oom: %s: no memcg OOM counters in %s\n", TRACE_PROG, phase,
                        h->scope_dir);
        }
        fflush(s->out);
        fflush(s->notes);
}

static int on_oom(void *ctx, void *data, size_t size)
{
        trace_session *s = ctx;
        const struct trace_oom_event *e = data;
        if (size < sizeof(*e))
                return 0;
        const char *cgroup, *container;
        trace_scope_lookup(s->scope, e->h.hierarchy, e->h.cgroup_id, NULL, &cgroup, &container);
        uint64_t kib = (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
        char killer[TRACE_COMM_LEN + 1];
        memcpy(killer, e->killer_comm, TRACE_COMM_LEN);
        killer[TRACE_COMM_LEN] = 0;
        if (s->opts->json) {
                json_object *o = json_object_new_object();
                trace_json_add_head(s, o, "oom", &e->h, cgroup, container);
                json_object_object_add(o, "total_vm_kib",
                                       json_object_new_uint64(e->total_vm * kib));
                json_object_object_add(o, "anon_rss_kib",
                                       json_object_new_uint64(e->anon_rss * kib));
                json_object_object_add(o, "file_rss_kib",
                                       json_object_new_uint64(e->file_rss * kib));
                json_object_object_add(o, "shmem_rss_kib",
                                       json_object_new_uint64(e->shmem_rss * kib));
                json_object_object_add(o, "pgtables_kib",
                                       json_object_new_uint64(e->pgtables_bytes / 1024));
                json_object_object_add(o, "oom_score_adj", json_object_new_int(e->oom_score_adj));
                json_object_object_add(o, "killer_pid", json_object_new_int64(e->killer_pid));
                json_object_object_add(o, "killer_comm", json_object_new_string(killer));
                trace_json_emit(s, o);
                return 0;
        }
        trace_print_time_columns(s, e->h.ts_ns);
        fprintf(s->out,
                "%-16.16s %-16.16s %-7u %-7u %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %6d %s\n",
                container[0] ? container : "-", e->h.comm, e->h.pid, e->h.ns_pid,
                (uint64_t)(e->total_vm * kib), (uint64_t)(e->anon_rss * kib),
                (uint64_t)(e->file_rss * kib), e->oom_score_adj, cgroup[0] ? cgroup : "-");
        s->records++;
        return 0;
}

int kata_trace_oom(const kata_trace_opts *opts, kata_error *err)
{
        int rc = trace_preflight(oom_tracepoints, err);
        if (rc < 0)
                return rc;
        trace_libbpf_setup();
        FILE *notes = opts->notes ? opts->notes : stderr;
        trace_scope scope;
        rc = trace_scope_resolve(opts, true, notes, &scope, err);
        if (rc < 0)
                return rc;
        struct oom_bpf *skel = oom_bpf__open();
        struct ring_buffer *rb = NULL;
        if (!skel) {
                rc = kata_error_errno(err, errno, "opening the oom eBPF object");
                goto out;
        }
        TRACE_SET_SCOPE_RODATA(skel->rodata, &scope);
        trace_session s;
        rc = trace_session_attach(&s, "oom", opts, &scope, skel->skeleton, skel->maps.events,
                                  skel->maps.drops, skel->maps.tracker, on_oom, &rb, err);
        if (rc < 0)
                goto out;
        report_counters(&s, "start");
        if (!opts->json) {
                trace_print_time_header(&s);
                fprintf(s.out, "%-16s %-16s %-7s %-7s %10s %10s %10s %6s %s\n", "CONTAINER", "COMM",
                        "PID", "NSPID", "VM_KIB", "ANON_KIB", "FILE_KIB", "ADJ", "CGROUP");
        }
        rc = trace_session_run(&s, rb, "oom", err);
        report_counters(&s, "exit");
out:
        ring_buffer__free(rb);
        oom_bpf__destroy(skel);
        trace_scope_free(&scope);
        return rc;
}
