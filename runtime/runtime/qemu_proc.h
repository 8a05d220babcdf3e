/* Processes of the qemu driver (QEMU, the vsock backend): started in the sandbox's
 * cgroup in a session of their own, outliving the runtime, found again through pid
 * files in the sandbox directory and checked by executable name so that a recycled pid
 * is never signalled. */
#ifndef KATA_RUNTIME_QEMU_PROC_H
#define KATA_RUNTIME_QEMU_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroups/cgroups.h"
#include "common/error.h"

/* Starts argv (argv[0] absolute) with stdin /dev/null and stdout/stderr appended to
 * log_path, inside cg (moved there before it execs, so nothing it starts escapes), with
 * none of our descriptors. An exec failure is reported as the error. */
int qemu_proc_spawn(char *const argv[], const char *log_path, kata_cgroup *cg, pid_t *out,
                    kata_error *err);

/* True while pid is a live (not zombie) process whose executable path contains what. A
 * zombie child of ours is reaped. */
bool qemu_proc_alive(long pid, const char *what);

/* Waits up to timeout_ms for it to exit, then SIGKILLs it (logged). */
void qemu_proc_stop(long pid, const char *what, int timeout_ms);

/* <root>/<id>/<name> holding a pid; 0 when absent or unreadable. */
long qemu_proc_read_pid(const char *root, const char *id, const char *name);
int qemu_proc_write_pid(const char *root, const char *id, const char *name, long pid,
                        kata_error *err);

#endif
