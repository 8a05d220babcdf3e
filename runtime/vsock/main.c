/* kata-vsock-backend: the per-VM vhost-user-vsock device (see backend.h). */
#include <argp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/error.h"
#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "vsock/backend.h"

const char *argp_program_version =
    "kata-vsock-backend " KATA_VERSION " (commit " KATA_GIT_COMMIT ")";

struct args {
        const char *socket_path;
        const char *uds_path;
        uint64_t guest_cid;
        bool cid_set;
};

enum { OPT_SOCKET = 's', OPT_UDS = 'u', OPT_CID = 'c', OPT_LOG_LEVEL = 'l' };

static const struct argp_option options[] = {
    {"socket", OPT_SOCKET, "PATH", 0, "vhost-user socket to listen on (QEMU connects to it)", 0},
    {"uds-path", OPT_UDS, "PATH", 0,
     "hybrid vsock socket for host clients; guest connections to port P go to PATH_P", 0},
    {"guest-cid", OPT_CID, "N", 0, "the guest's vsock context id (3 or more)", 0},
    {"log-level", OPT_LOG_LEVEL, "LEVEL", 0, "error, warn, info or debug (default: info)", 0},
    {0}};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
        struct args *a = state->input;
        switch (key) {
        case OPT_SOCKET:
                a->socket_path = arg;
                break;
        case OPT_UDS:
                a->uds_path = arg;
                break;
        case OPT_CID:
                if (kata_parse_u64(arg, &a->guest_cid) < 0 || a->guest_cid < 3 ||
                    a->guest_cid > 0xFFFFFFFEull)
                        argp_error(state, "--guest-cid: '%s' is not a CID in 3..4294967294", arg);
                a->cid_set = true;
                break;
        case OPT_LOG_LEVEL: {
                enum kata_log_level level;
                if (kata_log_level_parse(arg, &level) < 0)
                        argp_error(state, "--log-level: unknown level '%s'", arg);
                kata_log_set_level(level);
                break;
        }
        case ARGP_KEY_ARG:
                argp_error(state, "unexpected argument '%s'", arg);
                break;
        case ARGP_KEY_END:
                if (!a->socket_path || !a->uds_path || !a->cid_set)
                        argp_error(state, "--socket, --uds-path and --guest-cid are required");
                break;
        default:
                return ARGP_ERR_UNKNOWN;
        }
        return 0;
}

static const struct argp argp = {
    options,
    parse_opt,
    NULL,
    "Serve QEMU's vhost-user-vsock-pci device for one VM and expose the guest's vsock on the "
    "host as hybrid vsock: a host client connects to --uds-path and writes \"CONNECT "
    "<port>\\n\"; it reads \"OK <n>\\n\" once the guest accepted. Exits when QEMU disconnects, "
    "removing both sockets.\vExit codes: 0 QEMU disconnected or SIGTERM, 1 error, 2 usage.",
    NULL,
    NULL,
    NULL};

static struct kata_vsock_backend *backend;

static void on_signal(int sig)
{
        (void)sig;
        if (backend)
                kata_vsock_backend_stop(backend);
}

int main(int argc, char **argv)
{
        kata_log_init("kata-vsock-backend", KATA_LOG_INFO);
        argp_err_exit_status = 2;
        struct args a = {0};
        argp_parse(&argp, argc, argv, 0, NULL, &a);

        signal(SIGPIPE, SIG_IGN);
        /* Each connection holds a host socket: allow the soft fd limit up to the hard one. */
        struct rlimit nofile;
        if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
                nofile.rlim_cur = nofile.rlim_max;
                (void)setrlimit(RLIMIT_NOFILE, &nofile);
        }
        kata_error err = KATA_ERROR_INIT;
        struct kata_vsock_backend_options opts = {
            .socket_path = a.socket_path, .uds_path = a.uds_path, .guest_cid = a.guest_cid};
        if (kata_vsock_backend_new(&opts, &backend, &err) < 0) {
                kata_error_print(&err, "kata-vsock-backend", stderr);
                return 1;
        }
        struct sigaction sa = {.sa_handler = on_signal};
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        int rc = kata_vsock_backend_run(backend, &err);
        kata_vsock_backend_free(backend);
        backend = NULL;
        if (rc < 0) {
                kata_error_print(&err, "kata-vsock-backend", stderr);
                return 1;
        }
        return 0;
}
