/* Sandboxes: made on the first container's create (or run), destroyed with the last
 * container's delete. A loaded sandbox carries its state and, when needed, a connection
 * to its agent. */
#ifndef KATA_RUNTIME_SANDBOX_H
#define KATA_RUNTIME_SANDBOX_H

#include "agentclient/agent_client.h"
#include "driver.h"
#include "runtime.h"
#include "state/state.h"

typedef struct sandbox {
        kata_sandbox_state st;
        const sandbox_driver *driver;
        kata_agent_conn agent;
        const kata_span *span; /* parent of this sandbox's RPC spans (the command's) */
} sandbox;

/* Creates sandbox `id`: reserves its state, starts it with the configured driver, waits
 * for the agent and sends CreateSandbox. On failure nothing is left behind. */
int sandbox_create(runtime_opts *o, const char *id, sandbox *sb, kata_error *err);

/* Loads sandbox `sid` and its driver (no agent connection yet). */
int sandbox_load(runtime_opts *o, const char *sid, sandbox *sb, kata_error *err);

/* Loads the sandbox holding container `cid`; *c points into sb->st. */
int sandbox_load_for_container(runtime_opts *o, const char *cid, sandbox *sb,
                               kata_container_state **c, kata_error *err);

/* Connects to the sandbox's agent (timeout_ms bounds the connect). */
int sandbox_connect(sandbox *sb, int timeout_ms, kata_error *err);

/* DestroySandbox (best effort when force), driver stop, state removal. */
int sandbox_destroy(runtime_opts *o, sandbox *sb, bool force, kata_error *err);

/* True while container c's init runs (the host sees it with the local driver; for a VM
 * the stored status stands until the agent says otherwise). */
bool runtime_container_alive(const sandbox *sb, const kata_container_state *c);

/* Claims the right to destroy an empty sandbox: true for exactly one caller. */
bool sandbox_claim_destroy(runtime_opts *o, const char *sid);
void sandbox_unclaim_destroy(runtime_opts *o, const char *sid);

void sandbox_release(sandbox *sb);

#endif
