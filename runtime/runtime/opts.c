#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "runtime.h"

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
        return 0;
}

void runtime_opts_free(runtime_opts *o)
{
        if (o->config_loaded)
                kata_config_free(&o->config);
        o->config_loaded = false;
}
