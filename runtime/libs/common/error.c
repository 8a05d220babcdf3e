#include "common/error.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

static void error_vformat(kata_error *err, int code, const char *fmt, va_list ap)
{
        err->code = code > 0 ? code : (code < 0 ? -code : EIO);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int kata_error_set(kata_error *err, int code, const char *fmt, ...)
{
        int c = code > 0 ? code : (code < 0 ? -code : EIO);
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                error_vformat(err, c, fmt, ap);
                va_end(ap);
        }
        return -c;
}

int kata_error_errno(kata_error *err, int code, const char *fmt, ...)
{
        int c = code > 0 ? code : (code < 0 ? -code : EIO);
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                error_vformat(err, c, fmt, ap);
                va_end(ap);
                size_t n = strlen(err->msg);
                snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(c));
        }
        return -c;
}

int kata_error_prefix(kata_error *err, const char *fmt, ...)
{
        if (!err)
                return -EIO;
        char ctx[KATA_ERROR_MSG_MAX];
        char old[KATA_ERROR_MSG_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx, sizeof(ctx), fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof(old));
        if (old[0])
                snprintf(err->msg, sizeof(err->msg), "%s: %s", ctx, old);
        else
                snprintf(err->msg, sizeof(err->msg), "%s", ctx);
        if (err->code == 0)
                err->code = EIO;
        return -err->code;
}

void kata_error_clear(kata_error *err)
{
        if (err) {
                err->code = 0;
                err->msg[0] = '\0';
        }
}

void kata_error_print(const kata_error *err, const char *prog, FILE *stream)
{
        fprintf(stream, "%s: error: %s\n", prog ? prog : "kata",
                err && err->msg[0] ? err->msg : "unknown error");
}
