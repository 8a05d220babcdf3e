/* The qemu driver's container disks without a VM: image sizing (hard links counted
 * once), the image itself (mke2fs -d, when e2fsprogs is installed), PCI paths and the
 * hot-plug slots QEMU gets at boot. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/util.h"
#include "qemu_disk.h"

static char tmp[PATH_MAX];

static int setup(void **state)
{
        snprintf(tmp, sizeof(tmp), "/tmp/kata-test-vm-disk-XXXXXX");
        assert_non_null(mkdtemp(tmp));
        return 0;
}

static int teardown(void **state)
{
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
        return system(cmd);
}

static void make_file(const char *path, size_t size)
{
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        for (size_t i = 0; i < size; i++)
                fputc('k', f);
        fclose(f);
}

static void test_size_counts_hard_links_once(void **state)
{
        char root[PATH_MAX], file[PATH_MAX], name[PATH_MAX];
        snprintf(root, sizeof(root), "%s/rootfs", tmp);
        assert_int_equal(mkdir(root, 0755), 0);
        snprintf(file, sizeof(file), "%s/busybox", root);
        make_file(file, 1 << 20);
        uint64_t one_kib, one_inodes;
        assert_int_equal(qemu_disk_size_for(root, &one_kib, &one_inodes, NULL), 0);
        /* 300 more names of the same file, as a busybox rootfs has. */
        for (int i = 0; i < 300; i++) {
                snprintf(name, sizeof(name), "%s/applet%d", root, i);
                assert_int_equal(link(file, name), 0);
        }
        uint64_t kib, inodes;
        assert_int_equal(qemu_disk_size_for(root, &kib, &inodes, NULL), 0);
        assert_int_equal(inodes, one_inodes + 300);
        /* Without the 1/n accounting this would grow by 300 MiB. */
        assert_true(kib < one_kib + 2048);
        /* Room for the data and the container's writes. */
        assert_true(kib > 1024 + 64 * 1024);
}

static void test_size_of_missing_tree_is_an_error(void **state)
{
        uint64_t kib, inodes;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(qemu_disk_size_for("/nonexistent/rootfs", &kib, &inodes, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "/nonexistent/rootfs"));
}

static void test_build_image(void **state)
{
        if (system("command -v mke2fs >/dev/null 2>&1") != 0)
                skip();
        char root[PATH_MAX], image[PATH_MAX], file[PATH_MAX];
        snprintf(root, sizeof(root), "%s/tree", tmp);
        snprintf(image, sizeof(image), "%s/disk.img", tmp);
        assert_int_equal(mkdir(root, 0755), 0);
        snprintf(file, sizeof(file), "%s/hello", root);
        make_file(file, 100);
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(qemu_disk_build(root, image, &err), 0);
        /* An ext4 superblock: magic 0xEF53 at offset 1024 + 56. */
        FILE *f = fopen(image, "rb");
        assert_non_null(f);
        unsigned char magic[2];
        assert_int_equal(fseek(f, 1024 + 56, SEEK_SET), 0);
        assert_int_equal(fread(magic, 1, 2, f), 2);
        fclose(f);
        assert_int_equal(magic[0], 0x53);
        assert_int_equal(magic[1], 0xEF);

        /* A rootfs that is not there: the error names it and no image is left. */
        snprintf(image, sizeof(image), "%s/bad.img", tmp);
        kata_error_clear(&err);
        assert_true(qemu_disk_build("/nonexistent/rootfs", image, &err) < 0);
        assert_non_null(strstr(err.msg, "/nonexistent/rootfs"));
        assert_int_equal(access(image, F_OK), -1);
}

static void test_pci_paths_and_boot_slots(void **state)
{
        char path[16];
        qemu_disk_pci_path(true, 0, path, sizeof(path));
        assert_string_equal(path, "10/00");
        qemu_disk_pci_path(true, 7, path, sizeof(path));
        assert_string_equal(path, "17/00");
        qemu_disk_pci_path(false, 1, path, sizeof(path));
        assert_string_equal(path, "11");

        char *argv[2 * QEMU_DISK_SLOTS + 1] = {0};
        char storage[QEMU_DISK_SLOTS * 96];
        assert_int_equal(qemu_disk_boot_args(false, argv, storage), 0);
        assert_int_equal(qemu_disk_boot_args(true, argv, storage), 2 * QEMU_DISK_SLOTS);
        assert_string_equal(argv[0], "-device");
        assert_string_equal(argv[1], "pcie-root-port,id=rp0,bus=pcie.0,chassis=1,addr=0x10");
        assert_string_equal(argv[2 * QEMU_DISK_SLOTS - 1],
                            "pcie-root-port,id=rp7,bus=pcie.0,chassis=8,addr=0x17");
}

static void test_hotplug_needs_a_free_slot_and_qemu(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(qemu_disk_hotplug("/nonexistent/qmp.sock", true, QEMU_DISK_SLOTS, "/x.img",
                                           false, &err),
                         -ENOSPC);
        kata_error_clear(&err);
        assert_true(qemu_disk_hotplug("/nonexistent/qmp.sock", true, 0, "/x.img", false, &err) < 0);
        assert_non_null(strstr(err.msg, "qmp.sock"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_size_counts_hard_links_once),
            cmocka_unit_test(test_size_of_missing_tree_is_an_error),
            cmocka_unit_test(test_build_image),
            cmocka_unit_test(test_pci_paths_and_boot_slots),
            cmocka_unit_test(test_hotplug_needs_a_free_slot_and_qemu),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
