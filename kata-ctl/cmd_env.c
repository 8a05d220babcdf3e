/* kata-ctl env: everything a bug report needs about this host and this installation,
 * as TOML sections (like `kata-runtime env`) or one JSON object (--json).
 *
 * The report is built once as a json-c tree, then printed as JSON or rendered as TOML:
 * objects become [tables], arrays of objects [[arrays of tables]], nulls are left out.
 * Host facts come from libkata-check (check/host.h), settings from the configuration
 * loader (config/config.h); this file only reads what neither knows: the distribution,
 * memory, and the versions of the binaries installed next to kata-ctl. */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "check/host.h"
#include "commands.h"
#include "common/error.h"
#include "common/util.h"
#include "config/config.h"

extern char **environ;

/* Bumped when a key is renamed or removed; adding keys keeps it. */
#define ENV_REPORT_VERSION "1"
/* How long a component's --version may take before it is killed. */
#define VERSION_TIMEOUT_MS 3000
#define VERSION_MAX_OUTPUT 4096

static const char *const components[] = {"kata-runtime", "kata-agent", "kata-trace-forwarder"};

struct env_opts {
        bool json;
        const char *config_path;
        const char *host_root;
};

enum { OPT_HOST_ROOT = 0x100 };

static const struct argp_option options[] = {
    {"json", 'j', NULL, 0, "print one JSON object instead of TOML", 0},
    {"config", 'c', "PATH", 0,
     "configuration file (default: $KATA_CONF_FILE, then "
     "/etc/kata-containers/configuration.toml, then built-in defaults)",
     0},
    {"host-root", OPT_HOST_ROOT, "DIR", 0,
     "read host facts from a fixture tree instead of / (tests)", 0},
    {0},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
        struct env_opts *o = state->input;
        switch (key) {
        case 'j':
                o->json = true;
                return 0;
        case 'c':
                o->config_path = arg;
                return 0;
        case OPT_HOST_ROOT:
                o->host_root = arg;
                return 0;
        case ARGP_KEY_ARG:
                argp_error(state, "unexpected argument '%s'", arg);
                return EINVAL;
        default:
                return ARGP_ERR_UNKNOWN;
        }
}

static const struct argp env_argp = {
    options,
    parse_opt,
    NULL,
    "Show the host, the configuration in use and the installed components, for bug "
    "reports.\vOutput is TOML by default (sections [meta], [host], [config], [hypervisor], "
    "[agent], [runtime], [components]); --json prints the same keys as one object. Exit "
    "status: 0, 1 when the configuration file is invalid (the report is still printed, "
    "with config.error), 2 on usage errors.",
    NULL,
    NULL,
    NULL};

static json_object *str_or_empty(const char *s)
{
        return json_object_new_string(s ? s : "");
}

/* ---- facts libkata-check does not collect ---- */

/* One os-release value: unquote "..." / '...' and drop shell escapes. */
static char *os_release_value(const char *v)
{
        size_t n = strlen(v);
        char *out = malloc(n + 1);
        if (!out)
                return NULL;
        char quote = (v[0] == '"' || v[0] == '\'') ? v[0] : 0;
        size_t j = 0;
        for (size_t i = quote ? 1 : 0; i < n; i++) {
                if (quote && v[i] == quote)
                        break;
                if (quote == '"' && v[i] == '\\' && i + 1 < n)
                        i++;
                out[j++] = v[i];
        }
        out[j] = '\0';
        return out;
}

static json_object *distro_json(const char *root)
{
        json_object *d = json_object_new_object();
        char *text = NULL;
        if (kata_read_file_at(root, "/etc/os-release", 64 * 1024, &text, NULL, NULL) < 0 &&
            kata_read_file_at(root, "/usr/lib/os-release", 64 * 1024, &text, NULL, NULL) < 0) {
                json_object_object_add(d, "name", json_object_new_string("unknown"));
                return d;
        }
        static const struct {
                const char *var, *key;
        } wanted[] = {{"NAME", "name"},
                      {"VERSION_ID", "version_id"},
                      {"VERSION_CODENAME", "codename"},
                      {"PRETTY_NAME", "pretty_name"}};
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(line, '=');
                if (!eq)
                        continue;
                *eq = '\0';
                for (size_t i = 0; i < KATA_ARRAY_SIZE(wanted); i++) {
                        if (strcmp(line, wanted[i].var) != 0)
                                continue;
                        char *v = os_release_value(kata_str_trim(eq + 1));
                        if (v)
                                json_object_object_add(d, wanted[i].key, json_object_new_string(v));
                        free(v);
                }
        }
        free(text);
        return d;
}

static json_object *memory_json(const char *root)
{
        json_object *m = json_object_new_object();
        char *text = NULL;
        if (kata_read_file_at(root, "/proc/meminfo", 1024 * 1024, &text, NULL, NULL) < 0)
                return m;
        static const struct {
                const char *field, *key;
        } wanted[] = {{"MemTotal:", "total_kib"},
                      {"MemFree:", "free_kib"},
                      {"MemAvailable:", "available_kib"}};
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                for (size_t i = 0; i < KATA_ARRAY_SIZE(wanted); i++) {
                        if (!kata_str_startswith(line, wanted[i].field))
                                continue;
                        char *num = line + strlen(wanted[i].field);
                        char *unit = strstr(num, " kB");
                        if (unit)
                                *unit = '\0';
                        uint64_t kib;
                        if (kata_parse_u64(num, &kib) == 0)
                                json_object_object_add(m, wanted[i].key,
                                                       json_object_new_int64((int64_t)kib));
                }
        }
        free(text);
        return m;
}

/* ---- component versions ---- */

/* Runs `path --version` with a deadline; returns its first non-empty output line
 * (malloc'd) or NULL. */
static char *run_version(const char *path)
{
        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return NULL;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        char *argv[] = {(char *)path, "--version", NULL};
        pid_t pid;
        int r = posix_spawn(&pid, path, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (r != 0) {
                close(pipefd[0]);
                return NULL;
        }
        char buf[VERSION_MAX_OUTPUT + 1];
        size_t n = 0;
        uint64_t deadline = kata_now_monotonic_ns() + (uint64_t)VERSION_TIMEOUT_MS * 1000000;
        for (;;) {
                uint64_t now = kata_now_monotonic_ns();
                if (now >= deadline || n == VERSION_MAX_OUTPUT)
                        break;
                struct pollfd pfd = {.fd = pipefd[0], .events = POLLIN};
                int pr = poll(&pfd, 1, (int)((deadline - now) / 1000000) + 1);
                if (pr < 0 && errno == EINTR)
                        continue;
                if (pr <= 0)
                        break;
                ssize_t got = read(pipefd[0], buf + n, VERSION_MAX_OUTPUT - n);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got <= 0)
                        break;
                n += (size_t)got;
        }
        close(pipefd[0]);
        int status;
        if (waitpid(pid, &status, WNOHANG) == 0) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
        }
        buf[n] = '\0';
        char *save = NULL;
        for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *t = kata_str_trim(line);
                if (*t)
                        return strdup(t);
        }
        return NULL;
}

static json_object *binary_json(const char *path)
{
        json_object *c = json_object_new_object();
        bool found = access(path, X_OK) == 0;
        json_object_object_add(c, "path", json_object_new_string(path));
        json_object_object_add(c, "found", json_object_new_boolean(found));
        char *version = found ? run_version(path) : NULL;
        json_object_object_add(c, "version",
                               json_object_new_string(version ? version
                                                      : found ? "unknown (no --version output)"
                                                              : "not found"));
        free(version);
        return c;
}

static json_object *components_json(void)
{
        json_object *all = json_object_new_object();
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        self[n > 0 ? n : 0] = '\0';
        json_object *ctl = json_object_new_object();
        json_object_object_add(ctl, "path", json_object_new_string(self));
        json_object_object_add(ctl, "found", json_object_new_boolean(true));
        json_object_object_add(ctl, "version", json_object_new_string(argp_program_version));
        json_object_object_add(all, "kata-ctl", ctl);

        char *slash = strrchr(self, '/');
        if (slash)
                *slash = '\0';
        for (size_t i = 0; i < KATA_ARRAY_SIZE(components); i++) {
                char path[PATH_MAX + 64];
                snprintf(path, sizeof(path), "%s/%s", self, components[i]);
                json_object_object_add(all, components[i], binary_json(path));
        }
        return all;
}

/* ---- configuration ---- */

static void add_config_sections(json_object *report, const struct kata_config *cfg)
{
        const struct kata_hypervisor_config *h = &cfg->hypervisor;
        json_object *hv = json_object_new_object();
        json_object_object_add(hv, "name", json_object_new_string(h->name));
        json_object_object_add(hv, "path", str_or_empty(h->path));
        if (h->path) {
                char *v = access(h->path, X_OK) == 0 ? run_version(h->path) : NULL;
                json_object_object_add(hv, "version", json_object_new_string(v ? v : "not found"));
                free(v);
        }
        json_object_object_add(hv, "kernel", str_or_empty(h->kernel));
        json_object_object_add(hv, "initrd", str_or_empty(h->initrd));
        json_object_object_add(hv, "image", str_or_empty(h->image));
        json_object_object_add(hv, "machine_type", str_or_empty(h->machine_type));
        json_object_object_add(hv, "default_vcpus", json_object_new_int64(h->default_vcpus));
        json_object_object_add(hv, "default_memory_mib", json_object_new_int64(h->default_memory));
        json_object_object_add(hv, "kernel_params", str_or_empty(h->kernel_params));
        json_object_object_add(hv, "enable_debug", json_object_new_boolean(h->enable_debug));
        if (strcmp(h->name, "local") == 0) {
                json_object_object_add(hv, "agent_path", str_or_empty(h->agent_path));
                json_object_object_add(hv, "cgroup_parent", str_or_empty(h->cgroup_parent));
        }
        if (strcmp(h->name, "qemu") == 0)
                json_object_object_add(hv, "use_vhost_vsock",
                                       json_object_new_boolean(h->use_vhost_vsock));
        json_object_object_add(report, "hypervisor", hv);

        const struct kata_agent_config *a = &cfg->agent;
        json_object *ag = json_object_new_object();
        json_object_object_add(ag, "enable_tracing", json_object_new_boolean(a->enable_tracing));
        json_object_object_add(ag, "enable_debug", json_object_new_boolean(a->enable_debug));
        json_object_object_add(ag, "debug_console_enabled",
                               json_object_new_boolean(a->debug_console_enabled));
        json_object_object_add(ag, "dial_timeout", json_object_new_int64(a->dial_timeout));
        json_object *mods = json_object_new_array();
        for (size_t i = 0; i < a->kernel_modules.count; i++)
                json_object_array_add(mods, json_object_new_string(a->kernel_modules.items[i]));
        json_object_object_add(ag, "kernel_modules", mods);
        json_object_object_add(report, "agent", ag);

        const struct kata_runtime_config *r = &cfg->runtime;
        json_object *rt = json_object_new_object();
        json_object_object_add(rt, "enable_debug", json_object_new_boolean(r->enable_debug));
        json_object_object_add(rt, "enable_tracing", json_object_new_boolean(r->enable_tracing));
        json_object_object_add(rt, "sandbox_cgroup_only",
                               json_object_new_boolean(r->sandbox_cgroup_only));
        json_object_object_add(rt, "static_sandbox_resource_mgmt",
                               json_object_new_boolean(r->static_sandbox_resource_mgmt));
        json_object_object_add(rt, "internetworking_model", str_or_empty(r->internetworking_model));
        json_object_object_add(rt, "state_root", str_or_empty(r->state_root));
        json_object_object_add(report, "runtime", rt);
}

/* ---- TOML rendering of the report tree ---- */

static void toml_string(FILE *out, const char *s)
{
        fputc('"', out);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                switch (*p) {
                case '"':
                        fputs("\\\"", out);
                        break;
                case '\\':
                        fputs("\\\\", out);
                        break;
                case '\n':
                        fputs("\\n", out);
                        break;
                case '\t':
                        fputs("\\t", out);
                        break;
                case '\r':
                        fputs("\\r", out);
                        break;
                default:
                        if (*p < 0x20 || *p == 0x7F)
                                fprintf(out, "\\u%04X", *p);
                        else
                                fputc(*p, out);
                }
        }
        fputc('"', out);
}

static void toml_key(FILE *out, const char *key)
{
        bool bare = key[0] != '\0';
        for (const char *p = key; *p; p++) {
                if (!(*p == '_' || *p == '-' || (*p >= 'a' && *p <= 'z') ||
                      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
                        bare = false;
        }
        if (bare)
                fputs(key, out);
        else
                toml_string(out, key);
}

static void toml_scalar(FILE *out, json_object *v)
{
        switch (json_object_get_type(v)) {
        case json_type_boolean:
                fputs(json_object_get_boolean(v) ? "true" : "false", out);
                break;
        case json_type_int:
                fprintf(out, "%lld", (long long)json_object_get_int64(v));
                break;
        case json_type_double:
                fprintf(out, "%g", json_object_get_double(v));
                break;
        case json_type_array: {
                fputc('[', out);
                size_t n = json_object_array_length(v);
                for (size_t i = 0; i < n; i++) {
                        json_object *e = json_object_array_get_idx(v, i);
                        if (i)
                                fputs(", ", out);
                        if (e)
                                toml_scalar(out, e);
                        else
                                fputs("\"\"", out);
                }
                fputc(']', out);
                break;
        }
        default:
                toml_string(out, json_object_get_string(v));
        }
}

static bool is_table_array(json_object *v)
{
        if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
                return false;
        for (size_t i = 0; i < json_object_array_length(v); i++) {
                if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_object))
                        return false;
        }
        return true;
}

/* A table that only holds sub-tables needs no header of its own. */
static bool has_own_keys(json_object *obj)
{
        if (json_object_object_length(obj) == 0)
                return true;
        json_object_object_foreach(obj, key, val)
        {
                (void)key;
                if (val && !json_object_is_type(val, json_type_object) && !is_table_array(val))
                        return true;
        }
        return false;
}

static void toml_header(FILE *out, const char *open, const char *path, const char *close)
{
        fprintf(out, "\n%s%s%s\n", open, path, close);
}

static void toml_table(FILE *out, const char *path, json_object *obj)
{
        json_object_object_foreach(obj, key, val)
        {
                if (!val || json_object_is_type(val, json_type_object) || is_table_array(val))
                        continue;
                toml_key(out, key);
                fputs(" = ", out);
                toml_scalar(out, val);
                fputc('\n', out);
        }
        json_object_object_foreach(obj, tkey, tval)
        {
                if (!tval || !(json_object_is_type(tval, json_type_object) || is_table_array(tval)))
                        continue;
                char *sub = NULL;
                bool quoted = strspn(tkey, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789_-") != strlen(tkey);
                if (asprintf(&sub, "%s%s%s%s%s", path, path[0] ? "." : "", quoted ? "\"" : "", tkey,
                             quoted ? "\"" : "") < 0)
                        continue;
                if (json_object_is_type(tval, json_type_object)) {
                        if (has_own_keys(tval))
                                toml_header(out, "[", sub, "]");
                        toml_table(out, sub, tval);
                } else {
                        for (size_t i = 0; i < json_object_array_length(tval); i++) {
                                toml_header(out, "[[", sub, "]]");
                                toml_table(out, sub, json_object_array_get_idx(tval, i));
                        }
                }
                free(sub);
        }
}

/* ---- the command ---- */

int cmd_env(int argc, char **argv)
{
        struct env_opts o = {0};
        /* argp names the program after argv[0]; kata-runtime runs this verb too. */
        char name[64];
        snprintf(name, sizeof(name), "%s env", program_invocation_short_name);
        argv[0] = name;
        if (argp_parse(&env_argp, argc, argv, 0, NULL, &o) != 0)
                return KATA_CTL_EXIT_USAGE;

        kata_error err = KATA_ERROR_INIT;
        struct kata_host host;
        if (kata_host_init(&host, o.host_root, &err) < 0) {
                kata_error_print(&err, program_invocation_short_name, stderr);
                return KATA_CTL_EXIT_FAIL;
        }
        struct kata_host_info info;
        int r = kata_host_info_collect(&host, &info, &err);
        if (r < 0) {
                kata_host_free(&host);
                kata_error_print(&err, program_invocation_short_name, stderr);
                return KATA_CTL_EXIT_FAIL;
        }

        json_object *report = json_object_new_object();
        json_object *meta = json_object_new_object();
        json_object_object_add(meta, "report_version", json_object_new_string(ENV_REPORT_VERSION));
        json_object_object_add(meta, "generated_by", json_object_new_string(argp_program_version));
        json_object_object_add(report, "meta", meta);

        json_object *hostj = kata_host_info_to_json(&info);
        json_object_object_add(hostj, "distro", distro_json(host.root));
        json_object_object_add(hostj, "memory", memory_json(host.root));
        json_object_object_add(report, "host", hostj);
        kata_host_free(&host);

        int exit_code = KATA_CTL_EXIT_OK;
        struct kata_config cfg;
        kata_error cerr = KATA_ERROR_INIT;
        json_object *cj = json_object_new_object();
        json_object_object_add(report, "config", cj);
        if (kata_config_load(o.config_path, &cfg, &cerr) < 0) {
                json_object_object_add(cj, "error", json_object_new_string(cerr.msg));
                exit_code = KATA_CTL_EXIT_FAIL;
        } else {
                json_object_object_add(cj, "path", json_object_new_string(cfg.source));
                json_object_object_add(
                    cj, "source", json_object_new_string(kata_config_source_name(cfg.source_kind)));
                const char *const *warnings;
                size_t nw = kata_config_warnings(&cfg, &warnings);
                json_object *wa = json_object_new_array();
                for (size_t i = 0; i < nw; i++) {
                        fprintf(stderr, "kata-ctl env: warning: %s\n", warnings[i]);
                        json_object_array_add(wa, json_object_new_string(warnings[i]));
                }
                json_object_object_add(cj, "warnings", wa);
                add_config_sections(report, &cfg);
                kata_config_free(&cfg);
        }
        json_object_object_add(report, "components", components_json());

        if (o.json) {
                puts(json_object_to_json_string_ext(report, JSON_C_TO_STRING_PRETTY |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
        } else {
                /* Top-level keys are all tables: toml_table prints each as [name]. */
                fputs("# kata-ctl env: host, configuration and components\n", stdout);
                toml_table(stdout, "", report);
        }
        json_object_put(report);
        if (exit_code != KATA_CTL_EXIT_OK)
                kata_error_print(&cerr, program_invocation_short_name, stderr);
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "kata-ctl env: error: cannot write the report: %s\n",
                        strerror(errno));
                return KATA_CTL_EXIT_FAIL;
        }
        return exit_code;
}
