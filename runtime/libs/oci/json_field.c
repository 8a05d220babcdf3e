#include "oci/json_field.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct json_object *oci_member(struct json_object *obj, const char *key)
{
        struct json_object *v = NULL;
        if (!obj || !json_object_is_type(obj, json_type_object))
                return NULL;
        if (json_object_object_get_ex(obj, key, &v))
                return v; /* JSON null is NULL in json-c */
        /* A spec converted from Kata's protobuf Spec spells members with capitals
         * ("CgroupsPath", "UID"): accept any case, as Kata's agent does. */
        json_object_object_foreach(obj, k, val)
        {
                if (strcasecmp(k, key) == 0)
                        return val;
        }
        return NULL;
}

int oci_get_object(struct json_object *obj, const char *key, const char *path,
                   struct json_object **out, kata_error *err)
{
        struct json_object *v = oci_member(obj, key);
        *out = NULL;
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_object))
                return kata_error_set(err, EINVAL, "%s: expected object", path);
        *out = v;
        return 0;
}

int oci_get_string(struct json_object *obj, const char *key, const char *path, char **out,
                   kata_error *err)
{
        struct json_object *v = oci_member(obj, key);
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return kata_error_set(err, EINVAL, "%s: expected string", path);
        const char *s = json_object_get_string(v);
        if (strlen(s) != (size_t)json_object_get_string_len(v))
                return kata_error_set(err, EINVAL, "%s: string contains a NUL byte", path);
        char *copy = strdup(s);
        if (!copy)
                return kata_error_set(err, ENOMEM, "%s: out of memory", path);
        free(*out);
        *out = copy;
        return 0;
}

int oci_get_bool(struct json_object *obj, const char *key, const char *path, bool *out,
                 kata_error *err)
{
        struct json_object *v = oci_member(obj, key);
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_boolean))
                return kata_error_set(err, EINVAL, "%s: expected boolean", path);
        *out = json_object_get_boolean(v);
        return 0;
}

/* json-c keeps integers that overflow int64 as saturated values with errno set, and
 * numbers with a fraction as doubles: both are rejected here. */
static int get_integer(struct json_object *obj, const char *key, const char *path,
                       struct json_object **out, kata_error *err)
{
        struct json_object *v = oci_member(obj, key);
        *out = NULL;
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_int))
                return kata_error_set(err, EINVAL, "%s: expected integer", path);
        *out = v;
        return 0;
}

int oci_get_i64(struct json_object *obj, const char *key, const char *path, bool *present,
                int64_t *out, kata_error *err)
{
        struct json_object *v;
        int r = get_integer(obj, key, path, &v, err);
        if (r < 0 || !v)
                return r;
        errno = 0;
        int64_t x = json_object_get_int64(v);
        if (errno == ERANGE)
                return kata_error_set(err, ERANGE, "%s: integer out of range", path);
        *out = x;
        if (present)
                *present = true;
        return 0;
}

int oci_get_u64(struct json_object *obj, const char *key, const char *path, bool *present,
                uint64_t *out, kata_error *err)
{
        struct json_object *v;
        int r = get_integer(obj, key, path, &v, err);
        if (r < 0 || !v)
                return r;
        errno = 0;
        int64_t as_signed = json_object_get_int64(v);
        if (errno != ERANGE && as_signed < 0)
                return kata_error_set(err, EINVAL, "%s: expected non-negative integer", path);
        errno = 0;
        uint64_t x = json_object_get_uint64(v);
        if (errno == ERANGE)
                return kata_error_set(err, ERANGE, "%s: integer out of range", path);
        *out = x;
        if (present)
                *present = true;
        return 0;
}

int oci_get_u32(struct json_object *obj, const char *key, const char *path, uint32_t *out,
                kata_error *err)
{
        uint64_t x = 0;
        bool present = false;
        int r = oci_get_u64(obj, key, path, &present, &x, err);
        if (r < 0 || !present)
                return r;
        if (x > UINT32_MAX)
                return kata_error_set(err, ERANGE, "%s: integer out of range", path);
        *out = (uint32_t)x;
        return 0;
}

int oci_get_array(struct json_object *obj, const char *key, const char *path,
                  struct json_object **out, kata_error *err)
{
        struct json_object *v = oci_member(obj, key);
        *out = NULL;
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return kata_error_set(err, EINVAL, "%s: expected array", path);
        *out = v;
        return 0;
}

void oci_free_string_array(char **arr)
{
        if (!arr)
                return;
        for (char **p = arr; *p; p++)
                free(*p);
        free(arr);
}

int oci_get_string_array(struct json_object *obj, const char *key, const char *path, char ***out,
                         size_t *n, kata_error *err)
{
        struct json_object *v = oci_member(obj, key);
        size_t len = 0;
        if (v && !json_object_is_type(v, json_type_array))
                return kata_error_set(err, EINVAL, "%s: expected array of strings", path);
        if (v)
                len = json_object_array_length(v);
        char **arr = calloc(len + 1, sizeof(*arr));
        if (!arr)
                return kata_error_set(err, ENOMEM, "%s: out of memory", path);
        for (size_t i = 0; i < len; i++) {
                struct json_object *e = json_object_array_get_idx(v, i);
                if (!e || !json_object_is_type(e, json_type_string)) {
                        oci_free_string_array(arr);
                        return kata_error_set(err, EINVAL, "%s: expected array of strings", path);
                }
                const char *s = json_object_get_string(e);
                if (strlen(s) != (size_t)json_object_get_string_len(e)) {
                        oci_free_string_array(arr);
                        return kata_error_set(err, EINVAL, "%s[%zu]: string contains a NUL byte",
                                              path, i);
                }
                arr[i] = strdup(s);
                if (!arr[i]) {
                        oci_free_string_array(arr);
                        return kata_error_set(err, ENOMEM, "%s: out of memory", path);
                }
        }
        oci_free_string_array(*out);
        *out = arr;
        if (n)
                *n = len;
        return 0;
}
