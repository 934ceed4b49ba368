/* plot_internal.h: what plot.c, plot_run.c and plot_mc.c share (not public). */
#ifndef PB_SIM_PLOT_PLOT_INTERNAL_H
#define PB_SIM_PLOT_PLOT_INTERNAL_H

#include <stdio.h>

#include <hdf5.h>

#include "h5_io.h"
#include "plant.h"
#include "plot_plan.h"

/* A growable NUL-terminated string (zero-initialise; free s). */
typedef struct plot_buf {
    char *s;
    size_t n, cap;
} plot_buf;

/* Appends printf output; PB_ENOMEM on failure. */
int plot_buf_printf(plot_buf *b, pb_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Copies s into out[len] with every character that could end a gnuplot or
 * shell string (' " ` $ \ and controls) replaced by '_'. */
void plot_text_clean(const char *s, char *out, size_t len);

/* A file-name-safe copy of s ([A-Za-z0-9._-], others become '-'). */
void plot_name_clean(const char *s, char *out, size_t len);

/* The label with its "_s<sparsity>" token removed ("magnitude_s0.50_L2" ->
 * "magnitude_L2": the method line it belongs to) and what follows the token. */
void plot_label_key(const char *label, char *key, size_t len, const char **suffix);

/* The method lines of n variants: line[i] := the line of the label at
 * labels + i * stride (its plot_label_key), an index into keys[], the
 * distinct keys in order of first appearance (at most n).  Returns their
 * number. */
size_t plot_method_lines(const char *labels, size_t stride, size_t n, char (*keys)[64],
                         size_t line[]);

/* A variant for a title, cleaned: with_sparsity "magnitude, s = 0.50, layer 2",
 * "sparsegpt, 2:4 (s = 0.50)"; without, the method line "magnitude layer 2". */
void plot_variant_title(const char *label, const char *method, const char *pattern, double sparsity,
                        int with_sparsity, char *out, size_t len);

/* Opens dir/name for writing; PB_EIO naming the file on failure. */
int plot_dat_open(const char *dir, const char *name, FILE **out, pb_error *err);

/* Closes a .dat file, PB_EIO when a write failed. */
int plot_dat_close(FILE *fp, const char *dir, const char *name, pb_error *err);

/* Writes v as %.17g (NaN for a NaN, inf/-inf as gnuplot reads them) and sep. */
void plot_dat_num(FILE *fp, double v, char sep);

/* A map over a grid of initial states (the Monte Carlo sampler "grid"):
 * the state components that vary over its samples, and their axis labels. */
typedef struct plot_grid {
    size_t n_varying; /* components that vary: a map needs exactly 2 */
    size_t ax[2];     /* the first two of them */
    char lab[2][64];  /* "theta (rad)" from the plant type, else "x0[j]" */
} plot_grid;

/* The grid of the n samples x0 (row i at x0[i * nx]) of a plant type
 * (NULL: unknown, labels "x0[j]"). */
void plot_grid_axes(const double x0[], size_t n, size_t nx, const plant_type *type, plot_grid *g);

/* Writes dir/name: header (whole comment lines), then one line per sample,
 * sorted by (x0[ax[0]], x0[ax[1]]) with a blank line where x0[ax[0]]
 * changes (gnuplot's scans): the two coordinates and the ncol values
 * vals[i * ncol + k] of sample i.  PB_ENOMEM, or PB_EIO naming the file. */
int plot_grid_write(const char *dir, const char *name, const char *header, const plot_grid *g,
                    const double x0[], size_t n, size_t nx, const double vals[], size_t ncol,
                    pb_error *err);

/* HDF5 reading goes through the layer: h5_has_object, h5_dataset_read_f64,
 * h5_attr_read_str, h5_attr_read_f64, h5_table_read (common/h5/h5_io.h). */

/* Checks that compound dataset dset of f has every field of names[]
 * (NULL-terminated); PB_EFORMAT naming file, dataset and field otherwise. */
int plot_h5_fields_check(hid_t f, const char *file, const char *dset, const char *const names[],
                         pb_error *err);

/* 1 when the comma-separated list has item as one of its entries. */
int plot_list_has(const char *list, const char *item);

/* Checks that every entry of the comma-separated list (NULL: none) is one of
 * the n names at names + i * stride; PB_EINVAL "OPT 'x': PATH has no such
 * one (it has: a, b)" otherwise. */
int plot_select_check(const char *list, const char *opt, const char *names, size_t stride,
                      size_t n, const char *path, pb_error *err);

/* Appends "; array methods[n] = ['magnitude', ...]; array sub[n] = [1, 2,
 * ...]" to b: each line's pruning method, whose colour common.gp's mcol()
 * gives in every figure, and its rank among the lines of that method (its
 * dash pattern or point type).  n may be 0 (one-element arrays then). */
int plot_style_append(plot_buf *b, const char *const methods[], size_t n, pb_error *err);

/* What "converged" meant, for titles, from the root attributes
 * criterion_tol, criterion_tail, criterion_radius and horizon:
 * "converged: ||x - r|| <= 0.05 over the last 25% of the 5 s horizon;
 * diverged beyond 20" (the last part only with a finite radius). */
void plot_criterion_text(hid_t f, char *out, size_t len);

/* The figures of a `prunebound run` results file (plot_run.c). */
int plot_run_prepare(hid_t f, const char *path, const char *dir, const plot_select *sel,
                     plot_plan *plan, pb_error *err);

/* The figures of a `prunebound montecarlo` results file (plot_mc.c). */
int plot_mc_prepare(hid_t f, const char *path, const char *dir, const plot_select *sel,
                    plot_plan *plan, pb_error *err);

/* The safety figures of a Monte Carlo file with a spec (plot_mc_spec.c):
 * spec_rate (satisfied fraction against sparsity) and, on a grid, spec_map
 * (broken-by-pruning cells per variant).  Nothing for a file without one. */
int plot_mc_spec_prepare(hid_t f, const char *path, const char *dir, const plot_select *sel,
                         plot_plan *plan, pb_error *err);

#endif
