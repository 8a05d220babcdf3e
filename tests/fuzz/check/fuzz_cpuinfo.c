/* libFuzzer harness: the /proc/cpuinfo parser and flag lookup. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "check/cpuinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct kata_cpuinfo cpu;
        if (kata_cpuinfo_parse((const char *)data, size, &cpu, NULL) == 0) {
                (void)kata_cpuinfo_has_flag(&cpu, "vmx");
                (void)kata_cpuinfo_has_flag(&cpu, "sie");
                if (size > 0 && size < 32) {
                        char flag[32];
                        memcpy(flag, data, size);
                        flag[size] = '\0';
                        (void)kata_cpuinfo_has_flag(&cpu, flag);
                }
                kata_cpuinfo_free(&cpu);
        }
        return 0;
}
