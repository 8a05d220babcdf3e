/* See fake_frontend.h. Plays QEMU and the guest's virtio-vsock driver in one process. */
#include "fake_frontend.h"

#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_vsock.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vsock/vhost_user.h"

#define QSIZE     256u
#define MEM_SIZE  (24u << 20)
#define GPA_BASE  0x100000ull
#define UVA_BASE  0x7f1200000000ull
#define RING_AREA 16384u
#define TX_SLOT   (sizeof(struct virtio_vsock_hdr) + 16384u)
#define HDR       sizeof(struct virtio_vsock_hdr)

struct ff_queue {
        struct vring_desc *desc;
        struct vring_avail *avail;
        struct vring_used *used;
        uint64_t desc_off, avail_off, used_off;
        uint16_t avail_idx, last_used;
        int kick, call;
};

struct fake_frontend {
        int sock;
        int memfd;
        uint8_t *mem;
        struct ff_options o;
        struct ff_queue q[3];
        uint64_t rx_off, tx_off;
        uint32_t rx_slot;
        uint16_t tx_free[QSIZE];
        unsigned ntx_free;
        struct ff_conn conns[FF_MAX_CONNS];
        uint32_t listening[16];
        unsigned nlistening;
        uint32_t next_port;
        unsigned orphan_resets, errors, credit_requests;
};

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int ff_vu_request(struct fake_frontend *ff, uint32_t req, uint32_t flags, const void *payload,
                  uint32_t size, int fd, void *reply, uint32_t reply_size)
{
        uint32_t hdr[3] = {req, flags ? flags : KATA_VU_VERSION, size};
        struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)payload, size}};
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } ctl;
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = size ? 2 : 1};
        if (fd >= 0) {
                mh.msg_control = ctl.buf;
                mh.msg_controllen = sizeof(ctl.buf);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        if (sendmsg(ff->sock, &mh, MSG_NOSIGNAL) != (ssize_t)(sizeof(hdr) + size))
                return -1;
        if (!reply)
                return 0;
        uint32_t rh[3];
        struct pollfd p = {ff->sock, POLLIN, 0};
        if (poll(&p, 1, 5000) != 1 || recv(ff->sock, rh, sizeof(rh), MSG_WAITALL) != sizeof(rh))
                return -1;
        if (rh[0] != req || !(rh[1] & KATA_VU_FLAG_REPLY) || rh[2] != reply_size)
                return -1;
        if (reply_size && recv(ff->sock, reply, reply_size, MSG_WAITALL) != (ssize_t)reply_size)
                return -1;
        return 0;
}

uint8_t *ff_guest_mem(struct fake_frontend *ff, uint64_t *gpa_base, size_t *size)
{
        *gpa_base = GPA_BASE;
        *size = MEM_SIZE;
        return ff->mem;
}

static void kick(struct fake_frontend *ff, int qi, uint16_t old_idx)
{
        struct ff_queue *q = &ff->q[qi];
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        bool need;
        if (ff->o.event_idx) {
                uint16_t ev = __atomic_load_n((uint16_t *)&q->used->ring[QSIZE], __ATOMIC_RELAXED);
                need = (uint16_t)(q->avail_idx - ev - 1) < (uint16_t)(q->avail_idx - old_idx);
        } else {
                need =
                    !(__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED) & VRING_USED_F_NO_NOTIFY);
        }
        if (need)
                (void)eventfd_write(q->kick, 1);
}

static void publish(struct fake_frontend *ff, int qi, uint16_t head)
{
        struct ff_queue *q = &ff->q[qi];
        uint16_t old = q->avail_idx;
        q->avail->ring[q->avail_idx % QSIZE] = head;
        q->avail_idx++;
        __atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
        kick(ff, qi, old);
}

int ff_publish_raw_tx(struct fake_frontend *ff, uint16_t head, uint64_t addr, uint32_t len,
                      uint16_t flags, uint16_t next)
{
        struct ff_queue *q = &ff->q[KATA_VSOCK_QUEUE_TX];
        if (head < QSIZE) {
                q->desc[head] = (struct vring_desc){addr, len, flags, next};
                /* Take it out of the free list so normal sends do not reuse it. */
                for (unsigned i = 0; i < ff->ntx_free; i++)
                        if (ff->tx_free[i] == head) {
                                ff->tx_free[i] = ff->tx_free[--ff->ntx_free];
                                break;
                        }
        }
        publish(ff, KATA_VSOCK_QUEUE_TX, head);
        return 0;
}

static struct ff_conn *find(struct fake_frontend *ff, uint32_t local, uint32_t peer)
{
        for (unsigned i = 0; i < FF_MAX_CONNS; i++)
                if (ff->conns[i].state != FF_FREE && ff->conns[i].local_port == local &&
                    ff->conns[i].peer_port == peer)
                        return &ff->conns[i];
        return NULL;
}

static struct ff_conn *new_conn(struct fake_frontend *ff, uint32_t local, uint32_t peer)
{
        for (unsigned i = 0; i < FF_MAX_CONNS; i++) {
                struct ff_conn *c = &ff->conns[i];
                if (c->state != FF_FREE)
                        continue;
                uint8_t *rbuf = c->rbuf;
                memset(c, 0, sizeof(*c));
                c->rbuf = rbuf ? rbuf : malloc(ff->o.buf_alloc);
                c->local_port = local;
                c->peer_port = peer;
                c->buf_alloc = ff->o.buf_alloc;
                return c;
        }
        return NULL;
}

static void reclaim_tx(struct fake_frontend *ff)
{
        struct ff_queue *q = &ff->q[KATA_VSOCK_QUEUE_TX];
        uint16_t used = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
        while (q->last_used != used) {
                struct vring_used_elem e = q->used->ring[q->last_used % QSIZE];
                if (e.id < QSIZE && ff->ntx_free < QSIZE)
                        ff->tx_free[ff->ntx_free++] = (uint16_t)e.id;
                q->last_used++;
        }
        if (ff->o.event_idx)
                __atomic_store_n((uint16_t *)&q->avail->ring[QSIZE], q->last_used,
                                 __ATOMIC_RELEASE);
}

static void send_pkt(struct fake_frontend *ff, uint64_t src_cid, uint64_t dst_cid,
                     uint32_t src_port, uint32_t dst_port, uint16_t type, uint16_t op,
                     uint32_t flags, uint32_t buf_alloc, uint32_t fwd_cnt, const void *data,
                     uint32_t len)
{
        uint64_t deadline = now_ms() + 10000;
        while (ff->ntx_free == 0 && now_ms() < deadline)
                ff_pump(ff, 10);
        if (ff->ntx_free == 0) {
                ff->errors++;
                return;
        }
        uint16_t d = ff->tx_free[--ff->ntx_free];
        uint64_t off = ff->tx_off + (uint64_t)d * TX_SLOT;
        struct virtio_vsock_hdr h = {.src_cid = src_cid,
                                     .dst_cid = dst_cid,
                                     .src_port = src_port,
                                     .dst_port = dst_port,
                                     .len = len,
                                     .type = type,
                                     .op = op,
                                     .flags = flags,
                                     .buf_alloc = buf_alloc,
                                     .fwd_cnt = fwd_cnt};
        memcpy(ff->mem + off, &h, HDR);
        if (len)
                memcpy(ff->mem + off + HDR, data, len);
        struct ff_queue *q = &ff->q[KATA_VSOCK_QUEUE_TX];
        q->desc[d] = (struct vring_desc){GPA_BASE + off, (uint32_t)(HDR + len), 0, 0};
        publish(ff, KATA_VSOCK_QUEUE_TX, d);
}

static void send_conn(struct fake_frontend *ff, struct ff_conn *c, uint16_t op, uint32_t flags,
                      const void *data, uint32_t len)
{
        c->last_fwd_sent = c->fwd_cnt;
        send_pkt(ff, ff->o.guest_cid, 2, c->local_port, c->peer_port, VIRTIO_VSOCK_TYPE_STREAM, op,
                 flags, c->buf_alloc, c->fwd_cnt, data, len);
}

void ff_send_raw(struct fake_frontend *ff, uint64_t src_cid, uint64_t dst_cid, uint32_t src_port,
                 uint32_t dst_port, uint16_t type, uint16_t op, const void *data, uint32_t len)
{
        send_pkt(ff, src_cid, dst_cid, src_port, dst_port, type, op, 0, 65536, 0, data, len);
}

static bool is_listening(struct fake_frontend *ff, uint32_t port)
{
        for (unsigned i = 0; i < ff->nlistening; i++)
                if (ff->listening[i] == port)
                        return true;
        return false;
}

static void on_packet(struct fake_frontend *ff, const struct virtio_vsock_hdr *h,
                      const uint8_t *data, uint32_t avail)
{
        if (h->src_cid != 2 || h->dst_cid != ff->o.guest_cid || h->len > avail) {
                ff->errors++;
                return;
        }
        struct ff_conn *c = find(ff, h->dst_port, h->src_port);
        if (!c) {
                if (h->op == VIRTIO_VSOCK_OP_REQUEST && is_listening(ff, h->dst_port) &&
                    (c = new_conn(ff, h->dst_port, h->src_port))) {
                        c->state = FF_CONNECTED;
                        c->peer_buf_alloc = h->buf_alloc;
                        c->peer_fwd_cnt = h->fwd_cnt;
                        send_conn(ff, c, VIRTIO_VSOCK_OP_RESPONSE, 0, NULL, 0);
                        return;
                }
                if (h->op == VIRTIO_VSOCK_OP_RST)
                        ff->orphan_resets++;
                else
                        send_pkt(ff, ff->o.guest_cid, 2, h->dst_port, h->src_port,
                                 VIRTIO_VSOCK_TYPE_STREAM, VIRTIO_VSOCK_OP_RST, 0, 0, 0, NULL, 0);
                return;
        }
        c->peer_buf_alloc = h->buf_alloc;
        c->peer_fwd_cnt = h->fwd_cnt;
        switch (h->op) {
        case VIRTIO_VSOCK_OP_RESPONSE:
                if (c->state == FF_CONNECTING)
                        c->state = FF_CONNECTED;
                break;
        case VIRTIO_VSOCK_OP_RST:
                c->reset = true;
                c->state = FF_CLOSED;
                break;
        case VIRTIO_VSOCK_OP_SHUTDOWN:
                if (h->flags & VIRTIO_VSOCK_SHUTDOWN_SEND)
                        c->peer_shut_send = true;
                break;
        case VIRTIO_VSOCK_OP_RW:
                if ((uint64_t)(c->rx_cnt - c->fwd_cnt) + h->len > c->buf_alloc) {
                        c->credit_violation = true;
                        break;
                }
                size_t tail = (c->rhead + c->rlen) % c->buf_alloc;
                size_t first = c->buf_alloc - tail < h->len ? c->buf_alloc - tail : h->len;
                memcpy(c->rbuf + tail, data, first);
                memcpy(c->rbuf, data + first, h->len - first);
                c->rlen += h->len;
                c->rx_cnt += h->len;
                break;
        case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
                ff->credit_requests++;
                send_conn(ff, c, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
                break;
        default:
                break;
        }
        uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;
        if (in_flight > c->max_in_flight_to_host)
                c->max_in_flight_to_host = in_flight;
}

static void process_rx(struct fake_frontend *ff)
{
        struct ff_queue *q = &ff->q[KATA_VSOCK_QUEUE_RX];
        for (;;) {
                uint16_t used = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
                if (q->last_used == used)
                        break;
                while (q->last_used != used) {
                        struct vring_used_elem e = q->used->ring[q->last_used % QSIZE];
                        q->last_used++;
                        if (e.id >= QSIZE) {
                                ff->errors++;
                                continue;
                        }
                        uint8_t *slot = ff->mem + ff->rx_off + (uint64_t)e.id * (HDR + ff->rx_slot);
                        if (e.len >= HDR) {
                                struct virtio_vsock_hdr h;
                                memcpy(&h, slot, HDR);
                                on_packet(ff, &h, slot + HDR, e.len - (uint32_t)HDR);
                        } else {
                                ff->errors++;
                        }
                        publish(ff, KATA_VSOCK_QUEUE_RX, (uint16_t)e.id);
                }
                if (ff->o.event_idx)
                        __atomic_store_n((uint16_t *)&q->avail->ring[QSIZE], q->last_used,
                                         __ATOMIC_RELEASE);
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
        }
}

void ff_pump(struct fake_frontend *ff, int timeout_ms)
{
        struct ff_queue *rx = &ff->q[KATA_VSOCK_QUEUE_RX], *tx = &ff->q[KATA_VSOCK_QUEUE_TX];
        bool work = __atomic_load_n(&rx->used->idx, __ATOMIC_ACQUIRE) != rx->last_used ||
                    __atomic_load_n(&tx->used->idx, __ATOMIC_ACQUIRE) != tx->last_used;
        if (!work && timeout_ms != 0) {
                struct pollfd p[2] = {{rx->call, POLLIN, 0}, {tx->call, POLLIN, 0}};
                poll(p, 2, timeout_ms);
        }
        eventfd_t v;
        (void)eventfd_read(rx->call, &v);
        (void)eventfd_read(tx->call, &v);
        reclaim_tx(ff);
        process_rx(ff);
        reclaim_tx(ff);
}

static int vu_u64(struct fake_frontend *ff, uint32_t req, uint64_t v)
{
        return ff_vu_request(ff, req, 0, &v, 8, -1, NULL, 0);
}

static int vu_state(struct fake_frontend *ff, uint32_t req, uint32_t index, uint32_t num)
{
        struct kata_vu_vring_state s = {index, num};
        return ff_vu_request(ff, req, 0, &s, sizeof(s), -1, NULL, 0);
}

struct fake_frontend *ff_start(const char *socket_path, const struct ff_options *opts)
{
        struct fake_frontend *ff = calloc(1, sizeof(*ff));
        ff->o = *opts;
        if (!ff->o.buf_alloc)
                ff->o.buf_alloc = 256 * 1024;
        if (!ff->o.rx_buf_size)
                ff->o.rx_buf_size = 16384;
        ff->rx_slot = ff->o.rx_buf_size;
        ff->next_port = 50000;
        ff->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path);
        uint64_t deadline = now_ms() + 5000;
        while (connect(ff->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                if (now_ms() > deadline) {
                        fprintf(stderr, "ff: connect %s: %s\n", socket_path, strerror(errno));
                        goto fail;
                }
                usleep(10000);
        }
        ff->memfd = memfd_create("fake-guest-ram", MFD_CLOEXEC);
        if (ff->memfd < 0 || ftruncate(ff->memfd, MEM_SIZE) < 0)
                goto fail;
        ff->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ff->memfd, 0);
        if (ff->mem == MAP_FAILED)
                goto fail;
        for (int i = 0; i < 3; i++) {
                struct ff_queue *q = &ff->q[i];
                q->desc_off = (uint64_t)i * RING_AREA;
                q->avail_off = q->desc_off + 16 * QSIZE;
                q->used_off = q->avail_off + 4096;
                q->desc = (void *)(ff->mem + q->desc_off);
                q->avail = (void *)(ff->mem + q->avail_off);
                q->used = (void *)(ff->mem + q->used_off);
                q->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                q->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        }
        ff->rx_off = 3 * RING_AREA;
        ff->tx_off = ff->rx_off + (uint64_t)QSIZE * (HDR + ff->rx_slot);
        if (ff->tx_off + (uint64_t)QSIZE * TX_SLOT > MEM_SIZE) {
                fprintf(stderr, "ff: rx buffers too large for guest memory\n");
                goto fail;
        }

        uint64_t features = 0, pfeatures = 0;
        if (ff_vu_request(ff, KATA_VU_GET_FEATURES, 0, NULL, 0, -1, &features, 8) < 0)
                goto proto;
        uint64_t want = (1ull << VIRTIO_F_VERSION_1) | (1ull << KATA_VU_F_PROTOCOL_FEATURES);
        if (ff->o.event_idx)
                want |= 1ull << VIRTIO_RING_F_EVENT_IDX;
        if ((features & want) != want)
                goto proto;
        if (ff_vu_request(ff, KATA_VU_GET_PROTOCOL_FEATURES, 0, NULL, 0, -1, &pfeatures, 8) < 0 ||
            !(pfeatures & (1ull << KATA_VU_PROTOCOL_F_CONFIG)))
                goto proto;
        uint64_t pwant =
            (1ull << KATA_VU_PROTOCOL_F_CONFIG) | (1ull << KATA_VU_PROTOCOL_F_REPLY_ACK);
        if (vu_u64(ff, KATA_VU_SET_PROTOCOL_FEATURES, pwant) < 0 ||
            ff_vu_request(ff, KATA_VU_SET_OWNER, 0, NULL, 0, -1, NULL, 0) < 0)
                goto proto;
        struct {
                uint32_t offset, size, flags;
                uint64_t cid;
        } __attribute__((packed)) cfg = {0, 8, 0, 0}, cfg_reply;
        if (ff_vu_request(ff, KATA_VU_GET_CONFIG, 0, &cfg, sizeof(cfg), -1, &cfg_reply,
                          sizeof(cfg_reply)) < 0 ||
            cfg_reply.cid != ff->o.guest_cid) {
                fprintf(stderr, "ff: GET_CONFIG did not return cid %llu\n",
                        (unsigned long long)ff->o.guest_cid);
                goto fail;
        }
        if (vu_u64(ff, KATA_VU_SET_FEATURES, want) < 0)
                goto proto;
        struct {
                uint32_t n, pad;
                struct kata_vu_mem_region r;
        } mt = {1, 0, {GPA_BASE, MEM_SIZE, UVA_BASE, 0}};
        uint64_t ack = 1;
        if (ff_vu_request(ff, KATA_VU_SET_MEM_TABLE, KATA_VU_VERSION | KATA_VU_FLAG_NEED_REPLY, &mt,
                          sizeof(mt), ff->memfd, &ack, 8) < 0 ||
            ack != 0)
                goto proto;
        for (uint32_t i = 0; i < 3; i++) {
                struct ff_queue *q = &ff->q[i];
                struct kata_vu_vring_addr a = {
                    i, 0, UVA_BASE + q->desc_off, UVA_BASE + q->used_off, UVA_BASE + q->avail_off,
                    0};
                uint64_t idx = i;
                if (vu_state(ff, KATA_VU_SET_VRING_NUM, i, QSIZE) < 0 ||
                    vu_state(ff, KATA_VU_SET_VRING_BASE, i, 0) < 0 ||
                    ff_vu_request(ff, KATA_VU_SET_VRING_ADDR, 0, &a, sizeof(a), -1, NULL, 0) < 0 ||
                    ff_vu_request(ff, KATA_VU_SET_VRING_CALL, 0, &idx, 8, q->call, NULL, 0) < 0 ||
                    ff_vu_request(ff, KATA_VU_SET_VRING_KICK, 0, &idx, 8, q->kick, NULL, 0) < 0 ||
                    vu_state(ff, KATA_VU_SET_VRING_ENABLE, i, 1) < 0)
                        goto proto;
        }
        /* Every rx buffer is offered at once; tx descriptors are taken as packets go out. */
        struct ff_queue *rx = &ff->q[KATA_VSOCK_QUEUE_RX];
        for (uint16_t d = 0; d < QSIZE; d++) {
                rx->desc[d] =
                    (struct vring_desc){GPA_BASE + ff->rx_off + (uint64_t)d * (HDR + ff->rx_slot),
                                        (uint32_t)(HDR + ff->rx_slot), VRING_DESC_F_WRITE, 0};
                rx->avail->ring[d] = d;
        }
        rx->avail_idx = QSIZE;
        __atomic_store_n(&rx->avail->idx, rx->avail_idx, __ATOMIC_RELEASE);
        (void)eventfd_write(rx->kick, 1);
        for (uint16_t d = 0; d < QSIZE; d++)
                ff->tx_free[ff->ntx_free++] = (uint16_t)(QSIZE - 1 - d);
        /* A round trip proves every message before it was applied. */
        if (ff_vu_request(ff, KATA_VU_GET_FEATURES, 0, NULL, 0, -1, &features, 8) < 0)
                goto proto;
        return ff;
proto:
        fprintf(stderr, "ff: vhost-user handshake failed\n");
fail:
        ff_stop(ff);
        return NULL;
}

void ff_stop(struct fake_frontend *ff)
{
        if (!ff)
                return;
        if (ff->sock >= 0)
                close(ff->sock);
        for (int i = 0; i < 3; i++) {
                if (ff->q[i].kick > 0)
                        close(ff->q[i].kick);
                if (ff->q[i].call > 0)
                        close(ff->q[i].call);
        }
        if (ff->mem && ff->mem != MAP_FAILED)
                munmap(ff->mem, MEM_SIZE);
        if (ff->memfd > 0)
                close(ff->memfd);
        for (unsigned i = 0; i < FF_MAX_CONNS; i++)
                free(ff->conns[i].rbuf);
        free(ff);
}

void ff_listen(struct fake_frontend *ff, uint32_t port)
{
        if (ff->nlistening < 16)
                ff->listening[ff->nlistening++] = port;
}

struct ff_conn *ff_connect(struct fake_frontend *ff, uint32_t host_port)
{
        struct ff_conn *c = new_conn(ff, ff->next_port++, host_port);
        if (!c)
                return NULL;
        c->state = FF_CONNECTING;
        send_conn(ff, c, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
        uint64_t deadline = now_ms() + 5000;
        while (c->state == FF_CONNECTING && now_ms() < deadline)
                ff_pump(ff, 50);
        if (c->state != FF_CONNECTED) {
                c->state = FF_FREE;
                return NULL;
        }
        return c;
}

struct ff_conn *ff_accept(struct fake_frontend *ff, int timeout_ms)
{
        uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
        do {
                for (unsigned i = 0; i < FF_MAX_CONNS; i++) {
                        struct ff_conn *c = &ff->conns[i];
                        if (c->state == FF_CONNECTED && !c->accepted &&
                            is_listening(ff, c->local_port)) {
                                c->accepted = true;
                                return c;
                        }
                }
                ff_pump(ff, 20);
        } while (now_ms() < deadline);
        return NULL;
}

int ff_write(struct fake_frontend *ff, struct ff_conn *c, const void *data, size_t len)
{
        const uint8_t *p = data;
        uint64_t deadline = now_ms() + 10000;
        while (len > 0) {
                if (c->reset || c->state != FF_CONNECTED)
                        return -1;
                uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;
                uint32_t credit =
                    in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
                size_t chunk = len < credit ? len : credit;
                if (chunk > TX_SLOT - HDR)
                        chunk = TX_SLOT - HDR;
                if (chunk == 0 || ff->ntx_free == 0) {
                        if (now_ms() > deadline)
                                return -1;
                        ff_pump(ff, 20);
                        continue;
                }
                send_conn(ff, c, VIRTIO_VSOCK_OP_RW, 0, p, (uint32_t)chunk);
                c->tx_cnt += (uint32_t)chunk;
                if (c->tx_cnt - c->peer_fwd_cnt > c->max_in_flight_to_host)
                        c->max_in_flight_to_host = c->tx_cnt - c->peer_fwd_cnt;
                p += chunk;
                len -= chunk;
                deadline = now_ms() + 10000;
                ff_pump(ff, 0);
        }
        return 0;
}

long ff_read(struct fake_frontend *ff, struct ff_conn *c, void *buf, size_t max, int timeout_ms)
{
        uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
        for (;;) {
                ff_pump(ff, 0);
                if (c->rlen > 0)
                        break;
                if (c->reset)
                        return -1;
                if (c->peer_shut_send)
                        return 0;
                if (now_ms() > deadline)
                        return -1;
                ff_pump(ff, 20);
        }
        size_t n = c->rlen < max ? c->rlen : max;
        size_t first = c->buf_alloc - c->rhead < n ? c->buf_alloc - c->rhead : n;
        memcpy(buf, c->rbuf + c->rhead, first);
        memcpy((uint8_t *)buf + first, c->rbuf, n - first);
        c->rhead = (c->rhead + n) % c->buf_alloc;
        c->rlen -= n;
        c->fwd_cnt += (uint32_t)n;
        if (c->fwd_cnt - c->last_fwd_sent >= c->buf_alloc / 4 && !c->reset)
                send_conn(ff, c, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
        return (long)n;
}

void ff_shutdown(struct fake_frontend *ff, struct ff_conn *c, uint32_t flags)
{
        send_conn(ff, c, VIRTIO_VSOCK_OP_SHUTDOWN, flags, NULL, 0);
}

int ff_close(struct fake_frontend *ff, struct ff_conn *c)
{
        if (!c->reset)
                ff_shutdown(ff, c, VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND);
        uint64_t deadline = now_ms() + 5000;
        while (!c->reset && now_ms() < deadline)
                ff_pump(ff, 20);
        int rc = c->reset ? 0 : -1;
        c->state = FF_FREE;
        return rc;
}

unsigned ff_orphan_resets(const struct fake_frontend *ff)
{
        return ff->orphan_resets;
}

unsigned ff_errors(const struct fake_frontend *ff)
{
        return ff->errors;
}

unsigned ff_credit_requests(const struct fake_frontend *ff)
{
        return ff->credit_requests;
}
