/* Transports between the host tools and the agent: one address syntax, listen, accept,
 * connect with a timeout, and both sides of hybrid vsock.
 *
 * Addresses:
 *   unix://PATH          a unix stream socket at PATH
 *   hvsock://PATH:PORT   hybrid vsock (Firecracker, Cloud Hypervisor, our local driver and
 *                        vhost-user-vsock backend): the host connects to the unix socket PATH,
 *                        writes "CONNECT <PORT>\n" and reads "OK <n>\n"; a connection the
 *                        guest makes to host port P lands on the unix socket "PATH_P".
 *   vsock://CID:PORT     AF_VSOCK (CID 4294967295, or "any", means VMADDR_CID_ANY to listen)
 *   fd://N               an already listening socket inherited as file descriptor N
 *   fd://                the first socket passed systemd-style (LISTEN_PID, LISTEN_FDS, fd 3)
 *
 * Every fd returned is O_CLOEXEC. Connected fds are in blocking mode; listening fds are
 * non-blocking (accept through kata_transport_accept or an epoll loop). Every wait is bounded by
 * the caller's timeout (milliseconds; a negative timeout means "wait as long as it takes" and is
 * meant only for servers waiting for their next client). EINTR is retried. Failing functions return
 * a negative errno and fill err; the messages name the address. */
#ifndef KATA_TRANSPORT_H
#define KATA_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "common/error.h"

/* Well-known ports (vsock and hybrid vsock). */
#define KATA_PORT_AGENT         1024u
#define KATA_PORT_DEBUG_CONSOLE 1026u
#define KATA_PORT_TRACING       10240u

/* File name of the agent's hybrid vsock socket in a sandbox directory (local driver). */
#define KATA_HVSOCK_FILENAME "kata.hvsock"

/* Longest "CONNECT <port>\n" / "OK <n>\n" line accepted, newline included. A peer that
 * sends more without a newline is rejected. */
#define KATA_HVSOCK_LINE_MAX 32

/* Default handshake timeout the guest side applies to a host that connected. */
#define KATA_HVSOCK_HANDSHAKE_TIMEOUT_MS 5000

/* VMADDR_CID_ANY, spelled here so that callers need not include linux/vm_sockets.h. */
#define KATA_VSOCK_CID_ANY 0xFFFFFFFFu

enum kata_transport_kind {
        KATA_TRANSPORT_UNIX = 1,
        KATA_TRANSPORT_HVSOCK,
        KATA_TRANSPORT_VSOCK,
        KATA_TRANSPORT_FD, /* fd://N (fd >= 0) or fd:// (fd == -1: LISTEN_FDS) */
};

/* A parsed address. path fits sockaddr_un.sun_path with its NUL (at most 107 bytes). */
typedef struct kata_address {
        enum kata_transport_kind kind;
        char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* unix, hvsock */
        uint32_t cid;                                           /* vsock */
        uint32_t port;                                          /* hvsock, vsock */
        int fd;                                                 /* fd */
} kata_address;

/* Parses one of the forms above into *out. Rejects, with a message naming the problem:
 * unknown schemes, empty or relative-looking-empty paths, paths too long for a unix
 * socket, paths with NUL, missing or non-numeric ports, ports or CIDs out of 32-bit range,
 * trailing junk, negative fds. An hvsock PATH may itself contain ':' (the port is what
 * follows the last ':'). */
int kata_address_parse(const char *text, kata_address *out, kata_error *err);

/* Formats addr back into its text form in buf (NUL-terminated). Returns the length that
 * the full text needs (like snprintf), or -EINVAL for an invalid kind. */
int kata_address_format(const kata_address *addr, char *buf, size_t size);

/* Name of a transport kind: "unix", "hvsock", "vsock", "fd". */
const char *kata_transport_kind_name(enum kata_transport_kind kind);

/* ---- Listening and accepting ------------------------------------------------------- */

/* Returns a listening socket for addr:
 *   unix   binds PATH (a stale socket file left by a dead process is replaced; any other
 *          existing file is an error, EEXIST),
 *   hvsock binds the unix socket PATH: this is the guest side owned by the agent in the
 *          local driver; accept with kata_hvsock_accept(). The port is ignored.
 *   vsock  binds CID:PORT with AF_VSOCK,
 *   fd     checks that the inherited fd is a listening stream socket, sets CLOEXEC and
 *          returns it (the same number); fd:// takes it from LISTEN_FDS (see below).
 * backlog <= 0 means SOMAXCONN. */
int kata_transport_listen(const kata_address *addr, int backlog, kata_error *err);

/* Parses text and listens on it. */
int kata_transport_listen_str(const char *text, int backlog, kata_error *err);

/* systemd socket activation (call it early in main: it changes the environment, which
 * is not thread-safe): when LISTEN_PID is this process and LISTEN_FDS >= 1, returns
 * fd 3 (CLOEXEC set, checked to be a listening socket) and unsets LISTEN_PID, LISTEN_FDS
 * and LISTEN_FDNAMES so children do not inherit them. Returns -ENOENT when no socket was
 * passed, or -EINVAL when the variables are malformed. */
int kata_transport_listen_fds(kata_error *err);

/* Accepts one connection on a listening socket within timeout_ms (negative: no limit;
 * 0: only one already pending, for epoll loops). Returns the connected fd, -ETIMEDOUT on
 * timeout. ECONNABORTED and similar transient
 * accept errors are retried within the timeout. */
int kata_transport_accept(int listen_fd, int timeout_ms, kata_error *err);

/* ---- Connecting -------------------------------------------------------------------- */

/* Connects to addr within timeout_ms (must be >= 0) and returns the connected fd.
 *   unix   connects to PATH (a full backlog is retried until the timeout),
 *   hvsock connects to PATH, writes "CONNECT <port>\n" and reads "OK <n>\n", all within
 *          the timeout; the fd is positioned right after the OK line.
 *   vsock  connects with AF_VSOCK,
 *   fd     is not connectable (-EINVAL).
 * Errors: -ECONNREFUSED (nobody listens, or the hvsock peer closed without answering,
 * which is how an unknown port is refused), -ENOENT (no socket file), -ETIMEDOUT,
 * -EPROTO (the hvsock peer answered something other than "OK <n>\n"). */
int kata_transport_connect(const kata_address *addr, int timeout_ms, kata_error *err);

/* Parses text and connects to it. */
int kata_transport_connect_str(const char *text, int timeout_ms, kata_error *err);

/* Same as kata_transport_connect for hvsock, also returning the n of "OK <n>\n"
 * (the host-side port the peer assigned; informational). host_port may be NULL. */
int kata_hvsock_connect(const char *path, uint32_t port, int timeout_ms, uint32_t *host_port,
                        kata_error *err);

/* ---- Hybrid vsock, guest side (the agent in the local driver) ---------------------- */

/* Server half of the handshake on a freshly accepted connection fd: reads one
 * "CONNECT <port>\n" line (at most KATA_HVSOCK_LINE_MAX bytes, within timeout_ms), checks
 * that port is one of allowed[0..nallowed) (nallowed == 0 allows any port), writes
 * "OK <n>\n" with a locally assigned connection number n, and stores the port in *port.
 * Never reads past the newline, so bytes the host sent after the line stay readable.
 * On any failure (bad line, oversized line, peer closed, timeout, port not allowed:
 * -ECONNREFUSED) the caller must close fd; nothing is written back, which is how a
 * refused port looks to the host. It waits up to timeout_ms for a slow host: servers with
 * several clients run it off their accept loop (e.g. in the connection's thread). */
int kata_hvsock_server_handshake(int fd, const uint32_t *allowed, size_t nallowed, int timeout_ms,
                                 uint32_t *port, kata_error *err);

/* Accepts a connection on listen_fd (accept wait bounded by accept_timeout_ms, negative:
 * no limit) and runs kata_hvsock_server_handshake on it with
 * KATA_HVSOCK_HANDSHAKE_TIMEOUT_MS. Returns the connected fd and the port in *port; on a
 * failed handshake the connection is closed and the error returned (the listener stays
 * usable: callers log and accept again). */
int kata_hvsock_accept(int listen_fd, const uint32_t *allowed, size_t nallowed,
                       int accept_timeout_ms, uint32_t *port, kata_error *err);

/* Guest-initiated connection to host port `port`: connects to the unix socket
 * "<path>_<port>" (e.g. <sandbox>/kata.hvsock_10240 for tracing) within timeout_ms.
 * No handshake line is exchanged on this direction. */
int kata_hvsock_guest_connect(const char *path, uint32_t port, int timeout_ms, kata_error *err);

/* Host side of guest-initiated connections: listens on "<path>_<port>" (a stale socket
 * there is replaced). */
int kata_hvsock_host_listen(const char *path, uint32_t port, int backlog, kata_error *err);

/* Writes "<path>_<port>" into buf. Returns 0, or -ENAMETOOLONG when it does not fit buf or
 * a unix socket address. */
int kata_hvsock_port_path(const char *path, uint32_t port, char *buf, size_t size, kata_error *err);

/* ---- Handshake line parsers (pure; exposed for tests and fuzzing) ------------------- */

/* Parses "CONNECT <port>\n" from line[0..len) (exactly one line, newline included).
 * The port is 1..10 decimal digits, no sign, no leading or trailing space, <= UINT32_MAX. */
int kata_hvsock_parse_connect(const char *line, size_t len, uint32_t *port, kata_error *err);

/* Parses "OK <n>\n" from line[0..len), same rules for n. */
int kata_hvsock_parse_ok(const char *line, size_t len, uint32_t *n, kata_error *err);

#endif
