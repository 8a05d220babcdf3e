/* kata-ctl: the admin and diagnostics tool. This file only dispatches to the cmd_*
 * entry points (one file each), git-builtin style. */
#include <argp.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "common/log.h"
#include "common/version.h"

const char *argp_program_version = "kata-ctl " KATA_VERSION " (commit " KATA_GIT_COMMIT ")";
const char *argp_program_bug_address = NULL;

struct kata_ctl_command {
        const char *name;
        int (*fn)(int argc, char **argv);
        const char *summary;
};

static const struct kata_ctl_command commands[] = {
    {"check", cmd_check, "check whether this host can run sandboxes, and for newer releases"},
    {"env", cmd_env, "show the host, the configuration in use and component versions"},
    {"agent", cmd_agent, "send one RPC to a kata-agent and print the reply as JSON"},
    {"top", cmd_top, "live view of sandboxes, containers and processes (-b, --json: batch)"},
    {"monitor", cmd_monitor, "serve every sandbox's metrics to Prometheus over HTTP"},
    {"metrics", cmd_metrics, "print one sandbox's metrics (Prometheus text) once"},
    {"trace", cmd_trace, "eBPF exec, cgroup and OOM events of one sandbox (exec|cgroup|oom)"},
    {"spans", cmd_spans, "record an LTTng trace of a command, report and check its span trees"},
    {"exec", cmd_exec, "run a command, or a shell, in a sandbox (the agent's debug console)"},
};

static void usage(FILE *out)
{
        fprintf(out, "Usage: kata-ctl [--version] [--help] COMMAND [ARGS...]\n\nCommands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fprintf(out, "\nRun 'kata-ctl COMMAND --help' for a command's options.\n"
                     "Exit codes: 0 success, 1 failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
        kata_log_init("kata-ctl", KATA_LOG_WARN);
        /* Usage errors exit 2 everywhere, not argp's default 64. */
        argp_err_exit_status = KATA_CTL_EXIT_USAGE;

        if (argc < 2) {
                usage(stderr);
                return KATA_CTL_EXIT_USAGE;
        }
        const char *name = argv[1];
        if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
                usage(stdout);
                return KATA_CTL_EXIT_OK;
        }
        if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0 ||
            strcmp(name, "version") == 0) {
                printf("%s\n", argp_program_version);
                return KATA_CTL_EXIT_OK;
        }
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
                if (strcmp(commands[i].name, name) == 0)
                        return commands[i].fn(argc - 1, argv + 1);
        }
        fprintf(stderr, "kata-ctl: unknown command '%s'\n\n", name);
        usage(stderr);
        return KATA_CTL_EXIT_USAGE;
}
