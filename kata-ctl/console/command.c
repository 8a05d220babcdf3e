/* One command through the console: the "exec" request, then the relay. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "console/protocol.h"
#include "relay_internal.h"

int kata_console_run_command(int fd, char *const argv[], int argc, bool forward_stdin, int *status,
                             kata_error *err)
{
        if (argc < 1 || !argv[0][0])
                return kata_error_set(err, EINVAL, "no command to run");
        size_t len = 0;
        for (int i = 0; i < argc; i++)
                len += strlen(argv[i]) + 1;
        if (len > KATA_CONSOLE_ARGV_MAX)
                return kata_error_set(err, E2BIG,
                                      "the command line is %zu bytes, more than the console's "
                                      "%u",
                                      len, KATA_CONSOLE_ARGV_MAX);
        char line[KATA_CONSOLE_LINE_MAX];
        kata_console_request creq = {.mode = KATA_CONSOLE_MODE_EXEC, .argv_len = (uint32_t)len};
        int n = kata_console_request_format(&creq, line, sizeof(line));
        if (n < 0)
                return kata_error_set(err, -n, "debug console: cannot form the request");
        char *req = malloc((size_t)n + len);
        if (!req)
                return kata_error_set(err, ENOMEM, "out of memory");
        memcpy(req, line, (size_t)n);
        size_t off = (size_t)n;
        for (int i = 0; i < argc; i++) {
                size_t l = strlen(argv[i]) + 1;
                memcpy(req + off, argv[i], l);
                off += l;
        }
        int r = kata_console_write_all(fd, req, off, err);
        free(req);
        if (r < 0)
                return kata_error_prefix(err, "debug console: sending the command");
        return kata_console_relay(fd, forward_stdin ? 0 : -1, -1, status, err);
}
