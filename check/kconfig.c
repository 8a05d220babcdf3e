#include "check/kconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/util.h"

#define KCONFIG_MAX_INFLATED (32u << 20)

static int inflate_gzip(const unsigned char *in, size_t len, char **out, size_t *out_len,
                        kata_error *err)
{
        z_stream zs;
        memset(&zs, 0, sizeof(zs));
        if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
                return kata_error_set(err, ENOMEM, "cannot initialise zlib");
        size_t cap = len * 4 + 4096, n = 0;
        if (cap > KCONFIG_MAX_INFLATED)
                cap = KCONFIG_MAX_INFLATED;
        char *buf = malloc(cap + 1);
        if (!buf) {
                inflateEnd(&zs);
                return kata_error_set(err, ENOMEM, "out of memory");
        }
        zs.next_in = (Bytef *)in;
        zs.avail_in = (uInt)len;
        for (;;) {
                if (n == cap) {
                        if (cap >= KCONFIG_MAX_INFLATED) {
                                free(buf);
                                inflateEnd(&zs);
                                return kata_error_set(err, EFBIG,
                                                      "kernel config inflates beyond %u bytes",
                                                      KCONFIG_MAX_INFLATED);
                        }
                        size_t ncap =
                            cap * 2 > KCONFIG_MAX_INFLATED ? KCONFIG_MAX_INFLATED : cap * 2;
                        char *nb = realloc(buf, ncap + 1);
                        if (!nb) {
                                free(buf);
                                inflateEnd(&zs);
                                return kata_error_set(err, ENOMEM, "out of memory");
                        }
                        buf = nb;
                        cap = ncap;
                }
                zs.next_out = (Bytef *)buf + n;
                zs.avail_out = (uInt)(cap - n);
                int r = inflate(&zs, Z_NO_FLUSH);
                n = cap - zs.avail_out;
                if (r == Z_STREAM_END)
                        break;
                if (r == Z_BUF_ERROR && zs.avail_in == 0) {
                        free(buf);
                        inflateEnd(&zs);
                        return kata_error_set(err, EINVAL, "truncated gzip data");
                }
                if (r != Z_OK && r != Z_BUF_ERROR) {
                        free(buf);
                        inflateEnd(&zs);
                        return kata_error_set(err, EINVAL, "bad gzip data: %s",
                                              zs.msg ? zs.msg : "inflate failed");
                }
        }
        inflateEnd(&zs);
        buf[n] = '\0';
        *out = buf;
        *out_len = n;
        return 0;
}

static int entry_cmp(const void *a, const void *b)
{
        return strcmp(((const struct kata_kconfig_entry *)a)->name,
                      ((const struct kata_kconfig_entry *)b)->name);
}

static bool is_symbol(const char *s, size_t n)
{
        if (n <= 7 || strncmp(s, "CONFIG_", 7) != 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_'))
                        return false;
        }
        return true;
}

static int add_entry(struct kata_kconfig *cfg, size_t *cap, const char *name, size_t nn,
                     const char *value, size_t vn)
{
        if (cfg->count == *cap) {
                size_t ncap = *cap ? *cap * 2 : 256;
                void *ne = realloc(cfg->entries, ncap * sizeof(*cfg->entries));
                if (!ne)
                        return -ENOMEM;
                cfg->entries = ne;
                *cap = ncap;
        }
        struct kata_kconfig_entry *e = &cfg->entries[cfg->count];
        e->name = strndup(name, nn);
        e->value = strndup(value, vn);
        if (!e->name || !e->value) {
                free(e->name);
                free(e->value);
                return -ENOMEM;
        }
        cfg->count++;
        return 0;
}

static int parse_text(const char *text, size_t len, struct kata_kconfig *cfg)
{
        size_t cap = 0;
        const char *p = text, *end = text + len;
        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                if (!eol)
                        eol = end;
                size_t n = (size_t)(eol - p);
                int r = 0;
                static const char unset_prefix[] = "# ", unset_suffix[] = " is not set";
                const size_t pl = sizeof(unset_prefix) - 1, sl = sizeof(unset_suffix) - 1;
                if (n > pl + sl && memcmp(p, unset_prefix, pl) == 0 &&
                    memcmp(eol - sl, unset_suffix, sl) == 0) {
                        if (is_symbol(p + pl, n - pl - sl))
                                r = add_entry(cfg, &cap, p + pl, n - pl - sl, "n", 1);
                } else if (n > 0 && p[0] != '#') {
                        const char *eq = memchr(p, '=', n);
                        if (eq && is_symbol(p, (size_t)(eq - p)))
                                r = add_entry(cfg, &cap, p, (size_t)(eq - p), eq + 1,
                                              (size_t)(eol - eq - 1));
                }
                if (r < 0)
                        return r;
                p = eol + 1;
        }
        if (cfg->count > 1)
                qsort(cfg->entries, cfg->count, sizeof(*cfg->entries), entry_cmp);
        return 0;
}

int kata_kconfig_parse(const void *data, size_t len, struct kata_kconfig *out, kata_error *err)
{
        memset(out, 0, sizeof(*out));
        const unsigned char *b = data;
        char *inflated = NULL;
        size_t ilen = 0;
        const char *text = data;
        if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
                int r = inflate_gzip(b, len, &inflated, &ilen, err);
                if (r < 0)
                        return r;
                text = inflated;
                len = ilen;
        }
        int r = parse_text(text, len, out);
        free(inflated);
        if (r < 0) {
                kata_kconfig_free(out);
                return kata_error_set(err, -r, "out of memory parsing the kernel config");
        }
        return 0;
}

int kata_kconfig_load(const char *root, const char *release, struct kata_kconfig *out, char *source,
                      size_t source_size, kata_error *err)
{
        char path[256];
        snprintf(path, sizeof(path), "/proc/config.gz");
        char *data = NULL;
        size_t len = 0;
        int r = kata_read_file_at(root, path, 8u << 20, &data, &len, NULL);
        if (r < 0 && release && release[0]) {
                snprintf(path, sizeof(path), "/boot/config-%s", release);
                r = kata_read_file_at(root, path, 16u << 20, &data, &len, NULL);
        }
        if (r < 0) {
                memset(out, 0, sizeof(*out));
                return kata_error_set(err, ENOENT,
                                      "no kernel config (/proc/config.gz, /boot/config-%s)",
                                      release ? release : "");
        }
        r = kata_kconfig_parse(data, len, out, err);
        free(data);
        if (r < 0)
                return kata_error_prefix(err, "%s", path);
        if (source)
                snprintf(source, source_size, "%s", path);
        return 0;
}

const char *kata_kconfig_value(const struct kata_kconfig *cfg, const char *name)
{
        if (!cfg || cfg->count == 0)
                return NULL;
        struct kata_kconfig_entry key = {(char *)name, NULL};
        const struct kata_kconfig_entry *e =
            bsearch(&key, cfg->entries, cfg->count, sizeof(*cfg->entries), entry_cmp);
        return e ? e->value : NULL;
}

char kata_kconfig_get(const struct kata_kconfig *cfg, const char *name)
{
        const char *v = kata_kconfig_value(cfg, name);
        if (!v || !v[0])
                return 'n';
        return v[0];
}

void kata_kconfig_free(struct kata_kconfig *cfg)
{
        for (size_t i = 0; i < cfg->count; i++) {
                free(cfg->entries[i].name);
                free(cfg->entries[i].value);
        }
        free(cfg->entries);
        memset(cfg, 0, sizeof(*cfg));
}
