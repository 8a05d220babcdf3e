/* libFuzzer: the parsers of what kata-ctl top reads from /proc and cgroup files, whose
 * contents processes inside containers partly control (comm, argv). The first byte picks
 * the parser; the rest is the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observe/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        char *text = malloc(size);
        if (!text)
                return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        kata_observe_process p;
        memset(&p, 0, sizeof(p));
        uint64_t ticks = 0, start = 0, rss = 0, v = 0;
        switch (data[0] % 3) {
        case 0:
                if (obs_proc_parse_stat(text, &p, &ticks, &start, &rss) == 0 &&
                    strlen(p.comm) >= sizeof(p.comm))
                        abort();
                break;
        case 1:
                obs_proc_parse_status(text, (int)(data[0] / 3) % 4 - 1, &p);
                break;
        default:
                obs_cg_key_value(text, "total_inactive_file", &v);
                obs_cg_key_value(text, "oom_kill", &v);
                break;
        }
        free(text);
        return 0;
}
