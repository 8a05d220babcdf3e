/* cgroup.* and systemd.running. The facts come from cgroups.c (kata_cgroups_detect). */
#include <string.h>

#include "check/internal.h"

void kata_check_cgroup_layout(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        const struct kata_host_info *i = ctx->info;
        size_t v1 = 0, v2 = 0;
        for (size_t k = 0; k < i->controller_count; k++) {
                v1 += i->controllers[k].version == 1;
                v2 += i->controllers[k].version == 2;
        }
        switch (i->cgroup_layout) {
        case KATA_CGROUP_NONE:
                kata_check_set(res, KATA_CHECK_FAIL,
                               "mount cgroup2 on /sys/fs/cgroup (mount -t cgroup2 none "
                               "/sys/fs/cgroup)",
                               "no cgroup hierarchy is mounted");
                return;
        case KATA_CGROUP_V1:
                kata_check_set(res, KATA_CHECK_PASS, "", "cgroup v1: %zu controllers mounted", v1);
                return;
        case KATA_CGROUP_V2:
                kata_check_set(res, KATA_CHECK_PASS, "", "cgroup v2 at %s, %zu controllers",
                               i->cgroup2_mount, v2);
                return;
        case KATA_CGROUP_HYBRID:
                kata_check_set(res, KATA_CHECK_PASS, "",
                               "hybrid: %zu v1 controllers, cgroup2 at %s with %zu controllers", v1,
                               i->cgroup2_mount, v2);
                return;
        }
}

static const struct kata_cgroup_controller *find(const struct kata_host_info *i, const char *name)
{
        for (size_t k = 0; k < i->controller_count; k++)
                if (strcmp(i->controllers[k].name, name) == 0)
                        return &i->controllers[k];
        return NULL;
}

static void append(char *buf, size_t size, const char *fmt, const char *a, const char *b)
{
        size_t n = strlen(buf);
        if (n < size)
                snprintf(buf + n, size - n, fmt, a, b);
}

void kata_check_cgroup_controllers(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        const struct kata_host_info *i = ctx->info;
        /* Resource limits need cpu, memory and pids; the rest refine them. On v2 the
         * device controller is eBPF and the freezer is built in. */
        static const char *const required[] = {"cpu", "memory", "pids"};
        static const char *const v1_advisory[] = {"cpuset", "devices", "blkio", "freezer",
                                                  "cpuacct"};
        static const char *const v2_advisory[] = {"cpuset", "io"};
        bool v2 = i->cgroup_layout == KATA_CGROUP_V2;
        const char *const *advisory = v2 ? v2_advisory : v1_advisory;
        size_t nadv = v2 ? 2 : 5;

        char found[384] = "", missing_req[128] = "", missing_adv[128] = "";
        for (size_t k = 0; k < i->controller_count; k++) {
                const struct kata_cgroup_controller *c = &i->controllers[k];
                if (!c->version)
                        continue;
                size_t n = strlen(found);
                snprintf(found + n, sizeof(found) - n, "%s%s@%s", n ? " " : "", c->name, c->mount);
        }
        for (size_t k = 0; k < 3; k++) {
                const struct kata_cgroup_controller *c = find(i, required[k]);
                if (!c || !c->version)
                        append(missing_req, sizeof(missing_req), "%s%s", missing_req[0] ? " " : "",
                               required[k]);
        }
        for (size_t k = 0; k < nadv; k++) {
                const struct kata_cgroup_controller *c = find(i, advisory[k]);
                if (!c || !c->version)
                        append(missing_adv, sizeof(missing_adv), "%s%s", missing_adv[0] ? " " : "",
                               advisory[k]);
        }
        if (missing_req[0]) {
                kata_check_set(res, KATA_CHECK_FAIL,
                               v2 ? "enable them: echo +cpu +memory +pids > "
                                    "<cgroup2>/cgroup.subtree_control"
                                  : "mount each v1 controller (mount -t cgroup -o NAME cgroup "
                                    "/sys/fs/cgroup/NAME)",
                               "missing required controllers: %s; mounted: %s", missing_req,
                               found[0] ? found : "none");
                return;
        }
        if (missing_adv[0]) {
                kata_check_set(res, KATA_CHECK_WARN,
                               "limits on these resources will not apply; mount or enable them",
                               "missing controllers: %s; mounted: %s", missing_adv, found);
                return;
        }
        kata_check_set(res, KATA_CHECK_PASS, "", "%s", found);
}

void kata_check_systemd_running(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        const struct kata_host_info *i = ctx->info;
        if (i->systemd_running) {
                kata_check_set(res, KATA_CHECK_PASS, "",
                               "systemd runs (/run/systemd/system): the systemd cgroup driver "
                               "can be used");
                return;
        }
        kata_check_set(res, KATA_CHECK_WARN,
                       "use the cgroupfs driver (systemd-form cgroup paths cannot be served)",
                       "systemd is not running (no /run/systemd/system)%s",
                       i->systemd_hierarchy ? "; a name=systemd hierarchy is mounted, which "
                                              "does not mean systemd runs"
                                            : "");
}
