/* kernel.*: features from /proc/modules, modules.builtin, /sys/module and the kernel
 * config. A kernel without module support has everything built in, and a built-in
 * without parameters has no /sys/module entry, so no single source is enough. Device
 * nodes, where they exist, are the ground truth. Nothing is ever loaded. */
#include <stdlib.h>
#include <string.h>

#include "check/internal.h"
#include "common/util.h"

bool kata_sys_module_exists(const struct kata_host *host, const char *module)
{
        char path[128];
        snprintf(path, sizeof(path), "/sys/module/%s", module);
        return kata_path_exists_at(host->root, path);
}

int kata_module_param_bool(const struct kata_host *host, const char *module, const char *param)
{
        char path[160];
        snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module, param);
        char *v;
        if (kata_read_line_at(host->root, path, &v, NULL) < 0)
                return -1;
        int r = -1;
        if (!strcmp(v, "Y") || !strcmp(v, "y") || !strcmp(v, "1"))
                r = 1;
        else if (!strcmp(v, "N") || !strcmp(v, "n") || !strcmp(v, "0"))
                r = 0;
        free(v);
        return r;
}

/* Module names use '_' where file names may use '-'. */
static bool same_module_name(const char *a, size_t an, const char *b)
{
        size_t bn = strlen(b);
        if (an != bn)
                return false;
        for (size_t i = 0; i < an; i++) {
                char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
                if (x != y)
                        return false;
        }
        return true;
}

static bool listed_in_proc_modules(const char *text, const char *module)
{
        for (const char *p = text; p && *p;) {
                const char *sp = strchr(p, ' ');
                const char *nl = strchr(p, '\n');
                if (sp && (!nl || sp < nl) && same_module_name(p, (size_t)(sp - p), module))
                        return true;
                p = nl ? nl + 1 : NULL;
        }
        return false;
}

/* modules.builtin lines: kernel/drivers/vhost/vhost_net.ko */
static bool listed_in_builtin(const char *text, const char *module)
{
        for (const char *p = text; p && *p;) {
                const char *nl = strchr(p, '\n');
                const char *e = nl ? nl : p + strlen(p);
                const char *base = p;
                for (const char *q = p; q < e; q++)
                        if (*q == '/')
                                base = q + 1;
                if (e - base > 3 && memcmp(e - 3, ".ko", 3) == 0 &&
                    same_module_name(base, (size_t)(e - 3 - base), module))
                        return true;
                p = nl ? nl + 1 : NULL;
        }
        return false;
}

enum kata_kfeature kata_kernel_feature(const struct kata_check_ctx *ctx, const char *module,
                                       const char *config)
{
        if (ctx->proc_modules && listed_in_proc_modules(ctx->proc_modules, module))
                return KATA_KF_LOADED;
        if (ctx->modules_builtin && listed_in_builtin(ctx->modules_builtin, module))
                return KATA_KF_BUILTIN;
        if (module && kata_sys_module_exists(ctx->host, module))
                return KATA_KF_BUILTIN; /* present but not a loaded module */
        if (ctx->have_kconfig && config) {
                char v = kata_kconfig_get(&ctx->kconfig, config);
                if (v == 'y')
                        return KATA_KF_BUILTIN;
                if (v == 'm')
                        return KATA_KF_LOADABLE;
                return KATA_KF_ABSENT;
        }
        if (!ctx->modules_supported || ctx->modules_builtin)
                return KATA_KF_ABSENT;
        return KATA_KF_UNKNOWN;
}

const char *kata_kfeature_name(enum kata_kfeature f)
{
        switch (f) {
        case KATA_KF_ABSENT:
                return "absent";
        case KATA_KF_LOADED:
                return "loaded module";
        case KATA_KF_BUILTIN:
                return "built in";
        case KATA_KF_LOADABLE:
                return "module not loaded";
        case KATA_KF_UNKNOWN:
                return "unknown";
        }
        return "unknown";
}

void kata_check_kernel_modules(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        if (ctx->proc_modules) {
                size_t n = 0;
                for (const char *p = ctx->proc_modules; *p; p++)
                        n += *p == '\n';
                kata_check_set(res, KATA_CHECK_PASS, "",
                               "loadable modules supported, %zu loaded; config from %s", n,
                               ctx->have_kconfig ? ctx->kconfig_source : "nowhere");
        } else if (!ctx->modules_supported) {
                kata_check_set(res, KATA_CHECK_PASS, "",
                               "kernel without module support (no /proc/modules%s): every "
                               "feature is built in; config from %s",
                               ctx->have_kconfig ? ", CONFIG_MODULES not set" : "",
                               ctx->have_kconfig ? ctx->kconfig_source : "nowhere");
        } else {
                kata_check_set(res, KATA_CHECK_WARN, "mount procfs on /proc",
                               "module support enabled but /proc/modules unreadable");
        }
}

/* Sets res from one feature. severity: status when absent. */
static void feature_result(struct kata_check_ctx *ctx, struct kata_check_result *res,
                           const char *module, const char *config, const char *device,
                           enum kata_check_status severity, const char *why)
{
        if (device) {
                struct kata_device_info d;
                kata_host_device(ctx->host, device, &d);
                if (d.exists) {
                        kata_check_set(res, KATA_CHECK_PASS, "", "%s: %s exists", module, device);
                        return;
                }
        }
        enum kata_kfeature f = kata_kernel_feature(ctx, module, config);
        char hint[256];
        switch (f) {
        case KATA_KF_LOADED:
        case KATA_KF_BUILTIN:
                kata_check_set(res, KATA_CHECK_PASS, "", "%s: %s", module, kata_kfeature_name(f));
                return;
        case KATA_KF_LOADABLE:
                snprintf(hint, sizeof(hint), "load it: modprobe %s (%s)", module, why);
                kata_check_set(res, severity == KATA_CHECK_FAIL ? KATA_CHECK_FAIL : KATA_CHECK_WARN,
                               hint, "%s: available as a module but not loaded", module);
                return;
        case KATA_KF_ABSENT:
                snprintf(hint, sizeof(hint), "use a kernel with %s (%s)", config, why);
                kata_check_set(res, severity, hint, "%s: not in this kernel", module);
                return;
        case KATA_KF_UNKNOWN:
                snprintf(hint, sizeof(hint),
                         "make the kernel config readable (/proc/config.gz "
                         "or /boot/config-<release>)");
                kata_check_set(res, KATA_CHECK_WARN, hint,
                               "%s: not loaded, and no kernel config to tell whether it exists",
                               module);
                return;
        }
}

void kata_check_kernel_kvm(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        const char *arch = ctx->host->arch;
        const char *vendor_mod = NULL, *vendor_cfg = NULL;
        if (strcmp(arch, "x86_64") == 0) {
                switch (ctx->info->flavour) {
                case KATA_KVM_FLAVOUR_PVM:
                        vendor_mod = "kvm_pvm", vendor_cfg = "CONFIG_KVM_PVM";
                        break;
                case KATA_KVM_FLAVOUR_AMD:
                        vendor_mod = "kvm_amd", vendor_cfg = "CONFIG_KVM_AMD";
                        break;
                case KATA_KVM_FLAVOUR_INTEL:
                        vendor_mod = "kvm_intel", vendor_cfg = "CONFIG_KVM_INTEL";
                        break;
                default:
                        if (strcmp(ctx->cpu.vendor, "GenuineIntel") == 0)
                                vendor_mod = "kvm_intel", vendor_cfg = "CONFIG_KVM_INTEL";
                        else
                                vendor_mod = "kvm_amd", vendor_cfg = "CONFIG_KVM_AMD";
                }
        } else if (strcmp(arch, "ppc64le") == 0 || strcmp(arch, "ppc64") == 0) {
                vendor_mod = "kvm_hv", vendor_cfg = "CONFIG_KVM_BOOK3S_64_HV";
        }
        struct kata_check_result kvm = *res, vendor = *res;
        feature_result(ctx, &kvm, "kvm", "CONFIG_KVM", NULL, KATA_CHECK_FAIL,
                       "KVM runs the sandbox VMs");
        if (vendor_mod)
                feature_result(ctx, &vendor, vendor_mod, vendor_cfg, NULL, KATA_CHECK_FAIL,
                               "the CPU-specific half of KVM");
        else
                vendor.status = KATA_CHECK_PASS, vendor.hint[0] = '\0', vendor.details[0] = '\0';
        /* A working /dev/kvm proves both halves are there. */
        if (ctx->info->kvm == KATA_KVM_USABLE) {
                kata_check_set(res, KATA_CHECK_PASS, "", "%s; %s (KVM probe succeeded)",
                               kvm.details, vendor_mod ? vendor.details : "no vendor module");
                return;
        }
        const struct kata_check_result *worst =
            vendor.status > kvm.status && vendor.status != KATA_CHECK_SKIP ? &vendor : &kvm;
        kata_check_set(res, worst->status, worst->hint, "%s%s%s", kvm.details,
                       vendor_mod ? "; " : "", vendor_mod ? vendor.details : "");
}

void kata_check_kernel_vhost(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        feature_result(ctx, res, "vhost", "CONFIG_VHOST", NULL, KATA_CHECK_WARN,
                       "in-kernel virtio back-ends");
}

void kata_check_kernel_vhost_net(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        feature_result(ctx, res, "vhost_net", "CONFIG_VHOST_NET", "/dev/vhost-net", KATA_CHECK_WARN,
                       "faster virtio networking");
}

void kata_check_kernel_vhost_vsock(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        feature_result(ctx, res, "vhost_vsock", "CONFIG_VHOST_VSOCK", "/dev/vhost-vsock",
                       KATA_CHECK_WARN, "the kernel's vsock device for VMs");
}

void kata_check_kernel_tun(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        feature_result(ctx, res, "tun", "CONFIG_TUN", "/dev/net/tun", KATA_CHECK_FAIL,
                       "tap devices for sandbox networking");
}
