#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MAX_FILE (64u << 20)

int kata_read_file(const char *path, size_t max_size, char **out, size_t *len, kata_error *err)
{
        if (max_size == 0)
                max_size = DEFAULT_MAX_FILE;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return kata_error_errno(err, errno, "cannot open %s", path);
        size_t cap = 4096, n = 0;
        char *buf = malloc(cap + 1);
        if (!buf) {
                close(fd);
                return kata_error_set(err, ENOMEM, "out of memory reading %s", path);
        }
        for (;;) {
                if (n == cap) {
                        if (cap >= max_size) {
                                free(buf);
                                close(fd);
                                return kata_error_set(err, EFBIG, "%s is larger than %zu bytes",
                                                      path, max_size);
                        }
                        size_t ncap = cap * 2 > max_size ? max_size : cap * 2;
                        char *nb = realloc(buf, ncap + 1);
                        if (!nb) {
                                free(buf);
                                close(fd);
                                return kata_error_set(err, ENOMEM, "out of memory reading %s",
                                                      path);
                        }
                        buf = nb;
                        cap = ncap;
                }
                ssize_t r = read(fd, buf + n, cap - n);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        int e = errno;
                        free(buf);
                        close(fd);
                        return kata_error_errno(err, e, "cannot read %s", path);
                }
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        close(fd);
        buf[n] = '\0';
        *out = buf;
        if (len)
                *len = n;
        return 0;
}

char *kata_path_join(const char *root, const char *path)
{
        if (!root || !root[0] || strcmp(root, "/") == 0) {
                return strdup(path);
        }
        size_t rl = strlen(root);
        while (rl > 1 && root[rl - 1] == '/')
                rl--;
        while (*path == '/')
                path++;
        size_t pl = strlen(path);
        char *r = malloc(rl + 1 + pl + 1);
        if (!r)
                return NULL;
        memcpy(r, root, rl);
        r[rl] = '/';
        memcpy(r + rl + 1, path, pl + 1);
        return r;
}

int kata_read_file_at(const char *root, const char *path, size_t max_size, char **out, size_t *len,
                      kata_error *err)
{
        char *full = kata_path_join(root, path);
        if (!full)
                return kata_error_set(err, ENOMEM, "out of memory");
        int r = kata_read_file(full, max_size, out, len, err);
        free(full);
        return r;
}

int kata_read_line_at(const char *root, const char *path, char **out, kata_error *err)
{
        char *buf;
        int r = kata_read_file_at(root, path, 1 << 20, &buf, NULL, err);
        if (r < 0)
                return r;
        size_t n = strlen(buf);
        while (n > 0 && isspace((unsigned char)buf[n - 1]))
                buf[--n] = '\0';
        *out = buf;
        return 0;
}

static int write_file_via_rename(const char *path, const void *data, size_t len, int mode,
                                 bool durable, kata_error *err)
{
        size_t pl = strlen(path);
        char *tmp = malloc(pl + 16);
        if (!tmp)
                return kata_error_set(err, ENOMEM, "out of memory");
        snprintf(tmp, pl + 16, "%s.tmpXXXXXX", path);
        int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                free(tmp);
                return kata_error_errno(err, e, "cannot create temporary file for %s", path);
        }
        const char *p = data;
        size_t left = len;
        while (left > 0) {
                ssize_t w = write(fd, p, left);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        int e = errno;
                        close(fd);
                        unlink(tmp);
                        free(tmp);
                        return kata_error_errno(err, e, "cannot write %s", path);
                }
                p += w;
                left -= (size_t)w;
        }
        if (fchmod(fd, (mode_t)mode) < 0 || (durable && fsync(fd) < 0)) {
                int e = errno;
                close(fd);
                unlink(tmp);
                free(tmp);
                return kata_error_errno(err, e, "cannot sync %s", path);
        }
        close(fd);
        if (rename(tmp, path) < 0) {
                int e = errno;
                unlink(tmp);
                free(tmp);
                return kata_error_errno(err, e, "cannot rename into %s", path);
        }
        free(tmp);
        return 0;
}

int kata_write_file_atomic(const char *path, const void *data, size_t len, int mode,
                           kata_error *err)
{
        return write_file_via_rename(path, data, len, mode, true, err);
}

int kata_write_file_replace(const char *path, const void *data, size_t len, int mode,
                            kata_error *err)
{
        return write_file_via_rename(path, data, len, mode, false, err);
}

int kata_read_full(int fd, void *buf, size_t len)
{
        size_t got = 0;
        while (got < len) {
                ssize_t n = read(fd, (char *)buf + got, len - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (n == 0)
                                errno = 0;
                        return -1;
                }
                got += (size_t)n;
        }
        return 0;
}

int kata_write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int kata_write_string(const char *path, const char *value, kata_error *err)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return kata_error_errno(err, errno, "cannot open %s", path);
        size_t len = strlen(value);
        ssize_t w;
        do {
                w = write(fd, value, len);
        } while (w < 0 && errno == EINTR);
        int e = errno;
        close(fd);
        if (w < 0)
                return kata_error_errno(err, e, "cannot write '%s' to %s", value, path);
        if ((size_t)w != len)
                return kata_error_set(err, EIO, "short write of '%s' to %s", value, path);
        return 0;
}

bool kata_path_exists_at(const char *root, const char *path)
{
        char *full = kata_path_join(root, path);
        if (!full)
                return false;
        bool r = access(full, F_OK) == 0;
        free(full);
        return r;
}

int kata_mkdir_p(const char *path, int mode, kata_error *err)
{
        char buf[PATH_MAX];
        if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
                return kata_error_set(err, ENAMETOOLONG, "path too long: %s", path);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, (mode_t)mode) < 0 && errno != EEXIST)
                        return kata_error_errno(err, errno, "cannot create directory %s", buf);
                *p = '/';
        }
        if (mkdir(buf, (mode_t)mode) < 0 && errno != EEXIST)
                return kata_error_errno(err, errno, "cannot create directory %s", buf);
        return 0;
}

static const char *skip_space(const char *s)
{
        while (*s && isspace((unsigned char)*s))
                s++;
        return s;
}

static bool only_space(const char *s)
{
        return *skip_space(s) == '\0';
}

int kata_parse_u64(const char *s, uint64_t *out)
{
        if (!s)
                return -EINVAL;
        s = skip_space(s);
        if (!isdigit((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (end == s || !only_space(end))
                return -EINVAL;
        *out = (uint64_t)v;
        return 0;
}

int kata_parse_i64(const char *s, int64_t *out)
{
        if (!s)
                return -EINVAL;
        s = skip_space(s);
        const char *d = (*s == '-' || *s == '+') ? s + 1 : s;
        if (!isdigit((unsigned char)*d))
                return -EINVAL;
        errno = 0;
        char *end;
        long long v = strtoll(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (end == s || !only_space(end))
                return -EINVAL;
        *out = (int64_t)v;
        return 0;
}

bool kata_str_startswith(const char *s, const char *prefix)
{
        return s && prefix && strncmp(s, prefix, strlen(prefix)) == 0;
}

bool kata_str_endswith(const char *s, const char *suffix)
{
        if (!s || !suffix)
                return false;
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

char *kata_str_trim(char *s)
{
        while (*s && isspace((unsigned char)*s))
                s++;
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char)s[n - 1]))
                s[--n] = '\0';
        return s;
}

bool kata_id_is_valid(const char *id)
{
        if (!id || !id[0] || id[0] == '.' || id[0] == '-')
                return false;
        size_t n = 0;
        for (const char *p = id; *p; p++, n++) {
                unsigned char c = (unsigned char)*p;
                if (n >= 128)
                        return false;
                if (!(isalnum(c) || c == '_' || c == '.' || c == '-'))
                        return false;
        }
        return true;
}

bool kata_color_enabled(FILE *stream)
{
        const char *nc = getenv("NO_COLOR");
        if (nc && nc[0])
                return false;
        return isatty(fileno(stream));
}

uint64_t kata_now_monotonic_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t kata_now_realtime_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
