/* The agent's guest-side helpers for VMs, against fixture trees: a Storage source (PCI
 * path or /dev node) resolved through a fake sysfs, and the module list's validation. */
#include <errno.h>
#include <fcntl.h>
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

#include "agent/modules.h"
#include "agent/storage.h"
#include "common/util.h"

static char tmp[PATH_MAX];

static void mkdirs(const char *rel)
{
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", tmp, rel);
        assert_int_equal(kata_mkdir_p(path, 0755, NULL), 0);
}

static void write_text(const char *rel, const char *text)
{
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", tmp, rel);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int setup(void **state)
{
        snprintf(tmp, sizeof(tmp), "/tmp/kata-test-vm-guest-XXXXXX");
        assert_non_null(mkdtemp(tmp));
        /* A disk behind the root port in slot 0x10 (q35), and one on the root bus in slot
         * 0x11 (pc), whose block names exist on any host (/dev/null is not a block
         * device, which the test relies on below). */
        mkdirs("sys/devices/pci0000:00/0000:00:10.0/0000:01:00.0/virtio3/block/vdz");
        mkdirs("sys/devices/pci0000:00/0000:00:11.0/virtio4/block/null");
        mkdirs("sys/devices/pci0000:00/0000:00:12.0/virtio5");
        return 0;
}

static int teardown(void **state)
{
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
        return system(cmd);
}

static void test_pci_path_not_there_times_out(void **state)
{
        char sys[PATH_MAX], dev[PATH_MAX];
        kata_error err = KATA_ERROR_INIT;
        snprintf(sys, sizeof(sys), "%s/sys", tmp);
        /* Resolves to /dev/vdz, which no host has: the wait ends with the source named. */
        assert_int_equal(agent_storage_device(sys, "10/00", 30, dev, sizeof(dev), &err),
                         -ETIMEDOUT);
        assert_non_null(strstr(err.msg, "10/00"));
        /* An empty virtio device (no disk yet) and a slot with nothing. */
        kata_error_clear(&err);
        assert_int_equal(agent_storage_device(sys, "12", 30, dev, sizeof(dev), &err), -ETIMEDOUT);
        kata_error_clear(&err);
        assert_int_equal(agent_storage_device(sys, "1f/00", 30, dev, sizeof(dev), &err),
                         -ETIMEDOUT);
}

static void test_pci_path_resolves_to_device_node(void **state)
{
        char sys[PATH_MAX], dev[PATH_MAX];
        kata_error err = KATA_ERROR_INIT;
        snprintf(sys, sizeof(sys), "%s/sys", tmp);
        /* Slot 0x11 on the root bus carries "null": /dev/null exists everywhere. */
        assert_int_equal(agent_storage_device(sys, "11", 30, dev, sizeof(dev), &err), 0);
        assert_string_equal(dev, "/dev/null");
}

static void test_bad_sources_are_rejected(void **state)
{
        const char *bad[] = {"",
                             "zz",
                             "10/",
                             "/10",
                             "100/00",
                             "10//00",
                             "20",
                             "10/00/extra/x/y/z/q/r/s",
                             "/dev/../etc/passwd"};
        char dev[PATH_MAX];
        for (size_t i = 0; i < KATA_ARRAY_SIZE(bad); i++) {
                kata_error err = KATA_ERROR_INIT;
                int r = agent_storage_device("/nonexistent", bad[i], 0, dev, sizeof(dev), &err);
                assert_int_equal(r, -EINVAL);
                assert_true(err.msg[0] != '\0');
        }
}

static void test_dev_node_must_be_a_block_device(void **state)
{
        char dev[PATH_MAX];
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(agent_storage_device("/sys", "/dev/null", 0, dev, sizeof(dev), &err),
                         -ENOTBLK);
        assert_non_null(strstr(err.msg, "/dev/null"));
        kata_error_clear(&err);
        assert_int_equal(agent_storage_device("/sys", "/dev/kata-none", 20, dev, sizeof(dev), &err),
                         -ETIMEDOUT);
}

static void test_storage_mount_validates_before_touching_anything(void **state)
{
        Grpc__Storage s = GRPC__STORAGE__INIT;
        Grpc__Storage *list[] = {&s};
        kata_error err = KATA_ERROR_INIT;
        s.driver = "9p";
        s.source = "10/00";
        s.fstype = "ext4";
        s.mount_point = "/run/kata-containers/c/rootfs";
        assert_int_equal(agent_storages_mount("c", list, 1, &err), -ENOTSUP);
        assert_non_null(strstr(err.msg, "9p"));
        kata_error_clear(&err);
        s.driver = "blk";
        s.mount_point = "relative/path";
        assert_int_equal(agent_storages_mount("c", list, 1, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "mount_point"));
        kata_error_clear(&err);
        s.mount_point = "/run/../etc";
        assert_int_equal(agent_storages_mount("c", list, 1, &err), -EINVAL);
        kata_error_clear(&err);
        s.mount_point = "/run/kata-containers/c/rootfs";
        s.fstype = "";
        assert_int_equal(agent_storages_mount("c", list, 1, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "fstype"));
        /* Nothing to mount is fine. */
        assert_int_equal(agent_storages_mount("c", NULL, 0, &err), 0);
        agent_storages_unmount("c"); /* nothing recorded: nothing to do */
}

static void test_module_list(void **state)
{
        char dir[PATH_MAX], list[PATH_MAX];
        kata_error err = KATA_ERROR_INIT;
        snprintf(dir, sizeof(dir), "%s/modules", tmp);
        snprintf(list, sizeof(list), "%s/modules/modules.load", tmp);
        mkdirs("modules");

        /* Comments and blank lines only: nothing loaded, no error. */
        write_text("modules/modules.load", "# none\n\n   \n");
        assert_int_equal(agent_modules_load_list(dir, list, &err), 0);

        /* Paths must stay under the module directory. */
        write_text("modules/modules.load", "/etc/evil.ko\n");
        assert_int_equal(agent_modules_load_list(dir, list, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "/etc/evil.ko"));
        kata_error_clear(&err);
        write_text("modules/modules.load", "kernel/../../x.ko\n");
        assert_int_equal(agent_modules_load_list(dir, list, &err), -EINVAL);
        kata_error_clear(&err);

        /* A missing module is named; so is a missing list. */
        write_text("modules/modules.load", "kernel/fs/missing.ko\n");
        assert_true(agent_modules_load_list(dir, list, &err) < 0);
        assert_non_null(strstr(err.msg, "missing.ko"));
        kata_error_clear(&err);
        assert_int_equal(agent_modules_load_list(dir, "/nonexistent/list", &err), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_pci_path_not_there_times_out),
            cmocka_unit_test(test_pci_path_resolves_to_device_node),
            cmocka_unit_test(test_bad_sources_are_rejected),
            cmocka_unit_test(test_dev_node_must_be_a_block_device),
            cmocka_unit_test(test_storage_mount_validates_before_touching_anything),
            cmocka_unit_test(test_module_list),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
