/* test_speed_paths.c: the fast batched engine (sim_batch.h) and the
 * fixed-step RK4 (plant_rk4.h) against independent oracles:
 *   - one rk4fixed step on y' = -y equals the degree-4 Taylor polynomial of
 *     exp(-h) (Butcher 2008, sec. 23: RK4 reproduces it on linear problems),
 *     yerr is 0, and the global error falls as h^4;
 *   - the batched SoA step equals the GSL-interface step state by state;
 *   - sim_batch (blocks, threads, SoA, libmvec) equals the plain path, sim_run
 *     with the "rk4fixed" stepper one trajectory at a time, to 1e-12:
 *     final states, max deviation, max bound, max trajectory distance and
 *     divergence steps, on the ARCH-COMP QUAD controller and its magnitude-
 *     pruned twin, on a diverging random policy, and on a plant without a
 *     vectorised right-hand side (cartpole, the generic path);
 *   - every error path of sim_batch_model_alloc and sim_batch_run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "import.h"
#include "pb_test.h"
#include "plant_rk4.h"
#include "prune.h"
#include "sim.h"
#include "sim_batch.h"

#define TOL 1e-12

static int decay(double t, const double y[], double dydt[], void *params)
{
    (void)t;
    (void)params;
    dydt[0] = -y[0];
    return GSL_SUCCESS;
}

static void test_rk4_step_polynomial(void)
{
    gsl_odeiv2_system sys = {decay, NULL, 1, NULL};
    gsl_odeiv2_step *s = gsl_odeiv2_step_alloc(plant_rk4_fixed, 1);
    double hs[3] = {0.1, 0.37, 1.0};
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(gsl_odeiv2_step_name(s), "rk4fixed");
    CU_ASSERT_EQUAL(gsl_odeiv2_step_order(s), 4);
    for (int i = 0; i < 3; i++) {
        double h = hs[i], y = 1.7, yerr = 1.0, dydt_out;
        double want = 1.7 * (1.0 - h + h * h / 2.0 - h * h * h / 6.0 + h * h * h * h / 24.0);
        CU_ASSERT_EQUAL(gsl_odeiv2_step_apply(s, 0.0, h, &y, &yerr, NULL, &dydt_out, &sys),
                        GSL_SUCCESS);
        PB_ASSERT_CLOSE(y, want, 4e-16, 0.0);
        PB_ASSERT_CLOSE(dydt_out, -want, 4e-16, 0.0);
        CU_ASSERT_EQUAL(yerr, 0.0);
    }
    gsl_odeiv2_step_free(s);
}

/* Global error at t = 1 of y' = -y with n steps. */
static double global_error(size_t n)
{
    gsl_odeiv2_system sys = {decay, NULL, 1, NULL};
    gsl_odeiv2_step *s = gsl_odeiv2_step_alloc(plant_rk4_fixed, 1);
    double y = 1.0, yerr, h = 1.0 / (double)n;
    for (size_t k = 0; k < n; k++)
        gsl_odeiv2_step_apply(s, (double)k * h, h, &y, &yerr, NULL, NULL, &sys);
    gsl_odeiv2_step_free(s);
    return fabs(y - exp(-1.0));
}

static void test_rk4_order(void)
{
    double e1 = global_error(10), e2 = global_error(20), e3 = global_error(40);
    /* order 4: halving h divides the error by about 2^4 = 16 */
    CU_ASSERT(e1 / e2 > 14.0 && e1 / e2 < 18.0);
    CU_ASSERT(e2 / e3 > 14.0 && e2 / e3 < 18.0);
}

static void test_rk4_registered(void)
{
    plant_integrator in;
    pb_error err;
    int found = 0;
    plant_integrator_init(&in);
    strcpy(in.method, "rk4fixed");
    in.substeps = 10;
    CU_ASSERT_EQUAL(plant_integrator_validate(&in, &err), PB_SUCCESS);
    for (size_t i = 0; plant_stepper_names[i]; i++)
        found += !strcmp(plant_stepper_names[i], "rk4fixed");
    CU_ASSERT_EQUAL(found, 1);
}

/* The SoA step against the GSL-interface step, state by state, quadrotor_arch. */
static void test_rk4_batch_equals_step(void)
{
    enum { N = 37, LDB = 40 };
    plant *p = plant_alloc(plant_find("quadrotor_arch"));
    plant_integrator in;
    plant_stepper *st;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double X[12 * LDB], U[3 * LDB], x[N][12], u[N][3];
    double *w = malloc(plant_rk4_batch_work_size(LDB) * sizeof *w);
    pb_error err;

    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    plant_integrator_init(&in);
    strcpy(in.method, "rk4fixed");
    in.substeps = 1;
    st = plant_stepper_alloc(p, &in, 0.01, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    for (size_t s = 0; s < N; s++) {
        for (size_t i = 0; i < 12; i++)
            X[i * LDB + s] = x[s][i] = gsl_ran_flat(r, -0.5, 0.5);
        for (size_t j = 0; j < 3; j++)
            U[j * LDB + s] = u[s][j] = gsl_ran_flat(r, -1.0, 1.0);
    }
    plant_rk4_batch_apply(p, plant_rk4_batch_rhs(p), N, LDB, 0.0, 0.01, X, U, w);
    for (size_t s = 0; s < N; s++) {
        CU_ASSERT_EQUAL(plant_stepper_apply(st, 0.0, x[s], u[s]), PB_SUCCESS);
        for (size_t i = 0; i < 12; i++)
            PB_ASSERT_CLOSE(X[i * LDB + s], x[s][i], TOL, TOL);
    }
    plant_stepper_free(st);
    plant_free(p);
    gsl_rng_free(r);
    free(w);
}

static double nanmax(const double *a, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(a[i]) && a[i] > m)
            m = a[i];
    return m;
}

/* Runs n states from X0 through sim_batch (threads as given, or
 * sim_batch_eval when threads = 0) and through sim_run one at a time, and
 * compares.  Returns the number of diverged loops seen. */
static size_t compare_paths(const plant *p, const mlp *orig, const mlp *pruned, size_t n,
                            const double X0[], size_t threads, size_t n_steps)
{
    size_t nx = p->type->nx, diverged = 0;
    plant_integrator in;
    sim_ref ref;
    sim_variant v;
    sim_model *sm;
    sim_data *sd;
    sim_result *res;
    sim_batch_model *bm;
    sim_batch_row *rows = calloc(n, sizeof *rows);
    double *xfo = calloc(n * nx, sizeof *xfo), *xfp = calloc(n * nx, sizeof *xfp);
    double dev_seen = 0.0;
    pb_error err;

    CU_ASSERT_FATAL(rows && xfo && xfp);
    plant_integrator_init(&in);
    strcpy(in.method, "rk4fixed");
    in.substeps = 10;
    sim_ref_init_setpoint(&ref, nx, NULL);
    memset(&v, 0, sizeof v);
    strcpy(v.label, "magnitude_s0.50");
    strcpy(v.method, "magnitude");
    strcpy(v.pattern, "unstructured");
    v.sparsity = 0.5;
    v.net = pruned;
    sm = sim_model_alloc(p, &in, 0.1, 0.1 * (double)n_steps, &ref, SIM_INPUT_STATE, INFINITY, orig,
                         1, &v, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sm);
    CU_ASSERT_EQUAL_FATAL(sm->n_steps, n_steps);
    CU_ASSERT_FATAL(sm->pair[0]->n_changed > 1); /* sim_run uses bounds_multi_eval */
    sd = sim_data_alloc(sm, &err);
    res = sim_result_alloc(sm, &err);
    CU_ASSERT_FATAL(sd && res);

    bm = sim_batch_model_alloc(p, 0.1, 10, n_steps, orig, pruned, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bm);
    if (threads) {
        CU_ASSERT_EQUAL(sim_batch_run(bm, threads, n, X0, rows, xfo, xfp, &err), PB_SUCCESS);
    } else {
        sim_batch_work *w = sim_batch_work_alloc(bm, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(w);
        sim_batch_eval(bm, w, n, X0, rows, xfo, xfp);
        sim_batch_work_free(w);
    }

    for (size_t s = 0; s < n; s++) {
        const sim_trace *o = &res->orig, *pr = &res->cmp[0].pruned;
        const sim_compare *c = &res->cmp[0];
        CU_ASSERT_EQUAL(sim_run(sm, sd, X0 + s * nx, res, &err), PB_SUCCESS);
        CU_ASSERT_EQUAL(rows[s].diverged_orig, o->diverged_step);
        CU_ASSERT_EQUAL(rows[s].diverged_pruned, pr->diverged_step);
        diverged += (o->diverged_step >= 0) + (pr->diverged_step >= 0);
        for (size_t i = 0; i < nx; i++) {
            if (o->diverged_step < 0)
                PB_ASSERT_CLOSE(xfo[s * nx + i], o->x[n_steps * nx + i], TOL, TOL);
            else
                CU_ASSERT(isnan(xfo[s * nx + i]));
            if (pr->diverged_step < 0)
                PB_ASSERT_CLOSE(xfp[s * nx + i], pr->x[n_steps * nx + i], TOL, TOL);
        }
        PB_ASSERT_CLOSE(rows[s].max_dev_actual, nanmax(c->dev_actual, o->n_rows), TOL, TOL * 1e-3);
        PB_ASSERT_CLOSE(rows[s].max_dev_bound, nanmax(c->dev_bound, o->n_rows), TOL, 0.0);
        PB_ASSERT_CLOSE(rows[s].max_traj_dev, nanmax(c->traj_dev, o->n_rows), TOL, TOL);
        CU_ASSERT_EQUAL(rows[s].violations, 0);
        if (rows[s].max_dev_actual > dev_seen)
            dev_seen = rows[s].max_dev_actual;
    }
    CU_ASSERT(dev_seen > 0.0); /* the deviation comparison is not vacuous */

    sim_batch_model_free(bm);
    sim_result_free(res);
    sim_data_free(sd);
    sim_model_free(sm);
    free(rows);
    free(xfo);
    free(xfp);
    return diverged;
}

static mlp *prune_half(const mlp *m)
{
    prune_options o;
    mlp *out = NULL;
    pb_error err;
    prune_options_init(&o);
    o.sparsity = 0.5;
    CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find("magnitude"), &o, NULL, 0, &out, &err),
                          PB_SUCCESS);
    return out;
}

/* The ARCH-COMP QUAD controller and its pruned twin on quadrotor_arch, the
 * bench's workload on 150 states (a full block, a tail, two threads). */
static void test_quad_paths(void)
{
    enum { N = 150 };
    char path[2048], note[256];
    import_options opt;
    mlp *orig = NULL, *pruned;
    plant *p = plant_alloc(plant_find("quadrotor_arch"));
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double X0[N * 12];
    pb_error err;

    if (!pb_test_arch_dir()) {
        fprintf(stderr, "note: ARCH-COMP folder absent: QUAD speed paths skipped\n");
        goto done;
    }
    memset(&opt, 0, sizeof opt);
    snprintf(path, sizeof path, "%s/quadrotor/Quadrotor_controller.polar", pb_test_arch_dir());
    CU_ASSERT_EQUAL_FATAL(import_find("polar")->read(path, &opt, &orig, note, sizeof note, &err),
                          PB_SUCCESS);
    pruned = prune_half(orig);
    memset(X0, 0, sizeof X0);
    for (size_t s = 0; s < N; s++)
        for (size_t i = 0; i < 6; i++)
            X0[s * 12 + i] = gsl_ran_flat(r, -0.4, 0.4);
    compare_paths(p, orig, pruned, N, X0, 0, 50);
    compare_paths(p, orig, pruned, N, X0, 2, 50);
    mlp_free(pruned);
    mlp_free(orig);
done:
    gsl_rng_free(r);
    plant_free(p);
}

/* A random n_in-16-16-n_out policy (sigmoid, tanh, linear), weights of
 * standard deviation scale. */
static mlp *random_mlp(size_t n_in, size_t n_out, double scale, gsl_rng *r)
{
    size_t sizes[4] = {n_in, 16, 16, n_out};
    mlp_act acts[3] = {MLP_ACT_SIGMOID, MLP_ACT_TANH, MLP_ACT_LINEAR};
    pb_error err;
    mlp *m = mlp_alloc(3, sizes, acts, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    for (size_t k = 0; k < 3; k++) {
        mlp_layer *l = &m->layers[k];
        for (size_t i = 0; i < l->n_in * l->n_out; i++)
            l->W[i] = gsl_ran_gaussian(r, scale);
        for (size_t i = 0; i < l->n_out; i++)
            l->b[i] = gsl_ran_gaussian(r, 0.1);
    }
    return m;
}

static void diverging_case(const char *plant_name, double scale, double x_range, int expect_div)
{
    enum { N = 40 };
    plant *p = plant_alloc(plant_find(plant_name));
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t nx, nu, div;
    mlp *orig, *pruned;
    double *X0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    nx = p->type->nx;
    nu = p->type->nu;
    orig = random_mlp(nx, nu, scale, r);
    pruned = prune_half(orig);
    X0 = calloc(N * nx, sizeof *X0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(X0);
    for (size_t i = 0; i < N * nx; i++)
        X0[i] = gsl_ran_flat(r, -x_range, x_range);
    div = compare_paths(p, orig, pruned, N, X0, 2, 30);
    fprintf(stderr, "note: %s: %zu of %d loops diverged\n", plant_name, div, 2 * N);
    if (expect_div)
        CU_ASSERT(div > 0); /* the divergence path was exercised */
    free(X0);
    mlp_free(pruned);
    mlp_free(orig);
    plant_free(p);
    gsl_rng_free(r);
}

/* A random policy on quadrotor_arch: loops diverge at various steps. */
static void test_diverging_quad(void)
{
    diverging_case("quadrotor_arch", 1.5, 0.5, 1);
}

/* cartpole has no vectorised right-hand side: the generic path. */
static void test_generic_rhs(void)
{
    diverging_case("cartpole", 3.0, 0.3, 0);
}

static void test_errors(void)
{
    plant *p = plant_alloc(plant_find("quadrotor_arch"));
    plant *pc = plant_alloc(plant_find("cartpole"));
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    mlp *a = random_mlp(12, 3, 1.0, r), *b = random_mlp(12, 2, 1.0, r), *c = random_mlp(4, 1, 1.0, r);
    sim_batch_model *m;
    sim_batch_row row;
    double x0[12] = {0};
    pb_error err;

    err.code = 0;
    CU_ASSERT_PTR_NULL(sim_batch_model_alloc(p, 0.1, 10, 5, a, NULL, &err));
    CU_ASSERT_EQUAL(err.code, PB_EINVAL);
    CU_ASSERT_PTR_NULL(sim_batch_model_alloc(p, 0.0, 10, 5, a, a, &err));
    CU_ASSERT_EQUAL(err.code, PB_EINVAL);
    CU_ASSERT_PTR_NULL(sim_batch_model_alloc(p, 0.1, 0, 5, a, a, &err));
    CU_ASSERT_EQUAL(err.code, PB_EINVAL);
    CU_ASSERT_PTR_NULL(sim_batch_model_alloc(p, 0.1, 10, 0, a, a, &err));
    CU_ASSERT_EQUAL(err.code, PB_EINVAL);
    CU_ASSERT_PTR_NULL(sim_batch_model_alloc(p, 0.1, 10, 5, b, b, &err)); /* nu mismatch */
    CU_ASSERT_EQUAL(err.code, PB_EINVAL);
    CU_ASSERT_PTR_NULL(sim_batch_model_alloc(pc, 0.1, 10, 5, a, a, &err)); /* nx mismatch */
    CU_ASSERT_EQUAL(err.code, PB_EINVAL);
    CU_ASSERT_PTR_NULL(sim_batch_model_alloc(pc, 0.1, 10, 5, c, a, &err)); /* shapes differ */
    CU_ASSERT_EQUAL(err.code, PB_EINVAL);
    a->layers[0].W[0] = NAN; /* an invalid network */
    CU_ASSERT_PTR_NULL(sim_batch_model_alloc(p, 0.1, 10, 5, a, b, &err));
    CU_ASSERT_EQUAL(err.code, PB_EINVAL);
    a->layers[0].W[0] = 0.0;
    m = sim_batch_model_alloc(p, 0.1, 10, 5, a, a, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(sim_batch_run(m, 0, 1, x0, &row, NULL, NULL, &err), PB_EINVAL);
    /* the same network twice: no change, bound 0, deviation 0 up to the
     * rounding of GEMMs of different row counts; an initial
     * state outside the limits (|phi| > att_max) is not reached */
    CU_ASSERT_EQUAL(sim_batch_run(m, 1, 1, x0, &row, NULL, NULL, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(row.max_dev_bound, 0.0);
    CU_ASSERT(row.max_dev_actual <= 1e-14);
    x0[6] = 2.0;
    CU_ASSERT_EQUAL(sim_batch_run(m, 1, 1, x0, &row, NULL, NULL, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(row.diverged_orig, 0);
    CU_ASSERT_EQUAL(row.diverged_pruned, 0);
    CU_ASSERT(isnan(row.final_norm_orig));
    sim_batch_model_free(m);
    sim_batch_model_free(NULL);
    sim_batch_work_free(NULL);
    mlp_free(a);
    mlp_free(b);
    mlp_free(c);
    plant_free(p);
    plant_free(pc);
    gsl_rng_free(r);
}

static const pb_test_case rk4_tests[] = {{"one step = Taylor polynomial", test_rk4_step_polynomial},
                                         {"order 4", test_rk4_order},
                                         {"registered as rk4fixed", test_rk4_registered},
                                         {"SoA step = GSL step", test_rk4_batch_equals_step},
                                         {NULL, NULL}};
static const pb_test_case batch_tests[] = {{"QUAD: batch = sim_run", test_quad_paths},
                                           {"diverging loops", test_diverging_quad},
                                           {"generic RHS (cartpole)", test_generic_rhs},
                                           {"errors", test_errors},
                                           {NULL, NULL}};
const pb_test_suite pb_test_suites[] = {
    {"rk4fixed", rk4_tests}, {"sim_batch", batch_tests}, {NULL, NULL}};
