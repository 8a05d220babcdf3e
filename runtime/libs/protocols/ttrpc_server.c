/* ttrpc server. One thread per connection reads frames; each well-formed request is
 * queued for a worker. The worker pool grows whenever no idle worker is left for a queued
 * request, so blocked handlers (a long poll, a wait for a process) can never starve the
 * others; idle workers exit after a while. A handler that blocks therefore never stalls
 * the connection or the server, and a busy server does not pay a thread creation per
 * request. Responses are written under a
 * per-connection write lock. A connection is reference-counted by its reader and its
 * running requests and closed when the last one finishes; the server counts its threads
 * so that free() can wait for all of them.
 *
 * Bad input is answered on its stream when the stream is known (garbage payload ->
 * INVALID_ARGUMENT, unknown method -> UNIMPLEMENTED, too many requests in flight ->
 * RESOURCE_EXHAUSTED) and the connection stays up; a frame whose header can't be trusted
 * (oversized, unknown type, stream 0) gets an error response when possible and then only
 * that connection is closed, because the byte stream can no longer be resynchronised. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "protocols/ttrpc.h"
#include "ttrpc.pb-c.h"

/* Requests in flight per connection before new ones are refused; bounds the threads a
 * single client can make us create while still far above any legitimate use. */
#define MAX_INFLIGHT_PER_CONN 256
/* How long free() lets running handlers answer before shutting connections down. */
#define STOP_GRACE_NS (2ull * 1000000000ull)
/* How long an idle worker waits for a request before exiting. */
#define WORKER_IDLE_NS (5ull * 1000000000ull)

struct method {
        char *service;
        char *name;
        const ProtobufCMessageDescriptor *input;
        const ProtobufCMessageDescriptor *output; /* NULL: not checked */
        kata_ttrpc_handler handler;
        void (*free_response)(ProtobufCMessage *);
        void *user;
};

struct conn {
        kata_ttrpc_server *server;
        int fd;
        pthread_mutex_t write_lock;
        int refs;     /* reader + running requests; under server->lock */
        int inflight; /* under server->lock */
        void *conn_data;
        struct conn *prev, *next;
};

struct kata_ttrpc_server {
        pthread_mutex_t lock;
        pthread_cond_t idle; /* signalled when threads drops to 0 */
        struct method *methods;
        size_t n_methods;
        kata_ttrpc_accept_hook hook;
        void (*conn_data_free)(void *);
        void *hook_user;
        bool stopping;
        int stop_fd;         /* eventfd: wakes accept loops */
        size_t threads;      /* connection readers + workers */
        pthread_cond_t work; /* signalled when a job is queued or on stop */
        struct job *queue_head, *queue_tail;
        size_t queued;       /* jobs in the queue */
        size_t idle_workers; /* workers waiting on `work` */
        size_t n_conns;
        struct conn *conns;
};

struct job {
        struct job *next;
        struct conn *conn;
        const struct method *method;
        uint32_t stream_id;
        Ttrpc__Request *req;
        ProtobufCMessage *msg;
        uint64_t received_ns;
};

int kata_ttrpc_server_new(kata_ttrpc_server **out, kata_error *err)
{
        kata_ttrpc_server *s = calloc(1, sizeof(*s));
        if (!s)
                return kata_error_errno(err, ENOMEM, "ttrpc server");
        s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->stop_fd < 0) {
                int e = errno;
                free(s);
                return kata_error_errno(err, e, "eventfd");
        }
        pthread_mutex_init(&s->lock, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&s->idle, &ca);
        pthread_cond_init(&s->work, &ca);
        pthread_condattr_destroy(&ca);
        *out = s;
        return 0;
}

int kata_ttrpc_server_register(kata_ttrpc_server *s, const char *service, const char *method,
                               const ProtobufCMessageDescriptor *request_desc,
                               kata_ttrpc_handler handler,
                               void (*free_response)(ProtobufCMessage *), void *user,
                               kata_error *err)
{
        if (!service || !method || !request_desc || !handler)
                return kata_error_set(err, EINVAL, "ttrpc register: missing argument");
        for (size_t i = 0; i < s->n_methods; i++) {
                if (strcmp(s->methods[i].service, service) == 0 &&
                    strcmp(s->methods[i].name, method) == 0)
                        return kata_error_set(err, EEXIST, "%s/%s registered twice", service,
                                              method);
        }
        struct method *m = realloc(s->methods, (s->n_methods + 1) * sizeof(*m));
        if (!m)
                return kata_error_errno(err, ENOMEM, "ttrpc register");
        s->methods = m;
        m = &s->methods[s->n_methods];
        *m = (struct method){.service = strdup(service),
                             .name = strdup(method),
                             .input = request_desc,
                             .handler = handler,
                             .free_response = free_response,
                             .user = user};
        if (!m->service || !m->name) {
                free(m->service);
                free(m->name);
                return kata_error_errno(err, ENOMEM, "ttrpc register");
        }
        s->n_methods++;
        return 0;
}

int kata_ttrpc_server_register_method(kata_ttrpc_server *s, const ProtobufCServiceDescriptor *svc,
                                      const char *method, kata_ttrpc_handler handler,
                                      void (*free_response)(ProtobufCMessage *), void *user,
                                      kata_error *err)
{
        for (unsigned i = 0; i < svc->n_methods; i++) {
                if (strcmp(svc->methods[i].name, method) != 0)
                        continue;
                int r = kata_ttrpc_server_register(s, svc->name, method, svc->methods[i].input,
                                                   handler, free_response, user, err);
                if (r == 0)
                        s->methods[s->n_methods - 1].output = svc->methods[i].output;
                return r;
        }
        return kata_error_set(err, ENOENT, "service %s has no method %s", svc->name, method);
}

void kata_ttrpc_server_set_accept_hook(kata_ttrpc_server *s, kata_ttrpc_accept_hook hook,
                                       void (*conn_data_free)(void *), void *user)
{
        s->hook = hook;
        s->conn_data_free = conn_data_free;
        s->hook_user = user;
}

const char *kata_ttrpc_metadata_get(const kata_ttrpc_call_info *info, const char *key)
{
        for (size_t i = 0; i < info->n_metadata; i++) {
                if (info->metadata[i].key && strcmp(info->metadata[i].key, key) == 0)
                        return info->metadata[i].value;
        }
        return NULL;
}

bool kata_ttrpc_server_stopping(const kata_ttrpc_server *s)
{
        return __atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE);
}

size_t kata_ttrpc_server_conn_count(kata_ttrpc_server *s)
{
        pthread_mutex_lock(&s->lock);
        size_t n = s->n_conns;
        pthread_mutex_unlock(&s->lock);
        return n;
}

static void thread_done(kata_ttrpc_server *s)
{
        pthread_mutex_lock(&s->lock);
        if (--s->threads == 0)
                pthread_cond_broadcast(&s->idle);
        pthread_mutex_unlock(&s->lock);
}

/* Drops one reference; the last one closes and frees the connection. */
static void conn_put(struct conn *c)
{
        kata_ttrpc_server *s = c->server;
        pthread_mutex_lock(&s->lock);
        bool last = --c->refs == 0;
        if (last) {
                if (c->prev)
                        c->prev->next = c->next;
                else
                        s->conns = c->next;
                if (c->next)
                        c->next->prev = c->prev;
                s->n_conns--;
        }
        pthread_mutex_unlock(&s->lock);
        if (!last)
                return;
        if (c->conn_data && s->conn_data_free)
                s->conn_data_free(c->conn_data);
        close(c->fd);
        pthread_mutex_destroy(&c->write_lock);
        free(c);
}

/* Sends a Response on stream_id: status code/message, and payload when OK. */
static int send_response(struct conn *c, uint32_t stream_id, int code, const char *message,
                         const ProtobufCMessage *payload)
{
        Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
        Ttrpc__Status st = TTRPC__STATUS__INIT;
        uint8_t *data = NULL;
        if (code != KATA_TTRPC_OK) {
                st.code = code;
                st.message = (char *)(message ? message : "");
                resp.status = &st;
        } else if (payload) {
                size_t len = protobuf_c_message_get_packed_size(payload);
                data = malloc(len ? len : 1);
                if (!data)
                        return send_response(c, stream_id, KATA_TTRPC_INTERNAL, "out of memory",
                                             NULL);
                protobuf_c_message_pack(payload, data);
                resp.payload.data = data;
                resp.payload.len = len;
        }
        size_t len = protobuf_c_message_get_packed_size(&resp.base);
        if (len > KATA_TTRPC_MAX_PAYLOAD) {
                free(data);
                return send_response(c, stream_id, KATA_TTRPC_RESOURCE_EXHAUSTED,
                                     "response exceeds the 4 MiB frame cap", NULL);
        }
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf) {
                free(data);
                return -ENOMEM;
        }
        protobuf_c_message_pack(&resp.base, buf);
        free(data);
        kata_ttrpc_header h = {
            .length = (uint32_t)len, .stream_id = stream_id, .type = KATA_TTRPC_TYPE_RESPONSE};
        kata_error err = KATA_ERROR_INIT;
        pthread_mutex_lock(&c->write_lock);
        int r = kata_ttrpc_write_frame(c->fd, &h, buf, &err);
        pthread_mutex_unlock(&c->write_lock);
        free(buf);
        if (r < 0)
                kata_log_debug("ttrpc: response on stream %u not sent: %s", stream_id, err.msg);
        return r;
}

static void run_job(struct job *j)
{
        struct conn *c = j->conn;
        kata_ttrpc_server *s = c->server;
        const struct method *m = j->method;

        size_t n_md = j->req->n_metadata;
        kata_ttrpc_kv *md = calloc(n_md ? n_md : 1, sizeof(*md));
        kata_ttrpc_status st = {.code = KATA_TTRPC_OK};
        ProtobufCMessage *resp = NULL;
        int code;
        if (!md) {
                code = kata_ttrpc_status_set(&st, KATA_TTRPC_INTERNAL, "out of memory");
        } else {
                for (size_t i = 0; i < n_md; i++) {
                        md[i].key = j->req->metadata[i]->key;
                        md[i].value = j->req->metadata[i]->value;
                }
                uint64_t timeout = j->req->timeout_nano > 0 ? (uint64_t)j->req->timeout_nano : 0;
                kata_ttrpc_call_info info = {.service = m->service,
                                             .method = m->name,
                                             .stream_id = j->stream_id,
                                             .timeout_ns = timeout,
                                             .deadline_ns = timeout ? j->received_ns + timeout : 0,
                                             .metadata = md,
                                             .n_metadata = n_md,
                                             .conn_data = c->conn_data};
                code = m->handler(m->user, &info, j->msg, &resp, &st);
                if (code < 0) /* a library's -errno passed through */
                        code = kata_ttrpc_code_from_errno(-code);
                if (code != KATA_TTRPC_OK && st.code == KATA_TTRPC_OK)
                        snprintf(st.message, sizeof(st.message), "%s", kata_ttrpc_code_name(code));
                if (code == KATA_TTRPC_OK && resp && m->output && resp->descriptor != m->output) {
                        kata_log_error("ttrpc: %s/%s handler returned a %s, not a %s", m->service,
                                       m->name, resp->descriptor->name, m->output->name);
                        code = kata_ttrpc_status_set(&st, KATA_TTRPC_INTERNAL,
                                                     "server returned the wrong response type");
                }
        }
        send_response(c, j->stream_id, code, st.message, code == KATA_TTRPC_OK ? resp : NULL);
        if (resp) {
                if (m->free_response)
                        m->free_response(resp);
                else
                        protobuf_c_message_free_unpacked(resp, NULL);
        }
        free(md);
        protobuf_c_message_free_unpacked(j->msg, NULL);
        ttrpc__request__free_unpacked(j->req, NULL);
        free(j);

        pthread_mutex_lock(&s->lock);
        c->inflight--;
        pthread_mutex_unlock(&s->lock);
        conn_put(c);
}

static void *worker_main(void *arg)
{
        kata_ttrpc_server *s = arg;
        pthread_mutex_lock(&s->lock);
        for (;;) {
                struct job *j = s->queue_head;
                if (j) {
                        s->queue_head = j->next;
                        if (!s->queue_head)
                                s->queue_tail = NULL;
                        s->queued--;
                        pthread_mutex_unlock(&s->lock);
                        run_job(j);
                        pthread_mutex_lock(&s->lock);
                        continue;
                }
                if (s->stopping)
                        break;
                uint64_t deadline = kata_now_monotonic_ns() + WORKER_IDLE_NS;
                struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000u),
                                      .tv_nsec = (long)(deadline % 1000000000u)};
                s->idle_workers++;
                int r = pthread_cond_timedwait(&s->work, &s->lock, &ts);
                s->idle_workers--;
                if (r == ETIMEDOUT && !s->queue_head)
                        break;
        }
        if (--s->threads == 0)
                pthread_cond_broadcast(&s->idle);
        pthread_mutex_unlock(&s->lock);
        return NULL;
}

/* Queues a job; starts a worker unless an idle one is left for every queued job.
 * Called with s->lock held. Returns 0 or a pthread_create error. */
static int enqueue_locked(kata_ttrpc_server *s, struct job *j)
{
        if (s->queued + 1 > s->idle_workers) {
                pthread_attr_t attr;
                pthread_attr_init(&attr);
                pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                pthread_t t;
                int r = pthread_create(&t, &attr, worker_main, s);
                pthread_attr_destroy(&attr);
                if (r != 0)
                        return r;
                s->threads++;
        }
        j->next = NULL;
        if (s->queue_tail)
                s->queue_tail->next = j;
        else
                s->queue_head = j;
        s->queue_tail = j;
        s->queued++;
        pthread_cond_signal(&s->work);
        return 0;
}

static const struct method *find_method(kata_ttrpc_server *s, const char *service, const char *name)
{
        for (size_t i = 0; i < s->n_methods; i++) {
                if (strcmp(s->methods[i].service, service) == 0 &&
                    strcmp(s->methods[i].name, name) == 0)
                        return &s->methods[i];
        }
        return NULL;
}

/* Handles one request frame. Returns 0 to keep reading, <0 to close the connection. */
static int dispatch(struct conn *c, uint32_t stream_id, const uint8_t *payload, size_t len)
{
        kata_ttrpc_server *s = c->server;
        Ttrpc__Request *req = ttrpc__request__unpack(NULL, len, payload);
        if (!req)
                return send_response(c, stream_id, KATA_TTRPC_INVALID_ARGUMENT,
                                     "malformed ttrpc request: payload is not a ttrpc.Request",
                                     NULL) < 0
                           ? -1
                           : 0;
        const struct method *m = find_method(s, req->service, req->method);
        if (!m) {
                char msg[512];
                snprintf(msg, sizeof(msg), "%s/%s is not implemented", req->service, req->method);
                ttrpc__request__free_unpacked(req, NULL);
                return send_response(c, stream_id, KATA_TTRPC_UNIMPLEMENTED, msg, NULL) < 0 ? -1
                                                                                            : 0;
        }
        ProtobufCMessage *msg =
            protobuf_c_message_unpack(m->input, NULL, req->payload.len, req->payload.data);
        if (!msg) {
                char text[512];
                snprintf(text, sizeof(text), "%s/%s: request payload is not a valid %s", m->service,
                         m->name, m->input->name);
                ttrpc__request__free_unpacked(req, NULL);
                return send_response(c, stream_id, KATA_TTRPC_INVALID_ARGUMENT, text, NULL) < 0 ? -1
                                                                                                : 0;
        }
        struct job *j = calloc(1, sizeof(*j));
        if (j)
                *j = (struct job){.conn = c,
                                  .method = m,
                                  .stream_id = stream_id,
                                  .req = req,
                                  .msg = msg,
                                  .received_ns = kata_now_monotonic_ns()};
        pthread_mutex_lock(&s->lock);
        bool refuse = c->inflight >= MAX_INFLIGHT_PER_CONN || s->stopping;
        int r = 0;
        if (!refuse && j) {
                c->inflight++;
                c->refs++; /* never the last: the reader holds one */
                r = enqueue_locked(s, j);
                if (r != 0) {
                        c->inflight--;
                        c->refs--;
                }
        }
        pthread_mutex_unlock(&s->lock);
        if (r != 0) {
                protobuf_c_message_free_unpacked(msg, NULL);
                ttrpc__request__free_unpacked(req, NULL);
                free(j);
                return send_response(c, stream_id, KATA_TTRPC_RESOURCE_EXHAUSTED,
                                     "cannot start a thread for the request", NULL) < 0
                           ? -1
                           : 0;
        }
        if (refuse || !j) {
                free(j);
                protobuf_c_message_free_unpacked(msg, NULL);
                ttrpc__request__free_unpacked(req, NULL);
                return send_response(c, stream_id,
                                     refuse ? KATA_TTRPC_RESOURCE_EXHAUSTED : KATA_TTRPC_INTERNAL,
                                     refuse ? "too many requests in flight on this connection"
                                            : "out of memory",
                                     NULL) < 0
                           ? -1
                           : 0;
        }
        return 0;
}

static void *conn_main(void *arg)
{
        struct conn *c = arg;
        kata_ttrpc_server *s = c->server;
        kata_error err = KATA_ERROR_INIT;

        if (s->hook && s->hook(s->hook_user, c->fd, &c->conn_data, &err) < 0) {
                kata_log_warn("ttrpc: connection refused by accept hook: %s", err.msg);
                goto out;
        }
        while (!kata_ttrpc_server_stopping(s)) {
                kata_ttrpc_header h;
                uint8_t *payload = NULL;
                kata_error_clear(&err);
                int r = kata_ttrpc_read_frame(c->fd, &h, &payload, &err);
                if (r == -EMSGSIZE || r == -EPROTO) {
                        kata_log_warn("ttrpc: closing connection: %s", err.msg);
                        if (h.stream_id != 0)
                                send_response(c, h.stream_id,
                                              r == -EMSGSIZE ? KATA_TTRPC_RESOURCE_EXHAUSTED
                                                             : KATA_TTRPC_INVALID_ARGUMENT,
                                              err.msg, NULL);
                        break;
                }
                if (r < 0) {
                        if (r != -ECONNRESET)
                                kata_log_debug("ttrpc: connection ended: %s", err.msg);
                        break;
                }
                if (h.type != KATA_TTRPC_TYPE_REQUEST) {
                        free(payload);
                        if (send_response(c, h.stream_id, KATA_TTRPC_INVALID_ARGUMENT,
                                          "unexpected frame type: a server accepts only requests",
                                          NULL) < 0)
                                break;
                        continue;
                }
                r = dispatch(c, h.stream_id, payload, h.length);
                free(payload);
                if (r < 0)
                        break;
        }
out:
        /* Running requests may still write their responses: stop reading only. */
        shutdown(c->fd, SHUT_RD);
        conn_put(c);
        thread_done(s);
        return NULL;
}

int kata_ttrpc_server_add_conn(kata_ttrpc_server *s, int fd, kata_error *err)
{
        struct conn *c = calloc(1, sizeof(*c));
        if (!c) {
                close(fd);
                return kata_error_errno(err, ENOMEM, "ttrpc connection");
        }
        c->server = s;
        c->fd = fd;
        c->refs = 1;
        pthread_mutex_init(&c->write_lock, NULL);

        pthread_mutex_lock(&s->lock);
        if (s->stopping) {
                pthread_mutex_unlock(&s->lock);
                pthread_mutex_destroy(&c->write_lock);
                free(c);
                close(fd);
                return kata_error_set(err, ECANCELED, "ttrpc server is stopping");
        }
        c->next = s->conns;
        if (s->conns)
                s->conns->prev = c;
        s->conns = c;
        s->n_conns++;
        s->threads++;
        pthread_mutex_unlock(&s->lock);

        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t t;
        int r = pthread_create(&t, &attr, conn_main, c);
        pthread_attr_destroy(&attr);
        if (r != 0) {
                conn_put(c);
                thread_done(s);
                return kata_error_errno(err, r, "starting ttrpc connection thread");
        }
        return 0;
}

int kata_ttrpc_server_serve(kata_ttrpc_server *s, int listen_fd, kata_error *err)
{
        while (!kata_ttrpc_server_stopping(s)) {
                struct pollfd p[2] = {{.fd = listen_fd, .events = POLLIN},
                                      {.fd = s->stop_fd, .events = POLLIN}};
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return kata_error_errno(err, errno, "poll on listening socket");
                }
                if (p[1].revents)
                        break;
                if (!(p[0].revents & POLLIN)) {
                        if (p[0].revents & (POLLERR | POLLNVAL))
                                return kata_error_set(err, EBADF, "listening socket failed");
                        continue;
                }
                int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (fd < 0) {
                        switch (errno) {
                        case EINTR:
                        case EAGAIN:
                        case ECONNABORTED:
                        case EPROTO:
                                continue;
                        case EMFILE:
                        case ENFILE:
                        case ENOBUFS:
                        case ENOMEM:
                                /* Out of resources: back off instead of spinning. */
                                kata_log_warn("ttrpc: accept: %s", strerror(errno));
                                poll(NULL, 0, 100);
                                continue;
                        default:
                                return kata_error_errno(err, errno, "accept");
                        }
                }
                kata_error e = KATA_ERROR_INIT;
                if (kata_ttrpc_server_add_conn(s, fd, &e) < 0)
                        kata_log_warn("ttrpc: %s", e.msg);
        }
        return 0;
}

void kata_ttrpc_server_stop(kata_ttrpc_server *s)
{
        pthread_mutex_lock(&s->lock);
        if (!s->stopping) {
                __atomic_store_n(&s->stopping, true, __ATOMIC_RELEASE);
                uint64_t one = 1;
                if (write(s->stop_fd, &one, sizeof(one)) < 0) {
                        /* counter saturated: the accept loops are awake anyway */
                }
                for (struct conn *c = s->conns; c; c = c->next)
                        shutdown(c->fd, SHUT_RD);
                pthread_cond_broadcast(&s->work);
        }
        pthread_mutex_unlock(&s->lock);
}

void kata_ttrpc_server_free(kata_ttrpc_server *s)
{
        if (!s)
                return;
        kata_ttrpc_server_stop(s);
        /* Handlers get a grace period to answer; after it, connections are shut down for
         * writing too, so that a worker stuck writing to a client that never reads
         * returns (with EPIPE). */
        uint64_t grace = kata_now_monotonic_ns() + STOP_GRACE_NS;
        bool forced = false;
        pthread_mutex_lock(&s->lock);
        while (s->threads > 0) {
                if (forced) {
                        pthread_cond_wait(&s->idle, &s->lock);
                        continue;
                }
                struct timespec ts = {.tv_sec = (time_t)(grace / 1000000000u),
                                      .tv_nsec = (long)(grace % 1000000000u)};
                if (pthread_cond_timedwait(&s->idle, &s->lock, &ts) == ETIMEDOUT) {
                        forced = true;
                        for (struct conn *c = s->conns; c; c = c->next)
                                shutdown(c->fd, SHUT_RDWR);
                }
        }
        pthread_mutex_unlock(&s->lock);
        for (size_t i = 0; i < s->n_methods; i++) {
                free(s->methods[i].service);
                free(s->methods[i].name);
        }
        free(s->methods);
        close(s->stop_fd);
        pthread_cond_destroy(&s->work);
        pthread_cond_destroy(&s->idle);
        pthread_mutex_destroy(&s->lock);
        free(s);
}
