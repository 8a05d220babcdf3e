#include "cmd_common.h"
#include "commands.h"

int cmd_ps(runtime_opts *o, int argc, char **argv)
{
        static const struct argp_option options[] = {{"json", 'j', 0, 0, "print JSON", 0}, {0}};
        struct id_args a;
        parse_id_args(argc, argv, "List the processes of a container (host and sandbox pids).",
                      options, false, &a);
        kata_error err = KATA_ERROR_INIT;
        if (runtime_opts_load(o, &err) < 0 ||
            runtime_container_ps(o, a.id, a.json, stdout, &err) < 0)
                return runtime_fail(&err);
        return RT_EXIT_OK;
}
