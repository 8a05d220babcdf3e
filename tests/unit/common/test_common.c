#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/error.h"
#include "common/util.h"

static void test_error_prefix_chain(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_error_set(&err, ENOENT, "file %s", "x"), -ENOENT);
        assert_int_equal(kata_error_prefix(&err, "loading %s", "config"), -ENOENT);
        assert_string_equal(err.msg, "loading config: file x");
        assert_int_equal(err.code, ENOENT);
}

static void test_parse_numbers(void **state)
{
        uint64_t u;
        int64_t i;
        assert_int_equal(kata_parse_u64(" 42\n", &u), 0);
        assert_int_equal(u, 42);
        assert_int_equal(kata_parse_u64("-1", &u), -EINVAL);
        assert_int_equal(kata_parse_u64("12x", &u), -EINVAL);
        assert_int_equal(kata_parse_u64("99999999999999999999999", &u), -ERANGE);
        assert_int_equal(kata_parse_i64("-7", &i), 0);
        assert_int_equal(i, -7);
        assert_int_equal(kata_parse_i64("", &i), -EINVAL);
}

static void test_id_validation(void **state)
{
        char longid[200];
        memset(longid, 'a', sizeof(longid) - 1);
        longid[sizeof(longid) - 1] = '\0';
        assert_true(kata_id_is_valid("abc-1.2_3"));
        assert_false(kata_id_is_valid(""));
        assert_false(kata_id_is_valid("../x"));
        assert_false(kata_id_is_valid("a/b"));
        assert_false(kata_id_is_valid(".hidden"));
        assert_false(kata_id_is_valid(longid));
        longid[128] = '\0';
        assert_true(kata_id_is_valid(longid));
}

static void test_path_join_and_files(void **state)
{
        char *p = kata_path_join("/", "/proc/cpuinfo");
        assert_string_equal(p, "/proc/cpuinfo");
        free(p);
        p = kata_path_join("/tmp/root/", "/proc/cpuinfo");
        assert_string_equal(p, "/tmp/root/proc/cpuinfo");
        free(p);

        char dir[] = "/tmp/kata-test-common-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char file[256];
        snprintf(file, sizeof(file), "%s/a/b/value", dir);
        char sub[256];
        snprintf(sub, sizeof(sub), "%s/a/b", dir);
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_mkdir_p(sub, 0755, &err), 0);
        assert_int_equal(kata_write_file_atomic(file, "hello \n", 7, 0644, &err), 0);
        char *line;
        assert_int_equal(kata_read_line_at(dir, "/a/b/value", &line, &err), 0);
        assert_string_equal(line, "hello");
        free(line);
        assert_int_equal(kata_read_line_at(dir, "/missing", &line, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "missing"));
        unlink(file);
        rmdir(sub);
        snprintf(sub, sizeof(sub), "%s/a", dir);
        rmdir(sub);
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_error_prefix_chain),
            cmocka_unit_test(test_parse_numbers),
            cmocka_unit_test(test_id_validation),
            cmocka_unit_test(test_path_join_and_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
