/* Fixture hosts: a directory tree of proc/, sys/, dev/... files plus host.ini for what
 * cannot be a plain file in git:
 *
 *   [host]            arch = x86_64, euid = 1000
 *   [kvm]             open / api_version / create_vm / create_vcpu: "ok", a number
 *                     (api_version) or an errno name (EBUSY, EACCES, ENXIO...)
 *   [device /dev/kvm] type = char, mode = 0660, owner = root, group = kvm, access = yes|no
 *
 * A device without a section does not exist. The KVM seam answers from [kvm]; opening
 * follows the device entry (missing: ENOENT, access = no: EACCES) unless [kvm] open says
 * otherwise. */
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "check/internal.h"
#include "common/util.h"

#define FIXTURE_MAX_DEVICES 16
#define FIXTURE_FD_KVM      1000
#define FIXTURE_FD_VM       1001
#define FIXTURE_FD_VCPU     1002

struct fixture_device {
        char path[64];
        struct kata_device_info info;
};

struct kata_fixture {
        struct fixture_device devices[FIXTURE_MAX_DEVICES];
        size_t device_count;
        int open_result; /* 0: follow the device entry, else -errno */
        int api_version; /* >= 0 version, < 0 -errno */
        int create_vm;   /* 0 ok, < 0 -errno */
        int create_vcpu;
        char error[256];
};

static const struct {
        const char *name;
        int code;
} errno_names[] = {
    {"EPERM", EPERM},   {"ENOENT", ENOENT},         {"EIO", EIO},       {"ENXIO", ENXIO},
    {"EBADF", EBADF},   {"ENOMEM", ENOMEM},         {"EACCES", EACCES}, {"EBUSY", EBUSY},
    {"ENODEV", ENODEV}, {"EINVAL", EINVAL},         {"ENOSYS", ENOSYS}, {"EEXIST", EEXIST},
    {"EMFILE", EMFILE}, {"EOPNOTSUPP", EOPNOTSUPP},
};

/* "ok" -> 0, an errno name -> -errno, else 1 (invalid). */
static int parse_outcome(const char *v)
{
        if (strcmp(v, "ok") == 0)
                return 0;
        for (size_t i = 0; i < KATA_ARRAY_SIZE(errno_names); i++)
                if (strcmp(v, errno_names[i].name) == 0)
                        return -errno_names[i].code;
        return 1;
}

static int parse_bool(const char *v, bool *out)
{
        if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1")) {
                *out = true;
                return 0;
        }
        if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0")) {
                *out = false;
                return 0;
        }
        return -EINVAL;
}

struct load_state {
        struct kata_host *host;
        struct kata_fixture *f;
};

static struct fixture_device *device_for(struct kata_fixture *f, const char *path)
{
        for (size_t i = 0; i < f->device_count; i++)
                if (strcmp(f->devices[i].path, path) == 0)
                        return &f->devices[i];
        if (f->device_count == FIXTURE_MAX_DEVICES)
                return NULL;
        struct fixture_device *d = &f->devices[f->device_count++];
        snprintf(d->path, sizeof(d->path), "%s", path);
        d->info.exists = true;
        d->info.is_char = true;
        d->info.mode = 0660;
        snprintf(d->info.owner, sizeof(d->info.owner), "root");
        snprintf(d->info.group, sizeof(d->info.group), "root");
        d->info.accessible = true;
        return d;
}

#define BAD(...)                                                                                   \
        do {                                                                                       \
                snprintf(f->error, sizeof(f->error), __VA_ARGS__);                                 \
                return 0;                                                                          \
        } while (0)

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
        struct load_state *st = user;
        struct kata_fixture *f = st->f;
        uint64_t n;
        if (strcmp(section, "host") == 0) {
                if (strcmp(name, "arch") == 0)
                        snprintf(st->host->arch, sizeof(st->host->arch), "%s", value);
                else if (strcmp(name, "euid") == 0 && kata_parse_u64(value, &n) == 0 &&
                         n <= 0xffffffffu)
                        st->host->euid = (unsigned)n;
                else
                        BAD("[host] %s = %s: unknown key or bad value", name, value);
                return 1;
        }
        if (strcmp(section, "kvm") == 0) {
                if (strcmp(name, "api_version") == 0) {
                        int o = parse_outcome(value);
                        if (o < 0)
                                f->api_version = o;
                        else if (kata_parse_u64(value, &n) == 0 && n < 1000)
                                f->api_version = (int)n;
                        else
                                BAD("[kvm] api_version = %s: not a number or errno name", value);
                        return 1;
                }
                int o = parse_outcome(value);
                if (o > 0)
                        BAD("[kvm] %s = %s: expected ok or an errno name", name, value);
                if (strcmp(name, "open") == 0)
                        f->open_result = o;
                else if (strcmp(name, "create_vm") == 0)
                        f->create_vm = o;
                else if (strcmp(name, "create_vcpu") == 0)
                        f->create_vcpu = o;
                else
                        BAD("[kvm] %s: unknown key", name);
                return 1;
        }
        if (kata_str_startswith(section, "device ")) {
                struct fixture_device *d = device_for(f, section + strlen("device "));
                if (!d)
                        BAD("too many devices");
                if (strcmp(name, "type") == 0)
                        d->info.is_char = strcmp(value, "char") == 0;
                else if (strcmp(name, "mode") == 0) {
                        char *end;
                        unsigned long m = strtoul(value, &end, 8);
                        if (*end || m > 07777)
                                BAD("[%s] mode = %s: not an octal mode", section, value);
                        d->info.mode = (unsigned)m;
                } else if (strcmp(name, "owner") == 0)
                        snprintf(d->info.owner, sizeof(d->info.owner), "%s", value);
                else if (strcmp(name, "group") == 0)
                        snprintf(d->info.group, sizeof(d->info.group), "%s", value);
                else if (strcmp(name, "access") == 0) {
                        if (parse_bool(value, &d->info.accessible) < 0)
                                BAD("[%s] access = %s: expected yes or no", section, value);
                } else
                        BAD("[%s] %s: unknown key", section, name);
                return 1;
        }
        BAD("[%s]: unknown section", section);
}

bool kata_fixture_device(const struct kata_fixture *f, const char *path,
                         struct kata_device_info *out)
{
        for (size_t i = 0; i < f->device_count; i++) {
                if (strcmp(f->devices[i].path, path) == 0) {
                        *out = f->devices[i].info;
                        return true;
                }
        }
        memset(out, 0, sizeof(*out));
        return false;
}

static int fx_open(void *data, const char *path)
{
        struct kata_fixture *f = data;
        if (f->open_result < 0)
                return f->open_result;
        /* The seam gets the path under the root; the descriptor names the host path. */
        for (size_t i = 0; i < f->device_count; i++) {
                if (kata_str_endswith(path, f->devices[i].path))
                        return f->devices[i].info.accessible ? FIXTURE_FD_KVM : -EACCES;
        }
        return -ENOENT;
}

static int fx_api(void *data, int fd)
{
        return ((struct kata_fixture *)data)->api_version;
}

static int fx_vm(void *data, int fd)
{
        int r = ((struct kata_fixture *)data)->create_vm;
        return r < 0 ? r : FIXTURE_FD_VM;
}

static int fx_vcpu(void *data, int fd)
{
        int r = ((struct kata_fixture *)data)->create_vcpu;
        return r < 0 ? r : FIXTURE_FD_VCPU;
}

static void fx_close(void *data, int fd)
{
}

int kata_fixture_load(struct kata_host *host, kata_error *err)
{
        struct kata_fixture *f = calloc(1, sizeof(*f));
        if (!f)
                return kata_error_set(err, ENOMEM, "out of memory");
        f->api_version = 12;
        snprintf(host->arch, sizeof(host->arch), "x86_64");
        host->euid = 0;
        char *path = kata_path_join(host->root, "/host.ini");
        if (!path) {
                free(f);
                return kata_error_set(err, ENOMEM, "out of memory");
        }
        struct load_state st = {host, f};
        int line = ini_parse(path, on_entry, &st);
        if (line != 0) {
                int r;
                if (line < 0)
                        r = kata_error_set(err, ENOENT, "cannot read fixture descriptor %s", path);
                else
                        r = kata_error_set(err, EINVAL, "%s:%d: %s", path, line,
                                           f->error[0] ? f->error : "syntax error");
                free(path);
                free(f);
                return r;
        }
        free(path);
        host->fixture = f;
        host->kvm = (struct kata_kvm_ops){fx_open, fx_api, fx_vm, fx_vcpu, fx_close, f};
        return 0;
}

void kata_fixture_free(struct kata_fixture *f)
{
        free(f);
}
