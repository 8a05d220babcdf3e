/* The live view's data layer (kata-ctl top, kata-ctl monitor): what runs in each sandbox
 * and what it costs, sampled from the runtime's state, the host cgroup files (v1, v2 and
 * hybrid, merged per controller by the cgroups library) and, where the host cannot see
 * inside (a VM), the sandbox's agent. No terminal code here.
 *
 * A kata_observe keeps what one sample needs from the previous one (CPU usage for the
 * deltas, open cgroup handles, agent connections), so sample it repeatedly: the first
 * sample of a sandbox, container or process has no CPU% yet (cpu_percent_valid false).
 * Sandboxes, containers and processes that appear or vanish between samples are normal:
 * they are simply present or absent in the next snapshot, never an error.
 *
 * Roles, one file each: observe.c (the sampler), usage.c (a cgroup's figures and CPU%),
 * cgfiles.c (cgroup files kept open between samples), procs.c (processes from /proc),
 * agent.c (agent queries), history.c (the previous sample), json.c (the JSON form
 * documented in kata-ctl/top/README.md).
 *
 * Failing functions return a negative errno and fill err. Not thread-safe: one thread
 * samples a given kata_observe at a time. */
#ifndef KATA_OBSERVE_H
#define KATA_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroups/cgroups.h"
#include "common/error.h"
#include "state/state.h"

/* Memory or pids limit that is not set. */
#define KATA_OBSERVE_UNLIMITED UINT64_MAX
#define KATA_OBSERVE_ERROR_MAX 256

typedef struct kata_observe_opts {
        const char *state_root;                 /* NULL: KATA_STATE_DEFAULT_ROOT */
        const kata_cgroup_layout_opts *cgroups; /* NULL: this host's cgroups */
        const char *proc_root;                  /* NULL: "/proc" (tests point it elsewhere) */
        bool query_agents;    /* health/latency, guest details, and stats or processes of
                                 containers the host cannot see */
        int agent_timeout_ms; /* bound on connecting and on each RPC; 0: 500. An
                                 unreachable agent is retried after 1 s, doubling to
                                 30 s, so it costs at most one timeout per attempt */
} kata_observe_opts;

/* What to list processes of (a cost per process, so only what is shown). */
typedef struct kata_observe_request {
        bool all_processes;       /* processes of every container */
        const char *sandbox_id;   /* else: processes of this sandbox's containers... */
        const char *container_id; /* ...or of this one container only (NULL: all of them) */
        /* Figures of containers only for sandbox_id's (what the screen's sandbox list
         * needs; far cheaper with many sandboxes); false: every container's. */
        bool only_selected_containers;
} kata_observe_request;

enum kata_observe_source {
        KATA_OBSERVE_SOURCE_NONE = 0, /* no figures (cgroup gone, agent unreachable) */
        KATA_OBSERVE_SOURCE_HOST,     /* host cgroup files */
        KATA_OBSERVE_SOURCE_AGENT,    /* the agent's StatsContainer (inside a VM) */
};

/* Figures of one cgroup. A part is meaningful only when its _valid flag is set. */
typedef struct kata_observe_usage {
        enum kata_observe_source source;

        bool cpu_valid;
        uint64_t cpu_usage_ns;          /* cumulative */
        bool cpu_percent_valid;         /* false on the first sample */
        double cpu_percent;             /* usage delta / wall delta; 100 = one CPU */
        uint64_t cpu_periods;           /* CFS periods, cumulative */
        uint64_t cpu_throttled_periods; /* periods throttled, cumulative */
        uint64_t cpu_throttled_ns;      /* time throttled, cumulative */

        bool memory_valid;
        uint64_t memory_usage_bytes;
        uint64_t memory_limit_bytes;       /* KATA_OBSERVE_UNLIMITED: none */
        uint64_t memory_working_set_bytes; /* usage minus inactive file pages */
        uint64_t memory_cache_bytes;       /* page cache (v1 cache, v2 file) */
        uint64_t oom_kills;                /* cumulative */

        bool pids_valid;
        uint64_t pids_current;
        uint64_t pids_limit; /* KATA_OBSERVE_UNLIMITED: none */
} kata_observe_usage;

typedef struct kata_observe_process {
        int64_t host_pid;    /* 0: not visible from the host (inside a VM) */
        int64_t sandbox_pid; /* pid in the sandbox's pid namespace, 0: unknown */
        int64_t ppid;        /* parent, in the namespace the figures came from */
        char comm[32];
        char *args; /* argv joined with spaces (malloc'd, never NULL; "" for kernel threads) */
        char state; /* R, S, D, Z... as /proc/PID/stat */
        uint32_t uid;
        uint64_t rss_bytes;
        uint64_t cpu_time_ns; /* user + system, cumulative */
        bool cpu_percent_valid;
        double cpu_percent; /* 100 = one CPU */
} kata_observe_process;

typedef struct kata_observe_container {
        char id[KATA_STATE_ID_MAX + 1];
        enum kata_container_status status;
        int64_t pid;                       /* host pid of its init, 0: none */
        int64_t ns_pid;                    /* same in the sandbox */
        char cgroup[KATA_CGROUP_PATH_MAX]; /* host cgroup path (relative to the cgroup
                                              root), "" when the host has none */
        kata_observe_usage usage;
        bool processes_listed;           /* processes were asked for and could be read */
        kata_observe_process *processes; /* sorted by CPU% then pid */
        size_t nprocesses;
        char error[KATA_OBSERVE_ERROR_MAX]; /* why figures or processes are missing, or "" */
} kata_observe_container;

typedef struct kata_observe_agent {
        bool queried;        /* query_agents was set and the sandbox has an agent address */
        bool ok;             /* the last health check succeeded */
        uint64_t latency_ns; /* its round trip (grpc.Health/Check), when ok */
        uint64_t failures;   /* failed queries since this kata_observe was made */
        char version[64];    /* from GetGuestDetails, "" until known */
        char cgroup_driver[32];
        char error[KATA_OBSERVE_ERROR_MAX]; /* last failure, "" when ok */
} kata_observe_agent;

typedef struct kata_observe_sandbox {
        char id[KATA_STATE_ID_MAX + 1];
        char hypervisor[KATA_STATE_NAME_MAX];
        enum kata_sandbox_status status;
        int64_t created_ns;
        int64_t agent_pid; /* host pids, 0: none */
        int64_t vmm_pid;
        char cgroup[KATA_CGROUP_PATH_MAX]; /* host cgroup path relative to the cgroup root */
        kata_observe_usage usage;          /* the whole sandbox (VMM or agent and containers) */
        kata_observe_agent agent;
        bool exec_rate_valid; /* exec/s needs the eBPF exec stream (see exec_hint) */
        double exec_per_sec;
        kata_observe_container *containers; /* in state order */
        size_t ncontainers;
        char error[KATA_OBSERVE_ERROR_MAX]; /* why host figures are missing, or "" */
} kata_observe_sandbox;

typedef struct kata_observe_snapshot {
        uint64_t time_ns;                /* wall clock of the sample, Unix nanoseconds */
        uint64_t interval_ns;            /* since the previous sample, 0 for the first */
        kata_observe_sandbox *sandboxes; /* sorted by id */
        size_t nsandboxes;
        kata_state_problem *problems; /* state entries that could not be read (skipped) */
        size_t nproblems;
        char exec_hint[KATA_OBSERVE_ERROR_MAX]; /* why exec/s is unavailable, or "" */
} kata_observe_snapshot;

typedef struct kata_observe kata_observe; /* opaque */

/* Detects the cgroup layout; a host without cgroups still observes (figures then come
 * from agents only). */
int kata_observe_new(const kata_observe_opts *opts, kata_observe **out, kata_error *err);
void kata_observe_free(kata_observe *o);

/* Takes one sample into *out (free it with kata_observe_snapshot_free). req NULL: no
 * processes. Fails only when the state root cannot be listed or memory runs out; every
 * per-sandbox problem lands in that sandbox's error field. */
int kata_observe_sample(kata_observe *o, const kata_observe_request *req,
                        kata_observe_snapshot *out, kata_error *err);
void kata_observe_snapshot_free(kata_observe_snapshot *s);

const kata_observe_sandbox *kata_observe_find_sandbox(const kata_observe_snapshot *s,
                                                      const char *id);
const kata_observe_container *kata_observe_find_container(const kata_observe_sandbox *sb,
                                                          const char *id);

const char *kata_observe_source_name(enum kata_observe_source s); /* "none", "host", "agent" */

/* One snapshot as a single-line JSON object (malloc'd, no trailing newline); the fields
 * are documented in kata-ctl/top/README.md. */
int kata_observe_snapshot_to_json(const kata_observe_snapshot *s, char **out, kata_error *err);

#endif
