/* Keys of kata-ctl top: what each does to the view (no curses calls here besides key
 * codes, so the mapping is testable). */
#ifndef KATA_CTL_TOP_INPUT_H
#define KATA_CTL_TOP_INPUT_H

#include "top/model.h"

enum top_action {
        TOP_ACTION_NONE = 0,
        TOP_ACTION_REDRAW,   /* the view changed: rebuild rows from the same snapshot */
        TOP_ACTION_RESAMPLE, /* needs new data (drilled into a container, interval) */
        TOP_ACTION_QUIT,
};

typedef struct top_input {
        bool editing_filter; /* '/' pressed: keys go to the filter until Enter or Esc */
        char saved_filter[64];
} top_input;

/* Applies one key (an ncurses key code) to v; table is what is on screen (for moving
 * the cursor and drilling into the selected row). */
enum top_action top_input_key(top_input *in, top_view *v, const top_table *table, int key);

#endif
