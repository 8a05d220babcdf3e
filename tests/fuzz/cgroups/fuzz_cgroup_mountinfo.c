/* Layout detection on arbitrary mountinfo text: mount points can carry names chosen by
 * container workloads, so parsing must hold for any bytes. Whatever is accepted must
 * lie under the root. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cgroups/cgroups.h"

static void check(int ok)
{
        if (!ok)
                __builtin_trap();
}

static bool under(const char *p, const char *root)
{
        size_t n = strlen(root);
        return strncmp(p, root, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static int fd = -1;
        static char path[64];
        if (fd < 0) {
                fd = memfd_create("mountinfo", MFD_CLOEXEC);
                check(fd >= 0);
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        }
        check(ftruncate(fd, 0) == 0);
        check(pwrite(fd, data, size, 0) == (ssize_t)size);

        /* A root that does not exist: nothing below it is read from the real host. */
        static const char root[] = "/nonexistent-kata-fuzz/cg";
        kata_cgroup_layout_opts o = {root, path, path};
        kata_cgroup_layout *l = NULL;
        kata_error err = KATA_ERROR_INIT;
        int r = kata_cgroup_layout_detect(&o, &l, &err);
        if (r < 0) {
                check(l == NULL && err.msg[0] != '\0');
                return 0;
        }
        enum kata_cgroup_mode m = kata_cgroup_layout_mode(l);
        check(m == KATA_CGROUP_MODE_V1 || m == KATA_CGROUP_MODE_V2 || m == KATA_CGROUP_MODE_HYBRID);
        for (int c = 0; c < KATA_CGROUP_NR_CONTROLLERS; c++) {
                const char *mnt = kata_cgroup_layout_mount(l, c);
                check(!mnt || under(mnt, root));
        }
        const char *u = kata_cgroup_layout_unified(l);
        check(!u || under(u, root));
        kata_cgroup_layout_free(l);
        return 0;
}
