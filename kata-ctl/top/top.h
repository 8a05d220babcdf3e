/* kata-ctl top: the entry points cmd_top.c calls. Batch (plain text frames or one JSON
 * object per line) in batch.c, the ncurses screen in screen.c (with render.c and
 * input.c), rows in model.c; the figures come from the observe library. */
#ifndef KATA_CTL_TOP_H
#define KATA_CTL_TOP_H

#include <stdbool.h>

#include "common/error.h"

typedef struct top_opts {
        const char *root;   /* state root, NULL: default */
        long iterations;    /* frames to print/show, 0: until quit */
        double interval_s;  /* between refreshes */
        bool json;          /* batch: one JSON object per line */
        bool agents;        /* query agents (health, guest-only figures) */
        bool exec;          /* run the eBPF exec feed (EXEC/s) */
        bool processes;     /* JSON: list every container's processes */
        bool containers;    /* text frames: each sandbox's containers too */
        const char *sort;   /* column name for the sandbox list, NULL: CPU% */
        const char *filter; /* initial filter, NULL: none */
} top_opts;

/* Prints frames on stdout until iterations are done (or forever). The first frame comes
 * after one interval, so that it already has CPU%. */
int top_batch_run(const top_opts *opts, kata_error *err);

/* The interactive screen; restores the terminal on every way out. */
int top_screen_run(const top_opts *opts, kata_error *err);

/* Set by SIGINT/SIGTERM/SIGHUP handlers: both loops stop at the next wake-up. */
extern volatile int top_quit_signal;
void top_install_signal_handlers(void);

#endif
