#include <argp.h>
#include <string.h>

#include "cmd_common.h"
#include "commands.h"

enum { OPT_SANDBOX = 0x100, OPT_PID_FILE };

static const struct argp_option create_options[] = {
    {"bundle", 'b', "DIR", 0, "OCI bundle directory (default: the current directory)", 0},
    {"sandbox", OPT_SANDBOX, "SID", 0, "join this sandbox (a pod) instead of making one", 0},
    {"pid-file", OPT_PID_FILE, "FILE", 0, "write the container's host pid here", 0},
    {0}};

static error_t parse_create_opt(int key, char *arg, struct argp_state *state)
{
        runtime_create_args *a = state->input;
        switch (key) {
        case 'b':
                a->bundle = arg;
                return 0;
        case OPT_SANDBOX:
                a->sandbox_id = arg;
                return 0;
        case OPT_PID_FILE:
                a->pid_file = arg;
                return 0;
        case ARGP_KEY_ARG:
                if (a->id)
                        argp_error(state, "unexpected argument '%s'", arg);
                a->id = arg;
                return 0;
        case ARGP_KEY_END:
                if (!a->id)
                        argp_error(state, "a container id is needed");
                return 0;
        default:
                return ARGP_ERR_UNKNOWN;
        }
}

/* Shared by create and run: the same options. */
void parse_create_args(int argc, char **argv, const char *doc, runtime_create_args *a)
{
        memset(a, 0, sizeof(*a));
        a->bundle = ".";
        struct argp argp = {create_options, parse_create_opt, "ID", doc, NULL, NULL, NULL};
        argp_parse(&argp, argc, argv, 0, NULL, a);
}

int cmd_create(runtime_opts *o, int argc, char **argv)
{
        runtime_create_args a;
        parse_create_args(argc, argv,
                          "Create a container from an OCI bundle; without --sandbox, a new "
                          "sandbox named after it.",
                          &a);
        kata_error err = KATA_ERROR_INIT;
        if (runtime_opts_load(o, &err) < 0 || runtime_container_create(o, &a, &err) < 0)
                return runtime_fail(&err);
        return RT_EXIT_OK;
}
