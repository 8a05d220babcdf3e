#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "agent/agent.h"
#include "agent/process.h"
#include "agent/settings.h"

static void test_cmdline_keys(void **state)
{
        struct agent_settings s;
        agent_settings_defaults(&s);
        kata_error err = KATA_ERROR_INIT;
        const char *cmdline = "console=ttyS0 quiet agent.server_addr=vsock://any:1024 "
                              "agent.log=debug agent.trace agent.debug_console=0 "
                              "agent.debug_console_vport=2000 agent.unknown_key=1 "
                              "systemd.unified_cgroup_hierarchy=1\n";
        assert_int_equal(agent_settings_apply_cmdline(&s, cmdline, &err), 0);
        assert_string_equal(s.server_addr, "vsock://any:1024");
        assert_int_equal(s.log_level, KATA_LOG_DEBUG);
        assert_true(s.log_level_set);
        assert_true(s.trace);
        assert_false(s.debug_console);
        assert_int_equal(s.debug_console_vport, 2000);
        assert_true(s.unified_cgroup_hierarchy);

        agent_settings_defaults(&s);
        assert_int_equal(agent_settings_apply_cmdline(&s, "cgroup_no_v1=all", &err), 0);
        assert_true(s.unified_cgroup_hierarchy);
}

static void test_cmdline_bad_values_are_named_and_skipped(void **state)
{
        struct agent_settings s;
        agent_settings_defaults(&s);
        kata_error err = KATA_ERROR_INIT;
        int r = agent_settings_apply_cmdline(
            &s, "agent.log=loud agent.trace=maybe agent.debug_console_vport=0 agent.hvsock", &err);
        assert_int_equal(r, -EINVAL);
        assert_string_equal(err.msg, "agent.log: invalid value 'loud' (expected "
                                     "error|warn|info|debug)");
        /* Later keys were still applied; bad ones left the defaults. */
        assert_true(s.hvsock);
        assert_false(s.trace);
        assert_int_equal(s.debug_console_vport, 1026);
        assert_int_equal(s.log_level, KATA_LOG_INFO);
}

static void test_env_overrides_cmdline(void **state)
{
        struct agent_settings s;
        agent_settings_defaults(&s);
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(agent_settings_apply_cmdline(&s, "agent.server_addr=vsock://3:1024", &err),
                         0);
        setenv("KATA_AGENT_SERVER_ADDR", "unix:///tmp/x.sock", 1);
        setenv("KATA_AGENT_TRACE", "yes", 1);
        assert_int_equal(agent_settings_apply_env(&s, &err), 0);
        assert_string_equal(s.server_addr, "unix:///tmp/x.sock");
        assert_true(s.trace);
        setenv("KATA_AGENT_LOG_LEVEL", "chatty", 1);
        assert_int_equal(agent_settings_apply_env(&s, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "KATA_AGENT_LOG_LEVEL: invalid value 'chatty'"));
        unsetenv("KATA_AGENT_SERVER_ADDR");
        unsetenv("KATA_AGENT_TRACE");
        unsetenv("KATA_AGENT_LOG_LEVEL");
}

static void test_bool_values(void **state)
{
        bool b;
        assert_int_equal(agent_settings_parse_bool("On", &b), 0);
        assert_true(b);
        assert_int_equal(agent_settings_parse_bool("false", &b), 0);
        assert_false(b);
        assert_int_equal(agent_settings_parse_bool("2", &b), -EINVAL);
}

static void test_ids_and_exit_codes(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        char longid[200];
        memset(longid, 'a', 129);
        longid[129] = 0;
        assert_int_equal(agent_check_id("container id", "c1", false, &err), 0);
        assert_int_equal(agent_check_id("exec id", "", true, &err), 0);
        assert_int_equal(agent_check_id("container id", "", false, &err), -EINVAL);
        assert_string_equal(err.msg, "container id is empty");
        assert_int_equal(agent_check_id("container id", "../x", false, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "'../x' is invalid"));
        assert_int_equal(agent_check_id("container id", "a/b", false, &err), -EINVAL);
        assert_int_equal(agent_check_id("container id", longid, false, &err), -EINVAL);
        assert_string_equal(err.msg, "container id is longer than 128 bytes");
        longid[128] = 0;
        assert_int_equal(agent_check_id("container id", longid, false, &err), 0);

        assert_int_equal(agent_exit_code_from_wait_status(7 << 8), 7);
        assert_int_equal(agent_exit_code_from_wait_status(9), 137); /* killed by SIGKILL */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_cmdline_keys),
            cmocka_unit_test(test_cmdline_bad_values_are_named_and_skipped),
            cmocka_unit_test(test_env_overrides_cmdline),
            cmocka_unit_test(test_bool_values),
            cmocka_unit_test(test_ids_and_exit_codes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
