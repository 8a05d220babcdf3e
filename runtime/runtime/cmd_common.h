/* Option parsing shared by the verbs that take exactly one container id. */
#ifndef KATA_RUNTIME_CMD_COMMON_H
#define KATA_RUNTIME_CMD_COMMON_H

#include <argp.h>
#include <stdbool.h>

struct id_args {
        const char *id;
        bool json;
        bool force;
        bool all;
        const char *signal;
};

/* Parses "VERB [--json] ID" style lines; options is the verb's extra argp options
 * (handled here: --json 'j', --force 'f', --all 'a'). Exits 2 on usage errors. */
void parse_id_args(int argc, char **argv, const char *doc, const struct argp_option *options,
                   bool allow_signal, struct id_args *out);

/* Parses the options create and run share (--bundle, --sandbox, --pid-file, ID). */
struct runtime_create_args;
void parse_create_args(int argc, char **argv, const char *doc, struct runtime_create_args *a);

#endif
