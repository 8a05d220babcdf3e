/* kata-observe against fake trees: a state root written with the state library, v1
 * (hybrid) and v2 cgroup files, and a fake /proc. */
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake_tree.h"
#include "observe/internal.h"
#include "observe/observe.h"

typedef struct fixture {
        char *base;
        char root[512], mountinfo[512], proc_cgroups[512], state[512], proc[512];
        kata_cgroup_layout_opts lopts;
        kata_observe *obs;
        bool v2;
} fixture;

static void mount_line(fixture *f, FILE *m, int id, const char *mnt, const char *type,
                       const char *super)
{
        fprintf(m, "%d 1 0:%d / %s/cg%s rw,relatime - %s %s rw,%s\n", id, id, f->base, mnt, type,
                type, super);
}

/* v1 figures: sandbox sb1 at /kata/kata_sb1, its container c1 at .../c1. */
static const char *const v1_files[][2] = {
    {"cpu,cpuacct/kata/kata_sb1/cpuacct.usage", "1000000000\n"},
    {"cpu,cpuacct/kata/kata_sb1/cpu.stat", "nr_periods 10\nnr_throttled 3\nthrottled_time 5000\n"},
    {"cpu,cpuacct/kata/kata_sb1/cgroup.procs", "4000\n"},
    {"memory/kata/kata_sb1/memory.usage_in_bytes", "10485760\n"},
    {"memory/kata/kata_sb1/memory.limit_in_bytes", "9223372036854771712\n"},
    {"memory/kata/kata_sb1/memory.stat",
     "cache 100\nrss 5\ntotal_cache 4096\ntotal_inactive_file 1048576\n"},
    {"memory/kata/kata_sb1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"},
    {"memory/kata/kata_sb1/cgroup.procs", "4000\n"},
    {"pids/kata/kata_sb1/pids.current", "5\n"},
    {"pids/kata/kata_sb1/pids.max", "max\n"},
    {"pids/kata/kata_sb1/cgroup.procs", "4000\n"},
    {"cpu,cpuacct/kata/kata_sb1/c1/cpuacct.usage", "500\n"},
    {"cpu,cpuacct/kata/kata_sb1/c1/cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n"},
    {"cpu,cpuacct/kata/kata_sb1/c1/cgroup.procs", "4242\n"},
    {"memory/kata/kata_sb1/c1/memory.usage_in_bytes", "2097152\n"},
    {"memory/kata/kata_sb1/c1/memory.limit_in_bytes", "268435456\n"},
    {"memory/kata/kata_sb1/c1/memory.stat", "total_cache 0\ntotal_inactive_file 0\n"},
    {"memory/kata/kata_sb1/c1/memory.oom_control", "oom_kill 0\n"},
    {"memory/kata/kata_sb1/c1/cgroup.procs", "4242\n"},
    {"pids/kata/kata_sb1/c1/pids.current", "1\n"},
    {"pids/kata/kata_sb1/c1/pids.max", "64\n"},
    {"pids/kata/kata_sb1/c1/cgroup.procs", "4242\n"},
};

static const char *const v2_files[][2] = {
    {"kata/kata_sb1/cpu.stat", "usage_usec 3000\nuser_usec 2000\nsystem_usec 1000\n"
                               "nr_periods 4\nnr_throttled 1\nthrottled_usec 7\n"},
    {"kata/kata_sb1/memory.current", "8192000\n"},
    {"kata/kata_sb1/memory.max", "max\n"},
    {"kata/kata_sb1/memory.stat", "anon 1\nfile 4096\ninactive_file 192000\n"},
    {"kata/kata_sb1/memory.events", "low 0\nhigh 0\nmax 0\noom 1\noom_kill 1\n"},
    {"kata/kata_sb1/pids.current", "3\n"},
    {"kata/kata_sb1/pids.max", "100\n"},
    {"kata/kata_sb1/cgroup.procs", "4000\n"},
    {"kata/kata_sb1/c1/cpu.stat", "usage_usec 1\n"},
    {"kata/kata_sb1/c1/memory.current", "4096\n"},
    {"kata/kata_sb1/c1/memory.max", "1048576\n"},
    {"kata/kata_sb1/c1/pids.current", "1\n"},
    {"kata/kata_sb1/c1/cgroup.procs", "4242\n"},
};

static void write_proc(fixture *f)
{
        /* comm with a space and parentheses: only the last ')' ends it. */
        fake_write(f->proc, "4242/stat",
                   "4242 (my (weird) comm) S 4000 4242 4242 0 -1 4194560 100 0 0 0 150 50 0 0 "
                   "20 0 1 0 12345 1000000 100 18446744073709551615 0 0\n");
        fake_write(f->proc, "4242/status",
                   "Name:\tmy (weird) comm\nUid:\t1000\t1000\t1000\t1000\n"
                   "NSpid:\t4242\t7\t1\n");
        char cmdline[] = "sleep\0"
                         "100\0";
        char path[600];
        snprintf(path, sizeof(path), "%s/4242/cmdline", f->proc);
        FILE *c = fopen(path, "w");
        fwrite(cmdline, 1, sizeof(cmdline) - 1, c);
        fclose(c);
        fake_write(f->proc, "4000/status", "Name:\tkata-agent\nNSpid:\t4000\t1\n");
}

static void write_state(fixture *f, const char *sid, bool with_container)
{
        kata_sandbox_state st;
        kata_sandbox_state_init(&st);
        snprintf(st.id, sizeof(st.id), "%s", sid);
        snprintf(st.hypervisor, sizeof(st.hypervisor), "local");
        st.status = KATA_SANDBOX_RUNNING;
        st.agent_pid = 4000;
        kata_error err = KATA_ERROR_INIT;
        char dir[700];
        if (f->v2) {
                st.cgroup_version = 2;
                snprintf(dir, sizeof(dir), "%s/kata/kata_%s", f->root, sid);
                assert_int_equal(kata_sandbox_state_set_cgroup(&st, "unified", dir, &err), 0);
        } else {
                st.cgroup_version = 1;
                const char *ctl[][2] = {{"cpu", "cpu,cpuacct"},
                                        {"cpuacct", "cpu,cpuacct"},
                                        {"memory", "memory"},
                                        {"pids", "pids"}};
                for (size_t i = 0; i < 4; i++) {
                        snprintf(dir, sizeof(dir), "%s/%s/kata/kata_%s", f->root, ctl[i][1], sid);
                        assert_int_equal(kata_sandbox_state_set_cgroup(&st, ctl[i][0], dir, &err),
                                         0);
                }
        }
        if (with_container) {
                kata_container_state c = {0};
                snprintf(c.id, sizeof(c.id), "c1");
                c.status = KATA_CONTAINER_RUNNING;
                c.pid = 4242;
                c.ns_pid = 7;
                assert_int_equal(kata_sandbox_state_add_container(&st, &c, &err), 0);
        }
        if (kata_state_create(f->state, &st, &err) < 0)
                fail_msg("state: %s", err.msg);
        kata_sandbox_state_free(&st);
}

static int setup_common(void **state, bool v2)
{
        fixture *f = calloc(1, sizeof(*f));
        f->v2 = v2;
        f->base = fake_tree_new();
        snprintf(f->root, sizeof(f->root), "%s/cg", f->base);
        snprintf(f->mountinfo, sizeof(f->mountinfo), "%s/mountinfo", f->base);
        snprintf(f->proc_cgroups, sizeof(f->proc_cgroups), "%s/absent", f->base);
        snprintf(f->state, sizeof(f->state), "%s/state", f->base);
        snprintf(f->proc, sizeof(f->proc), "%s/proc", f->base);
        FILE *m = fopen(f->mountinfo, "w");
        if (v2) {
                mount_line(f, m, 30, "", "cgroup2", "nsdelegate");
                fake_write(f->root, "cgroup.controllers", "cpu memory pids\n");
                for (size_t i = 0; i < sizeof(v2_files) / sizeof(v2_files[0]); i++)
                        fake_write(f->root, v2_files[i][0], v2_files[i][1]);
        } else {
                mount_line(f, m, 31, "", "tmpfs", "mode=755");
                mount_line(f, m, 32, "/cpu,cpuacct", "cgroup", "cpu,cpuacct");
                mount_line(f, m, 33, "/memory", "cgroup", "memory");
                mount_line(f, m, 34, "/pids", "cgroup", "pids");
                mount_line(f, m, 35, "/unified", "cgroup2", "nsdelegate");
                fake_write(f->root, "unified/cgroup.controllers", "\n");
                for (size_t i = 0; i < sizeof(v1_files) / sizeof(v1_files[0]); i++)
                        fake_write(f->root, v1_files[i][0], v1_files[i][1]);
        }
        fclose(m);
        write_proc(f);
        write_state(f, "sb1", true);
        f->lopts = (kata_cgroup_layout_opts){f->root, f->mountinfo, f->proc_cgroups};
        kata_observe_opts o = {.state_root = f->state, .cgroups = &f->lopts, .proc_root = f->proc};
        kata_error err = KATA_ERROR_INIT;
        if (kata_observe_new(&o, &f->obs, &err) < 0)
                fail_msg("observe: %s", err.msg);
        *state = f;
        return 0;
}

static int setup_v1(void **state)
{
        return setup_common(state, false);
}

static int setup_v2(void **state)
{
        return setup_common(state, true);
}

static int teardown(void **state)
{
        fixture *f = *state;
        kata_observe_free(f->obs);
        fake_tree_free(f->base);
        free(f);
        return 0;
}

static void sample(fixture *f, const kata_observe_request *req, kata_observe_snapshot *s)
{
        kata_error err = KATA_ERROR_INIT;
        if (kata_observe_sample(f->obs, req, s, &err) < 0)
                fail_msg("sample: %s", err.msg);
}

static void test_v1_figures(void **state)
{
        fixture *f = *state;
        kata_observe_snapshot s;
        sample(f, NULL, &s);
        assert_int_equal(s.nsandboxes, 1);
        assert_int_equal(s.interval_ns, 0);
        const kata_observe_sandbox *sb = kata_observe_find_sandbox(&s, "sb1");
        assert_non_null(sb);
        assert_string_equal(sb->cgroup, "/kata/kata_sb1");
        assert_string_equal(sb->error, "");
        const kata_observe_usage *u = &sb->usage;
        assert_int_equal(u->source, KATA_OBSERVE_SOURCE_HOST);
        assert_true(u->cpu_valid);
        assert_int_equal(u->cpu_usage_ns, 1000000000);
        assert_false(u->cpu_percent_valid); /* first sample: no delta yet */
        assert_int_equal(u->cpu_periods, 10);
        assert_int_equal(u->cpu_throttled_periods, 3);
        assert_int_equal(u->cpu_throttled_ns, 5000);
        assert_true(u->memory_valid);
        assert_int_equal(u->memory_usage_bytes, 10485760);
        assert_true(u->memory_limit_bytes == KATA_OBSERVE_UNLIMITED);
        assert_int_equal(u->memory_working_set_bytes, 10485760 - 1048576);
        assert_int_equal(u->memory_cache_bytes, 4096);
        assert_int_equal(u->oom_kills, 2);
        assert_true(u->pids_valid);
        assert_int_equal(u->pids_current, 5);
        assert_true(u->pids_limit == KATA_OBSERVE_UNLIMITED);

        assert_int_equal(sb->ncontainers, 1);
        const kata_observe_container *c = kata_observe_find_container(sb, "c1");
        assert_non_null(c);
        assert_string_equal(c->cgroup, "/kata/kata_sb1/c1");
        assert_int_equal(c->usage.memory_limit_bytes, 268435456);
        assert_int_equal(c->usage.pids_limit, 64);
        assert_false(c->processes_listed); /* not asked for */
        kata_observe_snapshot_free(&s);

        /* One more second of CPU: the second sample has a CPU%. */
        fake_write(f->root, "cpu,cpuacct/kata/kata_sb1/cpuacct.usage", "2000000000\n");
        sample(f, NULL, &s);
        sb = kata_observe_find_sandbox(&s, "sb1");
        assert_true(sb->usage.cpu_percent_valid);
        assert_true(sb->usage.cpu_percent > 0);
        assert_true(s.interval_ns > 0);
        kata_observe_snapshot_free(&s);
}

static void test_v2_figures(void **state)
{
        fixture *f = *state;
        kata_observe_snapshot s;
        sample(f, NULL, &s);
        const kata_observe_sandbox *sb = kata_observe_find_sandbox(&s, "sb1");
        assert_non_null(sb);
        assert_string_equal(sb->cgroup, "/kata/kata_sb1");
        const kata_observe_usage *u = &sb->usage;
        assert_int_equal(u->cpu_usage_ns, 3000000);
        assert_int_equal(u->cpu_throttled_periods, 1);
        assert_int_equal(u->cpu_throttled_ns, 7000);
        assert_int_equal(u->memory_usage_bytes, 8192000);
        assert_true(u->memory_limit_bytes == KATA_OBSERVE_UNLIMITED);
        assert_int_equal(u->memory_working_set_bytes, 8192000 - 192000);
        assert_int_equal(u->memory_cache_bytes, 4096);
        assert_int_equal(u->oom_kills, 1);
        assert_int_equal(u->pids_current, 3);
        assert_int_equal(u->pids_limit, 100);
        const kata_observe_container *c = kata_observe_find_container(sb, "c1");
        assert_int_equal(c->usage.memory_limit_bytes, 1048576);
        /* No memory.stat: the working set is the usage. */
        assert_int_equal(c->usage.memory_working_set_bytes, 4096);
        kata_observe_snapshot_free(&s);
}

static void test_processes(void **state)
{
        fixture *f = *state;
        kata_observe_request req = {.sandbox_id = "sb1", .container_id = "c1"};
        kata_observe_snapshot s;
        sample(f, &req, &s);
        const kata_observe_container *c =
            kata_observe_find_container(kata_observe_find_sandbox(&s, "sb1"), "c1");
        assert_true(c->processes_listed);
        assert_int_equal(c->nprocesses, 1);
        const kata_observe_process *p = &c->processes[0];
        assert_int_equal(p->host_pid, 4242);
        /* The agent is one level down: the sandbox pid is NSpid's second entry, not the
         * container's own innermost 1. */
        assert_int_equal(p->sandbox_pid, 7);
        assert_int_equal(p->ppid, 4000);
        assert_string_equal(p->comm, "my (weird) comm");
        assert_string_equal(p->args, "sleep 100");
        assert_int_equal(p->state, 'S');
        assert_int_equal(p->uid, 1000);
        assert_int_equal(p->rss_bytes, 100 * (uint64_t)sysconf(_SC_PAGESIZE));
        assert_int_equal(p->cpu_time_ns, 200 * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK)));
        assert_false(p->cpu_percent_valid);
        kata_observe_snapshot_free(&s);

        /* Another sandbox's request lists nothing here. */
        kata_observe_request other = {.sandbox_id = "sb2"};
        sample(f, &other, &s);
        c = kata_observe_find_container(kata_observe_find_sandbox(&s, "sb1"), "c1");
        assert_false(c->processes_listed);
        kata_observe_snapshot_free(&s);
}

static void test_rows_come_and_go(void **state)
{
        fixture *f = *state;
        kata_observe_snapshot s;
        write_state(f, "sb2", false); /* no cgroup directories at all */
        sample(f, NULL, &s);
        assert_int_equal(s.nsandboxes, 2);
        const kata_observe_sandbox *sb2 = kata_observe_find_sandbox(&s, "sb2");
        assert_non_null(sb2);
        assert_int_equal(sb2->usage.source, KATA_OBSERVE_SOURCE_NONE);
        assert_string_equal(sb2->error, ""); /* being created: not an error */
        kata_observe_snapshot_free(&s);

        /* The container's cgroup vanishes: its row stays (state says it runs) with no
         * figures and a reason, and the sample succeeds. */
        char dir[700];
        const char *h[] = {"cpu,cpuacct", "memory", "pids"};
        for (size_t i = 0; i < 3; i++) {
                snprintf(dir, sizeof(dir), "rm -rf '%s/%s/kata/kata_sb1/c1'", f->root, h[i]);
                assert_int_equal(system(dir), 0);
        }
        sample(f, NULL, &s);
        const kata_observe_container *c =
            kata_observe_find_container(kata_observe_find_sandbox(&s, "sb1"), "c1");
        assert_int_equal(c->usage.source, KATA_OBSERVE_SOURCE_NONE);
        assert_string_equal(c->cgroup, "");
        assert_true(c->error[0] != '\0');
        kata_observe_snapshot_free(&s);

        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_state_remove(f->state, "sb1", &err), 0);
        sample(f, NULL, &s);
        assert_int_equal(s.nsandboxes, 1);
        assert_null(kata_observe_find_sandbox(&s, "sb1"));
        kata_observe_snapshot_free(&s);
}

static void test_only_selected_containers(void **state)
{
        fixture *f = *state;
        kata_observe_request req = {.only_selected_containers = true};
        kata_observe_snapshot s;
        sample(f, &req, &s);
        const kata_observe_sandbox *sb = kata_observe_find_sandbox(&s, "sb1");
        assert_true(sb->usage.memory_valid);
        assert_int_equal(sb->ncontainers, 1); /* listed, without figures */
        assert_int_equal(sb->containers[0].usage.source, KATA_OBSERVE_SOURCE_NONE);
        kata_observe_snapshot_free(&s);
        req.sandbox_id = "sb1";
        sample(f, &req, &s);
        sb = kata_observe_find_sandbox(&s, "sb1");
        assert_int_equal(sb->containers[0].usage.source, KATA_OBSERVE_SOURCE_HOST);
        kata_observe_snapshot_free(&s);
}

static void test_cpu_delta(void **state)
{
        (void)state;
        obs_entry e = {0};
        bool valid;
        double pct;
        obs_cpu_delta(&e, 1000, 5000000000ull, &valid, &pct);
        assert_false(valid);
        /* 1 s of CPU over 2 s of wall time: half a CPU. */
        obs_cpu_delta(&e, 1000 + 1000000000ull, 7000000000ull, &valid, &pct);
        assert_true(valid);
        assert_true(pct > 49.99 && pct < 50.01);
        /* Two CPUs busy: 200. */
        obs_cpu_delta(&e, 1000 + 3000000000ull, 8000000000ull, &valid, &pct);
        assert_true(pct > 199.99 && pct < 200.01);
        /* A counter that went back (a new cgroup under the same name): no figure. */
        obs_cpu_delta(&e, 10, 9000000000ull, &valid, &pct);
        assert_false(valid);
}

static void test_json(void **state)
{
        fixture *f = *state;
        kata_observe_request req = {.all_processes = true};
        kata_observe_snapshot s;
        sample(f, &req, &s);
        char *text = NULL;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_observe_snapshot_to_json(&s, &text, &err), 0);
        assert_null(strchr(text, '\n')); /* one line per frame */
        json_object *j = json_tokener_parse(text);
        assert_non_null(j);
        json_object *sbs, *sb, *v, *cs, *c, *ps;
        assert_true(json_object_object_get_ex(j, "sandboxes", &sbs));
        assert_int_equal(json_object_array_length(sbs), 1);
        sb = json_object_array_get_idx(sbs, 0);
        assert_true(json_object_object_get_ex(sb, "memory_usage_bytes", &v));
        assert_int_equal(json_object_get_int64(v), 10485760);
        /* Unlimited and not-yet-known figures are null, not a sentinel number. */
        assert_true(json_object_object_get_ex(sb, "memory_limit_bytes", &v));
        assert_null(v);
        assert_true(json_object_object_get_ex(sb, "cpu_percent", &v));
        assert_null(v);
        assert_true(json_object_object_get_ex(sb, "containers", &cs));
        c = json_object_array_get_idx(cs, 0);
        assert_true(json_object_object_get_ex(c, "pids_limit", &v));
        assert_int_equal(json_object_get_int64(v), 64);
        assert_true(json_object_object_get_ex(c, "processes", &ps));
        assert_int_equal(json_object_array_length(ps), 1);
        assert_true(json_object_object_get_ex(json_object_array_get_idx(ps, 0), "comm", &v));
        assert_string_equal(json_object_get_string(v), "my (weird) comm");
        json_object_put(j);
        free(text);
        kata_observe_snapshot_free(&s);
}

static void test_missing_state_root(void **state)
{
        (void)state;
        kata_observe_opts o = {.state_root = "/nonexistent/kata-observe-test"};
        kata_observe *obs = NULL;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_observe_new(&o, &obs, &err), 0);
        kata_observe_snapshot s;
        /* No root yet is no sandboxes, not an error (nothing ever ran). */
        assert_int_equal(kata_observe_sample(obs, NULL, &s, &err), 0);
        assert_int_equal(s.nsandboxes, 0);
        kata_observe_snapshot_free(&s);
        kata_observe_free(obs);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_v1_figures, setup_v1, teardown),
            cmocka_unit_test_setup_teardown(test_v2_figures, setup_v2, teardown),
            cmocka_unit_test_setup_teardown(test_processes, setup_v1, teardown),
            cmocka_unit_test_setup_teardown(test_rows_come_and_go, setup_v1, teardown),
            cmocka_unit_test_setup_teardown(test_only_selected_containers, setup_v1, teardown),
            cmocka_unit_test_setup_teardown(test_json, setup_v1, teardown),
            cmocka_unit_test(test_cpu_delta),
            cmocka_unit_test(test_missing_state_root),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
