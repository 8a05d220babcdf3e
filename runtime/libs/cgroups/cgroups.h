/* Cgroups for the agent (its own cgroup namespace), the runtime (one host cgroup per
 * sandbox) and the live view (stats): layout detection, the cgroup-driver decision of the
 * seed, path mapping, and a cgroupfs driver for cgroup v1, v2 and hybrid hosts.
 *
 * Roles, one file each: layout.c (what is mounted where), driver.c (which driver and
 * why), path.c (OCI cgroupsPath -> directory), cgroup.c (create/open/add/delete, the
 * entry), resources.c (apply limits), freezer.c (freeze, thaw, kill), stats.c (read
 * figures), oom.c (OOM notification).
 *
 * Every function that can fail returns 0 or a negative errno and fills err. */
#ifndef KATA_CGROUPS_H
#define KATA_CGROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

#define KATA_CGROUP_DEFAULT_ROOT      "/sys/fs/cgroup"
#define KATA_CGROUP_DEFAULT_MOUNTINFO "/proc/self/mountinfo"
#define KATA_CGROUP_DEFAULT_PROC      "/proc/cgroups"
#define KATA_CGROUP_DEFAULT_SYSTEMD   "/run/systemd/system"

/* Longest mapped path (relative to the cgroup root, leading '/' included). */
#define KATA_CGROUP_PATH_MAX 1024
/* "No limit" in stats (a v2 "max" or a v1 limit at the page-rounded maximum). */
#define KATA_CGROUP_UNLIMITED UINT64_MAX

/* ---- Layout (layout.c) -------------------------------------------------------------- */

enum kata_cgroup_mode {
        KATA_CGROUP_MODE_V1,     /* only v1 hierarchies under the root */
        KATA_CGROUP_MODE_V2,     /* the root itself is cgroup2 */
        KATA_CGROUP_MODE_HYBRID, /* v1 controllers plus a cgroup2 under the root */
};

/* The controllers we manage. Where each one lives is decided per controller ("merged per
 * controller" on hybrid): on its v1 hierarchy when one is mounted, else on cgroup2 when
 * the unified root lists it in cgroup.controllers. CPUACCT is v1 only (on v2 cpu.stat
 * carries usage); FREEZER on v2 is the core cgroup.freeze file; BLKIO is "io" on v2. */
enum kata_cgroup_controller {
        KATA_CGROUP_CPU = 0,
        KATA_CGROUP_CPUACCT,
        KATA_CGROUP_CPUSET,
        KATA_CGROUP_MEMORY,
        KATA_CGROUP_PIDS,
        KATA_CGROUP_DEVICES,
        KATA_CGROUP_FREEZER,
        KATA_CGROUP_BLKIO,
        KATA_CGROUP_NR_CONTROLLERS
};

typedef struct kata_cgroup_layout_opts {
        const char *root;         /* NULL: KATA_CGROUP_DEFAULT_ROOT */
        const char *mountinfo;    /* NULL: KATA_CGROUP_DEFAULT_MOUNTINFO */
        const char *proc_cgroups; /* NULL: KATA_CGROUP_DEFAULT_PROC (missing file is fine) */
} kata_cgroup_layout_opts;

typedef struct kata_cgroup_layout kata_cgroup_layout; /* opaque */

/* Reads mountinfo: cgroup/cgroup2 mounts at or under root. Fails with ENOENT when none
 * is found. Controllers disabled in /proc/cgroups are left out. */
int kata_cgroup_layout_detect(const kata_cgroup_layout_opts *opts, kata_cgroup_layout **out,
                              kata_error *err);
void kata_cgroup_layout_free(kata_cgroup_layout *layout);

enum kata_cgroup_mode kata_cgroup_layout_mode(const kata_cgroup_layout *layout);
const char *kata_cgroup_mode_name(enum kata_cgroup_mode mode);          /* "v1", "v2", "hybrid" */
const char *kata_cgroup_controller_name(enum kata_cgroup_controller c); /* v1 names */
const char *kata_cgroup_layout_root(const kata_cgroup_layout *layout);
/* Mount point of the hierarchy holding controller c, NULL when unavailable. */
const char *kata_cgroup_layout_mount(const kata_cgroup_layout *layout,
                                     enum kata_cgroup_controller c);
/* True when controller c is served by cgroup2. */
bool kata_cgroup_layout_on_v2(const kata_cgroup_layout *layout, enum kata_cgroup_controller c);
/* Mount point of the cgroup2 hierarchy (the root on v2, e.g. <root>/unified on hybrid). */
const char *kata_cgroup_layout_unified(const kata_cgroup_layout *layout);

/* ---- Driver selection (driver.c): the seed's fix ------------------------------------- */

enum kata_cgroup_driver { KATA_CGROUP_DRIVER_CGROUPFS = 0, KATA_CGROUP_DRIVER_SYSTEMD };

typedef struct kata_cgroup_driver_choice {
        enum kata_cgroup_driver wanted; /* what the matrix picks */
        enum kata_cgroup_driver used;   /* what we use: always cgroupfs for now */
        char reason[256];               /* one sentence, for logs and GetGuestDetails */
} kata_cgroup_driver_choice;

/* `slice:prefix:name`: exactly three ':'-separated non-empty parts of [A-Za-z0-9_.-]. */
bool kata_cgroup_path_is_systemd(const char *path);

/* True when systemd runs: systemd_dir (NULL: KATA_CGROUP_DEFAULT_SYSTEMD) is a directory. */
bool kata_cgroup_systemd_running(const char *systemd_dir);

/* The matrix, a pure function: init_mode -> cgroupfs; not init -> systemd when systemd
 * runs and the path has the systemd form; else cgroupfs. Since there is no systemd driver,
 * `used` is cgroupfs in every case and `reason` says why. Never fails. */
void kata_cgroup_select_driver(bool init_mode, bool systemd_running, const char *path,
                               kata_cgroup_driver_choice *out);
const char *kata_cgroup_driver_name(enum kata_cgroup_driver d); /* "cgroupfs", "systemd" */
/* What the agent calls: detects systemd (systemd_dir as above), selects, and logs the
 * decision (info; warn when the matrix wanted systemd). */
void kata_cgroup_decide_driver(bool init_mode, const char *systemd_dir, const char *path,
                               kata_cgroup_driver_choice *out);

/* ---- Path mapping (path.c) ----------------------------------------------------------- */

/* Maps an OCI linux.cgroupsPath to a directory path relative to the cgroup root, written
 * to out as "/a/b" (out_size >= KATA_CGROUP_PATH_MAX is always enough):
 *   ""                       -> "/<container_id>"            (container_id must be valid)
 *   "system.slice:kata:abc"  -> "/system.slice/kata-abc.scope"
 *   "a-b.slice:kata:abc"     -> "/a.slice/a-b.slice/kata-abc.scope"
 *   "-.slice:kata:abc"       -> "/kata-abc.scope"            (the root slice)
 *   "/x/y" or "x/y"          -> "/x/y"                       (repeated '/' folded)
 * That is systemd's own layout (slices nest by their '-' prefixes; units are named
 * `prefix-name.scope`), so the cgroup sits where systemd would have put it.
 * Rejected with -EINVAL and a message naming the problem: ".." or "." components, paths
 * that give the root ("/", "::"), empty systemd parts, an invalid slice name (must end in
 * ".slice", no "--", no leading/trailing '-'), NUL, newline or control characters, a
 * component over 255 bytes, a result of KATA_CGROUP_PATH_MAX bytes or more. */
int kata_cgroup_path_map(const char *path, const char *container_id, char *out, size_t out_size,
                         kata_error *err);
/* The runtime's host cgroup of a sandbox: "<parent>/<sandbox_id>" mapped as above, where
 * parent is a plain path ("/kata", "kata_overhead") and sandbox_id must pass
 * kata_id_is_valid. */
int kata_cgroup_sandbox_path(const char *parent, const char *sandbox_id, char *out, size_t out_size,
                             kata_error *err);
/* Same for a buffer that may hold NUL bytes (wire input): len bytes of path. */
int kata_cgroup_path_map_n(const char *path, size_t len, const char *container_id, char *out,
                           size_t out_size, kata_error *err);

/* ---- A cgroup (cgroup.c) ------------------------------------------------------------- */

/* One cgroup path across all hierarchies of a layout (on v1 one directory per
 * hierarchy, name=systemd and, on hybrid, the cgroup2 one included). Keeps a pointer to
 * layout: the layout must outlive it. A handle is immutable after create/open, so
 * threads may call any function on it at once (stats while another thread kills or
 * freezes); only kata_cgroup_free must wait for the others. */
typedef struct kata_cgroup kata_cgroup;

/* rel_path is a mapped path ("/a/b", see kata_cgroup_path_map); it is validated again.
 * Creates missing directories in every hierarchy: on v1 cpuset.cpus/mems are copied from
 * the parent where empty; on v2 the controllers are enabled in each ancestor's
 * cgroup.subtree_control. Remembers which directories it created, for delete. */
int kata_cgroup_create(const kata_cgroup_layout *layout, const char *rel_path, kata_cgroup **out,
                       kata_error *err);
/* Opens an existing cgroup (ENOENT when absent from every hierarchy). */
int kata_cgroup_open(const kata_cgroup_layout *layout, const char *rel_path, kata_cgroup **out,
                     kata_error *err);
void kata_cgroup_free(kata_cgroup *cg);

const char *kata_cgroup_path(const kata_cgroup *cg); /* the rel_path */
/* Directory of cg for controller c (NULL when the controller is unavailable). */
const char *kata_cgroup_dir(const kata_cgroup *cg, enum kata_cgroup_controller c);

/* Moves pid (a process, all its threads) into cg in every hierarchy. */
int kata_cgroup_add_pid(kata_cgroup *cg, pid_t pid, kata_error *err);
/* Pids in cg (from cgroup.procs of its first hierarchy); *pids malloc'd. */
int kata_cgroup_pids(const kata_cgroup *cg, pid_t **pids, size_t *count, kata_error *err);

/* Removes the directories: the leaf first, retrying while its processes exit (up to
 * timeout_ms), then each parent this handle created, stopping silently at a parent that
 * still holds other cgroups. Missing directories are not an error. */
int kata_cgroup_delete(kata_cgroup *cg, int timeout_ms, kata_error *err);

/* ---- Resources (resources.c) --------------------------------------------------------- */

/* A field is applied only when its has_ flag is set, as OCI's optional fields. */
typedef struct kata_cgroup_device_rule {
        bool allow;
        char type;      /* 'a', 'b' or 'c' */
        int64_t major;  /* -1: any */
        int64_t minor;  /* -1: any */
        char access[4]; /* subset of "rwm" */
} kata_cgroup_device_rule;

typedef struct kata_cgroup_resources {
        bool has_cpu_shares, has_cpu_quota, has_cpu_period;
        uint64_t cpu_shares;     /* v1 cpu.shares; v2 cpu.weight = 1 + ((shares-2)*9999)/262142 */
        int64_t cpu_quota;       /* microseconds per period; <= 0: no limit */
        uint64_t cpu_period;     /* microseconds */
        const char *cpuset_cpus; /* NULL or "": unchanged */
        const char *cpuset_mems;

        bool has_memory_limit, has_memory_swap, has_memory_reservation;
        int64_t memory_limit;       /* bytes; -1: no limit */
        int64_t memory_swap;        /* memory+swap, as OCI and v1 memsw; -1: no limit */
        int64_t memory_reservation; /* v1 soft_limit_in_bytes, v2 memory.low; -1: none */

        bool has_pids_limit;
        int64_t pids_limit; /* <= 0: no limit */

        const kata_cgroup_device_rule *devices; /* v1 only, applied in order */
        size_t n_devices;
} kata_cgroup_resources;

/* Applies every set field; stops at the first failure, naming the file and value. On v2
 * device rules are skipped with a warning (they need eBPF). */
int kata_cgroup_apply(kata_cgroup *cg, const kata_cgroup_resources *res, kata_error *err);
/* The v2 cpu.weight for v1 shares (clamped to 2..262144). */
uint64_t kata_cgroup_shares_to_weight(uint64_t shares);

/* ---- Freezer and kill (freezer.c) ---------------------------------------------------- */

/* Freezes (frozen=true) or thaws cg and waits until the kernel reports the state, up to
 * timeout_ms (ETIMEDOUT). v1 freezer.state, v2 cgroup.freeze + cgroup.events. */
int kata_cgroup_freeze(kata_cgroup *cg, bool frozen, int timeout_ms, kata_error *err);
/* SIGKILLs every process in cg (v2 cgroup.kill when present; else frozen, signalled,
 * thawed, repeated until cgroup.procs is empty or timeout_ms passes). */
int kata_cgroup_kill(kata_cgroup *cg, int timeout_ms, kata_error *err);

/* ---- Stats (stats.c) ----------------------------------------------------------------- */

#define KATA_CGROUP_MAX_CPUS    512
#define KATA_CGROUP_MAX_DEVICES 32

typedef struct kata_cgroup_io_device {
        uint32_t major, minor;
        uint64_t read_bytes, write_bytes, read_ios, write_ios;
} kata_cgroup_io_device;

typedef struct kata_cgroup_stats {
        struct {
                bool valid;
                uint64_t usage_ns, user_ns, system_ns;
                size_t n_percpu; /* v1 only (cpuacct.usage_percpu) */
                uint64_t percpu_ns[KATA_CGROUP_MAX_CPUS];
                uint64_t nr_periods, nr_throttled, throttled_ns;
        } cpu;
        struct {
                bool valid;
                uint64_t usage, max_usage, failcnt, limit; /* limit may be UNLIMITED */
                uint64_t cache;                            /* v1 "cache", v2 "file" */
                uint64_t swap_usage, swap_limit;
                uint64_t oom_kills;
        } memory;
        struct {
                bool valid;
                uint64_t current, limit; /* limit may be UNLIMITED */
        } pids;
        struct {
                bool valid;
                uint64_t read_bytes, write_bytes, read_ios, write_ios; /* sums */
                size_t n_devices;
                kata_cgroup_io_device devices[KATA_CGROUP_MAX_DEVICES];
        } io;
} kata_cgroup_stats;

/* Fills what each available controller reports; a controller that is not there leaves
 * its part invalid. Fails only when cg's directories are gone (ENOENT) or a file holds
 * garbage (EINVAL, naming the file). Takes no lock: safe while another thread kills. */
int kata_cgroup_stats_read(const kata_cgroup *cg, kata_cgroup_stats *out, kata_error *err);

/* ---- OOM notification (oom.c) -------------------------------------------------------- */

/* v1: an eventfd registered through cgroup.event_control on memory.oom_control;
 * v2: inotify on memory.events. Poll kata_cgroup_oom_fd() for POLLIN from any event
 * loop, then call kata_cgroup_oom_consume(): nothing here blocks. */
typedef struct kata_cgroup_oom kata_cgroup_oom;

int kata_cgroup_oom_watch(const kata_cgroup *cg, kata_cgroup_oom **out, kata_error *err);
int kata_cgroup_oom_fd(const kata_cgroup_oom *w);
/* After POLLIN: returns the number of new OOM events since the last call (0 for a
 * wake-up without one), or -ENOENT once the cgroup is gone (stop watching). An event is
 * an oom_kill increase; on v1 also a notification that arrives before the kernel has
 * counted its kill (that kill is then not reported twice). v1 wakes the fd when the
 * cgroup is removed; v2 does not (checked on Linux 6.18: no inotify event on rmdir), so
 * free the watch when you remove the cgroup rather than waiting for -ENOENT. */
int kata_cgroup_oom_consume(kata_cgroup_oom *w, kata_error *err);
void kata_cgroup_oom_free(kata_cgroup_oom *w);

#endif
