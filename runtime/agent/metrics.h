/* GetMetrics: the agent's own figures (kata_agent_*) and the guest's (kata_guest_*) in
 * the Prometheus text format, with Kata's metric names. */
#ifndef KATA_AGENT_METRICS_H
#define KATA_AGENT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Writes the exposition into a malloc'd string. proc is the /proc to read ("/proc"). */
int agent_metrics_render(const char *proc, uint64_t scrape_count, size_t n_containers, char **out,
                         kata_error *err);

#endif
