/* Applying limits: one function per controller, v1 and v2 side by side. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

uint64_t kata_cgroup_shares_to_weight(uint64_t shares)
{
        if (shares < 2)
                shares = 2;
        if (shares > 262144)
                shares = 262144;
        return 1 + ((shares - 2) * 9999) / 262142;
}

static int write_u64(kata_cgroup *cg, enum kata_cgroup_controller c, const char *file, uint64_t v,
                     kata_error *err)
{
        char s[32];
        snprintf(s, sizeof(s), "%" PRIu64, v);
        return cg_write(cg, c, file, s, err);
}

static int write_i64(kata_cgroup *cg, enum kata_cgroup_controller c, const char *file, int64_t v,
                     kata_error *err)
{
        char s[32];
        snprintf(s, sizeof(s), "%" PRId64, v);
        return cg_write(cg, c, file, s, err);
}

static int apply_cpu_v2(kata_cgroup *cg, const kata_cgroup_resources *res, kata_error *err)
{
        int r;
        if (res->has_cpu_shares && res->cpu_shares) {
                r = write_u64(cg, KATA_CGROUP_CPU, "cpu.weight",
                              kata_cgroup_shares_to_weight(res->cpu_shares), err);
                if (r < 0)
                        return r;
        }
        if (!res->has_cpu_quota && !res->has_cpu_period)
                return 0;
        /* cpu.max holds "quota period": keep the half that is not being set. */
        char quota[32] = "max";
        uint64_t period = 100000;
        char *cur = NULL;
        kata_error ignored = KATA_ERROR_INIT;
        if (cg_read(cg, KATA_CGROUP_CPU, "cpu.max", &cur, &ignored) == 0) {
                char q[32];
                uint64_t p;
                if (sscanf(cur, "%31s %" SCNu64, q, &p) == 2) {
                        snprintf(quota, sizeof(quota), "%s", q);
                        period = p;
                }
                free(cur);
        }
        if (res->has_cpu_quota) {
                if (res->cpu_quota > 0)
                        snprintf(quota, sizeof(quota), "%" PRId64, res->cpu_quota);
                else
                        snprintf(quota, sizeof(quota), "max");
        }
        if (res->has_cpu_period && res->cpu_period)
                period = res->cpu_period;
        char value[80];
        snprintf(value, sizeof(value), "%s %" PRIu64, quota, period);
        return cg_write(cg, KATA_CGROUP_CPU, "cpu.max", value, err);
}

static int apply_cpu_v1(kata_cgroup *cg, const kata_cgroup_resources *res, kata_error *err)
{
        int r;
        if (res->has_cpu_shares && res->cpu_shares) {
                r = write_u64(cg, KATA_CGROUP_CPU, "cpu.shares", res->cpu_shares, err);
                if (r < 0)
                        return r;
        }
        /* The period first: a quota is checked against the current period. */
        if (res->has_cpu_period && res->cpu_period) {
                r = write_u64(cg, KATA_CGROUP_CPU, "cpu.cfs_period_us", res->cpu_period, err);
                if (r < 0)
                        return r;
        }
        if (res->has_cpu_quota) {
                r = write_i64(cg, KATA_CGROUP_CPU, "cpu.cfs_quota_us",
                              res->cpu_quota > 0 ? res->cpu_quota : -1, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int apply_cpu(kata_cgroup *cg, const kata_cgroup_resources *res, kata_error *err)
{
        bool wanted =
            (res->has_cpu_shares && res->cpu_shares) || res->has_cpu_quota || res->has_cpu_period;
        if (!wanted)
                return 0;
        if (!cg_has(cg, KATA_CGROUP_CPU))
                return kata_error_set(err, ENOTSUP,
                                      "cpu limits requested but the cpu controller "
                                      "is not available");
        return cg_on_v2(cg, KATA_CGROUP_CPU) ? apply_cpu_v2(cg, res, err)
                                             : apply_cpu_v1(cg, res, err);
}

static int apply_cpuset(kata_cgroup *cg, const kata_cgroup_resources *res, kata_error *err)
{
        bool cpus = res->cpuset_cpus && res->cpuset_cpus[0];
        bool mems = res->cpuset_mems && res->cpuset_mems[0];
        if (!cpus && !mems)
                return 0;
        if (!cg_has(cg, KATA_CGROUP_CPUSET))
                return kata_error_set(err, ENOTSUP,
                                      "cpuset requested but the cpuset controller "
                                      "is not available");
        int r = 0;
        if (cpus)
                r = cg_write(cg, KATA_CGROUP_CPUSET, "cpuset.cpus", res->cpuset_cpus, err);
        if (r == 0 && mems)
                r = cg_write(cg, KATA_CGROUP_CPUSET, "cpuset.mems", res->cpuset_mems, err);
        return r;
}

static void limit_string(int64_t v, bool v2, char *s, size_t n)
{
        if (v < 0)
                snprintf(s, n, "%s", v2 ? "max" : "-1");
        else
                snprintf(s, n, "%" PRId64, v);
}

/* Without swap accounting (v1 swapaccount=0, v2 without memory.swap.max) there is no
 * swap knob: a swap setting is dropped with a warning rather than failing the container. */
static bool swap_supported(kata_cgroup *cg, const char *file)
{
        if (cg_file_exists(cg, KATA_CGROUP_MEMORY, file))
                return true;
        kata_log_warn("cgroups: %s: no %s (no swap accounting): swap limit not applied", cg->rel,
                      file);
        return false;
}

static int apply_memory_v2(kata_cgroup *cg, const kata_cgroup_resources *res, kata_error *err)
{
        char s[32];
        int r;
        if (res->has_memory_limit) {
                limit_string(res->memory_limit, true, s, sizeof(s));
                r = cg_write(cg, KATA_CGROUP_MEMORY, "memory.max", s, err);
                if (r < 0)
                        return r;
        }
        if (res->has_memory_swap && swap_supported(cg, "memory.swap.max")) {
                /* OCI's swap is memory+swap; v2's memory.swap.max is swap alone. */
                int64_t swap = res->memory_swap;
                if (swap >= 0 && res->has_memory_limit && res->memory_limit >= 0) {
                        if (swap < res->memory_limit)
                                return kata_error_set(err, EINVAL,
                                                      "memory swap limit %" PRId64
                                                      " is below the memory limit %" PRId64,
                                                      swap, res->memory_limit);
                        swap -= res->memory_limit;
                }
                limit_string(swap, true, s, sizeof(s));
                r = cg_write(cg, KATA_CGROUP_MEMORY, "memory.swap.max", s, err);
                if (r < 0)
                        return r;
        }
        if (res->has_memory_reservation) {
                limit_string(res->memory_reservation, true, s, sizeof(s));
                r = cg_write(cg, KATA_CGROUP_MEMORY, "memory.low", s, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int apply_memory_v1(kata_cgroup *cg, const kata_cgroup_resources *res, kata_error *err)
{
        char lim[32], swap[32];
        int r;
        kata_cgroup_resources local = *res;
        if (local.has_memory_swap && !swap_supported(cg, "memory.memsw.limit_in_bytes"))
                local.has_memory_swap = false;
        res = &local;
        limit_string(res->memory_limit, false, lim, sizeof(lim));
        limit_string(res->memory_swap, false, swap, sizeof(swap));
        if (res->has_memory_limit && res->has_memory_swap) {
                /* memsw must stay >= limit at every step: which goes first depends on the
                 * direction, so try the limit first and fall back to swap first. */
                kata_error first = KATA_ERROR_INIT;
                r = cg_write(cg, KATA_CGROUP_MEMORY, "memory.limit_in_bytes", lim, &first);
                if (r == 0) {
                        r = cg_write(cg, KATA_CGROUP_MEMORY, "memory.memsw.limit_in_bytes", swap,
                                     err);
                } else {
                        r = cg_write(cg, KATA_CGROUP_MEMORY, "memory.memsw.limit_in_bytes", swap,
                                     err);
                        if (r == 0)
                                r = cg_write(cg, KATA_CGROUP_MEMORY, "memory.limit_in_bytes", lim,
                                             err);
                }
        } else if (res->has_memory_limit) {
                r = cg_write(cg, KATA_CGROUP_MEMORY, "memory.limit_in_bytes", lim, err);
        } else if (res->has_memory_swap) {
                r = cg_write(cg, KATA_CGROUP_MEMORY, "memory.memsw.limit_in_bytes", swap, err);
        } else {
                r = 0;
        }
        if (r < 0)
                return r;
        if (res->has_memory_reservation) {
                limit_string(res->memory_reservation, false, lim, sizeof(lim));
                r = cg_write(cg, KATA_CGROUP_MEMORY, "memory.soft_limit_in_bytes", lim, err);
        }
        return r;
}

static int apply_memory(kata_cgroup *cg, const kata_cgroup_resources *res, kata_error *err)
{
        if (!res->has_memory_limit && !res->has_memory_swap && !res->has_memory_reservation)
                return 0;
        if (!cg_has(cg, KATA_CGROUP_MEMORY))
                return kata_error_set(err, ENOTSUP,
                                      "memory limits requested but the memory "
                                      "controller is not available");
        return cg_on_v2(cg, KATA_CGROUP_MEMORY) ? apply_memory_v2(cg, res, err)
                                                : apply_memory_v1(cg, res, err);
}

static int apply_pids(kata_cgroup *cg, const kata_cgroup_resources *res, kata_error *err)
{
        if (!res->has_pids_limit)
                return 0;
        if (!cg_has(cg, KATA_CGROUP_PIDS))
                return kata_error_set(err, ENOTSUP,
                                      "a pids limit was requested but the pids "
                                      "controller is not available");
        char s[32];
        if (res->pids_limit > 0)
                snprintf(s, sizeof(s), "%" PRId64, res->pids_limit);
        else
                snprintf(s, sizeof(s), "max");
        return cg_write(cg, KATA_CGROUP_PIDS, "pids.max", s, err);
}

static int device_rule_string(const kata_cgroup_device_rule *d, char *s, size_t n, kata_error *err)
{
        if (d->type != 'a' && d->type != 'b' && d->type != 'c')
                return kata_error_set(err, EINVAL, "device rule type '%c' is not a, b or c",
                                      d->type ? d->type : '?');
        size_t al = strnlen(d->access, sizeof(d->access));
        if (al == 0 || al >= sizeof(d->access) || strspn(d->access, "rwm") != al)
                return kata_error_set(err, EINVAL, "device rule access must be made of r, w, m");
        if (d->major < -1 || d->minor < -1 || d->major > UINT32_MAX || d->minor > UINT32_MAX)
                return kata_error_set(err, EINVAL, "device rule major/minor out of range");
        char maj[24] = "*", min[24] = "*";
        if (d->major >= 0)
                snprintf(maj, sizeof(maj), "%" PRId64, d->major);
        if (d->minor >= 0)
                snprintf(min, sizeof(min), "%" PRId64, d->minor);
        if (d->type == 'a')
                snprintf(s, n, "a");
        else
                snprintf(s, n, "%c %s:%s %s", d->type, maj, min, d->access);
        return 0;
}

static int apply_devices(kata_cgroup *cg, const kata_cgroup_resources *res, kata_error *err)
{
        if (!res->n_devices)
                return 0;
        if (!cg_has(cg, KATA_CGROUP_DEVICES) || cg_on_v2(cg, KATA_CGROUP_DEVICES)) {
                kata_log_warn("cgroups: %zu device rules for %s not applied: no v1 devices "
                              "controller (v2 needs eBPF)",
                              res->n_devices, cg->rel);
                return 0;
        }
        for (size_t i = 0; i < res->n_devices; i++) {
                char rule[80];
                int r = device_rule_string(&res->devices[i], rule, sizeof(rule), err);
                if (r == 0)
                        r = cg_write(cg, KATA_CGROUP_DEVICES,
                                     res->devices[i].allow ? "devices.allow" : "devices.deny", rule,
                                     err);
                if (r < 0)
                        return kata_error_prefix(err, "device rule %zu", i);
        }
        return 0;
}

int kata_cgroup_apply(kata_cgroup *cg, const kata_cgroup_resources *res, kata_error *err)
{
        static int (*const steps[])(kata_cgroup *, const kata_cgroup_resources *, kata_error *) = {
            apply_cpuset, apply_cpu, apply_memory, apply_pids, apply_devices};
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                int r = steps[i](cg, res, err);
                if (r < 0)
                        return kata_error_prefix(err, "applying resources to cgroup %s", cg->rel);
        }
        return 0;
}
