/* IOMMU, secure guests (TDX, SEV, SEV-SNP, s390 PV) and incompatible hypervisors. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "check/internal.h"
#include "common/util.h"

static size_t count_dir_entries(const char *root, const char *path)
{
        char *full = kata_path_join(root, path);
        if (!full)
                return 0;
        DIR *d = opendir(full);
        free(full);
        if (!d)
                return 0;
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
                if (e->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

void kata_check_iommu(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        const char *root = ctx->host->root;
        size_t groups = count_dir_entries(root, "/sys/kernel/iommu_groups");
        if (groups > 0) {
                kata_check_set(res, KATA_CHECK_PASS, "", "%zu IOMMU groups", groups);
                return;
        }
        bool dmar = kata_path_exists_at(root, "/sys/firmware/acpi/tables/DMAR");
        bool ivrs = kata_path_exists_at(root, "/sys/firmware/acpi/tables/IVRS");
        if (dmar || ivrs) {
                kata_check_set(res, KATA_CHECK_WARN,
                               dmar ? "add intel_iommu=on to the kernel command line"
                                    : "add amd_iommu=on to the kernel command line",
                               "the firmware describes an IOMMU (%s) but it is not enabled",
                               dmar ? "DMAR" : "IVRS");
                return;
        }
        kata_check_set(res, KATA_CHECK_WARN,
                       "device passthrough (VFIO) needs an IOMMU enabled in the firmware",
                       "no IOMMU groups and no ACPI DMAR/IVRS table");
}

static bool is_x86_vendor(const struct kata_check_ctx *ctx, const char *vendor)
{
        return strcmp(ctx->host->arch, "x86_64") == 0 && strcmp(ctx->cpu.vendor, vendor) == 0;
}

void kata_check_secure_tdx(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        if (!is_x86_vendor(ctx, "GenuineIntel")) {
                kata_check_set(res, KATA_CHECK_SKIP, "", "TDX is Intel only");
                return;
        }
        if (ctx->info->flavour != KATA_KVM_FLAVOUR_INTEL) {
                kata_check_set(res, KATA_CHECK_SKIP, "", "KVM here is %s, not kvm_intel",
                               kata_kvm_flavour_name(ctx->info->flavour));
                return;
        }
        if (kata_module_param_bool(ctx->host, "kvm_intel", "tdx") == 1)
                kata_check_set(res, KATA_CHECK_PASS, "", "kvm_intel tdx=Y");
        else
                kata_check_set(res, KATA_CHECK_WARN,
                               "TDX guests need TDX-enabled firmware and kvm_intel.tdx=1",
                               "TDX not enabled (kvm_intel/parameters/tdx)");
}

static bool is_amd_like(const struct kata_check_ctx *ctx)
{
        return is_x86_vendor(ctx, "AuthenticAMD") || is_x86_vendor(ctx, "HygonGenuine");
}

void kata_check_secure_sev(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        if (!is_amd_like(ctx)) {
                kata_check_set(res, KATA_CHECK_SKIP, "", "SEV is AMD/Hygon only");
                return;
        }
        if (ctx->info->flavour != KATA_KVM_FLAVOUR_AMD) {
                kata_check_set(res, KATA_CHECK_SKIP, "", "KVM here is %s, not kvm_amd",
                               kata_kvm_flavour_name(ctx->info->flavour));
                return;
        }
        int sev = kata_module_param_bool(ctx->host, "kvm_amd", "sev");
        struct kata_device_info d;
        kata_host_device(ctx->host, "/dev/sev", &d);
        if (sev == 1 && d.exists)
                kata_check_set(res, KATA_CHECK_PASS, "", "kvm_amd sev=Y and /dev/sev exists");
        else
                kata_check_set(res, KATA_CHECK_WARN,
                               "SEV guests need SEV enabled in the firmware and kvm_amd.sev=1",
                               "SEV not ready (kvm_amd sev=%s, /dev/sev %s)",
                               sev == 1   ? "Y"
                               : sev == 0 ? "N"
                                          : "?",
                               d.exists ? "exists" : "missing");
}

void kata_check_secure_snp(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        if (!is_amd_like(ctx)) {
                kata_check_set(res, KATA_CHECK_SKIP, "", "SEV-SNP is AMD only");
                return;
        }
        if (ctx->info->flavour != KATA_KVM_FLAVOUR_AMD) {
                kata_check_set(res, KATA_CHECK_SKIP, "", "KVM here is %s, not kvm_amd",
                               kata_kvm_flavour_name(ctx->info->flavour));
                return;
        }
        if (kata_module_param_bool(ctx->host, "kvm_amd", "sev_snp") == 1)
                kata_check_set(res, KATA_CHECK_PASS, "", "kvm_amd sev_snp=Y");
        else
                kata_check_set(res, KATA_CHECK_WARN,
                               "SNP guests need SNP-enabled firmware and kvm_amd.sev_snp=1",
                               "SEV-SNP not enabled (kvm_amd/parameters/sev_snp)");
}

void kata_check_secure_s390_pv(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        if (strcmp(ctx->host->arch, "s390x") != 0) {
                kata_check_set(res, KATA_CHECK_SKIP, "", "Secure Execution is s390x only");
                return;
        }
        char *v = NULL;
        bool on = false;
        if (kata_read_line_at(ctx->host->root, "/sys/firmware/uv/prot_virt_host", &v, NULL) == 0) {
                on = strcmp(v, "1") == 0;
                free(v);
        }
        if (on)
                kata_check_set(res, KATA_CHECK_PASS, "", "prot_virt_host=1");
        else
                kata_check_set(res, KATA_CHECK_WARN,
                               "boot with prot_virt=1 on a machine with Secure Execution",
                               "Secure Execution host support off (/sys/firmware/uv)");
}

void kata_check_hypervisor_incompatible(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        if (ctx->host->euid != 0) {
                kata_check_set(res, KATA_CHECK_SKIP, "run as root for this check", "needs root");
                return;
        }
        static const char *const others[] = {"vboxdrv", "vmmon", "vmx86", "xen"};
        for (size_t i = 0; i < KATA_ARRAY_SIZE(others); i++) {
                if (kata_sys_module_exists(ctx->host, others[i])) {
                        kata_check_set(res, KATA_CHECK_FAIL,
                                       "stop or unload the other hypervisor's driver",
                                       "another hypervisor's driver is loaded: %s", others[i]);
                        return;
                }
        }
        if (ctx->info->kvm == KATA_KVM_BUSY) {
                kata_check_set(res, KATA_CHECK_FAIL,
                               "another hypervisor holds the virtualization extensions: stop it",
                               "KVM_CREATE_VM returned EBUSY");
                return;
        }
        kata_check_set(res, KATA_CHECK_PASS, "", "no other hypervisor holds the CPU");
}
