/* `kata-ctl exec`'s side of the agent's debug console (protocol in
 * runtime/libs/console/protocol.h). Files by role: connect.c finds the sandbox and opens
 * port 1026 with errors that say what to do, command.c runs one command, terminal.c an
 * interactive shell on the agent's pseudo-terminal, relay.c moves the frames.
 *
 * Failing functions return a negative errno and fill err; they print nothing. */
#ifndef KATA_CTL_CONSOLE_H
#define KATA_CTL_CONSOLE_H

#include <stdbool.h>

#include "common/error.h"

/* Connects to the debug console of sandbox sid under root (NULL: /run/kata) within
 * timeout_ms and returns the connected fd. Errors name the cause: an unknown sandbox
 * (-ENOENT), one that is not running (-ENOTCONN), an agent that refuses the console because
 * it is not enabled (-ECONNREFUSED, with how to enable it). */
int kata_console_connect(const char *root, const char *sid, int timeout_ms, kata_error *err);

/* Runs argv[0..argc-1] in the sandbox through the connected console fd: its stdout and
 * stderr go to ours byte for byte, our stdin goes to its stdin when forward_stdin (else it
 * reads end of file), and *status gets its exit status as a shell reports it (code, or
 * 128 + signal). A local SIGINT/SIGTERM/SIGHUP ends the command (the agent kills it when
 * the connection closes) and sets *status to 128 + that signal. */
int kata_console_run_command(int fd, char *const argv[], int argc, bool forward_stdin, int *status,
                             kata_error *err);

/* An interactive shell on a pseudo-terminal in the sandbox, on our terminal tty_fd (in raw
 * mode meanwhile, restored on every return); window size changes are passed on. *status
 * gets the shell's exit status. */
int kata_console_run_terminal(int fd, int tty_fd, int *status, kata_error *err);

#endif
