/* The debug console's request lines and argv blocks (runtime/libs/console). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "console/protocol.h"

static void parses_tty_and_exec(void **state)
{
        (void)state;
        kata_console_request r;
        assert_int_equal(
            0, kata_console_request_parse("KATA-CONSOLE/1 tty 30 100 xterm-256color", &r));
        assert_int_equal(KATA_CONSOLE_MODE_TTY, r.mode);
        assert_int_equal(30, r.rows);
        assert_int_equal(100, r.cols);
        assert_string_equal("xterm-256color", r.term);
        assert_int_equal(0, kata_console_request_parse("KATA-CONSOLE/1 exec 65536", &r));
        assert_int_equal(KATA_CONSOLE_MODE_EXEC, r.mode);
        assert_int_equal(65536, r.argv_len);
}

static void rejects_malformed_lines(void **state)
{
        (void)state;
        const char *bad[] = {
            "",
            "KATA-CONSOLE/1",
            "KATA-CONSOLE/2 exec 5",
            "kata-console/1 exec 5",
            "KATA-CONSOLE/1 exec 0",
            "KATA-CONSOLE/1 exec 65537",
            "KATA-CONSOLE/1 exec 05",
            "KATA-CONSOLE/1 exec -5",
            "KATA-CONSOLE/1 exec 5 ",
            "KATA-CONSOLE/1 exec 99999999999999999999999",
            "KATA-CONSOLE/1 tty 0 80 xterm",
            "KATA-CONSOLE/1 tty 24 65536 xterm",
            "KATA-CONSOLE/1 tty 24 80",
            "KATA-CONSOLE/1 tty 24 80 ",
            "KATA-CONSOLE/1 tty 24  80 xterm",
            "KATA-CONSOLE/1 tty 24 80 xterm;rm",
            "KATA-CONSOLE/1 tty 24 80 a b",
            "KATA-CONSOLE/1 shell",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                kata_console_request r;
                if (kata_console_request_parse(bad[i], &r) != -EINVAL)
                        fail_msg("accepted '%s'", bad[i]);
        }
        char longterm[128];
        memset(longterm, 'x', sizeof(longterm));
        strcpy(longterm, "KATA-CONSOLE/1 tty 24 80 ");
        memset(longterm + strlen(longterm), 'x', 64);
        longterm[25 + 64] = 0;
        kata_console_request r;
        assert_int_equal(-EINVAL, kata_console_request_parse(longterm, &r));
}

static void format_round_trips(void **state)
{
        (void)state;
        kata_console_request in = {.mode = KATA_CONSOLE_MODE_TTY, .rows = 65535, .cols = 1};
        strcpy(in.term, "screen.linux");
        char line[KATA_CONSOLE_LINE_MAX];
        int n = kata_console_request_format(&in, line, sizeof(line));
        assert_true(n > 0);
        assert_int_equal('\n', line[n - 1]);
        line[n - 1] = 0;
        kata_console_request out;
        assert_int_equal(0, kata_console_request_parse(line, &out));
        assert_int_equal(65535, out.rows);
        assert_int_equal(1, out.cols);
        assert_string_equal("screen.linux", out.term);
        in.rows = 0;
        assert_int_equal(-EINVAL, kata_console_request_format(&in, line, sizeof(line)));
        kata_console_request ex = {.mode = KATA_CONSOLE_MODE_EXEC, .argv_len = 12};
        assert_int_equal(-ENOSPC, kata_console_request_format(&ex, line, 10));
        ex.argv_len = KATA_CONSOLE_ARGV_MAX + 1;
        assert_int_equal(-EINVAL, kata_console_request_format(&ex, line, sizeof(line)));
}

static void splits_argv_blocks(void **state)
{
        (void)state;
        char block[] = "sh\0-c\0\0echo hi";
        char *argv[5];
        assert_int_equal(4, kata_console_argv_split(block, sizeof(block), argv, 4));
        assert_string_equal("sh", argv[0]);
        assert_string_equal("-c", argv[1]);
        assert_string_equal("", argv[2]); /* empty arguments are arguments */
        assert_string_equal("echo hi", argv[3]);
        assert_null(argv[4]);
        assert_int_equal(-E2BIG, kata_console_argv_split(block, sizeof(block), argv, 3));
        char unterminated[] = {'l', 's'};
        assert_int_equal(-EINVAL, kata_console_argv_split(unterminated, 2, argv, 4));
        char empty_first[] = "\0ls";
        assert_int_equal(-EINVAL,
                         kata_console_argv_split(empty_first, sizeof(empty_first), argv, 4));
        assert_int_equal(-EINVAL, kata_console_argv_split(block, 0, argv, 4));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(parses_tty_and_exec),
            cmocka_unit_test(rejects_malformed_lines),
            cmocka_unit_test(format_round_trips),
            cmocka_unit_test(splits_argv_blocks),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
