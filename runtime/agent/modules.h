/* Kernel modules of a VM guest: the initrd carries the modules the agent needs (virtio
 * PCI, virtio-blk, vsock, overlay) and the list of them in load order; the agent, as the
 * machine's init, loads them before it listens on vsock. */
#ifndef KATA_AGENT_MODULES_H
#define KATA_AGENT_MODULES_H

#include "common/error.h"

/* File name, under /lib/modules/<release>/, of the load-order list osbuilder writes:
 * one path per line, relative to that directory. */
#define AGENT_MODULES_LIST "modules.load"

/* Loads every module listed in list_path (paths relative to base_dir) with finit_module,
 * in order; an already loaded module is not an error. Returns the number loaded, or a
 * negative errno naming the first module that failed (the ones before it stay loaded). */
int agent_modules_load_list(const char *base_dir, const char *list_path, kata_error *err);

/* As init: loads /lib/modules/<running release>/modules.load when it exists, logging
 * what failed. Nothing to do (and no error) without the list. */
void agent_modules_load_boot(void);

#endif
