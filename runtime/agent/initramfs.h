/* A VM's agent runs from the initramfs, whose root ("rootfs") is a mount without a
 * parent: pivot_root(2) refuses it (EINVAL), so no container could pivot into its root.
 * As init, the agent first moves a bind mount of / over / and chroots into it; the
 * containers' mount namespaces then have a root that pivot_root accepts. */
#ifndef KATA_AGENT_INITRAMFS_H
#define KATA_AGENT_INITRAMFS_H

#include "common/error.h"

/* Only when / is a ramfs or tmpfs (the initramfs); 0 when nothing had to be done. */
int agent_initramfs_make_pivotable(kata_error *err);

#endif
