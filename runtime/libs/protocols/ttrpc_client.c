/* ttrpc client: many callers, one connection. Each call registers a pending entry under
 * its stream id, writes its frame under the write lock and sleeps on its own condition
 * variable; one reader thread hands each response to the entry with the same id. A call
 * that times out removes its entry, so a late response is simply dropped. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "protocols/ttrpc.h"
#include "ttrpc.pb-c.h"

struct pending {
        uint32_t stream_id;
        bool done;
        uint8_t *payload; /* response frame payload (a ttrpc.Response) */
        size_t len;
        pthread_cond_t cond;
        struct pending *next;
};

struct kata_ttrpc_client {
        int fd;
        pthread_t reader;
        pthread_mutex_t lock; /* pending list, next_id, dead */
        pthread_mutex_t write_lock;
        uint32_t next_id;
        bool dead;
        char dead_reason[256];
        struct pending *pending;
};

static void mark_dead_locked(kata_ttrpc_client *c, const char *reason)
{
        if (!c->dead) {
                c->dead = true;
                snprintf(c->dead_reason, sizeof(c->dead_reason), "%s", reason);
        }
        for (struct pending *p = c->pending; p; p = p->next)
                pthread_cond_signal(&p->cond);
}

static void *reader_main(void *arg)
{
        kata_ttrpc_client *c = arg;
        for (;;) {
                kata_ttrpc_header h;
                uint8_t *payload = NULL;
                kata_error err = KATA_ERROR_INIT;
                int r = kata_ttrpc_read_frame(c->fd, &h, &payload, &err);
                if (r < 0) {
                        pthread_mutex_lock(&c->lock);
                        mark_dead_locked(c, err.msg);
                        pthread_mutex_unlock(&c->lock);
                        return NULL;
                }
                if (h.type != KATA_TTRPC_TYPE_RESPONSE) {
                        /* A server never sends requests to us; ignore rather than die. */
                        free(payload);
                        continue;
                }
                pthread_mutex_lock(&c->lock);
                struct pending *p = c->pending;
                while (p && p->stream_id != h.stream_id)
                        p = p->next;
                if (p && !p->done) {
                        p->payload = payload;
                        p->len = h.length;
                        p->done = true;
                        payload = NULL;
                        pthread_cond_signal(&p->cond);
                }
                pthread_mutex_unlock(&c->lock);
                free(payload); /* late or unknown stream: dropped */
        }
}

int kata_ttrpc_client_new(int fd, kata_ttrpc_client **out, kata_error *err)
{
        kata_ttrpc_client *c = calloc(1, sizeof(*c));
        if (!c)
                return kata_error_errno(err, ENOMEM, "ttrpc client");
        c->fd = fd;
        c->next_id = 1;
        pthread_mutex_init(&c->lock, NULL);
        pthread_mutex_init(&c->write_lock, NULL);
        int r = pthread_create(&c->reader, NULL, reader_main, c);
        if (r != 0) {
                pthread_mutex_destroy(&c->lock);
                pthread_mutex_destroy(&c->write_lock);
                free(c);
                return kata_error_errno(err, r, "starting ttrpc reader thread");
        }
        *out = c;
        return 0;
}

void kata_ttrpc_client_free(kata_ttrpc_client *c)
{
        if (!c)
                return;
        /* Wakes the reader (EOF) and any writer blocked on a full socket. */
        shutdown(c->fd, SHUT_RDWR);
        pthread_join(c->reader, NULL);
        close(c->fd);
        pthread_mutex_destroy(&c->lock);
        pthread_mutex_destroy(&c->write_lock);
        free(c);
}

/* Writes all of buf before deadline_ns (0: none). The fd stays blocking for the reader;
 * MSG_DONTWAIT makes each send non-blocking. */
static int write_deadline(int fd, const uint8_t *buf, size_t len, uint64_t deadline_ns)
{
        size_t done = 0;
        while (done < len) {
                ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n > 0) {
                        done += (size_t)n;
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                        return -errno;
                int wait_ms = -1;
                if (deadline_ns) {
                        uint64_t now = kata_now_monotonic_ns();
                        if (now >= deadline_ns)
                                return -ETIMEDOUT;
                        wait_ms = (int)((deadline_ns - now) / 1000000 + 1);
                }
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                if (poll(&p, 1, wait_ms) < 0 && errno != EINTR)
                        return -errno;
        }
        return 0;
}

static void unlink_pending(kata_ttrpc_client *c, struct pending *p)
{
        for (struct pending **pp = &c->pending; *pp; pp = &(*pp)->next) {
                if (*pp == p) {
                        *pp = p->next;
                        break;
                }
        }
}

static int fail(kata_ttrpc_status *st, kata_error *err, int code, int errnum, const char *what,
                const char *service, const char *method)
{
        kata_ttrpc_status_set(st, code, "%s", what);
        return kata_error_set(err, errnum, "%s/%s: %s: %s", service, method,
                              kata_ttrpc_code_name(code), what);
}

static uint8_t *pack_message(const ProtobufCMessage *m, size_t *len)
{
        *len = m ? protobuf_c_message_get_packed_size(m) : 0;
        uint8_t *buf = malloc(*len ? *len : 1);
        if (buf && m)
                protobuf_c_message_pack(m, buf);
        return buf;
}

int kata_ttrpc_call(kata_ttrpc_client *c, const char *service, const char *method,
                    const ProtobufCMessage *request,
                    const ProtobufCMessageDescriptor *response_desc, const kata_ttrpc_kv *metadata,
                    size_t n_metadata, uint64_t timeout_ns, ProtobufCMessage **response,
                    kata_ttrpc_status *status, kata_error *err)
{
        uint64_t deadline = timeout_ns ? kata_now_monotonic_ns() + timeout_ns : 0;
        if (response)
                *response = NULL;

        size_t req_len;
        uint8_t *req_payload = pack_message(request, &req_len);
        Ttrpc__KeyValue *kvs = calloc(n_metadata ? n_metadata : 1, sizeof(*kvs));
        Ttrpc__KeyValue **kvp = calloc(n_metadata ? n_metadata : 1, sizeof(*kvp));
        uint8_t *frame = NULL;
        int ret;
        if (!req_payload || !kvs || !kvp) {
                ret = fail(status, err, KATA_TTRPC_INTERNAL, ENOMEM, "out of memory", service,
                           method);
                goto out_free;
        }
        for (size_t i = 0; i < n_metadata; i++) {
                ttrpc__key_value__init(&kvs[i]);
                kvs[i].key = (char *)metadata[i].key;
                kvs[i].value = (char *)metadata[i].value;
                kvp[i] = &kvs[i];
        }
        Ttrpc__Request req = TTRPC__REQUEST__INIT;
        req.service = (char *)service;
        req.method = (char *)method;
        req.payload.data = req_payload;
        req.payload.len = req_len;
        req.timeout_nano = (int64_t)(timeout_ns > INT64_MAX ? INT64_MAX : timeout_ns);
        req.n_metadata = n_metadata;
        req.metadata = kvp;

        size_t body = protobuf_c_message_get_packed_size(&req.base);
        if (body > KATA_TTRPC_MAX_PAYLOAD) {
                char what[128];
                snprintf(what, sizeof(what), "request of %zu bytes exceeds the %u-byte frame cap",
                         body, KATA_TTRPC_MAX_PAYLOAD);
                ret = fail(status, err, KATA_TTRPC_RESOURCE_EXHAUSTED, EMSGSIZE, what, service,
                           method);
                goto out_free;
        }
        frame = malloc(KATA_TTRPC_HEADER_SIZE + body);
        if (!frame) {
                ret = fail(status, err, KATA_TTRPC_INTERNAL, ENOMEM, "out of memory", service,
                           method);
                goto out_free;
        }
        protobuf_c_message_pack(&req.base, frame + KATA_TTRPC_HEADER_SIZE);

        struct pending p = {0};
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&p.cond, &ca);
        pthread_condattr_destroy(&ca);

        pthread_mutex_lock(&c->lock);
        if (c->dead) {
                char what[300];
                snprintf(what, sizeof(what), "connection lost: %s", c->dead_reason);
                pthread_mutex_unlock(&c->lock);
                pthread_cond_destroy(&p.cond);
                ret = fail(status, err, KATA_TTRPC_UNAVAILABLE, ECONNRESET, what, service, method);
                goto out_free;
        }
        p.stream_id = c->next_id;
        c->next_id += 2;
        if (c->next_id > 0x7fffffffu) /* stay odd and positive for peers using int32 */
                c->next_id = 1;
        p.next = c->pending;
        c->pending = &p;
        pthread_mutex_unlock(&c->lock);

        kata_ttrpc_header h = {
            .length = (uint32_t)body, .stream_id = p.stream_id, .type = KATA_TTRPC_TYPE_REQUEST};
        kata_ttrpc_header_encode(&h, frame);
        pthread_mutex_lock(&c->write_lock);
        int wr = write_deadline(c->fd, frame, KATA_TTRPC_HEADER_SIZE + body, deadline);
        pthread_mutex_unlock(&c->write_lock);

        pthread_mutex_lock(&c->lock);
        if (wr < 0) {
                /* A partly written frame leaves the stream unusable for everyone. */
                mark_dead_locked(c, "request write failed");
                shutdown(c->fd, SHUT_RDWR);
        }
        while (wr == 0 && !p.done && !c->dead) {
                if (!deadline) {
                        pthread_cond_wait(&p.cond, &c->lock);
                        continue;
                }
                struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000u),
                                      .tv_nsec = (long)(deadline % 1000000000u)};
                if (pthread_cond_timedwait(&p.cond, &c->lock, &ts) == ETIMEDOUT)
                        break;
        }
        unlink_pending(c, &p);
        bool dead = c->dead;
        char reason[sizeof(c->dead_reason)];
        snprintf(reason, sizeof(reason), "%s", c->dead_reason);
        pthread_mutex_unlock(&c->lock);
        pthread_cond_destroy(&p.cond);

        if (!p.done) {
                if (wr == -ETIMEDOUT || (wr == 0 && !dead)) {
                        char what[64];
                        snprintf(what, sizeof(what), "no response within %.3f s",
                                 (double)timeout_ns / 1e9);
                        ret = fail(status, err, KATA_TTRPC_DEADLINE_EXCEEDED, ETIMEDOUT, what,
                                   service, method);
                } else {
                        char what[300];
                        snprintf(what, sizeof(what), "connection lost: %s",
                                 wr < 0 ? strerror(-wr) : reason);
                        ret = fail(status, err, KATA_TTRPC_UNAVAILABLE, ECONNRESET, what, service,
                                   method);
                }
                goto out_free;
        }

        Ttrpc__Response *resp = ttrpc__response__unpack(NULL, p.len, p.payload);
        free(p.payload);
        if (!resp) {
                ret = fail(status, err, KATA_TTRPC_INTERNAL, EBADMSG,
                           "malformed ttrpc response envelope", service, method);
                goto out_free;
        }
        int code = resp->status ? resp->status->code : KATA_TTRPC_OK;
        if (code != KATA_TTRPC_OK) {
                const char *msg = resp->status->message ? resp->status->message : "";
                kata_ttrpc_status_set(status, code, "%s", msg);
                ret = kata_error_set(err, kata_ttrpc_code_to_errno(code), "%s/%s: %s: %s", service,
                                     method, kata_ttrpc_code_name(code), msg);
                if (ret == 0) /* a negative code can't map to 0, but be safe */
                        ret = -EREMOTEIO;
                ttrpc__response__free_unpacked(resp, NULL);
                goto out_free;
        }
        if (response_desc && response) {
                *response = protobuf_c_message_unpack(response_desc, NULL, resp->payload.len,
                                                      resp->payload.data);
                if (!*response) {
                        ttrpc__response__free_unpacked(resp, NULL);
                        char what[200];
                        snprintf(what, sizeof(what), "response payload does not decode as %s",
                                 response_desc->name);
                        ret =
                            fail(status, err, KATA_TTRPC_INTERNAL, EBADMSG, what, service, method);
                        goto out_free;
                }
        }
        ttrpc__response__free_unpacked(resp, NULL);
        kata_ttrpc_status_set(status, KATA_TTRPC_OK, "%s", "");
        ret = 0;

out_free:
        free(frame);
        free(req_payload);
        free(kvs);
        free(kvp);
        return ret;
}
