#include <stdio.h>
#include "cmd_common.h"
#include "commands.h"

int cmd_kill(runtime_opts *o, int argc, char **argv)
{
        static const struct argp_option options[] = {
            {"all", 'a', 0, 0, "signal every process of the container", 0}, {0}};
        struct id_args a;
        parse_id_args(argc, argv, "Send SIGNAL (default TERM; a number or a name) to a container.",
                      options, true, &a);
        int sig = 15;
        if (a.signal && runtime_signal_parse(a.signal, &sig) < 0) {
                fprintf(stderr, "kata-runtime: kill: unknown signal '%s'\n", a.signal);
                return RT_EXIT_USAGE;
        }
        kata_error err = KATA_ERROR_INIT;
        if (runtime_opts_load(o, &err) < 0 || runtime_container_kill(o, a.id, sig, a.all, &err) < 0)
                return runtime_fail(&err);
        return RT_EXIT_OK;
}
