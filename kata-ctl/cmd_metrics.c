/* kata-ctl metrics SANDBOX: one scrape of one sandbox, the text `kata-ctl monitor` serves
 * at /metrics?sandbox=ID, on stdout (what Kata's Go `kata-runtime metrics` printed). */
#include <argp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "common/util.h"
#include "metrics/collect.h"
#include "state/state.h"

struct metrics_args {
        const char *root;
        const char *sandbox;
        int timeout_ms;
};

enum { OPT_ROOT = 1000 };

static const struct argp_option options[] = {
    {"root", OPT_ROOT, "DIR", 0, "Sandbox state root (default " KATA_STATE_DEFAULT_ROOT ")", 0},
    {"agent-timeout", 't', "MS", 0, "Give the agent MS milliseconds (default 2000)", 0},
    {0}};

static int parse_opt(int key, char *arg, struct argp_state *state)
{
        struct metrics_args *a = state->input;
        uint64_t v;
        switch (key) {
        case OPT_ROOT:
                a->root = arg;
                break;
        case 't':
                if (kata_parse_u64(arg, &v) < 0 || v < 1 || v > 600000)
                        argp_error(state, "--agent-timeout: '%s' is not 1..600000 milliseconds",
                                   arg);
                a->timeout_ms = (int)v;
                break;
        case ARGP_KEY_ARG:
                if (a->sandbox)
                        argp_error(state, "too many arguments: '%s'", arg);
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
    "SANDBOX",
    "Print one sandbox's metrics (Prometheus text format), as kata-ctl monitor serves them.\n"
    "An agent that does not answer still leaves the host-side series; its failure shows as\n"
    "kata_monitor_agent_up 0. Exit codes: 0 printed, 1 unknown sandbox or error, 2 usage.",
    NULL,
    NULL,
    NULL};

int cmd_metrics(int argc, char **argv)
{
        struct metrics_args a = {0};
        argv[0] = "kata-ctl metrics";
        argp_parse(&argp, argc, argv, 0, NULL, &a);
        signal(SIGPIPE, SIG_IGN);

        kata_error err = KATA_ERROR_INIT;
        kata_metrics_collector_opts copts = {.state_root = a.root,
                                             .agent_timeout_ms = a.timeout_ms};
        kata_metrics_collector *c = NULL;
        char *text = NULL;
        size_t len = 0;
        int r = kata_metrics_collector_new(&copts, &c, &err);
        if (r == 0)
                r = kata_metrics_collector_scrape(c, a.sandbox, &text, &len, &err);
        kata_metrics_collector_free(c);
        if (r < 0) {
                kata_error_print(&err, "kata-ctl metrics", stderr);
                return KATA_CTL_EXIT_FAIL;
        }
        fwrite(text, 1, len, stdout);
        free(text);
        return fflush(stdout) == 0 ? KATA_CTL_EXIT_OK : KATA_CTL_EXIT_FAIL;
}
