/* plot_mc_spec.c: the safety figures of a `prunebound montecarlo` results
 * file with a spec (docs/PLOTS.md, docs/SAFETY.md):
 *   spec_rate  the fraction of samples whose pruned loop satisfies the spec
 *              against sparsity, one line per method, Wilson 95 % error bars,
 *              the original's fraction as a reference line (/aggregates);
 *   spec_map   on a grid sampler, per grid point and variant: both loops
 *              satisfy, both violate, broken by pruning (the original
 *              satisfies, the pruned loop does not) or repaired by pruning
 *              (/summary's spec_satisfied_* over /samples/x0).
 * A file without a spec (or from before the spec columns) gets neither. */
#define _POSIX_C_SOURCE 200809L
#include "plot_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mc_read.h"
#include "mc_study.h"
#include "plant.h"

/* A /variants row with its index and its spec aggregates. */
typedef struct spec_var {
    char label[SIM_LABEL_MAX], method[32], pattern[16];
    double sparsity;
    size_t index;
    mc_aggregate a;
} spec_var;

static const h5_column variant_cols[] = {
    {"label", H5W_STR, offsetof(spec_var, label), SIM_LABEL_MAX, "", ""},
    {"method", H5W_STR, offsetof(spec_var, method), 32, "", ""},
    {"sparsity", H5W_F64, offsetof(spec_var, sparsity), 0, "", ""},
    {"pattern", H5W_STR, offsetof(spec_var, pattern), 16, "", ""},
};

/* The spec columns of a /summary row. */
typedef struct spec_srow {
    long long sample, variant, sat_orig, sat_pruned;
} spec_srow;

static const h5_column srow_cols[] = {
    {"sample", H5W_I64, offsetof(spec_srow, sample), 0, "", ""},
    {"variant", H5W_I64, offsetof(spec_srow, variant), 0, "", ""},
    {"spec_satisfied_orig", H5W_I64, offsetof(spec_srow, sat_orig), 0, "", ""},
    {"spec_satisfied_pruned", H5W_I64, offsetof(spec_srow, sat_pruned), 0, "", ""},
};

/* A map cell of a pruned loop: 0 both satisfy, 1 both violate, 2 broken by
 * pruning, 3 repaired by pruning; of the original: 0 satisfies, 1 violates;
 * NaN without a value. */
static double cell_value(long long orig, long long pruned)
{
    if (orig < 0 || pruned < 0)
        return NAN;
    return orig ? (pruned ? 0.0 : 2.0) : (pruned ? 3.0 : 1.0);
}

/* "horizon 5 s; satisfied: robustness > 0 of every property (band, settle)"
 * from the root attribute horizon and the property names s read from
 * /spec_aggregates (absent in older files: "of the spec"). */
static void spec_criterion_text(hid_t f, const mc_summary *s, char *out, size_t len)
{
    char names[256] = "";

    for (size_t q = 0; q < s->n_props; q++) { /* the first variant's rows: the spec's order */
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", q ? ", " : "", s->props[q].property);
    }
    if (names[0])
        snprintf(out, len,
                 "horizon %g s; satisfied: robustness > 0 of every property (%s), at the "
                 "control steps",
                 h5_attr_read_f64(f, "/", "horizon"), names);
    else
        snprintf(out, len, "horizon %g s; satisfied: robustness of the spec > 0",
                 h5_attr_read_f64(f, "/", "horizon"));
    plot_text_clean(out, out, len);
}

/* spec_rate.dat: per method key (one block each) and sparsity, the pruned
 * loops' satisfied fraction with its Wilson interval, the original's, and
 * the broken and repaired fractions and counts. */
static int rate_write(const char *path, const char *dir, const char *plant_name, const char *crit,
                      spec_var *v, size_t nv, plot_plan *plan, pb_error *err)
{
    char(*keys)[64] = calloc(nv + 1, sizeof *keys);
    size_t *line = calloc(nv + 1, sizeof *line);
    const char **methods = calloc(nv + 1, sizeof *methods);
    plot_buf titles = {0}, vars = {0};
    size_t nk = 0;
    FILE *fp = NULL;
    int rc = PB_SUCCESS;

    if (!keys || !line || !methods) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory");
        goto done;
    }
    nk = plot_method_lines(v->label, sizeof *v, nv, keys, line);
    if ((rc = plot_dat_open(dir, "spec_rate.dat", &fp, err)) != PB_SUCCESS)
        goto done;
    fprintf(fp,
            "# spec satisfied fraction (95 %% Wilson interval) per method (one block each) and "
            "sparsity, of %s\n",
            path);
    for (size_t k = 0; k < nk; k++) {
        char t[160];
        size_t first = 0;
        double last = -INFINITY;
        while (line[first] != k)
            first++;
        plot_variant_title(v[first].label, v[first].method, v[first].pattern, v[first].sparsity, 0,
                           t, sizeof t);
        methods[k] = v[first].method;
        if ((rc = plot_buf_printf(&titles, err, "%s'%s'", k ? ", " : "", t)) != PB_SUCCESS)
            break;
        fprintf(fp,
                "%s# %s\n# sparsity rate_pruned rate_pruned_lo rate_pruned_hi rate_orig "
                "rate_orig_lo rate_orig_hi broken_rate repaired_rate n broken repaired\n",
                k ? "\n\n" : "", keys[k]);
        /* the variants of this key in order of sparsity */
        for (;;) {
            size_t best = nv;
            for (size_t i = 0; i < nv; i++)
                if (line[i] == k && v[i].sparsity > last &&
                    (best == nv || v[i].sparsity < v[best].sparsity))
                    best = i;
            if (best == nv)
                break;
            const mc_aggregate *a = &v[best].a;
            const double x[] = {v[best].sparsity,   a->spec_rate_pruned, a->spec_rate_pruned_lo,
                                a->spec_rate_pruned_hi, a->spec_rate_orig, a->spec_rate_orig_lo,
                                a->spec_rate_orig_hi,   a->spec_broken_rate,
                                a->spec_repaired_rate};
            for (size_t j = 0; j < sizeof x / sizeof x[0]; j++)
                plot_dat_num(fp, x[j], ' ');
            fprintf(fp, "%lld %lld %lld\n", a->n, a->spec_broken, a->spec_repaired);
            last = v[best].sparsity;
        }
    }
    if (rc != PB_SUCCESS) {
        fclose(fp);
        goto done;
    }
    if ((rc = plot_dat_close(fp, dir, "spec_rate.dat", err)) != PB_SUCCESS)
        goto done;
    rc = plot_buf_printf(&vars, err,
                         "plant='%s'; crit='%s'; samples=%lld; orig_rate=%.17g; orig_lo=%.17g; "
                         "orig_hi=%.17g; n=%zu; array keys[%zu] = [%s]",
                         plant_name, crit, v[0].a.n, v[0].a.spec_rate_orig, v[0].a.spec_rate_orig_lo,
                         v[0].a.spec_rate_orig_hi, nk, nk, titles.s);
    if (rc == PB_SUCCESS)
        rc = plot_style_append(&vars, methods, nk, err);
    if (rc == PB_SUCCESS)
        rc = plot_plan_add(plan, "spec_rate.gp", "spec_rate", vars.s, err);
done:
    free(keys);
    free(line);
    free(methods);
    free(titles.s);
    free(vars.s);
    return rc;
}

/* spec_map.dat: one line per grid point, in scans of the first axis (a blank
 * line between scans): the two coordinates, the original's cell and every
 * variant's (cell_value). */
static int map_write(hid_t f, const char *path, const char *dir, const char *plant_name,
                     const char *crit, const spec_var *v, size_t nv, plot_plan *plan,
                     pb_error *err)
{
    double *x0 = NULL, *out = NULL;
    spec_srow *rows = NULL;
    size_t dims[2], n_rows = 0;
    long long *broken = NULL, *repaired = NULL;
    plot_buf titles = {0}, vars = {0}, head = {0};
    plot_grid g;
    int rc;

    if ((rc = h5_dataset_read_f64(f, path, "/samples/x0", 2, dims, &x0, err)) != PB_SUCCESS)
        goto done;
    rc = h5_table_read(f, path, "/summary", srow_cols, 4, 4, sizeof *rows, (void **)&rows, &n_rows,
                       err);
    if (rc != PB_SUCCESS)
        goto done;
    plot_grid_axes(x0, dims[0], dims[1], plant_find(plant_name), &g);
    if (g.n_varying != 2)
        goto done; /* plot_mc.c's note on the region-of-attraction map says why */
    out = malloc((dims[0] * (nv + 1) + 1) * sizeof *out);
    broken = calloc(nv + 1, sizeof *broken);
    repaired = calloc(nv + 1, sizeof *repaired);
    if (!out || !broken || !repaired) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory for the maps");
        goto done;
    }
    for (size_t i = 0; i < dims[0] * (nv + 1); i++)
        out[i] = NAN;
    for (size_t r = 0; r < n_rows; r++) {
        const spec_srow *s = &rows[r];
        size_t k = 0, at;
        if (s->sample < 0 || (size_t)s->sample >= dims[0])
            continue;
        at = (size_t)s->sample * (nv + 1);
        /* the original loop is the same in every variant's row */
        out[at] = s->sat_orig < 0 ? NAN : s->sat_orig ? 0.0 : 1.0;
        while (k < nv && (long long)v[k].index != s->variant)
            k++;
        if (k == nv)
            continue;
        out[at + 1 + k] = cell_value(s->sat_orig, s->sat_pruned);
        broken[k] += out[at + 1 + k] == 2.0;
        repaired[k] += out[at + 1 + k] == 3.0;
    }
    rc = plot_buf_printf(&head, err,
                         "# spec per grid point of %s: original 0 satisfies, 1 violates; each "
                         "variant 0 both satisfy, 1 both violate, 2 broken by pruning, 3 repaired "
                         "by pruning\n# x0[%zu] x0[%zu] original",
                         path, g.ax[0], g.ax[1]);
    for (size_t k = 0; k < nv && rc == PB_SUCCESS; k++)
        rc = plot_buf_printf(&head, err, " %s", v[k].label);
    if (rc == PB_SUCCESS && (rc = plot_buf_printf(&head, err, "\n")) == PB_SUCCESS)
        rc = plot_grid_write(dir, "spec_map.dat", head.s, &g, x0, dims[0], dims[1], out, nv + 1,
                             err);
    if (rc != PB_SUCCESS)
        goto done;
    for (size_t k = 0; k < nv && rc == PB_SUCCESS; k++) {
        char t[160], tt[224];
        plot_variant_title(v[k].label, v[k].method, v[k].pattern, v[k].sparsity, 1, t, sizeof t);
        snprintf(tt, sizeof tt, "%s: %lld broken, %lld repaired", t, broken[k], repaired[k]);
        rc = plot_buf_printf(&titles, err, "%s'%s'", k ? ", " : "", tt);
    }
    {
        size_t np = nv + 1, cols = np <= 3 ? np : (size_t)ceil(sqrt((double)np));
        size_t nrow = (np + cols - 1) / cols;
        if (rc == PB_SUCCESS)
            rc = plot_buf_printf(&vars, err,
                                 "plant='%s'; crit='%s'; xlab='%s'; ylab='%s'; n=%zu; cols=%zu; "
                                 "rows=%zu; w=%zu; h=%zu; array titles[%zu] = [%s]",
                                 plant_name, crit, g.lab[0], g.lab[1], nv, cols, nrow, 460 * cols,
                                 380 * nrow + 80, nv, titles.s);
    }
    if (rc == PB_SUCCESS)
        rc = plot_plan_add(plan, "spec_map.gp", "spec_map", vars.s, err);
done:
    free(x0);
    free(rows);
    free(out);
    free(broken);
    free(repaired);
    free(titles.s);
    free(vars.s);
    free(head.s);
    return rc;
}

int plot_mc_spec_prepare(hid_t f, const char *path, const char *dir, const plot_select *sel,
                         plot_plan *plan, pb_error *err)
{
    char plant_name[64], clean[64], sampler[32] = "", crit[400];
    spec_var *v = NULL;
    mc_summary s;
    size_t nv = 0, kept = 0;
    int rc;

    if ((rc = mc_summary_read(f, path, &s, err)) != PB_SUCCESS)
        return rc;
    if (!s.complete || !s.has_spec) {
        mc_summary_free(&s);
        return PB_SUCCESS;
    }
    h5_attr_read_str(f, "/plant", "name", plant_name, sizeof plant_name, NULL);
    h5_attr_read_str(f, "/", "sampler", sampler, sizeof sampler, NULL);
    plot_text_clean(plant_name, clean, sizeof clean);
    spec_criterion_text(f, &s, crit, sizeof crit);
    rc = h5_table_read(f, path, "/variants", variant_cols, 4, 4, sizeof *v, (void **)&v, &nv, err);
    /* each variant's aggregates by label; --variants keeps the selected ones */
    for (size_t i = 0; i < nv && rc == PB_SUCCESS; i++) {
        size_t j = 0;
        while (j < s.n_variants && strncmp(s.labels[j], v[i].label, SIM_LABEL_MAX) != 0)
            j++;
        if (j == s.n_variants) {
            rc = pb_error_set(err, PB_EFORMAT, "%s: /aggregates has no row for variant %s", path,
                              v[i].label);
            break;
        }
        v[i].index = i;
        v[i].a = s.agg[j];
        if (!sel || !sel->variants || !sel->variants[0] || plot_list_has(sel->variants, v[i].label))
            v[kept++] = v[i];
    }
    if (rc == PB_SUCCESS && kept > 0)
        rc = rate_write(path, dir, clean, crit, v, kept, plan, err);
    if (rc == PB_SUCCESS && kept > 0 && strcmp(sampler, "grid") == 0)
        rc = map_write(f, path, dir, clean, crit, v, kept, plan, err);
    free(v);
    mc_summary_free(&s);
    return rc;
}
