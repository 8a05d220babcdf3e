/* Test peer playing the agent side for real: spans made with the span API and shipped by
 * the library's exporter (bounded queue, sender thread, reconnects) to a forwarder.
 *
 *   exporter_agent --socket PATH --traces N --children M [--interval-us U]
 *
 * Each trace is a root span "op-<i>" with M children "step-<i>-<j>". Prints the
 * exporter's counters at the end: "submitted=.. sent=.. dropped=.. frames=.. connects=..". */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tracing/exporter.h"
#include "tracing/tracing.h"

int main(int argc, char **argv)
{
        const char *socket_path = NULL;
        int traces = 10, children = 3;
        long interval_us = 0;
        static const struct option longopts[] = {
            {"socket", required_argument, 0, 'S'},
            {"traces", required_argument, 0, 't'},
            {"children", required_argument, 0, 'c'},
            {"interval-us", required_argument, 0, 'i'},
            {0, 0, 0, 0},
        };
        int opt;
        while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                switch (opt) {
                case 'S':
                        socket_path = optarg;
                        break;
                case 't':
                        traces = atoi(optarg);
                        break;
                case 'c':
                        children = atoi(optarg);
                        break;
                case 'i':
                        interval_us = atol(optarg);
                        break;
                default:
                        return 2;
                }
        }
        if (!socket_path) {
                fprintf(stderr, "exporter_agent: --socket is required\n");
                return 2;
        }
        kata_error err = KATA_ERROR_INIT;
        kata_exporter *exp;
        kata_exporter_options o = {.source = "agent",
                                   .unix_path = socket_path,
                                   .flush_interval_ms = 20,
                                   .reconnect_max_ms = 100};
        if (kata_tracing_set_source("agent", &err) < 0 ||
            kata_tracing_set_default_ids("sandbox-exp", NULL, &err) < 0 ||
            kata_exporter_start(&o, &exp, &err) < 0 ||
            kata_tracing_add_hook(kata_exporter_hook, exp, &err) < 0) {
                kata_error_print(&err, "exporter_agent", stderr);
                return 1;
        }
        kata_tracing_set_enabled(true);
        for (int i = 0; i < traces; i++) {
                char name[64];
                snprintf(name, sizeof(name), "op-%d", i);
                kata_span *root = kata_span_begin(name, NULL);
                kata_span_set_container_id(root, "ctr-exp");
                for (int j = 0; j < children; j++) {
                        snprintf(name, sizeof(name), "step-%d-%d", i, j);
                        kata_span *child = kata_span_begin(name, root);
                        kata_span_set_attr_int(child, "index", j);
                        kata_span_end(child);
                }
                kata_span_set_status(root, KATA_SPAN_STATUS_OK, NULL);
                kata_span_end(root);
                if (interval_us)
                        usleep((useconds_t)interval_us);
        }
        kata_tracing_set_enabled(false);
        kata_tracing_remove_hook(kata_exporter_hook, exp);
        kata_exporter_stats st;
        kata_exporter_flush(exp, 5000);
        kata_exporter_get_stats(exp, &st);
        kata_exporter_stop(exp, 0);
        printf("submitted=%" PRIu64 " sent=%" PRIu64 " dropped=%" PRIu64 " frames=%" PRIu64
               " connects=%" PRIu64 "\n",
               st.submitted, st.sent, st.dropped, st.frames, st.connects);
        return 0;
}
