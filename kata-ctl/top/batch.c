/* Batch mode: plain text frames (the screen's tables, no terminal needed) or one JSON
 * object per line per refresh (kata-ctl/top/README.md documents the fields). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "observe/observe.h"
#include "top/exec_feed.h"
#include "top/model.h"
#include "top/top.h"

volatile int top_quit_signal;

static void on_quit(int sig)
{
        top_quit_signal = sig;
}

void top_install_signal_handlers(void)
{
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_quit;
        sigemptyset(&sa.sa_mask);
        /* No SA_RESTART: a sleep or poll in progress returns at once. */
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
}

static void print_table(FILE *out, const top_table *t, const char *indent)
{
        fputs(indent, out);
        for (size_t c = 0; c < t->ncols; c++) {
                const top_column *col = &t->cols[c];
                if (col->width == 0)
                        fprintf(out, "%s", col->name);
                else
                        fprintf(out, col->numeric ? "%*s " : "%-*s ", col->width, col->name);
        }
        fputc('\n', out);
        for (size_t i = 0; i < t->nrows; i++) {
                fputs(indent, out);
                for (size_t c = 0; c < t->ncols; c++) {
                        const top_column *col = &t->cols[c];
                        if (col->width == 0)
                                fprintf(out, "%s", t->rows[i].wide ? t->rows[i].wide : "");
                        else
                                fprintf(out, col->numeric ? "%*s " : "%-*s ", col->width,
                                        t->rows[i].cells[c]);
                }
                fputc('\n', out);
        }
}

static int print_text_frame(FILE *out, const kata_observe_snapshot *s, top_view *v, bool containers)
{
        char when[32];
        time_t t = (time_t)(s->time_ns / 1000000000ull);
        struct tm tm;
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
        fprintf(out, "kata-ctl top - %s, %zu sandbox%s, interval %.1fs\n", when, s->nsandboxes,
                s->nsandboxes == 1 ? "" : "es", (double)s->interval_ns / 1e9);
        top_table table;
        v->level = TOP_LEVEL_SANDBOXES;
        if (top_table_build(s, v, &table) < 0)
                return -ENOMEM;
        print_table(out, &table, "");
        for (size_t i = 0; containers && i < table.nrows; i++) {
                const kata_observe_sandbox *sb = kata_observe_find_sandbox(s, table.rows[i].id);
                if (!sb || sb->ncontainers == 0)
                        continue;
                top_view cv = *v;
                cv.level = TOP_LEVEL_CONTAINERS;
                snprintf(cv.sandbox, sizeof(cv.sandbox), "%s", sb->id);
                cv.selected[0] = '\0';
                cv.filter[0] = '\0';
                top_table ct;
                if (top_table_build(s, &cv, &ct) < 0) {
                        top_table_free(&table);
                        return -ENOMEM;
                }
                fprintf(out, "\n  sandbox %s%s%s\n", sb->id, sb->error[0] ? ": " : "", sb->error);
                print_table(out, &ct, "  ");
                top_table_free(&ct);
        }
        top_table_free(&table);
        for (size_t i = 0; i < s->nproblems; i++)
                fprintf(out, "! %s: %s\n", s->problems[i].id, s->problems[i].error.msg);
        if (s->exec_hint[0])
                fprintf(out, "EXEC/s: %s\n", s->exec_hint);
        fputc('\n', out);
        return 0;
}

/* Sleeps seconds, or less when a quit signal arrives. */
static void nap(double seconds)
{
        struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
        while (!top_quit_signal && nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int top_batch_run(const top_opts *opts, kata_error *err)
{
        kata_observe_opts oo = {.state_root = opts->root, .query_agents = opts->agents};
        kata_observe *o = NULL;
        int r = kata_observe_new(&oo, &o, err);
        if (r < 0)
                return r;
        top_view v;
        top_view_init(&v);
        if (opts->sort) {
                int c = top_column_by_name(TOP_LEVEL_SANDBOXES, opts->sort);
                if (c >= 0)
                        v.sort_col[TOP_LEVEL_SANDBOXES] = c;
        }
        if (opts->filter)
                snprintf(v.filter, sizeof(v.filter), "%s", opts->filter);
        /* The sandbox list alone needs no container figures: with many sandboxes that is
         * most of the cost. */
        kata_observe_request req = {.all_processes = opts->processes && opts->json,
                                    .only_selected_containers = !opts->json && !opts->containers};
        kata_observe_snapshot s;

        top_install_signal_handlers();
        /* A first sample primes the CPU deltas; frames start one interval later. */
        r = kata_observe_sample(o, &req, &s, err);
        if (r < 0)
                goto out;
        if (opts->exec)
                top_exec_feed_start(opts->root, &s);
        kata_observe_snapshot_free(&s);
        for (long i = 0; !top_quit_signal && (opts->iterations == 0 || i < opts->iterations); i++) {
                nap(opts->interval_s);
                if (top_quit_signal)
                        break;
                r = kata_observe_sample(o, &req, &s, err);
                if (r < 0)
                        goto out;
                if (opts->exec)
                        top_exec_feed_apply(&s);
                if (opts->json) {
                        char *line = NULL;
                        r = kata_observe_snapshot_to_json(&s, &line, err);
                        if (r == 0) {
                                puts(line);
                                free(line);
                        }
                } else {
                        r = print_text_frame(stdout, &s, &v, opts->containers);
                        if (r < 0)
                                kata_error_set(err, ENOMEM, "out of memory");
                }
                kata_observe_snapshot_free(&s);
                if (r < 0)
                        goto out;
                if (fflush(stdout) == EOF) {
                        r = kata_error_errno(err, errno, "writing to standard output");
                        goto out;
                }
        }
out:
        kata_observe_free(o);
        return r;
}
