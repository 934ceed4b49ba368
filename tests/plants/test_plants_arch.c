/* test_plants_arch.c: the ARCH-COMP AINNCS plant types (acc, double_pendulum,
 * airplane, attitude_control, unicycle, docking) against an independent NumPy
 * model written from ../shared/benchmarks/arch-comp/README.md
 * (tests/plants/arch_plants_oracle.py), their Jacobians against central
 * differences, and their batched right-hand sides against f lane by lane. */
#include "pb_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "plant.h"
#include "plant_rk4.h"

/* A parameter the tests draw at random (the others stay at their defaults). */
typedef struct drawn_param {
    const char *name;
    double lo, hi;
} drawn_param;

/* Each type with a box of states that keeps it in its domain (airplane:
 * |theta| < pi/2), the range of its inputs, and its drawn parameters. */
typedef struct arch_case {
    const char *name;
    double x_lo[PLANT_NX_MAX], x_hi[PLANT_NX_MAX];
    double u_range;
    drawn_param drawn[3];
} arch_case;

static const arch_case cases[] = {
    {"acc",
     {-200, -40, -10, -200, -40, -10},
     {200, 40, 10, 200, 40, 10},
     5.0,
     {{"a_lead", -5.0, 5.0}, {"mu", 0.0, 1e-3}, {NULL, 0, 0}}},
    {"double_pendulum", {-4, -4, -5, -5}, {4, 4, 5, 5}, 3.0, {{NULL, 0, 0}}},
    {"airplane",
     {-5, -5, -5, -3, -3, -3, -3, -1.4, -3, -2, -2, -2},
     {5, 5, 5, 3, 3, 3, 3, 1.4, 3, 2, 2, 2},
     3.0,
     {{NULL, 0, 0}}},
    {"attitude_control", {-2, -2, -2, -2, -2, -2}, {2, 2, 2, 2, 2, 2}, 3.0, {{NULL, 0, 0}}},
    {"unicycle", {-20, -20, -7, -5}, {20, 20, 7, 5}, 3.0, {{"w", -1e-4, 1e-4}, {NULL, 0, 0}}},
    {"docking",
     {-200, -200, -2, -2},
     {200, 200, 2, 2},
     5.0,
     {{"m", 1.0, 50.0}, {"n", 0.0, 0.01}, {NULL, 0, 0}}},
};
enum { N_CASES = sizeof cases / sizeof cases[0], N_POINTS = 200 };

/* One random point of case c: x, u, and p (defaults, drawn ones replaced). */
static void draw_point(const arch_case *c, const plant_type *t, gsl_rng *r, double x[],
                       double u[], double p[])
{
    for (size_t i = 0; i < t->nx; i++)
        x[i] = c->x_lo[i] + (c->x_hi[i] - c->x_lo[i]) * gsl_rng_uniform(r);
    for (size_t j = 0; j < t->nu; j++)
        u[j] = c->u_range * (2.0 * gsl_rng_uniform(r) - 1.0);
    for (size_t q = 0; q < t->np; q++)
        p[q] = t->params[q].def;
    for (const drawn_param *d = c->drawn; d->name; d++) {
        int q = plant_param_index(t, d->name);
        CU_ASSERT_FATAL(q >= 0);
        p[q] = d->lo + (d->hi - d->lo) * gsl_rng_uniform(r);
    }
}

static const plant_type *case_type(const arch_case *c)
{
    const plant_type *t = plant_find(c->name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    return t;
}

/* f at N_POINTS random points of every case against the NumPy oracle, to
 * 1e-12 of the point's largest component (both sides round differently where
 * terms cancel: sin D against s1 c2 - c1 s2, tan against sin / cos). */
static void test_rhs_vs_numpy(void)
{
    static double x[N_CASES][N_POINTS][PLANT_NX_MAX], fc[N_CASES][N_POINTS][PLANT_NX_MAX];
    const char *in = pb_test_path("arch_points.txt"), *out = pb_test_path("arch_oracle.txt");
    char cmd[4096];
    gsl_rng *rng;
    FILE *fh;
    int st;

    if (pb_test_python("import numpy", "", NULL, 0) != 0) {
        pb_test_skip("no python3 with numpy: the ARCH plants' NumPy oracle cannot run");
        return;
    }
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20260301);
    fh = fopen(in, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fh);
    for (size_t k = 0; k < N_CASES; k++) {
        const plant_type *t = case_type(&cases[k]);
        for (size_t s = 0; s < N_POINTS; s++) {
            double u[PLANT_NU_MAX], p[PLANT_NP_MAX];
            draw_point(&cases[k], t, rng, x[k][s], u, p);
            CU_ASSERT_EQUAL(t->f(0.0, x[k][s], u, p, fc[k][s]), PB_SUCCESS);
            fprintf(fh, "%s", t->name);
            for (size_t i = 0; i < t->nx; i++)
                fprintf(fh, " %.17g", x[k][s][i]);
            fprintf(fh, " |");
            for (size_t j = 0; j < t->nu; j++)
                fprintf(fh, " %.17g", u[j]);
            fprintf(fh, " |");
            for (size_t q = 0; q < t->np; q++)
                fprintf(fh, " %s=%.17g", t->params[q].name, p[q]);
            fprintf(fh, "\n");
        }
    }
    fclose(fh);
    snprintf(cmd, sizeof cmd, "'%s' '%s/../plants/arch_plants_oracle.py' '%s' > '%s'", PB_PYTHON3,
             PB_TEST_DATA, in, out);
    st = system(cmd);
    CU_ASSERT_EQUAL_FATAL(st, 0);
    fh = fopen(out, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fh);
    for (size_t k = 0; k < N_CASES; k++) {
        const plant_type *t = case_type(&cases[k]);
        double worst = 0.0;
        for (size_t s = 0; s < N_POINTS; s++) {
            double o[PLANT_NX_MAX], scale = 0.0;
            for (size_t i = 0; i < t->nx; i++) {
                CU_ASSERT_EQUAL_FATAL(fscanf(fh, "%lf", &o[i]), 1);
                scale = fmax(scale, fabs(o[i]));
            }
            for (size_t i = 0; i < t->nx; i++) {
                PB_ASSERT_CLOSE(fc[k][s][i], o[i], 0.0, 1e-12 * scale);
                worst = fmax(worst, fabs(fc[k][s][i] - o[i]) / scale);
            }
        }
        printf("\n    %-16s f vs NumPy at %d points: worst |diff| %.2g of the largest component",
               t->name, N_POINTS, worst);
    }
    printf("\n");
    fclose(fh);
    gsl_rng_free(rng);
}

/* The analytic Jacobians against central differences (step 1e-5 max(1, |v|))
 * at N_POINTS random points of every case, to 1e-7 relative. */
static void test_jacobian_vs_differences(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    for (size_t k = 0; k < N_CASES; k++) {
        const plant_type *t = case_type(&cases[k]);
        size_t nx = t->nx, nu = t->nu;
        double worst = 0.0;
        for (size_t s = 0; s < N_POINTS; s++) {
            double x[PLANT_NX_MAX], u[PLANT_NU_MAX], p[PLANT_NP_MAX];
            double A[PLANT_NX_MAX * PLANT_NX_MAX], B[PLANT_NX_MAX * PLANT_NU_MAX];
            double fp[PLANT_NX_MAX], fm[PLANT_NX_MAX];
            draw_point(&cases[k], t, rng, x, u, p);
            CU_ASSERT_EQUAL_FATAL(t->jac(0.0, x, u, p, A, B), PB_SUCCESS);
            for (size_t j = 0; j < nx + nu; j++) {
                double *v = j < nx ? &x[j] : &u[j - nx], v0 = *v;
                double h = 1e-5 * fmax(1.0, fabs(v0));
                *v = v0 + h;
                CU_ASSERT_EQUAL_FATAL(t->f(0.0, x, u, p, fp), PB_SUCCESS);
                *v = v0 - h;
                CU_ASSERT_EQUAL_FATAL(t->f(0.0, x, u, p, fm), PB_SUCCESS);
                *v = v0;
                for (size_t i = 0; i < nx; i++) {
                    double fd = (fp[i] - fm[i]) / (2.0 * h);
                    double an = j < nx ? A[i * nx + j] : B[i * nu + (j - nx)];
                    double e = fabs(fd - an) / (1.0 + fabs(an));
                    worst = fmax(worst, e);
                    if (!(e < 1e-7))
                        printf("\n    %s: d f[%zu] / d %s: analytic %.10g, differences %.10g",
                               t->name, i, j < nx ? t->states[j].name : t->inputs[j - nx].name,
                               an, fd);
                    CU_ASSERT(e < 1e-7);
                }
            }
        }
        printf("\n    %-16s Jacobian vs central differences: worst relative %.2g", t->name, worst);
    }
    printf("\n");
    gsl_rng_free(rng);
}

enum { BN = 37, BLD = 40 };

/* f_batch (and plant_batch_eval) on BN lanes at stride BLD, every lane with
 * its own drawn parameters, against f lane by lane: to 1e-12 of the lane's
 * largest component (the vector sines and cosines may differ from libm's in
 * the last bits). */
static void test_batch_vs_lanes(void)
{
    static double X[PLANT_NX_MAX * BLD], U[PLANT_NU_MAX * BLD], P[PLANT_NP_MAX * BLD];
    static double dX[PLANT_NX_MAX * BLD], dE[PLANT_NX_MAX * BLD], w[PLANT_BATCH_WORK * BLD];
    static double fx[BN][PLANT_NX_MAX];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 99);
    for (size_t k = 0; k < N_CASES; k++) {
        const plant_type *t = case_type(&cases[k]);
        double worst = 0.0;
        CU_ASSERT_PTR_NOT_NULL_FATAL(t->f_batch);
        for (int rep = 0; rep < 10; rep++) {
            for (size_t s = 0; s < BN; s++) {
                double x[PLANT_NX_MAX], u[PLANT_NU_MAX], p[PLANT_NP_MAX];
                draw_point(&cases[k], t, rng, x, u, p);
                CU_ASSERT_EQUAL(t->f(0.0, x, u, p, fx[s]), PB_SUCCESS);
                for (size_t i = 0; i < t->nx; i++)
                    X[i * BLD + s] = x[i];
                for (size_t j = 0; j < t->nu; j++)
                    U[j * BLD + s] = u[j];
                for (size_t q = 0; q < t->np; q++)
                    P[q * BLD + s] = p[q];
            }
            t->f_batch(0.0, BN, BLD, X, U, P, dX, w);
            plant_batch_eval(t, 0.0, BN, BLD, X, U, P, dE, w);
            for (size_t s = 0; s < BN; s++) {
                double scale = 0.0;
                for (size_t i = 0; i < t->nx; i++)
                    scale = fmax(scale, fabs(fx[s][i]));
                for (size_t i = 0; i < t->nx; i++) {
                    PB_ASSERT_CLOSE(dX[i * BLD + s], fx[s][i], 0.0, 1e-12 * scale);
                    CU_ASSERT(dE[i * BLD + s] == dX[i * BLD + s]);
                    worst = fmax(worst, fabs(dX[i * BLD + s] - fx[s][i]) / scale);
                }
            }
        }
        printf("\n    %-16s f_batch vs f: worst |diff| %.2g of the largest component", t->name,
               worst);
    }
    printf("\n");
    gsl_rng_free(rng);
}

/* Rest points the README implies: the ACC ego car rests with a_ego = 0 while
 * the lead (a_lead = -2) keeps decelerating (x3' = 2 a_lead at rest); the
 * unicycle rests with u1 = -w for the benchmark's w = +-1e-4; the airplane
 * hovers with Fz = -1 (m = g = 1). */
static void test_rest_points(void)
{
    const plant_type *acc = plant_find("acc"), *uni = plant_find("unicycle");
    const plant_type *air = plant_find("airplane");
    plant *m;
    double x[PLANT_NX_MAX], u[PLANT_NU_MAX], f[PLANT_NX_MAX];

    CU_ASSERT_PTR_NOT_NULL_FATAL(acc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(uni);
    CU_ASSERT_PTR_NOT_NULL_FATAL(air);
    m = plant_alloc(acc);
    CU_ASSERT_EQUAL(m->p[plant_param_index(acc, "a_lead")], -2.0);
    CU_ASSERT_EQUAL(m->p[plant_param_index(acc, "mu")], 1e-4);
    acc->equilibrium(m->p, x, u);
    CU_ASSERT_EQUAL(plant_eval(m, 0.0, x, u, f), PB_SUCCESS);
    CU_ASSERT(f[0] == 0.0 && f[1] == 0.0 && f[2] == -4.0);
    CU_ASSERT(f[3] == 0.0 && f[4] == 0.0 && f[5] == 0.0);
    plant_free(m);

    m = plant_alloc(uni);
    for (int sign = -1; sign <= 1; sign += 2) {
        CU_ASSERT_EQUAL(plant_set_param(m, "w", sign * 1e-4, NULL), PB_SUCCESS);
        uni->equilibrium(m->p, x, u);
        CU_ASSERT_EQUAL(u[0], -sign * 1e-4);
        CU_ASSERT_EQUAL(plant_eval(m, 0.0, x, u, f), PB_SUCCESS);
        for (int i = 0; i < 4; i++)
            CU_ASSERT_EQUAL(f[i], 0.0);
    }
    plant_free(m);

    m = plant_alloc(air);
    air->equilibrium(m->p, x, u);
    CU_ASSERT_EQUAL(u[2], -1.0);
    CU_ASSERT_EQUAL(plant_eval(m, 0.0, x, u, f), PB_SUCCESS);
    for (int i = 0; i < 12; i++)
        CU_ASSERT_EQUAL(f[i], 0.0);
    plant_free(m);
}

static const pb_test_case arch_tests[] = {
    {"right-hand sides match the NumPy model of the README", test_rhs_vs_numpy},
    {"Jacobians match central differences", test_jacobian_vs_differences},
    {"f_batch matches f lane by lane", test_batch_vs_lanes},
    {"rest points of ACC, unicycle, airplane", test_rest_points},
    {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {{"plants_arch", arch_tests}, {NULL, NULL}};
