/* The network version check: lists Kata-style releases from a GitHub-compatible
 * releases API and compares them with the running version. Contract between the
 * release code (check/release.c, check/semver.c) and `kata-ctl check` (cmd_check.c). */
#ifndef KATA_CHECK_RELEASE_H
#define KATA_CHECK_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "common/error.h"
#include "semver.h"

#define KATA_RELEASE_DEFAULT_URL                                                                   \
        "https://api.github.com/repos/kata-containers/kata-containers/releases"

struct kata_release_options {
        const char *url;             /* NULL: $KATA_RELEASE_URL, else KATA_RELEASE_DEFAULT_URL */
        const char *token;           /* NULL: $GITHUB_TOKEN (sent as a bearer token when set) */
        long timeout_sec;            /* whole-request bound per page; <= 0: 10 */
        bool include_prereleases;    /* also consider/list pre-releases */
        const char *current_version; /* NULL: $KATA_CHECK_CURRENT_VERSION, else KATA_VERSION */
};

struct kata_release {
        char *version; /* semver without a leading 'v' */
        char *date;    /* published_at (created_at when missing) */
        char *url;     /* html_url */
        bool prerelease;
        struct kata_semver semver; /* parsed version, for ordering */
};

struct kata_release_list {
        struct kata_release *items; /* newest first (semver order) */
        size_t count;
};

enum kata_release_newer {
        KATA_RELEASE_NONE = 0,
        KATA_RELEASE_PATCH,
        KATA_RELEASE_MINOR,
        KATA_RELEASE_MAJOR,
};

struct kata_release_check_result {
        enum kata_release_newer newer;
        struct kata_release newest; /* valid when newer != NONE */
        char current_version[64];
        /* Kata's wording: "Newer minor release available: 2.5.1 (url: ..., date: ...)"
         * or "No newer release available". */
        char line[512];
};

/* Fetches every page (Link: rel="next"), skips drafts and non-semver tags, and
 * pre-releases unless opts->include_prereleases. On failure err names what failed
 * (DNS, connect, TLS, timeout, HTTP status, rate limit with its reset time, bad JSON).
 * err->code tells the kind: EHOSTUNREACH (DNS), ECONNREFUSED (connect), EPROTO (TLS),
 * ETIMEDOUT, EAGAIN (rate limited: 403/429 with X-RateLimit-Remaining: 0, or 429),
 * EREMOTEIO (other HTTP status), EBADMSG (bad JSON or wrong field types), EFBIG (a page
 * over 16 MiB), ELOOP (more than KATA_RELEASE_MAX_PAGES pages), EIO (anything else).
 * Requests use libcurl's defaults for proxies (http_proxy, https_proxy, no_proxy...). */
int kata_release_list_fetch(const struct kata_release_options *opts, struct kata_release_list *out,
                            kata_error *err);
void kata_release_list_free(struct kata_release_list *list);

/* Upper bound on followed Link: rel="next" pages, so a server cannot keep us forever. */
#define KATA_RELEASE_MAX_PAGES 100

/* Parses one page of the releases API (a JSON array of release objects) and appends the
 * releases kept to list, then re-sorts it newest first. list starts zeroed. Type errors
 * name the element and field; syntax errors give the byte offset. Exposed for the
 * fuzzer and unit tests; kata_release_list_fetch calls it per page. */
int kata_release_list_parse(const char *json, size_t len, bool include_prereleases,
                            struct kata_release_list *list, kata_error *err);

/* Finds the rel="next" target of a Link header ("<url>; rel=\"next\", <url>; rel=\"last\"")
 * and resolves it against base (the page's URL). *next is a malloc'd URL, or NULL when
 * there is no next page. A malformed header or target is an EBADMSG error rather than
 * a silent end of the listing. Exposed for the unit tests and the fuzzer. */
int kata_release_link_next(const char *link, const char *base, char **next, kata_error *err);

/* The running version compared against: opts->current_version, else the environment
 * variable KATA_CHECK_CURRENT_VERSION when set and not empty (tests use it), else the
 * project's KATA_VERSION. */
const char *kata_release_running_version(const struct kata_release_options *opts);

/* Fetches and compares with the running version. */
int kata_release_check(const struct kata_release_options *opts,
                       struct kata_release_check_result *res, kata_error *err);
void kata_release_check_result_free(struct kata_release_check_result *res);

/* {"current":..., "newer":"none|patch|minor|major", "version":..., "url":..., "date":...} */
json_object *kata_release_check_result_to_json(const struct kata_release_check_result *res);

#endif
