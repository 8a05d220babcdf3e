/* Relays an agent's GetMetrics text (Prometheus text format) into the monitor's
 * exposition: only kata_agent_* and kata_guest_* families pass, every sample gets the
 * sandbox_id label (an agent-sent sandbox_id is replaced), timestamps are dropped, and
 * names the agent spells Kata's way are given lint-clean names (table in
 * dashboards/README.md; counters always end in _total). */
#ifndef KATA_METRICS_RELAY_H
#define KATA_METRICS_RELAY_H

#include <stddef.h>

#include "common/error.h"
#include "metrics/exposition.h"

/* Upper bounds on what one agent may send: more is refused, not truncated. */
#define KATA_RELAY_MAX_SAMPLES 20000
#define KATA_RELAY_MAX_LINE    8192

/* Parses text (len bytes, NUL not required) into out, a fresh set the caller frees (and
 * typically merges with kata_metric_set_merge). Nothing is added on failure: -EINVAL with
 * the line number and what was wrong, -E2BIG past KATA_RELAY_MAX_SAMPLES. */
int kata_metrics_relay_parse(const char *text, size_t len, const char *sandbox_id,
                             kata_metric_set **out, kata_error *err);

/* The name the monitor exports for an agent family (type may change too: Kata's agent
 * reports its CPU time as a gauge). Returns name itself when it is kept. */
const char *kata_metrics_relay_name(const char *name, enum kata_metric_type *type, char *buf,
                                    size_t size);

#endif
