#include "agent/modules.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

static int load_one(const char *path, kata_error *err)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return kata_error_errno(err, errno, "module %s", path);
        int r = (int)syscall(SYS_finit_module, fd, "", 0);
        int e = errno;
        close(fd);
        if (r < 0 && e != EEXIST)
                return kata_error_errno(err, e, "cannot load module %s", path);
        return r < 0 ? 0 : 1;
}

int agent_modules_load_list(const char *base_dir, const char *list_path, kata_error *err)
{
        char *text = NULL;
        int r = kata_read_file(list_path, 1u << 20, &text, NULL, err);
        if (r < 0)
                return r;
        int loaded = 0;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                line += strspn(line, " \t");
                if (!line[0] || line[0] == '#')
                        continue;
                if (line[0] == '/' || strstr(line, "..")) {
                        r = kata_error_set(err, EINVAL,
                                           "%s: '%s' is not a path under the module directory",
                                           list_path, line);
                        break;
                }
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "%s/%s", base_dir, line);
                r = load_one(path, err);
                if (r < 0)
                        break;
                loaded += r;
        }
        free(text);
        return r < 0 ? r : loaded;
}

void agent_modules_load_boot(void)
{
        struct utsname u;
        if (uname(&u) < 0)
                return;
        char dir[PATH_MAX], list[PATH_MAX];
        snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
        snprintf(list, sizeof(list), "%s/%s", dir, AGENT_MODULES_LIST);
        if (access(list, F_OK) < 0)
                return;
        uint64_t t0 = kata_now_monotonic_ns();
        kata_error err = KATA_ERROR_INIT;
        int n = agent_modules_load_list(dir, list, &err);
        if (n < 0)
                kata_log_error("init: %s", err.msg);
        else
                kata_log_info("init: loaded %d kernel modules in %llu ms", n,
                              (unsigned long long)((kata_now_monotonic_ns() - t0) / 1000000));
}
