/* The span API (enable switch, parents, remote parents, ids, hooks) and the exporter
 * against a unix socket standing in for the forwarder. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "tracing/exporter.h"
#include "tracing/frame.h"
#include "tracing/otlp.h"
#include "tracing/lttng.h"
#include "tracing/tracing.h"

struct collected {
        int n;
        kata_span_record *recs[16];
};

static void collect(const kata_span_record *rec, void *ctx)
{
        struct collected *c = ctx;
        if (c->n < 16)
                c->recs[c->n++] = kata_span_record_clone(rec);
}

static void collected_free(struct collected *c)
{
        for (int i = 0; i < c->n; i++)
                free(c->recs[i]);
        c->n = 0;
}

static void test_disabled_is_null(void **state)
{
        kata_tracing_set_enabled(false);
        kata_span *s = kata_span_begin("x", NULL);
        assert_null(s);
        kata_span_set_attr_str(s, "k", "v");
        kata_span_end(s);
        char tp[KATA_TRACEPARENT_LEN + 1];
        assert_false(kata_span_traceparent(s, tp));
        assert_string_equal(tp, "");
}

static void test_parent_child_and_hooks(void **state)
{
        struct collected c = {0};
        kata_error err = KATA_ERROR_INIT;
        kata_tracing_set_enabled(true);
        assert_int_equal(kata_tracing_add_hook(collect, &c, &err), 0);
        assert_int_equal(kata_tracing_set_default_ids("sandbox-a", NULL, &err), 0);

        kata_span *root = kata_span_begin("create", NULL);
        assert_non_null(root);
        kata_span *child = kata_span_begin("CreateContainer", root);
        kata_span_set_kind(child, KATA_SPAN_KIND_CLIENT);
        kata_span_set_container_id(child, "ctr-1");
        kata_span_set_attr_str(child, "k", "v1");
        kata_span_set_attr_str(child, "k", "v2"); /* overwrites */
        kata_span_set_attr_int(child, "n", 7);
        kata_span_set_status(child, KATA_SPAN_STATUS_ERROR, "failed");

        /* The agent side: a span whose parent came over ttrpc metadata. */
        char tp[KATA_TRACEPARENT_LEN + 1];
        assert_true(kata_span_traceparent(child, tp));
        kata_span_context remote;
        assert_int_equal(kata_traceparent_parse(tp, &remote, &err), 0);
        kata_span *server = kata_span_begin_remote("create_container", &remote);

        kata_span_end(server);
        kata_span_end(child);
        kata_span_end(root);
        kata_tracing_remove_hook(collect, &c);
        kata_tracing_set_default_ids(NULL, NULL, &err);

        assert_int_equal(c.n, 3);
        kata_span_record *srv = c.recs[0], *ch = c.recs[1], *rt = c.recs[2];
        assert_true(kata_span_record_is_root(rt));
        assert_memory_equal(ch->trace_id, rt->trace_id, 16);
        assert_memory_equal(ch->parent_span_id, rt->span_id, 8);
        assert_memory_equal(srv->trace_id, rt->trace_id, 16);
        assert_memory_equal(srv->parent_span_id, ch->span_id, 8);
        assert_memory_not_equal(ch->span_id, rt->span_id, 8);
        assert_string_equal(rt->sandbox_id, "sandbox-a");
        assert_string_equal(ch->container_id, "ctr-1");
        assert_string_equal(rt->container_id, "");
        assert_string_equal(ch->status_message, "failed");
        assert_int_equal(ch->kind, KATA_SPAN_KIND_CLIENT);
        assert_int_equal(ch->n_attrs, 2);
        assert_string_equal(ch->attrs[0].v.s, "v2");
        assert_true(rt->end_ns >= rt->start_ns && rt->start_ns > 1600000000000000000ull);
        assert_string_equal(rt->source, "runtime");
        collected_free(&c);
        kata_tracing_set_enabled(false);
}

static void test_lttng_provider_loads(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        /* Found next to the test binary (../lib), as for the real binaries. */
        assert_int_equal(kata_tracing_lttng_load(&err), 0);
        assert_true(kata_tracing_lttng_loaded());
        kata_tracing_set_enabled(true);
        kata_span *s = kata_span_begin("with-provider", NULL);
        kata_span_set_attr_bool(s, "b", true);
        kata_span_end(s); /* no session: the tracepoint is off, nothing to see */
        kata_tracing_set_enabled(false);
}

static int listen_at(const char *path)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
        unlink(path);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(fd, 4), 0);
        return fd;
}

static int read_full(int fd, uint8_t *p, size_t n)
{
        while (n) {
                ssize_t r = read(fd, p, n);
                if (r <= 0)
                        return -1;
                p += r;
                n -= (size_t)r;
        }
        return 0;
}

/* Reads frames until want spans arrived; returns the number of spans seen. */
static int read_spans(int conn, int want)
{
        int got = 0;
        while (got < want) {
                uint8_t hdr[8];
                if (read_full(conn, hdr, 8) < 0)
                        break;
                size_t len = 0;
                kata_error err = KATA_ERROR_INIT;
                assert_int_equal(kata_frame_parse(hdr, 8, 1 << 20, &len, &err) < 0, 0);
                uint64_t n = 0;
                for (int i = 0; i < 8; i++)
                        n = n << 8 | hdr[i];
                uint8_t *payload = malloc(n);
                assert_int_equal(read_full(conn, payload, n), 0);
                int spans = kata_otlp_decode(payload, n, NULL, NULL, &err);
                assert_true(spans > 0);
                got += spans;
                free(payload);
        }
        return got;
}

static void end_spans(kata_exporter *exp, int n)
{
        for (int i = 0; i < n; i++) {
                kata_span *s = kata_span_begin("exported", NULL);
                kata_span_end(s);
        }
}

static void test_exporter_delivers_reconnects_and_counts_drops(void **state)
{
        char dir[] = "/tmp/kata-exporter-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char path[128];
        snprintf(path, sizeof(path), "%s/fwd.sock_10240", dir);
        int lfd = listen_at(path);

        kata_exporter *exp = NULL;
        kata_error err = KATA_ERROR_INIT;
        kata_exporter_options opts = {.unix_path = path,
                                      .queue_capacity = 64,
                                      .batch_max = 8,
                                      .flush_interval_ms = 10,
                                      .reconnect_max_ms = 50};
        assert_int_equal(kata_exporter_start(&opts, &exp, &err), 0);
        kata_tracing_set_enabled(true);
        assert_int_equal(kata_tracing_add_hook(kata_exporter_hook, exp, &err), 0);

        end_spans(exp, 20);
        assert_int_equal(kata_exporter_flush(exp, 5000), 0);
        int conn = accept(lfd, NULL, NULL);
        assert_true(conn >= 0);
        assert_int_equal(read_spans(conn, 20), 20);

        /* Forwarder gone: spans are dropped and counted, ending spans never blocks. */
        close(conn);
        close(lfd);
        unlink(path);
        end_spans(exp, 200);
        kata_exporter_flush(exp, 300);
        kata_exporter_stats st;
        kata_exporter_get_stats(exp, &st);
        assert_true(st.dropped >= 200 - 64);
        assert_true(st.queued <= 64);

        /* Forwarder back: the exporter reconnects and delivers new spans. */
        lfd = listen_at(path);
        uint64_t sent_before = st.sent;
        for (int tries = 0; tries < 100; tries++) {
                end_spans(exp, 5);
                kata_exporter_flush(exp, 200);
                kata_exporter_get_stats(exp, &st);
                if (st.sent > sent_before)
                        break;
        }
        assert_true(st.sent > sent_before);
        conn = accept(lfd, NULL, NULL);
        assert_true(conn >= 0);
        assert_true(read_spans(conn, 1) >= 1);
        assert_true(st.connects >= 2);

        kata_tracing_remove_hook(kata_exporter_hook, exp);
        kata_tracing_set_enabled(false);
        kata_exporter_stop(exp, 1000);
        close(conn);
        close(lfd);
        unlink(path);
        rmdir(dir);
}

/* A forwarder that accepts and then never reads: spans are dropped, flush times out,
 * and stop still returns (the sender gives a frame up after its send timeout). */
static void test_exporter_survives_a_stuck_forwarder(void **state)
{
        char dir[] = "/tmp/kata-exporter-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char path[128];
        snprintf(path, sizeof(path), "%s/stuck.sock", dir);
        int lfd = listen_at(path);
        kata_exporter *exp = NULL;
        kata_error err = KATA_ERROR_INIT;
        kata_exporter_options opts = {
            .unix_path = path, .queue_capacity = 8192, .send_timeout_ms = 200};
        assert_int_equal(kata_exporter_start(&opts, &exp, &err), 0);
        kata_span_attr attr = {.key = "padding",
                               .type = KATA_ATTR_STRING,
                               .v.s = "0123456789012345678901234567890123456789012345678901234"};
        kata_span_record rec = {.trace_id = {1},
                                .span_id = {2},
                                .name = "stuck",
                                .source = "agent",
                                .sandbox_id = "",
                                .container_id = "",
                                .status_message = "",
                                .attrs = &attr,
                                .n_attrs = 1};
        /* Queue-fulls of about 1 MB each until the socket buffer is full and the sender
         * is stuck: then a flush cannot finish. */
        int flushed = 0, rounds = 0;
        while (flushed == 0 && rounds < 20) {
                for (int i = 0; i < 8192; i++)
                        kata_exporter_submit(exp, &rec);
                flushed = kata_exporter_flush(exp, 300);
                rounds++;
        }
        assert_int_equal(flushed, -ETIMEDOUT);
        /* More spans now only fill the queue and are dropped: the caller never waits. */
        for (int i = 0; i < 20000; i++)
                kata_exporter_submit(exp, &rec);
        kata_exporter_stats st;
        kata_exporter_get_stats(exp, &st);
        assert_int_equal(st.submitted, (uint64_t)rounds * 8192 + 20000);
        assert_true(st.dropped >= 20000 - 8192);
        assert_true(st.queued <= 8192);
        kata_exporter_stop(exp, 100);
        close(lfd);
        unlink(path);
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_disabled_is_null),
            cmocka_unit_test(test_parent_child_and_hooks),
            cmocka_unit_test(test_lttng_provider_loads),
            cmocka_unit_test(test_exporter_delivers_reconnects_and_counts_drops),
            cmocka_unit_test(test_exporter_survives_a_stuck_forwarder),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
