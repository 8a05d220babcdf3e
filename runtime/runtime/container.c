/* Container verbs: each finds the container's sandbox through the state index, talks to
 * the sandbox's agent, and records what changed in the sandbox's state. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "common/log.h"
#include "common/util.h"
#include "oci.pb-c.h"
#include "oci/oci.h"
#include "protocols/pb_json.h"
#include "runtime.h"
#include "sandbox.h"
#include "stdio_relay.h"
#include "tracing/tracing.h"

#define CONTAINER_REMOVE_TIMEOUT_S 10

static int invalid_id(const char *what, const char *id, kata_error *err)
{
        return kata_error_set(err, EINVAL,
                              "invalid %s id '%s': use 1 to 128 characters of [A-Za-z0-9_.-], "
                              "not starting with '.' or '-'",
                              what, id ? id : "");
}

/* Reads <bundle>/config.json, validates it with the OCI library (clear errors naming the
 * field), resolves a relative root.path against the bundle (the local driver's agent
 * sees host paths), and converts it to the agent's protobuf Spec. */
static int bundle_load_spec(const char *bundle, char *abs_bundle, Grpc__Spec **out,
                            char *cgroups_path, size_t cgroups_size, kata_error *err)
{
        if (!realpath(bundle, abs_bundle))
                return kata_error_errno(err, errno, "bundle %s", bundle);
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/config.json", abs_bundle);
        char *text = NULL;
        size_t len = 0;
        int r = kata_read_file(path, 16u << 20, &text, &len, err);
        if (r < 0)
                return r;
        kata_oci_spec *spec = NULL;
        r = kata_oci_spec_parse(text, len, &spec, err);
        if (r < 0) {
                free(text);
                return kata_error_prefix(err, "%s", path);
        }
        json_object *root = json_tokener_parse(text);
        free(text);
        if (!root) {
                kata_oci_spec_free(spec);
                return kata_error_set(err, EINVAL, "%s: not valid JSON", path);
        }
        char rootfs[PATH_MAX];
        if (spec->root_path && spec->root_path[0] != '/')
                snprintf(rootfs, sizeof(rootfs), "%s/%s", abs_bundle, spec->root_path);
        else
                snprintf(rootfs, sizeof(rootfs), "%s", spec->root_path ? spec->root_path : "");
        snprintf(cgroups_path, cgroups_size, "%s",
                 spec->linux.cgroups_path ? spec->linux.cgroups_path : "");
        if (spec->process.terminal && !isatty(STDIN_FILENO)) {
                kata_oci_spec_free(spec);
                json_object_put(root);
                return kata_error_set(err, ENOTTY,
                                      "%s: process.terminal is true but stdin is not a "
                                      "terminal: run from a terminal, or set it to false",
                                      path);
        }
        kata_oci_spec_free(spec);

        json_object *jroot;
        if (json_object_object_get_ex(root, "root", &jroot) &&
            json_object_is_type(jroot, json_type_object))
                json_object_object_add(jroot, "path", json_object_new_string(rootfs));
        ProtobufCMessage *msg = NULL;
        r = kata_pb_from_json(&grpc__spec__descriptor, root, KATA_PB_JSON_IGNORE_UNKNOWN, &msg,
                              err);
        json_object_put(root);
        if (r < 0)
                return kata_error_prefix(err, "%s", path);
        *out = (Grpc__Spec *)msg;
        return 0;
}

/* The container's init as the agent sees it: the process of the container whose parent
 * is not in the container. */
static int container_ns_pid(sandbox *sb, const char *cid, long *ns_pid, kata_error *err)
{
        Grpc__ListProcessesRequest req = GRPC__LIST_PROCESSES_REQUEST__INIT;
        req.container_id = (char *)cid;
        ProtobufCMessage *resp = NULL;
        int r = kata_agent_call(&sb->agent, "ListProcesses", &req.base,
                                &grpc__list_processes_response__descriptor, 0, &resp, err);
        if (r < 0)
                return r;
        Grpc__ListProcessesResponse *l = (Grpc__ListProcessesResponse *)resp;
        *ns_pid = 0;
        for (size_t i = 0; i < l->n_processes && !*ns_pid; i++) {
                bool parent_inside = false;
                for (size_t j = 0; j < l->n_processes; j++)
                        parent_inside |= l->processes[j]->pid == l->processes[i]->ppid;
                if (!parent_inside)
                        *ns_pid = l->processes[i]->pid;
        }
        protobuf_c_message_free_unpacked(resp, NULL);
        return 0;
}

static int write_pid_file(const char *path, long pid, kata_error *err)
{
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%ld", pid);
        return kata_write_file_atomic(path, buf, (size_t)n, 0644, err);
}

struct container_update {
        const char *cid;
        kata_container_state c;   /* fields to store */
        bool set_pid, set_status; /* which */
};

static int apply_container_update(kata_sandbox_state *st, void *ctx, kata_error *err)
{
        struct container_update *u = ctx;
        kata_container_state *c = kata_sandbox_state_find_container(st, u->cid);
        if (!c)
                return kata_error_set(err, ENOENT, "container '%s' vanished from the state",
                                      u->cid);
        if (u->set_pid) {
                c->pid = u->c.pid;
                c->ns_pid = u->c.ns_pid;
        }
        if (u->set_status) {
                c->status = u->c.status;
                c->has_exit_status = u->c.has_exit_status;
                c->exit_status = u->c.exit_status;
        }
        return 0;
}

static int container_set_status(runtime_opts *o, const char *sid, const char *cid,
                                enum kata_container_status status, kata_error *err)
{
        struct container_update u = {.cid = cid, .set_status = true};
        u.c.status = status;
        return kata_state_update(o->root, sid, apply_container_update, &u, err);
}

int runtime_container_create(runtime_opts *o, const runtime_create_args *a, kata_error *err)
{
        if (!kata_id_is_valid(a->id))
                return invalid_id("container", a->id, err);
        if (a->sandbox_id && !kata_id_is_valid(a->sandbox_id))
                return invalid_id("sandbox", a->sandbox_id, err);
        char bundle[PATH_MAX], cgroups_path[KATA_STATE_PATH_MAX];
        Grpc__Spec *spec = NULL;
        int r = bundle_load_spec(a->bundle, bundle, &spec, cgroups_path, sizeof(cgroups_path), err);
        if (r < 0)
                return r;

        char sid_probe[KATA_STATE_ID_MAX + 1];
        if (kata_state_find_sandbox(o->root, a->id, sid_probe, NULL) == 0) {
                protobuf_c_message_free_unpacked(&spec->base, NULL);
                return kata_error_set(err, EEXIST, "container '%s' already exists", a->id);
        }

        sandbox sb;
        bool new_sandbox = a->sandbox_id == NULL;
        if (new_sandbox)
                r = sandbox_create(o, a->id, &sb, err);
        else if ((r = sandbox_load(o, a->sandbox_id, &sb, err)) == 0)
                r = sandbox_connect(&sb, 0, err);
        if (r < 0) {
                if (!new_sandbox)
                        sandbox_release(&sb);
                protobuf_c_message_free_unpacked(&spec->base, NULL);
                return r;
        }

        kata_span_set_container_id(o->span, a->id);
        kata_tracing_set_default_ids(sb.st.id, a->id, NULL);
        kata_container_state c = {0};
        snprintf(c.id, sizeof(c.id), "%s", a->id);
        snprintf(c.bundle, sizeof(c.bundle), "%s", bundle);
        snprintf(c.cgroup_path, sizeof(c.cgroup_path), "%s", cgroups_path);
        c.status = KATA_CONTAINER_CREATED;
        c.created_ns = (int64_t)kata_now_realtime_ns();
        /* Reserve the id first: two creates of one id must not both reach the agent. */
        r = kata_state_add_container(o->root, sb.st.id, &c, err);
        if (r < 0) {
                if (r == -EEXIST)
                        kata_error_set(err, EEXIST, "container '%s' already exists", a->id);
                goto fail_sandbox;
        }

        Grpc__CreateContainerRequest req = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        req.container_id = (char *)a->id;
        req.exec_id = (char *)a->id;
        req.oci = spec;
        driver_container_rootfs rootfs; /* a VM's disk for the rootfs: see driver.h */
        if (sb.driver->container_rootfs &&
            (r = sb.driver->container_rootfs(o, &sb.st, a->id, &req, &rootfs, err)) < 0)
                goto fail_container;
        r = kata_agent_call(&sb.agent, "CreateContainer", &req.base, NULL, 0, NULL, err);
        if (r < 0)
                goto fail_container;

        long ns_pid = 0, host_pid = 0;
        if (container_ns_pid(&sb, a->id, &ns_pid, err) == 0 && ns_pid > 0)
                host_pid = sb.driver->host_pid(&sb.st, ns_pid);
        struct container_update u = {.cid = a->id, .set_pid = true};
        u.c.pid = host_pid;
        u.c.ns_pid = ns_pid;
        if ((r = kata_state_update(o->root, sb.st.id, apply_container_update, &u, err)) < 0)
                goto fail_container;
        if (a->pid_file && (r = write_pid_file(a->pid_file, host_pid, err)) < 0)
                goto fail_container;

        protobuf_c_message_free_unpacked(&spec->base, NULL);
        sandbox_release(&sb);
        return 0;

fail_container : {
        Grpc__RemoveContainerRequest rm = GRPC__REMOVE_CONTAINER_REQUEST__INIT;
        rm.container_id = (char *)a->id;
        kata_agent_call(&sb.agent, "RemoveContainer", &rm.base, NULL, 0, NULL, NULL);
        kata_state_remove_container(o->root, a->id, NULL);
}
fail_sandbox:
        if (new_sandbox) {
                sandbox_release(&sb); /* the reload below starts afresh */
                if (sandbox_load(o, a->id, &sb, NULL) == 0)
                        sandbox_destroy(o, &sb, true, NULL);
        }
        sandbox_release(&sb);
        protobuf_c_message_free_unpacked(&spec->base, NULL);
        return r;
}

int runtime_container_start(runtime_opts *o, const char *id, kata_error *err)
{
        sandbox sb;
        kata_container_state *c;
        int r = sandbox_load_for_container(o, id, &sb, &c, err);
        if (r < 0)
                return r;
        if (c->status != KATA_CONTAINER_CREATED) {
                r = kata_error_set(err, EINVAL, "container '%s' is %s, not created", id,
                                   kata_container_status_name(c->status));
                goto out;
        }
        if ((r = sandbox_connect(&sb, 0, err)) < 0)
                goto out;
        Grpc__StartContainerRequest req = GRPC__START_CONTAINER_REQUEST__INIT;
        req.container_id = (char *)id;
        if ((r = kata_agent_call(&sb.agent, "StartContainer", &req.base, NULL, 0, NULL, err)) < 0)
                goto out;
        r = container_set_status(o, sb.st.id, id, KATA_CONTAINER_RUNNING, err);
out:
        sandbox_release(&sb);
        return r;
}

/* process.terminal of a bundle (already validated by create). */
static bool bundle_terminal(const char *bundle)
{
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/config.json", bundle);
        json_object *root = json_object_from_file(path), *proc, *term;
        bool t = root && json_object_object_get_ex(root, "process", &proc) &&
                 json_object_object_get_ex(proc, "terminal", &term) &&
                 json_object_get_boolean(term);
        if (root)
                json_object_put(root);
        return t;
}

int runtime_container_run(runtime_opts *o, const runtime_create_args *a, int *exit_status,
                          kata_error *err)
{
        int r = runtime_container_create(o, a, err);
        if (r < 0)
                return r;
        sandbox sb;
        kata_container_state *c;
        if ((r = sandbox_load_for_container(o, a->id, &sb, &c, err)) < 0)
                return r;
        if ((r = sandbox_connect(&sb, 0, err)) < 0)
                goto out;
        Grpc__StartContainerRequest req = GRPC__START_CONTAINER_REQUEST__INIT;
        req.container_id = (char *)a->id;
        if ((r = kata_agent_call(&sb.agent, "StartContainer", &req.base, NULL, 0, NULL, err)) < 0)
                goto out;
        container_set_status(o, sb.st.id, a->id, KATA_CONTAINER_RUNNING, NULL);
        r = stdio_relay_and_wait(&sb.agent, a->id, "", bundle_terminal(c->bundle), exit_status,
                                 err);
out:
        sandbox_release(&sb);
        kata_error del_err = KATA_ERROR_INIT;
        if (runtime_container_delete(o, a->id, true, &del_err) < 0)
                kata_log_warn("cleaning up %s: %s", a->id, del_err.msg);
        return r;
}

/* The exec'd process: the container's own process settings with new args (and the
 * caller's cwd/env/user when given), as the agent's protobuf Process. */
static int exec_process_build(const char *bundle, const runtime_exec_args *a, Grpc__Process **out,
                              kata_error *err)
{
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/config.json", bundle);
        json_object *root = json_object_from_file(path);
        json_object *proc = NULL;
        if (!root || !json_object_object_get_ex(root, "process", &proc) ||
            !json_object_is_type(proc, json_type_object)) {
                if (root)
                        json_object_put(root);
                return kata_error_set(err, EINVAL, "%s: no process object", path);
        }
        json_object *args = json_object_new_array();
        for (int i = 0; i < a->argc; i++)
                json_object_array_add(args, json_object_new_string(a->argv[i]));
        json_object_object_add(proc, "args", args);
        json_object_object_add(proc, "terminal", json_object_new_boolean(a->tty));
        if (a->cwd)
                json_object_object_add(proc, "cwd", json_object_new_string(a->cwd));
        if (a->env) {
                json_object *env;
                if (!json_object_object_get_ex(proc, "env", &env) ||
                    !json_object_is_type(env, json_type_array)) {
                        env = json_object_new_array();
                        json_object_object_add(proc, "env", env);
                }
                for (char **e = a->env; *e; e++)
                        json_object_array_add(env, json_object_new_string(*e));
        }
        if (a->user) {
                unsigned long uid = 0, gid = 0;
                char tail;
                int n = sscanf(a->user, "%lu:%lu%c", &uid, &gid, &tail);
                if (n < 1 || n > 2) {
                        json_object_put(root);
                        return kata_error_set(err, EINVAL, "--user '%s': expected UID[:GID]",
                                              a->user);
                }
                json_object *user = json_object_new_object();
                json_object_object_add(user, "uid", json_object_new_int64((int64_t)uid));
                json_object_object_add(user, "gid", json_object_new_int64((int64_t)gid));
                json_object_object_add(proc, "user", user);
        }
        ProtobufCMessage *msg = NULL;
        int r = kata_pb_from_json(&grpc__process__descriptor, proc, KATA_PB_JSON_IGNORE_UNKNOWN,
                                  &msg, err);
        json_object_put(root);
        if (r < 0)
                return kata_error_prefix(err, "exec process");
        *out = (Grpc__Process *)msg;
        return 0;
}

int runtime_container_exec(runtime_opts *o, const runtime_exec_args *a, int *exit_status,
                           kata_error *err)
{
        if (a->argc < 1)
                return kata_error_set(err, EINVAL, "exec needs a command");
        sandbox sb;
        kata_container_state *c;
        int r = sandbox_load_for_container(o, a->id, &sb, &c, err);
        if (r < 0)
                return r;
        Grpc__Process *proc = NULL;
        if (c->status != KATA_CONTAINER_RUNNING) {
                r = kata_error_set(err, EINVAL, "container '%s' is %s, not running", a->id,
                                   kata_container_status_name(c->status));
                goto out;
        }
        if ((r = exec_process_build(c->bundle, a, &proc, err)) < 0 ||
            (r = sandbox_connect(&sb, 0, err)) < 0)
                goto out;
        uint8_t rnd[6];
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                memset(rnd, 0, sizeof(rnd));
        char exec_id[32];
        snprintf(exec_id, sizeof(exec_id), "exec-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
                 rnd[3], rnd[4], rnd[5]);
        Grpc__ExecProcessRequest req = GRPC__EXEC_PROCESS_REQUEST__INIT;
        req.container_id = (char *)a->id;
        req.exec_id = exec_id;
        req.process = proc;
        if ((r = kata_agent_call(&sb.agent, "ExecProcess", &req.base, NULL, 0, NULL, err)) < 0)
                goto out;
        r = stdio_relay_and_wait(&sb.agent, a->id, exec_id, a->tty, exit_status, err);
out:
        if (proc)
                protobuf_c_message_free_unpacked(&proc->base, NULL);
        sandbox_release(&sb);
        return r;
}

int runtime_signal_parse(const char *s, int *signal)
{
        uint64_t n;
        if (kata_parse_u64(s, &n) == 0) {
                if (n == 0 || n >= (uint64_t)NSIG)
                        return -EINVAL;
                *signal = (int)n;
                return 0;
        }
        const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
        for (int i = 1; i < NSIG; i++) {
                const char *abbrev = sigabbrev_np(i);
                if (abbrev && strcasecmp(abbrev, name) == 0) {
                        *signal = i;
                        return 0;
                }
        }
        return -EINVAL;
}

int runtime_container_kill(runtime_opts *o, const char *id, int signal, bool all, kata_error *err)
{
        sandbox sb;
        kata_container_state *c;
        int r = sandbox_load_for_container(o, id, &sb, &c, err);
        if (r < 0)
                return r;
        if ((r = sandbox_connect(&sb, 0, err)) < 0)
                goto out;
        if (!all) {
                Grpc__SignalProcessRequest req = GRPC__SIGNAL_PROCESS_REQUEST__INIT;
                req.container_id = (char *)id;
                req.exec_id = "";
                req.signal = (uint32_t)signal;
                r = kata_agent_call(&sb.agent, "SignalProcess", &req.base, NULL, 0, NULL, err);
                goto out;
        }
        /* --all: every process the agent lists for the container. */
        Grpc__ListProcessesRequest lreq = GRPC__LIST_PROCESSES_REQUEST__INIT;
        lreq.container_id = (char *)id;
        ProtobufCMessage *resp = NULL;
        if ((r = kata_agent_call(&sb.agent, "ListProcesses", &lreq.base,
                                 &grpc__list_processes_response__descriptor, 0, &resp, err)) < 0)
                goto out;
        Grpc__ListProcessesResponse *l = (Grpc__ListProcessesResponse *)resp;
        for (size_t i = 0; i < l->n_processes; i++) {
                long host = sb.driver->host_pid(&sb.st, l->processes[i]->pid);
                if (host > 0)
                        kill((pid_t)host, signal);
        }
        protobuf_c_message_free_unpacked(resp, NULL);
        /* The init gets it through the agent too, which works for VMs. */
        Grpc__SignalProcessRequest req = GRPC__SIGNAL_PROCESS_REQUEST__INIT;
        req.container_id = (char *)id;
        req.exec_id = "";
        req.signal = (uint32_t)signal;
        r = kata_agent_call(&sb.agent, "SignalProcess", &req.base, NULL, 0, NULL, err);
out:
        sandbox_release(&sb);
        return r;
}

int runtime_container_pause(runtime_opts *o, const char *id, bool pause, kata_error *err)
{
        sandbox sb;
        kata_container_state *c;
        int r = sandbox_load_for_container(o, id, &sb, &c, err);
        if (r < 0)
                return r;
        if ((r = sandbox_connect(&sb, 0, err)) < 0)
                goto out;
        if (pause) {
                Grpc__PauseContainerRequest req = GRPC__PAUSE_CONTAINER_REQUEST__INIT;
                req.container_id = (char *)id;
                r = kata_agent_call(&sb.agent, "PauseContainer", &req.base, NULL, 0, NULL, err);
        } else {
                Grpc__ResumeContainerRequest req = GRPC__RESUME_CONTAINER_REQUEST__INIT;
                req.container_id = (char *)id;
                r = kata_agent_call(&sb.agent, "ResumeContainer", &req.base, NULL, 0, NULL, err);
        }
        if (r == 0)
                r = container_set_status(
                    o, sb.st.id, id, pause ? KATA_CONTAINER_PAUSED : KATA_CONTAINER_RUNNING, err);
out:
        sandbox_release(&sb);
        return r;
}

/* A running container stays running until its init is gone; the host sees that for the
 * local driver (for a VM, the agent's word at the next RPC). */
bool runtime_container_alive(const sandbox *sb, const kata_container_state *c)
{
        if (c->status == KATA_CONTAINER_STOPPED)
                return false;
        if (c->pid > 0)
                return kill((pid_t)c->pid, 0) == 0 || errno == EPERM;
        return c->status == KATA_CONTAINER_RUNNING || c->status == KATA_CONTAINER_PAUSED;
}

int runtime_container_delete(runtime_opts *o, const char *id, bool force, kata_error *err)
{
        sandbox sb;
        kata_container_state *c;
        int r = sandbox_load_for_container(o, id, &sb, &c, err);
        if (r < 0)
                return r;
        bool alive = c->status != KATA_CONTAINER_CREATED && runtime_container_alive(&sb, c);
        if (alive && !force) {
                r = kata_error_set(err, EBUSY, "container '%s' is %s: stop it first or use --force",
                                   id, kata_container_status_name(c->status));
                goto out;
        }
        kata_error rpc_err = KATA_ERROR_INIT;
        r = sandbox_connect(&sb, 0, &rpc_err);
        if (r == 0 && alive) {
                Grpc__SignalProcessRequest sig = GRPC__SIGNAL_PROCESS_REQUEST__INIT;
                sig.container_id = (char *)id;
                sig.exec_id = "";
                sig.signal = SIGKILL;
                kata_agent_call(&sb.agent, "SignalProcess", &sig.base, NULL, 0, NULL, NULL);
        }
        if (r == 0) {
                Grpc__RemoveContainerRequest rm = GRPC__REMOVE_CONTAINER_REQUEST__INIT;
                rm.container_id = (char *)id;
                rm.timeout = CONTAINER_REMOVE_TIMEOUT_S;
                r = kata_agent_call(&sb.agent, "RemoveContainer", &rm.base, NULL, 0, NULL,
                                    &rpc_err);
                /* A VM's disk for the rootfs, unless the sandbox goes too: see driver.h */
                if (r == 0 && sb.driver->container_removed && sb.st.ncontainers > 1)
                        sb.driver->container_removed(o, &sb.st, id);
        }
        if (r < 0 && !force) {
                *err = rpc_err;
                kata_error_prefix(err, "cannot delete container '%s' (use --force)", id);
                goto out;
        }
        if (r < 0)
                kata_log_warn("container %s: %s; removing its state anyway", id, rpc_err.msg);
        if ((r = kata_state_remove_container(o->root, id, err)) < 0)
                goto out;
        /* The sandbox goes with its last container. */
        char sid[KATA_STATE_ID_MAX + 1];
        snprintf(sid, sizeof(sid), "%s", sb.st.id);
        sandbox_release(&sb);
        /* Deletes of a pod's last containers may run at once: the one that finds the
         * sandbox empty and claims it first destroys it; for the others it is done. */
        r = sandbox_load(o, sid, &sb, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (sb.st.ncontainers == 0 && sandbox_claim_destroy(o, sid)) {
                r = sandbox_destroy(o, &sb, force, err);
                if (r < 0)
                        sandbox_unclaim_destroy(o, sid);
        }
out:
        sandbox_release(&sb);
        return r;
}
