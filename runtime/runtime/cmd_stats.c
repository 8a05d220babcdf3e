#include "cmd_common.h"
#include "commands.h"

int cmd_stats(runtime_opts *o, int argc, char **argv)
{
        static const struct argp_option options[] = {
            {"json", 'j', 0, 0, "print JSON (the agent's StatsContainer response)", 0}, {0}};
        struct id_args a;
        parse_id_args(argc, argv, "Print the resource usage of a container.", options, false, &a);
        kata_error err = KATA_ERROR_INIT;
        if (runtime_opts_load(o, &err) < 0 ||
            runtime_container_stats(o, a.id, a.json, stdout, &err) < 0)
                return runtime_fail(&err);
        return RT_EXIT_OK;
}
