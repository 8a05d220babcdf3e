/* GetMetrics' text against a fixture /proc. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/metrics.h"
#include "common/util.h"

static char proc[] = "/tmp/kata-agent-metrics-XXXXXX";

static void put(const char *rel, const char *text)
{
        char *path = kata_path_join(proc, rel);
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_write_file_atomic(path, text, strlen(text), 0644, &err), 0);
        free(path);
}

static int setup(void **state)
{
        if (!mkdtemp(proc))
                return -1;
        char *self = kata_path_join(proc, "/self");
        kata_error err = KATA_ERROR_INIT;
        kata_mkdir_p(self, 0755, &err);
        free(self);
        put("/self/status", "Name:\tkata-agent\nVmSize:\t    2048 kB\nVmRSS:\t     1024 kB\n"
                            "Threads:\t4\n");
        put("/self/stat", "42 (kata agent) S 1 42 42 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 4 0 "
                          "1 2097152 256 18446744073709551615\n");
        put("/loadavg", "0.50 0.25 0.10 2/123 4567\n");
        put("/stat", "cpu  100 0 50 1000 0 0 0 0 0 0\ncpu0 100 0 50 1000 0 0 0 0 0 0\nintr 1\n");
        put("/meminfo", "MemTotal:       2048000 kB\nMemFree:        1024000 kB\n");
        return 0;
}

static int teardown(void **state)
{
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", proc);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_render(void **state)
{
        char *text = NULL;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(agent_metrics_render(proc, 3, 2, &text, &err), 0);
        static const char *const want[] = {
            "# TYPE kata_agent_scrape_count counter\nkata_agent_scrape_count 3\n",
            "kata_agent_threads 4\n",
            "kata_agent_total_vm 2097152\n",
            "kata_agent_total_rss 1048576\n",
            "kata_agent_total_time 2.000\n",
            "kata_agent_proc_status{item=\"VmRSS\"} 1048576\n",
            "kata_guest_containers 2\n",
            "kata_guest_load{item=\"load1\"} 0.50\n",
            "kata_guest_tasks{item=\"total\"} 123\n",
            "kata_guest_cpu_time{cpu=\"cpu0\",item=\"system\"} 0.50\n",
            "kata_guest_meminfo{item=\"MemTotal\"} 2097152000\n",
        };
        for (size_t i = 0; i < KATA_ARRAY_SIZE(want); i++)
                if (!strstr(text, want[i]))
                        fail_msg("missing '%s' in:\n%s", want[i], text);
        assert_null(strstr(text, "intr"));
        free(text);
}

int main(void)
{
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_render)};
        return cmocka_run_group_tests(tests, setup, teardown);
}
