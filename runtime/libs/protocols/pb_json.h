/* JSON <-> protobuf for any protobuf-c message, driven by its descriptor.
 *
 * Mapping: object keys are the .proto field names (matched case-insensitively on input,
 * so OCI config.json's `cgroupsPath` fills `CgroupsPath`); nested messages are objects;
 * repeated fields arrays; maps objects (protobuf-c's repeated key/value entries);
 * enums are output by name and accepted by name or number; bytes are base64; 64-bit
 * integers are output as JSON numbers and accepted as numbers or decimal strings; a
 * oneof member is a plain field. Unset (default) proto3 fields are omitted on output
 * unless KATA_PB_JSON_EMIT_DEFAULTS. */
#ifndef KATA_PROTOCOLS_PB_JSON_H
#define KATA_PROTOCOLS_PB_JSON_H

#include <json-c/json.h>
#include <protobuf-c/protobuf-c.h>

#include "common/error.h"

enum {
        /* Input: skip object keys that name no field (default: INVALID error). */
        KATA_PB_JSON_IGNORE_UNKNOWN = 1 << 0,
        /* Output: include fields holding their default value. */
        KATA_PB_JSON_EMIT_DEFAULTS = 1 << 1,
};

/* Builds a message of type desc from json (an object; NULL means empty message).
 * On success *out is freeable with protobuf_c_message_free_unpacked(*out, NULL).
 * Errors: -EINVAL naming the JSON path and what was wrong ("OCI.Linux.Resources.Pids.Limit:
 * expected an integer, got string \"x\""), -ERANGE for out-of-range numbers, -ENOMEM. */
int kata_pb_from_json(const ProtobufCMessageDescriptor *desc, struct json_object *json,
                      unsigned flags, ProtobufCMessage **out, kata_error *err);

/* Same from text (empty or NULL text: empty message). */
int kata_pb_from_json_string(const ProtobufCMessageDescriptor *desc, const char *text,
                             unsigned flags, ProtobufCMessage **out, kata_error *err);

/* New json-c object for msg (json_object_put it), or NULL with err set. */
int kata_pb_to_json(const ProtobufCMessage *msg, unsigned flags, struct json_object **out,
                    kata_error *err);

/* malloc'd JSON text (json_flags: JSON_C_TO_STRING_PRETTY etc.). */
int kata_pb_to_json_string(const ProtobufCMessage *msg, unsigned flags, int json_flags, char **out,
                           kata_error *err);

#endif
