/* Hypervisor drivers: how a sandbox's agent comes to life and goes away. `local` runs
 * the agent as pid 1 of fresh namespaces in a host cgroup (no VM); `qemu` boots a VM
 * whose init is the agent (driver_qemu.c). The rest of the runtime only talks to the agent. */
#ifndef KATA_RUNTIME_DRIVER_H
#define KATA_RUNTIME_DRIVER_H

#include "agent.pb-c.h"
#include "common/error.h"
#include "runtime.h"
#include "state/state.h"

/* What a VM driver adds to a CreateContainer request for the container's root
 * filesystem; lives with the request, no allocation. */
typedef struct driver_container_rootfs {
        Grpc__Storage storage;
        Grpc__Storage *storages[1];
        char *options[1];
        char *driver_options[1];
        char source[64];
        char fstype[16];
        char mount_point[256];
} driver_container_rootfs;

typedef struct sandbox_driver {
        const char *name;
        /* Starts the sandbox described by st (id, hypervisor set): fills agent_address,
         * agent_pid/vmm_pid and the host cgroups in st. The agent may still be starting
         * when it returns; the caller waits for it to answer. On failure nothing is left
         * running. */
        int (*start)(runtime_opts *o, kata_sandbox_state *st, kata_error *err);
        /* After DestroySandbox (or when the agent is gone): waits up to timeout_ms for the
         * agent/VMM to exit, kills what is left, removes the host cgroups. Idempotent. */
        int (*stop)(runtime_opts *o, kata_sandbox_state *st, int timeout_ms, kata_error *err);
        /* Host pid of a process given its pid inside the sandbox, 0 when the host cannot
         * see it (a VM). */
        long (*host_pid)(const kata_sandbox_state *st, long ns_pid);
        /* False once the sandbox's agent (or VMM) is gone: waits stop early then. */
        bool (*alive)(const kata_sandbox_state *st);
        /* VM drivers only (NULL: the agent sees the host's root.path). Gives the guest the
         * container's root filesystem (req->OCI root.path, absolute on the host) and
         * rewrites req to use it: a storage in out->storages, root.path in the guest. */
        int (*container_rootfs)(runtime_opts *o, kata_sandbox_state *st, const char *cid,
                                Grpc__CreateContainerRequest *req,
                                struct driver_container_rootfs *out, kata_error *err);
        /* VM drivers only (NULL otherwise): after RemoveContainer, while other containers
         * keep the sandbox, takes the container's rootfs disk back from the guest. Best
         * effort: what fails is logged. */
        void (*container_removed)(runtime_opts *o, kata_sandbox_state *st, const char *cid);
} sandbox_driver;

/* Links <sandbox dir>/kata.hvsock_10240 to the host's trace forwarder socket
 * (KATA_TRACE_FORWARDER_SOCKET), where the agent's spans go. */
int driver_link_trace_forwarder(const runtime_opts *o, const kata_sandbox_state *st,
                                kata_error *err);

/* The driver for a hypervisor name, or NULL (err names the known ones). */
const sandbox_driver *sandbox_driver_find(const char *name, kata_error *err);

extern const sandbox_driver sandbox_driver_local;
extern const sandbox_driver sandbox_driver_qemu;

#endif
