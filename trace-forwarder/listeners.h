/* Listening sockets: hybrid vsock (P_10240), plain unix, and AF_VSOCK on request. */
#ifndef KATA_FORWARDER_LISTENERS_H
#define KATA_FORWARDER_LISTENERS_H

#include <stdint.h>

#include "common/error.h"

/* Binds a non-blocking unix stream socket at path. A stale socket file is replaced; one
 * that another process still listens on is an error (EADDRINUSE). */
int fwd_listen_unix(const char *path, kata_error *err);

/* AF_VSOCK listener on cid:port (VMADDR_CID_ANY = 0xffffffff). */
int fwd_listen_vsock(uint32_t cid, uint32_t port, kata_error *err);

#endif
