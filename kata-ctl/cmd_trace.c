/* kata-ctl trace exec|cgroup|oom: eBPF event streams scoped to a sandbox (kata-ctl/trace). */
#include <argp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common/error.h"
#include "common/util.h"
#include "trace.h"

enum { OPT_ROOT = 0x100, OPT_JSON, OPT_DURATION, OPT_MAX_ARGS, OPT_ALL, OPT_CONTROLLER };

struct trace_args {
        kata_trace_opts opts;
        const char *tool;
        int scopes;
};

static const struct argp_option trace_options[] = {
    {"sandbox", 's', "ID", 0, "Trace the sandbox ID (its cgroups and all below them)", 1},
    {"container", 'c', "ID", 0, "Trace only container ID (found through the state)", 1},
    {"cgroup", 'g', "PATH", 0, "Trace the cgroup directory PATH and its descendants", 1},
    {"all", OPT_ALL, NULL, 0, "Trace the whole host", 1},
    {"root", OPT_ROOT, "DIR", 0, "State root of the runtime (default /run/kata)", 1},
    {"controller", OPT_CONTROLLER, "NAME", 0,
     "cgroup v1 hierarchy to read tasks' cgroups in (memory, pids...; default: memory for "
     "oom, else pids)",
     1},
    {"json", OPT_JSON, NULL, 0, "One JSON object per line (fields in README.md)", 2},
    {"time", 'T', NULL, 0, "Add a wall-clock time column (HH:MM:SS)", 2},
    {"timestamp", 't', NULL, 0, "Add a column of seconds since the start", 2},
    {"duration", OPT_DURATION, "SEC", 0, "Stop after SEC seconds (default: at Ctrl-C)", 2},
    {"failed", 'x', NULL, 0, "exec: show failed execs too", 3},
    {"max-args", OPT_MAX_ARGS, "N", 0, "exec: arguments to capture (default 32, at most 64)", 3},
    {0}};

static error_t trace_parse(int key, char *arg, struct argp_state *state)
{
        struct trace_args *a = state->input;
        uint64_t n;
        switch (key) {
        case 's':
                a->opts.sandbox = arg;
                a->scopes++;
                break;
        case 'c':
                a->opts.container = arg;
                a->scopes++;
                break;
        case 'g':
                a->opts.cgroup = arg;
                a->scopes++;
                break;
        case OPT_ALL:
                a->opts.all = true;
                a->scopes++;
                break;
        case OPT_ROOT:
                a->opts.state_root = arg;
                break;
        case OPT_CONTROLLER:
                a->opts.controller = arg;
                break;
        case OPT_JSON:
                a->opts.json = true;
                break;
        case 'T':
                a->opts.time_column = true;
                break;
        case 't':
                a->opts.timestamp = true;
                break;
        case 'x':
                a->opts.failed = true;
                break;
        case OPT_DURATION: {
                char *end = NULL;
                errno = 0;
                double d = strtod(arg, &end);
                if (errno || end == arg || *end || d <= 0 || d > 1e7)
                        argp_error(state, "--duration: '%s' is not a positive number of seconds",
                                   arg);
                a->opts.duration_s = d;
                break;
        }
        case OPT_MAX_ARGS:
                if (kata_parse_u64(arg, &n) < 0 || n < 1 || n > 64)
                        argp_error(state, "--max-args: '%s' is not a number from 1 to 64", arg);
                a->opts.max_args = (unsigned)n;
                break;
        case ARGP_KEY_ARG:
                if (a->tool)
                        argp_error(state, "unexpected argument '%s'", arg);
                if (strcmp(arg, "exec") != 0 && strcmp(arg, "cgroup") != 0 &&
                    strcmp(arg, "oom") != 0)
                        argp_error(state, "unknown tool '%s' (exec, cgroup or oom)", arg);
                a->tool = arg;
                break;
        case ARGP_KEY_END:
                if (!a->tool)
                        argp_error(state, "name a tool: exec, cgroup or oom");
                if (a->scopes != 1)
                        argp_error(state, "give exactly one of --sandbox, --container, --cgroup, "
                                          "--all");
                if (strcmp(a->tool, "exec") != 0 && (a->opts.failed || a->opts.max_args))
                        argp_error(state, "-x and --max-args apply to 'exec' only");
                break;
        default:
                return ARGP_ERR_UNKNOWN;
        }
        return 0;
}

static const struct argp trace_argp = {
    trace_options, trace_parse, "exec|cgroup|oom",
    "Stream eBPF events scoped to one sandbox, container or cgroup (needs root).\v"
    "Tools:\n"
    "  exec    execve and execveat calls: argv, return code, pids, container\n"
    "  cgroup  cgroup mkdir, rmdir, release, task attach, freeze/unfreeze (cgroup v2 only: "
    "the v1 freezer reports none)\n"
    "  oom     OOM-killer victims, and memcg oom_kill counters at start and exit\n"
    "Lost events are counted and reported on stderr (and as {\"type\":\"lost\"} with "
    "--json).\n"
    "Exit codes: 0 success, 1 failure (not root, missing BTF or tracepoint...), 2 usage."};

int cmd_trace(int argc, char **argv)
{
        struct trace_args a = {0};
        argv[0] = "kata-ctl trace";
        if (argp_parse(&trace_argp, argc, argv, 0, NULL, &a) != 0)
                return KATA_CTL_EXIT_USAGE;
        kata_error err = KATA_ERROR_INIT;
        int rc;
        if (strcmp(a.tool, "exec") == 0)
                rc = kata_trace_exec(&a.opts, &err);
        else if (strcmp(a.tool, "cgroup") == 0)
                rc = kata_trace_cgroup(&a.opts, &err);
        else
                rc = kata_trace_oom(&a.opts, &err);
        if (rc < 0) {
                kata_error_print(&err, "kata-ctl trace", stderr);
                return KATA_CTL_EXIT_FAIL;
        }
        return KATA_CTL_EXIT_OK;
}
