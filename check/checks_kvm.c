/* kvm.*: /dev/kvm, the functional probe's steps, the flavour, module parameters. */
#include <stdlib.h>
#include <string.h>

#include "check/internal.h"
#include "common/util.h"

static void no_permission_hint(const struct kata_check_ctx *ctx, char *hint, size_t size)
{
        struct kata_device_info d;
        kata_host_device(ctx->host, "/dev/kvm", &d);
        if (d.exists && (d.mode & 0060) == 0060 && strcmp(d.group, "root") != 0)
                snprintf(hint, size,
                         "no permission on /dev/kvm: add the user to the '%s' group "
                         "(usermod -aG %s USER, then log in again) or run as root",
                         d.group, d.group);
        else
                snprintf(hint, size,
                         "no permission on /dev/kvm (mode %04o %s:%s): let the kvm group use "
                         "it (udev rule KERNEL==\"kvm\", GROUP=\"kvm\", MODE=\"0660\"), add the "
                         "user to that group, or run as root",
                         d.mode, d.owner, d.group);
}

void kata_check_kvm_device(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        struct kata_device_info d;
        kata_host_device(ctx->host, "/dev/kvm", &d);
        if (!d.exists) {
                kata_check_set(res, KATA_CHECK_FAIL,
                               ctx->info->flavour == KATA_KVM_FLAVOUR_NONE
                                   ? "use a kernel with KVM (CONFIG_KVM)"
                                   : "load the KVM module (kvm_intel/kvm_amd) and enable "
                                     "virtualization in the firmware",
                               "/dev/kvm does not exist");
                return;
        }
        if (!d.is_char) {
                kata_check_set(res, KATA_CHECK_FAIL, "remove it and reload KVM",
                               "/dev/kvm is not a character device");
                return;
        }
        if (!d.accessible) {
                char hint[256];
                no_permission_hint(ctx, hint, sizeof(hint));
                kata_check_set(res, KATA_CHECK_FAIL, hint,
                               "/dev/kvm exists (mode %04o %s:%s) but uid %u cannot open it",
                               d.mode, d.owner, d.group, ctx->host->euid);
                return;
        }
        kata_check_set(res, KATA_CHECK_PASS, "", "/dev/kvm accessible (mode %04o %s:%s)", d.mode,
                       d.owner, d.group);
}

/* The probe's later steps are skipped when an earlier one failed. */
static bool probe_stopped_before(struct kata_check_ctx *ctx, struct kata_check_result *res,
                                 const char *step)
{
        const struct kata_host_info *i = ctx->info;
        if (i->kvm == KATA_KVM_USABLE)
                return false;
        static const char *const order[] = {"open", "KVM_GET_API_VERSION", "KVM_CREATE_VM",
                                            "KVM_CREATE_VCPU"};
        size_t failed = 0, mine = 0;
        for (size_t k = 0; k < KATA_ARRAY_SIZE(order); k++) {
                if (i->kvm_step && strcmp(order[k], i->kvm_step) == 0)
                        failed = k;
                if (strcmp(order[k], step) == 0)
                        mine = k;
        }
        if (failed < mine) {
                char hint[256] = "";
                if (i->kvm == KATA_KVM_NO_PERMISSION)
                        no_permission_hint(ctx, hint, sizeof(hint));
                kata_check_set(res, KATA_CHECK_SKIP, hint, "not reached: %s failed (%s)",
                               i->kvm_step ? i->kvm_step : "open",
                               kata_kvm_probe_outcome_name(i->kvm));
                return true;
        }
        return false;
}

void kata_check_kvm_api_version(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        if (probe_stopped_before(ctx, res, "KVM_GET_API_VERSION"))
                return;
        const struct kata_host_info *i = ctx->info;
        if (i->kvm_api_version < 0)
                kata_check_set(res, KATA_CHECK_FAIL, "the kernel's KVM is broken; update it",
                               "KVM_GET_API_VERSION failed: %s", strerror(i->kvm_errno));
        else if (i->kvm_api_version != 12)
                kata_check_set(res, KATA_CHECK_FAIL, "use a kernel with the stable KVM API (12)",
                               "KVM API version %d, expected 12", i->kvm_api_version);
        else
                kata_check_set(res, KATA_CHECK_PASS, "", "KVM API version 12");
}

void kata_check_kvm_create_vm(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        if (probe_stopped_before(ctx, res, "KVM_CREATE_VM"))
                return;
        const struct kata_host_info *i = ctx->info;
        if (i->kvm_step && strcmp(i->kvm_step, "KVM_CREATE_VM") == 0) {
                if (i->kvm == KATA_KVM_BUSY)
                        kata_check_set(res, KATA_CHECK_FAIL,
                                       "another hypervisor (VirtualBox, VMware) holds the "
                                       "virtualization extensions: stop it",
                                       "KVM_CREATE_VM: device busy (EBUSY)");
                else
                        kata_check_set(res, KATA_CHECK_FAIL,
                                       "check dmesg for KVM errors; virtualization may be "
                                       "disabled in the firmware",
                                       "KVM_CREATE_VM failed: %s", strerror(i->kvm_errno));
                return;
        }
        kata_check_set(res, KATA_CHECK_PASS, "", "created a VM");
}

void kata_check_kvm_create_vcpu(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        if (probe_stopped_before(ctx, res, "KVM_CREATE_VCPU"))
                return;
        const struct kata_host_info *i = ctx->info;
        if (i->kvm != KATA_KVM_USABLE)
                kata_check_set(res, KATA_CHECK_FAIL, "check dmesg for KVM errors",
                               "KVM_CREATE_VCPU failed: %s", strerror(i->kvm_errno));
        else
                kata_check_set(res, KATA_CHECK_PASS, "", "created a vCPU: KVM is usable");
}

void kata_check_kvm_flavour(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        enum kata_kvm_flavour f = ctx->info->flavour;
        const char *name = kata_kvm_flavour_name(f);
        const char *meaning = kata_kvm_flavour_meaning(f);
        switch (f) {
        case KATA_KVM_FLAVOUR_NONE:
                kata_check_set(res, KATA_CHECK_FAIL, "use a kernel with KVM (CONFIG_KVM)", "%s",
                               meaning);
                return;
        case KATA_KVM_FLAVOUR_PVM:
                kata_check_set(res, KATA_CHECK_WARN,
                               "use a PVM guest kernel (CONFIG_PVM_GUEST=y) for acceleration; "
                               "QEMU uses TCG for ordinary kernels",
                               "%s: %s", name, meaning);
                return;
        case KATA_KVM_FLAVOUR_PPC_PR:
        case KATA_KVM_FLAVOUR_OTHER:
                kata_check_set(res, KATA_CHECK_WARN, "prefer the hardware-assisted KVM module",
                               "%s: %s", name, meaning);
                return;
        default:
                kata_check_set(res, KATA_CHECK_PASS, "", "%s: %s", name, meaning);
        }
}

void kata_check_kvm_module_params(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        struct kata_host *h = ctx->host;
        bool nested = ctx->info->nested;
        switch (ctx->info->flavour) {
        case KATA_KVM_FLAVOUR_INTEL: {
                int ug = kata_module_param_bool(h, "kvm_intel", "unrestricted_guest");
                int nst = kata_module_param_bool(h, "kvm_intel", "nested");
                if (ug == 0 && !nested) {
                        kata_check_set(res, KATA_CHECK_FAIL,
                                       "reload kvm_intel with unrestricted_guest=1",
                                       "kvm_intel unrestricted_guest=N on bare metal");
                        return;
                }
                kata_check_set(res, KATA_CHECK_PASS, "",
                               "kvm_intel unrestricted_guest=%s%s, nested=%s",
                               ug < 0 ? "?"
                               : ug   ? "Y"
                                      : "N",
                               nested ? " (irrelevant: this host is a VM)" : "",
                               nst < 0 ? "?"
                               : nst   ? "Y"
                                       : "N");
                return;
        }
        case KATA_KVM_FLAVOUR_AMD: {
                int nst = kata_module_param_bool(h, "kvm_amd", "nested");
                kata_check_set(res, KATA_CHECK_PASS, "", "kvm_amd nested=%s",
                               nst < 0 ? "?"
                               : nst   ? "Y"
                                       : "N");
                return;
        }
        case KATA_KVM_FLAVOUR_PVM:
                kata_check_set(res, KATA_CHECK_PASS, "", "kvm_pvm has no parameter Kata needs");
                return;
        default:
                kata_check_set(res, KATA_CHECK_SKIP, "", "no parameters to check for %s",
                               kata_kvm_flavour_name(ctx->info->flavour));
        }
}
