/* The driver matrix of the seed and the cgroupsPath mapping, escapes included. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroups/cgroups.h"

static void test_systemd_form(void **state)
{
        assert_true(kata_cgroup_path_is_systemd("system.slice:kata:abc"));
        assert_true(kata_cgroup_path_is_systemd("a-b.slice:cri-containerd:0123_x.y"));
        assert_false(kata_cgroup_path_is_systemd(NULL));
        assert_false(kata_cgroup_path_is_systemd(""));
        assert_false(kata_cgroup_path_is_systemd("/kubepods/pod1/abc"));
        assert_false(kata_cgroup_path_is_systemd("system.slice:kata"));
        assert_false(kata_cgroup_path_is_systemd("a:b:c:d"));
        assert_false(kata_cgroup_path_is_systemd("::"));
        assert_false(kata_cgroup_path_is_systemd("system.slice::abc"));
        assert_false(kata_cgroup_path_is_systemd("system.slice:ka/ta:abc"));
        assert_false(kata_cgroup_path_is_systemd("system.slice:kata:a b"));
}

/* init x systemd running x path form: every cell. */
static void test_driver_matrix(void **state)
{
        static const struct {
                bool init, systemd;
                const char *path;
                enum kata_cgroup_driver wanted;
                const char *reason_has;
        } cells[] = {
            {true, true, "system.slice:kata:abc", KATA_CGROUP_DRIVER_CGROUPFS, "init"},
            {true, false, "system.slice:kata:abc", KATA_CGROUP_DRIVER_CGROUPFS, "init"},
            {true, true, "/kata/abc", KATA_CGROUP_DRIVER_CGROUPFS, "init"},
            {true, false, "/kata/abc", KATA_CGROUP_DRIVER_CGROUPFS, "init"},
            {true, true, "", KATA_CGROUP_DRIVER_CGROUPFS, "init"},
            {false, true, "system.slice:kata:abc", KATA_CGROUP_DRIVER_SYSTEMD, "no systemd driver"},
            {false, false, "system.slice:kata:abc", KATA_CGROUP_DRIVER_CGROUPFS,
             "systemd is not running"},
            {false, true, "/kata/abc", KATA_CGROUP_DRIVER_CGROUPFS, "not of the systemd form"},
            {false, false, "/kata/abc", KATA_CGROUP_DRIVER_CGROUPFS, "not of the systemd form"},
            {false, true, "", KATA_CGROUP_DRIVER_CGROUPFS, "not of the systemd form"},
            {false, true, "system.slice::abc", KATA_CGROUP_DRIVER_CGROUPFS,
             "not of the systemd form"},
            {false, true, NULL, KATA_CGROUP_DRIVER_CGROUPFS, "not of the systemd form"},
        };
        for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
                kata_cgroup_driver_choice c;
                memset(&c, 0xff, sizeof(c));
                kata_cgroup_select_driver(cells[i].init, cells[i].systemd, cells[i].path, &c);
                if (c.wanted != cells[i].wanted || !strstr(c.reason, cells[i].reason_has))
                        fail_msg("cell %zu: wanted %s, reason '%s'", i,
                                 kata_cgroup_driver_name(c.wanted), c.reason);
                /* There is no systemd driver: what is used is always cgroupfs. */
                assert_int_equal(c.used, KATA_CGROUP_DRIVER_CGROUPFS);
        }
        assert_string_equal(kata_cgroup_driver_name(KATA_CGROUP_DRIVER_SYSTEMD), "systemd");
        assert_string_equal(kata_cgroup_driver_name(KATA_CGROUP_DRIVER_CGROUPFS), "cgroupfs");
}

static void test_systemd_running(void **state)
{
        char dir[] = "/tmp/kata-cg-sd-XXXXXX";
        assert_non_null(mkdtemp(dir));
        assert_true(kata_cgroup_systemd_running(dir));
        char missing[300];
        snprintf(missing, sizeof(missing), "%s/system", dir);
        assert_false(kata_cgroup_systemd_running(missing));
        rmdir(dir);
}

static void map_ok(const char *in, const char *id, const char *want)
{
        char out[KATA_CGROUP_PATH_MAX];
        kata_error err = KATA_ERROR_INIT;
        int r = kata_cgroup_path_map(in, id, out, sizeof(out), &err);
        if (r != 0)
                fail_msg("'%s' -> error %d: %s", in ? in : "(null)", r, err.msg);
        assert_string_equal(out, want);
}

static void map_bad(const char *in, const char *msg_has)
{
        char out[KATA_CGROUP_PATH_MAX];
        kata_error err = KATA_ERROR_INIT;
        int r = kata_cgroup_path_map(in, "c1", out, sizeof(out), &err);
        if (r != -EINVAL)
                fail_msg("'%s' should be rejected, got %d ('%s')", in, r, out);
        if (!strstr(err.msg, msg_has))
                fail_msg("'%s': message '%s' lacks '%s'", in, err.msg, msg_has);
        assert_string_equal(out, "");
}

static void test_map_good(void **state)
{
        map_ok("", "abc", "/abc");
        map_ok(NULL, "abc", "/abc");
        map_ok("system.slice:kata:abc", NULL, "/system.slice/kata-abc.scope");
        map_ok("a-b.slice:kata:abc", NULL, "/a.slice/a-b.slice/kata-abc.scope");
        map_ok("a-b-c.slice:cri:x", NULL, "/a.slice/a-b.slice/a-b-c.slice/cri-x.scope");
        map_ok("-.slice:kata:abc", NULL, "/kata-abc.scope");
        map_ok("/kata/abc", NULL, "/kata/abc");
        map_ok("kata/abc", NULL, "/kata/abc");
        map_ok("//kata///abc//", NULL, "/kata/abc");
        map_ok("/kata/a:b", NULL, "/kata/a:b");
        map_ok("/kata/..x/x..", NULL, "/kata/..x/x..");
        /* Dots inside a unit name cannot escape: the unit is one directory. */
        map_ok("system.slice:kata:..", NULL, "/system.slice/kata-...scope");
}

static void test_map_escapes(void **state)
{
        map_bad("..", "'..'");
        map_bad("/../etc", "'..'");
        map_bad("/kata/../../x", "'..'");
        map_bad("kata/./x", "'.'");
        map_bad("/", "cgroup root");
        map_bad("///", "cgroup root");
        map_bad("::", "empty slice");
        map_bad("system.slice::abc", "empty prefix");
        map_bad("system.slice:kata:", "empty name");
        map_bad("a:b", "systemd form");
        map_bad("a:b:c:d", "systemd form");
        map_bad("system:kata:abc", "must end in \".slice\"");
        map_bad(".slice:kata:abc", "must end");
        map_bad("-a.slice:kata:abc", "leading or trailing");
        map_bad("a-.slice:kata:abc", "leading or trailing");
        map_bad("a--b.slice:kata:abc", "--");
        map_bad("system.slice:ka$ta:abc", "invalid character");
        map_bad("/kata/a\nb", "control character");
        map_bad("/kata/a\tb", "control character");
}

static void test_map_nul_and_lengths(void **state)
{
        char out[KATA_CGROUP_PATH_MAX];
        kata_error err = KATA_ERROR_INIT;
        static const char with_nul[] = "/kata\0/../../etc";
        assert_int_equal(
            kata_cgroup_path_map_n(with_nul, sizeof(with_nul) - 1, NULL, out, sizeof(out), &err),
            -EINVAL);
        assert_non_null(strstr(err.msg, "0x00"));

        char comp[300];
        memset(comp, 'a', sizeof(comp));
        comp[0] = '/';
        comp[257] = '\0'; /* one component of 256 bytes */
        map_bad(comp, "longer than 255");
        comp[256] = '\0'; /* 255 bytes: fine */
        err = (kata_error)KATA_ERROR_INIT;
        assert_int_equal(kata_cgroup_path_map(comp, NULL, out, sizeof(out), &err), 0);

        char big[3000];
        size_t n = 0;
        while (n + 101 < sizeof(big) - 1) {
                big[n++] = '/';
                memset(big + n, 'b', 100);
                n += 100;
        }
        big[n] = '\0';
        map_bad(big, "longer than");

        /* A small output buffer is a clean error, not an overflow. */
        char tiny[8];
        err = (kata_error)KATA_ERROR_INIT;
        assert_int_equal(kata_cgroup_path_map("/kata/abcdef", NULL, tiny, sizeof(tiny), &err),
                         -EINVAL);
        assert_string_equal(tiny, "");
}

static void test_map_empty_needs_id(void **state)
{
        char out[KATA_CGROUP_PATH_MAX];
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_cgroup_path_map("", NULL, out, sizeof(out), &err), -EINVAL);
        assert_int_equal(kata_cgroup_path_map("", "../x", out, sizeof(out), &err), -EINVAL);
        assert_int_equal(kata_cgroup_path_map("", "a/b", out, sizeof(out), &err), -EINVAL);
        assert_non_null(strstr(err.msg, "container id"));
}

static void test_sandbox_path(void **state)
{
        char out[KATA_CGROUP_PATH_MAX];
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_cgroup_sandbox_path("/kata", "sb1", out, sizeof(out), &err), 0);
        assert_string_equal(out, "/kata/sb1");
        assert_int_equal(kata_cgroup_sandbox_path("kata_overhead/", "sb1", out, sizeof(out), &err),
                         0);
        assert_string_equal(out, "/kata_overhead/sb1");
        assert_int_equal(kata_cgroup_sandbox_path(NULL, "sb1", out, sizeof(out), &err), 0);
        assert_string_equal(out, "/sb1");
        assert_int_equal(kata_cgroup_sandbox_path("/kata", "../x", out, sizeof(out), &err),
                         -EINVAL);
        assert_non_null(strstr(err.msg, "sandbox id"));
        assert_int_equal(kata_cgroup_sandbox_path("/..", "sb1", out, sizeof(out), &err), -EINVAL);
        assert_int_equal(kata_cgroup_sandbox_path("a.slice:k:x", "sb1", out, sizeof(out), &err),
                         -EINVAL);
}

static void test_decide_driver_detects_systemd(void **state)
{
        char dir[] = "/tmp/kata-cg-sd-XXXXXX";
        assert_non_null(mkdtemp(dir));
        kata_cgroup_driver_choice c;
        kata_cgroup_decide_driver(false, dir, "system.slice:kata:x", &c);
        assert_int_equal(c.wanted, KATA_CGROUP_DRIVER_SYSTEMD);
        assert_int_equal(c.used, KATA_CGROUP_DRIVER_CGROUPFS);
        kata_cgroup_decide_driver(true, dir, "system.slice:kata:x", &c);
        assert_int_equal(c.wanted, KATA_CGROUP_DRIVER_CGROUPFS);
        rmdir(dir);
        kata_cgroup_decide_driver(false, dir, "system.slice:kata:x", &c);
        assert_int_equal(c.wanted, KATA_CGROUP_DRIVER_CGROUPFS);
        assert_non_null(strstr(c.reason, "not running"));
}

static void test_shares_to_weight(void **state)
{
        assert_int_equal(kata_cgroup_shares_to_weight(2), 1);
        assert_int_equal(kata_cgroup_shares_to_weight(262144), 10000);
        assert_int_equal(kata_cgroup_shares_to_weight(1024), 39);
        assert_int_equal(kata_cgroup_shares_to_weight(0), 1);
        assert_int_equal(kata_cgroup_shares_to_weight(1000000), 10000);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_systemd_form),
            cmocka_unit_test(test_driver_matrix),
            cmocka_unit_test(test_systemd_running),
            cmocka_unit_test(test_map_good),
            cmocka_unit_test(test_map_escapes),
            cmocka_unit_test(test_map_nul_and_lengths),
            cmocka_unit_test(test_map_empty_needs_id),
            cmocka_unit_test(test_shares_to_weight),
            cmocka_unit_test(test_sandbox_path),
            cmocka_unit_test(test_decide_driver_detects_systemd),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
