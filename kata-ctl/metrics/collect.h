/* What `kata-ctl monitor` and `kata-ctl metrics` export: one scrape reads the sandboxes
 * from the state library, then for each running sandbox, in parallel (one thread each, so
 * a slow agent costs at most its timeout and never delays the others), its host-side
 * figures (the sandbox cgroup and the VMM process, or the agent process for the local
 * driver) and its agent's GetMetrics and StatsContainer answers. A sandbox whose agent
 * fails keeps its host-side series and has its failed-scrape count raised.
 *
 * The collector owns the figures that outlive one scrape (scrape counts, failures per
 * sandbox, the scrape duration histogram) and is safe to use from several threads. */
#ifndef KATA_METRICS_COLLECT_H
#define KATA_METRICS_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define KATA_METRICS_DEFAULT_AGENT_TIMEOUT_MS 2000

typedef struct kata_metrics_collector_opts {
        const char *state_root;  /* NULL: the state library's default (/run/kata) */
        const char *cgroup_root; /* NULL: /sys/fs/cgroup */
        const char *mountinfo;   /* NULL: /proc/self/mountinfo */
        int agent_timeout_ms;    /* whole budget per agent per scrape; <= 0: default */
} kata_metrics_collector_opts;

typedef struct kata_metrics_collector kata_metrics_collector;

int kata_metrics_collector_new(const kata_metrics_collector_opts *opts,
                               kata_metrics_collector **out, kata_error *err);
void kata_metrics_collector_free(kata_metrics_collector *c);

/* One scrape rendered as Prometheus text (malloc'd). sandbox_id NULL: every sandbox;
 * else only that one (-ENOENT when it does not exist, -EINVAL when the id is invalid).
 * Agent failures are not errors: they show in the exposition. */
int kata_metrics_collector_scrape(kata_metrics_collector *c, const char *sandbox_id, char **text,
                                  size_t *len, kata_error *err);

/* The sandboxes as a JSON array (malloc'd): id, state, hypervisor, agent_address,
 * agent_pid, vmm_pid, containers [ids], failed_scrapes. */
int kata_metrics_collector_sandboxes_json(kata_metrics_collector *c, char **json, kata_error *err);

#endif
