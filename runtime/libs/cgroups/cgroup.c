/* One cgroup across hierarchies: create, open, add a process, list, delete. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

void cg_sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
        }
}

bool cg_has(const kata_cgroup *cg, enum kata_cgroup_controller c)
{
        return cg->layout->ctrl_h[c] >= 0 && cg->dir[cg->layout->ctrl_h[c]];
}

bool cg_on_v2(const kata_cgroup *cg, enum kata_cgroup_controller c)
{
        return kata_cgroup_layout_on_v2(cg->layout, c);
}

int cg_file(const kata_cgroup *cg, enum kata_cgroup_controller c, const char *file, char *buf,
            size_t size, kata_error *err)
{
        if (!cg_has(cg, c))
                return kata_error_set(err, ENOENT, "cgroup controller %s is not available",
                                      kata_cgroup_controller_name(c));
        int n = snprintf(buf, size, "%s/%s", cg->dir[cg->layout->ctrl_h[c]], file);
        if (n < 0 || (size_t)n >= size)
                return kata_error_set(err, ENAMETOOLONG, "cgroup file path too long");
        return 0;
}

bool cg_file_exists(const kata_cgroup *cg, enum kata_cgroup_controller c, const char *file)
{
        char p[PATH_MAX];
        return cg_file(cg, c, file, p, sizeof(p), NULL) == 0 && access(p, F_OK) == 0;
}

int cg_read(const kata_cgroup *cg, enum kata_cgroup_controller c, const char *file, char **out,
            kata_error *err)
{
        char p[PATH_MAX];
        int r = cg_file(cg, c, file, p, sizeof(p), err);
        if (r < 0)
                return r;
        return kata_read_file(p, 1u << 20, out, NULL, err);
}

int cg_write(const kata_cgroup *cg, enum kata_cgroup_controller c, const char *file,
             const char *value, kata_error *err)
{
        char p[PATH_MAX];
        int r = cg_file(cg, c, file, p, sizeof(p), err);
        if (r < 0)
                return r;
        kata_log_debug("cgroups: %s <- %s", p, value);
        return kata_write_string(p, value, err);
}

static int parse_number(const char *s, uint64_t *out)
{
        while (isspace((unsigned char)*s))
                s++;
        if (strncmp(s, "max", 3) == 0 && (s[3] == '\0' || isspace((unsigned char)s[3]))) {
                *out = KATA_CGROUP_UNLIMITED;
                return 0;
        }
        if (strncmp(s, "-1", 2) == 0 && (s[2] == '\0' || isspace((unsigned char)s[2]))) {
                *out = KATA_CGROUP_UNLIMITED;
                return 0;
        }
        return kata_parse_u64(s, out);
}

int cg_read_u64(const kata_cgroup *cg, enum kata_cgroup_controller c, const char *file,
                uint64_t *out, kata_error *err)
{
        char *text = NULL;
        int r = cg_read(cg, c, file, &text, err);
        if (r < 0)
                return r;
        r = parse_number(text, out);
        if (r < 0) {
                char p[PATH_MAX];
                cg_file(cg, c, file, p, sizeof(p), NULL);
                r = kata_error_set(err, EINVAL, "%s holds '%.32s', not a number", p, text);
        }
        free(text);
        return r;
}

int cg_parse_key(const char *text, const char *key, uint64_t *out)
{
        size_t kl = strlen(key);
        for (const char *line = text; line && *line;) {
                if (strncmp(line, key, kl) == 0 && (line[kl] == ' ' || line[kl] == '\t')) {
                        char num[32];
                        size_t n = strcspn(line + kl + 1, "\n");
                        if (n >= sizeof(num))
                                return -EINVAL;
                        memcpy(num, line + kl + 1, n);
                        num[n] = '\0';
                        return parse_number(num, out) < 0 ? -EINVAL : 0;
                }
                line = strchr(line, '\n');
                if (line)
                        line++;
        }
        return -ENOENT;
}

/* Re-validates a mapped path: it must map to itself. */
static int check_rel_path(const char *rel, kata_error *err)
{
        char mapped[KATA_CGROUP_PATH_MAX];
        if (!rel || rel[0] != '/')
                return kata_error_set(err, EINVAL, "cgroup path '%s' is not a mapped path (/...)",
                                      rel ? rel : "(null)");
        int r = kata_cgroup_path_map(rel, NULL, mapped, sizeof(mapped), err);
        if (r < 0)
                return r;
        if (strcmp(mapped, rel) != 0)
                return kata_error_set(err, EINVAL, "cgroup path '%s' is not normalized ('%s')", rel,
                                      mapped);
        return 0;
}

static int cgroup_new(const kata_cgroup_layout *layout, const char *rel, kata_cgroup **out,
                      kata_error *err)
{
        *out = NULL;
        int r = check_rel_path(rel, err);
        if (r < 0)
                return r;
        kata_cgroup *cg = calloc(1, sizeof(*cg));
        if (!cg)
                return kata_error_set(err, ENOMEM, "out of memory");
        cg->layout = layout;
        snprintf(cg->rel, sizeof(cg->rel), "%s", rel);
        for (size_t i = 0; i < layout->nh; i++) {
                cg->dir[i] = kata_path_join(layout->h[i].mount, rel);
                if (!cg->dir[i]) {
                        kata_cgroup_free(cg);
                        return kata_error_set(err, ENOMEM, "out of memory");
                }
        }
        *out = cg;
        return 0;
}

void kata_cgroup_free(kata_cgroup *cg)
{
        if (!cg)
                return;
        for (size_t i = 0; i < KATA_CGROUP_MAX_HIERARCHIES; i++)
                free(cg->dir[i]);
        free(cg);
}

const char *kata_cgroup_path(const kata_cgroup *cg)
{
        return cg->rel;
}

const char *kata_cgroup_dir(const kata_cgroup *cg, enum kata_cgroup_controller c)
{
        if ((unsigned)c >= KATA_CGROUP_NR_CONTROLLERS || !cg_has(cg, c))
                return NULL;
        return cg->dir[cg->layout->ctrl_h[c]];
}

static int read_trimmed(const char *dir, const char *file, char **out, kata_error *err)
{
        int r = kata_read_line_at(dir, file, out, err);
        return r;
}

/* A new v1 cpuset cgroup starts with empty cpus and mems, and no task can join it until
 * they are set: inherit the parent's. */
static int cpuset_inherit(const char *parent, const char *dir, kata_error *err)
{
        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
        for (size_t k = 0; k < KATA_ARRAY_SIZE(files); k++) {
                char *mine = NULL, *theirs = NULL;
                int r = read_trimmed(dir, files[k], &mine, err);
                if (r < 0)
                        return r;
                bool empty = mine[0] == '\0';
                free(mine);
                if (!empty)
                        continue;
                r = read_trimmed(parent, files[k], &theirs, err);
                if (r < 0)
                        return r;
                char *path = kata_path_join(dir, files[k]);
                r = path ? kata_write_string(path, theirs, err)
                         : kata_error_set(err, ENOMEM, "out of memory");
                free(path);
                free(theirs);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* v2: a child only gets the files of controllers its parent enables for its subtree. */
static int enable_subtree(const char *parent, unsigned mask, kata_error *err)
{
        static const struct {
                enum kata_cgroup_controller c;
                const char *name;
        } v2[] = {{KATA_CGROUP_CPU, "cpu"},
                  {KATA_CGROUP_CPUSET, "cpuset"},
                  {KATA_CGROUP_MEMORY, "memory"},
                  {KATA_CGROUP_PIDS, "pids"},
                  {KATA_CGROUP_BLKIO, "io"}};
        char *enabled = NULL;
        int r = kata_read_line_at(parent, "cgroup.subtree_control", &enabled, err);
        if (r < 0)
                return r;
        char want[128] = "";
        size_t wl = 0;
        for (size_t k = 0; k < KATA_ARRAY_SIZE(v2); k++) {
                if (!(mask & (1u << v2[k].c)))
                        continue;
                bool on = false;
                for (char *t = enabled; *t;) {
                        size_t n = strcspn(t, " ");
                        if (n == strlen(v2[k].name) && memcmp(t, v2[k].name, n) == 0)
                                on = true;
                        t += n;
                        t += strspn(t, " ");
                }
                if (!on)
                        wl += (size_t)snprintf(want + wl, sizeof(want) - wl, "%s+%s", wl ? " " : "",
                                               v2[k].name);
        }
        free(enabled);
        if (wl == 0)
                return 0;
        char *path = kata_path_join(parent, "cgroup.subtree_control");
        if (!path)
                return kata_error_set(err, ENOMEM, "out of memory");
        kata_log_debug("cgroups: %s <- %s", path, want);
        r = kata_write_string(path, want, err);
        free(path);
        return r;
}

static int create_in(kata_cgroup *cg, size_t i, kata_error *err)
{
        const kata_cgroup_hierarchy *h = &cg->layout->h[i];
        char cur[PATH_MAX], parent[PATH_MAX];
        snprintf(cur, sizeof(cur), "%s", h->mount);
        int depth = 0;
        for (const char *p = cg->rel; *p;) {
                p += strspn(p, "/");
                size_t n = strcspn(p, "/");
                if (n == 0)
                        break;
                depth++;
                snprintf(parent, sizeof(parent), "%s", cur);
                size_t cl = strlen(cur);
                if (cl + 1 + n >= sizeof(cur))
                        return kata_error_set(err, ENAMETOOLONG, "cgroup directory too long");
                snprintf(cur + cl, sizeof(cur) - cl, "/%.*s", (int)n, p);
                p += n;
                int r;
                if (h->v2 && h->mask) {
                        r = enable_subtree(parent, h->mask, err);
                        if (r < 0)
                                return r;
                }
                if (mkdir(cur, 0755) == 0) {
                        if (!cg->created_depth[i])
                                cg->created_depth[i] = depth;
                } else if (errno != EEXIST) {
                        return kata_error_errno(err, errno, "cannot create cgroup %s", cur);
                }
                if (!h->v2 && (h->mask & (1u << KATA_CGROUP_CPUSET))) {
                        r = cpuset_inherit(parent, cur, err);
                        if (r < 0)
                                return r;
                }
        }
        /* v1 memory accounting per subtree; the file is gone on v2, and refused once a
         * cgroup has children, so this is best effort. */
        if (!h->v2 && (h->mask & (1u << KATA_CGROUP_MEMORY)) && cg->created_depth[i]) {
                kata_error ignored = KATA_ERROR_INIT;
                char *path = kata_path_join(cur, "memory.use_hierarchy");
                if (path && kata_write_string(path, "1", &ignored) < 0)
                        kata_log_debug("cgroups: %s", ignored.msg);
                free(path);
        }
        return 0;
}

/* Undoes a failed create: only the directories this handle made, deepest first; what
 * existed before stays. */
static void remove_created(kata_cgroup *cg)
{
        int depth = 0;
        for (const char *p = cg->rel; *p; p++)
                depth += *p == '/';
        for (size_t i = 0; i < cg->layout->nh; i++) {
                if (!cg->created_depth[i])
                        continue;
                char dir[PATH_MAX];
                snprintf(dir, sizeof(dir), "%s", cg->dir[i]);
                for (int d = depth; d >= cg->created_depth[i]; d--) {
                        if (rmdir(dir) < 0 && errno != ENOENT)
                                break;
                        char *slash = strrchr(dir, '/');
                        if (!slash)
                                break;
                        *slash = '\0';
                }
        }
}

int kata_cgroup_create(const kata_cgroup_layout *layout, const char *rel_path, kata_cgroup **out,
                       kata_error *err)
{
        kata_cgroup *cg;
        int r = cgroup_new(layout, rel_path, &cg, err);
        if (r < 0)
                return kata_error_prefix(err, "creating cgroup");
        for (size_t i = 0; i < layout->nh; i++) {
                r = create_in(cg, i, err);
                if (r < 0) {
                        remove_created(cg);
                        kata_cgroup_free(cg);
                        return kata_error_prefix(err, "creating cgroup %s", rel_path);
                }
        }
        *out = cg;
        return 0;
}

int kata_cgroup_open(const kata_cgroup_layout *layout, const char *rel_path, kata_cgroup **out,
                     kata_error *err)
{
        kata_cgroup *cg;
        int r = cgroup_new(layout, rel_path, &cg, err);
        if (r < 0)
                return kata_error_prefix(err, "opening cgroup");
        bool any = false;
        for (size_t i = 0; i < layout->nh; i++) {
                struct stat st;
                any |= stat(cg->dir[i], &st) == 0 && S_ISDIR(st.st_mode);
        }
        if (!any) {
                kata_cgroup_free(cg);
                return kata_error_set(err, ENOENT, "cgroup %s does not exist under %s", rel_path,
                                      layout->root);
        }
        *out = cg;
        return 0;
}

int kata_cgroup_add_pid(kata_cgroup *cg, pid_t pid, kata_error *err)
{
        char value[32];
        snprintf(value, sizeof(value), "%d", (int)pid);
        for (size_t i = 0; i < cg->layout->nh; i++) {
                char *path = kata_path_join(cg->dir[i], "cgroup.procs");
                if (!path)
                        return kata_error_set(err, ENOMEM, "out of memory");
                int r = kata_write_string(path, value, err);
                free(path);
                if (r < 0)
                        return kata_error_prefix(err, "moving pid %d into cgroup %s", (int)pid,
                                                 cg->rel);
        }
        return 0;
}

/* The hierarchy whose cgroup.procs is read for membership. */
static int membership_hierarchy(const kata_cgroup *cg)
{
        static const enum kata_cgroup_controller pref[] = {KATA_CGROUP_PIDS, KATA_CGROUP_FREEZER,
                                                           KATA_CGROUP_MEMORY, KATA_CGROUP_CPU};
        for (size_t k = 0; k < KATA_ARRAY_SIZE(pref); k++)
                if (cg->layout->ctrl_h[pref[k]] >= 0)
                        return cg->layout->ctrl_h[pref[k]];
        return cg->layout->nh ? 0 : -1;
}

int kata_cgroup_pids(const kata_cgroup *cg, pid_t **pids, size_t *count, kata_error *err)
{
        *pids = NULL;
        *count = 0;
        int h = membership_hierarchy(cg);
        if (h < 0)
                return kata_error_set(err, ENOENT, "no cgroup hierarchy");
        char *text = NULL;
        int r = kata_read_file_at(cg->dir[h], "cgroup.procs", 0, &text, NULL, err);
        if (r < 0)
                return r;
        size_t cap = 0, n = 0;
        pid_t *v = NULL;
        char *save = NULL;
        for (char *t = strtok_r(text, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
                uint64_t pid;
                if (kata_parse_u64(t, &pid) < 0 || pid == 0 || pid > INT32_MAX) {
                        r = kata_error_set(err, EINVAL, "%s/cgroup.procs has a bad line '%.32s'",
                                           cg->dir[h], t);
                        break;
                }
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        pid_t *nv = realloc(v, cap * sizeof(*v));
                        if (!nv) {
                                r = kata_error_set(err, ENOMEM, "out of memory");
                                break;
                        }
                        v = nv;
                }
                v[n++] = (pid_t)pid;
        }
        free(text);
        if (r < 0) {
                free(v);
                return r;
        }
        *pids = v;
        *count = n;
        return 0;
}

static int rmdir_retry(const char *dir, int timeout_ms, kata_error *err)
{
        uint64_t deadline =
            kata_now_monotonic_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000ull;
        for (;;) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY || kata_now_monotonic_ns() >= deadline)
                        return kata_error_errno(err, errno, "cannot remove cgroup %s", dir);
                cg_sleep_ms(10);
        }
}

int kata_cgroup_delete(kata_cgroup *cg, int timeout_ms, kata_error *err)
{
        int first = 0;
        for (size_t i = 0; i < cg->layout->nh; i++) {
                char dir[PATH_MAX];
                snprintf(dir, sizeof(dir), "%s", cg->dir[i]);
                int r = rmdir_retry(dir, timeout_ms, err);
                if (r < 0) {
                        if (!first)
                                first = r;
                        continue;
                }
                /* Parents this handle created, up to the shallowest one; a parent that
                 * still has other children belongs to someone else now. */
                int depth = 0;
                for (const char *p = cg->rel; *p; p++)
                        depth += *p == '/';
                while (cg->created_depth[i] && depth > cg->created_depth[i]) {
                        char *slash = strrchr(dir, '/');
                        if (!slash)
                                break;
                        *slash = '\0';
                        depth--;
                        if (rmdir(dir) < 0) {
                                if (errno != ENOENT)
                                        break;
                        }
                }
        }
        if (first < 0)
                return kata_error_prefix(err, "deleting cgroup %s", cg->rel);
        return 0;
}
