#include "agent/settings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

void agent_settings_defaults(struct agent_settings *s)
{
        memset(s, 0, sizeof(*s));
        s->log_level = KATA_LOG_INFO;
        s->debug_console_vport = 1026;
        s->force_init_mode = -1;
}

int agent_settings_parse_bool(const char *value, bool *out)
{
        static const char *const yes[] = {"1", "true", "yes", "on"};
        static const char *const no[] = {"0", "false", "no", "off"};
        for (size_t i = 0; i < KATA_ARRAY_SIZE(yes); i++) {
                if (strcasecmp(value, yes[i]) == 0) {
                        *out = true;
                        return 0;
                }
                if (strcasecmp(value, no[i]) == 0) {
                        *out = false;
                        return 0;
                }
        }
        return -EINVAL;
}

/* First problem wins; later keys are still applied. */
static int note(kata_error *err, int *status, const char *key, const char *value,
                const char *expected)
{
        if (*status == 0)
                *status = kata_error_set(err, EINVAL, "%s: invalid value '%s' (expected %s)", key,
                                         value, expected);
        return *status;
}

/* Applies one key/value; value is NULL for a bare flag ("agent.trace"). */
static void apply(struct agent_settings *s, const char *key, const char *value, kata_error *err,
                  int *status)
{
        bool b;
        uint64_t n;
        if (strcmp(key, "agent.server_addr") == 0) {
                if (!value || !value[0] || strlen(value) >= sizeof(s->server_addr))
                        note(err, status, key, value ? value : "", "an address");
                else
                        snprintf(s->server_addr, sizeof(s->server_addr), "%s", value);
        } else if (strcmp(key, "agent.log") == 0) {
                enum kata_log_level level;
                if (!value || kata_log_level_parse(value, &level) < 0) {
                        note(err, status, key, value ? value : "", "error|warn|info|debug");
                } else {
                        s->log_level = level;
                        s->log_level_set = true;
                }
        } else if (strcmp(key, "agent.trace") == 0 || strcmp(key, "agent.debug_console") == 0 ||
                   strcmp(key, "agent.hvsock") == 0) {
                if (!value)
                        b = true;
                else if (agent_settings_parse_bool(value, &b) < 0) {
                        note(err, status, key, value, "a boolean");
                        return;
                }
                if (strcmp(key, "agent.trace") == 0)
                        s->trace = b;
                else if (strcmp(key, "agent.hvsock") == 0)
                        s->hvsock = b;
                else
                        s->debug_console = b;
        } else if (strcmp(key, "agent.debug_console_vport") == 0 ||
                   strcmp(key, "agent.log_vport") == 0) {
                if (!value || kata_parse_u64(value, &n) < 0 || n == 0 || n > UINT32_MAX) {
                        note(err, status, key, value ? value : "", "a port 1..4294967295");
                        return;
                }
                if (strcmp(key, "agent.log_vport") == 0)
                        s->log_vport = (uint32_t)n;
                else
                        s->debug_console_vport = (uint32_t)n;
        } else if (strcmp(key, "systemd.unified_cgroup_hierarchy") == 0) {
                if (value && agent_settings_parse_bool(value, &b) == 0)
                        s->unified_cgroup_hierarchy = b;
        } else if (strcmp(key, "cgroup_no_v1") == 0) {
                if (value && strcmp(value, "all") == 0)
                        s->unified_cgroup_hierarchy = true;
        }
}

int agent_settings_apply_cmdline(struct agent_settings *s, const char *cmdline, kata_error *err)
{
        int status = 0;
        char *copy = strdup(cmdline ? cmdline : "");
        if (!copy)
                return kata_error_set(err, ENOMEM, "out of memory");
        char *save = NULL;
        for (char *tok = strtok_r(copy, " \t\n", &save); tok;
             tok = strtok_r(NULL, " \t\n", &save)) {
                char *eq = strchr(tok, '=');
                if (eq)
                        *eq = 0;
                apply(s, tok, eq ? eq + 1 : NULL, err, &status);
        }
        free(copy);
        return status;
}

int agent_settings_apply_env(struct agent_settings *s, kata_error *err)
{
        static const struct {
                const char *env;
                const char *key;
        } vars[] = {
            {"KATA_AGENT_SERVER_ADDR", "agent.server_addr"},
            {"KATA_AGENT_LOG_LEVEL", "agent.log"},
            {"KATA_AGENT_TRACE", "agent.trace"},
            {"KATA_AGENT_DEBUG_CONSOLE", "agent.debug_console"},
            {"KATA_AGENT_HVSOCK", "agent.hvsock"},
        };
        int status = 0;
        for (size_t i = 0; i < KATA_ARRAY_SIZE(vars); i++) {
                const char *v = getenv(vars[i].env);
                if (!v)
                        continue;
                kata_error e = KATA_ERROR_INIT;
                int st = 0;
                apply(s, vars[i].key, v, &e, &st);
                if (st < 0 && status == 0)
                        status = kata_error_set(err, EINVAL, "%s: %s", vars[i].env,
                                                strchr(e.msg, ':') + 2);
        }
        return status;
}
