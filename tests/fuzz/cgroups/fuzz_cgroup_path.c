/* cgroupsPath mapping on arbitrary bytes: it must never crash, and whatever it accepts
 * must stay under the root, be normalized, and map to itself. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/cgroups.h"

static void check(int ok)
{
        if (!ok)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char out[KATA_CGROUP_PATH_MAX];
        kata_error err = KATA_ERROR_INIT;
        int r = kata_cgroup_path_map_n((const char *)data, size, "c1", out, sizeof(out), &err);
        if (r < 0) {
                check(r == -EINVAL && err.msg[0] != '\0' && out[0] == '\0');
        } else {
                size_t n = strlen(out);
                check(n >= 2 && n < KATA_CGROUP_PATH_MAX && out[0] == '/' && out[n - 1] != '/');
                check(!strstr(out, "//"));
                for (const char *c = out; *c;) {
                        c++;
                        size_t len = strcspn(c, "/");
                        check(!(len == 1 && c[0] == '.') &&
                              !(len == 2 && c[0] == '.' && c[1] == '.'));
                        c += len;
                }
                for (size_t i = 0; i < n; i++)
                        check((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
                char again[KATA_CGROUP_PATH_MAX];
                check(kata_cgroup_path_map(out, NULL, again, sizeof(again), &err) == 0);
                check(strcmp(out, again) == 0);
        }

        /* The driver choice never fails and never uses systemd. */
        char *s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        kata_cgroup_driver_choice c;
        kata_cgroup_select_driver(size & 1, true, s, &c);
        check(c.used == KATA_CGROUP_DRIVER_CGROUPFS && c.reason[0]);
        free(s);
        return 0;
}
