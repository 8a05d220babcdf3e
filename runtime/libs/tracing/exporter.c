#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "tracing/exporter.h"
#include "tracing/frame.h"
#include "tracing/otlp.h"

struct kata_exporter {
        kata_exporter_options opts;
        char *source;
        char *unix_path;

        pthread_mutex_t lock;
        pthread_cond_t wake;    /* sender: work or stop */
        pthread_cond_t drained; /* flushers: queue emptied */
        kata_span_record **ring;
        kata_span_record **batch; /* the sender's, batch_max entries */
        size_t head, count;
        bool stopping;
        bool in_flight; /* the sender holds a batch taken from the ring */
        int flushers;   /* threads in kata_exporter_flush: send partial batches now */

        pthread_t thread;
        int fd;
        kata_exporter_stats stats;
};

static void timespec_after_ms(struct timespec *ts, unsigned ms)
{
        clock_gettime(CLOCK_MONOTONIC, ts);
        ts->tv_sec += ms / 1000;
        ts->tv_nsec += (long)(ms % 1000) * 1000000L;
        if (ts->tv_nsec >= 1000000000L) {
                ts->tv_sec++;
                ts->tv_nsec -= 1000000000L;
        }
}

static int connect_unix(const char *path, kata_error *err)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(addr.sun_path))
                return kata_error_set(err, ENAMETOOLONG, "socket path too long: %s", path);
        strcpy(addr.sun_path, path);
        /* Non-blocking: a forwarder whose backlog is full (stuck, not accepting) makes
         * connect fail with EAGAIN instead of hanging the sender; writes poll. */
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return kata_error_errno(err, errno, "socket");
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
                int e = errno;
                close(fd);
                return kata_error_errno(err, e, "connecting to %s", path);
        }
        return fd;
}

static int exporter_connect(kata_exporter *exp, kata_error *err)
{
        int fd = exp->opts.connect ? exp->opts.connect(exp->opts.connect_ctx, err)
                                   : connect_unix(exp->unix_path, err);
        if (fd >= 0) {
                /* A forwarder that stops reading must not hold the sender (and so the
                 * agent's exit) forever. */
                unsigned ms = exp->opts.send_timeout_ms;
                struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        }
        return fd;
}

/* Works for blocking (with SO_SNDTIMEO) and non-blocking sockets alike. */
static int write_all(int fd, const uint8_t *p, size_t len, unsigned timeout_ms)
{
        uint64_t deadline = kata_now_monotonic_ns() + timeout_ms * 1000000ull;
        while (len) {
                ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
                if (n < 0 && errno == ENOTSOCK)
                        n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN && errno != EWOULDBLOCK)
                                return -errno;
                        uint64_t now = kata_now_monotonic_ns();
                        if (now >= deadline)
                                return -ETIMEDOUT;
                        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
                        poll(&pfd, 1, (int)((deadline - now) / 1000000) + 1);
                        continue;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

/* Encodes and writes one batch; on a broken connection reconnects once and resends the
 * whole frame (the forwarder drops the truncated one). Returns 0 when written. */
static int send_batch(kata_exporter *exp, kata_span_record **batch, size_t n)
{
        kata_error err = KATA_ERROR_INIT;
        uint8_t *payload;
        size_t len;
        if (kata_otlp_encode((const kata_span_record *const *)batch, n, exp->source, &payload, &len,
                             &err) < 0)
                return -ENOMEM;
        uint8_t header[KATA_FRAME_HEADER_LEN];
        kata_frame_header_encode(len, header);
        int rc = -ENOTCONN;
        for (int attempt = 0; attempt < 2; attempt++) {
                if (exp->fd < 0) {
                        int fd = exporter_connect(exp, &err);
                        if (fd < 0) {
                                kata_log_debug("trace exporter: %s", err.msg);
                                rc = fd;
                                break;
                        }
                        exp->fd = fd;
                        pthread_mutex_lock(&exp->lock);
                        exp->stats.connects++;
                        pthread_mutex_unlock(&exp->lock);
                }
                rc = write_all(exp->fd, header, sizeof(header), exp->opts.send_timeout_ms);
                if (rc == 0)
                        rc = write_all(exp->fd, payload, len, exp->opts.send_timeout_ms);
                if (rc == 0)
                        break;
                close(exp->fd);
                exp->fd = -1;
        }
        free(payload);
        return rc;
}

static void *sender_main(void *arg)
{
        kata_exporter *exp = arg;
        size_t batch_max = exp->opts.batch_max;
        kata_span_record **batch = exp->batch;
        unsigned backoff_ms = 0;
        pthread_mutex_lock(&exp->lock);
        for (;;) {
                while (exp->count == 0 && !exp->stopping) {
                        pthread_cond_broadcast(&exp->drained);
                        pthread_cond_wait(&exp->wake, &exp->lock);
                }
                if (exp->count == 0)
                        break; /* stopping, nothing left */
                /* A batch window opens with the first queued span: it closes when the
                 * batch is full, after flush_interval_ms, or when someone flushes. */
                struct timespec until;
                timespec_after_ms(&until, exp->opts.flush_interval_ms);
                while (exp->count < batch_max && !exp->stopping && !exp->flushers) {
                        if (pthread_cond_timedwait(&exp->wake, &exp->lock, &until) == ETIMEDOUT)
                                break;
                }
                size_t n = exp->count < batch_max ? exp->count : batch_max;
                size_t cap = exp->opts.queue_capacity;
                for (size_t i = 0; i < n; i++)
                        batch[i] = exp->ring[(exp->head + i) % cap];
                exp->head = (exp->head + n) % cap;
                exp->count -= n;
                exp->in_flight = true;
                pthread_mutex_unlock(&exp->lock);

                int rc = send_batch(exp, batch, n);

                pthread_mutex_lock(&exp->lock);
                exp->in_flight = false;
                if (rc == 0) {
                        exp->stats.sent += n;
                        exp->stats.frames++;
                        backoff_ms = 0;
                } else {
                        /* The forwarder is away: these spans are lost (counted); the
                         * queue keeps filling, and drops when full, while we back off. */
                        exp->stats.dropped += n;
                        backoff_ms = backoff_ms ? backoff_ms * 2 : 50;
                        if (backoff_ms > exp->opts.reconnect_max_ms)
                                backoff_ms = exp->opts.reconnect_max_ms;
                }
                for (size_t i = 0; i < n; i++)
                        free(batch[i]);
                if (exp->count == 0)
                        pthread_cond_broadcast(&exp->drained);
                if (rc != 0 && exp->stopping)
                        break; /* no forwarder at exit: what remains is dropped in stop */
                if (rc != 0) {
                        timespec_after_ms(&until, backoff_ms);
                        while (!exp->stopping &&
                               pthread_cond_timedwait(&exp->wake, &exp->lock, &until) == 0)
                                ;
                }
        }
        pthread_cond_broadcast(&exp->drained);
        pthread_mutex_unlock(&exp->lock);
        return NULL;
}

int kata_exporter_start(const kata_exporter_options *opts, kata_exporter **out, kata_error *err)
{
        if (!opts->connect && (!opts->unix_path || !opts->unix_path[0]))
                return kata_error_set(err, EINVAL, "trace exporter: no connect function or path");
        kata_exporter *exp = calloc(1, sizeof(*exp));
        if (!exp)
                return kata_error_set(err, ENOMEM, "trace exporter: out of memory");
        exp->opts = *opts;
        if (!exp->opts.queue_capacity)
                exp->opts.queue_capacity = 8192;
        if (!exp->opts.batch_max)
                exp->opts.batch_max = 512;
        if (!exp->opts.flush_interval_ms)
                exp->opts.flush_interval_ms = 100;
        if (!exp->opts.reconnect_max_ms)
                exp->opts.reconnect_max_ms = 2000;
        if (!exp->opts.send_timeout_ms)
                exp->opts.send_timeout_ms = 2000;
        exp->source = strdup(opts->source && opts->source[0] ? opts->source : "agent");
        exp->unix_path = opts->unix_path ? strdup(opts->unix_path) : NULL;
        exp->ring = calloc(exp->opts.queue_capacity, sizeof(*exp->ring));
        exp->batch = calloc(exp->opts.batch_max, sizeof(*exp->batch));
        exp->fd = -1;
        if (!exp->source || !exp->ring || !exp->batch || (opts->unix_path && !exp->unix_path)) {
                kata_exporter_stop(exp, 0);
                return kata_error_set(err, ENOMEM, "trace exporter: out of memory");
        }
        pthread_mutex_init(&exp->lock, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&exp->wake, &ca);
        pthread_cond_init(&exp->drained, &ca);
        pthread_condattr_destroy(&ca);
        int rc = pthread_create(&exp->thread, NULL, sender_main, exp);
        if (rc != 0) {
                free(exp->ring);
                free(exp->batch);
                free(exp->source);
                free(exp->unix_path);
                free(exp);
                return kata_error_errno(err, rc, "trace exporter: starting the sender thread");
        }
        *out = exp;
        return 0;
}

void kata_exporter_submit(kata_exporter *exp, const kata_span_record *rec)
{
        if (!exp)
                return;
        kata_span_record *copy = kata_span_record_clone(rec);
        pthread_mutex_lock(&exp->lock);
        exp->stats.submitted++;
        if (!copy || exp->count == exp->opts.queue_capacity || exp->stopping) {
                exp->stats.dropped++;
                pthread_mutex_unlock(&exp->lock);
                free(copy);
                return;
        }
        exp->ring[(exp->head + exp->count) % exp->opts.queue_capacity] = copy;
        exp->count++;
        /* The sender sleeps untimed on an empty queue and opens a batch window at the
         * first span; a full batch goes at once. */
        if (exp->count == 1 || exp->count == exp->opts.batch_max)
                pthread_cond_signal(&exp->wake);
        pthread_mutex_unlock(&exp->lock);
}

void kata_exporter_hook(const kata_span_record *rec, void *exp)
{
        kata_exporter_submit(exp, rec);
}

void kata_exporter_get_stats(kata_exporter *exp, kata_exporter_stats *out)
{
        pthread_mutex_lock(&exp->lock);
        *out = exp->stats;
        out->queued = exp->count;
        pthread_mutex_unlock(&exp->lock);
}

uint64_t kata_exporter_dropped(kata_exporter *exp)
{
        kata_exporter_stats st;
        kata_exporter_get_stats(exp, &st);
        return st.dropped;
}

int kata_exporter_flush(kata_exporter *exp, unsigned timeout_ms)
{
        struct timespec until;
        timespec_after_ms(&until, timeout_ms);
        int rc = 0;
        pthread_mutex_lock(&exp->lock);
        exp->flushers++;
        pthread_cond_broadcast(&exp->wake);
        while ((exp->count || exp->in_flight) && rc == 0) {
                if (pthread_cond_timedwait(&exp->drained, &exp->lock, &until) == ETIMEDOUT)
                        rc = (exp->count || exp->in_flight) ? -ETIMEDOUT : 0;
        }
        exp->flushers--;
        pthread_mutex_unlock(&exp->lock);
        return rc;
}

void kata_exporter_stop(kata_exporter *exp, unsigned flush_timeout_ms)
{
        if (!exp)
                return;
        if (exp->ring && exp->thread) {
                kata_exporter_flush(exp, flush_timeout_ms);
                pthread_mutex_lock(&exp->lock);
                exp->stopping = true;
                pthread_cond_broadcast(&exp->wake);
                pthread_mutex_unlock(&exp->lock);
                pthread_join(exp->thread, NULL);
                for (size_t i = 0; i < exp->count; i++)
                        free(exp->ring[(exp->head + i) % exp->opts.queue_capacity]);
                exp->stats.dropped += exp->count;
                pthread_mutex_destroy(&exp->lock);
                pthread_cond_destroy(&exp->wake);
                pthread_cond_destroy(&exp->drained);
        }
        if (exp->fd >= 0)
                close(exp->fd);
        free(exp->ring);
        free(exp->batch);
        free(exp->source);
        free(exp->unix_path);
        free(exp);
}
