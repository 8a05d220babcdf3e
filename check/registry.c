/* The table of checks, in the order they are reported, and the runner. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check/internal.h"
#include "common/util.h"

static const struct kata_check_def checks[] = {
    {"cpu.vendor", "CPU vendor and architecture", kata_check_cpu_vendor},
    {"cpu.flags", "CPU virtualization flags", kata_check_cpu_flags},
    {"cpu.smt", "SMT off on POWER8", kata_check_cpu_smt},
    {"cpu.nested", "host is a VM (hypervisor flag)", kata_check_cpu_nested},
    {"kvm.device", "/dev/kvm exists and is accessible", kata_check_kvm_device},
    {"kvm.api-version", "KVM_GET_API_VERSION is 12", kata_check_kvm_api_version},
    {"kvm.create-vm", "KVM_CREATE_VM works", kata_check_kvm_create_vm},
    {"kvm.create-vcpu", "KVM_CREATE_VCPU works", kata_check_kvm_create_vcpu},
    {"kvm.flavour", "KVM flavour and what it means for guests", kata_check_kvm_flavour},
    {"kvm.module-params", "KVM module parameters", kata_check_kvm_module_params},
    {"kernel.modules", "kernel module support and config source", kata_check_kernel_modules},
    {"kernel.kvm", "kernel has KVM", kata_check_kernel_kvm},
    {"kernel.vhost", "kernel has vhost", kata_check_kernel_vhost},
    {"kernel.vhost-net", "kernel has vhost_net", kata_check_kernel_vhost_net},
    {"kernel.vhost-vsock", "kernel has vhost_vsock", kata_check_kernel_vhost_vsock},
    {"kernel.tun", "kernel has tun", kata_check_kernel_tun},
    {"dev.vhost-net", "/dev/vhost-net", kata_check_dev_vhost_net},
    {"dev.vhost-vsock", "/dev/vhost-vsock", kata_check_dev_vhost_vsock},
    {"dev.tun", "/dev/net/tun", kata_check_dev_tun},
    {"ns.user", "user namespaces", kata_check_ns_user},
    {"ns.pid", "pid namespaces", kata_check_ns_pid},
    {"ns.net", "network namespaces", kata_check_ns_net},
    {"ns.mnt", "mount namespaces", kata_check_ns_mnt},
    {"ns.uts", "uts namespaces", kata_check_ns_uts},
    {"ns.ipc", "ipc namespaces", kata_check_ns_ipc},
    {"ns.cgroup", "cgroup namespaces", kata_check_ns_cgroup},
    {"cgroup.layout", "cgroup version (v1, v2, hybrid)", kata_check_cgroup_layout},
    {"cgroup.controllers", "cgroup controllers and their mounts", kata_check_cgroup_controllers},
    {"systemd.running", "systemd is running", kata_check_systemd_running},
    {"iommu", "IOMMU for device assignment", kata_check_iommu},
    {"secure.tdx", "Intel TDX host support", kata_check_secure_tdx},
    {"secure.sev", "AMD SEV host support", kata_check_secure_sev},
    {"secure.snp", "AMD SEV-SNP host support", kata_check_secure_snp},
    {"secure.s390-pv", "s390 Secure Execution host support", kata_check_secure_s390_pv},
    {"hypervisor.incompatible", "no incompatible hypervisor (root only)",
     kata_check_hypervisor_incompatible},
};

size_t kata_check_count(void)
{
        return KATA_ARRAY_SIZE(checks);
}

const char *kata_check_id(size_t index)
{
        return index < KATA_ARRAY_SIZE(checks) ? checks[index].id : NULL;
}

const char *kata_check_description(size_t index)
{
        return index < KATA_ARRAY_SIZE(checks) ? checks[index].description : NULL;
}

const char *kata_check_status_name(enum kata_check_status s)
{
        switch (s) {
        case KATA_CHECK_PASS:
                return "PASS";
        case KATA_CHECK_WARN:
                return "WARN";
        case KATA_CHECK_FAIL:
                return "FAIL";
        case KATA_CHECK_SKIP:
                return "SKIP";
        }
        return "?";
}

void kata_check_set(struct kata_check_result *res, enum kata_check_status status, const char *hint,
                    const char *fmt, ...)
{
        res->status = status;
        snprintf(res->hint, sizeof(res->hint), "%s", hint ? hint : "");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(res->details, sizeof(res->details), fmt, ap);
        va_end(ap);
}

static void ctx_free(struct kata_check_ctx *ctx)
{
        kata_cpuinfo_free(&ctx->cpu);
        if (ctx->have_kconfig)
                kata_kconfig_free(&ctx->kconfig);
        free(ctx->proc_modules);
        free(ctx->modules_builtin);
}

/* Reads what several checks share, then the host facts from the same data. */
static int ctx_init(struct kata_check_ctx *ctx, struct kata_host *host, struct kata_host_info *info,
                    kata_error *err)
{
        memset(ctx, 0, sizeof(*ctx));
        ctx->host = host;
        ctx->info = info;
        char release[128];
        kata_host_read_release(host, release, sizeof(release));
        kata_error read_err = KATA_ERROR_INIT;
        int r = kata_host_read_cpuinfo(host, &ctx->cpu, &read_err);
        if (r == -ENOMEM) {
                *err = read_err;
                return r;
        }
        ctx->have_cpu = r == 0;
        r = kata_kconfig_load(host->root, release, &ctx->kconfig, ctx->kconfig_source,
                              sizeof(ctx->kconfig_source), &read_err);
        if (r == -ENOMEM) {
                *err = read_err;
                return r;
        }
        ctx->have_kconfig = r == 0;
        if (kata_read_file_at(host->root, "/proc/modules", 8u << 20, &ctx->proc_modules, NULL,
                              NULL) < 0)
                ctx->proc_modules = NULL;
        if (release[0]) {
                char path[256];
                snprintf(path, sizeof(path), "/lib/modules/%s/modules.builtin", release);
                if (kata_read_file_at(host->root, path, 8u << 20, &ctx->modules_builtin, NULL,
                                      NULL) < 0)
                        ctx->modules_builtin = NULL;
        }
        ctx->modules_supported =
            ctx->proc_modules != NULL ||
            (ctx->have_kconfig && kata_kconfig_get(&ctx->kconfig, "CONFIG_MODULES") == 'y') ||
            (!ctx->have_kconfig && ctx->modules_builtin != NULL);
        kata_host_info_fill(host, info, release, ctx->have_cpu ? &ctx->cpu : NULL,
                            ctx->have_kconfig ? &ctx->kconfig : NULL);
        return 0;
}

int kata_check_run(struct kata_host *host, struct kata_check_report *report, kata_error *err)
{
        memset(report, 0, sizeof(*report));
        report->as_root = host->euid == 0;
        report->results = calloc(KATA_ARRAY_SIZE(checks), sizeof(*report->results));
        if (!report->results)
                return kata_error_set(err, ENOMEM, "out of memory");
        struct kata_check_ctx ctx;
        int r = ctx_init(&ctx, host, &report->info, err);
        if (r < 0) {
                ctx_free(&ctx);
                kata_check_report_free(report);
                return kata_error_prefix(err, "reading host files");
        }
        for (size_t i = 0; i < KATA_ARRAY_SIZE(checks); i++) {
                struct kata_check_result *res = &report->results[i];
                res->id = checks[i].id;
                res->description = checks[i].description;
                checks[i].run(&ctx, res);
        }
        report->count = KATA_ARRAY_SIZE(checks);
        ctx_free(&ctx);
        return 0;
}

void kata_check_report_free(struct kata_check_report *report)
{
        free(report->results);
        report->results = NULL;
        report->count = 0;
}

const struct kata_check_result *kata_check_find(const struct kata_check_report *report,
                                                const char *id)
{
        for (size_t i = 0; i < report->count; i++)
                if (strcmp(report->results[i].id, id) == 0)
                        return &report->results[i];
        return NULL;
}
