#include "agent/container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/oom.h"
#include "agent/process.h"
#include "agent/spawn.h"
#include "agent/tracing.h"
#include "common/log.h"
#include "common/util.h"

/* How long a child may take to set up (mounts) or to exec. */
#define SETUP_TIMEOUT_MS  30000
#define FREEZE_TIMEOUT_MS 5000

const char *container_status_name(enum container_status s)
{
        switch (s) {
        case CONTAINER_CREATING:
                return "creating";
        case CONTAINER_CREATED:
                return "created";
        case CONTAINER_RUNNING:
                return "running";
        case CONTAINER_PAUSED:
                return "paused";
        case CONTAINER_STOPPED:
                return "stopped";
        }
        return "unknown";
}

/* Called by agent_container_put on the last reference. */
void container_destroy(struct agent_container *c);
void container_destroy(struct agent_container *c)
{
        struct agent_process *p = c->processes;
        while (p) {
                struct agent_process *next = p->next;
                agent_process_unref(p); /* the list's reference; a reader may keep its own */
                p = next;
        }
        if (c->start_fd >= 0)
                close(c->start_fd);
        if (c->sync_fd >= 0)
                close(c->sync_fd);
        kata_cgroup_free(c->cgroup);
        kata_oci_spec_free(c->spec);
        pthread_mutex_destroy(&c->op_lock);
        free(c);
}

static void unlink_container(struct agent *a, struct agent_container *c)
{
        bool found = false;
        pthread_mutex_lock(&a->lock);
        for (struct agent_container **pp = &a->containers; *pp; pp = &(*pp)->next) {
                if (*pp == c) {
                        *pp = c->next;
                        found = true;
                        break;
                }
        }
        pthread_mutex_unlock(&a->lock);
        if (found)
                agent_container_put(a, c); /* the list's reference */
}

/* Reserves the id: a CREATING container in the list, with two references (the list's
 * and the caller's). */
static int reserve(struct agent *a, const char *id, kata_oci_spec *spec,
                   struct agent_container **out, kata_error *err)
{
        struct agent_container *c = calloc(1, sizeof(*c));
        if (!c)
                return kata_error_set(err, ENOMEM, "out of memory");
        snprintf(c->id, sizeof(c->id), "%s", id);
        c->spec = spec;
        c->refs = 2;
        c->start_fd = c->sync_fd = -1;
        c->status = CONTAINER_CREATING;
        pthread_mutex_init(&c->op_lock, NULL);
        /* Held until creation ends, so that other calls on this id wait for it. */
        pthread_mutex_lock(&c->op_lock);
        pthread_mutex_lock(&a->lock);
        for (struct agent_container *o = a->containers; o; o = o->next) {
                if (strcmp(o->id, id) == 0) {
                        pthread_mutex_unlock(&a->lock);
                        c->spec = NULL;
                        pthread_mutex_unlock(&c->op_lock);
                        pthread_mutex_destroy(&c->op_lock);
                        free(c);
                        return kata_error_set(err, EEXIST, "container %s already exists", id);
                }
        }
        c->next = a->containers;
        a->containers = c;
        pthread_mutex_unlock(&a->lock);
        *out = c;
        return 0;
}

/* Devices every container may use whatever its spec denies, as runc allows them: the
 * nodes the agent binds into /dev, the terminals, and mknod of anything. */
static const kata_cgroup_device_rule default_devices[] = {
    {true, 'c', -1, -1, "m"}, {true, 'b', -1, -1, "m"},    {true, 'c', 1, 3, "rwm"},
    {true, 'c', 1, 5, "rwm"}, {true, 'c', 1, 7, "rwm"},    {true, 'c', 1, 8, "rwm"},
    {true, 'c', 1, 9, "rwm"}, {true, 'c', 5, 0, "rwm"},    {true, 'c', 5, 1, "rwm"},
    {true, 'c', 5, 2, "rwm"}, {true, 'c', 136, -1, "rwm"},
};

/* out->devices is malloc'd (free it) when the spec has device rules. */
static int resources_from_spec(const kata_oci_resources *r, kata_cgroup_resources *out,
                               kata_error *err)
{
        memset(out, 0, sizeof(*out));
        out->has_cpu_shares = r->has_cpu_shares && r->cpu_shares > 0;
        out->cpu_shares = r->cpu_shares;
        out->has_cpu_quota = r->has_cpu_quota && r->cpu_quota != 0;
        out->cpu_quota = r->cpu_quota;
        out->has_cpu_period = r->has_cpu_period && r->cpu_period > 0;
        out->cpu_period = r->cpu_period;
        out->cpuset_cpus = r->cpuset_cpus;
        out->cpuset_mems = r->cpuset_mems;
        /* A protobuf Spec cannot tell 0 from unset: 0 means no limit, as in Kata. */
        out->has_memory_limit = r->has_memory_limit && r->memory_limit != 0;
        out->memory_limit = r->memory_limit;
        out->has_memory_swap = r->has_memory_swap && r->memory_swap != 0;
        out->memory_swap = r->memory_swap;
        out->has_memory_reservation = r->has_memory_reservation && r->memory_reservation != 0;
        out->memory_reservation = r->memory_reservation;
        out->has_pids_limit = r->has_pids_limit && r->pids_limit != 0;
        out->pids_limit = r->pids_limit;
        if (r->n_devices == 0)
                return 0;
        size_t n = r->n_devices + KATA_ARRAY_SIZE(default_devices);
        kata_cgroup_device_rule *rules = calloc(n, sizeof(*rules));
        if (!rules)
                return kata_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < r->n_devices; i++) {
                const kata_oci_device_rule *d = &r->devices[i];
                rules[i].allow = d->allow;
                rules[i].type = d->type;
                rules[i].major = d->major;
                rules[i].minor = d->minor;
                snprintf(rules[i].access, sizeof(rules[i].access), "%s", d->access);
        }
        memcpy(rules + r->n_devices, default_devices, sizeof(default_devices));
        out->devices = rules;
        out->n_devices = n;
        return 0;
}

static int setup_cgroup(struct agent *a, struct agent_container *c, kata_error *err)
{
        const char *path = c->spec->linux.cgroups_path ? c->spec->linux.cgroups_path : "";
        kata_cgroup_driver_choice choice;
        kata_cgroup_select_driver(a->init_mode, kata_cgroup_systemd_running(NULL), path, &choice);
        if (kata_cgroup_path_is_systemd(path))
                kata_log_info("container %s: cgroupsPath '%s' has the systemd form; driver %s: %s",
                              c->id, path, kata_cgroup_driver_name(choice.used), choice.reason);
        int r = kata_cgroup_path_map(path, c->id, c->cgroup_path, sizeof(c->cgroup_path), err);
        if (r < 0)
                return kata_error_prefix(err, "linux.cgroupsPath");
        if (!a->cgroup_layout) {
                kata_log_warn("container %s: no cgroup hierarchy is mounted; limits not applied",
                              c->id);
                return 0;
        }
        r = kata_cgroup_create(a->cgroup_layout, c->cgroup_path, &c->cgroup, err);
        if (r < 0)
                return kata_error_prefix(err, "cgroup %s", c->cgroup_path);
        kata_cgroup_resources res;
        r = resources_from_spec(&c->spec->linux.resources, &res, err);
        if (r == 0)
                r = kata_cgroup_apply(c->cgroup, &res, err);
        free((void *)res.devices);
        if (r < 0)
                return kata_error_prefix(err, "linux.resources");
        return 0;
}

/* Ends a child span of the RPC's span with the step's outcome. */
static void end_step(kata_span *step, int r, const kata_error *err)
{
        if (r < 0)
                kata_span_set_status(step, KATA_SPAN_STATUS_ERROR, err->msg);
        kata_span_end(step);
}

/* A child's error message becomes the call's error; its code says "the container
 * failed", not "not found", whatever errno the child hit. */
static int child_error(const struct spawn_msg *msg, const char *what, kata_error *err)
{
        return kata_error_set(err, EIO, "%s: %s", what, msg->text);
}

static void kill_and_forget(pid_t pid)
{
        if (pid > 0)
                kill(pid, SIGKILL);
}

int container_create(struct agent *a, const char *id, kata_oci_spec *spec, kata_error *err)
{
        int r = agent_check_id("container id", id, false, err);
        if (r < 0) {
                kata_oci_spec_free(spec);
                return r;
        }
        struct agent_container *c = NULL;
        r = reserve(a, id, spec, &c, err);
        if (r < 0) {
                kata_oci_spec_free(spec);
                return r;
        }
        struct spawn_plan plan;
        struct spawn_stdio io;
        for (int i = 0; i < 3; i++)
                io.child[i] = io.parent[i] = -1;
        pid_t pid = -1;
        r = spawn_plan_init(&plan, spec, id, err);
        if (r < 0)
                goto fail;
        kata_span *step = kata_span_begin("setup_cgroup", agent_rpc_span());
        kata_span_set_container_id(step, id);
        r = setup_cgroup(a, c, err);
        kata_span_set_attr_str(step, "cgroup.path", c->cgroup_path);
        end_step(step, r, err);
        if (r < 0)
                goto fail;
        r = spawn_stdio_open(&io, &spec->process, err);
        if (r < 0)
                goto fail;
        pid = spawn_init(&plan, &io, &c->sync_fd, &c->start_fd, err);
        spawn_stdio_close_child(&io);
        if (pid < 0) {
                r = pid;
                goto fail;
        }
        struct agent_process *p = agent_process_new("");
        if (!p) {
                kill_and_forget(pid);
                r = kata_error_set(err, ENOMEM, "out of memory");
                goto fail;
        }
        p->stdin_fd = io.parent[0];
        p->stdout_fd = io.parent[1];
        p->stderr_fd = io.parent[2];
        p->tty = io.tty;
        io.parent[0] = io.parent[1] = io.parent[2] = -1;
        agent_process_attach(a, c, p, pid);
        if (c->cgroup) {
                r = kata_cgroup_add_pid(c->cgroup, pid, err);
                if (r < 0) {
                        kill_and_forget(pid);
                        goto fail;
                }
        }
        if (write(c->start_fd, "g", 1) != 1) {
                r = kata_error_errno(err, errno, "container init %d did not start", pid);
                kill_and_forget(pid);
                goto fail;
        }
        struct spawn_msg msg;
        step = kata_span_begin("setup_rootfs", agent_rpc_span());
        kata_span_set_container_id(step, id);
        r = spawn_read_msg(c->sync_fd, SETUP_TIMEOUT_MS, &msg, err);
        if (r == -EPIPE)
                r = kata_error_set(err, EIO, "container init exited during setup");
        else if (r == 0 && msg.kind != SPAWN_MSG_READY)
                r = child_error(&msg, "container setup", err);
        end_step(step, r, err);
        if (r < 0) {
                kill_and_forget(pid);
                goto fail;
        }
        spawn_plan_release(&plan);
        if (c->cgroup)
                agent_oom_watch(a, c);
        pthread_mutex_lock(&a->lock);
        c->status = CONTAINER_CREATED;
        pthread_mutex_unlock(&a->lock);
        kata_log_info("container %s created: init pid %d, cgroup %s", id, pid, c->cgroup_path);
        pthread_mutex_unlock(&c->op_lock);
        agent_container_put(a, c);
        return 0;

fail:
        spawn_plan_release(&plan);
        spawn_stdio_close_all(&io);
        if (c->cgroup) {
                kata_error e = KATA_ERROR_INIT;
                kata_cgroup_kill(c->cgroup, 2000, &e);
                if (kata_cgroup_delete(c->cgroup, 2000, &e) < 0)
                        kata_log_warn("container %s: %s", id, e.msg);
        }
        pthread_mutex_lock(&a->lock);
        c->status = CONTAINER_STOPPED;
        pthread_mutex_unlock(&a->lock);
        pthread_mutex_unlock(&c->op_lock);
        unlink_container(a, c);
        agent_container_put(a, c);
        return r;
}

static struct agent_container *get_for_op(struct agent *a, const char *id, kata_error *err)
{
        if (agent_check_id("container id", id, false, err) < 0)
                return NULL;
        struct agent_container *c = agent_container_get(a, id);
        if (!c) {
                kata_error_set(err, ENOENT, "container %s not found", id);
                return NULL;
        }
        /* Fail at once rather than wait for a remove in progress to let go. */
        pthread_mutex_lock(&a->lock);
        bool removing = c->removing;
        pthread_mutex_unlock(&a->lock);
        if (removing) {
                agent_container_put(a, c);
                kata_error_set(err, EBUSY, "container %s is being removed", id);
                return NULL;
        }
        pthread_mutex_lock(&c->op_lock);
        return c;
}

static void end_op(struct agent *a, struct agent_container *c)
{
        pthread_mutex_unlock(&c->op_lock);
        agent_container_put(a, c);
}

static enum container_status status_of(struct agent *a, struct agent_container *c, bool *removing)
{
        pthread_mutex_lock(&a->lock);
        enum container_status s = c->status;
        if (removing)
                *removing = c->removing;
        pthread_mutex_unlock(&a->lock);
        return s;
}

static void set_status(struct agent *a, struct agent_container *c, enum container_status s)
{
        pthread_mutex_lock(&a->lock);
        /* The reaper may have seen the init exit already: stopped stays stopped. */
        if (c->status != CONTAINER_STOPPED)
                c->status = s;
        pthread_mutex_unlock(&a->lock);
}

int container_start(struct agent *a, const char *id, kata_error *err)
{
        struct agent_container *c = get_for_op(a, id, err);
        if (!c)
                return -err->code;
        bool removing;
        enum container_status s = status_of(a, c, &removing);
        int r = 0;
        if (s != CONTAINER_CREATED || removing) {
                r = kata_error_set(err, EBUSY, "container %s is %s, not created", id,
                                   removing ? "being removed" : container_status_name(s));
                goto out;
        }
        if (write(c->start_fd, "s", 1) != 1) {
                r = kata_error_errno(err, errno, "container %s: init is gone", id);
                goto out;
        }
        close(c->start_fd);
        c->start_fd = -1;
        struct spawn_msg msg;
        r = spawn_read_msg(c->sync_fd, SETUP_TIMEOUT_MS, &msg, err);
        close(c->sync_fd);
        c->sync_fd = -1;
        if (r == -EPIPE) {
                r = 0; /* close-on-exec: execve succeeded */
                set_status(a, c, CONTAINER_RUNNING);
                kata_log_info("container %s started", id);
        } else if (r == 0) {
                r = child_error(&msg, "starting the container", err);
                set_status(a, c, CONTAINER_STOPPED);
        }
out:
        end_op(a, c);
        return r;
}

static const struct {
        enum kata_oci_ns_type type;
        const char *proc_name;
} ns_files[] = {
    {KATA_OCI_NS_IPC, "ipc"},       {KATA_OCI_NS_UTS, "uts"},   {KATA_OCI_NS_PID, "pid"},
    {KATA_OCI_NS_CGROUP, "cgroup"}, {KATA_OCI_NS_MOUNT, "mnt"},
};

static int open_init_namespaces(const kata_oci_spec *spec, pid_t pid, struct spawn_plan *plan,
                                kata_error *err)
{
        for (size_t i = 0; i < KATA_ARRAY_SIZE(ns_files); i++) {
                if (!kata_oci_spec_has_namespace(spec, ns_files[i].type, NULL))
                        continue;
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns_files[i].proc_name);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return kata_error_errno(err, errno, "cannot open %s", path);
                plan->ns_fds[plan->n_ns] = fd;
                plan->ns_types[plan->n_ns] = kata_oci_ns_clone_flag(ns_files[i].type);
                plan->n_ns++;
        }
        return 0;
}

int container_exec(struct agent *a, const char *id, const char *exec_id, kata_oci_process *process,
                   kata_error *err)
{
        struct spawn_plan plan;
        memset(&plan, 0, sizeof(plan));
        struct spawn_stdio io;
        for (int i = 0; i < 3; i++)
                io.child[i] = io.parent[i] = -1;
        struct agent_process *p = NULL;
        int r = agent_check_id("exec id", exec_id, false, err);
        if (r < 0) {
                kata_oci_process_clear(process);
                return r;
        }
        struct agent_container *c = get_for_op(a, id, err);
        if (!c) {
                kata_oci_process_clear(process);
                return -err->code;
        }
        p = agent_process_new(exec_id);
        if (!p) {
                kata_oci_process_clear(process);
                r = kata_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        p->exec_spec = *process;
        memset(process, 0, sizeof(*process));
        /* An exec without capabilities gets the container's, never the agent's. */
        if (!p->exec_spec.caps.set)
                p->exec_spec.caps = c->spec->process.caps;
        bool removing;
        enum container_status s = status_of(a, c, &removing);
        if (s != CONTAINER_RUNNING || removing) {
                r = kata_error_set(err, EBUSY, "container %s is %s, not running", id,
                                   removing ? "being removed" : container_status_name(s));
                goto out;
        }
        struct agent_process *dup = agent_process_get(a, id, exec_id, NULL);
        if (dup) {
                agent_process_put(a, dup);
                r = kata_error_set(err, EEXIST, "exec %s already exists in container %s", exec_id,
                                   id);
                goto out;
        }
        pid_t init_pid = c->processes ? c->processes->pid : -1;
        if ((r = spawn_plan_process(&plan, &p->exec_spec, err)) < 0 ||
            (r = open_init_namespaces(c->spec, init_pid, &plan, err)) < 0 ||
            (r = spawn_stdio_open(&io, &p->exec_spec, err)) < 0)
                goto out;
        int sync_fd = -1, go_fd = -1;
        pid_t helper = spawn_exec(&plan, &io, &sync_fd, &go_fd, err);
        spawn_stdio_close_child(&io);
        if (helper < 0) {
                r = helper;
                goto out;
        }
        if (c->cgroup && (r = kata_cgroup_add_pid(c->cgroup, helper, err)) < 0) {
                kill_and_forget(helper);
                close(sync_fd);
                close(go_fd);
                goto out;
        }
        ssize_t w = write(go_fd, "g", 1);
        (void)w;
        close(go_fd);
        struct spawn_msg msg;
        r = spawn_read_msg(sync_fd, SETUP_TIMEOUT_MS, &msg, err);
        if (r == -EPIPE)
                r = kata_error_set(err, EIO, "exec helper exited without starting the process");
        else if (r == 0 && msg.kind != SPAWN_MSG_PID)
                r = child_error(&msg, "exec", err);
        if (r < 0) {
                kill_and_forget(helper);
                close(sync_fd);
                goto out;
        }
        pid_t pid = msg.pid;
        p->stdin_fd = io.parent[0];
        p->stdout_fd = io.parent[1];
        p->stderr_fd = io.parent[2];
        p->tty = io.tty;
        io.parent[0] = io.parent[1] = io.parent[2] = -1;
        agent_process_ref(p); /* one for the container's list, one kept until we are done */
        agent_process_attach(a, c, p, pid);
        r = spawn_read_msg(sync_fd, SETUP_TIMEOUT_MS, &msg, err);
        close(sync_fd);
        if (r == -EPIPE) {
                r = 0;
                kata_log_info("container %s: exec %s started as pid %d", id, exec_id, pid);
        } else if (r == 0) {
                r = child_error(&msg, "exec", err);
        }
out:
        spawn_plan_release(&plan);
        spawn_stdio_close_all(&io);
        if (p)
                agent_process_put(a, p);
        end_op(a, c);
        return r;
}

int container_signal(struct agent *a, const char *id, const char *exec_id, int sig, kata_error *err)
{
        int r = agent_check_id("container id", id, false, err);
        if (r == 0)
                r = agent_check_id("exec id", exec_id, true, err);
        if (r < 0)
                return r;
        if (sig <= 0 || sig >= NSIG)
                return kata_error_set(err, EINVAL, "signal %d is out of range", sig);
        struct agent_container *c = NULL;
        struct agent_process *p = agent_process_get(a, id, exec_id, &c);
        if (!p)
                return kata_error_set(err, ENOENT, "process '%s' of container %s not found",
                                      exec_id ? exec_id : "", id);
        pthread_mutex_lock(&a->lock);
        bool exited = p->exited;
        pid_t pid = p->pid;
        bool paused = c->status == CONTAINER_PAUSED;
        /* Signal under the lock: the reaper cannot collect the pid (and let it be
         * reused) in between. */
        if (!exited && kill(pid, sig) < 0 && errno != ESRCH)
                r = kata_error_errno(err, errno, "kill %d", pid);
        pthread_mutex_unlock(&a->lock);
        if (paused && !exited && (sig == SIGKILL || sig == SIGTERM))
                kata_log_info("container %s is paused: signal %d is delivered on resume", id, sig);
        agent_process_put(a, p);
        agent_container_put(a, c);
        return r;
}

int container_update(struct agent *a, const char *id, const kata_oci_resources *res,
                     kata_error *err)
{
        struct agent_container *c = get_for_op(a, id, err);
        if (!c)
                return -err->code;
        int r;
        if (!c->cgroup) {
                r = kata_error_set(err, ENOTSUP, "container %s has no cgroup", id);
        } else {
                kata_cgroup_resources cres;
                r = resources_from_spec(res, &cres, err);
                if (r == 0)
                        r = kata_cgroup_apply(c->cgroup, &cres, err);
                free((void *)cres.devices);
                if (r < 0)
                        kata_error_prefix(err, "resources");
        }
        end_op(a, c);
        return r;
}

int container_pause(struct agent *a, const char *id, bool pause, kata_error *err)
{
        struct agent_container *c = get_for_op(a, id, err);
        if (!c)
                return -err->code;
        int r = 0;
        enum container_status want = pause ? CONTAINER_RUNNING : CONTAINER_PAUSED;
        enum container_status s = status_of(a, c, NULL);
        if (s != want) {
                r = kata_error_set(err, EBUSY, "container %s is %s, not %s", id,
                                   container_status_name(s), container_status_name(want));
        } else if (!c->cgroup) {
                r = kata_error_set(err, ENOTSUP, "container %s has no cgroup to freeze", id);
        } else {
                r = kata_cgroup_freeze(c->cgroup, pause, FREEZE_TIMEOUT_MS, err);
                if (r == 0)
                        set_status(a, c, pause ? CONTAINER_PAUSED : CONTAINER_RUNNING);
        }
        end_op(a, c);
        return r;
}

static void kill_processes(struct agent *a, struct agent_container *c)
{
        pthread_mutex_lock(&a->lock);
        for (struct agent_process *p = c->processes; p; p = p->next)
                if (!p->exited && p->pid > 0)
                        kill(p->pid, SIGKILL);
        pthread_mutex_unlock(&a->lock);
}

/* Waits until every process of c was reaped or the deadline passes. */
static bool wait_all_exited(struct agent *a, struct agent_container *c, uint64_t deadline_ns)
{
        for (;;) {
                bool all = true;
                pthread_mutex_lock(&a->lock);
                for (struct agent_process *p = c->processes; p; p = p->next)
                        if (!p->exited)
                                all = false;
                pthread_mutex_unlock(&a->lock);
                if (all)
                        return true;
                if (kata_now_monotonic_ns() > deadline_ns)
                        return false;
                struct timespec ts = {0, 10 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
}

int container_remove(struct agent *a, const char *id, unsigned timeout_s, kata_error *err)
{
        if (agent_check_id("container id", id, false, err) < 0)
                return -err->code;
        struct agent_container *c = agent_container_get(a, id);
        if (!c)
                return kata_error_set(err, ENOENT, "container %s not found", id);
        pthread_mutex_lock(&a->lock);
        bool already = c->removing;
        c->removing = true;
        pthread_mutex_unlock(&a->lock);
        if (already) {
                agent_container_put(a, c);
                return kata_error_set(err, EBUSY, "container %s is already being removed", id);
        }
        pthread_mutex_lock(&c->op_lock);
        /* 0 waits without limit, as agent.proto says (INT_MAX ms is 24 days); this
         * call's own thread is the only one that waits. */
        int timeout_ms =
            timeout_s == 0 || timeout_s > INT_MAX / 1000 ? INT_MAX : (int)timeout_s * 1000;
        uint64_t deadline = kata_now_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
        int r = 0;
        if (c->start_fd >= 0) { /* never started: its init waits on this pipe */
                close(c->start_fd);
                c->start_fd = -1;
        }
        agent_oom_unwatch(a, c);
        if (c->cgroup) {
                kata_error e = KATA_ERROR_INIT;
                if (kata_cgroup_kill(c->cgroup, timeout_ms, &e) < 0)
                        kata_log_warn("container %s: %s", id, e.msg);
        }
        kill_processes(a, c);
        if (!wait_all_exited(a, c, deadline))
                r = kata_error_set(err, ETIMEDOUT,
                                   "container %s: processes still running after %u s", id,
                                   timeout_s);
        if (r == 0 && c->cgroup)
                r = kata_cgroup_delete(c->cgroup, timeout_ms, err);
        if (r < 0) {
                pthread_mutex_lock(&a->lock);
                c->removing = false;
                pthread_mutex_unlock(&a->lock);
                end_op(a, c);
                return r;
        }
        pthread_mutex_unlock(&c->op_lock);
        unlink_container(a, c);
        kata_log_info("container %s removed", id);
        agent_container_put(a, c);
        return 0;
}

void container_remove_all(struct agent *a)
{
        for (;;) {
                char id[AGENT_ID_MAX + 1] = "";
                pthread_mutex_lock(&a->lock);
                for (struct agent_container *c = a->containers; c; c = c->next) {
                        if (!c->removing) {
                                snprintf(id, sizeof(id), "%s", c->id);
                                break;
                        }
                }
                pthread_mutex_unlock(&a->lock);
                if (!id[0])
                        return;
                kata_error e = KATA_ERROR_INIT;
                if (container_remove(a, id, 5, &e) < 0) {
                        kata_log_warn("removing %s: %s", id, e.msg);
                        /* Forget it anyway so that the loop ends. */
                        struct agent_container *c = agent_container_get(a, id);
                        if (c) {
                                pthread_mutex_lock(&a->lock);
                                c->removing = true;
                                pthread_mutex_unlock(&a->lock);
                                unlink_container(a, c);
                                agent_container_put(a, c);
                        }
                }
        }
}

int container_init_pid(struct agent *a, const char *id, pid_t *pid, kata_error *err)
{
        struct agent_process *p = agent_process_get(a, id, "", NULL);
        if (!p)
                return kata_error_set(err, ENOENT, "container %s not found", id);
        *pid = p->pid;
        agent_process_put(a, p);
        return 0;
}
