/* The epoll loop: listeners, agent connections, frame decoding and dispatch to sinks,
 * signals (signalfd). A bad frame closes its connection only. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "counters.h"
#include "forwarder.h"
#include "listeners.h"
#include "sink.h"
#include "tracing/frame.h"
#include "tracing/otlp.h"

#define READ_CHUNK    (256 * 1024)
#define READS_PER_RUN 16 /* then let other connections have a turn */
#define TICK_MS       100

enum item_kind { ITEM_LISTENER, ITEM_CONN, ITEM_SIGNAL };

struct item {
        enum item_kind kind;
        int fd;
};

struct listener {
        struct item item;
        char *path;  /* unlinked at exit; NULL for vsock */
        bool paused; /* out of file descriptors: retried at the next tick */
};

struct conn {
        struct item item;
        struct conn *prev, *next; /* open connections, closed at exit */
        uint64_t id;
        uint8_t *buf;
        size_t len, cap;
};

struct server {
        const struct fwd_config *cfg;
        int epfd;
        struct item signal_item;
        struct listener listeners[2 * FWD_MAX_LISTENERS + 1];
        size_t n_listeners;
        struct fwd_sink *sinks[FWD_MAX_SINKS];
        size_t n_sinks;
        bool decode; /* some sink wants decoded spans */
        struct conn *conns;
        struct fwd_counters counters;
};

static int add_listener(struct server *srv, int fd, const char *path, kata_error *err)
{
        struct listener *l = &srv->listeners[srv->n_listeners];
        l->item.kind = ITEM_LISTENER;
        l->item.fd = fd;
        l->path = path ? strdup(path) : NULL;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->item};
        if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                close(fd);
                free(l->path);
                return kata_error_errno(err, errno, "epoll_ctl");
        }
        srv->n_listeners++;
        kata_log_info("listening on %s", path ? path : "vsock");
        return 0;
}

static int open_listeners(struct server *srv, kata_error *err)
{
        const struct fwd_config *cfg = srv->cfg;
        char path[4096];
        for (size_t i = 0; i < cfg->n_socket_paths; i++) {
                snprintf(path, sizeof(path), "%s_%d", cfg->socket_paths[i], FWD_HVSOCK_PORT);
                int fd = fwd_listen_unix(path, err);
                if (fd < 0 || add_listener(srv, fd, path, err) < 0)
                        return -err->code;
        }
        for (size_t i = 0; i < cfg->n_listen_paths; i++) {
                int fd = fwd_listen_unix(cfg->listen_paths[i], err);
                if (fd < 0 || add_listener(srv, fd, cfg->listen_paths[i], err) < 0)
                        return -err->code;
        }
        if (cfg->vsock) {
                int fd = fwd_listen_vsock(cfg->vsock_cid, cfg->vsock_port, err);
                if (fd < 0 || add_listener(srv, fd, NULL, err) < 0)
                        return -err->code;
        }
        if (srv->n_listeners == 0) {
                int rc = kata_mkdir_p("/run/kata", 0755, err);
                if (rc < 0)
                        return rc;
                int fd = fwd_listen_unix(FWD_DEFAULT_SOCKET, err);
                if (fd < 0 || add_listener(srv, fd, FWD_DEFAULT_SOCKET, err) < 0)
                        return -err->code;
        }
        return 0;
}

static void conn_close(struct server *srv, struct conn *c)
{
        epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->item.fd, NULL);
        close(c->item.fd);
        if (c->prev)
                c->prev->next = c->next;
        else
                srv->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        free(c->buf);
        free(c);
        srv->counters.active--;
}

static void accept_all(struct server *srv, struct listener *l)
{
        for (;;) {
                int fd = accept4(l->item.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EMFILE || errno == ENFILE) {
                                /* The pending connection stays readable: without a pause
                                 * a level-triggered loop would spin on it. */
                                kata_log_warn("accept: %s: pausing new connections",
                                              strerror(errno));
                                struct epoll_event ev = {.events = 0, .data.ptr = &l->item};
                                epoll_ctl(srv->epfd, EPOLL_CTL_MOD, l->item.fd, &ev);
                                l->paused = true;
                        } else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
                                kata_log_warn("accept: %s", strerror(errno));
                        }
                        return;
                }
                struct conn *c = calloc(1, sizeof(*c));
                if (!c) {
                        close(fd);
                        continue;
                }
                c->item.kind = ITEM_CONN;
                c->item.fd = fd;
                c->id = ++srv->counters.connections;
                struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = &c->item};
                if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                        close(fd);
                        free(c);
                        continue;
                }
                srv->counters.active++;
                c->next = srv->conns;
                if (c->next)
                        c->next->prev = c;
                srv->conns = c;
                kata_log_debug("connection %llu accepted", (unsigned long long)c->id);
        }
}

static void dispatch_span(const kata_span_record *rec, void *ctx)
{
        struct server *srv = ctx;
        kata_span_record relayed = *rec;
        if (!relayed.source[0])
                relayed.source = "agent";
        for (size_t i = 0; i < srv->n_sinks; i++) {
                if (srv->sinks[i]->ops->span)
                        srv->sinks[i]->ops->span(srv->sinks[i], &relayed);
        }
}

/* Validates one payload and hands it to the sinks. Returns 0 or -EBADMSG (err set). */
static int handle_frame(struct server *srv, const uint8_t *payload, size_t len, kata_error *err)
{
        int64_t n = srv->decode ? kata_otlp_decode(payload, len, dispatch_span, srv, err)
                                : kata_otlp_wire_check(payload, len, err);
        if (n < 0)
                return (int)n;
        srv->counters.frames++;
        srv->counters.received += (uint64_t)n;
        srv->counters.bytes += len;
        for (size_t i = 0; i < srv->n_sinks; i++) {
                if (srv->sinks[i]->ops->frame)
                        srv->sinks[i]->ops->frame(srv->sinks[i], payload, len, (uint64_t)n);
        }
        return 0;
}

static void bad_frame(struct server *srv, struct conn *c, const kata_error *err)
{
        srv->counters.bad_frames++;
        kata_log_warn("connection %llu: %s: closing it", (unsigned long long)c->id, err->msg);
        conn_close(srv, c);
}

/* Consumes every whole frame in c->buf. Returns false when the connection was closed. */
static bool drain_frames(struct server *srv, struct conn *c)
{
        size_t off = 0;
        for (;;) {
                kata_error err = KATA_ERROR_INIT;
                size_t payload_len;
                int rc = kata_frame_parse(c->buf + off, c->len - off, srv->cfg->max_frame,
                                          &payload_len, &err);
                if (rc < 0) {
                        bad_frame(srv, c, &err);
                        return false;
                }
                if (rc == 0) {
                        /* Make room for the whole frame once its header says how big. */
                        if (c->len - off >= KATA_FRAME_HEADER_LEN) {
                                uint64_t n = 0;
                                for (int i = 0; i < KATA_FRAME_HEADER_LEN; i++)
                                        n = n << 8 | c->buf[off + i];
                                size_t need = KATA_FRAME_HEADER_LEN + (size_t)n;
                                if (need > c->cap) {
                                        uint8_t *buf = realloc(c->buf, need);
                                        if (!buf) {
                                                kata_error_set(&err, ENOMEM,
                                                               "no memory for a %zu-byte frame",
                                                               need);
                                                bad_frame(srv, c, &err);
                                                return false;
                                        }
                                        c->buf = buf;
                                        c->cap = need;
                                }
                        }
                        break;
                }
                rc = handle_frame(srv, c->buf + off + KATA_FRAME_HEADER_LEN, payload_len, &err);
                if (rc < 0) {
                        kata_error_prefix(&err, "frame %llu",
                                          (unsigned long long)srv->counters.frames + 1);
                        bad_frame(srv, c, &err);
                        return false;
                }
                off += KATA_FRAME_HEADER_LEN + payload_len;
        }
        if (off) {
                memmove(c->buf, c->buf + off, c->len - off);
                c->len -= off;
        }
        /* Give back the room a big frame needed once it is gone. */
        if (c->cap > 4 * READ_CHUNK && c->len < KATA_FRAME_HEADER_LEN) {
                uint8_t *buf = realloc(c->buf, READ_CHUNK);
                if (buf) {
                        c->buf = buf;
                        c->cap = READ_CHUNK;
                }
        }
        return true;
}

/* Reads what the connection has, up to READS_PER_RUN chunks so that other agents get
 * their turn. Returns CONN_DRAINED (nothing more to read now), CONN_MORE, or CONN_CLOSED
 * (c is freed). */
enum { CONN_DRAINED, CONN_MORE, CONN_CLOSED };

static int conn_readable(struct server *srv, struct conn *c)
{
        for (int i = 0; i < READS_PER_RUN; i++) {
                if (c->cap - c->len < READ_CHUNK / 4) {
                        size_t cap = c->cap ? c->cap * 2 : READ_CHUNK;
                        if (cap < c->len + READ_CHUNK / 4)
                                cap = c->len + READ_CHUNK;
                        uint8_t *buf = realloc(c->buf, cap);
                        if (!buf) {
                                kata_error err = KATA_ERROR_INIT;
                                kata_error_set(&err, ENOMEM, "out of memory");
                                bad_frame(srv, c, &err);
                                return CONN_CLOSED;
                        }
                        c->buf = buf;
                        c->cap = cap;
                }
                ssize_t n = read(c->item.fd, c->buf + c->len, c->cap - c->len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return CONN_DRAINED;
                        kata_log_warn("connection %llu: read: %s", (unsigned long long)c->id,
                                      strerror(errno));
                        conn_close(srv, c);
                        return CONN_CLOSED;
                }
                if (n == 0) {
                        if (c->len) {
                                kata_error err = KATA_ERROR_INIT;
                                kata_error_set(&err, EBADMSG,
                                               "truncated frame: connection closed with %zu "
                                               "bytes of an unfinished frame",
                                               c->len);
                                bad_frame(srv, c, &err);
                        } else {
                                kata_log_debug("connection %llu closed", (unsigned long long)c->id);
                                conn_close(srv, c);
                        }
                        return CONN_CLOSED;
                }
                c->len += (size_t)n;
                if (!drain_frames(srv, c))
                        return CONN_CLOSED;
        }
        return CONN_MORE;
}

/* At SIGTERM: what agents already wrote sits in socket buffers; read it all (without
 * waiting for more) so that the sinks write it out before exit. */
static void drain_connections(struct server *srv)
{
        /* An agent that never stops writing must not hold up the exit. */
        uint64_t deadline = kata_now_monotonic_ns() + 2000000000ull;
        struct conn *c = srv->conns;
        while (c) {
                struct conn *next = c->next;
                while (conn_readable(srv, c) == CONN_MORE && kata_now_monotonic_ns() < deadline)
                        ;
                c = next;
        }
}

static void resume_listeners(struct server *srv)
{
        for (size_t i = 0; i < srv->n_listeners; i++) {
                struct listener *l = &srv->listeners[i];
                if (!l->paused)
                        continue;
                struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->item};
                epoll_ctl(srv->epfd, EPOLL_CTL_MOD, l->item.fd, &ev);
                l->paused = false;
        }
}

static void tick_sinks(struct server *srv)
{
        for (size_t i = 0; i < srv->n_sinks; i++) {
                if (srv->sinks[i]->ops->tick)
                        srv->sinks[i]->ops->tick(srv->sinks[i]);
        }
}

/* Returns 1 to stop. */
static int handle_signal(struct server *srv)
{
        struct signalfd_siginfo si;
        while (read(srv->signal_item.fd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGUSR1) {
                        tick_sinks(srv);
                        fwd_counters_print(stderr, &srv->counters, srv->sinks, srv->n_sinks);
                } else {
                        kata_log_info("signal %u: flushing and exiting", si.ssi_signo);
                        return 1;
                }
        }
        return 0;
}

static int setup_signals(struct server *srv, kata_error *err)
{
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGUSR1);
        /* Block before any thread starts so that only the signalfd sees them. */
        if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
                return kata_error_set(err, EINVAL, "blocking signals failed");
        signal(SIGPIPE, SIG_IGN);
        int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        if (fd < 0)
                return kata_error_errno(err, errno, "signalfd");
        srv->signal_item.kind = ITEM_SIGNAL;
        srv->signal_item.fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &srv->signal_item};
        if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
                return kata_error_errno(err, errno, "epoll_ctl");
        return 0;
}

static int event_loop(struct server *srv)
{
        struct epoll_event events[64];
        uint64_t last_tick = kata_now_monotonic_ns();
        for (;;) {
                int n = epoll_wait(srv->epfd, events, 64, TICK_MS);
                if (n < 0 && errno != EINTR)
                        return -errno;
                for (int i = 0; i < n; i++) {
                        struct item *it = events[i].data.ptr;
                        if (it->kind == ITEM_SIGNAL) {
                                if (handle_signal(srv))
                                        return 0;
                        } else if (it->kind == ITEM_LISTENER) {
                                accept_all(srv, (struct listener *)it);
                        } else {
                                conn_readable(srv, (struct conn *)it);
                        }
                }
                uint64_t now = kata_now_monotonic_ns();
                if (n <= 0 || now - last_tick >= TICK_MS * 1000000ull) {
                        tick_sinks(srv);
                        resume_listeners(srv);
                        last_tick = now;
                }
        }
}

int fwd_run(const struct fwd_config *cfg, kata_error *err)
{
        struct server srv = {.cfg = cfg, .epfd = -1};
        srv.signal_item.fd = -1;
        int rc = 0;
        srv.epfd = epoll_create1(EPOLL_CLOEXEC);
        if (srv.epfd < 0)
                return kata_error_errno(err, errno, "epoll_create1");
        rc = setup_signals(&srv, err);
        for (size_t i = 0; rc == 0 && i < cfg->n_sinks; i++) {
                rc = fwd_sink_open(&cfg->sinks[i], cfg, &srv.sinks[i], err);
                if (rc == 0) {
                        srv.decode |= srv.sinks[i]->ops->span != NULL;
                        srv.n_sinks++;
                }
        }
        if (rc == 0)
                rc = open_listeners(&srv, err);
        bool served = rc == 0;
        if (rc == 0) {
                rc = event_loop(&srv);
                if (rc < 0)
                        kata_error_errno(err, -rc, "epoll_wait");
        }
        /* Drain what is buffered in the sinks, then report. Connections are not read
         * further: what an agent had not yet sent is its own to resend. */
        /* Listeners go first: an agent connecting now is refused (and counts its spans
         * as dropped) rather than left in a backlog that nobody will read. */
        for (size_t i = 0; i < srv.n_listeners; i++) {
                close(srv.listeners[i].item.fd);
                if (srv.listeners[i].path)
                        unlink(srv.listeners[i].path);
                free(srv.listeners[i].path);
        }
        drain_connections(&srv);
        while (srv.conns)
                conn_close(&srv, srv.conns);
        for (size_t i = 0; i < srv.n_sinks; i++)
                srv.sinks[i]->ops->close(srv.sinks[i], cfg->flush_timeout_ms);
        if (served)
                fwd_counters_print(stderr, &srv.counters, srv.sinks, srv.n_sinks);
        for (size_t i = 0; i < srv.n_sinks; i++)
                fwd_sink_free(srv.sinks[i]);
        if (srv.signal_item.fd >= 0)
                close(srv.signal_item.fd);
        close(srv.epfd);
        return rc;
}
