/* What every kata-ctl trace program shares: the tracker map of cgroups in scope (seeded by
 * userspace, kept current by cgroup_mkdir/cgroup_release), reading a task's cgroup in the
 * scope's hierarchy (v1 through CO-RE, v2 the default hierarchy), the pid in the scope's
 * pid namespace, and the per-CPU drop counter. Included once per program object. */
#ifndef KATA_SCOPE_BPF_H
#define KATA_SCOPE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace_events.h"

#define TRACKER_MAX 16384

/* Set by userspace before load. */
const volatile __u32 scope_all = 0;       /* every cgroup is in scope */
const volatile __u32 scope_subsys = 0;    /* enum trace_subsys */
const volatile __u32 scope_hierarchy = 0; /* hierarchy id of scope_subsys (0: cgroup2) */
const volatile __u32 pidns_level = 0;     /* pid namespace level of the sandbox, 0: host */

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, TRACKER_MAX);
        __type(key, struct trace_cgroup_key);
        __type(value, __u8);
} tracker SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, TRACE_DROP_NR);
        __type(key, __u32);
        __type(value, __u64);
} drops SEC(".maps");

static __always_inline void count_drop(__u32 slot)
{
        __u64 *n = bpf_map_lookup_elem(&drops, &slot);
        if (n)
                (*n)++;
}

static __always_inline int subsys_kernel_id(void)
{
        switch (scope_subsys) {
        case TRACE_SUBSYS_MEMORY:
                return bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
        case TRACE_SUBSYS_PIDS:
                return bpf_core_enum_value(enum cgroup_subsys_id, pids_cgrp_id);
        case TRACE_SUBSYS_CPU:
                return bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id);
        case TRACE_SUBSYS_CPUACCT:
                return bpf_core_enum_value(enum cgroup_subsys_id, cpuacct_cgrp_id);
        case TRACE_SUBSYS_CPUSET:
                return bpf_core_enum_value(enum cgroup_subsys_id, cpuset_cgrp_id);
        case TRACE_SUBSYS_DEVICES:
                return bpf_core_enum_value(enum cgroup_subsys_id, devices_cgrp_id);
        case TRACE_SUBSYS_FREEZER:
                return bpf_core_enum_value(enum cgroup_subsys_id, freezer_cgrp_id);
        case TRACE_SUBSYS_BLKIO:
                return bpf_core_enum_value(enum cgroup_subsys_id, io_cgrp_id);
        }
        return -1;
}

/* The task's cgroup id in the scope's hierarchy; 0 when it cannot be read. */
static __always_inline __u64 task_cgroup_id(struct task_struct *task, bool is_current)
{
        if (scope_subsys == TRACE_SUBSYS_V2) {
                if (is_current)
                        return bpf_get_current_cgroup_id();
                return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
        }
        int sid = subsys_kernel_id();
        if (sid < 0 || sid >= CGROUP_SUBSYS_COUNT)
                return 0;
        struct css_set *cset = BPF_CORE_READ(task, cgroups);
        struct cgroup_subsys_state *css = NULL;
        bpf_core_read(&css, sizeof(css), &cset->subsys[sid]);
        if (!css)
                return 0;
        return BPF_CORE_READ(css, cgroup, kn, id);
}

static __always_inline bool cgroup_tracked(__u32 hierarchy, __u64 id)
{
        if (scope_all)
                return true;
        struct trace_cgroup_key key = {.hierarchy = hierarchy, .id = id};
        return bpf_map_lookup_elem(&tracker, &key) != NULL;
}

static __always_inline bool task_in_scope(struct task_struct *task, bool is_current, __u64 *cgid)
{
        *cgid = task_cgroup_id(task, is_current);
        return cgroup_tracked(scope_hierarchy, *cgid);
}

static __always_inline __u32 cgroup_hierarchy(struct cgroup *cgrp)
{
        return BPF_CORE_READ(cgrp, root, hierarchy_id);
}

/* A cgroup created under a tracked parent becomes tracked. Returns true when the new
 * cgroup is in scope. */
static __always_inline bool tracker_on_mkdir(struct cgroup *cgrp)
{
        struct trace_cgroup_key key = {.hierarchy = cgroup_hierarchy(cgrp)};
        key.id = BPF_CORE_READ(cgrp, kn, id);
        if (scope_all)
                return true;
        struct trace_cgroup_key parent = {.hierarchy = key.hierarchy};
        parent.id = BPF_CORE_READ(cgrp, self.parent, cgroup, kn, id);
        if (!bpf_map_lookup_elem(&tracker, &parent))
                return false;
        __u8 one = 1;
        if (bpf_map_update_elem(&tracker, &key, &one, BPF_ANY) != 0)
                count_drop(TRACE_DROP_TRACKER);
        return true;
}

/* Returns true when the released cgroup was in scope, and forgets it. */
static __always_inline bool tracker_on_release(struct cgroup *cgrp)
{
        struct trace_cgroup_key key = {.hierarchy = cgroup_hierarchy(cgrp)};
        key.id = BPF_CORE_READ(cgrp, kn, id);
        if (scope_all)
                return true;
        return bpf_map_delete_elem(&tracker, &key) == 0;
}

/* The pid in the sandbox's pid namespace (pidns_level; a task outside it keeps its pid
 * in its own, shallower namespace). pidns_level 0 is the host: the host pid. */
static __always_inline __u32 task_ns_pid(struct task_struct *task)
{
        struct pid *pid = BPF_CORE_READ(task, thread_pid);
        if (!pid)
                return 0;
        unsigned int level = BPF_CORE_READ(pid, level);
        if (pidns_level < level)
                level = pidns_level;
        int nr = 0;
        bpf_core_read(&nr, sizeof(nr), &pid->numbers[level & 31].nr);
        return nr;
}

static __always_inline void fill_head(struct trace_head *h, __u32 type, struct task_struct *task,
                                      __u64 cgid)
{
        h->type = type;
        h->pid = BPF_CORE_READ(task, tgid);
        h->tid = BPF_CORE_READ(task, pid);
        h->ns_pid = task_ns_pid(task);
        h->ts_ns = bpf_ktime_get_ns();
        h->cgroup_id = cgid;
        h->hierarchy = scope_hierarchy;
        h->uid = BPF_CORE_READ(task, cred, uid.val);
        bpf_probe_read_kernel_str(h->comm, sizeof(h->comm), &task->comm);
}

#endif
