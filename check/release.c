/* The network version check: lists releases from a GitHub-compatible releases API with
 * libcurl, parses them with json-c and compares them with the running version. */
#include "release.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/util.h"
#include "common/version.h"

#define PAGE_MAX_BYTES      (16u << 20)
#define DEFAULT_TIMEOUT_SEC 10L
#define MAX_REDIRECTS       5L
/* GitHub's largest page: every page counts against the unauthenticated limit of 60
 * requests an hour, so Kata's few hundred releases take 3 requests instead of 10. */
#define DEFAULT_URL_FULL_PAGES KATA_RELEASE_DEFAULT_URL "?per_page=100"

/* ---- parsing one page ------------------------------------------------------------ */

static const char *json_type_label(json_object *o)
{
        return o == NULL ? "null" : json_type_to_name(json_object_get_type(o));
}

/* Looks up an optional field of the expected type. Missing or null: *out = NULL. */
static int get_field(json_object *rel, size_t index, const char *name, json_type type,
                     json_object **out, kata_error *err)
{
        json_object *v = NULL;

        *out = NULL;
        if (!json_object_object_get_ex(rel, name, &v) || v == NULL)
                return 0;
        if (!json_object_is_type(v, type))
                return kata_error_set(err, EBADMSG,
                                      "bad JSON: release %zu: field \"%s\" is %s, expected %s",
                                      index, name, json_type_label(v), json_type_to_name(type));
        *out = v;
        return 0;
}

static void release_free(struct kata_release *r)
{
        free(r->version);
        free(r->date);
        free(r->url);
        memset(r, 0, sizeof(*r));
}

static int compare_newest_first(const void *a, const void *b)
{
        const struct kata_release *ra = a, *rb = b;
        return kata_semver_compare(&rb->semver, &ra->semver);
}

/* The date and URL end up on a terminal: a server must not be able to send escape
 * sequences or extra lines through them. */
static void neutralise_controls(char *s)
{
        for (; *s; s++) {
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        *s = '?';
        }
}

/* Fills r from one element of the array. Returns 1 when kept, 0 when skipped (draft,
 * pre-release not asked for, tag that is not semver), <0 on a type error. */
static int release_from_json(json_object *rel, size_t index, bool include_prereleases,
                             struct kata_release *r, kata_error *err)
{
        json_object *tag, *draft, *pre, *published, *created, *url;
        kata_error ignored = KATA_ERROR_INIT;
        int ret;

        if (!json_object_is_type(rel, json_type_object))
                return kata_error_set(err, EBADMSG, "bad JSON: release %zu is %s, expected object",
                                      index, json_type_label(rel));
        if ((ret = get_field(rel, index, "tag_name", json_type_string, &tag, err)) < 0 ||
            (ret = get_field(rel, index, "draft", json_type_boolean, &draft, err)) < 0 ||
            (ret = get_field(rel, index, "prerelease", json_type_boolean, &pre, err)) < 0 ||
            (ret = get_field(rel, index, "published_at", json_type_string, &published, err)) < 0 ||
            (ret = get_field(rel, index, "created_at", json_type_string, &created, err)) < 0 ||
            (ret = get_field(rel, index, "html_url", json_type_string, &url, err)) < 0)
                return ret;
        if (tag == NULL)
                return kata_error_set(
                    err, EBADMSG, "bad JSON: release %zu has no string field \"tag_name\"", index);

        if (draft != NULL && json_object_get_boolean(draft))
                return 0;
        /* "2.5.0\u0000x" is not "2.5.0": a tag with a NUL in it is not a version. */
        if ((size_t)json_object_get_string_len(tag) != strlen(json_object_get_string(tag)) ||
            kata_semver_parse(json_object_get_string(tag), &r->semver, &ignored) < 0)
                return 0;
        /* A pre-release is one by its flag or by its version ("2.5.0-rc1" marked as a
         * normal release is still a release candidate). */
        r->prerelease = (pre != NULL && json_object_get_boolean(pre)) || r->semver.prerelease[0];
        if (r->prerelease && !include_prereleases)
                return 0;

        const char *tag_str = json_object_get_string(tag);
        const char *date = published != NULL ? json_object_get_string(published)
                           : created != NULL ? json_object_get_string(created)
                                             : "";
        r->version = strdup(tag_str[0] == 'v' ? tag_str + 1 : tag_str);
        r->date = strdup(date);
        r->url = strdup(url != NULL ? json_object_get_string(url) : "");
        if (r->version == NULL || r->date == NULL || r->url == NULL) {
                release_free(r);
                return kata_error_set(err, ENOMEM, "out of memory");
        }
        neutralise_controls(r->date);
        neutralise_controls(r->url);
        return 1;
}

int kata_release_list_parse(const char *json, size_t len, bool include_prereleases,
                            struct kata_release_list *list, kata_error *err)
{
        json_tokener *tok;
        json_object *root;
        enum json_tokener_error jerr;
        size_t n, end;
        int ret = 0;

        if (len > INT32_MAX)
                return kata_error_set(err, EFBIG, "bad JSON: document too large");
        tok = json_tokener_new();
        if (tok == NULL)
                return kata_error_set(err, ENOMEM, "out of memory");
        /* Strict: the API sends plain JSON, so json-c's leniencies (trailing commas,
         * single quotes) would only hide a broken mirror. */
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        root = json_tokener_parse_ex(tok, json, (int)len);
        jerr = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        if (root == NULL || jerr != json_tokener_success) {
                if (jerr == json_tokener_continue)
                        ret = kata_error_set(err, EBADMSG,
                                             "bad JSON: document ends early (byte %zu)", len);
                else
                        ret = kata_error_set(err, EBADMSG, "bad JSON at byte %zu: %s", end,
                                             json_tokener_error_desc(jerr));
                goto out;
        }
        if (!json_object_is_type(root, json_type_array)) {
                ret =
                    kata_error_set(err, EBADMSG, "bad JSON: expected an array of releases, got %s",
                                   json_type_label(root));
                goto out;
        }

        n = json_object_array_length(root);
        if (n > 0) {
                struct kata_release *items =
                    realloc(list->items, (list->count + n) * sizeof(*list->items));
                if (items == NULL) {
                        ret = kata_error_set(err, ENOMEM, "out of memory");
                        goto out;
                }
                list->items = items;
        }
        for (size_t i = 0; i < n; i++) {
                struct kata_release r = {0};
                int kept = release_from_json(json_object_array_get_idx(root, i), i,
                                             include_prereleases, &r, err);
                if (kept < 0) {
                        ret = kept;
                        goto out;
                }
                if (kept)
                        list->items[list->count++] = r;
        }
out:
        /* Keep the list sorted even on error so that what was appended stays usable. */
        if (list->count > 1)
                qsort(list->items, list->count, sizeof(*list->items), compare_newest_first);
        json_object_put(root);
        json_tokener_free(tok);
        return ret;
}

void kata_release_list_free(struct kata_release_list *list)
{
        if (list == NULL)
                return;
        for (size_t i = 0; i < list->count; i++)
                release_free(&list->items[i]);
        free(list->items);
        list->items = NULL;
        list->count = 0;
}

/* ---- HTTP ------------------------------------------------------------------------ */

struct page {
        char *body;
        size_t len, cap;
        bool too_big;
        char reason[128]; /* reason phrase of the last status line */
        char link[8192];  /* Link header */
        char ratelimit_remaining[32];
        char ratelimit_reset[32];
        char retry_after[32];
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
        struct page *pg = userdata;
        size_t n = size * nmemb;

        if (n > PAGE_MAX_BYTES - pg->len) {
                pg->too_big = true;
                return 0;
        }
        if (pg->len + n + 1 > pg->cap) {
                /* Doubling keeps a large page linear to collect. */
                size_t cap = pg->cap ? pg->cap : 64 * 1024;
                while (cap < pg->len + n + 1)
                        cap *= 2;
                char *body = realloc(pg->body, cap);
                if (body == NULL)
                        return 0;
                pg->body = body;
                pg->cap = cap;
        }
        memcpy(pg->body + pg->len, data, n);
        pg->len += n;
        pg->body[pg->len] = '\0';
        return n;
}

/* Copies a header value (without surrounding whitespace) into dst. */
static void copy_value(char *dst, size_t size, const char *v, size_t n)
{
        while (n > 0 && (*v == ' ' || *v == '\t')) {
                v++;
                n--;
        }
        while (n > 0 &&
               (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
                n--;
        if (n >= size)
                n = size - 1;
        memcpy(dst, v, n);
        dst[n] = '\0';
}

static bool header_is(const char *line, size_t n, const char *name, const char **value,
                      size_t *value_len)
{
        size_t k = strlen(name);

        if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
                return false;
        *value = line + k + 1;
        *value_len = n - k - 1;
        return true;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
        struct page *pg = userdata;
        size_t n = size * nmemb;
        const char *v;
        size_t vn;

        if (n > 5 && strncmp(line, "HTTP/", 5) == 0) {
                /* A new response (redirect, 100 Continue): forget the previous headers. */
                char status[128];
                copy_value(status, sizeof(status), line, n);
                memset(pg->reason, 0, sizeof(*pg) - offsetof(struct page, reason));
                const char *sp = strchr(status, ' ');
                if (sp != NULL && (sp = strchr(sp + 1, ' ')) != NULL)
                        snprintf(pg->reason, sizeof(pg->reason), "%s", sp + 1);
        } else if (header_is(line, n, "link", &v, &vn)) {
                copy_value(pg->link, sizeof(pg->link), v, vn);
        } else if (header_is(line, n, "x-ratelimit-remaining", &v, &vn)) {
                copy_value(pg->ratelimit_remaining, sizeof(pg->ratelimit_remaining), v, vn);
        } else if (header_is(line, n, "x-ratelimit-reset", &v, &vn)) {
                copy_value(pg->ratelimit_reset, sizeof(pg->ratelimit_reset), v, vn);
        } else if (header_is(line, n, "retry-after", &v, &vn)) {
                copy_value(pg->retry_after, sizeof(pg->retry_after), v, vn);
        }
        return n;
}

/* True when the rel parameter list of one Link entry contains the token "next". */
static bool link_params_say_next(const char *p, size_t n)
{
        for (size_t i = 0; i + 4 <= n; i++) {
                if (strncasecmp(p + i, "rel=", 4) != 0)
                        continue;
                const char *v = p + i + 4;
                size_t left = n - i - 4, vn = 0;
                bool quoted = left > 0 && *v == '"';
                if (quoted) {
                        v++;
                        left--;
                }
                while (vn < left && v[vn] != (quoted ? '"' : ';') && v[vn] != ',')
                        vn++;
                /* rel may hold several space-separated relation types. */
                for (size_t s = 0; s < vn;) {
                        size_t e = s;
                        while (e < vn && v[e] != ' ')
                                e++;
                        if (e - s == 4 && strncasecmp(v + s, "next", 4) == 0)
                                return true;
                        s = e + 1;
                }
        }
        return false;
}

int kata_release_link_next(const char *link, const char *base, char **next, kata_error *err)
{
        const char *p = link;

        *next = NULL;
        while ((p = strchr(p, '<')) != NULL) {
                const char *close = strchr(p, '>');
                if (close == NULL)
                        return kata_error_set(err, EBADMSG, "bad Link header: '<' without '>'");
                const char *params = close + 1;
                const char *next_entry = strchr(params, '<');
                size_t plen = next_entry ? (size_t)(next_entry - params) : strlen(params);
                if (!link_params_say_next(params, plen)) {
                        p = close + 1;
                        continue;
                }

                int len = (int)(close - p - 1);
                char *target = strndup(p + 1, (size_t)len);
                CURLU *u = curl_url();
                char *s = NULL;
                int ret = 0;
                if (target == NULL || u == NULL)
                        ret = kata_error_set(err, ENOMEM, "out of memory");
                else if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
                         curl_url_set(u, CURLUPART_URL, target, 0) != CURLUE_OK ||
                         curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
                        ret = kata_error_set(err, EBADMSG,
                                             "bad Link header: rel=\"next\" target '%.*s' is "
                                             "not a URL",
                                             len > 200 ? 200 : len, p + 1);
                else if ((*next = strdup(s)) == NULL)
                        ret = kata_error_set(err, ENOMEM, "out of memory");
                curl_free(s);
                curl_url_cleanup(u);
                free(target);
                return ret;
        }
        return 0;
}

/* "2026-11-28 19:00:00 UTC" from the epoch seconds of X-RateLimit-Reset. */
static void format_reset(const char *reset, char *buf, size_t size)
{
        uint64_t secs;
        struct tm tm;
        time_t t;

        if (kata_parse_u64(reset, &secs) < 0 || secs > (uint64_t)INT32_MAX * 4) {
                snprintf(buf, size, "an unknown time (X-RateLimit-Reset: '%s')", reset);
                return;
        }
        t = (time_t)secs;
        if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
                snprintf(buf, size, "%s (epoch seconds)", reset);
}

/* GitHub puts the reason of an error in {"message": "..."}; quoting it helps. */
static void server_message(const struct page *pg, char *buf, size_t size)
{
        json_object *root, *msg;

        buf[0] = '\0';
        if (pg->body == NULL || pg->len == 0)
                return;
        root = json_tokener_parse(pg->body);
        if (root != NULL && json_object_object_get_ex(root, "message", &msg) &&
            json_object_is_type(msg, json_type_string))
                snprintf(buf, size, ": \"%.200s\"", json_object_get_string(msg));
        json_object_put(root);
}

static int http_status_error(const char *url, long status, const struct page *pg, kata_error *err)
{
        char msg[256];

        server_message(pg, msg, sizeof(msg));
        bool exhausted = strcmp(pg->ratelimit_remaining, "0") == 0;
        /* GitHub's secondary limits answer 403 with Retry-After and requests left. */
        bool retry_later = pg->retry_after[0] != '\0';
        if ((status == 403 && (exhausted || retry_later)) || status == 429) {
                char when[96] = "";
                if (pg->ratelimit_reset[0] != '\0') {
                        char date[64];
                        format_reset(pg->ratelimit_reset, date, sizeof(date));
                        snprintf(when, sizeof(when), "; the limit resets at %s", date);
                } else if (pg->retry_after[0] != '\0') {
                        snprintf(when, sizeof(when), "; retry after %.40s seconds",
                                 pg->retry_after);
                }
                return kata_error_set(err, EAGAIN,
                                      "GET %s: rate limited (HTTP %ld%s)%s%s; set GITHUB_TOKEN "
                                      "for a higher limit",
                                      url, status, exhausted ? ", X-RateLimit-Remaining: 0" : "",
                                      when, msg);
        }
        return kata_error_set(err, EREMOTEIO, "GET %s: HTTP %ld%s%s%s", url, status,
                              pg->reason[0] ? " " : "", pg->reason, msg);
}

static int curl_failure(const char *url, CURLcode rc, const char *detail, long timeout,
                        kata_error *err)
{
        const char *what;
        int code;

        switch (rc) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                what = "DNS lookup failed";
                code = EHOSTUNREACH;
                break;
        case CURLE_COULDNT_CONNECT:
                what = "connection failed";
                code = ECONNREFUSED;
                break;
        case CURLE_OPERATION_TIMEDOUT:
                return kata_error_set(err, ETIMEDOUT, "GET %s: timed out after %ld s (%s)", url,
                                      timeout, detail);
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_SHUTDOWN_FAILED:
        case CURLE_USE_SSL_FAILED:
                what = "TLS failed";
                code = EPROTO;
                break;
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
                what = "bad URL";
                code = EINVAL;
                break;
        case CURLE_TOO_MANY_REDIRECTS:
                what = "too many redirects";
                code = ELOOP;
                break;
        default:
                what = "request failed";
                code = EIO;
                break;
        }
        return kata_error_set(err, code, "GET %s: %s: %s", url, what, detail);
}

struct fetch_ctx {
        CURL *curl;
        struct curl_slist *headers;
        long timeout;
};

static int fetch_ctx_init(struct fetch_ctx *ctx, const struct kata_release_options *opts,
                          kata_error *err)
{
        const char *token = opts->token ? opts->token : getenv("GITHUB_TOKEN");
        struct curl_slist *h;

        memset(ctx, 0, sizeof(*ctx));
        ctx->timeout = opts->timeout_sec > 0 ? opts->timeout_sec : DEFAULT_TIMEOUT_SEC;
        ctx->curl = curl_easy_init();
        if (ctx->curl == NULL)
                return kata_error_set(err, ENOMEM, "cannot initialise libcurl");

        h = curl_slist_append(NULL, "Accept: application/vnd.github+json");
        if (h != NULL)
                ctx->headers = h;
        if (h != NULL && token != NULL && token[0] != '\0') {
                char *auth = NULL;
                if (asprintf(&auth, "Authorization: Bearer %s", token) < 0)
                        auth = NULL;
                h = auth ? curl_slist_append(ctx->headers, auth) : NULL;
                if (auth != NULL) {
                        /* The token should not outlive its use in our memory. */
                        explicit_bzero(auth, strlen(auth));
                        free(auth);
                }
                if (h != NULL)
                        ctx->headers = h;
        }
        if (h == NULL)
                return kata_error_set(err, ENOMEM, "out of memory");

        CURL *c = ctx->curl;
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, ctx->timeout);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, ctx->timeout);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "kata-ctl/" KATA_VERSION);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, ctx->headers);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
#if LIBCURL_VERSION_NUM >= 0x075500
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
        curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        return 0;
}

static void fetch_ctx_free(struct fetch_ctx *ctx)
{
        if (ctx->curl != NULL)
                curl_easy_cleanup(ctx->curl);
        curl_slist_free_all(ctx->headers);
        memset(ctx, 0, sizeof(*ctx));
}

/* GETs one page into pg; fails on transport errors and non-2xx statuses. */
static int fetch_page(struct fetch_ctx *ctx, const char *url, struct page *pg, kata_error *err)
{
        char detail[CURL_ERROR_SIZE] = "";
        long status = 0;
        CURLcode rc;

        curl_easy_setopt(ctx->curl, CURLOPT_URL, url);
        curl_easy_setopt(ctx->curl, CURLOPT_ERRORBUFFER, detail);
        curl_easy_setopt(ctx->curl, CURLOPT_WRITEDATA, pg);
        curl_easy_setopt(ctx->curl, CURLOPT_HEADERDATA, pg);
        rc = curl_easy_perform(ctx->curl);
        curl_easy_setopt(ctx->curl, CURLOPT_ERRORBUFFER, NULL);
        if (pg->too_big)
                return kata_error_set(err, EFBIG, "GET %s: response larger than %u MiB", url,
                                      PAGE_MAX_BYTES >> 20);
        if (rc != CURLE_OK)
                return curl_failure(url, rc, detail[0] ? detail : curl_easy_strerror(rc),
                                    ctx->timeout, err);
        curl_easy_getinfo(ctx->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status < 200 || status > 299)
                return http_status_error(url, status, pg, err);
        return 0;
}

int kata_release_list_fetch(const struct kata_release_options *opts, struct kata_release_list *out,
                            kata_error *err)
{
        const char *env_url = getenv("KATA_RELEASE_URL");
        const char *first = opts->url                               ? opts->url
                            : env_url != NULL && env_url[0] != '\0' ? env_url
                                                                    : DEFAULT_URL_FULL_PAGES;
        struct fetch_ctx ctx;
        char *url = NULL;
        int ret;

        memset(out, 0, sizeof(*out));
        if ((ret = fetch_ctx_init(&ctx, opts, err)) < 0)
                goto out;
        url = strdup(first);
        if (url == NULL) {
                ret = kata_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        for (int pages = 0;; pages++) {
                struct page pg = {0};
                if (pages == KATA_RELEASE_MAX_PAGES) {
                        ret = kata_error_set(err, ELOOP,
                                             "GET %s: more than %d pages of releases (Link: "
                                             "rel=\"next\" never ends)",
                                             first, KATA_RELEASE_MAX_PAGES);
                        break;
                }
                ret = fetch_page(&ctx, url, &pg, err);
                if (ret == 0) {
                        ret = kata_release_list_parse(pg.body ? pg.body : "", pg.len,
                                                      opts->include_prereleases, out, err);
                        if (ret < 0)
                                kata_error_prefix(err, "GET %s", url);
                }
                char *next = NULL;
                if (ret == 0 && (ret = kata_release_link_next(pg.link, url, &next, err)) < 0)
                        kata_error_prefix(err, "GET %s", url);
                free(pg.body);
                free(url);
                url = next;
                if (ret < 0 || url == NULL)
                        break;
        }
out:
        free(url);
        fetch_ctx_free(&ctx);
        if (ret < 0)
                kata_release_list_free(out);
        return ret;
}

/* ---- comparing with the running version ------------------------------------------ */

const char *kata_release_running_version(const struct kata_release_options *opts)
{
        const char *env = getenv("KATA_CHECK_CURRENT_VERSION");

        if (opts != NULL && opts->current_version != NULL)
                return opts->current_version;
        if (env != NULL && env[0] != '\0')
                return env;
        return KATA_VERSION;
}

static enum kata_release_newer newer_from_bump(enum kata_semver_bump b)
{
        switch (b) {
        case KATA_SEMVER_MAJOR:
                return KATA_RELEASE_MAJOR;
        case KATA_SEMVER_MINOR:
                return KATA_RELEASE_MINOR;
        case KATA_SEMVER_PATCH:
                return KATA_RELEASE_PATCH;
        case KATA_SEMVER_NOT_NEWER:
                break;
        }
        return KATA_RELEASE_NONE;
}

static const char *newer_name(enum kata_release_newer n)
{
        switch (n) {
        case KATA_RELEASE_MAJOR:
                return "major";
        case KATA_RELEASE_MINOR:
                return "minor";
        case KATA_RELEASE_PATCH:
                return "patch";
        case KATA_RELEASE_NONE:
                break;
        }
        return "none";
}

int kata_release_check(const struct kata_release_options *opts,
                       struct kata_release_check_result *res, kata_error *err)
{
        const char *running = kata_release_running_version(opts);
        struct kata_release_list list = {0};
        struct kata_semver current;
        int ret;

        memset(res, 0, sizeof(*res));
        snprintf(res->current_version, sizeof(res->current_version), "%s", running);
        if ((ret = kata_semver_parse(running, &current, err)) < 0)
                return kata_error_prefix(err, "running version");
        if ((ret = kata_release_list_fetch(opts, &list, err)) < 0)
                return ret;

        /* The list is sorted newest first: only its head can be the answer. */
        if (list.count > 0) {
                res->newer = newer_from_bump(kata_semver_classify(&current, &list.items[0].semver));
        }
        if (res->newer != KATA_RELEASE_NONE) {
                res->newest = list.items[0];
                memset(&list.items[0], 0, sizeof(list.items[0]));
                snprintf(res->line, sizeof(res->line),
                         "Newer %s release available: %s (url: %s, date: %s)",
                         newer_name(res->newer), res->newest.version, res->newest.url,
                         res->newest.date);
        } else {
                snprintf(res->line, sizeof(res->line), "No newer release available");
        }
        kata_release_list_free(&list);
        return 0;
}

void kata_release_check_result_free(struct kata_release_check_result *res)
{
        if (res == NULL)
                return;
        release_free(&res->newest);
        res->newer = KATA_RELEASE_NONE;
}

json_object *kata_release_check_result_to_json(const struct kata_release_check_result *res)
{
        json_object *o = json_object_new_object();

        if (o == NULL)
                return NULL;
        json_object_object_add(o, "current", json_object_new_string(res->current_version));
        json_object_object_add(o, "newer", json_object_new_string(newer_name(res->newer)));
        if (res->newer != KATA_RELEASE_NONE) {
                json_object_object_add(o, "version", json_object_new_string(res->newest.version));
                json_object_object_add(o, "url", json_object_new_string(res->newest.url));
                json_object_object_add(o, "date", json_object_new_string(res->newest.date));
                json_object_object_add(o, "prerelease",
                                       json_object_new_boolean(res->newest.prerelease));
        }
        json_object_object_add(o, "message", json_object_new_string(res->line));
        return o;
}
