/* The eBPF exec stream for kata-ctl top: `kata-ctl trace exec` (kata-ctl/trace) runs on
 * a thread of its own (over the sandboxes' cgroup parent, or the whole host); its records are kept
 * in a small ring and attributed to sandboxes and containers by cgroup path. Without root, BTF or
 * the tracepoints the feed is simply unavailable and says why. One feed per process. */
#ifndef KATA_CTL_TOP_EXEC_FEED_H
#define KATA_CTL_TOP_EXEC_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "observe/observe.h"

typedef struct top_exec_event {
        uint64_t time_ns; /* wall clock */
        int64_t pid, ns_pid;
        int ret; /* the exec's return value: 0 or -errno */
        char comm[20];
        char args[200];
        char cgroup[512]; /* absolute cgroup directory of the task */
} top_exec_event;

/* Starts the tracing thread (no-op when already started). Never fails: a feed that
 * cannot run reports why through top_exec_feed_apply's exec_hint. When every sandbox
 * of first (a snapshot, may be NULL) shares one cgroup parent, only that subtree is
 * traced (sandboxes started later under it are followed); else every exec on the host. */
void top_exec_feed_start(const char *state_root, const kata_observe_snapshot *first);

/* Fills every sandbox's exec_per_sec from the execs seen since the previous call (or
 * sets exec_hint when the feed is not running). */
void top_exec_feed_apply(kata_observe_snapshot *s);

/* The latest execs (newest first, at most max) in the host cgroup rel_path or below
 * it (rel_path as in kata_observe_container.cgroup). */
size_t top_exec_feed_recent(const char *rel_path, top_exec_event *out, size_t max);

#endif
