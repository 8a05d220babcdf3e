/* Finding a sandbox's debug console: its agent address from the state, port 1026 instead
 * of the agent's 1024 on the same (hybrid) vsock, and errors that tell an unknown
 * sandbox, a stopped one and a console that is not enabled apart. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "console.h"
#include "state/state.h"
#include "transport/transport.h"

#define CONSOLE_HOWTO                                                                              \
        "enable it with 'debug_console_enabled = true' under [agent.kata] in the "                 \
        "configuration (agent.debug_console on a guest kernel command line) and start the "        \
        "sandbox again"

int kata_console_connect(const char *root, const char *sid, int timeout_ms, kata_error *err)
{
        const char *shown_root = root && *root ? root : KATA_STATE_DEFAULT_ROOT;
        kata_sandbox_state st;
        kata_sandbox_state_init(&st);
        int r = kata_state_load(root, sid, &st, err);
        if (r == -ENOENT) {
                kata_sandbox_state_free(&st);
                return kata_error_set(err, ENOENT, "unknown sandbox '%s' (nothing under %s)", sid,
                                      shown_root);
        }
        if (r < 0) {
                kata_sandbox_state_free(&st);
                return kata_error_prefix(err, "sandbox '%s'", sid);
        }
        enum kata_sandbox_status status = st.status;
        char text[KATA_STATE_ADDR_MAX];
        memcpy(text, st.agent_address, sizeof(text));
        kata_sandbox_state_free(&st);
        if (status == KATA_SANDBOX_STOPPED)
                return kata_error_set(err, ENOTCONN, "sandbox '%s' is not running (stopped)", sid);
        if (!text[0])
                return kata_error_set(err, ENOTCONN,
                                      "sandbox '%s' is not running (no agent address yet)", sid);
        kata_address agent;
        if (kata_address_parse(text, &agent, err) < 0)
                return kata_error_prefix(err, "sandbox '%s': agent address", sid);
        if (agent.kind != KATA_TRANSPORT_HVSOCK && agent.kind != KATA_TRANSPORT_VSOCK)
                return kata_error_set(err, EPROTONOSUPPORT,
                                      "sandbox '%s': its agent is on %s, and the debug console "
                                      "needs vsock or hybrid vsock",
                                      sid, text);
        kata_address console = agent;
        console.port = KATA_PORT_DEBUG_CONSOLE;
        int fd = kata_transport_connect(&console, timeout_ms, err);
        if (fd >= 0)
                return fd;
        if (fd == -ENOENT)
                return kata_error_set(err, ENOTCONN,
                                      "sandbox '%s' is not running: its agent socket %s is gone",
                                      sid, agent.path);
        if (fd != -ECONNREFUSED)
                return kata_error_prefix(err, "sandbox '%s': debug console", sid);
        /* Refused: by an agent without a console, or because nobody is there at all. */
        kata_error probe_err = KATA_ERROR_INIT;
        int probe = kata_transport_connect(&agent, timeout_ms, &probe_err);
        if (probe >= 0) {
                close(probe);
                return kata_error_set(err, ECONNREFUSED,
                                      "sandbox '%s': the agent refused the debug console (port "
                                      "%u): it is not enabled; " CONSOLE_HOWTO,
                                      sid, KATA_PORT_DEBUG_CONSOLE);
        }
        return kata_error_set(err, ENOTCONN,
                              "sandbox '%s' is not running: its agent does not answer on %s (%s)",
                              sid, text, probe_err.msg);
}
