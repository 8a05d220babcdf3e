/* The agent's duties as pid 1 (REFERENCE.md "Agent"): mount /proc, /sys, /dev, /dev/pts,
 * /dev/shm, /run and the cgroup hierarchies, bring `lo` up, and end the way an init
 * must. Orphans are reaped by the reaper thread (process.c). */
#ifndef KATA_AGENT_INIT_H
#define KATA_AGENT_INIT_H

#include <stdbool.h>

#include "agent/settings.h"
#include "common/error.h"

/* True when this process is pid 1 (of whatever pid namespace). */
bool agent_is_pid1(void);

/* True when this process is the init of the initial pid namespace (a VM's /init), where
 * exiting would panic the kernel. */
bool agent_is_machine_init(void);

/* Mounts /proc unless /proc is already the proc of this pid namespace. A VM's init
 * calls it first, to read the kernel command line. */
int agent_init_mount_proc(kata_error *err);

/* Mounts what an init needs. A missing /proc or /sys is fatal; the others are logged. */
int agent_init_mount(const struct agent_settings *s, kata_error *err);

/* Mounts the cgroup hierarchies at /sys/fs/cgroup: cgroup2 when the unified hierarchy
 * was asked for (kernel command line) or the host gave us a cgroup2 tree, else a tmpfs with one
 * cgroup v1 mount per hierarchy of /proc/cgroups (controllers that share a hierarchy on the host
 * are mounted together). */
int agent_init_mount_cgroups(bool unified, kata_error *err);

/* Sets IFF_UP on the loopback interface. */
int agent_init_lo_up(kata_error *err);

/* Syncs, then powers the machine off (machine init) or exits with code (pid 1 of a pid
 * namespace, or not init at all). Never returns. */
void agent_init_end(int code) __attribute__((noreturn));

#endif
