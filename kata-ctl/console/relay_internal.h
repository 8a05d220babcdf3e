/* Internal to the console client: the frame relay shared by command.c and terminal.c. */
#ifndef KATA_CTL_CONSOLE_RELAY_H
#define KATA_CTL_CONSOLE_RELAY_H

#include <stddef.h>

#include "common/error.h"

/* Writes all of buf to a blocking fd (EINTR retried). */
int kata_console_write_all(int fd, const void *buf, size_t len, kata_error *err);

/* Relays until the agent's exit frame: in_fd (-1: none, end of input sent at once) to
 * 'i' frames, 'o'/'e' frames to fds 1 and 2. With winsize_fd >= 0, SIGWINCH sends that
 * terminal's size. *status: the remote exit status, or 128 + a local terminating signal,
 * or 141 when our stdout went away. */
int kata_console_relay(int sock, int in_fd, int winsize_fd, int *status, kata_error *err);

#endif
