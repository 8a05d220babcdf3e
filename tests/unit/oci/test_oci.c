#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sched.h>
#include <cmocka.h>

#include "common/util.h"
#include "oci/oci.h"

#include <json-c/json.h>

static int parse(const char *json, kata_oci_spec **spec, kata_error *err)
{
        return kata_oci_spec_parse(json, strlen(json), spec, err);
}

static void test_runc_spec(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        kata_oci_spec *spec = NULL;
        assert_int_equal(kata_oci_spec_load_bundle("tests/unit/oci", &spec, &err), -ENOENT);
        char *data = NULL;
        size_t len = 0;
        assert_int_equal(kata_read_file("tests/unit/oci/runc-spec.json", 0, &data, &len, &err), 0);
        assert_int_equal(kata_oci_spec_parse(data, len, &spec, &err), 0);
        free(data);
        assert_string_equal(spec->oci_version, "1.0.2-dev");
        assert_string_equal(spec->root_path, "rootfs");
        assert_true(spec->root_readonly);
        assert_string_equal(spec->hostname, "runc");
        assert_true(spec->process.terminal);
        assert_int_equal(spec->process.n_args, 1);
        assert_string_equal(spec->process.args[0], "sh");
        assert_null(spec->process.args[1]);
        assert_string_equal(kata_oci_env_get(spec->process.env, "TERM"), "xterm");
        assert_null(kata_oci_env_get(spec->process.env, "TER"));
        assert_string_equal(spec->process.cwd, "/");
        assert_int_equal(spec->process.n_rlimits, 1);
        assert_int_equal(spec->process.rlimits[0].resource, RLIMIT_NOFILE);
        assert_int_equal(spec->process.rlimits[0].hard, 1024);
        assert_true(spec->process.no_new_privileges);
        /* CAP_KILL 5, CAP_NET_BIND_SERVICE 10, CAP_AUDIT_WRITE 29 */
        assert_true(spec->process.caps.set);
        assert_int_equal(spec->process.caps.bounding, (1u << 5) | (1u << 10) | (1u << 29));
        assert_int_equal(spec->process.caps.ambient, (1u << 5) | (1u << 10) | (1u << 29));
        assert_int_equal(spec->process.caps.inheritable, 0);
        assert_int_equal(kata_oci_capability_number("CAP_CHECKPOINT_RESTORE"), 40);
        assert_int_equal(kata_oci_capability_number("CAP_NOPE"), -1);
        assert_true(spec->n_mounts >= 5);
        assert_string_equal(spec->mounts[0].destination, "/proc");
        assert_string_equal(spec->mounts[0].type, "proc");
        const char *path = "x";
        assert_true(kata_oci_spec_has_namespace(spec, KATA_OCI_NS_PID, &path));
        assert_null(path);
        assert_true(kata_oci_spec_has_namespace(spec, KATA_OCI_NS_MOUNT, NULL));
        assert_false(kata_oci_spec_has_namespace(spec, KATA_OCI_NS_USER, NULL));
        assert_true(spec->linux.n_masked_paths > 0);
        /* runc's default: deny every device. */
        assert_int_equal(spec->linux.resources.n_devices, 1);
        assert_false(spec->linux.resources.devices[0].allow);
        assert_int_equal(spec->linux.resources.devices[0].type, 'a');
        assert_int_equal(spec->linux.resources.devices[0].major, -1);
        assert_string_equal(spec->linux.resources.devices[0].access, "rwm");
        assert_null(spec->linux.cgroups_path);
        kata_oci_spec_free(spec);
}

#define MINIMAL_HEAD "{\"root\":{\"path\":\"rootfs\"},"
#define MINIMAL_PROC "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}"

static void test_minimal_and_resources(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        kata_oci_spec *spec = NULL;
        const char *json = MINIMAL_HEAD MINIMAL_PROC
            ",\"linux\":{\"cgroupsPath\":\"system.slice:kata:c1\",\"resources\":{"
            "\"memory\":{\"limit\":33554432},\"cpu\":{\"shares\":512,\"quota\":-1,"
            "\"cpus\":\"0\"},\"pids\":{\"limit\":32}},\"namespaces\":[{\"type\":\"network\","
            "\"path\":\"/proc/1/ns/net\"}]}}  \n";
        assert_int_equal(parse(json, &spec, &err), 0);
        assert_false(spec->process.terminal);
        assert_int_equal(spec->process.n_env, 0);
        assert_non_null(spec->process.env);
        assert_string_equal(spec->linux.cgroups_path, "system.slice:kata:c1");
        kata_oci_resources *r = &spec->linux.resources;
        assert_true(r->has_memory_limit);
        assert_int_equal(r->memory_limit, 33554432);
        assert_false(r->has_memory_swap);
        assert_true(r->has_cpu_shares);
        assert_int_equal(r->cpu_shares, 512);
        assert_int_equal(r->cpu_quota, -1);
        assert_false(r->has_cpu_period);
        assert_string_equal(r->cpuset_cpus, "0");
        assert_null(r->cpuset_mems);
        assert_true(r->has_pids_limit);
        assert_int_equal(r->pids_limit, 32);
        const char *path = NULL;
        assert_true(kata_oci_spec_has_namespace(spec, KATA_OCI_NS_NETWORK, &path));
        assert_string_equal(path, "/proc/1/ns/net");
        assert_int_equal(kata_oci_ns_clone_flag(KATA_OCI_NS_NETWORK), CLONE_NEWNET);
        assert_string_equal(kata_oci_ns_name(KATA_OCI_NS_CGROUP), "cgroup");
        kata_oci_spec_free(spec);
}

struct bad_case {
        const char *json;
        const char *message;
};

static void test_wrong_types_name_the_field(void **state)
{
        static const struct bad_case cases[] = {
            {"[]", "config: expected a JSON object"},
            {"{", "config: truncated JSON"},
            {"{} x", "trailing data"},
            {"nonsense", "config: invalid JSON"},
            {"{\"process\":{}}", "root: missing"},
            {"{\"root\":{\"path\":7}," MINIMAL_PROC "}", "root.path: expected string"},
            {MINIMAL_HEAD "\"process\":{\"args\":\"sh\",\"cwd\":\"/\"}}",
             "process.args: expected array of strings"},
            {MINIMAL_HEAD "\"process\":{\"args\":[1],\"cwd\":\"/\"}}",
             "process.args: expected array of strings"},
            {MINIMAL_HEAD "\"process\":{\"args\":[],\"cwd\":\"/\"}}",
             "process.args: must name a program"},
            {MINIMAL_HEAD "\"process\":{\"args\":[\"sh\"]}}", "process.cwd: missing"},
            {MINIMAL_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"tmp\"}}",
             "process.cwd: expected an absolute path"},
            {MINIMAL_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"terminal\":\"no\"}}",
             "process.terminal: expected boolean"},
            {MINIMAL_HEAD
             "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"consoleSize\":{\"height\":"
             "\"x\"}}}",
             "process.consoleSize.height: expected integer"},
            {MINIMAL_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"capabilities\":{"
                          "\"bounding\":[\"CAP_KILL\",\"CAP_FLY\"]}}}",
             "process.capabilities.bounding[1]: unknown capability 'CAP_FLY'"},
            {MINIMAL_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":-1}}}",
             "process.user.uid: expected non-negative integer"},
            {MINIMAL_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":1.5}}}",
             "process.user.uid: expected integer"},
            {MINIMAL_HEAD
             "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":4294967296}}}",
             "process.user.uid: integer out of range"},
            {MINIMAL_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"env\":[\"NOEQUALS\"]}}",
             "process.env[0]: expected KEY=value"},
            {MINIMAL_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":"
                          "\"RLIMIT_BOGUS\",\"soft\":1,\"hard\":1}]}}",
             "process.rlimits[0].type: unknown rlimit 'RLIMIT_BOGUS'"},
            {MINIMAL_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":"
                          "\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":1}]}}",
             "process.rlimits[0]: soft limit above hard limit"},
            {MINIMAL_HEAD MINIMAL_PROC ",\"mounts\":{}}", "mounts: expected array"},
            {MINIMAL_HEAD MINIMAL_PROC ",\"mounts\":[{\"destination\":\"proc\"}]}",
             "mounts[0].destination: expected an absolute path"},
            {MINIMAL_HEAD MINIMAL_PROC ",\"mounts\":[{\"destination\":\"/p\",\"options\":[3]}]}",
             "mounts[0].options: expected array of strings"},
            {MINIMAL_HEAD MINIMAL_PROC ",\"linux\":[]}", "linux: expected object"},
            {MINIMAL_HEAD MINIMAL_PROC ",\"linux\":{\"cgroupsPath\":5}}",
             "linux.cgroupsPath: expected string"},
            {MINIMAL_HEAD MINIMAL_PROC ",\"linux\":{\"namespaces\":[{\"type\":\"time\"}]}}",
             "linux.namespaces[0].type: unknown namespace type 'time'"},
            {MINIMAL_HEAD MINIMAL_PROC
             ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}",
             "linux.namespaces[1]: duplicate 'pid' namespace"},
            {MINIMAL_HEAD MINIMAL_PROC
             ",\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}}",
             "linux.resources.memory.limit: expected integer"},
            {MINIMAL_HEAD MINIMAL_PROC
             ",\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}}}",
             "linux.resources.devices[0].access: expected letters of \"rwm\""},
            {MINIMAL_HEAD MINIMAL_PROC
             ",\"linux\":{\"resources\":{\"devices\":[{\"allow\":1,\"type\":\"c\"}]}}}",
             "linux.resources.devices[0].allow: expected boolean"},
            {MINIMAL_HEAD MINIMAL_PROC
             ",\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}}}",
             "linux.resources.devices[0].type: expected a, b or c"},
            {MINIMAL_HEAD MINIMAL_PROC ",\"linux\":{\"resources\":{\"pids\":[]}}}",
             "linux.resources.pids: expected object"},
            {MINIMAL_HEAD MINIMAL_PROC ",\"linux\":{\"resources\":{\"cpu\":{\"shares\":-2}}}}",
             "linux.resources.cpu.shares: expected non-negative integer"},
        };
        for (size_t i = 0; i < KATA_ARRAY_SIZE(cases); i++) {
                kata_error err = KATA_ERROR_INIT;
                kata_oci_spec *spec = NULL;
                int r = parse(cases[i].json, &spec, &err);
                if (r >= 0 || !strstr(err.msg, cases[i].message))
                        fail_msg("case %zu (%s): got %d '%s', want '%s'", i, cases[i].json, r,
                                 err.msg, cases[i].message);
                assert_null(spec);
        }
}

static void test_mount_options(void **state)
{
        char *opts[] = {"nosuid",   "strictatime", "mode=755", "size=65536k",
                        "rprivate", "ro",          "rw",       NULL};
        kata_oci_mount m = {
            .destination = "/dev", .type = "tmpfs", .options = opts, .n_options = 7};
        unsigned long flags, prop;
        char *data = NULL;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_oci_mount_parse_options(&m, &flags, &prop, &data, &err), 0);
        assert_int_equal(flags, MS_NOSUID | MS_STRICTATIME);
        assert_int_equal(prop, MS_PRIVATE | MS_REC);
        assert_string_equal(data, "mode=755,size=65536k");
        free(data);
}

static void test_lone_process(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        struct json_object *obj =
            json_tokener_parse("{\"Args\":[\"ls\",\"-l\"],\"Cwd\":\"/tmp\",\"User\":{\"UID\":5}}");
        assert_non_null(obj);
        kata_oci_process p = {0};
        assert_int_equal(kata_oci_process_from_json(obj, &p, &err), 0);
        assert_int_equal(p.n_args, 2);
        assert_string_equal(p.args[1], "-l");
        assert_string_equal(p.cwd, "/tmp");
        assert_int_equal(p.uid, 5);
        kata_oci_process_clear(&p);
        assert_null(p.args);
        json_object_put(obj);
        obj = json_tokener_parse("{\"Args\":[\"ls\"],\"Cwd\":7}");
        assert_int_equal(kata_oci_process_from_json(obj, &p, &err), -EINVAL);
        assert_string_equal(err.msg, "process.cwd: expected string");
        assert_null(p.args);
        json_object_put(obj);
}

static void test_lone_resources(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        struct json_object *obj =
            json_tokener_parse("{\"Memory\":{\"Limit\":1048576},\"CPU\":{\"Cpus\":\"0-1\"}}");
        kata_oci_resources r = {0};
        assert_int_equal(kata_oci_resources_from_json(obj, &r, &err), 0);
        assert_true(r.has_memory_limit);
        assert_int_equal(r.memory_limit, 1048576);
        assert_string_equal(r.cpuset_cpus, "0-1");
        kata_oci_resources_clear(&r);
        json_object_put(obj);
        obj = json_tokener_parse("{\"Pids\":{\"Limit\":\"many\"}}");
        assert_int_equal(kata_oci_resources_from_json(obj, &r, &err), -EINVAL);
        assert_string_equal(err.msg, "linux.resources.pids.limit: expected integer");
        json_object_put(obj);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_runc_spec),
            cmocka_unit_test(test_minimal_and_resources),
            cmocka_unit_test(test_wrong_types_name_the_field),
            cmocka_unit_test(test_mount_options),
            cmocka_unit_test(test_lone_process),
            cmocka_unit_test(test_lone_resources),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
