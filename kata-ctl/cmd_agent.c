/* kata-ctl agent: send one ttrpc request to an agent and print the reply as JSON (Kata's
 * agent-ctl). The request JSON is mapped to the RPC's protobuf type through protobuf-c's
 * descriptors (runtime/libs/protocols/pb_json.h), so every RPC of the .proto files is
 * available without per-method code. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "common/util.h"
#include "protocols/methods.h"
#include "protocols/pb_json.h"
#include "protocols/ttrpc.h"
#include "transport/transport.h"

#define MAX_REQUEST_BYTES (8u << 20)
#define MAX_METADATA      16
/* Connecting is bounded even when the call itself may wait forever (--timeout 0). */
#define CONNECT_TIMEOUT_MS 10000

struct agent_args {
        const char *addr;
        double timeout_sec;
        bool list;
        bool json;
        bool compact;
        bool defaults;
        bool ignore_unknown;
        const char *oci_file;
        kata_ttrpc_kv metadata[MAX_METADATA];
        size_t n_metadata;
        const char *method;
        const char *request;
};

enum {
        OPT_JSON = 1000,
        OPT_COMPACT,
        OPT_DEFAULTS,
        OPT_IGNORE_UNKNOWN,
        OPT_OCI,
};

static const struct argp_option options[] = {
    {"addr", 'a', "ADDR", 0,
     "Agent address: unix://PATH or hvsock://PATH:PORT (also vsock://CID:PORT)", 0},
    {"timeout", 't', "SEC", 0,
     "Give up on the reply after SEC seconds (default 30; 0: wait forever)", 0},
    {"metadata", 'm', "KEY=VALUE", 0, "Add request metadata (e.g. traceparent=...); repeatable", 0},
    {"oci", OPT_OCI, "FILE", 0,
     "Put the OCI config.json in FILE into the request's OCI field (CreateContainer)", 0},
    {"ignore-unknown", OPT_IGNORE_UNKNOWN, NULL, 0, "Skip request JSON keys that name no field", 0},
    {"defaults", OPT_DEFAULTS, NULL, 0, "Print fields that hold their default value too", 0},
    {"compact", OPT_COMPACT, NULL, 0, "Print the reply on one line", 0},
    {"list", 'l', NULL, 0, "List the methods (service, request and response types)", 0},
    {"json", OPT_JSON, NULL, 0, "With --list: print a JSON array", 0},
    {0}};

static const char doc[] =
    "Send one RPC to a kata-agent and print the response as JSON.\v"
    "METHOD is an RPC name as in the .proto (CreateContainer, Check), optionally qualified by "
    "its service (grpc.Health.Check). JSON is the request, with the .proto's field names; "
    "'-' reads it from stdin, '@FILE' from FILE; omitted means an empty request. Enums take "
    "names or numbers, bytes are base64, 64-bit integers may be strings.\n\n"
    "Examples:\n"
    "  kata-ctl agent --addr unix:///run/kata/sb/agent.sock Check\n"
    "  kata-ctl agent --addr hvsock:///run/kata/sb/kata.hvsock:1024 GetGuestDetails\n"
    "  kata-ctl agent -a unix:///tmp/a.sock CreateContainer '{\"container_id\":\"c1\"}' "
    "--oci bundle/config.json\n\n"
    "Exit codes: 0 the RPC succeeded, 1 it failed (the status code name and message are "
    "printed: NOT_FOUND, DEADLINE_EXCEEDED, UNAVAILABLE...), 2 usage error (unknown method, "
    "request that does not fit the method's type).";

static int parse_opt(int key, char *arg, struct argp_state *state)
{
        struct agent_args *a = state->input;
        switch (key) {
        case 'a':
                a->addr = arg;
                break;
        case 't': {
                char *end;
                errno = 0;
                a->timeout_sec = strtod(arg, &end);
                if (errno || end == arg || *end || a->timeout_sec < 0 || a->timeout_sec > 1e6)
                        argp_error(state, "--timeout: '%s' is not a number of seconds (0..1000000)",
                                   arg);
                break;
        }
        case 'm': {
                char *eq = strchr(arg, '=');
                if (!eq || eq == arg)
                        argp_error(state, "--metadata: '%s' is not KEY=VALUE", arg);
                if (a->n_metadata == MAX_METADATA)
                        argp_error(state, "--metadata: at most %d pairs", MAX_METADATA);
                *eq = '\0';
                a->metadata[a->n_metadata].key = arg;
                a->metadata[a->n_metadata].value = eq + 1;
                a->n_metadata++;
                break;
        }
        case OPT_OCI:
                a->oci_file = arg;
                break;
        case OPT_IGNORE_UNKNOWN:
                a->ignore_unknown = true;
                break;
        case OPT_DEFAULTS:
                a->defaults = true;
                break;
        case OPT_COMPACT:
                a->compact = true;
                break;
        case 'l':
                a->list = true;
                break;
        case OPT_JSON:
                a->json = true;
                break;
        case ARGP_KEY_ARG:
                if (state->arg_num == 0)
                        a->method = arg;
                else if (state->arg_num == 1)
                        a->request = arg;
                else
                        argp_error(state, "too many arguments: '%s'", arg);
                break;
        case ARGP_KEY_END:
                if (a->list)
                        break;
                if (!a->method)
                        argp_error(state, "missing METHOD (--list names them)");
                if (!a->addr)
                        argp_error(state, "missing --addr");
                break;
        default:
                return ARGP_ERR_UNKNOWN;
        }
        return 0;
}

static int list_methods(bool json)
{
        const kata_rpc_method *m;
        size_t n = kata_rpc_methods(&m);
        if (!json) {
                for (size_t i = 0; i < n; i++) {
                        char full[128];
                        snprintf(full, sizeof(full), "%s.%s", m[i].service, m[i].name);
                        printf("%-40s %s -> %s\n", full, m[i].input->name, m[i].output->name);
                }
                return KATA_CTL_EXIT_OK;
        }
        struct json_object *arr = json_object_new_array();
        for (size_t i = 0; arr && i < n; i++) {
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "service", json_object_new_string(m[i].service));
                json_object_object_add(o, "method", json_object_new_string(m[i].name));
                json_object_object_add(o, "request", json_object_new_string(m[i].input->name));
                json_object_object_add(o, "response", json_object_new_string(m[i].output->name));
                json_object_array_add(arr, o);
        }
        printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(arr);
        return KATA_CTL_EXIT_OK;
}

/* The request text: inline, '-' (stdin) or '@FILE'. NULL text means an empty request. */
static int read_request_text(const char *arg, char **out, kata_error *err)
{
        *out = NULL;
        if (!arg)
                return 0;
        if (strcmp(arg, "-") == 0 || arg[0] == '@') {
                const char *path = arg[0] == '@' ? arg + 1 : "/dev/stdin";
                int r = kata_read_file(path, MAX_REQUEST_BYTES, out, NULL, err);
                if (r < 0)
                        return kata_error_prefix(err, "reading the request");
                return 0;
        }
        *out = strdup(arg);
        return *out ? 0 : kata_error_errno(err, ENOMEM, "request");
}

/* Builds the request message: the JSON text, plus --oci's file under the OCI key. */
static int build_request(const struct agent_args *a, const kata_rpc_method *m,
                         ProtobufCMessage **out, kata_error *err)
{
        char *text = NULL;
        int r = read_request_text(a->request, &text, err);
        if (r < 0)
                return r;
        struct json_object *json = NULL;
        if (text && *kata_str_trim(text)) {
                enum json_tokener_error jerr;
                json = json_tokener_parse_verbose(text, &jerr);
                if (!json || !json_object_is_type(json, json_type_object)) {
                        json_object_put(json);
                        free(text);
                        return kata_error_set(err, EINVAL, "request for %s: %s", m->name,
                                              json ? "not a JSON object"
                                                   : json_tokener_error_desc(jerr));
                }
        }
        free(text);
        if (a->oci_file) {
                if (!protobuf_c_message_descriptor_get_field_by_name(m->input, "OCI")) {
                        json_object_put(json);
                        return kata_error_set(err, EINVAL, "--oci: %s has no OCI field",
                                              m->input->name);
                }
                char *spec_text;
                r = kata_read_file(a->oci_file, MAX_REQUEST_BYTES, &spec_text, NULL, err);
                if (r < 0) {
                        json_object_put(json);
                        return kata_error_prefix(err, "--oci");
                }
                struct json_object *spec = json_tokener_parse(spec_text);
                free(spec_text);
                if (!spec || !json_object_is_type(spec, json_type_object)) {
                        json_object_put(spec);
                        json_object_put(json);
                        return kata_error_set(err, EINVAL, "--oci: %s is not a JSON object",
                                              a->oci_file);
                }
                if (!json)
                        json = json_object_new_object();
                json_object_object_add(json, "OCI", spec);
        }
        unsigned flags = a->ignore_unknown ? KATA_PB_JSON_IGNORE_UNKNOWN : 0;
        r = kata_pb_from_json(m->input, json, flags, out, err);
        json_object_put(json);
        if (r < 0)
                return kata_error_prefix(err, "request for %s (%s)", m->name, m->input->name);
        return 0;
}

int cmd_agent(int argc, char **argv)
{
        struct agent_args a = {.timeout_sec = 30};
        struct argp argp = {options, parse_opt, "METHOD [JSON|-|@FILE]\n--list [--json]", doc, NULL,
                            NULL,    NULL};
        if (argp_parse(&argp, argc, argv, 0, NULL, &a) != 0)
                return KATA_CTL_EXIT_USAGE;
        if (a.list)
                return list_methods(a.json);

        kata_error err = KATA_ERROR_INIT;
        const kata_rpc_method *m;
        ProtobufCMessage *req = NULL;
        if (kata_rpc_method_find(a.method, &m, &err) < 0 || build_request(&a, m, &req, &err) < 0) {
                kata_error_print(&err, "kata-ctl agent", stderr);
                return KATA_CTL_EXIT_USAGE;
        }

        uint64_t timeout_ns = (uint64_t)(a.timeout_sec * 1e9);
        int connect_ms = CONNECT_TIMEOUT_MS;
        if (timeout_ns && timeout_ns / 1000000 < (uint64_t)connect_ms)
                connect_ms = (int)(timeout_ns / 1000000) + 1;
        int fd = kata_transport_connect_str(a.addr, connect_ms, &err);
        if (fd < 0) {
                protobuf_c_message_free_unpacked(req, NULL);
                kata_error_prefix(&err, "UNAVAILABLE: connecting to the agent");
                kata_error_print(&err, "kata-ctl agent", stderr);
                return fd == -EINVAL ? KATA_CTL_EXIT_USAGE : KATA_CTL_EXIT_FAIL;
        }
        kata_ttrpc_client *client;
        if (kata_ttrpc_client_new(fd, &client, &err) < 0) {
                close(fd);
                protobuf_c_message_free_unpacked(req, NULL);
                kata_error_print(&err, "kata-ctl agent", stderr);
                return KATA_CTL_EXIT_FAIL;
        }
        ProtobufCMessage *resp = NULL;
        kata_ttrpc_status st;
        int r = kata_ttrpc_call(client, m->service, m->name, req, m->output, a.metadata,
                                a.n_metadata, timeout_ns, &resp, &st, &err);
        kata_ttrpc_client_free(client);
        protobuf_c_message_free_unpacked(req, NULL);
        if (r < 0) {
                kata_error_print(&err, "kata-ctl agent", stderr);
                return KATA_CTL_EXIT_FAIL;
        }
        char *text = NULL;
        unsigned flags = a.defaults ? KATA_PB_JSON_EMIT_DEFAULTS : 0;
        int jflags = (a.compact ? JSON_C_TO_STRING_PLAIN : JSON_C_TO_STRING_PRETTY) |
                     JSON_C_TO_STRING_NOSLASHESCAPE;
        r = kata_pb_to_json_string(resp, flags, jflags, &text, &err);
        protobuf_c_message_free_unpacked(resp, NULL);
        if (r < 0) {
                kata_error_print(&err, "kata-ctl agent", stderr);
                return KATA_CTL_EXIT_FAIL;
        }
        printf("%s\n", text);
        free(text);
        return KATA_CTL_EXIT_OK;
}
