#include "cmd_common.h"
#include "commands.h"

int cmd_resume(runtime_opts *o, int argc, char **argv)
{
        struct id_args a;
        parse_id_args(argc, argv, "Thaw a paused container.", NULL, false, &a);
        kata_error err = KATA_ERROR_INIT;
        if (runtime_opts_load(o, &err) < 0 || runtime_container_pause(o, a.id, false, &err) < 0)
                return runtime_fail(&err);
        return RT_EXIT_OK;
}
