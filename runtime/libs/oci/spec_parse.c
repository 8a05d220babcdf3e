/* config.json -> kata_oci_spec. Each section has its own parse_* function that receives
 * the JSON object and the dotted path used in error messages. */
#include "oci/oci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <json-c/json.h>

#include "common/util.h"
#include "oci/json_field.h"

#define TRY(expr)                                                                                  \
        do {                                                                                       \
                int r_ = (expr);                                                                   \
                if (r_ < 0)                                                                        \
                        return r_;                                                                 \
        } while (0)

static const struct {
        const char *name;
        int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

int kata_oci_capability_number(const char *name)
{
        for (size_t i = 0; i < KATA_ARRAY_SIZE(cap_names); i++)
                if (strcmp(cap_names[i], name) == 0)
                        return (int)i;
        return -1;
}

static int parse_cap_set(struct json_object *caps, const char *key, uint64_t *mask, kata_error *err)
{
        char path[64];
        snprintf(path, sizeof(path), "process.capabilities.%s", key);
        char **names = NULL;
        size_t n = 0;
        TRY(oci_get_string_array(caps, key, path, &names, &n, err));
        int r = 0;
        for (size_t i = 0; i < n && r == 0; i++) {
                int cap = kata_oci_capability_number(names[i]);
                if (cap < 0)
                        r = kata_error_set(err, EINVAL, "%s[%zu]: unknown capability '%s'", path, i,
                                           names[i]);
                else
                        *mask |= UINT64_C(1) << cap;
        }
        oci_free_string_array(names);
        return r;
}

static const char *const ns_names[] = {
    [KATA_OCI_NS_PID] = "pid",       [KATA_OCI_NS_NETWORK] = "network",
    [KATA_OCI_NS_MOUNT] = "mount",   [KATA_OCI_NS_IPC] = "ipc",
    [KATA_OCI_NS_UTS] = "uts",       [KATA_OCI_NS_USER] = "user",
    [KATA_OCI_NS_CGROUP] = "cgroup",
};

static int require_absolute(const char *value, const char *path, kata_error *err)
{
        if (!value || value[0] != '/')
                return kata_error_set(err, EINVAL, "%s: expected an absolute path, got '%s'", path,
                                      value ? value : "");
        return 0;
}

static int parse_user(struct json_object *user, kata_oci_process *p, kata_error *err)
{
        TRY(oci_get_u32(user, "uid", "process.user.uid", &p->uid, err));
        TRY(oci_get_u32(user, "gid", "process.user.gid", &p->gid, err));
        struct json_object *gids;
        TRY(oci_get_array(user, "additionalGids", "process.user.additionalGids", &gids, err));
        if (!gids)
                return 0;
        size_t n = json_object_array_length(gids);
        p->additional_gids = calloc(n ? n : 1, sizeof(uint32_t));
        if (!p->additional_gids)
                return kata_error_set(err, ENOMEM, "process.user.additionalGids: out of memory");
        for (size_t i = 0; i < n; i++) {
                struct json_object *g = json_object_array_get_idx(gids, i);
                int64_t v = -1;
                errno = 0;
                if (g && json_object_is_type(g, json_type_int))
                        v = json_object_get_int64(g);
                if (v < 0 || v > UINT32_MAX || errno == ERANGE)
                        return kata_error_set(err, EINVAL,
                                              "process.user.additionalGids[%zu]: expected "
                                              "integer in 0..4294967295",
                                              i);
                p->additional_gids[i] = (uint32_t)v;
                p->n_additional_gids = i + 1;
        }
        return 0;
}

static int parse_rlimits(struct json_object *arr, kata_oci_process *p, kata_error *err)
{
        size_t n = json_object_array_length(arr);
        p->rlimits = calloc(n ? n : 1, sizeof(*p->rlimits));
        if (!p->rlimits)
                return kata_error_set(err, ENOMEM, "process.rlimits: out of memory");
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(arr, i);
                char path[64];
                snprintf(path, sizeof(path), "process.rlimits[%zu]", i);
                if (!e || !json_object_is_type(e, json_type_object))
                        return kata_error_set(err, EINVAL, "%s: expected object", path);
                char *type = NULL;
                char field[96];
                snprintf(field, sizeof(field), "%s.type", path);
                TRY(oci_get_string(e, "type", field, &type, err));
                if (!type)
                        return kata_error_set(err, EINVAL, "%s: missing", field);
                int resource = -1;
                for (size_t k = 0; k < KATA_ARRAY_SIZE(rlimit_names); k++)
                        if (strcmp(rlimit_names[k].name, type) == 0)
                                resource = rlimit_names[k].resource;
                if (resource < 0) {
                        kata_error_set(err, EINVAL, "%s: unknown rlimit '%s'", field, type);
                        free(type);
                        return -EINVAL;
                }
                free(type);
                kata_oci_rlimit *rl = &p->rlimits[i];
                rl->resource = resource;
                bool has_soft = false, has_hard = false;
                snprintf(field, sizeof(field), "%s.soft", path);
                TRY(oci_get_u64(e, "soft", field, &has_soft, &rl->soft, err));
                snprintf(field, sizeof(field), "%s.hard", path);
                TRY(oci_get_u64(e, "hard", field, &has_hard, &rl->hard, err));
                if (!has_soft || !has_hard)
                        return kata_error_set(err, EINVAL, "%s: needs both soft and hard", path);
                if (rl->soft > rl->hard)
                        return kata_error_set(err, EINVAL, "%s: soft limit above hard limit", path);
                p->n_rlimits = i + 1;
        }
        return 0;
}

static int parse_process(struct json_object *proc, kata_oci_process *p, kata_error *err)
{
        if (!proc)
                return kata_error_set(err, EINVAL, "process: missing");
        TRY(oci_get_bool(proc, "terminal", "process.terminal", &p->terminal, err));
        struct json_object *console;
        TRY(oci_get_object(proc, "consoleSize", "process.consoleSize", &console, err));
        TRY(oci_get_u32(console, "height", "process.consoleSize.height", &p->console_height, err));
        TRY(oci_get_u32(console, "width", "process.consoleSize.width", &p->console_width, err));
        struct json_object *user;
        TRY(oci_get_object(proc, "user", "process.user", &user, err));
        if (user)
                TRY(parse_user(user, p, err));
        TRY(oci_get_string_array(proc, "args", "process.args", &p->args, &p->n_args, err));
        if (p->n_args == 0)
                return kata_error_set(err, EINVAL, "process.args: must name a program");
        TRY(oci_get_string_array(proc, "env", "process.env", &p->env, &p->n_env, err));
        for (size_t i = 0; i < p->n_env; i++)
                if (!strchr(p->env[i], '=') || p->env[i][0] == '=')
                        return kata_error_set(err, EINVAL,
                                              "process.env[%zu]: expected KEY=value, got '%s'", i,
                                              p->env[i]);
        TRY(oci_get_string(proc, "cwd", "process.cwd", &p->cwd, err));
        if (!p->cwd)
                return kata_error_set(err, EINVAL, "process.cwd: missing");
        TRY(require_absolute(p->cwd, "process.cwd", err));
        struct json_object *rlimits;
        TRY(oci_get_array(proc, "rlimits", "process.rlimits", &rlimits, err));
        if (rlimits)
                TRY(parse_rlimits(rlimits, p, err));
        TRY(oci_get_bool(proc, "noNewPrivileges", "process.noNewPrivileges", &p->no_new_privileges,
                         err));
        struct json_object *caps;
        TRY(oci_get_object(proc, "capabilities", "process.capabilities", &caps, err));
        if (caps) {
                p->caps.set = true;
                TRY(parse_cap_set(caps, "bounding", &p->caps.bounding, err));
                TRY(parse_cap_set(caps, "effective", &p->caps.effective, err));
                TRY(parse_cap_set(caps, "inheritable", &p->caps.inheritable, err));
                TRY(parse_cap_set(caps, "permitted", &p->caps.permitted, err));
                TRY(parse_cap_set(caps, "ambient", &p->caps.ambient, err));
        }
        return 0;
}

static int parse_mounts(struct json_object *arr, kata_oci_spec *spec, kata_error *err)
{
        size_t n = json_object_array_length(arr);
        spec->mounts = calloc(n ? n : 1, sizeof(*spec->mounts));
        if (!spec->mounts)
                return kata_error_set(err, ENOMEM, "mounts: out of memory");
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(arr, i);
                kata_oci_mount *m = &spec->mounts[i];
                spec->n_mounts = i + 1;
                char path[64], field[96];
                snprintf(path, sizeof(path), "mounts[%zu]", i);
                if (!e || !json_object_is_type(e, json_type_object))
                        return kata_error_set(err, EINVAL, "%s: expected object", path);
                snprintf(field, sizeof(field), "%s.destination", path);
                TRY(oci_get_string(e, "destination", field, &m->destination, err));
                if (!m->destination)
                        return kata_error_set(err, EINVAL, "%s: missing", field);
                TRY(require_absolute(m->destination, field, err));
                snprintf(field, sizeof(field), "%s.type", path);
                TRY(oci_get_string(e, "type", field, &m->type, err));
                snprintf(field, sizeof(field), "%s.source", path);
                TRY(oci_get_string(e, "source", field, &m->source, err));
                snprintf(field, sizeof(field), "%s.options", path);
                TRY(oci_get_string_array(e, "options", field, &m->options, &m->n_options, err));
        }
        return 0;
}

static int parse_namespaces(struct json_object *arr, kata_oci_linux *lx, kata_error *err)
{
        size_t n = json_object_array_length(arr);
        lx->namespaces = calloc(n ? n : 1, sizeof(*lx->namespaces));
        if (!lx->namespaces)
                return kata_error_set(err, ENOMEM, "linux.namespaces: out of memory");
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(arr, i);
                kata_oci_namespace *ns = &lx->namespaces[i];
                lx->n_namespaces = i + 1;
                char path[64], field[96];
                snprintf(path, sizeof(path), "linux.namespaces[%zu]", i);
                if (!e || !json_object_is_type(e, json_type_object))
                        return kata_error_set(err, EINVAL, "%s: expected object", path);
                char *type = NULL;
                snprintf(field, sizeof(field), "%s.type", path);
                TRY(oci_get_string(e, "type", field, &type, err));
                if (!type)
                        return kata_error_set(err, EINVAL, "%s: missing", field);
                int found = -1;
                for (size_t k = 0; k < KATA_ARRAY_SIZE(ns_names); k++)
                        if (strcmp(ns_names[k], type) == 0)
                                found = (int)k;
                if (found < 0) {
                        kata_error_set(err, EINVAL, "%s: unknown namespace type '%s'", field, type);
                        free(type);
                        return -EINVAL;
                }
                free(type);
                for (size_t k = 0; k < i; k++)
                        if ((int)lx->namespaces[k].type == found)
                                return kata_error_set(err, EINVAL, "%s: duplicate '%s' namespace",
                                                      path, ns_names[found]);
                ns->type = (enum kata_oci_ns_type)found;
                snprintf(field, sizeof(field), "%s.path", path);
                TRY(oci_get_string(e, "path", field, &ns->path, err));
                if (ns->path)
                        TRY(require_absolute(ns->path, field, err));
        }
        return 0;
}

static int parse_device_rule(struct json_object *e, size_t i, kata_oci_device_rule *d,
                             kata_error *err)
{
        char path[80], field[96];
        snprintf(path, sizeof(path), "linux.resources.devices[%zu]", i);
        if (!e || !json_object_is_type(e, json_type_object))
                return kata_error_set(err, EINVAL, "%s: expected object", path);
        /* Absent means deny: a protobuf Spec drops a false "allow". */
        snprintf(field, sizeof(field), "%s.allow", path);
        d->allow = false;
        TRY(oci_get_bool(e, "allow", field, &d->allow, err));
        char *type = NULL, *access = NULL;
        snprintf(field, sizeof(field), "%s.type", path);
        TRY(oci_get_string(e, "type", field, &type, err));
        d->type = 'a';
        if (type && type[0]) {
                bool ok = strlen(type) == 1 && strchr("abc", type[0]);
                d->type = type[0];
                free(type);
                if (!ok)
                        return kata_error_set(err, EINVAL, "%s: expected a, b or c", field);
        } else {
                free(type);
        }
        d->major = d->minor = -1;
        bool present = false;
        snprintf(field, sizeof(field), "%s.major", path);
        TRY(oci_get_i64(e, "major", field, &present, &d->major, err));
        snprintf(field, sizeof(field), "%s.minor", path);
        TRY(oci_get_i64(e, "minor", field, &present, &d->minor, err));
        if (d->major < -1 || d->minor < -1)
                return kata_error_set(err, EINVAL, "%s: major and minor must be -1 or more", path);
        snprintf(field, sizeof(field), "%s.access", path);
        TRY(oci_get_string(e, "access", field, &access, err));
        snprintf(d->access, sizeof(d->access), "rwm");
        if (access && access[0]) {
                bool ok = strlen(access) <= 3 && strspn(access, "rwm") == strlen(access);
                snprintf(d->access, sizeof(d->access), "%.3s", access);
                free(access);
                if (!ok)
                        return kata_error_set(err, EINVAL, "%s: expected letters of \"rwm\"",
                                              field);
        } else {
                free(access);
        }
        return 0;
}

static int parse_resources(struct json_object *res, kata_oci_resources *r, kata_error *err)
{
        struct json_object *devices;
        TRY(oci_get_array(res, "devices", "linux.resources.devices", &devices, err));
        if (devices) {
                size_t n = json_object_array_length(devices);
                r->devices = calloc(n ? n : 1, sizeof(*r->devices));
                if (!r->devices)
                        return kata_error_set(err, ENOMEM, "out of memory");
                for (size_t i = 0; i < n; i++) {
                        TRY(parse_device_rule(json_object_array_get_idx(devices, i), i,
                                              &r->devices[i], err));
                        r->n_devices = i + 1;
                }
        }
        struct json_object *mem, *cpu, *pids;
        TRY(oci_get_object(res, "memory", "linux.resources.memory", &mem, err));
        TRY(oci_get_i64(mem, "limit", "linux.resources.memory.limit", &r->has_memory_limit,
                        &r->memory_limit, err));
        TRY(oci_get_i64(mem, "reservation", "linux.resources.memory.reservation",
                        &r->has_memory_reservation, &r->memory_reservation, err));
        TRY(oci_get_i64(mem, "swap", "linux.resources.memory.swap", &r->has_memory_swap,
                        &r->memory_swap, err));
        TRY(oci_get_object(res, "cpu", "linux.resources.cpu", &cpu, err));
        TRY(oci_get_u64(cpu, "shares", "linux.resources.cpu.shares", &r->has_cpu_shares,
                        &r->cpu_shares, err));
        TRY(oci_get_i64(cpu, "quota", "linux.resources.cpu.quota", &r->has_cpu_quota, &r->cpu_quota,
                        err));
        TRY(oci_get_u64(cpu, "period", "linux.resources.cpu.period", &r->has_cpu_period,
                        &r->cpu_period, err));
        TRY(oci_get_string(cpu, "cpus", "linux.resources.cpu.cpus", &r->cpuset_cpus, err));
        TRY(oci_get_string(cpu, "mems", "linux.resources.cpu.mems", &r->cpuset_mems, err));
        TRY(oci_get_object(res, "pids", "linux.resources.pids", &pids, err));
        TRY(oci_get_i64(pids, "limit", "linux.resources.pids.limit", &r->has_pids_limit,
                        &r->pids_limit, err));
        return 0;
}

static int parse_linux(struct json_object *lxo, kata_oci_linux *lx, kata_error *err)
{
        struct json_object *arr, *res;
        TRY(oci_get_array(lxo, "namespaces", "linux.namespaces", &arr, err));
        if (arr)
                TRY(parse_namespaces(arr, lx, err));
        TRY(oci_get_string(lxo, "cgroupsPath", "linux.cgroupsPath", &lx->cgroups_path, err));
        TRY(oci_get_object(lxo, "resources", "linux.resources", &res, err));
        if (res)
                TRY(parse_resources(res, &lx->resources, err));
        TRY(oci_get_string_array(lxo, "maskedPaths", "linux.maskedPaths", &lx->masked_paths,
                                 &lx->n_masked_paths, err));
        TRY(oci_get_string_array(lxo, "readonlyPaths", "linux.readonlyPaths", &lx->readonly_paths,
                                 &lx->n_readonly_paths, err));
        return 0;
}

static int parse_spec(struct json_object *root, kata_oci_spec *spec, kata_error *err)
{
        if (!root || !json_object_is_type(root, json_type_object))
                return kata_error_set(err, EINVAL, "config: expected a JSON object");
        TRY(oci_get_string(root, "ociVersion", "ociVersion", &spec->oci_version, err));
        struct json_object *rootfs, *proc, *mounts, *lxo;
        TRY(oci_get_object(root, "root", "root", &rootfs, err));
        if (!rootfs)
                return kata_error_set(err, EINVAL, "root: missing");
        TRY(oci_get_string(rootfs, "path", "root.path", &spec->root_path, err));
        if (!spec->root_path || !spec->root_path[0])
                return kata_error_set(err, EINVAL, "root.path: missing");
        TRY(oci_get_bool(rootfs, "readonly", "root.readonly", &spec->root_readonly, err));
        TRY(oci_get_string(root, "hostname", "hostname", &spec->hostname, err));
        TRY(oci_get_object(root, "process", "process", &proc, err));
        TRY(parse_process(proc, &spec->process, err));
        TRY(oci_get_array(root, "mounts", "mounts", &mounts, err));
        if (mounts)
                TRY(parse_mounts(mounts, spec, err));
        TRY(oci_get_object(root, "linux", "linux", &lxo, err));
        if (lxo)
                TRY(parse_linux(lxo, &spec->linux, err));
        /* Arrays that were absent still get an empty NULL-terminated array, so that users
         * can iterate them without NULL checks. */
        if (!spec->linux.masked_paths)
                TRY(oci_get_string_array(NULL, "", "", &spec->linux.masked_paths, NULL, err));
        if (!spec->linux.readonly_paths)
                TRY(oci_get_string_array(NULL, "", "", &spec->linux.readonly_paths, NULL, err));
        return 0;
}

int kata_oci_process_from_json(struct json_object *obj, kata_oci_process *out, kata_error *err)
{
        if (obj && !json_object_is_type(obj, json_type_object))
                return kata_error_set(err, EINVAL, "process: expected object");
        int r = parse_process(obj, out, err);
        if (r < 0)
                kata_oci_process_clear(out);
        return r;
}

int kata_oci_resources_from_json(struct json_object *obj, kata_oci_resources *out, kata_error *err)
{
        if (obj && !json_object_is_type(obj, json_type_object))
                return kata_error_set(err, EINVAL, "linux.resources: expected object");
        int r = parse_resources(obj, out, err);
        if (r < 0)
                kata_oci_resources_clear(out);
        return r;
}

int kata_oci_spec_from_json(struct json_object *root, kata_oci_spec **out, kata_error *err)
{
        kata_oci_spec *spec = calloc(1, sizeof(*spec));
        if (!spec)
                return kata_error_set(err, ENOMEM, "out of memory");
        int r = parse_spec(root, spec, err);
        if (r < 0) {
                kata_oci_spec_free(spec);
                return r;
        }
        *out = spec;
        return 0;
}

int kata_oci_spec_parse(const char *json, size_t len, kata_oci_spec **out, kata_error *err)
{
        if (len > KATA_OCI_CONFIG_MAX)
                return kata_error_set(err, EFBIG, "config is larger than %u bytes",
                                      KATA_OCI_CONFIG_MAX);
        struct json_tokener *tok = json_tokener_new();
        if (!tok)
                return kata_error_set(err, ENOMEM, "out of memory");
        struct json_object *root = json_tokener_parse_ex(tok, json, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        if (!root || jerr != json_tokener_success) {
                if (jerr == json_tokener_continue)
                        kata_error_set(err, EINVAL, "config: truncated JSON");
                else
                        kata_error_set(err, EINVAL, "config: invalid JSON at offset %zu: %s",
                                       json_tokener_get_parse_end(tok),
                                       json_tokener_error_desc(jerr));
                json_object_put(root);
                json_tokener_free(tok);
                return -EINVAL;
        }
        size_t end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        for (; end < len; end++) {
                char c = json[end];
                if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
                        json_object_put(root);
                        return kata_error_set(
                            err, EINVAL, "config: trailing data after JSON at offset %zu", end);
                }
        }
        int r = kata_oci_spec_from_json(root, out, err);
        json_object_put(root);
        return r;
}

int kata_oci_spec_load_bundle(const char *bundle_dir, kata_oci_spec **out, kata_error *err)
{
        char *path = kata_path_join(bundle_dir, "/config.json");
        if (!path)
                return kata_error_set(err, ENOMEM, "out of memory");
        char *data = NULL;
        size_t len = 0;
        int r = kata_read_file(path, KATA_OCI_CONFIG_MAX, &data, &len, err);
        if (r == 0) {
                r = kata_oci_spec_parse(data, len, out, err);
                if (r < 0)
                        kata_error_prefix(err, "%s", path);
        }
        free(data);
        free(path);
        return r;
}

const char *kata_oci_ns_name(enum kata_oci_ns_type type)
{
        if ((size_t)type >= KATA_ARRAY_SIZE(ns_names))
                return "unknown";
        return ns_names[type];
}
