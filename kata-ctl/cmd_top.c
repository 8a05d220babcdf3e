/* kata-ctl top: live view of sandboxes, their containers and processes (kata-ctl/top/). */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "common/util.h"
#include "top/model.h"
#include "top/top.h"

enum { OPT_ROOT = 1000, OPT_JSON, OPT_NO_AGENT, OPT_NO_PROCESSES, OPT_NO_EXEC };

static const struct argp_option options[] = {
    {"root", OPT_ROOT, "DIR", 0, "State root of the runtime (default /run/kata)", 0},
    {"batch", 'b', NULL, 0,
     "Print plain text frames instead of the screen (default when "
     "standard output is not a terminal)",
     0},
    {"iterations", 'n', "N", 0, "Stop after N frames (default: until quit)", 0},
    {"delay", 'd', "SEC", 0, "Refresh interval in seconds (default 2, at least 0.1)", 0},
    {"json", OPT_JSON, NULL, 0, "Batch: one JSON object per line per refresh", 0},
    {"containers", 'c', NULL, 0,
     "Text frames: each sandbox's containers too (JSON always has "
     "them)",
     0},
    {"no-processes", OPT_NO_PROCESSES, NULL, 0, "JSON: leave out the process lists", 0},
    {"no-exec", OPT_NO_EXEC, NULL, 0,
     "Do not run the eBPF exec trace (EXEC/s and the exec feed; needs root)", 0},
    {"no-agent", OPT_NO_AGENT, NULL, 0,
     "Do not query the agents (no latency, no figures "
     "from inside VMs)",
     0},
    {"sort", 's', "COLUMN", 0,
     "Sort the sandbox list by COLUMN (id, cpu, mem, pids, oom, "
     "lat, exec/s...; default cpu)",
     0},
    {"filter", 'f', "TEXT", 0, "Show only rows containing TEXT", 0},
    {0}};

struct args {
        top_opts opts;
        bool batch;
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
        struct args *a = state->input;
        uint64_t n;
        char *end;
        switch (key) {
        case OPT_ROOT:
                a->opts.root = arg;
                break;
        case 'b':
                a->batch = true;
                break;
        case 'n':
                if (kata_parse_u64(arg, &n) < 0 || n == 0 || n > 1000000000)
                        argp_error(state, "--iterations: '%s' is not a positive count", arg);
                a->opts.iterations = (long)n;
                break;
        case 'd':
                a->opts.interval_s = strtod(arg, &end);
                if (end == arg || *end || !(a->opts.interval_s >= 0.1) ||
                    a->opts.interval_s > 86400)
                        argp_error(state, "--delay: '%s' is not a number of seconds from 0.1", arg);
                break;
        case 'c':
                a->opts.containers = true;
                break;
        case OPT_JSON:
                a->opts.json = true;
                break;
        case OPT_NO_PROCESSES:
                a->opts.processes = false;
                break;
        case OPT_NO_EXEC:
                a->opts.exec = false;
                break;
        case OPT_NO_AGENT:
                a->opts.agents = false;
                break;
        case 's':
                if (top_column_by_name(TOP_LEVEL_SANDBOXES, arg) < 0)
                        argp_error(state, "--sort: no column '%s'", arg);
                a->opts.sort = arg;
                break;
        case 'f':
                a->opts.filter = arg;
                break;
        case ARGP_KEY_ARG:
                argp_error(state, "unexpected argument '%s'", arg);
                break;
        default:
                return ARGP_ERR_UNKNOWN;
        }
        return 0;
}

static const struct argp argp = {
    options,
    parse_opt,
    NULL,
    "Live view of sandboxes: CPU, memory, pids, OOM kills, agent latency; Enter drills into "
    "a sandbox's containers and a container's processes. Press ? on the screen for keys.\v"
    "Exit status: 0 on quit, 1 when the state cannot be read or the terminal fails, 2 on "
    "usage errors. JSON fields are documented in kata-ctl/top/README.md.",
    NULL,
    NULL,
    NULL};

int cmd_top(int argc, char **argv)
{
        struct args a = {
            .opts = {.interval_s = 2.0, .agents = true, .processes = true, .exec = true}};
        argv[0] = "kata-ctl top";
        if (argp_parse(&argp, argc, argv, 0, NULL, &a) != 0)
                return KATA_CTL_EXIT_USAGE;
        kata_error err = KATA_ERROR_INIT;
        int r;
        if (a.batch || a.opts.json || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
                r = top_batch_run(&a.opts, &err);
        else
                r = top_screen_run(&a.opts, &err);
        if (r < 0) {
                kata_error_print(&err, "kata-ctl top", stderr);
                return KATA_CTL_EXIT_FAIL;
        }
        return KATA_CTL_EXIT_OK;
}
