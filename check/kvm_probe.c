/* The functional KVM probe (open, API version, create VM, create vCPU) and the KVM
 * flavour. The probe is the ground truth: cpuinfo flags and modules only explain it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check/internal.h"
#include "common/util.h"

void kata_kvm_probe(struct kata_host *host, struct kata_host_info *info)
{
        const struct kata_kvm_ops *ops = &host->kvm;
        info->kvm_api_version = -1;
        info->kvm_errno = 0;
        info->kvm_step = NULL;

        char *path = kata_path_join(host->root, "/dev/kvm");
        if (!path) {
                info->kvm = KATA_KVM_FAILED;
                info->kvm_errno = ENOMEM;
                info->kvm_step = "open";
                return;
        }
        int kvm_fd = ops->open_dev(ops->data, path);
        free(path);
        if (kvm_fd < 0) {
                info->kvm_errno = -kvm_fd;
                info->kvm_step = "open";
                if (kvm_fd == -ENOENT || kvm_fd == -ENODEV || kvm_fd == -ENXIO)
                        info->kvm = KATA_KVM_NO_DEVICE;
                else if (kvm_fd == -EACCES || kvm_fd == -EPERM)
                        info->kvm = KATA_KVM_NO_PERMISSION;
                else
                        info->kvm = KATA_KVM_FAILED;
                return;
        }

        int version = ops->get_api_version(ops->data, kvm_fd);
        if (version < 0) {
                info->kvm = KATA_KVM_FAILED;
                info->kvm_errno = -version;
                info->kvm_step = "KVM_GET_API_VERSION";
                ops->close_fd(ops->data, kvm_fd);
                return;
        }
        info->kvm_api_version = version;
        if (version != 12) {
                info->kvm = KATA_KVM_BAD_API;
                info->kvm_step = "KVM_GET_API_VERSION";
                ops->close_fd(ops->data, kvm_fd);
                return;
        }

        int vm_fd = ops->create_vm(ops->data, kvm_fd);
        if (vm_fd < 0) {
                info->kvm = vm_fd == -EBUSY ? KATA_KVM_BUSY : KATA_KVM_FAILED;
                info->kvm_errno = -vm_fd;
                info->kvm_step = "KVM_CREATE_VM";
                ops->close_fd(ops->data, kvm_fd);
                return;
        }
        int vcpu_fd = ops->create_vcpu(ops->data, vm_fd);
        if (vcpu_fd < 0) {
                info->kvm = vcpu_fd == -EBUSY ? KATA_KVM_BUSY : KATA_KVM_FAILED;
                info->kvm_errno = -vcpu_fd;
                info->kvm_step = "KVM_CREATE_VCPU";
        } else {
                info->kvm = KATA_KVM_USABLE;
                ops->close_fd(ops->data, vcpu_fd);
        }
        ops->close_fd(ops->data, vm_fd);
        ops->close_fd(ops->data, kvm_fd);
}

static bool present(const struct kata_host *host, const struct kata_kconfig *cfg,
                    const char *module, const char *config)
{
        if (kata_sys_module_exists(host, module))
                return true;
        return cfg && kata_kconfig_get(cfg, config) == 'y';
}

enum kata_kvm_flavour kata_kvm_flavour_detect(const struct kata_host *host,
                                              const struct kata_kconfig *cfg,
                                              const char *cpu_vendor)
{
        const char *arch = host->arch;
        bool kvm = present(host, cfg, "kvm", "CONFIG_KVM");
        if (strcmp(arch, "x86_64") == 0) {
                /* Only one vendor module can own /dev/kvm at a time, PVM included. */
                if (present(host, cfg, "kvm_pvm", "CONFIG_KVM_PVM"))
                        return KATA_KVM_FLAVOUR_PVM;
                if (present(host, cfg, "kvm_intel", "CONFIG_KVM_INTEL"))
                        return KATA_KVM_FLAVOUR_INTEL;
                if (present(host, cfg, "kvm_amd", "CONFIG_KVM_AMD"))
                        return KATA_KVM_FLAVOUR_AMD;
                return kvm ? KATA_KVM_FLAVOUR_OTHER : KATA_KVM_FLAVOUR_NONE;
        }
        if (strcmp(arch, "ppc64le") == 0 || strcmp(arch, "ppc64") == 0) {
                if (present(host, cfg, "kvm_hv", "CONFIG_KVM_BOOK3S_64_HV"))
                        return KATA_KVM_FLAVOUR_PPC_HV;
                if (present(host, cfg, "kvm_pr", "CONFIG_KVM_BOOK3S_64_PR"))
                        return KATA_KVM_FLAVOUR_PPC_PR;
                return kvm ? KATA_KVM_FLAVOUR_OTHER : KATA_KVM_FLAVOUR_NONE;
        }
        if (!kvm)
                return KATA_KVM_FLAVOUR_NONE;
        if (strcmp(arch, "aarch64") == 0)
                return KATA_KVM_FLAVOUR_ARM64;
        if (strcmp(arch, "s390x") == 0)
                return KATA_KVM_FLAVOUR_S390;
        return KATA_KVM_FLAVOUR_OTHER;
}
