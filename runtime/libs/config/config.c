/* Built-in defaults, freeing, accessors: what a struct kata_config holds when no file
 * says otherwise. */
#include "config/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int kata_config_init_defaults(struct kata_config *out, kata_error *err)
{
        memset(out, 0, sizeof(*out));
        out->source_kind = KATA_CONFIG_FROM_DEFAULTS;
        out->source = strdup(KATA_CONFIG_DEFAULTS_SOURCE);
        out->hypervisor.name = strdup(KATA_CONFIG_DEFAULT_HV);
        out->hypervisor.default_vcpus = 1;
        out->hypervisor.default_memory = 2048;
        out->agent.dial_timeout = 45;
        out->runtime.internetworking_model = strdup("tcfilter");
        out->runtime.state_root = strdup(KATA_CONFIG_DEFAULT_ROOT);
        if (!out->source || !out->hypervisor.name || !out->runtime.internetworking_model ||
            !out->runtime.state_root) {
                kata_config_free(out);
                return kata_error_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

void kata_config_free(struct kata_config *cfg)
{
        if (!cfg)
                return;
        struct kata_hypervisor_config *h = &cfg->hypervisor;
        free(h->name);
        free(h->path);
        free(h->kernel);
        free(h->initrd);
        free(h->image);
        free(h->machine_type);
        free(h->kernel_params);
        free(h->agent_path);
        free(h->cgroup_parent);
        kata_string_list_free(&cfg->agent.kernel_modules);
        free(cfg->runtime.internetworking_model);
        free(cfg->runtime.state_root);
        for (size_t i = 0; i < cfg->warning_count; i++)
                free(cfg->warnings[i]);
        free(cfg->warnings);
        free(cfg->source);
        memset(cfg, 0, sizeof(*cfg));
}

size_t kata_config_warnings(const struct kata_config *cfg, const char *const **out)
{
        if (out)
                *out = (const char *const *)cfg->warnings;
        return cfg->warning_count;
}

const char *kata_config_source_name(enum kata_config_source kind)
{
        switch (kind) {
        case KATA_CONFIG_FROM_EXPLICIT:
                return "explicit";
        case KATA_CONFIG_FROM_ENV:
                return "env";
        case KATA_CONFIG_FROM_SYSTEM:
                return "system";
        case KATA_CONFIG_FROM_BUFFER:
                return "buffer";
        case KATA_CONFIG_FROM_DEFAULTS:
        default:
                return "defaults";
        }
}
