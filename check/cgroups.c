/* cgroup layout: which hierarchies are mounted where (/proc/self/mountinfo), which
 * controllers the kernel has (/proc/cgroups) and which the cgroup2 root offers
 * (cgroup.controllers). */
#include <stdlib.h>
#include <string.h>

#include "check/internal.h"
#include "common/util.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
        char *w = s;
        for (char *r = s; *r; r++) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
                    r[3] >= '0' && r[3] <= '7') {
                        *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
                        r += 3;
                } else {
                        *w++ = *r;
                }
        }
        *w = '\0';
}

static struct kata_cgroup_controller *controller(struct kata_host_info *info, const char *name)
{
        for (size_t i = 0; i < info->controller_count; i++)
                if (strcmp(info->controllers[i].name, name) == 0)
                        return &info->controllers[i];
        if (info->controller_count == KATA_HOST_MAX_CONTROLLERS || strlen(name) >= 32)
                return NULL;
        struct kata_cgroup_controller *c = &info->controllers[info->controller_count++];
        memset(c, 0, sizeof(*c));
        snprintf(c->name, sizeof(c->name), "%s", name);
        return c;
}

static void read_proc_cgroups(const struct kata_host *host, struct kata_host_info *info)
{
        char *text;
        if (kata_read_file_at(host->root, "/proc/cgroups", 1 << 20, &text, NULL, NULL) < 0)
                return;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (line[0] == '#')
                        continue;
                char name[32];
                unsigned hierarchy, count, enabled;
                if (sscanf(line, "%31s %u %u %u", name, &hierarchy, &count, &enabled) != 4)
                        continue;
                struct kata_cgroup_controller *c = controller(info, name);
                if (c)
                        c->enabled = enabled != 0;
        }
        free(text);
}

static bool is_v1_controller_name(const char *opt)
{
        static const char *const names[] = {
            "cpu",   "cpuacct",    "cpuset",   "memory",  "devices", "freezer", "net_cls",
            "blkio", "perf_event", "net_prio", "hugetlb", "pids",    "rdma",    "misc"};
        for (size_t i = 0; i < KATA_ARRAY_SIZE(names); i++)
                if (strcmp(names[i], opt) == 0)
                        return true;
        return false;
}

/* Returns true when some controller is attached to this v1 mount. */
static bool attach_v1(struct kata_host_info *info, const char *mount, char *options)
{
        bool any = false;
        char *save = NULL;
        for (char *opt = strtok_r(options, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
                if (kata_str_startswith(opt, "name=")) {
                        if (strcmp(opt, "name=systemd") == 0)
                                info->systemd_hierarchy = true;
                        continue;
                }
                struct kata_cgroup_controller *c = NULL;
                for (size_t i = 0; i < info->controller_count && !c; i++)
                        if (strcmp(info->controllers[i].name, opt) == 0)
                                c = &info->controllers[i];
                /* Without /proc/cgroups, known controller names among the options. */
                if (!c && is_v1_controller_name(opt)) {
                        c = controller(info, opt);
                        if (c)
                                c->enabled = true;
                }
                if (c && c->version == 0) {
                        c->version = 1;
                        snprintf(c->mount, sizeof(c->mount), "%s", mount);
                        any = true;
                }
        }
        return any;
}

static void attach_v2(const struct kata_host *host, struct kata_host_info *info, const char *mount)
{
        char path[300];
        snprintf(path, sizeof(path), "%s/cgroup.controllers", mount);
        char *list;
        if (kata_read_file_at(host->root, path, 1 << 16, &list, NULL, NULL) < 0)
                return;
        char *save = NULL;
        for (char *n = strtok_r(list, " \t\n", &save); n; n = strtok_r(NULL, " \t\n", &save)) {
                struct kata_cgroup_controller *c = controller(info, n);
                /* A controller bound to a v1 hierarchy is not available in v2. */
                if (c && c->version == 0) {
                        c->enabled = true;
                        c->version = 2;
                        snprintf(c->mount, sizeof(c->mount), "%s", mount);
                }
        }
        free(list);
}

void kata_cgroups_detect(const struct kata_host *host, struct kata_host_info *info)
{
        info->controller_count = 0;
        info->cgroup2_mount[0] = '\0';
        read_proc_cgroups(host, info);

        char *text;
        if (kata_read_file_at(host->root, "/proc/self/mountinfo", 4u << 20, &text, NULL, NULL) <
            0) {
                info->cgroup_layout = KATA_CGROUP_NONE;
                return;
        }
        bool v1 = false;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                /* id parent major:minor root mount-point options [optional...] - type source
                 * super-options */
                char *sep = strstr(line, " - ");
                if (!sep)
                        continue;
                *sep = '\0';
                char *tail = sep + 3;
                char *fields[6] = {0};
                char *s2 = NULL;
                int n = 0;
                for (char *f = strtok_r(line, " ", &s2); f && n < 6; f = strtok_r(NULL, " ", &s2))
                        fields[n++] = f;
                if (n < 5)
                        continue;
                char *s3 = NULL;
                char *type = strtok_r(tail, " ", &s3);
                char *source = type ? strtok_r(NULL, " ", &s3) : NULL;
                char *super = source ? strtok_r(NULL, " ", &s3) : NULL;
                if (!type)
                        continue;
                char *mount = fields[4];
                unescape(mount);
                if (strcmp(type, "cgroup2") == 0) {
                        if (!info->cgroup2_mount[0])
                                snprintf(info->cgroup2_mount, sizeof(info->cgroup2_mount), "%s",
                                         mount);
                } else if (strcmp(type, "cgroup") == 0 && super) {
                        if (attach_v1(info, mount, super))
                                v1 = true;
                }
        }
        free(text);
        if (info->cgroup2_mount[0])
                attach_v2(host, info, info->cgroup2_mount);

        if (v1 && info->cgroup2_mount[0])
                info->cgroup_layout = KATA_CGROUP_HYBRID;
        else if (v1)
                info->cgroup_layout = KATA_CGROUP_V1;
        else if (info->cgroup2_mount[0])
                info->cgroup_layout = KATA_CGROUP_V2;
        else
                info->cgroup_layout = KATA_CGROUP_NONE;
}
