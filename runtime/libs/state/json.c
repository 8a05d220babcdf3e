/* state.json: serialization and validated parsing (schema in README.md). */
#include "state/state.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* ---- Validation shared by both directions ------------------------------------------ */

static int validate_container(const kata_container_state *c, size_t i, kata_error *err)
{
        if (!kata_id_is_valid(c->id))
                return kata_error_set(err, EINVAL, "containers[%zu].id: invalid id '%.*s'", i,
                                      KATA_STATE_ID_MAX, c->id);
        if (!kata_container_status_name(c->status))
                return kata_error_set(err, EINVAL, "containers[%zu].status: invalid value %d", i,
                                      (int)c->status);
        if (c->pid < 0 || c->ns_pid < 0 || c->created_ns < 0)
                return kata_error_set(err, EINVAL,
                                      "containers[%zu]: pid, ns_pid and created_ns must not be "
                                      "negative",
                                      i);
        if (c->has_exit_status && (c->exit_status < 0 || c->exit_status > 255))
                return kata_error_set(err, EINVAL, "containers[%zu].exit_status: %d not in 0..255",
                                      i, c->exit_status);
        return 0;
}

static int validate(const kata_sandbox_state *st, kata_error *err)
{
        if (!kata_id_is_valid(st->id))
                return kata_error_set(err, EINVAL, "id: invalid sandbox id '%.*s'",
                                      KATA_STATE_ID_MAX, st->id);
        if (!kata_sandbox_status_name(st->status))
                return kata_error_set(err, EINVAL, "state: invalid value %d", (int)st->status);
        if (st->agent_pid < 0 || st->vmm_pid < 0 || st->created_ns < 0)
                return kata_error_set(err, EINVAL, "pids and created_ns must not be negative");
        if (st->cgroup_version < 0 || st->cgroup_version > 2)
                return kata_error_set(err, EINVAL, "cgroups.version: %d is not 0, 1 or 2",
                                      st->cgroup_version);
        if (st->cgroup_version == 0 && st->ncgroups > 0)
                return kata_error_set(err, EINVAL,
                                      "cgroups.version: 0 (none) but cgroup paths are given");
        for (size_t i = 0; i < st->ncgroups; i++) {
                bool unified = strcmp(st->cgroups[i].controller, "unified") == 0;
                if (!st->cgroups[i].controller[0])
                        return kata_error_set(err, EINVAL, "cgroups.paths: empty controller name");
                if (st->cgroup_version == 2 && !unified)
                        return kata_error_set(err, EINVAL,
                                              "cgroups.paths.%s: cgroup v2 has one path, named "
                                              "'unified'",
                                              st->cgroups[i].controller);
                if (st->cgroup_version == 1 && unified)
                        return kata_error_set(err, EINVAL,
                                              "cgroups.paths.unified: only valid with version 2");
        }
        for (size_t i = 0; i < st->ncontainers; i++) {
                int r = validate_container(&st->containers[i], i, err);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < i; j++) {
                        if (strcmp(st->containers[j].id, st->containers[i].id) == 0)
                                return kata_error_set(err, EINVAL,
                                                      "containers[%zu].id: '%s' appears twice", i,
                                                      st->containers[i].id);
                }
        }
        return 0;
}

/* ---- Serialization ----------------------------------------------------------------- */

static int add(json_object *o, const char *key, json_object *v)
{
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int add_container(json_object *arr, const kata_container_state *c)
{
        json_object *o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        int r = 0;
        r |= add(o, "id", json_object_new_string(c->id));
        r |= add(o, "bundle", json_object_new_string(c->bundle));
        r |= add(o, "status", json_object_new_string(kata_container_status_name(c->status)));
        r |= add(o, "pid", json_object_new_int64(c->pid));
        r |= add(o, "ns_pid", json_object_new_int64(c->ns_pid));
        r |= add(o, "created_ns", json_object_new_int64(c->created_ns));
        r |= add(o, "cgroup_path", json_object_new_string(c->cgroup_path));
        if (c->has_exit_status)
                r |= add(o, "exit_status", json_object_new_int(c->exit_status));
        if (r == 0 && json_object_array_add(arr, o) == 0)
                return 0;
        json_object_put(o);
        return -ENOMEM;
}

static json_object *build(const kata_sandbox_state *st)
{
        json_object *o = json_object_new_object();
        json_object *pids = json_object_new_object();
        json_object *cg = json_object_new_object();
        json_object *paths = json_object_new_object();
        json_object *containers = json_object_new_array();
        int r = (o && pids && cg && paths && containers) ? 0 : -ENOMEM;
        if (r < 0) {
                json_object_put(o);
                json_object_put(pids);
                json_object_put(cg);
                json_object_put(paths);
                json_object_put(containers);
                return NULL;
        }
        r |= add(o, "version", json_object_new_int(KATA_STATE_VERSION));
        r |= add(o, "id", json_object_new_string(st->id));
        r |= add(o, "hypervisor", json_object_new_string(st->hypervisor));
        r |= add(o, "state", json_object_new_string(kata_sandbox_status_name(st->status)));
        r |= add(o, "created_ns", json_object_new_int64(st->created_ns));
        r |= add(o, "agent_address", json_object_new_string(st->agent_address));
        r |= add(pids, "agent", json_object_new_int64(st->agent_pid));
        if (st->vmm_pid > 0)
                r |= add(pids, "vmm", json_object_new_int64(st->vmm_pid));
        r |= add(o, "pids", pids);
        r |= add(cg, "version", json_object_new_int(st->cgroup_version));
        for (size_t i = 0; i < st->ncgroups; i++)
                r |= add(paths, st->cgroups[i].controller,
                         json_object_new_string(st->cgroups[i].path));
        r |= add(cg, "paths", paths);
        r |= add(o, "cgroups", cg);
        for (size_t i = 0; i < st->ncontainers; i++)
                r |= add_container(containers, &st->containers[i]);
        r |= add(o, "containers", containers);
        if (r != 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

int kata_sandbox_state_to_json(const kata_sandbox_state *st, char **out, kata_error *err)
{
        int r = validate(st, err);
        if (r < 0)
                return kata_error_prefix(err, "sandbox state");
        json_object *o = build(st);
        if (!o)
                return kata_error_set(err, ENOMEM, "out of memory serializing sandbox %s", st->id);
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
        char *copy = s ? malloc(strlen(s) + 2) : NULL;
        if (!copy) {
                json_object_put(o);
                return kata_error_set(err, ENOMEM, "out of memory serializing sandbox %s", st->id);
        }
        size_t n = strlen(s);
        memcpy(copy, s, n);
        copy[n] = '\n';
        copy[n + 1] = '\0';
        json_object_put(o);
        *out = copy;
        return 0;
}

/* ---- Parsing ----------------------------------------------------------------------- */

/* Field getters: name the field in every error; `field` is the full dotted path. */

static int get_member(json_object *obj, const char *key, bool required, const char *field,
                      json_object **out, kata_error *err)
{
        *out = NULL;
        if (!json_object_object_get_ex(obj, key, out) || !*out) {
                *out = NULL;
                if (required)
                        return kata_error_set(err, EINVAL, "%s: missing", field);
        }
        return 0;
}

static int get_string(json_object *obj, const char *key, bool required, const char *field,
                      char *dst, size_t size, kata_error *err)
{
        json_object *v;
        int r = get_member(obj, key, required, field, &v, err);
        if (r < 0 || !v) {
                if (!v && r == 0)
                        dst[0] = '\0';
                return r;
        }
        if (!json_object_is_type(v, json_type_string))
                return kata_error_set(err, EINVAL, "%s: expected a string", field);
        const char *s = json_object_get_string(v);
        size_t n = (size_t)json_object_get_string_len(v);
        if (strlen(s) != n)
                return kata_error_set(err, EINVAL, "%s: contains a NUL byte", field);
        if (n >= size)
                return kata_error_set(err, EINVAL, "%s: %zu bytes, at most %zu allowed", field, n,
                                      size - 1);
        memcpy(dst, s, n + 1);
        return 0;
}

static int get_int(json_object *obj, const char *key, bool required, const char *field, int64_t min,
                   int64_t max, int64_t *out, kata_error *err)
{
        json_object *v;
        int r = get_member(obj, key, required, field, &v, err);
        if (r < 0)
                return r;
        if (!v) {
                *out = 0;
                return 0;
        }
        if (!json_object_is_type(v, json_type_int))
                return kata_error_set(err, EINVAL, "%s: expected an integer", field);
        errno = 0;
        int64_t n = json_object_get_int64(v);
        /* json-c saturates values beyond int64 and reports it through errno. */
        if (errno == ERANGE || n < min || n > max)
                return kata_error_set(err, EINVAL,
                                      "%s: %" PRId64 " out of range %" PRId64 "..%" PRId64, field,
                                      n, min, max);
        *out = n;
        return 0;
}

static int get_object(json_object *obj, const char *key, bool required, const char *field,
                      json_object **out, kata_error *err)
{
        int r = get_member(obj, key, required, field, out, err);
        if (r < 0 || !*out)
                return r;
        if (!json_object_is_type(*out, json_type_object))
                return kata_error_set(err, EINVAL, "%s: expected an object", field);
        return 0;
}

static int parse_container(json_object *o, size_t i, kata_container_state *c, kata_error *err)
{
        char f[64];
        memset(c, 0, sizeof(*c));
        if (!json_object_is_type(o, json_type_object))
                return kata_error_set(err, EINVAL, "containers[%zu]: expected an object", i);
#define FIELD(name) (snprintf(f, sizeof(f), "containers[%zu].%s", i, name), f)
        int r = get_string(o, "id", true, FIELD("id"), c->id, sizeof(c->id), err);
        if (r < 0)
                return r;
        if (!kata_id_is_valid(c->id))
                return kata_error_set(err, EINVAL, "containers[%zu].id: invalid id '%s'", i, c->id);
        char status[KATA_STATE_NAME_MAX];
        if ((r = get_string(o, "status", true, FIELD("status"), status, sizeof(status), err)) < 0)
                return r;
        if (kata_container_status_parse(status, &c->status) < 0)
                return kata_error_set(err, EINVAL,
                                      "containers[%zu].status: '%s' is not created, running, "
                                      "paused or stopped",
                                      i, status);
        if ((r = get_string(o, "bundle", false, FIELD("bundle"), c->bundle, sizeof(c->bundle),
                            err)) < 0 ||
            (r = get_int(o, "pid", false, FIELD("pid"), 0, INT32_MAX, &c->pid, err)) < 0 ||
            (r = get_int(o, "ns_pid", false, FIELD("ns_pid"), 0, INT32_MAX, &c->ns_pid, err)) < 0 ||
            (r = get_int(o, "created_ns", false, FIELD("created_ns"), 0, INT64_MAX, &c->created_ns,
                         err)) < 0 ||
            (r = get_string(o, "cgroup_path", false, FIELD("cgroup_path"), c->cgroup_path,
                            sizeof(c->cgroup_path), err)) < 0)
                return r;
        json_object *ex;
        if (json_object_object_get_ex(o, "exit_status", &ex) && ex) {
                int64_t v;
                if ((r = get_int(o, "exit_status", true, FIELD("exit_status"), 0, 255, &v, err)) <
                    0)
                        return r;
                c->has_exit_status = true;
                c->exit_status = (int)v;
        }
#undef FIELD
        return 0;
}

static int parse_cgroups(json_object *root, kata_sandbox_state *st, kata_error *err)
{
        json_object *cg, *paths;
        int r = get_object(root, "cgroups", false, "cgroups", &cg, err);
        if (r < 0 || !cg)
                return r;
        int64_t v;
        if ((r = get_int(cg, "version", true, "cgroups.version", 0, 2, &v, err)) < 0)
                return r;
        st->cgroup_version = (int)v;
        if ((r = get_object(cg, "paths", false, "cgroups.paths", &paths, err)) < 0 || !paths)
                return r;
        char f[KATA_STATE_NAME_MAX + 32];
        json_object_object_foreach(paths, key, val)
        {
                snprintf(f, sizeof(f), "cgroups.paths.%.*s", KATA_STATE_NAME_MAX, key);
                if (!json_object_is_type(val, json_type_string))
                        return kata_error_set(err, EINVAL, "%s: expected a string", f);
                const char *p = json_object_get_string(val);
                if (strlen(p) != (size_t)json_object_get_string_len(val))
                        return kata_error_set(err, EINVAL, "%s: contains a NUL byte", f);
                if ((r = kata_sandbox_state_set_cgroup(st, key, p, err)) < 0)
                        return kata_error_prefix(err, "%s", f);
        }
        return 0;
}

static int parse_root(json_object *root, kata_sandbox_state *st, kata_error *err)
{
        if (!json_object_is_type(root, json_type_object))
                return kata_error_set(err, EINVAL, "expected a JSON object at the top level");
        int64_t v;
        int r = get_int(root, "version", true, "version", INT32_MIN, INT32_MAX, &v, err);
        if (r < 0)
                return r;
        if (v > KATA_STATE_VERSION)
                return kata_error_set(err, EPROTONOSUPPORT,
                                      "version: %" PRId64 " is newer than this build supports (%d)",
                                      v, KATA_STATE_VERSION);
        if (v < 1)
                return kata_error_set(err, EINVAL, "version: %" PRId64 " is not a valid version",
                                      v);
        st->version = (int)v;
        if ((r = get_string(root, "id", true, "id", st->id, sizeof(st->id), err)) < 0)
                return r;
        if (!kata_id_is_valid(st->id))
                return kata_error_set(err, EINVAL, "id: invalid sandbox id '%s'", st->id);
        if ((r = get_string(root, "hypervisor", true, "hypervisor", st->hypervisor,
                            sizeof(st->hypervisor), err)) < 0)
                return r;
        char status[KATA_STATE_NAME_MAX];
        if ((r = get_string(root, "state", true, "state", status, sizeof(status), err)) < 0)
                return r;
        if (kata_sandbox_status_parse(status, &st->status) < 0)
                return kata_error_set(err, EINVAL, "state: '%s' is not created, running or stopped",
                                      status);
        if ((r = get_int(root, "created_ns", true, "created_ns", 0, INT64_MAX, &st->created_ns,
                         err)) < 0 ||
            (r = get_string(root, "agent_address", false, "agent_address", st->agent_address,
                            sizeof(st->agent_address), err)) < 0)
                return r;
        json_object *pids;
        if ((r = get_object(root, "pids", false, "pids", &pids, err)) < 0)
                return r;
        if (pids &&
            ((r = get_int(pids, "agent", false, "pids.agent", 0, INT32_MAX, &st->agent_pid, err)) <
                 0 ||
             (r = get_int(pids, "vmm", false, "pids.vmm", 0, INT32_MAX, &st->vmm_pid, err)) < 0))
                return r;
        if ((r = parse_cgroups(root, st, err)) < 0)
                return r;
        json_object *arr;
        if ((r = get_member(root, "containers", true, "containers", &arr, err)) < 0)
                return r;
        if (!json_object_is_type(arr, json_type_array))
                return kata_error_set(err, EINVAL, "containers: expected an array");
        size_t n = json_object_array_length(arr);
        for (size_t i = 0; i < n; i++) {
                kata_container_state c;
                if ((r = parse_container(json_object_array_get_idx(arr, i), i, &c, err)) < 0)
                        return r;
                if (kata_sandbox_state_find_container(st, c.id))
                        return kata_error_set(err, EINVAL, "containers[%zu].id: '%s' appears twice",
                                              i, c.id);
                if ((r = kata_sandbox_state_add_container(st, &c, err)) < 0)
                        return r;
        }
        return validate(st, err);
}

int kata_sandbox_state_from_json(const char *text, size_t len, kata_sandbox_state *st,
                                 kata_error *err)
{
        kata_sandbox_state_init(st);
        if (len > KATA_STATE_MAX_SIZE)
                return kata_error_set(err, EFBIG, "state is %zu bytes, at most %u allowed", len,
                                      KATA_STATE_MAX_SIZE);
        if (len > INT32_MAX)
                return kata_error_set(err, EFBIG, "state too large");
        json_tokener *tok = json_tokener_new_ex(32);
        if (!tok)
                return kata_error_set(err, ENOMEM, "out of memory");
        json_object *root = json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (!root || jerr != json_tokener_success) {
                json_object_put(root);
                if (jerr == json_tokener_continue)
                        return kata_error_set(err, EINVAL, "invalid JSON: truncated document");
                return kata_error_set(err, EINVAL, "invalid JSON at byte %zu: %s", end,
                                      json_tokener_error_desc(jerr));
        }
        for (size_t i = end; i < len; i++) {
                char ch = text[i];
                if (ch != ' ' && ch != '\n' && ch != '\t' && ch != '\r') {
                        json_object_put(root);
                        return kata_error_set(err, EINVAL,
                                              "invalid JSON: junk after the document "
                                              "at byte %zu",
                                              i);
                }
        }
        int r = parse_root(root, st, err);
        json_object_put(root);
        if (r < 0)
                kata_sandbox_state_free(st);
        return r;
}
