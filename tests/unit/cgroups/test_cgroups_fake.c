/* The cgroupfs driver against fake v2 and hybrid (v1) trees: files are pre-created with
 * contents, the test checks what the driver wrote and how it parsed what it read. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroups/cgroups.h"
#include "fake_tree.h"

typedef struct fixture {
        char *base; /* temp dir: base/cg is the cgroup root */
        char root[512], mountinfo[512], proc[512];
        kata_cgroup_layout *layout;
} fixture;

static void mountinfo_line(fixture *f, FILE *m, int id, const char *mnt, const char *type,
                           const char *super)
{
        fprintf(m, "%d 1 0:%d / %s/cg%s rw,relatime - %s %s rw,%s\n", id, id, f->base, mnt, type,
                type, super);
}

static kata_cgroup_layout *detect(fixture *f)
{
        kata_cgroup_layout_opts o = {f->root, f->mountinfo, f->proc};
        kata_error err = KATA_ERROR_INIT;
        kata_cgroup_layout *l = NULL;
        if (kata_cgroup_layout_detect(&o, &l, &err) < 0)
                fail_msg("detect: %s", err.msg);
        return l;
}

/* ---- v2 ------------------------------------------------------------------------------ */

static const char *const v2_leaf_files[][2] = {
    {"cpu.weight", ""},
    {"cpu.max", "max 100000\n"},
    {"cpu.stat", "usage_usec 5000\nuser_usec 3000\nsystem_usec 2000\nnr_periods 7\n"
                 "nr_throttled 2\nthrottled_usec 40\n"},
    {"cpuset.cpus", ""},
    {"cpuset.mems", ""},
    {"memory.max", ""},
    {"memory.swap.max", ""},
    {"memory.low", ""},
    {"memory.current", "1048576\n"},
    {"memory.peak", "2097152\n"},
    {"memory.swap.current", "4096\n"},
    {"memory.events", "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n"},
    {"memory.stat", "anon 100\nfile 8192\nkernel 3\n"},
    {"pids.max", ""},
    {"pids.current", "3\n"},
    {"io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n"
                "8:16 rbytes=1000 wbytes=2000 rios=10 wios=20\n"},
    {"cgroup.procs", "12\n34\n"},
    {"cgroup.freeze", "0"},
    {"cgroup.events", "populated 1\nfrozen 1\n"},
    {"cgroup.subtree_control", ""},
};

static int setup_v2(void **state)
{
        fixture *f = calloc(1, sizeof(*f));
        f->base = fake_tree_new();
        snprintf(f->root, sizeof(f->root), "%s/cg", f->base);
        snprintf(f->mountinfo, sizeof(f->mountinfo), "%s/mountinfo", f->base);
        snprintf(f->proc, sizeof(f->proc), "%s/proc-cgroups-absent", f->base);
        FILE *m = fopen(f->mountinfo, "w");
        fprintf(m, "22 1 0:20 / /proc rw - proc proc rw\n");
        mountinfo_line(f, m, 30, "", "cgroup2", "nsdelegate");
        fclose(m);
        fake_write(f->root, "cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
        fake_write(f->root, "cgroup.subtree_control", "cpu\n");
        fake_write(f->root, "kata/cgroup.subtree_control", "");
        for (size_t i = 0; i < sizeof(v2_leaf_files) / sizeof(v2_leaf_files[0]); i++) {
                char rel[256];
                snprintf(rel, sizeof(rel), "kata/c1/%s", v2_leaf_files[i][0]);
                fake_write(f->root, rel, v2_leaf_files[i][1]);
        }
        f->layout = detect(f);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        fixture *f = *state;
        kata_cgroup_layout_free(f->layout);
        fake_tree_free(f->base);
        free(f);
        return 0;
}

static kata_cgroup *create(fixture *f, const char *rel)
{
        kata_cgroup *cg = NULL;
        kata_error err = KATA_ERROR_INIT;
        if (kata_cgroup_create(f->layout, rel, &cg, &err) < 0)
                fail_msg("create %s: %s", rel, err.msg);
        return cg;
}

static void test_v2_layout(void **state)
{
        fixture *f = *state;
        assert_int_equal(kata_cgroup_layout_mode(f->layout), KATA_CGROUP_MODE_V2);
        assert_string_equal(kata_cgroup_layout_unified(f->layout), f->root);
        static const enum kata_cgroup_controller on[] = {
            KATA_CGROUP_CPU,  KATA_CGROUP_CPUACCT, KATA_CGROUP_CPUSET, KATA_CGROUP_MEMORY,
            KATA_CGROUP_PIDS, KATA_CGROUP_FREEZER, KATA_CGROUP_BLKIO};
        for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
                assert_true(kata_cgroup_layout_on_v2(f->layout, on[i]));
                assert_string_equal(kata_cgroup_layout_mount(f->layout, on[i]), f->root);
        }
        assert_null(kata_cgroup_layout_mount(f->layout, KATA_CGROUP_DEVICES));
}

static void test_v2_create_enables_controllers(void **state)
{
        fixture *f = *state;
        kata_cgroup *cg = create(f, "/kata/c1");
        /* cpu was already enabled at the root: only the others are added. */
        assert_string_equal(fake_read(f->root, "cgroup.subtree_control"),
                            "+cpuset +memory +pids +io");
        assert_string_equal(fake_read(f->root, "kata/cgroup.subtree_control"),
                            "+cpu +cpuset +memory +pids +io");
        assert_string_equal(kata_cgroup_path(cg), "/kata/c1");
        kata_cgroup_free(cg);

        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_cgroup_create(f->layout, "/kata/../x", &cg, &err), -EINVAL);
        assert_int_equal(kata_cgroup_create(f->layout, "kata/c1", &cg, &err), -EINVAL);
        assert_int_equal(kata_cgroup_open(f->layout, "/nope", &cg, &err), -ENOENT);
}

static void test_v2_apply(void **state)
{
        fixture *f = *state;
        kata_cgroup *cg = create(f, "/kata/c1");
        kata_cgroup_resources res = {
            .has_cpu_shares = true,
            .cpu_shares = 1024,
            .has_cpu_quota = true,
            .cpu_quota = 50000,
            .cpuset_cpus = "0-1",
            .cpuset_mems = "0",
            .has_memory_limit = true,
            .memory_limit = 64 << 20,
            .has_memory_swap = true,
            .memory_swap = 128 << 20,
            .has_memory_reservation = true,
            .memory_reservation = 32 << 20,
            .has_pids_limit = true,
            .pids_limit = 10,
        };
        kata_cgroup_device_rule dev = {true, 'c', 1, 3, "rwm"};
        res.devices = &dev;
        res.n_devices = 1; /* v2: skipped with a warning, not an error */
        kata_error err = KATA_ERROR_INIT;
        if (kata_cgroup_apply(cg, &res, &err) < 0)
                fail_msg("%s", err.msg);
        assert_string_equal(fake_read(f->root, "kata/c1/cpu.weight"), "39");
        assert_string_equal(fake_read(f->root, "kata/c1/cpu.max"), "50000 100000");
        assert_string_equal(fake_read(f->root, "kata/c1/cpuset.cpus"), "0-1");
        assert_string_equal(fake_read(f->root, "kata/c1/cpuset.mems"), "0");
        assert_string_equal(fake_read(f->root, "kata/c1/memory.max"), "67108864");
        assert_string_equal(fake_read(f->root, "kata/c1/memory.swap.max"), "67108864");
        assert_string_equal(fake_read(f->root, "kata/c1/memory.low"), "33554432");
        assert_string_equal(fake_read(f->root, "kata/c1/pids.max"), "10");

        /* Swap below the limit is refused with a message. */
        res.memory_swap = 1 << 20;
        assert_int_equal(kata_cgroup_apply(cg, &res, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "below the memory limit"));
        kata_cgroup_free(cg);
}

static void test_v2_stats(void **state)
{
        fixture *f = *state;
        kata_cgroup *cg = create(f, "/kata/c1");
        kata_cgroup_stats s;
        kata_error err = KATA_ERROR_INIT;
        fake_write(f->root, "kata/c1/memory.max", "max\n");
        fake_write(f->root, "kata/c1/memory.swap.max", "1048576\n");
        fake_write(f->root, "kata/c1/pids.max", "20\n");
        if (kata_cgroup_stats_read(cg, &s, &err) < 0)
                fail_msg("%s", err.msg);
        assert_true(s.cpu.valid);
        assert_int_equal(s.cpu.usage_ns, 5000000);
        assert_int_equal(s.cpu.user_ns, 3000000);
        assert_int_equal(s.cpu.system_ns, 2000000);
        assert_int_equal(s.cpu.nr_periods, 7);
        assert_int_equal(s.cpu.nr_throttled, 2);
        assert_int_equal(s.cpu.throttled_ns, 40000);
        assert_int_equal(s.cpu.n_percpu, 0);
        assert_true(s.memory.valid);
        assert_int_equal(s.memory.usage, 1048576);
        assert_int_equal(s.memory.max_usage, 2097152);
        assert_int_equal(s.memory.failcnt, 5);
        assert_int_equal(s.memory.oom_kills, 1);
        assert_int_equal(s.memory.cache, 8192);
        assert_int_equal(s.memory.swap_usage, 4096);
        assert_true(s.memory.limit == KATA_CGROUP_UNLIMITED);
        assert_int_equal(s.memory.swap_limit, 1048576);
        assert_int_equal(s.pids.limit, 20);
        assert_true(s.pids.valid);
        assert_int_equal(s.pids.current, 3);
        assert_true(s.io.valid);
        assert_int_equal(s.io.n_devices, 2);
        assert_int_equal(s.io.read_bytes, 1100);
        assert_int_equal(s.io.write_bytes, 2200);
        assert_int_equal(s.io.read_ios, 11);
        assert_int_equal(s.io.write_ios, 22);
        assert_int_equal(s.io.devices[1].major, 8);
        assert_int_equal(s.io.devices[1].minor, 16);

        pid_t *pids = NULL;
        size_t n = 0;
        assert_int_equal(kata_cgroup_pids(cg, &pids, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_int_equal(pids[0], 12);
        assert_int_equal(pids[1], 34);
        free(pids);

        fake_write(f->root, "kata/c1/memory.current", "lots\n");
        assert_int_equal(kata_cgroup_stats_read(cg, &s, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "memory.current"));
        kata_cgroup_free(cg);
}

static void test_v2_freeze(void **state)
{
        fixture *f = *state;
        kata_cgroup *cg = create(f, "/kata/c1");
        kata_error err = KATA_ERROR_INIT;
        if (kata_cgroup_freeze(cg, true, 100, &err) < 0)
                fail_msg("%s", err.msg);
        assert_string_equal(fake_read(f->root, "kata/c1/cgroup.freeze"), "1");
        /* cgroup.events keeps saying frozen: thawing must time out, not hang. */
        assert_int_equal(kata_cgroup_freeze(cg, false, 30, &err), -ETIMEDOUT);
        assert_non_null(strstr(err.msg, "not thawed"));
        assert_string_equal(fake_read(f->root, "kata/c1/cgroup.freeze"), "0");
        fake_write(f->root, "kata/c1/cgroup.events", "populated 1\nfrozen 0\n");
        assert_int_equal(kata_cgroup_freeze(cg, false, 100, &err), 0);
        kata_cgroup_free(cg);
}

static void test_v2_oom(void **state)
{
        fixture *f = *state;
        kata_cgroup *cg = create(f, "/kata/c1");
        kata_cgroup_oom *w = NULL;
        kata_error err = KATA_ERROR_INIT;
        if (kata_cgroup_oom_watch(cg, &w, &err) < 0)
                fail_msg("%s", err.msg);
        struct pollfd p = {kata_cgroup_oom_fd(w), POLLIN, 0};
        assert_int_equal(poll(&p, 1, 0), 0);
        assert_int_equal(kata_cgroup_oom_consume(w, &err), 0); /* nothing yet, no blocking */

        fake_write(f->root, "kata/c1/memory.events", "low 0\nhigh 0\nmax 9\noom 3\noom_kill 3\n");
        assert_int_equal(poll(&p, 1, 1000), 1);
        assert_int_equal(kata_cgroup_oom_consume(w, &err), 2);
        assert_int_equal(kata_cgroup_oom_consume(w, &err), 0);

        char path[600];
        snprintf(path, sizeof(path), "%s/kata/c1/memory.events", f->root);
        unlink(path);
        assert_int_equal(poll(&p, 1, 1000), 1);
        assert_int_equal(kata_cgroup_oom_consume(w, &err), -ENOENT);
        kata_cgroup_oom_free(w);
        kata_cgroup_free(cg);
}

/* ---- hybrid (v1 controllers + empty cgroup2), as on this host --------------------------- */

static const struct {
        const char *mnt, *super;
} v1_mounts[] = {
    {"/cpu", "cpu"},         {"/cpuacct", "cpuacct"}, {"/cpuset", "cpuset"},
    {"/memory", "memory"},   {"/devices", "devices"}, {"/freezer", "freezer"},
    {"/blkio", "blkio"},     {"/pids", "pids"},       {"/systemd", "xattr,name=systemd"},
    {"/net_cls", "net_cls"},
};

static const char *const v1_leaf_files[][2] = {
    {"cpu/kata-x/cpu.shares", ""},
    {"cpu/kata-x/cpu.cfs_period_us", ""},
    {"cpu/kata-x/cpu.cfs_quota_us", ""},
    {"cpu/kata-x/cpu.stat", "nr_periods 4\nnr_throttled 1\nthrottled_time 999\n"},
    {"cpu/kata-x/cgroup.procs", ""},
    {"cpuacct/kata-x/cpuacct.usage", "123456\n"},
    {"cpuacct/kata-x/cpuacct.stat", "user 3\nsystem 1\n"},
    {"cpuacct/kata-x/cpuacct.usage_percpu", "100000 23456 0 \n"},
    {"cpuacct/kata-x/cgroup.procs", ""},
    {"cpuset/cpuset.cpus", "0-3\n"},
    {"cpuset/cpuset.mems", "0\n"},
    {"cpuset/kata-x/cpuset.cpus", "\n"},
    {"cpuset/kata-x/cpuset.mems", "\n"},
    {"cpuset/kata-x/cgroup.procs", ""},
    {"memory/kata-x/memory.limit_in_bytes", ""},
    {"memory/kata-x/memory.memsw.limit_in_bytes", ""},
    {"memory/kata-x/memory.soft_limit_in_bytes", ""},
    {"memory/kata-x/memory.usage_in_bytes", "4096000\n"},
    {"memory/kata-x/memory.max_usage_in_bytes", "8192000\n"},
    {"memory/kata-x/memory.failcnt", "6\n"},
    {"memory/kata-x/memory.memsw.usage_in_bytes", "4100096\n"},
    {"memory/kata-x/memory.stat", "cache 100\nrss 5\ntotal_cache 300\n"},
    {"memory/kata-x/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"},
    {"memory/kata-x/cgroup.event_control", ""},
    {"memory/kata-x/cgroup.procs", ""},
    {"devices/kata-x/devices.allow", ""},
    {"devices/kata-x/devices.deny", ""},
    {"devices/kata-x/cgroup.procs", ""},
    {"freezer/kata-x/freezer.state", "THAWED\n"},
    {"freezer/kata-x/cgroup.procs", ""},
    {"blkio/kata-x/blkio.throttle.io_service_bytes_recursive",
     "8:0 Read 100\n8:0 Write 200\n8:0 Sync 300\n8:0 Total 300\nTotal 300\n"},
    {"blkio/kata-x/blkio.throttle.io_serviced_recursive",
     "8:0 Read 1\n8:0 Write 2\n8:0 Total 3\nTotal 3\n"},
    {"blkio/kata-x/cgroup.procs", ""},
    {"pids/kata-x/pids.max", ""},
    {"pids/kata-x/pids.current", "2\n"},
    {"pids/kata-x/cgroup.procs", "77\n"},
    {"systemd/kata-x/cgroup.procs", ""},
    {"unified/kata-x/cgroup.procs", ""},
    {"unified/cgroup.controllers", "\n"},
};

static int setup_hybrid(void **state)
{
        fixture *f = calloc(1, sizeof(*f));
        f->base = fake_tree_new();
        snprintf(f->root, sizeof(f->root), "%s/cg", f->base);
        snprintf(f->mountinfo, sizeof(f->mountinfo), "%s/mountinfo", f->base);
        snprintf(f->proc, sizeof(f->proc), "%s/cgroups", f->base);
        FILE *m = fopen(f->mountinfo, "w");
        mountinfo_line(f, m, 31, "", "tmpfs", "mode=755");
        for (size_t i = 0; i < sizeof(v1_mounts) / sizeof(v1_mounts[0]); i++)
                mountinfo_line(f, m, 32 + (int)i, v1_mounts[i].mnt, "cgroup", v1_mounts[i].super);
        mountinfo_line(f, m, 50, "/unified", "cgroup2", "nsdelegate");
        /* Outside the root: ignored. */
        fprintf(m, "60 1 0:60 / /elsewhere/memory rw - cgroup cgroup rw,memory\n");
        fclose(m);
        fake_write(f->base, "cgroups",
                   "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t3\t1\t1\n"
                   "cpu\t1\t1\t1\ncpuacct\t2\t1\t1\nblkio\t7\t1\t1\nmemory\t4\t1\t1\n"
                   "devices\t5\t1\t1\nfreezer\t6\t1\t1\nnet_cls\t0\t1\t1\npids\t8\t1\t1\n");
        for (size_t i = 0; i < sizeof(v1_leaf_files) / sizeof(v1_leaf_files[0]); i++)
                fake_write(f->root, v1_leaf_files[i][0], v1_leaf_files[i][1]);
        f->layout = detect(f);
        *state = f;
        return 0;
}

static void test_hybrid_layout(void **state)
{
        fixture *f = *state;
        assert_int_equal(kata_cgroup_layout_mode(f->layout), KATA_CGROUP_MODE_HYBRID);
        assert_string_equal(kata_cgroup_mode_name(KATA_CGROUP_MODE_HYBRID), "hybrid");
        char want[600];
        snprintf(want, sizeof(want), "%s/memory", f->root);
        assert_string_equal(kata_cgroup_layout_mount(f->layout, KATA_CGROUP_MEMORY), want);
        snprintf(want, sizeof(want), "%s/unified", f->root);
        assert_string_equal(kata_cgroup_layout_unified(f->layout), want);
        for (int c = 0; c < KATA_CGROUP_NR_CONTROLLERS; c++) {
                assert_non_null(kata_cgroup_layout_mount(f->layout, c));
                assert_false(kata_cgroup_layout_on_v2(f->layout, c));
        }
}

static void test_hybrid_create_add_apply(void **state)
{
        fixture *f = *state;
        kata_cgroup *cg = create(f, "/kata-x");
        /* v1 cpuset: the empty cpus/mems were inherited from the parent. */
        assert_string_equal(fake_read(f->root, "cpuset/kata-x/cpuset.cpus"), "0-3");
        assert_string_equal(fake_read(f->root, "cpuset/kata-x/cpuset.mems"), "0");
        char want[600];
        snprintf(want, sizeof(want), "%s/freezer/kata-x", f->root);
        assert_string_equal(kata_cgroup_dir(cg, KATA_CGROUP_FREEZER), want);

        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_cgroup_add_pid(cg, 4242, &err), 0);
        /* Every hierarchy, name=systemd and cgroup2 included. */
        static const char *const procs[] = {"cpu",     "cpuacct", "cpuset", "memory",  "devices",
                                            "freezer", "blkio",   "pids",   "systemd", "unified"};
        for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
                char rel[64];
                snprintf(rel, sizeof(rel), "%s/kata-x/cgroup.procs", procs[i]);
                assert_string_equal(fake_read(f->root, rel), "4242");
        }
        assert_false(fake_exists(f->root, "net_cls/kata-x"));

        kata_cgroup_device_rule deny = {false, 'a', -1, -1, "rwm"};
        kata_cgroup_resources res = {
            .has_cpu_shares = true,
            .cpu_shares = 512,
            .has_cpu_quota = true,
            .cpu_quota = 20000,
            .has_cpu_period = true,
            .cpu_period = 100000,
            .has_memory_limit = true,
            .memory_limit = 32 << 20,
            .has_memory_swap = true,
            .memory_swap = -1,
            .has_memory_reservation = true,
            .memory_reservation = 16 << 20,
            .has_pids_limit = true,
            .pids_limit = 0,
            .devices = &deny,
            .n_devices = 1,
        };
        if (kata_cgroup_apply(cg, &res, &err) < 0)
                fail_msg("%s", err.msg);
        assert_string_equal(fake_read(f->root, "cpu/kata-x/cpu.shares"), "512");
        assert_string_equal(fake_read(f->root, "cpu/kata-x/cpu.cfs_period_us"), "100000");
        assert_string_equal(fake_read(f->root, "cpu/kata-x/cpu.cfs_quota_us"), "20000");
        assert_string_equal(fake_read(f->root, "memory/kata-x/memory.limit_in_bytes"), "33554432");
        assert_string_equal(fake_read(f->root, "memory/kata-x/memory.memsw.limit_in_bytes"), "-1");
        assert_string_equal(fake_read(f->root, "memory/kata-x/memory.soft_limit_in_bytes"),
                            "16777216");
        assert_string_equal(fake_read(f->root, "pids/kata-x/pids.max"), "max");
        assert_string_equal(fake_read(f->root, "devices/kata-x/devices.deny"), "a");

        kata_cgroup_device_rule allow = {true, 'c', 1, -1, "rw"};
        res = (kata_cgroup_resources){.devices = &allow, .n_devices = 1};
        assert_int_equal(kata_cgroup_apply(cg, &res, &err), 0);
        assert_string_equal(fake_read(f->root, "devices/kata-x/devices.allow"), "c 1:* rw");

        kata_cgroup_device_rule bad = {true, 'x', 1, 3, "rw"};
        res.devices = &bad;
        assert_int_equal(kata_cgroup_apply(cg, &res, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "type 'x'"));
        kata_cgroup_free(cg);
}

static void test_hybrid_stats_freeze_oom(void **state)
{
        fixture *f = *state;
        kata_cgroup *cg = create(f, "/kata-x");
        kata_cgroup_stats s;
        kata_error err = KATA_ERROR_INIT;
        fake_write(f->root, "memory/kata-x/memory.limit_in_bytes", "9223372036854771712\n");
        fake_write(f->root, "memory/kata-x/memory.memsw.limit_in_bytes", "9223372036854771712\n");
        fake_write(f->root, "pids/kata-x/pids.max", "max\n");
        if (kata_cgroup_stats_read(cg, &s, &err) < 0)
                fail_msg("%s", err.msg);
        assert_int_equal(s.cpu.usage_ns, 123456); /* the per-cpu sum */
        long hz = sysconf(_SC_CLK_TCK);
        assert_int_equal(s.cpu.user_ns, 3 * (1000000000 / hz)); /* cpuacct.stat ticks */
        assert_int_equal(s.cpu.system_ns, 1 * (1000000000 / hz));
        assert_int_equal(s.cpu.n_percpu, 3);
        assert_int_equal(s.cpu.percpu_ns[1], 23456);
        assert_int_equal(s.cpu.nr_periods, 4);
        assert_int_equal(s.cpu.nr_throttled, 1);
        assert_int_equal(s.cpu.throttled_ns, 999);
        assert_int_equal(s.memory.usage, 4096000);
        assert_int_equal(s.memory.max_usage, 8192000);
        assert_int_equal(s.memory.failcnt, 6);
        assert_true(s.memory.limit == KATA_CGROUP_UNLIMITED);
        assert_true(s.memory.swap_limit == KATA_CGROUP_UNLIMITED);
        assert_int_equal(s.memory.swap_usage, 4096);
        assert_int_equal(s.memory.cache, 300);
        assert_int_equal(s.memory.oom_kills, 3);
        assert_int_equal(s.pids.current, 2);
        assert_true(s.pids.limit == KATA_CGROUP_UNLIMITED);

        /* Kernels with cpuacct.usage_all: user and system from there, in ns. */
        fake_write(f->root, "cpuacct/kata-x/cpuacct.usage_all",
                   "cpu user system\n0 1000 200\n1 30 4\n2 0 0\n");
        assert_int_equal(kata_cgroup_stats_read(cg, &s, &err), 0);
        assert_int_equal(s.cpu.usage_ns, 123456);
        assert_int_equal(s.cpu.user_ns, 1030);
        assert_int_equal(s.cpu.system_ns, 204);
        assert_int_equal(s.cpu.n_percpu, 3);
        fake_write(f->root, "cpuacct/kata-x/cpuacct.usage_all", "cpu user system\n0 x y\n");
        assert_int_equal(kata_cgroup_stats_read(cg, &s, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "cpuacct.usage_all"));
        fake_write(f->root, "cpuacct/kata-x/cpuacct.usage_all", "cpu user system\n0 1 2\n");
        assert_int_equal(kata_cgroup_stats_read(cg, &s, &err), 0);

        assert_int_equal(s.io.read_bytes, 100);
        assert_int_equal(s.io.write_bytes, 200);
        assert_int_equal(s.io.read_ios, 1);
        assert_int_equal(s.io.write_ios, 2);

        pid_t *pids;
        size_t n;
        assert_int_equal(kata_cgroup_pids(cg, &pids, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_int_equal(pids[0], 77);
        free(pids);

        assert_int_equal(kata_cgroup_freeze(cg, true, 100, &err), 0);
        assert_string_equal(fake_read(f->root, "freezer/kata-x/freezer.state"), "FROZEN\n");
        assert_int_equal(kata_cgroup_freeze(cg, false, 100, &err), 0);
        assert_string_equal(fake_read(f->root, "freezer/kata-x/freezer.state"), "THAWED\n");

        /* v1 OOM: registration written as "<eventfd> <oom_control fd>". */
        kata_cgroup_oom *w = NULL;
        if (kata_cgroup_oom_watch(cg, &w, &err) < 0)
                fail_msg("%s", err.msg);
        int efd, cfd;
        assert_int_equal(
            sscanf(fake_read(f->root, "memory/kata-x/cgroup.event_control"), "%d %d", &efd, &cfd),
            2);
        assert_int_equal(efd, kata_cgroup_oom_fd(w));
        /* Simulate the kernel: bump oom_kill and signal the eventfd. */
        fake_write(f->root, "memory/kata-x/memory.oom_control",
                   "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
        uint64_t one = 1;
        assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
        struct pollfd p = {efd, POLLIN, 0};
        assert_int_equal(poll(&p, 1, 1000), 1);
        assert_int_equal(kata_cgroup_oom_consume(w, &err), 1);
        assert_int_equal(poll(&p, 1, 0), 0);
        kata_cgroup_oom_free(w);
        kata_cgroup_free(cg);
}

typedef struct reader {
        kata_cgroup *cg;
        int failures;
} reader;

static void *read_stats_loop(void *arg)
{
        reader *r = arg;
        kata_cgroup_stats *s = malloc(sizeof(*s));
        for (int i = 0; i < 200; i++) {
                kata_error err = KATA_ERROR_INIT;
                if (kata_cgroup_stats_read(r->cg, s, &err) < 0 || s->memory.usage != 4096000)
                        r->failures++;
        }
        free(s);
        return NULL;
}

/* One handle, several threads: stats readers while the main thread freezes and thaws. */
static void test_hybrid_concurrent_use(void **state)
{
        fixture *f = *state;
        kata_cgroup *cg = create(f, "/kata-x");
        fake_write(f->root, "memory/kata-x/memory.limit_in_bytes", "1048576\n");
        fake_write(f->root, "memory/kata-x/memory.memsw.limit_in_bytes", "1048576\n");
        fake_write(f->root, "memory/kata-x/memory.soft_limit_in_bytes", "0\n");
        fake_write(f->root, "pids/kata-x/pids.max", "max\n");
        reader readers[4];
        pthread_t t[4];
        for (int i = 0; i < 4; i++) {
                readers[i] = (reader){cg, 0};
                assert_int_equal(pthread_create(&t[i], NULL, read_stats_loop, &readers[i]), 0);
        }
        for (int i = 0; i < 50; i++) {
                kata_error err = KATA_ERROR_INIT;
                if (kata_cgroup_freeze(cg, i % 2 == 0, 100, &err) < 0)
                        fail_msg("%s", err.msg);
        }
        for (int i = 0; i < 4; i++) {
                pthread_join(t[i], NULL);
                assert_int_equal(readers[i].failures, 0);
        }
        kata_cgroup_free(cg);
}

static void test_hybrid_proc_cgroups_disabled(void **state)
{
        fixture *f = *state;
        fake_write(f->base, "cgroups",
                   "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
                   "memory\t4\t1\t0\n");
        kata_cgroup_layout *l = detect(f);
        assert_null(kata_cgroup_layout_mount(l, KATA_CGROUP_MEMORY));
        assert_non_null(kata_cgroup_layout_mount(l, KATA_CGROUP_PIDS));
        kata_cgroup *cg = NULL;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_cgroup_create(l, "/kata-x", &cg, &err), 0);
        kata_cgroup_resources res = {.has_memory_limit = true, .memory_limit = 1 << 20};
        assert_int_equal(kata_cgroup_apply(cg, &res, &err), -ENOTSUP);
        assert_non_null(strstr(err.msg, "memory controller"));
        kata_cgroup_free(cg);
        kata_cgroup_layout_free(l);
}

/* Merged per controller: memory and cpu on v1, pids and io on cgroup2 (a host booted with
 * cgroup_no_v1=pids,blkio). Each part comes from its own hierarchy. */
static void test_hybrid_merged_per_controller(void **state)
{
        fixture f = {0};
        f.base = fake_tree_new();
        snprintf(f.root, sizeof(f.root), "%s/cg", f.base);
        snprintf(f.mountinfo, sizeof(f.mountinfo), "%s/mountinfo", f.base);
        snprintf(f.proc, sizeof(f.proc), "%s/none", f.base);
        FILE *m = fopen(f.mountinfo, "w");
        mountinfo_line(&f, m, 32, "/memory", "cgroup", "memory");
        mountinfo_line(&f, m, 33, "/cpu,cpuacct", "cgroup", "cpu,cpuacct");
        mountinfo_line(&f, m, 34, "/unified", "cgroup2", "nsdelegate");
        fclose(m);
        fake_write(f.root, "unified/cgroup.controllers", "pids io\n");
        fake_write(f.root, "unified/cgroup.subtree_control", "\n");
        fake_write(f.root, "unified/k/pids.current", "4\n");
        fake_write(f.root, "unified/k/pids.max", "");
        fake_write(f.root, "unified/k/cgroup.procs", "");
        fake_write(f.root, "unified/k/cgroup.freeze", "");
        fake_write(f.root, "unified/k/io.stat", "");
        fake_write(f.root, "memory/k/memory.usage_in_bytes", "100\n");
        fake_write(f.root, "cpu,cpuacct/k/cpuacct.usage", "7\n");
        f.layout = detect(&f);
        assert_int_equal(kata_cgroup_layout_mode(f.layout), KATA_CGROUP_MODE_HYBRID);
        assert_true(kata_cgroup_layout_on_v2(f.layout, KATA_CGROUP_PIDS));
        assert_true(kata_cgroup_layout_on_v2(f.layout, KATA_CGROUP_BLKIO));
        assert_true(kata_cgroup_layout_on_v2(f.layout, KATA_CGROUP_FREEZER));
        assert_false(kata_cgroup_layout_on_v2(f.layout, KATA_CGROUP_MEMORY));
        assert_false(kata_cgroup_layout_on_v2(f.layout, KATA_CGROUP_CPUACCT));
        assert_string_equal(kata_cgroup_layout_mount(f.layout, KATA_CGROUP_CPU),
                            kata_cgroup_layout_mount(f.layout, KATA_CGROUP_CPUACCT));
        assert_null(kata_cgroup_layout_mount(f.layout, KATA_CGROUP_CPUSET));

        kata_cgroup *cg = create(&f, "/k");
        assert_string_equal(fake_read(f.root, "unified/cgroup.subtree_control"), "+pids +io");
        kata_cgroup_resources res = {.has_pids_limit = true, .pids_limit = 5};
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_cgroup_apply(cg, &res, &err), 0);
        assert_string_equal(fake_read(f.root, "unified/k/pids.max"), "5");
        fake_write(f.root, "unified/k/pids.max", "5\n");
        kata_cgroup_stats s;
        if (kata_cgroup_stats_read(cg, &s, &err) < 0)
                fail_msg("%s", err.msg);
        assert_int_equal(s.pids.current, 4);
        assert_int_equal(s.pids.limit, 5);
        assert_int_equal(s.memory.usage, 100);
        assert_int_equal(s.cpu.usage_ns, 7);
        assert_true(s.io.valid);
        assert_int_equal(s.io.n_devices, 0);
        /* Freezing goes through cgroup2's cgroup.freeze, there being no v1 freezer. */
        fake_write(f.root, "unified/k/cgroup.events", "populated 1\nfrozen 1\n");
        assert_int_equal(kata_cgroup_freeze(cg, true, 100, &err), 0);
        assert_string_equal(fake_read(f.root, "unified/k/cgroup.freeze"), "1");
        kata_cgroup_free(cg);
        kata_cgroup_layout_free(f.layout);
        fake_tree_free(f.base);
}

/* Delete removes only what the handle created, leaf first. Hierarchies without
 * controller files (pids, name=systemd) so that mkdir on the fake tree is enough. */
static void test_delete_created_only(void **state)
{
        fixture f = {0};
        f.base = fake_tree_new();
        snprintf(f.root, sizeof(f.root), "%s/cg", f.base);
        snprintf(f.mountinfo, sizeof(f.mountinfo), "%s/mountinfo", f.base);
        snprintf(f.proc, sizeof(f.proc), "%s/none", f.base);
        FILE *m = fopen(f.mountinfo, "w");
        mountinfo_line(&f, m, 32, "/pids", "cgroup", "pids");
        mountinfo_line(&f, m, 33, "/systemd", "cgroup", "name=systemd");
        fclose(m);
        fake_mkdir(f.root, "pids/shared/other");
        fake_mkdir(f.root, "systemd");
        f.layout = detect(&f);
        assert_int_equal(kata_cgroup_layout_mode(f.layout), KATA_CGROUP_MODE_V1);
        kata_cgroup *cg = create(&f, "/shared/new/leaf");
        assert_true(fake_exists(f.root, "pids/shared/new/leaf"));
        assert_true(fake_exists(f.root, "systemd/shared/new/leaf"));
        kata_error err = KATA_ERROR_INIT;
        if (kata_cgroup_delete(cg, 100, &err) < 0)
                fail_msg("%s", err.msg);
        assert_false(fake_exists(f.root, "pids/shared/new"));
        assert_true(fake_exists(f.root, "pids/shared/other"));
        assert_false(fake_exists(f.root, "systemd/shared"));
        /* Deleting again: nothing left, not an error. */
        assert_int_equal(kata_cgroup_delete(cg, 100, &err), 0);
        kata_cgroup_free(cg);

        /* An opened (not created) handle removes only its leaf. */
        fake_mkdir(f.root, "pids/a/b");
        assert_int_equal(kata_cgroup_open(f.layout, "/a/b", &cg, &err), 0);
        assert_int_equal(kata_cgroup_delete(cg, 100, &err), 0);
        assert_false(fake_exists(f.root, "pids/a/b"));
        assert_true(fake_exists(f.root, "pids/a"));
        kata_cgroup_free(cg);
        kata_cgroup_layout_free(f.layout);
        fake_tree_free(f.base);
}

/* The agent's case: its mount namespace inherited the host's hybrid mounts, then it
 * mounted a cgroup2 over the root. Only the top mounts count. */
static void test_layout_shadowed_mounts(void **state)
{
        fixture f = {0};
        f.base = fake_tree_new();
        snprintf(f.root, sizeof(f.root), "%s/cg", f.base);
        snprintf(f.mountinfo, sizeof(f.mountinfo), "%s/mountinfo", f.base);
        snprintf(f.proc, sizeof(f.proc), "%s/none", f.base);
        FILE *m = fopen(f.mountinfo, "w");
        fprintf(m, "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n");
        mountinfo_line(&f, m, 31, "", "tmpfs", "mode=755");
        mountinfo_line(&f, m, 32, "/memory", "cgroup", "memory");
        mountinfo_line(&f, m, 33, "/unified", "cgroup2", "nsdelegate");
        mountinfo_line(&f, m, 40, "", "cgroup2", "nsdelegate");
        fclose(m);
        fake_write(f.root, "cgroup.controllers", "memory pids\n");
        kata_cgroup_layout *l = detect(&f);
        assert_int_equal(kata_cgroup_layout_mode(l), KATA_CGROUP_MODE_V2);
        assert_true(kata_cgroup_layout_on_v2(l, KATA_CGROUP_MEMORY));
        assert_string_equal(kata_cgroup_layout_mount(l, KATA_CGROUP_MEMORY), f.root);
        kata_cgroup_layout_free(l);

        /* And the other way: tmpfs plus v1 mounts over an inherited cgroup2. */
        m = fopen(f.mountinfo, "w");
        mountinfo_line(&f, m, 40, "", "cgroup2", "nsdelegate");
        mountinfo_line(&f, m, 41, "", "tmpfs", "mode=755");
        mountinfo_line(&f, m, 42, "/pids", "cgroup", "pids");
        fclose(m);
        l = detect(&f);
        assert_int_equal(kata_cgroup_layout_mode(l), KATA_CGROUP_MODE_V1);
        assert_null(kata_cgroup_layout_unified(l));
        assert_null(kata_cgroup_layout_mount(l, KATA_CGROUP_MEMORY));
        assert_non_null(kata_cgroup_layout_mount(l, KATA_CGROUP_PIDS));
        kata_cgroup_layout_free(l);
        fake_tree_free(f.base);
}

/* A create that fails part-way removes what it made and nothing that was there before. */
static void test_create_rollback(void **state)
{
        fixture f = {0};
        f.base = fake_tree_new();
        snprintf(f.root, sizeof(f.root), "%s/cg", f.base);
        snprintf(f.mountinfo, sizeof(f.mountinfo), "%s/mountinfo", f.base);
        snprintf(f.proc, sizeof(f.proc), "%s/none", f.base);
        FILE *m = fopen(f.mountinfo, "w");
        mountinfo_line(&f, m, 32, "/pids", "cgroup", "pids");
        mountinfo_line(&f, m, 33, "/cpuset", "cgroup", "cpuset");
        fclose(m);
        fake_mkdir(f.root, "pids/pre");
        fake_mkdir(f.root, "cpuset"); /* no cpuset.cpus: the create fails there */
        f.layout = detect(&f);
        kata_cgroup *cg = NULL;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_cgroup_create(f.layout, "/pre/leaf", &cg, &err), -ENOENT);
        assert_null(cg);
        assert_non_null(strstr(err.msg, "cpuset.cpus"));
        assert_false(fake_exists(f.root, "pids/pre/leaf"));
        assert_true(fake_exists(f.root, "pids/pre"));
        assert_false(fake_exists(f.root, "cpuset/pre"));
        kata_cgroup_layout_free(f.layout);
        fake_tree_free(f.base);
}

static void test_layout_errors(void **state)
{
        char *base = fake_tree_new();
        char mi[600];
        snprintf(mi, sizeof(mi), "%s/mountinfo", base);
        fake_write(base, "mountinfo",
                   "22 1 0:20 / /proc rw - proc proc rw\n"
                   "garbage line\n\n");
        kata_cgroup_layout_opts o = {"/sys/fs/cgroup", mi, mi};
        kata_cgroup_layout *l = NULL;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_cgroup_layout_detect(&o, &l, &err), -ENOENT);
        assert_null(l);
        assert_non_null(strstr(err.msg, "no cgroup"));
        o.mountinfo = "/nonexistent/mountinfo";
        assert_int_equal(kata_cgroup_layout_detect(&o, &l, &err), -ENOENT);

        /* Escaped spaces in mount points (\040). */
        char line[800];
        snprintf(line, sizeof(line), "30 1 0:30 / %s/my\\040cg rw - cgroup2 cgroup2 rw\n", base);
        fake_write(base, "mountinfo", line);
        char root[600];
        snprintf(root, sizeof(root), "%s/my cg", base);
        fake_write(root, "cgroup.controllers", "memory\n");
        o.root = root;
        o.mountinfo = mi;
        assert_int_equal(kata_cgroup_layout_detect(&o, &l, &err), 0);
        assert_int_equal(kata_cgroup_layout_mode(l), KATA_CGROUP_MODE_V2);
        assert_string_equal(kata_cgroup_layout_mount(l, KATA_CGROUP_MEMORY), root);
        assert_null(kata_cgroup_layout_mount(l, KATA_CGROUP_PIDS));
        kata_cgroup_layout_free(l);
        fake_tree_free(base);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_v2_layout, setup_v2, teardown),
            cmocka_unit_test_setup_teardown(test_v2_create_enables_controllers, setup_v2, teardown),
            cmocka_unit_test_setup_teardown(test_v2_apply, setup_v2, teardown),
            cmocka_unit_test_setup_teardown(test_v2_stats, setup_v2, teardown),
            cmocka_unit_test_setup_teardown(test_v2_freeze, setup_v2, teardown),
            cmocka_unit_test_setup_teardown(test_v2_oom, setup_v2, teardown),
            cmocka_unit_test_setup_teardown(test_hybrid_layout, setup_hybrid, teardown),
            cmocka_unit_test_setup_teardown(test_hybrid_create_add_apply, setup_hybrid, teardown),
            cmocka_unit_test_setup_teardown(test_hybrid_stats_freeze_oom, setup_hybrid, teardown),
            cmocka_unit_test_setup_teardown(test_hybrid_concurrent_use, setup_hybrid, teardown),
            cmocka_unit_test_setup_teardown(test_hybrid_proc_cgroups_disabled, setup_hybrid,
                                            teardown),
            cmocka_unit_test(test_hybrid_merged_per_controller),
            cmocka_unit_test(test_delete_created_only),
            cmocka_unit_test(test_layout_shadowed_mounts),
            cmocka_unit_test(test_create_rollback),
            cmocka_unit_test(test_layout_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
