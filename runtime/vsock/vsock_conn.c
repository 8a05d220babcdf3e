/* Connections between the guest and host unix sockets: the table, the packets the guest
 * sends (tx ring) and owes us, and the ones we owe it (rx ring), with virtio-vsock's
 * credit accounting in both directions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "vsock/backend_internal.h"

/* Most payload one rx packet carries; bounded by the guest's buffers anyway. */
#define RX_PAYLOAD_MAX (64u * 1024u)

static size_t bucket_of(uint32_t local_port, uint32_t peer_port)
{
        return (local_port * 2654435761u ^ peer_port * 40503u) % CONN_BUCKETS;
}

struct kata_vsock_conn *kata_vsock_conn_lookup(struct kata_vsock_backend *b, uint32_t local_port,
                                               uint32_t peer_port)
{
        for (struct kata_vsock_conn *c = b->buckets[bucket_of(local_port, peer_port)]; c;
             c = c->hash_next)
                if (c->local_port == local_port && c->peer_port == peer_port && !c->dead &&
                    c->state != CONN_HANDSHAKE)
                        return c;
        return NULL;
}

struct kata_vsock_conn *kata_vsock_conn_new(struct kata_vsock_backend *b, int fd,
                                            enum kata_vsock_conn_state state)
{
        struct kata_vsock_conn *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        c->src.kind = SRC_CONN;
        c->state = state;
        c->fd = fd;
        c->buf_alloc = b->buf_alloc;
        return c;
}

void kata_vsock_conn_insert(struct kata_vsock_backend *b, struct kata_vsock_conn *c)
{
        size_t i = bucket_of(c->local_port, c->peer_port);
        c->hash_next = b->buckets[i];
        b->buckets[i] = c;
        b->nconns++;
}

void kata_vsock_conn_unhash(struct kata_vsock_backend *b, struct kata_vsock_conn *c)
{
        struct kata_vsock_conn **p = &b->buckets[bucket_of(c->local_port, c->peer_port)];
        for (; *p; p = &(*p)->hash_next)
                if (*p == c) {
                        *p = c->hash_next;
                        b->nconns--;
                        return;
                }
}

static void pend_remove(struct kata_vsock_backend *b, struct kata_vsock_conn *c)
{
        if (!c->in_pending_list)
                return;
        if (c->pend_prev)
                c->pend_prev->pend_next = c->pend_next;
        else
                b->pend_head = c->pend_next;
        if (c->pend_next)
                c->pend_next->pend_prev = c->pend_prev;
        else
                b->pend_tail = c->pend_prev;
        c->pend_prev = c->pend_next = NULL;
        c->in_pending_list = false;
}

static void pend_append(struct kata_vsock_backend *b, struct kata_vsock_conn *c)
{
        c->pend_prev = b->pend_tail;
        c->pend_next = NULL;
        if (b->pend_tail)
                b->pend_tail->pend_next = c;
        else
                b->pend_head = c;
        b->pend_tail = c;
        c->in_pending_list = true;
}

static void close_host(struct kata_vsock_backend *b, struct kata_vsock_conn *c)
{
        if (c->fd < 0)
                return;
        if (c->events)
                epoll_ctl(b->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
        c->events = 0;
}

void kata_vsock_conn_drop(struct kata_vsock_backend *b, struct kata_vsock_conn *c)
{
        if (c->dead)
                return;
        close_host(b, c);
        pend_remove(b, c);
        kata_vsock_conn_unhash(b, c);
        c->dead = true;
        c->dead_next = b->dead;
        b->dead = c;
}

void kata_vsock_conn_drop_all(struct kata_vsock_backend *b)
{
        for (size_t i = 0; i < CONN_BUCKETS; i++)
                while (b->buckets[i])
                        kata_vsock_conn_drop(b, b->buckets[i]);
        b->orphan_count = 0;
        b->handshaking = 0;
}

void kata_vsock_free_dead(struct kata_vsock_backend *b)
{
        while (b->dead) {
                struct kata_vsock_conn *c = b->dead;
                b->dead = c->dead_next;
                free(c->buf);
                free(c);
        }
}

void kata_vsock_conn_reset(struct kata_vsock_backend *b, struct kata_vsock_conn *c)
{
        close_host(b, c);
        c->buf_len = 0;
        c->state = CONN_CLOSING;
        c->pending = PEND_RST;
        kata_vsock_conn_sync(b, c);
}

static uint32_t peer_free(const struct kata_vsock_conn *c)
{
        uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;
        return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

static bool can_read_host(const struct kata_vsock_conn *c)
{
        return c->state == CONN_CONNECTED && c->fd >= 0 && !c->host_eof && !c->guest_shut_rcv &&
               peer_free(c) > 0;
}

void kata_vsock_conn_sync(struct kata_vsock_backend *b, struct kata_vsock_conn *c)
{
        if (c->dead)
                return;
        uint32_t want = 0;
        if (c->fd >= 0) {
                if (c->state == CONN_HANDSHAKE)
                        want |= EPOLLIN;
                /* Waiting for the guest: data the host already sent stays queued, but a
                 * client that gives up (closes) must be noticed. */
                else if (c->state == CONN_CONNECTING)
                        want |= EPOLLHUP;
                else if (!c->host_readable && can_read_host(c))
                        want |= EPOLLIN;
                if (c->buf_len > 0)
                        want |= EPOLLOUT;
        }
        if (want != c->events) {
                struct epoll_event ev = {.events = want, .data.ptr = &c->src};
                int op = !want ? EPOLL_CTL_DEL : !c->events ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
                if (epoll_ctl(b->epfd, op, c->fd, &ev) < 0)
                        kata_log_warn("epoll_ctl on connection %u:%u: %s", c->local_port,
                                      c->peer_port, strerror(errno));
                c->events = want;
        }
        /* Out of the guest's credit: ask once; its answer (or any packet showing room)
         * re-arms the host socket. */
        if (c->state == CONN_CONNECTED && c->fd >= 0 && !c->host_eof && !c->guest_shut_rcv &&
            peer_free(c) == 0 && !c->credit_requested) {
                c->pending |= PEND_CREDIT_REQUEST;
                c->credit_requested = true;
        }
        bool wants_rx =
            c->state != CONN_HANDSHAKE && (c->pending || (c->host_readable && can_read_host(c)));
        if (wants_rx && !c->in_pending_list)
                pend_append(b, c);
        else if (!wants_rx)
                pend_remove(b, c);
}

static void maybe_credit_update(struct kata_vsock_conn *c)
{
        if ((uint32_t)(c->fwd_cnt - c->last_fwd_sent) >= c->buf_alloc / 4)
                c->pending |= PEND_CREDIT_UPDATE;
}

/* The guest finished with its sending side and everything it sent reached the host. */
static void apply_guest_shutdown(struct kata_vsock_backend *b, struct kata_vsock_conn *c)
{
        if (c->buf_len > 0 || c->fd < 0)
                return;
        if (c->guest_shut_send && c->guest_shut_rcv) {
                kata_vsock_conn_reset(b, c);
                return;
        }
        if (c->guest_shut_send)
                shutdown(c->fd, SHUT_WR);
}

static ssize_t send_host(int fd, struct iovec *iov, size_t niov)
{
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = niov};
        ssize_t n;
        do
                n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return 0;
        return n;
}

void kata_vsock_conn_flush(struct kata_vsock_backend *b, struct kata_vsock_conn *c)
{
        while (c->buf_len > 0 && c->fd >= 0) {
                struct iovec iov[2];
                size_t first = c->buf_alloc - c->buf_head;
                if (first > c->buf_len)
                        first = c->buf_len;
                iov[0] = (struct iovec){c->buf + c->buf_head, first};
                iov[1] = (struct iovec){c->buf, c->buf_len - first};
                ssize_t n = send_host(c->fd, iov, iov[1].iov_len ? 2 : 1);
                if (n < 0) {
                        kata_log_debug("connection %u:%u: host write: %s", c->local_port,
                                       c->peer_port, strerror(errno));
                        kata_vsock_conn_reset(b, c);
                        return;
                }
                if (n == 0)
                        break;
                c->buf_head = (c->buf_head + (size_t)n) % c->buf_alloc;
                c->buf_len -= (size_t)n;
                c->fwd_cnt += (uint32_t)n;
                b->stats.bytes_to_host += (uint64_t)n;
        }
        if (c->buf_len == 0)
                c->buf_head = 0;
        maybe_credit_update(c);
        apply_guest_shutdown(b, c);
        kata_vsock_conn_sync(b, c);
}

void kata_vsock_queue_rst(struct kata_vsock_backend *b, const struct kata_vsock_pkt *p)
{
        if (p->op == VIRTIO_VSOCK_OP_RST)
                return;
        if (b->orphan_count >= ORPHAN_MAX) {
                kata_log_warn("too many pending resets; dropping one for port %u", p->src_port);
                return;
        }
        struct kata_vsock_pkt rst = {.src_cid = KATA_VSOCK_HOST_CID,
                                     .dst_cid = b->guest_cid,
                                     .src_port = p->dst_port,
                                     .dst_port = p->src_port,
                                     .type = VIRTIO_VSOCK_TYPE_STREAM,
                                     .op = VIRTIO_VSOCK_OP_RST};
        kata_vsock_pkt_encode(&rst, &b->orphans[(b->orphan_head + b->orphan_count) % ORPHAN_MAX]);
        b->orphan_count++;
}

static void guest_data(struct kata_vsock_backend *b, struct kata_vsock_conn *c,
                       const struct kata_virtq_chain *chain, uint32_t len)
{
        if (len == 0)
                return;
        if ((uint32_t)(c->rx_cnt - c->fwd_cnt) + (uint64_t)len > c->buf_alloc) {
                kata_log_warn("connection %u:%u: the guest sent %u bytes beyond its credit; "
                              "resetting",
                              c->local_port, c->peer_port, len);
                b->stats.bad_packets++;
                kata_vsock_conn_reset(b, c);
                return;
        }
        c->rx_cnt += len;
        if (c->fd < 0 || c->guest_shut_send) {
                c->fwd_cnt += len; /* nobody to deliver to: consumed */
                return;
        }
        size_t written = 0;
        if (c->buf_len == 0) {
                struct iovec seg[KATA_VIRTQ_MAX_IOV];
                size_t n = kata_iov_slice(chain->out, chain->nout, KATA_VSOCK_HDR_SIZE, len, seg,
                                          KATA_VIRTQ_MAX_IOV);
                ssize_t w = send_host(c->fd, seg, n);
                if (w < 0) {
                        kata_log_debug("connection %u:%u: host write: %s", c->local_port,
                                       c->peer_port, strerror(errno));
                        kata_vsock_conn_reset(b, c);
                        return;
                }
                written = (size_t)w;
                c->fwd_cnt += (uint32_t)w;
                b->stats.bytes_to_host += (uint64_t)w;
        }
        size_t rest = len - written;
        if (rest > 0) {
                if (!c->buf && !(c->buf = malloc(c->buf_alloc))) {
                        kata_log_error("connection %u:%u: out of memory", c->local_port,
                                       c->peer_port);
                        kata_vsock_conn_reset(b, c);
                        return;
                }
                size_t off = KATA_VSOCK_HDR_SIZE + written;
                size_t tail = (c->buf_head + c->buf_len) % c->buf_alloc;
                size_t first = c->buf_alloc - tail < rest ? c->buf_alloc - tail : rest;
                kata_iov_to_buf(chain->out, chain->nout, off, c->buf + tail, first);
                kata_iov_to_buf(chain->out, chain->nout, off + first, c->buf, rest - first);
                c->buf_len += rest;
        }
        maybe_credit_update(c);
}

static void handle_guest_packet(struct kata_vsock_backend *b, const struct kata_vsock_pkt *p,
                                const struct kata_virtq_chain *chain)
{
        if (p->src_cid != b->guest_cid || p->dst_cid != KATA_VSOCK_HOST_CID) {
                kata_log_debug("dropping a %s from cid %llu to cid %llu", kata_vsock_op_name(p->op),
                               (unsigned long long)p->src_cid, (unsigned long long)p->dst_cid);
                b->stats.bad_packets++;
                return;
        }
        if (p->type != VIRTIO_VSOCK_TYPE_STREAM) {
                b->stats.bad_packets++;
                kata_vsock_queue_rst(b, p);
                return;
        }
        struct kata_vsock_conn *c = kata_vsock_conn_lookup(b, p->dst_port, p->src_port);
        if (!c) {
                if (p->op == VIRTIO_VSOCK_OP_REQUEST)
                        kata_vsock_guest_connect(b, p);
                else
                        kata_vsock_queue_rst(b, p);
                return;
        }
        c->peer_buf_alloc = p->buf_alloc;
        c->peer_fwd_cnt = p->fwd_cnt;
        if (peer_free(c) > 0)
                c->credit_requested = false;
        switch (p->op) {
        case VIRTIO_VSOCK_OP_REQUEST:
                /* A second REQUEST for a live connection: the guest lost track of it. */
                kata_vsock_conn_reset(b, c);
                break;
        case VIRTIO_VSOCK_OP_RESPONSE:
                if (c->state == CONN_CONNECTING)
                        kata_vsock_host_connected(b, c);
                else
                        kata_vsock_conn_reset(b, c);
                break;
        case VIRTIO_VSOCK_OP_RST:
                if (c->state == CONN_CONNECTING)
                        b->stats.conns_refused++;
                kata_vsock_conn_drop(b, c);
                return;
        case VIRTIO_VSOCK_OP_SHUTDOWN:
                if (p->flags & VIRTIO_VSOCK_SHUTDOWN_SEND)
                        c->guest_shut_send = true;
                if (p->flags & VIRTIO_VSOCK_SHUTDOWN_RCV)
                        c->guest_shut_rcv = true;
                apply_guest_shutdown(b, c);
                break;
        case VIRTIO_VSOCK_OP_RW:
                if (c->state != CONN_CONNECTED) {
                        kata_vsock_conn_reset(b, c);
                        break;
                }
                guest_data(b, c, chain, p->len);
                break;
        case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
                break;
        case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
                c->pending |= PEND_CREDIT_UPDATE;
                break;
        default:
                b->stats.bad_packets++;
                kata_vsock_conn_reset(b, c);
                break;
        }
        kata_vsock_conn_sync(b, c);
}

int kata_vsock_process_tx(struct kata_vsock_backend *b)
{
        struct kata_virtq *vq = &b->dev.vq[KATA_VSOCK_QUEUE_TX];
        struct kata_virtq_chain chain;
        for (;;) {
                kata_error err = KATA_ERROR_INIT;
                int rc;
                while ((rc = kata_virtq_pop(vq, &b->dev.mem, &chain, &err)) != 0) {
                        if (rc < 0) {
                                b->stats.bad_chains++;
                                b->tx_pushed = true;
                                kata_log_warn("tx ring: %s", err.msg);
                                if (vq->broken)
                                        return rc;
                                continue;
                        }
                        struct kata_vsock_pkt p;
                        if (kata_vsock_pkt_from_chain(&chain, &p, &err) < 0) {
                                b->stats.bad_packets++;
                                kata_log_warn("tx ring: %s", err.msg);
                        } else {
                                handle_guest_packet(b, &p, &chain);
                        }
                        kata_virtq_push(vq, chain.head, 0);
                        b->tx_pushed = true;
                }
                if (!kata_virtq_enable_notify(vq))
                        return 0;
        }
}

static void fill_header(struct kata_vsock_backend *b, struct kata_vsock_conn *c,
                        struct kata_vsock_pkt *p, uint16_t op)
{
        *p = (struct kata_vsock_pkt){.src_cid = KATA_VSOCK_HOST_CID,
                                     .dst_cid = b->guest_cid,
                                     .src_port = c->local_port,
                                     .dst_port = c->peer_port,
                                     .type = VIRTIO_VSOCK_TYPE_STREAM,
                                     .op = op,
                                     .buf_alloc = c->buf_alloc,
                                     .fwd_cnt = c->fwd_cnt};
        c->last_fwd_sent = c->fwd_cnt;
        c->pending &= ~PEND_CREDIT_UPDATE;
}

/* Reads host data into the chain after the header. Returns bytes read, 0 at EOF,
 * -EAGAIN when nothing is there, another negative errno on error. */
static ssize_t read_host(struct kata_vsock_conn *c, const struct kata_virtq_chain *chain)
{
        size_t room = chain->in_len - KATA_VSOCK_HDR_SIZE;
        uint32_t credit = peer_free(c);
        if (room > credit)
                room = credit;
        if (room > RX_PAYLOAD_MAX)
                room = RX_PAYLOAD_MAX;
        struct iovec seg[KATA_VIRTQ_MAX_IOV];
        size_t n = kata_iov_slice(chain->in, chain->nin, KATA_VSOCK_HDR_SIZE, room, seg,
                                  KATA_VIRTQ_MAX_IOV);
        struct msghdr mh = {.msg_iov = seg, .msg_iovlen = n};
        ssize_t r;
        do
                r = recvmsg(c->fd, &mh, MSG_DONTWAIT);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        return r;
}

/* Builds the next packet connection c owes the guest into chain. Returns the payload
 * length written (header excluded), or -1 when c had nothing to send after all. */
static ssize_t build_packet(struct kata_vsock_backend *b, struct kata_vsock_conn *c,
                            const struct kata_virtq_chain *chain, struct kata_vsock_pkt *p)
{
        if (c->pending & PEND_RST) {
                fill_header(b, c, p, VIRTIO_VSOCK_OP_RST);
                c->pending = 0;
                return 0;
        }
        if (c->pending & PEND_REQUEST) {
                c->pending &= ~PEND_REQUEST;
                fill_header(b, c, p, VIRTIO_VSOCK_OP_REQUEST);
                return 0;
        }
        if (c->pending & PEND_RESPONSE) {
                c->pending &= ~PEND_RESPONSE;
                fill_header(b, c, p, VIRTIO_VSOCK_OP_RESPONSE);
                return 0;
        }
        if (c->host_readable && can_read_host(c)) {
                ssize_t r = read_host(c, chain);
                if (r > 0) {
                        fill_header(b, c, p, VIRTIO_VSOCK_OP_RW);
                        p->len = (uint32_t)r;
                        c->tx_cnt += (uint32_t)r;
                        b->stats.bytes_to_guest += (uint64_t)r;
                        return r;
                }
                c->host_readable = false;
                if (r == 0) {
                        c->host_eof = true;
                        c->pending |= PEND_SHUTDOWN;
                } else if (r != -EAGAIN) {
                        kata_log_debug("connection %u:%u: host read: %s", c->local_port,
                                       c->peer_port, strerror((int)-r));
                        kata_vsock_conn_reset(b, c);
                        fill_header(b, c, p, VIRTIO_VSOCK_OP_RST);
                        c->pending = 0;
                        return 0;
                }
        }
        if (c->pending & PEND_SHUTDOWN) {
                c->pending &= ~PEND_SHUTDOWN;
                fill_header(b, c, p, VIRTIO_VSOCK_OP_SHUTDOWN);
                /* Host EOF: it will send no more. It may still read (half close); if it
                 * closed for good, the guest's next write resets the connection. */
                p->flags = VIRTIO_VSOCK_SHUTDOWN_SEND;
                return 0;
        }
        if (c->pending & PEND_CREDIT_REQUEST) {
                c->pending &= ~PEND_CREDIT_REQUEST;
                fill_header(b, c, p, VIRTIO_VSOCK_OP_CREDIT_REQUEST);
                return 0;
        }
        if (c->pending & PEND_CREDIT_UPDATE) {
                fill_header(b, c, p, VIRTIO_VSOCK_OP_CREDIT_UPDATE);
                return 0;
        }
        return -1;
}

int kata_vsock_process_rx(struct kata_vsock_backend *b)
{
        struct kata_virtq *vq = &b->dev.vq[KATA_VSOCK_QUEUE_RX];
        struct kata_virtq_chain chain;
        for (;;) {
                while (b->orphan_count > 0 || b->pend_head) {
                        kata_error err = KATA_ERROR_INIT;
                        int rc = kata_virtq_pop(vq, &b->dev.mem, &chain, &err);
                        if (rc == 0)
                                break;
                        if (rc < 0) {
                                b->stats.bad_chains++;
                                b->rx_pushed = true;
                                kata_log_warn("rx ring: %s", err.msg);
                                if (vq->broken)
                                        return rc;
                                continue;
                        }
                        if (chain.in_len < KATA_VSOCK_HDR_SIZE + 1 || chain.nout) {
                                b->stats.bad_chains++;
                                kata_log_warn("rx ring: a buffer of %zu writable bytes (and %zu "
                                              "readable) is unusable",
                                              chain.in_len, chain.out_len);
                                kata_virtq_push(vq, chain.head, 0);
                                b->rx_pushed = true;
                                continue;
                        }
                        struct virtio_vsock_hdr wire;
                        ssize_t len = 0;
                        if (b->orphan_count > 0) {
                                wire = b->orphans[b->orphan_head];
                                b->orphan_head = (b->orphan_head + 1) % ORPHAN_MAX;
                                b->orphan_count--;
                        } else {
                                struct kata_vsock_conn *c = b->pend_head;
                                struct kata_vsock_pkt p;
                                len = build_packet(b, c, &chain, &p);
                                bool sent_rst = len >= 0 && p.op == VIRTIO_VSOCK_OP_RST;
                                pend_remove(b, c);
                                if (sent_rst)
                                        kata_vsock_conn_drop(b, c);
                                else
                                        kata_vsock_conn_sync(b, c);
                                if (len < 0) {
                                        kata_virtq_unpop(vq);
                                        continue;
                                }
                                kata_vsock_pkt_encode(&p, &wire);
                        }
                        kata_iov_from_buf(chain.in, chain.nin, 0, &wire, sizeof(wire));
                        kata_virtq_push(vq, chain.head, (uint32_t)(KATA_VSOCK_HDR_SIZE + len));
                        b->rx_pushed = true;
                }
                if (!kata_virtq_enable_notify(vq) || (!b->orphan_count && !b->pend_head))
                        return 0;
        }
}
