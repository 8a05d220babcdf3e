#include "cmd_common.h"
#include "commands.h"

int cmd_run(runtime_opts *o, int argc, char **argv)
{
        runtime_create_args a;
        parse_create_args(argc, argv,
                          "Create and start a container, relay its stdio, delete it when it "
                          "exits; exit with its status.",
                          &a);
        kata_error err = KATA_ERROR_INIT;
        int status = RT_EXIT_FAIL;
        if (runtime_opts_load(o, &err) < 0 || runtime_container_run(o, &a, &status, &err) < 0)
                return runtime_fail(&err);
        return status;
}
