/* kata-ctl check: can this host run sandboxes (libkata-check), and is there a newer
 * release (check/release.h). Subcommands and the Go tool's flags map to one mode. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/check.h"
#include "check/release.h"
#include "config/config.h"
#include "commands.h"
#include "common/util.h"

enum check_mode {
        MODE_UNSET = 0,
        MODE_ALL,
        MODE_NO_NETWORK,
        MODE_VERSION_ONLY,
        MODE_LIST_RELEASES,
        MODE_LIST_CHECKS,
};

struct check_args {
        enum check_mode mode;
        bool include_prereleases;
        const char *hypervisor;
        enum kata_check_verbosity verbosity;
        bool json;
        bool strict;
        long timeout_sec;
        bool network;
        const char *host_root;
};

enum {
        OPT_CHECK_VERSION_ONLY = 1000,
        OPT_ONLY_LIST_RELEASES,
        OPT_INCLUDE_ALL_RELEASES,
        OPT_HYPERVISOR,
        OPT_JSON,
        OPT_TIMEOUT,
        OPT_NETWORK,
        OPT_HOST_ROOT,
};

static const struct argp_option options[] = {
    {"hypervisor", OPT_HYPERVISOR, "NAME", 0,
     "Judge the host for NAME: qemu, firecracker, clh, dragonball, local (default: the "
     "configured one, else local)",
     0},
    {"verbose", 'v', NULL, 0, "One aligned line per check", 0},
    {"quiet", 'q', NULL, 0, "Print only what fails", 0},
    {"json", OPT_JSON, NULL, 0, "One JSON object: checks, verdicts, release", 0},
    {"strict", 's', NULL, 0, "Warnings of required or advisory checks fail too", 0},
    {"timeout", OPT_TIMEOUT, "SEC", 0, "Network timeout per request (default 10)", 0},
    {"network", OPT_NETWORK, NULL, 0, "Do the release check in 'all' even as root", 0},
    {"no-network-checks", 'n', NULL, 0, "Same as the no-network-checks subcommand", 0},
    {"check-version-only", OPT_CHECK_VERSION_ONLY, NULL, 0,
     "Same as the check-version-only subcommand", 0},
    {"only-list-releases", OPT_ONLY_LIST_RELEASES, NULL, 0,
     "Same as the only-list-releases subcommand", 0},
    {"include-all-releases", OPT_INCLUDE_ALL_RELEASES, NULL, 0,
     "Consider and list pre-releases too", 0},
    {"host-root", OPT_HOST_ROOT, "DIR", 0,
     "Read the host under DIR, a fixture tree with host.ini (for tests)", 0},
    {0}};

static const char doc[] =
    "Check whether this host can run sandboxes, and whether a newer release exists.\v"
    "Subcommands:\n"
    "  all                   host checks and the release check (default)\n"
    "  no-network-checks     host checks only\n"
    "  check-version-only    the release check only\n"
    "  only-list-releases    list releases as version;date;url\n"
    "  include-all-releases  list every release, pre-releases marked\n"
    "  list                  the checks and which hypervisor requires them\n\n"
    "As root, 'all' skips the network check unless --network is given; "
    "KATA_CHECK_NO_NETWORK (any value) disables it in 'all'. KATA_RELEASE_URL overrides the "
    "releases URL, GITHUB_TOKEN is sent as a bearer token, KATA_CHECK_CURRENT_VERSION "
    "overrides the running version (for tests).\n\n"
    "Exit codes: 0 every required check of the selected hypervisor passes, 1 one fails "
    "(or a warning with --strict, or a failed release subcommand), 2 usage error.";

static void set_mode(struct argp_state *state, struct check_args *a, enum check_mode m)
{
        if (a->mode != MODE_UNSET && a->mode != m)
                argp_error(state, "only one subcommand or mode flag may be given");
        a->mode = m;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
        struct check_args *a = state->input;
        uint64_t n;
        switch (key) {
        case OPT_HYPERVISOR:
                if (!kata_hypervisor_is_known(arg))
                        argp_error(state,
                                   "unknown hypervisor '%s' (known: qemu, firecracker, clh, "
                                   "dragonball, local)",
                                   arg);
                a->hypervisor = arg;
                break;
        case 'v':
                a->verbosity = KATA_CHECK_VERBOSE;
                break;
        case 'q':
                a->verbosity = KATA_CHECK_QUIET;
                break;
        case OPT_JSON:
                a->json = true;
                break;
        case 's':
                a->strict = true;
                break;
        case OPT_TIMEOUT:
                if (kata_parse_u64(arg, &n) < 0 || n == 0 || n > 3600)
                        argp_error(state, "--timeout '%s': expected seconds from 1 to 3600", arg);
                a->timeout_sec = (long)n;
                break;
        case OPT_NETWORK:
                a->network = true;
                break;
        case 'n':
                set_mode(state, a, MODE_NO_NETWORK);
                break;
        case OPT_CHECK_VERSION_ONLY:
                set_mode(state, a, MODE_VERSION_ONLY);
                break;
        case OPT_ONLY_LIST_RELEASES:
                set_mode(state, a, MODE_LIST_RELEASES);
                break;
        case OPT_INCLUDE_ALL_RELEASES:
                a->include_prereleases = true;
                break;
        case OPT_HOST_ROOT:
                a->host_root = arg;
                break;
        case ARGP_KEY_ARG:
                if (strcmp(arg, "all") == 0)
                        set_mode(state, a, MODE_ALL);
                else if (strcmp(arg, "no-network-checks") == 0)
                        set_mode(state, a, MODE_NO_NETWORK);
                else if (strcmp(arg, "check-version-only") == 0)
                        set_mode(state, a, MODE_VERSION_ONLY);
                else if (strcmp(arg, "only-list-releases") == 0)
                        set_mode(state, a, MODE_LIST_RELEASES);
                else if (strcmp(arg, "include-all-releases") == 0) {
                        set_mode(state, a, MODE_LIST_RELEASES);
                        a->include_prereleases = true;
                } else if (strcmp(arg, "list") == 0)
                        set_mode(state, a, MODE_LIST_CHECKS);
                else
                        argp_error(state, "unknown subcommand '%s'", arg);
                break;
        default:
                return ARGP_ERR_UNKNOWN;
        }
        return 0;
}

/* The hypervisor judged when --hypervisor is not given: the one the configuration file
 * names ($KATA_CONF_FILE, /etc/kata-containers/configuration.toml), else `local`. A
 * configuration that does not load is reported and the built-in default is judged. */
static const char *check_default_hypervisor(void)
{
        static char name[64] = KATA_CONFIG_DEFAULT_HV;
        struct kata_config cfg;
        kata_error err = KATA_ERROR_INIT;
        if (kata_config_load(NULL, &cfg, &err) < 0) {
                fprintf(stderr, "kata-ctl: warning: %s; judging hypervisor '%s'\n", err.msg, name);
                return name;
        }
        snprintf(name, sizeof(name), "%s", cfg.hypervisor.name);
        kata_config_free(&cfg);
        return name;
}

static void print_json(json_object *o)
{
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
}

static struct kata_release_options release_options(const struct check_args *a)
{
        struct kata_release_options o = {0};
        o.timeout_sec = a->timeout_sec;
        o.include_prereleases = a->include_prereleases;
        return o;
}

static int run_list_releases(const struct check_args *a)
{
        struct kata_release_options opts = release_options(a);
        struct kata_release_list list = {0};
        kata_error err = KATA_ERROR_INIT;
        if (kata_release_list_fetch(&opts, &list, &err) < 0) {
                kata_error_print(&err, program_invocation_short_name, stderr);
                return KATA_CTL_EXIT_FAIL;
        }
        if (a->json) {
                json_object *arr = json_object_new_array();
                for (size_t i = 0; i < list.count; i++) {
                        const struct kata_release *r = &list.items[i];
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "version", json_object_new_string(r->version));
                        json_object_object_add(o, "date", json_object_new_string(r->date));
                        json_object_object_add(o, "url", json_object_new_string(r->url));
                        json_object_object_add(o, "prerelease",
                                               json_object_new_boolean(r->prerelease));
                        json_object_array_add(arr, o);
                }
                print_json(arr);
                json_object_put(arr);
        } else {
                for (size_t i = 0; i < list.count; i++) {
                        const struct kata_release *r = &list.items[i];
                        printf("%s;%s;%s%s\n", r->version, r->date ? r->date : "",
                               r->url ? r->url : "", r->prerelease ? ";pre-release" : "");
                }
        }
        kata_release_list_free(&list);
        return KATA_CTL_EXIT_OK;
}

/* The release check; its failure is reported, never a host failure in 'all'. */
static int run_release_check(const struct check_args *a, json_object **json_out, bool print_text)
{
        struct kata_release_options opts = release_options(a);
        struct kata_release_check_result res;
        memset(&res, 0, sizeof(res));
        kata_error err = KATA_ERROR_INIT;
        int r = kata_release_check(&opts, &res, &err);
        if (r < 0) {
                if (json_out) {
                        *json_out = json_object_new_object();
                        json_object_object_add(*json_out, "status", json_object_new_string("WARN"));
                        json_object_object_add(*json_out, "error", json_object_new_string(err.msg));
                }
                if (print_text)
                        printf("WARN: version check failed: %s\n", err.msg);
                return r;
        }
        if (json_out)
                *json_out = kata_release_check_result_to_json(&res);
        if (print_text)
                printf("%s\n", res.line);
        kata_release_check_result_free(&res);
        return 0;
}

static int run_host_checks(const struct check_args *a, bool network, const char *why_no_network)
{
        struct kata_host host;
        struct kata_check_report report;
        kata_error err = KATA_ERROR_INIT;
        if (kata_host_init(&host, a->host_root, &err) < 0 ||
            kata_check_run(&host, &report, &err) < 0) {
                kata_error_print(&err, program_invocation_short_name, stderr);
                kata_host_free(&host);
                return KATA_CTL_EXIT_FAIL;
        }
        struct kata_check_verdict verdict;
        kata_check_verdict(&report, a->hypervisor, &verdict, NULL);
        int code = kata_check_exit_code(&verdict, a->strict);

        if (a->json) {
                json_object *o = kata_check_report_to_json(&report, a->hypervisor, a->strict);
                json_object *rel = NULL;
                if (network)
                        run_release_check(a, &rel, false);
                else {
                        rel = json_object_new_object();
                        json_object_object_add(rel, "status", json_object_new_string("SKIP"));
                        json_object_object_add(rel, "reason",
                                               json_object_new_string(why_no_network));
                }
                json_object_object_add(o, "release", rel);
                print_json(o);
                json_object_put(o);
        } else {
                if (network)
                        run_release_check(a, NULL, a->verbosity != KATA_CHECK_QUIET);
                else if (a->verbosity == KATA_CHECK_VERBOSE)
                        printf("Version check skipped: %s\n", why_no_network);
                kata_check_print(stdout, &report, a->hypervisor, a->strict, a->verbosity,
                                 kata_color_enabled(stdout));
        }
        kata_check_report_free(&report);
        kata_host_free(&host);
        return code;
}

int cmd_check(int argc, char **argv)
{
        struct check_args a = {.verbosity = KATA_CHECK_NORMAL};
        struct argp argp = {options, parse_opt, "[SUBCOMMAND]", doc, NULL, NULL, NULL};
        /* argp names the program after argv[0]; kata-runtime runs this verb too. */
        char name[64];
        snprintf(name, sizeof(name), "%s check", program_invocation_short_name);
        argv[0] = name;
        argp_parse(&argp, argc, argv, 0, NULL, &a);
        if (!a.hypervisor)
                a.hypervisor = check_default_hypervisor();
        if (a.mode == MODE_UNSET)
                a.mode = MODE_ALL;

        switch (a.mode) {
        case MODE_LIST_CHECKS: {
                if (a.json) {
                        json_object *o = kata_check_list_to_json();
                        print_json(o);
                        json_object_put(o);
                } else {
                        kata_check_list_print(stdout);
                }
                return KATA_CTL_EXIT_OK;
        }
        case MODE_LIST_RELEASES:
                return run_list_releases(&a);
        case MODE_VERSION_ONLY: {
                json_object *rel = NULL;
                int r = run_release_check(&a, a.json ? &rel : NULL, !a.json);
                if (rel) {
                        print_json(rel);
                        json_object_put(rel);
                }
                return r < 0 ? KATA_CTL_EXIT_FAIL : KATA_CTL_EXIT_OK;
        }
        case MODE_NO_NETWORK:
                return run_host_checks(&a, false, "no-network-checks");
        case MODE_ALL:
        case MODE_UNSET:
                break;
        }
        if (getenv("KATA_CHECK_NO_NETWORK"))
                return run_host_checks(&a, false, "KATA_CHECK_NO_NETWORK is set");
        if (geteuid() == 0 && !a.network)
                return run_host_checks(&a, false, "running as root (use --network)");
        return run_host_checks(&a, true, "");
}
