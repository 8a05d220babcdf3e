#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "common/log.h"
#include "common/util.h"
#include "tracing/tracing.h"

#define AGENT_CONNECT_TIMEOUT_MS 5000
#define SANDBOX_STOP_TIMEOUT_MS  10000

static int dial_timeout_ms(const runtime_opts *o)
{
        uint32_t s = o->config.agent.dial_timeout;
        return (int)(s ? s : 45) * 1000;
}

/* Waits for the agent in short slices so that an agent that died at start-up fails the
 * create at once (pointing at its log) instead of after the whole dial timeout. */
static int sandbox_wait_agent(runtime_opts *o, sandbox *sb, const kata_span *parent,
                              kata_error *err)
{
        uint64_t deadline = kata_now_monotonic_ns() + (uint64_t)dial_timeout_ms(o) * 1000000ull;
        for (;;) {
                sb->agent.trace_parent = parent;
                int r = kata_agent_wait_ready(sb->st.agent_address, 100, &sb->agent, err);
                if (r == 0)
                        return 0;
                if (!sb->driver->alive(&sb->st))
                        return kata_error_set(
                            err, ECHILD, "the agent exited during start-up (see %s/%s/agent.log)",
                            o->root, sb->st.id);
                if (kata_now_monotonic_ns() >= deadline)
                        return r;
        }
}

int sandbox_create(runtime_opts *o, const char *id, sandbox *sb, kata_error *err)
{
        memset(sb, 0, sizeof(*sb));
        kata_span_set_sandbox_id(o->span, id);
        kata_tracing_set_default_ids(id, NULL, NULL);
        sb->driver = sandbox_driver_find(o->config.hypervisor.name, err);
        if (!sb->driver)
                return -err->code;
        kata_sandbox_state_init(&sb->st);
        snprintf(sb->st.id, sizeof(sb->st.id), "%s", id);
        snprintf(sb->st.hypervisor, sizeof(sb->st.hypervisor), "%s", sb->driver->name);
        sb->st.status = KATA_SANDBOX_CREATED;
        sb->st.created_ns = (int64_t)kata_now_realtime_ns();
        int r = kata_state_create(o->root, &sb->st, err);
        if (r < 0)
                return r == -EEXIST ? kata_error_set(err, EEXIST, "sandbox '%s' already exists", id)
                                    : r;
        kata_span *span = kata_span_begin("create_sandbox", o->span);
        kata_span_set_attr_str(span, "hypervisor", sb->driver->name);
        kata_span *step = kata_span_begin("start_agent", span);
        r = sb->driver->start(o, &sb->st, err);
        kata_span_end(step);
        if (r < 0) {
                kata_error_prefix(err, "cannot start sandbox '%s'", id);
                goto undo_state;
        }
        kata_state_lock lock;
        if ((r = kata_state_lock_acquire(o->root, id, 10000, &lock, err)) < 0)
                goto undo_driver;
        r = kata_state_save(o->root, &sb->st, err);
        kata_state_lock_release(&lock);
        if (r < 0)
                goto undo_driver;

        step = kata_span_begin("connect_agent", span);
        r = sandbox_wait_agent(o, sb, step, err);
        kata_span_end(step);
        if (r < 0) {
                kata_error_prefix(err, "sandbox '%s'", id);
                goto undo_driver;
        }
        sb->agent.trace_parent = span;
        Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
        req.sandbox_id = sb->st.id;
        req.hostname = sb->st.id;
        r = kata_agent_call(&sb->agent, "CreateSandbox", &req.base, NULL, 0, NULL, err);
        if (r < 0)
                goto undo_driver;
        sb->st.status = KATA_SANDBOX_RUNNING;
        if ((r = kata_state_lock_acquire(o->root, id, 10000, &lock, err)) < 0)
                goto undo_driver;
        r = kata_state_save(o->root, &sb->st, err);
        kata_state_lock_release(&lock);
        if (r < 0)
                goto undo_driver;
        sb->span = o->span;
        sb->agent.trace_parent = o->span;
        kata_span_end(span);
        return 0;

undo_driver:
        kata_span_set_status(span, KATA_SPAN_STATUS_ERROR, err ? err->msg : "failed");
        kata_span_end(span);
        span = NULL;
        kata_agent_close(&sb->agent);
        if (sb->st.agent_pid > 0)
                kill((pid_t)sb->st.agent_pid, SIGKILL);
        sb->driver->stop(o, &sb->st, 2000, NULL);
undo_state:
        kata_span_set_status(span, KATA_SPAN_STATUS_ERROR, err ? err->msg : "failed");
        kata_span_end(span);
        kata_state_remove(o->root, id, NULL);
        kata_sandbox_state_free(&sb->st);
        return r;
}

int sandbox_load(runtime_opts *o, const char *sid, sandbox *sb, kata_error *err)
{
        memset(sb, 0, sizeof(*sb));
        int r = kata_state_load(o->root, sid, &sb->st, err);
        if (r < 0)
                return r == -ENOENT
                           ? kata_error_set(err, ENOENT, "sandbox '%s' does not exist", sid)
                           : r;
        sb->driver = sandbox_driver_find(sb->st.hypervisor, err);
        if (!sb->driver) {
                kata_sandbox_state_free(&sb->st);
                return -err->code;
        }
        sb->span = o->span;
        kata_span_set_sandbox_id(o->span, sid);
        kata_tracing_set_default_ids(sid, NULL, NULL);
        return 0;
}

int sandbox_load_for_container(runtime_opts *o, const char *cid, sandbox *sb,
                               kata_container_state **c, kata_error *err)
{
        if (!kata_id_is_valid(cid))
                return kata_error_set(err, EINVAL,
                                      "invalid container id '%s': use 1 to 128 characters of "
                                      "[A-Za-z0-9_.-], not starting with '.' or '-'",
                                      cid);
        char sid[KATA_STATE_ID_MAX + 1];
        int r = kata_state_find_sandbox(o->root, cid, sid, err);
        if (r < 0)
                return r == -ENOENT
                           ? kata_error_set(err, ENOENT, "container '%s' does not exist", cid)
                           : r;
        if ((r = sandbox_load(o, sid, sb, err)) < 0)
                return r;
        kata_span_set_container_id(o->span, cid);
        kata_tracing_set_default_ids(sid, cid, NULL);
        *c = kata_sandbox_state_find_container(&sb->st, cid);
        if (!*c) {
                sandbox_release(sb);
                return kata_error_set(err, ENOENT, "container '%s' does not exist", cid);
        }
        return 0;
}

int sandbox_connect(sandbox *sb, int timeout_ms, kata_error *err)
{
        if (sb->agent.client)
                return 0;
        if (!sb->st.agent_address[0])
                return kata_error_set(err, ENOTCONN, "sandbox '%s' has no agent address",
                                      sb->st.id);
        int r =
            kata_agent_connect(sb->st.agent_address,
                               timeout_ms ? timeout_ms : AGENT_CONNECT_TIMEOUT_MS, &sb->agent, err);
        if (r < 0)
                return kata_error_prefix(err, "sandbox '%s'", sb->st.id);
        sb->agent.trace_parent = sb->span;
        return 0;
}

int sandbox_destroy(runtime_opts *o, sandbox *sb, bool force, kata_error *err)
{
        kata_error rpc_err = KATA_ERROR_INIT;
        int r = sandbox_connect(sb, 0, &rpc_err);
        if (r == 0) {
                Grpc__DestroySandboxRequest req = GRPC__DESTROY_SANDBOX_REQUEST__INIT;
                r = kata_agent_call(&sb->agent, "DestroySandbox", &req.base, NULL, 0, NULL,
                                    &rpc_err);
        }
        kata_agent_close(&sb->agent);
        if (r < 0) {
                if (!force) {
                        *err = rpc_err;
                        return kata_error_prefix(err, "cannot destroy sandbox '%s' (use --force)",
                                                 sb->st.id);
                }
                kata_log_warn("sandbox %s: %s; cleaning up anyway", sb->st.id, rpc_err.msg);
        }
        r = sb->driver->stop(o, &sb->st, force && r < 0 ? 0 : SANDBOX_STOP_TIMEOUT_MS, err);
        if (r < 0 && !force)
                return kata_error_prefix(err, "sandbox '%s'", sb->st.id);
        r = kata_state_remove(o->root, sb->st.id, err);
        if (r < 0 && r != -ENOENT)
                return r;
        return 0;
}

bool sandbox_claim_destroy(runtime_opts *o, const char *sid)
{
        char path[KATA_STATE_PATH_MAX];
        if (kata_state_sandbox_path(o->root, sid, ".destroying", path, sizeof(path), NULL) < 0)
                return false;
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return false;
        close(fd);
        return true;
}

void sandbox_unclaim_destroy(runtime_opts *o, const char *sid)
{
        char path[KATA_STATE_PATH_MAX];
        if (kata_state_sandbox_path(o->root, sid, ".destroying", path, sizeof(path), NULL) == 0)
                unlink(path);
}

void sandbox_release(sandbox *sb)
{
        kata_agent_close(&sb->agent);
        kata_sandbox_state_free(&sb->st);
}
