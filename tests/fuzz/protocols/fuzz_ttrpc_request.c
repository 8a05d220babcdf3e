/* Request decoding as the server does it, for every method's request type: the first byte
 * picks a method from the table; the rest is unpacked both as a ttrpc.Request envelope
 * (whose payload is then unpacked with its method's type when it names one) and directly
 * as the picked method's request type. Every decoded message is also printed as JSON and
 * read back, so the generic JSON mapping sees every shape the wire can produce. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocols/methods.h"
#include "protocols/pb_json.h"
#include "ttrpc.pb-c.h"

static void through_json(const ProtobufCMessage *msg)
{
        char *text = NULL;
        if (kata_pb_to_json_string(msg, 0, JSON_C_TO_STRING_PLAIN, &text, NULL) != 0)
                return;
        ProtobufCMessage *back = NULL;
        if (kata_pb_from_json_string(msg->descriptor, text, 0, &back, NULL) == 0)
                protobuf_c_message_free_unpacked(back, NULL);
        free(text);
}

static void unpack_as(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t size)
{
        ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, size, data);
        if (!m)
                return;
        /* what decodes must re-encode */
        size_t len = protobuf_c_message_get_packed_size(m);
        uint8_t *buf = malloc(len ? len : 1);
        if (buf && protobuf_c_message_pack(m, buf) != len)
                abort();
        free(buf);
        through_json(m);
        protobuf_c_message_free_unpacked(m, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0)
                return 0;
        const kata_rpc_method *methods;
        size_t n = kata_rpc_methods(&methods);
        unpack_as(methods[data[0] % n].input, data + 1, size - 1);

        Ttrpc__Request *req = ttrpc__request__unpack(NULL, size - 1, data + 1);
        if (!req)
                return 0;
        char name[512];
        snprintf(name, sizeof(name), "%s/%s", req->service, req->method);
        const kata_rpc_method *m;
        if (kata_rpc_method_find(name, &m, NULL) == 0)
                unpack_as(m->input, req->payload.data, req->payload.len);
        ttrpc__request__free_unpacked(req, NULL);
        return 0;
}
