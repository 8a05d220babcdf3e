/* The qemu driver's choice of accelerator: KVM only when it can run the guest kernel.
 * On a PVM host (kvm_pvm: KVM without VT-x/AMD-V, for PVM guest kernels only) an
 * ordinary guest kernel starts and then stalls, so it gets TCG. */
#ifndef KATA_RUNTIME_QEMU_ACCEL_H
#define KATA_RUNTIME_QEMU_ACCEL_H

#include <stdbool.h>
#include <stddef.h>

/* True when the kernel's build configuration sets option=y: config-<ver> next to
 * vmlinu[zx]-<ver> (osbuilder puts it there), else <kernel>.config. False when no
 * configuration is found. */
bool qemu_guest_kernel_has(const char *kernel, const char *option);

/* "kvm" or "tcg" for this guest kernel; reason says why. sys_root is where /sys is
 * (tests pass a fixture tree), kvm_dev the KVM device. $KATA_QEMU_ACCEL (tcg or kvm)
 * overrides. */
const char *qemu_accel_choose(const char *sys_root, const char *kvm_dev, const char *kernel,
                              char *reason, size_t size);

#endif
