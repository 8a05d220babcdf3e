#include "cmd_common.h"

#include <string.h>

struct id_parse_ctx {
        struct id_args *out;
        bool allow_signal;
};

static error_t parse_id_opt(int key, char *arg, struct argp_state *state)
{
        struct id_parse_ctx *ctx = state->input;
        switch (key) {
        case 'j':
                ctx->out->json = true;
                return 0;
        case 'f':
                ctx->out->force = true;
                return 0;
        case 'a':
                ctx->out->all = true;
                return 0;
        case ARGP_KEY_ARG:
                if (!ctx->out->id)
                        ctx->out->id = arg;
                else if (ctx->allow_signal && !ctx->out->signal)
                        ctx->out->signal = arg;
                else
                        argp_error(state, "unexpected argument '%s'", arg);
                return 0;
        case ARGP_KEY_END:
                if (!ctx->out->id)
                        argp_error(state, "a container id is needed");
                return 0;
        default:
                return ARGP_ERR_UNKNOWN;
        }
}

void parse_id_args(int argc, char **argv, const char *doc, const struct argp_option *options,
                   bool allow_signal, struct id_args *out)
{
        static const struct argp_option none[] = {{0}};
        memset(out, 0, sizeof(*out));
        struct id_parse_ctx ctx = {out, allow_signal};
        struct argp argp = {options ? options : none,
                            parse_id_opt,
                            allow_signal ? "ID [SIGNAL]" : "ID",
                            doc,
                            NULL,
                            NULL,
                            NULL};
        argp_parse(&argp, argc, argv, 0, NULL, &ctx);
}
