#include "agent/oom.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#define OOM_QUEUE_MAX 1024

struct oom_watch {
        char id[AGENT_ID_MAX + 1];
        const struct agent_container *container; /* identity only, never dereferenced */
        kata_cgroup_oom *w;
        struct oom_watch *next;
};

struct agent_oom {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        int epfd;
        int wake_fd;
        pthread_t thread;
        bool running;
        struct oom_watch *watches;
        char (*queue)[AGENT_ID_MAX + 1];
        size_t head, count;
};

static void queue_push(struct agent_oom *o, const char *id)
{
        if (o->count == OOM_QUEUE_MAX) {
                kata_log_warn("OOM event queue full: dropping the oldest event");
                o->head = (o->head + 1) % OOM_QUEUE_MAX;
                o->count--;
        }
        snprintf(o->queue[(o->head + o->count) % OOM_QUEUE_MAX], AGENT_ID_MAX + 1, "%s", id);
        o->count++;
        pthread_cond_broadcast(&o->cond);
}

static void drop_watch_locked(struct agent_oom *o, struct oom_watch *w)
{
        epoll_ctl(o->epfd, EPOLL_CTL_DEL, kata_cgroup_oom_fd(w->w), NULL);
        for (struct oom_watch **pp = &o->watches; *pp; pp = &(*pp)->next) {
                if (*pp == w) {
                        *pp = w->next;
                        break;
                }
        }
        kata_cgroup_oom_free(w->w);
        free(w);
}

static bool watch_alive_locked(struct agent_oom *o, struct oom_watch *w)
{
        for (struct oom_watch *x = o->watches; x; x = x->next)
                if (x == w)
                        return true;
        return false;
}

static void *oom_thread(void *arg)
{
        struct agent *a = arg;
        struct agent_oom *o = a->oom;
        struct epoll_event evs[16];
        while (!a->stopping) {
                int n = epoll_wait(o->epfd, evs, 16, -1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        kata_log_error("OOM watcher: epoll_wait: %s", strerror(errno));
                        break;
                }
                pthread_mutex_lock(&o->lock);
                for (int i = 0; i < n; i++) {
                        struct oom_watch *w = evs[i].data.ptr;
                        if (!w) { /* the wake-up eventfd */
                                uint64_t v;
                                ssize_t r = read(o->wake_fd, &v, sizeof(v));
                                (void)r;
                                continue;
                        }
                        if (!watch_alive_locked(o, w))
                                continue;
                        kata_error err = KATA_ERROR_INIT;
                        int kills = kata_cgroup_oom_consume(w->w, &err);
                        if (kills == -ENOENT) {
                                drop_watch_locked(o, w);
                                continue;
                        }
                        if (kills < 0) {
                                kata_log_warn("container %s: %s", w->id, err.msg);
                                drop_watch_locked(o, w);
                                continue;
                        }
                        for (int k = 0; k < kills; k++) {
                                kata_log_info("container %s: OOM kill", w->id);
                                queue_push(o, w->id);
                        }
                }
                pthread_mutex_unlock(&o->lock);
        }
        return NULL;
}

int agent_oom_start(struct agent *a, kata_error *err)
{
        struct agent_oom *o = calloc(1, sizeof(*o));
        if (!o)
                return kata_error_set(err, ENOMEM, "out of memory");
        o->queue = calloc(OOM_QUEUE_MAX, sizeof(*o->queue));
        o->epfd = epoll_create1(EPOLL_CLOEXEC);
        o->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (!o->queue || o->epfd < 0 || o->wake_fd < 0) {
                int e = errno ? errno : ENOMEM;
                free(o->queue);
                if (o->epfd >= 0)
                        close(o->epfd);
                if (o->wake_fd >= 0)
                        close(o->wake_fd);
                free(o);
                return kata_error_errno(err, e, "OOM watcher");
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        epoll_ctl(o->epfd, EPOLL_CTL_ADD, o->wake_fd, &ev);
        pthread_mutex_init(&o->lock, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&o->cond, &ca);
        pthread_condattr_destroy(&ca);
        a->oom = o;
        int r = pthread_create(&o->thread, NULL, oom_thread, a);
        if (r != 0)
                return kata_error_errno(err, r, "OOM watcher thread");
        o->running = true;
        return 0;
}

void agent_oom_stop(struct agent *a)
{
        struct agent_oom *o = a->oom;
        if (!o)
                return;
        uint64_t one = 1;
        ssize_t w = write(o->wake_fd, &one, sizeof(one));
        (void)w;
        pthread_mutex_lock(&o->lock);
        pthread_cond_broadcast(&o->cond);
        pthread_mutex_unlock(&o->lock);
        if (o->running)
                pthread_join(o->thread, NULL);
        while (o->watches)
                drop_watch_locked(o, o->watches);
        close(o->epfd);
        close(o->wake_fd);
        free(o->queue);
        a->oom = NULL;
        /* Handlers still in agent_oom_next hold no reference to o after a stop: the
         * server waits for them before the agent frees anything, see agent.c. */
        pthread_mutex_destroy(&o->lock);
        pthread_cond_destroy(&o->cond);
        free(o);
}

void agent_oom_watch(struct agent *a, struct agent_container *c)
{
        struct agent_oom *o = a->oom;
        if (!o || !c->cgroup)
                return;
        struct oom_watch *w = calloc(1, sizeof(*w));
        if (!w)
                return;
        kata_error err = KATA_ERROR_INIT;
        if (kata_cgroup_oom_watch(c->cgroup, &w->w, &err) < 0) {
                kata_log_warn("container %s: no OOM events: %s", c->id, err.msg);
                free(w);
                return;
        }
        snprintf(w->id, sizeof(w->id), "%s", c->id);
        w->container = c;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
        pthread_mutex_lock(&o->lock);
        w->next = o->watches;
        o->watches = w;
        if (epoll_ctl(o->epfd, EPOLL_CTL_ADD, kata_cgroup_oom_fd(w->w), &ev) < 0) {
                kata_log_warn("container %s: no OOM events: epoll: %s", c->id, strerror(errno));
                drop_watch_locked(o, w);
        }
        pthread_mutex_unlock(&o->lock);
}

void agent_oom_unwatch(struct agent *a, struct agent_container *c)
{
        struct agent_oom *o = a->oom;
        if (!o)
                return;
        pthread_mutex_lock(&o->lock);
        /* Events that already fired stay queued: a late GetOOMEvent still sees them. */
        for (struct oom_watch *w = o->watches; w; w = w->next) {
                if (w->container == c) {
                        /* Collect a kill that raced with the removal. */
                        kata_error err = KATA_ERROR_INIT;
                        int kills = kata_cgroup_oom_consume(w->w, &err);
                        for (int k = 0; k < kills; k++)
                                queue_push(o, w->id);
                        drop_watch_locked(o, w);
                        break;
                }
        }
        pthread_mutex_unlock(&o->lock);
}

int agent_oom_next(struct agent *a, uint64_t deadline_ns, char *id, size_t size)
{
        struct agent_oom *o = a->oom;
        if (!o)
                return -ECANCELED;
        int r = 0;
        pthread_mutex_lock(&o->lock);
        while (o->count == 0) {
                if (a->stopping) {
                        r = -ECANCELED;
                        break;
                }
                uint64_t now = kata_now_monotonic_ns();
                if (deadline_ns && now >= deadline_ns) {
                        r = -ETIMEDOUT;
                        break;
                }
                /* Wake at least every second to notice a stop. */
                uint64_t until = now + 1000000000ull;
                if (deadline_ns && deadline_ns < until)
                        until = deadline_ns;
                struct timespec ts = {.tv_sec = (time_t)(until / 1000000000ull),
                                      .tv_nsec = (long)(until % 1000000000ull)};
                pthread_cond_timedwait(&o->cond, &o->lock, &ts);
        }
        if (r == 0) {
                snprintf(id, size, "%s", o->queue[o->head]);
                o->head = (o->head + 1) % OOM_QUEUE_MAX;
                o->count--;
        }
        pthread_mutex_unlock(&o->lock);
        return r;
}
