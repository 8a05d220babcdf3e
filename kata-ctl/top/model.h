/* kata-ctl top's view model, independent of curses: where the user is (sandbox list, one
 * sandbox's containers, one container's processes), the sort and filter, the selection,
 * and the table of rows built from a snapshot. The screen and the batch text frames both
 * print these tables. */
#ifndef KATA_CTL_TOP_MODEL_H
#define KATA_CTL_TOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "observe/observe.h"

enum top_level { TOP_LEVEL_SANDBOXES = 0, TOP_LEVEL_CONTAINERS, TOP_LEVEL_PROCESSES };
#define TOP_NLEVELS  3
#define TOP_MAX_COLS 12
#define TOP_CELL_MAX 48

typedef struct top_column {
        const char *name;
        int width;    /* 0: takes the rest of the line (last column only) */
        bool numeric; /* sorted by number, right-aligned, descending first */
        char key;     /* sort key, 0: none */
} top_column;

typedef struct top_row {
        char id[KATA_STATE_ID_MAX + 1]; /* what drill-down and selection use */
        char cells[TOP_MAX_COLS][TOP_CELL_MAX];
        double num[TOP_MAX_COLS]; /* sort value of numeric columns (-1: unknown) */
        char *wide;               /* text of a width-0 last column (malloc'd), or NULL */
} top_row;

typedef struct top_table {
        enum top_level level;
        const top_column *cols;
        size_t ncols;
        top_row *rows;
        size_t nrows;
        size_t ntotal; /* rows before the filter */
} top_table;

typedef struct top_view {
        enum top_level level;
        char sandbox[KATA_STATE_ID_MAX + 1];   /* drilled-into sandbox (levels >= 1) */
        char container[KATA_STATE_ID_MAX + 1]; /* drilled-into container (level 2) */
        int sort_col[TOP_NLEVELS];
        bool sort_ascending[TOP_NLEVELS];
        char filter[64];
        char selected[KATA_STATE_ID_MAX + 1]; /* id of the selected row, kept across refreshes */
        size_t cursor;                        /* its index after the last build */
        double interval_s;
        bool paused;
        bool help;
} top_view;

/* Defaults: sandbox list sorted by CPU%, 2 s refresh. */
void top_view_init(top_view *v);

/* The columns of a level. */
const top_column *top_columns(enum top_level level, size_t *n);
/* Index of the column with that sort key at a level, -1 when none. */
int top_column_by_key(enum top_level level, char key);
/* Index of the column named name (case-insensitive), -1 when none (for --sort). */
int top_column_by_name(enum top_level level, const char *name);

/* Builds the rows of v's level from s, filtered and sorted, and moves v->cursor to the
 * selected row (or clamps it when that row vanished). A drilled-into sandbox or container
 * that vanished leaves an empty table: the caller may go back. Returns -ENOMEM. */
int top_table_build(const kata_observe_snapshot *s, top_view *v, top_table *out);
void top_table_free(top_table *t);

/* Human figures: "1.2G", "512M", "-" for unknown. */
void top_format_bytes(char *buf, size_t size, bool valid, uint64_t v);

#endif
