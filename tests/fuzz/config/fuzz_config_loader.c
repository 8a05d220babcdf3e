/* libFuzzer harness for the configuration loader: any bytes as configuration.toml.
 * Besides not crashing or leaking, a successful load must leave a usable config: a
 * hypervisor name, a state root, warnings that are all strings. The value parsers are
 * fed the first line directly too, since they are public API. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

static void check_loaded(const struct kata_config *cfg)
{
        if (!cfg->hypervisor.name || !cfg->runtime.state_root || !cfg->source)
                abort();
        const char *const *w;
        size_t n = kata_config_warnings(cfg, &w);
        for (size_t i = 0; i < n; i++) {
                if (!w[i] || strlen(w[i]) == 0)
                        abort();
        }
        for (size_t i = 0; i < cfg->agent.kernel_modules.count; i++) {
                if (!cfg->agent.kernel_modules.items[i])
                        abort();
        }
}

static void fuzz_values(const uint8_t *data, size_t size)
{
        const uint8_t *nl = memchr(data, '\n', size);
        size_t n = nl ? (size_t)(nl - data) : size;
        char *text = strndup((const char *)data, n);
        if (!text)
                return;
        kata_error err = KATA_ERROR_INIT;
        char *s = NULL;
        if (kata_toml_parse_string(text, &s, &err) == 0)
                free(s);
        int64_t i;
        kata_toml_parse_integer(text, &i, &err);
        bool b;
        kata_toml_parse_boolean(text, &b, &err);
        struct kata_string_list l = {0};
        if (kata_toml_parse_string_array(text, &l, &err) == 0)
                kata_string_list_free(&l);
        kata_toml_check_value(text, &err);
        free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        kata_error err = KATA_ERROR_INIT;
        struct kata_config cfg;
        if (kata_config_parse_buffer("fuzz.toml", (const char *)data, size, &cfg, &err) == 0) {
                check_loaded(&cfg);
                kata_config_free(&cfg);
        } else if (err.msg[0] == '\0' || cfg.source != NULL) {
                abort(); /* a failure always says why and leaves nothing behind */
        }
        fuzz_values(data, size);
        return 0;
}
