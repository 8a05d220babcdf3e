/* OCI linux.cgroupsPath -> a directory path under the cgroup root. Everything that
 * reaches mkdir goes through here, so escapes are refused here and nowhere else. */
#include "cgroups/cgroups.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

#define NAME_MAX_BYTES 255

typedef struct out_buf {
        char *s;
        size_t size, len;
        bool overflow;
} out_buf;

static void out_component(out_buf *o, const char *c, size_t n)
{
        if (o->len + 1 + n + 1 > o->size) {
                o->overflow = true;
                return;
        }
        o->s[o->len++] = '/';
        memcpy(o->s + o->len, c, n);
        o->len += n;
        o->s[o->len] = '\0';
}

static bool systemd_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-';
}

static bool systemd_part(const char *s, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!systemd_char(s[i]))
                        return false;
        return true;
}

/* Splits s (len bytes) at ':' into exactly three parts; returns the number of ':'. */
static int split_colons(const char *s, size_t len, const char *part[3], size_t plen[3])
{
        int colons = 0;
        size_t start = 0;
        for (size_t i = 0; i <= len; i++) {
                if (i < len && s[i] != ':')
                        continue;
                if (colons < 3) {
                        part[colons] = s + start;
                        plen[colons] = i - start;
                }
                if (i < len)
                        colons++;
                start = i + 1;
        }
        return colons;
}

bool kata_cgroup_path_is_systemd(const char *path)
{
        if (!path)
                return false;
        const char *part[3];
        size_t plen[3];
        size_t len = strlen(path);
        if (split_colons(path, len, part, plen) != 2)
                return false;
        for (int i = 0; i < 3; i++)
                if (!systemd_part(part[i], plen[i]))
                        return false;
        return true;
}

/* systemd nests slices by their dash-separated prefixes: "a-b.slice" lives in
 * "a.slice/a-b.slice"; "-.slice" is the root slice. */
static int expand_slice(const char *s, size_t n, out_buf *o, kata_error *err)
{
        static const char suffix[] = ".slice";
        const size_t sl = sizeof(suffix) - 1;
        if (n == 1 + sl && s[0] == '-' && memcmp(s + 1, suffix, sl) == 0)
                return 0;
        if (n <= sl || memcmp(s + n - sl, suffix, sl) != 0)
                return kata_error_set(err, EINVAL, "invalid slice '%.*s': must end in \".slice\"",
                                      (int)n, s);
        size_t base = n - sl;
        if (s[0] == '-' || s[base - 1] == '-')
                return kata_error_set(err, EINVAL, "invalid slice '%.*s': leading or trailing '-'",
                                      (int)n, s);
        if (memmem(s, base, "--", 2))
                return kata_error_set(err, EINVAL, "invalid slice '%.*s': contains \"--\"", (int)n,
                                      s);
        if (n > NAME_MAX_BYTES)
                return kata_error_set(err, EINVAL, "invalid slice: longer than %d bytes",
                                      NAME_MAX_BYTES);
        char comp[NAME_MAX_BYTES + 1];
        for (size_t i = 0; i < base; i++) {
                if (s[i] != '-')
                        continue;
                memcpy(comp, s, i);
                memcpy(comp + i, suffix, sl);
                out_component(o, comp, i + sl);
        }
        out_component(o, s, n);
        return 0;
}

static int map_systemd(const char *part[3], const size_t plen[3], out_buf *o, kata_error *err)
{
        static const char *what[3] = {"slice", "prefix", "name"};
        for (int i = 0; i < 3; i++) {
                if (plen[i] == 0)
                        return kata_error_set(err, EINVAL,
                                              "empty %s in systemd cgroup path "
                                              "(expected slice:prefix:name)",
                                              what[i]);
                if (!systemd_part(part[i], plen[i]))
                        return kata_error_set(err, EINVAL,
                                              "invalid character in systemd cgroup path %s "
                                              "'%.*s' (allowed: A-Z a-z 0-9 _ . -)",
                                              what[i], (int)plen[i], part[i]);
        }
        int r = expand_slice(part[0], plen[0], o, err);
        if (r < 0)
                return r;
        char unit[NAME_MAX_BYTES + 1];
        int n = snprintf(unit, sizeof(unit), "%.*s-%.*s.scope", (int)plen[1], part[1], (int)plen[2],
                         part[2]);
        if (n < 0 || n >= (int)sizeof(unit))
                return kata_error_set(err, EINVAL, "systemd unit name longer than %d bytes",
                                      NAME_MAX_BYTES);
        out_component(o, unit, (size_t)n);
        return 0;
}

static int map_plain(const char *s, size_t len, out_buf *o, kata_error *err)
{
        size_t i = 0;
        int components = 0;
        while (i < len) {
                while (i < len && s[i] == '/')
                        i++;
                size_t start = i;
                while (i < len && s[i] != '/')
                        i++;
                size_t n = i - start;
                if (n == 0)
                        break;
                const char *c = s + start;
                if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return kata_error_set(err, EINVAL,
                                              "cgroup path has a '%.*s' component: it must stay "
                                              "under the cgroup root",
                                              (int)n, c);
                if (n > NAME_MAX_BYTES)
                        return kata_error_set(err, EINVAL,
                                              "cgroup path component longer than %d bytes",
                                              NAME_MAX_BYTES);
                out_component(o, c, n);
                components++;
        }
        if (components == 0)
                return kata_error_set(
                    err, EINVAL, "cgroup path '%.*s' gives the cgroup root itself", (int)len, s);
        return 0;
}

int kata_cgroup_path_map_n(const char *path, size_t len, const char *container_id, char *out,
                           size_t out_size, kata_error *err)
{
        if (!out || out_size < 2)
                return kata_error_set(err, EINVAL, "no room for the cgroup path");
        out[0] = '\0';
        if (!path)
                len = 0;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)path[i];
                if (c < 0x20 || c == 0x7f)
                        return kata_error_set(err, EINVAL,
                                              "cgroup path has a control character (0x%02x) at "
                                              "byte %zu",
                                              c, i);
        }
        size_t size = out_size < KATA_CGROUP_PATH_MAX ? out_size : KATA_CGROUP_PATH_MAX;
        out_buf o = {out, size, 0, false};
        int r;
        if (len == 0) {
                if (!container_id || !kata_id_is_valid(container_id))
                        return kata_error_set(err, EINVAL,
                                              "empty cgroup path needs a valid container id");
                out_component(&o, container_id, strlen(container_id));
                r = 0;
        } else if (!memchr(path, '/', len) && memchr(path, ':', len)) {
                const char *part[3];
                size_t plen[3];
                if (split_colons(path, len, part, plen) != 2)
                        return kata_error_set(err, EINVAL,
                                              "cgroup path '%.*s' has ':' but not the systemd "
                                              "form slice:prefix:name",
                                              (int)(len > 64 ? 64 : len), path);
                r = map_systemd(part, plen, &o, err);
        } else {
                r = map_plain(path, len, &o, err);
        }
        if (r < 0) {
                out[0] = '\0';
                return r;
        }
        if (o.overflow || o.len == 0) {
                out[0] = '\0';
                return kata_error_set(err, EINVAL, "cgroup path longer than %zu bytes", size - 1);
        }
        return 0;
}

int kata_cgroup_path_map(const char *path, const char *container_id, char *out, size_t out_size,
                         kata_error *err)
{
        return kata_cgroup_path_map_n(path, path ? strlen(path) : 0, container_id, out, out_size,
                                      err);
}

int kata_cgroup_sandbox_path(const char *parent, const char *sandbox_id, char *out, size_t out_size,
                             kata_error *err)
{
        if (!sandbox_id || !kata_id_is_valid(sandbox_id))
                return kata_error_set(err, EINVAL, "invalid sandbox id '%.64s'",
                                      sandbox_id ? sandbox_id : "");
        if (parent && strchr(parent, ':') && !strchr(parent, '/'))
                return kata_error_set(
                    err, EINVAL, "cgroup parent '%s' must be a plain path, not slice:prefix:name",
                    parent);
        char joined[KATA_CGROUP_PATH_MAX + 1];
        int n = snprintf(joined, sizeof(joined), "%s/%s", parent ? parent : "", sandbox_id);
        if (n < 0 || (size_t)n >= sizeof(joined))
                return kata_error_set(err, EINVAL, "sandbox cgroup path is too long");
        return kata_cgroup_path_map(joined, NULL, out, out_size, err);
}
