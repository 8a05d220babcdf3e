/* Reading figures. Each controller's part is filled from whichever hierarchy serves it,
 * which is what "merged per controller" means on hybrid hosts. No lock is taken. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

/* Reads an optional file: 1 with *text set, 0 when absent, <0 on error. One open per
 * file and no access() probe: each file read costs 10 us or more on a VM guest. */
static int read_opt(const kata_cgroup *cg, enum kata_cgroup_controller c, const char *file,
                    char **text, kata_error *err)
{
        kata_error local = KATA_ERROR_INIT;
        int r = cg_read(cg, c, file, text, &local);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                if (err)
                        *err = local;
                return r;
        }
        return 1;
}

static int not_a_number(const kata_cgroup *cg, enum kata_cgroup_controller c, const char *file,
                        const char *what, kata_error *err)
{
        char p[PATH_MAX];
        cg_file(cg, c, file, p, sizeof(p), NULL);
        return kata_error_set(err, EINVAL, "%s: %s is not a number", p, what);
}

/* Optional one-number file: absent -> *out unchanged; "max" -> UNLIMITED; garbage ->
 * error. */
static int read_opt_u64(const kata_cgroup *cg, enum kata_cgroup_controller c, const char *file,
                        uint64_t *out, kata_error *err)
{
        char *text = NULL;
        int r = read_opt(cg, c, file, &text, err);
        if (r <= 0)
                return r;
        uint64_t v;
        r = kata_parse_u64(text, &v);
        if (r < 0 && strncmp(text, "max", 3) == 0) {
                v = KATA_CGROUP_UNLIMITED;
                r = 0;
        }
        free(text);
        if (r < 0)
                return not_a_number(cg, c, file, "its value", err);
        *out = v;
        return 0;
}

/* Reads the keys of a flat-keyed file; missing file or key leaves 0. scale multiplies. */
static int read_keys(const kata_cgroup *cg, enum kata_cgroup_controller c, const char *file,
                     const char *const *keys, uint64_t *const *outs, size_t n, uint64_t scale,
                     kata_error *err)
{
        char *text = NULL;
        int r = read_opt(cg, c, file, &text, err);
        if (r <= 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                uint64_t v;
                int k = cg_parse_key(text, keys[i], &v);
                if (k == -EINVAL) {
                        free(text);
                        char what[80];
                        snprintf(what, sizeof(what), "the value of '%s'", keys[i]);
                        return not_a_number(cg, c, file, what, err);
                }
                if (k == 0)
                        *outs[i] = v * scale;
        }
        free(text);
        return 0;
}

static int cpu_v2(const kata_cgroup *cg, kata_cgroup_stats *s, kata_error *err)
{
        enum kata_cgroup_controller c =
            cg_has(cg, KATA_CGROUP_CPUACCT) ? KATA_CGROUP_CPUACCT : KATA_CGROUP_CPU;
        static const char *const keys[] = {"usage_usec", "user_usec",    "system_usec",
                                           "nr_periods", "nr_throttled", "throttled_usec"};
        uint64_t *const outs[] = {&s->cpu.usage_ns,   &s->cpu.user_ns,      &s->cpu.system_ns,
                                  &s->cpu.nr_periods, &s->cpu.nr_throttled, &s->cpu.throttled_ns};
        int r = read_keys(cg, c, "cpu.stat", keys, outs, 6, 1, err);
        s->cpu.usage_ns *= 1000;
        s->cpu.user_ns *= 1000;
        s->cpu.system_ns *= 1000;
        s->cpu.throttled_ns *= 1000;
        return r;
}

/* Per-cpu usage (precise, ns); the total is their sum, as cpuacct.usage computes it.
 * Returns 1 when read, 0 when the file is absent. */
static int cpuacct_percpu(const kata_cgroup *cg, kata_cgroup_stats *s, kata_error *err)
{
        char *text = NULL;
        int r = read_opt(cg, KATA_CGROUP_CPUACCT, "cpuacct.usage_percpu", &text, err);
        if (r <= 0)
                return r;
        char *save = NULL;
        for (char *t = strtok_r(text, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
                uint64_t v;
                if (kata_parse_u64(t, &v) < 0) {
                        free(text);
                        return not_a_number(cg, KATA_CGROUP_CPUACCT, "cpuacct.usage_percpu",
                                            "a per-cpu value", err);
                }
                s->cpu.usage_ns += v;
                if (s->cpu.n_percpu < KATA_CGROUP_MAX_CPUS)
                        s->cpu.percpu_ns[s->cpu.n_percpu++] = v;
        }
        free(text);
        return 1;
}

/* User and system time. The kernel derives both from tick accounting whichever file is
 * read: cpuacct.usage_all (ns, one file) where it exists, else cpuacct.stat (USER_HZ). */
static int cpuacct_user_system(const kata_cgroup *cg, kata_cgroup_stats *s, kata_error *err)
{
        char *text = NULL;
        int r = read_opt(cg, KATA_CGROUP_CPUACCT, "cpuacct.usage_all", &text, err);
        if (r < 0)
                return r;
        if (r == 0) {
                long hz = sysconf(_SC_CLK_TCK);
                static const char *const keys[] = {"user", "system"};
                uint64_t *const outs[] = {&s->cpu.user_ns, &s->cpu.system_ns};
                return read_keys(cg, KATA_CGROUP_CPUACCT, "cpuacct.stat", keys, outs, 2,
                                 hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull, err);
        }
        char *save = NULL;
        strtok_r(text, "\n", &save); /* "cpu user system" */
        for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                unsigned cpu;
                uint64_t user, sys;
                if (sscanf(line, "%u %" SCNu64 " %" SCNu64, &cpu, &user, &sys) != 3) {
                        free(text);
                        return not_a_number(cg, KATA_CGROUP_CPUACCT, "cpuacct.usage_all",
                                            "a per-cpu line", err);
                }
                s->cpu.user_ns += user;
                s->cpu.system_ns += sys;
        }
        free(text);
        return 0;
}

static int cpu_v1(const kata_cgroup *cg, kata_cgroup_stats *s, kata_error *err)
{
        int r;
        if (cg_has(cg, KATA_CGROUP_CPUACCT)) {
                r = cpuacct_percpu(cg, s, err);
                if (r == 0)
                        r = cg_read_u64(cg, KATA_CGROUP_CPUACCT, "cpuacct.usage", &s->cpu.usage_ns,
                                        err);
                if (r >= 0)
                        r = cpuacct_user_system(cg, s, err);
                if (r < 0)
                        return r;
        }
        if (cg_has(cg, KATA_CGROUP_CPU)) {
                static const char *const keys[] = {"nr_periods", "nr_throttled", "throttled_time"};
                uint64_t *const outs[] = {&s->cpu.nr_periods, &s->cpu.nr_throttled,
                                          &s->cpu.throttled_ns};
                r = read_keys(cg, KATA_CGROUP_CPU, "cpu.stat", keys, outs, 3, 1, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int memory_v2(const kata_cgroup *cg, kata_cgroup_stats *s, kata_error *err)
{
        enum kata_cgroup_controller m = KATA_CGROUP_MEMORY;
        int r = cg_read_u64(cg, m, "memory.current", &s->memory.usage, err);
        if (r == 0)
                r = read_opt_u64(cg, m, "memory.peak", &s->memory.max_usage, err);
        if (r == 0) {
                s->memory.limit = KATA_CGROUP_UNLIMITED;
                r = read_opt_u64(cg, m, "memory.max", &s->memory.limit, err);
        }
        if (r == 0)
                r = read_opt_u64(cg, m, "memory.swap.current", &s->memory.swap_usage, err);
        if (r == 0) {
                s->memory.swap_limit = KATA_CGROUP_UNLIMITED;
                r = read_opt_u64(cg, m, "memory.swap.max", &s->memory.swap_limit, err);
        }
        if (r < 0)
                return r;
        static const char *const ev_keys[] = {"max", "oom_kill"};
        uint64_t *const ev_outs[] = {&s->memory.failcnt, &s->memory.oom_kills};
        r = read_keys(cg, m, "memory.events", ev_keys, ev_outs, 2, 1, err);
        if (r < 0)
                return r;
        static const char *const st_keys[] = {"file"};
        uint64_t *const st_outs[] = {&s->memory.cache};
        return read_keys(cg, m, "memory.stat", st_keys, st_outs, 1, 1, err);
}

static int memory_v1(const kata_cgroup *cg, kata_cgroup_stats *s, kata_error *err)
{
        enum kata_cgroup_controller m = KATA_CGROUP_MEMORY;
        int r = cg_read_u64(cg, m, "memory.usage_in_bytes", &s->memory.usage, err);
        if (r == 0)
                r = read_opt_u64(cg, m, "memory.max_usage_in_bytes", &s->memory.max_usage, err);
        if (r == 0)
                r = read_opt_u64(cg, m, "memory.failcnt", &s->memory.failcnt, err);
        if (r == 0)
                r = read_opt_u64(cg, m, "memory.limit_in_bytes", &s->memory.limit, err);
        if (r < 0)
                return r;
        /* v1 "no limit" is the page-aligned LONG_MAX. */
        if (s->memory.limit >= (UINT64_C(1) << 62))
                s->memory.limit = KATA_CGROUP_UNLIMITED;
        uint64_t memsw = 0, memsw_limit = 0;
        r = read_opt_u64(cg, m, "memory.memsw.usage_in_bytes", &memsw, err);
        if (r == 0)
                r = read_opt_u64(cg, m, "memory.memsw.limit_in_bytes", &memsw_limit, err);
        if (r < 0)
                return r;
        s->memory.swap_usage = memsw > s->memory.usage ? memsw - s->memory.usage : 0;
        s->memory.swap_limit =
            memsw_limit >= (UINT64_C(1) << 62) ? KATA_CGROUP_UNLIMITED : memsw_limit;
        /* total_cache counts the subtree; plain cache is the fallback of old kernels. */
        uint64_t total_cache = UINT64_MAX;
        static const char *const st_keys[] = {"total_cache", "cache"};
        uint64_t *const st_outs[] = {&total_cache, &s->memory.cache};
        r = read_keys(cg, m, "memory.stat", st_keys, st_outs, 2, 1, err);
        if (total_cache != UINT64_MAX)
                s->memory.cache = total_cache;
        static const char *const oom_keys[] = {"oom_kill"};
        uint64_t *const oom_outs[] = {&s->memory.oom_kills};
        if (r == 0)
                r = read_keys(cg, m, "memory.oom_control", oom_keys, oom_outs, 1, 1, err);
        return r;
}

static int pids_stats(const kata_cgroup *cg, kata_cgroup_stats *s, kata_error *err)
{
        int r = cg_read_u64(cg, KATA_CGROUP_PIDS, "pids.current", &s->pids.current, err);
        s->pids.limit = KATA_CGROUP_UNLIMITED;
        if (r == 0)
                r = read_opt_u64(cg, KATA_CGROUP_PIDS, "pids.max", &s->pids.limit, err);
        return r;
}

static kata_cgroup_io_device *io_device(kata_cgroup_stats *s, uint32_t major, uint32_t minor)
{
        for (size_t i = 0; i < s->io.n_devices; i++)
                if (s->io.devices[i].major == major && s->io.devices[i].minor == minor)
                        return &s->io.devices[i];
        if (s->io.n_devices == KATA_CGROUP_MAX_DEVICES)
                return NULL;
        kata_cgroup_io_device *d = &s->io.devices[s->io.n_devices++];
        memset(d, 0, sizeof(*d));
        d->major = major;
        d->minor = minor;
        return d;
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..." */
static int io_v2(const kata_cgroup *cg, kata_cgroup_stats *s, kata_error *err)
{
        char *text = NULL;
        int r = read_opt(cg, KATA_CGROUP_BLKIO, "io.stat", &text, err);
        if (r <= 0)
                return r;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                unsigned maj, min;
                int off = 0;
                if (sscanf(line, "%u:%u%n", &maj, &min, &off) != 2)
                        continue;
                kata_cgroup_io_device *d = io_device(s, maj, min);
                if (!d)
                        continue;
                char *lsave = NULL;
                for (char *kv = strtok_r(line + off, " ", &lsave); kv;
                     kv = strtok_r(NULL, " ", &lsave)) {
                        char *eq = strchr(kv, '=');
                        uint64_t v;
                        if (!eq || kata_parse_u64(eq + 1, &v) < 0)
                                continue;
                        *eq = '\0';
                        if (strcmp(kv, "rbytes") == 0)
                                d->read_bytes = v;
                        else if (strcmp(kv, "wbytes") == 0)
                                d->write_bytes = v;
                        else if (strcmp(kv, "rios") == 0)
                                d->read_ios = v;
                        else if (strcmp(kv, "wios") == 0)
                                d->write_ios = v;
                }
        }
        free(text);
        return 0;
}

/* blkio.throttle.*: "MAJ:MIN Read N" / "Write N" / ... / "Total N". */
static int io_v1_file(const kata_cgroup *cg, kata_cgroup_stats *s, const char *file, bool bytes,
                      kata_error *err)
{
        char *text = NULL;
        int r = read_opt(cg, KATA_CGROUP_BLKIO, file, &text, err);
        if (r <= 0)
                return r;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                unsigned maj, min;
                char op[16];
                uint64_t v;
                if (sscanf(line, "%u:%u %15s %" SCNu64, &maj, &min, op, &v) != 4)
                        continue;
                bool rd = strcmp(op, "Read") == 0, wr = strcmp(op, "Write") == 0;
                if (!rd && !wr)
                        continue;
                kata_cgroup_io_device *d = io_device(s, maj, min);
                if (!d)
                        continue;
                if (bytes)
                        *(rd ? &d->read_bytes : &d->write_bytes) = v;
                else
                        *(rd ? &d->read_ios : &d->write_ios) = v;
        }
        free(text);
        return 0;
}

static int io_v1(const kata_cgroup *cg, kata_cgroup_stats *s, kata_error *err)
{
        static const struct {
                const char *recursive, *plain;
                bool bytes;
        } files[] = {
            {"blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes", true},
            {"blkio.throttle.io_serviced_recursive", "blkio.throttle.io_serviced", false}};
        for (size_t i = 0; i < KATA_ARRAY_SIZE(files); i++) {
                size_t before = s->io.n_devices;
                int r = io_v1_file(cg, s, files[i].recursive, files[i].bytes, err);
                /* Kernels without the _recursive files: the plain ones. */
                if (r == 0 && s->io.n_devices == before &&
                    !cg_file_exists(cg, KATA_CGROUP_BLKIO, files[i].recursive))
                        r = io_v1_file(cg, s, files[i].plain, files[i].bytes, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int kata_cgroup_stats_read(const kata_cgroup *cg, kata_cgroup_stats *s, kata_error *err)
{
        memset(s, 0, sizeof(*s));
        int r = 0;
        if (cg_has(cg, KATA_CGROUP_CPU) || cg_has(cg, KATA_CGROUP_CPUACCT)) {
                bool v2 = cg_has(cg, KATA_CGROUP_CPUACCT) ? cg_on_v2(cg, KATA_CGROUP_CPUACCT)
                                                          : cg_on_v2(cg, KATA_CGROUP_CPU);
                r = v2 ? cpu_v2(cg, s, err) : cpu_v1(cg, s, err);
                if (r < 0)
                        goto out;
                s->cpu.valid = true;
        }
        if (cg_has(cg, KATA_CGROUP_MEMORY)) {
                r = cg_on_v2(cg, KATA_CGROUP_MEMORY) ? memory_v2(cg, s, err)
                                                     : memory_v1(cg, s, err);
                if (r < 0)
                        goto out;
                s->memory.valid = true;
        }
        if (cg_has(cg, KATA_CGROUP_PIDS)) {
                r = pids_stats(cg, s, err);
                if (r < 0)
                        goto out;
                s->pids.valid = true;
        }
        if (cg_has(cg, KATA_CGROUP_BLKIO)) {
                r = cg_on_v2(cg, KATA_CGROUP_BLKIO) ? io_v2(cg, s, err) : io_v1(cg, s, err);
                if (r < 0)
                        goto out;
                for (size_t i = 0; i < s->io.n_devices; i++) {
                        s->io.read_bytes += s->io.devices[i].read_bytes;
                        s->io.write_bytes += s->io.devices[i].write_bytes;
                        s->io.read_ios += s->io.devices[i].read_ios;
                        s->io.write_ios += s->io.devices[i].write_ios;
                }
                s->io.valid = true;
        }
out:
        if (r < 0)
                return kata_error_prefix(err, "reading stats of cgroup %s", cg->rel);
        return 0;
}
