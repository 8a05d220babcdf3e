/* kata-ctl spans record|report|check: trace collection around a workload (kata-ctl/spans). */
#include <argp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common/error.h"
#include "spans.h"

enum { OPT_FORMAT = 0x100, OPT_EXPECT, OPT_JSON, OPT_NO_FORWARDER, OPT_FORWARDER, OPT_SOCKET };

struct spans_args {
        const char *verb;
        const char *dir;
        const char *output;
        const char *expect;
        enum kata_spans_format format;
        bool format_given;
        bool json;
        bool no_forwarder;
        const char *forwarder;
        const char *socket;
        char **command;
};

static const struct argp_option spans_options[] = {
    {"output", 'o', "PATH", 0,
     "record: directory to write the trace to (new or empty); report: file to write (default "
     "stdout)",
     1},
    {"no-forwarder", OPT_NO_FORWARDER, NULL, 0,
     "record: do not start a kata-trace-forwarder (agent spans then need one already running)", 1},
    {"forwarder", OPT_FORWARDER, "PROGRAM", 0,
     "record: forwarder to start (default: kata-trace-forwarder next to kata-ctl, else $PATH)", 1},
    {"forwarder-socket", OPT_SOCKET, "PATH", 0,
     "record: the forwarder's socket (default /run/kata/trace-forwarder.sock)", 1},
    {"format", OPT_FORMAT, "FMT", 0, "report: text (default), chrome, otlp-json or html", 2},
    {"expect", OPT_EXPECT, "FILE", 0, "check: the expect file (format: kata-ctl/spans/README.md)",
     3},
    {"json", OPT_JSON, NULL, 0, "record, check: print the result as JSON", 3},
    {0}};

static error_t spans_parse(int key, char *arg, struct argp_state *state)
{
        struct spans_args *a = state->input;
        switch (key) {
        case 'o':
                a->output = arg;
                break;
        case OPT_NO_FORWARDER:
                a->no_forwarder = true;
                break;
        case OPT_FORWARDER:
                a->forwarder = arg;
                break;
        case OPT_SOCKET:
                a->socket = arg;
                break;
        case OPT_FORMAT:
                a->format_given = true;
                if (kata_spans_format_parse(arg, &a->format) < 0)
                        argp_error(state, "--format: '%s' is not text, chrome, otlp-json or html",
                                   arg);
                break;
        case OPT_EXPECT:
                a->expect = arg;
                break;
        case OPT_JSON:
                a->json = true;
                break;
        case ARGP_KEY_ARG:
                if (!a->verb) {
                        if (strcmp(arg, "record") != 0 && strcmp(arg, "report") != 0 &&
                            strcmp(arg, "check") != 0)
                                argp_error(state, "unknown action '%s' (record, report or check)",
                                           arg);
                        a->verb = arg;
                        break;
                }
                if (strcmp(a->verb, "record") == 0) {
                        /* The first argument after record's options starts the command; its
                         * own options stay its own. */
                        a->command = &state->argv[state->next - 1];
                        state->next = state->argc;
                        break;
                }
                if (a->dir)
                        argp_error(state, "unexpected argument '%s'", arg);
                a->dir = arg;
                break;
        case ARGP_KEY_END:
                if (!a->verb)
                        argp_error(state, "name an action: record, report or check");
                if (strcmp(a->verb, "record") == 0) {
                        if (!a->output)
                                argp_error(state, "record: -o DIR is required");
                        if (!a->command || !a->command[0])
                                argp_error(state, "record: name the command to trace "
                                                  "(kata-ctl spans record -o DIR -- CMD...)");
                } else {
                        if (!a->dir)
                                argp_error(state, "%s: name the trace directory", a->verb);
                        if (strcmp(a->verb, "check") == 0 && !a->expect)
                                argp_error(state, "check: --expect FILE is required");
                        if (strcmp(a->verb, "report") == 0 && a->json)
                                argp_error(state, "report: use --format chrome or otlp-json for "
                                                  "JSON");
                        if (strcmp(a->verb, "check") == 0 && a->output)
                                argp_error(state, "check: -o applies to record and report");
                }
                if (strcmp(a->verb, "check") != 0 && a->expect)
                        argp_error(state, "--expect applies to 'check' only");
                if (strcmp(a->verb, "report") != 0 && a->format_given)
                        argp_error(state, "--format applies to 'report' only");
                if (strcmp(a->verb, "record") != 0 &&
                    (a->no_forwarder || a->forwarder || a->socket))
                        argp_error(state, "--no-forwarder, --forwarder and --forwarder-socket "
                                          "apply to 'record' only");
                break;
        default:
                return ARGP_ERR_UNKNOWN;
        }
        return 0;
}

static const struct argp spans_argp = {
    spans_options,
    spans_parse,
    "record -o DIR [--] CMD...\nreport DIR [--format FMT] [-o FILE]\ncheck DIR --expect FILE "
    "[--json]",
    "Record, report and check kata_trace:span traces (LTTng).\v"
    "record  runs CMD with KATA_TRACE=1 inside an LTTng session writing to DIR (starts "
    "lttng-sessiond and a kata-trace-forwarder when none runs; needs root); exits with CMD's "
    "status, 1 when recording failed.\n"
    "report  rebuilds the span trees of the trace in DIR: text tree, Chrome trace JSON "
    "(Perfetto), OTLP JSON or a self-contained HTML timeline.\n"
    "check   compares the trace with an expect file; prints a diff of what is missing and "
    "exits 1 when anything is.",
    NULL,
    NULL,
    NULL};

static int do_report(const struct spans_args *a, kata_span_set *set, kata_error *err)
{
        FILE *out = stdout;
        if (a->output && strcmp(a->output, "-") != 0) {
                out = fopen(a->output, "w");
                if (!out)
                        return kata_error_errno(err, errno, "%s", a->output);
        }
        int r = kata_spans_report(set, a->format, out, err);
        if (out != stdout && fclose(out) != 0 && r == 0)
                r = kata_error_errno(err, errno, "%s", a->output);
        return r;
}

int cmd_spans(int argc, char **argv)
{
        struct spans_args a = {.format = KATA_SPANS_TEXT};
        kata_error err = KATA_ERROR_INIT;
        /* ARGP_IN_ORDER: the traced command's own options stay its own. */
        argp_parse(&spans_argp, argc, argv, ARGP_IN_ORDER, NULL, &a);

        if (strcmp(a.verb, "record") == 0) {
                kata_spans_record_opts o = {.output_dir = a.output,
                                            .argv = a.command,
                                            .no_forwarder = a.no_forwarder,
                                            .forwarder_path = a.forwarder,
                                            .forwarder_socket = a.socket,
                                            .json = a.json};
                int st = kata_spans_record(&o, &err);
                if (st < 0) {
                        kata_error_print(&err, "kata-ctl spans record", stderr);
                        return KATA_CTL_EXIT_FAIL;
                }
                return st;
        }

        kata_span_set set;
        kata_span_set_init(&set);
        int r = kata_spans_read_ctf(a.dir, &set, &err);
        if (r == 0 && strcmp(a.verb, "report") == 0) {
                r = do_report(&a, &set, &err);
        } else if (r == 0) {
                kata_spans_expect *e = NULL;
                r = kata_spans_expect_load(a.expect, &e, &err);
                if (r == 0)
                        r = kata_spans_check(e, &set, a.json, stdout, &err);
                kata_spans_expect_free(e);
                if (r > 0) {
                        kata_span_set_free(&set);
                        return KATA_CTL_EXIT_FAIL;
                }
        }
        kata_span_set_free(&set);
        if (r < 0) {
                char prog[32];
                snprintf(prog, sizeof(prog), "kata-ctl spans %s", a.verb);
                kata_error_print(&err, prog, stderr);
                return KATA_CTL_EXIT_FAIL;
        }
        return KATA_CTL_EXIT_OK;
}
