/* The agent's side of the debug console parses what any host client sends: a request
 * line either parses or is refused, a parsed one formats back to the same line, and an
 * argv block splits into strings that lie inside it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "console/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        kata_console_request req;
        if (kata_console_request_parse(text, &req) == 0) {
                char line[KATA_CONSOLE_LINE_MAX];
                int n = kata_console_request_format(&req, line, sizeof(line));
                if (n < 1 || line[n - 1] != '\n')
                        abort();
                line[n - 1] = 0;
                if (strcmp(line, text) != 0)
                        abort();
        }
        char *argv[9];
        int argc = kata_console_argv_split(text, size, argv, 8);
        if (argc > 8 || (argc > 0 && argv[argc] != NULL))
                abort();
        for (int i = 0; i < argc; i++)
                if (argv[i] < text || argv[i] >= text + size || !argv[0][0])
                        abort();
        free(text);
        return 0;
}
