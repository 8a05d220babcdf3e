// SPDX-License-Identifier: GPL-2.0
/* kata-ctl trace cgroup: cgroups created, removed, released, frozen and thawed in scope,
 * and tasks attached to them. cgroup_freeze/unfreeze fire for the cgroup2 freezer only. */
#include "scope.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 4 << 20);
} events SEC(".maps");

static __always_inline void emit(__u32 op, struct cgroup *cgrp, const char *path,
                                 struct task_struct *task, bool threadgroup)
{
        struct trace_cgroup_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
        if (!e) {
                count_drop(TRACE_DROP_RINGBUF);
                return;
        }
        if (!task)
                task = (struct task_struct *)bpf_get_current_task_btf();
        fill_head(&e->h, TRACE_EV_CGROUP, task, BPF_CORE_READ(cgrp, kn, id));
        e->h.hierarchy = cgroup_hierarchy(cgrp);
        e->op = op;
        e->level = BPF_CORE_READ(cgrp, level);
        e->threadgroup = threadgroup;
        e->pad = 0;
        e->path[0] = 0;
        if (path)
                bpf_probe_read_kernel_str(e->path, sizeof(e->path), path);
        bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
        if (tracker_on_mkdir(cgrp))
                emit(TRACE_CG_MKDIR, cgrp, path, NULL, false);
        return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
        if (cgroup_tracked(cgroup_hierarchy(cgrp), BPF_CORE_READ(cgrp, kn, id)))
                emit(TRACE_CG_RMDIR, cgrp, path, NULL, false);
        return 0;
}

SEC("tp_btf/cgroup_release")
int BPF_PROG(cgroup_release, struct cgroup *cgrp, const char *path)
{
        if (tracker_on_release(cgrp))
                emit(TRACE_CG_RELEASE, cgrp, path, NULL, false);
        return 0;
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(cgroup_attach_task, struct cgroup *dst, const char *path, struct task_struct *task,
             bool threadgroup)
{
        if (cgroup_tracked(cgroup_hierarchy(dst), BPF_CORE_READ(dst, kn, id)))
                emit(TRACE_CG_ATTACH, dst, path, task, threadgroup);
        return 0;
}

SEC("tp_btf/cgroup_freeze")
int BPF_PROG(cgroup_freeze, struct cgroup *cgrp, const char *path)
{
        if (cgroup_tracked(cgroup_hierarchy(cgrp), BPF_CORE_READ(cgrp, kn, id)))
                emit(TRACE_CG_FREEZE, cgrp, path, NULL, false);
        return 0;
}

SEC("tp_btf/cgroup_unfreeze")
int BPF_PROG(cgroup_unfreeze, struct cgroup *cgrp, const char *path)
{
        if (cgroup_tracked(cgroup_hierarchy(cgrp), BPF_CORE_READ(cgrp, kn, id)))
                emit(TRACE_CG_UNFREEZE, cgrp, path, NULL, false);
        return 0;
}
