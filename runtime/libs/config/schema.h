/* The keys configuration.toml may contain, per section, with their types: what the
 * loader validates and where in struct kata_config each value goes. Internal to the
 * config library. */
#ifndef KATA_CONFIG_SCHEMA_H
#define KATA_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kata_config_section_kind {
        KATA_SECTION_UNKNOWN = 0,
        KATA_SECTION_HYPERVISOR, /* [hypervisor.<name>] -> struct kata_hypervisor_config */
        KATA_SECTION_AGENT,      /* [agent.kata] -> struct kata_agent_config */
        KATA_SECTION_RUNTIME,    /* [runtime] -> struct kata_runtime_config */
        KATA_SECTION_IGNORED,    /* [factory], [image]: Kata's, accepted, not used */
};

enum kata_config_key_type {
        KATA_KEY_STRING,      /* char *, "" stored as NULL */
        KATA_KEY_PATH,        /* char *, absolute path, "" stored as NULL */
        KATA_KEY_CHOICE,      /* char *, one of key->choices */
        KATA_KEY_BOOL,        /* bool */
        KATA_KEY_U32,         /* uint32_t within [min, max] */
        KATA_KEY_STRING_LIST, /* struct kata_string_list */
        KATA_KEY_IGNORED,     /* a Kata key we do not use: any valid value, dropped */
};

struct kata_config_key {
        const char *name;
        enum kata_config_key_type type;
        size_t offset; /* into the section's struct */
        uint32_t min, max;
        const char *only_for;       /* hypervisor name the key applies to, NULL: all */
        const char *const *choices; /* NULL-terminated, for KATA_KEY_CHOICE */
};

/* Classifies a section name (already trimmed); for hypervisor sections *hv_name
 * points into name after "hypervisor.". */
enum kata_config_section_kind kata_config_section_kind(const char *name, const char **hv_name);

/* NULL when the section has no such key. */
const struct kata_config_key *kata_config_schema_find(enum kata_config_section_kind section,
                                                      const char *key);

/* Upper bound of kata_config_schema_index() over all sections. */
#define KATA_CONFIG_MAX_SECTION_KEYS 128
/* Position of key in its section's table, < KATA_CONFIG_MAX_SECTION_KEYS. */
size_t kata_config_schema_index(enum kata_config_section_kind section,
                                const struct kata_config_key *key);

/* Hypervisor names a [hypervisor.<name>] section may use, NULL-terminated. */
extern const char *const kata_config_hypervisor_names[];
bool kata_config_hypervisor_known(const char *name);

#endif
