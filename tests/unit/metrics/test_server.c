/* The endpoint's answers over real loopback HTTP: a scratch state root holds sandbox sb1
 * whose agent socket does not exist, so its host-side series are there, its agent is down
 * and every scrape raises its failure count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "metrics/server.h"
#include "state/state.h"

struct fixture {
        char root[64];
        kata_metrics_collector *collector;
        kata_metrics_server *server;
        char base[64];
};

struct body {
        char *data;
        size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
        struct body *b = user;
        char *d = realloc(b->data, b->len + size * n + 1);
        if (!d)
                return 0;
        memcpy(d + b->len, p, size * n);
        b->data = d;
        b->len += size * n;
        b->data[b->len] = '\0';
        return size * n;
}

/* Returns the HTTP status; *out gets the body (malloc'd) when out is not NULL. */
static long get(struct fixture *f, const char *path, const char *method, char **out)
{
        CURL *c = curl_easy_init();
        assert_non_null(c);
        size_t n = strlen(f->base) + strlen(path) + 1;
        char *url = malloc(n);
        snprintf(url, n, "%s%s", f->base, path);
        struct body b = {0};
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
        curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
        curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
        if (method && strcmp(method, "HEAD") == 0)
                curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        else if (method)
                curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        CURLcode rc = curl_easy_perform(c);
        long status = 0;
        if (rc == CURLE_OK)
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        free(url);
        if (out)
                *out = b.data ? b.data : strdup("");
        else
                free(b.data);
        return status;
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        strcpy(f->root, "/tmp/kata-test-metrics-server-XXXXXX");
        assert_non_null(mkdtemp(f->root));
        kata_sandbox_state st;
        kata_sandbox_state_init(&st);
        strcpy(st.id, "sb1");
        strcpy(st.hypervisor, "local");
        st.status = KATA_SANDBOX_RUNNING;
        snprintf(st.agent_address, sizeof(st.agent_address), "unix://%s/sb1/no-agent.sock",
                 f->root);
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_state_create(f->root, &st, &err), 0);
        kata_sandbox_state_free(&st);
        kata_metrics_collector_opts o = {.state_root = f->root, .agent_timeout_ms = 500};
        assert_int_equal(kata_metrics_collector_new(&o, &f->collector, &err), 0);
        assert_int_equal(kata_metrics_server_start(f->collector, "127.0.0.1:0", &f->server, &err),
                         0);
        snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%u",
                 kata_metrics_server_port(f->server));
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        kata_metrics_server_stop(f->server);
        kata_metrics_collector_free(f->collector);
        kata_error err = KATA_ERROR_INIT;
        kata_state_remove(f->root, "sb1", &err);
        rmdir(f->root);
        free(f);
        return 0;
}

static void test_metrics_and_failures(void **state)
{
        struct fixture *f = *state;
        char *body;
        assert_int_equal(get(f, "/metrics", NULL, &body), 200);
        assert_non_null(strstr(body, "kata_monitor_running_sandboxes 1\n"));
        assert_non_null(strstr(body, "kata_monitor_agent_up{sandbox_id=\"sb1\"} 0\n"));
        assert_non_null(strstr(body, "kata_monitor_scrape_failures_total{sandbox_id=\"sb1\"} 1\n"));
        free(body);
        assert_int_equal(get(f, "/metrics?sandbox=sb1", NULL, &body), 200);
        assert_non_null(strstr(body, "kata_monitor_scrape_failures_total{sandbox_id=\"sb1\"} 2\n"));
        assert_non_null(strstr(body, "kata_monitor_scrapes_total 2\n"));
        /* The first scrape's duration is in the histogram now. */
        assert_non_null(strstr(body, "kata_monitor_scrape_duration_seconds_count 1\n"));
        free(body);
        assert_int_equal(get(f, "/sandboxes", NULL, &body), 200);
        assert_non_null(strstr(body, "\"id\":\"sb1\""));
        assert_non_null(strstr(body, "\"failed_scrapes\":2"));
        free(body);
        assert_int_equal(get(f, "/", NULL, NULL), 200);
        assert_int_equal(get(f, "/metrics", "HEAD", NULL), 200);
}

static void test_bad_requests(void **state)
{
        struct fixture *f = *state;
        static const struct {
                const char *path;
                const char *method;
                long status;
        } cases[] = {
            {"/metrics?sandbox=nope", NULL, 404},
            {"/metrics?sandbox=..", NULL, 400},
            {"/metrics?sandbox=a%2Fb", NULL, 400},
            {"/metrics?sandbox=%zz", NULL, 400},
            {"/metrics?sandbox", NULL, 400},
            {"/metrics?sandbox=", NULL, 400},
            {"/metrics?sandbox=sb1&sandbox=sb1", NULL, 400},
            {"/metrics?foo=bar", NULL, 400},
            {"/metrics?&&==&", NULL, 400},
            {"/sandboxes?sandbox=sb1", NULL, 400},
            {"/metrics/", NULL, 404},
            {"/nope", NULL, 404},
            {"/../../etc/passwd", NULL, 404},
            {"/metrics", "POST", 405},
            {"/metrics", "DELETE", 405},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                long got = get(f, cases[i].path, cases[i].method, NULL);
                if (got != cases[i].status)
                        fail_msg("%s %s: got %ld, expected %ld",
                                 cases[i].method ? cases[i].method : "GET", cases[i].path, got,
                                 cases[i].status);
        }
        /* Long URLs: ours answers 400; past libmicrohttpd's buffer it answers 414 itself. */
        size_t n = 20000;
        char *path = malloc(n + 32);
        strcpy(path, "/metrics?sandbox=");
        memset(path + strlen(path), 'a', n);
        path[17 + n] = '\0';
        assert_int_equal(get(f, path, NULL, NULL), 400);
        free(path);
        n = 200000;
        path = malloc(n + 32);
        strcpy(path, "/");
        memset(path + 1, 'x', n);
        path[1 + n] = '\0';
        long st = get(f, path, NULL, NULL);
        assert_true(st == 400 || st == 414);
        free(path);
        /* And it still serves. */
        assert_int_equal(get(f, "/metrics", NULL, NULL), 200);
}

static void test_parse_listen(void **state)
{
        struct sockaddr_storage a;
        kata_error err = KATA_ERROR_INIT;
        assert_int_equal(kata_metrics_parse_listen("127.0.0.1:8090", &a, &err), 0);
        assert_int_equal(a.ss_family, AF_INET);
        assert_int_equal(kata_metrics_parse_listen("localhost:1", &a, &err), 0);
        assert_int_equal(kata_metrics_parse_listen("[::1]:9", &a, &err), 0);
        assert_int_equal(a.ss_family, AF_INET6);
        assert_int_equal(kata_metrics_parse_listen("127.0.0.1", &a, &err), -EINVAL);
        assert_int_equal(kata_metrics_parse_listen("127.0.0.1:65536", &a, &err), -EINVAL);
        assert_int_equal(kata_metrics_parse_listen("127.0.0.1:", &a, &err), -EINVAL);
        assert_int_equal(kata_metrics_parse_listen("example.com:80", &a, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "IP address"));
        assert_int_equal(kata_metrics_parse_listen("[::1:80", &a, &err), -EINVAL);
}

int main(void)
{
        curl_global_init(CURL_GLOBAL_DEFAULT);
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_metrics_and_failures, setup, teardown),
            cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
            cmocka_unit_test(test_parse_listen),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        curl_global_cleanup();
        return r;
}
