#include "qemu_accel.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

bool qemu_guest_kernel_has(const char *kernel, const char *option)
{
        char cfg[PATH_MAX], *text = NULL;
        const char *base = strrchr(kernel, '/');
        base = base ? base + 1 : kernel;
        if (strncmp(base, "vmlinuz-", 8) == 0 || strncmp(base, "vmlinux-", 8) == 0)
                snprintf(cfg, sizeof(cfg), "%.*sconfig-%s", (int)(base - kernel), kernel, base + 8);
        else
                snprintf(cfg, sizeof(cfg), "%s.config", kernel);
        if (kata_read_file(cfg, 0, &text, NULL, NULL) < 0)
                return false;
        char want[128];
        snprintf(want, sizeof(want), "\n%s=y", option);
        bool found = strstr(text, want) != NULL || kata_str_startswith(text, want + 1);
        free(text);
        return found;
}

const char *qemu_accel_choose(const char *sys_root, const char *kvm_dev, const char *kernel,
                              char *reason, size_t size)
{
        const char *force = getenv("KATA_QEMU_ACCEL");
        if (force && (strcmp(force, "tcg") == 0 || strcmp(force, "kvm") == 0)) {
                snprintf(reason, size, "KATA_QEMU_ACCEL=%s", force);
                return strcmp(force, "kvm") == 0 ? "kvm" : "tcg";
        }
        int fd = open(kvm_dev, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                snprintf(reason, size, "%s: %s", kvm_dev, strerror(errno));
                return "tcg";
        }
        close(fd);
        if (kata_path_exists_at(sys_root, "/sys/module/kvm_pvm") &&
            !qemu_guest_kernel_has(kernel, "CONFIG_PVM_GUEST")) {
                snprintf(reason, size,
                         "KVM here is PVM (kvm_pvm), which runs only PVM guest kernels, and "
                         "%s is not one (no CONFIG_PVM_GUEST)",
                         kernel);
                return "tcg";
        }
        snprintf(reason, size, "%s is usable", kvm_dev);
        return "kvm";
}
