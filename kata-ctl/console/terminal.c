/* An interactive shell on the agent's pseudo-terminal. Our terminal goes to raw mode so
 * that every key (^C, ^Z, arrows) reaches the remote terminal, which does the line
 * editing and signals; the window size travels in the request and as 'w' frames. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "console.h"
#include "console/protocol.h"
#include "relay_internal.h"

/* TERM for the remote shell: ours when the protocol can carry it, else a safe one. */
static const char *remote_term(void)
{
        const char *t = getenv("TERM");
        return t && kata_console_term_is_valid(t) ? t : "xterm";
}

int kata_console_run_terminal(int fd, int tty_fd, int *status, kata_error *err)
{
        struct winsize ws = {.ws_row = 24, .ws_col = 80};
        struct winsize cur;
        if (ioctl(tty_fd, TIOCGWINSZ, &cur) == 0 && cur.ws_row && cur.ws_col)
                ws = cur;
        kata_console_request req = {
            .mode = KATA_CONSOLE_MODE_TTY, .rows = ws.ws_row, .cols = ws.ws_col};
        snprintf(req.term, sizeof(req.term), "%s", remote_term());
        char line[KATA_CONSOLE_LINE_MAX];
        int n = kata_console_request_format(&req, line, sizeof(line));
        if (n < 0)
                return kata_error_set(err, -n, "debug console: cannot form the request");
        struct termios saved, raw;
        if (tcgetattr(tty_fd, &saved) < 0)
                return kata_error_errno(err, errno, "reading the terminal's settings");
        int r = kata_console_write_all(fd, line, (size_t)n, err);
        if (r < 0)
                return kata_error_prefix(err, "debug console: sending the request");
        raw = saved;
        cfmakeraw(&raw);
        if (tcsetattr(tty_fd, TCSADRAIN, &raw) < 0)
                return kata_error_errno(err, errno, "setting the terminal to raw mode");
        r = kata_console_relay(fd, tty_fd, tty_fd, status, err);
        tcsetattr(tty_fd, TCSADRAIN, &saved);
        return r;
}
