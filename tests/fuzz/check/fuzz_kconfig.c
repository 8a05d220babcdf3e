/* libFuzzer harness: the kernel config reader, plain text and gzip. */
#include <stddef.h>
#include <stdint.h>

#include "check/kconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct kata_kconfig cfg;
        if (kata_kconfig_parse(data, size, &cfg, NULL) == 0) {
                (void)kata_kconfig_get(&cfg, "CONFIG_KVM");
                (void)kata_kconfig_value(&cfg, "CONFIG_MODULES");
                if (cfg.count > 0)
                        (void)kata_kconfig_get(&cfg, cfg.entries[cfg.count / 2].name);
                kata_kconfig_free(&cfg);
        }
        return 0;
}
