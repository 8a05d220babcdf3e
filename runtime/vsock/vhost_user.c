#include "vsock/vhost_user.h"

#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_vsock.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MEM_TABLE_HDR 8u
#define CONFIG_HDR    12u

void kata_vu_dev_init(struct kata_vu_dev *dev, uint64_t guest_cid)
{
        memset(dev, 0, sizeof(*dev));
        dev->guest_cid = guest_cid;
        dev->features = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_EVENT_IDX) |
                        (1ull << KATA_VU_F_PROTOCOL_FEATURES);
        for (int i = 0; i < KATA_VSOCK_NUM_QUEUES; i++)
                kata_virtq_init(&dev->vq[i]);
}

void kata_vu_dev_release(struct kata_vu_dev *dev)
{
        for (int i = 0; i < KATA_VSOCK_NUM_QUEUES; i++)
                kata_virtq_reset(&dev->vq[i]);
        kata_guest_mem_clear(&dev->mem);
}

static uint64_t offered_protocol_features(void)
{
        return (1ull << KATA_VU_PROTOCOL_F_REPLY_ACK) | (1ull << KATA_VU_PROTOCOL_F_CONFIG);
}

const char *kata_vu_request_name(uint32_t request)
{
        switch (request) {
        case KATA_VU_GET_FEATURES:
                return "GET_FEATURES";
        case KATA_VU_SET_FEATURES:
                return "SET_FEATURES";
        case KATA_VU_SET_OWNER:
                return "SET_OWNER";
        case KATA_VU_RESET_OWNER:
                return "RESET_OWNER";
        case KATA_VU_SET_MEM_TABLE:
                return "SET_MEM_TABLE";
        case KATA_VU_SET_LOG_BASE:
                return "SET_LOG_BASE";
        case KATA_VU_SET_LOG_FD:
                return "SET_LOG_FD";
        case KATA_VU_SET_VRING_NUM:
                return "SET_VRING_NUM";
        case KATA_VU_SET_VRING_ADDR:
                return "SET_VRING_ADDR";
        case KATA_VU_SET_VRING_BASE:
                return "SET_VRING_BASE";
        case KATA_VU_GET_VRING_BASE:
                return "GET_VRING_BASE";
        case KATA_VU_SET_VRING_KICK:
                return "SET_VRING_KICK";
        case KATA_VU_SET_VRING_CALL:
                return "SET_VRING_CALL";
        case KATA_VU_SET_VRING_ERR:
                return "SET_VRING_ERR";
        case KATA_VU_GET_PROTOCOL_FEATURES:
                return "GET_PROTOCOL_FEATURES";
        case KATA_VU_SET_PROTOCOL_FEATURES:
                return "SET_PROTOCOL_FEATURES";
        case KATA_VU_GET_QUEUE_NUM:
                return "GET_QUEUE_NUM";
        case KATA_VU_SET_VRING_ENABLE:
                return "SET_VRING_ENABLE";
        case KATA_VU_GET_CONFIG:
                return "GET_CONFIG";
        case KATA_VU_SET_CONFIG:
                return "SET_CONFIG";
        default:
                return "UNKNOWN";
        }
}

static int want_size(const struct kata_vu_msg *msg, uint32_t size, kata_error *err)
{
        if (msg->hdr.size != size)
                return kata_error_set(err, EINVAL, "%s: payload of %u bytes, expected %u",
                                      kata_vu_request_name(msg->hdr.request), msg->hdr.size, size);
        return 0;
}

static int want_fds(const struct kata_vu_msg *msg, size_t nfds, size_t want, kata_error *err)
{
        if (nfds != want)
                return kata_error_set(err, EINVAL, "%s: %zu file descriptors, expected %zu",
                                      kata_vu_request_name(msg->hdr.request), nfds, want);
        return 0;
}

int kata_vu_msg_validate(const struct kata_vu_msg *msg, size_t nfds, kata_error *err)
{
        const struct kata_vu_hdr *h = &msg->hdr;
        if ((h->flags & KATA_VU_VERSION_MASK) != KATA_VU_VERSION)
                return kata_error_set(err, EPROTO, "%s: protocol version %u, expected %u",
                                      kata_vu_request_name(h->request),
                                      h->flags & KATA_VU_VERSION_MASK, KATA_VU_VERSION);
        if (h->flags & KATA_VU_FLAG_REPLY)
                return kata_error_set(err, EPROTO, "%s: a request flagged as a reply",
                                      kata_vu_request_name(h->request));
        if (h->size > KATA_VU_PAYLOAD_MAX)
                return kata_error_set(err, EMSGSIZE, "%s: payload of %u bytes (max %u)",
                                      kata_vu_request_name(h->request), h->size,
                                      KATA_VU_PAYLOAD_MAX);
        int rc;
        switch (h->request) {
        case KATA_VU_GET_FEATURES:
        case KATA_VU_GET_PROTOCOL_FEATURES:
        case KATA_VU_GET_QUEUE_NUM:
        case KATA_VU_SET_OWNER:
        case KATA_VU_RESET_OWNER:
                /* No payload is defined; some frontends send a zero u64 all the same. */
                if (h->size != 0 && h->size != 8)
                        return want_size(msg, 0, err);
                return want_fds(msg, nfds, 0, err);
        case KATA_VU_SET_FEATURES:
        case KATA_VU_SET_PROTOCOL_FEATURES:
        case KATA_VU_SET_VRING_NUM:
        case KATA_VU_SET_VRING_BASE:
        case KATA_VU_GET_VRING_BASE:
        case KATA_VU_SET_VRING_ENABLE:
                if ((rc = want_size(msg, 8, err)) < 0)
                        return rc;
                return want_fds(msg, nfds, 0, err);
        case KATA_VU_SET_VRING_KICK:
        case KATA_VU_SET_VRING_CALL:
        case KATA_VU_SET_VRING_ERR:
                if ((rc = want_size(msg, 8, err)) < 0)
                        return rc;
                if (msg->payload.u64 & ~(uint64_t)(KATA_VU_VRING_IDX_MASK | KATA_VU_VRING_NOFD))
                        return kata_error_set(err, EINVAL, "%s: unknown bits in 0x%llx",
                                              kata_vu_request_name(h->request),
                                              (unsigned long long)msg->payload.u64);
                return want_fds(msg, nfds, (msg->payload.u64 & KATA_VU_VRING_NOFD) ? 0 : 1, err);
        case KATA_VU_SET_VRING_ADDR:
                if ((rc = want_size(msg, sizeof(struct kata_vu_vring_addr), err)) < 0)
                        return rc;
                return want_fds(msg, nfds, 0, err);
        case KATA_VU_SET_MEM_TABLE: {
                if (h->size < MEM_TABLE_HDR)
                        return want_size(msg, MEM_TABLE_HDR, err);
                uint32_t n = msg->payload.mem.nregions;
                if (n == 0 || n > KATA_GUEST_MEM_MAX_REGIONS)
                        return kata_error_set(err, EINVAL,
                                              "SET_MEM_TABLE: %u regions (expected 1 to %d)", n,
                                              KATA_GUEST_MEM_MAX_REGIONS);
                if ((rc = want_size(msg, MEM_TABLE_HDR + n * sizeof(struct kata_vu_mem_region),
                                    err)) < 0)
                        return rc;
                return want_fds(msg, nfds, n, err);
        }
        case KATA_VU_GET_CONFIG:
        case KATA_VU_SET_CONFIG:
                if (h->size < CONFIG_HDR)
                        return want_size(msg, CONFIG_HDR, err);
                if (msg->payload.config.size > KATA_VU_CONFIG_MAX)
                        return kata_error_set(err, EINVAL, "%s: config size %u (max %u)",
                                              kata_vu_request_name(h->request),
                                              msg->payload.config.size, KATA_VU_CONFIG_MAX);
                if ((rc = want_size(msg, CONFIG_HDR + msg->payload.config.size, err)) < 0)
                        return rc;
                return want_fds(msg, nfds, 0, err);
        default:
                return kata_error_set(err, ENOTSUP, "request %u (%s) is not supported", h->request,
                                      kata_vu_request_name(h->request));
        }
}

static void close_fds(int *fds, size_t nfds)
{
        for (size_t i = 0; i < nfds; i++)
                if (fds[i] >= 0) {
                        close(fds[i]);
                        fds[i] = -1;
                }
}

static int ring_index(uint32_t index, const char *what, kata_error *err)
{
        if (index >= KATA_VSOCK_NUM_QUEUES)
                return kata_error_set(err, EINVAL, "%s: ring index %u (the device has %d)", what,
                                      index, KATA_VSOCK_NUM_QUEUES);
        return 0;
}

static void reply_u64(struct kata_vu_msg *reply, const struct kata_vu_msg *msg, uint64_t v,
                      bool *has_reply)
{
        memset(reply, 0, sizeof(*reply));
        reply->hdr.request = msg->hdr.request;
        reply->hdr.flags = KATA_VU_VERSION | KATA_VU_FLAG_REPLY;
        reply->hdr.size = 8;
        reply->payload.u64 = v;
        *has_reply = true;
}

static int set_mem_table(struct kata_vu_dev *dev, const struct kata_vu_mem_table *t, int *fds,
                         kata_error *err)
{
        kata_guest_mem_clear(&dev->mem);
        for (uint32_t i = 0; i < t->nregions; i++) {
                const struct kata_vu_mem_region *r = &t->regions[i];
                int rc = kata_guest_mem_map(&dev->mem, fds[i], r->guest_addr, r->size, r->user_addr,
                                            r->mmap_offset, err);
                if (rc < 0) {
                        kata_guest_mem_clear(&dev->mem);
                        return kata_error_prefix(err, "SET_MEM_TABLE region %u", i);
                }
        }
        for (int i = 0; i < KATA_VSOCK_NUM_QUEUES; i++) {
                int rc = kata_virtq_resolve(&dev->vq[i], &dev->mem, err);
                if (rc < 0)
                        return kata_error_prefix(err, "SET_MEM_TABLE: ring %d", i);
        }
        return 0;
}

static int handle_vring_fd(struct kata_vu_dev *dev, const struct kata_vu_msg *msg, int *fds,
                           bool *ring_changed, kata_error *err)
{
        const char *name = kata_vu_request_name(msg->hdr.request);
        uint32_t index = (uint32_t)(msg->payload.u64 & KATA_VU_VRING_IDX_MASK);
        int rc = ring_index(index, name, err);
        if (rc < 0)
                return rc;
        int fd = (msg->payload.u64 & KATA_VU_VRING_NOFD) ? -1 : fds[0];
        struct kata_virtq *vq = &dev->vq[index];
        int *slot;
        switch (msg->hdr.request) {
        case KATA_VU_SET_VRING_KICK:
                if (fd < 0)
                        return kata_error_set(err, ENOTSUP,
                                              "SET_VRING_KICK without an fd (polling) is not "
                                              "supported");
                slot = &vq->kick_fd;
                *ring_changed = true;
                break;
        case KATA_VU_SET_VRING_CALL:
                slot = &vq->call_fd;
                break;
        default:
                slot = &vq->err_fd;
                break;
        }
        if (*slot >= 0)
                close(*slot);
        *slot = fd;
        if (fd >= 0)
                fds[0] = -1;
        return 0;
}

int kata_vu_dev_handle(struct kata_vu_dev *dev, const struct kata_vu_msg *msg, int *fds,
                       size_t nfds, struct kata_vu_msg *reply, bool *has_reply, bool *ring_changed,
                       kata_error *err)
{
        *has_reply = false;
        *ring_changed = false;
        int rc = kata_vu_msg_validate(msg, nfds, err);
        if (rc < 0) {
                close_fds(fds, nfds);
                return rc;
        }
        const char *name = kata_vu_request_name(msg->hdr.request);
        switch (msg->hdr.request) {
        case KATA_VU_GET_FEATURES:
                reply_u64(reply, msg, dev->features, has_reply);
                break;
        case KATA_VU_SET_FEATURES:
                if (msg->payload.u64 & ~dev->features) {
                        rc = kata_error_set(err, EINVAL,
                                            "SET_FEATURES: 0x%llx has bits we did not offer "
                                            "(0x%llx)",
                                            (unsigned long long)msg->payload.u64,
                                            (unsigned long long)dev->features);
                        break;
                }
                dev->acked_features = msg->payload.u64;
                for (int i = 0; i < KATA_VSOCK_NUM_QUEUES; i++)
                        dev->vq[i].event_idx = (dev->acked_features >> VIRTIO_RING_F_EVENT_IDX) & 1;
                break;
        case KATA_VU_GET_PROTOCOL_FEATURES:
                reply_u64(reply, msg, offered_protocol_features(), has_reply);
                break;
        case KATA_VU_SET_PROTOCOL_FEATURES:
                if (msg->payload.u64 & ~offered_protocol_features()) {
                        rc = kata_error_set(err, EINVAL,
                                            "SET_PROTOCOL_FEATURES: 0x%llx has bits we did not "
                                            "offer",
                                            (unsigned long long)msg->payload.u64);
                        break;
                }
                dev->protocol_features = msg->payload.u64;
                break;
        case KATA_VU_GET_QUEUE_NUM:
                reply_u64(reply, msg, KATA_VSOCK_NUM_QUEUES, has_reply);
                break;
        case KATA_VU_SET_OWNER:
                dev->owned = true;
                break;
        case KATA_VU_RESET_OWNER:
                for (int i = 0; i < KATA_VSOCK_NUM_QUEUES; i++)
                        kata_virtq_reset(&dev->vq[i]);
                dev->acked_features = 0;
                dev->owned = false;
                *ring_changed = true;
                break;
        case KATA_VU_SET_MEM_TABLE:
                rc = set_mem_table(dev, &msg->payload.mem, fds, err);
                *ring_changed = true;
                break;
        case KATA_VU_SET_VRING_NUM: {
                const struct kata_vu_vring_state *s = &msg->payload.state;
                if ((rc = ring_index(s->index, name, err)) < 0)
                        break;
                if (s->num == 0 || s->num > KATA_VIRTQ_MAX_SIZE || (s->num & (s->num - 1))) {
                        rc = kata_error_set(err, EINVAL,
                                            "SET_VRING_NUM: size %u is not a power of two in "
                                            "1..%u",
                                            s->num, KATA_VIRTQ_MAX_SIZE);
                        break;
                }
                dev->vq[s->index].num = s->num;
                rc = kata_virtq_resolve(&dev->vq[s->index], &dev->mem, err);
                break;
        }
        case KATA_VU_SET_VRING_ADDR: {
                const struct kata_vu_vring_addr *a = &msg->payload.addr;
                if ((rc = ring_index(a->index, name, err)) < 0)
                        break;
                struct kata_virtq *vq = &dev->vq[a->index];
                vq->desc_uva = a->desc;
                vq->avail_uva = a->avail;
                vq->used_uva = a->used;
                vq->addr_set = true;
                if ((rc = kata_virtq_resolve(vq, &dev->mem, err)) < 0) {
                        rc = kata_error_prefix(err, "SET_VRING_ADDR ring %u", a->index);
                        break;
                }
                if (vq->used)
                        vq->used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
                *ring_changed = true;
                break;
        }
        case KATA_VU_SET_VRING_BASE: {
                const struct kata_vu_vring_state *s = &msg->payload.state;
                if ((rc = ring_index(s->index, name, err)) < 0)
                        break;
                if (s->num > 0xffff) {
                        rc = kata_error_set(err, EINVAL, "SET_VRING_BASE: base %u above 65535",
                                            s->num);
                        break;
                }
                dev->vq[s->index].last_avail_idx = (uint16_t)s->num;
                dev->vq[s->index].used_idx = (uint16_t)s->num;
                dev->vq[s->index].broken = false;
                break;
        }
        case KATA_VU_GET_VRING_BASE: {
                const struct kata_vu_vring_state *s = &msg->payload.state;
                if ((rc = ring_index(s->index, name, err)) < 0)
                        break;
                struct kata_virtq *vq = &dev->vq[s->index];
                /* The ring stops: no more kicks until the frontend starts it again. */
                if (vq->kick_fd >= 0) {
                        close(vq->kick_fd);
                        vq->kick_fd = -1;
                }
                memset(reply, 0, sizeof(*reply));
                reply->hdr.request = msg->hdr.request;
                reply->hdr.flags = KATA_VU_VERSION | KATA_VU_FLAG_REPLY;
                reply->hdr.size = sizeof(struct kata_vu_vring_state);
                reply->payload.state.index = s->index;
                reply->payload.state.num = vq->last_avail_idx;
                *has_reply = true;
                *ring_changed = true;
                break;
        }
        case KATA_VU_SET_VRING_KICK:
        case KATA_VU_SET_VRING_CALL:
        case KATA_VU_SET_VRING_ERR:
                rc = handle_vring_fd(dev, msg, fds, ring_changed, err);
                break;
        case KATA_VU_SET_VRING_ENABLE: {
                const struct kata_vu_vring_state *s = &msg->payload.state;
                if ((rc = ring_index(s->index, name, err)) < 0)
                        break;
                if (s->num > 1) {
                        rc = kata_error_set(err, EINVAL, "SET_VRING_ENABLE: value %u", s->num);
                        break;
                }
                dev->vq[s->index].enabled = s->num == 1;
                *ring_changed = true;
                break;
        }
        case KATA_VU_GET_CONFIG: {
                const struct kata_vu_config *c = &msg->payload.config;
                struct virtio_vsock_config cfg = {.guest_cid = dev->guest_cid};
                if (c->offset > sizeof(cfg) || c->size > sizeof(cfg) - c->offset) {
                        rc = kata_error_set(err, EINVAL,
                                            "GET_CONFIG: offset %u size %u outside the %zu-byte "
                                            "config",
                                            c->offset, c->size, sizeof(cfg));
                        break;
                }
                memset(reply, 0, sizeof(*reply));
                reply->hdr = msg->hdr;
                reply->hdr.flags = KATA_VU_VERSION | KATA_VU_FLAG_REPLY;
                reply->payload.config.offset = c->offset;
                reply->payload.config.size = c->size;
                reply->payload.config.flags = c->flags;
                memcpy(reply->payload.config.data, (uint8_t *)&cfg + c->offset, c->size);
                *has_reply = true;
                break;
        }
        case KATA_VU_SET_CONFIG:
                rc = kata_error_set(err, EPERM, "SET_CONFIG: the vsock config is read-only");
                break;
        default:
                rc = kata_error_set(err, ENOTSUP, "%s is not supported", name);
                break;
        }
        close_fds(fds, nfds);
        if (rc == 0 && !*has_reply && (msg->hdr.flags & KATA_VU_FLAG_NEED_REPLY) &&
            (dev->protocol_features >> KATA_VU_PROTOCOL_F_REPLY_ACK) & 1)
                reply_u64(reply, msg, 0, has_reply);
        return rc;
}

int kata_vu_recv(int fd, struct kata_vu_msg *msg, int *fds, size_t *nfds, kata_error *err)
{
        union {
                char buf[CMSG_SPACE(KATA_VU_MAX_FDS * sizeof(int))];
                struct cmsghdr align;
        } control;
        struct iovec iov = {.iov_base = &msg->hdr, .iov_len = KATA_VU_HDR_SIZE};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = control.buf,
                            .msg_controllen = sizeof(control.buf)};
        *nfds = 0;
        ssize_t n;
        do
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return kata_error_errno(err, errno, "reading a vhost-user message");
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < count; i++) {
                        int f;
                        memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (*nfds < KATA_VU_MAX_FDS)
                                fds[(*nfds)++] = f;
                        else
                                close(f);
                }
        }
        int rc = 0;
        if (n == 0) {
                rc = 0;
                goto fail;
        }
        if (mh.msg_flags & MSG_CTRUNC) {
                rc = kata_error_set(err, EMSGSIZE, "vhost-user message with more than %u fds",
                                    KATA_VU_MAX_FDS);
                goto fail;
        }
        size_t got = (size_t)n;
        while (got < KATA_VU_HDR_SIZE) {
                n = read(fd, (uint8_t *)&msg->hdr + got, KATA_VU_HDR_SIZE - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        rc = kata_error_set(err, EPROTO, "truncated vhost-user header");
                        goto fail;
                }
                got += (size_t)n;
        }
        if (msg->hdr.size > KATA_VU_PAYLOAD_MAX) {
                rc = kata_error_set(err, EMSGSIZE, "vhost-user %s with a %u-byte payload (max %u)",
                                    kata_vu_request_name(msg->hdr.request), msg->hdr.size,
                                    KATA_VU_PAYLOAD_MAX);
                goto fail;
        }
        memset(&msg->payload, 0, sizeof(msg->payload));
        got = 0;
        while (got < msg->hdr.size) {
                n = read(fd, msg->payload.raw + got, msg->hdr.size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        rc = n < 0 ? kata_error_errno(err, errno, "reading a vhost-user payload")
                                   : kata_error_set(err, EPROTO, "truncated vhost-user %s payload",
                                                    kata_vu_request_name(msg->hdr.request));
                        goto fail;
                }
                got += (size_t)n;
        }
        return 1;
fail:
        close_fds(fds, *nfds);
        *nfds = 0;
        return rc;
}

int kata_vu_send(int fd, const struct kata_vu_msg *msg, kata_error *err)
{
        struct iovec iov[2] = {{.iov_base = (void *)&msg->hdr, .iov_len = KATA_VU_HDR_SIZE},
                               {.iov_base = (void *)&msg->payload, .iov_len = msg->hdr.size}};
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
        size_t want = KATA_VU_HDR_SIZE + msg->hdr.size;
        ssize_t n;
        do
                n = sendmsg(fd, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return kata_error_errno(err, errno, "sending vhost-user %s reply",
                                        kata_vu_request_name(msg->hdr.request));
        if ((size_t)n != want)
                return kata_error_set(err, EPROTO, "short write of vhost-user %s reply",
                                      kata_vu_request_name(msg->hdr.request));
        return 0;
}
