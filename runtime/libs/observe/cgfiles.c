/* The few cgroup files the live view reads every refresh, kept open between samples and
 * re-read with pread(): top and monitor re-read the same cgroups every second, and the
 * path lookup of an open() costs more than the read on cgroupfs. The cgroups library
 * still decides where each controller lives (v1, v2, hybrid) through kata_cgroup_dir. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "observe/internal.h"

struct file_spec {
        enum kata_cgroup_controller controller;
        const char *v1, *v2; /* NULL: not read on that version */
};

static const struct file_spec specs[OBS_CG_NFILES] = {
    [OBS_CG_CPU_USAGE] = {KATA_CGROUP_CPUACCT, "cpuacct.usage", NULL},
    [OBS_CG_CPU_STAT] = {KATA_CGROUP_CPU, "cpu.stat", "cpu.stat"},
    [OBS_CG_MEM_USAGE] = {KATA_CGROUP_MEMORY, "memory.usage_in_bytes", "memory.current"},
    [OBS_CG_MEM_LIMIT] = {KATA_CGROUP_MEMORY, "memory.limit_in_bytes", "memory.max"},
    [OBS_CG_MEM_STAT] = {KATA_CGROUP_MEMORY, "memory.stat", "memory.stat"},
    [OBS_CG_MEM_EVENTS] = {KATA_CGROUP_MEMORY, "memory.oom_control", "memory.events"},
    [OBS_CG_PIDS_CURRENT] = {KATA_CGROUP_PIDS, "pids.current", "pids.current"},
    [OBS_CG_PIDS_MAX] = {KATA_CGROUP_PIDS, "pids.max", "pids.max"},
};

void obs_cgfiles_close(obs_cgfiles *f)
{
        if (!f)
                return;
        for (int i = 0; i < OBS_CG_NFILES; i++) {
                if (f->fd[i] >= 0)
                        close(f->fd[i]);
        }
        free(f);
}

int obs_cgfiles_open(const kata_cgroup_layout *layout, const kata_cgroup *cg, obs_cgfiles **out,
                     kata_error *err)
{
        obs_cgfiles *f = calloc(1, sizeof(*f));
        if (!f)
                return kata_error_set(err, ENOMEM, "out of memory");
        int opened = 0;
        for (int i = 0; i < OBS_CG_NFILES; i++) {
                f->fd[i] = -1;
                const char *dir = kata_cgroup_dir(cg, specs[i].controller);
                if (!dir)
                        continue;
                f->v2[i] = kata_cgroup_layout_on_v2(layout, specs[i].controller);
                const char *name = f->v2[i] ? specs[i].v2 : specs[i].v1;
                if (!name)
                        continue;
                char path[KATA_CGROUP_PATH_MAX + 512];
                snprintf(path, sizeof(path), "%s/%s", dir, name);
                f->fd[i] = open(path, O_RDONLY | O_CLOEXEC);
                /* A file the kernel does not offer (no swap accounting, the root
                 * cgroup's missing limits) just leaves its figure out. */
                if (f->fd[i] >= 0)
                        opened++;
        }
        if (opened == 0) {
                obs_cgfiles_close(f);
                return kata_error_set(err, ENOENT, "cgroup %s has no readable files",
                                      kata_cgroup_path(cg));
        }
        *out = f;
        return 0;
}

/* Reads file i into buf; 0 when it is not open, -ENOENT when the cgroup is gone. */
static ssize_t read_file(obs_cgfiles *f, int i, char *buf, size_t size)
{
        if (f->fd[i] < 0)
                return 0;
        ssize_t n = pread(f->fd[i], buf, size - 1, 0);
        if (n < 0)
                return errno == EINTR ? 0 : -ENOENT; /* ENODEV after rmdir */
        buf[n] = '\0';
        return n;
}

/* "key value" lines (cpu.stat, memory.stat, memory.events, memory.oom_control). */
bool obs_cg_key_value(const char *text, const char *key, uint64_t *out)
{
        size_t n = strlen(key);
        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                if (strncmp(p, key, n) == 0 && p[n] == ' ') {
                        char *end;
                        unsigned long long v = strtoull(p + n + 1, &end, 10);
                        if (end == p + n + 1)
                                return false;
                        *out = v;
                        return true;
                }
        }
        return false;
}

static bool one_value(const char *text, uint64_t *out)
{
        if (strncmp(text, "max", 3) == 0) {
                *out = KATA_OBSERVE_UNLIMITED;
                return true;
        }
        return kata_parse_u64(text, out) == 0;
}

/* v1 reports "no memory limit" as the largest page-aligned value. */
static uint64_t v1_limit(uint64_t v)
{
        return v >= (1ull << 62) ? KATA_OBSERVE_UNLIMITED : v;
}

int obs_cgfiles_read(obs_cgfiles *f, kata_observe_usage *u, kata_error *err)
{
        /* memory.stat is the longest file, about 1.5 KiB on v1. */
        char buf[8192];
        uint64_t v;
        memset(u, 0, sizeof(*u));
        /* cgroupfs answers reads of a removed cgroup with ENODEV; a plain directory tree
         * (tests, fixtures) only shows it in the link count. */
        for (int i = 0; i < OBS_CG_NFILES; i++) {
                struct stat st;
                if (f->fd[i] < 0)
                        continue;
                if (fstat(f->fd[i], &st) < 0 || st.st_nlink == 0)
                        return kata_error_set(err, ENOENT, "cgroup is gone");
                break;
        }
        u->source = KATA_OBSERVE_SOURCE_HOST;
        for (int i = 0; i < OBS_CG_NFILES; i++) {
                ssize_t n = read_file(f, i, buf, sizeof(buf));
                if (n < 0)
                        return kata_error_set(err, ENOENT, "cgroup is gone");
                if (n == 0)
                        continue;
                bool v2 = f->v2[i];
                switch (i) {
                case OBS_CG_CPU_USAGE:
                        if (one_value(buf, &v)) {
                                u->cpu_valid = true;
                                u->cpu_usage_ns = v;
                        }
                        break;
                case OBS_CG_CPU_STAT:
                        if (v2 && obs_cg_key_value(buf, "usage_usec", &v)) {
                                u->cpu_valid = true;
                                u->cpu_usage_ns = v * 1000;
                        }
                        obs_cg_key_value(buf, "nr_periods", &u->cpu_periods);
                        obs_cg_key_value(buf, "nr_throttled", &u->cpu_throttled_periods);
                        if (v2 && obs_cg_key_value(buf, "throttled_usec", &v))
                                u->cpu_throttled_ns = v * 1000;
                        else if (!v2)
                                obs_cg_key_value(buf, "throttled_time", &u->cpu_throttled_ns);
                        break;
                case OBS_CG_MEM_USAGE:
                        if (one_value(buf, &v)) {
                                u->memory_valid = true;
                                u->memory_usage_bytes = v;
                                u->memory_working_set_bytes = v;
                                u->memory_limit_bytes = KATA_OBSERVE_UNLIMITED;
                        }
                        break;
                case OBS_CG_MEM_LIMIT:
                        if (one_value(buf, &v))
                                u->memory_limit_bytes = v2 ? v : v1_limit(v);
                        break;
                case OBS_CG_MEM_STAT: {
                        uint64_t inactive = 0;
                        if (v2) {
                                obs_cg_key_value(buf, "file", &u->memory_cache_bytes);
                                obs_cg_key_value(buf, "inactive_file", &inactive);
                        } else {
                                if (!obs_cg_key_value(buf, "total_cache", &u->memory_cache_bytes))
                                        obs_cg_key_value(buf, "cache", &u->memory_cache_bytes);
                                if (!obs_cg_key_value(buf, "total_inactive_file", &inactive))
                                        obs_cg_key_value(buf, "inactive_file", &inactive);
                        }
                        u->memory_working_set_bytes =
                            inactive < u->memory_usage_bytes ? u->memory_usage_bytes - inactive : 0;
                        break;
                }
                case OBS_CG_MEM_EVENTS:
                        obs_cg_key_value(buf, "oom_kill", &u->oom_kills);
                        break;
                case OBS_CG_PIDS_CURRENT:
                        if (one_value(buf, &v)) {
                                u->pids_valid = true;
                                u->pids_current = v;
                                u->pids_limit = KATA_OBSERVE_UNLIMITED;
                        }
                        break;
                case OBS_CG_PIDS_MAX:
                        if (one_value(buf, &v))
                                u->pids_limit = v;
                        break;
                }
        }
        return 0;
}
