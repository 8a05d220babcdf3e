/* The sampler: one pass over the state root, each sandbox's and container's host cgroup,
 * its agent where asked, and the processes the request names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "observe/internal.h"

#define DEFAULT_AGENT_TIMEOUT_MS 500
#define EXEC_HINT                                                                                  \
        "exec/s needs the eBPF exec stream (kata-ctl trace exec), which is not running here"

int kata_observe_new(const kata_observe_opts *opts, kata_observe **out, kata_error *err)
{
        kata_observe_opts none = {0};
        if (!opts)
                opts = &none;
        kata_observe *o = calloc(1, sizeof(*o));
        if (!o)
                return kata_error_set(err, ENOMEM, "out of memory");
        o->state_root = strdup(opts->state_root && opts->state_root[0] ? opts->state_root
                                                                       : KATA_STATE_DEFAULT_ROOT);
        o->proc_root = strdup(opts->proc_root && opts->proc_root[0] ? opts->proc_root : "/proc");
        if (!o->state_root || !o->proc_root) {
                kata_observe_free(o);
                return kata_error_set(err, ENOMEM, "out of memory");
        }
        o->query_agents = opts->query_agents;
        o->agent_timeout_ms =
            opts->agent_timeout_ms > 0 ? opts->agent_timeout_ms : DEFAULT_AGENT_TIMEOUT_MS;
        o->clock_ticks = sysconf(_SC_CLK_TCK);
        if (o->clock_ticks <= 0)
                o->clock_ticks = 100;
        o->page_size = sysconf(_SC_PAGESIZE);
        if (o->page_size <= 0)
                o->page_size = 4096;
        kata_error lerr = KATA_ERROR_INIT;
        /* No cgroups at all: figures come from agents only, not a failure. */
        if (kata_cgroup_layout_detect(opts->cgroups, &o->layout, &lerr) < 0 &&
            lerr.code != ENOENT) {
                kata_error_set(err, lerr.code ? lerr.code : EIO, "%s", lerr.msg);
                kata_observe_free(o);
                return kata_error_prefix(err, "cgroup layout");
        }
        *out = o;
        return 0;
}

void kata_observe_free(kata_observe *o)
{
        if (!o)
                return;
        obs_history_clear(&o->history);
        if (o->layout)
                kata_cgroup_layout_free(o->layout);
        free(o->state_root);
        free(o->proc_root);
        free(o);
}

static void free_containers(kata_observe_container *c, size_t n)
{
        for (size_t i = 0; i < n; i++)
                obs_procs_free(c[i].processes, c[i].nprocesses);
        free(c);
}

void kata_observe_snapshot_free(kata_observe_snapshot *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->nsandboxes; i++)
                free_containers(s->sandboxes[i].containers, s->sandboxes[i].ncontainers);
        free(s->sandboxes);
        free(s->problems);
        memset(s, 0, sizeof(*s));
}

static bool wants_processes(const kata_observe_request *req, const char *sid, const char *cid)
{
        if (!req)
                return false;
        if (req->all_processes)
                return true;
        if (!req->sandbox_id || strcmp(req->sandbox_id, sid) != 0)
                return false;
        return !req->container_id || strcmp(req->container_id, cid) == 0;
}

static void sample_container(kata_observe *o, const kata_observe_request *req,
                             const kata_sandbox_state *st, const kata_container_state *cs,
                             kata_observe_sandbox *sb, obs_entry *agent, kata_observe_container *c)
{
        kata_error err = KATA_ERROR_INIT;
        snprintf(c->id, sizeof(c->id), "%s", cs->id);
        c->status = cs->status;
        c->pid = cs->pid;
        c->ns_pid = cs->ns_pid;
        bool want_procs = wants_processes(req, st->id, cs->id);
        if (req && req->only_selected_containers &&
            (!req->sandbox_id || strcmp(req->sandbox_id, st->id) != 0))
                return;

        /* The agent puts the container at the mapped path inside the sandbox's cgroup
         * namespace, so on the host it lies under the sandbox's cgroup. */
        kata_cgroup *cg = NULL;
        char mapped[KATA_CGROUP_PATH_MAX];
        if (sb->cgroup[0] && cs->status != KATA_CONTAINER_STOPPED &&
            kata_cgroup_path_map(cs->cgroup_path, cs->id, mapped, sizeof(mapped), &err) == 0 &&
            strlen(sb->cgroup) + strlen(mapped) < sizeof(c->cgroup)) {
                char rel[KATA_CGROUP_PATH_MAX];
                snprintf(rel, sizeof(rel), "%s%s", sb->cgroup, mapped);
                if (obs_usage_from_host(o, rel, &c->usage, &cg, &err) == 0)
                        snprintf(c->cgroup, sizeof(c->cgroup), "%s", rel);
        }
        if (!cg && agent && cs->status != KATA_CONTAINER_STOPPED) {
                kata_error_clear(&err);
                if (obs_agent_stats(o, agent, st->id, cs->id, &c->usage, &err) < 0)
                        snprintf(c->error, sizeof(c->error), "%s", err.msg);
        } else if (!cg && cs->status != KATA_CONTAINER_STOPPED) {
                snprintf(c->error, sizeof(c->error), "%s", err.msg[0] ? err.msg : "no figures");
        }
        if (!want_procs || cs->status == KATA_CONTAINER_STOPPED)
                return;
        kata_error_clear(&err);
        if (cg) {
                if (obs_procs_from_host(o, st->id, obs_pid_ns_level(o, st->agent_pid), cg, c,
                                        &err) < 0)
                        snprintf(c->error, sizeof(c->error), "processes: %s", err.msg);
        } else if (agent) {
                if (obs_agent_procs(o, agent, st->id, cs->id, c, &err) < 0)
                        snprintf(c->error, sizeof(c->error), "processes: %s", err.msg);
        }
}

static int sample_sandbox(kata_observe *o, const kata_observe_request *req,
                          const kata_sandbox_state *st, kata_observe_sandbox *sb)
{
        kata_error err = KATA_ERROR_INIT;
        snprintf(sb->id, sizeof(sb->id), "%s", st->id);
        snprintf(sb->hypervisor, sizeof(sb->hypervisor), "%s", st->hypervisor);
        sb->status = st->status;
        sb->created_ns = st->created_ns;
        sb->agent_pid = st->agent_pid;
        sb->vmm_pid = st->vmm_pid;

        if (st->ncgroups == 0) {
                /* Being created (or a driver without host cgroups): nothing to read. */
                sb->cgroup[0] = '\0';
        } else if (obs_sandbox_cgroup(o, st, sb->cgroup, sizeof(sb->cgroup), &err) < 0) {
                sb->cgroup[0] = '\0';
                snprintf(sb->error, sizeof(sb->error), "%s", err.msg);
        } else {
                kata_cgroup *cg = NULL;
                if (obs_usage_from_host(o, sb->cgroup, &sb->usage, &cg, &err) < 0) {
                        /* A stopped or just deleted sandbox has no cgroup: no error. */
                        if (st->status != KATA_SANDBOX_STOPPED && err.code != ENOENT)
                                snprintf(sb->error, sizeof(sb->error), "%s", err.msg);
                        sb->cgroup[0] = '\0';
                }
        }
        obs_entry *agent = obs_agent_check(o, st, sb);

        sb->containers = calloc(st->ncontainers ? st->ncontainers : 1, sizeof(*sb->containers));
        if (!sb->containers)
                return -ENOMEM;
        for (size_t i = 0; i < st->ncontainers; i++) {
                sample_container(o, req, st, &st->containers[i], sb, agent, &sb->containers[i]);
                sb->ncontainers++;
        }
        return 0;
}

int kata_observe_sample(kata_observe *o, const kata_observe_request *req,
                        kata_observe_snapshot *out, kata_error *err)
{
        memset(out, 0, sizeof(*out));
        kata_state_listing list;
        int r = kata_state_list(o->state_root, &list, err);
        if (r < 0)
                return kata_error_prefix(err, "state root %s", o->state_root);
        o->history.generation++;
        uint64_t now = kata_now_monotonic_ns();
        out->time_ns = kata_now_realtime_ns();
        out->interval_ns = o->last_sample_ns ? now - o->last_sample_ns : 0;
        o->last_sample_ns = now;
        snprintf(out->exec_hint, sizeof(out->exec_hint), "%s", EXEC_HINT);

        out->sandboxes = calloc(list.nsandboxes ? list.nsandboxes : 1, sizeof(*out->sandboxes));
        if (!out->sandboxes) {
                r = kata_error_set(err, ENOMEM, "out of memory");
                goto fail;
        }
        for (size_t i = 0; i < list.nsandboxes; i++) {
                r = sample_sandbox(o, req, &list.sandboxes[i], &out->sandboxes[i]);
                out->nsandboxes++;
                if (r < 0) {
                        r = kata_error_set(err, ENOMEM, "out of memory");
                        goto fail;
                }
        }
        /* The listing's problems move to the snapshot. */
        out->problems = list.problems;
        out->nproblems = list.nproblems;
        list.problems = NULL;
        list.nproblems = 0;
        kata_state_listing_free(&list);
        obs_history_sweep(&o->history);
        return 0;
fail:
        kata_state_listing_free(&list);
        kata_observe_snapshot_free(out);
        return r;
}

const kata_observe_sandbox *kata_observe_find_sandbox(const kata_observe_snapshot *s,
                                                      const char *id)
{
        for (size_t i = 0; i < s->nsandboxes; i++) {
                if (strcmp(s->sandboxes[i].id, id) == 0)
                        return &s->sandboxes[i];
        }
        return NULL;
}

const kata_observe_container *kata_observe_find_container(const kata_observe_sandbox *sb,
                                                          const char *id)
{
        for (size_t i = 0; i < sb->ncontainers; i++) {
                if (strcmp(sb->containers[i].id, id) == 0)
                        return &sb->containers[i];
        }
        return NULL;
}

const char *kata_observe_source_name(enum kata_observe_source s)
{
        switch (s) {
        case KATA_OBSERVE_SOURCE_HOST:
                return "host";
        case KATA_OBSERVE_SOURCE_AGENT:
                return "agent";
        default:
                return "none";
        }
}
