/* Generic JSON <-> protobuf: a CreateContainer request with a full OCI spec (as `runc
 * spec` writes it, plus resources) survives JSON -> protobuf -> wire -> protobuf -> JSON;
 * every JSON type error is reported with its path. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent.pb-c.h"
#include "health.pb-c.h"
#include "protocols/pb_json.h"

static const char *create_container_json =
    "{\"container_id\": \"ctr-1\", \"exec_id\": \"ctr-1\","
    " \"string_user\": {\"uid\": \"0\", \"gid\": \"0\", \"additionalGids\": [\"10\", \"11\"]},"
    " \"storages\": [{\"driver\": \"local\", \"source\": \"none\", \"fstype\": \"tmpfs\","
    "   \"options\": [\"size=10m\"], \"mount_point\": \"/run/x\","
    "   \"fs_group\": {\"group_id\": 5, \"group_change_policy\": \"OnRootMismatch\"}}],"
    " \"OCI\": {"
    "  \"ociVersion\": \"1.0.2-dev\","
    "  \"process\": {\"terminal\": false, \"user\": {\"uid\": 0, \"gid\": 0},"
    "   \"args\": [\"sh\", \"-c\", \"echo hi\"],"
    "   \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", "
    "\"TERM=xterm\"],"
    "   \"cwd\": \"/\","
    "   \"capabilities\": {\"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\"],"
    "     \"effective\": [\"CAP_KILL\"], \"permitted\": [\"CAP_KILL\"], \"ambient\": "
    "[\"CAP_KILL\"]},"
    "   \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],"
    "   \"noNewPrivileges\": true, \"oomScoreAdj\": -500},"
    "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
    "  \"hostname\": \"runc\","
    "  \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
    "   {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
    "    \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]}],"
    "  \"annotations\": {\"io.kubernetes.cri.sandbox-id\": \"sb\", \"a\": \"b\"},"
    "  \"linux\": {"
    "   \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}],"
    "     \"memory\": {\"limit\": \"9223372036854775807\", \"swap\": 268435456},"
    "     \"cpu\": {\"shares\": 1024, \"quota\": 50000, \"period\": 100000, \"cpus\": \"0-1\"},"
    "     \"pids\": {\"limit\": 64},"
    "     \"hugepageLimits\": [{\"pagesize\": \"2MB\", \"limit\": 0}]},"
    "   \"cgroupsPath\": \"system.slice:kata:ctr-1\","
    "   \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},"
    "   \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},"
    "     {\"type\": \"uts\"}, {\"type\": \"mount\"}, {\"type\": \"cgroup\"}],"
    "   \"uidMappings\": [{\"hostID\": 1000, \"containerID\": 0, \"size\": 1}],"
    "   \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
    "[\"kexec_load\"],"
    "     \"action\": \"SCMP_ACT_ERRNO\", \"errnoret\": 1,"
    "     \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]},"
    "   \"maskedPaths\": [\"/proc/acpi\", \"/proc/kcore\"],"
    "   \"readonlyPaths\": [\"/proc/bus\", \"/proc/sys\"]}"
    " }}";

static Grpc__CreateContainerRequest *parse_cc(const char *json)
{
        ProtobufCMessage *m = NULL;
        kata_error err = KATA_ERROR_INIT;
        int r = kata_pb_from_json_string(&grpc__create_container_request__descriptor, json, 0, &m,
                                         &err);
        if (r < 0)
                fail_msg("parse failed: %s", err.msg);
        return (Grpc__CreateContainerRequest *)m;
}

static void check_fields(const Grpc__CreateContainerRequest *cc)
{
        assert_string_equal(cc->container_id, "ctr-1");
        assert_int_equal(cc->string_user->n_additionalgids, 2);
        assert_int_equal(cc->storages[0]->fs_group->group_change_policy,
                         TYPES__FSGROUP_CHANGE_POLICY__OnRootMismatch);
        const Grpc__Spec *spec = cc->oci;
        assert_non_null(spec);
        assert_string_equal(spec->version, "1.0.2-dev");
        assert_int_equal(spec->process->n_args, 3);
        assert_string_equal(spec->process->args[2], "echo hi");
        assert_int_equal(spec->process->n_env, 2);
        assert_string_equal(spec->process->cwd, "/");
        assert_int_equal(spec->process->capabilities->n_bounding, 2);
        assert_string_equal(spec->process->rlimits[0]->type, "RLIMIT_NOFILE");
        assert_int_equal(spec->process->rlimits[0]->hard, 1024);
        assert_true(spec->process->nonewprivileges);
        assert_int_equal(spec->process->oomscoreadj, -500);
        assert_true(spec->root->readonly);
        assert_int_equal(spec->n_mounts, 2);
        assert_int_equal(spec->mounts[1]->n_options, 4);
        assert_int_equal(spec->n_annotations, 2);
        const Grpc__Linux *lx = spec->linux;
        assert_string_equal(lx->cgroupspath, "system.slice:kata:ctr-1");
        assert_int_equal(lx->resources->memory->limit, INT64_MAX);
        assert_int_equal(lx->resources->memory->swap, 268435456);
        assert_int_equal(lx->resources->cpu->quota, 50000);
        assert_string_equal(lx->resources->cpu->cpus, "0-1");
        assert_int_equal(lx->resources->pids->limit, 64);
        assert_false(lx->resources->devices[0]->allow);
        assert_int_equal(lx->n_namespaces, 6);
        assert_string_equal(lx->namespaces[5]->type, "cgroup");
        assert_int_equal(lx->n_sysctl, 1);
        assert_string_equal(lx->sysctl[0]->key, "net.ipv4.ip_forward");
        assert_int_equal(lx->uidmappings[0]->hostid, 1000);
        assert_int_equal(lx->seccomp->syscalls[0]->errno_ret_case,
                         GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET);
        assert_int_equal(lx->seccomp->syscalls[0]->errnoret, 1);
        assert_int_equal(lx->n_maskedpaths, 2);
}

static void test_create_container_round_trip(void **state)
{
        Grpc__CreateContainerRequest *cc = parse_cc(create_container_json);
        check_fields(cc);

        /* through the wire format */
        size_t len = protobuf_c_message_get_packed_size(&cc->base);
        uint8_t *buf = malloc(len);
        protobuf_c_message_pack(&cc->base, buf);
        Grpc__CreateContainerRequest *wire = grpc__create_container_request__unpack(NULL, len, buf);
        free(buf);
        assert_non_null(wire);
        check_fields(wire);

        /* back to JSON (proto field names), and that JSON parses to the same message */
        char *text = NULL;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(
            kata_pb_to_json_string(&wire->base, 0, JSON_C_TO_STRING_PLAIN, &text, &err), 0);
        assert_non_null(strstr(text, "\"CgroupsPath\":\"system.slice:kata:ctr-1\""));
        assert_non_null(strstr(text, "\"group_change_policy\":\"OnRootMismatch\""));
        assert_non_null(strstr(text, "\"Limit\":9223372036854775807"));
        assert_non_null(strstr(text, "\"Annotations\":{"));
        assert_null(strstr(text, "\"Terminal\"")); /* false: default, omitted */
        Grpc__CreateContainerRequest *again = parse_cc(text);
        check_fields(again);
        size_t len2 = protobuf_c_message_get_packed_size(&again->base);
        assert_int_equal(len2, len);
        free(text);

        protobuf_c_message_free_unpacked(&again->base, NULL);
        protobuf_c_message_free_unpacked(&wire->base, NULL);
        protobuf_c_message_free_unpacked(&cc->base, NULL);
}

static void expect_error(const ProtobufCMessageDescriptor *desc, const char *json, int code,
                         const char *needle)
{
        ProtobufCMessage *m = (ProtobufCMessage *)0x1;
        kata_error err = KATA_ERROR_INIT;
        int r = kata_pb_from_json_string(desc, json, 0, &m, &err);
        if (r != -code || !strstr(err.msg, needle))
                fail_msg("%s: got %d '%s', wanted %d containing '%s'", json, r, err.msg, -code,
                         needle);
        assert_ptr_equal(m, (ProtobufCMessage *)0x1); /* untouched on error */
}

static void test_wrong_types_are_reported_with_path(void **state)
{
        const ProtobufCMessageDescriptor *cc = &grpc__create_container_request__descriptor;
        expect_error(cc, "{\"container_id\": 5}", EINVAL,
                     "container_id: expected a string, got int");
        expect_error(cc, "{\"OCI\": {\"process\": {\"args\": \"sh\"}}}", EINVAL,
                     "OCI.process.args: expected an array");
        expect_error(cc, "{\"OCI\": {\"process\": {\"args\": [\"sh\", 3]}}}", EINVAL,
                     "OCI.process.args[1]: expected a string");
        expect_error(cc, "{\"OCI\": {\"linux\": {\"resources\": {\"pids\": {\"limit\": \"x\"}}}}}",
                     EINVAL, "OCI.linux.resources.pids.limit: expected an integer");
        expect_error(cc, "{\"OCI\": {\"process\": {\"user\": {\"uid\": -1}}}}", ERANGE,
                     "OCI.process.user.uid: -1 is negative");
        expect_error(cc, "{\"OCI\": {\"process\": {\"user\": {\"uid\": 4294967296}}}}", ERANGE,
                     "out of range");
        expect_error(cc, "{\"OCI\": {\"process\": {\"terminal\": \"yes\"}}}", EINVAL,
                     "expected true or false");
        expect_error(cc, "{\"OCI\": []}", EINVAL, "OCI: expected an object, got array");
        expect_error(cc, "{\"OCI\": {\"annotations\": \"x\"}}", EINVAL, "expected an object (map)");
        expect_error(cc, "{\"bogus\": 1}", EINVAL,
                     "bogus: unknown field of grpc.CreateContainerRequest");
        expect_error(cc,
                     "{\"storages\": [{\"fs_group\": {\"group_change_policy\": \"Sometimes\"}}]}",
                     EINVAL, "'Sometimes' is not a types.FSGroupChangePolicy (one of: Always");
        expect_error(cc, "{\"container_id\": \"a\", \"CONTAINER_ID\": \"b\"}", EINVAL,
                     "given twice");
        expect_error(cc, "[1, 2]", EINVAL, "expected an object");
        expect_error(cc, "{\"container_id\": ", EINVAL, "invalid JSON");
        expect_error(cc, "{} x", EINVAL, "trailing data");
        expect_error(&grpc__write_stream_request__descriptor, "{\"data\": \"!!!\"}", EINVAL,
                     "data: not valid base64");
}

static void test_unknown_fields_can_be_ignored(void **state)
{
        ProtobufCMessage *m = NULL;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_pb_from_json_string(&grpc__create_container_request__descriptor,
                                                  "{\"container_id\": \"c\", \"x\": {\"y\": 1}}",
                                                  KATA_PB_JSON_IGNORE_UNKNOWN, &m, &err),
                         0);
        assert_string_equal(((Grpc__CreateContainerRequest *)m)->container_id, "c");
        protobuf_c_message_free_unpacked(m, NULL);
}

static void test_scalars_enums_bytes(void **state)
{
        ProtobufCMessage *m = NULL;
        kata_error err = KATA_ERROR_INIT;
        /* bytes: base64 both ways, with binary content */
        assert_int_equal(kata_pb_from_json_string(&grpc__write_stream_request__descriptor,
                                                  "{\"data\": \"AAEC/w==\"}", 0, &m, &err),
                         0);
        Grpc__WriteStreamRequest *w = (Grpc__WriteStreamRequest *)m;
        assert_int_equal(w->data.len, 4);
        assert_memory_equal(w->data.data, "\x00\x01\x02\xff", 4);
        char *text = NULL;
        assert_int_equal(kata_pb_to_json_string(m, 0, JSON_C_TO_STRING_PLAIN, &text, &err), 0);
        assert_string_equal(text, "{\"data\":\"AAEC\\/w==\"}");
        free(text);
        protobuf_c_message_free_unpacked(m, NULL);

        /* enum by number, output by name; empty input is the empty message */
        assert_int_equal(kata_pb_from_json_string(&grpc__health_check_response__descriptor,
                                                  "{\"status\": 1}", 0, &m, &err),
                         0);
        assert_int_equal(kata_pb_to_json_string(m, 0, JSON_C_TO_STRING_PLAIN, &text, &err), 0);
        assert_string_equal(text, "{\"status\":\"SERVING\"}");
        free(text);
        protobuf_c_message_free_unpacked(m, NULL);
        assert_int_equal(
            kata_pb_from_json_string(&grpc__check_request__descriptor, "  ", 0, &m, &err), 0);
        assert_int_equal(kata_pb_to_json_string(m, KATA_PB_JSON_EMIT_DEFAULTS,
                                                JSON_C_TO_STRING_PLAIN, &text, &err),
                         0);
        assert_string_equal(text, "{\"service\":\"\"}");
        free(text);
        protobuf_c_message_free_unpacked(m, NULL);

        /* uint64 beyond int64 and maps with non-string values */
        assert_int_equal(kata_pb_from_json_string(
                             &grpc__memory_stats__descriptor,
                             "{\"cache\": \"18446744073709551615\", \"stats\": {\"rss\": 7}}", 0,
                             &m, &err),
                         0);
        Grpc__MemoryStats *ms = (Grpc__MemoryStats *)m;
        assert_true(ms->cache == UINT64_MAX);
        assert_int_equal(ms->n_stats, 1);
        assert_int_equal(ms->stats[0]->value, 7);
        assert_int_equal(kata_pb_to_json_string(m, 0, JSON_C_TO_STRING_PLAIN, &text, &err), 0);
        assert_string_equal(text, "{\"cache\":18446744073709551615,\"stats\":{\"rss\":7}}");
        free(text);
        protobuf_c_message_free_unpacked(m, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_create_container_round_trip),
            cmocka_unit_test(test_wrong_types_are_reported_with_path),
            cmocka_unit_test(test_unknown_fields_can_be_ignored),
            cmocka_unit_test(test_scalars_enums_bytes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
