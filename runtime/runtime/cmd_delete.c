#include "cmd_common.h"
#include "commands.h"

int cmd_delete(runtime_opts *o, int argc, char **argv)
{
        static const struct argp_option options[] = {
            {"force", 'f', 0, 0,
             "kill a running container first; clean up even when its agent is gone", 0},
            {0}};
        struct id_args a;
        parse_id_args(argc, argv, "Delete a container; its sandbox goes with its last container.",
                      options, false, &a);
        kata_error err = KATA_ERROR_INIT;
        if (runtime_opts_load(o, &err) < 0 || runtime_container_delete(o, a.id, a.force, &err) < 0)
                return runtime_fail(&err);
        return RT_EXIT_OK;
}
