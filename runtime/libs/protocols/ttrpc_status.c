/* gRPC status codes: names, and the mapping to and from errno values. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "protocols/ttrpc.h"

static const char *const code_names[] = {
    [KATA_TTRPC_OK] = "OK",
    [KATA_TTRPC_CANCELLED] = "CANCELLED",
    [KATA_TTRPC_UNKNOWN] = "UNKNOWN",
    [KATA_TTRPC_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
    [KATA_TTRPC_DEADLINE_EXCEEDED] = "DEADLINE_EXCEEDED",
    [KATA_TTRPC_NOT_FOUND] = "NOT_FOUND",
    [KATA_TTRPC_ALREADY_EXISTS] = "ALREADY_EXISTS",
    [KATA_TTRPC_PERMISSION_DENIED] = "PERMISSION_DENIED",
    [KATA_TTRPC_RESOURCE_EXHAUSTED] = "RESOURCE_EXHAUSTED",
    [KATA_TTRPC_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
    [KATA_TTRPC_ABORTED] = "ABORTED",
    [KATA_TTRPC_OUT_OF_RANGE] = "OUT_OF_RANGE",
    [KATA_TTRPC_UNIMPLEMENTED] = "UNIMPLEMENTED",
    [KATA_TTRPC_INTERNAL] = "INTERNAL",
    [KATA_TTRPC_UNAVAILABLE] = "UNAVAILABLE",
    [KATA_TTRPC_DATA_LOSS] = "DATA_LOSS",
    [KATA_TTRPC_UNAUTHENTICATED] = "UNAUTHENTICATED",
};

const char *kata_ttrpc_code_name(int code)
{
        if (code >= 0 && (size_t)code < KATA_ARRAY_SIZE(code_names))
                return code_names[code];
        return "UNKNOWN_CODE";
}

int kata_ttrpc_code_parse(const char *s, int *code)
{
        for (size_t i = 0; i < KATA_ARRAY_SIZE(code_names); i++) {
                if (strcasecmp(s, code_names[i]) == 0) {
                        *code = (int)i;
                        return 0;
                }
        }
        uint64_t v;
        if (kata_parse_u64(s, &v) == 0 && v < KATA_ARRAY_SIZE(code_names)) {
                *code = (int)v;
                return 0;
        }
        return -EINVAL;
}

int kata_ttrpc_code_to_errno(int code)
{
        switch (code) {
        case KATA_TTRPC_OK:
                return 0;
        case KATA_TTRPC_DEADLINE_EXCEEDED:
                return ETIMEDOUT;
        case KATA_TTRPC_UNAVAILABLE:
                return ECONNRESET;
        case KATA_TTRPC_NOT_FOUND:
                return ENOENT;
        case KATA_TTRPC_INVALID_ARGUMENT:
                return EINVAL;
        case KATA_TTRPC_ALREADY_EXISTS:
                return EEXIST;
        case KATA_TTRPC_UNIMPLEMENTED:
                return ENOSYS;
        case KATA_TTRPC_PERMISSION_DENIED:
                return EPERM;
        case KATA_TTRPC_CANCELLED:
                return ECANCELED;
        default:
                return EREMOTEIO;
        }
}

int kata_ttrpc_code_from_errno(int errnum)
{
        if (errnum < 0)
                errnum = -errnum;
        switch (errnum) {
        case 0:
                return KATA_TTRPC_OK;
        case ETIMEDOUT:
                return KATA_TTRPC_DEADLINE_EXCEEDED;
        case ENOENT:
        case ESRCH:
                return KATA_TTRPC_NOT_FOUND;
        case EINVAL:
        case ERANGE:
        case E2BIG:
                return KATA_TTRPC_INVALID_ARGUMENT;
        case EEXIST:
                return KATA_TTRPC_ALREADY_EXISTS;
        case ENOSYS:
        case EOPNOTSUPP:
                return KATA_TTRPC_UNIMPLEMENTED;
        case EPERM:
        case EACCES:
                return KATA_TTRPC_PERMISSION_DENIED;
        case ECANCELED:
                return KATA_TTRPC_CANCELLED;
        case EBUSY:
        case EAGAIN:
                return KATA_TTRPC_FAILED_PRECONDITION;
        case ECONNRESET:
        case EPIPE:
                return KATA_TTRPC_UNAVAILABLE;
        default:
                return KATA_TTRPC_INTERNAL;
        }
}

int kata_ttrpc_status_set(kata_ttrpc_status *st, int code, const char *fmt, ...)
{
        if (st) {
                st->code = code;
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(st->message, sizeof(st->message), fmt, ap);
                va_end(ap);
        }
        return code;
}
