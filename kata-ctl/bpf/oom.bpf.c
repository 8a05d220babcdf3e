// SPDX-License-Identifier: GPL-2.0
/* kata-ctl trace oom: OOM-killer victims in scope. oom:mark_victim names only the pid, so
 * the BTF tracepoint's task pointer gives the victim's cgroup and mm counters. */
#include "scope.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 256 << 10);
} events SEC(".maps");

static __always_inline __u64 mm_counter(struct mm_struct *mm, int member)
{
        s64 v = 0;
        /* An approximation (per-CPU deltas not folded in), as the tracepoint itself reads. */
        bpf_core_read(&v, sizeof(v), &mm->rss_stat[member & 3].count);
        return v < 0 ? 0 : v;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(mark_victim, struct task_struct *task, uid_t uid)
{
        __u64 cgid;
        if (!task_in_scope(task, false, &cgid))
                return 0;
        struct trace_oom_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
        if (!e) {
                count_drop(TRACE_DROP_RINGBUF);
                return 0;
        }
        fill_head(&e->h, TRACE_EV_OOM, task, cgid);
        e->h.uid = uid;
        struct mm_struct *mm = BPF_CORE_READ(task, mm);
        e->total_vm = mm ? BPF_CORE_READ(mm, total_vm) : 0;
        e->file_rss = mm ? mm_counter(mm, MM_FILEPAGES) : 0;
        e->anon_rss = mm ? mm_counter(mm, MM_ANONPAGES) : 0;
        e->shmem_rss = mm ? mm_counter(mm, MM_SHMEMPAGES) : 0;
        e->pgtables_bytes = mm ? BPF_CORE_READ(mm, pgtables_bytes.counter) : 0;
        e->oom_score_adj = BPF_CORE_READ(task, signal, oom_score_adj);
        e->killer_pid = bpf_get_current_pid_tgid() >> 32;
        bpf_get_current_comm(e->killer_comm, sizeof(e->killer_comm));
        bpf_ringbuf_submit(e, 0);
        return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(oom_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
        tracker_on_mkdir(cgrp);
        return 0;
}

SEC("tp_btf/cgroup_release")
int BPF_PROG(oom_cgroup_release, struct cgroup *cgrp, const char *path)
{
        tracker_on_release(cgrp);
        return 0;
}
