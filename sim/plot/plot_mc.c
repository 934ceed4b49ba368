/* plot_mc.c: the figures of a `prunebound montecarlo` results file
 * (docs/PLOTS.md; layout written by sim/mc_h5.c): the stability rate against
 * sparsity per method with its Wilson interval (/aggregates), and for a grid
 * sampler the region-of-attraction maps of the original and of every pruned
 * loop side by side (/summary outcomes over /samples/x0). */
#define _POSIX_C_SOURCE 200809L
#include "plot_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mc_study.h"
#include "plant.h"

/* One /variants row joined with its /aggregates row. */
typedef struct mc_var {
    char label[64], method[32], pattern[16];
    double sparsity;
    long long n;
    double rate_orig, rate_orig_lo, rate_orig_hi, rate_pruned, rate_pruned_lo, rate_pruned_hi;
    size_t index; /* its row in /variants (the variant column of /summary) */
} mc_var;

/* A row of /summary: its layout is mc_study.h's, shared with the writer. */
typedef mc_row mc_srow;

/* A map cell: 0 converged, 1 bounded and still converging, 2 bounded, 3
 * diverged (sim_outcome and the still-converging flag). */
static double map_value(long long outcome, long long still)
{
    return outcome == 0 ? 0.0 : outcome == 1 ? (still ? 1.0 : 2.0) : 3.0;
}

/* A grid point: its two coordinates and its sample index. */
static const char *const var_fields[] = {"label", "method", "sparsity", "pattern", NULL};
static const char *const agg_fields[] = {"label",
                                         "n",
                                         "rate_orig",
                                         "rate_orig_lo",
                                         "rate_orig_hi",
                                         "rate_pruned",
                                         "rate_pruned_lo",
                                         "rate_pruned_hi",
                                         NULL};
/* Reads a compound dataset into rows of the memory type mt; *out (caller
 * frees) has *n rows. */
static int table_read(hid_t f, const char *path, const char *dset, const char *const fields[],
                      hid_t mt, size_t row_size, void **out, size_t *n, pb_error *err)
{
    hid_t ds, sp;
    hsize_t d = 0;
    int rc;

    *out = NULL;
    if ((rc = plot_h5_fields_check(f, path, dset, fields, err)) != PB_SUCCESS)
        return rc;
    ds = H5Dopen2(f, dset, H5P_DEFAULT);
    sp = H5Dget_space(ds);
    H5Sget_simple_extent_dims(sp, &d, NULL);
    *n = (size_t)d;
    *out = calloc(*n + 1, row_size);
    if (!*out)
        rc = pb_error_set(err, PB_ENOMEM, "out of memory reading %s", dset);
    else if (*n && h5_dread(ds, mt, H5S_ALL, H5S_ALL, *out) < 0)
        rc = pb_error_set(err, PB_EFORMAT, "%s: cannot read the %s table", path, dset);
    H5Sclose(sp);
    H5Dclose(ds);
    if (rc != PB_SUCCESS) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

static hid_t str_type(size_t n)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, n);
    return t;
}

/* /variants joined with /aggregates by label. */
static int variants_read(hid_t f, const char *path, mc_var **out, size_t *nv, pb_error *err)
{
    mc_var *v = NULL, *a = NULL;
    size_t na = 0;
    hid_t s64 = str_type(64), s32 = str_type(32), s16 = str_type(16);
    hid_t vt = H5Tcreate(H5T_COMPOUND, sizeof(mc_var)),
          at = H5Tcreate(H5T_COMPOUND, sizeof(mc_var));
    int rc;

    H5Tinsert(vt, "label", offsetof(mc_var, label), s64);
    H5Tinsert(vt, "method", offsetof(mc_var, method), s32);
    H5Tinsert(vt, "pattern", offsetof(mc_var, pattern), s16);
    H5Tinsert(vt, "sparsity", offsetof(mc_var, sparsity), H5T_NATIVE_DOUBLE);
    H5Tinsert(at, "label", offsetof(mc_var, label), s64);
    H5Tinsert(at, "n", offsetof(mc_var, n), H5T_NATIVE_LLONG);
#define AGG_F(name) H5Tinsert(at, #name, offsetof(mc_var, name), H5T_NATIVE_DOUBLE)
    AGG_F(rate_orig);
    AGG_F(rate_orig_lo);
    AGG_F(rate_orig_hi);
    AGG_F(rate_pruned);
    AGG_F(rate_pruned_lo);
    AGG_F(rate_pruned_hi);
#undef AGG_F
    rc = table_read(f, path, "/variants", var_fields, vt, sizeof(mc_var), (void **)&v, nv, err);
    if (rc == PB_SUCCESS && !h5_has_object(f, "/aggregates"))
        rc = pb_error_set(err, PB_EFORMAT,
                          "%s: dataset /aggregates is missing (an unfinished study: run "
                          "prunebound montecarlo --resume to complete it)",
                          path);
    if (rc == PB_SUCCESS)
        rc = table_read(f, path, "/aggregates", agg_fields, at, sizeof(mc_var), (void **)&a, &na,
                        err);
    for (size_t i = 0; rc == PB_SUCCESS && i < *nv; i++) {
        size_t j = 0;
        while (j < na && strcmp(a[j].label, v[i].label) != 0)
            j++;
        if (j == na) {
            rc = pb_error_set(err, PB_EFORMAT, "%s: /aggregates has no row for variant %s", path,
                              v[i].label);
            break;
        }
        v[i].n = a[j].n;
        v[i].rate_orig = a[j].rate_orig;
        v[i].rate_orig_lo = a[j].rate_orig_lo;
        v[i].rate_orig_hi = a[j].rate_orig_hi;
        v[i].rate_pruned = a[j].rate_pruned;
        v[i].rate_pruned_lo = a[j].rate_pruned_lo;
        v[i].rate_pruned_hi = a[j].rate_pruned_hi;
    }
    if (rc == PB_SUCCESS && *nv == 0)
        rc = pb_error_set(err, PB_EFORMAT, "%s: the /variants table is empty", path);
    free(a);
    H5Tclose(at);
    H5Tclose(vt);
    H5Tclose(s16);
    H5Tclose(s32);
    H5Tclose(s64);
    if (rc != PB_SUCCESS) {
        free(v);
        v = NULL;
    }
    *out = v;
    return rc;
}

/* stability.dat: per method key (one block each) and sparsity: the pruned
 * loops' converged fraction and its 95 % Wilson interval, the original's. */
static int stability_write(const char *path, const char *dir, const char *plant_name,
                           const char *crit, mc_var *v, size_t nv, plot_plan *plan, pb_error *err)
{
    char(*keys)[64] = calloc(nv + 1, sizeof *keys);
    size_t *line = calloc(nv + 1, sizeof *line);
    const char **methods = calloc(nv + 1, sizeof *methods);
    plot_buf titles = {0}, vars = {0};
    size_t nk = 0;
    FILE *fp = NULL;
    int rc = PB_SUCCESS;

    if (!keys || !line || !methods) {
        free(keys);
        free(line);
        free(methods);
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    }
    nk = plot_method_lines(v->label, sizeof *v, nv, keys, line);
    if ((rc = plot_dat_open(dir, "stability.dat", &fp, err)) != PB_SUCCESS)
        goto done;
    fprintf(fp,
            "# stability (converged fraction, 95 %% Wilson interval) per method (one block "
            "each) and sparsity, of %s\n",
            path);
    for (size_t k = 0; k < nk; k++) {
        char t[160];
        size_t first = 0;
        while (line[first] != k)
            first++;
        plot_variant_title(v[first].label, v[first].method, v[first].pattern, v[first].sparsity, 0,
                           t, sizeof t);
        methods[k] = v[first].method;
        if ((rc = plot_buf_printf(&titles, err, "%s'%s'", k ? ", " : "", t)) != PB_SUCCESS)
            break;
        fprintf(fp,
                "%s# %s\n# sparsity rate_pruned rate_pruned_lo rate_pruned_hi rate_orig "
                "rate_orig_lo rate_orig_hi n\n",
                k ? "\n\n" : "", keys[k]);
        /* the variants of this key in order of sparsity */
        double last = -INFINITY;
        for (;;) {
            size_t best = nv;
            for (size_t i = 0; i < nv; i++)
                if (line[i] == k && v[i].sparsity > last &&
                    (best == nv || v[i].sparsity < v[best].sparsity))
                    best = i;
            if (best == nv)
                break;
            const mc_var *b = &v[best];
            const double x[] = {b->sparsity,  b->rate_pruned,  b->rate_pruned_lo, b->rate_pruned_hi,
                                b->rate_orig, b->rate_orig_lo, b->rate_orig_hi};
            for (size_t j = 0; j < sizeof x / sizeof x[0]; j++)
                plot_dat_num(fp, x[j], ' ');
            fprintf(fp, "%lld\n", b->n);
            last = b->sparsity;
        }
    }
    if (rc != PB_SUCCESS) {
        fclose(fp);
        goto done;
    }
    if ((rc = plot_dat_close(fp, dir, "stability.dat", err)) != PB_SUCCESS)
        goto done;
    rc = plot_buf_printf(&vars, err,
                         "plant='%s'; crit='%s'; samples=%lld; orig_rate=%.17g; orig_lo=%.17g; "
                         "orig_hi=%.17g; n=%zu; array keys[%zu] = [%s]",
                         plant_name, crit, v[0].n, v[0].rate_orig, v[0].rate_orig_lo,
                         v[0].rate_orig_hi, nk, nk, titles.s);
    if (rc == PB_SUCCESS)
        rc = plot_style_append(&vars, methods, nk, err);
    if (rc == PB_SUCCESS)
        rc = plot_plan_add(plan, "stability.gp", "stability", vars.s, err);
done:
    free(keys);
    free(line);
    free(methods);
    free(titles.s);
    free(vars.s);
    return rc;
}

/* roa.dat: one line per grid point, in scans of the first axis (a blank line
 * between scans): the two coordinates, the original's outcome and every
 * variant's (map_value; NaN for a missing row). */
static int roa_write(hid_t f, const char *path, const char *dir, const char *plant_name,
                     const char *crit,
                     const mc_var *v, size_t nv, plot_plan *plan, pb_error *err)
{
    double *x0 = NULL, *out = NULL;
    mc_srow *rows = NULL;
    size_t dims[2], n_rows = 0;
    plot_buf titles = {0}, vars = {0}, head = {0};
    void *rows_read = NULL;
    plot_grid g;
    int rc;

    if ((rc = h5_dataset_read_f64(f, path, "/samples/x0", 2, dims, &x0, err)) != PB_SUCCESS)
        goto done;
    rc = h5_table_read(f, path, "/summary", mc_row_cols, mc_row_n_cols, mc_row_n_cols_base,
                       sizeof *rows, &rows_read,
                       &n_rows, err);
    rows = rows_read;
    if (rc != PB_SUCCESS)
        goto done;
    plot_grid_axes(x0, dims[0], dims[1], plant_find(plant_name), &g);
    if (g.n_varying != 2) {
        snprintf(plan->note, sizeof plan->note,
                 "%s: the grid varies %zu state components, not 2: no region-of-attraction map",
                 path, g.n_varying);
        goto done;
    }
    out = malloc((dims[0] * (nv + 1) + 1) * sizeof *out);
    if (!out) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory for the maps");
        goto done;
    }
    for (size_t i = 0; i < dims[0] * (nv + 1); i++)
        out[i] = NAN;
    for (size_t r = 0; r < n_rows; r++) {
        const mc_srow *s = &rows[r];
        size_t k = 0;
        if (s->sample < 0 || (size_t)s->sample >= dims[0])
            continue;
        /* the original loop is the same in every variant's row */
        out[(size_t)s->sample * (nv + 1)] = map_value(s->outcome_orig, s->still_converging_orig);
        while (k < nv && (long long)v[k].index != s->variant)
            k++;
        if (k < nv)
            out[(size_t)s->sample * (nv + 1) + 1 + k] =
                map_value(s->outcome_pruned, s->still_converging_pruned);
    }
    rc = plot_buf_printf(&head, err,
                         "# outcome per grid point (0 converged, 1 bounded and still converging, "
                         "2 bounded, 3 diverged) of %s\n# x0[%zu] x0[%zu] outcome_orig",
                         path, g.ax[0], g.ax[1]);
    for (size_t k = 0; k < nv && rc == PB_SUCCESS; k++)
        rc = plot_buf_printf(&head, err, " %s", v[k].label);
    if (rc == PB_SUCCESS && (rc = plot_buf_printf(&head, err, "\n")) == PB_SUCCESS)
        rc = plot_grid_write(dir, "roa.dat", head.s, &g, x0, dims[0], dims[1], out, nv + 1, err);
    if (rc != PB_SUCCESS)
        goto done;
    /* the job: titles and axis labels with units */
    for (size_t k = 0; k < nv && rc == PB_SUCCESS; k++) {
        char t[160];
        plot_variant_title(v[k].label, v[k].method, v[k].pattern, v[k].sparsity, 1, t, sizeof t);
        rc = plot_buf_printf(&titles, err, "%s'%s'", k ? ", " : "", t);
    }
    {
        size_t np = nv + 1, cols = np <= 3 ? np : (size_t)ceil(sqrt((double)np));
        size_t nrow = (np + cols - 1) / cols;
        if (rc == PB_SUCCESS)
            rc = plot_buf_printf(&vars, err,
                                 "plant='%s'; crit='%s'; xlab='%s'; ylab='%s'; n=%zu; cols=%zu; "
                                 "rows=%zu; w=%zu; h=%zu; array titles[%zu] = [%s]",
                                 plant_name, crit, g.lab[0], g.lab[1], nv, cols, nrow, 420 * cols,
                                 360 * nrow + 60, nv, titles.s);
    }
    if (rc == PB_SUCCESS)
        rc = plot_plan_add(plan, "roa.gp", "roa", vars.s, err);
done:
    free(x0);
    free(rows);
    free(out);
    free(titles.s);
    free(vars.s);
    free(head.s);
    return rc;
}

int plot_mc_prepare(hid_t f, const char *path, const char *dir, const plot_select *sel,
                    plot_plan *plan, pb_error *err)
{
    char plant_name[64], sampler[32], clean[64], crit[200];
    mc_var *v = NULL;
    size_t nv = 0, kept = 0;
    int rc;

    h5_attr_read_str(f, "/plant", "name", plant_name, sizeof plant_name, NULL);
    h5_attr_read_str(f, "/", "sampler", sampler, sizeof sampler, NULL);
    if (!plant_name[0])
        return pb_error_set(err, PB_EFORMAT, "%s: group /plant lacks attribute name", path);
    if (sel->scenarios && sel->scenarios[0])
        return pb_error_set(err, PB_EINVAL,
                            "--scenarios: %s is a Monte Carlo file, which has samples, not "
                            "scenarios (--variants selects its variants)",
                            path);
    plot_text_clean(plant_name, clean, sizeof clean);
    /* what "converged" meant, for the titles (the figures depend on it) */
    plot_criterion_text(f, crit, sizeof crit);
    if ((rc = variants_read(f, path, &v, &nv, err)) != PB_SUCCESS)
        return rc;
    /* --variants: the selected rows, in /variants order */
    rc = plot_select_check(sel->variants, "--variants", v[0].label, sizeof *v, nv, path, err);
    for (size_t i = 0; i < nv && rc == PB_SUCCESS; i++) {
        v[i].index = i;
        if (!sel->variants || !sel->variants[0] || plot_list_has(sel->variants, v[i].label))
            v[kept++] = v[i];
    }
    if (rc == PB_SUCCESS)
        rc = stability_write(path, dir, clean, crit, v, kept, plan, err);
    if (rc == PB_SUCCESS && strcmp(sampler, "grid") == 0)
        rc = roa_write(f, path, dir, clean, crit, v, kept, plan, err);
    else if (rc == PB_SUCCESS)
        snprintf(plan->note, sizeof plan->note,
                 "%s: sampler '%s' is not a grid: no region-of-attraction map", path, sampler);
    if (rc == PB_SUCCESS)
        rc = plot_mc_spec_prepare(f, path, dir, sel, plan, err);
    free(v);
    return rc;
}
