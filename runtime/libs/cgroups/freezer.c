/* Freeze, thaw and kill. Waiting for the state matters: v1 passes through FREEZING and
 * v2 reports "frozen 1" in cgroup.events only once every task has stopped. */
#include "internal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

static uint64_t deadline_after(int timeout_ms)
{
        return kata_now_monotonic_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000ull;
}

static int freeze_v1(kata_cgroup *cg, bool frozen, int timeout_ms, kata_error *err)
{
        const char *want = frozen ? "FROZEN" : "THAWED";
        uint64_t deadline = deadline_after(timeout_ms);
        for (;;) {
                /* Rewriting FROZEN retries tasks that were busy on the previous attempt. */
                int r = cg_write(cg, KATA_CGROUP_FREEZER, "freezer.state", want, err);
                if (r < 0)
                        return r;
                char *state = NULL;
                r = cg_read(cg, KATA_CGROUP_FREEZER, "freezer.state", &state, err);
                if (r < 0)
                        return r;
                bool done = strncmp(state, want, strlen(want)) == 0;
                char seen[16];
                snprintf(seen, sizeof(seen), "%.*s", (int)strcspn(state, "\n"), state);
                free(state);
                if (done)
                        return 0;
                if (kata_now_monotonic_ns() >= deadline)
                        return kata_error_set(err, ETIMEDOUT,
                                              "cgroup %s still %s after %d ms (wanted %s)", cg->rel,
                                              seen, timeout_ms, want);
                cg_sleep_ms(5);
        }
}

static int freeze_v2(kata_cgroup *cg, bool frozen, int timeout_ms, kata_error *err)
{
        int r = cg_write(cg, KATA_CGROUP_FREEZER, "cgroup.freeze", frozen ? "1" : "0", err);
        if (r < 0)
                return r;
        uint64_t deadline = deadline_after(timeout_ms);
        for (;;) {
                char *events = NULL;
                uint64_t state = 0;
                r = cg_read(cg, KATA_CGROUP_FREEZER, "cgroup.events", &events, err);
                if (r < 0)
                        return r;
                r = cg_parse_key(events, "frozen", &state);
                free(events);
                if (r < 0)
                        return kata_error_set(err, EINVAL,
                                              "cgroup.events of %s has no 'frozen' "
                                              "line",
                                              cg->rel);
                if ((state == 1) == frozen)
                        return 0;
                if (kata_now_monotonic_ns() >= deadline)
                        return kata_error_set(err, ETIMEDOUT, "cgroup %s not %s after %d ms",
                                              cg->rel, frozen ? "frozen" : "thawed", timeout_ms);
                cg_sleep_ms(5);
        }
}

int kata_cgroup_freeze(kata_cgroup *cg, bool frozen, int timeout_ms, kata_error *err)
{
        if (!cg_has(cg, KATA_CGROUP_FREEZER))
                return kata_error_set(err, ENOTSUP, "cannot %s cgroup %s: no freezer",
                                      frozen ? "freeze" : "thaw", cg->rel);
        int r = cg_on_v2(cg, KATA_CGROUP_FREEZER) ? freeze_v2(cg, frozen, timeout_ms, err)
                                                  : freeze_v1(cg, frozen, timeout_ms, err);
        if (r < 0)
                return kata_error_prefix(err, "%s cgroup %s", frozen ? "freezing" : "thawing",
                                         cg->rel);
        return 0;
}

static int signal_all(kata_cgroup *cg, size_t *left, kata_error *err)
{
        pid_t *pids = NULL;
        size_t n = 0;
        int r = kata_cgroup_pids(cg, &pids, &n, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (kill(pids[i], SIGKILL) < 0 && errno != ESRCH) {
                        r = kata_error_errno(err, errno, "cannot kill pid %d", (int)pids[i]);
                        break;
                }
        free(pids);
        *left = n;
        return r;
}

int kata_cgroup_kill(kata_cgroup *cg, int timeout_ms, kata_error *err)
{
        int r;
        /* cgroup.kill (Linux 5.14) kills atomically; on hybrid the processes are in the
         * cgroup2 directory too, since add_pid writes every hierarchy. */
        if (cg->layout->unified_h >= 0) {
                char *path = kata_path_join(cg->dir[cg->layout->unified_h], "cgroup.kill");
                if (!path)
                        return kata_error_set(err, ENOMEM, "out of memory");
                bool has_kill = access(path, F_OK) == 0;
                r = has_kill ? kata_write_string(path, "1", err) : 0;
                free(path);
                if (r < 0)
                        return kata_error_prefix(err, "killing cgroup %s", cg->rel);
        }
        /* Freezing first stops a fork loop from outrunning the signals; SIGKILL still
         * reaches frozen tasks and they die once thawed. */
        bool freezer = cg_has(cg, KATA_CGROUP_FREEZER);
        uint64_t deadline = deadline_after(timeout_ms);
        for (;;) {
                size_t left = 0;
                kata_error ignored = KATA_ERROR_INIT;
                bool froze = freezer && kata_cgroup_freeze(cg, true, 100, &ignored) == 0;
                r = signal_all(cg, &left, err);
                if (froze)
                        kata_cgroup_freeze(cg, false, 1000, &ignored);
                if (r < 0)
                        return kata_error_prefix(err, "killing cgroup %s", cg->rel);
                if (left == 0)
                        return 0;
                if (kata_now_monotonic_ns() >= deadline)
                        return kata_error_set(err, ETIMEDOUT,
                                              "killing cgroup %s: %zu processes left after %d ms",
                                              cg->rel, left, timeout_ms);
                cg_sleep_ms(5);
        }
}
