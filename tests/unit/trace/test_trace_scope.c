/* kata-ctl trace scope resolution, and the cgroup v2 path end to end: a cgroup under the
 * hybrid host's cgroup2 mount (no controllers) scoped with bpf_get_current_cgroup_id. The
 * eBPF cases need root and skip otherwise. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "trace.h"

#define UNIFIED "/sys/fs/cgroup/unified"

static void test_subsys_names(void **state)
{
        (void)state;
        assert_int_equal(trace_subsys_from_name("memory"), TRACE_SUBSYS_MEMORY);
        assert_int_equal(trace_subsys_from_name("pids"), TRACE_SUBSYS_PIDS);
        assert_int_equal(trace_subsys_from_name("blkio"), TRACE_SUBSYS_BLKIO);
        assert_int_equal(trace_subsys_from_name("unified"), TRACE_SUBSYS_V2);
        assert_int_equal(trace_subsys_from_name("net_cls"), TRACE_SUBSYS_V2);
}

static void test_controller_hierarchy(void **state)
{
        (void)state;
        char path[] = "/tmp/kata-trace-cgroups-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        const char text[] = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
                            "cpuset\t3\t1\t1\nmemory\t4\t40\t1\npids\t0\t1\t1\n"
                            "freezer\t6\t1\t0\n";
        assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
        close(fd);
        uint32_t h = 0;
        assert_int_equal(trace_controller_hierarchy(path, "memory", &h), 0);
        assert_int_equal(h, 4);
        /* On cgroup2 only (hierarchy 0), disabled, or unknown: not a v1 hierarchy. */
        assert_int_equal(trace_controller_hierarchy(path, "pids", &h), -ENOENT);
        assert_int_equal(trace_controller_hierarchy(path, "freezer", &h), -ENOENT);
        assert_int_equal(trace_controller_hierarchy(path, "cpu", &h), -ENOENT);
        unlink(path);
}

static void test_not_a_cgroup(void **state)
{
        (void)state;
        kata_trace_opts opts = {.cgroup = "/tmp"};
        trace_scope scope;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(trace_scope_resolve(&opts, false, stderr, &scope, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "/tmp is not a cgroup directory"));
        opts.cgroup = "/nonexistent/cgroup";
        assert_int_equal(trace_scope_resolve(&opts, false, stderr, &scope, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "/nonexistent/cgroup"));
}

static void test_v1_memory_scope(void **state)
{
        (void)state;
        uint32_t want;
        if (trace_controller_hierarchy("/proc/cgroups", "memory", &want) < 0 ||
            access("/sys/fs/cgroup/memory/memory.stat", F_OK) != 0)
                skip();
        kata_trace_opts opts = {.cgroup = "/sys/fs/cgroup/memory"};
        trace_scope scope;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(trace_scope_resolve(&opts, false, stderr, &scope, &err), 0);
        assert_int_equal(scope.subsys, TRACE_SUBSYS_MEMORY);
        assert_int_equal(scope.hierarchy, want);
        assert_int_equal(scope.nhier, 1);
        assert_string_equal(scope.hier[0].scope_dir, "/sys/fs/cgroup/memory");
        trace_scope_free(&scope);
}

struct v2_run {
        char dir[256];
        volatile int stop;
};

static void run_child(const char *procs, const char *marker)
{
        pid_t pid = fork();
        if (pid == 0) {
                if (procs) {
                        FILE *f = fopen(procs, "w");
                        if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f) != 0)
                                _exit(3);
                }
                execl("/bin/echo", "/bin/echo", marker, (char *)NULL);
                _exit(4);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void v2_ready(void *ctx)
{
        struct v2_run *run = ctx;
        char procs[300];
        snprintf(procs, sizeof(procs), "%s/child/cgroup.procs", run->dir);
        run_child(procs, "v2-inside");
        run_child(NULL, "v2-outside");
        /* Stop at once: what is in the ring buffer must still be printed. */
        run->stop = 1;
}

static void test_v2_exec_scope(void **state)
{
        (void)state;
        if (geteuid() != 0 || access(UNIFIED "/cgroup.procs", F_OK) != 0)
                skip();
        struct v2_run run;
        snprintf(run.dir, sizeof(run.dir), UNIFIED "/kata-test-trace-unit-%d", getpid());
        char child[300];
        snprintf(child, sizeof(child), "%s/child", run.dir);
        assert_int_equal(mkdir(run.dir, 0755), 0);
        assert_int_equal(mkdir(child, 0755), 0);

        /* No duration: the run ends through opts.stop (a hang here means it does not). */
        kata_trace_opts opts = {.cgroup = run.dir, .json = true, .no_signal_handlers = true};
        trace_scope scope;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(trace_scope_resolve(&opts, false, stderr, &scope, &err), 0);
        assert_int_equal(scope.subsys, TRACE_SUBSYS_V2);
        assert_int_equal(scope.hierarchy, 0);
        trace_scope_free(&scope);

        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        assert_non_null(out);
        opts.out = out;
        opts.on_ready = v2_ready;
        opts.ready_ctx = &run;
        run.stop = 0;
        opts.stop = &run.stop;
        int rc = kata_trace_exec(&opts, &err);
        fclose(out);
        rmdir(child);
        rmdir(run.dir);
        if (rc < 0)
                fail_msg("kata_trace_exec: %s", err.msg);
        assert_non_null(strstr(buf, "\"argv\":[\"/bin/echo\",\"v2-inside\"]"));
        assert_non_null(strstr(buf, "\"hierarchy\":0,"));
        char want_cgroup[400];
        snprintf(want_cgroup, sizeof(want_cgroup), "\"cgroup\":\"%s\"", child);
        assert_non_null(strstr(buf, want_cgroup));
        assert_null(strstr(buf, "v2-outside"));
        assert_non_null(strstr(buf, "{\"type\":\"lost\",\"total\":0,"));
        free(buf);
}

#define LOST_EXECS 200

static void lost_ready(void *ctx)
{
        /* The consumer is this thread: nothing drains the ring buffer until we return. */
        const char *procs = ctx;
        pid_t pid = fork();
        if (pid == 0) {
                FILE *f = fopen(procs, "w");
                if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f) != 0)
                        _exit(3);
                for (int i = 0; i < LOST_EXECS; i++) {
                        pid_t c = fork();
                        if (c == 0) {
                                execl("/bin/true", "/bin/true", "lost-marker", (char *)NULL);
                                _exit(4);
                        }
                        waitpid(c, NULL, 0);
                }
                _exit(0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Nothing is dropped silently: with a one-page ring buffer that nobody drains during a
 * burst, every exec is either printed or counted as lost. */
static void test_lost_events_are_counted(void **state)
{
        (void)state;
        if (geteuid() != 0 || access("/sys/fs/cgroup/memory/cgroup.procs", F_OK) != 0)
                skip();
        char dir[256], procs[300];
        snprintf(dir, sizeof(dir), "/sys/fs/cgroup/memory/kata-test-trace-lost-%d", getpid());
        snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
        assert_int_equal(mkdir(dir, 0755), 0);
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        assert_non_null(out);
        kata_trace_opts opts = {.cgroup = dir,
                                .json = true,
                                .duration_s = 0.5,
                                .ringbuf_bytes = 4096,
                                .out = out,
                                .on_ready = lost_ready,
                                .ready_ctx = procs};
        kata_error err = KATA_ERROR_INIT;
        int rc = kata_trace_exec(&opts, &err);
        fclose(out);
        rmdir(dir);
        if (rc < 0)
                fail_msg("kata_trace_exec: %s", err.msg);
        unsigned printed = 0;
        for (const char *p = buf; (p = strstr(p, "\"lost-marker\"")); p++)
                printed++;
        /* The last lost record is the one printed at exit. */
        const char *prefix = "{\"type\":\"lost\",\"total\":", *lost = NULL;
        for (const char *p = buf; (p = strstr(p, prefix)); p++)
                lost = p;
        assert_non_null(lost);
        assert_non_null(strstr(lost, "\"final\":true"));
        unsigned long total = strtoul(lost + strlen(prefix), NULL, 10);
        assert_true(total > 0);
        assert_int_equal(printed + total, LOST_EXECS);
        free(buf);
}

static void test_preflight_names_what_is_missing(void **state)
{
        (void)state;
        if (geteuid() != 0)
                skip();
        kata_error err = KATA_ERROR_INIT;
        const char *const present[] = {"syscalls/sys_enter_execve", "btf:cgroup_mkdir", NULL};
        assert_int_equal(trace_preflight(present, &err), 0);
        const char *const no_tp[] = {"syscalls/sys_enter_nosuchcall", NULL};
        assert_int_equal(trace_preflight(no_tp, &err), -ENOTSUP);
        assert_non_null(strstr(err.msg, "no tracepoint syscalls/sys_enter_nosuchcall"));
        const char *const no_btf_tp[] = {"btf:nosuch_event", NULL};
        assert_int_equal(trace_preflight(no_btf_tp, &err), -ENOTSUP);
        assert_non_null(strstr(err.msg, "no BTF tracepoint nosuch_event"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_subsys_names),
            cmocka_unit_test(test_controller_hierarchy),
            cmocka_unit_test(test_not_a_cgroup),
            cmocka_unit_test(test_v1_memory_scope),
            cmocka_unit_test(test_v2_exec_scope),
            cmocka_unit_test(test_preflight_names_what_is_missing),
            cmocka_unit_test(test_lost_events_are_counted),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
