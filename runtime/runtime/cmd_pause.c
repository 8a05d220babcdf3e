#include "cmd_common.h"
#include "commands.h"

int cmd_pause(runtime_opts *o, int argc, char **argv)
{
        struct id_args a;
        parse_id_args(argc, argv, "Freeze every process of a container.", NULL, false, &a);
        kata_error err = KATA_ERROR_INIT;
        if (runtime_opts_load(o, &err) < 0 || runtime_container_pause(o, a.id, true, &err) < 0)
                return runtime_fail(&err);
        return RT_EXIT_OK;
}
