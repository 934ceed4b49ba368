/* mc_h5.c: the Monte Carlo results file (mc_study.h, docs/MONTECARLO.md).  Rows
 * stream into extendible chunked datasets, one append and one H5Fflush per
 * chunk; the file lives at "path.part" until mc_file_finish computes the
 * aggregates from the rows and renames it.  (h5_write.h writes whole
 * datasets at once; appending and reopening for --resume need the HDF5 calls
 * below.) */
#define _POSIX_C_SOURCE 200809L
#include "mc_study.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <hdf5.h>

#include "h5_io.h"
#include "mlp_io.h"
#include "sim_units.h"

#define MC_DEFLATE    1    /* level 4 wrote bench/mc_quad.cfg's file 3 % smaller in 1.5x the time */
#define MC_READ_BLOCK 4096 /* rows per read in the aggregate passes */
#define MC_BINS       512  /* histogram bins per quantile target and pass */
#define MC_COLLECT    2048 /* a target's candidates are sorted once this few remain */

struct mc_file {
    char path[1024], part[1040];
    hid_t file, summary, x0, params, traces;
    hid_t row_type; /* compound of mc_row (memory = file layout) */
    hid_t dapl;     /* dataset access without a chunk cache (see file_new) */
    size_t nv, nx, np, traj, done;
    const sim_variant *variants;
    hid_t wide_type;      /* compound of wide_row: the file's /summary */
    struct wide_row *wide; /* [chunk * nv] the rows of one append */
    size_t wide_cap;
    char un_x[SIM_UNITS_MAX], un_u[SIM_UNITS_MAX]; /* units of norms over states, inputs */
    /* The per-property table /spec (only with a spec): n_props rows per
     * summary row, staged in spec_rows [chunk * nv * n_props] per append. */
    const spec *sp;
    size_t n_props;
    hid_t spec_ds, spec_type;
    mc_spec_row *spec_rows;
};

/* Format 3: variable-length UTF-8 string attributes, units and descriptions,
 * /policies, and the flat /summary (label, method, sparsity, pattern on
 * every row).  --resume refuses a partial file of another format. */
#define MC_FORMAT_VERSION 3

/* The layout of /summary (mc_study.h): written here, read by plot and by
 * the aggregate passes below. */
const h5_column mc_row_cols[] = {
    {"sample", H5W_I64, offsetof(mc_row, sample), 0, "1", "sample index (0-based, row of /samples/x0)"},
    {"variant", H5W_I64, offsetof(mc_row, variant), 0, "1", "variant index (0-based, row of /variants)"},
    {"outcome_orig", H5W_I64, offsetof(mc_row, outcome_orig), 0, "1", "original loop: 0 converged, 1 bounded, 2 diverged"},
    {"outcome_pruned", H5W_I64, offsetof(mc_row, outcome_pruned), 0, "1", "pruned loop: 0 converged, 1 bounded, 2 diverged"},
    {"still_converging_orig", H5W_I64, offsetof(mc_row, still_converging_orig), 0, "1", "1 when the bounded original loop was still converging"},
    {"still_converging_pruned", H5W_I64, offsetof(mc_row, still_converging_pruned), 0, "1", "1 when the bounded pruned loop was still converging"},
    {"diverged_step_orig", H5W_I64, offsetof(mc_row, diverged_step_orig), 0, "step", "control step where the original loop diverged (-1 if none)"},
    {"diverged_step_pruned", H5W_I64, offsetof(mc_row, diverged_step_pruned), 0, "step", "control step where the pruned loop diverged (-1 if none)"},
    {"rms_track_orig", H5W_F64, offsetof(mc_row, rms_track_orig), 0, "@state", "RMS tracking error of the original loop over the steps reached"},
    {"rms_track_pruned", H5W_F64, offsetof(mc_row, rms_track_pruned), 0, "@state", "RMS tracking error of the pruned loop over the steps reached"},
    {"tail_err_orig", H5W_F64, offsetof(mc_row, tail_err_orig), 0, "@state", "max tracking error of the original loop over the tail (NaN if diverged)"},
    {"tail_err_pruned", H5W_F64, offsetof(mc_row, tail_err_pruned), 0, "@state", "max tracking error of the pruned loop over the tail (NaN if diverged)"},
    {"max_traj_dev", H5W_F64, offsetof(mc_row, max_traj_dev), 0, "@state", "max over steps of ||x_orig - x_pruned||, Euclidean over the states"},
    {"max_dev_actual", H5W_F64, offsetof(mc_row, max_dev_actual), 0, "@input", "max of max_dev_actual over the samples"},
    {"max_dev_bound", H5W_F64, offsetof(mc_row, max_dev_bound), 0, "@input", "max of max_dev_bound over the samples"},
    {"max_dev_bound_closed", H5W_F64, offsetof(mc_row, max_dev_bound_closed), 0, "@input", "max of max_dev_bound_closed over the samples"},
    {"tightness", H5W_F64, offsetof(mc_row, tightness), 0, "1", "max over steps of dev_actual / dev_bound"},
    {"violations", H5W_I64, offsetof(mc_row, violations), 0, "1", "sum of violations over the samples"},
    {"certified", H5W_I64, offsetof(mc_row, certified), 0, "1", "1 when max_dev_bound <= bound_eps"},
    {"max_dev_bound_local", H5W_F64, offsetof(mc_row, max_dev_bound_local), 0, "@input", "max over steps of min(dev_bound_local, dev_bound) (NaN unless bounds.local)"},
    {"spec_robustness_orig", H5W_F64, offsetof(mc_row, spec_rob_orig), 0, "@state", "robustness of the spec over the original loop (NaN without a spec)"},
    {"spec_robustness_pruned", H5W_F64, offsetof(mc_row, spec_rob_pruned), 0, "@state", "robustness of the spec over the pruned loop (NaN without a spec)"},
    {"spec_satisfied_orig", H5W_I64, offsetof(mc_row, spec_sat_orig), 0, "1", "1 when spec_robustness_orig > 0, 0 if not, -1 without a spec"},
    {"spec_satisfied_pruned", H5W_I64, offsetof(mc_row, spec_sat_pruned), 0, "1", "1 when spec_robustness_pruned > 0, 0 if not, -1 without a spec"},
    {"max_traj_dev_bound", H5W_F64, offsetof(mc_row, max_traj_dev_bound), 0, "@state", "largest finite certified bound on ||x_orig - x_pruned|| (NaN without bounds.tube)"},
};
const size_t mc_row_n_cols = sizeof mc_row_cols / sizeof mc_row_cols[0];
const size_t mc_row_n_cols_base = 27; /* up to certified: every Monte Carlo file */

/* The layout of /spec (mc_study.h): written here, read by the per-property
 * aggregates below and by readers (tests, plot). */
const h5_column mc_spec_cols[] = {
    {"sample", H5W_I64, offsetof(mc_spec_row, sample), 0, "1", "sample index (0-based, row of /samples/x0)"},
    {"variant", H5W_I64, offsetof(mc_spec_row, variant), 0, "1", "variant index (0-based, row of /variants)"},
    {"property", H5W_STR, offsetof(mc_spec_row, property), SPEC_NAME_MAX, "", "the property's name in the config's spec"},
    {"robustness_orig", H5W_F64, offsetof(mc_spec_row, rob_orig), 0, "@state", "robustness of the property over the original loop (g's units for an expression)"},
    {"robustness_pruned", H5W_F64, offsetof(mc_spec_row, rob_pruned), 0, "@state", "robustness of the property over the pruned loop (g's units for an expression)"},
    {"satisfied_orig", H5W_I64, offsetof(mc_spec_row, sat_orig), 0, "1", "1 when robustness_orig > 0"},
    {"satisfied_pruned", H5W_I64, offsetof(mc_spec_row, sat_pruned), 0, "1", "1 when robustness_pruned > 0"},
};
const size_t mc_spec_n_cols = sizeof mc_spec_cols / sizeof mc_spec_cols[0];

#define SAGG(f) offsetof(mc_spec_agg_row, f)
const h5_column mc_spec_agg_cols[] = {
    {"label", H5W_STR, SAGG(label), SIM_LABEL_MAX, "", "variant label (row of /variants)"},
    {"property", H5W_STR, SAGG(property), SPEC_NAME_MAX, "", "the property's name in the config's spec"},
    {"n", H5W_I64, SAGG(n), 0, "1", "samples"},
    {"satisfied_orig", H5W_I64, SAGG(sat_orig), 0, "1", "samples whose original loop satisfies the property"},
    {"satisfied_pruned", H5W_I64, SAGG(sat_pruned), 0, "1", "samples whose pruned loop satisfies the property"},
    {"broken", H5W_I64, SAGG(broken), 0, "1", "samples broken by pruning (original satisfies, pruned violates)"},
    {"repaired", H5W_I64, SAGG(repaired), 0, "1", "samples repaired by pruning (original violates, pruned satisfies)"},
    {"rate_orig", H5W_F64, SAGG(rate_orig), 0, "1", "fraction of samples whose original loop satisfies the property"},
    {"rate_orig_lo", H5W_F64, SAGG(rate_orig_lo), 0, "1", "Wilson 95 % lower end of rate_orig"},
    {"rate_orig_hi", H5W_F64, SAGG(rate_orig_hi), 0, "1", "Wilson 95 % upper end of rate_orig"},
    {"rate_pruned", H5W_F64, SAGG(rate_pruned), 0, "1", "fraction of samples whose pruned loop satisfies the property"},
    {"rate_pruned_lo", H5W_F64, SAGG(rate_pruned_lo), 0, "1", "Wilson 95 % lower end of rate_pruned"},
    {"rate_pruned_hi", H5W_F64, SAGG(rate_pruned_hi), 0, "1", "Wilson 95 % upper end of rate_pruned"},
    {"broken_rate", H5W_F64, SAGG(broken_rate), 0, "1", "broken / n"},
    {"repaired_rate", H5W_F64, SAGG(repaired_rate), 0, "1", "repaired / n"},
};
#undef SAGG
const size_t mc_spec_agg_n_cols = sizeof mc_spec_agg_cols / sizeof mc_spec_agg_cols[0];

/* One row of /variants. */
typedef struct variant_row {
    char label[SIM_LABEL_MAX];
    char method[32];
    double sparsity;
    char pattern[16];
} variant_row;

static const h5_column variant_cols[] = {
    {"label", H5W_STR, offsetof(variant_row, label), SIM_LABEL_MAX, "", "variant label: method, sparsity or pattern, layers"},
    {"method", H5W_STR, offsetof(variant_row, method), 32, "", "pruning method"},
    {"sparsity", H5W_F64, offsetof(variant_row, sparsity), 0, "1", "fraction of weights removed"},
    {"pattern", H5W_STR, offsetof(variant_row, pattern), 16, "", "unstructured or N:M"},
};

/* One row of the file's /summary: the engine's row (mc_row, first, so that
 * mc_row_cols' offsets hold) and its variant's label, method, sparsity and
 * pattern, so that the table reads flat: pandas.DataFrame(f["summary"][:]). */
typedef struct wide_row {
    mc_row r;
    char label[SIM_LABEL_MAX];
    char method[32];
    double sparsity;
    char pattern[16];
} wide_row;

static const h5_column wide_extra_cols[] = {
    {"label", H5W_STR, offsetof(wide_row, label), SIM_LABEL_MAX, "", "variant label (row of /variants)"},
    {"method", H5W_STR, offsetof(wide_row, method), 32, "", "pruning method"},
    {"sparsity", H5W_F64, offsetof(wide_row, sparsity), 0, "1", "fraction of weights removed"},
    {"pattern", H5W_STR, offsetof(wide_row, pattern), 16, "", "unstructured or N:M"},
};
#define MC_WIDE_EXTRA (sizeof wide_extra_cols / sizeof wide_extra_cols[0])
#define MC_MAX_COLS   64

/* The columns of the file's /summary (mc_row_cols, then wide_extra_cols)
 * with the units of f's plant into out; their number. */
static size_t wide_cols(const mc_file *f, h5_column out[MC_MAX_COLS])
{
    h5_columns_bind_units(mc_row_cols, mc_row_n_cols, f->un_x, f->un_u, out);
    for (size_t i = 0; i < MC_WIDE_EXTRA; i++)
        out[mc_row_n_cols + i] = wide_extra_cols[i];
    return mc_row_n_cols + MC_WIDE_EXTRA;
}

typedef mc_agg_row agg_row;

#define AGG(f)     offsetof(agg_row, a) + offsetof(mc_aggregate, f)
#define AGGQ(f, i) AGG(f) + (i) * sizeof(double)
const h5_column mc_agg_cols[] = {
    {"label", H5W_STR, offsetof(agg_row, label), SIM_LABEL_MAX, "", "variant label: method, sparsity or pattern, layers"},
    {"n", H5W_I64, AGG(n), 0, "1", "samples"},
    {"converged_orig", H5W_I64, AGG(converged_orig), 0, "1", "samples whose original loop converged"},
    {"bounded_orig", H5W_I64, AGG(bounded_orig), 0, "1", "samples whose original loop stayed bounded"},
    {"diverged_orig", H5W_I64, AGG(diverged_orig), 0, "1", "samples whose original loop diverged"},
    {"converged_pruned", H5W_I64, AGG(converged_pruned), 0, "1", "samples whose pruned loop converged"},
    {"bounded_pruned", H5W_I64, AGG(bounded_pruned), 0, "1", "samples whose pruned loop stayed bounded"},
    {"diverged_pruned", H5W_I64, AGG(diverged_pruned), 0, "1", "samples whose pruned loop diverged"},
    {"still_converging_orig", H5W_I64, AGG(still_converging_orig), 0, "1", "1 when the bounded original loop was still converging"},
    {"still_converging_pruned", H5W_I64, AGG(still_converging_pruned), 0, "1", "1 when the bounded pruned loop was still converging"},
    {"rate_orig", H5W_F64, AGG(rate_orig), 0, "1", "converged fraction of the original loop"},
    {"rate_orig_lo", H5W_F64, AGG(rate_orig_lo), 0, "1", "Wilson 95 % lower end of rate_orig"},
    {"rate_orig_hi", H5W_F64, AGG(rate_orig_hi), 0, "1", "Wilson 95 % upper end of rate_orig"},
    {"rate_pruned", H5W_F64, AGG(rate_pruned), 0, "1", "converged fraction of the pruned loop"},
    {"rate_pruned_lo", H5W_F64, AGG(rate_pruned_lo), 0, "1", "Wilson 95 % lower end of rate_pruned"},
    {"rate_pruned_hi", H5W_F64, AGG(rate_pruned_hi), 0, "1", "Wilson 95 % upper end of rate_pruned"},
    {"rms_orig_q05", H5W_F64, AGGQ(rms_orig_q, 0), 0, "@state", "quantile 0.05 of the finite rms_track_orig"},
    {"rms_orig_q25", H5W_F64, AGGQ(rms_orig_q, 1), 0, "@state", "quantile 0.25 of the finite rms_track_orig"},
    {"rms_orig_q50", H5W_F64, AGGQ(rms_orig_q, 2), 0, "@state", "quantile 0.50 of the finite rms_track_orig"},
    {"rms_orig_q75", H5W_F64, AGGQ(rms_orig_q, 3), 0, "@state", "quantile 0.75 of the finite rms_track_orig"},
    {"rms_orig_q95", H5W_F64, AGGQ(rms_orig_q, 4), 0, "@state", "quantile 0.95 of the finite rms_track_orig"},
    {"rms_pruned_q05", H5W_F64, AGGQ(rms_pruned_q, 0), 0, "@state", "quantile 0.05 of the finite rms_track_pruned"},
    {"rms_pruned_q25", H5W_F64, AGGQ(rms_pruned_q, 1), 0, "@state", "quantile 0.25 of the finite rms_track_pruned"},
    {"rms_pruned_q50", H5W_F64, AGGQ(rms_pruned_q, 2), 0, "@state", "quantile 0.50 of the finite rms_track_pruned"},
    {"rms_pruned_q75", H5W_F64, AGGQ(rms_pruned_q, 3), 0, "@state", "quantile 0.75 of the finite rms_track_pruned"},
    {"rms_pruned_q95", H5W_F64, AGGQ(rms_pruned_q, 4), 0, "@state", "quantile 0.95 of the finite rms_track_pruned"},
    {"max_dev_actual", H5W_F64, AGG(max_dev_actual), 0, "@input", "max of max_dev_actual over the samples"},
    {"max_dev_bound", H5W_F64, AGG(max_dev_bound), 0, "@input", "max of max_dev_bound over the samples"},
    {"max_dev_bound_closed", H5W_F64, AGG(max_dev_bound_closed), 0, "@input", "max of max_dev_bound_closed over the samples"},
    {"max_tightness", H5W_F64, AGG(max_tightness), 0, "1", "max of tightness over the samples"},
    {"violations", H5W_I64, AGG(violations), 0, "1", "sum of violations over the samples"},
    {"certified_fraction", H5W_F64, AGG(certified_fraction), 0, "1", "fraction of samples with max_dev_bound <= bound_eps"},
    {"spec_satisfied_orig", H5W_I64, AGG(spec_sat_orig), 0, "1", "samples whose original loop satisfies the spec"},
    {"spec_satisfied_pruned", H5W_I64, AGG(spec_sat_pruned), 0, "1", "samples whose pruned loop satisfies the spec"},
    {"spec_broken", H5W_I64, AGG(spec_broken), 0, "1", "samples broken by pruning (original satisfies, pruned violates)"},
    {"spec_repaired", H5W_I64, AGG(spec_repaired), 0, "1", "samples repaired by pruning (original violates, pruned satisfies)"},
    {"spec_rate_orig", H5W_F64, AGG(spec_rate_orig), 0, "1", "fraction of samples whose original loop satisfies the spec"},
    {"spec_rate_orig_lo", H5W_F64, AGG(spec_rate_orig_lo), 0, "1", "Wilson 95 % lower end of spec_rate_orig"},
    {"spec_rate_orig_hi", H5W_F64, AGG(spec_rate_orig_hi), 0, "1", "Wilson 95 % upper end of spec_rate_orig"},
    {"spec_rate_pruned", H5W_F64, AGG(spec_rate_pruned), 0, "1", "fraction of samples whose pruned loop satisfies the spec"},
    {"spec_rate_pruned_lo", H5W_F64, AGG(spec_rate_pruned_lo), 0, "1", "Wilson 95 % lower end of spec_rate_pruned"},
    {"spec_rate_pruned_hi", H5W_F64, AGG(spec_rate_pruned_hi), 0, "1", "Wilson 95 % upper end of spec_rate_pruned"},
    {"spec_broken_rate", H5W_F64, AGG(spec_broken_rate), 0, "1", "spec_broken / n"},
    {"spec_repaired_rate", H5W_F64, AGG(spec_repaired_rate), 0, "1", "spec_repaired / n"},
};
const size_t mc_agg_n_cols = sizeof mc_agg_cols / sizeof mc_agg_cols[0];
const size_t mc_agg_n_cols_base = 32; /* label .. certified_fraction: every Monte Carlo file */

/* ---- Small HDF5 helpers ---- */

/* The compound type of a table (memory = file layout: native types). */
static hid_t compound_make(const h5_column *cols, size_t n, size_t size)
{
    return h5_table_type(cols, n, size);
}

/* A compound dataset of n rows of type t from rows, in one checksummed,
 * compressed chunk (replacing an existing one). */
static int table_write(hid_t loc, const char *name, hid_t t, size_t n, const void *rows)
{
    hsize_t d[1] = {n}, ch[1] = {n ? n : 1};
    hid_t sp = H5Screate_simple(1, d, NULL), dcpl = h5_dcpl_create(1, ch, MC_DEFLATE), ds = -1;
    int ok = 0;

    if (sp >= 0 && dcpl >= 0) {
        if (H5Lexists(loc, name, H5P_DEFAULT) > 0)
            H5Ldelete(loc, name, H5P_DEFAULT);
        ds = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        ok = ds >= 0 && (n == 0 || H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) >= 0);
    }
    if (ds >= 0)
        H5Dclose(ds);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (sp >= 0)
        H5Sclose(sp);
    return ok ? 0 : -1;
}

/* A string attribute, fixed-length UTF-8 (h5_attr_put_str). */
static int attr_str(hid_t obj, const char *name, const char *s)
{
    return h5_attr_put_str(obj, ".", name, s) == PB_SUCCESS ? 0 : -1;
}

/* A vector of n strings, fixed-length UTF-8. */
static int attr_strv(hid_t obj, const char *name, size_t n, const char *const s[])
{
    return n == 0 || h5_attr_put_strv(obj, ".", name, n, s) == PB_SUCCESS ? 0 : -1;
}

/* The units (one string, or one per column) and description of a dataset. */
static int describe(hid_t ds, size_t n_units, const char *const units[], const char *description)
{
    return (n_units == 1 ? attr_str(ds, "units", units[0]) : attr_strv(ds, "units", n_units, units)) |
           attr_str(ds, "description", description);
}

static int attr_num(hid_t obj, const char *name, hid_t type, const void *v)
{
    hid_t sp = H5Screate(H5S_SCALAR), a;
    int ok;
    if (H5Aexists(obj, name) > 0) {
        a = H5Aopen(obj, name, H5P_DEFAULT);
    } else {
        a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    }
    ok = a >= 0 && H5Awrite(a, type, v) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    return ok ? 0 : -1;
}

static int attr_ll(hid_t obj, const char *name, long long v)
{
    return attr_num(obj, name, H5T_NATIVE_LLONG, &v);
}

static int attr_f64(hid_t obj, const char *name, double v)
{
    return attr_num(obj, name, H5T_NATIVE_DOUBLE, &v);
}

static int attr_read_ll(hid_t obj, const char *name, long long *v)
{
    hid_t a = H5Aexists(obj, name) > 0 ? H5Aopen(obj, name, H5P_DEFAULT) : -1;
    int ok = a >= 0 && H5Aread(a, H5T_NATIVE_LLONG, v) >= 0;
    if (a >= 0)
        H5Aclose(a);
    return ok ? 0 : -1;
}

/* A string attribute, malloc'd (NULL when missing or unreadable): fixed
 * length (format 2) or variable length (format 3), read in its own
 * character set. */
static char *attr_read_str(hid_t obj, const char *name)
{
    hid_t a = H5Aexists(obj, name) > 0 ? H5Aopen(obj, name, H5P_DEFAULT) : -1, t, mt = -1, sp;
    char *s = NULL;
    size_t n;
    if (a < 0)
        return NULL;
    t = H5Aget_type(a);
    sp = H5Aget_space(a);
    if (t >= 0 && sp >= 0 && H5Tget_class(t) == H5T_STRING &&
        H5Sget_simple_extent_npoints(sp) == 1) {
        if (!H5Tis_variable_str(t)) {
            n = H5Tget_size(t);
            s = calloc(n + 1, 1);
            if (s && H5Aread(a, t, s) < 0) {
                free(s);
                s = NULL;
            }
        } else if ((mt = H5Tcopy(H5T_C_S1)) >= 0 && H5Tset_size(mt, H5T_VARIABLE) >= 0 &&
                   H5Tset_cset(mt, H5Tget_cset(t)) >= 0) {
            char *v = NULL;
            if (H5Aread(a, mt, &v) >= 0 && v)
                s = strdup(v);
            if (v)
                H5free_memory(v);
        }
    }
    if (mt >= 0)
        H5Tclose(mt);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    return s;
}

/* An extendible dataset of `type` with dims [0, tail...] and chunk
 * [chunk_rows, tail...], deflate-compressed and checksummed. */
static hid_t ds_create(hid_t loc, const char *name, hid_t type, size_t rank, const size_t tail[],
                       size_t chunk_rows, hid_t dapl)
{
    hsize_t dims[4] = {0}, maxd[4] = {H5S_UNLIMITED}, ch[4] = {chunk_rows};
    hid_t sp, dcpl, ds;
    for (size_t i = 1; i < rank; i++)
        dims[i] = maxd[i] = ch[i] = tail[i - 1];
    sp = H5Screate_simple((int)rank, dims, maxd);
    dcpl = h5_dcpl_create((int)rank, ch, MC_DEFLATE);
    ds = sp >= 0 && dcpl >= 0 ? H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, dapl) : -1;
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (sp >= 0)
        H5Sclose(sp);
    return ds;
}

/* Sets dimension 0 of ds to rows (other dimensions kept). */
static int ds_resize(hid_t ds, size_t rows)
{
    hid_t sp = H5Dget_space(ds);
    hsize_t dims[4];
    int r = H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    if (r < 1)
        return -1;
    dims[0] = rows;
    return H5Dset_extent(ds, dims) < 0 ? -1 : 0;
}

/* Appends rows [at, at + n) of `type` from data (row-major). */
static int ds_append(hid_t ds, hid_t type, size_t at, size_t n, const void *data)
{
    hid_t fs, ms;
    hsize_t dims[4], start[4] = {at}, count[4];
    int rank, ok;

    if (n == 0)
        return 0;
    if (ds_resize(ds, at + n))
        return -1;
    fs = H5Dget_space(ds);
    rank = H5Sget_simple_extent_dims(fs, dims, NULL);
    count[0] = n;
    for (int i = 1; i < rank; i++) {
        start[i] = 0;
        count[i] = dims[i];
    }
    ms = H5Screate_simple(rank, count, NULL);
    ok = H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
         H5Dwrite(ds, type, ms, fs, H5P_DEFAULT, data) >= 0;
    H5Sclose(ms);
    H5Sclose(fs);
    return ok ? 0 : -1;
}

static int ds_read_rows(hid_t ds, hid_t type, size_t at, size_t n, void *data)
{
    hid_t fs = H5Dget_space(ds), ms;
    hsize_t start[1] = {at}, count[1] = {n};
    int ok;
    ms = H5Screate_simple(1, count, NULL);
    ok = H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
         h5_dread(ds, type, ms, fs, data) >= 0;
    H5Sclose(ms);
    H5Sclose(fs);
    return ok ? 0 : -1;
}

static void file_free(mc_file *f)
{
    if (!f)
        return;
    if (f->traces >= 0)
        H5Dclose(f->traces);
    if (f->params >= 0)
        H5Dclose(f->params);
    if (f->x0 >= 0)
        H5Dclose(f->x0);
    if (f->summary >= 0)
        H5Dclose(f->summary);
    if (f->spec_ds >= 0)
        H5Dclose(f->spec_ds);
    if (f->spec_type >= 0)
        H5Tclose(f->spec_type);
    free(f->spec_rows);
    if (f->row_type >= 0)
        H5Tclose(f->row_type);
    if (f->wide_type >= 0)
        H5Tclose(f->wide_type);
    free(f->wide);
    if (f->dapl >= 0)
        H5Pclose(f->dapl);
    if (f->file >= 0)
        H5Fclose(f->file);
    free(f);
}

static mc_file *file_new(const char *path, const mc_study *s, const mc_header *h, pb_error *err)
{
    mc_file *f = calloc(1, sizeof *f);
    if (!f)
        return pb_error_set(err, PB_ENOMEM, "out of memory"), NULL;
    f->file = f->summary = f->x0 = f->params = f->traces = f->row_type = f->dapl = -1;
    f->wide_type = f->spec_ds = f->spec_type = -1;
    if (strlen(path) >= sizeof f->path) {
        free(f);
        return pb_error_set(err, PB_EINVAL, "%s: path too long", path), NULL;
    }
    snprintf(f->path, sizeof f->path, "%s", path);
    snprintf(f->part, sizeof f->part, "%s.part", path);
    f->nv = h->n_variants;
    f->nx = h->nx;
    f->np = s->opts->n_params;
    f->traj = mc_traj_size(s);
    f->variants = h->variants;
    f->row_type = compound_make(mc_row_cols, mc_row_n_cols, sizeof(mc_row));
    {
        const plant_type *pt = s->model->plant->type;
        h5_column cols[MC_MAX_COLS];
        sim_units_norm(pt->states, pt->nx, f->un_x, sizeof f->un_x);
        sim_units_norm(pt->inputs, pt->nu, f->un_u, sizeof f->un_u);
        if (mc_row_n_cols + MC_WIDE_EXTRA <= MC_MAX_COLS)
            f->wide_type = compound_make(cols, wide_cols(f, cols), sizeof(wide_row));
    }
    f->wide_cap = s->opts->chunk * f->nv;
    f->wide = calloc(f->wide_cap + 1, sizeof *f->wide);
    if (s->spec && s->spec->n > 0) {
        h5_column cols[MC_MAX_COLS];
        f->sp = s->spec;
        f->n_props = s->spec->n;
        h5_columns_bind_units(mc_spec_cols, mc_spec_n_cols, f->un_x, f->un_u, cols);
        f->spec_type = compound_make(cols, mc_spec_n_cols, sizeof(mc_spec_row));
        f->spec_rows = calloc(f->wide_cap * f->n_props + 1, sizeof *f->spec_rows);
    }
    if (f->row_type < 0 || f->wide_type < 0 || !f->wide ||
        (f->n_props && (f->spec_type < 0 || !f->spec_rows))) {
        file_free(f);
        return pb_error_set(err, PB_ENOMEM, "%s: cannot set up the summary rows", path), NULL;
    }
    /* Rows are appended in whole chunks and never read back while writing:
     * a chunk cache (1 MiB per dataset by default) would only hold memory
     * that grows with the first chunks written (bench_mc_memory). */
    f->dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (f->dapl >= 0)
        H5Pset_chunk_cache(f->dapl, 0, 0, 1.0);
    return f;
}

/* ---- Creating ---- */

static const char *sampler_name(mc_sampler_kind k)
{
    return k == MC_SAMPLER_BOX ? "box" : k == MC_SAMPLER_GAUSSIAN ? "gaussian" : "grid";
}

/* /plant's equation, states and inputs: names and units as vectors of
 * strings, and comma-joined as in run files (states, inputs). */
static int write_plant_vars(hid_t g, const plant_type *t)
{
    const char *names[PLANT_NX_MAX], *units[PLANT_NX_MAX];
    char joined[1024];
    int bad = attr_str(g, "equation", t->equation ? t->equation : "");

    for (int pass = 0; pass < 2; pass++) {
        const plant_var *v = pass ? t->inputs : t->states;
        size_t n = pass ? t->nu : t->nx;
        if (n > PLANT_NX_MAX)
            return -1;
        joined[0] = '\0';
        for (size_t i = 0; i < n; i++) {
            size_t used = strlen(joined);
            names[i] = v[i].name;
            units[i] = v[i].unit ? v[i].unit : "";
            snprintf(joined + used, sizeof joined - used, "%s%s", i ? "," : "", v[i].name);
        }
        bad |= attr_str(g, pass ? "inputs" : "states", joined);
        bad |= attr_strv(g, pass ? "input_names" : "state_names", n, names);
        bad |= attr_strv(g, pass ? "input_units" : "state_units", n, units);
    }
    return bad;
}

/* The integrator's settings, as run files record them. */
static int write_integrator(hid_t g, const plant_integrator *in)
{
    return attr_str(g, "integrator", in->method) | attr_f64(g, "epsabs", in->epsabs) |
           attr_f64(g, "epsrel", in->epsrel) | attr_f64(g, "h0", in->h0) |
           attr_ll(g, "substeps", (long long)in->substeps) |
           attr_ll(g, "max_steps", (long long)in->max_steps);
}

/* /policies/original and /policies/<label>: each policy in the layout of a
 * policy file (mlp_write_h5_group), with attribute sha256, the SHA-256 of
 * the policy file prunebound writes for it (mlp_sha256). */
static int write_policies(hid_t root, const sim_model *m, const mc_header *h)
{
    hid_t top = H5Gcreate2(root, "policies", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int bad = top < 0;

    for (size_t v = 0; !bad && v <= h->n_variants; v++) {
        const mlp *net = v ? h->variants[v - 1].net : m->orig;
        const char *name = v ? h->variants[v - 1].label : "original";
        char hex[65];
        hid_t g;
        if (!net)
            continue;
        g = H5Gcreate2(top, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        bad = g < 0 || mlp_write_h5_group(net, g, NULL) != PB_SUCCESS ||
              mlp_sha256(net, hex, NULL) != PB_SUCCESS || attr_str(g, "sha256", hex);
        if (g >= 0)
            H5Gclose(g);
    }
    if (top >= 0)
        H5Gclose(top);
    return bad ? -1 : 0;
}

static int write_header(mc_file *f, const mc_study *s, const mc_header *h)
{
    const mc_options *o = s->opts;
    hid_t root = f->file, g;
    char buf[64];
    time_t now = time(NULL);
    struct tm tm;
    variant_row *vr;
    int bad = 0;

    gmtime_r(&now, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    bad |= attr_str(root, "format", "prunebound-montecarlo");
    bad |= attr_ll(root, "format_version", MC_FORMAT_VERSION);
    bad |= attr_str(root, "tool", "prunebound");
    bad |= attr_str(root, "tool_version", PB_VERSION);
    bad |= attr_str(root, "config", h->config_text ? h->config_text : "");
    bad |= attr_str(root, "config_file", h->config_file ? h->config_file : "");
    bad |= attr_str(root, "created", buf);
    bad |= attr_ll(root, "seed", (long long)o->seed);
    bad |= attr_str(root, "seeding",
                    "sample i: gsl_rng_mt19937 seeded with "
                    "splitmix64(seed ^ splitmix64(i + 1))");
    bad |= attr_ll(root, "samples", (long long)o->samples);
    bad |= attr_ll(root, "chunk", (long long)o->chunk);
    bad |= attr_ll(root, "samples_done", 0);
    bad |= attr_ll(root, "complete", 0);
    bad |= attr_ll(root, "n_variants", (long long)h->n_variants);
    bad |= attr_str(root, "sampler", sampler_name(o->sampler.kind));
    bad |= attr_f64(root, "bound_eps", o->eps);
    bad |= attr_f64(root, "criterion_tol", s->model->crit.tol);
    bad |= attr_f64(root, "criterion_tail", s->model->crit.tail);
    bad |= attr_f64(root, "criterion_radius", s->model->crit.radius);
    bad |= attr_f64(root, "horizon", h->horizon);
    bad |= attr_ll(root, "bound_at_orig", s->model->dev_at_orig);
    bad |= attr_f64(root, "input_noise", o->input_noise);
    bad |= attr_f64(root, "measurement_noise", o->meas_noise);
    bad |= attr_str(root, "outcomes", "0 converged, 1 bounded, 2 diverged");
    g = H5Gcreate2(root, "plant", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    bad |= attr_str(g, "name", h->plant_name);
    bad |= attr_ll(g, "nx", (long long)h->nx);
    bad |= attr_ll(g, "nu", (long long)h->nu);
    bad |= attr_f64(g, "period", h->period);
    bad |= attr_f64(g, "horizon", h->horizon);
    bad |= attr_ll(g, "n_steps", (long long)h->n_steps);
    for (size_t i = 0; i < s->model->plant->type->np; i++)
        bad |= attr_f64(g, s->model->plant->type->params[i].name, s->model->plant->p[i]);
    bad |= write_plant_vars(g, s->model->plant->type);
    bad |= write_integrator(g, &s->model->integ);
    H5Gclose(g);
    bad |= write_policies(root, s->model, h);
    /* /variants */
    vr = calloc(h->n_variants + 1, sizeof *vr);
    if (!vr)
        return -1;
    for (size_t v = 0; v < h->n_variants; v++) {
        snprintf(vr[v].label, sizeof vr[v].label, "%s", h->variants[v].label);
        snprintf(vr[v].method, sizeof vr[v].method, "%s", h->variants[v].method);
        snprintf(vr[v].pattern, sizeof vr[v].pattern, "%s", h->variants[v].pattern);
        vr[v].sparsity = h->variants[v].sparsity;
    }
    {
        hid_t t = compound_make(variant_cols, 4, sizeof(variant_row));
        bad |= t < 0 || table_write(root, "variants", t, h->n_variants, vr);
        bad |= h5_table_put_meta(root, "variants", variant_cols, 4) != PB_SUCCESS;
        if (!bad) {
            hid_t ds = H5Dopen2(root, "variants", H5P_DEFAULT);
            bad |= ds < 0 || describe(ds, 0, NULL, "one row per pruned variant");
            if (ds >= 0)
                H5Dclose(ds);
        }
        if (t >= 0)
            H5Tclose(t);
    }
    free(vr);
    return bad ? -1 : 0;
}

static int file_create_body(const char *path, const mc_study *s, const mc_header *h, mc_file **out,
                   pb_error *err)
{
    const mc_options *o = s->opts;
    size_t rows = o->chunk * h->n_variants, tail[3];
    mc_file *f;
    hid_t g;

    *out = NULL;
    if (!(f = file_new(path, s, h, err)))
        return err ? err->code : PB_ENOMEM;
    f->file = h5_create(f->part, err);
    if (f->file < 0) {
        file_free(f);
        return PB_EIO;
    }
    if (write_header(f, s, h))
        goto io;
    f->summary =
        ds_create(f->file, "summary", f->wide_type, 1, NULL, rows > 16384 ? 16384 : rows, f->dapl);
    g = H5Gcreate2(f->file, "samples", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (f->summary < 0 || g < 0)
        goto io;
    {
        h5_column cols[MC_MAX_COLS];
        if (h5_table_put_meta(f->file, "summary", cols, wide_cols(f, cols)) ||
            describe(f->summary, 0, NULL,
                     "one row per (sample, variant); column units and descriptions in the "
                     "attributes units and descriptions"))
            goto close_g;
    }
    if (f->n_props) {
        h5_column cols[MC_MAX_COLS];
        size_t srows = rows * f->n_props;
        f->spec_ds = ds_create(f->file, "spec", f->spec_type, 1, NULL,
                               srows > 16384 ? 16384 : srows, f->dapl);
        h5_columns_bind_units(mc_spec_cols, mc_spec_n_cols, f->un_x, f->un_u, cols);
        if (f->spec_ds < 0 || h5_table_put_meta(f->file, "spec", cols, mc_spec_n_cols) ||
            describe(f->spec_ds, 0, NULL,
                     "one row per (sample, variant, property), sample-major as /summary, "
                     "properties in the config's order; column units and descriptions in the "
                     "attributes units and descriptions"))
            goto close_g;
    }
    tail[0] = f->nx;
    f->x0 =
        ds_create(g, "x0", H5T_NATIVE_DOUBLE, 2, tail, o->chunk > 4096 ? 4096 : o->chunk, f->dapl);
    {
        const plant_type *pt = s->model->plant->type;
        const char *names[PLANT_NX_MAX], *units[PLANT_NX_MAX];
        for (size_t j = 0; j < pt->nx && j < PLANT_NX_MAX; j++) {
            names[j] = pt->states[j].name;
            units[j] = pt->states[j].unit ? pt->states[j].unit : "";
        }
        if (f->x0 < 0 || pt->nx > PLANT_NX_MAX || attr_strv(f->x0, "columns", pt->nx, names) ||
            describe(f->x0, pt->nx, units, "initial state of each sample [sample, state]"))
            goto close_g;
    }
    if (f->np) {
        char names[512] = "";
        tail[0] = f->np;
        f->params = ds_create(g, "params", H5T_NATIVE_DOUBLE, 2, tail,
                              o->chunk > 4096 ? 4096 : o->chunk, f->dapl);
        for (size_t j = 0; j < f->np; j++) {
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s%s", j ? "," : "", o->params[j].name);
        }
        if (f->params < 0 || attr_str(f->params, "names", names))
            goto close_g;
        {
            const plant_type *pt = s->model->plant->type;
            const char *pn[PLANT_NP_MAX], *pu[PLANT_NP_MAX];
            if (f->np > PLANT_NP_MAX)
                goto close_g;
            for (size_t j = 0; j < f->np; j++) {
                int k = plant_param_index(pt, o->params[j].name);
                pn[j] = o->params[j].name;
                pu[j] = k >= 0 && pt->params[k].unit ? pt->params[k].unit : "";
            }
            if (attr_strv(f->params, "columns", f->np, pn) ||
                describe(f->params, f->np, pu, "plant parameters of each sample [sample, parameter]"))
                goto close_g;
        }
    }
    if (f->traj) {
        tail[0] = 1 + f->nv;
        tail[1] = h->n_steps + 1;
        tail[2] = f->nx;
        f->traces = ds_create(f->file, "traces", H5T_NATIVE_DOUBLE, 4, tail, 1, f->dapl);
        if (f->traces < 0 || attr_str(f->traces, "layout",
                                      "[sample, loop (0 original, 1 + v variant v), step, state]"))
            goto close_g;
        {
            const plant_type *pt = s->model->plant->type;
            const char *units[PLANT_NX_MAX];
            for (size_t j = 0; j < pt->nx && j < PLANT_NX_MAX; j++)
                units[j] = pt->states[j].unit ? pt->states[j].unit : "";
            if (describe(f->traces, pt->nx, units,
                         "state trajectories [sample, loop, step, state]"))
                goto close_g;
        }
    }
    H5Gclose(g);
    if (f->x0 < 0 || H5Fflush(f->file, H5F_SCOPE_GLOBAL) < 0)
        goto io;
    *out = f;
    return PB_SUCCESS;
close_g:
    H5Gclose(g);
io:
    file_free(f);
    return pb_error_set(err, PB_EIO, "%s.part: cannot create the results file", path);
}

/* ---- Resuming ---- */

static int file_resume_body(const char *path, const mc_study *s, const mc_header *h, mc_file **out,
                   size_t *done, pb_error *err)
{
    const mc_options *o = s->opts;
    struct stat st;
    long long samples = -1, chunk = -1, nv = -1, sdone = -1;
    char *text = NULL;
    mc_file *f;
    int rc = PB_EINVAL;

    *out = NULL;
    *done = 0;
    if (!(f = file_new(path, s, h, err)))
        return err ? err->code : PB_ENOMEM;
    if (stat(f->part, &st) != 0) {
        rc = stat(path, &st) == 0
                 ? pb_error_set(err, PB_EIO, "%s: no partial file %s to resume (%s is complete)",
                                path, f->part, path)
                 : pb_error_set(err, PB_EIO, "%s: no partial file to resume", f->part);
        goto fail;
    }
    f->file = h5_open(f->part, H5F_ACC_RDWR, err);
    if (f->file < 0) {
        rc = err ? err->code : PB_EIO;
        goto fail;
    }
    {
        long long version = -1;
        if (attr_read_ll(f->file, "format_version", &version) || version != MC_FORMAT_VERSION) {
            rc = pb_error_set(err, PB_EFORMAT,
                              "%s: written by another prunebound (format_version %lld, this one "
                              "writes %d); refusing to resume it: delete it and start again",
                              f->part, version, MC_FORMAT_VERSION);
            goto fail;
        }
    }
    text = attr_read_str(f->file, "config");
    if (!text || attr_read_ll(f->file, "samples", &samples) ||
        attr_read_ll(f->file, "chunk", &chunk) || attr_read_ll(f->file, "n_variants", &nv) ||
        attr_read_ll(f->file, "samples_done", &sdone)) {
        rc = pb_error_set(err, PB_EFORMAT, "%s: not a prunebound Monte Carlo file", f->part);
        goto fail;
    }
    if (strcmp(text, h->config_text ? h->config_text : "") != 0) {
        pb_error_set(err, PB_EINVAL,
                     "%s was written from a different config (or --set overrides); refusing to "
                     "resume it: delete it or run with the same config",
                     f->part);
        goto fail;
    }
    if (samples != (long long)o->samples || chunk != (long long)o->chunk ||
        nv != (long long)h->n_variants) {
        pb_error_set(err, PB_EINVAL,
                     "%s holds a study of %lld samples in chunks of %lld with %lld variants, "
                     "not %zu, %zu, %zu; refusing to resume it",
                     f->part, samples, chunk, nv, o->samples, o->chunk, h->n_variants);
        goto fail;
    }
    f->summary = H5Dopen2(f->file, "summary", f->dapl);
    f->x0 = H5Dopen2(f->file, "samples/x0", f->dapl);
    if (f->np)
        f->params = H5Dopen2(f->file, "samples/params", f->dapl);
    if (f->traj)
        f->traces = H5Dopen2(f->file, "traces", f->dapl);
    if (f->n_props)
        f->spec_ds = H5Dopen2(f->file, "spec", f->dapl);
    if ((f->n_props && f->spec_ds < 0) || f->summary < 0 || f->x0 < 0 || (f->np && f->params < 0) || (f->traj && f->traces < 0) ||
        sdone < 0 || sdone > samples) {
        rc = pb_error_set(err, PB_EFORMAT, "%s: datasets missing or inconsistent", f->part);
        goto fail;
    }
    /* Rows of a chunk that was being written when the study stopped are dropped. */
    f->done = (size_t)sdone;
    if (ds_resize(f->summary, f->done * f->nv) || ds_resize(f->x0, f->done) ||
        (f->np && ds_resize(f->params, f->done)) || (f->traj && ds_resize(f->traces, f->done)) ||
        (f->n_props && ds_resize(f->spec_ds, f->done * f->nv * f->n_props))) {
        rc = pb_error_set(err, PB_EIO, "%s: cannot truncate to %zu samples", f->part, f->done);
        goto fail;
    }
    free(text);
    *done = f->done;
    *out = f;
    return PB_SUCCESS;
fail:
    free(text);
    file_free(f);
    return rc;
}

/* ---- Appending ---- */

static int file_append_body(mc_file *f, size_t count, const mc_row rows[], const double x0s[],
                   const double ps[], const double trajs[], pb_error *err)
{
    if (count * f->nv > f->wide_cap)
        return pb_error_set(err, PB_EINVAL, "%s: %zu samples exceed the chunk", f->part, count);
    for (size_t i = 0; i < count * f->nv; i++) {
        wide_row *w = &f->wide[i];
        const sim_variant *v = &f->variants[(size_t)rows[i].variant % f->nv];
        w->r = rows[i];
        snprintf(w->label, sizeof w->label, "%s", v->label);
        snprintf(w->method, sizeof w->method, "%s", v->method);
        snprintf(w->pattern, sizeof w->pattern, "%s", v->pattern);
        w->sparsity = v->sparsity;
        for (size_t q = 0; q < f->n_props; q++) {
            mc_spec_row *sr = &f->spec_rows[i * f->n_props + q];
            sr->sample = rows[i].sample;
            sr->variant = rows[i].variant;
            snprintf(sr->property, sizeof sr->property, "%s", f->sp->props[q].name);
            sr->rob_orig = rows[i].spec_prop_orig[q];
            sr->rob_pruned = rows[i].spec_prop_pruned[q];
            sr->sat_orig = spec_is_satisfied(sr->rob_orig);
            sr->sat_pruned = spec_is_satisfied(sr->rob_pruned);
        }
    }
    if ((f->n_props && ds_append(f->spec_ds, f->spec_type, f->done * f->nv * f->n_props,
                                 count * f->nv * f->n_props, f->spec_rows)) ||
        ds_append(f->summary, f->wide_type, f->done * f->nv, count * f->nv, f->wide) ||
        ds_append(f->x0, H5T_NATIVE_DOUBLE, f->done, count, x0s) ||
        (f->np && ds_append(f->params, H5T_NATIVE_DOUBLE, f->done, count, ps)) ||
        (f->traj && ds_append(f->traces, H5T_NATIVE_DOUBLE, f->done, count, trajs)))
        return pb_error_set(err, PB_EIO, "%s: cannot append %zu samples", f->part, count);
    /* The rows reach the disk before samples_done counts them: a kill
     * between the two flushes leaves a file whose samples_done is the old
     * one and whose extra rows --resume drops. */
    if (H5Fflush(f->file, H5F_SCOPE_GLOBAL) < 0)
        return pb_error_set(err, PB_EIO, "%s: cannot flush", f->part);
    f->done += count;
    if (attr_ll(f->file, "samples_done", (long long)f->done) ||
        H5Fflush(f->file, H5F_SCOPE_GLOBAL) < 0)
        return pb_error_set(err, PB_EIO, "%s: cannot flush", f->part);
    return PB_SUCCESS;
}

size_t mc_file_samples_done(const mc_file *f)
{
    return f->done;
}

const char *mc_file_part_path(const mc_file *f)
{
    return f->part;
}

hid_t mc_file_hid(const mc_file *f)
{
    return f->file;
}

static void file_close_body(mc_file *f)
{
    if (f && f->file >= 0)
        H5Fflush(f->file, H5F_SCOPE_GLOBAL);
    file_free(f);
}

/* ---- Aggregates ---- */

/* Order-preserving map of a double to an unsigned key (IEEE 754 bits with
 * the sign folded): a < b iff key(a) < key(b) for non-NaN values. */
static uint64_t key_of(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return (b >> 63) ? ~b : b | (1ULL << 63);
}

/* One order statistic to find: the k-th smallest (0-based) finite value of
 * column col (0 original, 1 pruned) of variant v.  Candidates are the
 * values with key in [klo, khi], kr of them smaller ranked below. */
typedef struct select_target {
    size_t v;
    int col;
    uint64_t klo, khi;
    size_t kr, n_range, n_coll;
    int done;
    double value;
    size_t *cnt;           /* [MC_BINS] */
    uint64_t *bmin, *bmax; /* [MC_BINS] */
    double *coll;          /* [MC_COLLECT] */
} select_target;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t bin_of(const select_target *t, uint64_t k)
{
    uint64_t w = (t->khi - t->klo) / MC_BINS + 1;
    return (size_t)((k - t->klo) / w);
}

/* /aggregates' column units (of f's plant) and descriptions. */
static int agg_meta(const mc_file *f, hid_t ds)
{
    h5_column cols[MC_MAX_COLS];
    size_t n = mc_agg_n_cols;

    if (n > MC_MAX_COLS)
        return -1;
    h5_columns_bind_units(mc_agg_cols, n, f->un_x, f->un_u, cols);
    return h5_table_put_meta(ds, ".", cols, n) != PB_SUCCESS ||
           describe(ds, 0, NULL, "one row per variant: outcome counts, rates with Wilson 95 % "
                                 "intervals, quantiles and maxima over the samples");
}

/* /spec_aggregates: per variant and property, the counts and rates of /spec
 * (row ((i * nv) + v) * n_props + q: variant v, property q), in one pass
 * of bounded memory.  0, or -1 on a read or write failure. */
static int spec_agg_write(mc_file *f)
{
    size_t nv = f->nv, np = f->n_props, nrows = f->done * nv * np;
    mc_spec_agg_row *g = calloc(nv * np + 1, sizeof *g);
    mc_spec_row *buf = malloc(MC_READ_BLOCK * sizeof *buf);
    hid_t t = -1, ds = -1;
    int bad = !g || !buf;

    for (size_t at = 0; !bad && at < nrows; at += MC_READ_BLOCK) {
        size_t n = nrows - at < MC_READ_BLOCK ? nrows - at : MC_READ_BLOCK;
        bad = ds_read_rows(f->spec_ds, f->spec_type, at, n, buf) != 0;
        for (size_t i = 0; !bad && i < n; i++) {
            size_t row = at + i, q = row % np, v = (row / np) % nv;
            mc_spec_agg_row *a = &g[v * np + q];
            const mc_spec_row *r = &buf[i];
            a->n++;
            a->sat_orig += r->sat_orig == 1;
            a->sat_pruned += r->sat_pruned == 1;
            a->broken += r->sat_orig == 1 && r->sat_pruned == 0;
            a->repaired += r->sat_orig == 0 && r->sat_pruned == 1;
        }
    }
    for (size_t v = 0; !bad && v < nv; v++)
        for (size_t q = 0; q < np; q++) {
            mc_spec_agg_row *a = &g[v * np + q];
            double nn = a->n ? (double)a->n : NAN;
            snprintf(a->label, sizeof a->label, "%s", f->variants[v].label);
            snprintf(a->property, sizeof a->property, "%s", f->sp->props[q].name);
            a->rate_orig = (double)a->sat_orig / nn;
            a->rate_pruned = (double)a->sat_pruned / nn;
            a->broken_rate = (double)a->broken / nn;
            a->repaired_rate = (double)a->repaired / nn;
            mc_wilson((size_t)a->sat_orig, (size_t)a->n, 1.959963984540054, &a->rate_orig_lo,
                      &a->rate_orig_hi);
            mc_wilson((size_t)a->sat_pruned, (size_t)a->n, 1.959963984540054,
                      &a->rate_pruned_lo, &a->rate_pruned_hi);
        }
    if (!bad) {
        h5_column cols[MC_MAX_COLS];
        h5_columns_bind_units(mc_spec_agg_cols, mc_spec_agg_n_cols, f->un_x, f->un_u, cols);
        t = compound_make(cols, mc_spec_agg_n_cols, sizeof(mc_spec_agg_row));
        bad = t < 0 || table_write(f->file, "spec_aggregates", t, nv * np, g) != 0;
    }
    if (!bad)
        ds = H5Dopen2(f->file, "spec_aggregates", H5P_DEFAULT);
    if (!bad) {
        h5_column cols[MC_MAX_COLS];
        h5_columns_bind_units(mc_spec_agg_cols, mc_spec_agg_n_cols, f->un_x, f->un_u, cols);
        bad = ds < 0 || h5_table_put_meta(ds, ".", cols, mc_spec_agg_n_cols) != PB_SUCCESS ||
              describe(ds, 0, NULL,
                       "one row per (variant, property): satisfied counts and fractions with "
                       "Wilson 95 % intervals, samples broken and repaired by pruning") ||
              attr_f64(ds, "confidence", 0.95);
    }
    if (ds >= 0)
        H5Dclose(ds);
    if (t >= 0)
        H5Tclose(t);
    free(buf);
    free(g);
    return bad ? -1 : 0;
}

static int file_finish_body(mc_file *f, mc_aggregate agg[], pb_error *err)
{
    size_t nv = f->nv, nrows = f->done * f->nv, nt = nv * 2 * MC_QUANTILES * 2;
    mc_aggregate *a = calloc(nv + 1, sizeof *a);
    size_t *n_fin = calloc(2 * nv + 1, sizeof *n_fin);
    uint64_t *kmin = calloc(2 * nv + 1, sizeof *kmin), *kmax = calloc(2 * nv + 1, sizeof *kmax);
    select_target *tg = calloc(nt + 1, sizeof *tg);
    mc_row *buf = malloc(MC_READ_BLOCK * sizeof *buf);
    agg_row *ar = calloc(nv + 1, sizeof *ar);
    int rc = PB_SUCCESS, pending, has_spec = 0;

    if (!a || !n_fin || !kmin || !kmax || !tg || !buf || !ar) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory for the aggregates");
        goto done;
    }
    for (size_t i = 0; i < 2 * nv; i++)
        kmin[i] = UINT64_MAX;
    /* Pass 1: counts, maxima, finite ranges. */
    for (size_t at = 0; at < nrows; at += MC_READ_BLOCK) {
        size_t n = nrows - at < MC_READ_BLOCK ? nrows - at : MC_READ_BLOCK;
        if (ds_read_rows(f->summary, f->row_type, at, n, buf)) {
            rc = pb_error_set(err, PB_EIO, "%s: cannot read the summary", f->part);
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            const mc_row *r = &buf[i];
            size_t v = (size_t)r->variant;
            mc_aggregate *g = &a[v];
            double rms[2] = {r->rms_track_orig, r->rms_track_pruned};
            g->n++;
            g->converged_orig += r->outcome_orig == SIM_CONVERGED;
            g->bounded_orig += r->outcome_orig == SIM_BOUNDED;
            g->diverged_orig += r->outcome_orig == SIM_DIVERGED;
            g->converged_pruned += r->outcome_pruned == SIM_CONVERGED;
            g->bounded_pruned += r->outcome_pruned == SIM_BOUNDED;
            g->diverged_pruned += r->outcome_pruned == SIM_DIVERGED;
            g->still_converging_orig += r->still_converging_orig;
            g->still_converging_pruned += r->still_converging_pruned;
            g->max_dev_actual = fmax(g->max_dev_actual, r->max_dev_actual);
            g->max_dev_bound = fmax(g->max_dev_bound, r->max_dev_bound);
            g->max_dev_bound_closed = fmax(g->max_dev_bound_closed, r->max_dev_bound_closed);
            g->max_tightness = fmax(g->max_tightness, r->tightness);
            g->violations += r->violations;
            g->certified_fraction += (double)r->certified;
            if (r->spec_sat_orig >= 0) {
                g->spec_sat_orig += r->spec_sat_orig == 1;
                g->spec_sat_pruned += r->spec_sat_pruned == 1;
                g->spec_broken += r->spec_sat_orig == 1 && r->spec_sat_pruned == 0;
                g->spec_repaired += r->spec_sat_orig == 0 && r->spec_sat_pruned == 1;
                has_spec = 1;
            }
            for (int c = 0; c < 2; c++)
                if (isfinite(rms[c])) {
                    uint64_t k = key_of(rms[c]);
                    n_fin[2 * v + c]++;
                    kmin[2 * v + c] = k < kmin[2 * v + c] ? k : kmin[2 * v + c];
                    kmax[2 * v + c] = k > kmax[2 * v + c] ? k : kmax[2 * v + c];
                }
        }
    }
    /* The quantile targets: ranks floor(h) and floor(h) + 1, h = (n - 1) q. */
    pending = 0;
    for (size_t v = 0; v < nv; v++)
        for (int c = 0; c < 2; c++)
            for (size_t q = 0; q < MC_QUANTILES; q++)
                for (size_t e = 0; e < 2; e++) {
                    select_target *t = &tg[((v * 2 + (size_t)c) * MC_QUANTILES + q) * 2 + e];
                    size_t n = n_fin[2 * v + (size_t)c];
                    double h = (double)(n ? n - 1 : 0) * mc_quantile_levels[q];
                    size_t k = (size_t)floor(h) + e;
                    t->v = v;
                    t->col = c;
                    t->value = NAN;
                    /* The original loop is the same in every variant's rows:
                     * its quantiles come from variant 0's. */
                    if (n == 0 || k >= n || (c == 0 && v > 0)) {
                        t->done = 1;
                        continue;
                    }
                    t->klo = kmin[2 * v + (size_t)c];
                    t->khi = kmax[2 * v + (size_t)c];
                    t->kr = k;
                    t->n_range = n;
                    t->cnt = calloc(MC_BINS, sizeof *t->cnt);
                    t->bmin = calloc(MC_BINS, sizeof *t->bmin);
                    t->bmax = calloc(MC_BINS, sizeof *t->bmax);
                    t->coll = malloc(MC_COLLECT * sizeof *t->coll);
                    if (!t->cnt || !t->bmin || !t->bmax || !t->coll) {
                        rc = pb_error_set(err, PB_ENOMEM, "out of memory for the quantiles");
                        goto done;
                    }
                    pending = 1;
                }
    /* Selection passes: each narrows every pending target's key range to one
     * histogram bin (exact: bins track their smallest and largest key) or,
     * once few candidates remain, collects and sorts them. */
    while (pending) {
        for (size_t i = 0; i < nt; i++) {
            select_target *t = &tg[i];
            if (t->done)
                continue;
            if (t->klo == t->khi) {
                memcpy(&t->value, &(uint64_t){(t->klo >> 63) ? t->klo & ~(1ULL << 63) : ~t->klo},
                       sizeof t->value);
                t->done = 1;
                continue;
            }
            t->n_coll = 0;
            memset(t->cnt, 0, MC_BINS * sizeof *t->cnt);
            for (size_t b = 0; b < MC_BINS; b++) {
                t->bmin[b] = UINT64_MAX;
                t->bmax[b] = 0;
            }
        }
        for (size_t at = 0; at < nrows; at += MC_READ_BLOCK) {
            size_t n = nrows - at < MC_READ_BLOCK ? nrows - at : MC_READ_BLOCK;
            if (ds_read_rows(f->summary, f->row_type, at, n, buf)) {
                rc = pb_error_set(err, PB_EIO, "%s: cannot read the summary", f->part);
                goto done;
            }
            for (size_t i = 0; i < nt; i++) {
                select_target *t = &tg[i];
                if (t->done)
                    continue;
                for (size_t r = 0; r < n; r++) {
                    double x;
                    uint64_t k;
                    if ((size_t)buf[r].variant != t->v)
                        continue;
                    x = t->col ? buf[r].rms_track_pruned : buf[r].rms_track_orig;
                    if (!isfinite(x))
                        continue;
                    k = key_of(x);
                    if (k < t->klo || k > t->khi)
                        continue;
                    if (t->n_range <= MC_COLLECT) {
                        t->coll[t->n_coll++] = x;
                    } else {
                        size_t b = bin_of(t, k);
                        t->cnt[b]++;
                        t->bmin[b] = k < t->bmin[b] ? k : t->bmin[b];
                        t->bmax[b] = k > t->bmax[b] ? k : t->bmax[b];
                    }
                }
            }
        }
        pending = 0;
        for (size_t i = 0; i < nt; i++) {
            select_target *t = &tg[i];
            if (t->done)
                continue;
            if (t->n_range <= MC_COLLECT) {
                qsort(t->coll, t->n_coll, sizeof *t->coll, cmp_double);
                t->value = t->coll[t->kr];
                t->done = 1;
                continue;
            }
            for (size_t b = 0; b < MC_BINS; b++) {
                if (t->kr < t->cnt[b]) {
                    t->klo = t->bmin[b];
                    t->khi = t->bmax[b];
                    t->n_range = t->cnt[b];
                    break;
                }
                t->kr -= t->cnt[b];
            }
            pending = 1;
        }
    }
    /* Rates, intervals, quantiles (linear interpolation between order
     * statistics, numpy's default and gsl_stats_quantile_from_sorted_data). */
    for (size_t v = 0; v < nv; v++) {
        mc_aggregate *g = &a[v];
        g->rate_orig = g->n ? (double)g->converged_orig / (double)g->n : NAN;
        g->rate_pruned = g->n ? (double)g->converged_pruned / (double)g->n : NAN;
        mc_wilson((size_t)g->converged_orig, (size_t)g->n, 1.959963984540054, &g->rate_orig_lo,
                  &g->rate_orig_hi);
        mc_wilson((size_t)g->converged_pruned, (size_t)g->n, 1.959963984540054, &g->rate_pruned_lo,
                  &g->rate_pruned_hi);
        g->certified_fraction = g->n ? g->certified_fraction / (double)g->n : NAN;
        if (has_spec && g->n) {
            double nn = (double)g->n;
            g->spec_rate_orig = (double)g->spec_sat_orig / nn;
            g->spec_rate_pruned = (double)g->spec_sat_pruned / nn;
            g->spec_broken_rate = (double)g->spec_broken / nn;
            g->spec_repaired_rate = (double)g->spec_repaired / nn;
            mc_wilson((size_t)g->spec_sat_orig, (size_t)g->n, 1.959963984540054,
                      &g->spec_rate_orig_lo, &g->spec_rate_orig_hi);
            mc_wilson((size_t)g->spec_sat_pruned, (size_t)g->n, 1.959963984540054,
                      &g->spec_rate_pruned_lo, &g->spec_rate_pruned_hi);
        } else {
            g->spec_rate_orig = g->spec_rate_orig_lo = g->spec_rate_orig_hi = NAN;
            g->spec_rate_pruned = g->spec_rate_pruned_lo = g->spec_rate_pruned_hi = NAN;
            g->spec_broken_rate = g->spec_repaired_rate = NAN;
        }
        for (int c = 0; c < 2; c++)
            for (size_t q = 0; q < MC_QUANTILES; q++) {
                size_t vq = c ? v : 0;
                const select_target *t = &tg[((vq * 2 + (size_t)c) * MC_QUANTILES + q) * 2];
                size_t n = n_fin[2 * vq + (size_t)c];
                double h = (double)(n ? n - 1 : 0) * mc_quantile_levels[q], d = h - floor(h);
                double val = t[0].value;
                if (n && (size_t)floor(h) + 1 < n)
                    val = (1.0 - d) * t[0].value + d * t[1].value;
                if (c)
                    g->rms_pruned_q[q] = n ? val : NAN;
                else
                    g->rms_orig_q[q] = n ? val : NAN;
            }
        snprintf(ar[v].label, sizeof ar[v].label, "%s", f->variants[v].label);
        ar[v].a = *g;
        if (agg)
            agg[v] = *g;
    }
    {
        hid_t t = compound_make(mc_agg_cols, mc_agg_n_cols, sizeof(agg_row));
        hid_t ds = -1;
        if (t >= 0 && table_write(f->file, "aggregates", t, nv, ar) == 0)
            ds = H5Dopen2(f->file, "aggregates", H5P_DEFAULT);
        if (ds < 0 ||
            attr_str(ds, "quantiles",
                     "q05 q25 q50 q75 q95 of the finite RMS tracking errors, "
                     "linear interpolation between order statistics") ||
            attr_f64(ds, "confidence", 0.95) || agg_meta(f, ds) ||
            (f->n_props && spec_agg_write(f)) || attr_ll(f->file, "complete", 1))
            rc = pb_error_set(err, PB_EIO, "%s: cannot write the aggregates", f->part);
        if (ds >= 0)
            H5Dclose(ds);
        if (t >= 0)
            H5Tclose(t);
    }
done:
    for (size_t i = 0; tg && i < nt; i++) {
        free(tg[i].cnt);
        free(tg[i].bmin);
        free(tg[i].bmax);
        free(tg[i].coll);
    }
    free(tg);
    free(buf);
    free(ar);
    free(a);
    free(n_fin);
    free(kmin);
    free(kmax);
    {
        char part[1040], path[1024];
        snprintf(part, sizeof part, "%s", f->part);
        snprintf(path, sizeof path, "%s", f->path);
        file_free(f);
        if (rc == PB_SUCCESS && rename(part, path) != 0)
            rc = pb_error_set(err, PB_EIO, "cannot rename %s to %s", part, path);
    }
    return rc;
}

/* ---- The public calls: each with HDF5's error printing off (h5_io.h) ---- */

int mc_file_create(const char *path, const mc_study *s, const mc_header *h, mc_file **out,
                   pb_error *err)
{
    h5_quiet q;
    int rc;

    h5_quiet_begin(&q);
    rc = file_create_body(path, s, h, out, err);
    h5_quiet_end(&q);
    return rc;
}

int mc_file_resume(const char *path, const mc_study *s, const mc_header *h, mc_file **out,
                   size_t *done, pb_error *err)
{
    h5_quiet q;
    int rc;

    h5_quiet_begin(&q);
    rc = file_resume_body(path, s, h, out, done, err);
    h5_quiet_end(&q);
    return rc;
}

int mc_file_append(mc_file *f, size_t count, const mc_row rows[], const double x0s[],
                   const double ps[], const double trajs[], pb_error *err)
{
    h5_quiet q;
    int rc;

    h5_quiet_begin(&q);
    rc = file_append_body(f, count, rows, x0s, ps, trajs, err);
    h5_quiet_end(&q);
    return rc;
}

int mc_file_finish(mc_file *f, mc_aggregate agg[], pb_error *err)
{
    h5_quiet q;
    int rc;

    h5_quiet_begin(&q);
    rc = file_finish_body(f, agg, err);
    h5_quiet_end(&q);
    return rc;
}

void mc_file_close(mc_file *f)
{
    h5_quiet q;

    h5_quiet_begin(&q);
    file_close_body(f);
    h5_quiet_end(&q);
}
