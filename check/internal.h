/* Shared by the check implementation files; not part of the public API. */
#ifndef KATA_CHECK_INTERNAL_H
#define KATA_CHECK_INTERNAL_H

#include <stdbool.h>

#include "check/check.h"
#include "check/cpuinfo.h"
#include "check/host.h"
#include "check/kconfig.h"

/* How a kernel feature is present. */
enum kata_kfeature {
        KATA_KF_ABSENT = 0,
        KATA_KF_LOADED,   /* listed in /proc/modules */
        KATA_KF_BUILTIN,  /* modules.builtin, config =y, or /sys/module without modules */
        KATA_KF_LOADABLE, /* config =m but not loaded */
        KATA_KF_UNKNOWN,  /* no source says either way */
};

/* Everything read once and shared by the checks. */
struct kata_check_ctx {
        struct kata_host *host;
        struct kata_host_info *info;
        struct kata_cpuinfo cpu;
        bool have_cpu;
        struct kata_kconfig kconfig;
        bool have_kconfig;
        char kconfig_source[128];
        char *proc_modules; /* NULL when /proc/modules is absent */
        char *modules_builtin;
        bool modules_supported;
};

struct kata_check_def {
        const char *id;
        const char *description;
        void (*run)(struct kata_check_ctx *ctx, struct kata_check_result *res);
};

void kata_check_set(struct kata_check_result *res, enum kata_check_status status, const char *hint,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Kernel features (checks_kernel.c). module: "kvm_intel"; config: "CONFIG_KVM_INTEL". */
enum kata_kfeature kata_kernel_feature(const struct kata_check_ctx *ctx, const char *module,
                                       const char *config);
const char *kata_kfeature_name(enum kata_kfeature f);
bool kata_sys_module_exists(const struct kata_host *host, const char *module);
/* Y/N/1/0 module parameter: 1 yes, 0 no, -1 unreadable. */
int kata_module_param_bool(const struct kata_host *host, const char *module, const char *param);

/* kata_host_info_collect in steps, so kata_check_run reads cpuinfo and the kernel
 * config once for the facts and the checks (host.c). */
void kata_host_read_release(const struct kata_host *host, char *buf, size_t size);
int kata_host_read_cpuinfo(const struct kata_host *host, struct kata_cpuinfo *cpu, kata_error *err);
void kata_host_info_fill(struct kata_host *host, struct kata_host_info *info, const char *release,
                         const struct kata_cpuinfo *cpu, const struct kata_kconfig *cfg);

/* Collectors used by kata_host_info_collect (cgroups.c, kvm_probe.c). */
void kata_cgroups_detect(const struct kata_host *host, struct kata_host_info *info);
void kata_kvm_probe(struct kata_host *host, struct kata_host_info *info);
enum kata_kvm_flavour kata_kvm_flavour_detect(const struct kata_host *host,
                                              const struct kata_kconfig *kconfig,
                                              const char *cpu_vendor);

/* The fixture's descriptor (fixture.c). */
int kata_fixture_load(struct kata_host *host, kata_error *err);
void kata_fixture_free(struct kata_fixture *f);
bool kata_fixture_device(const struct kata_fixture *f, const char *path,
                         struct kata_device_info *out);

/* Checks, by role. */
void kata_check_cpu_vendor(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_cpu_flags(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_cpu_smt(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_cpu_nested(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_kvm_device(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_kvm_api_version(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_kvm_create_vm(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_kvm_create_vcpu(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_kvm_flavour(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_kvm_module_params(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_kernel_modules(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_kernel_kvm(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_kernel_vhost(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_kernel_vhost_net(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_kernel_vhost_vsock(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_kernel_tun(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_dev_vhost_net(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_dev_vhost_vsock(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_dev_tun(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_ns_user(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_ns_pid(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_ns_net(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_ns_mnt(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_ns_uts(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_ns_ipc(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_ns_cgroup(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_cgroup_layout(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_cgroup_controllers(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_systemd_running(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_iommu(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_secure_tdx(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_secure_sev(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_secure_snp(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_secure_s390_pv(struct kata_check_ctx *, struct kata_check_result *);
void kata_check_hypervisor_incompatible(struct kata_check_ctx *, struct kata_check_result *);

#endif
