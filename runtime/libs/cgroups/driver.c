/* The seed's fix (Kata issue 5779): the driver follows the agent's init mode, not only
 * the path the host sent, so a systemd-form path never makes an init agent reach for a
 * systemd that is not there. */
#include "cgroups/cgroups.h"

#include "common/log.h"

#include <stdio.h>
#include <sys/stat.h>

bool kata_cgroup_systemd_running(const char *systemd_dir)
{
        struct stat st;
        if (!systemd_dir)
                systemd_dir = KATA_CGROUP_DEFAULT_SYSTEMD;
        return stat(systemd_dir, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *kata_cgroup_driver_name(enum kata_cgroup_driver d)
{
        return d == KATA_CGROUP_DRIVER_SYSTEMD ? "systemd" : "cgroupfs";
}

void kata_cgroup_select_driver(bool init_mode, bool systemd_running, const char *path,
                               kata_cgroup_driver_choice *out)
{
        bool systemd_form = kata_cgroup_path_is_systemd(path);
        out->used = KATA_CGROUP_DRIVER_CGROUPFS;
        if (init_mode) {
                out->wanted = KATA_CGROUP_DRIVER_CGROUPFS;
                snprintf(out->reason, sizeof(out->reason), "agent runs as init: cgroupfs%s",
                         systemd_form ? " (systemd-form path mapped to a directory)" : "");
        } else if (!systemd_form) {
                out->wanted = KATA_CGROUP_DRIVER_CGROUPFS;
                snprintf(out->reason, sizeof(out->reason),
                         "cgroup path is not of the systemd form slice:prefix:name: cgroupfs");
        } else if (!systemd_running) {
                out->wanted = KATA_CGROUP_DRIVER_CGROUPFS;
                snprintf(out->reason, sizeof(out->reason),
                         "systemd-form path but systemd is not running: cgroupfs");
        } else {
                out->wanted = KATA_CGROUP_DRIVER_SYSTEMD;
                snprintf(out->reason, sizeof(out->reason),
                         "systemd-form path and systemd runs, but there is no systemd driver "
                         "yet: cgroupfs with systemd's layout");
        }
}

void kata_cgroup_decide_driver(bool init_mode, const char *systemd_dir, const char *path,
                               kata_cgroup_driver_choice *out)
{
        kata_cgroup_select_driver(init_mode, kata_cgroup_systemd_running(systemd_dir), path, out);
        if (out->wanted != out->used)
                kata_log_warn("cgroups: driver %s: %s", kata_cgroup_driver_name(out->used),
                              out->reason);
        else
                kata_log_info("cgroups: driver %s: %s", kata_cgroup_driver_name(out->used),
                              out->reason);
}
