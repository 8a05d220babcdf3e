/* ns.*: the namespaces a sandbox is made of, from /proc/self/ns; user namespaces also
 * from their sysctls. */
#include <stdlib.h>
#include <string.h>

#include "check/internal.h"
#include "common/util.h"

static void ns_result(struct kata_check_ctx *ctx, struct kata_check_result *res, const char *ns,
                      const char *config)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
        if (kata_path_exists_at(ctx->host->root, path)) {
                kata_check_set(res, KATA_CHECK_PASS, "", "%s namespace supported", ns);
                return;
        }
        char hint[96];
        snprintf(hint, sizeof(hint), "use a kernel with %s", config);
        kata_check_set(res, KATA_CHECK_FAIL, hint, "no %s (kernel without %s namespaces)", path,
                       ns);
}

void kata_check_ns_user(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        ns_result(ctx, res, "user", "CONFIG_USER_NS");
        if (res->status != KATA_CHECK_PASS)
                return;
        char *v = NULL;
        uint64_t max = 1;
        if (kata_read_line_at(ctx->host->root, "/proc/sys/user/max_user_namespaces", &v, NULL) ==
            0) {
                if (kata_parse_u64(v, &max) < 0)
                        max = 1;
                free(v);
        }
        if (max == 0) {
                kata_check_set(res, KATA_CHECK_FAIL,
                               "enable them: sysctl -w user.max_user_namespaces=15000",
                               "user namespaces disabled (user.max_user_namespaces = 0)");
                return;
        }
        uint64_t unpriv = 1;
        if (kata_read_line_at(ctx->host->root, "/proc/sys/kernel/unprivileged_userns_clone", &v,
                              NULL) == 0) {
                if (kata_parse_u64(v, &unpriv) < 0)
                        unpriv = 1;
                free(v);
        }
        if (unpriv == 0)
                kata_check_set(res, KATA_CHECK_WARN,
                               "only root can create them: sysctl -w "
                               "kernel.unprivileged_userns_clone=1 for rootless use",
                               "user namespaces supported, unprivileged ones disabled");
}

void kata_check_ns_pid(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        ns_result(ctx, res, "pid", "CONFIG_PID_NS");
}

void kata_check_ns_net(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        ns_result(ctx, res, "net", "CONFIG_NET_NS");
}

void kata_check_ns_mnt(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        ns_result(ctx, res, "mnt", "CONFIG_NAMESPACES");
}

void kata_check_ns_uts(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        ns_result(ctx, res, "uts", "CONFIG_UTS_NS");
}

void kata_check_ns_ipc(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        ns_result(ctx, res, "ipc", "CONFIG_IPC_NS");
}

void kata_check_ns_cgroup(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        ns_result(ctx, res, "cgroup", "CONFIG_CGROUPS");
}
