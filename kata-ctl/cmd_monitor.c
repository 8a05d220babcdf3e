/* kata-ctl monitor: serves every sandbox's metrics to Prometheus (Kata's kata-monitor).
 * The endpoint and what it exports live in kata-ctl/metrics/; this file parses options
 * and runs until SIGINT or SIGTERM. */
#include <argp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common/log.h"
#include "common/util.h"
#include "metrics/collect.h"
#include "metrics/server.h"
#include "state/state.h"

struct monitor_args {
        const char *listen;
        const char *root;
        int timeout_ms;
};

enum { OPT_ROOT = 1000 };

static const struct argp_option options[] = {
    {"listen", 'l', "HOST:PORT", 0,
     "Address to serve on (default " KATA_METRICS_DEFAULT_LISTEN
     "; port 0 picks one and prints it)",
     0},
    {"root", OPT_ROOT, "DIR", 0, "Sandbox state root (default " KATA_STATE_DEFAULT_ROOT ")", 0},
    {"agent-timeout", 't', "MS", 0,
     "Give each sandbox's agent MS milliseconds per scrape (default 2000)", 0},
    {0}};

static int parse_opt(int key, char *arg, struct argp_state *state)
{
        struct monitor_args *a = state->input;
        uint64_t v;
        switch (key) {
        case 'l': {
                struct sockaddr_storage addr;
                kata_error err = KATA_ERROR_INIT;
                if (kata_metrics_parse_listen(arg, &addr, &err) < 0)
                        argp_error(state, "--listen: %s", err.msg);
                a->listen = arg;
                break;
        }
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
    "Serve Prometheus metrics of every sandbox over HTTP: /metrics (all sandboxes),\n"
    "/metrics?sandbox=ID (one), /sandboxes (JSON list). Stops on SIGINT or SIGTERM.\n"
    "Exit codes: 0 stopped by a signal, 1 cannot serve, 2 usage error.",
    NULL,
    NULL,
    NULL};

int cmd_monitor(int argc, char **argv)
{
        struct monitor_args a = {.listen = KATA_METRICS_DEFAULT_LISTEN};
        argv[0] = "kata-ctl monitor";
        argp_parse(&argp, argc, argv, 0, NULL, &a);

        /* A write to an agent that just died must fail with EPIPE, not end the monitor. */
        signal(SIGPIPE, SIG_IGN);
        sigset_t stop;
        sigemptyset(&stop);
        sigaddset(&stop, SIGINT);
        sigaddset(&stop, SIGTERM);
        /* Blocked before any thread starts, so only sigwait below sees them. */
        pthread_sigmask(SIG_BLOCK, &stop, NULL);

        kata_error err = KATA_ERROR_INIT;
        kata_metrics_collector_opts copts = {.state_root = a.root,
                                             .agent_timeout_ms = a.timeout_ms};
        kata_metrics_collector *c = NULL;
        kata_metrics_server *s = NULL;
        if (kata_metrics_collector_new(&copts, &c, &err) < 0 ||
            kata_metrics_server_start(c, a.listen, &s, &err) < 0) {
                kata_error_print(&err, "kata-ctl monitor", stderr);
                kata_metrics_collector_free(c);
                return KATA_CTL_EXIT_FAIL;
        }
        /* Tests and scripts read the port from here when they ask for port 0. */
        printf("kata-ctl monitor: serving on port %u\n", kata_metrics_server_port(s));
        fflush(stdout);
        int sig = 0;
        sigwait(&stop, &sig);
        kata_metrics_server_stop(s);
        kata_metrics_collector_free(c);
        return KATA_CTL_EXIT_OK;
}
