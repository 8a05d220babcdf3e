/* Kernel configuration reader: /proc/config.gz (gzip) or /boot/config-<release> (text). */
#ifndef KATA_CHECK_KCONFIG_H
#define KATA_CHECK_KCONFIG_H

#include <stddef.h>

#include "common/error.h"

struct kata_kconfig_entry {
        char *name;  /* CONFIG_KVM */
        char *value; /* "y", "m", "\"string\"", "123"; "n" for "# CONFIG_X is not set" */
};

struct kata_kconfig {
        struct kata_kconfig_entry *entries; /* sorted by name */
        size_t count;
};

/* Parses a config from memory; gzip data (magic 1f 8b) is inflated first, at most
 * 32 MiB. Malformed lines are ignored, as the kernel's own tools do; bad gzip fails. */
int kata_kconfig_parse(const void *data, size_t len, struct kata_kconfig *out, kata_error *err);

/* Reads root/proc/config.gz, else root/boot/config-<release>. -ENOENT when neither. */
int kata_kconfig_load(const char *root, const char *release, struct kata_kconfig *out, char *source,
                      size_t source_size, kata_error *err);

/* 'y', 'm', 'n' (not set or absent), or the first character of another value. */
char kata_kconfig_get(const struct kata_kconfig *cfg, const char *name);
const char *kata_kconfig_value(const struct kata_kconfig *cfg, const char *name);
void kata_kconfig_free(struct kata_kconfig *cfg);

#endif
