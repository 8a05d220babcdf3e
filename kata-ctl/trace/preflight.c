/* What a trace needs from the host, checked before loading anything so that a missing
 * piece is named in one line instead of a verifier log. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "internal.h"

#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"
#define TRACEFS     "/sys/kernel/tracing"

static int libbpf_to_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
        if (kata_log_get_level() < KATA_LOG_DEBUG || level == LIBBPF_DEBUG)
                return 0;
        return vfprintf(stderr, fmt, ap);
}

void trace_libbpf_setup(void)
{
        libbpf_set_print(libbpf_to_log);
}

/* Syscall tracepoints are attached through tracefs ids: mount it when nobody has. */
static int ensure_tracefs(kata_error *err)
{
        if (access(TRACEFS "/events", F_OK) == 0)
                return 0;
        if (access("/sys/kernel/debug/tracing/events", F_OK) == 0)
                return 0;
        if (mount("tracefs", TRACEFS, "tracefs", 0, NULL) != 0)
                return kata_error_errno(err, errno,
                                        "tracefs is not mounted at " TRACEFS
                                        " and mounting it failed (kernel without "
                                        "CONFIG_TRACING?)");
        kata_log_info("mounted tracefs at %s", TRACEFS);
        return 0;
}

int trace_preflight(const char *const *tracepoints, kata_error *err)
{
        if (geteuid() != 0)
                return kata_error_set(err, EPERM,
                                      "kata-ctl trace needs root (CAP_BPF, CAP_PERFMON and "
                                      "CAP_SYS_ADMIN to load eBPF programs)");
        if (access(BTF_VMLINUX, R_OK) != 0)
                return kata_error_set(err, ENOENT,
                                      "kernel BTF is missing (" BTF_VMLINUX
                                      "): the kernel needs CONFIG_DEBUG_INFO_BTF=y");
        struct btf *btf = NULL;
        int rc = 0;
        for (size_t i = 0; tracepoints[i]; i++) {
                const char *tp = tracepoints[i];
                if (strncmp(tp, "btf:", 4) == 0) {
                        if (!btf) {
                                btf = btf__load_vmlinux_btf();
                                if (!btf) {
                                        rc = kata_error_errno(err, errno,
                                                              "reading kernel BTF " BTF_VMLINUX);
                                        break;
                                }
                        }
                        char name[128];
                        snprintf(name, sizeof(name), "btf_trace_%s", tp + 4);
                        if (btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) < 0) {
                                rc = kata_error_set(err, ENOTSUP,
                                                    "the kernel has no BTF tracepoint %s "
                                                    "(needed for tp_btf/%s)",
                                                    tp + 4, tp + 4);
                                break;
                        }
                        continue;
                }
                rc = ensure_tracefs(err);
                if (rc < 0)
                        break;
                char path[256], alt[256];
                snprintf(path, sizeof(path), TRACEFS "/events/%s", tp);
                snprintf(alt, sizeof(alt), "/sys/kernel/debug/tracing/events/%s", tp);
                if (access(path, F_OK) != 0 && access(alt, F_OK) != 0) {
                        rc = kata_error_set(err, ENOTSUP, "the kernel has no tracepoint %s%s", tp,
                                            strncmp(tp, "syscalls/", 9) == 0
                                                ? " (syscall tracepoints need "
                                                  "CONFIG_FTRACE_SYSCALLS=y)"
                                                : "");
                        break;
                }
        }
        btf__free(btf);
        return rc;
}
