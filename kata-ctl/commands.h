/* Every kata-ctl subcommand is one cmd_<name>() in its own cmd_<name>.c: it declares its
 * options for argp, parses argv (argv[0] is the subcommand name) and calls one library
 * function. It returns the process exit code (documented in README.md):
 * 0 success, 1 the operation failed or found a failure, 2 usage error. */
#ifndef KATA_CTL_COMMANDS_H
#define KATA_CTL_COMMANDS_H

#define KATA_CTL_EXIT_OK    0
#define KATA_CTL_EXIT_FAIL  1
#define KATA_CTL_EXIT_USAGE 2

/* Shared by all subcommands for argp's --version. */
extern const char *argp_program_version;
extern const char *argp_program_bug_address;

int cmd_check(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_spans(int argc, char **argv);
int cmd_exec(int argc, char **argv);

#endif
