/* dev.*: the device nodes sandboxes use besides /dev/kvm (see checks_kvm.c). */
#include <string.h>

#include "check/internal.h"

static void device_result(struct kata_check_ctx *ctx, struct kata_check_result *res,
                          const char *path, enum kata_check_status missing_status,
                          const char *missing_hint, const char *missing_meaning)
{
        struct kata_device_info d;
        kata_host_device(ctx->host, path, &d);
        if (!d.exists) {
                kata_check_set(res, missing_status, missing_hint, "%s does not exist: %s", path,
                               missing_meaning);
                return;
        }
        if (!d.is_char) {
                kata_check_set(res, KATA_CHECK_FAIL, "recreate it as a character device",
                               "%s is not a character device", path);
                return;
        }
        if (!d.accessible) {
                kata_check_set(res, KATA_CHECK_WARN,
                               "run the runtime as root, or grant this user access",
                               "%s exists (mode %04o %s:%s) but uid %u cannot open it", path,
                               d.mode, d.owner, d.group, ctx->host->euid);
                return;
        }
        kata_check_set(res, KATA_CHECK_PASS, "", "%s (mode %04o %s:%s)", path, d.mode, d.owner,
                       d.group);
}

static const char *module_hint(struct kata_check_ctx *ctx, const char *module, const char *config,
                               const char *loadable, const char *absent)
{
        enum kata_kfeature f = kata_kernel_feature(ctx, module, config);
        return f == KATA_KF_LOADABLE ? loadable : f == KATA_KF_ABSENT ? absent : loadable;
}

void kata_check_dev_vhost_net(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        device_result(ctx, res, "/dev/vhost-net", KATA_CHECK_WARN,
                      module_hint(ctx, "vhost_net", "CONFIG_VHOST_NET",
                                  "load vhost_net (modprobe vhost_net) for faster networking",
                                  "kernel built without CONFIG_VHOST_NET: networking works, "
                                  "slower"),
                      "virtio-net runs in user space");
}

void kata_check_dev_vhost_vsock(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        device_result(ctx, res, "/dev/vhost-vsock", KATA_CHECK_WARN,
                      module_hint(ctx, "vhost_vsock", "CONFIG_VHOST_VSOCK",
                                  "load vhost_vsock (modprobe vhost_vsock), or let QEMU use the "
                                  "runtime's vhost-user-vsock backend",
                                  "no action needed: QEMU uses the runtime's vhost-user-vsock "
                                  "backend (kernel lacks CONFIG_VHOST_VSOCK)"),
                      "no kernel vsock device for VMs");
}

void kata_check_dev_tun(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        device_result(ctx, res, "/dev/net/tun", KATA_CHECK_FAIL,
                      module_hint(ctx, "tun", "CONFIG_TUN",
                                  "load tun (modprobe tun) or create the node: mknod "
                                  "/dev/net/tun c 10 200",
                                  "use a kernel with CONFIG_TUN"),
                      "no tap devices for sandbox networking");
}
