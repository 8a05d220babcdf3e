/* JSON -> protobuf for the largest request (CreateContainer with its OCI spec), then back
 * to JSON: arbitrary text must give a message or a clean error, never a crash or leak,
 * and any message built must pack. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent.pb-c.h"
#include "protocols/pb_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        ProtobufCMessage *m = NULL;
        kata_error err = KATA_ERROR_INIT;
        unsigned flags = size && (data[0] & 1) ? KATA_PB_JSON_IGNORE_UNKNOWN : 0;
        if (kata_pb_from_json_string(&grpc__create_container_request__descriptor, text, flags, &m,
                                     &err) == 0) {
                size_t len = protobuf_c_message_get_packed_size(m);
                uint8_t *buf = malloc(len ? len : 1);
                if (buf && protobuf_c_message_pack(m, buf) != len)
                        abort();
                free(buf);
                char *out = NULL;
                if (kata_pb_to_json_string(m, KATA_PB_JSON_EMIT_DEFAULTS, 0, &out, NULL) == 0)
                        free(out);
                protobuf_c_message_free_unpacked(m, NULL);
        } else if (err.msg[0] == '\0') {
                abort(); /* every failure explains itself */
        }
        free(text);
        return 0;
}
