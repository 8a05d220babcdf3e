/* OOM notification that an event loop can poll: an fd plus a non-blocking consume. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/util.h"

struct kata_cgroup_oom {
        bool v2;
        int fd;         /* v1 eventfd, v2 inotify */
        int control_fd; /* v1 memory.oom_control, kept open for the registration */
        char file[PATH_MAX];
        uint64_t kills; /* oom_kill count already reported */
        bool has_kill_count;
};

/* oom_kill count from memory.oom_control (v1, kernel >= 4.13) or memory.events (v2). */
static int read_kills(kata_cgroup_oom *w, uint64_t *kills, bool *present, kata_error *err)
{
        char *text = NULL;
        int r = kata_read_file(w->file, 0, &text, NULL, err);
        if (r < 0)
                return r;
        r = cg_parse_key(text, "oom_kill", kills);
        free(text);
        *present = r == 0;
        if (r == -EINVAL)
                return kata_error_set(err, EINVAL, "%s: oom_kill is not a number", w->file);
        if (r == -ENOENT)
                *kills = 0;
        return 0;
}

static int watch_v1(const kata_cgroup *cg, kata_cgroup_oom *w, kata_error *err)
{
        char control[PATH_MAX];
        int r =
            cg_file(cg, KATA_CGROUP_MEMORY, "memory.oom_control", w->file, sizeof(w->file), err);
        if (r == 0)
                r = cg_file(cg, KATA_CGROUP_MEMORY, "cgroup.event_control", control,
                            sizeof(control), err);
        if (r < 0)
                return r;
        w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->fd < 0)
                return kata_error_errno(err, errno, "eventfd");
        w->control_fd = open(w->file, O_RDONLY | O_CLOEXEC);
        if (w->control_fd < 0)
                return kata_error_errno(err, errno, "cannot open %s", w->file);
        char reg[64];
        snprintf(reg, sizeof(reg), "%d %d", w->fd, w->control_fd);
        return kata_write_string(control, reg, err);
}

static int watch_v2(const kata_cgroup *cg, kata_cgroup_oom *w, kata_error *err)
{
        int r = cg_file(cg, KATA_CGROUP_MEMORY, "memory.events", w->file, sizeof(w->file), err);
        if (r < 0)
                return r;
        w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (w->fd < 0)
                return kata_error_errno(err, errno, "inotify_init1");
        if (inotify_add_watch(w->fd, w->file, IN_MODIFY) < 0)
                return kata_error_errno(err, errno, "cannot watch %s", w->file);
        return 0;
}

int kata_cgroup_oom_watch(const kata_cgroup *cg, kata_cgroup_oom **out, kata_error *err)
{
        *out = NULL;
        if (!cg_has(cg, KATA_CGROUP_MEMORY))
                return kata_error_set(
                    err, ENOTSUP, "cannot watch OOM of cgroup %s: no memory controller", cg->rel);
        kata_cgroup_oom *w = calloc(1, sizeof(*w));
        if (!w)
                return kata_error_set(err, ENOMEM, "out of memory");
        w->fd = w->control_fd = -1;
        w->v2 = cg_on_v2(cg, KATA_CGROUP_MEMORY);
        int r = w->v2 ? watch_v2(cg, w, err) : watch_v1(cg, w, err);
        if (r == 0)
                r = read_kills(w, &w->kills, &w->has_kill_count, err);
        if (r < 0) {
                kata_cgroup_oom_free(w);
                return kata_error_prefix(err, "watching OOM of cgroup %s", cg->rel);
        }
        *out = w;
        return 0;
}

int kata_cgroup_oom_fd(const kata_cgroup_oom *w)
{
        return w->fd;
}

int kata_cgroup_oom_consume(kata_cgroup_oom *w, kata_error *err)
{
        uint64_t events = 0;
        bool gone = false;
        if (w->v2) {
                char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
                ssize_t n;
                while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
                        for (ssize_t off = 0; off < n;) {
                                const struct inotify_event *ev = (const void *)(buf + off);
                                if (ev->mask & IN_IGNORED)
                                        gone = true;
                                off += (ssize_t)(sizeof(*ev) + ev->len);
                        }
                        events++;
                }
        } else {
                /* The kernel also signals the eventfd when the cgroup is removed. */
                if (read(w->fd, &events, sizeof(events)) < 0 && errno != EAGAIN)
                        return kata_error_errno(err, errno, "reading OOM eventfd");
        }
        uint64_t kills = 0;
        bool present = false;
        kata_error rerr = KATA_ERROR_INIT;
        int r = read_kills(w, &kills, &present, &rerr);
        if (r == -ENOENT || (r == 0 && gone))
                return kata_error_set(err, ENOENT, "%s is gone: the cgroup was removed", w->file);
        if (r < 0) {
                *err = rerr;
                return r;
        }
        /* v1 signals when the cgroup enters OOM, before the victim is killed and counted:
         * an eventfd wake-up is an OOM event even while oom_kill has not moved yet, and
         * the count it stands for is not reported again when oom_kill catches up. */
        uint64_t delta = present && kills > w->kills ? kills - w->kills : 0;
        uint64_t fresh = w->v2 ? delta : (delta > events ? delta : events);
        w->kills += fresh;
        return fresh > INT_MAX ? INT_MAX : (int)fresh;
}

void kata_cgroup_oom_free(kata_cgroup_oom *w)
{
        if (!w)
                return;
        if (w->fd >= 0)
                close(w->fd);
        if (w->control_fd >= 0)
                close(w->control_fd);
        free(w);
}
