/* kata-runtime: global options, then one verb (OCI-style where verbs overlap with
 * runc/crun). This file only dispatches; the verbs live in cmd_<verb>.c. */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common/log.h"
#include "common/version.h"
#include "tracing/tracing.h"

const char *argp_program_version = "kata-runtime " KATA_VERSION " (commit " KATA_GIT_COMMIT ")";

struct verb {
        const char *name;
        int (*fn)(runtime_opts *o, int argc, char **argv);
        const char *summary;
};

static const struct verb verbs[] = {
    {"run", cmd_run, "create and start a container, relay its stdio, exit with its status"},
    {"create", cmd_create, "create a container (and its sandbox, unless --sandbox)"},
    {"start", cmd_start, "start a created container"},
    {"state", cmd_state, "print a container's state as JSON"},
    {"exec", cmd_exec, "run a command in a running container"},
    {"kill", cmd_kill, "send a signal to a container"},
    {"ps", cmd_ps, "list a container's processes"},
    {"stats", cmd_stats, "print a container's resource usage"},
    {"pause", cmd_pause, "freeze every process of a container"},
    {"resume", cmd_resume, "thaw a paused container"},
    {"delete", cmd_delete, "delete a container (and its sandbox with the last one)"},
    {"list", cmd_list, "list containers"},
    {"check", cmd_host_check, "check whether this host can run sandboxes (as kata-ctl check)"},
    {"env", cmd_host_env, "show the host, configuration and components (as kata-ctl env)"},
};

static char doc[] =
    "kata-runtime -- run containers in sandboxes\v"
    "Verbs:\n"
    "  run, create, start, state, exec, kill, ps, stats, pause, resume, delete, list,\n"
    "  check, env\n\n"
    "Run 'kata-runtime VERB --help' for a verb's options.\n"
    "Exit codes: 0 success, 1 failure, 2 usage error; run and exec exit with the "
    "container process's status.";

enum { OPT_ROOT = 0x100, OPT_CONFIG, OPT_LOG_LEVEL };

static struct argp_option options[] = {
    {"root", OPT_ROOT, "DIR", 0, "state directory (default: [runtime] state_root, /run/kata)", 0},
    {"config", OPT_CONFIG, "FILE", 0,
     "configuration file (default: $KATA_CONF_FILE, "
     "/etc/kata-containers/configuration.toml)",
     0},
    {"log-level", OPT_LOG_LEVEL, "LEVEL", 0, "error, warn, info or debug", 0},
    {"debug", 'd', 0, 0, "same as --log-level debug", 0},
    {0}};

static error_t parse_global(int key, char *arg, struct argp_state *state)
{
        runtime_opts *o = state->input;
        enum kata_log_level level;
        switch (key) {
        case OPT_ROOT:
                o->root = arg;
                return 0;
        case OPT_CONFIG:
                o->config_path = arg;
                return 0;
        case OPT_LOG_LEVEL:
                if (kata_log_level_parse(arg, &level) < 0)
                        argp_error(state, "unknown log level '%s'", arg);
                kata_log_set_level(level);
                return 0;
        case 'd':
                kata_log_set_level(KATA_LOG_DEBUG);
                return 0;
        case ARGP_KEY_NO_ARGS:
                argp_usage(state);
                return 0;
        default:
                return ARGP_ERR_UNKNOWN;
        }
}

int runtime_fail(const kata_error *err)
{
        kata_error_print(err, "kata-runtime", stderr);
        return RT_EXIT_FAIL;
}

int main(int argc, char **argv)
{
        kata_log_init("kata-runtime", KATA_LOG_WARN);
        argp_err_exit_status = RT_EXIT_USAGE;
        runtime_opts o = {0};
        struct argp argp = {options, parse_global, "VERB [ARGS...]", doc, NULL, NULL, NULL};
        int verb_index = argc;
        /* In order, and ARGP_KEY_ARG left unknown: parsing stops at the verb, whose own
         * options follow it. */
        argp_parse(&argp, argc, argv, ARGP_IN_ORDER, &verb_index, &o);
        if (verb_index >= argc) {
                fprintf(stderr, "kata-runtime: a verb is needed (try --help)\n");
                return RT_EXIT_USAGE;
        }
        const char *name = argv[verb_index];
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
                if (strcmp(verbs[i].name, name) != 0)
                        continue;
                o.verb = verbs[i].name;
                /* argp names the program after argv[0]: "kata-runtime state: ..." */
                char progname[64];
                snprintf(progname, sizeof(progname), "kata-runtime %s", verbs[i].name);
                argv[verb_index] = progname;
                int rc = verbs[i].fn(&o, argc - verb_index, argv + verb_index);
                if (rc != RT_EXIT_OK)
                        kata_span_set_status(o.span, KATA_SPAN_STATUS_ERROR, "exit status");
                runtime_opts_free(&o);
                return rc;
        }
        fprintf(stderr, "kata-runtime: unknown verb '%s' (try --help)\n", name);
        return RT_EXIT_USAGE;
}
