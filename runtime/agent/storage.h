/* Storages of CreateContainer: block devices the host attached to the VM (a container's
 * root filesystem as a virtio-blk disk) that the agent mounts before the container is
 * created. */
#ifndef KATA_AGENT_STORAGE_H
#define KATA_AGENT_STORAGE_H

#include <stddef.h>

#include "agent.pb-c.h"
#include "common/error.h"

/* driver_options entry: mount the disk read-only under an overlay whose upper layer
 * is a tmpfs (a writable container root whose writes stay in guest memory). */
#define AGENT_STORAGE_OVERLAY "kata.overlay=tmpfs"

/* How long a hot-plugged disk may take to show up in the guest. */
#define AGENT_STORAGE_WAIT_MS 10000

/* Resolves a Storage source to a block device node. Sources: "/dev/NAME", or a PCI path
 * "SS[/SS...]" of hexadecimal slots from the root bus down through bridges (as Kata
 * writes them: "02/00" is the device in slot 0 behind the bridge in slot 2), whose
 * virtio device carries one disk. Waits up to wait_ms for it to appear. */
int agent_storage_device(const char *sys_root, const char *source, int wait_ms, char *dev,
                         size_t dev_size, kata_error *err);

/* Mounts each storage (driver "blk" or "virtio-blk"; fstype; options "ro" or
 * filesystem data; driver_options AGENT_STORAGE_OVERLAY) on its mount_point, creating
 * the directory, and remembers it as container cid's. A storage already mounted there is
 * left alone. Errors name the storage's source. */
int agent_storages_mount(const char *cid, Grpc__Storage *const *storages, size_t n,
                         kata_error *err);

/* Detaches what agent_storages_mount mounted for cid (lazily: the container's last
 * processes may still be exiting), so that the host can unplug the disks. */
void agent_storages_unmount(const char *cid);

#endif
