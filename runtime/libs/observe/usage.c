/* Figures of one host cgroup: the cgroups library's stats (every hierarchy merged per
 * controller), plus the working set, which it does not compute. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "observe/internal.h"

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
        int r = 0;
        if (!e->cgroup) {
                r = kata_cgroup_open(o->layout, rel_path, &e->cgroup, err);
                if (r == 0)
                        r = obs_cgfiles_open(o->layout, e->cgroup, &e->files, err);
        }
        if (r == 0)
                r = obs_cgfiles_read(e->files, u, err);
        uint64_t now = kata_now_monotonic_ns();
        if (r < 0) {
                /* Gone (or never there): try again from scratch next time. */
                obs_cgfiles_close(e->files);
                e->files = NULL;
                if (e->cgroup)
                        kata_cgroup_free(e->cgroup);
                e->cgroup = NULL;
                e->have_cpu = false;
                memset(u, 0, sizeof(*u));
                return r;
        }
        if (u->cpu_valid)
                obs_cpu_delta(e, u->cpu_usage_ns, now, &u->cpu_percent_valid, &u->cpu_percent);
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
