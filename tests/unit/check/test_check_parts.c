/* The KVM seam, the parsers, requirement sets, JSON and descriptor errors. */
#include <errno.h>
#include <unistd.h>
#include <zlib.h>

#include "check_fixture_helpers.h"
#include "check/cpuinfo.h"
#include "check/kconfig.h"
#include "common/util.h"

struct fake_kvm {
        int api_version;
        int open_result, vm_result, vcpu_result;
        int opened, closed;
};

static int fk_open(void *d, const char *path)
{
        struct fake_kvm *f = d;
        if (f->open_result < 0)
                return f->open_result;
        f->opened++;
        return 10;
}
static int fk_api(void *d, int fd)
{
        return ((struct fake_kvm *)d)->api_version;
}
static int fk_vm(void *d, int fd)
{
        struct fake_kvm *f = d;
        if (f->vm_result < 0)
                return f->vm_result;
        f->opened++;
        return 11;
}
static int fk_vcpu(void *d, int fd)
{
        struct fake_kvm *f = d;
        if (f->vcpu_result < 0)
                return f->vcpu_result;
        f->opened++;
        return 12;
}
static void fk_close(void *d, int fd)
{
        ((struct fake_kvm *)d)->closed++;
}

static void run_with_fake(struct fake_kvm *fk, struct kata_host *h, struct kata_check_report *r)
{
        fixture_host("intel", h);
        h->kvm = (struct kata_kvm_ops){fk_open, fk_api, fk_vm, fk_vcpu, fk_close, fk};
        run_checks(h, r);
        assert_int_equal(fk->opened, fk->closed);
}

static void test_seam_bad_api_version(void **state)
{
        struct fake_kvm fk = {.api_version = 11};
        struct kata_host h;
        struct kata_check_report r;
        run_with_fake(&fk, &h, &r);
        assert_int_equal(r.info.kvm, KATA_KVM_BAD_API);
        const struct kata_check_result *a = expect_status(&r, "kvm.api-version", KATA_CHECK_FAIL);
        expect_text("kvm.api-version", a->details, "11");
        expect_status(&r, "kvm.create-vm", KATA_CHECK_SKIP);
        expect_verdict(&r, "firecracker", KATA_CHECK_FAIL, 1, 1);
        done(&h, &r);
}

static void test_seam_vcpu_fails(void **state)
{
        struct fake_kvm fk = {.api_version = 12, .vcpu_result = -EINVAL};
        struct kata_host h;
        struct kata_check_report r;
        run_with_fake(&fk, &h, &r);
        assert_int_equal(r.info.kvm, KATA_KVM_FAILED);
        assert_string_equal(r.info.kvm_step, "KVM_CREATE_VCPU");
        expect_status(&r, "kvm.create-vm", KATA_CHECK_PASS);
        expect_status(&r, "kvm.create-vcpu", KATA_CHECK_FAIL);
        /* cpu.flags has vmx: still PASS; kernel.kvm no longer proven by the probe. */
        expect_status(&r, "cpu.flags", KATA_CHECK_PASS);
        done(&h, &r);
}

static void test_seam_open_error(void **state)
{
        struct fake_kvm fk = {.api_version = 12, .open_result = -EIO};
        struct kata_host h;
        struct kata_check_report r;
        run_with_fake(&fk, &h, &r);
        assert_int_equal(r.info.kvm, KATA_KVM_FAILED);
        assert_int_equal(r.info.kvm_errno, EIO);
        expect_status(&r, "kvm.api-version", KATA_CHECK_SKIP);
        done(&h, &r);
}

static void test_seam_busy_create_vm(void **state)
{
        struct fake_kvm fk = {.api_version = 12, .vm_result = -EBUSY};
        struct kata_host h;
        struct kata_check_report r;
        run_with_fake(&fk, &h, &r);
        assert_int_equal(r.info.kvm, KATA_KVM_BUSY);
        expect_status(&r, "hypervisor.incompatible", KATA_CHECK_FAIL);
        done(&h, &r);
}

static void test_cpuinfo_parser(void **state)
{
        static const char text[] = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: X "
                                   "\nflags\t\t: fpu vmx lm sse4_1\n\nprocessor\t: 1\nvendor_id\t:"
                                   " Other\nflags : svm\n";
        struct kata_cpuinfo c;
        assert_int_equal(kata_cpuinfo_parse(text, sizeof(text) - 1, &c, NULL), 0);
        assert_string_equal(c.vendor, "GenuineIntel");
        assert_string_equal(c.model, "X");
        assert_int_equal(c.processors, 2);
        assert_true(kata_cpuinfo_has_flag(&c, "vmx"));
        assert_true(kata_cpuinfo_has_flag(&c, "sse4_1"));
        assert_false(kata_cpuinfo_has_flag(&c, "sse4"));
        assert_false(kata_cpuinfo_has_flag(&c, "svm"));
        kata_cpuinfo_free(&c);

        /* Not NUL-terminated, no newline, no colon. */
        static const char junk[3] = {'a', ':', 'b'};
        assert_int_equal(kata_cpuinfo_parse(junk, sizeof(junk), &c, NULL), 0);
        assert_false(kata_cpuinfo_has_flag(&c, "b"));
        kata_cpuinfo_free(&c);
}

static void test_kconfig_text_and_gzip(void **state)
{
        static const char text[] = "# comment\nCONFIG_KVM=y\nCONFIG_TUN=m\n# CONFIG_VHOST_NET is "
                                   "not set\nCONFIG_NAME=\"x=y\"\ngarbage line\nCONFIG_=y\n";
        struct kata_kconfig cfg;
        assert_int_equal(kata_kconfig_parse(text, sizeof(text) - 1, &cfg, NULL), 0);
        assert_int_equal(kata_kconfig_get(&cfg, "CONFIG_KVM"), 'y');
        assert_int_equal(kata_kconfig_get(&cfg, "CONFIG_TUN"), 'm');
        assert_int_equal(kata_kconfig_get(&cfg, "CONFIG_VHOST_NET"), 'n');
        assert_int_equal(kata_kconfig_get(&cfg, "CONFIG_MISSING"), 'n');
        assert_string_equal(kata_kconfig_value(&cfg, "CONFIG_NAME"), "\"x=y\"");
        assert_int_equal(cfg.count, 4);
        kata_kconfig_free(&cfg);

        unsigned char gz[512];
        z_stream zs = {0};
        assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
                         Z_OK);
        zs.next_in = (Bytef *)text;
        zs.avail_in = sizeof(text) - 1;
        zs.next_out = gz;
        zs.avail_out = sizeof(gz);
        assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
        size_t gzlen = sizeof(gz) - zs.avail_out;
        deflateEnd(&zs);
        assert_int_equal(kata_kconfig_parse(gz, gzlen, &cfg, NULL), 0);
        assert_int_equal(kata_kconfig_get(&cfg, "CONFIG_TUN"), 'm');
        kata_kconfig_free(&cfg);

        /* Truncated gzip is an error naming what was wrong. */
        kata_error err = KATA_ERROR_INIT;
        assert_true(kata_kconfig_parse(gz, gzlen / 2, &cfg, &err) < 0);
        expect_text("error", err.msg, "gzip");
}

static void test_requirement_sets(void **state)
{
        assert_int_equal(kata_hypervisor_count(), 5);
        assert_int_equal(kata_hypervisor_requirement("local", "kvm.device"), KATA_REQ_NONE);
        assert_int_equal(kata_hypervisor_requirement("local", "ns.pid"), KATA_REQ_REQUIRED);
        assert_int_equal(kata_hypervisor_requirement("local", "cgroup.controllers"),
                         KATA_REQ_REQUIRED);
        assert_int_equal(kata_hypervisor_requirement("qemu", "kvm.create-vm"), KATA_REQ_ADVISORY);
        assert_int_equal(kata_hypervisor_requirement("qemu", "dev.vhost-vsock"), KATA_REQ_ADVISORY);
        assert_int_equal(kata_hypervisor_requirement("qemu", "dev.vhost-net"), KATA_REQ_ADVISORY);
        assert_int_equal(kata_hypervisor_requirement("firecracker", "kvm.create-vcpu"),
                         KATA_REQ_REQUIRED);
        assert_int_equal(kata_hypervisor_requirement("firecracker", "dev.vhost-vsock"),
                         KATA_REQ_NONE);
        assert_int_equal(kata_hypervisor_requirement("clh", "kernel.vhost-vsock"), KATA_REQ_NONE);
        assert_false(kata_hypervisor_is_known("xen"));

        struct kata_check_report empty = {0};
        struct kata_check_verdict v;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_check_verdict(&empty, "xen", &v, &err), -EINVAL);
        expect_text("error", err.msg, "unknown hypervisor 'xen'");
}

static void test_ids_stable_and_unique(void **state)
{
        static const char *const expected[] = {"cpu.vendor",
                                               "cpu.flags",
                                               "kvm.device",
                                               "kvm.api-version",
                                               "kvm.create-vm",
                                               "kvm.create-vcpu",
                                               "kvm.flavour",
                                               "kernel.modules",
                                               "dev.vhost-net",
                                               "dev.vhost-vsock",
                                               "dev.tun",
                                               "ns.user",
                                               "cgroup.layout",
                                               "cgroup.controllers",
                                               "systemd.running",
                                               "iommu",
                                               "secure.tdx",
                                               "secure.sev",
                                               "secure.snp",
                                               "secure.s390-pv",
                                               "hypervisor.incompatible"};
        for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
                bool found = false;
                for (size_t k = 0; k < kata_check_count(); k++)
                        found |= strcmp(kata_check_id(k), expected[i]) == 0;
                if (!found)
                        fail_msg("check id %s is missing", expected[i]);
        }
        for (size_t a = 0; a < kata_check_count(); a++)
                for (size_t b = a + 1; b < kata_check_count(); b++)
                        assert_string_not_equal(kata_check_id(a), kata_check_id(b));
}

static void test_report_json(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("pvm-host", &h, &r);
        json_object *o = kata_check_report_to_json(&r, "qemu", false);
        assert_non_null(o);
        json_object *checks, *verdicts, *host, *v;
        assert_true(json_object_object_get_ex(o, "checks", &checks));
        assert_int_equal(json_object_array_length(checks), kata_check_count());
        json_object *first = json_object_array_get_idx(checks, 0);
        assert_true(json_object_object_get_ex(first, "id", &v));
        assert_string_equal(json_object_get_string(v), "cpu.vendor");
        assert_true(json_object_object_get_ex(o, "verdicts", &verdicts));
        assert_int_equal(json_object_array_length(verdicts), 5);
        assert_true(json_object_object_get_ex(o, "exit_code", &v));
        assert_int_equal(json_object_get_int(v), 0);
        assert_true(json_object_object_get_ex(o, "host", &host));
        json_object *kvm, *flavour;
        assert_true(json_object_object_get_ex(host, "kvm", &kvm));
        assert_true(json_object_object_get_ex(kvm, "flavour", &flavour));
        assert_string_equal(json_object_get_string(flavour), "kvm_pvm");
        json_object_put(o);
        done(&h, &r);
}

static void test_bad_descriptor(void **state)
{
        char dir[] = "/tmp/kata-check-fixture-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char path[128];
        snprintf(path, sizeof(path), "%s/host.ini", dir);
        kata_error err = KATA_ERROR_INIT;
        static const char bad[] = "[host]\narch = x86_64\n[kvm]\ncreate_vm = EWHATEVER\n";
        assert_int_equal(kata_write_file_atomic(path, bad, sizeof(bad) - 1, 0644, &err), 0);
        struct kata_host h;
        assert_true(kata_host_init(&h, dir, &err) < 0);
        expect_text("error", err.msg, "host.ini:4");
        expect_text("error", err.msg, "EWHATEVER");
        unlink(path);

        /* A root without a descriptor is refused, not mistaken for the real host. */
        assert_true(kata_host_init(&h, dir, &err) < 0);
        expect_text("error", err.msg, "host.ini");
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_seam_bad_api_version),
            cmocka_unit_test(test_seam_vcpu_fails),
            cmocka_unit_test(test_seam_open_error),
            cmocka_unit_test(test_seam_busy_create_vm),
            cmocka_unit_test(test_cpuinfo_parser),
            cmocka_unit_test(test_kconfig_text_and_gzip),
            cmocka_unit_test(test_requirement_sets),
            cmocka_unit_test(test_ids_stable_and_unique),
            cmocka_unit_test(test_report_json),
            cmocka_unit_test(test_bad_descriptor),
        };
        return cmocka_run_group_tests_name("check_parts", tests, NULL, NULL);
}
