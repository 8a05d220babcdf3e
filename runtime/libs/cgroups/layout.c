/* What is mounted where: cgroup and cgroup2 mounts at or under the root, from
 * mountinfo, so that the agent (its own mounts) and tests (fake trees) work alike. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

/* v1 names; on v2 BLKIO is "io" and FREEZER/CPUACCT are core files. */
static const char *const controller_names[KATA_CGROUP_NR_CONTROLLERS] = {
    [KATA_CGROUP_CPU] = "cpu",         [KATA_CGROUP_CPUACCT] = "cpuacct",
    [KATA_CGROUP_CPUSET] = "cpuset",   [KATA_CGROUP_MEMORY] = "memory",
    [KATA_CGROUP_PIDS] = "pids",       [KATA_CGROUP_DEVICES] = "devices",
    [KATA_CGROUP_FREEZER] = "freezer", [KATA_CGROUP_BLKIO] = "blkio",
};

const char *kata_cgroup_controller_name(enum kata_cgroup_controller c)
{
        return (unsigned)c < KATA_CGROUP_NR_CONTROLLERS ? controller_names[c] : "?";
}

const char *kata_cgroup_mode_name(enum kata_cgroup_mode mode)
{
        switch (mode) {
        case KATA_CGROUP_MODE_V1:
                return "v1";
        case KATA_CGROUP_MODE_V2:
                return "v2";
        case KATA_CGROUP_MODE_HYBRID:
                return "hybrid";
        }
        return "?";
}

static int controller_by_name(const char *name, size_t n)
{
        for (int c = 0; c < KATA_CGROUP_NR_CONTROLLERS; c++)
                if (strlen(controller_names[c]) == n && memcmp(controller_names[c], name, n) == 0)
                        return c;
        return -1;
}

/* mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo. */
static void unescape_octal(char *s)
{
        char *w = s;
        for (char *r = s; *r;) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
                    r[3] >= '0' && r[3] <= '7') {
                        *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
                        r += 4;
                } else {
                        *w++ = *r++;
                }
        }
        *w = '\0';
}

static bool under_root(const char *mount, const char *root)
{
        size_t rl = strlen(root);
        if (strcmp(root, "/") == 0)
                return true;
        return strncmp(mount, root, rl) == 0 && (mount[rl] == '\0' || mount[rl] == '/');
}

/* Controllers that /proc/cgroups lists as disabled (mask of 1u << c). */
static unsigned disabled_controllers(const char *proc_cgroups)
{
        char *text = NULL;
        kata_error ignored = KATA_ERROR_INIT;
        if (kata_read_file(proc_cgroups, 0, &text, NULL, &ignored) < 0)
                return 0;
        unsigned mask = 0;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char name[64];
                unsigned hier, num, enabled;
                if (line[0] == '#' ||
                    sscanf(line, "%63s %u %u %u", name, &hier, &num, &enabled) != 4)
                        continue;
                int c = controller_by_name(name, strlen(name));
                if (c >= 0 && !enabled)
                        mask |= 1u << c;
        }
        free(text);
        return mask;
}

static int add_hierarchy(kata_cgroup_layout *l, const char *mount, bool v2, kata_error *err)
{
        for (size_t i = 0; i < l->nh; i++)
                if (strcmp(l->h[i].mount, mount) == 0)
                        return -EEXIST;
        if (l->nh == KATA_CGROUP_MAX_HIERARCHIES)
                return kata_error_set(err, E2BIG, "more than %d cgroup hierarchies under %s",
                                      KATA_CGROUP_MAX_HIERARCHIES, l->root);
        kata_cgroup_hierarchy *h = &l->h[l->nh];
        h->mount = strdup(mount);
        if (!h->mount)
                return kata_error_set(err, ENOMEM, "out of memory");
        h->v2 = v2;
        return (int)l->nh++;
}

static int add_v1_mount(kata_cgroup_layout *l, const char *mount, char *superopts,
                        unsigned disabled, kata_error *err)
{
        unsigned mask = 0;
        bool named = false;
        char *save = NULL;
        for (char *o = strtok_r(superopts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                if (kata_str_startswith(o, "name=")) {
                        named = true;
                        continue;
                }
                int c = controller_by_name(o, strlen(o));
                if (c >= 0 && !(disabled & (1u << c)) && l->ctrl_h[c] < 0)
                        mask |= 1u << c;
        }
        if (!mask && !named)
                return 0;
        int i = add_hierarchy(l, mount, false, err);
        if (i == -EEXIST)
                return 0;
        if (i < 0)
                return i;
        l->h[i].mask = mask;
        l->h[i].named = named && !mask;
        for (int c = 0; c < KATA_CGROUP_NR_CONTROLLERS; c++)
                if (mask & (1u << c))
                        l->ctrl_h[c] = i;
        return 0;
}

/* Controllers nobody serves on v1 go to cgroup2 when its root lists them. */
static int assign_v2_controllers(kata_cgroup_layout *l, unsigned disabled, kata_error *err)
{
        int u = l->unified_h;
        char *text = NULL;
        kata_error ignored = KATA_ERROR_INIT;
        char *path = kata_path_join(l->h[u].mount, "cgroup.controllers");
        if (!path)
                return kata_error_set(err, ENOMEM, "out of memory");
        if (kata_read_file(path, 0, &text, NULL, &ignored) < 0)
                text = strdup("");
        free(path);
        if (!text)
                return kata_error_set(err, ENOMEM, "out of memory");
        static const struct {
                enum kata_cgroup_controller c;
                const char *v2name; /* NULL: core files, always there */
        } map[] = {
            {KATA_CGROUP_CPU, "cpu"},       {KATA_CGROUP_CPUACCT, NULL},
            {KATA_CGROUP_CPUSET, "cpuset"}, {KATA_CGROUP_MEMORY, "memory"},
            {KATA_CGROUP_PIDS, "pids"},     {KATA_CGROUP_FREEZER, NULL},
            {KATA_CGROUP_BLKIO, "io"},
        };
        for (size_t k = 0; k < KATA_ARRAY_SIZE(map); k++) {
                enum kata_cgroup_controller c = map[k].c;
                if (l->ctrl_h[c] >= 0 || (disabled & (1u << c)))
                        continue;
                bool listed = !map[k].v2name;
                for (char *t = text; map[k].v2name && *t;) {
                        while (*t == ' ' || *t == '\n')
                                t++;
                        size_t n = strcspn(t, " \n");
                        if (n && n == strlen(map[k].v2name) && memcmp(t, map[k].v2name, n) == 0)
                                listed = true;
                        t += n;
                }
                if (listed) {
                        l->ctrl_h[c] = u;
                        l->h[u].mask |= 1u << c;
                }
        }
        free(text);
        return 0;
}

typedef struct mount_entry {
        char *point, *fstype, *super;
} mount_entry;

/* Splits mountinfo in place: "id parent maj:min root point opts [optional...] - fstype
 * source super". Malformed lines are skipped. Returns a malloc'd array (NULL when empty
 * or out of memory; *n tells which). */
static mount_entry *parse_mountinfo(char *text, size_t *n)
{
        size_t cap = 0, count = 0;
        mount_entry *v = NULL;
        for (char *p = text; *p; p++)
                cap += *p == '\n';
        cap++;
        *n = 0;
        v = calloc(cap, sizeof(*v));
        if (!v) {
                *n = 1;
                return NULL;
        }
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[5];
                char *lsave = NULL;
                char *tok = strtok_r(line, " ", &lsave);
                int nf = 0;
                for (; tok && nf < 5; tok = strtok_r(NULL, " ", &lsave))
                        f[nf++] = tok;
                if (nf < 5)
                        continue;
                char *fstype = NULL, *super = NULL;
                for (; tok; tok = strtok_r(NULL, " ", &lsave)) {
                        if (strcmp(tok, "-") == 0) {
                                fstype = strtok_r(NULL, " ", &lsave);
                                strtok_r(NULL, " ", &lsave); /* source */
                                super = strtok_r(NULL, " ", &lsave);
                                break;
                        }
                }
                if (!fstype || !super || count == cap)
                        continue;
                unescape_octal(f[4]);
                v[count++] = (mount_entry){f[4], fstype, super};
        }
        *n = count;
        if (!count) {
                free(v);
                return NULL;
        }
        return v;
}

/* A mount is hidden by any later mount on the same point or on one of its ancestors:
 * the agent mounts its own cgroups over the ones its mount namespace inherited. (A later
 * "/" is not taken as hiding everything: that is a pivot_root'ed root, listed first.) */
static bool shadowed(const mount_entry *m, size_t n, size_t k)
{
        for (size_t j = k + 1; j < n; j++)
                if (strcmp(m[j].point, "/") != 0 && under_root(m[k].point, m[j].point))
                        return true;
        return false;
}

int kata_cgroup_layout_detect(const kata_cgroup_layout_opts *opts, kata_cgroup_layout **out,
                              kata_error *err)
{
        const char *root = opts && opts->root ? opts->root : KATA_CGROUP_DEFAULT_ROOT;
        const char *mi = opts && opts->mountinfo ? opts->mountinfo : KATA_CGROUP_DEFAULT_MOUNTINFO;
        const char *pc = opts && opts->proc_cgroups ? opts->proc_cgroups : KATA_CGROUP_DEFAULT_PROC;
        *out = NULL;
        kata_cgroup_layout *l = calloc(1, sizeof(*l));
        if (!l)
                return kata_error_set(err, ENOMEM, "out of memory");
        l->unified_h = -1;
        for (int c = 0; c < KATA_CGROUP_NR_CONTROLLERS; c++)
                l->ctrl_h[c] = -1;
        l->root = strdup(root);
        if (!l->root) {
                free(l);
                return kata_error_set(err, ENOMEM, "out of memory");
        }
        size_t rl = strlen(l->root);
        while (rl > 1 && l->root[rl - 1] == '/')
                l->root[--rl] = '\0';

        unsigned disabled = disabled_controllers(pc);
        char *text = NULL;
        int r = kata_read_file(mi, 0, &text, NULL, err);
        if (r < 0)
                goto fail;
        size_t n = 0;
        mount_entry *m = parse_mountinfo(text, &n);
        if (!m && n) {
                r = kata_error_set(err, ENOMEM, "out of memory");
                goto fail;
        }
        for (size_t k = 0; k < n; k++) {
                if (!under_root(m[k].point, l->root) || shadowed(m, n, k))
                        continue;
                if (strcmp(m[k].fstype, "cgroup2") == 0) {
                        if (l->unified_h >= 0)
                                continue;
                        int i = add_hierarchy(l, m[k].point, true, err);
                        if (i == -EEXIST)
                                continue;
                        if (i < 0) {
                                r = i;
                                break;
                        }
                        l->unified_h = i;
                } else if (strcmp(m[k].fstype, "cgroup") == 0) {
                        r = add_v1_mount(l, m[k].point, m[k].super, disabled, err);
                        if (r < 0)
                                break;
                }
        }
        free(m);
        if (r < 0)
                goto fail;
        free(text);
        text = NULL;

        bool any_v1 = false;
        for (size_t i = 0; i < l->nh; i++)
                any_v1 |= !l->h[i].v2;
        if (l->unified_h < 0 && !any_v1) {
                r = kata_error_set(err, ENOENT,
                                   "no cgroup or cgroup2 mount at or under %s (read %s)", l->root,
                                   mi);
                goto fail;
        }
        if (l->unified_h >= 0) {
                bool at_root = strcmp(l->h[l->unified_h].mount, l->root) == 0;
                l->mode = at_root || !any_v1 ? KATA_CGROUP_MODE_V2 : KATA_CGROUP_MODE_HYBRID;
                r = assign_v2_controllers(l, disabled, err);
                if (r < 0)
                        goto fail;
        } else {
                l->mode = KATA_CGROUP_MODE_V1;
        }
        kata_log_debug("cgroups: %s layout under %s (%zu hierarchies)",
                       kata_cgroup_mode_name(l->mode), l->root, l->nh);
        *out = l;
        return 0;
fail:
        free(text);
        kata_cgroup_layout_free(l);
        return kata_error_prefix(err, "detecting cgroup layout under %s", root);
}

void kata_cgroup_layout_free(kata_cgroup_layout *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->nh; i++)
                free(l->h[i].mount);
        free(l->root);
        free(l);
}

enum kata_cgroup_mode kata_cgroup_layout_mode(const kata_cgroup_layout *l)
{
        return l->mode;
}

const char *kata_cgroup_layout_root(const kata_cgroup_layout *l)
{
        return l->root;
}

const char *kata_cgroup_layout_mount(const kata_cgroup_layout *l, enum kata_cgroup_controller c)
{
        if ((unsigned)c >= KATA_CGROUP_NR_CONTROLLERS || l->ctrl_h[c] < 0)
                return NULL;
        return l->h[l->ctrl_h[c]].mount;
}

bool kata_cgroup_layout_on_v2(const kata_cgroup_layout *l, enum kata_cgroup_controller c)
{
        if ((unsigned)c >= KATA_CGROUP_NR_CONTROLLERS || l->ctrl_h[c] < 0)
                return false;
        return l->h[l->ctrl_h[c]].v2;
}

const char *kata_cgroup_layout_unified(const kata_cgroup_layout *l)
{
        return l->unified_h >= 0 ? l->h[l->unified_h].mount : NULL;
}
