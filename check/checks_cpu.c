/* cpu.*: vendor, virtualization flags, POWER8 SMT, nested (the `hypervisor` flag). */
#include <stdlib.h>
#include <string.h>

#include "check/internal.h"
#include "common/util.h"

static bool is_arch(const struct kata_check_ctx *ctx, const char *arch)
{
        return strcmp(ctx->host->arch, arch) == 0;
}

static bool is_ppc(const struct kata_check_ctx *ctx)
{
        return is_arch(ctx, "ppc64le") || is_arch(ctx, "ppc64");
}

static bool no_cpuinfo(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        if (ctx->have_cpu)
                return false;
        kata_check_set(res, KATA_CHECK_FAIL, "mount procfs on /proc", "cannot read /proc/cpuinfo");
        return true;
}

void kata_check_cpu_vendor(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        if (no_cpuinfo(ctx, res))
                return;
        const char *v = ctx->cpu.vendor;
        if (is_arch(ctx, "x86_64")) {
                if (!strcmp(v, "GenuineIntel") || !strcmp(v, "AuthenticAMD") ||
                    !strcmp(v, "HygonGenuine"))
                        kata_check_set(res, KATA_CHECK_PASS, "", "%s (%s)", v, ctx->cpu.model);
                else
                        kata_check_set(res, KATA_CHECK_WARN,
                                       "only Intel, AMD and Hygon CPUs are known to work",
                                       "unknown x86 vendor '%s' (%s)", v, ctx->cpu.model);
                return;
        }
        if (is_arch(ctx, "aarch64")) {
                kata_check_set(res, KATA_CHECK_PASS, "", "arm64, CPU implementer %s",
                               v[0] ? v : "unknown");
                return;
        }
        if (is_ppc(ctx)) {
                kata_check_set(res, KATA_CHECK_PASS, "", "IBM %s", ctx->cpu.model);
                return;
        }
        if (is_arch(ctx, "s390x")) {
                kata_check_set(res, KATA_CHECK_PASS, "", "%s", v[0] ? v : "IBM/S390");
                return;
        }
        kata_check_set(res, KATA_CHECK_FAIL, "supported: x86_64, aarch64, ppc64le, s390x",
                       "unsupported architecture '%s'", ctx->host->arch);
}

void kata_check_cpu_flags(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        if (no_cpuinfo(ctx, res))
                return;
        const struct kata_cpuinfo *cpu = &ctx->cpu;
        if (is_arch(ctx, "x86_64")) {
                const char *virt = strcmp(cpu->vendor, "GenuineIntel") == 0 ? "vmx" : "svm";
                const char *missing[3];
                size_t n = 0;
                if (!kata_cpuinfo_has_flag(cpu, "lm"))
                        missing[n++] = "lm";
                if (!kata_cpuinfo_has_flag(cpu, "sse4_1"))
                        missing[n++] = "sse4_1";
                if (n > 0) {
                        kata_check_set(res, KATA_CHECK_FAIL, "a 64-bit CPU with SSE4.1 is needed",
                                       "missing CPU flags: %s%s%s", missing[0], n > 1 ? " " : "",
                                       n > 1 ? missing[1] : "");
                        return;
                }
                if (kata_cpuinfo_has_flag(cpu, virt)) {
                        kata_check_set(res, KATA_CHECK_PASS, "", "%s, lm, sse4_1 present", virt);
                        return;
                }
                /* The functional probe is the ground truth: PVM runs without VT-x/AMD-V. */
                if (ctx->info->kvm == KATA_KVM_USABLE ||
                    ctx->info->flavour == KATA_KVM_FLAVOUR_PVM) {
                        kata_check_set(res, KATA_CHECK_WARN,
                                       "no action needed unless guests must use VT-x/AMD-V; see "
                                       "kvm.flavour",
                                       "no %s flag (hardware virtualization not exposed%s), yet "
                                       "KVM %s (%s)",
                                       virt, ctx->info->nested ? " to this VM" : "",
                                       ctx->info->kvm == KATA_KVM_USABLE ? "works"
                                                                         : "needs none here",
                                       kata_kvm_flavour_name(ctx->info->flavour));
                        return;
                }
                if (ctx->info->kvm == KATA_KVM_NO_PERMISSION) {
                        kata_check_set(res, KATA_CHECK_WARN, "run as root to probe KVM",
                                       "no %s flag; whether KVM works cannot be probed without "
                                       "access to /dev/kvm",
                                       virt);
                        return;
                }
                kata_check_set(res, KATA_CHECK_FAIL,
                               ctx->info->nested
                                   ? "enable nested virtualization on the outer hypervisor"
                                   : "enable VT-x/AMD-V (SVM) in the firmware setup",
                               "no %s flag: no hardware virtualization", virt);
                return;
        }
        if (is_arch(ctx, "s390x")) {
                if (kata_cpuinfo_has_flag(cpu, "sie"))
                        kata_check_set(res, KATA_CHECK_PASS, "", "sie present");
                else
                        kata_check_set(res, KATA_CHECK_FAIL,
                                       "run on an LPAR or a KVM guest with SIE enabled",
                                       "CPU feature 'sie' missing");
                return;
        }
        if (is_arch(ctx, "aarch64")) {
                kata_check_set(res, KATA_CHECK_PASS, "",
                               "arm64 exposes no virtualization flag; KVM availability is "
                               "probed by kvm.*");
                return;
        }
        if (is_ppc(ctx)) {
                kata_check_set(res, KATA_CHECK_PASS, "", "POWER needs no CPU flag");
                return;
        }
        kata_check_set(res, KATA_CHECK_SKIP, "", "no flag rules for %s", ctx->host->arch);
}

void kata_check_cpu_smt(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        if (!is_ppc(ctx)) {
                kata_check_set(res, KATA_CHECK_SKIP, "", "only POWER8 needs SMT off");
                return;
        }
        if (no_cpuinfo(ctx, res))
                return;
        if (strncmp(ctx->cpu.model, "POWER8", 6) != 0) {
                kata_check_set(res, KATA_CHECK_PASS, "", "%s runs guests with SMT on",
                               ctx->cpu.model);
                return;
        }
        char *smt = NULL;
        if (kata_read_line_at(ctx->host->root, "/sys/devices/system/cpu/smt/control", &smt, NULL) <
            0) {
                kata_check_set(res, KATA_CHECK_WARN, "check with: ppc64_cpu --smt",
                               "POWER8: SMT state unknown (no /sys/devices/system/cpu/smt)");
                return;
        }
        if (strcmp(smt, "on") == 0)
                kata_check_set(res, KATA_CHECK_FAIL, "turn SMT off: ppc64_cpu --smt=off",
                               "POWER8 with SMT on: KVM (kvm_hv) needs SMT off");
        else
                kata_check_set(res, KATA_CHECK_PASS, "", "POWER8, SMT %s", smt);
        free(smt);
}

void kata_check_cpu_nested(struct kata_check_ctx *ctx, struct kata_check_result *res)
{
        if (no_cpuinfo(ctx, res))
                return;
        if (ctx->info->nested)
                kata_check_set(res, KATA_CHECK_PASS, "",
                               "this host is itself a VM (hypervisor flag): sandboxes are "
                               "nested guests; unrestricted_guest does not matter");
        else
                kata_check_set(res, KATA_CHECK_PASS, "", "bare metal (no hypervisor flag)");
}
