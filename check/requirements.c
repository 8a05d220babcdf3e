/* Requirement sets per hypervisor: which checks must pass (required: FAIL stops it) and
 * which are advisory (a problem is a WARN). Checks not listed are informational.
 *
 * local runs sandboxes in namespaces and cgroups, no VM. qemu falls back to TCG when KVM
 * is unusable and brings its own vhost-user-vsock backend, so KVM and vsock are only
 * advisory. firecracker, clh and dragonball need a working KVM and nothing from
 * vhost-vsock (they use hybrid vsock). */
#include <errno.h>
#include <string.h>

#include "check/internal.h"
#include "common/util.h"

struct requirement {
        const char *check_id;
        enum kata_requirement level;
};

#define R(id)                                                                                      \
        {                                                                                          \
                id, KATA_REQ_REQUIRED                                                              \
        }
#define A(id)                                                                                      \
        {                                                                                          \
                id, KATA_REQ_ADVISORY                                                              \
        }

#define SANDBOX_BASICS                                                                             \
        R("ns.pid"), R("ns.net"), R("ns.mnt"), R("ns.uts"), R("ns.ipc"), A("ns.cgroup"),           \
            A("ns.user"), R("cgroup.layout"), R("cgroup.controllers")

#define KVM_REQUIRED                                                                               \
        R("cpu.vendor"), R("cpu.flags"), R("cpu.smt"), R("kvm.device"), R("kvm.api-version"),      \
            R("kvm.create-vm"), R("kvm.create-vcpu"), R("kvm.flavour"), R("kvm.module-params"),    \
            R("kernel.kvm"), R("hypervisor.incompatible")

static const struct requirement local_set[] = {SANDBOX_BASICS, {NULL, 0}};

static const struct requirement qemu_set[] = {SANDBOX_BASICS,
                                              A("cpu.vendor"),
                                              A("cpu.flags"),
                                              A("cpu.smt"),
                                              A("kvm.device"),
                                              A("kvm.api-version"),
                                              A("kvm.create-vm"),
                                              A("kvm.create-vcpu"),
                                              A("kvm.flavour"),
                                              A("kvm.module-params"),
                                              A("kernel.kvm"),
                                              A("hypervisor.incompatible"),
                                              A("kernel.vhost"),
                                              A("kernel.vhost-net"),
                                              A("kernel.vhost-vsock"),
                                              A("dev.vhost-net"),
                                              A("dev.vhost-vsock"),
                                              R("kernel.tun"),
                                              R("dev.tun"),
                                              {NULL, 0}};

static const struct requirement firecracker_set[] = {
    SANDBOX_BASICS, KVM_REQUIRED, R("kernel.tun"), R("dev.tun"), {NULL, 0}};

static const struct requirement clh_set[] = {
    SANDBOX_BASICS, KVM_REQUIRED, R("kernel.tun"), R("dev.tun"), {NULL, 0}};

static const struct requirement dragonball_set[] = {
    SANDBOX_BASICS,    KVM_REQUIRED,          R("kernel.tun"),    R("dev.tun"),
    A("kernel.vhost"), A("kernel.vhost-net"), A("dev.vhost-net"), {NULL, 0}};

static const struct {
        const char *name;
        const struct requirement *set;
} hypervisors[] = {
    {"qemu", qemu_set},   {"firecracker", firecracker_set},
    {"clh", clh_set},     {"dragonball", dragonball_set},
    {"local", local_set},
};

size_t kata_hypervisor_count(void)
{
        return KATA_ARRAY_SIZE(hypervisors);
}

const char *kata_hypervisor_name(size_t index)
{
        return index < KATA_ARRAY_SIZE(hypervisors) ? hypervisors[index].name : NULL;
}

static const struct requirement *set_of(const char *hypervisor)
{
        for (size_t i = 0; i < KATA_ARRAY_SIZE(hypervisors); i++)
                if (hypervisor && strcmp(hypervisors[i].name, hypervisor) == 0)
                        return hypervisors[i].set;
        return NULL;
}

bool kata_hypervisor_is_known(const char *name)
{
        return set_of(name) != NULL;
}

enum kata_requirement kata_hypervisor_requirement(const char *hypervisor, const char *check_id)
{
        const struct requirement *set = set_of(hypervisor);
        for (; set && set->check_id; set++)
                if (strcmp(set->check_id, check_id) == 0)
                        return set->level;
        return KATA_REQ_NONE;
}

const char *kata_requirement_name(enum kata_requirement r)
{
        switch (r) {
        case KATA_REQ_REQUIRED:
                return "required";
        case KATA_REQ_ADVISORY:
                return "advisory";
        case KATA_REQ_NONE:
                return "-";
        }
        return "-";
}

static void add_id(char *buf, size_t size, const char *id)
{
        size_t n = strlen(buf);
        if (n < size)
                snprintf(buf + n, size - n, "%s%s", n ? ", " : "", id);
}

int kata_check_verdict(const struct kata_check_report *report, const char *hypervisor,
                       struct kata_check_verdict *out, kata_error *err)
{
        memset(out, 0, sizeof(*out));
        const struct requirement *set = set_of(hypervisor);
        if (!set)
                return kata_error_set(err, EINVAL,
                                      "unknown hypervisor '%s' (known: qemu, firecracker, clh, "
                                      "dragonball, local)",
                                      hypervisor ? hypervisor : "");
        out->hypervisor = hypervisor;
        char failed[256] = "", warned[256] = "";
        for (size_t i = 0; i < report->count; i++) {
                const struct kata_check_result *r = &report->results[i];
                enum kata_requirement level = kata_hypervisor_requirement(hypervisor, r->id);
                if (level == KATA_REQ_NONE)
                        continue;
                if (r->status == KATA_CHECK_FAIL && level == KATA_REQ_REQUIRED)
                        add_id(failed, sizeof(failed), r->id);
                else if (r->status == KATA_CHECK_FAIL || r->status == KATA_CHECK_WARN)
                        add_id(warned, sizeof(warned), r->id);
        }
        const struct kata_host_info *info = &report->info;
        bool tcg = strcmp(hypervisor, "qemu") == 0 &&
                   (info->kvm != KATA_KVM_USABLE || info->flavour == KATA_KVM_FLAVOUR_PVM);
        const char *tcg_note =
            !tcg ? ""
            : info->kvm != KATA_KVM_USABLE
                ? "; QEMU will run guests under TCG emulation (KVM unusable)"
                : "; KVM is PVM: QEMU uses TCG unless the guest kernel is a PVM guest";
        if (failed[0]) {
                out->status = KATA_CHECK_FAIL;
                snprintf(out->summary, sizeof(out->summary), "required checks failed: %s%s%s",
                         failed, warned[0] ? "; warnings: " : "", warned);
        } else if (warned[0]) {
                out->status = KATA_CHECK_WARN;
                snprintf(out->summary, sizeof(out->summary), "usable with warnings: %s%s", warned,
                         tcg_note);
        } else {
                out->status = KATA_CHECK_PASS;
                snprintf(out->summary, sizeof(out->summary), "all required checks pass%s",
                         tcg_note);
        }
        return 0;
}

int kata_check_exit_code(const struct kata_check_verdict *verdict, bool strict)
{
        if (verdict->status == KATA_CHECK_FAIL)
                return 1;
        if (strict && verdict->status == KATA_CHECK_WARN)
                return 1;
        return 0;
}
