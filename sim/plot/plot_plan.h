/* plot_plan.h: figures of a results file (`prunebound plot`, docs/PLOTS.md).
 *
 * Two steps, each usable alone:
 *   plot_file_prepare  reads a results file of `prunebound run` (or of
 *                      `prunebound montecarlo`) with the HDF5 C API, writes
 *                      the numbers each figure needs as plain-text .dat
 *                      files into a folder, and lists the figures as jobs:
 *                      a gnuplot script of results/plots/ and the variables
 *                      that script reads;
 *   plot_plan_render   runs gnuplot once per job inside that folder
 *                      (plot_plan_render_one: one job, for a caller's loop);
 *   plot_rerun_write   writes rerun.sh there, the same gnuplot calls for a
 *                      user who edits a script and redraws by hand.
 * The .dat files hold the datasets' numbers unchanged (%.17g, NaN for rows a
 * diverged loop did not reach); what a log axis cannot show (zeros) is
 * skipped by the scripts, not altered in the data. */
#ifndef PB_SIM_PLOT_PLOT_PLAN_H
#define PB_SIM_PLOT_PLOT_PLAN_H

#include <stddef.h>

#include "pb_error.h"

typedef enum plot_format {
    PLOT_PNG = 0, /* gnuplot terminal pngcairo */
    PLOT_SVG,     /* svg */
    PLOT_PDF      /* pdfcairo */
} plot_format;

/* One figure: gnuplot runs `scripts/<script>` with the variables `vars`
 * (gnuplot statements, e.g. "name='dev_0'; n=2; ...") in the output folder
 * and writes <output>.<extension of the format>. */
typedef struct plot_job {
    char script[32]; /* "deviation.gp" */
    char name[96];   /* output file name without extension */
    char *vars;      /* owned */
} plot_job;

/* The figures of one results file (a growable list; zero-initialise). */
typedef struct plot_plan {
    plot_job *jobs;
    size_t n, cap;
    char note[512]; /* a remark for the user ("no traces: ..."), "" when none */
} plot_plan;

/* Parses "png", "svg" or "pdf" into *fmt; PB_EINVAL otherwise. */
int plot_format_parse(const char *s, plot_format *fmt, pb_error *err);

/* The gnuplot terminal ("pngcairo", "svg", "pdfcairo") and file extension
 * ("png", "svg", "pdf") of a format. */
const char *plot_format_terminal(plot_format fmt);
const char *plot_format_ext(plot_format fmt);

/* Finds an executable `gnuplot` in the folders of $PATH and copies its path
 * into path[len].  PB_EUNSUPPORTED with a message saying how to install it
 * when there is none. */
int plot_gnuplot_find(char *path, size_t len, pb_error *err);

/* The default output folder of a results file: "results/<basename without
 * .h5>-plots" (relative to the working directory). */
void plot_default_dir(const char *results_path, char *dir, size_t len);

/* Creates folder dir and its missing parents (mkdir -p).  PB_EIO on failure. */
int plot_dir_make(const char *dir, pb_error *err);

/* Reads the results file at path, writes the .dat files of every figure into
 * the existing folder dir and appends one job per figure to plan.  PB_EIO
 * when the file cannot be opened or a .dat file not written, PB_EFORMAT (with
 * a message naming the file and the dataset or field) when the file is not a
 * prunebound results file or lacks something a figure needs, PB_ENOMEM. */
int plot_file_prepare(const char *path, const char *dir, plot_plan *plan, pb_error *err);

/* Runs `gnuplot -e "scripts='S'; term='T'; <vars>" S/<script>` for every job
 * with the working directory dir; gnuplot's messages go to dir/gnuplot.log.
 * PB_EIO when gnuplot cannot be started, PB_EINTERNAL when it fails or
 * leaves no non-empty figure (the message names the script and the log). */
int plot_plan_render(const plot_plan *plan, const char *gnuplot, const char *scripts,
                     const char *dir, plot_format fmt, pb_error *err);

/* Draws figure i of the plan alone, as plot_plan_render does, appending
 * gnuplot's messages to dir/gnuplot.log; for a caller that loops over the
 * figures itself (a progress line).  The codes of plot_plan_render, and
 * PB_EINVAL for i >= plan->n. */
int plot_plan_render_one(const plot_plan *plan, size_t i, const char *gnuplot,
                         const char *scripts, const char *dir, plot_format fmt, pb_error *err);

/* Writes dir/rerun.sh: `sh rerun.sh [png|svg|pdf]` redraws every figure of
 * the plan from the .dat files beside it with the scripts in folder scripts
 * ($PB_PLOT_SCRIPTS overrides).  PB_EIO on failure. */
int plot_rerun_write(const plot_plan *plan, const char *scripts, const char *dir, pb_error *err);

/* The output folder of one `prunebound plot`: files are written into tmp,
 * DIR.tmp-XXXXXX beside DIR, which becomes DIR only when every figure is
 * drawn, so that a failed plot leaves nothing behind. */
#define PLOT_PATH_MAX 4096
typedef struct plot_out {
    char dir[PLOT_PATH_MAX];  /* DIR, without trailing '/' */
    char tmp[PLOT_PATH_MAX];  /* the folder to write into; "" once committed */
    char made[PLOT_PATH_MAX]; /* the first missing parent of DIR this call made, "" if none */
} plot_out;

/* Creates the missing parents of dir (mkdir -p) and the temporary folder
 * o->tmp beside it (mkdtemp).  PB_EIO (nothing left behind) on failure. */
int plot_out_begin(plot_out *o, const char *dir, pb_error *err);

/* Moves the files of o->tmp into DIR: one rename when DIR is missing or
 * empty; otherwise file by file, each replacing the file of its name in DIR
 * (DIR's other files stay).  PB_EIO on failure (then call plot_out_abort). */
int plot_out_commit(plot_out *o, pb_error *err);

/* Removes o->tmp with its files and the parents plot_out_begin made;
 * a no-op after plot_out_commit. */
void plot_out_abort(plot_out *o);

/* What to draw: comma-separated variant labels and scenario indices, NULL
 * (or "") for all of them. */
typedef struct plot_select {
    const char *variants;  /* "magnitude_s0.50,obs_s0.75" */
    const char *scenarios; /* "0,2" */
} plot_select;

/* plot_file_prepare drawing only the variants and scenarios of sel (NULL:
 * all).  PB_EINVAL with the list of the file's labels (or scenarios) when
 * sel names one the file does not have; --scenarios on a Monte Carlo file
 * is PB_EINVAL too (it has samples, not scenarios). */
int plot_file_prepare_select(const char *path, const char *dir, const plot_select *sel,
                             plot_plan *plan, pb_error *err);

/* Appends a job (copies of the strings); PB_ENOMEM on failure. */
int plot_plan_add(plot_plan *plan, const char *script, const char *name, const char *vars,
                  pb_error *err);

/* Frees the jobs and resets plan to empty; NULL is a no-op. */
void plot_plan_free(plot_plan *plan);

#endif
