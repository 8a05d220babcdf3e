/* Drawing kata-ctl top with ncurses. Everything is drawn into stdscr and flushed with
 * one doupdate(), which sends only the cells that changed: no clear(), no flicker. */
#ifndef KATA_CTL_TOP_RENDER_H
#define KATA_CTL_TOP_RENDER_H

#include <stdbool.h>

#include "top/input.h"
#include "top/model.h"

/* Starts colors when allowed (a TTY, NO_COLOR unset, the terminal has them). */
void top_render_init(bool color);
void top_render(const kata_observe_snapshot *s, const top_view *v, const top_input *in,
                const top_table *t, const char *error);

#endif
