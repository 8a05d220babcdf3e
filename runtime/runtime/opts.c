#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "runtime.h"
#include "tracing/tracing.h"

/* KATA_TRACE=1 switches tracing on for one command (what `kata-ctl spans record` does)
 * without editing the configuration. */
static bool tracing_requested(const runtime_opts *o)
{
        const char *env = getenv("KATA_TRACE");
        if (env && (strcmp(env, "1") == 0 || strcmp(env, "true") == 0))
                return true;
        return o->config.runtime.enable_tracing;
}

bool runtime_agent_tracing(const runtime_opts *o)
{
        return tracing_requested(o) || o->config.agent.enable_tracing;
}

static void tracing_start(runtime_opts *o)
{
        kata_error err = KATA_ERROR_INIT;
        kata_tracing_set_enabled(true);
        kata_tracing_set_source("runtime", NULL);
        if (kata_tracing_lttng_load(&err) < 0)
                kata_log_warn("tracing: %s (spans are not recorded by LTTng)", err.msg);
        o->span = kata_span_begin(o->verb ? o->verb : "kata-runtime", NULL);
}

int runtime_opts_load(runtime_opts *o, kata_error *err)
{
        if (o->config_loaded)
                return 0;
        int r = kata_config_load(o->config_path, &o->config, err);
        if (r < 0)
                return r;
        o->config_loaded = true;
        const char *const *warnings;
        size_t n = kata_config_warnings(&o->config, &warnings);
        for (size_t i = 0; i < n; i++)
                kata_log_warn("%s", warnings[i]);
        if (!o->root || !o->root[0])
                o->root = o->config.runtime.state_root;
        if (o->root[0] != '/')
                return kata_error_set(err, EINVAL, "--root %s: must be an absolute path", o->root);
        if (tracing_requested(o))
                tracing_start(o);
        return 0;
}

void runtime_opts_free(runtime_opts *o)
{
        kata_span_end(o->span);
        o->span = NULL;
        if (o->config_loaded)
                kata_config_free(&o->config);
        o->config_loaded = false;
}
