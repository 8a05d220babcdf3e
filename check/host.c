#include "check/host.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/kvm.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "check/internal.h"
#include "common/util.h"

static int real_open_dev(void *data, const char *path)
{
        int fd = open(path, O_RDWR | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

static int real_get_api_version(void *data, int kvm_fd)
{
        int r = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
        return r < 0 ? -errno : r;
}

static int real_create_vm(void *data, int kvm_fd)
{
        int r;
        do {
                r = ioctl(kvm_fd, KVM_CREATE_VM, 0UL);
        } while (r < 0 && errno == EINTR);
        return r < 0 ? -errno : r;
}

static int real_create_vcpu(void *data, int vm_fd)
{
        int r = ioctl(vm_fd, KVM_CREATE_VCPU, 0UL);
        return r < 0 ? -errno : r;
}

static void real_close_fd(void *data, int fd)
{
        close(fd);
}

static const struct kata_kvm_ops real_kvm_ops = {
    .open_dev = real_open_dev,
    .get_api_version = real_get_api_version,
    .create_vm = real_create_vm,
    .create_vcpu = real_create_vcpu,
    .close_fd = real_close_fd,
};

int kata_host_init(struct kata_host *host, const char *root, kata_error *err)
{
        memset(host, 0, sizeof(*host));
        bool real = !root || !root[0] || strcmp(root, "/") == 0;
        host->root = strdup(real ? "/" : root);
        if (!host->root)
                return kata_error_set(err, ENOMEM, "out of memory");
        if (real) {
                struct utsname u;
                if (uname(&u) == 0)
                        snprintf(host->arch, sizeof(host->arch), "%s", u.machine);
                host->euid = (unsigned)geteuid();
                host->kvm = real_kvm_ops;
                return 0;
        }
        int r = kata_fixture_load(host, err);
        if (r < 0) {
                free(host->root);
                host->root = NULL;
                return kata_error_prefix(err, "host root %s", root);
        }
        return 0;
}

void kata_host_free(struct kata_host *host)
{
        if (!host)
                return;
        kata_fixture_free(host->fixture);
        free(host->root);
        memset(host, 0, sizeof(*host));
}

void kata_host_device(const struct kata_host *host, const char *path, struct kata_device_info *out)
{
        memset(out, 0, sizeof(*out));
        if (host->fixture) {
                kata_fixture_device(host->fixture, path, out);
                return;
        }
        char *full = kata_path_join(host->root, path);
        if (!full)
                return;
        struct stat st;
        if (stat(full, &st) == 0) {
                out->exists = true;
                out->is_char = S_ISCHR(st.st_mode);
                out->mode = st.st_mode & 07777;
                struct passwd *pw = getpwuid(st.st_uid);
                struct group *gr = getgrgid(st.st_gid);
                if (pw)
                        snprintf(out->owner, sizeof(out->owner), "%s", pw->pw_name);
                else
                        snprintf(out->owner, sizeof(out->owner), "%u", (unsigned)st.st_uid);
                if (gr)
                        snprintf(out->group, sizeof(out->group), "%s", gr->gr_name);
                else
                        snprintf(out->group, sizeof(out->group), "%u", (unsigned)st.st_gid);
                out->accessible = faccessat(AT_FDCWD, full, R_OK | W_OK, AT_EACCESS) == 0;
        }
        free(full);
}

void kata_host_read_release(const struct kata_host *host, char *buf, size_t size)
{
        char *s = NULL;
        buf[0] = '\0';
        if (kata_read_line_at(host->root, "/proc/sys/kernel/osrelease", &s, NULL) == 0) {
                snprintf(buf, size, "%s", s);
                free(s);
        }
}

int kata_host_read_cpuinfo(const struct kata_host *host, struct kata_cpuinfo *cpu, kata_error *err)
{
        char *text = NULL;
        size_t len = 0;
        memset(cpu, 0, sizeof(*cpu));
        int r = kata_read_file_at(host->root, "/proc/cpuinfo", 4u << 20, &text, &len, err);
        if (r < 0)
                return r;
        r = kata_cpuinfo_parse(text, len, cpu, err);
        free(text);
        return r;
}

void kata_host_info_fill(struct kata_host *host, struct kata_host_info *info, const char *release,
                         const struct kata_cpuinfo *cpu, const struct kata_kconfig *cfg)
{
        memset(info, 0, sizeof(*info));
        snprintf(info->arch, sizeof(info->arch), "%s", host->arch);
        snprintf(info->kernel_release, sizeof(info->kernel_release), "%s", release);
        if (cpu) {
                snprintf(info->cpu_vendor, sizeof(info->cpu_vendor), "%s", cpu->vendor);
                snprintf(info->cpu_model, sizeof(info->cpu_model), "%s", cpu->model);
                info->cpu_count = cpu->processors;
                info->nested = kata_cpuinfo_has_flag(cpu, "hypervisor");
        }
        info->flavour = kata_kvm_flavour_detect(host, cfg, info->cpu_vendor);
        kata_kvm_probe(host, info);
        kata_cgroups_detect(host, info);
        info->systemd_running = kata_path_exists_at(host->root, "/run/systemd/system");
}

int kata_host_info_collect(struct kata_host *host, struct kata_host_info *info, kata_error *err)
{
        char release[128];
        kata_host_read_release(host, release, sizeof(release));
        struct kata_cpuinfo cpu;
        kata_error read_err = KATA_ERROR_INIT;
        int r = kata_host_read_cpuinfo(host, &cpu, &read_err);
        if (r == -ENOMEM) {
                *err = read_err;
                return r;
        }
        bool have_cpu = r == 0;
        struct kata_kconfig cfg;
        bool have_cfg = kata_kconfig_load(host->root, release, &cfg, NULL, 0, NULL) == 0;
        kata_host_info_fill(host, info, release, have_cpu ? &cpu : NULL, have_cfg ? &cfg : NULL);
        kata_cpuinfo_free(&cpu);
        if (have_cfg)
                kata_kconfig_free(&cfg);
        return 0;
}

const char *kata_kvm_probe_outcome_name(enum kata_kvm_probe_outcome o)
{
        switch (o) {
        case KATA_KVM_USABLE:
                return "usable";
        case KATA_KVM_NO_DEVICE:
                return "no-device";
        case KATA_KVM_NO_PERMISSION:
                return "no-permission";
        case KATA_KVM_BUSY:
                return "busy";
        case KATA_KVM_BAD_API:
                return "bad-api-version";
        case KATA_KVM_FAILED:
                return "failed";
        }
        return "unknown";
}

const char *kata_kvm_flavour_name(enum kata_kvm_flavour f)
{
        switch (f) {
        case KATA_KVM_FLAVOUR_NONE:
                return "none";
        case KATA_KVM_FLAVOUR_INTEL:
                return "kvm_intel";
        case KATA_KVM_FLAVOUR_AMD:
                return "kvm_amd";
        case KATA_KVM_FLAVOUR_PVM:
                return "kvm_pvm";
        case KATA_KVM_FLAVOUR_ARM64:
                return "kvm_arm64";
        case KATA_KVM_FLAVOUR_PPC_HV:
                return "kvm_hv";
        case KATA_KVM_FLAVOUR_PPC_PR:
                return "kvm_pr";
        case KATA_KVM_FLAVOUR_S390:
                return "kvm_s390";
        case KATA_KVM_FLAVOUR_OTHER:
                return "other";
        }
        return "other";
}

const char *kata_kvm_flavour_meaning(enum kata_kvm_flavour f)
{
        switch (f) {
        case KATA_KVM_FLAVOUR_NONE:
                return "this kernel has no KVM: guests can only be emulated (QEMU TCG)";
        case KATA_KVM_FLAVOUR_INTEL:
                return "hardware virtualization (VT-x): any guest kernel runs accelerated";
        case KATA_KVM_FLAVOUR_AMD:
                return "hardware virtualization (AMD-V): any guest kernel runs accelerated";
        case KATA_KVM_FLAVOUR_PVM:
                return "PVM (pagetable-based, no VT-x/AMD-V): only guest kernels built with "
                       "CONFIG_PVM_GUEST run accelerated; ordinary guest kernels stall, so QEMU "
                       "falls back to TCG emulation for them";
        case KATA_KVM_FLAVOUR_ARM64:
                return "arm64 hardware virtualization (EL2): any guest kernel runs accelerated";
        case KATA_KVM_FLAVOUR_PPC_HV:
                return "POWER hypervisor mode: any guest kernel runs accelerated";
        case KATA_KVM_FLAVOUR_PPC_PR:
                return "POWER problem-state KVM: guests run, much slower than kvm_hv";
        case KATA_KVM_FLAVOUR_S390:
                return "s390 SIE: any guest kernel runs accelerated";
        case KATA_KVM_FLAVOUR_OTHER:
                return "an unrecognised KVM implementation";
        }
        return "";
}

const char *kata_cgroup_layout_name(enum kata_cgroup_layout l)
{
        switch (l) {
        case KATA_CGROUP_NONE:
                return "none";
        case KATA_CGROUP_V1:
                return "v1";
        case KATA_CGROUP_V2:
                return "v2";
        case KATA_CGROUP_HYBRID:
                return "hybrid";
        }
        return "none";
}

json_object *kata_host_info_to_json(const struct kata_host_info *info)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "arch", json_object_new_string(info->arch));
        json_object_object_add(o, "kernel_release", json_object_new_string(info->kernel_release));

        json_object *cpu = json_object_new_object();
        json_object_object_add(cpu, "vendor", json_object_new_string(info->cpu_vendor));
        json_object_object_add(cpu, "model", json_object_new_string(info->cpu_model));
        json_object_object_add(cpu, "count", json_object_new_int((int)info->cpu_count));
        json_object_object_add(cpu, "nested", json_object_new_boolean(info->nested));
        json_object_object_add(o, "cpu", cpu);

        json_object *kvm = json_object_new_object();
        json_object_object_add(kvm, "probe",
                               json_object_new_string(kata_kvm_probe_outcome_name(info->kvm)));
        json_object_object_add(kvm, "errno", json_object_new_int(info->kvm_errno));
        json_object_object_add(kvm, "failed_step",
                               info->kvm_step ? json_object_new_string(info->kvm_step) : NULL);
        json_object_object_add(kvm, "api_version", json_object_new_int(info->kvm_api_version));
        json_object_object_add(kvm, "flavour",
                               json_object_new_string(kata_kvm_flavour_name(info->flavour)));
        json_object_object_add(kvm, "flavour_meaning",
                               json_object_new_string(kata_kvm_flavour_meaning(info->flavour)));
        json_object_object_add(o, "kvm", kvm);

        json_object *cg = json_object_new_object();
        json_object_object_add(
            cg, "layout", json_object_new_string(kata_cgroup_layout_name(info->cgroup_layout)));
        json_object_object_add(cg, "cgroup2_mount",
                               info->cgroup2_mount[0] ? json_object_new_string(info->cgroup2_mount)
                                                      : NULL);
        json_object *ctrls = json_object_new_array();
        for (size_t i = 0; i < info->controller_count; i++) {
                const struct kata_cgroup_controller *c = &info->controllers[i];
                json_object *co = json_object_new_object();
                json_object_object_add(co, "name", json_object_new_string(c->name));
                json_object_object_add(co, "enabled", json_object_new_boolean(c->enabled));
                json_object_object_add(co, "version", json_object_new_int(c->version));
                json_object_object_add(co, "mount",
                                       c->mount[0] ? json_object_new_string(c->mount) : NULL);
                json_object_array_add(ctrls, co);
        }
        json_object_object_add(cg, "controllers", ctrls);
        json_object_object_add(o, "cgroups", cg);

        json_object *sd = json_object_new_object();
        json_object_object_add(sd, "running", json_object_new_boolean(info->systemd_running));
        json_object_object_add(sd, "name_systemd_hierarchy",
                               json_object_new_boolean(info->systemd_hierarchy));
        json_object_object_add(o, "systemd", sd);
        return o;
}
