/* cli_progress.h: the progress line of the commands on stderr: what is being
 * done, done/total units, a rate and the time left.  Shown only when enabled
 * (stderr is a terminal and --quiet was not given); redrawn at most ten times
 * a second, so that calling it in a loop costs a clock read. */
#ifndef PB_SIM_CLI_CLI_PROGRESS_H
#define PB_SIM_CLI_CLI_PROGRESS_H

#include <stddef.h>

typedef struct cli_progress {
    int on;
    double t0;        /* start of the current stage (s, monotonic) */
    double last;      /* last redraw */
    size_t start;     /* units done when the stage started (a resumed study) */
    size_t width;     /* characters of the last line drawn, to blank it */
    char stage[96];   /* the current stage's label */
} cli_progress;

/* Starts a progress line; on: draw it (cli_stderr_is_tty() && !quiet). */
void cli_progress_init(cli_progress *p, int on);

/* Starts a new stage (label, e.g. "layer 2/3 (obs)"): the rate and the time
 * left are measured from here, counting from `start` units done. */
void cli_progress_stage(cli_progress *p, const char *label, size_t start);

/* done of total units (unit: "rows", "samples", ...) of the current stage. */
void cli_progress_show(cli_progress *p, size_t done, size_t total, const char *unit);

/* Blanks the line (call before printing results or errors). */
void cli_progress_end(cli_progress *p);

#endif
