/* Container root filesystems for the qemu driver: an ext4 image built from the bundle's
 * rootfs (mke2fs -d, sparse) in the sandbox directory, hot-plugged into the running VM
 * as a virtio-blk PCI disk through QMP, and described to the agent as a "blk" storage
 * whose source is the disk's PCI path. */
#ifndef KATA_RUNTIME_QEMU_DISK_H
#define KATA_RUNTIME_QEMU_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Hot-plug slots per VM: q35 gets one pcie-root-port per slot at boot (a root port
 * takes one device); pc plugs into free slots of its root bus. */
#define QEMU_DISK_SLOTS 8
/* PCI slot of the first root port (q35) or disk (pc) on the root bus. */
#define QEMU_DISK_FIRST_PCI_SLOT 0x10

/* Size in KiB of an image able to hold the tree at dir: its data and inodes plus room
 * for ext4's own metadata and what the container writes. *inodes gets the entry count. */
int qemu_disk_size_for(const char *dir, uint64_t *kib, uint64_t *inodes, kata_error *err);

/* Builds image from the directory tree rootfs (owner, modes and links preserved). */
int qemu_disk_build(const char *rootfs, const char *image, kata_error *err);

/* QEMU arguments that make the hot-plug slots exist at boot; appended to argv (which
 * must have room for 2 * QEMU_DISK_SLOTS more entries, strings in storage of
 * QEMU_DISK_SLOTS * 96 bytes). Returns the number of entries added. */
int qemu_disk_boot_args(bool q35, char **argv, char *storage);

/* The guest's PCI path of slot n ("11/00" behind a root port, "11" on pc's bus). */
void qemu_disk_pci_path(bool q35, unsigned slot, char *out, size_t size);

/* Plugs image into slot n of the VM whose QMP socket is qmp_path. */
int qemu_disk_hotplug(const char *qmp_path, bool q35, unsigned slot, const char *image,
                      bool readonly, kata_error *err);

/* Takes slot n's disk out of the VM (device_del, then blockdev-del once the guest let
 * go of it, up to timeout_ms). */
int qemu_disk_unplug(const char *qmp_path, unsigned slot, int timeout_ms, kata_error *err);

#endif
