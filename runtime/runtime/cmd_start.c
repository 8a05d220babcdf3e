#include "cmd_common.h"
#include "commands.h"

int cmd_start(runtime_opts *o, int argc, char **argv)
{
        struct id_args a;
        parse_id_args(argc, argv, "Start a created container.", NULL, false, &a);
        kata_error err = KATA_ERROR_INIT;
        if (runtime_opts_load(o, &err) < 0 || runtime_container_start(o, a.id, &err) < 0)
                return runtime_fail(&err);
        return RT_EXIT_OK;
}
