// SPDX-License-Identifier: GPL-2.0
/* kata-ctl trace exec: execve and execveat in scope. sys_enter_* captures filename and
 * argv into a per-thread pending record; sched_process_exec (success: the tid may have
 * changed, old_pid names the thread that called exec) or sys_exit_* (failure) sends it. */
#include "scope.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 max_args = TRACE_DEFAULT_ARGS;
const volatile __u32 report_failed = 0;

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, 1024);
        __uint(map_flags, BPF_F_NO_PREALLOC);
        __type(key, __u32); /* tid that called exec */
        __type(value, struct trace_exec_event);
} pending SEC(".maps");

/* The record is too big for the BPF stack: built here, then copied into pending. */
struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct trace_exec_event);
} scratch SEC(".maps");

/* bpf_loop keeps the verifier from walking every argument offset combination. */
struct argv_walk {
        const char *const *argv;
};

static long read_arg(__u32 i, void *ctx)
{
        struct argv_walk *walk = ctx;
        __u32 zero = 0;
        struct trace_exec_event *e = bpf_map_lookup_elem(&scratch, &zero);
        if (!e)
                return 1;
        const char *arg = NULL;
        if (bpf_probe_read_user(&arg, sizeof(arg), &walk->argv[i]) != 0) {
                e->flags |= TRACE_EXEC_ARGV_FAULT;
                return 1;
        }
        if (!arg)
                return 1;
        if (i >= max_args) {
                e->flags |= TRACE_EXEC_ARGS_TRUNCATED;
                return 1;
        }
        __u32 off = e->args_size;
        if (off > TRACE_ARGS_SIZE - TRACE_ARG_LEN)
                return 1;
        long n = bpf_probe_read_user_str(&e->args[off & (TRACE_ARGS_SIZE - 1)], TRACE_ARG_LEN, arg);
        if (n <= 0) {
                e->flags |= TRACE_EXEC_ARGV_FAULT;
                return 1;
        }
        if (n == TRACE_ARG_LEN)
                e->flags |= TRACE_EXEC_ARG_TRUNCATED;
        e->args_size = off + n;
        e->argc++;
        return 0;
}

static __always_inline int exec_enter(const char *filename, const char *const *argv, int dirfd,
                                      __u32 at_flags, __u32 flags)
{
        struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
        __u64 cgid;
        if (!task_in_scope(task, true, &cgid))
                return 0;
        __u32 zero = 0;
        struct trace_exec_event *e = bpf_map_lookup_elem(&scratch, &zero);
        if (!e)
                return 0;
        fill_head(&e->h, TRACE_EV_EXEC, task, cgid);
        e->ppid = BPF_CORE_READ(task, real_parent, tgid);
        e->ret = 0;
        e->flags = flags;
        e->dirfd = dirfd;
        e->at_flags = at_flags;
        e->filename[0] = 0;
        bpf_probe_read_user_str(e->filename, sizeof(e->filename), filename);

        e->argc = 0;
        e->args_size = 0;
        struct argv_walk walk = {.argv = argv};
        bpf_loop(TRACE_MAX_ARGS + 1, read_arg, &walk, 0);

        __u32 tid = (__u32)bpf_get_current_pid_tgid();
        if (bpf_map_update_elem(&pending, &tid, e, BPF_ANY) != 0)
                count_drop(TRACE_DROP_PENDING);
        return 0;
}

static __always_inline void send(struct trace_exec_event *e)
{
        __u64 size =
            offsetof(struct trace_exec_event, args) + (e->args_size & (TRACE_ARGS_SIZE - 1));
        if (e->args_size >= TRACE_ARGS_SIZE)
                size = sizeof(*e);
        if (bpf_ringbuf_output(&events, e, size, 0) != 0)
                count_drop(TRACE_DROP_RINGBUF);
}

SEC("tracepoint/syscalls/sys_enter_execve")
int sys_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
        return exec_enter((const char *)ctx->args[0], (const char *const *)ctx->args[1], 0, 0, 0);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int sys_enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
        return exec_enter((const char *)ctx->args[1], (const char *const *)ctx->args[2],
                          (int)ctx->args[0], (__u32)ctx->args[4], TRACE_EXEC_AT);
}

/* Success: the new program is in place. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
        __u32 tid = old_pid;
        struct trace_exec_event *e = bpf_map_lookup_elem(&pending, &tid);
        if (!e)
                return 0;
        e->ret = 0;
        e->h.tid = BPF_CORE_READ(task, pid);
        bpf_probe_read_kernel_str(e->h.comm, sizeof(e->h.comm), &task->comm);
        if (!e->filename[0])
                bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
                                          BPF_CORE_READ(bprm, filename));
        if (e->flags & TRACE_EXEC_ARGV_FAULT) {
                /* The new stack holds the arguments, NUL-separated, and is mapped. */
                struct mm_struct *mm = BPF_CORE_READ(task, mm);
                unsigned long start = BPF_CORE_READ(mm, arg_start);
                unsigned long len = BPF_CORE_READ(mm, arg_end) - start;
                if (len > TRACE_ARGS_SIZE)
                        len = TRACE_ARGS_SIZE;
                if (len &&
                    bpf_probe_read_user(e->args, len & (TRACE_ARGS_SIZE - 1) ?: TRACE_ARGS_SIZE,
                                        (void *)start) == 0) {
                        e->flags &= ~TRACE_EXEC_ARGV_FAULT;
                        e->flags |= TRACE_EXEC_ARGS_FROM_MM;
                        e->args_size = len;
                        e->argc = 0;
                }
        }
        send(e);
        bpf_map_delete_elem(&pending, &tid);
        return 0;
}

static __always_inline int exec_exit(long ret)
{
        __u32 tid = (__u32)bpf_get_current_pid_tgid();
        struct trace_exec_event *e = bpf_map_lookup_elem(&pending, &tid);
        if (!e)
                return 0;
        if (ret < 0 && report_failed) {
                e->ret = ret;
                send(e);
        }
        bpf_map_delete_elem(&pending, &tid);
        return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int sys_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
        return exec_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int sys_exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
        return exec_exit(ctx->ret);
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(exec_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
        tracker_on_mkdir(cgrp);
        return 0;
}

SEC("tp_btf/cgroup_release")
int BPF_PROG(exec_cgroup_release, struct cgroup *cgrp, const char *path)
{
        tracker_on_release(cgrp);
        return 0;
}
