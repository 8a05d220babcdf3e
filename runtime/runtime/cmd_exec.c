#include <argp.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

#define EXEC_MAX_ENV 256

struct exec_parse {
        runtime_exec_args a;
        char *env[EXEC_MAX_ENV + 1];
        size_t nenv;
};

static const struct argp_option exec_options[] = {
    {"cwd", 'w', "DIR", 0, "working directory (default: the container's)", 0},
    {"env", 'e', "KEY=VALUE", 0, "set an environment variable (repeatable)", 0},
    {"user", 'u', "UID[:GID]", 0, "run as this user", 0},
    {"tty", 't', 0, 0, "allocate a terminal", 0},
    {0}};

static error_t parse_exec_opt(int key, char *arg, struct argp_state *state)
{
        struct exec_parse *p = state->input;
        switch (key) {
        case 'w':
                p->a.cwd = arg;
                return 0;
        case 'e':
                if (p->nenv >= EXEC_MAX_ENV)
                        argp_error(state, "too many --env options");
                if (!strchr(arg, '='))
                        argp_error(state, "--env %s: expected KEY=VALUE", arg);
                p->env[p->nenv++] = arg;
                return 0;
        case 'u':
                p->a.user = arg;
                return 0;
        case 't':
                p->a.tty = true;
                return 0;
        case ARGP_KEY_ARG:
                /* The id, then the command with all its own options. */
                p->a.id = arg;
                if (state->next < state->argc && strcmp(state->argv[state->next], "--") == 0)
                        state->next++;
                p->a.argv = &state->argv[state->next];
                p->a.argc = state->argc - state->next;
                state->next = state->argc;
                return 0;
        case ARGP_KEY_END:
                if (!p->a.id || p->a.argc < 1)
                        argp_error(state, "usage: exec ID [--] CMD [ARGS...]");
                return 0;
        default:
                return ARGP_ERR_UNKNOWN;
        }
}

int cmd_exec(runtime_opts *o, int argc, char **argv)
{
        struct exec_parse p;
        memset(&p, 0, sizeof(p));
        struct argp argp = {exec_options,
                            parse_exec_opt,
                            "ID [--] CMD [ARGS...]",
                            "Run a command in a running container; exit with its status.",
                            NULL,
                            NULL,
                            NULL};
        argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &p);
        if (p.nenv)
                p.a.env = p.env;
        kata_error err = KATA_ERROR_INIT;
        int status = RT_EXIT_FAIL;
        if (runtime_opts_load(o, &err) < 0 || runtime_container_exec(o, &p.a, &status, &err) < 0)
                return runtime_fail(&err);
        return status;
}
