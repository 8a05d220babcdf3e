/* Key bindings of kata-ctl top (the help screen in render.c lists the same). */
#include <curses.h>
#include <string.h>

#include "top/input.h"

#define KEY_ESC 27

static enum top_action filter_key(top_input *in, top_view *v, int key)
{
        size_t n = strlen(v->filter);
        if (key == '\n' || key == '\r' || key == KEY_ENTER) {
                in->editing_filter = false;
        } else if (key == KEY_ESC) {
                in->editing_filter = false;
                snprintf(v->filter, sizeof(v->filter), "%s", in->saved_filter);
        } else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
                if (n > 0)
                        v->filter[n - 1] = '\0';
        } else if (key >= 32 && key < 127 && n + 1 < sizeof(v->filter)) {
                v->filter[n] = (char)key;
                v->filter[n + 1] = '\0';
        } else {
                return TOP_ACTION_NONE;
        }
        return TOP_ACTION_REDRAW;
}

static void move_cursor(top_view *v, const top_table *t, long delta)
{
        if (t->nrows == 0)
                return;
        long c = (long)v->cursor + delta;
        if (c < 0)
                c = 0;
        if (c >= (long)t->nrows)
                c = (long)t->nrows - 1;
        v->cursor = (size_t)c;
        snprintf(v->selected, sizeof(v->selected), "%s", t->rows[c].id);
}

static void sort_by(top_view *v, int col)
{
        if (v->sort_col[v->level] == col)
                v->sort_ascending[v->level] = !v->sort_ascending[v->level];
        else
                v->sort_ascending[v->level] = false;
        v->sort_col[v->level] = col;
}

enum top_action top_input_key(top_input *in, top_view *v, const top_table *t, int key)
{
        if (in->editing_filter)
                return filter_key(in, v, key);
        if (v->help) {
                /* Any key closes the help; q still quits. */
                v->help = false;
                return key == 'q' ? TOP_ACTION_QUIT : TOP_ACTION_REDRAW;
        }
        size_t ncols;
        top_columns(v->level, &ncols);
        int col;
        switch (key) {
        case 'q':
        case 'Q':
                return TOP_ACTION_QUIT;
        case KEY_UP:
        case 'k':
                move_cursor(v, t, -1);
                return TOP_ACTION_REDRAW;
        case KEY_DOWN:
        case 'j':
                move_cursor(v, t, 1);
                return TOP_ACTION_REDRAW;
        case KEY_PPAGE:
                move_cursor(v, t, -10);
                return TOP_ACTION_REDRAW;
        case KEY_NPAGE:
                move_cursor(v, t, 10);
                return TOP_ACTION_REDRAW;
        case KEY_HOME:
        case 'g':
                move_cursor(v, t, -(long)t->nrows);
                return TOP_ACTION_REDRAW;
        case KEY_END:
        case 'G':
                move_cursor(v, t, (long)t->nrows);
                return TOP_ACTION_REDRAW;
        case '\n':
        case '\r':
        case KEY_ENTER:
        case KEY_RIGHT:
                if (v->level == TOP_LEVEL_PROCESSES || t->nrows == 0)
                        return TOP_ACTION_NONE;
                if (v->level == TOP_LEVEL_SANDBOXES)
                        snprintf(v->sandbox, sizeof(v->sandbox), "%s", t->rows[v->cursor].id);
                else
                        snprintf(v->container, sizeof(v->container), "%s", t->rows[v->cursor].id);
                v->level++;
                v->selected[0] = '\0';
                v->cursor = 0;
                v->filter[0] = '\0';
                return TOP_ACTION_RESAMPLE;
        case KEY_ESC:
        case KEY_LEFT:
        case KEY_BACKSPACE:
        case 127:
                if (v->filter[0]) {
                        v->filter[0] = '\0';
                        return TOP_ACTION_REDRAW;
                }
                if (v->level == TOP_LEVEL_SANDBOXES)
                        return TOP_ACTION_NONE;
                v->level--;
                /* Come back to the row we went into. */
                snprintf(v->selected, sizeof(v->selected), "%s",
                         v->level == TOP_LEVEL_SANDBOXES ? v->sandbox : v->container);
                return TOP_ACTION_REDRAW;
        case '<':
                col = v->sort_col[v->level];
                v->sort_col[v->level] = col > 0 ? col - 1 : (int)ncols - 1;
                return TOP_ACTION_REDRAW;
        case '>':
                col = v->sort_col[v->level];
                v->sort_col[v->level] = (size_t)col + 1 < ncols ? col + 1 : 0;
                return TOP_ACTION_REDRAW;
        case 'r':
                v->sort_ascending[v->level] = !v->sort_ascending[v->level];
                return TOP_ACTION_REDRAW;
        case '/':
                in->editing_filter = true;
                snprintf(in->saved_filter, sizeof(in->saved_filter), "%s", v->filter);
                return TOP_ACTION_REDRAW;
        case 'p':
        case ' ':
                v->paused = !v->paused;
                return v->paused ? TOP_ACTION_REDRAW : TOP_ACTION_RESAMPLE;
        case '+':
        case '=':
                v->interval_s = v->interval_s < 1 ? v->interval_s + 0.25 : v->interval_s + 1;
                if (v->interval_s > 60)
                        v->interval_s = 60;
                return TOP_ACTION_REDRAW;
        case '-':
                v->interval_s = v->interval_s <= 1 ? v->interval_s - 0.25 : v->interval_s - 1;
                if (v->interval_s < 0.25)
                        v->interval_s = 0.25;
                return TOP_ACTION_REDRAW;
        case '?':
        case 'h':
                v->help = true;
                return TOP_ACTION_REDRAW;
        case KEY_RESIZE:
                return TOP_ACTION_REDRAW;
        default:
                col = top_column_by_key(v->level, (char)key);
                if (key > 0 && key < 128 && col >= 0) {
                        sort_by(v, col);
                        return TOP_ACTION_REDRAW;
                }
                return TOP_ACTION_NONE;
        }
}
