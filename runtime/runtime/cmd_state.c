#include "cmd_common.h"
#include "commands.h"

int cmd_state(runtime_opts *o, int argc, char **argv)
{
        struct id_args a;
        parse_id_args(argc, argv,
                      "Print the state of a container as JSON (OCI state, plus the sandbox).", NULL,
                      false, &a);
        kata_error err = KATA_ERROR_INIT;
        if (runtime_opts_load(o, &err) < 0 || runtime_container_state(o, a.id, stdout, &err) < 0)
                return runtime_fail(&err);
        return RT_EXIT_OK;
}
