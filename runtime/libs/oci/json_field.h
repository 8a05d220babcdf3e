/* Typed access to optional json-c object members. Every getter takes the dotted path of
 * the member for its error message, returns 0 when the member is absent (leaving the
 * output untouched and *present false), 0 with the value when it has the right type, and
 * -EINVAL naming the path and the expected type otherwise. Internal to kata-oci. */
#ifndef KATA_OCI_JSON_FIELD_H
#define KATA_OCI_JSON_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "common/error.h"

/* Gets member key of obj when it is an object, matched exactly or else ignoring case;
 * NULL when absent or JSON null. */
struct json_object *oci_member(struct json_object *obj, const char *key);

int oci_get_object(struct json_object *obj, const char *key, const char *path,
                   struct json_object **out, kata_error *err);
int oci_get_string(struct json_object *obj, const char *key, const char *path, char **out,
                   kata_error *err);
int oci_get_bool(struct json_object *obj, const char *key, const char *path, bool *out,
                 kata_error *err);
int oci_get_i64(struct json_object *obj, const char *key, const char *path, bool *present,
                int64_t *out, kata_error *err);
int oci_get_u64(struct json_object *obj, const char *key, const char *path, bool *present,
                uint64_t *out, kata_error *err);
int oci_get_u32(struct json_object *obj, const char *key, const char *path, uint32_t *out,
                kata_error *err);
/* Array of strings, returned NULL-terminated (an absent member gives an empty array). */
int oci_get_string_array(struct json_object *obj, const char *key, const char *path, char ***out,
                         size_t *n, kata_error *err);
/* Array member; *out NULL when absent. */
int oci_get_array(struct json_object *obj, const char *key, const char *path,
                  struct json_object **out, kata_error *err);

void oci_free_string_array(char **arr);

#endif
