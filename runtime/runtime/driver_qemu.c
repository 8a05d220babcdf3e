/* The `qemu` driver: each sandbox is a VM. QEMU boots the configured kernel with our
 * initrd (kata-agent as /init), its memory in a shared memfd so that the vhost-user-vsock
 * backend (kata-vsock-backend, one per VM, started first) can map it. The backend turns
 * the guest's vsock into hybrid vsock at <root>/<id>/kata.hvsock, so the runtime talks to
 * the agent exactly as with the local driver. No network device. QEMU and the backend
 * live in the sandbox's host cgroup; the serial console goes to <root>/<id>/console.log,
 * QMP listens on <root>/<id>/qmp.sock (disk hot-plug). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "common/log.h"
#include "common/util.h"
#include "driver.h"
#include "qemu_accel.h"
#include "qemu_disk.h"
#include "qemu_proc.h"
#include "qemu_qmp.h"
#include "transport/transport.h"

#define QEMU_DEFAULT_BINARY        "/usr/bin/qemu-system-x86_64"
#define QEMU_DEFAULT_MACHINE       "q35"
#define QEMU_DEFAULT_CGROUP_PARENT "/kata"
#define QEMU_CONSOLE_LOG           "console.log"
#define QEMU_LOG                   "qemu.log"
#define QEMU_QMP_SOCKET            "qmp.sock"
#define QEMU_PID_FILE              "qemu.pid"
#define BACKEND_BINARY             "kata-vsock-backend"
#define BACKEND_SOCKET             "vhost-user-vsock.sock"
#define BACKEND_LOG                "vsock-backend.log"
#define BACKEND_PID_FILE           "vsock-backend.pid"
/* Each VM has its own backend, so every guest can have the same CID. */
#define QEMU_GUEST_CID           3
#define BACKEND_READY_TIMEOUT_MS 5000
#define GUEST_ROOTFS_DIR         "/run/kata-containers"
#define QEMU_UNPLUG_TIMEOUT_MS   10000
/* The agent's storage option for an overlay with its upper layer in guest memory
 * (runtime/agent/storage.h). */
#define GUEST_OVERLAY_OPTION "kata.overlay=tmpfs"

static const char *cgroup_parent(const runtime_opts *o)
{
        const char *p = o->config.hypervisor.cgroup_parent;
        return p && p[0] ? p : QEMU_DEFAULT_CGROUP_PARENT;
}

static bool machine_is_q35(const runtime_opts *o)
{
        const char *m = o->config.hypervisor.machine_type;
        return !m || !m[0] || strstr(m, "q35") != NULL;
}

/* ---- Cgroups ------------------------------------------------------------------------ */

static int sandbox_cgroup_rel(const runtime_opts *o, const char *id, char *rel, size_t size,
                              kata_error *err)
{
        char name[KATA_STATE_ID_MAX + 8];
        snprintf(name, sizeof(name), "kata_%s", id);
        return kata_cgroup_sandbox_path(cgroup_parent(o), name, rel, size, err);
}

static int sandbox_cgroup_create(runtime_opts *o, kata_sandbox_state *st, kata_cgroup_layout *lo,
                                 kata_cgroup **cg, kata_error *err)
{
        char rel[KATA_CGROUP_PATH_MAX];
        int r = sandbox_cgroup_rel(o, st->id, rel, sizeof(rel), err);
        if (r < 0)
                return r;
        if ((r = kata_cgroup_create(lo, rel, cg, err)) < 0)
                return kata_error_prefix(err, "sandbox cgroup %s", rel);
        st->cgroup_version = kata_cgroup_layout_mode(lo) == KATA_CGROUP_MODE_V2 ? 2 : 1;
        for (int c = 0; c < KATA_CGROUP_NR_CONTROLLERS; c++) {
                enum kata_cgroup_controller ctl = (enum kata_cgroup_controller)c;
                const char *dir = kata_cgroup_dir(*cg, ctl);
                if (!dir)
                        continue;
                const char *name = kata_cgroup_layout_on_v2(lo, ctl)
                                       ? "unified"
                                       : kata_cgroup_controller_name(ctl);
                if (!kata_sandbox_state_cgroup(st, name) &&
                    (r = kata_sandbox_state_set_cgroup(st, name, dir, err)) < 0)
                        return r;
        }
        return 0;
}

static void sandbox_cgroup_remove(runtime_opts *o, const kata_sandbox_state *st)
{
        kata_cgroup_layout *lo = NULL;
        kata_cgroup *cg = NULL;
        char rel[KATA_CGROUP_PATH_MAX];
        kata_error err = KATA_ERROR_INIT;
        if (sandbox_cgroup_rel(o, st->id, rel, sizeof(rel), &err) < 0 ||
            kata_cgroup_layout_detect(NULL, &lo, &err) < 0)
                goto out;
        if (kata_cgroup_open(lo, rel, &cg, &err) < 0)
                goto out; /* already gone */
        if (kata_cgroup_kill(cg, 2000, &err) < 0 || kata_cgroup_delete(cg, 2000, &err) < 0)
                kata_log_warn("sandbox %s: cgroup %s: %s", st->id, rel, err.msg);
out:
        if (cg)
                kata_cgroup_free(cg);
        if (lo)
                kata_cgroup_layout_free(lo);
}

/* ---- Start -------------------------------------------------------------------------- */

/* Next to our own binary, or $KATA_VSOCK_BACKEND. */
static int backend_binary(char *out, size_t size, kata_error *err)
{
        const char *env = getenv("KATA_VSOCK_BACKEND");
        if (env && env[0]) {
                snprintf(out, size, "%s", env);
        } else {
                char self[PATH_MAX];
                ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
                if (n < 0)
                        return kata_error_errno(err, errno, "cannot resolve /proc/self/exe");
                self[n] = '\0';
                char *slash = strrchr(self, '/');
                if (slash)
                        *slash = '\0';
                snprintf(out, size, "%s/%s", self, BACKEND_BINARY);
        }
        if (access(out, X_OK) < 0)
                return kata_error_errno(err, errno,
                                        "%s not found at %s (it serves the VM's vsock; set "
                                        "KATA_VSOCK_BACKEND)",
                                        BACKEND_BINARY, out);
        return 0;
}

/* The backend listens on its vhost-user socket before QEMU may connect. */
static int wait_for_socket(const char *path, long pid, const char *what, kata_error *err)
{
        uint64_t deadline = kata_now_monotonic_ns() + BACKEND_READY_TIMEOUT_MS * 1000000ull;
        struct stat st;
        while (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
                if (!qemu_proc_alive(pid, what))
                        return kata_error_set(err, ECHILD, "%s exited at start-up", what);
                if (kata_now_monotonic_ns() >= deadline)
                        return kata_error_set(err, ETIMEDOUT, "%s did not create %s within %d ms",
                                              what, path, BACKEND_READY_TIMEOUT_MS);
                usleep(2000);
        }
        return 0;
}

static int check_file(const char *what, const char *path, kata_error *err)
{
        if (!path || !path[0])
                return kata_error_set(err, EINVAL,
                                      "[hypervisor.qemu] %s is not set (build the `initrd` "
                                      "target and use its configuration-qemu.toml)",
                                      what);
        if (access(path, R_OK) < 0)
                return kata_error_errno(err, errno, "[hypervisor.qemu] %s %s", what, path);
        return 0;
}

struct qemu_paths {
        char dir[KATA_STATE_PATH_MAX];
        char console[KATA_STATE_PATH_MAX], log[KATA_STATE_PATH_MAX], qmp[KATA_STATE_PATH_MAX];
        char hvsock[KATA_STATE_PATH_MAX], vhost_user[KATA_STATE_PATH_MAX];
        char backend_log[KATA_STATE_PATH_MAX];
};

static int qemu_paths_get(const char *root, const char *id, struct qemu_paths *p, kata_error *err)
{
        struct {
                const char *name;
                char *buf;
        } files[] = {{NULL, p->dir},
                     {QEMU_CONSOLE_LOG, p->console},
                     {QEMU_LOG, p->log},
                     {QEMU_QMP_SOCKET, p->qmp},
                     {KATA_HVSOCK_FILENAME, p->hvsock},
                     {BACKEND_SOCKET, p->vhost_user},
                     {BACKEND_LOG, p->backend_log}};
        for (size_t i = 0; i < KATA_ARRAY_SIZE(files); i++) {
                int r = kata_state_sandbox_path(root, id, files[i].name, files[i].buf,
                                                KATA_STATE_PATH_MAX, err);
                if (r < 0)
                        return r;
        }
        if (strlen(p->hvsock) + 8 >= sizeof(((kata_address *)0)->path))
                return kata_error_set(err, ENAMETOOLONG,
                                      "socket path %s is too long for a unix socket (use a "
                                      "shorter --root)",
                                      p->hvsock);
        return 0;
}

static void kernel_cmdline(const runtime_opts *o, char *out, size_t size)
{
        const struct kata_config *c = &o->config;
        /* The agent reads its settings from here; cgroup v2 only, as in Kata's guests. */
        int n = snprintf(out, size,
                         "console=ttyS0 quiet panic=-1 no_timer_check "
                         "agent.server_addr=vsock://any:%u systemd.unified_cgroup_hierarchy=1 "
                         "cgroup_no_v1=all",
                         KATA_PORT_AGENT);
        if (c->agent.enable_debug || c->hypervisor.enable_debug)
                n += snprintf(out + n, size - (size_t)n, " agent.log=debug");
        if (c->agent.debug_console_enabled)
                n += snprintf(out + n, size - (size_t)n, " agent.debug_console");
        if (runtime_agent_tracing(o))
                n += snprintf(out + n, size - (size_t)n, " agent.trace=true");
        if (c->hypervisor.kernel_params && c->hypervisor.kernel_params[0])
                snprintf(out + n, size - (size_t)n, " %s", c->hypervisor.kernel_params);
}

/* The kernel's vhost-vsock (use_vhost_vsock): the guest CID is host-wide, so derive it
 * from the sandbox id (FNV-1a) into [3, 2^31); QEMU refuses a CID in use. */
static unsigned vhost_vsock_cid(const char *id)
{
        uint32_t h = 2166136261u;
        for (const char *c = id; *c; c++)
                h = (h ^ (uint8_t)*c) * 16777619u;
        return 3 + h % 0x7ffffffcu;
}

static int start_backend(const struct qemu_paths *p, kata_cgroup *cg, const runtime_opts *o,
                         const char *id, pid_t *pid, kata_error *err)
{
        char backend[PATH_MAX], cid[16];
        int r = backend_binary(backend, sizeof(backend), err);
        if (r < 0)
                return r;
        snprintf(cid, sizeof(cid), "%d", QEMU_GUEST_CID);
        char *argv[] = {backend,
                        "--socket",
                        (char *)p->vhost_user,
                        "--uds-path",
                        (char *)p->hvsock,
                        "--guest-cid",
                        cid,
                        NULL};
        if ((r = qemu_proc_spawn(argv, p->backend_log, cg, pid, err)) < 0 ||
            (r = qemu_proc_write_pid(o->root, id, BACKEND_PID_FILE, *pid, err)) < 0 ||
            (r = wait_for_socket(p->vhost_user, *pid, BACKEND_BINARY, err)) < 0)
                return kata_error_prefix(err, "vsock backend (see %s)", p->backend_log);
        return 0;
}

/* QEMU's command line; strings live in args. */
struct qemu_args {
        char *argv[96];
        int argc;
        char name[KATA_STATE_ID_MAX + 16], machine[128], smp[16], mem[32], memobj[96];
        char cmdline[2048], serial[KATA_STATE_PATH_MAX + 8], qmp[KATA_STATE_PATH_MAX + 32];
        char chardev[KATA_STATE_PATH_MAX + 32], vsock[96], slots[QEMU_DISK_SLOTS * 96];
};

static void add(struct qemu_args *a, const char *opt, const char *value)
{
        a->argv[a->argc++] = (char *)opt;
        if (value)
                a->argv[a->argc++] = (char *)value;
}

static void qemu_args_build(const runtime_opts *o, const struct qemu_paths *p, const char *qemu,
                            const char *id, const char *accel, unsigned vhost_cid,
                            struct qemu_args *a)
{
        const struct kata_hypervisor_config *hv = &o->config.hypervisor;
        uint32_t mem = hv->default_memory ? hv->default_memory : 2048;
        a->argc = 0;
        snprintf(a->name, sizeof(a->name), "kata-%s", id);
        snprintf(a->machine, sizeof(a->machine), "%s,accel=%s",
                 hv->machine_type && hv->machine_type[0] ? hv->machine_type : QEMU_DEFAULT_MACHINE,
                 accel);
        snprintf(a->smp, sizeof(a->smp), "%u", hv->default_vcpus ? hv->default_vcpus : 1);
        snprintf(a->mem, sizeof(a->mem), "%uM", mem);
        /* Shared: the vhost-user backend maps the guest's memory. */
        snprintf(a->memobj, sizeof(a->memobj), "memory-backend-memfd,id=mem,size=%uM,share=on",
                 mem);
        kernel_cmdline(o, a->cmdline, sizeof(a->cmdline));
        snprintf(a->serial, sizeof(a->serial), "file:%s", p->console);
        snprintf(a->qmp, sizeof(a->qmp), "unix:%s,server=on,wait=off", p->qmp);

        add(a, qemu, NULL);
        add(a, "-name", a->name);
        add(a, "-machine", a->machine);
        add(a, "-cpu", strcmp(accel, "kvm") == 0 ? "host" : "max");
        add(a, "-smp", a->smp);
        add(a, "-m", a->mem);
        add(a, "-object", a->memobj);
        add(a, "-numa", "node,memdev=mem");
        /* No default devices: no NIC, no VGA, no floppy; nothing reaches outside. */
        add(a, "-nodefaults", NULL);
        add(a, "-no-user-config", NULL);
        add(a, "-nographic", NULL);
        add(a, "-no-reboot", NULL); /* the agent's power-off or a panic ends QEMU */
        add(a, "-kernel", hv->kernel);
        add(a, "-initrd", hv->initrd);
        add(a, "-append", a->cmdline);
        add(a, "-serial", a->serial);
        add(a, "-qmp", a->qmp);
        if (vhost_cid) {
                snprintf(a->vsock, sizeof(a->vsock), "vhost-vsock-pci,guest-cid=%u", vhost_cid);
        } else {
                snprintf(a->chardev, sizeof(a->chardev), "socket,id=vsock,path=%s", p->vhost_user);
                add(a, "-chardev", a->chardev);
                /* The guest's CID comes from the backend (device config space). */
                snprintf(a->vsock, sizeof(a->vsock), "vhost-user-vsock-pci,chardev=vsock");
        }
        add(a, "-device", a->vsock);
        a->argc += qemu_disk_boot_args(machine_is_q35(o), a->argv + a->argc, a->slots);
        a->argv[a->argc] = NULL;
}

static int qemu_start(runtime_opts *o, kata_sandbox_state *st, kata_error *err)
{
        const struct kata_hypervisor_config *hv = &o->config.hypervisor;
        const char *qemu = hv->path && hv->path[0] ? hv->path : QEMU_DEFAULT_BINARY;
        struct qemu_paths p;
        struct qemu_args *args = NULL;
        kata_cgroup_layout *layout = NULL;
        kata_cgroup *cg = NULL;
        pid_t backend_pid = 0, qemu_pid = 0;
        unsigned vhost_cid = hv->use_vhost_vsock ? vhost_vsock_cid(st->id) : 0;
        int r;

        if ((r = check_file("kernel", hv->kernel, err)) < 0 ||
            (r = check_file("initrd", hv->initrd, err)) < 0)
                return r;
        if (access(qemu, X_OK) < 0)
                return kata_error_errno(
                    err, errno, "[hypervisor.qemu] path %s (install qemu-system-x86)", qemu);
        if (vhost_cid && access("/dev/vhost-vsock", R_OK | W_OK) < 0)
                return kata_error_errno(err, errno,
                                        "[hypervisor.qemu] use_vhost_vsock needs /dev/vhost-vsock "
                                        "(or set it to false: the runtime's own backend)");
        if ((r = qemu_paths_get(o->root, st->id, &p, err)) < 0)
                return r;
        if (!(args = calloc(1, sizeof(*args))))
                return kata_error_set(err, ENOMEM, "out of memory");
        if ((r = kata_cgroup_layout_detect(NULL, &layout, err)) < 0)
                goto out;
        if ((r = sandbox_cgroup_create(o, st, layout, &cg, err)) < 0)
                goto fail;
        if (!vhost_cid && (r = start_backend(&p, cg, o, st->id, &backend_pid, err)) < 0)
                goto fail;

        char reason[512];
        const char *accel = qemu_accel_choose("/", "/dev/kvm", hv->kernel, reason, sizeof(reason));
        qemu_args_build(o, &p, qemu, st->id, accel, vhost_cid, args);
        /* What ran and why, for whoever reads the log after a failure. */
        char header[1024];
        int hn = snprintf(header, sizeof(header), "kata-runtime: accel=%s (%s)\n", accel, reason);
        int lfd = open(p.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (lfd >= 0) {
                (void)!write(lfd, header, (size_t)hn);
                close(lfd);
        }
        kata_log_info("sandbox %s: QEMU with %s: %s", st->id, accel, reason);
        if (!vhost_cid && runtime_agent_tracing(o)) {
                kata_error lerr = KATA_ERROR_INIT;
                if (driver_link_trace_forwarder(o, st, &lerr) < 0)
                        kata_log_warn("tracing: %s", lerr.msg);
        }
        /* The runtime's messages point at agent.log: in a VM the agent logs to the console. */
        char agent_log[KATA_STATE_PATH_MAX];
        if (kata_state_sandbox_path(o->root, st->id, "agent.log", agent_log, sizeof(agent_log),
                                    NULL) == 0 &&
            symlink(QEMU_CONSOLE_LOG, agent_log) < 0 && errno != EEXIST)
                kata_log_debug("cannot link %s: %s", agent_log, strerror(errno));

        if ((r = qemu_proc_spawn(args->argv, p.log, cg, &qemu_pid, err)) < 0 ||
            (r = qemu_proc_write_pid(o->root, st->id, QEMU_PID_FILE, qemu_pid, err)) < 0) {
                kata_error_prefix(err, "QEMU");
                goto fail;
        }
        st->vmm_pid = qemu_pid;
        st->agent_pid = 0; /* inside the VM: no host pid */
        if (vhost_cid)
                snprintf(st->agent_address, sizeof(st->agent_address), "vsock://%u:%u", vhost_cid,
                         KATA_PORT_AGENT);
        else
                snprintf(st->agent_address, sizeof(st->agent_address), "hvsock://%s:%u", p.hvsock,
                         KATA_PORT_AGENT);
        r = 0;
        goto out;
fail:
        if (qemu_pid > 0) {
                kill(qemu_pid, SIGKILL);
                waitpid(qemu_pid, NULL, 0);
        }
        if (backend_pid > 0) {
                kill(backend_pid, SIGKILL);
                waitpid(backend_pid, NULL, 0);
        }
        if (cg)
                kata_cgroup_delete(cg, 1000, NULL);
out:
        free(args);
        if (cg)
                kata_cgroup_free(cg);
        if (layout)
                kata_cgroup_layout_free(layout);
        return r;
}

/* ---- Stop, liveness ----------------------------------------------------------------- */

static bool qemu_alive(const kata_sandbox_state *st)
{
        return qemu_proc_alive(st->vmm_pid, "qemu-system");
}

static int qemu_stop(runtime_opts *o, kata_sandbox_state *st, int timeout_ms, kata_error *err)
{
        /* The agent powers the VM off after DestroySandbox; QEMU (-no-reboot) exits. */
        qemu_proc_stop(st->vmm_pid, "qemu-system", timeout_ms);
        /* The backend exits when QEMU disconnects; give it a moment, then insist. */
        long backend = qemu_proc_read_pid(o->root, st->id, BACKEND_PID_FILE);
        qemu_proc_stop(backend, BACKEND_BINARY, timeout_ms ? 2000 : 0);
        sandbox_cgroup_remove(o, st);

        struct qemu_paths p;
        if (qemu_paths_get(o->root, st->id, &p, NULL) == 0) {
                unlink(p.qmp);
                unlink(p.vhost_user);
                unlink(p.hvsock);
        }
        if (qemu_alive(st))
                return kata_error_set(err, EBUSY, "QEMU (pid %lld) survived SIGKILL",
                                      (long long)st->vmm_pid);
        return 0;
}

static long qemu_host_pid(const kata_sandbox_state *st, long ns_pid)
{
        return 0; /* guest processes have no host pid */
}

/* ---- Container root filesystems ----------------------------------------------------- */

/* Lowest slot without an image in the sandbox directory: disk<N>-<cid>.img. */
static int free_disk_slot(const char *dir, unsigned *slot, kata_error *err)
{
        bool used[QEMU_DISK_SLOTS] = {false};
        DIR *d = opendir(dir);
        if (!d)
                return kata_error_errno(err, errno, "%s", dir);
        struct dirent *e;
        while ((e = readdir(d))) {
                unsigned n;
                if (sscanf(e->d_name, "disk%u-", &n) == 1 && n < QEMU_DISK_SLOTS)
                        used[n] = true;
        }
        closedir(d);
        for (unsigned i = 0; i < QEMU_DISK_SLOTS; i++) {
                if (!used[i]) {
                        *slot = i;
                        return 0;
                }
        }
        return kata_error_set(err, ENOSPC, "sandbox has no free disk slot (%d containers at most)",
                              QEMU_DISK_SLOTS);
}

static int qemu_container_rootfs(runtime_opts *o, kata_sandbox_state *st, const char *cid,
                                 Grpc__CreateContainerRequest *req, driver_container_rootfs *out,
                                 kata_error *err)
{
        if (!req->oci || !req->oci->root || !req->oci->root->path || !req->oci->root->path[0])
                return kata_error_set(err, EINVAL, "the OCI spec has no root.path");
        struct qemu_paths p;
        int r = qemu_paths_get(o->root, st->id, &p, err);
        if (r < 0)
                return r;
        unsigned slot = 0;
        if ((r = free_disk_slot(p.dir, &slot, err)) < 0)
                return r;
        char image[KATA_STATE_PATH_MAX];
        snprintf(image, sizeof(image), "%s/disk%u-%s.img", p.dir, slot, cid);
        /* The disk is never written: a writable root gets an overlay in guest memory. */
        bool writable = !req->oci->root->readonly;
        uint64_t t0 = kata_now_monotonic_ns();
        if ((r = qemu_disk_build(req->oci->root->path, image, err)) < 0)
                return kata_error_prefix(err, "container %s root filesystem", cid);
        uint64_t t1 = kata_now_monotonic_ns();
        bool q35 = machine_is_q35(o);
        if ((r = qemu_disk_hotplug(p.qmp, q35, slot, image, true, err)) < 0) {
                unlink(image);
                return kata_error_prefix(err, "container %s", cid);
        }
        kata_log_debug("container %s: rootfs image %.1f ms, hot-plug %.1f ms", cid,
                       (double)(t1 - t0) / 1e6, (double)(kata_now_monotonic_ns() - t1) / 1e6);

        Grpc__Storage init = GRPC__STORAGE__INIT;
        out->storage = init;
        qemu_disk_pci_path(q35, slot, out->source, sizeof(out->source));
        snprintf(out->fstype, sizeof(out->fstype), "ext4");
        snprintf(out->mount_point, sizeof(out->mount_point), "%s/%s/rootfs", GUEST_ROOTFS_DIR, cid);
        out->options[0] = "ro";
        out->driver_options[0] = GUEST_OVERLAY_OPTION;
        out->storage.driver = "blk";
        out->storage.source = out->source;
        out->storage.fstype = out->fstype;
        out->storage.mount_point = out->mount_point;
        out->storage.n_options = 1;
        out->storage.options = out->options;
        out->storage.n_driver_options = writable ? 1 : 0;
        out->storage.driver_options = out->driver_options;
        out->storages[0] = &out->storage;
        req->n_storages = 1;
        req->storages = out->storages;
        char *guest_root = strdup(out->mount_point);
        if (!guest_root)
                return kata_error_set(err, ENOMEM, "out of memory");
        free(req->oci->root->path);
        req->oci->root->path = guest_root;
        return 0;
}

/* The container's disk: its slot from the image name disk<N>-<cid>.img. */
static void qemu_container_removed(runtime_opts *o, kata_sandbox_state *st, const char *cid)
{
        struct qemu_paths p;
        kata_error err = KATA_ERROR_INIT;
        if (qemu_paths_get(o->root, st->id, &p, &err) < 0)
                return;
        DIR *d = opendir(p.dir);
        if (!d)
                return;
        struct dirent *e;
        char image[KATA_STATE_PATH_MAX] = "";
        unsigned slot = 0;
        while ((e = readdir(d))) {
                unsigned n;
                int used = 0;
                if (sscanf(e->d_name, "disk%u-%n", &n, &used) == 1 && used > 0 &&
                    kata_str_endswith(e->d_name, ".img") &&
                    strlen(e->d_name) == (size_t)used + strlen(cid) + 4 &&
                    strncmp(e->d_name + used, cid, strlen(cid)) == 0) {
                        slot = n;
                        snprintf(image, sizeof(image), "%s/%s", p.dir, e->d_name);
                        break;
                }
        }
        closedir(d);
        if (!image[0])
                return;
        uint64_t t0 = kata_now_monotonic_ns();
        if (qemu_disk_unplug(p.qmp, slot, QEMU_UNPLUG_TIMEOUT_MS, &err) < 0) {
                /* The image stays: its slot is not reused while the guest may hold it. */
                kata_log_warn("container %s: rootfs disk: %s", cid, err.msg);
                return;
        }
        unlink(image);
        kata_log_debug("container %s: rootfs disk unplugged in %.1f ms", cid,
                       (double)(kata_now_monotonic_ns() - t0) / 1e6);
}

const sandbox_driver sandbox_driver_qemu = {
    .name = "qemu",
    .start = qemu_start,
    .stop = qemu_stop,
    .host_pid = qemu_host_pid,
    .alive = qemu_alive,
    .container_rootfs = qemu_container_rootfs,
    .container_removed = qemu_container_removed,
};
