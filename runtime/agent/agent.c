/* The agent's life: listen (before any mount can hide the socket), do init's duties,
 * serve until told to stop, tear down. */
#include "agent/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/container.h"
#include "agent/debug_console.h"
#include "agent/init.h"
#include "agent/oom.h"
#include "agent/process.h"
#include "agent/rpc.h"
#include "agent/tracing.h"
#include "common/log.h"
#include "common/util.h"
#include "protocols/ttrpc.h"
#include "transport/transport.h"

void agent_request_stop(struct agent *a, int exit_code)
{
        if (a->stopping)
                return;
        a->exit_code = exit_code;
        a->stopping = 1;
        if (a->server)
                kata_ttrpc_server_stop(a->server);
}

static int hvsock_accept_hook(void *user, int fd, void **conn_data, kata_error *err)
{
        struct agent *a = user;
        uint32_t allowed[] = {KATA_PORT_AGENT, a->settings.debug_console_vport};
        size_t n = a->settings.debug_console ? 2 : 1;
        uint32_t port = 0;
        int r = kata_hvsock_server_handshake(fd, allowed, n, KATA_HVSOCK_HANDSHAKE_TIMEOUT_MS,
                                             &port, err);
        if (r < 0 || port == KATA_PORT_AGENT)
                return r;
        /* The console gets the connection; ttrpc lets go of it. The server shuts down
         * and closes the fd it accepted, which would cut the shell off: that fd number is
         * pointed at a dead socket first. */
        r = agent_debug_console_spawn(fd, err);
        if (r < 0)
                return r;
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0) {
                dup3(pair[0], fd, O_CLOEXEC);
                close(pair[0]);
                close(pair[1]);
        }
        return kata_error_set(err, ECONNABORTED, "port %u handed to the debug console", port);
}

/* An inherited unix socket bound to ".../kata.hvsock" is the local driver's hybrid vsock. */
static bool bound_to_hvsock_file(int fd)
{
        struct sockaddr_un sun;
        socklen_t len = sizeof(sun);
        memset(&sun, 0, sizeof(sun));
        if (getsockname(fd, (struct sockaddr *)&sun, &len) < 0 || sun.sun_family != AF_UNIX ||
            !sun.sun_path[0])
                return false;
        const char *base = strrchr(sun.sun_path, '/');
        return strcmp(base ? base + 1 : sun.sun_path, KATA_HVSOCK_FILENAME) == 0;
}

static int open_listener(struct agent *a, bool *hvsock, enum kata_transport_kind *kind,
                         kata_error *err)
{
        const char *text = a->settings.server_addr;
        if (!text[0]) {
                if (!agent_is_machine_init())
                        return kata_error_set(err, EINVAL,
                                              "no server address: use --server-addr or "
                                              "KATA_AGENT_SERVER_ADDR");
                text = AGENT_DEFAULT_VM_ADDR;
        }
        kata_address addr;
        int r = kata_address_parse(text, &addr, err);
        if (r < 0)
                return kata_error_prefix(err, "server address");
        int fd = kata_transport_listen(&addr, 0, err);
        if (fd < 0)
                return kata_error_prefix(err, "listening on %s", text);
        *kind = addr.kind;
        *hvsock = a->settings.hvsock || addr.kind == KATA_TRANSPORT_HVSOCK ||
                  (addr.kind == KATA_TRANSPORT_FD && bound_to_hvsock_file(fd));
        kata_log_info("listening on %s%s", text, *hvsock ? " (hybrid vsock)" : "");
        if (a->settings.debug_console && addr.kind == KATA_TRANSPORT_VSOCK) {
                kata_error cerr = KATA_ERROR_INIT;
                if (agent_debug_console_listen_vsock(a, a->settings.debug_console_vport, &cerr) < 0)
                        kata_log_warn("%s", cerr.msg);
        } else if (a->settings.debug_console && !*hvsock) {
                kata_log_warn("debug console: needs a vsock or hybrid vsock listener");
        }
        return fd;
}

static void setup_cgroups(struct agent *a)
{
        kata_error err = KATA_ERROR_INIT;
        if (kata_cgroup_layout_detect(NULL, &a->cgroup_layout, &err) < 0) {
                kata_log_warn("cgroups: %s: containers get no limits", err.msg);
                a->cgroup_layout = NULL;
        } else {
                kata_log_info("cgroups: %s layout",
                              kata_cgroup_mode_name(kata_cgroup_layout_mode(a->cgroup_layout)));
        }
        /* What the agent does with the paths a host sends in systemd form: the case of
         * the seed. */
        kata_cgroup_select_driver(a->init_mode, kata_cgroup_systemd_running(NULL),
                                  "system.slice:kata:example", &a->cgroup_driver);
        kata_log_info("cgroup driver %s: %s", kata_cgroup_driver_name(a->cgroup_driver.used),
                      a->cgroup_driver.reason);
}

int agent_run(const struct agent_settings *settings)
{
        struct agent *a = calloc(1, sizeof(*a));
        if (!a) {
                kata_log_error("out of memory");
                return 1;
        }
        a->settings = *settings;
        a->init_mode =
            settings->force_init_mode >= 0 ? settings->force_init_mode != 0 : agent_is_pid1();
        a->started_ns = kata_now_monotonic_ns();
        pthread_mutex_init(&a->lock, NULL);

        /* Signals go to the reaper thread only; children reset them before exec. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);

        kata_error err = KATA_ERROR_INIT;
        bool hvsock = false;
        enum kata_transport_kind listen_kind = KATA_TRANSPORT_UNIX;
        int listen_fd = open_listener(a, &hvsock, &listen_kind, &err);
        if (listen_fd < 0) {
                kata_error_print(&err, "kata-agent", stderr);
                free(a);
                return 1;
        }
        kata_error_clear(&err);
        if (agent_tracing_start(a, listen_fd, listen_kind == KATA_TRANSPORT_VSOCK, &err) < 0)
                kata_log_warn("%s: no spans", err.msg);
        kata_error_clear(&err);
        if (a->init_mode) {
                kata_log_info("running as init");
                if (agent_init_mount(&a->settings, &err) < 0) {
                        kata_log_error("init: %s", err.msg);
                        agent_init_end(1);
                }
                kata_error_clear(&err);
                if (agent_init_lo_up(&err) < 0)
                        kata_log_warn("init: %s", err.msg);
        } else if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
                kata_log_warn("cannot become a child subreaper: %s", strerror(errno));
        }
        setup_cgroups(a);

        pthread_t reaper;
        int r = pthread_create(&reaper, NULL, agent_reaper_thread, a);
        if (r != 0) {
                kata_log_error("reaper thread: %s", strerror(r));
                return 1;
        }
        kata_error_clear(&err);
        if (agent_oom_start(a, &err) < 0)
                kata_log_warn("%s: no OOM events", err.msg);

        kata_ttrpc_server *server = NULL;
        kata_error_clear(&err);
        if (kata_ttrpc_server_new(&server, &err) < 0 || agent_rpc_register(a, server, &err) < 0) {
                kata_log_error("server: %s", err.msg);
                agent_request_stop(a, 1);
        } else {
                if (hvsock)
                        kata_ttrpc_server_set_accept_hook(server, hvsock_accept_hook, NULL, a);
                pthread_mutex_lock(&a->lock);
                a->server = server;
                bool stop_now = a->stopping;
                pthread_mutex_unlock(&a->lock);
                if (stop_now)
                        kata_ttrpc_server_stop(server);
                kata_error_clear(&err);
                if (kata_ttrpc_server_serve(server, listen_fd, &err) < 0) {
                        kata_log_error("server: %s", err.msg);
                        agent_request_stop(a, 1);
                }
        }
        agent_request_stop(a, a->exit_code);
        close(listen_fd);
        container_remove_all(a);
        if (server)
                kata_ttrpc_server_free(server); /* waits for the handlers still running */
        agent_oom_stop(a);
        agent_tracing_stop();
        a->stopping = 2;
        /* Wake the reaper now rather than at its next wait timeout: an exiting sandbox
         * should not cost a fifth of a second. */
        pthread_kill(reaper, SIGCHLD);
        pthread_join(reaper, NULL);
        int code = a->exit_code;
        kata_cgroup_layout_free(a->cgroup_layout);
        pthread_mutex_destroy(&a->lock);
        free(a);
        kata_log_info("stopped");
        return code;
}
