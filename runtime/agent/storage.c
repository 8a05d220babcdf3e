#include "agent/storage.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

/* The entry of dir whose name is a PCI address "DDDD:BB:SS.F" with slot `slot` and
 * function 0. */
static int pci_child(const char *dir, unsigned slot, char *out, size_t size)
{
        DIR *d = opendir(dir);
        if (!d)
                return -errno;
        struct dirent *e;
        int r = -ENOENT;
        while ((e = readdir(d))) {
                unsigned dom, bus, s, fn;
                char extra;
                if (sscanf(e->d_name, "%4x:%2x:%2x.%1x%c", &dom, &bus, &s, &fn, &extra) == 4 &&
                    s == slot && fn == 0) {
                        snprintf(out, size, "%s/%s", dir, e->d_name);
                        r = 0;
                        break;
                }
        }
        closedir(d);
        return r;
}

/* <pcidev>/virtio*<n>/block/<name>: the disk of a virtio-blk PCI device. */
static int virtio_block_name(const char *pcidev, char *name, size_t size)
{
        DIR *d = opendir(pcidev);
        if (!d)
                return -errno;
        struct dirent *e;
        int r = -ENOENT;
        while (r < 0 && (e = readdir(d))) {
                if (strncmp(e->d_name, "virtio", 6) != 0)
                        continue;
                char blockdir[PATH_MAX];
                snprintf(blockdir, sizeof(blockdir), "%s/%s/block", pcidev, e->d_name);
                DIR *b = opendir(blockdir);
                if (!b)
                        continue;
                struct dirent *be;
                while ((be = readdir(b))) {
                        if (be->d_name[0] != '.') {
                                snprintf(name, size, "%s", be->d_name);
                                r = 0;
                                break;
                        }
                }
                closedir(b);
        }
        closedir(d);
        return r;
}

static int parse_pci_path(const char *source, unsigned *slots, size_t max, size_t *n)
{
        *n = 0;
        const char *p = source;
        while (*p) {
                char *end;
                unsigned long v = strtoul(p, &end, 16);
                if (end == p || end - p > 2 || v > 0x1f || (*end && *end != '/') || *n == max)
                        return -EINVAL;
                slots[(*n)++] = (unsigned)v;
                p = *end ? end + 1 : end;
                if (*end == '/' && !*p)
                        return -EINVAL;
        }
        return *n ? 0 : -EINVAL;
}

static int resolve_once(const char *sys_root, const unsigned *slots, size_t n, char *dev,
                        size_t dev_size)
{
        char cur[PATH_MAX], next[PATH_MAX];
        snprintf(cur, sizeof(cur), "%s/devices/pci0000:00", sys_root);
        for (size_t i = 0; i < n; i++) {
                int r = pci_child(cur, slots[i], next, sizeof(next));
                if (r < 0)
                        return r;
                snprintf(cur, sizeof(cur), "%s", next);
        }
        char name[NAME_MAX + 1];
        int r = virtio_block_name(cur, name, sizeof(name));
        if (r < 0)
                return r;
        snprintf(dev, dev_size, "/dev/%s", name);
        return 0;
}

int agent_storage_device(const char *sys_root, const char *source, int wait_ms, char *dev,
                         size_t dev_size, kata_error *err)
{
        if (!source || !source[0])
                return kata_error_set(err, EINVAL, "storage: empty source");
        bool node = strncmp(source, "/dev/", 5) == 0;
        unsigned slots[8];
        size_t n = 0;
        if (node) {
                if (strstr(source, ".."))
                        return kata_error_set(err, EINVAL, "storage source '%s': not a device",
                                              source);
        } else if (parse_pci_path(source, slots, KATA_ARRAY_SIZE(slots), &n) < 0) {
                return kata_error_set(err, EINVAL,
                                      "storage source '%s': neither /dev/NAME nor a PCI path "
                                      "of hexadecimal slots (\"02/00\")",
                                      source);
        }
        uint64_t deadline = kata_now_monotonic_ns() + (uint64_t)wait_ms * 1000000ull;
        for (;;) {
                struct stat st;
                if (node) {
                        if (stat(source, &st) == 0) {
                                if (!S_ISBLK(st.st_mode))
                                        return kata_error_set(err, ENOTBLK,
                                                              "storage source %s is not a "
                                                              "block device",
                                                              source);
                                snprintf(dev, dev_size, "%s", source);
                                return 0;
                        }
                } else if (resolve_once(sys_root, slots, n, dev, dev_size) == 0 &&
                           stat(dev, &st) == 0) {
                        return 0;
                }
                if (kata_now_monotonic_ns() >= deadline)
                        return kata_error_set(err, ETIMEDOUT,
                                              "storage source %s: no block device after %d ms",
                                              source, wait_ms);
                usleep(10000);
        }
}

static bool is_mounted(const char *dir)
{
        struct stat self, parent;
        char up[PATH_MAX];
        snprintf(up, sizeof(up), "%s/..", dir);
        return stat(dir, &self) == 0 && stat(up, &parent) == 0 && self.st_dev != parent.st_dev;
}

/* What is mounted for which container: RemoveContainer detaches it again. */
#define MAX_MOUNTED 64
static struct mounted {
        char cid[130];
        char mount_point[PATH_MAX];
        bool overlay;
} mounted[MAX_MOUNTED];
static size_t n_mounted;
static pthread_mutex_t mounted_lock = PTHREAD_MUTEX_INITIALIZER;

static void remember(const char *cid, const char *mount_point, bool overlay)
{
        pthread_mutex_lock(&mounted_lock);
        if (n_mounted < MAX_MOUNTED) {
                struct mounted *m = &mounted[n_mounted++];
                snprintf(m->cid, sizeof(m->cid), "%s", cid ? cid : "");
                snprintf(m->mount_point, sizeof(m->mount_point), "%s", mount_point);
                m->overlay = overlay;
        } else {
                kata_log_warn("storage: more than %d mounts: %s stays mounted", MAX_MOUNTED,
                              mount_point);
        }
        pthread_mutex_unlock(&mounted_lock);
}

static void detach(const char *path)
{
        if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
                kata_log_warn("storage: unmount %s: %s", path, strerror(errno));
        rmdir(path);
}

void agent_storages_unmount(const char *cid)
{
        pthread_mutex_lock(&mounted_lock);
        for (size_t i = 0; i < n_mounted;) {
                struct mounted *m = &mounted[i];
                if (!cid || strcmp(m->cid, cid) != 0) {
                        i++;
                        continue;
                }
                detach(m->mount_point);
                if (m->overlay) {
                        char p[PATH_MAX + 8];
                        snprintf(p, sizeof(p), "%s-rw", m->mount_point);
                        detach(p);
                        snprintf(p, sizeof(p), "%s-lower", m->mount_point);
                        detach(p);
                }
                kata_log_info("storage: %s detached (container %s)", m->mount_point, cid);
                *m = mounted[--n_mounted];
        }
        pthread_mutex_unlock(&mounted_lock);
}

static bool has_driver_option(const Grpc__Storage *s, const char *opt)
{
        for (size_t i = 0; i < s->n_driver_options; i++)
                if (s->driver_options[i] && strcmp(s->driver_options[i], opt) == 0)
                        return true;
        return false;
}

static int mount_disk(const Grpc__Storage *s, const char *dev, const char *target,
                      unsigned long flags, const char *data, kata_error *err)
{
        if (kata_mkdir_p(target, 0755, err) < 0)
                return -err->code;
        /* A hot-plugged disk's node can exist a moment before the disk opens (ENXIO). */
        uint64_t deadline = kata_now_monotonic_ns() + AGENT_STORAGE_WAIT_MS * 1000000ull;
        while (mount(dev, target, s->fstype, flags, data[0] ? data : NULL) < 0) {
                if (errno != ENXIO || kata_now_monotonic_ns() >= deadline)
                        return kata_error_errno(err, errno, "storage %s: mount %s (%s) on %s",
                                                s->source, dev, s->fstype, target);
                usleep(10000);
        }
        return 0;
}

/* The disk read-only at <mp>-lower, a tmpfs at <mp>-rw for the upper and work
 * directories, and the overlay of both at <mp>: the container writes to guest memory. */
static int mount_overlay(const Grpc__Storage *s, const char *dev, const char *data, kata_error *err)
{
        char lower[PATH_MAX], rw[PATH_MAX], upper[PATH_MAX], work[PATH_MAX], opts[4 * PATH_MAX];
        snprintf(lower, sizeof(lower), "%s-lower", s->mount_point);
        snprintf(rw, sizeof(rw), "%s-rw", s->mount_point);
        snprintf(upper, sizeof(upper), "%s/upper", rw);
        snprintf(work, sizeof(work), "%s/work", rw);
        int r = mount_disk(s, dev, lower, MS_RDONLY, data, err);
        if (r < 0)
                return r;
        if (kata_mkdir_p(rw, 0755, err) < 0)
                return -err->code;
        if (mount("tmpfs", rw, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
                return kata_error_errno(err, errno, "storage %s: tmpfs on %s", s->source, rw);
        if (mkdir(upper, 0755) < 0 || mkdir(work, 0755) < 0)
                return kata_error_errno(err, errno, "storage %s: mkdir in %s", s->source, rw);
        snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
        if (mount("overlay", s->mount_point, "overlay", 0, opts) < 0)
                return kata_error_errno(err, errno, "storage %s: overlay on %s", s->source,
                                        s->mount_point);
        return 0;
}

static int storage_mount(const char *cid, const Grpc__Storage *s, kata_error *err)
{
        const char *driver = s->driver ? s->driver : "";
        if (strcmp(driver, "blk") != 0 && strcmp(driver, "virtio-blk") != 0)
                return kata_error_set(err, ENOTSUP,
                                      "storage %s: driver '%s' is not supported (blk)",
                                      s->source ? s->source : "", driver);
        if (!s->mount_point || s->mount_point[0] != '/' || strstr(s->mount_point, ".."))
                return kata_error_set(err, EINVAL, "storage %s: mount_point '%s' is not absolute",
                                      s->source ? s->source : "",
                                      s->mount_point ? s->mount_point : "");
        if (!s->fstype || !s->fstype[0])
                return kata_error_set(err, EINVAL, "storage %s: fstype missing",
                                      s->source ? s->source : "");
        char dev[PATH_MAX];
        int r =
            agent_storage_device("/sys", s->source, AGENT_STORAGE_WAIT_MS, dev, sizeof(dev), err);
        if (r < 0)
                return r;
        if (kata_mkdir_p(s->mount_point, 0755, err) < 0)
                return -err->code;
        if (is_mounted(s->mount_point))
                return 0;
        unsigned long flags = 0;
        char data[512] = "";
        for (size_t i = 0; i < s->n_options; i++) {
                const char *o = s->options[i];
                if (strcmp(o, "ro") == 0) {
                        flags |= MS_RDONLY;
                } else if (strcmp(o, "rw") != 0) {
                        size_t len = strlen(data);
                        snprintf(data + len, sizeof(data) - len, "%s%s", len ? "," : "", o);
                }
        }
        bool overlay = has_driver_option(s, AGENT_STORAGE_OVERLAY);
        r = overlay ? mount_overlay(s, dev, data, err)
                    : mount_disk(s, dev, s->mount_point, flags, data, err);
        if (r < 0)
                return r;
        kata_log_info("storage %s: %s mounted on %s%s", s->source, dev, s->mount_point,
                      overlay ? " (overlay, upper in memory)" : "");
        remember(cid, s->mount_point, overlay);
        return 0;
}

int agent_storages_mount(const char *cid, Grpc__Storage *const *storages, size_t n, kata_error *err)
{
        for (size_t i = 0; i < n; i++) {
                int r = storage_mount(cid, storages[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}
