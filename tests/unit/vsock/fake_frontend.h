/* A fake vhost-user frontend for the backend's tests and benchmark: it plays QEMU (a memfd
 * as guest memory, the three rings, the vhost-user handshake) and the guest's vsock driver
 * (packets, connections, credit). Single-threaded: every call pumps the rings itself. */
#ifndef KATA_TEST_FAKE_FRONTEND_H
#define KATA_TEST_FAKE_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FF_MAX_CONNS 1024

enum ff_conn_state { FF_FREE = 0, FF_CONNECTING, FF_CONNECTED, FF_CLOSED };

struct ff_conn {
        enum ff_conn_state state;
        uint32_t local_port, peer_port;
        bool reset;          /* an RST arrived */
        bool peer_shut_send; /* the host will send no more */
        bool accepted;       /* returned by ff_accept already */
        uint8_t *rbuf;       /* received, not yet read by the "application" */
        size_t rhead, rlen;
        uint32_t buf_alloc, fwd_cnt, rx_cnt, last_fwd_sent;
        uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
        bool credit_violation;          /* the backend sent beyond our credit */
        uint64_t max_in_flight_to_host; /* largest tx_cnt - peer_fwd_cnt seen */
};

struct fake_frontend;

struct ff_options {
        uint64_t guest_cid;
        bool event_idx;       /* negotiate VIRTIO_RING_F_EVENT_IDX */
        uint32_t buf_alloc;   /* guest receive buffer per connection (0: 256 KiB) */
        uint32_t rx_buf_size; /* payload bytes per rx buffer (0: 16 KiB) */
};

/* Connects to the backend's vhost-user socket (retrying up to 5 s) and runs the whole
 * handshake: features, GET_CONFIG (checks the CID), memory table, rings. NULL on failure
 * (message on stderr). */
struct fake_frontend *ff_start(const char *socket_path, const struct ff_options *opts);
/* Disconnects, as QEMU exiting would. */
void ff_stop(struct fake_frontend *ff);

/* Raw vhost-user access for tests of malformed messages: sends header+payload (and fd
 * when >= 0); reads a reply into reply (size bytes) when reply is not NULL. 0 or -1. */
int ff_vu_request(struct fake_frontend *ff, uint32_t req, uint32_t flags, const void *payload,
                  uint32_t size, int fd, void *reply, uint32_t reply_size);
/* Guest memory and the tx ring, for tests that publish broken descriptor chains. */
uint8_t *ff_guest_mem(struct fake_frontend *ff, uint64_t *gpa_base, size_t *size);
int ff_publish_raw_tx(struct fake_frontend *ff, uint16_t head, uint64_t addr, uint32_t len,
                      uint16_t flags, uint16_t next);

void ff_listen(struct fake_frontend *ff, uint32_t port);
/* Processes used entries; waits up to timeout_ms for a call when there were none. */
void ff_pump(struct fake_frontend *ff, int timeout_ms);
/* Guest-initiated connection to host port; NULL when refused or no answer in 5 s. */
struct ff_conn *ff_connect(struct fake_frontend *ff, uint32_t host_port);
/* Next connection the host opened to a listening port, within timeout_ms. */
struct ff_conn *ff_accept(struct fake_frontend *ff, int timeout_ms);
/* Sends all of data, waiting for credit. 0, or -1 on reset/timeout (10 s without progress). */
int ff_write(struct fake_frontend *ff, struct ff_conn *c, const void *data, size_t len);
/* Reads up to max bytes (waiting up to timeout_ms for some); 0 at EOF, -1 on reset or
 * timeout. */
long ff_read(struct fake_frontend *ff, struct ff_conn *c, void *buf, size_t max, int timeout_ms);
/* Sends SHUTDOWN(flags) (1 receive, 2 send). */
void ff_shutdown(struct fake_frontend *ff, struct ff_conn *c, uint32_t flags);
/* Full close: SHUTDOWN both ways, waits for the backend's RST (up to 5 s), frees the slot.
 * 0, or -1 when no RST came. */
int ff_close(struct fake_frontend *ff, struct ff_conn *c);
/* Sends a packet with arbitrary header fields (tests of bad packets). */
void ff_send_raw(struct fake_frontend *ff, uint64_t src_cid, uint64_t dst_cid, uint32_t src_port,
                 uint32_t dst_port, uint16_t type, uint16_t op, const void *data, uint32_t len);
/* Packets received that matched no connection, and protocol errors seen. */
unsigned ff_orphan_resets(const struct fake_frontend *ff);
unsigned ff_errors(const struct fake_frontend *ff);
/* CREDIT_REQUESTs the backend sent (each answered with a CREDIT_UPDATE). */
unsigned ff_credit_requests(const struct fake_frontend *ff);

#endif
