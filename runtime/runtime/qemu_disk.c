#include "qemu_disk.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "qemu_qmp.h"

#define QMP_TIMEOUT_MS 10000
/* QEMU made its QMP socket long before its agent answered: a missing one means QEMU is
 * gone, not that it is still starting. */
#define QMP_CONNECT_TIMEOUT_MS 1000

extern char **environ;

static uint64_t walk_bytes, walk_inodes;

static int walk_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        walk_inodes++;
        /* Data rounded up to ext4's 4 KiB blocks; a file with n links counts 1/n per name
         * (busybox rootfs: hundreds of names, one file). */
        uint64_t blocks = ((uint64_t)st->st_size + 4095) / 4096 * 4096;
        walk_bytes += S_ISREG(st->st_mode) && st->st_nlink > 1 ? blocks / st->st_nlink : blocks;
        return 0;
}

int qemu_disk_size_for(const char *dir, uint64_t *kib, uint64_t *inodes, kata_error *err)
{
        walk_bytes = walk_inodes = 0;
        if (nftw(dir, walk_one, 64, FTW_PHYS) < 0)
                return kata_error_errno(err, errno, "cannot walk the rootfs %s", dir);
        /* Inode tables (256 B each), journal-less ext4 overhead, and 64 MiB of room for
         * the container's writes. The file is sparse: unused room costs nothing. */
        uint64_t bytes = walk_bytes + walk_inodes * 512 + walk_bytes / 8 + (64ull << 20);
        *kib = (bytes + 1023) / 1024;
        *inodes = walk_inodes + 4096;
        return 0;
}

int qemu_disk_build(const char *rootfs, const char *image, kata_error *err)
{
        uint64_t kib, inodes;
        int r = qemu_disk_size_for(rootfs, &kib, &inodes, err);
        if (r < 0)
                return r;
        char size[32], nin[32], errlog[4096];
        snprintf(size, sizeof(size), "%lluk", (unsigned long long)kib);
        snprintf(nin, sizeof(nin), "%llu", (unsigned long long)inodes);
        snprintf(errlog, sizeof(errlog), "%s.mke2fs.log", image);
        /* No journal: the image lives as long as the sandbox; lazy init keeps it quick. */
        char *argv[] = {"mke2fs",
                        "-q",
                        "-F",
                        "-t",
                        "ext4",
                        "-O",
                        "^has_journal",
                        "-m",
                        "0",
                        "-E",
                        "lazy_itable_init=1,root_owner=0:0",
                        "-N",
                        nin,
                        "-d",
                        (char *)rootfs,
                        (char *)image,
                        size,
                        NULL};
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, errlog, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        pid_t pid;
        r = posix_spawnp(&pid, "mke2fs", &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return kata_error_errno(err, r, "cannot run mke2fs (install e2fsprogs)");
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return kata_error_errno(err, errno, "waiting for mke2fs");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                char msg[512] = "";
                int fd = open(errlog, O_RDONLY | O_CLOEXEC);
                if (fd >= 0) {
                        ssize_t n = read(fd, msg, sizeof(msg) - 1);
                        msg[n > 0 ? n : 0] = '\0';
                        msg[strcspn(msg, "\n")] = '\0';
                        close(fd);
                }
                unlink(image);
                return kata_error_set(err, EIO, "mke2fs of %s into %s failed: %s", rootfs, image,
                                      msg[0] ? msg : "(no message)");
        }
        unlink(errlog);
        return 0;
}

int qemu_disk_boot_args(bool q35, char **argv, char *storage)
{
        if (!q35)
                return 0;
        int n = 0;
        for (unsigned i = 0; i < QEMU_DISK_SLOTS; i++) {
                char *s = storage + i * 96;
                snprintf(s, 96, "pcie-root-port,id=rp%u,bus=pcie.0,chassis=%u,addr=0x%x", i, i + 1,
                         QEMU_DISK_FIRST_PCI_SLOT + i);
                argv[n++] = "-device";
                argv[n++] = s;
        }
        return n;
}

void qemu_disk_pci_path(bool q35, unsigned slot, char *out, size_t size)
{
        if (q35)
                snprintf(out, size, "%02x/00", QEMU_DISK_FIRST_PCI_SLOT + slot);
        else
                snprintf(out, size, "%02x", QEMU_DISK_FIRST_PCI_SLOT + slot);
}

int qemu_disk_hotplug(const char *qmp_path, bool q35, unsigned slot, const char *image,
                      bool readonly, kata_error *err)
{
        if (slot >= QEMU_DISK_SLOTS)
                return kata_error_set(err, ENOSPC,
                                      "this VM has no free disk slot (%d containers at most)",
                                      QEMU_DISK_SLOTS);
        qemu_qmp q;
        int r = qemu_qmp_connect(qmp_path, QMP_CONNECT_TIMEOUT_MS, &q, err);
        if (r < 0)
                return r;
        char node[32], dev[32], bus[32], addr[32];
        snprintf(node, sizeof(node), "disk%u", slot);
        snprintf(dev, sizeof(dev), "vd%u", slot);
        json_object *file = json_object_new_object();
        json_object_object_add(file, "driver", json_object_new_string("file"));
        json_object_object_add(file, "filename", json_object_new_string(image));
        json_object *blk = json_object_new_object();
        json_object_object_add(blk, "driver", json_object_new_string("raw"));
        json_object_object_add(blk, "node-name", json_object_new_string(node));
        json_object_object_add(blk, "read-only", json_object_new_boolean(readonly));
        json_object_object_add(blk, "file", file);
        r = qemu_qmp_execute(&q, "blockdev-add", blk, NULL, QMP_TIMEOUT_MS, err);
        if (r == 0) {
                json_object *d = json_object_new_object();
                json_object_object_add(d, "driver", json_object_new_string("virtio-blk-pci"));
                json_object_object_add(d, "id", json_object_new_string(dev));
                json_object_object_add(d, "drive", json_object_new_string(node));
                if (q35) {
                        snprintf(bus, sizeof(bus), "rp%u", slot);
                        json_object_object_add(d, "bus", json_object_new_string(bus));
                } else {
                        snprintf(addr, sizeof(addr), "0x%x", QEMU_DISK_FIRST_PCI_SLOT + slot);
                        json_object_object_add(d, "bus", json_object_new_string("pci.0"));
                        json_object_object_add(d, "addr", json_object_new_string(addr));
                }
                r = qemu_qmp_execute(&q, "device_add", d, NULL, QMP_TIMEOUT_MS, err);
        }
        qemu_qmp_close(&q);
        return r < 0 ? kata_error_prefix(err, "hot-plugging %s", image) : 0;
}

int qemu_disk_unplug(const char *qmp_path, unsigned slot, int timeout_ms, kata_error *err)
{
        qemu_qmp q;
        int r = qemu_qmp_connect(qmp_path, QMP_CONNECT_TIMEOUT_MS, &q, err);
        if (r < 0)
                return r;
        char node[32], dev[32];
        snprintf(node, sizeof(node), "disk%u", slot);
        snprintf(dev, sizeof(dev), "vd%u", slot);
        json_object *d = json_object_new_object();
        json_object_object_add(d, "id", json_object_new_string(dev));
        r = qemu_qmp_execute(&q, "device_del", d, NULL, QMP_TIMEOUT_MS, err);
        /* The device goes once the guest ejected it; until then its node is in use and
         * blockdev-del fails. */
        uint64_t deadline = kata_now_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
        while (r == 0) {
                json_object *b = json_object_new_object();
                json_object_object_add(b, "node-name", json_object_new_string(node));
                kata_error e = KATA_ERROR_INIT;
                if (qemu_qmp_execute(&q, "blockdev-del", b, NULL, QMP_TIMEOUT_MS, &e) == 0)
                        break;
                if (kata_now_monotonic_ns() >= deadline) {
                        *err = e;
                        r = kata_error_prefix(err, "guest did not release %s within %d ms", dev,
                                              timeout_ms);
                        break;
                }
                usleep(20000);
        }
        qemu_qmp_close(&q);
        return r;
}
