/* The subset of an OCI runtime bundle's config.json that the agent and the runtime act on,
 * parsed with json-c into plain structs. Parsing checks every field's type and names the
 * offending field in the error ("process.args: expected array of strings"); unknown fields
 * are ignored, as the OCI spec asks. Shared by kata-agent (CreateContainer) and
 * kata-runtime (bundles). */
#ifndef KATA_OCI_OCI_H
#define KATA_OCI_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct json_object;

/* Largest config.json we accept; runc's own specs are a few KiB. */
#define KATA_OCI_CONFIG_MAX (4u << 20)

enum kata_oci_ns_type {
        KATA_OCI_NS_PID,
        KATA_OCI_NS_NETWORK,
        KATA_OCI_NS_MOUNT,
        KATA_OCI_NS_IPC,
        KATA_OCI_NS_UTS,
        KATA_OCI_NS_USER,
        KATA_OCI_NS_CGROUP,
};

typedef struct kata_oci_namespace {
        enum kata_oci_ns_type type;
        char *path; /* join this namespace instead of creating one; NULL: create */
} kata_oci_namespace;

typedef struct kata_oci_rlimit {
        int resource; /* RLIMIT_* */
        uint64_t soft;
        uint64_t hard;
} kata_oci_rlimit;

/* process.capabilities as bit masks (bit n: capability n). */
typedef struct kata_oci_capabilities {
        bool set; /* false: the spec has none, the process keeps what it inherits */
        uint64_t bounding, effective, inheritable, permitted, ambient;
} kata_oci_capabilities;

typedef struct kata_oci_process {
        bool terminal;
        uint32_t console_height, console_width; /* 0: unset */
        uint32_t uid;
        uint32_t gid;
        uint32_t *additional_gids;
        size_t n_additional_gids;
        char **args; /* NULL-terminated, n_args >= 1 */
        size_t n_args;
        char **env; /* NULL-terminated "KEY=value" */
        size_t n_env;
        char *cwd; /* absolute */
        kata_oci_rlimit *rlimits;
        size_t n_rlimits;
        bool no_new_privileges;
        kata_oci_capabilities caps;
} kata_oci_process;

typedef struct kata_oci_mount {
        char *destination; /* absolute */
        char *type;        /* may be NULL (bind mounts) */
        char *source;      /* may be NULL */
        char **options;    /* NULL-terminated */
        size_t n_options;
} kata_oci_mount;

/* linux.resources.devices[]: a device cgroup rule. */
typedef struct kata_oci_device_rule {
        bool allow;
        char type;      /* 'a', 'b' or 'c' ('a' when absent) */
        int64_t major;  /* -1: any */
        int64_t minor;  /* -1: any */
        char access[4]; /* subset of "rwm" ("rwm" when absent) */
} kata_oci_device_rule;

/* A resource is applied only when its has_ flag is set. */
typedef struct kata_oci_resources {
        bool has_memory_limit, has_memory_reservation, has_memory_swap;
        int64_t memory_limit, memory_reservation, memory_swap;
        bool has_cpu_shares, has_cpu_quota, has_cpu_period;
        uint64_t cpu_shares;
        int64_t cpu_quota;
        uint64_t cpu_period;
        char *cpuset_cpus; /* NULL: unset */
        char *cpuset_mems;
        bool has_pids_limit;
        int64_t pids_limit;
        kata_oci_device_rule *devices; /* in order; NULL when none */
        size_t n_devices;
} kata_oci_resources;

typedef struct kata_oci_linux {
        kata_oci_namespace *namespaces;
        size_t n_namespaces;
        char *cgroups_path; /* NULL: unset */
        kata_oci_resources resources;
        char **masked_paths; /* NULL-terminated */
        size_t n_masked_paths;
        char **readonly_paths;
        size_t n_readonly_paths;
} kata_oci_linux;

typedef struct kata_oci_spec {
        char *oci_version;
        char *root_path; /* as written: relative to the bundle or absolute */
        bool root_readonly;
        char *hostname; /* NULL: unset */
        kata_oci_process process;
        kata_oci_mount *mounts;
        size_t n_mounts;
        kata_oci_linux linux;
} kata_oci_spec;

/* Parses a config.json document held in memory (len bytes, need not be NUL-terminated).
 * On success *out is a new spec to release with kata_oci_spec_free. */
int kata_oci_spec_parse(const char *json, size_t len, kata_oci_spec **out, kata_error *err);

/* Same, from an already parsed json-c object (e.g. converted from a protobuf Spec). */
int kata_oci_spec_from_json(struct json_object *root, kata_oci_spec **out, kata_error *err);

/* Loads <bundle_dir>/config.json. */
int kata_oci_spec_load_bundle(const char *bundle_dir, kata_oci_spec **out, kata_error *err);

void kata_oci_spec_free(kata_oci_spec *spec);

/* Parses a lone process object (ExecProcess carries one): fills *out, which the caller
 * zeroes first; on failure what was filled is released. Errors name "process.<field>". */
int kata_oci_process_from_json(struct json_object *obj, kata_oci_process *out, kata_error *err);
/* Parses a lone linux.resources object (UpdateContainer carries one) into *out (zeroed
 * by the caller); errors name "linux.resources.<field>". */
int kata_oci_resources_from_json(struct json_object *obj, kata_oci_resources *out, kata_error *err);
void kata_oci_resources_clear(kata_oci_resources *r);

/* Releases what a process holds (not p itself) and zeroes it. */
void kata_oci_process_clear(kata_oci_process *p);

/* True when the spec asks for a namespace of this type (created or joined); *path gets
 * the path to join or NULL. */
bool kata_oci_spec_has_namespace(const kata_oci_spec *spec, enum kata_oci_ns_type type,
                                 const char **path);

/* CLONE_NEW* flag for a namespace type; its name as in the spec ("network"). */
int kata_oci_ns_clone_flag(enum kata_oci_ns_type type);
const char *kata_oci_ns_name(enum kata_oci_ns_type type);

/* Turns mount options into mount(2) flags, propagation flags (MS_PRIVATE...) and the
 * comma-joined remaining data options (malloc'd, "" when none). Unknown options are
 * passed to the filesystem as data, as runc does. */
int kata_oci_mount_parse_options(const kata_oci_mount *mount, unsigned long *flags,
                                 unsigned long *propagation, char **data, kata_error *err);

/* The number of a capability name ("CAP_KILL" -> 5), or -1. */
int kata_oci_capability_number(const char *name);

/* Value of KEY in a NULL-terminated env array, or NULL. */
const char *kata_oci_env_get(char *const *env, const char *key);

#endif
