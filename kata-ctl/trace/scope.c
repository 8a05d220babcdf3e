/* Scope of a trace: which cgroups are in it (seeded into the BPF tracker map), which
 * hierarchy tasks' cgroups are read in, and how to name a cgroup and its container. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/magic.h>

#include "cgroups/cgroups.h"
#include "common/log.h"
#include "common/util.h"
#include "internal.h"

#define PROC_CGROUPS       "/proc/cgroups"
#define FILEID_KERNFS      0xfe
#define STATE_RELOAD_EVERY 200000000ull /* ns between re-reads for unknown containers */

static const struct {
        const char *name;
        enum trace_subsys subsys;
} subsys_names[] = {
    {"memory", TRACE_SUBSYS_MEMORY},   {"pids", TRACE_SUBSYS_PIDS},
    {"cpu", TRACE_SUBSYS_CPU},         {"cpuacct", TRACE_SUBSYS_CPUACCT},
    {"cpuset", TRACE_SUBSYS_CPUSET},   {"devices", TRACE_SUBSYS_DEVICES},
    {"freezer", TRACE_SUBSYS_FREEZER}, {"blkio", TRACE_SUBSYS_BLKIO},
};

enum trace_subsys trace_subsys_from_name(const char *name)
{
        for (size_t i = 0; i < KATA_ARRAY_SIZE(subsys_names); i++)
                if (strcmp(subsys_names[i].name, name) == 0)
                        return subsys_names[i].subsys;
        return TRACE_SUBSYS_V2;
}

int trace_controller_hierarchy(const char *proc_cgroups, const char *controller, uint32_t *out)
{
        char *text = NULL;
        kata_error e = KATA_ERROR_INIT;
        int rc = kata_read_file(proc_cgroups, 0, &text, NULL, &e);
        if (rc < 0)
                return rc;
        rc = -ENOENT;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char name[64];
                unsigned hier, num, enabled;
                if (line[0] == '#' ||
                    sscanf(line, "%63s %u %u %u", name, &hier, &num, &enabled) != 4)
                        continue;
                if (strcmp(name, controller) == 0 && enabled && hier != 0) {
                        *out = hier;
                        rc = 0;
                }
        }
        free(text);
        return rc;
}

static int add_hierarchy(trace_scope *scope, uint32_t id, const char *controller, const char *mount,
                         const char *dir, kata_error *err)
{
        trace_hierarchy *n = realloc(scope->hier, (scope->nhier + 1) * sizeof(*n));
        if (!n)
                return kata_error_errno(err, ENOMEM, "scope");
        scope->hier = n;
        trace_hierarchy *h = &n[scope->nhier++];
        memset(h, 0, sizeof(*h));
        h->id = id;
        snprintf(h->controller, sizeof(h->controller), "%s", controller);
        snprintf(h->mount, sizeof(h->mount), "%s", mount ? mount : "");
        snprintf(h->scope_dir, sizeof(h->scope_dir), "%s", dir ? dir : "");
        return 0;
}

static const char *const v1_controllers[] = {"memory", "pids",    "cpu",     "cpuacct",
                                             "cpuset", "devices", "freezer", "blkio"};

/* Calls fn for every cgroup and cgroup2 mount in /proc/self/mountinfo with its mount
 * point and, for v1, the first controller this tool reads that the mount serves ("" for
 * a v1 hierarchy without one, "unified" for cgroup2). Stops when fn returns nonzero. */
static int for_each_cgroup_mount(int (*fn)(const char *mnt, const char *controller, void *ctx),
                                 void *ctx, kata_error *err)
{
        char *text = NULL;
        int rc = kata_read_file("/proc/self/mountinfo", 0, &text, NULL, err);
        if (rc < 0)
                return rc;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char mnt[4096], fstype[64], opts[1024];
                const char *sep = strstr(line, " - ");
                if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
                    sscanf(sep + 3, "%63s %*s %1023s", fstype, opts) != 2)
                        continue;
                const char *controller = NULL;
                if (strcmp(fstype, "cgroup2") == 0) {
                        controller = "unified";
                } else if (strcmp(fstype, "cgroup") == 0) {
                        controller = "";
                        for (size_t i = 0; i < KATA_ARRAY_SIZE(v1_controllers) && !controller[0];
                             i++) {
                                char *o = opts, *tok, *osave = NULL;
                                char copy[1024];
                                snprintf(copy, sizeof(copy), "%s", opts);
                                o = copy;
                                for (tok = strtok_r(o, ",", &osave); tok;
                                     tok = strtok_r(NULL, ",", &osave))
                                        if (strcmp(tok, v1_controllers[i]) == 0)
                                                controller = v1_controllers[i];
                        }
                }
                if (controller && fn(mnt, controller, ctx) != 0)
                        break;
        }
        free(text);
        return 0;
}

struct mount_query {
        const char *dir;
        char mount[4096];
        char controller[64];
        size_t best;
};

static int match_mount(const char *mnt, const char *controller, void *ctx)
{
        struct mount_query *q = ctx;
        size_t n = strlen(mnt);
        if (strncmp(q->dir, mnt, n) == 0 && (q->dir[n] == '/' || q->dir[n] == 0) && n > q->best) {
                q->best = n;
                snprintf(q->mount, sizeof(q->mount), "%s", mnt);
                snprintf(q->controller, sizeof(q->controller), "%s", controller);
        }
        return 0;
}

/* The mount point of the hierarchy holding dir (the longest cgroup mount that is a
 * prefix) and its controller as for_each_cgroup_mount names it. */
static int mount_of(const char *dir, char *out, size_t size, char *controller, size_t csize,
                    kata_error *err)
{
        struct mount_query q = {.dir = dir};
        int rc = for_each_cgroup_mount(match_mount, &q, err);
        if (rc < 0)
                return rc;
        if (!q.best)
                return kata_error_set(err, ENOENT, "%s is not in a mounted cgroup hierarchy", dir);
        snprintf(out, size, "%s", q.mount);
        if (controller)
                snprintf(controller, csize, "%s", q.controller);
        return 0;
}

static int add_mount_hierarchy(const char *mnt, const char *controller, void *ctx)
{
        trace_scope *scope = ctx;
        uint32_t hier = 0;
        kata_error e = KATA_ERROR_INIT;
        if (!controller[0])
                return 0;
        if (strcmp(controller, "unified") != 0 &&
            trace_controller_hierarchy(PROC_CGROUPS, controller, &hier) < 0)
                return 0;
        if (trace_scope_mount(scope, hier))
                return 0;
        add_hierarchy(scope, hier, controller, mnt, NULL, &e);
        return 0;
}

static int scope_cgroup_path(trace_scope *scope, const char *path, const char *want,
                             kata_error *err)
{
        char real[PATH_MAX];
        if (!realpath(path, real))
                return kata_error_errno(err, errno, "cgroup %s", path);
        struct statfs sfs;
        if (statfs(real, &sfs) != 0)
                return kata_error_errno(err, errno, "cgroup %s", real);
        if (sfs.f_type != CGROUP2_SUPER_MAGIC && sfs.f_type != CGROUP_SUPER_MAGIC)
                return kata_error_set(err, EINVAL, "%s is not a cgroup directory", real);
        char mount[4096], controller[64];
        int rc = mount_of(real, mount, sizeof(mount), controller, sizeof(controller), err);
        if (rc < 0)
                return rc;
        snprintf(scope->description, sizeof(scope->description), "cgroup %s", real);
        if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
                scope->subsys = TRACE_SUBSYS_V2;
                scope->hierarchy = 0;
                return add_hierarchy(scope, 0, "unified", mount, real, err);
        }
        if (want && strcmp(want, controller) != 0)
                return kata_error_set(err, EINVAL, "%s is not in the hierarchy of controller %s",
                                      real, want);
        uint32_t hier;
        if (!controller[0] || trace_controller_hierarchy(PROC_CGROUPS, controller, &hier) < 0)
                return kata_error_set(err, ENOTSUP,
                                      "%s is a cgroup v1 hierarchy without a controller this "
                                      "tool reads (memory, pids, cpu, cpuacct, cpuset, devices, "
                                      "freezer, blkio)",
                                      mount);
        scope->subsys = trace_subsys_from_name(controller);
        scope->hierarchy = hier;
        return add_hierarchy(scope, hier, controller, mount, real, err);
}

/* Number of pid namespaces below the host's that pid lives in (NSpid fields - 1). */
static uint32_t pidns_level_of(int64_t pid)
{
        char path[64], *text = NULL;
        kata_error e = KATA_ERROR_INIT;
        snprintf(path, sizeof(path), "/proc/%lld/status", (long long)pid);
        if (kata_read_file(path, 0, &text, NULL, &e) < 0)
                return 0;
        uint32_t level = 0;
        char *line = strstr(text, "\nNSpid:");
        if (line) {
                line += 7;
                char *end = strchr(line, '\n');
                if (end)
                        *end = 0;
                for (char *save = NULL, *tok = strtok_r(line, " \t", &save); tok;
                     tok = strtok_r(NULL, " \t", &save))
                        level++;
                level = level ? level - 1 : 0;
        }
        free(text);
        return level;
}

/* Host directory of container c in hierarchy h of the sandbox, "" when unknown. */
static void container_dir(const kata_container_state *c, const char *sandbox_dir, char *out,
                          size_t size)
{
        char rel[KATA_CGROUP_PATH_MAX];
        kata_error e = KATA_ERROR_INIT;
        out[0] = 0;
        if (kata_cgroup_path_map(c->cgroup_path, c->id, rel, sizeof(rel), &e) == 0)
                snprintf(out, size, "%s%s", sandbox_dir, rel);
}

static int scope_sandbox(trace_scope *scope, const kata_trace_opts *opts, const char *sid,
                         bool prefer_memory, FILE *notes, kata_error *err)
{
        int rc = kata_state_load(opts->state_root, sid, &scope->st, err);
        if (rc < 0)
                return rc;
        scope->has_state = true;
        kata_sandbox_state *st = &scope->st;
        if (st->ncgroups == 0)
                return kata_error_set(err, ENOENT, "sandbox %s has no cgroups in its state", sid);
        if (strcmp(st->hypervisor, "local") != 0)
                fprintf(notes,
                        "%s: sandbox %s runs in a VM (%s): the host sees only the VMM's "
                        "processes, not the containers'\n",
                        TRACE_PROG, sid, st->hypervisor);
        else if (st->agent_pid > 0)
                scope->pidns_level = pidns_level_of(st->agent_pid);

        /* The scope hierarchy first: the chosen controller's, else memory, pids, any. */
        const char *pick = NULL;
        const char *prefs[] = {opts->controller, prefer_memory ? "memory" : "pids",
                               prefer_memory ? "pids" : "memory"};
        for (size_t i = 0; i < KATA_ARRAY_SIZE(prefs) && !pick; i++)
                if (prefs[i] && kata_sandbox_state_cgroup(st, prefs[i]))
                        pick = prefs[i];
        if (opts->controller && !pick)
                return kata_error_set(err, ENOENT, "sandbox %s has no %s cgroup", sid,
                                      opts->controller);
        for (size_t i = 0; i < st->ncgroups && !pick; i++)
                if (strcmp(st->cgroups[i].controller, "unified") == 0 ||
                    trace_subsys_from_name(st->cgroups[i].controller) != TRACE_SUBSYS_V2)
                        pick = st->cgroups[i].controller;
        if (!pick)
                return kata_error_set(err, ENOTSUP, "sandbox %s has no cgroup this tool reads",
                                      sid);

        for (int pass = 0; pass < 2; pass++) {
                for (size_t i = 0; i < st->ncgroups; i++) {
                        const kata_state_cgroup *cg = &st->cgroups[i];
                        bool is_pick = strcmp(cg->controller, pick) == 0;
                        if ((pass == 0) != is_pick)
                                continue;
                        uint32_t hier = 0;
                        bool v2 = strcmp(cg->controller, "unified") == 0;
                        if (!v2 &&
                            trace_controller_hierarchy(PROC_CGROUPS, cg->controller, &hier) < 0) {
                                if (is_pick)
                                        return kata_error_set(err, ENOENT,
                                                              "controller %s of sandbox %s is not "
                                                              "mounted as cgroup v1 here",
                                                              cg->controller, sid);
                                continue;
                        }
                        char mount[4096];
                        kata_error e = KATA_ERROR_INIT;
                        if (mount_of(cg->path, mount, sizeof(mount), NULL, 0, &e) < 0) {
                                if (!is_pick)
                                        continue;
                                if (err)
                                        *err = e;
                                return kata_error_prefix(err, "sandbox %s", sid);
                        }
                        const char *dir = cg->path;
                        char cdir[8192];
                        if (scope->only_container[0]) {
                                kata_container_state *c =
                                    kata_sandbox_state_find_container(st, scope->only_container);
                                container_dir(c, cg->path, cdir, sizeof(cdir));
                                if (!cdir[0])
                                        continue;
                                dir = cdir;
                        }
                        if (is_pick) {
                                scope->subsys =
                                    v2 ? TRACE_SUBSYS_V2 : trace_subsys_from_name(cg->controller);
                                scope->hierarchy = hier;
                        }
                        rc = add_hierarchy(scope, hier, cg->controller, mount, dir, err);
                        if (rc < 0)
                                return rc;
                }
        }
        if (scope->nhier == 0)
                return kata_error_set(err, ENOENT, "container %s has no cgroup path in the state",
                                      scope->only_container);
        return 0;
}

static int resolve(const kata_trace_opts *opts, bool prefer_memory, FILE *notes, trace_scope *scope,
                   kata_error *err)
{
        int rc;
        if (opts->all) {
                scope->all = true;
                snprintf(scope->description, sizeof(scope->description), "the whole host");
                const char *ctl =
                    opts->controller ? opts->controller : (prefer_memory ? "memory" : "pids");
                uint32_t hier = 0;
                if (trace_controller_hierarchy(PROC_CGROUPS, ctl, &hier) == 0) {
                        scope->subsys = trace_subsys_from_name(ctl);
                        scope->hierarchy = hier;
                } else if (opts->controller) {
                        return kata_error_set(err, ENOENT,
                                              "controller %s is not mounted as cgroup v1", ctl);
                }
                /* No seeds: the hierarchies are listed only to name cgroups by id. */
                return for_each_cgroup_mount(add_mount_hierarchy, scope, err);
        }
        if (opts->cgroup)
                return scope_cgroup_path(scope, opts->cgroup, opts->controller, err);

        char sid[KATA_STATE_ID_MAX + 1];
        if (opts->container) {
                if (!kata_id_is_valid(opts->container))
                        return kata_error_set(err, EINVAL, "invalid container id '%s'",
                                              opts->container);
                rc = kata_state_find_sandbox(opts->state_root, opts->container, sid, err);
                if (rc < 0)
                        return rc;
                snprintf(scope->only_container, sizeof(scope->only_container), "%s",
                         opts->container);
                snprintf(scope->description, sizeof(scope->description),
                         "container %s of sandbox %s", opts->container, sid);
        } else {
                if (!opts->sandbox || !kata_id_is_valid(opts->sandbox))
                        return kata_error_set(err, EINVAL, "invalid sandbox id '%s'",
                                              opts->sandbox ? opts->sandbox : "");
                snprintf(sid, sizeof(sid), "%s", opts->sandbox);
                snprintf(scope->description, sizeof(scope->description), "sandbox %s", sid);
        }
        return scope_sandbox(scope, opts, sid, prefer_memory, notes, err);
}

int trace_scope_resolve(const kata_trace_opts *opts, bool prefer_memory, FILE *notes,
                        trace_scope *scope, kata_error *err)
{
        memset(scope, 0, sizeof(*scope));
        scope->state_root = opts->state_root;
        int rc = resolve(opts, prefer_memory, notes, scope, err);
        if (rc < 0)
                trace_scope_free(scope);
        return rc;
}

/* nftw passes no context: the walk's target, one walk at a time. */
static int seed_fd = -1;
static uint32_t seed_hier;
static int seed_errors;

static int seed_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
        if (type != FTW_D)
                return 0;
        struct trace_cgroup_key key = {.hierarchy = seed_hier, .id = sb->st_ino};
        uint8_t one = 1;
        if (bpf_map_update_elem(seed_fd, &key, &one, BPF_ANY) != 0)
                seed_errors++;
        return 0;
}

int trace_scope_seed(const trace_scope *scope, int tracker_fd, kata_error *err)
{
        if (scope->all)
                return 0;
        for (size_t i = 0; i < scope->nhier; i++) {
                const trace_hierarchy *h = &scope->hier[i];
                if (!h->scope_dir[0])
                        continue;
                seed_fd = tracker_fd;
                seed_hier = h->id;
                seed_errors = 0;
                /* The cgroup id of a directory is its kernfs inode number. */
                if (nftw(h->scope_dir, seed_one, 16, FTW_PHYS) != 0)
                        return kata_error_errno(err, errno, "walking cgroup %s", h->scope_dir);
                if (seed_errors)
                        return kata_error_set(err, ENOSPC,
                                              "tracker map full while seeding %s (%d cgroups "
                                              "left out)",
                                              h->scope_dir, seed_errors);
        }
        return 0;
}

const char *trace_scope_mount(const trace_scope *scope, uint32_t hierarchy)
{
        for (size_t i = 0; i < scope->nhier; i++)
                if (scope->hier[i].id == hierarchy)
                        return scope->hier[i].mount;
        return NULL;
}

/* The sandbox's own directory in a hierarchy (scope_dir is the container's with
 * --container, so look it up in the state). */
static const char *sandbox_dir(const trace_scope *scope, const trace_hierarchy *h)
{
        const char *dir = kata_sandbox_state_cgroup(&scope->st, h->controller);
        return dir ? dir : h->scope_dir;
}

const char *trace_scope_container_of(trace_scope *scope, uint32_t hierarchy, const char *path)
{
        if (!scope->has_state || !path[0])
                return "";
        for (int attempt = 0; attempt < 2; attempt++) {
                for (size_t i = 0; i < scope->nhier; i++) {
                        const trace_hierarchy *h = &scope->hier[i];
                        if (h->id != hierarchy)
                                continue;
                        const char *best = "";
                        size_t best_len = 0;
                        for (size_t j = 0; j < scope->st.ncontainers; j++) {
                                char dir[8192];
                                container_dir(&scope->st.containers[j], sandbox_dir(scope, h), dir,
                                              sizeof(dir));
                                size_t n = strlen(dir);
                                if (n && n > best_len && strncmp(path, dir, n) == 0 &&
                                    (path[n] == 0 || path[n] == '/')) {
                                        best = scope->st.containers[j].id;
                                        best_len = n;
                                }
                        }
                        if (best_len)
                                return best;
                }
                /* A container created since the state was read: read it again, not too
                 * often. */
                uint64_t now = kata_now_monotonic_ns();
                if (attempt > 0 || now - scope->state_reloaded_ns < STATE_RELOAD_EVERY)
                        break;
                scope->state_reloaded_ns = now;
                kata_sandbox_state fresh;
                kata_error e = KATA_ERROR_INIT;
                if (kata_state_load(scope->state_root, scope->st.id, &fresh, &e) < 0)
                        break;
                kata_sandbox_state_free(&scope->st);
                scope->st = fresh;
                for (size_t k = 0; k < scope->ncache; k++)
                        if (!scope->cache[k].container[0]) {
                                free(scope->cache[k].path);
                                free(scope->cache[k].container);
                                scope->cache[k] = scope->cache[--scope->ncache];
                                k--;
                        }
        }
        return "";
}

/* The directory of a cgroup id: open it by its kernfs file handle and read the link. */
static char *path_of_id(const char *mount, uint64_t id)
{
        int mfd = open(mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (mfd < 0)
                return NULL;
        struct {
                struct file_handle fh;
                uint64_t id;
        } h = {.fh = {.handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS}, .id = id};
        char *out = NULL;
        int fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_PATH | O_CLOEXEC);
        if (fd >= 0) {
                char link[64], buf[4096];
                snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
                ssize_t n = readlink(link, buf, sizeof(buf) - 1);
                if (n > 0) {
                        buf[n] = 0;
                        out = strdup(buf);
                }
                close(fd);
        }
        close(mfd);
        return out;
}

void trace_scope_lookup(trace_scope *scope, uint32_t hierarchy, uint64_t id, const char *rel_path,
                        const char **path, const char **container)
{
        for (size_t i = 0; i < scope->ncache; i++) {
                trace_cg_cache *c = &scope->cache[i];
                if (c->hierarchy == hierarchy && c->id == id) {
                        *path = c->path;
                        *container = c->container;
                        return;
                }
        }
        *path = "";
        *container = "";
        const char *mount = trace_scope_mount(scope, hierarchy);
        char *p = NULL;
        if (!mount && rel_path && rel_path[0]) {
                p = strdup(rel_path);
        } else if (mount && rel_path && rel_path[0]) {
                p = kata_path_join(mount, rel_path);
                if (p && strcmp(rel_path, "/") == 0) {
                        free(p);
                        p = strdup(mount);
                }
        } else if (mount) {
                p = path_of_id(mount, id);
        }
        if (!p)
                return;
        const char *ctr = trace_scope_container_of(scope, hierarchy, p);
        if (scope->ncache >= 4096) { /* bounded: forget everything, ids are re-resolved */
                for (size_t i = 0; i < scope->ncache; i++) {
                        free(scope->cache[i].path);
                        free(scope->cache[i].container);
                }
                scope->ncache = 0;
        }
        trace_cg_cache *n = realloc(scope->cache, (scope->ncache + 1) * sizeof(*n));
        char *cdup = strdup(ctr);
        if (!n || !cdup) {
                free(cdup);
                if (n)
                        scope->cache = n;
                free(p);
                return;
        }
        scope->cache = n;
        n[scope->ncache] = (trace_cg_cache){hierarchy, id, p, cdup};
        *path = p;
        *container = cdup;
        scope->ncache++;
}

void trace_scope_free(trace_scope *scope)
{
        for (size_t i = 0; i < scope->ncache; i++) {
                free(scope->cache[i].path);
                free(scope->cache[i].container);
        }
        free(scope->cache);
        free(scope->hier);
        if (scope->has_state)
                kata_sandbox_state_free(&scope->st);
        memset(scope, 0, sizeof(*scope));
}
