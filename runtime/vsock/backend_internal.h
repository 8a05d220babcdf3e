/* State shared by the backend's files: the event loop (backend.c), the guest-facing
 * connection logic (vsock_conn.c) and the host unix side (hvsock_host.c). */
#ifndef KATA_VSOCK_BACKEND_INTERNAL_H
#define KATA_VSOCK_BACKEND_INTERNAL_H

#include <linux/virtio_vsock.h>
#include <stdbool.h>
#include <stdint.h>

#include "vsock/backend.h"
#include "vsock/vhost_user.h"
#include "transport/transport.h"
#include "vsock/vsock_packet.h"

enum kata_vsock_source_kind {
        SRC_STOP = 1,
        SRC_VU_LISTEN,
        SRC_VU_CONN,
        SRC_KICK,
        SRC_HOST_LISTEN,
        SRC_CONN,
};

/* epoll data points at one of these (first member of every watched object). */
struct kata_vsock_source {
        enum kata_vsock_source_kind kind;
        int index; /* ring index for SRC_KICK */
};

enum kata_vsock_conn_state {
        CONN_HANDSHAKE = 1, /* host client connected, its CONNECT line not read yet */
        CONN_CONNECTING,    /* REQUEST sent to the guest, waiting for RESPONSE */
        CONN_CONNECTED,
        CONN_CLOSING, /* host side closed; an RST to the guest is pending */
};

/* Control packets a connection owes the guest, sent as rx buffers become available. */
#define PEND_REQUEST        0x1u
#define PEND_RESPONSE       0x2u
#define PEND_RST            0x4u
#define PEND_SHUTDOWN       0x8u
#define PEND_CREDIT_UPDATE  0x10u
#define PEND_CREDIT_REQUEST 0x20u

struct kata_vsock_conn {
        struct kata_vsock_source src;
        enum kata_vsock_conn_state state;
        int fd;              /* host unix socket, -1 once closed */
        uint32_t local_port; /* our side (CID 2) */
        uint32_t peer_port;  /* the guest's side */
        uint32_t events;     /* registered in epoll (0: not registered) */
        char line[KATA_HVSOCK_LINE_MAX];
        size_t line_len;
        uint64_t accepted_ns; /* when the host client connected (handshake deadline) */

        /* Guest -> host: we advertise buf_alloc and fwd_cnt; the guest may have at most
         * buf_alloc bytes we have not forwarded (rx_cnt - fwd_cnt). */
        uint32_t buf_alloc, fwd_cnt, rx_cnt, last_fwd_sent;
        uint8_t *buf; /* ring of buf_alloc bytes for what the host socket did not take */
        size_t buf_head, buf_len;

        /* Host -> guest: the guest's credit. */
        uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
        bool credit_requested; /* CREDIT_REQUEST sent since the guest last had room */

        unsigned pending;
        bool host_readable; /* the host socket has data or EOF we have not read */
        bool host_eof;
        bool guest_shut_send, guest_shut_rcv;
        bool dead;
        bool in_pending_list;
        struct kata_vsock_conn *hash_next, *pend_prev, *pend_next, *dead_next;
};

#define CONN_BUCKETS 1024u
/* A host client has this long to send its CONNECT line; checked every SWEEP_MS. */
#define KATA_VSOCK_HANDSHAKE_MS 5000u
#define KATA_VSOCK_SWEEP_MS     1000
#define ORPHAN_MAX              256u

struct kata_vsock_backend {
        char socket_path[108];
        char uds_path[108];
        uint64_t guest_cid;
        uint32_t buf_alloc;
        uint32_t max_conns;
        int epfd, stop_fd, vu_listen_fd, vu_fd, host_listen_fd;
        int kick_registered[KATA_VSOCK_NUM_QUEUES];
        struct kata_vsock_source src_stop, src_vu_listen, src_vu, src_host_listen;
        struct kata_vsock_source src_kick[KATA_VSOCK_NUM_QUEUES];
        struct kata_vu_dev dev;
        bool stop;
        bool rx_pushed, tx_pushed;

        struct kata_vsock_conn *buckets[CONN_BUCKETS];
        size_t nconns;
        size_t handshaking; /* connections in CONN_HANDSHAKE */
        struct kata_vsock_conn *pend_head, *pend_tail;
        struct kata_vsock_conn *dead;
        uint32_t next_local_port;

        /* Resets for packets that match no connection. */
        struct virtio_vsock_hdr orphans[ORPHAN_MAX];
        size_t orphan_head, orphan_count;

        struct kata_vsock_stats stats;
};

/* vsock_conn.c */
struct kata_vsock_conn *kata_vsock_conn_lookup(struct kata_vsock_backend *b, uint32_t local_port,
                                               uint32_t peer_port);
struct kata_vsock_conn *kata_vsock_conn_new(struct kata_vsock_backend *b, int fd,
                                            enum kata_vsock_conn_state state);
/* Every connection is in the table, handshaking ones too (keyed 0:fd, never matched by
 * lookups) so that teardown finds them all; re-key with unhash, set ports, insert. */
void kata_vsock_conn_insert(struct kata_vsock_backend *b, struct kata_vsock_conn *c);
void kata_vsock_conn_unhash(struct kata_vsock_backend *b, struct kata_vsock_conn *c);
/* Closes the host socket, owes the guest an RST, then the connection goes away. */
void kata_vsock_conn_reset(struct kata_vsock_backend *b, struct kata_vsock_conn *c);
/* Drops the connection now (no packet to the guest). */
void kata_vsock_conn_drop(struct kata_vsock_backend *b, struct kata_vsock_conn *c);
void kata_vsock_conn_drop_all(struct kata_vsock_backend *b);
/* Recomputes epoll interest and membership of the pending list. */
void kata_vsock_conn_sync(struct kata_vsock_backend *b, struct kata_vsock_conn *c);
/* Writes buffered guest data to the host socket. */
void kata_vsock_conn_flush(struct kata_vsock_backend *b, struct kata_vsock_conn *c);
void kata_vsock_free_dead(struct kata_vsock_backend *b);
/* Queues an RST answering packet p (bounded queue: when full, the guest's own timeout
 * ends the connection). */
void kata_vsock_queue_rst(struct kata_vsock_backend *b, const struct kata_vsock_pkt *p);
/* Drains the tx ring (guest -> host packets). */
int kata_vsock_process_tx(struct kata_vsock_backend *b);
/* Fills rx buffers with what is owed to the guest. */
int kata_vsock_process_rx(struct kata_vsock_backend *b);

/* hvsock_host.c */
void kata_vsock_host_accept(struct kata_vsock_backend *b);
void kata_vsock_host_handshake(struct kata_vsock_backend *b, struct kata_vsock_conn *c);
/* Drops host clients that did not send their CONNECT line in time. */
void kata_vsock_host_sweep(struct kata_vsock_backend *b);
/* Guest REQUEST to host port hdr->dst_port: connect to <uds_path>_<port>. */
void kata_vsock_guest_connect(struct kata_vsock_backend *b, const struct kata_vsock_pkt *p);
/* The guest accepted a host-initiated connection: tell the host client. */
void kata_vsock_host_connected(struct kata_vsock_backend *b, struct kata_vsock_conn *c);

#endif
