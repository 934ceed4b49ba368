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

#define MC_DEFLATE    4
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
};

/* The layout of /summary (mc_study.h): written here, read by plot and by
 * the aggregate passes below. */
const h5_column mc_row_cols[] = {
    {"sample", H5W_I64, offsetof(mc_row, sample), 0},
    {"variant", H5W_I64, offsetof(mc_row, variant), 0},
    {"outcome_orig", H5W_I64, offsetof(mc_row, outcome_orig), 0},
    {"outcome_pruned", H5W_I64, offsetof(mc_row, outcome_pruned), 0},
    {"still_converging_orig", H5W_I64, offsetof(mc_row, still_converging_orig), 0},
    {"still_converging_pruned", H5W_I64, offsetof(mc_row, still_converging_pruned), 0},
    {"diverged_step_orig", H5W_I64, offsetof(mc_row, diverged_step_orig), 0},
    {"diverged_step_pruned", H5W_I64, offsetof(mc_row, diverged_step_pruned), 0},
    {"rms_track_orig", H5W_F64, offsetof(mc_row, rms_track_orig), 0},
    {"rms_track_pruned", H5W_F64, offsetof(mc_row, rms_track_pruned), 0},
    {"tail_err_orig", H5W_F64, offsetof(mc_row, tail_err_orig), 0},
    {"tail_err_pruned", H5W_F64, offsetof(mc_row, tail_err_pruned), 0},
    {"max_traj_dev", H5W_F64, offsetof(mc_row, max_traj_dev), 0},
    {"max_dev_actual", H5W_F64, offsetof(mc_row, max_dev_actual), 0},
    {"max_dev_bound", H5W_F64, offsetof(mc_row, max_dev_bound), 0},
    {"max_dev_bound_closed", H5W_F64, offsetof(mc_row, max_dev_bound_closed), 0},
    {"tightness", H5W_F64, offsetof(mc_row, tightness), 0},
    {"violations", H5W_I64, offsetof(mc_row, violations), 0},
    {"certified", H5W_I64, offsetof(mc_row, certified), 0},
    {"max_traj_dev_bound", H5W_F64, offsetof(mc_row, max_traj_dev_bound), 0},
};
const size_t mc_row_n_cols = sizeof mc_row_cols / sizeof mc_row_cols[0];

/* One row of /variants. */
typedef struct variant_row {
    char label[SIM_LABEL_MAX];
    char method[32];
    double sparsity;
    char pattern[16];
} variant_row;

static const h5_column variant_cols[] = {
    {"label", H5W_STR, offsetof(variant_row, label), SIM_LABEL_MAX},
    {"method", H5W_STR, offsetof(variant_row, method), 32},
    {"sparsity", H5W_F64, offsetof(variant_row, sparsity), 0},
    {"pattern", H5W_STR, offsetof(variant_row, pattern), 16},
};

/* One row of /aggregates. */
typedef struct agg_row {
    char label[SIM_LABEL_MAX];
    mc_aggregate a;
} agg_row;

#define AGG(f)     offsetof(agg_row, a) + offsetof(mc_aggregate, f)
#define AGGQ(f, i) AGG(f) + (i) * sizeof(double)
static const h5_column agg_cols[] = {
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

static int attr_str(hid_t obj, const char *name, const char *s)
{
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a;
    int ok;
    H5Tset_size(t, strlen(s) + 1);
    if (H5Aexists(obj, name) > 0)
        H5Adelete(obj, name);
    a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    ok = a >= 0 && H5Awrite(a, t, s) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return ok ? 0 : -1;
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

/* A string attribute, malloc'd (NULL when missing or unreadable). */
static char *attr_read_str(hid_t obj, const char *name)
{
    hid_t a = H5Aexists(obj, name) > 0 ? H5Aopen(obj, name, H5P_DEFAULT) : -1, t;
    char *s = NULL;
    size_t n;
    if (a < 0)
        return NULL;
    t = H5Aget_type(a);
    if (H5Tget_class(t) == H5T_STRING && !H5Tis_variable_str(t)) {
        n = H5Tget_size(t);
        s = calloc(n + 1, 1);
        if (s && H5Aread(a, t, s) < 0) {
            free(s);
            s = NULL;
        }
    }
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
         H5Dread(ds, type, ms, fs, H5P_DEFAULT, data) >= 0;
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
    if (f->row_type >= 0)
        H5Tclose(f->row_type);
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
    bad |= attr_ll(root, "format_version", 2);
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
    H5Gclose(g);
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
        ds_create(f->file, "summary", f->row_type, 1, NULL, rows > 16384 ? 16384 : rows, f->dapl);
    g = H5Gcreate2(f->file, "samples", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (f->summary < 0 || g < 0)
        goto io;
    tail[0] = f->nx;
    f->x0 =
        ds_create(g, "x0", H5T_NATIVE_DOUBLE, 2, tail, o->chunk > 4096 ? 4096 : o->chunk, f->dapl);
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
    }
    if (f->traj) {
        tail[0] = 1 + f->nv;
        tail[1] = h->n_steps + 1;
        tail[2] = f->nx;
        f->traces = ds_create(f->file, "traces", H5T_NATIVE_DOUBLE, 4, tail, 1, f->dapl);
        if (f->traces < 0 || attr_str(f->traces, "layout",
                                      "[sample, loop (0 original, 1 + v variant v), step, state]"))
            goto close_g;
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
    if (f->summary < 0 || f->x0 < 0 || (f->np && f->params < 0) || (f->traj && f->traces < 0) ||
        sdone < 0 || sdone > samples) {
        rc = pb_error_set(err, PB_EFORMAT, "%s: datasets missing or inconsistent", f->part);
        goto fail;
    }
    /* Rows of a chunk that was being written when the study stopped are dropped. */
    f->done = (size_t)sdone;
    if (ds_resize(f->summary, f->done * f->nv) || ds_resize(f->x0, f->done) ||
        (f->np && ds_resize(f->params, f->done)) || (f->traj && ds_resize(f->traces, f->done))) {
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
    if (ds_append(f->summary, f->row_type, f->done * f->nv, count * f->nv, rows) ||
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

static int file_finish_body(mc_file *f, mc_aggregate agg[], pb_error *err)
{
    size_t nv = f->nv, nrows = f->done * f->nv, nt = nv * 2 * MC_QUANTILES * 2;
    mc_aggregate *a = calloc(nv + 1, sizeof *a);
    size_t *n_fin = calloc(2 * nv + 1, sizeof *n_fin);
    uint64_t *kmin = calloc(2 * nv + 1, sizeof *kmin), *kmax = calloc(2 * nv + 1, sizeof *kmax);
    select_target *tg = calloc(nt + 1, sizeof *tg);
    mc_row *buf = malloc(MC_READ_BLOCK * sizeof *buf);
    agg_row *ar = calloc(nv + 1, sizeof *ar);
    int rc = PB_SUCCESS, pending;

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
        hid_t t = compound_make(agg_cols, sizeof agg_cols / sizeof agg_cols[0], sizeof(agg_row));
        hid_t ds = -1;
        if (t >= 0 && table_write(f->file, "aggregates", t, nv, ar) == 0)
            ds = H5Dopen2(f->file, "aggregates", H5P_DEFAULT);
        if (ds < 0 ||
            attr_str(ds, "quantiles",
                     "q05 q25 q50 q75 q95 of the finite RMS tracking errors, "
                     "linear interpolation between order statistics") ||
            attr_f64(ds, "confidence", 0.95) || attr_ll(f->file, "complete", 1))
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
