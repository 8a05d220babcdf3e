/* JSON <-> protobuf through protobuf-c's descriptors: one generic walker instead of a
 * converter per message, so every RPC of the .proto files is usable from JSON at once.
 *
 * Messages built from JSON own every part (malloc'd strings, arrays, sub-messages), so
 * protobuf_c_message_free_unpacked(msg, NULL) releases them, exactly like unpacked ones;
 * on error the partial message is freed the same way, which is why repeated counts are
 * advanced one element at a time. */
#include "protocols/pb_json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define PATH_MAX_LEN 512

/* JSON keys that differ from the proto field name by more than case: OCI's config.json
 * says `ociVersion` where Kata's Spec says `Version`. */
static const struct {
        const char *message; /* full name */
        const char *json_key;
        const char *field;
} aliases[] = {
    {"grpc.Spec", "ociVersion", "Version"},
};

/* ---- base64 (RFC 4648, with padding) ---- */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const uint8_t *data, size_t len)
{
        char *out = malloc((len + 2) / 3 * 4 + 1);
        if (!out)
                return NULL;
        char *o = out;
        for (size_t i = 0; i < len; i += 3) {
                uint32_t v = (uint32_t)data[i] << 16;
                if (i + 1 < len)
                        v |= (uint32_t)data[i + 1] << 8;
                if (i + 2 < len)
                        v |= data[i + 2];
                *o++ = b64chars[(v >> 18) & 63];
                *o++ = b64chars[(v >> 12) & 63];
                *o++ = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
                *o++ = i + 2 < len ? b64chars[v & 63] : '=';
        }
        *o = '\0';
        return out;
}

static int b64val(char c)
{
        const char *p = c ? strchr(b64chars, c) : NULL;
        if (p)
                return (int)(p - b64chars);
        if (c == '-') /* URL-safe alphabet too */
                return 62;
        if (c == '_')
                return 63;
        return -1;
}

/* Returns 0 and a malloc'd buffer, or -EINVAL. Padding is optional. */
static int base64_decode(const char *s, uint8_t **out, size_t *out_len)
{
        size_t len = strlen(s);
        while (len > 0 && s[len - 1] == '=')
                len--;
        if (len % 4 == 1)
                return -EINVAL;
        uint8_t *buf = malloc(len / 4 * 3 + 3);
        if (!buf)
                return -ENOMEM;
        size_t n = 0;
        uint32_t acc = 0;
        int bits = 0;
        for (size_t i = 0; i < len; i++) {
                int v = b64val(s[i]);
                if (v < 0) {
                        free(buf);
                        return -EINVAL;
                }
                acc = (acc << 6) | (uint32_t)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        buf[n++] = (uint8_t)(acc >> bits);
                }
        }
        *out = buf;
        *out_len = n;
        return 0;
}

/* ---- JSON -> protobuf ---- */

static const char *json_type_label(struct json_object *v)
{
        return v ? json_type_to_name(json_object_get_type(v)) : "null";
}

static int type_error(kata_error *err, const char *path, const char *want, struct json_object *v)
{
        const char *text = v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : "null";
        char shown[64];
        snprintf(shown, sizeof(shown), "%s", text);
        if (strlen(text) >= sizeof(shown))
                memcpy(shown + sizeof(shown) - 4, "...", 4);
        return kata_error_set(err, EINVAL, "%s: expected %s, got %s %s", path, want,
                              json_type_label(v), shown);
}

/* Integer text of a JSON number or string, for exact 64-bit parsing. */
static int integer_text(struct json_object *v, const char *path, char *buf, size_t size,
                        kata_error *err)
{
        switch (json_object_get_type(v)) {
        case json_type_int:
                snprintf(buf, size, "%s",
                         json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
                return 0;
        case json_type_string:
                snprintf(buf, size, "%s", json_object_get_string(v));
                return 0;
        case json_type_double: {
                double d = json_object_get_double(v);
                if (d == floor(d) && fabs(d) < 9007199254740992.0) {
                        snprintf(buf, size, "%.0f", d);
                        return 0;
                }
                return type_error(err, path, "an integer", v);
        }
        default:
                return type_error(err, path, "an integer", v);
        }
}

static int get_signed(struct json_object *v, const char *path, int64_t min, int64_t max,
                      int64_t *out, kata_error *err)
{
        char text[64];
        int r = integer_text(v, path, text, sizeof(text), err);
        if (r < 0)
                return r;
        r = kata_parse_i64(text, out);
        if (r == -ERANGE || (r == 0 && (*out < min || *out > max)))
                return kata_error_set(err, ERANGE,
                                      "%s: %s is out of range [%" PRId64 ", %" PRId64 "]", path,
                                      text, min, max);
        if (r < 0)
                return type_error(err, path, "an integer", v);
        return 0;
}

static int get_unsigned(struct json_object *v, const char *path, uint64_t max, uint64_t *out,
                        kata_error *err)
{
        char text[64];
        int r = integer_text(v, path, text, sizeof(text), err);
        if (r < 0)
                return r;
        const char *digits = kata_str_trim(text);
        if (digits[0] == '-' && digits[1] >= '1' && digits[1] <= '9')
                return kata_error_set(err, ERANGE, "%s: %s is negative, the field is unsigned",
                                      path, text);
        r = kata_parse_u64(strcmp(digits, "-0") == 0 ? "0" : digits, out);
        if (r == -ERANGE || (r == 0 && *out > max))
                return kata_error_set(err, ERANGE, "%s: %s is out of range [0, %" PRIu64 "]", path,
                                      text, max);
        if (r < 0)
                return type_error(err, path, "an unsigned integer", v);
        return 0;
}

static int message_from_json(const ProtobufCMessageDescriptor *desc, struct json_object *json,
                             unsigned flags, char *path, ProtobufCMessage **out, kata_error *err);

/* Stores one value of field f into the storage at dst (a struct member or array slot). */
static int value_from_json(const ProtobufCFieldDescriptor *f, struct json_object *v, unsigned flags,
                           char *path, void *dst, kata_error *err)
{
        int r;
        int64_t i64;
        uint64_t u64;
        switch (f->type) {
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32:
                if ((r = get_signed(v, path, INT32_MIN, INT32_MAX, &i64, err)) < 0)
                        return r;
                *(int32_t *)dst = (int32_t)i64;
                return 0;
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
                if ((r = get_signed(v, path, INT64_MIN, INT64_MAX, &i64, err)) < 0)
                        return r;
                *(int64_t *)dst = i64;
                return 0;
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
                if ((r = get_unsigned(v, path, UINT32_MAX, &u64, err)) < 0)
                        return r;
                *(uint32_t *)dst = (uint32_t)u64;
                return 0;
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
                if ((r = get_unsigned(v, path, UINT64_MAX, &u64, err)) < 0)
                        return r;
                *(uint64_t *)dst = u64;
                return 0;
        case PROTOBUF_C_TYPE_FLOAT:
        case PROTOBUF_C_TYPE_DOUBLE: {
                double d;
                if (json_object_is_type(v, json_type_double) ||
                    json_object_is_type(v, json_type_int)) {
                        d = json_object_get_double(v);
                } else if (json_object_is_type(v, json_type_string)) {
                        char *end;
                        const char *s = json_object_get_string(v);
                        errno = 0;
                        d = strtod(s, &end);
                        if (end == s || *end || errno)
                                return type_error(err, path, "a number", v);
                } else {
                        return type_error(err, path, "a number", v);
                }
                if (f->type == PROTOBUF_C_TYPE_FLOAT)
                        *(float *)dst = (float)d;
                else
                        *(double *)dst = d;
                return 0;
        }
        case PROTOBUF_C_TYPE_BOOL:
                if (!json_object_is_type(v, json_type_boolean))
                        return type_error(err, path, "true or false", v);
                *(protobuf_c_boolean *)dst = json_object_get_boolean(v) ? 1 : 0;
                return 0;
        case PROTOBUF_C_TYPE_ENUM: {
                const ProtobufCEnumDescriptor *ed = f->descriptor;
                if (json_object_is_type(v, json_type_string)) {
                        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(
                            ed, json_object_get_string(v));
                        if (ev) {
                                *(int *)dst = ev->value;
                                return 0;
                        }
                        char names[256] = "";
                        size_t used = 0;
                        for (unsigned i = 0; i < ed->n_values && used < sizeof(names); i++)
                                used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
                                                         i ? ", " : "", ed->values[i].name);
                        return kata_error_set(err, EINVAL, "%s: '%s' is not a %s (one of: %s)",
                                              path, json_object_get_string(v), ed->name, names);
                }
                if ((r = get_signed(v, path, INT32_MIN, INT32_MAX, &i64, err)) < 0)
                        return r;
                *(int *)dst = (int)i64;
                return 0;
        }
        case PROTOBUF_C_TYPE_STRING: {
                if (!json_object_is_type(v, json_type_string))
                        return type_error(err, path, "a string", v);
                char *s = strdup(json_object_get_string(v));
                if (!s)
                        return kata_error_errno(err, ENOMEM, "%s", path);
                *(char **)dst = s;
                return 0;
        }
        case PROTOBUF_C_TYPE_BYTES: {
                if (!json_object_is_type(v, json_type_string))
                        return type_error(err, path, "a base64 string", v);
                ProtobufCBinaryData *b = dst;
                r = base64_decode(json_object_get_string(v), &b->data, &b->len);
                if (r == -ENOMEM)
                        return kata_error_errno(err, ENOMEM, "%s", path);
                if (r < 0)
                        return kata_error_set(err, EINVAL, "%s: not valid base64", path);
                return 0;
        }
        case PROTOBUF_C_TYPE_MESSAGE:
                return message_from_json(f->descriptor, v, flags, path, (ProtobufCMessage **)dst,
                                         err);
        }
        return kata_error_set(err, EINVAL, "%s: unsupported field type %d", path, (int)f->type);
}

static size_t value_size(const ProtobufCFieldDescriptor *f)
{
        switch (f->type) {
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32:
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
                return 4;
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
                return 8;
        case PROTOBUF_C_TYPE_FLOAT:
                return sizeof(float);
        case PROTOBUF_C_TYPE_DOUBLE:
                return sizeof(double);
        case PROTOBUF_C_TYPE_BOOL:
                return sizeof(protobuf_c_boolean);
        case PROTOBUF_C_TYPE_ENUM:
                return sizeof(int);
        case PROTOBUF_C_TYPE_STRING:
                return sizeof(char *);
        case PROTOBUF_C_TYPE_BYTES:
                return sizeof(ProtobufCBinaryData);
        case PROTOBUF_C_TYPE_MESSAGE:
                return sizeof(ProtobufCMessage *);
        }
        return 0;
}

/* protobuf-c has no map flag: a map<K,V> field is a repeated message whose type is the
 * generated nested "<Field>Entry" with exactly `key` = 1 and `value` = 2. */
static bool is_map_field(const ProtobufCFieldDescriptor *f)
{
        if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
                return false;
        const ProtobufCMessageDescriptor *d = f->descriptor;
        return d->n_fields == 2 && kata_str_endswith(d->short_name, "Entry") &&
               strcmp(d->fields[0].name, "key") == 0 && d->fields[0].id == 1 &&
               strcmp(d->fields[1].name, "value") == 0 && d->fields[1].id == 2;
}

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *desc,
                                                  const char *key)
{
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name(desc, key);
        if (f)
                return f;
        for (unsigned i = 0; i < desc->n_fields; i++) {
                if (strcasecmp(desc->fields[i].name, key) == 0)
                        return &desc->fields[i];
        }
        for (size_t i = 0; i < KATA_ARRAY_SIZE(aliases); i++) {
                if (strcmp(aliases[i].message, desc->name) == 0 &&
                    strcmp(aliases[i].json_key, key) == 0)
                        return protobuf_c_message_descriptor_get_field_by_name(desc,
                                                                               aliases[i].field);
        }
        return NULL;
}

static size_t path_push(char *path, const char *fmt, const char *s, size_t idx)
{
        size_t len = strlen(path);
        if (fmt)
                snprintf(path + len, PATH_MAX_LEN - len, fmt, s);
        else
                snprintf(path + len, PATH_MAX_LEN - len, "[%zu]", idx);
        return len;
}

/* One map entry: builds the Entry message from a JSON key and value. */
static int map_entry_from_json(const ProtobufCFieldDescriptor *f, const char *key,
                               struct json_object *val, unsigned flags, char *path,
                               ProtobufCMessage **out, kata_error *err)
{
        const ProtobufCMessageDescriptor *ed = f->descriptor;
        ProtobufCMessage *entry = calloc(1, ed->sizeof_message);
        if (!entry)
                return kata_error_errno(err, ENOMEM, "%s", path);
        ed->message_init(entry);
        struct json_object *jkey = json_object_new_string(key);
        int r = jkey ? value_from_json(&ed->fields[0], jkey, flags, path,
                                       (char *)entry + ed->fields[0].offset, err)
                     : kata_error_errno(err, ENOMEM, "%s", path);
        json_object_put(jkey);
        if (r == 0 && val)
                r = value_from_json(&ed->fields[1], val, flags, path,
                                    (char *)entry + ed->fields[1].offset, err);
        if (r < 0) {
                protobuf_c_message_free_unpacked(entry, NULL);
                return r;
        }
        *out = entry;
        return 0;
}

static int repeated_from_json(const ProtobufCFieldDescriptor *f, struct json_object *v,
                              unsigned flags, char *path, ProtobufCMessage *msg, kata_error *err)
{
        size_t *count = (size_t *)((char *)msg + f->quantifier_offset);
        void **array = (void **)((char *)msg + f->offset);
        size_t elem = value_size(f);
        bool map = is_map_field(f);

        if (map && json_object_is_type(v, json_type_object)) {
                size_t n = (size_t)json_object_object_length(v);
                *array = calloc(n ? n : 1, elem);
                if (!*array)
                        return kata_error_errno(err, ENOMEM, "%s", path);
                json_object_object_foreach(v, key, val)
                {
                        size_t len = path_push(path, "[\"%s\"]", key, 0);
                        int r = map_entry_from_json(f, key, val, flags, path,
                                                    &((ProtobufCMessage **)*array)[*count], err);
                        path[len] = '\0';
                        if (r < 0)
                                return r;
                        (*count)++;
                }
                return 0;
        }
        if (!json_object_is_type(v, json_type_array))
                return type_error(err, path, map ? "an object (map)" : "an array", v);
        size_t n = json_object_array_length(v);
        *array = calloc(n ? n : 1, elem);
        if (!*array)
                return kata_error_errno(err, ENOMEM, "%s", path);
        for (size_t i = 0; i < n; i++) {
                size_t len = path_push(path, NULL, NULL, i);
                int r = value_from_json(f, json_object_array_get_idx(v, i), flags, path,
                                        (char *)*array + i * elem, err);
                path[len] = '\0';
                if (r < 0)
                        return r;
                (*count)++;
        }
        return 0;
}

static int message_from_json(const ProtobufCMessageDescriptor *desc, struct json_object *json,
                             unsigned flags, char *path, ProtobufCMessage **out, kata_error *err)
{
        if (json && !json_object_is_type(json, json_type_object))
                return type_error(err, path[0] ? path : desc->name, "an object", json);
        ProtobufCMessage *msg = calloc(1, desc->sizeof_message);
        if (!msg)
                return kata_error_errno(err, ENOMEM, "%s", desc->name);
        desc->message_init(msg);
        int r = 0;
        if (json) {
                json_object_object_foreach(json, key, v)
                {
                        const ProtobufCFieldDescriptor *f = find_field(desc, key);
                        size_t len = path_push(path, path[0] ? ".%s" : "%s", key, 0);
                        if (!f) {
                                path[len] = '\0';
                                if (flags & KATA_PB_JSON_IGNORE_UNKNOWN)
                                        continue;
                                r = kata_error_set(err, EINVAL, "%s%s%s: unknown field of %s", path,
                                                   path[0] ? "." : "", key, desc->name);
                                break;
                        }
                        if (!v) { /* null: leave the default */
                                path[len] = '\0';
                                continue;
                        }
                        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                                if (*(size_t *)((char *)msg + f->quantifier_offset) != 0) {
                                        r = kata_error_set(err, EINVAL, "%s: given twice", path);
                                } else {
                                        r = repeated_from_json(f, v, flags, path, msg, err);
                                }
                        } else {
                                void *dst = (char *)msg + f->offset;
                                /* A key given twice (or two spellings of it) must not leak
                                 * the first value. */
                                if ((f->type == PROTOBUF_C_TYPE_MESSAGE && *(void **)dst) ||
                                    (f->type == PROTOBUF_C_TYPE_BYTES &&
                                     ((ProtobufCBinaryData *)dst)->data) ||
                                    (f->type == PROTOBUF_C_TYPE_STRING && *(char **)dst &&
                                     *(char **)dst != (char *)f->default_value)) {
                                        r = kata_error_set(err, EINVAL, "%s: given twice", path);
                                } else {
                                        r = value_from_json(f, v, flags, path, dst, err);
                                }
                                if (r == 0 && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
                                        uint32_t *which =
                                            (uint32_t *)((char *)msg + f->quantifier_offset);
                                        if (*which != 0 && *which != f->id)
                                                r = kata_error_set(err, EINVAL,
                                                                   "%s: another member of its "
                                                                   "oneof is already set",
                                                                   path);
                                        else
                                                *which = f->id;
                                } else if (r == 0 && f->label == PROTOBUF_C_LABEL_OPTIONAL &&
                                           f->quantifier_offset &&
                                           f->type != PROTOBUF_C_TYPE_MESSAGE &&
                                           f->type != PROTOBUF_C_TYPE_STRING) {
                                        *(protobuf_c_boolean *)((char *)msg +
                                                                f->quantifier_offset) = 1;
                                }
                        }
                        path[len] = '\0';
                        if (r < 0)
                                break;
                }
        }
        if (r < 0) {
                protobuf_c_message_free_unpacked(msg, NULL);
                return r;
        }
        *out = msg;
        return 0;
}

int kata_pb_from_json(const ProtobufCMessageDescriptor *desc, struct json_object *json,
                      unsigned flags, ProtobufCMessage **out, kata_error *err)
{
        char path[PATH_MAX_LEN] = "";
        kata_error local = KATA_ERROR_INIT;
        return message_from_json(desc, json, flags, path, out, err ? err : &local);
}

int kata_pb_from_json_string(const ProtobufCMessageDescriptor *desc, const char *text,
                             unsigned flags, ProtobufCMessage **out, kata_error *err)
{
        const char *p = text;
        while (p && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
                p++;
        if (!p || !*p)
                return kata_pb_from_json(desc, NULL, flags, out, err);
        struct json_tokener *tok = json_tokener_new();
        if (!tok)
                return kata_error_errno(err, ENOMEM, "JSON parser");
        struct json_object *json = json_tokener_parse_ex(tok, p, (int)strlen(p));
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t offset = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (jerr != json_tokener_success) {
                json_object_put(json);
                return kata_error_set(err, EINVAL, "invalid JSON at offset %zu: %s", offset,
                                      jerr == json_tokener_continue
                                          ? "unexpected end of input"
                                          : json_tokener_error_desc(jerr));
        }
        for (const char *q = p + offset; *q; q++) {
                if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r') {
                        json_object_put(json);
                        return kata_error_set(err, EINVAL,
                                              "invalid JSON: trailing data at offset %zu",
                                              (size_t)(q - p));
                }
        }
        int r = kata_pb_from_json(desc, json, flags, out, err);
        json_object_put(json);
        return r;
}

/* ---- protobuf -> JSON ---- */

static int message_to_json(const ProtobufCMessage *msg, unsigned flags, struct json_object **out,
                           kata_error *err);

static struct json_object *value_to_json(const ProtobufCFieldDescriptor *f, const void *src,
                                         unsigned flags, kata_error *err)
{
        switch (f->type) {
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32:
                return json_object_new_int(*(const int32_t *)src);
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
                return json_object_new_int64(*(const uint32_t *)src);
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
                return json_object_new_int64(*(const int64_t *)src);
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
                return json_object_new_uint64(*(const uint64_t *)src);
        case PROTOBUF_C_TYPE_FLOAT:
                return json_object_new_double(*(const float *)src);
        case PROTOBUF_C_TYPE_DOUBLE:
                return json_object_new_double(*(const double *)src);
        case PROTOBUF_C_TYPE_BOOL:
                return json_object_new_boolean(*(const protobuf_c_boolean *)src);
        case PROTOBUF_C_TYPE_ENUM: {
                int v = *(const int *)src;
                const ProtobufCEnumValue *ev =
                    protobuf_c_enum_descriptor_get_value(f->descriptor, v);
                return ev ? json_object_new_string(ev->name) : json_object_new_int(v);
        }
        case PROTOBUF_C_TYPE_STRING: {
                const char *s = *(char *const *)src;
                return json_object_new_string(s ? s : "");
        }
        case PROTOBUF_C_TYPE_BYTES: {
                const ProtobufCBinaryData *b = src;
                char *text = base64_encode(b->data, b->len);
                struct json_object *o = text ? json_object_new_string(text) : NULL;
                free(text);
                return o;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
                const ProtobufCMessage *m = *(ProtobufCMessage *const *)src;
                struct json_object *o = NULL;
                if (!m)
                        return json_object_new_object();
                if (message_to_json(m, flags, &o, err) < 0)
                        return NULL;
                return o;
        }
        }
        return NULL;
}

/* Whether a singular proto3 field holds its default (and is then omitted). */
static bool is_default(const ProtobufCFieldDescriptor *f, const void *src)
{
        switch (f->type) {
        case PROTOBUF_C_TYPE_STRING: {
                const char *s = *(char *const *)src;
                return !s || !*s;
        }
        case PROTOBUF_C_TYPE_BYTES:
                return ((const ProtobufCBinaryData *)src)->len == 0;
        case PROTOBUF_C_TYPE_MESSAGE:
                return *(ProtobufCMessage *const *)src == NULL;
        default: {
                static const uint8_t zero[16];
                return memcmp(src, zero, value_size(f)) == 0;
        }
        }
}

static int map_to_json(const ProtobufCFieldDescriptor *f, ProtobufCMessage *const *entries,
                       size_t n, unsigned flags, struct json_object *obj, kata_error *err)
{
        const ProtobufCMessageDescriptor *ed = f->descriptor;
        for (size_t i = 0; i < n; i++) {
                const char *base = (const char *)entries[i];
                struct json_object *k =
                    value_to_json(&ed->fields[0], base + ed->fields[0].offset, flags, err);
                struct json_object *v =
                    value_to_json(&ed->fields[1], base + ed->fields[1].offset, flags, err);
                if (!k || !v) {
                        json_object_put(k);
                        json_object_put(v);
                        return err->code ? -err->code
                                         : kata_error_errno(err, ENOMEM, "%s", f->name);
                }
                json_object_object_add(obj, json_object_get_string(k), v);
                json_object_put(k);
        }
        return 0;
}

static int message_to_json(const ProtobufCMessage *msg, unsigned flags, struct json_object **out,
                           kata_error *err)
{
        const ProtobufCMessageDescriptor *desc = msg->descriptor;
        struct json_object *obj = json_object_new_object();
        if (!obj)
                return kata_error_errno(err, ENOMEM, "%s", desc->name);
        for (unsigned i = 0; i < desc->n_fields; i++) {
                const ProtobufCFieldDescriptor *f = &desc->fields[i];
                const char *base = (const char *)msg;
                struct json_object *v = NULL;
                if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                        size_t n = *(const size_t *)(base + f->quantifier_offset);
                        const char *array = *(char *const *)(base + f->offset);
                        if (n == 0 && !(flags & KATA_PB_JSON_EMIT_DEFAULTS))
                                continue;
                        if (is_map_field(f)) {
                                v = json_object_new_object();
                                if (v && map_to_json(f, (ProtobufCMessage *const *)array, n, flags,
                                                     v, err) < 0) {
                                        json_object_put(v);
                                        json_object_put(obj);
                                        return -err->code;
                                }
                        } else {
                                v = json_object_new_array_ext((int)n);
                                for (size_t k = 0; v && k < n; k++) {
                                        struct json_object *e =
                                            value_to_json(f, array + k * value_size(f), flags, err);
                                        if (!e) {
                                                json_object_put(v);
                                                v = NULL;
                                                break;
                                        }
                                        json_object_array_add(v, e);
                                }
                        }
                } else {
                        const void *src = base + f->offset;
                        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
                                if (*(const uint32_t *)(base + f->quantifier_offset) != f->id)
                                        continue;
                        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
                                   f->type != PROTOBUF_C_TYPE_MESSAGE &&
                                   f->type != PROTOBUF_C_TYPE_STRING) {
                                if (!*(const protobuf_c_boolean *)(base + f->quantifier_offset))
                                        continue;
                        } else if (is_default(f, src)) {
                                if (!(flags & KATA_PB_JSON_EMIT_DEFAULTS) ||
                                    f->type == PROTOBUF_C_TYPE_MESSAGE)
                                        continue;
                        }
                        v = value_to_json(f, src, flags, err);
                }
                if (!v) {
                        json_object_put(obj);
                        return err->code ? -err->code
                                         : kata_error_errno(err, ENOMEM, "%s", f->name);
                }
                json_object_object_add(obj, f->name, v);
        }
        *out = obj;
        return 0;
}

int kata_pb_to_json(const ProtobufCMessage *msg, unsigned flags, struct json_object **out,
                    kata_error *err)
{
        kata_error local = KATA_ERROR_INIT;
        return message_to_json(msg, flags, out, err ? err : &local);
}

int kata_pb_to_json_string(const ProtobufCMessage *msg, unsigned flags, int json_flags, char **out,
                           kata_error *err)
{
        struct json_object *obj;
        int r = kata_pb_to_json(msg, flags, &obj, err);
        if (r < 0)
                return r;
        const char *text = json_object_to_json_string_ext(obj, json_flags);
        *out = text ? strdup(text) : NULL;
        json_object_put(obj);
        if (!*out)
                return kata_error_errno(err, ENOMEM, "JSON text");
        return 0;
}
