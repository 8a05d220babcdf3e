/* Sandbox state: the one library every tool uses to read and write
 * <root>/<sandbox-id>/state.json and the container index <root>/containers/<container-id>.
 * The schema is documented in runtime/libs/state/README.md.
 *
 * Concurrency: every write goes through kata_write_file_replace (temp file + rename), so
 * readers never see a partial file and need no lock: kata_state_load and kata_state_list
 * are cheap and never block. Writers take flock locks: the sandbox directory for a
 * sandbox's state.json, then (in that order, never the other) the containers/ directory
 * for the index. Use kata_state_update (or kata_state_lock_acquire + load + save) for any
 * read-modify-write.
 *
 * Failing functions return a negative errno and fill err with a message naming the sandbox,
 * container, file or JSON field at fault. */
#ifndef KATA_STATE_H
#define KATA_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define KATA_STATE_VERSION      1
#define KATA_STATE_DEFAULT_ROOT "/run/kata"
#define KATA_STATE_FILENAME     "state.json"
#define KATA_STATE_INDEX_DIR    "containers" /* <root>/containers/<cid> -> ../<sid> */
#define KATA_STATE_MAX_SIZE     (4u << 20)   /* larger state.json files are refused */

#define KATA_STATE_ID_MAX     128
#define KATA_STATE_NAME_MAX   64
#define KATA_STATE_ADDR_MAX   256
#define KATA_STATE_PATH_MAX   4096
#define KATA_STATE_CGROUP_MAX 32 /* controllers per sandbox */

enum kata_sandbox_status {
        KATA_SANDBOX_CREATED = 0,
        KATA_SANDBOX_RUNNING,
        KATA_SANDBOX_STOPPED,
};

enum kata_container_status {
        KATA_CONTAINER_CREATED = 0,
        KATA_CONTAINER_RUNNING,
        KATA_CONTAINER_PAUSED,
        KATA_CONTAINER_STOPPED,
};

/* One host cgroup of the sandbox: on cgroup v1 one per controller ("cpu", "memory",
 * "pids"... named as in /proc/cgroups), on v2 exactly one with controller "unified".
 * path is the absolute directory of the cgroup, e.g. /sys/fs/cgroup/memory/kata_<sid>. */
typedef struct kata_state_cgroup {
        char controller[KATA_STATE_NAME_MAX];
        char path[KATA_STATE_PATH_MAX];
} kata_state_cgroup;

typedef struct kata_container_state {
        char id[KATA_STATE_ID_MAX + 1];
        char bundle[KATA_STATE_PATH_MAX]; /* absolute OCI bundle directory */
        enum kata_container_status status;
        int64_t pid;                           /* host pid of the container's init, 0: none */
        int64_t ns_pid;                        /* same process in the sandbox pid namespace */
        int64_t created_ns;                    /* creation time, Unix nanoseconds */
        char cgroup_path[KATA_STATE_PATH_MAX]; /* the container's cgroup path, as the agent
                                                  was asked for it (linux.cgroupsPath) */
        bool has_exit_status;
        int exit_status; /* when has_exit_status: the wait status as a shell reports it
                            (code, or 128 + signal) */
} kata_container_state;

typedef struct kata_sandbox_state {
        int version; /* KATA_STATE_VERSION when written by this library */
        char id[KATA_STATE_ID_MAX + 1];
        char hypervisor[KATA_STATE_NAME_MAX]; /* driver name: "local", "qemu" */
        enum kata_sandbox_status status;
        int64_t created_ns;                      /* Unix nanoseconds */
        char agent_address[KATA_STATE_ADDR_MAX]; /* transport address, e.g. hvsock://...:1024 */
        int64_t agent_pid;                       /* host pid of the agent, 0: none */
        int64_t vmm_pid;                         /* host pid of the VMM, 0: none (local) */
        int cgroup_version;                      /* 1 or 2; 0 when no cgroups recorded */
        kata_state_cgroup *cgroups;              /* malloc'd, ncgroups entries */
        size_t ncgroups;
        kata_container_state *containers; /* malloc'd, ncontainers entries */
        size_t ncontainers;
} kata_sandbox_state;

/* ---- In-memory helpers ------------------------------------------------------------- */

/* Zeroes st and sets version = KATA_STATE_VERSION. */
void kata_sandbox_state_init(kata_sandbox_state *st);
/* Frees the arrays and zeroes st (safe on a zeroed or already freed struct). */
void kata_sandbox_state_free(kata_sandbox_state *st);

/* Appends a copy of c (its id must be valid and not yet present: -EEXIST). */
int kata_sandbox_state_add_container(kata_sandbox_state *st, const kata_container_state *c,
                                     kata_error *err);
/* Returns the container with that id, or NULL. */
kata_container_state *kata_sandbox_state_find_container(kata_sandbox_state *st, const char *cid);
/* Removes the container with that id; -ENOENT when absent. */
int kata_sandbox_state_remove_container(kata_sandbox_state *st, const char *cid, kata_error *err);
/* Adds or replaces the cgroup path of a controller. */
int kata_sandbox_state_set_cgroup(kata_sandbox_state *st, const char *controller, const char *path,
                                  kata_error *err);
/* Returns the path for controller, or NULL. */
const char *kata_sandbox_state_cgroup(const kata_sandbox_state *st, const char *controller);

const char *kata_sandbox_status_name(enum kata_sandbox_status s);
int kata_sandbox_status_parse(const char *name, enum kata_sandbox_status *out);
const char *kata_container_status_name(enum kata_container_status s);
int kata_container_status_parse(const char *name, enum kata_container_status *out);

/* ---- JSON (the state.json format) -------------------------------------------------- */

/* Serializes st (pretty-printed) into a malloc'd NUL-terminated string. Validates ids and
 * enums first. */
int kata_sandbox_state_to_json(const kata_sandbox_state *st, char **out, kata_error *err);

/* Parses and validates a state.json document. Errors name the field ("containers[2].pid:
 * expected an integer") and the version ("version 3 is newer than this build supports
 * (1)"). On success st must be freed with kata_sandbox_state_free; on failure st is left
 * freed. */
int kata_sandbox_state_from_json(const char *text, size_t len, kata_sandbox_state *st,
                                 kata_error *err);

/* ---- Files under a root ------------------------------------------------------------ */

/* root NULL or "" means KATA_STATE_DEFAULT_ROOT in every function below. */

/* Writes "<root>/<sid>/<name>" into buf; -EINVAL for an invalid sid, -ENAMETOOLONG. name
 * may be NULL for the directory itself. Useful for the agent socket (KATA_HVSOCK_FILENAME). */
int kata_state_sandbox_path(const char *root, const char *sid, const char *name, char *buf,
                            size_t size, kata_error *err);

/* Creates <root>/<st->id>/ (mode 0711, root created as needed) and writes state.json and
 * the index entries of st's containers. -EEXIST when the sandbox exists or a container id
 * is already indexed (nothing is left behind then). */
int kata_state_create(const char *root, const kata_sandbox_state *st, kata_error *err);

/* Reads and validates <root>/<sid>/state.json without locking. -ENOENT when the sandbox
 * does not exist. */
int kata_state_load(const char *root, const char *sid, kata_sandbox_state *st, kata_error *err);

/* An exclusive lock on one sandbox's state (flock on its directory). */
typedef struct kata_state_lock {
        int fd;
} kata_state_lock;

/* Waits for the sandbox's lock (at most timeout_ms; negative: no limit). -ENOENT when the
 * sandbox does not exist or was removed while waiting, -ETIMEDOUT. */
int kata_state_lock_acquire(const char *root, const char *sid, int timeout_ms,
                            kata_state_lock *lock, kata_error *err);
void kata_state_lock_release(kata_state_lock *lock);

/* Writes st to <root>/<st->id>/state.json atomically. The caller must hold the sandbox's
 * lock. Does not touch the index: use the container functions below for that. */
int kata_state_save(const char *root, const kata_sandbox_state *st, kata_error *err);

/* Read-modify-write under the sandbox lock: loads, calls fn(st, ctx, err); when fn returns
 * 0 saves the result; returns fn's error otherwise (nothing written). */
typedef int (*kata_state_update_fn)(kata_sandbox_state *st, void *ctx, kata_error *err);
int kata_state_update(const char *root, const char *sid, kata_state_update_fn fn, void *ctx,
                      kata_error *err);

/* Adds container c to sandbox sid: its index entry and its state.json entry, atomically
 * with respect to other callers. -EEXIST when the container id is used anywhere under
 * root. */
int kata_state_add_container(const char *root, const char *sid, const kata_container_state *c,
                             kata_error *err);

/* Removes container cid from its sandbox and the index. -ENOENT when unknown. The sandbox
 * itself stays (callers decide whether a sandbox without containers is deleted). */
int kata_state_remove_container(const char *root, const char *cid, kata_error *err);

/* Looks up the sandbox of container cid in the index: writes its id into
 * sid[KATA_STATE_ID_MAX + 1]. -ENOENT when the container is unknown. */
int kata_state_find_sandbox(const char *root, const char *cid, char *sid, kata_error *err);

/* Removes a sandbox: its index entries, state.json and everything else in its directory
 * (sockets, links, subdirectories), then the directory. -ENOENT when it does not exist.
 * The sandbox disappears from listings at once (its directory is first renamed to a
 * hidden .removing-<sid>-<pid>); removal never crosses a mount point: unmount anything
 * mounted inside first, or the call fails with EBUSY and leaves the hidden directory. */
int kata_state_remove(const char *root, const char *sid, kata_error *err);

/* One sandbox that kata_state_list could not read. */
typedef struct kata_state_problem {
        char id[KATA_STATE_ID_MAX + 1]; /* directory name (truncated if longer) */
        kata_error error;
} kata_state_problem;

typedef struct kata_state_listing {
        kata_sandbox_state *sandboxes; /* sorted by id */
        size_t nsandboxes;
        kata_state_problem *problems; /* unreadable or invalid entries, skipped */
        size_t nproblems;
} kata_state_listing;

/* Loads every sandbox under root (no locks). Entries that cannot be read or validated
 * are skipped and reported in problems; a missing root is an empty listing. Fails only
 * when root itself cannot be read or memory runs out. */
int kata_state_list(const char *root, kata_state_listing *out, kata_error *err);
void kata_state_listing_free(kata_state_listing *l);

#endif
