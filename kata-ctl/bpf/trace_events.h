/* Records the eBPF programs in kata-ctl/bpf send to kata-ctl trace through their
 * ring buffers, and the keys of the maps userspace fills. Shared by both sides: the BPF
 * side gets __u32/__u64 from vmlinux.h, userspace from <linux/types.h>. */
#ifndef KATA_TRACE_EVENTS_H
#define KATA_TRACE_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TRACE_COMM_LEN     16
#define TRACE_PATH_LEN     256
#define TRACE_ARG_LEN      256 /* longest argument kept, NUL included */
#define TRACE_MAX_ARGS     64  /* hard limit of --max-args */
#define TRACE_DEFAULT_ARGS 32
#define TRACE_ARGS_SIZE    (TRACE_MAX_ARGS * TRACE_ARG_LEN) /* a power of two */

/* Which v1 controller's hierarchy the programs read a task's cgroup in (rodata
 * scope_subsys). The BPF side turns it into the kernel's enum cgroup_subsys_id value
 * through a CO-RE enum relocation, so no kernel numbering is compiled in. */
enum trace_subsys {
        TRACE_SUBSYS_V2 = 0, /* the default (cgroup2) hierarchy */
        TRACE_SUBSYS_MEMORY,
        TRACE_SUBSYS_PIDS,
        TRACE_SUBSYS_CPU,
        TRACE_SUBSYS_CPUACCT,
        TRACE_SUBSYS_CPUSET,
        TRACE_SUBSYS_DEVICES,
        TRACE_SUBSYS_FREEZER,
        TRACE_SUBSYS_BLKIO,
};

/* Key of the tracker map: cgroup ids are kernfs node ids, unique only within one
 * hierarchy, so the hierarchy id (0 for cgroup2) is part of the key. */
struct trace_cgroup_key {
        __u32 hierarchy;
        __u32 pad;
        __u64 id;
};

/* Slots of the per-CPU drop counter array. */
enum trace_drop_slot {
        TRACE_DROP_RINGBUF = 0, /* ring buffer full: the event was lost */
        TRACE_DROP_PENDING,     /* too many execs in flight: the exec was not tracked */
        TRACE_DROP_TRACKER,     /* tracker map full: a new cgroup was not tracked */
        TRACE_DROP_NR,
};

enum trace_event_type {
        TRACE_EV_EXEC = 1,
        TRACE_EV_CGROUP,
        TRACE_EV_OOM,
};

/* Common head of every record. */
struct trace_head {
        __u32 type; /* enum trace_event_type */
        __u32 pid;  /* tgid on the host */
        __u32 tid;
        __u32 ns_pid; /* pid in the scope's pid namespace (see rodata pidns_level) */
        __u64 ts_ns;  /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
        __u64 cgroup_id;
        __u32 hierarchy;
        __u32 uid;
        char comm[TRACE_COMM_LEN];
};

#define TRACE_EXEC_ARGS_TRUNCATED 0x1 /* more arguments than max_args */
#define TRACE_EXEC_ARG_TRUNCATED  0x2 /* one argument longer than TRACE_ARG_LEN - 1 */
#define TRACE_EXEC_AT             0x4 /* execveat, not execve */
#define TRACE_EXEC_ARGV_FAULT     0x8 /* argv could not be read */
/* args is the new program's argument area (mm->arg_start..arg_end) as the kernel copied
 * it: argc is unknown (0) and max_args/TRACE_ARG_LEN are applied by userspace. Used when
 * the caller's argv was not readable at sys_enter (strings in pages a fork has not
 * mapped yet). */
#define TRACE_EXEC_ARGS_FROM_MM 0x10

/* Sent with only args_size bytes of args. */
struct trace_exec_event {
        struct trace_head h;
        __u32 ppid;
        __s32 ret;
        __u32 flags;
        __s32 dirfd; /* execveat */
        __u32 at_flags;
        __u32 argc;      /* arguments captured */
        __u32 args_size; /* bytes used in args: argc NUL-terminated strings */
        __u32 pad;
        char filename[TRACE_PATH_LEN];
        char args[TRACE_ARGS_SIZE + TRACE_ARG_LEN]; /* slack keeps masked writes in bounds */
};

enum trace_cgroup_op {
        TRACE_CG_MKDIR = 1,
        TRACE_CG_RMDIR,
        TRACE_CG_RELEASE,
        TRACE_CG_ATTACH,
        TRACE_CG_FREEZE,
        TRACE_CG_UNFREEZE,
};

/* h.cgroup_id/h.hierarchy are the cgroup the event is about; h.pid/comm the task that
 * caused it (for attach: the task moved). */
struct trace_cgroup_event {
        struct trace_head h;
        __u32 op; /* enum trace_cgroup_op */
        __s32 level;
        __u32 threadgroup; /* attach: the whole process moved */
        __u32 pad;
        char path[TRACE_PATH_LEN];
};

/* Memory figures in pages, as the kernel's mm counters hold them. */
struct trace_oom_event {
        struct trace_head h; /* the victim (comm, pids, cgroup) */
        __u64 total_vm;
        __u64 anon_rss;
        __u64 file_rss;
        __u64 shmem_rss;
        __u64 pgtables_bytes;
        __s32 oom_score_adj;
        __u32 killer_pid; /* the task that ran the OOM killer */
        char killer_comm[TRACE_COMM_LEN];
};

#endif
