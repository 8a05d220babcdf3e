/* otlp sink: OTLP/HTTP protobuf export. Frames arrive already validated (wire check or
 * decode), so their bytes are appended as they are: concatenated ExportTraceServiceRequest
 * messages are one valid request whose resource_spans lists are merged. A sender thread
 * POSTs batches with libcurl; 429/502/503/504 and transport errors are retried with
 * exponential backoff, anything else is final. The queue is bounded in bytes; what does
 * not fit, or runs out of retries, is dropped and counted. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "sink.h"

struct batch {
        struct batch *next;
        uint8_t *data;
        size_t len, cap;
        uint64_t spans;
        uint64_t started_ms;
};

struct otlp_sink {
        struct fwd_sink *sink;
        struct fwd_otlp_config cfg;
        char *endpoint;
        struct batch *current; /* being filled by the epoll thread */

        pthread_mutex_t lock;
        pthread_cond_t wake;
        struct batch *head, *tail;
        size_t queued_bytes;
        bool stopping;
        uint64_t deadline_ms; /* once stopping: give up sending after this */
        pthread_t thread;
        struct batch *pool; /* spare batches, under lock */
        int n_pool;

        CURL *curl;
        struct curl_slist *headers;
};

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void batch_free(struct batch *b)
{
        if (b) {
                free(b->data);
                free(b);
        }
}

/* Batch buffers are megabytes: reusing a few saves the page faults of fresh ones. */
#define BATCH_POOL_MAX 4

static void batch_recycle(struct otlp_sink *o, struct batch *b)
{
        pthread_mutex_lock(&o->lock);
        if (o->n_pool < BATCH_POOL_MAX) {
                b->next = o->pool;
                o->pool = b;
                o->n_pool++;
                b = NULL;
        }
        pthread_mutex_unlock(&o->lock);
        batch_free(b);
}

static struct batch *batch_new(struct otlp_sink *o)
{
        pthread_mutex_lock(&o->lock);
        struct batch *b = o->pool;
        if (b) {
                o->pool = b->next;
                o->n_pool--;
        }
        pthread_mutex_unlock(&o->lock);
        if (!b) {
                b = calloc(1, sizeof(*b));
                if (!b)
                        return NULL;
                b->cap = o->cfg.batch_bytes + 64 * 1024;
                b->data = malloc(b->cap);
                if (!b->data) {
                        free(b);
                        return NULL;
                }
        }
        b->next = NULL;
        b->len = 0;
        b->spans = 0;
        b->started_ms = now_ms();
        return b;
}

static void enqueue_current(struct otlp_sink *o)
{
        struct batch *b = o->current;
        if (!b || !b->len)
                return;
        o->current = NULL;
        pthread_mutex_lock(&o->lock);
        if (o->queued_bytes + b->len > o->cfg.queue_bytes) {
                pthread_mutex_unlock(&o->lock);
                fwd_sink_count(&o->sink->dropped, b->spans);
                kata_log_debug("otlp sink: queue full, dropped %llu spans",
                               (unsigned long long)b->spans);
                batch_recycle(o, b);
                return;
        }
        if (o->tail)
                o->tail->next = b;
        else
                o->head = b;
        o->tail = b;
        o->queued_bytes += b->len;
        pthread_cond_signal(&o->wake);
        pthread_mutex_unlock(&o->lock);
}

static void otlp_frame(struct fwd_sink *s, const uint8_t *payload, size_t len, uint64_t n_spans)
{
        struct otlp_sink *o = s->impl;
        if (!o->current) {
                o->current = batch_new(o);
                if (!o->current) {
                        fwd_sink_count(&s->dropped, n_spans);
                        return;
                }
        }
        struct batch *b = o->current;
        if (b->len + len > b->cap) {
                size_t cap = b->cap ? b->cap : 64 * 1024;
                while (cap < b->len + len)
                        cap *= 2;
                uint8_t *data = realloc(b->data, cap);
                if (!data) {
                        fwd_sink_count(&s->dropped, n_spans);
                        return;
                }
                b->data = data;
                b->cap = cap;
        }
        memcpy(b->data + b->len, payload, len);
        b->len += len;
        b->spans += n_spans;
        if (b->len >= o->cfg.batch_bytes)
                enqueue_current(o);
}

static void otlp_tick(struct fwd_sink *s)
{
        struct otlp_sink *o = s->impl;
        if (o->current && now_ms() - o->current->started_ms >= o->cfg.batch_ms)
                enqueue_current(o);
}

static size_t discard_body(char *p, size_t size, size_t n, void *ctx)
{
        return size * n;
}

static bool retryable_status(long status)
{
        return status == 429 || status == 502 || status == 503 || status == 504;
}

/* One POST. Returns the HTTP status, or 0 for a transport error (connection refused...). */
static long post_batch(struct otlp_sink *o, const struct batch *b)
{
        curl_easy_setopt(o->curl, CURLOPT_POSTFIELDS, (const char *)b->data);
        curl_easy_setopt(o->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
        CURLcode rc = curl_easy_perform(o->curl);
        if (rc != CURLE_OK) {
                kata_log_debug("otlp sink: POST %s: %s", o->endpoint, curl_easy_strerror(rc));
                return 0;
        }
        long status = 0;
        curl_easy_getinfo(o->curl, CURLINFO_RESPONSE_CODE, &status);
        return status;
}

/* Waits ms, or less when stopping makes the deadline nearer. Called with the lock held. */
static void backoff_wait(struct otlp_sink *o, unsigned ms)
{
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += ms / 1000;
        until.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }
        while (pthread_cond_timedwait(&o->wake, &o->lock, &until) == 0) {
                if (o->stopping && now_ms() >= o->deadline_ms)
                        break;
        }
}

static void send_with_retries(struct otlp_sink *o, struct batch *b)
{
        unsigned delay = o->cfg.backoff_ms;
        for (unsigned attempt = 0;; attempt++) {
                long status = post_batch(o, b);
                if (status >= 200 && status < 300) {
                        fwd_sink_count(&o->sink->forwarded, b->spans);
                        return;
                }
                if (status != 0 && !retryable_status(status)) {
                        kata_log_warn("otlp sink: %s answered %ld: dropped %llu spans", o->endpoint,
                                      status, (unsigned long long)b->spans);
                        break;
                }
                pthread_mutex_lock(&o->lock);
                bool give_up = attempt >= o->cfg.max_retries ||
                               (o->stopping && now_ms() + delay > o->deadline_ms);
                if (!give_up)
                        backoff_wait(o, delay);
                pthread_mutex_unlock(&o->lock);
                if (give_up) {
                        kata_log_warn("otlp sink: %s: %s after %u attempts: dropped %llu spans",
                                      o->endpoint, status ? "still failing" : "unreachable",
                                      attempt + 1, (unsigned long long)b->spans);
                        break;
                }
                delay = delay * 2 > 30000 ? 30000 : delay * 2;
        }
        fwd_sink_count(&o->sink->dropped, b->spans);
}

static void *sender_main(void *arg)
{
        struct otlp_sink *o = arg;
        pthread_mutex_lock(&o->lock);
        for (;;) {
                while (!o->head && !o->stopping)
                        pthread_cond_wait(&o->wake, &o->lock);
                if (!o->head)
                        break; /* stopping and drained */
                struct batch *b = o->head;
                o->head = b->next;
                if (!o->head)
                        o->tail = NULL;
                o->queued_bytes -= b->len;
                bool late = o->stopping && now_ms() >= o->deadline_ms;
                pthread_mutex_unlock(&o->lock);
                if (late)
                        fwd_sink_count(&o->sink->dropped, b->spans);
                else
                        send_with_retries(o, b);
                batch_recycle(o, b);
                pthread_mutex_lock(&o->lock);
        }
        pthread_mutex_unlock(&o->lock);
        return NULL;
}

static void otlp_close(struct fwd_sink *s, unsigned timeout_ms)
{
        struct otlp_sink *o = s->impl;
        enqueue_current(o);
        pthread_mutex_lock(&o->lock);
        o->stopping = true;
        o->deadline_ms = now_ms() + timeout_ms;
        pthread_cond_broadcast(&o->wake);
        pthread_mutex_unlock(&o->lock);
        pthread_join(o->thread, NULL);
        batch_free(o->current);
        while (o->pool) {
                struct batch *next = o->pool->next;
                batch_free(o->pool);
                o->pool = next;
        }
        curl_slist_free_all(o->headers);
        curl_easy_cleanup(o->curl);
        pthread_mutex_destroy(&o->lock);
        pthread_cond_destroy(&o->wake);
        free(o->endpoint);
        free(o);
        s->impl = NULL;
}

static const struct fwd_sink_ops otlp_ops = {
    .frame = otlp_frame,
    .tick = otlp_tick,
    .close = otlp_close,
};

int fwd_sink_otlp_open(struct fwd_sink *s, const struct fwd_otlp_config *cfg, kata_error *err)
{
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
                return kata_error_set(err, EIO, "libcurl initialization failed");
        struct otlp_sink *o = calloc(1, sizeof(*o));
        if (!o)
                return kata_error_set(err, ENOMEM, "out of memory");
        o->sink = s;
        o->cfg = *cfg;
        o->endpoint = strdup(cfg->endpoint ? cfg->endpoint : FWD_DEFAULT_OTLP_URL);
        o->curl = curl_easy_init();
        o->headers = curl_slist_append(NULL, "Content-Type: application/x-protobuf");
        if (!o->endpoint || !o->curl || !o->headers) {
                curl_slist_free_all(o->headers);
                if (o->curl)
                        curl_easy_cleanup(o->curl);
                free(o->endpoint);
                free(o);
                return kata_error_set(err, ENOMEM, "out of memory");
        }
        curl_easy_setopt(o->curl, CURLOPT_URL, o->endpoint);
        curl_easy_setopt(o->curl, CURLOPT_HTTPHEADER, o->headers);
        curl_easy_setopt(o->curl, CURLOPT_POST, 1L);
        curl_easy_setopt(o->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(o->curl, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
        curl_easy_setopt(o->curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
        curl_easy_setopt(o->curl, CURLOPT_WRITEFUNCTION, discard_body);
        /* Batches are megabytes: send them in large writes. */
        curl_easy_setopt(o->curl, CURLOPT_UPLOAD_BUFFERSIZE, 2L * 1024 * 1024);
        /* OTLP endpoints are plain URLs; never follow redirects or use a proxy here. */
        curl_easy_setopt(o->curl, CURLOPT_PROXY, "");
        pthread_mutex_init(&o->lock, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&o->wake, &ca);
        pthread_condattr_destroy(&ca);
        int rc = pthread_create(&o->thread, NULL, sender_main, o);
        if (rc != 0) {
                curl_slist_free_all(o->headers);
                curl_easy_cleanup(o->curl);
                free(o->endpoint);
                free(o);
                return kata_error_errno(err, rc, "starting the otlp sender thread");
        }
        s->impl = o;
        s->ops = &otlp_ops;
        return 0;
}
