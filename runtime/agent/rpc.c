/* Registration of every handler and the helpers they share. */
#include "agent/rpc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agent.pb-c.h"
#include "agent/tracing.h"
#include "common/util.h"
#include "health.pb-c.h"

static const struct {
        const ProtobufCServiceDescriptor *service;
        const char *method;
        kata_ttrpc_handler handler;
} handlers[] = {
    {&grpc__health__descriptor, "Check", rpc_health_check},
    {&grpc__health__descriptor, "Version", rpc_health_version},
    {&grpc__agent_service__descriptor, "CreateSandbox", rpc_create_sandbox},
    {&grpc__agent_service__descriptor, "DestroySandbox", rpc_destroy_sandbox},
    {&grpc__agent_service__descriptor, "GetGuestDetails", rpc_get_guest_details},
    {&grpc__agent_service__descriptor, "GetMetrics", rpc_get_metrics},
    {&grpc__agent_service__descriptor, "GetOOMEvent", rpc_get_oom_event},
    {&grpc__agent_service__descriptor, "CreateContainer", rpc_create_container},
    {&grpc__agent_service__descriptor, "StartContainer", rpc_start_container},
    {&grpc__agent_service__descriptor, "RemoveContainer", rpc_remove_container},
    {&grpc__agent_service__descriptor, "StatsContainer", rpc_stats_container},
    {&grpc__agent_service__descriptor, "UpdateContainer", rpc_update_container},
    {&grpc__agent_service__descriptor, "PauseContainer", rpc_pause_container},
    {&grpc__agent_service__descriptor, "ResumeContainer", rpc_resume_container},
    {&grpc__agent_service__descriptor, "ExecProcess", rpc_exec_process},
    {&grpc__agent_service__descriptor, "SignalProcess", rpc_signal_process},
    {&grpc__agent_service__descriptor, "WaitProcess", rpc_wait_process},
    {&grpc__agent_service__descriptor, "ListProcesses", rpc_list_processes},
    {&grpc__agent_service__descriptor, "ReadStdout", rpc_read_stdout},
    {&grpc__agent_service__descriptor, "ReadStderr", rpc_read_stderr},
    {&grpc__agent_service__descriptor, "WriteStdin", rpc_write_stdin},
    {&grpc__agent_service__descriptor, "CloseStdin", rpc_close_stdin},
    {&grpc__agent_service__descriptor, "TtyWinResize", rpc_tty_win_resize},
};

/* What each registration gets as its user pointer: the agent and the real handler, so
 * that one trampoline can wrap every call in a span. */
struct rpc_entry {
        struct agent *agent;
        kata_ttrpc_handler fn;
        const char *method;
        char span_name[64]; /* Kata's name for the RPC's span: create_container */
};

/* CreateContainer -> create_container, GetOOMEvent -> get_oom_event: the span names
 * Kata's agent uses, so existing trace analyses keep working. */
static void span_name_from_method(const char *method, char *out, size_t size)
{
        size_t n = 0;
        for (size_t i = 0; method[i] && n + 2 < size; i++) {
                char c = method[i];
                bool upper = c >= 'A' && c <= 'Z';
                bool prev_lower = i > 0 && method[i - 1] >= 'a' && method[i - 1] <= 'z';
                bool prev_upper = i > 0 && method[i - 1] >= 'A' && method[i - 1] <= 'Z';
                bool next_lower = method[i + 1] >= 'a' && method[i + 1] <= 'z';
                if (upper && n > 0 && (prev_lower || (prev_upper && next_lower)))
                        out[n++] = '_';
                out[n++] = upper ? (char)(c - 'A' + 'a') : c;
        }
        out[n] = '\0';
}
static struct rpc_entry entries[KATA_ARRAY_SIZE(handlers)];

/* The request's container_id, when its type has one (read through the descriptor). */
static const char *request_container_id(const ProtobufCMessage *request)
{
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name(request->descriptor, "container_id");
        if (!f || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
                return NULL;
        const char *id = *(const char *const *)((const char *)request + f->offset);
        return id && id[0] ? id : NULL;
}

static int traced_call(void *user, const kata_ttrpc_call_info *info,
                       const ProtobufCMessage *request, ProtobufCMessage **response,
                       kata_ttrpc_status *status)
{
        struct rpc_entry *e = user;
        if (!kata_tracing_enabled())
                return e->fn(e->agent, info, request, response, status);
        kata_span *span = NULL;
        kata_span_context parent;
        kata_error err = KATA_ERROR_INIT;
        const char *tp = kata_ttrpc_metadata_get(info, KATA_TRACEPARENT_KEY);
        if (tp && kata_traceparent_parse(tp, &parent, &err) == 0)
                span = kata_span_begin_remote(e->span_name, &parent);
        else
                span = kata_span_begin(e->span_name, NULL);
        kata_span_set_kind(span, KATA_SPAN_KIND_SERVER);
        kata_span_set_attr_str(span, "rpc.service", info->service);
        kata_span_set_attr_str(span, "rpc.method", info->method);
        if (e->agent->sandbox_id[0])
                kata_span_set_sandbox_id(span, e->agent->sandbox_id);
        const char *cid = request_container_id(request);
        if (cid)
                kata_span_set_container_id(span, cid);
        agent_set_rpc_span(span);
        int code = e->fn(e->agent, info, request, response, status);
        agent_set_rpc_span(NULL);
        if (code != KATA_TTRPC_OK) {
                kata_span_set_attr_str(span, "rpc.code", kata_ttrpc_code_name(code));
                kata_span_set_status(span, KATA_SPAN_STATUS_ERROR, status->message);
        }
        kata_span_end(span);
        return code;
}

int agent_rpc_register(struct agent *a, kata_ttrpc_server *s, kata_error *err)
{
        for (size_t i = 0; i < KATA_ARRAY_SIZE(handlers); i++) {
                entries[i] = (struct rpc_entry){a, handlers[i].handler, handlers[i].method, {0}};
                span_name_from_method(handlers[i].method, entries[i].span_name,
                                      sizeof(entries[i].span_name));
                int r =
                    kata_ttrpc_server_register_method(s, handlers[i].service, handlers[i].method,
                                                      traced_call, NULL, &entries[i], err);
                if (r < 0)
                        return kata_error_prefix(err, "registering %s", handlers[i].method);
        }
        return 0;
}

int rpc_fail(kata_ttrpc_status *status, const kata_error *err)
{
        int code;
        switch (err->code) {
        case EINVAL:
        case ERANGE:
        case E2BIG:
                code = KATA_TTRPC_INVALID_ARGUMENT;
                break;
        case ENOENT:
        case ESRCH:
                code = KATA_TTRPC_NOT_FOUND;
                break;
        case EEXIST:
                code = KATA_TTRPC_ALREADY_EXISTS;
                break;
        case EBUSY:
                code = KATA_TTRPC_FAILED_PRECONDITION;
                break;
        case ETIMEDOUT:
                code = KATA_TTRPC_DEADLINE_EXCEEDED;
                break;
        case ENOTSUP:
        case ENOSYS:
                code = KATA_TTRPC_UNIMPLEMENTED;
                break;
        case ECANCELED:
                code = KATA_TTRPC_UNAVAILABLE;
                break;
        case EPERM:
        case EACCES:
                code = KATA_TTRPC_PERMISSION_DENIED;
                break;
        default:
                code = KATA_TTRPC_INTERNAL;
        }
        return kata_ttrpc_status_set(status, code, "%s", err->msg[0] ? err->msg : "failed");
}

void *rpc_new_message(const ProtobufCMessageDescriptor *desc)
{
        ProtobufCMessage *m = calloc(1, desc->sizeof_message);
        if (m)
                desc->message_init(m);
        return m;
}

char *rpc_strdup(const char *s)
{
        char *d = strdup(s ? s : "");
        return d ? d : (char *)protobuf_c_empty_string;
}
