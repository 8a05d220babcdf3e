/* Errors are values: a function that can fail returns a negative errno-style code and
 * fills a caller-provided kata_error with a message; callers add context with
 * kata_error_prefix(); exactly one place (usually main) prints it. */
#ifndef KATA_COMMON_ERROR_H
#define KATA_COMMON_ERROR_H

#include <stdio.h>

#define KATA_ERROR_MSG_MAX 1024

typedef struct kata_error {
        int code; /* positive errno value (EINVAL, ENOENT...), 0 when no error */
        char msg[KATA_ERROR_MSG_MAX];
} kata_error;

#define KATA_ERROR_INIT                                                                            \
        {                                                                                          \
                0,                                                                                 \
                {                                                                                  \
                        0                                                                          \
                }                                                                                  \
        }

/* Sets err (when not NULL) to code and the formatted message. Returns -code. */
int kata_error_set(kata_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like kata_error_set, and appends ": <strerror(code)>". Returns -code. */
int kata_error_errno(kata_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "<context>: " to the message already in err. Returns -err->code
 * (or -EIO when err carries no code). */
int kata_error_prefix(kata_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void kata_error_clear(kata_error *err);

/* Prints "<prog>: error: <msg>" on stream. */
void kata_error_print(const kata_error *err, const char *prog, FILE *stream);

#endif
