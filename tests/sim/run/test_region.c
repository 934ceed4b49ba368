/* test_region.c: bounds.region (sim/run/run_region.h, docs/BOUNDS.md,
 * docs/RESULTS.md /region).
 *
 * Oracle: a dense grid of the box.  The upper bound recorded in /region must
 * be at least the largest deviation ||pi(x) - pi_hat(x)|| computed by forward
 * passes at every grid point, for every variant of configs/pendulum.cfg (two
 * states), and max_deviation_lower <= max_deviation_upper; the box itself is
 * the bounding box of the scenarios' x0 computed here from the config. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "cfg.h"
#include "h5_io.h"
#include "mc_read.h"
#include "mc_study.h"
#include "mlp.h"
#include "pb_error.h"
#include "pb_test.h"
#include "results_region.h"
#include "run_job.h"
#include "run_mc.h"
#include "run_region.h"

#define GRID 401 /* points per axis: 160801 states per variant */

/* max over the GRID x GRID grid of [lo, hi] of ||a(x) - b(x)||_2 */
static double grid_max_dev(const mlp *a, const mlp *b, const double lo[], const double hi[])
{
    pb_error err = {0};
    mlp_work *wa = mlp_work_alloc(a, GRID, &err), *wb = mlp_work_alloc(b, GRID, &err);
    size_t no = a->n_out;
    double *X = malloc(GRID * 2 * sizeof *X), *UA = malloc(GRID * no * sizeof *UA),
           *UB = malloc(GRID * no * sizeof *UB), best = -1.0;

    CU_ASSERT_FATAL(wa && wb && X && UA && UB);
    for (size_t i = 0; i < GRID; i++) {
        double t0 = lo[0] + (hi[0] - lo[0]) * (double)i / (GRID - 1);
        for (size_t k = 0; k < GRID; k++) {
            X[2 * k] = t0;
            X[2 * k + 1] = lo[1] + (hi[1] - lo[1]) * (double)k / (GRID - 1);
        }
        mlp_eval_batch(a, wa, GRID, X, UA);
        mlp_eval_batch(b, wb, GRID, X, UB);
        for (size_t k = 0; k < GRID; k++) {
            double s = 0.0;
            for (size_t o = 0; o < no; o++) {
                double d = UA[k * no + o] - UB[k * no + o];
                s += d * d;
            }
            best = fmax(best, sqrt(s));
        }
    }
    free(X);
    free(UA);
    free(UB);
    mlp_work_free(wa);
    mlp_work_free(wb);
    return best;
}

static void test_pendulum_grid(void)
{
    const char *sets[] = {"simulation.horizon=0.5", "output.traces=false"};
    char path[CFG_PATH_MAX];
    double lo[2], hi[2], blo[2] = {NAN, NAN}, bhi[2] = {NAN, NAN};
    pb_error err = {0};
    cfg_run *c = NULL;
    run_job *j;
    results_region_row *rows = NULL;
    size_t n = 0;
    hid_t f;

    snprintf(path, sizeof path, "%s/configs/pendulum.cfg", PB_SOURCE_DIR);
    CU_ASSERT_EQUAL_FATAL(cfg_run_load(path, sets, 2, &c, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(c->plant->type->nx, 2);
    CU_ASSERT_EQUAL(c->bound_region, 0); /* the shipped config leaves it off */
    c->bound_region = 1;
    /* the bounding box of the scenarios' x0; the reference is the upright
     * rest 0, so the policy's inputs x - r span the same box */
    for (size_t i = 0; i < 2; i++) {
        lo[i] = INFINITY;
        hi[i] = -INFINITY;
        for (size_t s = 0; s < c->n_scenarios; s++) {
            lo[i] = fmin(lo[i], c->scenarios[s].x0[i]);
            hi[i] = fmax(hi[i], c->scenarios[s].x0[i]);
        }
    }
    j = run_job_alloc(c, &err);
    if (!j)
        fprintf(stderr, "\n%s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j->region);
    CU_ASSERT_EQUAL_FATAL(j->region->n, j->v.n);
    CU_ASSERT_EQUAL_FATAL(run_job_open(j, pb_test_path("region.h5"), &err), PB_SUCCESS);
    while (j->done < c->n_scenarios)
        CU_ASSERT_EQUAL_FATAL(run_job_step(j, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(run_job_commit(j, &err), PB_SUCCESS);

    /* what the file recorded */
    f = h5_open(pb_test_path("region.h5"), H5F_ACC_RDONLY, &err);
    CU_ASSERT_FATAL(f >= 0);
    CU_ASSERT_EQUAL_FATAL(h5_table_read(f, "region.h5", "region", results_region_cols,
                                        results_region_n_cols, results_region_n_cols, sizeof *rows,
                                        (void **)&rows, &n, &err),
                          PB_SUCCESS);
    {
        hid_t a = H5Aopen_by_name(f, "region", "box_lo", H5P_DEFAULT, H5P_DEFAULT);
        CU_ASSERT(a >= 0 && H5Aread(a, H5T_NATIVE_DOUBLE, blo) >= 0);
        H5Aclose(a);
        a = H5Aopen_by_name(f, "region", "box_hi", H5P_DEFAULT, H5P_DEFAULT);
        CU_ASSERT(a >= 0 && H5Aread(a, H5T_NATIVE_DOUBLE, bhi) >= 0);
        H5Aclose(a);
    }
    H5Fclose(f);
    for (size_t i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(blo[i], lo[i]);
        CU_ASSERT_EQUAL(bhi[i], hi[i]);
    }
    CU_ASSERT_EQUAL_FATAL(n, j->v.n);
    for (size_t v = 0; v < n; v++) {
        double g = grid_max_dev(j->v.orig, j->v.nets[v], lo, hi);
        CU_ASSERT_STRING_EQUAL(rows[v].label, j->v.variants[v].label);
        fprintf(stderr, "\n  %-20s grid %.6g  lower %.6g  upper %.6g  (root %.6g, open %lld)",
                rows[v].label, g, rows[v].lower, rows[v].upper, rows[v].root_upper, rows[v].n_open);
        /* certified over the exact networks; the grid's forward passes round
         * (relative 1e-12 is far above that rounding, far below any slack) */
        CU_ASSERT(g <= rows[v].upper * (1.0 + 1e-12) + 1e-15);
        CU_ASSERT(rows[v].lower <= rows[v].upper);
        CU_ASSERT(rows[v].upper <= rows[v].root_upper);
        CU_ASSERT(isfinite(rows[v].upper));
        /* the lower end is a deviation found in the box: the grid, searching
         * the same box, comes within 10 % of it, or above it */
        CU_ASSERT(g >= 0.9 * rows[v].lower);
        /* the table's columns as run_job holds them */
        CU_ASSERT_EQUAL(rows[v].upper, j->region->rows[v].upper);
    }
    free(rows);
    run_job_free(j);
    cfg_run_free(c);
}

/* montecarlo: /region over the grid sampler's box of configs/montecarlo/
 * pendulum_roa.cfg (theta in [-3, 3], omega in [-6, 6]), read back through
 * mc_summary_read as the table and `info` read it, and checked on a grid. */
static void test_montecarlo(void)
{
    const char *sets[] = {"simulation.horizon=0.2", "montecarlo.sampler.points=[3, 3]"};
    const double lo[2] = {-3.0, -6.0}, hi[2] = {3.0, 6.0};
    char path[CFG_PATH_MAX];
    pb_error err = {0};
    cfg_run *c = NULL;
    run_mc *j;
    mc_aggregate *agg;
    mc_summary s;
    hid_t f;

    snprintf(path, sizeof path, "%s/configs/montecarlo/pendulum_roa.cfg", PB_SOURCE_DIR);
    CU_ASSERT_EQUAL_FATAL(cfg_run_load(path, sets, 2, &c, &err), PB_SUCCESS);
    c->bound_region = 1;
    j = run_mc_alloc(c, 1, &err);
    if (!j)
        fprintf(stderr, "\n%s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j->region);
    for (size_t i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(j->region->lo[i], lo[i]);
        CU_ASSERT_EQUAL(j->region->hi[i], hi[i]);
    }
    CU_ASSERT_EQUAL_FATAL(run_mc_open(j, pb_test_path("mc_region.h5"), 0, &err), PB_SUCCESS);
    while (j->done < j->samples)
        CU_ASSERT_EQUAL_FATAL(run_mc_step(j, &err), PB_SUCCESS);
    agg = calloc(j->v.n, sizeof *agg);
    CU_ASSERT_EQUAL_FATAL(run_mc_finish(j, agg, &err), PB_SUCCESS);
    free(agg);
    f = h5_open(pb_test_path("mc_region.h5"), H5F_ACC_RDONLY, &err);
    CU_ASSERT_FATAL(f >= 0);
    CU_ASSERT_EQUAL_FATAL(mc_summary_read(f, "mc_region.h5", &s, &err), PB_SUCCESS);
    H5Fclose(f);
    CU_ASSERT_EQUAL(s.has_region, 1);
    CU_ASSERT_EQUAL_FATAL(s.n_variants, j->v.n);
    for (size_t v = 0; v < j->v.n; v++) {
        double g = grid_max_dev(j->v.orig, j->v.nets[v], lo, hi);
        fprintf(stderr, "\n  %-20s grid %.6g  lower %.6g  upper %.6g", s.labels[v], g,
                s.region_lower[v], s.region_upper[v]);
        CU_ASSERT_EQUAL(s.region_upper[v], j->region->rows[v].upper);
        CU_ASSERT_EQUAL(s.region_lower[v], j->region->rows[v].lower);
        CU_ASSERT(g <= s.region_upper[v] * (1.0 + 1e-12) + 1e-15);
        CU_ASSERT(s.region_lower[v] <= s.region_upper[v]);
    }
    mc_summary_free(&s);
    run_mc_free(j);
    cfg_run_free(c);
}

/* The states' box of each sampler kind, by hand (docs/CONFIG.md bounds.region). */
static void test_sampler_boxes(void)
{
    mc_sampler s;
    double lo[3], hi[3];
    char src[96];
    pb_error err = {0};

    memset(&s, 0, sizeof s);
    s.kind = MC_SAMPLER_BOX;
    s.low[0] = -1.0, s.low[1] = -2.0, s.low[2] = 0.5;
    s.high[0] = 1.0, s.high[1] = 2.0, s.high[2] = 0.5;
    CU_ASSERT_EQUAL(run_region_box_sampler(&s, 3, lo, hi, src, sizeof src, &err), PB_SUCCESS);
    CU_ASSERT(lo[0] == -1.0 && lo[1] == -2.0 && lo[2] == 0.5);
    CU_ASSERT(hi[0] == 1.0 && hi[1] == 2.0 && hi[2] == 0.5);

    memset(&s, 0, sizeof s);
    s.kind = MC_SAMPLER_GRID;
    s.axes[0] = 2, s.axes[1] = 0;
    s.low[0] = -3.0, s.high[0] = 3.0; /* axis 0 of the grid: state 2 */
    s.low[1] = -6.0, s.high[1] = 6.0; /* axis 1: state 0 */
    s.fixed[0] = 9.0, s.fixed[1] = 0.25, s.fixed[2] = 9.0;
    CU_ASSERT_EQUAL(run_region_box_sampler(&s, 3, lo, hi, src, sizeof src, &err), PB_SUCCESS);
    CU_ASSERT(lo[0] == -6.0 && hi[0] == 6.0);
    CU_ASSERT(lo[1] == 0.25 && hi[1] == 0.25);
    CU_ASSERT(lo[2] == -3.0 && hi[2] == 3.0);

    memset(&s, 0, sizeof s);
    s.kind = MC_SAMPLER_GAUSSIAN;
    s.mean[0] = 1.0, s.std[0] = 0.5;  /* [-0.5, 2.5] */
    s.mean[1] = -2.0, s.std[1] = 0.0; /* the point -2 */
    CU_ASSERT_EQUAL(run_region_box_sampler(&s, 2, lo, hi, src, sizeof src, &err), PB_SUCCESS);
    CU_ASSERT(lo[0] <= -0.5 && lo[0] > -0.5 - 1e-12);
    CU_ASSERT(hi[0] >= 2.5 && hi[0] < 2.5 + 1e-12);
    CU_ASSERT(lo[1] == -2.0 && hi[1] == -2.0);
    CU_ASSERT_PTR_NOT_NULL(strstr(src, "3 std"));
}

static const pb_test_case region_tests[] = {
    {"pendulum: /region upper >= the max deviation over a 401 x 401 grid, lower <= upper",
     test_pendulum_grid},
    {"montecarlo: /region over the grid sampler's box, read back, >= a 401 x 401 grid",
     test_montecarlo},
    {"the sampler's box: box, grid, gaussian mean +- 3 std", test_sampler_boxes},
    {NULL, NULL},
};

const pb_test_suite pb_test_suites[] = {
    {"region", region_tests},
    {NULL, NULL},
};
