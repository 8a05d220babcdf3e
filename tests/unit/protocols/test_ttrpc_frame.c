/* Frame codec: round trips, incremental decoding, and every header check. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "protocols/methods.h"
#include "protocols/ttrpc.h"

static void test_header_round_trip(void **state)
{
        kata_ttrpc_header in = {
            .length = 0x01020304, .stream_id = 0xfffffff1, .type = 2, .flags = 7};
        uint8_t buf[KATA_TTRPC_HEADER_SIZE];
        kata_ttrpc_header_encode(&in, buf);
        /* Big-endian on the wire. */
        assert_int_equal(buf[0], 0x01);
        assert_int_equal(buf[3], 0x04);
        assert_int_equal(buf[4], 0xff);
        assert_int_equal(buf[7], 0xf1);
        kata_ttrpc_header out;
        kata_error err = KATA_ERROR_INIT;
        /* 0x01020304 > 4 MiB: decode must refuse it but still fill the fields. */
        assert_int_equal(kata_ttrpc_header_decode(buf, &out, &err), -EMSGSIZE);
        assert_non_null(strstr(err.msg, "exceeds"));
        assert_int_equal(out.stream_id, 0xfffffff1);

        in.length = KATA_TTRPC_MAX_PAYLOAD;
        kata_ttrpc_header_encode(&in, buf);
        assert_int_equal(kata_ttrpc_header_decode(buf, &out, &err), 0);
        assert_int_equal(out.length, KATA_TTRPC_MAX_PAYLOAD);
        assert_int_equal(out.stream_id, in.stream_id);
        assert_int_equal(out.type, 2);
        assert_int_equal(out.flags, 7);
}

static void test_header_rejects(void **state)
{
        uint8_t buf[KATA_TTRPC_HEADER_SIZE];
        kata_ttrpc_header h = {.length = 4, .stream_id = 1, .type = 3};
        kata_ttrpc_header out;
        kata_error err = KATA_ERROR_INIT;
        kata_ttrpc_header_encode(&h, buf);
        assert_int_equal(kata_ttrpc_header_decode(buf, &out, &err), -EPROTO);
        assert_non_null(strstr(err.msg, "type 3"));
        h.type = 1;
        h.stream_id = 0;
        kata_ttrpc_header_encode(&h, buf);
        assert_int_equal(kata_ttrpc_header_decode(buf, &out, &err), -EPROTO);
        h.stream_id = 1;
        h.length = KATA_TTRPC_MAX_PAYLOAD + 1;
        kata_ttrpc_header_encode(&h, buf);
        assert_int_equal(kata_ttrpc_header_decode(buf, &out, &err), -EMSGSIZE);
}

static void test_frame_decode_incremental(void **state)
{
        uint8_t buf[64];
        kata_ttrpc_header h = {.length = 5, .stream_id = 3, .type = 1};
        kata_ttrpc_header_encode(&h, buf);
        memcpy(buf + KATA_TTRPC_HEADER_SIZE, "hello", 5);
        /* a second frame right behind the first */
        kata_ttrpc_header h2 = {.length = 0, .stream_id = 5, .type = 2};
        kata_ttrpc_header_encode(&h2, buf + 15);

        kata_ttrpc_header out;
        const uint8_t *payload = NULL;
        size_t used = 99;
        kata_error err = KATA_ERROR_INIT;
        for (size_t len = 0; len < 15; len++) {
                assert_int_equal(kata_ttrpc_frame_decode(buf, len, &out, &payload, &used, &err),
                                 -EAGAIN);
                assert_int_equal(used, 0);
        }
        assert_int_equal(kata_ttrpc_frame_decode(buf, 25, &out, &payload, &used, &err), 0);
        assert_int_equal(used, 15);
        assert_memory_equal(payload, "hello", 5);
        assert_int_equal(
            kata_ttrpc_frame_decode(buf + used, 25 - used, &out, &payload, &used, &err), 0);
        assert_int_equal(used, 10);
        assert_int_equal(out.stream_id, 5);
        assert_int_equal(out.length, 0);
}

static void test_frame_io_round_trip(void **state)
{
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        kata_error err = KATA_ERROR_INIT;
        kata_ttrpc_header h = {.length = 3, .stream_id = 9, .type = 1};
        assert_int_equal(kata_ttrpc_write_frame(sv[0], &h, "abc", &err), 0);
        kata_ttrpc_header out;
        uint8_t *payload = NULL;
        assert_int_equal(kata_ttrpc_read_frame(sv[1], &out, &payload, &err), 0);
        assert_int_equal(out.length, 3);
        assert_memory_equal(payload, "abc", 3);
        free(payload);

        /* truncated: header promises 100 bytes, 4 arrive, then EOF */
        uint8_t hdr[KATA_TTRPC_HEADER_SIZE];
        h.length = 100;
        kata_ttrpc_header_encode(&h, hdr);
        assert_int_equal(write(sv[0], hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
        assert_int_equal(write(sv[0], "abcd", 4), 4);
        close(sv[0]);
        assert_int_equal(kata_ttrpc_read_frame(sv[1], &out, &payload, &err), -EPIPE);
        assert_null(payload);
        assert_non_null(strstr(err.msg, "truncated"));
        /* clean EOF */
        assert_int_equal(kata_ttrpc_read_frame(sv[1], &out, &payload, &err), -ECONNRESET);
        close(sv[1]);
}

static void test_status_codes(void **state)
{
        assert_string_equal(kata_ttrpc_code_name(KATA_TTRPC_NOT_FOUND), "NOT_FOUND");
        assert_string_equal(kata_ttrpc_code_name(12), "UNIMPLEMENTED");
        assert_string_equal(kata_ttrpc_code_name(999), "UNKNOWN_CODE");
        int code = -1;
        assert_int_equal(kata_ttrpc_code_parse("deadline_exceeded", &code), 0);
        assert_int_equal(code, 4);
        assert_int_equal(kata_ttrpc_code_parse("14", &code), 0);
        assert_int_equal(code, KATA_TTRPC_UNAVAILABLE);
        assert_int_equal(kata_ttrpc_code_parse("nope", &code), -EINVAL);
        assert_int_equal(kata_ttrpc_code_to_errno(KATA_TTRPC_DEADLINE_EXCEEDED), ETIMEDOUT);
        assert_int_equal(kata_ttrpc_code_from_errno(-ENOENT), KATA_TTRPC_NOT_FOUND);
        assert_int_equal(kata_ttrpc_code_from_errno(EINVAL), KATA_TTRPC_INVALID_ARGUMENT);
        assert_int_equal(kata_ttrpc_code_from_errno(EIO), KATA_TTRPC_INTERNAL);
}

static void test_method_table(void **state)
{
        const kata_rpc_method *all, *m;
        size_t n = kata_rpc_methods(&all);
        assert_true(n >= 23);
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_rpc_method_find("Check", &m, &err), 0);
        assert_string_equal(m->service, "grpc.Health");
        assert_string_equal(m->input->name, "grpc.CheckRequest");
        assert_int_equal(kata_rpc_method_find("grpc.Health.Check", &m, &err), 0);
        assert_int_equal(kata_rpc_method_find("grpc.AgentService/CreateContainer", &m, &err), 0);
        assert_string_equal(m->input->name, "grpc.CreateContainerRequest");
        assert_string_equal(m->output->name, "google.protobuf.Empty");
        assert_int_equal(kata_rpc_method_find("ListProcesses", &m, &err), 0);
        assert_int_equal(kata_rpc_method_find("grpc.Health.CreateContainer", &m, &err), -ENOENT);
        assert_int_equal(kata_rpc_method_find("Nope", &m, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "--list"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_header_round_trip),
            cmocka_unit_test(test_header_rejects),
            cmocka_unit_test(test_frame_decode_incremental),
            cmocka_unit_test(test_frame_io_round_trip),
            cmocka_unit_test(test_status_codes),
            cmocka_unit_test(test_method_table),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
