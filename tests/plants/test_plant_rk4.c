/* test_plant_rk4.c: the fixed-step RK4 (plant_rk4.h) against independent
 * oracles:
 *   - one rk4fixed step on y' = -y equals the degree-4 Taylor polynomial of
 *     exp(-h) (Butcher 2008, sec. 23: RK4 reproduces it on linear problems),
 *     yerr is 0, and the global error falls as h^4;
 *   - the batched SoA step equals the GSL-interface step state by state.
 * The engine's batched loops against its per-lane ones: tests/test_sim.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "pb_test.h"
#include "plant_rk4.h"
#include "plant_step.h"

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
    double *P = p ? malloc(p->type->np * LDB * sizeof *P) : NULL;
    pb_error err;

    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_PTR_NOT_NULL_FATAL(P);
    for (size_t q = 0; q < p->type->np; q++)
        for (size_t s = 0; s < LDB; s++)
            P[q * LDB + s] = p->p[q];
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
    plant_rk4_batch_apply(p->type, N, LDB, 0.0, 0.01, X, U, P, w);
    for (size_t s = 0; s < N; s++) {
        CU_ASSERT_EQUAL(plant_stepper_apply(st, 0.0, x[s], u[s]), PB_SUCCESS);
        for (size_t i = 0; i < 12; i++)
            PB_ASSERT_CLOSE(X[i * LDB + s], x[s][i], TOL, TOL);
    }
    plant_stepper_free(st);
    plant_free(p);
    gsl_rng_free(r);
    free(w);
    free(P);
}

static const pb_test_case rk4_tests[] = {{"one step = Taylor polynomial", test_rk4_step_polynomial},
                                         {"order 4", test_rk4_order},
                                         {"registered as rk4fixed", test_rk4_registered},
                                         {"SoA step = GSL step", test_rk4_batch_equals_step},
                                         {NULL, NULL}};
const pb_test_suite pb_test_suites[] = {{"rk4fixed", rk4_tests}, {NULL, NULL}};
