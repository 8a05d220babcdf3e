/* The release check through libcurl against the loopback stand-in for the GitHub API
 * (tests/integration/release/release_server.py), one scenario per URL path. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "check/release.h"
#include "common/util.h"
#include "common/version.h"

static pid_t server_pid = -1;
static int server_stdin = -1;
static char base_url[64];
static char record_path[] = "/tmp/kata-test-release-record-XXXXXX";

static int start_server(void **state)
{
        const char *src = getenv("KATA_SOURCE_DIR");
        char script[4096];
        int out[2], in[2];

        snprintf(script, sizeof(script), "%s/tests/integration/release/release_server.py",
                 src ? src : ".");
        int fd = mkstemp(record_path);
        if (fd < 0 || pipe(out) < 0 || pipe(in) < 0)
                return -1;
        close(fd);

        server_pid = fork();
        if (server_pid < 0)
                return -1;
        if (server_pid == 0) {
                dup2(in[0], 0);
                dup2(out[1], 1);
                close(in[1]);
                close(out[0]);
                execlp("python3", "python3", script, "--record", record_path, "--exit-on-eof",
                       "--lifetime", "300", (char *)NULL);
                _exit(127);
        }
        close(in[0]);
        close(out[1]);
        /* Closing our end of its stdin (also when this process dies) stops the server. */
        server_stdin = in[1];

        char line[32] = "";
        size_t n = 0;
        while (n < sizeof(line) - 1) {
                ssize_t r = read(out[0], line + n, 1);
                if (r <= 0 || line[n] == '\n')
                        break;
                n++;
        }
        line[n] = '\0';
        close(out[0]);
        uint64_t port;
        if (kata_parse_u64(line, &port) < 0 || port == 0 || port > 65535) {
                fprintf(stderr, "release server did not print a port (got '%s')\n", line);
                return -1;
        }
        snprintf(base_url, sizeof(base_url), "http://127.0.0.1:%u", (unsigned)port);

        /* The loopback server must be reached directly whatever the environment says. */
        unsetenv("http_proxy");
        unsetenv("HTTPS_PROXY");
        unsetenv("https_proxy");
        unsetenv("ALL_PROXY");
        unsetenv("all_proxy");
        setenv("no_proxy", "*", 1);
        unsetenv("GITHUB_TOKEN");
        unsetenv("KATA_RELEASE_URL");
        unsetenv("KATA_CHECK_CURRENT_VERSION");
        return 0;
}

static int stop_server(void **state)
{
        if (server_pid > 0) {
                close(server_stdin);
                kill(server_pid, SIGTERM);
                waitpid(server_pid, NULL, 0);
        }
        unlink(record_path);
        return 0;
}

static void url_for(char *buf, size_t size, const char *path)
{
        snprintf(buf, size, "%s%s", base_url, path);
}

/* Runs the check against path with the running version given; returns its result. */
static int check_path(const char *path, const char *current, bool include_pre,
                      struct kata_release_check_result *res, kata_error *err)
{
        char url[256];
        url_for(url, sizeof(url), path);
        struct kata_release_options opts = {
            .url = url,
            .timeout_sec = 5,
            .include_prereleases = include_pre,
            .current_version = current,
        };
        return kata_release_check(&opts, res, err);
}

static void expect_line(const char *path, const char *current, bool include_pre,
                        enum kata_release_newer newer, const char *line)
{
        struct kata_release_check_result res;
        kata_error err = KATA_ERROR_INIT;
        int r = check_path(path, current, include_pre, &res, &err);
        if (r != 0)
                fail_msg("%s: check failed: %s", path, err.msg);
        assert_int_equal(res.newer, newer);
        assert_string_equal(res.line, line);
        assert_string_equal(res.current_version, current);
        kata_release_check_result_free(&res);
}

static void test_newer_patch_minor_major(void **state)
{
        expect_line("/patch", "2.4.1", false, KATA_RELEASE_PATCH,
                    "Newer patch release available: 2.4.2 (url: "
                    "https://example.invalid/releases/tag/2.4.2, date: 2026-02-02T02:02:02Z)");
        expect_line("/minor", "2.4.1", false, KATA_RELEASE_MINOR,
                    "Newer minor release available: 2.5.0 (url: "
                    "https://example.invalid/releases/tag/2.5.0, date: 2026-05-05T05:05:05Z)");
        expect_line("/major", "2.4.1", false, KATA_RELEASE_MAJOR,
                    "Newer major release available: 3.0.0 (url: "
                    "https://example.invalid/releases/tag/3.0.0, date: 2026-09-09T09:09:09Z)");
        expect_line("/none", "2.4.1", false, KATA_RELEASE_NONE, "No newer release available");
        /* Running something newer than every release (a development build). */
        expect_line("/major", "4.0.0", false, KATA_RELEASE_NONE, "No newer release available");
}

static void test_prereleases(void **state)
{
        expect_line("/prerelease", "2.4.1", false, KATA_RELEASE_PATCH,
                    "Newer patch release available: 2.4.2 (url: "
                    "https://example.invalid/releases/tag/2.4.2, date: 2026-03-01T10:00:00Z)");
        expect_line("/prerelease", "2.4.1", true, KATA_RELEASE_MINOR,
                    "Newer minor release available: 2.5.0-rc1 (url: "
                    "https://example.invalid/releases/tag/2.5.0-rc1, date: "
                    "2026-03-01T10:00:00Z)");
        expect_line("/rc-final", "2.5.0-rc1", false, KATA_RELEASE_PATCH,
                    "Newer patch release available: 2.5.0 (url: "
                    "https://example.invalid/releases/tag/2.5.0, date: 2026-03-01T10:00:00Z)");
        expect_line("/rc-final", "2.5.0", true, KATA_RELEASE_NONE, "No newer release available");
}

static void test_skips_drafts_and_nonsemver(void **state)
{
        expect_line("/drafts", "2.4.1", true, KATA_RELEASE_NONE, "No newer release available");
        expect_line("/nonsemver", "2.4.1", false, KATA_RELEASE_PATCH,
                    "Newer patch release available: 2.4.2 (url: "
                    "https://example.invalid/releases/tag/2.4.2, date: 2026-03-01T10:00:00Z)");
        expect_line("/vprefix", "2.4.1", false, KATA_RELEASE_MINOR,
                    "Newer minor release available: 2.6.0 (url: "
                    "https://example.invalid/releases/tag/v2.6.0, date: 2026-03-01T10:00:00Z)");
        expect_line("/empty", "2.4.1", false, KATA_RELEASE_NONE, "No newer release available");
        expect_line("/redirect", "2.4.1", false, KATA_RELEASE_PATCH,
                    "Newer patch release available: 2.4.2 (url: "
                    "https://example.invalid/releases/tag/2.4.2, date: 2026-02-02T02:02:02Z)");
}

static void test_paging(void **state)
{
        char url[256];
        struct kata_release_list list;
        kata_error err = KATA_ERROR_INIT;

        url_for(url, sizeof(url), "/paged");
        struct kata_release_options opts = {.url = url, .timeout_sec = 5};
        assert_int_equal(kata_release_list_fetch(&opts, &list, &err), 0);
        assert_int_equal(list.count, 6);
        assert_string_equal(list.items[0].version, "3.1.0");
        assert_string_equal(list.items[5].version, "2.1.0");
        kata_release_list_free(&list);

        expect_line("/paged", "2.4.1", false, KATA_RELEASE_MAJOR,
                    "Newer major release available: 3.1.0 (url: "
                    "https://example.invalid/releases/tag/3.1.0, date: 2026-12-12T12:12:12Z)");

        /* A server whose Link: rel="next" never ends is cut off. */
        url_for(url, sizeof(url), "/endless");
        assert_int_equal(kata_release_list_fetch(&opts, &list, &err), -ELOOP);
        assert_non_null(strstr(err.msg, "more than 100 pages"));
        assert_int_equal(list.count, 0);
}

static void expect_error(const char *path, int code, const char *part)
{
        struct kata_release_check_result res;
        kata_error err = KATA_ERROR_INIT;
        int r = check_path(path, "2.4.1", false, &res, &err);
        if (r != -code || strstr(err.msg, part) == NULL)
                fail_msg("%s: got %d '%s', expected %d with '%s'", path, r, err.msg, -code, part);
        assert_int_equal(res.newer, KATA_RELEASE_NONE);
        kata_release_check_result_free(&res);
}

static void test_http_errors(void **state)
{
        expect_error("/ratelimit", EAGAIN,
                     "rate limited (HTTP 403, X-RateLimit-Remaining: 0); the limit resets at "
                     "2027-01-01 00:00:00 UTC: \"API rate limit exceeded for 127.0.0.1.\"; set "
                     "GITHUB_TOKEN");
        expect_error("/secondary", EAGAIN, "rate limited (HTTP 403); retry after 30 seconds");
        expect_error("/toomany", EAGAIN, "rate limited (HTTP 429); retry after 60 seconds");
        expect_error("/forbidden", EREMOTEIO,
                     "/forbidden: HTTP 403 Forbidden: \"Resource not accessible\"");
        expect_error("/error500", EREMOTEIO, "/error500: HTTP 500 Internal Server Error");
        expect_error("/no-such-path", EREMOTEIO, "HTTP 404");
}

static void test_bad_json(void **state)
{
        expect_error("/malformed", EBADMSG, "/malformed: bad JSON");
        expect_error("/garbage", EBADMSG, "/garbage: bad JSON at byte 0");
        expect_error("/trailing", EBADMSG, "/trailing: bad JSON at byte 3");
        expect_error("/notarray", EBADMSG, "expected an array of releases, got object");
        expect_error("/wrongtypes", EBADMSG,
                     "release 1: field \"tag_name\" is int, expected string");
        expect_error("/wrongdraft", EBADMSG, "field \"draft\" is string, expected boolean");
        expect_error("/notobject", EBADMSG, "release 1 is string, expected object");
}

static void test_transport_errors(void **state)
{
        struct kata_release_check_result res;
        kata_error err = KATA_ERROR_INIT;

        /* Nothing listens on port 1 of the loopback. */
        struct kata_release_options opts = {
            .url = "http://127.0.0.1:1/releases", .timeout_sec = 5, .current_version = "1.0.0"};
        assert_int_equal(kata_release_check(&opts, &res, &err), -ECONNREFUSED);
        assert_non_null(strstr(err.msg, "connection failed"));

        /* No DNS case: a lookup would leave the loopback, which tests must not do. */
        /* TLS to a plain HTTP server: the handshake fails. */
        char url[256];
        snprintf(url, sizeof(url), "https://%s/patch", base_url + strlen("http://"));
        opts.url = url;
        assert_int_equal(kata_release_check(&opts, &res, &err), -EPROTO);
        assert_non_null(strstr(err.msg, "TLS failed"));

        url_for(url, sizeof(url), "/redirect-loop");
        assert_int_equal(kata_release_check(&opts, &res, &err), -ELOOP);
        assert_non_null(strstr(err.msg, "too many redirects"));

        url_for(url, sizeof(url), "/huge");
        assert_int_equal(kata_release_check(&opts, &res, &err), -EFBIG);
        assert_non_null(strstr(err.msg, "response larger than 16 MiB"));

        opts.url = "ftp://127.0.0.1/releases";
        assert_int_equal(kata_release_check(&opts, &res, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "bad URL"));

        opts.url = "http://127.0.0.1:1/releases";
        opts.current_version = "two";
        assert_int_equal(kata_release_check(&opts, &res, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "running version: version 'two'"));
}

/* Accepts the connection and never answers: the call must come back with a timeout. */
static void test_server_never_answers(void **state)
{
        struct kata_release_check_result res;
        kata_error err = KATA_ERROR_INIT;
        char url[256];

        url_for(url, sizeof(url), "/hang");
        struct kata_release_options opts = {
            .url = url, .timeout_sec = 1, .current_version = "2.4.1"};
        assert_int_equal(kata_release_check(&opts, &res, &err), -ETIMEDOUT);
        assert_non_null(strstr(err.msg, "timed out after 1 s"));
}

static void test_env_url_token_and_headers(void **state)
{
        struct kata_release_check_result res;
        kata_error err = KATA_ERROR_INIT;
        char url[256], *record = NULL;

        url_for(url, sizeof(url), "/token");
        setenv("KATA_RELEASE_URL", url, 1);
        setenv("GITHUB_TOKEN", "test-token-123", 1);
        setenv("KATA_CHECK_CURRENT_VERSION", "2.4.0", 1);
        struct kata_release_options opts = {.timeout_sec = 5};
        int r = kata_release_check(&opts, &res, &err);
        unsetenv("KATA_RELEASE_URL");
        unsetenv("GITHUB_TOKEN");
        unsetenv("KATA_CHECK_CURRENT_VERSION");
        if (r != 0)
                fail_msg("check failed: %s", err.msg);
        assert_string_equal(res.current_version, "2.4.0");
        assert_int_equal(res.newer, KATA_RELEASE_PATCH);

        json_object *j = kata_release_check_result_to_json(&res);
        json_object *v;
        assert_true(json_object_object_get_ex(j, "newer", &v));
        assert_string_equal(json_object_get_string(v), "patch");
        assert_true(json_object_object_get_ex(j, "version", &v));
        assert_string_equal(json_object_get_string(v), "2.4.1");
        assert_true(json_object_object_get_ex(j, "current", &v));
        assert_string_equal(json_object_get_string(v), "2.4.0");
        json_object_put(j);
        kata_release_check_result_free(&res);

        assert_int_equal(kata_read_file(record_path, 0, &record, NULL, &err), 0);
        char *line = strstr(record, "\"path\": \"/token\"");
        assert_non_null(line);
        char *end = strchr(line, '\n');
        if (end != NULL)
                *end = '\0';
        assert_non_null(strstr(line, "\"authorization\": \"Bearer test-token-123\""));
        assert_non_null(strstr(line, "\"user_agent\": \"kata-ctl/" KATA_VERSION "\""));
        assert_non_null(strstr(line, "\"accept\": \"application/vnd.github+json\""));
        free(record);

        /* Without a token no Authorization header goes out. */
        unlink(record_path);
        opts.url = url;
        opts.current_version = "2.4.1";
        assert_int_equal(kata_release_check(&opts, &res, &err), 0);
        kata_release_check_result_free(&res);
        assert_int_equal(kata_read_file(record_path, 0, &record, NULL, &err), 0);
        assert_non_null(strstr(record, "\"authorization\": null"));
        free(record);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_newer_patch_minor_major),
            cmocka_unit_test(test_prereleases),
            cmocka_unit_test(test_skips_drafts_and_nonsemver),
            cmocka_unit_test(test_paging),
            cmocka_unit_test(test_http_errors),
            cmocka_unit_test(test_bad_json),
            cmocka_unit_test(test_transport_errors),
            cmocka_unit_test(test_server_never_answers),
            cmocka_unit_test(test_env_url_token_and_headers),
        };
        return cmocka_run_group_tests(tests, start_server, stop_server);
}
