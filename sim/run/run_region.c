/* run_region.c: the differential certificate per variant over a study's box
 * of initial states (run_region.h). */
#include "run_region.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "bounds_diff.h"
#include "certify_pair.h"
#include "pb_norm.h"
#include "sim_ref.h"

_Static_assert(RESULTS_REGION_LABEL_MAX == SIM_LABEL_MAX, "/region labels are variant labels");

int run_region_box_scenarios(const cfg_run *c, double lo[], double hi[], char source[], size_t len,
                             pb_error *err)
{
    size_t nx = c->plant->type->nx;

    if (c->n_scenarios == 0)
        return pb_error_set(err, PB_EINVAL, "%s: bounds.region: no scenarios to bound", c->path);
    for (size_t i = 0; i < nx; i++) {
        lo[i] = hi[i] = c->scenarios[0].x0[i];
        for (size_t k = 1; k < c->n_scenarios; k++) {
            lo[i] = fmin(lo[i], c->scenarios[k].x0[i]);
            hi[i] = fmax(hi[i], c->scenarios[k].x0[i]);
        }
    }
    snprintf(source, len, "bounding box of the scenarios' x0");
    return PB_SUCCESS;
}

int run_region_box_sampler(const mc_sampler *s, size_t nx, double lo[], double hi[], char source[],
                           size_t len, pb_error *err)
{
    switch (s->kind) {
    case MC_SAMPLER_BOX:
        memcpy(lo, s->low, nx * sizeof *lo);
        memcpy(hi, s->high, nx * sizeof *hi);
        snprintf(source, len, "montecarlo.sampler box low..high");
        return PB_SUCCESS;
    case MC_SAMPLER_GRID:
        memcpy(lo, s->fixed, nx * sizeof *lo);
        memcpy(hi, s->fixed, nx * sizeof *hi);
        for (size_t a = 0; a < 2; a++) {
            lo[s->axes[a]] = s->low[a];
            hi[s->axes[a]] = s->high[a];
        }
        snprintf(source, len, "montecarlo.sampler grid: the axes' low..high, other states fixed");
        return PB_SUCCESS;
    case MC_SAMPLER_GAUSSIAN:
        /* rounded outward: the box contains the exact mean +- 3 std */
        for (size_t i = 0; i < nx; i++) {
            lo[i] = s->std[i] > 0.0 ? pb_next_down(s->mean[i] - 3.0 * s->std[i]) : s->mean[i];
            hi[i] = s->std[i] > 0.0 ? pb_next_up(s->mean[i] + 3.0 * s->std[i]) : s->mean[i];
        }
        snprintf(source, len,
                 "montecarlo.sampler gaussian truncated: mean +- 3 std (not every sample)");
        return PB_SUCCESS;
    }
    return pb_error_set(err, PB_EINVAL, "bounds.region: unknown sampler kind %d", (int)s->kind);
}

int run_region_eval(const cfg_run *c, const run_variants *v, const double xlo[], const double xhi[],
                    const char *source, run_region *out, pb_error *err)
{
    size_t nx = c->plant->type->nx;
    double r0[PLANT_NX_MAX] = {0}, *xl = NULL;
    bounds_diff_opts o;
    int rc = PB_SUCCESS;

    memset(out, 0, sizeof *out);
    if (c->obs)
        return pb_error_set(err, PB_EINVAL,
                            "%s: bounds.region: the policy sees a policy.observation map, not "
                            "a box of states: no region to certify",
                            c->path);
    if (v->orig->n_in != nx)
        return pb_error_set(err, PB_EINVAL,
                            "%s: bounds.region: the policy takes %zu inputs, "
                            "the plant has %zu states",
                            c->path, v->orig->n_in, nx);
    out->n_in = nx;
    snprintf(out->source, sizeof out->source, "%s", source);
    /* s = x - r(0) for input "error": rounded outward when r(0) moves it */
    if (c->input == SIM_INPUT_ERROR)
        sim_ref_eval(&c->ref, 0.0, r0);
    for (size_t i = 0; i < nx; i++) {
        out->lo[i] = r0[i] != 0.0 ? pb_next_down(xlo[i] - r0[i]) : xlo[i];
        out->hi[i] = r0[i] != 0.0 ? pb_next_up(xhi[i] - r0[i]) : xhi[i];
    }
    out->n = v->n;
    out->rows = calloc(v->n + 1, sizeof *out->rows);
    xl = malloc(nx * sizeof *xl);
    if (!out->rows || !xl) {
        free(xl);
        run_region_free(out);
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    }
    bounds_diff_opts_init(&o);
    for (size_t k = 0; k < v->n && rc == PB_SUCCESS; k++) {
        bounds_set X = {.kind = BOUNDS_SET_BOX, .n = nx, .lo = out->lo, .hi = out->hi};
        bounds_diff_result r;
        run_region_row *row = &out->rows[k];
        snprintf(row->label, sizeof row->label, "%s", v->variants[k].label);
        if ((rc = certify_pair_eval(v->orig, v->nets[k], &X, &o, xl, &r, err)))
            break;
        row->upper = r.upper;
        row->root_upper = r.root_upper;
        row->lower = r.lower;
        row->n_splits = (long long)r.n_splits;
        row->n_open = (long long)r.n_open;
    }
    free(xl);
    if (rc)
        run_region_free(out);
    return rc;
}

/* A vector attribute of doubles on the object at path. */
static int attr_put_f64(hid_t loc, const char *path, const char *name, size_t n, const double v[])
{
    hsize_t dim = n;
    hid_t sp = H5Screate_simple(1, &dim, NULL), a = -1;
    int ok = 0;

    if (sp < 0)
        return -1;
    a = H5Acreate_by_name(loc, path, name, H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT,
                          H5P_DEFAULT);
    if (a >= 0) {
        ok = H5Awrite(a, H5T_NATIVE_DOUBLE, v) >= 0;
        H5Aclose(a);
    }
    H5Sclose(sp);
    return ok ? 0 : -1;
}

static int put_body(hid_t loc, const run_region *r, const h5_column cols[], pb_error *err)
{
    hsize_t dim = r->n, chunk = r->n ? r->n : 1;
    hid_t mt = -1, sp = -1, dcpl = -1, ds = -1;
    int ok = 0;

    if (h5_has_object(loc, "region"))
        return PB_SUCCESS;
    mt = h5_table_type(cols, results_region_n_cols, sizeof(run_region_row));
    sp = H5Screate_simple(1, &dim, NULL);
    dcpl = h5_dcpl_create(1, &chunk, 4);
    if (mt >= 0 && sp >= 0 && dcpl >= 0)
        ds = H5Dcreate2(loc, "region", mt, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds >= 0) {
        ok = r->n == 0 || H5Dwrite(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, r->rows) >= 0;
        H5Dclose(ds);
    }
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (sp >= 0)
        H5Sclose(sp);
    if (mt >= 0)
        H5Tclose(mt);
    if (ok)
        ok = h5_table_put_meta(loc, "region", cols, results_region_n_cols) == PB_SUCCESS &&
             attr_put_f64(loc, "region", "box_lo", r->n_in, r->lo) == 0 &&
             attr_put_f64(loc, "region", "box_hi", r->n_in, r->hi) == 0 &&
             h5_attr_put_str(loc, "region", "box_source", r->source) == PB_SUCCESS &&
             h5_attr_put_str(loc, "region", "description",
                             "per variant: the differential certificate (docs/BOUNDS.md "
                             "section 11) over the box [box_lo, box_hi] of the policy's inputs "
                             "at the initial states (bounds.region)") == PB_SUCCESS;
    return ok ? PB_SUCCESS : pb_error_set(err, PB_EIO, "cannot write the table /region");
}

int run_region_put(hid_t loc, const run_region *r, const char *un_x, const char *un_u,
                   pb_error *err)
{
    h5_column cols[16];
    h5_quiet q;
    int rc;

    if (results_region_n_cols > sizeof cols / sizeof cols[0])
        return pb_error_set(err, PB_EINTERNAL, "/region: too many columns");
    h5_columns_bind_units(results_region_cols, results_region_n_cols, un_x, un_u, cols);
    h5_quiet_begin(&q);
    rc = put_body(loc, r, cols, err);
    h5_quiet_end(&q);
    return rc;
}

void run_region_free(run_region *r)
{
    free(r->rows);
    r->rows = NULL;
    r->n = 0;
}
