/* The interactive loop: sample when the interval is up, redraw when something changed,
 * and otherwise sleep in poll() on the terminal (idle costs one sample per interval,
 * nothing else). The terminal is restored on every way out: return, exit(), SIGINT,
 * SIGTERM, SIGHUP, and crashes. */
#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "observe/observe.h"
#include "top/exec_feed.h"
#include "top/input.h"
#include "top/render.h"
#include "top/top.h"

static bool curses_active;

static void restore_terminal(void)
{
        if (curses_active && !isendwin())
                endwin();
        curses_active = false;
}

static void on_crash(int sig)
{
        /* Not async-signal-safe, but the alternative is a terminal left in raw mode. */
        restore_terminal();
        signal(sig, SIG_DFL);
        raise(sig);
}

static void install_crash_handlers(void)
{
        static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
                signal(sigs[i], on_crash);
}

static int start_curses(kata_error *err)
{
        /* newterm, not initscr: initscr exits the process when TERM is unknown. */
        SCREEN *scr = newterm(NULL, stdout, stdin);
        if (!scr)
                return kata_error_set(err, EIO,
                                      "cannot start the terminal screen (TERM=%s); use -b for "
                                      "plain text frames",
                                      getenv("TERM") ? getenv("TERM") : "");
        set_term(scr);
        curses_active = true;
        atexit(restore_terminal);
        install_crash_handlers();
        cbreak();
        noecho();
        nonl();
        keypad(stdscr, TRUE);
        nodelay(stdscr, TRUE);
        /* Esc alone should act at once, not after ncurses' 1 s wait for a sequence. */
        set_escdelay(25);
        curs_set(0);
        top_render_init(kata_color_enabled(stdout));
        return 0;
}

int top_screen_run(const top_opts *opts, kata_error *err)
{
        kata_observe_opts oo = {.state_root = opts->root, .query_agents = opts->agents};
        kata_observe *o = NULL;
        int r = kata_observe_new(&oo, &o, err);
        if (r < 0)
                return r;
        top_view v;
        top_view_init(&v);
        v.interval_s = opts->interval_s;
        if (opts->sort) {
                int c = top_column_by_name(TOP_LEVEL_SANDBOXES, opts->sort);
                if (c >= 0)
                        v.sort_col[TOP_LEVEL_SANDBOXES] = c;
        }
        if (opts->filter)
                snprintf(v.filter, sizeof(v.filter), "%s", opts->filter);
        top_input in = {0};
        kata_observe_snapshot snap = {0};
        top_table table = {0};
        char status[KATA_ERROR_MSG_MAX] = "";
        long frames = 0;

        top_install_signal_handlers();
        if ((r = start_curses(err)) < 0)
                goto out;

        uint64_t next_sample = 0; /* monotonic ns; 0: now */
        bool dirty = true;
        while (!top_quit_signal) {
                uint64_t now = kata_now_monotonic_ns();
                if (!v.paused && now >= next_sample) {
                        if (opts->iterations && frames >= opts->iterations)
                                break;
                        kata_observe_request req = {
                            .sandbox_id = v.level > TOP_LEVEL_SANDBOXES ? v.sandbox : NULL,
                            .only_selected_containers = true};
                        kata_observe_snapshot fresh;
                        kata_error serr = KATA_ERROR_INIT;
                        if (kata_observe_sample(o, &req, &fresh, &serr) == 0) {
                                if (opts->exec) {
                                        /* Started on the first snapshot: it narrows the
                                         * trace to the sandboxes' cgroup parent. */
                                        top_exec_feed_start(opts->root, &fresh);
                                        top_exec_feed_apply(&fresh);
                                }
                                kata_observe_snapshot_free(&snap);
                                snap = fresh;
                                status[0] = '\0';
                        } else {
                                /* Keep the last figures on screen and say why they are old. */
                                snprintf(status, sizeof(status), "%s", serr.msg);
                        }
                        frames++;
                        next_sample = now + (uint64_t)(v.interval_s * 1e9);
                        dirty = true;
                }
                if (dirty) {
                        top_table_free(&table);
                        if (top_table_build(&snap, &v, &table) < 0) {
                                r = kata_error_set(err, ENOMEM, "out of memory");
                                goto out;
                        }
                        top_render(&snap, &v, &in, &table, status);
                        dirty = false;
                }
                int timeout_ms = -1;
                if (!v.paused) {
                        now = kata_now_monotonic_ns();
                        timeout_ms =
                            next_sample > now ? (int)((next_sample - now) / 1000000) + 1 : 0;
                }
                struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
                int pr = poll(&pfd, 1, timeout_ms);
                if (pr < 0 && errno != EINTR) {
                        r = kata_error_errno(err, errno, "waiting for the terminal");
                        goto out;
                }
                if (pr > 0 && (pfd.revents & (POLLHUP | POLLERR)))
                        break; /* the terminal went away */
                /* After EINTR too: a SIGWINCH shows up as KEY_RESIZE. */
                int key;
                while ((key = getch()) != ERR) {
                        double old_interval = v.interval_s;
                        enum top_action a = top_input_key(&in, &v, &table, key);
                        if (a == TOP_ACTION_QUIT)
                                goto out;
                        if (a == TOP_ACTION_RESAMPLE)
                                next_sample = 0;
                        if (v.interval_s != old_interval && next_sample)
                                next_sample =
                                    kata_now_monotonic_ns() + (uint64_t)(v.interval_s * 1e9);
                        if (a != TOP_ACTION_NONE) {
                                dirty = true;
                                /* Rebuild at once so that j/k act on what is shown. */
                                top_table_free(&table);
                                if (top_table_build(&snap, &v, &table) < 0) {
                                        r = kata_error_set(err, ENOMEM, "out of memory");
                                        goto out;
                                }
                        }
                }
        }
out:
        restore_terminal();
        top_table_free(&table);
        kata_observe_snapshot_free(&snap);
        kata_observe_free(o);
        return r;
}
