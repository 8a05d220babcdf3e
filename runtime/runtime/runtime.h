/* kata-runtime's library: what each CLI verb calls. main.c and cmd_*.c only parse
 * arguments. Sandboxes are made by a hypervisor driver (driver.h); their state lives in
 * the shared state library (runtime/libs/state), under opts->root. */
#ifndef KATA_RUNTIME_RUNTIME_H
#define KATA_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"
#include "config/config.h"

typedef struct kata_span kata_span;

typedef struct runtime_opts {
        const char *verb;        /* the command, also the name of its root span */
        kata_span *span;         /* root span of this command; NULL when not tracing */
        const char *root;        /* state root (--root), default from config or /run/kata */
        const char *config_path; /* --config, NULL: the loader's lookup */
        struct kata_config config;
        bool config_loaded;
} runtime_opts;

/* Loads the configuration once (lookup order of the config library), settles root and,
 * when tracing is on ([runtime] enable_tracing, or KATA_TRACE=1 in the environment),
 * begins the command's root span. */
int runtime_opts_load(runtime_opts *o, kata_error *err);
void runtime_opts_free(runtime_opts *o);

typedef struct runtime_create_args {
        const char *id;         /* container id */
        const char *bundle;     /* bundle directory */
        const char *sandbox_id; /* join this sandbox (a pod); NULL: a new sandbox named id */
        const char *pid_file;   /* write the container's host pid here, when not NULL */
} runtime_create_args;

int runtime_container_create(runtime_opts *o, const runtime_create_args *a, kata_error *err);
int runtime_container_start(runtime_opts *o, const char *id, kata_error *err);

/* create + start, stdio relayed, then delete. *exit_status gets the container's status
 * as a shell reports it (code, or 128 + signal). */
int runtime_container_run(runtime_opts *o, const runtime_create_args *a, int *exit_status,
                          kata_error *err);

typedef struct runtime_exec_args {
        const char *id;
        char **argv;
        int argc;
        const char *cwd;  /* NULL: the container's */
        char **env;       /* extra KEY=VALUE, NULL-terminated or NULL */
        const char *user; /* "uid[:gid]" or NULL */
        bool tty;
} runtime_exec_args;

int runtime_container_exec(runtime_opts *o, const runtime_exec_args *a, int *exit_status,
                           kata_error *err);

int runtime_container_kill(runtime_opts *o, const char *id, int signal, bool all, kata_error *err);
int runtime_container_pause(runtime_opts *o, const char *id, bool pause, kata_error *err);
int runtime_container_delete(runtime_opts *o, const char *id, bool force, kata_error *err);

/* Output commands print to out; json selects the machine format. */
int runtime_container_state(runtime_opts *o, const char *id, FILE *out, kata_error *err);
int runtime_container_ps(runtime_opts *o, const char *id, bool json, FILE *out, kata_error *err);
int runtime_container_stats(runtime_opts *o, const char *id, bool json, FILE *out, kata_error *err);
int runtime_list(runtime_opts *o, bool json, FILE *out, kata_error *err);

/* The host's trace forwarder socket (kata-trace-forwarder's default); the environment
 * variable KATA_TRACE_FORWARDER_SOCKET overrides it. */
#define KATA_TRACE_FORWARDER_SOCKET "/run/kata/trace-forwarder.sock"

/* True when the agent of a new sandbox should trace: [agent.kata] enable_tracing,
 * [runtime] enable_tracing, or KATA_TRACE=1. */
bool runtime_agent_tracing(const runtime_opts *o);

/* Parses "9", "KILL", "SIGKILL" (case-insensitive). -EINVAL otherwise. */
int runtime_signal_parse(const char *s, int *signal);

#endif
