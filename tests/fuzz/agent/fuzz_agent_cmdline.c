/* Any kernel command line yields settings within their types (a NUL-terminated address
 * that fits, ports in range) or a named error; never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        struct agent_settings s;
        agent_settings_defaults(&s);
        kata_error err = KATA_ERROR_INIT;
        int r = agent_settings_apply_cmdline(&s, text, &err);
        if (r < 0 && err.msg[0] == 0)
                abort();
        if (memchr(s.server_addr, 0, sizeof(s.server_addr)) == NULL)
                abort();
        if (s.debug_console_vport == 0 || s.log_level > KATA_LOG_DEBUG)
                abort();
        free(text);
        return 0;
}
