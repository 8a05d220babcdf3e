#include "agent/init.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "common/log.h"
#include "common/util.h"

/* How long a VM's init lets the vsock device deliver its last replies. */
#define AGENT_POWEROFF_DRAIN_US 50000

/* Inode of the initial pid namespace (PROC_PID_INIT_INO in the kernel). */
#define INITIAL_PID_NS_INO 0xEFFFFFFCu

bool agent_is_pid1(void)
{
        return getpid() == 1;
}

bool agent_is_machine_init(void)
{
        struct stat st;
        if (getpid() != 1)
                return false;
        if (stat("/proc/self/ns/pid", &st) < 0)
                return true; /* no /proc yet: only a machine init gets here that early */
        return st.st_ino == INITIAL_PID_NS_INO;
}

struct init_mount {
        const char *source, *target, *type;
        unsigned long flags;
        const char *data;
        bool required;
};

/* /proc first: agent_init_mount_proc() handles it. */
static const struct init_mount init_mounts[] = {
    {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true},
    {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true},
    {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", false},
    {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620",
     false},
    {"shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", false},
    {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", false},
};

int agent_init_mount_proc(kata_error *err)
{
        char self[32], want[32];
        ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);
        snprintf(want, sizeof(want), "%d", getpid());
        if (n > 0) {
                self[n] = 0;
                if (strcmp(self, want) == 0)
                        return 0; /* already the proc of our pid namespace */
        }
        if (mkdir("/proc", 0555) < 0 && errno != EEXIST)
                return kata_error_errno(err, errno, "mkdir /proc");
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return kata_error_errno(err, errno, "mount proc on /proc");
        return 0;
}

int agent_init_mount(const struct agent_settings *s, kata_error *err)
{
        /* A host that runs cgroup2 only hands us a cgroup2 tree: keep to it. Looked at
         * before /sys is mounted again over it. */
        struct statfs fs;
        bool unified = s->unified_cgroup_hierarchy ||
                       (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC);
        int r = agent_init_mount_proc(err);
        if (r < 0)
                return r;
        for (size_t i = 1; i < KATA_ARRAY_SIZE(init_mounts); i++) {
                const struct init_mount *m = &init_mounts[i];
                if (mkdir(m->target, 0755) < 0 && errno != EEXIST) {
                        if (m->required)
                                return kata_error_errno(err, errno, "mkdir %s", m->target);
                        kata_log_warn("init: mkdir %s: %s", m->target, strerror(errno));
                        continue;
                }
                if (mount(m->source, m->target, m->type, m->flags, m->data) < 0) {
                        if (m->required)
                                return kata_error_errno(err, errno, "mount %s on %s", m->type,
                                                        m->target);
                        kata_log_warn("init: mount %s on %s: %s", m->type, m->target,
                                      strerror(errno));
                }
        }
        kata_error e = KATA_ERROR_INIT;
        if (agent_init_mount_cgroups(unified, &e) < 0)
                kata_log_warn("init: cgroups: %s", e.msg);
        return 0;
}

int agent_init_mount_cgroups(bool unified, kata_error *err)
{
        const char *root = "/sys/fs/cgroup";
        if (kata_mkdir_p(root, 0755, err) < 0)
                return -err->code;
        if (unified) {
                if (mount("cgroup2", root, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                        return kata_error_errno(err, errno, "mount cgroup2 on %s", root);
                return 0;
        }
        if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") < 0)
                return kata_error_errno(err, errno, "mount tmpfs on %s", root);
        char *text = NULL;
        int r = kata_read_file("/proc/cgroups", 0, &text, NULL, err);
        if (r < 0)
                return r;
        /* Lines: subsys_name hierarchy num_cgroups enabled. Controllers the host mounted
         * together (same hierarchy id) must be mounted together again. */
        struct {
                unsigned id;
                char names[256];
        } groups[32];
        size_t n_groups = 0;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char name[64];
                unsigned hier, num, enabled;
                if (line[0] == '#' ||
                    sscanf(line, "%63s %u %u %u", name, &hier, &num, &enabled) != 4 || !enabled)
                        continue;
                size_t g = n_groups;
                for (size_t i = 0; hier != 0 && i < n_groups; i++)
                        if (groups[i].id == hier)
                                g = i;
                if (g == n_groups) {
                        if (n_groups == KATA_ARRAY_SIZE(groups))
                                continue;
                        groups[g].id = hier;
                        groups[g].names[0] = 0;
                        n_groups++;
                }
                size_t len = strlen(groups[g].names);
                snprintf(groups[g].names + len, sizeof(groups[g].names) - len, "%s%s",
                         len ? "," : "", name);
        }
        free(text);
        for (size_t i = 0; i < n_groups; i++) {
                char dir[512];
                snprintf(dir, sizeof(dir), "%s/%s", root, groups[i].names);
                if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                        kata_log_warn("init: mkdir %s: %s", dir, strerror(errno));
                        continue;
                }
                if (mount("cgroup", dir, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          groups[i].names) < 0) {
                        /* Hierarchy 0: not mounted on the host, maybe held by cgroup2. */
                        kata_log(groups[i].id ? KATA_LOG_WARN : KATA_LOG_DEBUG,
                                 "init: mount cgroup %s: %s", groups[i].names, strerror(errno));
                        rmdir(dir);
                        continue;
                }
                /* cpu -> cpu,cpuacct, as hosts lay it out. */
                if (strchr(groups[i].names, ',')) {
                        char names[256];
                        snprintf(names, sizeof(names), "%s", groups[i].names);
                        char *s2 = NULL;
                        for (char *c = strtok_r(names, ",", &s2); c; c = strtok_r(NULL, ",", &s2)) {
                                char link[512];
                                snprintf(link, sizeof(link), "%s/%s", root, c);
                                if (symlink(groups[i].names, link) < 0 && errno != EEXIST)
                                        kata_log_warn("init: symlink %s: %s", link,
                                                      strerror(errno));
                        }
                }
        }
        /* A cgroup2 hierarchy next to them (hybrid), where the kernel has one. */
        char unified_dir[512];
        snprintf(unified_dir, sizeof(unified_dir), "%s/unified", root);
        if (mkdir(unified_dir, 0755) == 0 &&
            mount("cgroup2", unified_dir, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                rmdir(unified_dir);
        return 0;
}

int agent_init_lo_up(kata_error *err)
{
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return kata_error_errno(err, errno, "socket");
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        int r = 0;
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
                r = kata_error_errno(err, errno, "lo: SIOCGIFFLAGS");
        } else if (!(ifr.ifr_flags & IFF_UP)) {
                ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
                if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                        r = kata_error_errno(err, errno, "lo: SIOCSIFFLAGS");
        }
        close(fd);
        return r;
}

void agent_init_end(int code)
{
        sync();
        if (agent_is_machine_init()) {
                kata_log_info("init: powering off");
                /* The last replies (DestroySandbox's) may still sit in the vsock device's
                 * queue: give the host side a moment to take them before the VM is gone. */
                usleep(AGENT_POWEROFF_DRAIN_US);
                reboot(RB_POWER_OFF);
                /* Still here (no permission?): an init must not exit. */
                for (;;)
                        pause();
        }
        exit(code);
}
