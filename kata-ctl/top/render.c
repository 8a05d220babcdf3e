/* The screen: a title line, where you are, the column header, the rows, and one line
 * of hints (or the filter being typed); the help overlays the rows. */
#include <curses.h>
#include <string.h>
#include <time.h>

#include "top/exec_feed.h"
#include "top/render.h"

#define FEED_LINES 5

enum { PAIR_HEADER = 1, PAIR_HOT, PAIR_WARN, PAIR_DIM };
static bool use_color;

void top_render_init(bool color)
{
        use_color = color && has_colors();
        if (!use_color)
                return;
        start_color();
        use_default_colors();
        init_pair(PAIR_HEADER, COLOR_BLACK, COLOR_GREEN);
        init_pair(PAIR_HOT, COLOR_RED, -1);
        init_pair(PAIR_WARN, COLOR_YELLOW, -1);
        init_pair(PAIR_DIM, COLOR_CYAN, -1);
}

static attr_t pair(int p)
{
        return use_color ? COLOR_PAIR(p) : A_NORMAL;
}

static const char *level_name(const top_view *v, char *buf, size_t size)
{
        switch (v->level) {
        case TOP_LEVEL_CONTAINERS:
                snprintf(buf, size, "sandbox %s > containers", v->sandbox);
                break;
        case TOP_LEVEL_PROCESSES:
                snprintf(buf, size, "sandbox %s > container %s > processes", v->sandbox,
                         v->container);
                break;
        default:
                snprintf(buf, size, "sandboxes");
        }
        return buf;
}

static void draw_row(int y, int width, const top_table *t, const top_row *r, bool header)
{
        int x = 0;
        for (size_t c = 0; c < t->ncols && x < width; c++) {
                const top_column *col = &t->cols[c];
                const char *text = header ? col->name : r->cells[c];
                if (col->width == 0) {
                        mvaddnstr(y, x, header ? text : (r->wide ? r->wide : ""), width - x);
                        x = width;
                        break;
                }
                char cell[TOP_CELL_MAX + 2];
                snprintf(cell, sizeof(cell), col->numeric ? "%*.*s " : "%-*.*s ", col->width,
                         col->width, text);
                mvaddnstr(y, x, cell, width - x);
                x += col->width + 1;
        }
        /* The rest of the line is blank (erase() left it so). */
}

static void draw_help(int rows, int cols)
{
        static const char *lines[] = {
            "kata-ctl top keys",
            "",
            "  Up/Down, j/k   move        PgUp/PgDn, g/G  page, first/last",
            "  Enter, Right   open: sandbox -> containers -> processes",
            "  Esc, Left      back (clears the filter first)",
            "  c m t n        sort by CPU%, memory, pids, name",
            "  o l e w        sort by OOM kills, agent latency, exec/s, working set",
            "  < >            sort by the previous/next column;  r  reverse",
            "  /              filter rows (Enter keeps it, Esc cancels)",
            "  p, Space       pause/resume refreshing",
            "  + -            refresh interval longer/shorter",
            "  ?, h           this help;  q  quit",
            "",
            "CPU% is the cgroup's usage over the interval: 100 = one CPU.",
            "MEM is cgroup memory usage; WSET is usage minus inactive file pages.",
            "LAT is the agent's health-check round trip; SRC says where figures came from.",
            "",
            "Press any key to close.",
        };
        int n = (int)(sizeof(lines) / sizeof(lines[0]));
        int top = rows > n + 2 ? (rows - n) / 2 : 0;
        for (int i = 0; i < n && top + i < rows; i++) {
                move(top + i, 0);
                clrtoeol();
                mvaddnstr(top + i, 2, lines[i], cols - 2);
        }
}

static const char *sort_arrow(const top_view *v, const top_table *t)
{
        int col = v->sort_col[v->level];
        bool numeric = col >= 0 && (size_t)col < t->ncols && t->cols[col].numeric;
        /* Numbers sort largest first unless flipped; names A-Z unless flipped. */
        bool ascending = numeric ? v->sort_ascending[v->level] : !v->sort_ascending[v->level];
        return ascending ? "asc" : "desc";
}

void top_render(const kata_observe_snapshot *s, const top_view *v, const top_input *in,
                const top_table *t, const char *error)
{
        int rows, cols;
        getmaxyx(stdscr, rows, cols);
        erase();
        if (rows < 5 || cols < 20) {
                mvaddnstr(0, 0, "terminal too small", cols);
                wnoutrefresh(stdscr);
                doupdate();
                return;
        }
        char when[16] = "--:--:--";
        if (s && s->time_ns) {
                time_t tt = (time_t)(s->time_ns / 1000000000ull);
                struct tm tm;
                strftime(when, sizeof(when), "%H:%M:%S", localtime_r(&tt, &tm));
        }
        char title[256];
        int col = v->sort_col[v->level];
        snprintf(title, sizeof(title), "kata-ctl top  %s  %zu sandboxes  every %.2gs%s  sort %s %s",
                 when, s ? s->nsandboxes : 0, v->interval_s, v->paused ? "  PAUSED" : "",
                 (size_t)col < t->ncols ? t->cols[col].name : "?", sort_arrow(v, t));
        attron(A_BOLD);
        mvaddnstr(0, 0, title, cols);
        attroff(A_BOLD);

        char where[2 * KATA_STATE_ID_MAX + 64], line[512];
        snprintf(line, sizeof(line), "%s  (%zu of %zu rows%s%s%s)",
                 level_name(v, where, sizeof(where)), t->nrows, t->ntotal,
                 v->filter[0] ? ", filter \"" : "", v->filter, v->filter[0] ? "\"" : "");
        mvaddnstr(1, 0, line, cols);

        attr_t header = use_color ? pair(PAIR_HEADER) : A_REVERSE;
        attron(header);
        mvhline(2, 0, ' ', cols);
        draw_row(2, cols, t, NULL, true);
        attroff(header);

        /* The processes screen ends with the container's latest execs when the feed
         * runs (else its hint is on the last line). */
        top_exec_event execs[FEED_LINES];
        size_t nexec = 0;
        const kata_observe_container *ct = NULL;
        if (v->level == TOP_LEVEL_PROCESSES && s && !s->exec_hint[0] && rows > 16) {
                const kata_observe_sandbox *sb = kata_observe_find_sandbox(s, v->sandbox);
                ct = sb ? kata_observe_find_container(sb, v->container) : NULL;
                if (ct && ct->cgroup[0])
                        nexec = top_exec_feed_recent(ct->cgroup, execs, FEED_LINES);
        }
        int feed_rows = ct ? FEED_LINES + 1 : 0;
        int body = rows - 4 - feed_rows;
        size_t first = v->cursor >= (size_t)body ? v->cursor - (size_t)body + 1 : 0;
        for (int i = 0; i < body && first + (size_t)i < t->nrows; i++) {
                size_t ri = first + (size_t)i;
                const top_row *r = &t->rows[ri];
                attr_t a = A_NORMAL;
                int cpu = top_column_by_key(t->level, 'c');
                if (cpu >= 0 && r->num[cpu] >= 80)
                        a = pair(PAIR_HOT);
                if (ri == v->cursor)
                        a = A_REVERSE;
                attron(a);
                if (ri == v->cursor)
                        mvhline(3 + i, 0, ' ', cols);
                draw_row(3 + i, cols, t, r, false);
                attroff(a);
        }
        if (t->nrows == 0) {
                const char *why = t->ntotal                         ? "no row matches the filter"
                                  : v->level == TOP_LEVEL_SANDBOXES ? "no sandboxes"
                                  : v->level == TOP_LEVEL_CONTAINERS
                                      ? "no containers (or the sandbox is gone: Esc)"
                                      : "no processes (or the container is gone: Esc)";
                attron(pair(PAIR_DIM));
                mvaddnstr(3, 2, why, cols - 2);
                attroff(pair(PAIR_DIM));
        }
        if (feed_rows) {
                int y = rows - 1 - feed_rows;
                attron(A_BOLD);
                const char *title = !ct->cgroup[0] ? "Latest execs: not visible from the host "
                                                     "(the container runs inside a VM)"
                                    : nexec        ? "Latest execs in this container"
                                                   : "Latest execs in this container: none yet";
                mvaddnstr(y, 0, title, cols);
                attroff(A_BOLD);
                for (size_t i = 0; i < nexec; i++) {
                        char when[16], text[400];
                        time_t tt = (time_t)(execs[i].time_ns / 1000000000ull);
                        struct tm tm;
                        strftime(when, sizeof(when), "%H:%M:%S", localtime_r(&tt, &tm));
                        snprintf(text, sizeof(text), "%s %7lld %-15s %s%s", when,
                                 (long long)execs[i].pid, execs[i].comm, execs[i].args,
                                 execs[i].ret ? "  (failed)" : "");
                        mvaddnstr(y + 1 + (int)i, 0, text, cols);
                }
        }
        if (v->help)
                draw_help(rows - 1, cols);

        if (in->editing_filter) {
                snprintf(line, sizeof(line), "/%s", v->filter);
                mvaddnstr(rows - 1, 0, line, cols);
        } else if (error && error[0]) {
                attron(pair(PAIR_WARN) | A_BOLD);
                mvaddnstr(rows - 1, 0, error, cols);
                attroff(pair(PAIR_WARN) | A_BOLD);
        } else if (s && s->nproblems && v->level == TOP_LEVEL_SANDBOXES) {
                /* Unreadable state entries are skipped, never silently. */
                snprintf(line, sizeof(line), "%zu unreadable sandbox state%s skipped: %s: %s",
                         s->nproblems, s->nproblems == 1 ? "" : "s", s->problems[0].id,
                         s->problems[0].error.msg);
                attron(pair(PAIR_WARN));
                mvaddnstr(rows - 1, 0, line, cols);
                attroff(pair(PAIR_WARN));
        } else {
                const char *hint =
                    v->level == TOP_LEVEL_PROCESSES && s && s->exec_hint[0]
                        ? s->exec_hint
                        : "Enter open  Esc back  c/m/t/n sort  </> column  / filter  p pause  "
                          "+/- interval  ? help  q quit";
                attron(pair(PAIR_DIM));
                mvaddnstr(rows - 1, 0, hint, cols);
                attroff(pair(PAIR_DIM));
        }
        wnoutrefresh(stdscr);
        doupdate();
}
