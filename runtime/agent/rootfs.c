/* The container's filesystem, built by its init in its new mount namespace: a private
 * propagation, the rootfs bind-mounted on itself, the spec's mounts, the default device
 * nodes (bound from the agent's /dev), pivot_root, a read-only root when asked, masked and
 * read-only paths. Runs in a cloned child: no allocation. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/spawn.h"

static const char *const default_devices[] = {"null", "zero", "full", "random", "urandom", "tty"};

static const struct {
        const char *target;
        const char *link;
} default_links[] = {
    {"/dev/fd", "/proc/self/fd"},       {"/dev/stdin", "/proc/self/fd/0"},
    {"/dev/stdout", "/proc/self/fd/1"}, {"/dev/stderr", "/proc/self/fd/2"},
    {"/dev/ptmx", "pts/ptmx"},
};

/* mkdir -p on a stack copy. */
static int mkdir_all(const char *path)
{
        char buf[PATH_MAX];
        if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -1;
                *p = '/';
        }
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                return -1;
        return 0;
}

/* Creates an empty file (and its parents) for a file bind mount. */
static int touch(const char *path)
{
        char parent[PATH_MAX];
        snprintf(parent, sizeof(parent), "%s", path);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
                *slash = 0;
                if (mkdir_all(parent) < 0)
                        return -1;
        }
        int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0)
                return errno == EISDIR ? 0 : -1;
        close(fd);
        return 0;
}

static int do_mount(const struct spawn_mount *m, int sync_fd)
{
        struct stat st;
        bool source_is_dir = true;
        if (m->bind && stat(m->source, &st) == 0)
                source_is_dir = S_ISDIR(st.st_mode);
        if ((source_is_dir ? mkdir_all(m->target) : touch(m->target)) < 0) {
                spawn_child_report(sync_fd, errno, "mount target %s", m->target);
                return -1;
        }
        if (m->bind) {
                if (mount(m->source, m->target, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0) {
                        spawn_child_report(sync_fd, errno, "bind mount %s on %s", m->source,
                                           m->target);
                        return -1;
                }
                unsigned long extra = m->flags & ~(MS_BIND | MS_REC);
                if (extra && mount(NULL, m->target, NULL, MS_REMOUNT | MS_BIND | extra, NULL) < 0) {
                        spawn_child_report(sync_fd, errno, "remount %s", m->target);
                        return -1;
                }
        } else if (mount(m->source, m->target, m->type, m->flags, m->data) < 0) {
                spawn_child_report(sync_fd, errno, "mount %s (%s) on %s",
                                   m->source ? m->source : "none", m->type ? m->type : "?",
                                   m->target);
                return -1;
        }
        if (m->propagation && mount(NULL, m->target, NULL, m->propagation, NULL) < 0) {
                spawn_child_report(sync_fd, errno, "propagation of %s", m->target);
                return -1;
        }
        return 0;
}

static int default_dev(const char *rootfs, int sync_fd)
{
        char path[PATH_MAX], src[64];
        for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++) {
                snprintf(path, sizeof(path), "%s/dev/%s", rootfs, default_devices[i]);
                snprintf(src, sizeof(src), "/dev/%s", default_devices[i]);
                struct stat st;
                if (stat(src, &st) < 0)
                        continue; /* the agent's /dev lacks it: nothing to give */
                if (lstat(path, &st) == 0 && S_ISCHR(st.st_mode))
                        continue; /* the image brings its own node */
                if (touch(path) < 0 || mount(src, path, NULL, MS_BIND, NULL) < 0) {
                        spawn_child_report(sync_fd, errno, "device %s", path);
                        return -1;
                }
        }
        for (size_t i = 0; i < sizeof(default_links) / sizeof(default_links[0]); i++) {
                snprintf(path, sizeof(path), "%s%s", rootfs, default_links[i].target);
                if (symlink(default_links[i].link, path) < 0 && errno != EEXIST) {
                        spawn_child_report(sync_fd, errno, "symlink %s", path);
                        return -1;
                }
        }
        return 0;
}

static int mask_paths(char *const *paths, int sync_fd)
{
        for (; paths && *paths; paths++) {
                struct stat st;
                if (stat(*paths, &st) < 0)
                        continue;
                int r = S_ISDIR(st.st_mode) ? mount("tmpfs", *paths, "tmpfs", MS_RDONLY, "size=0")
                                            : mount("/dev/null", *paths, NULL, MS_BIND, NULL);
                if (r < 0 && errno != ENOENT) {
                        spawn_child_report(sync_fd, errno, "linux.maskedPaths: %s", *paths);
                        return -1;
                }
        }
        return 0;
}

static int readonly_paths(char *const *paths, int sync_fd)
{
        for (; paths && *paths; paths++) {
                if (mount(*paths, *paths, NULL, MS_BIND | MS_REC, NULL) < 0) {
                        if (errno == ENOENT)
                                continue;
                        spawn_child_report(sync_fd, errno, "linux.readonlyPaths: %s", *paths);
                        return -1;
                }
                if (mount(NULL, *paths, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_REC, NULL) <
                    0) {
                        spawn_child_report(sync_fd, errno, "linux.readonlyPaths: %s", *paths);
                        return -1;
                }
        }
        return 0;
}

int spawn_child_rootfs(const struct spawn_plan *plan, int sync_fd)
{
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                spawn_child_report(sync_fd, errno, "making / private");
                return -1;
        }
        if (mount(plan->rootfs, plan->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) {
                spawn_child_report(sync_fd, errno, "root.path: bind mount %s", plan->rootfs);
                return -1;
        }
        bool dev_mounted = false;
        for (size_t i = 0; i < plan->n_mounts; i++) {
                if (do_mount(&plan->mounts[i], sync_fd) < 0)
                        return -1;
                size_t rlen = strlen(plan->rootfs);
                if (strcmp(plan->mounts[i].target + rlen, "/dev") == 0)
                        dev_mounted = true;
        }
        if (dev_mounted && default_dev(plan->rootfs, sync_fd) < 0)
                return -1;
        if (chdir(plan->rootfs) < 0) {
                spawn_child_report(sync_fd, errno, "chdir %s", plan->rootfs);
                return -1;
        }
        /* pivot_root(".", "."): the old root ends up on top of the new one and is
         * detached at once, no temporary directory needed. */
        if (syscall(SYS_pivot_root, ".", ".") < 0) {
                spawn_child_report(sync_fd, errno, "pivot_root into %s", plan->rootfs);
                return -1;
        }
        if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
                spawn_child_report(sync_fd, errno, "detaching the old root");
                return -1;
        }
        if (mask_paths(plan->masked_paths, sync_fd) < 0 ||
            readonly_paths(plan->readonly_paths, sync_fd) < 0)
                return -1;
        if (plan->rootfs_readonly &&
            mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) {
                spawn_child_report(sync_fd, errno, "root.readonly: remount / read-only");
                return -1;
        }
        return 0;
}
