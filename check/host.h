/* The host the checks look at, and what is known about it.
 *
 * A kata_host is either the real machine (root "/") or a fixture tree
 * (tests/fixtures/hosts/<name>/, whose host.ini describes what cannot be a file: arch,
 * euid, device nodes and the KVM ioctl outcomes). Every file is read under host->root,
 * and every KVM ioctl goes through host->kvm, so unit tests can replace both.
 *
 * kata_host_info_collect() gathers the facts that `kata-ctl check` and `kata-ctl env`
 * both show: CPU, KVM probe and flavour, cgroups, systemd, kernel release. */
#ifndef KATA_CHECK_HOST_H
#define KATA_CHECK_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "common/error.h"

/* The KVM ioctl seam. Each call returns a file descriptor or value >= 0, or a negative
 * errno. The real implementation opens /dev/kvm (under the host root) and issues
 * KVM_GET_API_VERSION, KVM_CREATE_VM and KVM_CREATE_VCPU. */
struct kata_kvm_ops {
        int (*open_dev)(void *data, const char *path);
        int (*get_api_version)(void *data, int kvm_fd);
        int (*create_vm)(void *data, int kvm_fd);
        int (*create_vcpu)(void *data, int vm_fd);
        void (*close_fd)(void *data, int fd);
        void *data;
};

struct kata_device_info {
        bool exists;
        bool is_char;
        unsigned mode; /* permission bits, e.g. 0660 */
        char owner[32];
        char group[32];
        bool accessible; /* read and write for the effective user */
};

struct kata_fixture; /* host.ini of a fixture tree (check/fixture.c) */

struct kata_host {
        char *root;
        char arch[32]; /* uname machine: x86_64, aarch64, ppc64le, s390x */
        unsigned euid;
        struct kata_kvm_ops kvm;
        struct kata_fixture *fixture; /* NULL on the real host */
};

/* root NULL or "/": the real host. Any other root must hold a fixture descriptor
 * (root/host.ini). */
int kata_host_init(struct kata_host *host, const char *root, kata_error *err);
void kata_host_free(struct kata_host *host);

/* Device node state (path absolute, e.g. "/dev/kvm"). Never fails: a node that cannot
 * be inspected is reported as missing. */
void kata_host_device(const struct kata_host *host, const char *path, struct kata_device_info *out);

enum kata_kvm_probe_outcome {
        KATA_KVM_USABLE = 0,    /* opened, API 12, VM and vCPU created */
        KATA_KVM_NO_DEVICE,     /* /dev/kvm missing */
        KATA_KVM_NO_PERMISSION, /* EACCES/EPERM on open */
        KATA_KVM_BUSY,          /* EBUSY creating the VM: another hypervisor holds VT-x/AMD-V */
        KATA_KVM_BAD_API,       /* KVM_GET_API_VERSION is not 12 */
        KATA_KVM_FAILED,        /* any other error; see kvm_errno and kvm_step */
};

enum kata_kvm_flavour {
        KATA_KVM_FLAVOUR_NONE = 0, /* no KVM in this kernel */
        KATA_KVM_FLAVOUR_INTEL,    /* kvm_intel (VT-x) */
        KATA_KVM_FLAVOUR_AMD,      /* kvm_amd (AMD-V, also Hygon) */
        KATA_KVM_FLAVOUR_PVM,      /* kvm_pvm: only PVM guest kernels run accelerated */
        KATA_KVM_FLAVOUR_ARM64,    /* arm64 KVM */
        KATA_KVM_FLAVOUR_PPC_HV,   /* kvm_hv */
        KATA_KVM_FLAVOUR_PPC_PR,   /* kvm_pr (slow, no hypervisor mode) */
        KATA_KVM_FLAVOUR_S390,     /* s390 KVM (SIE) */
        KATA_KVM_FLAVOUR_OTHER,
};

enum kata_cgroup_layout {
        KATA_CGROUP_NONE = 0,
        KATA_CGROUP_V1,
        KATA_CGROUP_V2,
        KATA_CGROUP_HYBRID, /* v1 controllers plus a cgroup2 mount */
};

#define KATA_HOST_MAX_CONTROLLERS 24

struct kata_cgroup_controller {
        char name[32];
        bool enabled;    /* /proc/cgroups "enabled", or listed in cgroup.controllers */
        int version;     /* 1 or 2: the hierarchy it is attached to; 0 when not mounted */
        char mount[256]; /* where that hierarchy is mounted, "" when not mounted */
};

struct kata_host_info {
        char arch[32];
        char kernel_release[128];
        char cpu_vendor[64]; /* GenuineIntel, AuthenticAMD, HygonGenuine, IBM/S390, ARM 0x41... */
        char cpu_model[128];
        unsigned cpu_count;
        bool nested; /* the CPU reports the `hypervisor` flag: this host is a VM */

        enum kata_kvm_probe_outcome kvm;
        int kvm_errno;        /* positive errno of the failing step, 0 when usable */
        const char *kvm_step; /* "open", "KVM_GET_API_VERSION", "KVM_CREATE_VM"... */
        int kvm_api_version;  /* -1 when not reached */
        enum kata_kvm_flavour flavour;

        enum kata_cgroup_layout cgroup_layout;
        char cgroup2_mount[256]; /* "" when no cgroup2 is mounted */
        struct kata_cgroup_controller controllers[KATA_HOST_MAX_CONTROLLERS];
        size_t controller_count;
        bool systemd_running;   /* /run/systemd/system exists */
        bool systemd_hierarchy; /* a name=systemd v1 hierarchy is mounted (not proof) */
};

/* Reads everything and runs the functional KVM probe (through host->kvm). Missing
 * files are not errors (they are facts); only out-of-memory fails. */
int kata_host_info_collect(struct kata_host *host, struct kata_host_info *info, kata_error *err);

const char *kata_kvm_probe_outcome_name(enum kata_kvm_probe_outcome o); /* "usable"... */
const char *kata_kvm_flavour_name(enum kata_kvm_flavour f); /* "kvm_intel", "kvm_pvm"... */
/* What the flavour means for guests, one sentence. */
const char *kata_kvm_flavour_meaning(enum kata_kvm_flavour f);
const char *kata_cgroup_layout_name(enum kata_cgroup_layout l); /* "v1", "v2", "hybrid" */

/* {"arch", "kernel_release", "cpu": {...}, "kvm": {...}, "cgroups": {...}, "systemd": {...}} */
json_object *kata_host_info_to_json(const struct kata_host_info *info);

#endif
