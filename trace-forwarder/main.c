/* kata-trace-forwarder: parses options, then runs the forwarder (server.c). */
#include <argp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "forwarder.h"

const char *argp_program_version =
    "kata-trace-forwarder " KATA_VERSION " (commit " KATA_GIT_COMMIT ")";
const char *argp_program_bug_address = NULL;

enum {
        OPT_VSOCK_CID = 1000,
        OPT_VSOCK_PORT,
        OPT_MAX_FRAME,
        OPT_OTLP_ENDPOINT,
        OPT_OTLP_QUEUE,
        OPT_OTLP_BATCH,
        OPT_OTLP_BATCH_MS,
        OPT_OTLP_RETRIES,
        OPT_OTLP_BACKOFF,
        OPT_OTLP_TIMEOUT,
        OPT_FLUSH_TIMEOUT,
        OPT_LOG_LEVEL,
};

static const struct argp_option options[] = {
    {0, 0, 0, 0, "Listeners (default: " FWD_DEFAULT_SOCKET "):", 1},
    {"socket-path", 's', "PATH", 0,
     "Hybrid vsock socket of a sandbox: listen on PATH_10240 (repeatable)", 1},
    {"listen", 'l', "PATH", 0, "Listen on a plain unix socket (repeatable)", 1},
    {"vsock-cid", OPT_VSOCK_CID, "CID", 0,
     "Listen on AF_VSOCK with this CID (default any); enables vsock", 1},
    {"vsock-port", OPT_VSOCK_PORT, "PORT", 0, "AF_VSOCK port (default 10240); enables vsock", 1},
    {0, 0, 0, 0, "Frames and sinks:", 2},
    {"max-frame", OPT_MAX_FRAME, "BYTES", 0,
     "Largest frame payload accepted (default 16777216); larger closes the connection", 2},
    {"sink", 'k', "NAME[=ARG]", 0,
     "Where spans go: lttng, otlp, jsonl[=FILE] (repeatable; default jsonl to stdout)", 2},
    {"dump-only", 'd', 0, 0, "Same as --sink jsonl (spans as JSON lines on stdout)", 2},
    {"flush-timeout-ms", OPT_FLUSH_TIMEOUT, "MS", 0,
     "At SIGTERM/SIGINT, time sinks may take to drain (default 5000)", 2},
    {0, 0, 0, 0, "OTLP sink:", 3},
    {"otlp-endpoint", OPT_OTLP_ENDPOINT, "URL", 0,
     "OTLP/HTTP traces URL (default " FWD_DEFAULT_OTLP_URL ")", 3},
    {"otlp-queue-bytes", OPT_OTLP_QUEUE, "BYTES", 0,
     "Bound on queued batches; beyond it spans are dropped (default 67108864)", 3},
    {"otlp-batch-bytes", OPT_OTLP_BATCH, "BYTES", 0, "Batch size (default 1048576)", 3},
    {"otlp-batch-ms", OPT_OTLP_BATCH_MS, "MS", 0, "Batch age before sending (default 200)", 3},
    {"otlp-max-retries", OPT_OTLP_RETRIES, "N", 0,
     "Retries per batch on 429/502/503/504 or no connection (default 5)", 3},
    {"otlp-backoff-ms", OPT_OTLP_BACKOFF, "MS", 0,
     "First retry delay, doubled each retry (default 100)", 3},
    {"otlp-timeout-ms", OPT_OTLP_TIMEOUT, "MS", 0, "Per-request timeout (default 10000)", 3},
    {0, 0, 0, 0, "Other:", 4},
    {"log-level", OPT_LOG_LEVEL, "LEVEL", 0, "error, warn, info or debug (default warn)", 4},
    {0},
};

static const char doc[] =
    "Receives spans from kata agents (u64 big-endian length + OTLP protobuf frames) and "
    "relays them to sinks.\v"
    "Counters (connections, frames, bad_frames, received, forwarded, dropped) are printed on "
    "stderr on SIGUSR1 and at exit. SIGTERM or SIGINT flushes the sinks and exits 0.\n"
    "Exit codes: 0 stopped by a signal, 1 fatal error, 2 usage error.";

static int parse_u64_arg(struct argp_state *state, const char *name, const char *arg, uint64_t min,
                         uint64_t max, uint64_t *out)
{
        uint64_t v;
        if (kata_parse_u64(arg, &v) < 0 || v < min || v > max)
                argp_error(state, "%s: '%s' is not a number in %llu..%llu", name, arg,
                           (unsigned long long)min, (unsigned long long)max);
        *out = v;
        return 0;
}

static void add_sink(struct argp_state *state, struct fwd_config *cfg, char *spec)
{
        if (cfg->n_sinks == FWD_MAX_SINKS)
                argp_error(state, "at most %d sinks", FWD_MAX_SINKS);
        char *eq = strchr(spec, '=');
        if (eq)
                *eq = '\0';
        if (strcmp(spec, "jsonl") != 0 && strcmp(spec, "otlp") != 0 && strcmp(spec, "lttng") != 0)
                argp_error(state, "unknown sink '%s': choose lttng, otlp or jsonl[=FILE]", spec);
        if (eq && strcmp(spec, "jsonl") != 0)
                argp_error(state, "sink %s takes no argument", spec);
        for (size_t i = 0; i < cfg->n_sinks; i++) {
                if (strcmp(cfg->sinks[i].name, spec) == 0)
                        argp_error(state, "sink %s given twice", spec);
        }
        cfg->sinks[cfg->n_sinks].name = spec;
        cfg->sinks[cfg->n_sinks].arg = eq ? eq + 1 : NULL;
        cfg->n_sinks++;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
        struct fwd_config *cfg = state->input;
        uint64_t v;
        switch (key) {
        case 's':
                if (cfg->n_socket_paths == FWD_MAX_LISTENERS)
                        argp_error(state, "at most %d --socket-path", FWD_MAX_LISTENERS);
                cfg->socket_paths[cfg->n_socket_paths++] = arg;
                break;
        case 'l':
                if (cfg->n_listen_paths == FWD_MAX_LISTENERS)
                        argp_error(state, "at most %d --listen", FWD_MAX_LISTENERS);
                cfg->listen_paths[cfg->n_listen_paths++] = arg;
                break;
        case OPT_VSOCK_CID:
                parse_u64_arg(state, "--vsock-cid", arg, 0, UINT32_MAX, &v);
                cfg->vsock_cid = (uint32_t)v;
                cfg->vsock = true;
                break;
        case OPT_VSOCK_PORT:
                parse_u64_arg(state, "--vsock-port", arg, 1, UINT32_MAX, &v);
                cfg->vsock_port = (uint32_t)v;
                cfg->vsock = true;
                break;
        case OPT_MAX_FRAME:
                parse_u64_arg(state, "--max-frame", arg, 1, 1ull << 32, &cfg->max_frame);
                break;
        case 'k':
                add_sink(state, cfg, arg);
                break;
        case 'd': {
                static char jsonl[] = "jsonl";
                add_sink(state, cfg, jsonl);
                break;
        }
        case OPT_FLUSH_TIMEOUT:
                parse_u64_arg(state, "--flush-timeout-ms", arg, 0, 3600000, &v);
                cfg->flush_timeout_ms = (unsigned)v;
                break;
        case OPT_OTLP_ENDPOINT:
                if (strncmp(arg, "http://", 7) != 0 && strncmp(arg, "https://", 8) != 0)
                        argp_error(state, "--otlp-endpoint: '%s' is not an http(s) URL", arg);
                cfg->otlp.endpoint = arg;
                break;
        case OPT_OTLP_QUEUE:
                parse_u64_arg(state, "--otlp-queue-bytes", arg, 1, 1ull << 40, &v);
                cfg->otlp.queue_bytes = v;
                break;
        case OPT_OTLP_BATCH:
                parse_u64_arg(state, "--otlp-batch-bytes", arg, 1, 1ull << 32, &v);
                cfg->otlp.batch_bytes = v;
                break;
        case OPT_OTLP_BATCH_MS:
                parse_u64_arg(state, "--otlp-batch-ms", arg, 0, 3600000, &v);
                cfg->otlp.batch_ms = (unsigned)v;
                break;
        case OPT_OTLP_RETRIES:
                parse_u64_arg(state, "--otlp-max-retries", arg, 0, 1000, &v);
                cfg->otlp.max_retries = (unsigned)v;
                break;
        case OPT_OTLP_BACKOFF:
                parse_u64_arg(state, "--otlp-backoff-ms", arg, 1, 600000, &v);
                cfg->otlp.backoff_ms = (unsigned)v;
                break;
        case OPT_OTLP_TIMEOUT:
                parse_u64_arg(state, "--otlp-timeout-ms", arg, 1, 3600000, &v);
                cfg->otlp.timeout_ms = (unsigned)v;
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
        default:
                return ARGP_ERR_UNKNOWN;
        }
        return 0;
}

int main(int argc, char **argv)
{
        kata_log_init("kata-trace-forwarder", KATA_LOG_WARN);
        argp_err_exit_status = 2;
        struct fwd_config cfg;
        fwd_config_defaults(&cfg);
        struct argp argp = {options, parse_opt, NULL, doc};
        argp_parse(&argp, argc, argv, 0, NULL, &cfg);
        if (cfg.n_sinks == 0) {
                cfg.sinks[0].name = "jsonl";
                cfg.n_sinks = 1;
        }
        kata_error err = KATA_ERROR_INIT;
        if (fwd_run(&cfg, &err) < 0) {
                kata_error_print(&err, "kata-trace-forwarder", stderr);
                return 1;
        }
        return 0;
}
