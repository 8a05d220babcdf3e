/* A QMP (QEMU Machine Protocol) client for the qemu driver: one JSON object per line on
 * a unix socket; the greeting, then qmp_capabilities, then commands whose answer is a
 * "return" or an "error" (asynchronous "event" lines in between are skipped). */
#ifndef KATA_RUNTIME_QEMU_QMP_H
#define KATA_RUNTIME_QEMU_QMP_H

#include <json-c/json.h>

#include "common/error.h"

typedef struct qemu_qmp {
        int fd;
        char buf[65536];
        size_t len;
} qemu_qmp;

/* Connects to the QMP socket at path (retrying while QEMU creates it, up to timeout_ms)
 * and negotiates capabilities. */
int qemu_qmp_connect(const char *path, int timeout_ms, qemu_qmp *q, kata_error *err);

/* Runs one command; args may be NULL (ownership is taken). A QMP error becomes an error
 * naming the command and QEMU's description. *ret (may be NULL) gets the "return"
 * value, to json_object_put. */
int qemu_qmp_execute(qemu_qmp *q, const char *command, json_object *args, json_object **ret,
                     int timeout_ms, kata_error *err);

void qemu_qmp_close(qemu_qmp *q);

#endif
