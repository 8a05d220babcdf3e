#include "agent/initramfs.h"

#include <errno.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define BIND_DIR "/.kata-root"

int agent_initramfs_make_pivotable(kata_error *err)
{
        struct statfs fs;
        if (statfs("/", &fs) < 0)
                return kata_error_errno(err, errno, "statfs /");
        if (fs.f_type != RAMFS_MAGIC && fs.f_type != TMPFS_MAGIC)
                return 0;
        if (mkdir(BIND_DIR, 0700) < 0 && errno != EEXIST)
                return kata_error_errno(err, errno, "mkdir %s", BIND_DIR);
        if (mount("/", BIND_DIR, NULL, MS_BIND, NULL) < 0)
                return kata_error_errno(err, errno, "bind mount / on %s", BIND_DIR);
        if (chdir(BIND_DIR) < 0)
                return kata_error_errno(err, errno, "chdir %s", BIND_DIR);
        if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
                return kata_error_errno(err, errno, "move %s onto /", BIND_DIR);
        if (chroot(".") < 0 || chdir("/") < 0)
                return kata_error_errno(err, errno, "chroot into the moved root");
        return 1;
}
