/* The two sources of a sandbox's series, called from one scrape thread per sandbox:
 * host.c (cgroup and process figures read on the host) and agent_scrape.c (the agent's
 * GetMetrics and StatsContainer). Both add to a set owned by that thread. */
#ifndef KATA_METRICS_SOURCES_H
#define KATA_METRICS_SOURCES_H

#include <stdint.h>

#include "agentclient/agent_client.h"
#include "cgroups/cgroups.h"
#include "common/error.h"
#include "metrics/exposition.h"
#include "observe/observe.h"
#include "state/state.h"

/* Host cgroup figures of the sandbox (kata_sandbox_*) and of the containers the host can
 * see (kata_container_*) from ob, the sandbox in this scrape's observe sample (NULL: none),
 * and the figures of the sandbox's host process (kata_hypervisor_*: the VMM, or the agent
 * for the local driver). Missing sources are skipped, not errors. */
int kata_metrics_host_sandbox(const kata_observe_sandbox *ob, const kata_sandbox_state *st,
                              kata_metric_set *set, kata_error *err);

/* kata_sandbox_* (container_id NULL) or kata_container_* series of one usage. */
int kata_metrics_usage_series(const kata_observe_usage *u, const char *sandbox_id,
                              const char *container_id, kata_metric_set *set, kata_error *err);

/* Relays the sandbox's agent's GetMetrics and adds kata_container_* series from
 * StatsContainer for each running or paused container that ob (may be NULL) has no host
 * figures of (containers inside a VM); everything must finish by deadline_ns
 * (kata_now_monotonic_ns clock). conn is the connection kept from the last scrape
 * (client NULL: none): it is used or made, and left open on success, closed on failure.
 * Fails when the agent cannot be reached, GetMetrics fails or its text is invalid
 * (nothing of the agent's is added then); a container the agent does not know is
 * skipped. */
int kata_metrics_agent_sandbox(const kata_observe_sandbox *ob, const kata_sandbox_state *st,
                               uint64_t deadline_ns, kata_agent_conn *conn, kata_metric_set *set,
                               kata_error *err);

#endif
