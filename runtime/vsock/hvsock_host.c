/* The host's side of hybrid vsock: clients of <uds_path> ("CONNECT <port>\n", then
 * "OK <local port>\n" once the guest accepted) and the unix sockets <uds_path>_<port> that
 * guest-initiated connections land on. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "vsock/backend_internal.h"

/* Host-side ports we hand out for host-initiated connections start high, away from
 * the well-known ports guests listen on and from guest-initiated ones. */
#define LOCAL_PORT_FIRST 0x40000000u

void kata_vsock_host_accept(struct kata_vsock_backend *b)
{
        for (;;) {
                int fd = accept4(b->host_listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        if (errno != EAGAIN && errno != EWOULDBLOCK)
                                kata_log_warn("accept on %s: %s", b->uds_path, strerror(errno));
                        return;
                }
                if (b->nconns >= b->max_conns) {
                        kata_log_warn("%zu connections open; refusing a host client", b->nconns);
                        close(fd);
                        continue;
                }
                struct kata_vsock_conn *c = kata_vsock_conn_new(b, fd, CONN_HANDSHAKE);
                if (!c) {
                        close(fd);
                        continue;
                }
                c->peer_port = (uint32_t)fd;
                c->accepted_ns = kata_now_monotonic_ns();
                b->handshaking++;
                kata_vsock_conn_insert(b, c);
                kata_vsock_conn_sync(b, c);
        }
}

static uint32_t alloc_local_port(struct kata_vsock_backend *b, uint32_t peer_port)
{
        for (;;) {
                uint32_t port = b->next_local_port++;
                if (b->next_local_port == UINT32_MAX || b->next_local_port < LOCAL_PORT_FIRST)
                        b->next_local_port = LOCAL_PORT_FIRST;
                if (!kata_vsock_conn_lookup(b, port, peer_port))
                        return port;
        }
}

static void end_handshake(struct kata_vsock_backend *b, struct kata_vsock_conn *c)
{
        if (c->state == CONN_HANDSHAKE && b->handshaking > 0)
                b->handshaking--;
}

void kata_vsock_host_sweep(struct kata_vsock_backend *b)
{
        uint64_t now = kata_now_monotonic_ns();
        for (size_t i = 0; i < CONN_BUCKETS; i++) {
                struct kata_vsock_conn *c = b->buckets[i];
                while (c) {
                        struct kata_vsock_conn *next = c->hash_next;
                        if (c->state == CONN_HANDSHAKE &&
                            now - c->accepted_ns > KATA_VSOCK_HANDSHAKE_MS * 1000000ull) {
                                kata_log_warn("host client on %s sent no CONNECT line in %u ms; "
                                              "closing it",
                                              b->uds_path, KATA_VSOCK_HANDSHAKE_MS);
                                end_handshake(b, c);
                                kata_vsock_conn_drop(b, c);
                        }
                        c = next;
                }
        }
}

void kata_vsock_host_handshake(struct kata_vsock_backend *b, struct kata_vsock_conn *c)
{
        /* One byte at a time: what follows the newline is stream data for the guest and
         * must stay in the socket. */
        while (c->line_len < sizeof(c->line)) {
                char ch;
                ssize_t n = read(c->fd, &ch, 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return;
                if (n <= 0) {
                        end_handshake(b, c);
                        kata_vsock_conn_drop(b, c);
                        return;
                }
                c->line[c->line_len++] = ch;
                if (ch == '\n')
                        break;
        }
        end_handshake(b, c);
        kata_error err = KATA_ERROR_INIT;
        uint32_t port;
        if (kata_hvsock_parse_connect(c->line, c->line_len, &port, &err) < 0) {
                kata_log_warn("host client on %s: %s", b->uds_path, err.msg);
                kata_vsock_conn_drop(b, c);
                return;
        }
        kata_vsock_conn_unhash(b, c);
        c->peer_port = port;
        c->local_port = alloc_local_port(b, port);
        c->state = CONN_CONNECTING;
        c->pending = PEND_REQUEST;
        kata_vsock_conn_insert(b, c);
        kata_log_debug("host connects to guest port %u (local port %u)", port, c->local_port);
        kata_vsock_conn_sync(b, c);
}

void kata_vsock_host_connected(struct kata_vsock_backend *b, struct kata_vsock_conn *c)
{
        char ok[32];
        int len = snprintf(ok, sizeof(ok), "OK %u\n", c->local_port);
        ssize_t n = send(c->fd, ok, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n != len) {
                kata_log_debug("host client for guest port %u went away", c->peer_port);
                kata_vsock_conn_reset(b, c);
                return;
        }
        c->state = CONN_CONNECTED;
        b->stats.conns_opened++;
}

void kata_vsock_guest_connect(struct kata_vsock_backend *b, const struct kata_vsock_pkt *p)
{
        kata_error err = KATA_ERROR_INIT;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct kata_vsock_conn *c = NULL;
        int fd = -1;
        if (b->nconns >= b->max_conns) {
                kata_log_warn("%zu connections open; refusing the guest's connection to port %u",
                              b->nconns, p->dst_port);
                goto refuse;
        }
        if (kata_hvsock_port_path(b->uds_path, p->dst_port, sa.sun_path, sizeof(sa.sun_path),
                                  &err) < 0)
                goto refuse;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                goto refuse;
        /* A unix connect completes at once or fails (EAGAIN: backlog full, treated as a
         * refusal rather than blocking every other connection). */
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                kata_log_debug("guest connection to host port %u: %s: %s", p->dst_port, sa.sun_path,
                               strerror(errno));
                goto refuse;
        }
        c = kata_vsock_conn_new(b, fd, CONN_CONNECTED);
        if (!c)
                goto refuse;
        c->local_port = p->dst_port;
        c->peer_port = p->src_port;
        c->peer_buf_alloc = p->buf_alloc;
        c->peer_fwd_cnt = p->fwd_cnt;
        c->pending = PEND_RESPONSE;
        kata_vsock_conn_insert(b, c);
        b->stats.conns_opened++;
        kata_vsock_conn_sync(b, c);
        return;
refuse:
        if (fd >= 0)
                close(fd);
        b->stats.conns_refused++;
        kata_vsock_queue_rst(b, p);
}
