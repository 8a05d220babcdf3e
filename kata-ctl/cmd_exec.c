/* kata-ctl exec SANDBOX [-- CMD [ARGS...]]: the agent's debug console (port 1026). With a
 * command, runs it and exits with its status; without one, an interactive shell on a
 * pseudo-terminal in the sandbox when stdin is a terminal, else sh reading stdin. */
#include <argp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "commands.h"
#include "common/util.h"
#include "console.h"
#include "state/state.h"

struct exec_args {
        const char *root;
        const char *sandbox;
        int timeout_ms;
        bool no_stdin;
        char **cmd;
        int ncmd;
};

enum { OPT_ROOT = 1000 };

static const struct argp_option options[] = {
    {"root", OPT_ROOT, "DIR", 0, "Sandbox state root (default " KATA_STATE_DEFAULT_ROOT ")", 0},
    {"timeout", 't', "MS", 0, "Give the console MS milliseconds to answer (default 5000)", 0},
    {"no-stdin", 'n', NULL, 0, "The command reads end of file instead of our stdin", 0},
    {0}};

static int parse_opt(int key, char *arg, struct argp_state *state)
{
        struct exec_args *a = state->input;
        uint64_t v;
        switch (key) {
        case OPT_ROOT:
                a->root = arg;
                break;
        case 't':
                if (kata_parse_u64(arg, &v) < 0 || v < 1 || v > 600000)
                        argp_error(state, "--timeout: '%s' is not 1..600000 milliseconds", arg);
                a->timeout_ms = (int)v;
                break;
        case 'n':
                a->no_stdin = true;
                break;
        case ARGP_KEY_ARG:
                if (a->sandbox) { /* the command: everything from the first word on */
                        a->cmd[a->ncmd++] = arg;
                        break;
                }
                if (!kata_id_is_valid(arg))
                        argp_error(state, "'%s' is not a valid sandbox id", arg);
                a->sandbox = arg;
                break;
        case ARGP_KEY_END:
                if (!a->sandbox)
                        argp_error(state, "missing SANDBOX");
                break;
        default:
                return ARGP_ERR_UNKNOWN;
        }
        return 0;
}

static const struct argp argp = {
    options,
    parse_opt,
    "SANDBOX [-- CMD [ARGS...]]",
    "Run a command, or a shell, in a sandbox through its agent's debug console (vsock port "
    "1026; enable it with 'debug_console_enabled = true' under [agent.kata]).\n\n"
    "With CMD: its stdout and stderr come out byte for byte and kata-ctl exits with its "
    "status (127: not found, 128+N: killed by signal N). Without CMD: an interactive shell "
    "on a pseudo-terminal when stdin is a terminal (exit it with 'exit'), else sh reading "
    "its commands from stdin.\n\n"
    "Put '--' before CMD when it has options of its own.\n\n"
    "Exit codes: the command's, or 1 when the sandbox is unknown, not running or has no "
    "console, 2 usage.",
    NULL,
    NULL,
    NULL};

int cmd_exec(int argc, char **argv)
{
        char *cmd[argc + 1];
        struct exec_args a = {.timeout_ms = 5000, .cmd = cmd};
        argv[0] = "kata-ctl exec";
        argp_parse(&argp, argc, argv, 0, NULL, &a);
        signal(SIGPIPE, SIG_IGN);

        kata_error err = KATA_ERROR_INIT;
        int fd = kata_console_connect(a.root, a.sandbox, a.timeout_ms, &err);
        if (fd < 0) {
                kata_error_print(&err, "kata-ctl exec", stderr);
                return KATA_CTL_EXIT_FAIL;
        }
        int status = 0, r;
        if (a.ncmd > 0) {
                r = kata_console_run_command(fd, a.cmd, a.ncmd, !a.no_stdin, &status, &err);
        } else if (isatty(STDIN_FILENO)) {
                r = kata_console_run_terminal(fd, STDIN_FILENO, &status, &err);
        } else {
                char *sh[] = {"sh", NULL};
                r = kata_console_run_command(fd, sh, 1, !a.no_stdin, &status, &err);
        }
        close(fd);
        if (r < 0) {
                kata_error_print(&err, "kata-ctl exec", stderr);
                return KATA_CTL_EXIT_FAIL;
        }
        return status;
}
