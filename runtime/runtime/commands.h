/* kata-runtime verbs, one cmd_<verb>() per file, crun-style: parse the verb's options
 * with argp and call one runtime_* function. argv[0] is the verb. Exit codes: 0 success,
 * 1 failure, 2 usage error; run and exec exit with the container process's status. */
#ifndef KATA_RUNTIME_COMMANDS_H
#define KATA_RUNTIME_COMMANDS_H

#include "runtime.h"

#define RT_EXIT_OK    0
#define RT_EXIT_FAIL  1
#define RT_EXIT_USAGE 2

/* Prints err (one place prints) and returns RT_EXIT_FAIL. */
int runtime_fail(const kata_error *err);

int cmd_run(runtime_opts *o, int argc, char **argv);
int cmd_create(runtime_opts *o, int argc, char **argv);
int cmd_start(runtime_opts *o, int argc, char **argv);
int cmd_state(runtime_opts *o, int argc, char **argv);
int cmd_exec(runtime_opts *o, int argc, char **argv);
int cmd_kill(runtime_opts *o, int argc, char **argv);
int cmd_ps(runtime_opts *o, int argc, char **argv);
int cmd_stats(runtime_opts *o, int argc, char **argv);
int cmd_pause(runtime_opts *o, int argc, char **argv);
int cmd_resume(runtime_opts *o, int argc, char **argv);
int cmd_delete(runtime_opts *o, int argc, char **argv);
int cmd_list(runtime_opts *o, int argc, char **argv);
int cmd_host_check(runtime_opts *o, int argc, char **argv);
int cmd_host_env(runtime_opts *o, int argc, char **argv);

#endif
