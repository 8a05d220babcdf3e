/* Figures of one host cgroup: the cgroups library's stats (every hierarchy merged per
 * controller), plus the working set, which it does not compute. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "observe/internal.h"

/* inactive_file from memory.stat: "total_inactive_file" on v1 (hierarchical), else
 * "inactive_file" (v2). Missing: 0, so the working set falls back to usage. */
static uint64_t inactive_file(const kata_cgroup *cg)
{
        const char *dir = kata_cgroup_dir(cg, KATA_CGROUP_MEMORY);
        if (!dir)
                return 0;
        char path[KATA_CGROUP_PATH_MAX + 512];
        snprintf(path, sizeof(path), "%s/memory.stat", dir);
        char *text = NULL;
        if (kata_read_file(path, 1 << 20, &text, NULL, NULL) < 0)
                return 0;
        uint64_t v1 = UINT64_MAX, v2 = UINT64_MAX;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *sp = strchr(line, ' ');
                if (!sp)
                        continue;
                *sp = '\0';
                uint64_t v;
                if (kata_parse_u64(sp + 1, &v) < 0)
                        continue;
                if (strcmp(line, "total_inactive_file") == 0)
                        v1 = v;
                else if (strcmp(line, "inactive_file") == 0)
                        v2 = v;
        }
        free(text);
        return v1 != UINT64_MAX ? v1 : v2 != UINT64_MAX ? v2 : 0;
}

int obs_usage_from_host(kata_observe *o, const char *rel_path, kata_observe_usage *u,
                        kata_cgroup **cg_out, kata_error *err)
{
        *cg_out = NULL;
        if (!o->layout)
                return kata_error_set(err, ENOENT, "no cgroup hierarchy on this host");
        char key[KATA_CGROUP_PATH_MAX + 8];
        snprintf(key, sizeof(key), "c:%s", rel_path);
        obs_entry *e = obs_history_get(&o->history, key);
        if (!e)
                return kata_error_set(err, ENOMEM, "out of memory");
        if (!e->cgroup) {
                int r = kata_cgroup_open(o->layout, rel_path, &e->cgroup, err);
                if (r < 0)
                        return r;
        }
        kata_cgroup_stats st;
        int r = kata_cgroup_stats_read(e->cgroup, &st, err);
        uint64_t now = kata_now_monotonic_ns();
        if (r < 0) {
                /* Gone (or replaced): open again next time. */
                kata_cgroup_free(e->cgroup);
                e->cgroup = NULL;
                e->have_cpu = false;
                return r;
        }
        memset(u, 0, sizeof(*u));
        u->source = KATA_OBSERVE_SOURCE_HOST;
        if (st.cpu.valid) {
                u->cpu_valid = true;
                u->cpu_usage_ns = st.cpu.usage_ns;
                u->cpu_periods = st.cpu.nr_periods;
                u->cpu_throttled_periods = st.cpu.nr_throttled;
                u->cpu_throttled_ns = st.cpu.throttled_ns;
                obs_cpu_delta(e, st.cpu.usage_ns, now, &u->cpu_percent_valid, &u->cpu_percent);
        }
        if (st.memory.valid) {
                u->memory_valid = true;
                u->memory_usage_bytes = st.memory.usage;
                u->memory_limit_bytes = st.memory.limit == KATA_CGROUP_UNLIMITED
                                            ? KATA_OBSERVE_UNLIMITED
                                            : st.memory.limit;
                u->memory_cache_bytes = st.memory.cache;
                u->oom_kills = st.memory.oom_kills;
                uint64_t inactive = inactive_file(e->cgroup);
                u->memory_working_set_bytes =
                    inactive < st.memory.usage ? st.memory.usage - inactive : 0;
        }
        if (st.pids.valid) {
                u->pids_valid = true;
                u->pids_current = st.pids.current;
                u->pids_limit =
                    st.pids.limit == KATA_CGROUP_UNLIMITED ? KATA_OBSERVE_UNLIMITED : st.pids.limit;
        }
        *cg_out = e->cgroup;
        return 0;
}

/* The layout's mount point that holds a recorded directory, by the controller name the
 * state uses ("memory", "cpu"... or "unified" on v2). */
static const char *mount_for(const kata_cgroup_layout *layout, const char *controller)
{
        if (strcmp(controller, "unified") == 0)
                return kata_cgroup_layout_unified(layout);
        for (int c = 0; c < KATA_CGROUP_NR_CONTROLLERS; c++) {
                if (strcmp(kata_cgroup_controller_name((enum kata_cgroup_controller)c),
                           controller) == 0)
                        return kata_cgroup_layout_mount(layout, (enum kata_cgroup_controller)c);
        }
        return NULL;
}

int obs_sandbox_cgroup(const kata_observe *o, const kata_sandbox_state *st, char *out, size_t size,
                       kata_error *err)
{
        if (!o->layout)
                return kata_error_set(err, ENOENT, "no cgroup hierarchy on this host");
        for (size_t i = 0; i < st->ncgroups; i++) {
                const char *mnt = mount_for(o->layout, st->cgroups[i].controller);
                if (!mnt)
                        continue;
                size_t n = strlen(mnt);
                const char *dir = st->cgroups[i].path;
                if (strncmp(dir, mnt, n) == 0 && dir[n] == '/' && dir[n + 1] != '\0') {
                        if (strlen(dir + n) >= size)
                                return kata_error_set(err, ENAMETOOLONG,
                                                      "cgroup directory %s is too long", dir);
                        snprintf(out, size, "%s", dir + n);
                        return 0;
                }
        }
        if (st->ncgroups == 0)
                return kata_error_set(err, ENOENT, "no host cgroup recorded");
        return kata_error_set(err, ENOENT, "recorded cgroup %s is not under a mounted hierarchy",
                              st->cgroups[0].path);
}
