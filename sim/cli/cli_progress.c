/* cli_progress.c: the progress line on stderr (cli_progress.h). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli_progress.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void cli_progress_init(cli_progress *p, int on)
{
    memset(p, 0, sizeof *p);
    p->on = on;
    p->t0 = now();
    p->last = -1.0;
}

void cli_progress_stage(cli_progress *p, const char *label, size_t start)
{
    snprintf(p->stage, sizeof p->stage, "%s", label);
    p->t0 = now();
    p->start = start;
    p->last = -1.0; /* draw the new stage at once */
}

/* "12 s", "3 min 20 s", "1 h 05 min" */
static void format_time(char *buf, size_t len, double s)
{
    if (s < 0 || s != s)
        snprintf(buf, len, "?");
    else if (s < 60)
        snprintf(buf, len, "%.0f s", s);
    else if (s < 3600)
        snprintf(buf, len, "%d min %02d s", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, len, "%d h %02d min", (int)(s / 3600), (int)(s / 60) % 60);
}

void cli_progress_show(cli_progress *p, size_t done, size_t total, const char *unit)
{
    char line[256], left[32];
    double t, el, rate;
    int n;

    if (!p->on)
        return;
    t = now();
    if (p->last >= 0.0 && t - p->last < 0.1 && done < total)
        return;
    p->last = t;
    el = t - p->t0;
    rate = el > 0.0 && done > p->start ? (double)(done - p->start) / el : 0.0;
    if (rate > 0.0)
        format_time(left, sizeof left, (double)(total - (done < total ? done : total)) / rate);
    else
        snprintf(left, sizeof left, "?");
    n = snprintf(line, sizeof line, "%s%s%zu/%zu %s (%.0f%%), %.3g %s/s, %s left", p->stage,
                 p->stage[0] ? ": " : "", done, total, unit,
                 total ? 100.0 * (double)done / (double)total : 100.0, rate, unit, left);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line)
        n = (int)sizeof line - 1;
    /* pad over the previous, possibly longer, line */
    fprintf(stderr, "\r%s%*s", line, p->width > (size_t)n ? (int)(p->width - (size_t)n) : 0, "");
    p->width = (size_t)n;
    fflush(stderr);
}

void cli_progress_end(cli_progress *p)
{
    if (p->on && p->width) {
        fprintf(stderr, "\r%*s\r", (int)p->width, "");
        fflush(stderr);
    }
    p->width = 0;
}
