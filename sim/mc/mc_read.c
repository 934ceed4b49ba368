/* mc_read.c: the aggregates of a Monte Carlo file read back (mc_read.h).
 * Reads /aggregates by field name (h5_table_read), so that it follows any
 * column the writer (mc_h5.c) adds. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "h5_io.h"
#include "mc_read.h"

typedef struct agg_row {
    char label[SIM_LABEL_MAX];
    mc_aggregate a;
} agg_row;

#define AGG(f)     offsetof(agg_row, a) + offsetof(mc_aggregate, f)
#define AGGQ(f, i) AGG(f) + (i) * sizeof(double)
static const h5_column read_cols[] = {
    {"label", H5W_STR, offsetof(agg_row, label), SIM_LABEL_MAX},
    {"n", H5W_I64, AGG(n), 0},
    {"converged_orig", H5W_I64, AGG(converged_orig), 0},
    {"bounded_orig", H5W_I64, AGG(bounded_orig), 0},
    {"diverged_orig", H5W_I64, AGG(diverged_orig), 0},
    {"converged_pruned", H5W_I64, AGG(converged_pruned), 0},
    {"bounded_pruned", H5W_I64, AGG(bounded_pruned), 0},
    {"diverged_pruned", H5W_I64, AGG(diverged_pruned), 0},
    {"still_converging_orig", H5W_I64, AGG(still_converging_orig), 0},
    {"still_converging_pruned", H5W_I64, AGG(still_converging_pruned), 0},
    {"rate_orig", H5W_F64, AGG(rate_orig), 0},
    {"rate_orig_lo", H5W_F64, AGG(rate_orig_lo), 0},
    {"rate_orig_hi", H5W_F64, AGG(rate_orig_hi), 0},
    {"rate_pruned", H5W_F64, AGG(rate_pruned), 0},
    {"rate_pruned_lo", H5W_F64, AGG(rate_pruned_lo), 0},
    {"rate_pruned_hi", H5W_F64, AGG(rate_pruned_hi), 0},
    {"rms_orig_q05", H5W_F64, AGGQ(rms_orig_q, 0), 0},
    {"rms_orig_q25", H5W_F64, AGGQ(rms_orig_q, 1), 0},
    {"rms_orig_q50", H5W_F64, AGGQ(rms_orig_q, 2), 0},
    {"rms_orig_q75", H5W_F64, AGGQ(rms_orig_q, 3), 0},
    {"rms_orig_q95", H5W_F64, AGGQ(rms_orig_q, 4), 0},
    {"rms_pruned_q05", H5W_F64, AGGQ(rms_pruned_q, 0), 0},
    {"rms_pruned_q25", H5W_F64, AGGQ(rms_pruned_q, 1), 0},
    {"rms_pruned_q50", H5W_F64, AGGQ(rms_pruned_q, 2), 0},
    {"rms_pruned_q75", H5W_F64, AGGQ(rms_pruned_q, 3), 0},
    {"rms_pruned_q95", H5W_F64, AGGQ(rms_pruned_q, 4), 0},
    {"max_dev_actual", H5W_F64, AGG(max_dev_actual), 0},
    {"max_dev_bound", H5W_F64, AGG(max_dev_bound), 0},
    {"max_dev_bound_closed", H5W_F64, AGG(max_dev_bound_closed), 0},
    {"max_tightness", H5W_F64, AGG(max_tightness), 0},
    {"violations", H5W_I64, AGG(violations), 0},
    {"certified_fraction", H5W_F64, AGG(certified_fraction), 0},
};

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
    rc = h5_table_read(f, path, "aggregates", read_cols, sizeof read_cols / sizeof read_cols[0],
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
    free(rows);
    return PB_SUCCESS;
}

void mc_summary_free(mc_summary *s)
{
    free(s->labels);
    free(s->agg);
    s->labels = NULL;
    s->agg = NULL;
    s->n_variants = 0;
}
