/* The qemu driver's accelerator choice against fixture trees: no KVM device, a PVM host
 * with an ordinary or a PVM guest kernel, an ordinary KVM host, the override. */
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
#include "qemu_accel.h"

static char tmp[PATH_MAX], pvm_host[PATH_MAX], kvm_host[PATH_MAX];
static char plain_kernel[PATH_MAX], pvm_kernel[PATH_MAX];

static void write_text(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int setup(void **state)
{
        char p[PATH_MAX];
        snprintf(tmp, sizeof(tmp), "/tmp/kata-test-vm-accel-XXXXXX");
        assert_non_null(mkdtemp(tmp));
        snprintf(pvm_host, sizeof(pvm_host), "%s/pvm", tmp);
        snprintf(p, sizeof(p), "%s/sys/module/kvm_pvm", pvm_host);
        assert_int_equal(kata_mkdir_p(p, 0755, NULL), 0);
        snprintf(kvm_host, sizeof(kvm_host), "%s/intel", tmp);
        snprintf(p, sizeof(p), "%s/sys/module/kvm_intel", kvm_host);
        assert_int_equal(kata_mkdir_p(p, 0755, NULL), 0);
        /* Kernels as osbuilder lays them out: vmlinux-<ver> next to config-<ver>. */
        snprintf(plain_kernel, sizeof(plain_kernel), "%s/vmlinux-6.1-cloud", tmp);
        write_text(plain_kernel, "ELF");
        snprintf(p, sizeof(p), "%s/config-6.1-cloud", tmp);
        write_text(p, "CONFIG_PVH=y\n# CONFIG_PVM_GUEST is not set\n");
        snprintf(pvm_kernel, sizeof(pvm_kernel), "%s/vmlinuz-6.6-pvm", tmp);
        write_text(pvm_kernel, "bzImage");
        snprintf(p, sizeof(p), "%s/config-6.6-pvm", tmp);
        write_text(p, "CONFIG_PVH=y\nCONFIG_PVM_GUEST=y\n");
        unsetenv("KATA_QEMU_ACCEL");
        return 0;
}

static int teardown(void **state)
{
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
        return system(cmd);
}

static void test_kernel_config_lookup(void **state)
{
        assert_true(qemu_guest_kernel_has(pvm_kernel, "CONFIG_PVM_GUEST"));
        assert_false(qemu_guest_kernel_has(plain_kernel, "CONFIG_PVM_GUEST"));
        /* First line too. */
        assert_true(qemu_guest_kernel_has(plain_kernel, "CONFIG_PVH"));
        assert_false(qemu_guest_kernel_has("/nonexistent/vmlinuz-1", "CONFIG_PVH"));
}

static void test_no_kvm_device_means_tcg(void **state)
{
        char reason[512];
        assert_string_equal(
            qemu_accel_choose(kvm_host, "/nonexistent/kvm", plain_kernel, reason, sizeof(reason)),
            "tcg");
        assert_non_null(strstr(reason, "/nonexistent/kvm"));
}

static void test_pvm_host(void **state)
{
        char reason[512];
        /* /dev/null stands for a KVM device that opens. */
        assert_string_equal(
            qemu_accel_choose(pvm_host, "/dev/null", plain_kernel, reason, sizeof(reason)), "tcg");
        assert_non_null(strstr(reason, "kvm_pvm"));
        assert_non_null(strstr(reason, plain_kernel));
        assert_string_equal(
            qemu_accel_choose(pvm_host, "/dev/null", pvm_kernel, reason, sizeof(reason)), "kvm");
}

static void test_ordinary_kvm_host(void **state)
{
        char reason[512];
        assert_string_equal(
            qemu_accel_choose(kvm_host, "/dev/null", plain_kernel, reason, sizeof(reason)), "kvm");
}

static void test_override(void **state)
{
        char reason[512];
        setenv("KATA_QEMU_ACCEL", "tcg", 1);
        assert_string_equal(
            qemu_accel_choose(kvm_host, "/dev/null", plain_kernel, reason, sizeof(reason)), "tcg");
        assert_non_null(strstr(reason, "KATA_QEMU_ACCEL"));
        /* Anything else is ignored. */
        setenv("KATA_QEMU_ACCEL", "xen", 1);
        assert_string_equal(
            qemu_accel_choose(kvm_host, "/dev/null", plain_kernel, reason, sizeof(reason)), "kvm");
        unsetenv("KATA_QEMU_ACCEL");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_kernel_config_lookup),
            cmocka_unit_test(test_no_kvm_device_means_tcg),
            cmocka_unit_test(test_pvm_host),
            cmocka_unit_test(test_ordinary_kvm_host),
            cmocka_unit_test(test_override),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
