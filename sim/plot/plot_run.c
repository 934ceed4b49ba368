/* plot_run.c: the figures of a `prunebound run` results file (docs/PLOTS.md,
 * layout in docs/RESULTS.md): per scenario the action deviation and both
 * bounds over time and the tracking error (and the x-y path of a plant that
 * has one); over all runs the degradation against sparsity and the
 * tightness scatter. */
#define _POSIX_C_SOURCE 200809L
#include "plot_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plant.h"
#include "results_layout.h"

/* A row of /summary: its layout is results_layout.h's, shared with the writer. */
typedef results_row run_row;

/* What every figure of one file shares. */
typedef struct run_ctx {
    hid_t f;
    const char *path, *dir;
    char plant[64];
    size_t nx;
    char dev_unit[128], track_unit[128];
    const plant_type *type; /* NULL when the plant is unknown to this build */
    /* 1: state j is not in the tracking-error norm (its error alone exceeded it) */
    unsigned char untracked[PLANT_NX_MAX];
    int path_axes[2]; /* state indices drawn as x and y of the path figure, -1: none */
    char path_label[2][64];
    run_row *rows;
    size_t n_rows;
    /* method keys: a variant's label without its sparsity ("magnitude_L2") */
    char (*keys)[64];
    size_t n_keys;
    size_t *row_key; /* [n_rows] */
    /* per row, where each loop diverged ([0] original, [1] pruned): the last
     * row it reached (diverged_step - 1): t, track_err, dev_actual, then the
     * path coordinates; NaN when it did not diverge after row 0 */
    double (*div)[2][5];
    char crit[200]; /* the criterion and horizon in words (plot_criterion_text) */
    const plot_select *sel;
    plot_plan *plan;
    unsigned char *tube; /* [n_rows] 1: the run has a certified tube (docs/TUBE.md) */
} run_ctx;

/* The unique units of vars[n] (those with skip[i] == 0 when skip is not
 * NULL), comma-separated, into out. */
static void units_join(const plant_var *vars, size_t n, const unsigned char *skip, char *out,
                       size_t len)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int seen = skip && skip[i];
        for (size_t j = 0; j < i; j++)
            seen |= (!skip || !skip[j]) && strcmp(vars[i].unit, vars[j].unit) == 0;
        if (seen)
            continue;
        size_t k = strlen(out);
        snprintf(out + k, len - k, "%s%s", k ? ", " : "", vars[i].unit);
    }
}

/* "magnitude, s = 0.50, layer 2" or "sparsegpt, 2:4 (s = 0.50)": a variant for a title. */
static void row_title(const run_row *r, char *out, size_t len)
{
    plot_variant_title(r->label, r->method, r->pattern, r->sparsity, 1, out, len);
}

/* "magnitude" or "sparsegpt 2:4": a method line of the sparsity figure. */
static void key_title(const run_row *r, char *out, size_t len)
{
    plot_variant_title(r->label, r->method, r->pattern, r->sparsity, 0, out, len);
}

static void run_file_name(const run_row *r, char *out, size_t len)
{
    char clean[80];
    plot_name_clean(r->label, clean, sizeof clean);
    snprintf(out, len, "run_%s_%lld.dat", clean, r->scenario);
}

/* --variants and --scenarios: checks that every label and scenario named is
 * in /summary, then keeps only the selected rows. */
static int rows_select(run_ctx *c, pb_error *err)
{
    const char *scen = c->sel->scenarios;
    size_t kept = 0;
    int rc;

    if ((rc = plot_select_check(c->sel->variants, "--variants", c->rows[0].label,
                                sizeof *c->rows, c->n_rows, c->path, err)) != PB_SUCCESS)
        return rc;
    for (const char *p = scen; p && *p;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        size_t i = 0;
        while (i < c->n_rows && !(end != p && (*end == ',' || !*end) && c->rows[i].scenario == v))
            i++;
        if (i == c->n_rows) {
            char known[512] = "";
            for (i = 0; i < c->n_rows; i++) {
                size_t j = 0, used = strlen(known);
                while (j < i && c->rows[j].scenario != c->rows[i].scenario)
                    j++;
                if (j == i)
                    snprintf(known + used, sizeof known - used, "%s%lld (%s)", used ? ", " : "",
                             c->rows[i].scenario, c->rows[i].scenario_name);
            }
            return pb_error_set(err, PB_EINVAL,
                                "--scenarios '%.*s': %s has no such scenario (it has: %s)",
                                (int)strcspn(p, ","), p, c->path, known);
        }
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    for (size_t i = 0; i < c->n_rows; i++) {
        char idx[32];
        snprintf(idx, sizeof idx, "%lld", c->rows[i].scenario);
        if ((c->sel->variants && c->sel->variants[0] &&
             !plot_list_has(c->sel->variants, c->rows[i].label)) ||
            (scen && scen[0] && !plot_list_has(scen, idx)))
            continue;
        c->rows[kept++] = c->rows[i];
    }
    c->n_rows = kept;
    return PB_SUCCESS;
}

static int summary_read(run_ctx *c, pb_error *err)
{
    void *rows;
    int rc;

    rc = h5_table_read(c->f, c->path, "/summary", results_row_cols, results_row_n_cols,
                       results_row_n_cols_base,
                       sizeof *c->rows, &rows, &c->n_rows, err);
    if (rc != PB_SUCCESS)
        return rc;
    c->rows = rows;
    c->row_key = calloc(c->n_rows + 1, sizeof *c->row_key);
    c->keys = calloc(c->n_rows + 1, sizeof *c->keys);
    if (!c->row_key || !c->keys)
        rc = pb_error_set(err, PB_ENOMEM, "out of memory reading %s", c->path);
    else if (c->n_rows == 0)
        rc = pb_error_set(err, PB_EFORMAT, "%s: the /summary table is empty", c->path);
    if (rc != PB_SUCCESS)
        return rc;
    if ((rc = rows_select(c, err)) != PB_SUCCESS)
        return rc;
    c->div = malloc((c->n_rows + 1) * sizeof *c->div);
    if (!c->div)
        return pb_error_set(err, PB_ENOMEM, "out of memory reading %s", c->path);
    for (size_t i = 0; i < c->n_rows; i++)
        for (size_t j = 0; j < 2 * 5; j++)
            (&c->div[i][0][0])[j] = NAN;
    c->n_keys = plot_method_lines(c->rows->label, sizeof *c->rows, c->n_rows, c->keys, c->row_key);
    return PB_SUCCESS;
}

/* summary.dat: the /summary rows as read (numbers unchanged). */
static int summary_write(const run_ctx *c, pb_error *err)
{
    FILE *fp;
    int rc;

    if ((rc = plot_dat_open(c->dir, "summary.dat", &fp, err)) != PB_SUCCESS)
        return rc;
    fprintf(fp,
            "# /summary of %s\n# label method pattern sparsity scenario scenario_name "
            "max_dev_actual max_dev_bound rms_track_orig rms_track_pruned outcome_pruned\n",
            c->path);
    for (size_t i = 0; i < c->n_rows; i++) {
        const run_row *r = &c->rows[i];
        char a[64], b[64];
        plot_name_clean(r->label, a, sizeof a);
        plot_name_clean(r->scenario_name, b, sizeof b);
        fprintf(fp, "%s %s %s ", a, r->method, r->pattern);
        plot_dat_num(fp, r->sparsity, ' ');
        fprintf(fp, "%lld %s ", r->scenario, b);
        plot_dat_num(fp, r->max_dev_actual, ' ');
        plot_dat_num(fp, r->max_dev_bound, ' ');
        plot_dat_num(fp, r->rms_track_orig, ' ');
        plot_dat_num(fp, r->rms_track_pruned, ' ');
        fprintf(fp, "%lld\n", r->outcome_pruned);
    }
    return plot_dat_close(fp, c->dir, "summary.dat", err);
}

/* The methods of the method keys (of those with has[k] != 0 when has is not
 * NULL), appended as plot_style_append does. */
static int key_methods_append(const run_ctx *c, plot_buf *b, const unsigned char *has,
                              pb_error *err)
{
    const char **m = calloc(c->n_keys + 1, sizeof *m);
    size_t n = 0;
    int rc;

    if (!m)
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    for (size_t k = 0; k < c->n_keys; k++) {
        size_t i = 0;
        while (c->row_key[i] != k)
            i++;
        if (!has || has[k])
            m[n++] = c->rows[i].method;
    }
    rc = plot_style_append(b, m, n, err);
    free(m);
    return rc;
}

/* sparsity.dat: per method key (one gnuplot index block each, in key order)
 * and per sparsity, over the scenarios: mean RMS tracking error of both loops
 * and their mean difference over the scenarios where neither loop diverged
 * (a diverged loop's RMS covers fewer rows; NaN when every scenario has one),
 * the largest actual deviation and the largest forward-pass bound, how many
 * pruned loops converged and how many diverged. */
static int sparsity_write(const run_ctx *c, pb_error *err)
{
    plot_buf v = {0};
    FILE *fp;
    int rc;

    if ((rc = plot_dat_open(c->dir, "sparsity.dat", &fp, err)) != PB_SUCCESS)
        return rc;
    fprintf(fp, "# per method (one block each) and sparsity, over the scenarios of %s\n", c->path);
    for (size_t k = 0; k < c->n_keys; k++) {
        fprintf(fp,
                "%s# %s\n# sparsity degradation rms_orig_mean rms_pruned_mean "
                "max_dev_actual max_dev_bound converged_pruned n_scenarios diverged_pruned\n",
                k ? "\n\n" : "", c->keys[k]);
        /* variants of this key in order of sparsity (labels differ in sparsity) */
        double last = -INFINITY;
        for (;;) {
            double s = INFINITY;
            for (size_t i = 0; i < c->n_rows; i++)
                if (c->row_key[i] == k && c->rows[i].sparsity > last && c->rows[i].sparsity < s)
                    s = c->rows[i].sparsity;
            if (!isfinite(s))
                break;
            double ro = 0, rp = 0, ma = 0, mb = 0;
            long long converged = 0, diverged = 0, n = 0, n_both = 0;
            for (size_t i = 0; i < c->n_rows; i++) {
                const run_row *r = &c->rows[i];
                if (c->row_key[i] != k || r->sparsity != s)
                    continue;
                if (r->outcome_orig != 2 && r->outcome_pruned != 2) {
                    ro += r->rms_track_orig;
                    rp += r->rms_track_pruned;
                    n_both++;
                }
                ma = fmax(ma, r->max_dev_actual);
                mb = fmax(mb, r->max_dev_bound);
                converged += r->outcome_pruned == 0;
                diverged += r->outcome_pruned == 2;
                n++;
            }
            plot_dat_num(fp, s, ' ');
            plot_dat_num(fp, n_both ? (rp - ro) / (double)n_both : NAN, ' ');
            plot_dat_num(fp, n_both ? ro / (double)n_both : NAN, ' ');
            plot_dat_num(fp, n_both ? rp / (double)n_both : NAN, ' ');
            plot_dat_num(fp, ma, ' ');
            plot_dat_num(fp, mb, ' ');
            fprintf(fp, "%lld %lld %lld\n", converged, n, diverged);
            last = s;
        }
    }
    if ((rc = plot_dat_close(fp, c->dir, "sparsity.dat", err)) != PB_SUCCESS)
        return rc;

    /* the job: method titles (first row of each key) */
    rc = plot_buf_printf(&v, err,
                         "plant='%s'; crit='%s'; track_unit='%s'; dev_unit='%s'; horizon=%.17g; "
                         "n=%zu; array keys[%zu] = [",
                         c->plant, c->crit, c->track_unit, c->dev_unit,
                         h5_attr_read_f64(c->f, "/plant", "horizon"), c->n_keys, c->n_keys);
    for (size_t k = 0; k < c->n_keys && rc == PB_SUCCESS; k++) {
        char t[160];
        size_t i = 0;
        while (c->row_key[i] != k)
            i++;
        key_title(&c->rows[i], t, sizeof t);
        rc = plot_buf_printf(&v, err, "%s'%s'", k ? ", " : "", t);
    }
    if (rc == PB_SUCCESS)
        rc = plot_buf_printf(&v, err, "]");
    if (rc == PB_SUCCESS)
        rc = key_methods_append(c, &v, NULL, err);
    if (rc == PB_SUCCESS)
        rc = plot_plan_add(c->plan, "sparsity.gp", "sparsity", v.s, err);
    free(v.s);
    return rc;
}

/* The traces of one run, as in /runs/<label>/<i>. */
typedef struct run_trace {
    size_t n, nx;
    double *t, *dev_actual, *dev_bound, *dev_closed, *te_orig, *te_pruned, *traj_dev;
    double *x_orig, *x_pruned, *ref; /* [n, nx] */
} run_trace;

static void trace_free(run_trace *tr)
{
    double **p[] = {&tr->t,         &tr->dev_actual, &tr->dev_bound, &tr->dev_closed, &tr->te_orig,
                    &tr->te_pruned, &tr->traj_dev,   &tr->x_orig,    &tr->x_pruned,   &tr->ref};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        free(*p[i]);
        *p[i] = NULL;
    }
}

/* Reads the datasets of /runs/<label>/<scenario> (with_states: also the
 * [n, nx] matrices); PB_EFORMAT naming file and dataset when one is missing
 * or its length differs from t's. */
static int trace_read(const run_ctx *c, const run_row *r, int with_states, run_trace *tr,
                      pb_error *err)
{
    static const char *const vec[] = {"t",
                                      "dev_actual",
                                      "dev_bound",
                                      "dev_bound_closed",
                                      "track_err_orig",
                                      "track_err_pruned",
                                      "traj_dev"};
    static const char *const mat[] = {"x_orig", "x_pruned", "ref"};
    double **vp[] = {&tr->t,       &tr->dev_actual, &tr->dev_bound, &tr->dev_closed,
                     &tr->te_orig, &tr->te_pruned,  &tr->traj_dev};
    double **mp[] = {&tr->x_orig, &tr->x_pruned, &tr->ref};
    char ds[256];
    size_t dims[2];
    int rc;

    memset(tr, 0, sizeof *tr);
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        snprintf(ds, sizeof ds, "/runs/%s/%lld/%s", r->label, r->scenario, vec[i]);
        if ((rc = h5_dataset_read_f64(c->f, c->path, ds, 1, dims, vp[i], err)) != PB_SUCCESS)
            goto fail;
        if (i == 0)
            tr->n = dims[0];
        else if (dims[0] != tr->n) {
            rc = pb_error_set(err, PB_EFORMAT, "%s: dataset %s has %zu rows, t has %zu", c->path,
                              ds, dims[0], tr->n);
            goto fail;
        }
    }
    tr->nx = c->nx;
    for (size_t i = 0; with_states && i < sizeof mat / sizeof mat[0]; i++) {
        snprintf(ds, sizeof ds, "/runs/%s/%lld/%s", r->label, r->scenario, mat[i]);
        if ((rc = h5_dataset_read_f64(c->f, c->path, ds, 2, dims, mp[i], err)) != PB_SUCCESS)
            goto fail;
        if (dims[0] != tr->n || dims[1] != c->nx) {
            rc = pb_error_set(err, PB_EFORMAT, "%s: dataset %s is [%zu, %zu], expected [%zu, %zu]",
                              c->path, ds, dims[0], dims[1], tr->n, c->nx);
            goto fail;
        }
    }
    return PB_SUCCESS;
fail:
    trace_free(tr);
    return rc;
}

/* tube_<label>_<i>.dat, when /runs/<label>/<i> has a tube (bounds.tube):
 * columns t, traj_dev, traj_dev_bound, traj_dev_estimate. */
static int tube_write(run_ctx *c, size_t row, pb_error *err)
{
    const run_row *r = &c->rows[row];
    static const char *const vec[] = {"t", "traj_dev", "traj_dev_bound", "traj_dev_estimate"};
    double *v[4] = {NULL, NULL, NULL, NULL};
    char ds[256], name[128], clean[80];
    size_t dims[2], n = 0;
    FILE *fp;
    int rc = PB_SUCCESS;

    snprintf(ds, sizeof ds, "/runs/%s/%lld/traj_dev_bound", r->label, r->scenario);
    if (!h5_has_object(c->f, ds))
        return PB_SUCCESS;
    for (size_t i = 0; i < 4 && rc == PB_SUCCESS; i++) {
        snprintf(ds, sizeof ds, "/runs/%s/%lld/%s", r->label, r->scenario, vec[i]);
        rc = h5_dataset_read_f64(c->f, c->path, ds, 1, dims, &v[i], err);
        if (rc == PB_SUCCESS && i == 0)
            n = dims[0];
        else if (rc == PB_SUCCESS && dims[0] != n)
            rc = pb_error_set(err, PB_EFORMAT, "%s: dataset %s has %zu rows, t has %zu", c->path,
                              ds, dims[0], n);
    }
    if (rc == PB_SUCCESS) {
        plot_name_clean(r->label, clean, sizeof clean);
        snprintf(name, sizeof name, "tube_%s_%lld.dat", clean, r->scenario);
        rc = plot_dat_open(c->dir, name, &fp, err);
    }
    if (rc == PB_SUCCESS) {
        fprintf(fp,
                "# /runs/%s/%lld of %s (scenario %s)\n# t traj_dev traj_dev_bound "
                "traj_dev_estimate\n",
                r->label, r->scenario, c->path, r->scenario_name);
        for (size_t k = 0; k < n; k++)
            for (size_t j = 0; j < 4; j++)
                plot_dat_num(fp, v[j][k], j < 3 ? ' ' : '\n');
        rc = plot_dat_close(fp, c->dir, name, err);
        if (rc == PB_SUCCESS)
            c->tube[row] = 1;
    }
    for (size_t i = 0; i < 4; i++)
        free(v[i]);
    return rc;
}

/* run_<label>_<i>.dat: columns t, dev_actual, dev_bound, dev_bound_closed,
 * track_err_orig, track_err_pruned, traj_dev, x_orig[nx], x_pruned[nx], ref[nx]. */
static int run_write(run_ctx *c, size_t row, pb_error *err)
{
    const run_row *r = &c->rows[row];
    char name[128];
    run_trace tr;
    FILE *fp;
    int rc;

    if ((rc = trace_read(c, r, 1, &tr, err)) != PB_SUCCESS)
        return rc;
    /* which states the tracking error leaves out: (x_j - r_j)^2 > ||x - r||^2 */
    for (size_t k = 0; k < tr.n; k++)
        for (size_t j = 0; j < c->nx; j++) {
            double e = tr.x_orig[k * c->nx + j] - tr.ref[k * c->nx + j];
            double ep = tr.x_pruned[k * c->nx + j] - tr.ref[k * c->nx + j];
            if (e * e > tr.te_orig[k] * tr.te_orig[k] * (1 + 1e-9) + 1e-300 ||
                ep * ep > tr.te_pruned[k] * tr.te_pruned[k] * (1 + 1e-9) + 1e-300)
                c->untracked[j] = 1;
        }
    /* where each loop diverged: its last row before diverged_step */
    for (int p = 0; p < 2; p++) {
        long long k = p ? r->diverged_step_pruned : r->diverged_step_orig;
        const double *x = p ? tr.x_pruned : tr.x_orig;
        if (k < 1 || (size_t)k > tr.n)
            continue;
        k--;
        c->div[row][p][0] = tr.t[k];
        c->div[row][p][1] = p ? tr.te_pruned[k] : tr.te_orig[k];
        c->div[row][p][2] = p ? tr.dev_actual[k] : NAN;
        for (int a = 0; a < 2; a++)
            if (c->path_axes[a] >= 0)
                c->div[row][p][3 + a] = x[(size_t)k * c->nx + (size_t)c->path_axes[a]];
    }
    run_file_name(r, name, sizeof name);
    if ((rc = plot_dat_open(c->dir, name, &fp, err)) != PB_SUCCESS)
        goto free_trace;
    fprintf(fp,
            "# /runs/%s/%lld of %s (scenario %s)\n# t dev_actual dev_bound dev_bound_closed "
            "track_err_orig track_err_pruned traj_dev x_orig[%zu] x_pruned[%zu] ref[%zu]\n",
            r->label, r->scenario, c->path, r->scenario_name, c->nx, c->nx, c->nx);
    for (size_t k = 0; k < tr.n; k++) {
        const double v[] = {tr.t[k],       tr.dev_actual[k], tr.dev_bound[k], tr.dev_closed[k],
                            tr.te_orig[k], tr.te_pruned[k],  tr.traj_dev[k]};
        for (size_t j = 0; j < sizeof v / sizeof v[0]; j++)
            plot_dat_num(fp, v[j], ' ');
        for (size_t j = 0; j < 3 * c->nx; j++) {
            const double *m = j < c->nx ? tr.x_orig : j < 2 * c->nx ? tr.x_pruned : tr.ref;
            plot_dat_num(fp, m[k * c->nx + j % c->nx], j + 1 < 3 * c->nx ? ' ' : '\n');
        }
    }
    rc = plot_dat_close(fp, c->dir, name, err);
free_trace:
    trace_free(&tr);
    return rc;
}

/* Rows of a run in the tightness scatter: every stride-th row (at most
 * PLOT_TIGHT_ROWS per run) where both deviations are finite and > 0 (a log
 * axis cannot show a zero). */
#define PLOT_TIGHT_ROWS 200

/* tightness.dat: per method key with such rows (one block each): dev_bound,
 * dev_bound_closed, dev_actual, t, scenario.  Adds the job when any block. */
static int tightness_write(const run_ctx *c, pb_error *err)
{
    plot_buf titles = {0}, v = {0};
    unsigned char *has = calloc(c->n_keys + 1, 1);
    FILE *fp;
    size_t blocks = 0;
    int rc;

    if (!has)
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    if ((rc = plot_dat_open(c->dir, "tightness.dat", &fp, err)) != PB_SUCCESS) {
        free(has);
        return rc;
    }
    fprintf(fp,
            "# actual deviation against its bounds, per method (one block each), of %s\n"
            "# every stride-th row (stride = ceil(n / %d)) where dev_actual > 0 and "
            "dev_bound > 0\n",
            c->path, PLOT_TIGHT_ROWS);
    for (size_t k = 0; k < c->n_keys && rc == PB_SUCCESS; k++) {
        size_t written = 0;
        for (size_t i = 0; i < c->n_rows && rc == PB_SUCCESS; i++) {
            run_trace tr;
            if (c->row_key[i] != k || !(c->rows[i].max_dev_bound > 0))
                continue;
            if ((rc = trace_read(c, &c->rows[i], 0, &tr, err)) != PB_SUCCESS)
                break;
            size_t stride = (tr.n + PLOT_TIGHT_ROWS - 1) / PLOT_TIGHT_ROWS;
            for (size_t j = 0; j < tr.n; j += stride ? stride : 1) {
                if (!(tr.dev_actual[j] > 0 && tr.dev_bound[j] > 0) || !isfinite(tr.dev_bound[j]) ||
                    !isfinite(tr.dev_closed[j]))
                    continue;
                if (written++ == 0) {
                    char t[160];
                    key_title(&c->rows[i], t, sizeof t);
                    fprintf(fp, "%s# %s\n# dev_bound dev_bound_closed dev_actual t scenario\n",
                            blocks ? "\n\n" : "", c->keys[k]);
                    rc = plot_buf_printf(&titles, err, "%s'%s'", blocks ? ", " : "", t);
                    has[k] = 1;
                    blocks++;
                }
                plot_dat_num(fp, tr.dev_bound[j], ' ');
                plot_dat_num(fp, tr.dev_closed[j], ' ');
                plot_dat_num(fp, tr.dev_actual[j], ' ');
                plot_dat_num(fp, tr.t[j], ' ');
                fprintf(fp, "%lld\n", c->rows[i].scenario);
            }
            trace_free(&tr);
        }
    }
    if (rc != PB_SUCCESS) {
        fclose(fp);
        goto done;
    }
    if ((rc = plot_dat_close(fp, c->dir, "tightness.dat", err)) != PB_SUCCESS || blocks == 0)
        goto done;
    rc = plot_buf_printf(&v, err,
                         "plant='%s'; crit='%s'; dev_unit='%s'; n=%zu; array keys[%zu] = [%s]",
                         c->plant, c->crit, c->dev_unit, blocks, blocks, titles.s);
    if (rc == PB_SUCCESS)
        rc = key_methods_append(c, &v, has, err);
    if (rc == PB_SUCCESS)
        rc = plot_plan_add(c->plan, "tightness.gp", "tightness", v.s, err);
done:
    free(has);
    free(titles.s);
    free(v.s);
    return rc;
}

/* diverged_<s>.dat: one line per loop of scenario s that diverged after
 * row 0, at the last row it reached: its line in the figures (0 the
 * original, i the i-th of files[]), t, track_err, dev_actual (NaN for the
 * original) and the two path coordinates.  *nd: how many lines. */
static int diverged_write(const run_ctx *c, long long s, const size_t *fig_rows, size_t n,
                          const char *name, size_t *nd, pb_error *err)
{
    FILE *fp;
    int rc;

    *nd = 0;
    if ((rc = plot_dat_open(c->dir, name, &fp, err)) != PB_SUCCESS)
        return rc;
    fprintf(fp,
            "# loops of scenario %lld of %s that diverged: their last row before diverged_step\n"
            "# line (0 original, i the i-th pruned loop in the figures) t track_err dev_actual "
            "path_x path_y\n",
            s, c->path);
    for (size_t i = 0; i <= n; i++) {
        size_t row = i ? fig_rows[i - 1] : 0;
        const double *d = NULL;
        if (i == 0) {
            /* the original loop: from the first row of the scenario */
            while (row < c->n_rows && c->rows[row].scenario != s)
                row++;
            d = c->div[row][0];
        } else
            d = c->div[row][1];
        if (isnan(d[0]))
            continue;
        fprintf(fp, "%zu ", i);
        for (int j = 0; j < 5; j++)
            plot_dat_num(fp, d[j], j < 4 ? ' ' : '\n');
        (*nd)++;
    }
    return plot_dat_close(fp, c->dir, name, err);
}

/* tube_<s>: per variant of scenario s with a tube, traj_dev_bound (black),
 * traj_dev (method colour) and the labelled estimate (grey, dashed). */
static int tube_job(const run_ctx *c, long long s, const size_t *fig_rows, size_t n,
                    const char *style, pb_error *err)
{
    plot_buf files = {0}, titles = {0}, v = {0};
    char name[128], clean[80], t[160], scen[64];
    size_t m = 0;
    int rc = PB_SUCCESS;

    for (size_t i = 0; i < n && rc == PB_SUCCESS; i++) {
        const run_row *r = &c->rows[fig_rows[i]];
        if (!c->tube[fig_rows[i]])
            continue;
        plot_name_clean(r->label, clean, sizeof clean);
        row_title(r, t, sizeof t);
        rc = plot_buf_printf(&files, err, "%s'tube_%s_%lld.dat'", m ? ", " : "", clean, s);
        if (rc == PB_SUCCESS)
            rc = plot_buf_printf(&titles, err, "%s'%s'", m ? ", " : "", t);
        m++;
    }
    /* the panels take the figure's method colours in the same order only
     * when every variant has a tube (the same runs): otherwise none is drawn */
    if (rc == PB_SUCCESS && m > 0 && m == n) {
        size_t cols = (size_t)ceil(sqrt((double)m)), rows = (m + cols - 1) / cols;
        plot_text_clean(c->rows[fig_rows[0]].scenario_name, scen, sizeof scen);
        rc = plot_buf_printf(&v, err,
                             "plant='%s'; scen='%s'; n=%zu; cols=%zu; rows=%zu; w=%zu; h=%zu; "
                             "array files[%zu] = [%s]; array titles[%zu] = [%s]%s",
                             c->plant, scen, m, cols, rows, cols < 3 ? (size_t)1200 : 460 * cols,
                             320 * rows + 110, m, files.s, m, titles.s, style);
        snprintf(name, sizeof name, "tube_%lld", s);
        if (rc == PB_SUCCESS)
            rc = plot_plan_add(c->plan, "tube.gp", name, v.s, err);
    }
    free(files.s);
    free(titles.s);
    free(v.s);
    return rc;
}

/* The jobs of scenario s: deviation panels, tracking error, x-y path. */
static int scenario_jobs(const run_ctx *c, long long s, pb_error *err)
{
    plot_buf files = {0}, titles = {0}, v = {0}, style = {0};
    const run_row *first = NULL;
    const char **methods = calloc(c->n_rows + 1, sizeof *methods);
    size_t *fig_rows = calloc(c->n_rows + 1, sizeof *fig_rows);
    char name[128], orig[128], scen[64], t[160], div[64];
    size_t n = 0, nd = 0;
    int rc = PB_SUCCESS, reached = 0;

    if (!methods || !fig_rows) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory");
        goto done;
    }
    /* A scenario whose every loop failed at row 0 (its start outside the
     * limits or beyond criterion.radius) has nothing to draw over time. */
    for (size_t i = 0; i < c->n_rows; i++)
        if (c->rows[i].scenario == s)
            reached |= c->rows[i].diverged_step_orig != 0 || c->rows[i].diverged_step_pruned != 0;
    if (!reached) {
        size_t used = strlen(c->plan->note);
        snprintf(c->plan->note + used, sizeof c->plan->note - used,
                 "%sscenario %lld: every loop left at row 0 (its initial state is outside the "
                 "plant's limits or beyond criterion.radius): no figures over time",
                 used ? "; " : "", s);
        goto done;
    }
    for (size_t i = 0; i < c->n_rows && rc == PB_SUCCESS; i++) {
        const run_row *r = &c->rows[i];
        if (r->scenario != s)
            continue;
        if (!first)
            first = r;
        /* an unchanged variant (sparsity 0) has zero deviation and bounds:
         * nothing a log axis can show */
        if (!(r->max_dev_bound > 0))
            continue;
        run_file_name(r, name, sizeof name);
        row_title(r, t, sizeof t);
        rc = plot_buf_printf(&files, err, "%s'%s'", n ? ", " : "", name);
        if (rc == PB_SUCCESS)
            rc = plot_buf_printf(&titles, err, "%s'%s'", n ? ", " : "", t);
        methods[n] = r->method;
        fig_rows[n++] = i;
    }
    if (rc != PB_SUCCESS || !first)
        goto done;
    plot_text_clean(first->scenario_name, scen, sizeof scen);
    run_file_name(first, orig, sizeof orig);
    snprintf(div, sizeof div, "diverged_%lld.dat", s);
    if ((rc = diverged_write(c, s, fig_rows, n, div, &nd, err)) != PB_SUCCESS ||
        (rc = plot_style_append(&style, methods, n, err)) != PB_SUCCESS ||
        (rc = plot_buf_printf(&style, err, "; crit='%s'; div='%s'; ndiv=%zu; array divs[%zu] = [",
                              c->crit, div, nd, n ? n : 1)) != PB_SUCCESS)
        goto done;
    /* divs[i]: 1 when the i-th pruned loop diverged after row 0 */
    for (size_t i = 0; i < n && rc == PB_SUCCESS; i++)
        rc = plot_buf_printf(&style, err, "%s%d", i ? ", " : "", !isnan(c->div[fig_rows[i]][1][0]));
    if (rc == PB_SUCCESS)
        rc = plot_buf_printf(&style, err, "%s]", n ? "" : "0");
    if (rc != PB_SUCCESS)
        goto done;
    if (n > 0) {
        /* at least 1200 px wide: the legend sits left of the two-line title */
        size_t cols = (size_t)ceil(sqrt((double)n)), rows = (n + cols - 1) / cols;
        rc = plot_buf_printf(&v, err,
                             "plant='%s'; scen='%s'; dev_unit='%s'; n=%zu; cols=%zu; rows=%zu; "
                             "w=%zu; h=%zu; array files[%zu] = [%s]; array titles[%zu] = [%s]%s",
                             c->plant, scen, c->dev_unit, n, cols, rows,
                             cols < 3 ? (size_t)1200 : 460 * cols, 320 * rows + 110, n, files.s, n, titles.s, style.s);
        snprintf(name, sizeof name, "deviation_%lld", s);
        if (rc == PB_SUCCESS)
            rc = plot_plan_add(c->plan, "deviation.gp", name, v.s, err);
    }
    /* the tube beside the actual drift, one panel per variant with a tube */
    if (rc == PB_SUCCESS)
        rc = tube_job(c, s, fig_rows, n, style.s, err);
    /* the original loop is the same in every variant's file of scenario s */
    v.n = 0;
    if (rc == PB_SUCCESS)
        rc = plot_buf_printf(&v, err,
                             "plant='%s'; scen='%s'; track_unit='%s'; orig='%s'; n=%zu; "
                             "array files[%zu] = [%s]; array titles[%zu] = [%s]%s",
                             c->plant, scen, c->track_unit, orig, n, n ? n : 1, n ? files.s : "''",
                             n ? n : 1, n ? titles.s : "''", style.s);
    snprintf(name, sizeof name, "tracking_%lld", s);
    if (rc == PB_SUCCESS)
        rc = plot_plan_add(c->plan, "tracking.gp", name, v.s, err);
    if (rc == PB_SUCCESS && c->path_axes[0] >= 0) {
        size_t ax = (size_t)c->path_axes[0], ay = (size_t)c->path_axes[1];
        v.n = 0;
        rc = plot_buf_printf(&v, err,
                             "plant='%s'; scen='%s'; xlab='%s'; ylab='%s'; orig='%s'; "
                             "cx=%zu; cy=%zu; px=%zu; py=%zu; rx=%zu; ry=%zu; n=%zu; "
                             "array files[%zu] = [%s]; array titles[%zu] = [%s]%s",
                             c->plant, scen, c->path_label[0], c->path_label[1], orig, 8 + ax,
                             8 + ay, 8 + c->nx + ax, 8 + c->nx + ay, 8 + 2 * c->nx + ax,
                             8 + 2 * c->nx + ay, n, n ? n : 1, n ? files.s : "''", n ? n : 1,
                             n ? titles.s : "''", style.s);
        snprintf(name, sizeof name, "path_%lld", s);
        if (rc == PB_SUCCESS)
            rc = plot_plan_add(c->plan, "path.gp", name, v.s, err);
    }
done:
    free(methods);
    free(fig_rows);
    free(files.s);
    free(titles.s);
    free(style.s);
    free(v.s);
    return rc;
}

/* Plant name, state count, units and the axes of the x-y path figure. */
static int plant_read(run_ctx *c, pb_error *err)
{
    char states[512];
    const plant_type *type;
    double nx;

    h5_attr_read_str(c->f, "/plant", "name", c->plant, sizeof c->plant, NULL);
    h5_attr_read_str(c->f, "/plant", "states", states, sizeof states, NULL);
    nx = h5_attr_read_f64(c->f, "/plant", "nx");
    if (!c->plant[0] || !(nx >= 1 && nx <= PLANT_NX_MAX))
        return pb_error_set(err, PB_EFORMAT, "%s: group /plant lacks attribute name or nx",
                            c->path);
    c->nx = (size_t)nx;
    type = plant_find(c->plant);
    snprintf(c->dev_unit, sizeof c->dev_unit, "input units");
    snprintf(c->track_unit, sizeof c->track_unit, "state units");
    c->path_axes[0] = c->path_axes[1] = -1;
    if (!type || type->nx != c->nx)
        return PB_SUCCESS;
    c->type = type;
    units_join(type->inputs, type->nu, NULL, c->dev_unit, sizeof c->dev_unit);
    units_join(type->states, type->nx, NULL, c->track_unit, sizeof c->track_unit);
    /* a plant that moves in a plane: x, y or north, east (drawn east right) */
    static const char *const pairs[][2] = {{"x", "y"}, {"pe", "pn"}};
    static const char *const words[][2] = {{"", ""}, {"east ", "north "}};
    for (size_t p = 0; p < 2 && c->path_axes[0] < 0; p++) {
        int ix = -1, iy = -1;
        for (size_t j = 0; j < type->nx; j++) {
            if (strcmp(type->states[j].name, pairs[p][0]) == 0)
                ix = (int)j;
            if (strcmp(type->states[j].name, pairs[p][1]) == 0)
                iy = (int)j;
        }
        if (ix >= 0 && iy >= 0) {
            c->path_axes[0] = ix;
            c->path_axes[1] = iy;
            snprintf(c->path_label[0], sizeof c->path_label[0], "%s%s (%s)", words[p][0],
                     type->states[ix].name, type->states[ix].unit);
            snprintf(c->path_label[1], sizeof c->path_label[1], "%s%s (%s)", words[p][1],
                     type->states[iy].name, type->states[iy].unit);
        }
    }
    return PB_SUCCESS;
}

int plot_run_prepare(hid_t f, const char *path, const char *dir, const plot_select *sel,
                     plot_plan *plan, pb_error *err)
{
    run_ctx c;
    int rc;

    memset(&c, 0, sizeof c);
    c.f = f;
    c.path = path;
    c.dir = dir;
    c.plan = plan;
    c.sel = sel;
    plot_criterion_text(f, c.crit, sizeof c.crit);
    if ((rc = plant_read(&c, err)) != PB_SUCCESS || (rc = summary_read(&c, err)) != PB_SUCCESS)
        goto free_ctx;
    if ((rc = summary_write(&c, err)) != PB_SUCCESS)
        goto free_ctx;
    if (!h5_has_object(f, "/runs")) {
        snprintf(plan->note, sizeof plan->note,
                 "%s has no /runs traces (output.traces = false): only the sparsity figure", path);
        rc = sparsity_write(&c, err);
        goto free_ctx;
    }
    if (!(c.tube = calloc(c.n_rows + 1, 1))) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory");
        goto free_ctx;
    }
    for (size_t i = 0; i < c.n_rows && rc == PB_SUCCESS; i++)
        if ((rc = run_write(&c, i, err)) == PB_SUCCESS)
            rc = tube_write(&c, i, err);
    /* the tracking error's units: those of the states it can include */
    if (c.type)
        units_join(c.type->states, c.nx, c.untracked, c.track_unit, sizeof c.track_unit);
    if (rc == PB_SUCCESS)
        rc = sparsity_write(&c, err);
    if (rc == PB_SUCCESS)
        rc = tightness_write(&c, err);
    /* scenarios in order of first appearance */
    for (size_t i = 0; i < c.n_rows && rc == PB_SUCCESS; i++) {
        size_t j = 0;
        while (j < i && c.rows[j].scenario != c.rows[i].scenario)
            j++;
        if (j == i)
            rc = scenario_jobs(&c, c.rows[i].scenario, err);
    }
free_ctx:
    free(c.tube);
    free(c.rows);
    free(c.keys);
    free(c.row_key);
    free(c.div);
    return rc;
}
