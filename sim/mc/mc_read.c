/* mc_read.c: the aggregates of a Monte Carlo file read back (mc_read.h).
 * Reads /aggregates by field name with the writer's own table (mc_agg_cols),
 * so that a file written before an appended column still reads. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "h5_io.h"
#include "mc_read.h"
#include "results_region.h"

/* /region (bounds.region), when the file has it, into s->region_* by label. */
static int read_region(hid_t f, const char *path, mc_summary *s, pb_error *err)
{
    results_region_row *rows = NULL;
    size_t n = 0, nv = s->n_variants;
    int rc;

    if (!h5_has_object(f, "region"))
        return PB_SUCCESS;
    rc = h5_table_read(f, path, "region", results_region_cols, results_region_n_cols,
                       results_region_n_cols, sizeof *rows, (void **)&rows, &n, err);
    if (rc)
        return rc;
    s->region_upper = malloc(2 * (nv ? nv : 1) * sizeof *s->region_upper);
    if (!s->region_upper) {
        free(rows);
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    }
    s->region_lower = s->region_upper + nv;
    for (size_t v = 0; v < nv; v++) {
        s->region_upper[v] = s->region_lower[v] = NAN;
        for (size_t k = 0; k < n; k++)
            if (strncmp(rows[k].label, s->labels[v], SIM_LABEL_MAX) == 0) {
                s->region_upper[v] = rows[k].upper;
                s->region_lower[v] = rows[k].lower;
                break;
            }
    }
    s->has_region = 1;
    free(rows);
    return PB_SUCCESS;
}

/* /spec_aggregates (a study with a spec) into s->props: n_variants rows
 * per property, variant-major, in /aggregates' order of labels. */
static int read_spec_props(hid_t f, const char *path, mc_summary *s, pb_error *err)
{
    mc_spec_agg_row *rows = NULL;
    size_t n = 0, nv = s->n_variants;
    int rc;

    if (!s->has_spec || !h5_has_object(f, "spec_aggregates"))
        return PB_SUCCESS;
    rc = h5_table_read(f, path, "spec_aggregates", mc_spec_agg_cols, mc_spec_agg_n_cols,
                       mc_spec_agg_n_cols, sizeof *rows, (void **)&rows, &n, err);
    if (rc)
        return rc;
    if (nv == 0 || n % nv != 0)
        goto bad;
    for (size_t k = 0; k < n; k++) {
        if (strncmp(rows[k].label, s->labels[k / (n / nv)], SIM_LABEL_MAX) != 0)
            goto bad;
        rows[k].property[SPEC_NAME_MAX - 1] = '\0';
    }
    s->n_props = n / nv;
    s->props = rows;
    return PB_SUCCESS;
bad:
    free(rows);
    return pb_error_set(err, PB_EFORMAT,
                        "%s: /spec_aggregates: %zu rows do not follow the %zu variants of "
                        "/aggregates",
                        path, n, nv);
}

typedef mc_agg_row agg_row;

int mc_file_is_kind(hid_t f)
{
    char fmt[64];
    return h5_attr_read_str(f, "/", "format", fmt, sizeof fmt, NULL) == PB_SUCCESS &&
           strcmp(fmt, "prunebound-montecarlo") == 0;
}

int mc_summary_read(hid_t f, const char *path, mc_summary *s, pb_error *err)
{
    agg_row *rows = NULL;
    size_t n = 0;
    double samples = h5_attr_read_f64(f, "/", "samples");
    int rc;

    memset(s, 0, sizeof *s);
    s->samples = samples >= 0.0 ? (size_t)samples : 0;
    s->crit_tol = h5_attr_read_f64(f, "/", "criterion_tol");
    s->crit_tail = h5_attr_read_f64(f, "/", "criterion_tail");
    s->crit_radius = h5_attr_read_f64(f, "/", "criterion_radius");
    s->horizon = h5_attr_read_f64(f, "/", "horizon");
    s->complete = h5_attr_read_f64(f, "/", "complete") == 1.0;
    if (!s->complete)
        return PB_SUCCESS;
    rc = h5_table_read(f, path, "aggregates", mc_agg_cols, mc_agg_n_cols, mc_agg_n_cols_base,
                       sizeof(agg_row), (void **)&rows, &n, err);
    if (rc)
        return rc;
    s->labels = calloc(n ? n : 1, sizeof *s->labels);
    s->agg = calloc(n ? n : 1, sizeof *s->agg);
    if (!s->labels || !s->agg) {
        free(rows);
        mc_summary_free(s);
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    }
    for (size_t v = 0; v < n; v++) {
        memcpy(s->labels[v], rows[v].label, SIM_LABEL_MAX);
        s->labels[v][SIM_LABEL_MAX - 1] = '\0';
        s->agg[v] = rows[v].a;
    }
    s->n_variants = n;
    /* A study with a spec has its rates (NaN without one, 0 in a file from
     * before the spec columns: no variant then has a non-zero n and a rate). */
    for (size_t v = 0; v < n; v++)
        if (s->agg[v].n > 0 && !isnan(s->agg[v].spec_rate_orig) &&
            s->agg[v].spec_rate_orig_hi > 0.0)
            s->has_spec = 1;
    free(rows);
    if ((rc = read_region(f, path, s, err)) || (rc = read_spec_props(f, path, s, err)))
        mc_summary_free(s);
    return rc;
}

void mc_summary_free(mc_summary *s)
{
    free(s->labels);
    free(s->agg);
    free(s->region_upper); /* region_lower is in the same block */
    s->region_upper = s->region_lower = NULL;
    s->has_region = 0;
    free(s->props);
    s->props = NULL;
    s->n_props = 0;
    s->labels = NULL;
    s->agg = NULL;
    s->n_variants = 0;
}
