/* `kata-runtime check` and `kata-runtime env` are kata-ctl's: the same code (the
 * kata-ctl-host library), so both binaries judge a host the same way. */
#include "commands.h"

/* From kata-ctl/cmd_check.c and kata-ctl/cmd_env.c. */
int cmd_check(int argc, char **argv);
int cmd_env(int argc, char **argv);

int cmd_host_check(runtime_opts *o, int argc, char **argv)
{
        (void)o;
        return cmd_check(argc, argv);
}

int cmd_host_env(runtime_opts *o, int argc, char **argv)
{
        if (o->config_path) {
                /* The global --config names the file env reports on. */
                static char *args[64];
                int n = 0;
                for (int i = 0; i < argc && n < 60; i++)
                        args[n++] = argv[i];
                args[n++] = "--config";
                args[n++] = (char *)o->config_path;
                args[n] = NULL;
                return cmd_env(n, args);
        }
        return cmd_env(argc, argv);
}
