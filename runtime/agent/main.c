/* kata-agent: parses its settings and runs (agent.c). */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/init.h"
#include "agent/initramfs.h"
#include "agent/modules.h"
#include "agent/settings.h"
#include "common/log.h"
#include "common/util.h"
#include "common/version.h"

const char *argp_program_version = "kata-agent " KATA_VERSION " (commit " KATA_GIT_COMMIT ")";
const char *argp_program_bug_address = NULL;

enum { OPT_CMDLINE = 0x100, OPT_HVSOCK };

static const struct argp_option options[] = {
    {"server-addr", 'a', "ADDR", 0,
     "Listen on ADDR: unix://PATH, hvsock://PATH:PORT, vsock://CID:PORT, fd://N or fd:// "
     "(env KATA_AGENT_SERVER_ADDR; kernel agent.server_addr; default in a VM "
     "vsock://any:1024)",
     0},
    {"log-level", 'l', "LEVEL", 0, "error, warn, info or debug (env KATA_AGENT_LOG_LEVEL)", 0},
    {"trace", 't', NULL, 0, "Export spans (env KATA_AGENT_TRACE)", 0},
    {"debug-console", 'd', NULL, 0, "Serve a debug console (env KATA_AGENT_DEBUG_CONSOLE)", 0},
    {"hvsock", OPT_HVSOCK, NULL, 0,
     "The listening socket speaks hybrid vsock (env KATA_AGENT_HVSOCK)", 0},
    {"cmdline", OPT_CMDLINE, "FILE", 0,
     "Read agent.* keys from FILE (default: /proc/cmdline, only as a VM's init)", 0},
    {0},
};

struct args {
        struct agent_settings cli; /* only what was given */
        bool addr, level, trace, console, hvsock;
        const char *cmdline;
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
        struct args *args = state->input;
        switch (key) {
        case 'a':
                if (!arg[0] || strlen(arg) >= sizeof(args->cli.server_addr))
                        argp_error(state, "--server-addr: invalid address '%s'", arg);
                snprintf(args->cli.server_addr, sizeof(args->cli.server_addr), "%s", arg);
                args->addr = true;
                break;
        case 'l':
                if (kata_log_level_parse(arg, &args->cli.log_level) < 0)
                        argp_error(state, "--log-level: expected error|warn|info|debug, got '%s'",
                                   arg);
                args->level = true;
                break;
        case 't':
                args->trace = true;
                break;
        case 'd':
                args->console = true;
                break;
        case OPT_HVSOCK:
                args->hvsock = true;
                break;
        case OPT_CMDLINE:
                args->cmdline = arg;
                break;
        case ARGP_KEY_ARG:
                argp_error(state, "unexpected argument '%s'", arg);
                break;
        default:
                return ARGP_ERR_UNKNOWN;
        }
        return 0;
}

int main(int argc, char **argv)
{
        kata_log_init("kata-agent", KATA_LOG_INFO);
        argp_err_exit_status = 2;
        static const struct argp argp = {
            options,
            parse_opt,
            NULL,
            "kata-agent: runs containers in a sandbox and serves Kata's agent API over ttrpc.",
            NULL,
            NULL,
            NULL};
        struct args args;
        memset(&args, 0, sizeof(args));
        agent_settings_defaults(&args.cli);
        argp_parse(&argp, argc, argv, 0, NULL, &args);

        struct agent_settings s;
        agent_settings_defaults(&s);
        kata_error err = KATA_ERROR_INIT;
        /* The kernel command line is the VM's configuration; the init of a pid namespace
         * on a host would read the host's. */
        const char *cmdline_file = NULL;
        if (args.cmdline) {
                cmdline_file = args.cmdline;
        } else if (agent_is_machine_init()) {
                if (agent_initramfs_make_pivotable(&err) < 0) /* before any mount */
                        kata_log_warn("init: %s: containers cannot pivot_root", err.msg);
                kata_error_clear(&err);
                if (agent_init_mount_proc(&err) < 0)
                        kata_log_warn("%s", err.msg);
                kata_error_clear(&err);
                cmdline_file = "/proc/cmdline";
                agent_modules_load_boot(); /* vsock must exist before the agent listens */
        }
        if (cmdline_file) {
                char *text = NULL;
                if (kata_read_file(cmdline_file, 65536, &text, NULL, &err) < 0) {
                        kata_log_warn("kernel command line: %s", err.msg);
                } else {
                        if (agent_settings_apply_cmdline(&s, text, &err) < 0)
                                kata_log_warn("kernel command line: %s", err.msg);
                        free(text);
                }
                kata_error_clear(&err);
        }
        if (agent_settings_apply_env(&s, &err) < 0) {
                kata_error_print(&err, "kata-agent", stderr);
                return 2;
        }
        if (args.addr)
                snprintf(s.server_addr, sizeof(s.server_addr), "%s", args.cli.server_addr);
        if (args.level) {
                s.log_level = args.cli.log_level;
                s.log_level_set = true;
        }
        s.trace |= args.trace;
        s.debug_console |= args.console;
        s.hvsock |= args.hvsock;
        if (s.log_level_set || !getenv("KATA_LOG_LEVEL"))
                kata_log_set_level(s.log_level);

        int code = agent_run(&s);
        if (agent_is_pid1())
                agent_init_end(code);
        return code;
}
