/* Shared between the files of the observe library; not part of its API. */
#ifndef KATA_OBSERVE_INTERNAL_H
#define KATA_OBSERVE_INTERNAL_H

#include "agentclient/agent_client.h"
#include "observe/observe.h"

/* What one sample keeps for the next, keyed by a string: "c:<cgroup path>" (the open
 * cgroup and its last CPU usage), "p:<sandbox>:<pid>:<start time>" (a process's last CPU
 * time), "a:<sandbox>" (the agent connection and its details), "g:<sandbox>:<container>" and
 * "q:<sandbox>:<container>:<pid>" (CPU figures from the agent). Entries not touched by a
 * sample are dropped at its end: that is how vanished rows are forgotten. */
/* Kept-open cgroup files (cgfiles.c). */
enum {
        OBS_CG_CPU_USAGE = 0,
        OBS_CG_CPU_STAT,
        OBS_CG_MEM_USAGE,
        OBS_CG_MEM_LIMIT,
        OBS_CG_MEM_STAT,
        OBS_CG_MEM_EVENTS,
        OBS_CG_PIDS_CURRENT,
        OBS_CG_PIDS_MAX,
        OBS_CG_NFILES
};
typedef struct obs_cgfiles {
        int fd[OBS_CG_NFILES]; /* -1: not offered */
        bool v2[OBS_CG_NFILES];
} obs_cgfiles;

int obs_cgfiles_open(const kata_cgroup_layout *layout, const kata_cgroup *cg, obs_cgfiles **out,
                     kata_error *err);
/* Fills u (source HOST, no CPU%); -ENOENT once the cgroup is gone. */
int obs_cgfiles_read(obs_cgfiles *f, kata_observe_usage *u, kata_error *err);
void obs_cgfiles_close(obs_cgfiles *f);
/* The value of "key N" lines (cpu.stat, memory.stat, memory.events...). */
bool obs_cg_key_value(const char *text, const char *key, uint64_t *out);

typedef struct obs_entry {
        char *key;
        struct obs_entry *next;
        uint64_t generation;
        /* CPU delta */
        bool have_cpu;
        uint64_t cpu_ns, cpu_at_ns;
        /* cgroup */
        kata_cgroup *cgroup;
        obs_cgfiles *files;
        /* agent */
        bool connected;
        kata_agent_conn conn;
        bool details_known;
        char version[64];
        char cgroup_driver[32];
        uint64_t failures;
        uint64_t retry_at_ns; /* after a failure, no new attempt before (monotonic) */
        char last_error[KATA_OBSERVE_ERROR_MAX];
} obs_entry;

#define OBS_BUCKETS 1024

typedef struct obs_history {
        obs_entry *buckets[OBS_BUCKETS];
        uint64_t generation;
} obs_history;

struct kata_observe {
        char *state_root;
        char *proc_root;
        bool query_agents;
        int agent_timeout_ms;
        kata_cgroup_layout *layout; /* NULL: no cgroups on this host */
        obs_history history;
        uint64_t last_sample_ns; /* monotonic */
        long clock_ticks;
        long page_size;
};

/* history.c */
obs_entry *obs_history_get(obs_history *h, const char *key); /* creates; NULL: ENOMEM */
void obs_history_sweep(obs_history *h); /* drops entries untouched this generation */
void obs_history_clear(obs_history *h);

/* CPU% from the entry's previous figure, then remembers (cpu_ns, now_ns). */
void obs_cpu_delta(obs_entry *e, uint64_t cpu_ns, uint64_t now_ns, bool *valid, double *percent);

/* usage.c: figures of the host cgroup at rel_path. -ENOENT when it does not exist. */
int obs_usage_from_host(kata_observe *o, const char *rel_path, kata_observe_usage *u,
                        kata_cgroup **cg_out, kata_error *err);
/* Host cgroup path (relative to the cgroup root) of a sandbox from its recorded
 * directories; -ENOENT when none lies under a mounted hierarchy. */
int obs_sandbox_cgroup(const kata_observe *o, const kata_sandbox_state *st, char *out, size_t size,
                       kata_error *err);

/* procs.c: processes of the host cgroup cg, read from /proc; ns_level is the depth of the
 * sandbox's pid namespace in NSpid (obs_pid_ns_level of the agent), -1: innermost. */
int obs_procs_from_host(kata_observe *o, const char *sid, int ns_level, const kata_cgroup *cg,
                        kata_observe_container *c, kata_error *err);
/* Depth of pid's own pid namespace as seen from proc_root (NSpid entries - 1), -1 unknown. */
int obs_pid_ns_level(kata_observe *o, int64_t pid);
void obs_procs_sort(kata_observe_process *p, size_t n);
/* Parsers of /proc/PID/stat (after "PID (comm) ": state, ppid, times, start, RSS; -EINVAL
 * when malformed) and /proc/PID/status (NSpid, Uid); both modify text (strtok). */
int obs_proc_parse_stat(char *text, kata_observe_process *p, uint64_t *ticks, uint64_t *start,
                        uint64_t *rss_pages);
void obs_proc_parse_status(char *text, int ns_level, kata_observe_process *p);
void obs_procs_free(kata_observe_process *p, size_t n);

/* agent.c */
/* Connects when needed and checks health (latency); fills sb->agent. Returns the entry
 * holding a healthy connection, or NULL. */
obs_entry *obs_agent_check(kata_observe *o, const kata_sandbox_state *st, kata_observe_sandbox *sb);
int obs_agent_stats(kata_observe *o, obs_entry *a, const char *sid, const char *cid,
                    kata_observe_usage *u, kata_error *err);
int obs_agent_procs(kata_observe *o, obs_entry *a, const char *sid, const char *cid,
                    kata_observe_container *c, kata_error *err);
void obs_agent_drop(obs_entry *a, kata_observe_agent *out, const kata_error *why);

#endif
