/* /proc/cpuinfo parser for x86_64, aarch64, ppc64le and s390x layouts. Only the first
 * value of each key is kept (the first processor describes the CPU type). */
#ifndef KATA_CHECK_CPUINFO_H
#define KATA_CHECK_CPUINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct kata_cpuinfo {
        char vendor[64];     /* vendor_id (x86, s390), "CPU implementer" (arm64), "IBM" (ppc) */
        char model[128];     /* model name (x86), cpu (ppc: "POWER8 (raw)..."), machine */
        char *flags;         /* flags (x86), Features (arm64), features (s390); NULL when none */
        unsigned processors; /* "processor" lines (s390: "# processors") */
};

/* text need not be NUL-terminated. Fails only on allocation failure. */
int kata_cpuinfo_parse(const char *text, size_t len, struct kata_cpuinfo *out, kata_error *err);
bool kata_cpuinfo_has_flag(const struct kata_cpuinfo *cpu, const char *flag);
void kata_cpuinfo_free(struct kata_cpuinfo *cpu);

#endif
