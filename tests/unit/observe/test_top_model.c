/* kata-ctl top's view model and keys, on hand-made snapshots: sort, filter, selection
 * across refreshes, drill-down and back, rows that vanish. */
#include <curses.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "top/input.h"
#include "top/model.h"

static kata_observe_sandbox *add_sandbox(kata_observe_snapshot *s, const char *id, double cpu,
                                         uint64_t mem)
{
        s->sandboxes = realloc(s->sandboxes, (s->nsandboxes + 1) * sizeof(*s->sandboxes));
        kata_observe_sandbox *sb = &s->sandboxes[s->nsandboxes++];
        memset(sb, 0, sizeof(*sb));
        snprintf(sb->id, sizeof(sb->id), "%s", id);
        snprintf(sb->hypervisor, sizeof(sb->hypervisor), "local");
        sb->status = KATA_SANDBOX_RUNNING;
        sb->usage.source = KATA_OBSERVE_SOURCE_HOST;
        sb->usage.cpu_valid = sb->usage.cpu_percent_valid = true;
        sb->usage.cpu_percent = cpu;
        sb->usage.memory_valid = true;
        sb->usage.memory_usage_bytes = mem;
        sb->usage.memory_limit_bytes = KATA_OBSERVE_UNLIMITED;
        sb->containers = calloc(2, sizeof(*sb->containers));
        return sb;
}

static void add_container(kata_observe_sandbox *sb, const char *id, double cpu, int nproc)
{
        kata_observe_container *c = &sb->containers[sb->ncontainers++];
        snprintf(c->id, sizeof(c->id), "%s", id);
        c->status = KATA_CONTAINER_RUNNING;
        c->usage.cpu_valid = c->usage.cpu_percent_valid = true;
        c->usage.cpu_percent = cpu;
        c->processes = calloc((size_t)nproc + 1, sizeof(*c->processes));
        for (int i = 0; i < nproc; i++) {
                kata_observe_process *p = &c->processes[c->nprocesses++];
                p->host_pid = 100 + i;
                p->sandbox_pid = 1 + i;
                snprintf(p->comm, sizeof(p->comm), "proc%d", i);
                p->args = strdup(i == 0 ? "busy --loop" : "sleep 100");
                p->cpu_percent_valid = true;
                p->cpu_percent = i == 0 ? 99 : 0;
        }
        c->processes_listed = true;
}

/* alpha idle, beta busy (one busy container), gamma in between. */
static void make_snapshot(kata_observe_snapshot *s)
{
        memset(s, 0, sizeof(*s));
        kata_observe_sandbox *a = add_sandbox(s, "alpha", 0.5, 3 << 20);
        add_container(a, "alpha", 0.5, 1);
        kata_observe_sandbox *b = add_sandbox(s, "beta", 99.0, 1 << 20);
        add_container(b, "beta-idle", 0.1, 1);
        add_container(b, "beta-busy", 98.9, 2);
        kata_observe_sandbox *g = add_sandbox(s, "gamma", 10.0, 2 << 20);
        add_container(g, "gamma", 10, 1);
}

static const char *row_ids(const top_table *t)
{
        static char buf[512];
        buf[0] = '\0';
        for (size_t i = 0; i < t->nrows; i++) {
                if (i)
                        strcat(buf, ",");
                strcat(buf, t->rows[i].id);
        }
        return buf;
}

static void build(const kata_observe_snapshot *s, top_view *v, top_table *t)
{
        top_table_free(t);
        assert_int_equal(top_table_build(s, v, t), 0);
}

static enum top_action key(top_input *in, top_view *v, top_table *t, const kata_observe_snapshot *s,
                           int k)
{
        enum top_action a = top_input_key(in, v, t, k);
        build(s, v, t);
        return a;
}

static void test_sort_and_keys(void **state)
{
        (void)state;
        kata_observe_snapshot s;
        make_snapshot(&s);
        top_view v;
        top_view_init(&v);
        top_input in = {0};
        top_table t = {0};
        build(&s, &v, &t);
        /* Default: CPU% first, the busiest on top. */
        assert_string_equal(row_ids(&t), "beta,gamma,alpha");
        assert_string_equal(t.rows[0].cells[4], "99.0");
        key(&in, &v, &t, &s, 'r');
        assert_string_equal(row_ids(&t), "alpha,gamma,beta");
        key(&in, &v, &t, &s, 'm'); /* memory, largest first */
        assert_string_equal(row_ids(&t), "alpha,gamma,beta");
        key(&in, &v, &t, &s, 'n'); /* names A-Z */
        assert_string_equal(row_ids(&t), "alpha,beta,gamma");
        key(&in, &v, &t, &s, 'n'); /* again: reversed */
        assert_string_equal(row_ids(&t), "gamma,beta,alpha");
        int col = v.sort_col[TOP_LEVEL_SANDBOXES];
        key(&in, &v, &t, &s, '>');
        assert_int_equal(v.sort_col[TOP_LEVEL_SANDBOXES], col + 1);
        key(&in, &v, &t, &s, '<');
        key(&in, &v, &t, &s, '<');
        assert_int_equal(v.sort_col[TOP_LEVEL_SANDBOXES], col - 1 < 0 ? (int)t.ncols - 1 : col - 1);
        /* Interval and pause. */
        double iv = v.interval_s;
        assert_int_equal(key(&in, &v, &t, &s, '+'), TOP_ACTION_REDRAW);
        assert_true(v.interval_s > iv);
        key(&in, &v, &t, &s, '-');
        key(&in, &v, &t, &s, '-');
        assert_true(v.interval_s < iv);
        key(&in, &v, &t, &s, 'p');
        assert_true(v.paused);
        assert_int_equal(key(&in, &v, &t, &s, 'p'), TOP_ACTION_RESAMPLE);
        key(&in, &v, &t, &s, '?');
        assert_true(v.help);
        key(&in, &v, &t, &s, 'x');
        assert_false(v.help);
        assert_int_equal(top_input_key(&in, &v, &t, 'q'), TOP_ACTION_QUIT);
        top_table_free(&t);
        kata_observe_snapshot_free(&s);
}

static void test_filter(void **state)
{
        (void)state;
        kata_observe_snapshot s;
        make_snapshot(&s);
        top_view v;
        top_view_init(&v);
        top_input in = {0};
        top_table t = {0};
        build(&s, &v, &t);
        key(&in, &v, &t, &s, '/');
        assert_true(in.editing_filter);
        key(&in, &v, &t, &s, 'G'); /* typed into the filter, not "last row" */
        key(&in, &v, &t, &s, 'A');
        assert_string_equal(v.filter, "GA");
        assert_string_equal(row_ids(&t), "gamma"); /* case-insensitive */
        assert_int_equal(t.ntotal, 3);
        key(&in, &v, &t, &s, KEY_BACKSPACE);
        key(&in, &v, &t, &s, KEY_BACKSPACE);
        key(&in, &v, &t, &s, 'e');
        key(&in, &v, &t, &s, 't');
        key(&in, &v, &t, &s, '\r');
        assert_false(in.editing_filter);
        assert_string_equal(row_ids(&t), "beta");
        /* Esc cancels an edit, restoring what was there. */
        key(&in, &v, &t, &s, '/');
        key(&in, &v, &t, &s, 'z');
        assert_int_equal(t.nrows, 0);
        key(&in, &v, &t, &s, 27);
        assert_string_equal(v.filter, "et");
        /* Esc outside editing clears it. */
        key(&in, &v, &t, &s, 27);
        assert_string_equal(v.filter, "");
        assert_int_equal(t.nrows, 3);
        top_table_free(&t);
        kata_observe_snapshot_free(&s);
}

static void test_drill_down_and_back(void **state)
{
        (void)state;
        kata_observe_snapshot s;
        make_snapshot(&s);
        top_view v;
        top_view_init(&v);
        top_input in = {0};
        top_table t = {0};
        build(&s, &v, &t);
        assert_int_equal(key(&in, &v, &t, &s, 'j'), TOP_ACTION_REDRAW);
        assert_string_equal(v.selected, "gamma");
        key(&in, &v, &t, &s, 'k');
        assert_string_equal(v.selected, "beta");
        assert_int_equal(key(&in, &v, &t, &s, '\r'), TOP_ACTION_RESAMPLE);
        assert_int_equal(v.level, TOP_LEVEL_CONTAINERS);
        assert_string_equal(v.sandbox, "beta");
        assert_string_equal(row_ids(&t), "beta-busy,beta-idle");
        key(&in, &v, &t, &s, KEY_ENTER);
        assert_int_equal(v.level, TOP_LEVEL_PROCESSES);
        assert_string_equal(v.container, "beta-busy");
        assert_int_equal(t.nrows, 2);
        assert_string_equal(t.rows[0].cells[7], "proc0"); /* the busy one first */
        assert_string_equal(t.rows[0].wide, "busy --loop");
        /* Nothing below processes. */
        assert_int_equal(key(&in, &v, &t, &s, '\r'), TOP_ACTION_NONE);
        key(&in, &v, &t, &s, 27);
        assert_int_equal(v.level, TOP_LEVEL_CONTAINERS);
        assert_string_equal(v.selected, "beta-busy");
        key(&in, &v, &t, &s, KEY_LEFT);
        assert_int_equal(v.level, TOP_LEVEL_SANDBOXES);
        assert_string_equal(v.selected, "beta");
        assert_int_equal(v.cursor, 0);
        top_table_free(&t);
        kata_observe_snapshot_free(&s);
}

static void test_selection_follows_rows(void **state)
{
        (void)state;
        kata_observe_snapshot s;
        make_snapshot(&s);
        top_view v;
        top_view_init(&v);
        top_input in = {0};
        top_table t = {0};
        build(&s, &v, &t);
        key(&in, &v, &t, &s, 'j');
        key(&in, &v, &t, &s, 'j');
        assert_string_equal(v.selected, "alpha");
        /* alpha gets busy: it moves to the top and the selection goes with it. */
        s.sandboxes[0].usage.cpu_percent = 150;
        build(&s, &v, &t);
        assert_string_equal(row_ids(&t), "alpha,beta,gamma");
        assert_int_equal(v.cursor, 0);
        /* alpha vanishes (deleted): no error, the cursor stays in range. */
        kata_observe_sandbox gone = s.sandboxes[0];
        memmove(&s.sandboxes[0], &s.sandboxes[1], 2 * sizeof(s.sandboxes[0]));
        s.nsandboxes = 2;
        build(&s, &v, &t);
        assert_string_equal(row_ids(&t), "beta,gamma");
        assert_true(v.cursor < t.nrows);
        /* Drilled into a sandbox that then vanishes: an empty table, Esc goes back. */
        key(&in, &v, &t, &s, '\r');
        char drilled[KATA_STATE_ID_MAX + 1];
        snprintf(drilled, sizeof(drilled), "%s", v.sandbox);
        s.nsandboxes = strcmp(drilled, "beta") == 0 ? 0 : 1;
        if (s.nsandboxes == 0) {
                build(&s, &v, &t);
                assert_int_equal(t.nrows, 0);
        }
        key(&in, &v, &t, &s, 27);
        assert_int_equal(v.level, TOP_LEVEL_SANDBOXES);
        s.nsandboxes = 2;
        /* Put the removed one back in the array so that the snapshot frees it. */
        s.sandboxes = realloc(s.sandboxes, 3 * sizeof(*s.sandboxes));
        s.sandboxes[2] = gone;
        s.nsandboxes = 3;
        top_table_free(&t);
        kata_observe_snapshot_free(&s);
}

static void test_control_characters(void **state)
{
        (void)state;
        kata_observe_snapshot s;
        make_snapshot(&s);
        kata_observe_process *p = &s.sandboxes[1].containers[1].processes[0];
        snprintf(p->comm, sizeof(p->comm), "evil\x1b[2J");
        free(p->args);
        p->args = strdup("rm\x1b]0;title\x07 -rf\n");
        top_view v;
        top_view_init(&v);
        v.level = TOP_LEVEL_PROCESSES;
        snprintf(v.sandbox, sizeof(v.sandbox), "beta");
        snprintf(v.container, sizeof(v.container), "beta-busy");
        top_table t = {0};
        build(&s, &v, &t);
        assert_string_equal(t.rows[0].cells[7], "evil?[2J");
        assert_string_equal(t.rows[0].wide, "rm?]0;title? -rf?");
        top_table_free(&t);
        kata_observe_snapshot_free(&s);
}

static void test_format(void **state)
{
        (void)state;
        char b[16];
        top_format_bytes(b, sizeof(b), true, 512);
        assert_string_equal(b, "512B");
        top_format_bytes(b, sizeof(b), true, 1536);
        assert_string_equal(b, "1.5K");
        top_format_bytes(b, sizeof(b), true, 300ull << 20);
        assert_string_equal(b, "300M");
        top_format_bytes(b, sizeof(b), false, 1);
        assert_string_equal(b, "-");
        assert_int_equal(top_column_by_name(TOP_LEVEL_SANDBOXES, "cpu"),
                         top_column_by_key(TOP_LEVEL_SANDBOXES, 'c'));
        assert_int_equal(top_column_by_name(TOP_LEVEL_SANDBOXES, "exec/s"),
                         top_column_by_key(TOP_LEVEL_SANDBOXES, 'e'));
        assert_int_equal(top_column_by_name(TOP_LEVEL_SANDBOXES, "nope"), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_sort_and_keys),
            cmocka_unit_test(test_filter),
            cmocka_unit_test(test_drill_down_and_back),
            cmocka_unit_test(test_selection_follows_rows),
            cmocka_unit_test(test_control_characters),
            cmocka_unit_test(test_format),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
