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

/* Cgroup figures come from the observe library (the data layer kata-ctl top uses), which
 * keeps cgroup handles open between samples and merges v1 controllers. */
static int usage_series(const kata_observe_usage *u, kata_metric_set *set, const char *prefix,
                        const char *what, const char *sid, const char *cid, kata_error *err)
{
        char name[96], help[192];
        int r = 0;
#define ADD(suffix, type, text, value)                                                             \
        do {                                                                                       \
                if (r < 0)                                                                         \
                        break;                                                                     \
                snprintf(name, sizeof(name), "%s_%s", prefix, suffix);                             \
                snprintf(help, sizeof(help), text, what);                                          \
                r = cid ? kata_metric_addv(set, name, type, help, (double)(value), err,            \
                                           "sandbox_id", sid, "container_id", cid, NULL)           \
                        : kata_metric_addv(set, name, type, help, (double)(value), err,            \
                                           "sandbox_id", sid, NULL);                               \
        } while (0)
        if (u->cpu_valid) {
                ADD("cpu_usage_seconds_total", C, "CPU time used by %s.", u->cpu_usage_ns / 1e9);
                ADD("cpu_throttled_seconds_total", C, "Time %s was throttled by its CPU quota.",
                    u->cpu_throttled_ns / 1e9);
        }
        if (u->memory_valid) {
                ADD("memory_usage_bytes", G, "Memory charged to %s.", u->memory_usage_bytes);
                ADD("memory_working_set_bytes", G, "Memory charged to %s less inactive page cache.",
                    u->memory_working_set_bytes);
                ADD("memory_cache_bytes", G, "Page cache charged to %s.", u->memory_cache_bytes);
                if (u->memory_limit_bytes != KATA_OBSERVE_UNLIMITED)
                        ADD("memory_limit_bytes", G, "Memory limit of %s.", u->memory_limit_bytes);
                ADD("oom_kills_total", C, "Processes of %s killed by the OOM killer.",
                    u->oom_kills);
        }
        if (u->pids_valid)
                ADD("pids", G, "Tasks in %s.", u->pids_current);
#undef ADD
        return r;
}

int kata_metrics_usage_series(const kata_observe_usage *u, const char *sandbox_id,
                              const char *container_id, kata_metric_set *set, kata_error *err)
{
        if (container_id)
                return usage_series(u, set, "kata_container", "the container's cgroup", sandbox_id,
                                    container_id, err);
        return usage_series(u, set, "kata_sandbox", "the sandbox's host cgroup", sandbox_id, NULL,
                            err);
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

int kata_metrics_host_sandbox(const kata_observe_sandbox *ob, const kata_sandbox_state *st,
                              kata_metric_set *set, kata_error *err)
{
        int r = 0;
        if (ob && ob->usage.source == KATA_OBSERVE_SOURCE_HOST)
                r = kata_metrics_usage_series(&ob->usage, st->id, NULL, set, err);
        for (size_t i = 0; r == 0 && ob && i < ob->ncontainers; i++) {
                const kata_observe_container *c = &ob->containers[i];
                if (c->usage.source == KATA_OBSERVE_SOURCE_HOST)
                        r = kata_metrics_usage_series(&c->usage, st->id, c->id, set, err);
        }
        if (r == 0)
                r = process_series(st, set, err);
        return r;
}
