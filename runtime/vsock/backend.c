/* The event loop: one epoll set for the vhost-user socket, the rings' kick eventfds,
 * the hybrid vsock listener and every host connection. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/log.h"
#include "vsock/backend_internal.h"

static int listen_unix(const char *path, kata_error *err)
{
        kata_address addr = {.kind = KATA_TRANSPORT_UNIX};
        strcpy(addr.path, path); /* length checked by the caller */
        return kata_transport_listen(&addr, 0, err);
}

static int watch(struct kata_vsock_backend *b, int fd, struct kata_vsock_source *src,
                 kata_error *err)
{
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = src};
        if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
                return kata_error_errno(err, errno, "epoll_ctl");
        return 0;
}

int kata_vsock_backend_new(const struct kata_vsock_backend_options *opts,
                           struct kata_vsock_backend **out, kata_error *err)
{
        *out = NULL;
        if (!opts->socket_path || !*opts->socket_path || !opts->uds_path || !*opts->uds_path)
                return kata_error_set(
                    err, EINVAL, "both a vhost-user socket and a hybrid vsock path are needed");
        if (opts->guest_cid < 3 || opts->guest_cid > 0xFFFFFFFEull)
                return kata_error_set(err, EINVAL,
                                      "guest CID %llu is reserved or out of range (3..%u)",
                                      (unsigned long long)opts->guest_cid, 0xFFFFFFFEu);
        struct kata_vsock_backend *b = calloc(1, sizeof(*b));
        if (!b)
                return kata_error_set(err, ENOMEM, "out of memory");
        b->epfd = b->stop_fd = b->vu_listen_fd = b->vu_fd = b->host_listen_fd = -1;
        for (int i = 0; i < KATA_VSOCK_NUM_QUEUES; i++)
                b->kick_registered[i] = -1;
        if (strlen(opts->socket_path) >= sizeof(b->socket_path) ||
            strlen(opts->uds_path) + 12 >= sizeof(b->uds_path)) {
                free(b);
                return kata_error_set(err, ENAMETOOLONG,
                                      "socket paths %s and %s must fit a unix socket address "
                                      "(with room for _<port> after the second)",
                                      opts->socket_path, opts->uds_path);
        }
        strcpy(b->socket_path, opts->socket_path);
        strcpy(b->uds_path, opts->uds_path);
        b->guest_cid = opts->guest_cid;
        b->buf_alloc = opts->buf_alloc ? opts->buf_alloc : KATA_VSOCK_DEFAULT_BUF_ALLOC;
        b->max_conns = opts->max_conns ? opts->max_conns : KATA_VSOCK_DEFAULT_MAX_CONNS;
        b->next_local_port = 0x40000000u;
        kata_vu_dev_init(&b->dev, b->guest_cid);
        b->src_stop.kind = SRC_STOP;
        b->src_vu_listen.kind = SRC_VU_LISTEN;
        b->src_vu.kind = SRC_VU_CONN;
        b->src_host_listen.kind = SRC_HOST_LISTEN;
        for (int i = 0; i < KATA_VSOCK_NUM_QUEUES; i++)
                b->src_kick[i] = (struct kata_vsock_source){.kind = SRC_KICK, .index = i};

        int rc;
        b->epfd = epoll_create1(EPOLL_CLOEXEC);
        b->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (b->epfd < 0 || b->stop_fd < 0) {
                rc = kata_error_errno(err, errno, "creating the event loop");
                goto fail;
        }
        /* The vhost-user socket comes last: whoever waits for it finds both ready. */
        if ((rc = listen_unix(b->uds_path, err)) < 0) {
                kata_error_prefix(err, "hybrid vsock socket");
                goto fail;
        }
        b->host_listen_fd = rc;
        if ((rc = listen_unix(b->socket_path, err)) < 0) {
                kata_error_prefix(err, "vhost-user socket");
                goto fail;
        }
        b->vu_listen_fd = rc;
        if ((rc = watch(b, b->stop_fd, &b->src_stop, err)) < 0 ||
            (rc = watch(b, b->vu_listen_fd, &b->src_vu_listen, err)) < 0 ||
            (rc = watch(b, b->host_listen_fd, &b->src_host_listen, err)) < 0)
                goto fail;
        *out = b;
        return 0;
fail:
        kata_vsock_backend_free(b);
        return rc;
}

void kata_vsock_backend_stop(struct kata_vsock_backend *b)
{
        (void)eventfd_write(b->stop_fd, 1);
}

void kata_vsock_backend_get_stats(const struct kata_vsock_backend *b, struct kata_vsock_stats *out)
{
        *out = b->stats;
        out->conns_active = b->nconns;
}

static void unwatch_kicks(struct kata_vsock_backend *b)
{
        for (int i = 0; i < KATA_VSOCK_NUM_QUEUES; i++)
                if (b->kick_registered[i] >= 0) {
                        epoll_ctl(b->epfd, EPOLL_CTL_DEL, b->kick_registered[i], NULL);
                        b->kick_registered[i] = -1;
                }
}

/* Kick fds are shared with the frontend, so an fd we close may stay in the epoll set:
 * they are taken out before every message that could replace them and put back after. */
static int watch_kicks(struct kata_vsock_backend *b, kata_error *err)
{
        for (int i = 0; i < KATA_VSOCK_NUM_QUEUES; i++) {
                int fd = b->dev.vq[i].kick_fd;
                if (fd < 0 || b->kick_registered[i] == fd)
                        continue;
                int rc = watch(b, fd, &b->src_kick[i], err);
                if (rc < 0)
                        return rc;
                b->kick_registered[i] = fd;
        }
        return 0;
}

static int handle_vu_message(struct kata_vsock_backend *b, kata_error *err)
{
        struct kata_vu_msg msg, reply;
        int fds[KATA_VU_MAX_FDS];
        size_t nfds = 0;
        int rc = kata_vu_recv(b->vu_fd, &msg, fds, &nfds, err);
        if (rc <= 0)
                return rc < 0 ? rc : 0;
        kata_log_debug("vhost-user %s (%u bytes, %zu fds)", kata_vu_request_name(msg.hdr.request),
                       msg.hdr.size, nfds);
        bool has_reply = false, ring_changed = false;
        unwatch_kicks(b);
        rc = kata_vu_dev_handle(&b->dev, &msg, fds, nfds, &reply, &has_reply, &ring_changed, err);
        if (rc < 0) {
                kata_error_prefix(err, "vhost-user %s", kata_vu_request_name(msg.hdr.request));
                if ((msg.hdr.flags & KATA_VU_FLAG_NEED_REPLY) &&
                    (b->dev.protocol_features >> KATA_VU_PROTOCOL_F_REPLY_ACK) & 1) {
                        reply = (struct kata_vu_msg){
                            .hdr = {msg.hdr.request, KATA_VU_VERSION | KATA_VU_FLAG_REPLY, 8},
                            .payload.u64 = 1};
                        kata_error ignored = KATA_ERROR_INIT;
                        kata_vu_send(b->vu_fd, &reply, &ignored);
                }
                return rc;
        }
        if (msg.hdr.request == KATA_VU_GET_VRING_BASE || msg.hdr.request == KATA_VU_RESET_OWNER) {
                /* The device stops (guest reset or shutdown): its connections are gone. */
                kata_vsock_conn_drop_all(b);
        }
        if (has_reply && (rc = kata_vu_send(b->vu_fd, &reply, err)) < 0)
                return rc;
        if ((rc = watch_kicks(b, err)) < 0)
                return rc;
        return 1;
}

static void accept_frontend(struct kata_vsock_backend *b)
{
        int fd = accept4(b->vu_listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
                return;
        if (b->vu_fd >= 0) {
                kata_log_warn("a second vhost-user frontend connected; refusing it");
                close(fd);
                return;
        }
        /* A frontend that stops halfway through a message must not hang the loop. */
        struct timeval tv = {.tv_sec = 5};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        b->vu_fd = fd;
        kata_error err = KATA_ERROR_INIT;
        if (watch(b, fd, &b->src_vu, &err) < 0)
                kata_log_error("%s", err.msg);
        kata_log_info("vhost-user frontend connected");
}

static void handle_conn_event(struct kata_vsock_backend *b, struct kata_vsock_conn *c,
                              uint32_t events)
{
        if (c->dead || c->fd < 0)
                return;
        if (c->state == CONN_HANDSHAKE) {
                kata_vsock_host_handshake(b, c);
                return;
        }
        if (c->state == CONN_CONNECTING) {
                if (events & (EPOLLHUP | EPOLLERR)) {
                        kata_log_debug("host client for guest port %u gave up", c->peer_port);
                        if (c->pending & PEND_REQUEST)
                                kata_vsock_conn_drop(b, c); /* the guest never heard of it */
                        else
                                kata_vsock_conn_reset(b, c);
                }
                return;
        }
        if (events & EPOLLOUT)
                kata_vsock_conn_flush(b, c);
        if (c->dead || c->fd < 0)
                return;
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                c->host_readable = true;
        kata_vsock_conn_sync(b, c);
}

int kata_vsock_backend_run(struct kata_vsock_backend *b, kata_error *err)
{
        struct epoll_event evs[64];
        int result = 0;
        while (!b->stop) {
                int n = epoll_wait(b->epfd, evs, 64, b->handshaking ? KATA_VSOCK_SWEEP_MS : -1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return kata_error_errno(err, errno, "epoll_wait");
                }
                bool kicked_tx = false;
                for (int i = 0; i < n && !b->stop; i++) {
                        struct kata_vsock_source *src = evs[i].data.ptr;
                        switch (src->kind) {
                        case SRC_STOP:
                                b->stop = true;
                                break;
                        case SRC_VU_LISTEN:
                                accept_frontend(b);
                                break;
                        case SRC_VU_CONN: {
                                int rc = handle_vu_message(b, err);
                                if (rc <= 0) {
                                        if (rc == 0)
                                                kata_log_info("vhost-user frontend disconnected");
                                        result = rc;
                                        b->stop = true;
                                }
                                kicked_tx = true; /* rings may have started */
                                break;
                        }
                        case SRC_KICK: {
                                int fd = b->dev.vq[src->index].kick_fd;
                                eventfd_t v;
                                if (fd >= 0)
                                        (void)eventfd_read(fd, &v);
                                if (src->index == KATA_VSOCK_QUEUE_TX)
                                        kicked_tx = true;
                                break;
                        }
                        case SRC_HOST_LISTEN:
                                kata_vsock_host_accept(b);
                                break;
                        case SRC_CONN:
                                handle_conn_event(b, (struct kata_vsock_conn *)src, evs[i].events);
                                break;
                        }
                }
                if (b->stop)
                        break;
                if (kicked_tx && kata_vsock_process_tx(b) < 0)
                        kata_log_error("the guest corrupted the tx ring; it stays stopped until "
                                       "the device is reset");
                if (kata_vsock_process_rx(b) < 0)
                        kata_log_error("the guest corrupted the rx ring; it stays stopped until "
                                       "the device is reset");
                /* Guest data written straight through may leave credit to announce. */
                if (b->tx_pushed)
                        kata_virtq_notify(&b->dev.vq[KATA_VSOCK_QUEUE_TX]);
                if (b->rx_pushed)
                        kata_virtq_notify(&b->dev.vq[KATA_VSOCK_QUEUE_RX]);
                b->tx_pushed = b->rx_pushed = false;
                if (b->handshaking)
                        kata_vsock_host_sweep(b);
                kata_vsock_free_dead(b);
        }
        return result;
}

void kata_vsock_backend_free(struct kata_vsock_backend *b)
{
        if (!b)
                return;
        kata_log_info(
            "%llu connections (%llu refused), %llu bytes to the guest, %llu to the "
            "host, %llu bad chains, %llu bad packets",
            (unsigned long long)b->stats.conns_opened, (unsigned long long)b->stats.conns_refused,
            (unsigned long long)b->stats.bytes_to_guest, (unsigned long long)b->stats.bytes_to_host,
            (unsigned long long)b->stats.bad_chains, (unsigned long long)b->stats.bad_packets);
        kata_vsock_conn_drop_all(b);
        kata_vsock_free_dead(b);
        unwatch_kicks(b);
        kata_vu_dev_release(&b->dev);
        if (b->vu_fd >= 0)
                close(b->vu_fd);
        if (b->vu_listen_fd >= 0) {
                close(b->vu_listen_fd);
                unlink(b->socket_path);
        }
        if (b->host_listen_fd >= 0) {
                close(b->host_listen_fd);
                unlink(b->uds_path);
        }
        if (b->stop_fd >= 0)
                close(b->stop_fd);
        if (b->epfd >= 0)
                close(b->epfd);
        free(b);
}
