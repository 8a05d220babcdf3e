/* Shared between the files of kata-ctl/trace; not an API for others. */
#ifndef KATA_TRACE_INTERNAL_H
#define KATA_TRACE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpf/trace_events.h"
#include "common/error.h"
#include "state/state.h"
#include "trace.h"

#define TRACE_PROG "kata-ctl trace"

/* One cgroup hierarchy the scope covers: where it is mounted and the scope's directory
 * in it (the sandbox's, the container's or --cgroup's). */
typedef struct trace_hierarchy {
        uint32_t id; /* hierarchy id, 0 for cgroup2 */
        char controller[64];
        char mount[4096];
        char scope_dir[4096]; /* absolute; empty when not seeded (--all) */
} trace_hierarchy;

typedef struct trace_cg_cache {
        uint32_t hierarchy;
        uint64_t id;
        char *path;      /* absolute directory, "" when unknown */
        char *container; /* container id, "" when none */
} trace_cg_cache;

typedef struct trace_scope {
        bool all;
        char description[256]; /* "sandbox S", "cgroup /sys/..." for notes */
        enum trace_subsys subsys;
        uint32_t hierarchy; /* of subsys */
        uint32_t pidns_level;
        trace_hierarchy *hier; /* hierarchies of the scope (seeded when scope_dir is set) */
        size_t nhier;
        const char *state_root;
        bool has_state;
        kata_sandbox_state st;
        char only_container[KATA_STATE_ID_MAX + 1];
        uint64_t state_reloaded_ns;
        trace_cg_cache *cache;
        size_t ncache;
} trace_scope;

/* scope.c */
/* Resolves opts' scope. prefer_memory: the v1 hierarchy to use is memory when the scope
 * has one (trace oom). Prints the one-line VM note on notes. */
int trace_scope_resolve(const kata_trace_opts *opts, bool prefer_memory, FILE *notes,
                        trace_scope *scope, kata_error *err);
/* Inserts every seeded scope directory and its descendants into the tracker map. */
int trace_scope_seed(const trace_scope *scope, int tracker_fd, kata_error *err);
/* Path and container of a cgroup (by id, or by the path the kernel reported: rel_path
 * relative to the hierarchy's mount, may be NULL). Never NULL: "" when unknown. */
void trace_scope_lookup(trace_scope *scope, uint32_t hierarchy, uint64_t id, const char *rel_path,
                        const char **path, const char **container);
/* The container whose cgroup holds absolute directory path, "" when none. */
const char *trace_scope_container_of(trace_scope *scope, uint32_t hierarchy, const char *path);
const char *trace_scope_mount(const trace_scope *scope, uint32_t hierarchy);
void trace_scope_free(trace_scope *scope);

/* Controller names as in /proc/cgroups <-> enum trace_subsys. */
enum trace_subsys trace_subsys_from_name(const char *name);
/* Hierarchy id of a v1 controller from proc_cgroups (a /proc/cgroups path), -ENOENT when
 * not mounted as v1 or disabled. */
int trace_controller_hierarchy(const char *proc_cgroups, const char *controller, uint32_t *out);

/* preflight.c */
/* Root, BTF, tracefs (mounted when missing), and each named tracepoint: "syscalls/x"
 * must exist in tracefs, "btf:x" as a BTF tracepoint. NULL-terminated list. */
int trace_preflight(const char *const *tracepoints, kata_error *err);
/* Routes libbpf's messages to the log at debug level. */
void trace_libbpf_setup(void);

/* session.c */
typedef struct trace_session {
        const kata_trace_opts *opts;
        FILE *out;
        FILE *notes;
        int drops_fd;
        uint64_t drops[TRACE_DROP_NR];
        uint64_t start_mono_ns;
        uint64_t start_real_ns;
        trace_scope *scope;
        uint64_t records;
} trace_session;

void trace_session_init(trace_session *s, const kata_trace_opts *opts, trace_scope *scope,
                        int drops_fd);

struct bpf_object_skeleton;
struct bpf_map;
struct ring_buffer;

/* Every tool's rodata starts with the scope: which cgroups, in which v1 hierarchy, and
 * the sandbox's pid namespace level. */
#define TRACE_SET_SCOPE_RODATA(rodata, scope)                                                      \
        do {                                                                                       \
                (rodata)->scope_all = (scope)->all;                                                \
                (rodata)->scope_subsys = (scope)->subsys;                                          \
                (rodata)->scope_hierarchy = (scope)->hierarchy;                                    \
                (rodata)->pidns_level = (scope)->pidns_level;                                      \
        } while (0)

/* The steps every tool shares once its skeleton is open and its rodata set: size the
 * ring buffer (opts->ringbuf_bytes), load and attach the programs, seed the scope's
 * tracker map, and start session s with a reader of events that calls on_event(s, ...).
 * tool names the object in errors ("exec"). On success *rb is the reader. */
int trace_session_attach(trace_session *s, const char *tool, const kata_trace_opts *opts,
                         trace_scope *scope, struct bpf_object_skeleton *skeleton,
                         struct bpf_map *events, struct bpf_map *drops, struct bpf_map *tracker,
                         int (*on_event)(void *ctx, void *data, size_t size),
                         struct ring_buffer **rb, kata_error *err);
/* Polls rb until a signal or the duration ends; reports drops as they grow and at the end.
 * The ring buffer is a struct ring_buffer *. */
int trace_session_run(trace_session *s, void *rb, const char *what, kata_error *err);
/* Reads the drop counters and reports them when they grew (or always when final). */
void trace_session_report_drops(trace_session *s, bool final);

/* output.c */
/* Writes the time columns (-T, -t) of a text line for a monotonic timestamp. */
void trace_print_time_columns(trace_session *s, uint64_t ts_ns);
void trace_print_time_header(trace_session *s);
uint64_t trace_realtime_ns(const trace_session *s, uint64_t ts_ns);
/* Adds the head's common fields to a json-c object. */
struct json_object;
void trace_json_add_head(trace_session *s, struct json_object *o, const char *type,
                         const struct trace_head *h, const char *cgroup, const char *container);
/* Prints o as one line on out and releases it. */
void trace_json_emit(trace_session *s, struct json_object *o);

#endif
