/* Parses `kata-ctl check --json` and `check list --json` with json-c: the ids are stable
 * and every check carries id, description, status, hint, details. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <json-c/json.h>

static json_object *run_json(const char *args, int *exit_code)
{
        const char *bin = getenv("KATA_BIN");
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "%s/kata-ctl %s", bin ? bin : "build/bin", args);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t cap = 1 << 20, n = 0;
        char *buf = malloc(cap);
        assert_non_null(buf);
        size_t r;
        while ((r = fread(buf + n, 1, cap - 1 - n, p)) > 0)
                n += r;
        buf[n] = '\0';
        int status = pclose(p);
        *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        json_object *o = json_tokener_parse(buf);
        if (!o)
                fail_msg("'%s' printed no JSON: %s", cmd, buf);
        free(buf);
        return o;
}

static const char *str(json_object *o, const char *key)
{
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                fail_msg("missing string '%s' in %s", key, json_object_to_json_string(o));
        return json_object_get_string(v);
}

static json_object *find_check(json_object *checks, const char *id)
{
        for (size_t i = 0; i < json_object_array_length(checks); i++) {
                json_object *c = json_object_array_get_idx(checks, i);
                if (strcmp(str(c, "id"), id) == 0)
                        return c;
        }
        fail_msg("no check '%s'", id);
        return NULL;
}

static void test_fixture_report(void **state)
{
        const char *src = getenv("KATA_SOURCE_DIR");
        char args[512];
        snprintf(args, sizeof(args),
                 "check no-network-checks --json --hypervisor firecracker --host-root "
                 "%s/tests/fixtures/hosts/kvm-busy",
                 src ? src : ".");
        int code;
        json_object *o = run_json(args, &code);
        assert_int_equal(code, 1);
        assert_string_equal(str(o, "hypervisor"), "firecracker");
        json_object *checks, *verdicts, *release, *v;
        assert_true(json_object_object_get_ex(o, "checks", &checks));
        assert_true(json_object_array_length(checks) >= 30);
        for (size_t i = 0; i < json_object_array_length(checks); i++) {
                json_object *c = json_object_array_get_idx(checks, i);
                str(c, "id");
                str(c, "description");
                str(c, "hint");
                str(c, "details");
                const char *s = str(c, "status");
                assert_true(!strcmp(s, "PASS") || !strcmp(s, "WARN") || !strcmp(s, "FAIL") ||
                            !strcmp(s, "SKIP"));
        }
        json_object *busy = find_check(checks, "kvm.create-vm");
        assert_string_equal(str(busy, "status"), "FAIL");
        assert_string_equal(str(busy, "requirement"), "required");
        assert_string_equal(str(find_check(checks, "hypervisor.incompatible"), "status"), "FAIL");
        assert_true(json_object_object_get_ex(o, "verdicts", &verdicts));
        assert_int_equal(json_object_array_length(verdicts), 5);
        for (size_t i = 0; i < json_object_array_length(verdicts); i++) {
                json_object *vd = json_object_array_get_idx(verdicts, i);
                if (!strcmp(str(vd, "hypervisor"), "firecracker"))
                        assert_string_equal(str(vd, "status"), "FAIL");
                if (!strcmp(str(vd, "hypervisor"), "local"))
                        assert_string_equal(str(vd, "status"), "PASS");
        }
        assert_true(json_object_object_get_ex(o, "capable", &v));
        assert_false(json_object_get_boolean(v));
        assert_true(json_object_object_get_ex(o, "exit_code", &v));
        assert_int_equal(json_object_get_int(v), 1);
        assert_true(json_object_object_get_ex(o, "release", &release));
        assert_string_equal(str(release, "status"), "SKIP");
        json_object_put(o);
}

static void test_this_host_report(void **state)
{
        int code;
        json_object *o = run_json("check no-network-checks --json --hypervisor qemu", &code);
        assert_int_equal(code, 0);
        json_object *checks, *host, *kvm;
        assert_true(json_object_object_get_ex(o, "checks", &checks));
        static const char *const ids[] = {
            "cpu.vendor",      "cpu.flags",       "kvm.device",
            "kvm.api-version", "kvm.create-vm",   "kvm.create-vcpu",
            "kvm.flavour",     "dev.vhost-vsock", "cgroup.controllers"};
        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
                find_check(checks, ids[i]);
        assert_true(json_object_object_get_ex(o, "host", &host));
        assert_true(json_object_object_get_ex(host, "kvm", &kvm));
        str(kvm, "probe");
        str(kvm, "flavour");
        json_object_put(o);
}

static void test_list_json(void **state)
{
        int code;
        json_object *o = run_json("check list --json", &code);
        assert_int_equal(code, 0);
        json_object *checks, *req, *v;
        assert_true(json_object_object_get_ex(o, "checks", &checks));
        json_object *c = find_check(checks, "dev.vhost-vsock");
        assert_true(json_object_object_get_ex(c, "requirements", &req));
        assert_true(json_object_object_get_ex(req, "qemu", &v));
        assert_string_equal(json_object_get_string(v), "advisory");
        assert_true(json_object_object_get_ex(req, "firecracker", &v));
        assert_string_equal(json_object_get_string(v), "-");
        json_object_put(o);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fixture_report),
            cmocka_unit_test(test_this_host_report),
            cmocka_unit_test(test_list_json),
        };
        return cmocka_run_group_tests_name("check_json", tests, NULL, NULL);
}
