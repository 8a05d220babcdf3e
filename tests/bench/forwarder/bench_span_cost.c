/* Cost of one span (kata_span_begin + kata_span_end) in this process:
 *   bench_span_cost off N        tracing switched off
 *   bench_span_cost on N         tracing on, LTTng provider loaded (a session may listen)
 * Prints "mode=... spans=N ns_per_span=X" and, for reference, the cost of one
 * clock_gettime(CLOCK_REALTIME). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tracing/lttng.h"
#include "tracing/tracing.h"

static double now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
        if (argc != 3 || (strcmp(argv[1], "off") != 0 && strcmp(argv[1], "on") != 0)) {
                fprintf(stderr, "usage: bench_span_cost off|on ITERATIONS\n");
                return 2;
        }
        long n = atol(argv[2]);
        if (strcmp(argv[1], "on") == 0) {
                kata_error err = KATA_ERROR_INIT;
                if (kata_tracing_lttng_load(&err) < 0) {
                        kata_error_print(&err, "bench_span_cost", stderr);
                        return 1;
                }
                kata_tracing_set_enabled(true);
        }
        kata_tracing_set_default_ids("bench-sandbox", NULL, NULL);
        /* Warm up (first-touch allocations, lazy symbol binding). */
        for (int i = 0; i < 1000; i++)
                kata_span_end(kata_span_begin("warmup", NULL));
        kata_span *parent = kata_span_begin("parent", NULL);
        double t0 = now_ns();
        for (long i = 0; i < n; i++)
                kata_span_end(kata_span_begin("CreateContainer", parent));
        double t1 = now_ns();
        kata_span_end(parent);

        struct timespec ts;
        double c0 = now_ns();
        for (long i = 0; i < 1000000; i++)
                clock_gettime(CLOCK_REALTIME, &ts);
        double c1 = now_ns();
        printf("mode=%s session_listening=%d spans=%ld ns_per_span=%.2f clock_gettime_ns=%.1f\n",
               argv[1], kata_tracing_lttng_listening(), n, (t1 - t0) / (double)n, (c1 - c0) / 1e6);
        return 0;
}
