/* Where the agent's configuration comes from. In a VM the kernel command line carries
 * `agent.*` keys (read from /proc/cmdline when the agent is the VM's init); a host process that
 * starts the agent passes arguments or KATA_AGENT_* environment variables instead.
 * Precedence: arguments > environment > kernel command line > defaults.
 *
 *   kernel command line            environment                 argument
 *   agent.server_addr=ADDR         KATA_AGENT_SERVER_ADDR      --server-addr
 *   agent.log=LEVEL                KATA_AGENT_LOG_LEVEL        --log-level
 *   agent.trace[=BOOL]             KATA_AGENT_TRACE            --trace
 *   agent.debug_console[=BOOL]     KATA_AGENT_DEBUG_CONSOLE    --debug-console
 *   agent.hvsock[=BOOL]            KATA_AGENT_HVSOCK           --hvsock
 *   agent.debug_console_vport=N    -                           -
 *   agent.log_vport=N              -                           -
 *   systemd.unified_cgroup_hierarchy=1 or cgroup_no_v1=all: mount cgroup2 (init mode)
 *
 * hvsock: the listening socket speaks hybrid vsock (each connection starts with
 * "CONNECT <port>\n"). Implied by an hvsock:// address and by an inherited socket
 * bound to a file named kata.hvsock. */
#ifndef KATA_AGENT_SETTINGS_H
#define KATA_AGENT_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/log.h"

/* Where the agent listens in a VM when nothing else is said. */
#define AGENT_DEFAULT_VM_ADDR "vsock://any:1024"

struct agent_settings {
        char server_addr[256]; /* "" until set */
        enum kata_log_level log_level;
        bool log_level_set;
        bool trace;
        bool debug_console;
        bool hvsock;
        uint32_t debug_console_vport;
        uint32_t log_vport;
        bool unified_cgroup_hierarchy;
        /* For tests: treat the agent as init (or not) whatever its pid. -1: by pid. */
        int force_init_mode;
};

void agent_settings_defaults(struct agent_settings *s);

/* Applies the agent.* keys (and the cgroup keys) of a kernel command line. Unknown
 * agent.* keys are ignored (newer hosts may send them). A bad value is skipped and the
 * first such problem is returned as -EINVAL naming the key, after every other key has
 * been applied: a VM init logs it and goes on. */
int agent_settings_apply_cmdline(struct agent_settings *s, const char *cmdline, kata_error *err);

/* Applies KATA_AGENT_* variables from the process environment. Same error convention. */
int agent_settings_apply_env(struct agent_settings *s, kata_error *err);

/* Parses a boolean value: 1/0, true/false, yes/no, on/off. */
int agent_settings_parse_bool(const char *value, bool *out);

#endif
