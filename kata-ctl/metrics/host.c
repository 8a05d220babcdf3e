#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "metrics/sources.h"

#define C KATA_METRIC_COUNTER
#define G KATA_METRIC_GAUGE

/* The state records one absolute directory per controller. The runtime uses the same
 * path relative to every hierarchy, but a host whose processes sit in different cgroups
 * per hierarchy (and tests that mimic the runtime there) may not: so each controller's
 * figures come from the cgroup at its own recorded path. */
struct part_stats {
        char rel[KATA_CGROUP_PATH_MAX];
        bool ok;
        kata_cgroup_stats stats;
};

static const char *controller_rel(const kata_cgroup_layout *layout, const kata_sandbox_state *st,
                                  enum kata_cgroup_controller c)
{
        const char *name = kata_cgroup_controller_name(c);
        const char *path = kata_sandbox_state_cgroup(st, name);
        const char *mount = kata_cgroup_layout_mount(layout, c);
        if (!path) {
                path = kata_sandbox_state_cgroup(st, "unified");
                mount = kata_cgroup_layout_unified(layout);
        }
        size_t n = mount ? strlen(mount) : 0;
        if (!path || !n || strncmp(path, mount, n) != 0 || path[n] != '/' || !path[n + 1])
                return NULL;
        return path + n;
}

/* Stats of the cgroup holding controller c, read once per distinct path. */
static const kata_cgroup_stats *part(const kata_cgroup_layout *layout, const kata_sandbox_state *st,
                                     enum kata_cgroup_controller c, struct part_stats *cache,
                                     size_t *ncache)
{
        const char *rel = controller_rel(layout, st, c);
        if (!rel)
                return NULL;
        for (size_t i = 0; i < *ncache; i++) {
                if (strcmp(cache[i].rel, rel) == 0)
                        return cache[i].ok ? &cache[i].stats : NULL;
        }
        struct part_stats *ps = &cache[(*ncache)++];
        snprintf(ps->rel, sizeof(ps->rel), "%s", rel);
        kata_cgroup *cg;
        kata_error ignored = KATA_ERROR_INIT;
        ps->ok = kata_cgroup_open(layout, rel, &cg, &ignored) == 0; /* gone: no figures */
        if (ps->ok) {
                ps->ok = kata_cgroup_stats_read(cg, &ps->stats, &ignored) == 0;
                kata_cgroup_free(cg);
        }
        return ps->ok ? &ps->stats : NULL;
}

static int cgroup_series(const kata_cgroup_layout *layout, const kata_sandbox_state *st,
                         kata_metric_set *set, kata_error *err)
{
        if (!layout || st->ncgroups == 0)
                return 0;
        struct part_stats *cache = calloc(KATA_CGROUP_NR_CONTROLLERS, sizeof(*cache));
        if (!cache)
                return kata_error_set(err, ENOMEM, "out of memory");
        size_t ncache = 0;
        const kata_cgroup_stats *cpu = part(layout, st, KATA_CGROUP_CPUACCT, cache, &ncache);
        if (!cpu || !cpu->cpu.valid)
                cpu = part(layout, st, KATA_CGROUP_CPU, cache, &ncache);
        const kata_cgroup_stats *mem = part(layout, st, KATA_CGROUP_MEMORY, cache, &ncache);
        const kata_cgroup_stats *pids = part(layout, st, KATA_CGROUP_PIDS, cache, &ncache);
        const kata_cgroup_stats *io = part(layout, st, KATA_CGROUP_BLKIO, cache, &ncache);
        int r = 0;
        const char *id = st->id;
#define ADD(name, type, help, value)                                                               \
        if (r == 0)                                                                                \
        r = kata_metric_addv(set, name, type, help, (double)(value), err, "sandbox_id", id, NULL)
        if (cpu && cpu->cpu.valid) {
                ADD("kata_sandbox_cpu_usage_seconds_total", C,
                    "CPU time used by the sandbox's host cgroup.", cpu->cpu.usage_ns / 1e9);
                ADD("kata_sandbox_cpu_throttled_seconds_total", C,
                    "Time the sandbox's host cgroup was throttled by its CPU quota.",
                    cpu->cpu.throttled_ns / 1e9);
        }
        if (mem && mem->memory.valid) {
                ADD("kata_sandbox_memory_usage_bytes", G,
                    "Memory charged to the sandbox's host cgroup.", mem->memory.usage);
                ADD("kata_sandbox_memory_cache_bytes", G,
                    "Page cache charged to the sandbox's host cgroup.", mem->memory.cache);
                if (mem->memory.limit != KATA_CGROUP_UNLIMITED) {
                        ADD("kata_sandbox_memory_limit_bytes", G,
                            "Memory limit of the sandbox's host cgroup.", mem->memory.limit);
                }
                ADD("kata_sandbox_oom_kills_total", C,
                    "Processes of the sandbox's host cgroup killed by the OOM killer.",
                    mem->memory.oom_kills);
        }
        if (pids && pids->pids.valid) {
                ADD("kata_sandbox_pids", G, "Tasks in the sandbox's host cgroup.",
                    pids->pids.current);
        }
        if (io && io->io.valid) {
                ADD("kata_sandbox_io_read_bytes_total", C,
                    "Bytes the sandbox's host cgroup read from block devices.", io->io.read_bytes);
                ADD("kata_sandbox_io_write_bytes_total", C,
                    "Bytes the sandbox's host cgroup wrote to block devices.", io->io.write_bytes);
        }
#undef ADD
        free(cache);
        return r;
}

static unsigned long long status_field(const char *text, const char *key)
{
        size_t klen = strlen(key);
        for (const char *line = text; line && *line;) {
                if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
                        unsigned long long v = 0;
                        char unit[8] = "";
                        if (sscanf(line + klen + 1, "%llu %7s", &v, unit) < 1)
                                return 0;
                        return strcmp(unit, "kB") == 0 ? v * 1024 : v;
                }
                const char *nl = strchr(line, '\n');
                line = nl ? nl + 1 : NULL;
        }
        return 0;
}

static long count_fds(long pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
        DIR *d = opendir(path);
        if (!d)
                return -1;
        long n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
                if (e->d_name[0] != '.')
                        n++;
        }
        closedir(d);
        return n;
}

static int process_series(const kata_sandbox_state *st, kata_metric_set *set, kata_error *err)
{
        long pid = (long)(st->vmm_pid > 0 ? st->vmm_pid : st->agent_pid);
        if (pid <= 0)
                return 0;
        const char *process = st->vmm_pid > 0 ? "vmm" : "agent";
        char path[64];
        char *status = NULL, *stat = NULL, *io = NULL;
        kata_error ignored = KATA_ERROR_INIT;
        snprintf(path, sizeof(path), "/proc/%ld/status", pid);
        if (kata_read_file(path, 1 << 16, &status, NULL, &ignored) < 0)
                return 0; /* the process is gone */
        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        (void)kata_read_file(path, 1 << 16, &stat, NULL, &ignored);
        snprintf(path, sizeof(path), "/proc/%ld/io", pid);
        (void)kata_read_file(path, 1 << 16, &io, NULL, &ignored);

        const char *id = st->id;
        int r = 0;
#define ADD(name, type, help, value)                                                               \
        if (r == 0)                                                                                \
        r = kata_metric_addv(set, name, type, help, (double)(value), err, "sandbox_id", id,        \
                             "process", process, NULL)
        ADD("kata_hypervisor_threads", G, "Threads of the sandbox's host process.",
            status_field(status, "Threads"));
        ADD("kata_hypervisor_resident_memory_bytes", G,
            "Resident memory of the sandbox's host process.", status_field(status, "VmRSS"));
        ADD("kata_hypervisor_virtual_memory_bytes", G,
            "Virtual memory of the sandbox's host process.", status_field(status, "VmSize"));
        long fds = count_fds(pid);
        if (fds >= 0) {
                ADD("kata_hypervisor_open_fds", G,
                    "Open file descriptors of the sandbox's host process.", fds);
        }
        const char *after_comm = stat ? strrchr(stat, ')') : NULL;
        unsigned long long utime = 0, stime = 0;
        if (after_comm &&
            sscanf(after_comm + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                   &stime) == 2) {
                long ticks = sysconf(_SC_CLK_TCK);
                if (ticks <= 0)
                        ticks = 100;
                const char *help = "CPU time of the sandbox's host process, by mode.";
                if (r == 0)
                        r = kata_metric_addv(set, "kata_hypervisor_cpu_seconds_total", C, help,
                                             (double)utime / (double)ticks, err, "sandbox_id", id,
                                             "process", process, "mode", "user", NULL);
                if (r == 0)
                        r = kata_metric_addv(set, "kata_hypervisor_cpu_seconds_total", C, help,
                                             (double)stime / (double)ticks, err, "sandbox_id", id,
                                             "process", process, "mode", "system", NULL);
        }
        if (io) {
                ADD("kata_hypervisor_io_read_bytes_total", C,
                    "Bytes the sandbox's host process read (all I/O, /proc/PID/io rchar).",
                    status_field(io, "rchar"));
                ADD("kata_hypervisor_io_write_bytes_total", C,
                    "Bytes the sandbox's host process wrote (all I/O, /proc/PID/io wchar).",
                    status_field(io, "wchar"));
        }
#undef ADD
        free(status);
        free(stat);
        free(io);
        return r;
}

int kata_metrics_host_sandbox(const kata_cgroup_layout *layout, const kata_sandbox_state *st,
                              kata_metric_set *set, kata_error *err)
{
        int r = cgroup_series(layout, st, set, err);
        if (r == 0)
                r = process_series(st, set, err);
        return r;
}
