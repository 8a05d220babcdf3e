/* kata-vsock-backend as a library: a vhost-user-vsock device for one VM whose guest vsock
 * is exposed on the host as hybrid vsock (Firecracker / Cloud Hypervisor style):
 *   - QEMU connects to socket_path (vhost-user-vsock-pci, chardev socket client);
 *   - a host client connects to uds_path, writes "CONNECT <port>\n" and reads
 *     "OK <local port>\n" once the guest accepted (a refusal closes the socket);
 *   - a guest connection to CID 2 port P is connected to the unix socket "<uds_path>_P"
 *     (nobody there: the guest gets a reset).
 * One thread, one epoll loop. */
#ifndef KATA_VSOCK_BACKEND_H
#define KATA_VSOCK_BACKEND_H

#include <stdint.h>

#include "common/error.h"

/* Receive buffer we advertise per connection (buf_alloc), in bytes. */
#define KATA_VSOCK_DEFAULT_BUF_ALLOC (256u * 1024u)
/* Connections beyond this are refused, so that a guest or host client opening sockets in
 * a loop cannot exhaust the backend's fds (main raises RLIMIT_NOFILE above it). */
#define KATA_VSOCK_DEFAULT_MAX_CONNS 4096u

struct kata_vsock_backend_options {
        const char *socket_path; /* vhost-user socket we listen on */
        const char *uds_path;    /* hybrid vsock socket we listen on */
        uint64_t guest_cid;      /* >= 3 */
        uint32_t buf_alloc;      /* 0: KATA_VSOCK_DEFAULT_BUF_ALLOC */
        uint32_t max_conns;      /* more are refused; 0: KATA_VSOCK_DEFAULT_MAX_CONNS */
};

struct kata_vsock_stats {
        uint64_t conns_active; /* in the table now (any state) */
        uint64_t conns_opened;
        uint64_t conns_refused;
        uint64_t bytes_to_guest;
        uint64_t bytes_to_host;
        uint64_t bad_chains; /* descriptor chains rejected */
        uint64_t bad_packets;
};

struct kata_vsock_backend;

/* Validates the options and listens on both sockets (stale sockets are replaced). The
 * vhost-user socket is created last, so once it exists both are ready. */
int kata_vsock_backend_new(const struct kata_vsock_backend_options *opts,
                           struct kata_vsock_backend **out, kata_error *err);

/* Serves one frontend: accepts it, then runs until it disconnects (returns 0) or
 * kata_vsock_backend_stop is called (returns 0), or a protocol error (negative). */
int kata_vsock_backend_run(struct kata_vsock_backend *b, kata_error *err);

/* Async-signal-safe and thread-safe: makes run return. */
void kata_vsock_backend_stop(struct kata_vsock_backend *b);

void kata_vsock_backend_get_stats(const struct kata_vsock_backend *b, struct kata_vsock_stats *out);

/* Closes every connection and removes both sockets. NULL is fine. */
void kata_vsock_backend_free(struct kata_vsock_backend *b);

#endif
