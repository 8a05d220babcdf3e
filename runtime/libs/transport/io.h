/* Internal to the transport library: bounded waits and socket plumbing shared by the
 * unix, vsock and hybrid vsock code. Deadlines are absolute CLOCK_MONOTONIC nanoseconds,
 * 0 meaning none. */
#ifndef KATA_TRANSPORT_IO_H
#define KATA_TRANSPORT_IO_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/error.h"

/* Deadline for a timeout in ms (negative: none, returns 0). */
uint64_t kata_tp_deadline(int timeout_ms);

/* Waits until fd has one of events or the deadline passes. Returns 0 when ready,
 * -ETIMEDOUT, or a negative errno from poll. EINTR is retried. */
int kata_tp_wait(int fd, short events, uint64_t deadline);

/* Sleeps a little (bounded by the deadline); -ETIMEDOUT when it has passed. */
int kata_tp_backoff(uint64_t deadline);

int kata_tp_set_nonblock(int fd, int on);

/* Connects a fresh non-blocking socket of family to sa within the deadline and returns
 * it in blocking mode. what names the peer in messages. */
int kata_tp_connect_sockaddr(int family, const struct sockaddr *sa, socklen_t salen,
                             uint64_t deadline, const char *what, kata_error *err);

/* Connects to the unix socket at path within the deadline. */
int kata_tp_connect_unix(const char *path, uint64_t deadline, kata_error *err);

/* Listens on the unix socket at path, replacing a stale socket file. */
int kata_tp_listen_unix(const char *path, int backlog, kata_error *err);

#endif
