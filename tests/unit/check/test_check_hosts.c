/* Every fixture host: statuses of the checks that matter there, the verdict of each
 * hypervisor and the exit code `kata-ctl check --hypervisor X` would give. */
#include "check_fixture_helpers.h"

static void test_intel(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("intel", &h, &r);
        expect_status(&r, "cpu.vendor", KATA_CHECK_PASS);
        expect_status(&r, "cpu.flags", KATA_CHECK_PASS);
        expect_status(&r, "kvm.device", KATA_CHECK_PASS);
        expect_status(&r, "kvm.api-version", KATA_CHECK_PASS);
        expect_status(&r, "kvm.create-vm", KATA_CHECK_PASS);
        expect_status(&r, "kvm.create-vcpu", KATA_CHECK_PASS);
        const struct kata_check_result *f = expect_status(&r, "kvm.flavour", KATA_CHECK_PASS);
        expect_text("kvm.flavour", f->details, "kvm_intel");
        expect_status(&r, "kvm.module-params", KATA_CHECK_PASS);
        const struct kata_check_result *k = expect_status(&r, "kernel.kvm", KATA_CHECK_PASS);
        expect_text("kernel.kvm", k->details, "loaded module");
        expect_status(&r, "dev.vhost-vsock", KATA_CHECK_PASS);
        expect_status(&r, "dev.vhost-net", KATA_CHECK_PASS);
        expect_status(&r, "dev.tun", KATA_CHECK_PASS);
        expect_status(&r, "secure.sev", KATA_CHECK_SKIP);
        expect_status(&r, "secure.tdx", KATA_CHECK_WARN);
        expect_status(&r, "systemd.running", KATA_CHECK_PASS);
        expect_status(&r, "iommu", KATA_CHECK_PASS);
        expect_status(&r, "hypervisor.incompatible", KATA_CHECK_PASS);
        assert_int_equal(r.info.kvm, KATA_KVM_USABLE);
        assert_int_equal(r.info.flavour, KATA_KVM_FLAVOUR_INTEL);
        assert_false(r.info.nested);
        for (size_t i = 0; i < kata_hypervisor_count(); i++)
                expect_verdict(&r, kata_hypervisor_name(i), KATA_CHECK_PASS, 0, 0);
        done(&h, &r);
}

static void test_amd(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("amd", &h, &r);
        expect_status(&r, "cpu.vendor", KATA_CHECK_PASS);
        const struct kata_check_result *c = expect_status(&r, "cpu.flags", KATA_CHECK_PASS);
        expect_text("cpu.flags", c->details, "svm");
        assert_int_equal(r.info.flavour, KATA_KVM_FLAVOUR_AMD);
        expect_status(&r, "secure.sev", KATA_CHECK_PASS);
        expect_status(&r, "secure.snp", KATA_CHECK_WARN);
        expect_status(&r, "secure.tdx", KATA_CHECK_SKIP);
        expect_verdict(&r, "firecracker", KATA_CHECK_PASS, 0, 0);
        expect_verdict(&r, "qemu", KATA_CHECK_PASS, 0, 0);
        done(&h, &r);
}

static void test_hygon(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("hygon", &h, &r);
        /* Kata's Go checker calls this "Unknown CPU Type". */
        const struct kata_check_result *v = expect_status(&r, "cpu.vendor", KATA_CHECK_PASS);
        expect_text("cpu.vendor", v->details, "HygonGenuine");
        expect_status(&r, "cpu.flags", KATA_CHECK_PASS);
        assert_int_equal(r.info.flavour, KATA_KVM_FLAVOUR_AMD);
        expect_status(&r, "secure.sev", KATA_CHECK_WARN);
        expect_verdict(&r, "clh", KATA_CHECK_PASS, 0, 0);
        done(&h, &r);
}

static void test_arm64(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("arm64", &h, &r);
        assert_string_equal(r.info.arch, "aarch64");
        const struct kata_check_result *v = expect_status(&r, "cpu.vendor", KATA_CHECK_PASS);
        expect_text("cpu.vendor", v->details, "0x41");
        expect_status(&r, "cpu.flags", KATA_CHECK_PASS);
        assert_int_equal(r.info.flavour, KATA_KVM_FLAVOUR_ARM64);
        /* kvm is built in (modules.builtin) while other features are modules. */
        const struct kata_check_result *k = expect_status(&r, "kernel.kvm", KATA_CHECK_PASS);
        expect_text("kernel.kvm", k->details, "kvm");
        expect_status(&r, "kvm.module-params", KATA_CHECK_SKIP);
        expect_status(&r, "secure.tdx", KATA_CHECK_SKIP);
        expect_verdict(&r, "firecracker", KATA_CHECK_PASS, 0, 0);
        done(&h, &r);
}

static void test_power8_smt_on(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("ppc64le-power8-smt", &h, &r);
        expect_status(&r, "cpu.vendor", KATA_CHECK_PASS);
        const struct kata_check_result *s = expect_status(&r, "cpu.smt", KATA_CHECK_FAIL);
        expect_text("cpu.smt hint", s->hint, "ppc64_cpu --smt=off");
        assert_int_equal(r.info.flavour, KATA_KVM_FLAVOUR_PPC_HV);
        /* vhost_vsock is a module that is not loaded: never loaded for the user. */
        const struct kata_check_result *v =
            expect_status(&r, "kernel.vhost-vsock", KATA_CHECK_WARN);
        expect_text("kernel.vhost-vsock hint", v->hint, "modprobe vhost_vsock");
        expect_verdict(&r, "firecracker", KATA_CHECK_FAIL, 1, 1);
        expect_verdict(&r, "qemu", KATA_CHECK_WARN, 0, 1);
        expect_verdict(&r, "local", KATA_CHECK_PASS, 0, 0);
        done(&h, &r);
}

static void test_s390x(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("s390x", &h, &r);
        const struct kata_check_result *v = expect_status(&r, "cpu.vendor", KATA_CHECK_PASS);
        expect_text("cpu.vendor", v->details, "IBM/S390");
        const struct kata_check_result *f = expect_status(&r, "cpu.flags", KATA_CHECK_PASS);
        expect_text("cpu.flags", f->details, "sie");
        assert_int_equal(r.info.cpu_count, 4);
        assert_int_equal(r.info.flavour, KATA_KVM_FLAVOUR_S390);
        expect_status(&r, "secure.s390-pv", KATA_CHECK_PASS);
        expect_status(&r, "secure.sev", KATA_CHECK_SKIP);
        expect_verdict(&r, "qemu", KATA_CHECK_PASS, 0, 0);
        done(&h, &r);
}

static void test_nested_vm(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("nested-vm", &h, &r);
        assert_true(r.info.nested);
        const struct kata_check_result *n = expect_status(&r, "cpu.nested", KATA_CHECK_PASS);
        expect_text("cpu.nested", n->details, "itself a VM");
        /* unrestricted_guest=N only matters on bare metal. */
        const struct kata_check_result *p = expect_status(&r, "kvm.module-params", KATA_CHECK_PASS);
        expect_text("kvm.module-params", p->details, "unrestricted_guest=N");
        expect_status(&r, "iommu", KATA_CHECK_WARN);
        expect_verdict(&r, "firecracker", KATA_CHECK_PASS, 0, 0);
        done(&h, &r);
}

static void test_bare_metal_unrestricted_guest_off(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("intel-unrestricted-guest-off", &h, &r);
        assert_false(r.info.nested);
        const struct kata_check_result *p = expect_status(&r, "kvm.module-params", KATA_CHECK_FAIL);
        expect_text("kvm.module-params hint", p->hint, "unrestricted_guest=1");
        expect_verdict(&r, "firecracker", KATA_CHECK_FAIL, 1, 1);
        expect_verdict(&r, "qemu", KATA_CHECK_WARN, 0, 1);
        done(&h, &r);
}

static void test_pvm_host(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("pvm-host", &h, &r);
        assert_true(r.info.nested);
        assert_int_equal(r.info.kvm, KATA_KVM_USABLE);
        assert_int_equal(r.info.flavour, KATA_KVM_FLAVOUR_PVM);
        /* No svm flag, yet the probe works: a warning, not Kata's failure. */
        expect_status(&r, "cpu.flags", KATA_CHECK_WARN);
        expect_status(&r, "kvm.create-vcpu", KATA_CHECK_PASS);
        const struct kata_check_result *f = expect_status(&r, "kvm.flavour", KATA_CHECK_WARN);
        expect_text("kvm.flavour", f->details, "kvm_pvm");
        expect_text("kvm.flavour", f->details, "TCG");
        expect_text("kvm.flavour hint", f->hint, "CONFIG_PVM_GUEST");
        const struct kata_check_result *m = expect_status(&r, "kernel.modules", KATA_CHECK_PASS);
        expect_text("kernel.modules", m->details, "without module support");
        expect_text("kernel.modules", m->details, "/proc/config.gz");
        /* tun is built in without parameters (no /sys/module/tun): config and node say so. */
        expect_status(&r, "kernel.tun", KATA_CHECK_PASS);
        expect_status(&r, "kernel.vhost-vsock", KATA_CHECK_WARN);
        expect_status(&r, "dev.vhost-vsock", KATA_CHECK_WARN);
        expect_status(&r, "dev.vhost-net", KATA_CHECK_WARN);
        expect_status(&r, "secure.sev", KATA_CHECK_SKIP);
        assert_int_equal(r.info.cgroup_layout, KATA_CGROUP_HYBRID);
        assert_false(r.info.systemd_running);
        assert_true(r.info.systemd_hierarchy);
        expect_status(&r, "systemd.running", KATA_CHECK_WARN);
        struct kata_check_verdict v;
        assert_int_equal(kata_check_verdict(&r, "qemu", &v, NULL), 0);
        expect_text("qemu verdict", v.summary, "TCG");
        expect_verdict(&r, "qemu", KATA_CHECK_WARN, 0, 1);
        expect_verdict(&r, "firecracker", KATA_CHECK_WARN, 0, 1);
        expect_verdict(&r, "local", KATA_CHECK_PASS, 0, 0);
        done(&h, &r);
}

static void test_no_kvm(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("no-kvm", &h, &r);
        assert_int_equal(r.info.kvm, KATA_KVM_NO_DEVICE);
        assert_int_equal(r.info.flavour, KATA_KVM_FLAVOUR_NONE);
        expect_status(&r, "kvm.device", KATA_CHECK_FAIL);
        expect_status(&r, "kvm.api-version", KATA_CHECK_SKIP);
        expect_status(&r, "kvm.create-vm", KATA_CHECK_SKIP);
        expect_status(&r, "kvm.flavour", KATA_CHECK_FAIL);
        const struct kata_check_result *k = expect_status(&r, "kernel.kvm", KATA_CHECK_FAIL);
        expect_text("kernel.kvm hint", k->hint, "CONFIG_KVM");
        /* The CPU could do it (vmx), the kernel cannot. */
        expect_status(&r, "cpu.flags", KATA_CHECK_PASS);
        struct kata_check_verdict v;
        assert_int_equal(kata_check_verdict(&r, "qemu", &v, NULL), 0);
        expect_text("qemu verdict", v.summary, "TCG");
        expect_verdict(&r, "qemu", KATA_CHECK_WARN, 0, 1);
        expect_verdict(&r, "firecracker", KATA_CHECK_FAIL, 1, 1);
        expect_verdict(&r, "clh", KATA_CHECK_FAIL, 1, 1);
        expect_verdict(&r, "dragonball", KATA_CHECK_FAIL, 1, 1);
        expect_verdict(&r, "local", KATA_CHECK_PASS, 0, 0);
        done(&h, &r);
}

static void test_kvm_no_permission(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("kvm-no-permission", &h, &r);
        assert_false(r.as_root);
        assert_int_equal(r.info.kvm, KATA_KVM_NO_PERMISSION);
        const struct kata_check_result *d = expect_status(&r, "kvm.device", KATA_CHECK_FAIL);
        expect_text("kvm.device hint", d->hint, "no permission on /dev/kvm");
        expect_text("kvm.device hint", d->hint, "usermod -aG kvm");
        const struct kata_check_result *a = expect_status(&r, "kvm.api-version", KATA_CHECK_SKIP);
        expect_text("kvm.api-version hint", a->hint, "no permission");
        expect_status(&r, "hypervisor.incompatible", KATA_CHECK_SKIP);
        expect_verdict(&r, "firecracker", KATA_CHECK_FAIL, 1, 1);
        expect_verdict(&r, "qemu", KATA_CHECK_WARN, 0, 1);
        expect_verdict(&r, "local", KATA_CHECK_PASS, 0, 0);
        done(&h, &r);
}

static void test_kvm_busy(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("kvm-busy", &h, &r);
        assert_int_equal(r.info.kvm, KATA_KVM_BUSY);
        expect_status(&r, "kvm.device", KATA_CHECK_PASS);
        expect_status(&r, "kvm.api-version", KATA_CHECK_PASS);
        const struct kata_check_result *c = expect_status(&r, "kvm.create-vm", KATA_CHECK_FAIL);
        expect_text("kvm.create-vm", c->details, "EBUSY");
        expect_text("kvm.create-vm hint", c->hint, "another hypervisor");
        expect_status(&r, "kvm.create-vcpu", KATA_CHECK_SKIP);
        const struct kata_check_result *i =
            expect_status(&r, "hypervisor.incompatible", KATA_CHECK_FAIL);
        expect_text("hypervisor.incompatible", i->details, "vboxdrv");
        expect_verdict(&r, "firecracker", KATA_CHECK_FAIL, 1, 1);
        expect_verdict(&r, "qemu", KATA_CHECK_WARN, 0, 1);
        done(&h, &r);
}

static void test_no_modules(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("no-modules", &h, &r);
        const struct kata_check_result *m = expect_status(&r, "kernel.modules", KATA_CHECK_PASS);
        expect_text("kernel.modules", m->details, "every feature is built in");
        /* Built in with parameters: /sys/module; without: only the config knows. */
        const struct kata_check_result *k = expect_status(&r, "kernel.kvm", KATA_CHECK_PASS);
        expect_text("kernel.kvm", k->details, "built in");
        const struct kata_check_result *v =
            expect_status(&r, "kernel.vhost-vsock", KATA_CHECK_PASS);
        expect_text("kernel.vhost-vsock", v->details, "built in");
        expect_status(&r, "kernel.vhost-net", KATA_CHECK_PASS);
        expect_status(&r, "dev.vhost-vsock", KATA_CHECK_WARN);
        assert_int_equal(r.info.flavour, KATA_KVM_FLAVOUR_INTEL);
        expect_verdict(&r, "qemu", KATA_CHECK_WARN, 0, 1);
        expect_verdict(&r, "firecracker", KATA_CHECK_PASS, 0, 0);
        done(&h, &r);
}

static void test_cgroup_v1(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("cgroup-v1", &h, &r);
        assert_int_equal(r.info.cgroup_layout, KATA_CGROUP_V1);
        assert_string_equal(r.info.cgroup2_mount, "");
        const struct kata_check_result *l = expect_status(&r, "cgroup.layout", KATA_CHECK_PASS);
        expect_text("cgroup.layout", l->details, "v1");
        const struct kata_check_result *c =
            expect_status(&r, "cgroup.controllers", KATA_CHECK_PASS);
        expect_text("cgroup.controllers", c->details, "memory@/sys/fs/cgroup/memory");
        /* name=systemd is mounted but systemd does not run. */
        assert_true(r.info.systemd_hierarchy);
        const struct kata_check_result *s = expect_status(&r, "systemd.running", KATA_CHECK_WARN);
        expect_text("systemd.running", s->details, "does not mean systemd runs");
        expect_verdict(&r, "local", KATA_CHECK_PASS, 0, 0);
        done(&h, &r);
}

static void test_cgroup_v1_without_proc_cgroups(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("cgroup-v1-no-proc-cgroups", &h, &r);
        assert_int_equal(r.info.cgroup_layout, KATA_CGROUP_V1);
        const struct kata_check_result *c =
            expect_status(&r, "cgroup.controllers", KATA_CHECK_PASS);
        expect_text("cgroup.controllers", c->details, "pids@/sys/fs/cgroup/pids");
        /* name=systemd is a hierarchy, not a controller. */
        for (size_t i = 0; i < r.info.controller_count; i++)
                assert_string_not_equal(r.info.controllers[i].name, "name=systemd");
        expect_verdict(&r, "local", KATA_CHECK_PASS, 0, 0);
        done(&h, &r);
}

static void test_cgroup_v2(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("cgroup-v2", &h, &r);
        assert_int_equal(r.info.cgroup_layout, KATA_CGROUP_V2);
        assert_string_equal(r.info.cgroup2_mount, "/sys/fs/cgroup");
        const struct kata_check_result *c =
            expect_status(&r, "cgroup.controllers", KATA_CHECK_PASS);
        expect_text("cgroup.controllers", c->details, "memory@/sys/fs/cgroup");
        expect_text("cgroup.controllers", c->details, "io@/sys/fs/cgroup");
        bool found = false;
        for (size_t i = 0; i < r.info.controller_count; i++)
                if (strcmp(r.info.controllers[i].name, "pids") == 0)
                        found = r.info.controllers[i].version == 2;
        assert_true(found);
        expect_status(&r, "systemd.running", KATA_CHECK_PASS);
        expect_verdict(&r, "local", KATA_CHECK_PASS, 0, 0);
        done(&h, &r);
}

static void test_cgroup_v2_missing_memory(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("cgroup-v2-no-memory", &h, &r);
        const struct kata_check_result *c =
            expect_status(&r, "cgroup.controllers", KATA_CHECK_FAIL);
        expect_text("cgroup.controllers", c->details, "memory");
        expect_text("cgroup.controllers hint", c->hint, "subtree_control");
        expect_verdict(&r, "local", KATA_CHECK_FAIL, 1, 1);
        expect_verdict(&r, "qemu", KATA_CHECK_FAIL, 1, 1);
        done(&h, &r);
}

static void test_cgroup_hybrid(void **state)
{
        struct kata_host h;
        struct kata_check_report r;
        run_fixture("cgroup-hybrid", &h, &r);
        assert_int_equal(r.info.cgroup_layout, KATA_CGROUP_HYBRID);
        assert_string_equal(r.info.cgroup2_mount, "/sys/fs/cgroup/unified");
        const struct kata_check_result *l = expect_status(&r, "cgroup.layout", KATA_CHECK_PASS);
        expect_text("cgroup.layout", l->details, "hybrid");
        const struct kata_check_result *c =
            expect_status(&r, "cgroup.controllers", KATA_CHECK_PASS);
        expect_text("cgroup.controllers", c->details, "cpu@/sys/fs/cgroup/cpu");
        expect_verdict(&r, "local", KATA_CHECK_PASS, 0, 0);
        done(&h, &r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_intel),
            cmocka_unit_test(test_amd),
            cmocka_unit_test(test_hygon),
            cmocka_unit_test(test_arm64),
            cmocka_unit_test(test_power8_smt_on),
            cmocka_unit_test(test_s390x),
            cmocka_unit_test(test_nested_vm),
            cmocka_unit_test(test_bare_metal_unrestricted_guest_off),
            cmocka_unit_test(test_pvm_host),
            cmocka_unit_test(test_no_kvm),
            cmocka_unit_test(test_kvm_no_permission),
            cmocka_unit_test(test_kvm_busy),
            cmocka_unit_test(test_no_modules),
            cmocka_unit_test(test_cgroup_v1),
            cmocka_unit_test(test_cgroup_v1_without_proc_cgroups),
            cmocka_unit_test(test_cgroup_v2),
            cmocka_unit_test(test_cgroup_v2_missing_memory),
            cmocka_unit_test(test_cgroup_hybrid),
        };
        return cmocka_run_group_tests_name("check_hosts", tests, NULL, NULL);
}
