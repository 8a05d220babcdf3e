/* Processes of a container as the host sees them: the pids of its cgroup, each read from
 * /proc (stat for state, times and RSS; status for the sandbox pid and uid; cmdline). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "observe/internal.h"

void obs_procs_free(kata_observe_process *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(p[i].args);
        free(p);
}

static int by_cpu_then_pid(const void *a, const void *b)
{
        const kata_observe_process *x = a, *y = b;
        double cx = x->cpu_percent_valid ? x->cpu_percent : -1;
        double cy = y->cpu_percent_valid ? y->cpu_percent : -1;
        if (cx != cy)
                return cx > cy ? -1 : 1;
        int64_t px = x->sandbox_pid ? x->sandbox_pid : x->host_pid;
        int64_t py = y->sandbox_pid ? y->sandbox_pid : y->host_pid;
        return px < py ? -1 : px > py;
}

void obs_procs_sort(kata_observe_process *p, size_t n)
{
        qsort(p, n, sizeof(*p), by_cpu_then_pid);
}

/* /proc/PID/stat after "(comm)": field 3 onwards. comm may hold ')' or spaces, so the
 * last ')' ends it. */
int obs_proc_parse_stat(char *text, kata_observe_process *p, uint64_t *ticks, uint64_t *start,
                        uint64_t *rss_pages)
{
        char *open = strchr(text, '(');
        char *close = strrchr(text, ')');
        if (!open || !close || close < open || close[1] != ' ')
                return -EINVAL;
        size_t n = (size_t)(close - open - 1);
        if (n >= sizeof(p->comm))
                n = sizeof(p->comm) - 1;
        memcpy(p->comm, open + 1, n);
        p->comm[n] = '\0';
        char *save = NULL;
        int field = 3;
        uint64_t utime = 0, stime = 0;
        for (char *f = strtok_r(close + 2, " ", &save); f;
             f = strtok_r(NULL, " ", &save), field++) {
                uint64_t v = 0;
                if (field == 3) {
                        p->state = f[0];
                        continue;
                }
                if (field != 4 && field != 14 && field != 15 && field != 22 && field != 24)
                        continue;
                if (kata_parse_u64(f, &v) < 0)
                        return -EINVAL;
                switch (field) {
                case 4:
                        p->ppid = (int64_t)v;
                        break;
                case 14:
                        utime = v;
                        break;
                case 15:
                        stime = v;
                        break;
                case 22:
                        *start = v;
                        break;
                case 24:
                        *rss_pages = v;
                        return (*ticks = utime + stime), 0;
                }
        }
        return -EINVAL;
}

/* NSpid lists the pid in each namespace from ours inwards; the sandbox's pid namespace
 * is at depth ns_level (the agent's own depth), or the innermost when unknown (< 0). */
static int nspid_count(char *line)
{
        int n = 0;
        char *save = NULL;
        for (char *f = strtok_r(line + 6, " \t", &save); f; f = strtok_r(NULL, " \t", &save))
                n++;
        return n;
}

void obs_proc_parse_status(char *text, int ns_level, kata_observe_process *p)
{
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (kata_str_startswith(line, "NSpid:")) {
                        char *fsave = NULL;
                        int i = 0;
                        for (char *f = strtok_r(line + 6, " \t", &fsave); f;
                             f = strtok_r(NULL, " \t", &fsave), i++) {
                                uint64_t v;
                                if (kata_parse_u64(f, &v) < 0)
                                        break;
                                if (ns_level < 0 || i <= ns_level)
                                        p->sandbox_pid = (int64_t)v;
                        }
                } else if (kata_str_startswith(line, "Uid:")) {
                        p->uid = (uint32_t)strtoul(line + 4, NULL, 10);
                }
        }
}

int obs_pid_ns_level(kata_observe *o, int64_t pid)
{
        if (pid <= 0)
                return -1;
        char path[64];
        char *text = NULL;
        snprintf(path, sizeof(path), "/%lld/status", (long long)pid);
        if (kata_read_file_at(o->proc_root, path, 1 << 16, &text, NULL, NULL) < 0)
                return -1;
        int level = -1;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (kata_str_startswith(line, "NSpid:")) {
                        level = nspid_count(line) - 1;
                        break;
                }
        }
        free(text);
        return level;
}

static char *join_cmdline(const char *buf, size_t len)
{
        char *s = malloc(len + 1);
        if (!s)
                return NULL;
        memcpy(s, buf, len);
        s[len] = '\0';
        while (len > 0 && s[len - 1] == '\0')
                len--;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '\0')
                        s[i] = ' ';
        }
        s[len] = '\0';
        return s;
}

/* One process; -ENOENT when it exited meanwhile (normal: it is skipped). */
static int read_process(kata_observe *o, const char *sid, int ns_level, pid_t pid, uint64_t now,
                        kata_observe_process *p)
{
        char path[64];
        char *text = NULL;
        size_t len = 0;
        memset(p, 0, sizeof(*p));
        p->host_pid = pid;

        snprintf(path, sizeof(path), "/%d/stat", (int)pid);
        if (kata_read_file_at(o->proc_root, path, 1 << 16, &text, NULL, NULL) < 0)
                return -ENOENT;
        uint64_t ticks = 0, start = 0, rss_pages = 0;
        int r = obs_proc_parse_stat(text, p, &ticks, &start, &rss_pages);
        free(text);
        if (r < 0)
                return -ENOENT;
        p->cpu_time_ns = ticks * (1000000000ull / (uint64_t)o->clock_ticks);
        p->rss_bytes = rss_pages * (uint64_t)o->page_size;

        snprintf(path, sizeof(path), "/%d/status", (int)pid);
        if (kata_read_file_at(o->proc_root, path, 1 << 16, &text, NULL, NULL) == 0) {
                obs_proc_parse_status(text, ns_level, p);
                free(text);
        }
        snprintf(path, sizeof(path), "/%d/cmdline", (int)pid);
        text = NULL;
        if (kata_read_file_at(o->proc_root, path, 1 << 16, &text, &len, NULL) == 0) {
                p->args = join_cmdline(text, len);
                free(text);
        } else {
                p->args = strdup("");
        }
        if (!p->args)
                return -ENOMEM;

        char key[KATA_STATE_ID_MAX + 64];
        snprintf(key, sizeof(key), "p:%s:%d:%llu", sid, (int)pid, (unsigned long long)start);
        obs_entry *e = obs_history_get(&o->history, key);
        if (!e) {
                free(p->args);
                return -ENOMEM;
        }
        obs_cpu_delta(e, p->cpu_time_ns, now, &p->cpu_percent_valid, &p->cpu_percent);
        return 0;
}

int obs_procs_from_host(kata_observe *o, const char *sid, int ns_level, const kata_cgroup *cg,
                        kata_observe_container *c, kata_error *err)
{
        pid_t *pids = NULL;
        size_t n = 0;
        int r = kata_cgroup_pids(cg, &pids, &n, err);
        if (r < 0)
                return r;
        kata_observe_process *procs = calloc(n ? n : 1, sizeof(*procs));
        if (!procs) {
                free(pids);
                return kata_error_set(err, ENOMEM, "out of memory");
        }
        uint64_t now = kata_now_monotonic_ns();
        size_t got = 0;
        for (size_t i = 0; i < n; i++) {
                r = read_process(o, sid, ns_level, pids[i], now, &procs[got]);
                if (r == -ENOMEM) {
                        free(pids);
                        obs_procs_free(procs, got);
                        return kata_error_set(err, ENOMEM, "out of memory");
                }
                if (r == 0)
                        got++;
        }
        free(pids);
        obs_procs_sort(procs, got);
        c->processes = procs;
        c->nprocesses = got;
        c->processes_listed = true;
        return 0;
}
