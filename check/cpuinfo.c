#include "check/cpuinfo.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void trim_copy(char *dst, size_t size, const char *src, size_t n)
{
        while (n > 0 && isspace((unsigned char)*src)) {
                src++;
                n--;
        }
        while (n > 0 && isspace((unsigned char)src[n - 1]))
                n--;
        if (n >= size)
                n = size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
}

int kata_cpuinfo_parse(const char *text, size_t len, struct kata_cpuinfo *out, kata_error *err)
{
        memset(out, 0, sizeof(*out));
        const char *p = text, *end = text + len;
        bool have_vendor = false, have_model = false;
        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                if (!eol)
                        eol = end;
                const char *colon = memchr(p, ':', (size_t)(eol - p));
                if (colon) {
                        char key[64];
                        trim_copy(key, sizeof(key), p, (size_t)(colon - p));
                        const char *v = colon + 1;
                        size_t vn = (size_t)(eol - v);
                        if (strcmp(key, "processor") == 0) {
                                out->processors++;
                        } else if (strcmp(key, "# processors") == 0) {
                                char num[16];
                                trim_copy(num, sizeof(num), v, vn);
                                out->processors = (unsigned)strtoul(num, NULL, 10);
                        } else if (!have_vendor && (strcmp(key, "vendor_id") == 0 ||
                                                    strcmp(key, "CPU implementer") == 0)) {
                                trim_copy(out->vendor, sizeof(out->vendor), v, vn);
                                have_vendor = true;
                        } else if (!have_model &&
                                   (strcmp(key, "model name") == 0 || strcmp(key, "cpu") == 0)) {
                                trim_copy(out->model, sizeof(out->model), v, vn);
                                have_model = true;
                        } else if (!out->flags &&
                                   (strcmp(key, "flags") == 0 || strcmp(key, "Features") == 0 ||
                                    strcmp(key, "features") == 0)) {
                                out->flags = malloc(vn + 1);
                                if (!out->flags)
                                        return kata_error_set(err, ENOMEM, "out of memory");
                                trim_copy(out->flags, vn + 1, v, vn);
                        }
                }
                p = eol + 1;
        }
        /* POWER names the CPU in "cpu" and the platform vendor nowhere: it is IBM. */
        if (!have_vendor && strncmp(out->model, "POWER", 5) == 0)
                snprintf(out->vendor, sizeof(out->vendor), "IBM");
        return 0;
}

bool kata_cpuinfo_has_flag(const struct kata_cpuinfo *cpu, const char *flag)
{
        size_t n = strlen(flag);
        if (!cpu->flags || n == 0)
                return false;
        const char *p = cpu->flags;
        while (*p) {
                while (*p && isspace((unsigned char)*p))
                        p++;
                const char *w = p;
                while (*p && !isspace((unsigned char)*p))
                        p++;
                if ((size_t)(p - w) == n && memcmp(w, flag, n) == 0)
                        return true;
        }
        return false;
}

void kata_cpuinfo_free(struct kata_cpuinfo *cpu)
{
        free(cpu->flags);
        cpu->flags = NULL;
}
