/* kata-cgroup-tool: drives the cgroups library from scripts, one operation per run, so
 * that integration tests can check the real files between operations. A test helper,
 * not an installed binary. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "common/log.h"
#include "common/util.h"

static const char *prog = "kata-cgroup-tool";

static int usage(void)
{
        fprintf(stderr,
                "usage: %s layout | map PATH [ID] | driver INIT PATH |\n"
                "  create REL | delete REL | add REL PID | pids REL | exec REL -- CMD... |\n"
                "  apply REL KEY=VALUE... | stats REL | freeze REL | thaw REL | kill REL |\n"
                "  oom-run REL TIMEOUT_MS -- CMD... | alloc MIB | forkbomb N |\n"
                "  stats-bench ROUNDS REL... | oom-gone REL\n"
                "Root: $KATA_CGROUP_ROOT (default /sys/fs/cgroup).\n",
                prog);
        return 2;
}

static int fail(kata_error *err)
{
        kata_error_print(err, prog, stderr);
        return 1;
}

static int load(kata_cgroup_layout **l, kata_error *err)
{
        kata_cgroup_layout_opts o = {getenv("KATA_CGROUP_ROOT"), NULL, NULL};
        return kata_cgroup_layout_detect(&o, l, err);
}

static void print_u64(const char *key, uint64_t v)
{
        if (v == KATA_CGROUP_UNLIMITED)
                printf("%s=max\n", key);
        else
                printf("%s=%" PRIu64 "\n", key, v);
}

static int cmd_stats(kata_cgroup *cg, kata_error *err)
{
        kata_cgroup_stats s;
        if (kata_cgroup_stats_read(cg, &s, err) < 0)
                return -1;
        if (s.cpu.valid) {
                print_u64("cpu.usage_ns", s.cpu.usage_ns);
                print_u64("cpu.user_ns", s.cpu.user_ns);
                print_u64("cpu.system_ns", s.cpu.system_ns);
                print_u64("cpu.n_percpu", s.cpu.n_percpu);
                print_u64("cpu.nr_periods", s.cpu.nr_periods);
                print_u64("cpu.nr_throttled", s.cpu.nr_throttled);
                print_u64("cpu.throttled_ns", s.cpu.throttled_ns);
        }
        if (s.memory.valid) {
                print_u64("memory.usage", s.memory.usage);
                print_u64("memory.max_usage", s.memory.max_usage);
                print_u64("memory.failcnt", s.memory.failcnt);
                print_u64("memory.limit", s.memory.limit);
                print_u64("memory.cache", s.memory.cache);
                print_u64("memory.swap_usage", s.memory.swap_usage);
                print_u64("memory.swap_limit", s.memory.swap_limit);
                print_u64("memory.oom_kills", s.memory.oom_kills);
        }
        if (s.pids.valid) {
                print_u64("pids.current", s.pids.current);
                print_u64("pids.limit", s.pids.limit);
        }
        if (s.io.valid) {
                print_u64("io.read_bytes", s.io.read_bytes);
                print_u64("io.write_bytes", s.io.write_bytes);
                print_u64("io.read_ios", s.io.read_ios);
                print_u64("io.write_ios", s.io.write_ios);
        }
        return 0;
}

static int parse_i64_arg(const char *v, int64_t *out, kata_error *err)
{
        if (kata_parse_i64(v, out) < 0)
                return kata_error_set(err, EINVAL, "'%s' is not a number", v);
        return 0;
}

static int cmd_apply(kata_cgroup *cg, int argc, char **argv, kata_error *err)
{
        kata_cgroup_resources res = {0};
        kata_cgroup_device_rule rules[16];
        size_t nrules = 0;
        for (int i = 0; i < argc; i++) {
                char *eq = strchr(argv[i], '=');
                if (!eq)
                        return kata_error_set(err, EINVAL, "expected KEY=VALUE, got '%s'", argv[i]);
                *eq = '\0';
                const char *k = argv[i], *v = eq + 1;
                int64_t n = 0;
                int r = 0;
                if (strcmp(k, "cpus") == 0) {
                        res.cpuset_cpus = v;
                } else if (strcmp(k, "mems") == 0) {
                        res.cpuset_mems = v;
                } else if (strcmp(k, "device") == 0) {
                        /* allow|deny:TYPE:MAJOR:MINOR:ACCESS, -1 for any */
                        char kind[8], type;
                        long long maj, min;
                        char acc[8];
                        if (nrules == 16 || sscanf(v, "%7[a-z]:%c:%lld:%lld:%7s", kind, &type, &maj,
                                                   &min, acc) != 5)
                                return kata_error_set(err, EINVAL, "bad device rule '%s'", v);
                        kata_cgroup_device_rule *d = &rules[nrules++];
                        d->allow = strcmp(kind, "allow") == 0;
                        d->type = type;
                        d->major = maj;
                        d->minor = min;
                        snprintf(d->access, sizeof(d->access), "%.3s", acc);
                } else if ((r = parse_i64_arg(v, &n, err)) < 0) {
                        return r;
                } else if (strcmp(k, "cpu_shares") == 0) {
                        res.has_cpu_shares = true;
                        res.cpu_shares = (uint64_t)n;
                } else if (strcmp(k, "cpu_quota") == 0) {
                        res.has_cpu_quota = true;
                        res.cpu_quota = n;
                } else if (strcmp(k, "cpu_period") == 0) {
                        res.has_cpu_period = true;
                        res.cpu_period = (uint64_t)n;
                } else if (strcmp(k, "memory_limit") == 0) {
                        res.has_memory_limit = true;
                        res.memory_limit = n;
                } else if (strcmp(k, "memory_swap") == 0) {
                        res.has_memory_swap = true;
                        res.memory_swap = n;
                } else if (strcmp(k, "memory_reservation") == 0) {
                        res.has_memory_reservation = true;
                        res.memory_reservation = n;
                } else if (strcmp(k, "pids_limit") == 0) {
                        res.has_pids_limit = true;
                        res.pids_limit = n;
                } else {
                        return kata_error_set(err, EINVAL, "unknown resource '%s'", k);
                }
        }
        res.devices = rules;
        res.n_devices = nrules;
        return kata_cgroup_apply(cg, &res, err);
}

/* Child: join the cgroup, then exec. */
static void exec_in(kata_cgroup *cg, char **cmd)
{
        kata_error err = KATA_ERROR_INIT;
        if (kata_cgroup_add_pid(cg, getpid(), &err) < 0) {
                kata_error_print(&err, prog, stderr);
                _exit(125);
        }
        execvp(cmd[0], cmd);
        fprintf(stderr, "%s: cannot exec %s: %s\n", prog, cmd[0], strerror(errno));
        _exit(127);
}

/* Watches OOM, runs cmd in the cgroup, waits for the notification (not for the exit). */
static int cmd_oom_run(kata_cgroup *cg, int timeout_ms, char **cmd, kata_error *err)
{
        kata_cgroup_oom *w = NULL;
        if (kata_cgroup_oom_watch(cg, &w, err) < 0)
                return -1;
        pid_t pid = fork();
        if (pid < 0) {
                kata_cgroup_oom_free(w);
                return kata_error_errno(err, errno, "fork");
        }
        if (pid == 0)
                exec_in(cg, cmd);
        int kills = 0;
        uint64_t deadline = kata_now_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
        while (kills == 0) {
                uint64_t now = kata_now_monotonic_ns();
                if (now >= deadline)
                        break;
                struct pollfd p = {kata_cgroup_oom_fd(w), POLLIN, 0};
                int n = poll(&p, 1, (int)((deadline - now) / 1000000ull) + 1);
                if (n < 0 && errno != EINTR)
                        break;
                if (n > 0) {
                        kills = kata_cgroup_oom_consume(w, err);
                        if (kills < 0)
                                break;
                }
        }
        int status = 0;
        if (kills <= 0)
                kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        kata_cgroup_oom_free(w);
        if (kills < 0)
                return kills;
        printf("oom_kills=%d\n", kills);
        printf("child=%s\n",
               WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? "killed" : "exited");
        return 0;
}

/* Watches OOM, deletes the cgroup, and reports what the watch says then. */
static int cmd_oom_gone(kata_cgroup *cg, kata_error *err)
{
        kata_cgroup_oom *w = NULL;
        if (kata_cgroup_oom_watch(cg, &w, err) < 0)
                return -1;
        int r = kata_cgroup_delete(cg, 1000, err);
        if (r == 0) {
                struct pollfd p = {kata_cgroup_oom_fd(w), POLLIN, 0};
                int n = poll(&p, 1, 2000);
                kata_error ignored = KATA_ERROR_INIT;
                printf("woken=%d consume=%d\n", n,
                       n > 0 ? kata_cgroup_oom_consume(w, &ignored) : 0);
        }
        kata_cgroup_oom_free(w);
        return r;
}

static int cmd_alloc(long mib)
{
        /* Touch every page so the memory is charged. */
        for (long i = 0; i < mib; i++) {
                char *p = malloc(1 << 20);
                if (!p)
                        return 3;
                memset(p, 0x5a, 1 << 20);
        }
        printf("allocated %ld MiB\n", mib);
        return 0;
}

/* Bounded: at most n forks, children only sleep, all reaped before returning. */
static int cmd_forkbomb(long n)
{
        long ok = 0, failed = 0;
        pid_t kids[1024];
        if (n > 1024)
                n = 1024;
        for (long i = 0; i < n; i++) {
                pid_t p = fork();
                if (p == 0) {
                        pause();
                        _exit(0);
                }
                if (p < 0)
                        failed++;
                else
                        kids[ok++] = p;
        }
        for (long i = 0; i < ok; i++)
                kill(kids[i], SIGKILL);
        for (long i = 0; i < ok; i++)
                waitpid(kids[i], NULL, 0);
        printf("forked=%ld failed=%ld\n", ok, failed);
        return 0;
}

/* Reads the stats of every cgroup `rounds` times; prints the cost per cgroup read. */
static int cmd_stats_bench(kata_cgroup_layout *l, long rounds, int n, char **rels, kata_error *err)
{
        kata_cgroup *cgs[64];
        if (n > 64 || rounds <= 0)
                return kata_error_set(err, EINVAL, "1..64 cgroups and a positive round count");
        for (int i = 0; i < n; i++)
                if (kata_cgroup_open(l, rels[i], &cgs[i], err) < 0) {
                        while (i--)
                                kata_cgroup_free(cgs[i]);
                        return -1;
                }
        static kata_cgroup_stats s;
        int r = 0;
        uint64_t t0 = kata_now_monotonic_ns();
        for (long k = 0; k < rounds && r == 0; k++)
                for (int i = 0; i < n && r == 0; i++)
                        r = kata_cgroup_stats_read(cgs[i], &s, err);
        uint64_t dt = kata_now_monotonic_ns() - t0;
        for (int i = 0; i < n; i++)
                kata_cgroup_free(cgs[i]);
        if (r < 0)
                return r;
        printf("reads=%ld ns_per_read=%" PRIu64 "\n", rounds * n, dt / (uint64_t)(rounds * n));
        return 0;
}

int main(int argc, char **argv)
{
        kata_log_init(prog, KATA_LOG_WARN);
        if (argc < 2)
                return usage();
        const char *cmd = argv[1];
        kata_error err = KATA_ERROR_INIT;
        if (strcmp(cmd, "alloc") == 0 && argc == 3)
                return cmd_alloc(atol(argv[2]));
        if (strcmp(cmd, "forkbomb") == 0 && argc == 3)
                return cmd_forkbomb(atol(argv[2]));
        if (strcmp(cmd, "map") == 0 && (argc == 3 || argc == 4)) {
                char out[KATA_CGROUP_PATH_MAX];
                if (kata_cgroup_path_map(argv[2], argc == 4 ? argv[3] : NULL, out, sizeof(out),
                                         &err) < 0)
                        return fail(&err);
                puts(out);
                return 0;
        }
        if (strcmp(cmd, "driver") == 0 && argc == 4) {
                kata_cgroup_driver_choice c;
                kata_cgroup_select_driver(strcmp(argv[2], "1") == 0,
                                          kata_cgroup_systemd_running(NULL), argv[3], &c);
                printf("wanted=%s\nused=%s\nreason=%s\n", kata_cgroup_driver_name(c.wanted),
                       kata_cgroup_driver_name(c.used), c.reason);
                return 0;
        }
        kata_cgroup_layout *l = NULL;
        if (load(&l, &err) < 0)
                return fail(&err);
        int rc = 0;
        if (strcmp(cmd, "stats-bench") == 0 && argc >= 4) {
                rc = cmd_stats_bench(l, atol(argv[2]), argc - 3, argv + 3, &err) < 0 ? fail(&err)
                                                                                     : 0;
                goto out;
        }
        if (strcmp(cmd, "layout") == 0) {
                printf("mode=%s\n", kata_cgroup_mode_name(kata_cgroup_layout_mode(l)));
                for (int c = 0; c < KATA_CGROUP_NR_CONTROLLERS; c++) {
                        const char *m = kata_cgroup_layout_mount(l, c);
                        printf("%s=%s%s\n", kata_cgroup_controller_name(c), m ? m : "-",
                               kata_cgroup_layout_on_v2(l, c) ? " (v2)" : "");
                }
                goto out;
        }
        if (argc < 3) {
                rc = usage();
                goto out;
        }
        kata_cgroup *cg = NULL;
        int r = strcmp(cmd, "create") == 0 ? kata_cgroup_create(l, argv[2], &cg, &err)
                                           : kata_cgroup_open(l, argv[2], &cg, &err);
        if (r < 0) {
                rc = fail(&err);
                goto out;
        }
        if (strcmp(cmd, "create") == 0) {
                r = 0;
        } else if (strcmp(cmd, "delete") == 0) {
                r = kata_cgroup_delete(cg, 5000, &err);
        } else if (strcmp(cmd, "add") == 0 && argc == 4) {
                r = kata_cgroup_add_pid(cg, (pid_t)atoi(argv[3]), &err);
        } else if (strcmp(cmd, "pids") == 0) {
                pid_t *pids;
                size_t n;
                r = kata_cgroup_pids(cg, &pids, &n, &err);
                for (size_t i = 0; r == 0 && i < n; i++)
                        printf("%d\n", (int)pids[i]);
                if (r == 0)
                        free(pids);
        } else if (strcmp(cmd, "exec") == 0 && argc > 4 && strcmp(argv[3], "--") == 0) {
                exec_in(cg, argv + 4);
        } else if (strcmp(cmd, "apply") == 0) {
                r = cmd_apply(cg, argc - 3, argv + 3, &err);
        } else if (strcmp(cmd, "stats") == 0) {
                r = cmd_stats(cg, &err);
        } else if (strcmp(cmd, "freeze") == 0 || strcmp(cmd, "thaw") == 0) {
                r = kata_cgroup_freeze(cg, strcmp(cmd, "freeze") == 0, 5000, &err);
        } else if (strcmp(cmd, "kill") == 0) {
                r = kata_cgroup_kill(cg, 5000, &err);
        } else if (strcmp(cmd, "oom-gone") == 0) {
                r = cmd_oom_gone(cg, &err);
        } else if (strcmp(cmd, "oom-run") == 0 && argc > 5 && strcmp(argv[4], "--") == 0) {
                r = cmd_oom_run(cg, atoi(argv[3]), argv + 5, &err);
        } else {
                kata_cgroup_free(cg);
                rc = usage();
                goto out;
        }
        if (r < 0)
                rc = fail(&err);
        kata_cgroup_free(cg);
out:
        kata_cgroup_layout_free(l);
        return rc;
}
