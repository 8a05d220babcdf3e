#include <argp.h>

#include "commands.h"

static error_t parse_list_opt(int key, char *arg, struct argp_state *state)
{
        bool *json = state->input;
        switch (key) {
        case 'j':
                *json = true;
                return 0;
        case ARGP_KEY_ARG:
                argp_error(state, "unexpected argument '%s'", arg);
                return 0;
        default:
                return ARGP_ERR_UNKNOWN;
        }
}

int cmd_list(runtime_opts *o, int argc, char **argv)
{
        static const struct argp_option options[] = {{"json", 'j', 0, 0, "print JSON", 0}, {0}};
        bool json = false;
        struct argp argp = {options, parse_list_opt, NULL, "List containers of every sandbox.",
                            NULL,    NULL,           NULL};
        argp_parse(&argp, argc, argv, 0, NULL, &json);
        kata_error err = KATA_ERROR_INIT;
        if (runtime_opts_load(o, &err) < 0 || runtime_list(o, json, stdout, &err) < 0)
                return runtime_fail(&err);
        return RT_EXIT_OK;
}
