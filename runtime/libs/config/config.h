/* configuration.toml: the settings of the runtime, the agent and the hypervisor, read
 * in Kata's layout by one loader that kata-runtime, kata-ctl and the tracing tools share.
 *
 * Lookup (first match wins): the explicit path (--config), $KATA_CONF_FILE,
 * /etc/kata-containers/configuration.toml, else built-in defaults (hypervisor `local`).
 * An explicit path or $KATA_CONF_FILE that does not exist is an error; a missing
 * system file is not.
 *
 * Sections: exactly zero or one [hypervisor.<name>] (name: local, qemu, firecracker,
 * clh, dragonball, stratovirt, remote), [agent.kata], [runtime]; [factory] and [image]
 * are accepted and ignored. Values use the TOML subset of config/toml_value.h. Lines
 * are at most KATA_CONFIG_MAX_LINE bytes once a trailing `#` comment is dropped
 * (libinih's line buffer); an array may span several lines, joined into one logical
 * line that must fit too; a `;` preceded by a blank starts a comment even inside a
 * string (libinih's inline comments).
 *
 * Unknown keys and sections are not errors: they become warnings ("file:line: key:
 * ..."), available through kata_config_warnings() for the caller to print. Keys that
 * Kata defines but we do not use are accepted silently. A bad value, a key set twice,
 * a section given twice or several hypervisor sections fail the load with
 * "file:line: key: what was wrong". The full list of keys is in
 * runtime/libs/config/configuration.toml.example. */
#ifndef KATA_CONFIG_CONFIG_H
#define KATA_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "config/toml_value.h"

#define KATA_CONFIG_SYSTEM_PATH     "/etc/kata-containers/configuration.toml"
#define KATA_CONFIG_ENV             "KATA_CONF_FILE"
#define KATA_CONFIG_DEFAULT_HV      "local"
#define KATA_CONFIG_DEFAULT_ROOT    "/run/kata"
#define KATA_CONFIG_DEFAULTS_SOURCE "built-in defaults"
/* Longest line libinih (Debian's build: INI_MAX_LINE 200) hands over whole. */
#define KATA_CONFIG_MAX_LINE 199
/* Largest configuration file accepted. */
#define KATA_CONFIG_MAX_SIZE (1024 * 1024)

enum kata_config_source {
        KATA_CONFIG_FROM_DEFAULTS = 0, /* no file: built-in defaults */
        KATA_CONFIG_FROM_EXPLICIT,     /* --config PATH */
        KATA_CONFIG_FROM_ENV,          /* $KATA_CONF_FILE */
        KATA_CONFIG_FROM_SYSTEM,       /* /etc/kata-containers/configuration.toml */
        KATA_CONFIG_FROM_BUFFER,       /* kata_config_parse_buffer */
};

/* Strings are NULL when the file does not set them (an empty string counts as not
 * set): the driver then uses its own default. */
struct kata_hypervisor_config {
        char *name;              /* the <name> of [hypervisor.<name>]; "local" by default */
        unsigned line;           /* line of the section header, 0 for the default */
        char *path;              /* hypervisor binary (qemu-system-*), absolute */
        char *kernel;            /* guest kernel, absolute */
        char *initrd;            /* guest initrd, absolute */
        char *image;             /* guest rootfs image, absolute */
        char *machine_type;      /* e.g. "q35" */
        uint32_t default_vcpus;  /* 1..1024, default 1 */
        uint32_t default_memory; /* MiB, 64..4194304, default 2048 */
        char *kernel_params;     /* appended to the guest kernel command line */
        bool enable_debug;
        /* parent of the per-sandbox host cgroups (every driver), relative to each
         * hierarchy's root; default chosen by the runtime (/kata) */
        char *cgroup_parent;
        /* [hypervisor.local] only */
        char *agent_path; /* kata-agent binary, absolute; default: next to kata-runtime */
        /* [hypervisor.qemu] only */
        bool use_vhost_vsock; /* kernel vhost-vsock instead of our vhost-user backend */
};

struct kata_agent_config {
        bool enable_tracing;
        bool enable_debug;
        bool debug_console_enabled;
        uint32_t dial_timeout; /* seconds, 1..3600, default 45 */
        struct kata_string_list kernel_modules;
};

struct kata_runtime_config {
        bool enable_debug;
        bool enable_tracing;
        bool sandbox_cgroup_only;
        bool static_sandbox_resource_mgmt;
        char *internetworking_model; /* "tcfilter" (default), "macvtap" or "none" */
        char *state_root;            /* absolute, default /run/kata (also when "") */
};

struct kata_config {
        enum kata_config_source source_kind;
        /* The file used, or KATA_CONFIG_DEFAULTS_SOURCE. Never NULL after a load. */
        char *source;
        struct kata_hypervisor_config hypervisor;
        struct kata_agent_config agent;
        struct kata_runtime_config runtime;
        char **warnings; /* "file:line: key: message" */
        size_t warning_count;
};

/* Finds and loads the configuration (see the lookup above). On success *out is filled
 * (free it with kata_config_free); on failure *out holds nothing to free and err says
 * which file and line were wrong. */
int kata_config_load(const char *explicit_path, struct kata_config *out, kata_error *err);

/* The same lookup with its inputs spelled out, for tests: env_path stands for
 * $KATA_CONF_FILE (NULL or "" when unset), system_path for the system file. */
int kata_config_load_from(const char *explicit_path, const char *env_path, const char *system_path,
                          struct kata_config *out, kata_error *err);

/* Parses configuration text; name is used in messages and as the source. */
int kata_config_parse_buffer(const char *name, const char *data, size_t len,
                             struct kata_config *out, kata_error *err);

/* Fills *out with the built-in defaults. Returns -ENOMEM on allocation failure. */
int kata_config_init_defaults(struct kata_config *out, kata_error *err);

void kata_config_free(struct kata_config *cfg);

/* Warnings collected while loading, in file order; returns their count. */
size_t kata_config_warnings(const struct kata_config *cfg, const char *const **out);

/* "explicit", "env", "system", "defaults", "buffer". */
const char *kata_config_source_name(enum kata_config_source kind);

#endif
