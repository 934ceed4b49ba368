/* test_plants.c: plant types, the sampled-data step, the batched right-hand
 * sides and RK4 step, and the LQR expert, against analytic solutions, central
 * differences, the per-state paths and SciPy. */
#include "pb_test.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "pb_vec.h"
#include "plant.h"
#include "plant_lqr.h"
#include "plant_rk4.h"
#include "plant_step.h"

/* ---- test-only plant types ---------------------------------------------- */

/* Harmonic oscillator x'' = -w^2 x + u: a problem with a known solution.
 * jac_calls counts Jacobian evaluations (the test runner is single-threaded). */
static long jac_calls;

static const plant_var osc_states[] = {{"x", "m"}, {"v", "m/s"}};
static const plant_var osc_inputs[] = {{"u", "m/s^2"}};
static const plant_param osc_params[] = {
    {"w", "rad/s", "angular frequency", 2.0, 0.0, 1e6, PLANT_PARAM_LO_OPEN}};
static const double osc_q[] = {1.0, 1.0};
static const double osc_r[] = {1.0};

static int osc_f(double t, const double x[], const double u[], const double p[], double dxdt[])
{
    (void)t;
    dxdt[0] = x[1];
    dxdt[1] = -p[0] * p[0] * x[0] + u[0];
    return isfinite(dxdt[0]) && isfinite(dxdt[1]) ? PB_SUCCESS : PB_EDIVERGED;
}

static int osc_jac(double t, const double x[], const double u[], const double p[], double dfdx[],
                   double dfdu[])
{
    (void)t;
    (void)x;
    (void)u;
    jac_calls++;
    if (dfdx) {
        dfdx[0] = 0.0;
        dfdx[1] = 1.0;
        dfdx[2] = -p[0] * p[0];
        dfdx[3] = 0.0;
    }
    if (dfdu) {
        dfdu[0] = 0.0;
        dfdu[1] = 1.0;
    }
    return PB_SUCCESS;
}

static void osc_equilibrium(const double p[], double x[], double u[])
{
    (void)p;
    x[0] = x[1] = u[0] = 0.0;
}

static void no_limits(const double p[], double lo[], double hi[])
{
    (void)p;
    for (int i = 0; i < 2; i++) {
        lo[i] = -INFINITY;
        hi[i] = INFINITY;
    }
}

static const plant_type osc_type = {.name = "test_oscillator",
                                    .equation = "x'' = -w^2 x + u",
                                    .nx = 2,
                                    .nu = 1,
                                    .np = 1,
                                    .states = osc_states,
                                    .inputs = osc_inputs,
                                    .params = osc_params,
                                    .f = osc_f,
                                    .jac = osc_jac,
                                    .equilibrium = osc_equilibrium,
                                    .input_limits = no_limits,
                                    .state_limits = no_limits,
                                    .lqr_q = osc_q,
                                    .lqr_r = osc_r};

/* The same without a Jacobian: exercises the central-difference fallbacks. */
static const plant_type osc_nojac_type = {.name = "test_oscillator_nojac",
                                          .equation = "x'' = -w^2 x + u",
                                          .nx = 2,
                                          .nu = 1,
                                          .np = 1,
                                          .states = osc_states,
                                          .inputs = osc_inputs,
                                          .params = osc_params,
                                          .f = osc_f,
                                          .jac = NULL,
                                          .equilibrium = osc_equilibrium,
                                          .input_limits = no_limits,
                                          .state_limits = no_limits,
                                          .lqr_q = osc_q,
                                          .lqr_r = osc_r};

/* Exact solution of the oscillator with u held: x(t) = u/w^2 + (x0 - u/w^2)
 * cos wt + v0/w sin wt. */
static void osc_exact(double w, const double x0[], double u, double t, double x[])
{
    double c = u / (w * w), a = x0[0] - c;
    x[0] = c + a * cos(w * t) + x0[1] / w * sin(w * t);
    x[1] = -a * w * sin(w * t) + x0[1] * cos(w * t);
}

/* y' = y^2 + 0 u, blowing up at t = 1/y0: a trajectory that becomes non-finite. */
static const plant_var blow_states[] = {{"y", "1"}};
static const plant_var blow_inputs[] = {{"u", "1"}};
static const double blow_q[] = {1.0};
static const double blow_r[] = {1.0};

static int blow_f(double t, const double x[], const double u[], const double p[], double dxdt[])
{
    (void)t;
    (void)u;
    (void)p;
    dxdt[0] = x[0] * x[0];
    return isfinite(dxdt[0]) ? PB_SUCCESS : PB_EDIVERGED;
}

static void blow_equilibrium(const double p[], double x[], double u[])
{
    (void)p;
    x[0] = u[0] = 0.0;
}

static void blow_limits(const double p[], double lo[], double hi[])
{
    (void)p;
    lo[0] = -INFINITY;
    hi[0] = INFINITY;
}

static const plant_type blow_type = {.name = "test_blowup",
                                     .equation = "y' = y^2",
                                     .nx = 1,
                                     .nu = 1,
                                     .np = 0,
                                     .states = blow_states,
                                     .inputs = blow_inputs,
                                     .params = NULL,
                                     .f = blow_f,
                                     .equilibrium = blow_equilibrium,
                                     .input_limits = blow_limits,
                                     .state_limits = blow_limits,
                                     .lqr_q = blow_q,
                                     .lqr_r = blow_r};

/* ---- helpers ------------------------------------------------------------ */

static plant *model(const char *name)
{
    const plant_type *t = plant_find(name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    return plant_alloc(t);
}

static double type_period(const plant_type *t)
{
    return t->period > 0 ? t->period : 0.05;
}

/* ---- the sampled-data step ---------------------------------------------- */

/* E = m L^2 w^2 / 2 + m g L cos(theta) (theta from upright) is conserved by the
 * unforced frictionless pendulum; over 100 oscillation periods (about 204 s in
 * 0.05 s control periods, rk8pd at 1e-10) it must drift by less than 1e-9
 * relative (measured: 5e-14). */
static void test_pendulum_energy(void)
{
    plant *m = model("pendulum");
    plant_integrator o;
    plant_stepper *s;
    pb_error err;
    double x[2] = {M_PI - 0.5, 0.0}, E0, E, maxrel = 0.0;
    double T = 0.05, Tosc;
    size_t n;

    CU_ASSERT_EQUAL_FATAL(plant_set_param(m, "c", 0.0, &err), PB_SUCCESS);
    /* Small-amplitude period 2 pi sqrt(L/g), lengthened for amplitude 0.5 by the
     * series 1 + a^2/16 + 11 a^4/3072 (Abramowitz & Stegun 17.3.11 expansion). */
    Tosc = 2 * M_PI * sqrt(1.0 / 9.81) * (1 + 0.25 / 16 + 11 * 0.0625 / 3072);
    n = (size_t)ceil(100 * Tosc / T);
    plant_integrator_init(&o);
    s = plant_stepper_alloc(m, &o, T, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    E0 = 0.5 * x[1] * x[1] + 9.81 * cos(x[0]);
    for (size_t k = 0; k < n; k++) {
        double u = 0.0;
        CU_ASSERT_EQUAL_FATAL(plant_stepper_apply(s, (double)k * T, x, &u), PB_SUCCESS);
        E = 0.5 * x[1] * x[1] + 9.81 * cos(x[0]);
        maxrel = fmax(maxrel, fabs(E - E0) / fabs(E0));
    }
    printf("\n    pendulum energy: max relative drift %.3g over %zu steps\n", maxrel, n);
    CU_ASSERT(maxrel < 1e-9);
    /* It did swing: theta went through the bottom and back many times. */
    CU_ASSERT(fabs(x[0] - M_PI) <= 0.5 + 1e-6);
    plant_stepper_free(s);
    plant_free(m);
}

static double osc_rk4_error(size_t substeps)
{
    plant m = {&osc_type, NULL};
    double p[1] = {2.0}, x[2] = {1.0, -0.5}, x0[2] = {1.0, -0.5}, ex[2], u = 0.7;
    plant_integrator o;
    plant_stepper *s;
    double T = 2.0;
    m.p = p;
    plant_integrator_init(&o);
    strcpy(o.method, "rk4");
    o.substeps = substeps;
    s = plant_stepper_alloc(&m, &o, T, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(plant_stepper_apply(s, 0.0, x, &u), PB_SUCCESS);
    plant_stepper_free(s);
    osc_exact(2.0, x0, u, T, ex);
    return hypot(x[0] - ex[0], x[1] - ex[1]);
}

/* Classical RK4 has global error O(h^4): halving h divides it by ~16. */
static void test_rk4_order(void)
{
    double e1 = osc_rk4_error(10), e2 = osc_rk4_error(20), e3 = osc_rk4_error(40);
    double r1 = e1 / e2, r2 = e2 / e3;
    printf("\n    rk4 errors %.3g %.3g %.3g, ratios %.3f %.3f (order %.3f)\n", e1, e2, e3, r1, r2,
           log2(r2));
    CU_ASSERT(e3 > 1e-13); /* not at the rounding floor */
    CU_ASSERT(r1 > 14.0 && r1 < 18.5);
    CU_ASSERT(r2 > 15.0 && r2 < 17.0);
    CU_ASSERT(fabs(log2(r2) - 4.0) < 0.1);
}

/* Every method, adaptive and fixed, integrates the oscillator against its
 * exact solution; the implicit ones call the Jacobian. */
static void test_every_stepper(void)
{
    plant m = {&osc_type, NULL};
    double p[1] = {2.0}, x0[2] = {1.0, 0.0}, ex[2], u = 0.5;
    static const char *implicit[] = {"rk1imp", "rk2imp", "rk4imp", "bsimp", "msbdf"};
    size_t count = 0;

    m.p = p;
    osc_exact(2.0, x0, u, 1.0, ex);
    for (const char *const *name = plant_stepper_names; *name; name++, count++) {
        int is_implicit = 0;
        for (size_t i = 0; i < sizeof implicit / sizeof *implicit; i++)
            is_implicit |= strcmp(*name, implicit[i]) == 0;
        for (int fixed = 0; fixed <= 1; fixed++) {
            plant_integrator o;
            plant_stepper *s;
            pb_error err;
            double x[2] = {x0[0], x0[1]}, e;
            /* First-order methods converge slowly: their tolerance is looser. */
            int first = strcmp(*name, "rk1imp") == 0;
            double tol = fixed ? (first ? 5e-3 : 1e-4) : (first ? 1e-3 : 1e-6);

            plant_integrator_init(&o);
            snprintf(o.method, sizeof o.method, "%s", *name);
            /* Fixed mode: the ms methods pick their order from these. */
            o.epsabs = o.epsrel = fixed ? 1e-6 : (first ? 1e-8 : 1e-10);
            o.substeps = fixed ? 1000 : 0;
            jac_calls = 0;
            if (!fixed && strcmp(*name, "rk4fixed") == 0) {
                /* No error estimate: adaptive mode must be refused, not run. */
                CU_ASSERT_PTR_NULL(plant_stepper_alloc(&m, &o, 1.0, &err));
                CU_ASSERT_EQUAL(err.code, PB_EINVAL);
                CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "substeps"));
                continue;
            }
            s = plant_stepper_alloc(&m, &o, 1.0, &err);
            CU_ASSERT_PTR_NOT_NULL_FATAL(s);
            CU_ASSERT_EQUAL(plant_stepper_apply(s, 0.0, x, &u), PB_SUCCESS);
            e = hypot(x[0] - ex[0], x[1] - ex[1]);
            if (!(e < tol))
                printf("\n    %s (%s): error %.3g > %.3g\n", *name, fixed ? "fixed" : "adaptive", e,
                       tol);
            CU_ASSERT(e < tol);
            if (is_implicit)
                CU_ASSERT(jac_calls > 0);
            plant_stepper_free(s);
        }
    }
    CU_ASSERT_EQUAL(count, 12);
}

/* Without an analytic Jacobian the implicit methods use central differences. */
static void test_implicit_without_jacobian(void)
{
    plant m = {&osc_nojac_type, NULL};
    double p[1] = {2.0}, x0[2] = {1.0, 0.0}, x[2] = {1.0, 0.0}, ex[2], u = -0.3;
    plant_integrator o;
    plant_stepper *s;

    m.p = p;
    plant_integrator_init(&o);
    strcpy(o.method, "bsimp");
    s = plant_stepper_alloc(&m, &o, 1.0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(plant_stepper_apply(s, 0.0, x, &u), PB_SUCCESS);
    osc_exact(2.0, x0, u, 1.0, ex);
    CU_ASSERT(hypot(x[0] - ex[0], x[1] - ex[1]) < 1e-6);
    plant_stepper_free(s);
}

/* The held input is saturated: 100 N m and u_max give the same trajectory;
 * the same inputs give bit-identical states (determinism). */
static void test_zoh_saturates(void)
{
    plant *m = model("pendulum");
    plant_integrator o;
    plant_stepper *s;
    double xa[2] = {0.1, 0.0}, xb[2] = {0.1, 0.0}, xc[2] = {0.1, 0.0};
    double big = 100.0, lim = 20.0, less = 19.0;

    plant_integrator_init(&o);
    s = plant_stepper_alloc(m, &o, 0.05, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(plant_stepper_apply(s, 0.0, xa, &big), PB_SUCCESS);
    plant_stepper_reset(s);
    CU_ASSERT_EQUAL(plant_stepper_apply(s, 0.0, xb, &lim), PB_SUCCESS);
    plant_stepper_reset(s);
    CU_ASSERT_EQUAL(plant_stepper_apply(s, 0.0, xc, &less), PB_SUCCESS);
    CU_ASSERT(xa[0] == xb[0] && xa[1] == xb[1]);
    CU_ASSERT(xc[1] < xb[1]); /* a smaller torque does change the result */
    plant_stepper_free(s);
    plant_free(m);
}

/* Leaving the state limits, a non-finite state and a NaN input give
 * PB_EDIVERGED (never an abort); too many steps give PB_ENUMERIC. */
static void test_divergence(void)
{
    plant *m = model("pendulum");
    plant_integrator o;
    plant_stepper *s;
    pb_error err;
    double x[2] = {0.0, 50.0}, u = 0.0, nan_u = NAN;

    /* Huge initial speed, tight limits: theta passes 1 rad within 0.05 s. */
    CU_ASSERT_EQUAL(plant_set_param(m, "theta_max", 1.0, &err), PB_SUCCESS);
    plant_integrator_init(&o);
    s = plant_stepper_alloc(m, &o, 0.05, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(plant_stepper_apply(s, 0.0, x, &u), PB_EDIVERGED);
    CU_ASSERT(isfinite(x[0]) && isfinite(x[1]));
    /* Starting outside the limits, or non-finite, or with a NaN input. */
    x[0] = 2.0;
    x[1] = 0.0;
    CU_ASSERT_EQUAL(plant_stepper_apply(s, 0.0, x, &u), PB_EDIVERGED);
    x[0] = NAN;
    CU_ASSERT_EQUAL(plant_stepper_apply(s, 0.0, x, &u), PB_EDIVERGED);
    x[0] = 0.1;
    CU_ASSERT_EQUAL(plant_stepper_apply(s, 0.0, x, &nan_u), PB_EDIVERGED);
    plant_stepper_free(s);
    plant_free(m);

    /* y' = y^2 with coarse fixed RK4 steps overflows to inf: the plant
     * reports it, the step returns PB_EDIVERGED with the last finite state. */
    {
        plant b = {&blow_type, NULL};
        double y = 10.0, ub = 0.0;
        plant_integrator ob;
        plant_stepper *sb;
        plant_integrator_init(&ob);
        strcpy(ob.method, "rk4");
        ob.substeps = 20;
        sb = plant_stepper_alloc(&b, &ob, 20.0, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(sb);
        CU_ASSERT_EQUAL(plant_stepper_apply(sb, 0.0, &y, &ub), PB_EDIVERGED);
        CU_ASSERT(isfinite(y) && y > 1e10);
        plant_stepper_free(sb);
    }

    /* Adaptive steps into the blow-up at t = 1 shrink until GSL gives up
     * (no state limit set, the state still finite): a stepper failure,
     * PB_ENUMERIC, with the last accepted state in x. */
    {
        static const char *methods[] = {"rk8pd", "rk4imp", "msbdf"};
        for (int i = 0; i < 3; i++) {
            plant b = {&blow_type, NULL};
            double y = 1.0, ub = 0.0;
            plant_integrator ob;
            plant_stepper *sb;
            plant_integrator_init(&ob);
            strcpy(ob.method, methods[i]);
            sb = plant_stepper_alloc(&b, &ob, 2.0, &err);
            CU_ASSERT_PTR_NOT_NULL_FATAL(sb);
            CU_ASSERT_EQUAL(plant_stepper_apply(sb, 0.0, &y, &ub), PB_ENUMERIC);
            CU_ASSERT(isfinite(y) && y > 1e6);
            plant_stepper_free(sb);
        }
    }

    /* max_steps: a long period at tight tolerance cannot finish in 5 steps. */
    {
        plant o2 = {&osc_type, NULL};
        double p[1] = {2.0}, xo[2] = {1.0, 0.0}, uo = 0.0;
        plant_integrator oo;
        plant_stepper *so;
        o2.p = p;
        plant_integrator_init(&oo);
        oo.max_steps = 5;
        so = plant_stepper_alloc(&o2, &oo, 100.0, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(so);
        CU_ASSERT_EQUAL(plant_stepper_apply(so, 0.0, xo, &uo), PB_ENUMERIC);
        plant_stepper_free(so);
    }
}

/* The state limits follow the model's parameters at every plant_stepper_reset
 * (Monte Carlo changes them between trajectories): from theta = 0 at 50
 * rad/s a pendulum reaches about 2.5 rad in 0.05 s, inside the default
 * theta_max = 100; after theta_max = 1 and a reset the same period is
 * PB_EDIVERGED, x holding the first state past 1 rad; after theta_max = 100
 * and a reset it is free again.  (With the limits cached at allocation the
 * second period returned PB_SUCCESS.) */
static void test_stepper_reset_takes_new_limits(void)
{
    plant *m = model("pendulum");
    plant_integrator o;
    plant_stepper *s;
    pb_error err;
    double x0[2] = {0.0, 50.0}, x[2], x_free[2], u = 0.0;

    plant_integrator_init(&o);
    s = plant_stepper_alloc(m, &o, 0.05, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    memcpy(x_free, x0, sizeof x0);
    CU_ASSERT_EQUAL(plant_stepper_apply(s, 0.0, x_free, &u), PB_SUCCESS);
    CU_ASSERT(x_free[0] > 2.0 && x_free[0] < 100.0);

    CU_ASSERT_EQUAL(plant_set_param(m, "theta_max", 1.0, &err), PB_SUCCESS);
    plant_stepper_reset(s);
    memcpy(x, x0, sizeof x0);
    CU_ASSERT_EQUAL(plant_stepper_apply(s, 0.0, x, &u), PB_EDIVERGED);
    CU_ASSERT(x[0] > 1.0 && x[0] < x_free[0]);

    CU_ASSERT_EQUAL(plant_set_param(m, "theta_max", 100.0, &err), PB_SUCCESS);
    plant_stepper_reset(s);
    memcpy(x, x0, sizeof x0);
    CU_ASSERT_EQUAL(plant_stepper_apply(s, 0.0, x, &u), PB_SUCCESS);
    CU_ASSERT(x[0] == x_free[0] && x[1] == x_free[1]);
    plant_stepper_free(s);
    plant_free(m);
}

static void test_integrator_options(void)
{
    plant *m = model("pendulum");
    plant_integrator o;
    pb_error err;

    plant_integrator_init(&o);
    CU_ASSERT_EQUAL(plant_integrator_validate(&o, &err), PB_SUCCESS);
    CU_ASSERT_STRING_EQUAL(o.method, "rk8pd");

    strcpy(o.method, "rk5");
    pb_error_clear(&err);
    CU_ASSERT_EQUAL(plant_integrator_validate(&o, &err), PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "rk5"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "msbdf")); /* the message lists the names */
    pb_error_clear(&err);
    CU_ASSERT_PTR_NULL(plant_stepper_alloc(m, &o, 0.05, &err));
    CU_ASSERT_EQUAL(err.code, PB_EINVAL);
    memset(o.method, 'a', sizeof o.method); /* not terminated */
    CU_ASSERT_EQUAL(plant_integrator_validate(&o, NULL), PB_EINVAL);

    plant_integrator_init(&o);
    o.epsabs = -1.0;
    CU_ASSERT_EQUAL(plant_integrator_validate(&o, &err), PB_EINVAL);
    o.epsabs = 0.0;
    o.epsrel = 0.0;
    CU_ASSERT_EQUAL(plant_integrator_validate(&o, &err), PB_EINVAL);
    o.epsrel = NAN;
    CU_ASSERT_EQUAL(plant_integrator_validate(&o, &err), PB_EINVAL);
    plant_integrator_init(&o);
    o.h0 = 0.0;
    CU_ASSERT_EQUAL(plant_integrator_validate(&o, &err), PB_EINVAL);
    plant_integrator_init(&o);
    o.max_steps = 0;
    CU_ASSERT_EQUAL(plant_integrator_validate(&o, &err), PB_EINVAL);
    /* Fixed mode ignores h0 and max_steps (but not the tolerances, which
     * the multistep methods use to select their order). */
    o.substeps = 10;
    o.h0 = -1.0;
    CU_ASSERT_EQUAL(plant_integrator_validate(&o, &err), PB_SUCCESS);

    plant_integrator_init(&o);
    pb_error_clear(&err);
    CU_ASSERT_PTR_NULL(plant_stepper_alloc(m, &o, 0.0, &err));
    CU_ASSERT_EQUAL(err.code, PB_EINVAL);
    CU_ASSERT_PTR_NULL(plant_stepper_alloc(m, &o, NAN, &err));
    CU_ASSERT_PTR_NULL(plant_stepper_alloc(NULL, &o, 0.05, &err));
    /* An invalid model is refused by the stepper too. */
    m->p[0] = -1.0;
    pb_error_clear(&err);
    CU_ASSERT_PTR_NULL(plant_stepper_alloc(m, &o, 0.05, &err));
    CU_ASSERT_EQUAL(err.code, PB_EINVAL);
    plant_stepper_free(NULL);
    plant_free(m);
}

/* The ARCH-COMP single pendulum (m = L = 0.5, c = 0, g = 1) under a constant
 * torque, 20 periods of 0.05 s, against SciPy's DOP853 at 1e-12. */
static void test_pendulum_vs_scipy(void)
{
    static const char script[] =
        "import sys\n"
        "from math import sin\n"
        "from scipy.integrate import solve_ivp\n"
        "m, L, g, T, th, w = map(float, sys.argv[1:7])\n"
        "f = lambda t, y: [y[1], g / L * sin(y[0]) + T / (m * L * L)]\n"
        "r = solve_ivp(f, (0.0, 1.0), [th, w], method='DOP853', rtol=1e-12, atol=1e-12)\n"
        "print('%.17g %.17g' % (r.y[0, -1], r.y[1, -1]))\n";
    plant *m;
    plant_integrator o;
    plant_stepper *s;
    pb_error err;
    double x[2] = {1.0, 0.1}, u = -0.3, ref[2];
    char out[256];

    if (!pb_test_have_python()) {
        pb_test_skip("%s with scipy is missing; SciPy comparison skipped", PB_PYTHON3);
        return;
    }
    CU_ASSERT_EQUAL_FATAL(pb_test_python(script, "0.5 0.5 1 -0.3 1.0 0.1", out, sizeof out), 0);
    CU_ASSERT_EQUAL_FATAL(sscanf(out, "%lf %lf", &ref[0], &ref[1]), 2);

    m = model("pendulum");
    CU_ASSERT_EQUAL(plant_set_param(m, "m", 0.5, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(plant_set_param(m, "L", 0.5, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(plant_set_param(m, "c", 0.0, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(plant_set_param(m, "g", 1.0, &err), PB_SUCCESS);
    plant_integrator_init(&o);
    o.epsabs = o.epsrel = 1e-13;
    s = plant_stepper_alloc(m, &o, 0.05, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    for (int k = 0; k < 20; k++)
        CU_ASSERT_EQUAL(plant_stepper_apply(s, 0.05 * k, x, &u), PB_SUCCESS);
    printf("\n    pendulum at 1 s: %.12f %.12f, scipy %.12f %.12f\n", x[0], x[1], ref[0], ref[1]);
    PB_ASSERT_CLOSE(x[0], ref[0], 0.0, 1e-8);
    PB_ASSERT_CLOSE(x[1], ref[1], 0.0, 1e-8);
    plant_stepper_free(s);
    plant_free(m);
}

/* ---- the plant types ---------------------------------------------------- */

static void test_registry(void)
{
    size_t n = 0;
    for (const plant_type *const *t = plant_types; *t; t++, n++) {
        CU_ASSERT_PTR_EQUAL(plant_find((*t)->name), *t);
        CU_ASSERT((*t)->nx > 0 && (*t)->nx <= PLANT_NX_MAX);
        CU_ASSERT((*t)->nu > 0 && (*t)->nu <= PLANT_NU_MAX);
        CU_ASSERT((*t)->np <= PLANT_NP_MAX);
        CU_ASSERT_PTR_NOT_NULL((*t)->f);
        CU_ASSERT_PTR_NOT_NULL((*t)->jac);
        CU_ASSERT_PTR_NOT_NULL((*t)->equilibrium);
        CU_ASSERT_PTR_NOT_NULL((*t)->input_limits);
        CU_ASSERT_PTR_NOT_NULL((*t)->state_limits);
        CU_ASSERT_PTR_NOT_NULL((*t)->lqr_q);
        CU_ASSERT_PTR_NOT_NULL((*t)->lqr_r);
        CU_ASSERT((*t)->period > 0.0);
        for (size_t i = 0; i < (*t)->nx; i++)
            CU_ASSERT((*t)->states[i].name && (*t)->states[i].unit);
        for (size_t i = 0; i < (*t)->nu; i++)
            CU_ASSERT((*t)->inputs[i].name && (*t)->inputs[i].unit);
    }
    CU_ASSERT(n >= 6);
    CU_ASSERT_PTR_NULL(plant_find("no_such_plant"));
    CU_ASSERT_PTR_NULL(plant_find(NULL));
    CU_ASSERT_PTR_NOT_NULL(plant_find("cartpole"));
    CU_ASSERT_PTR_NOT_NULL(plant_find("cartpole_arch"));
    CU_ASSERT_PTR_NOT_NULL(plant_find("quadrotor"));
    CU_ASSERT_PTR_NOT_NULL(plant_find("quadrotor_arch"));
    CU_ASSERT_PTR_NOT_NULL(plant_find("tora"));
}

/* f(x*, u*) = 0 for every type, at the defaults and at other parameters. */
static void test_equilibria(void)
{
    for (const plant_type *const *t = plant_types; *t; t++) {
        plant *m = plant_alloc(*t);
        double x[PLANT_NX_MAX], u[PLANT_NU_MAX], f[PLANT_NX_MAX];
        int lead = plant_param_index(*t, "a_lead");
        if (lead >= 0) /* acc: the lead car rests only without its acceleration command */
            m->p[lead] = 0.0;
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 1) /* other masses, lengths, gravity: scale each parameter */
                for (size_t i = 0; i < (*t)->np; i++) {
                    double v = m->p[i] * 1.37;
                    if (isfinite(v) && v <= (*t)->params[i].hi)
                        m->p[i] = v;
                }
            CU_ASSERT_EQUAL_FATAL(plant_validate(m, NULL), PB_SUCCESS);
            (*t)->equilibrium(m->p, x, u);
            CU_ASSERT_EQUAL(plant_eval(m, 0.0, x, u, f), PB_SUCCESS);
            CU_ASSERT(plant_state_is_valid(m, x));
            for (size_t i = 0; i < (*t)->nx; i++)
                if (!(fabs(f[i]) <= 4 * DBL_EPSILON)) {
                    printf("\n    %s: f[%zu] = %g at the equilibrium\n", (*t)->name, i, f[i]);
                    CU_FAIL("equilibrium derivative is not zero");
                }
        }
        plant_free(m);
    }
}

/* The unforced frictionless cart-pole conserves the energy of its Lagrangian
 * (pole of mass m, half-length l, inertia m l^2/3 about its centre, centre at
 * (x + l sin theta, l cos theta)):
 *   E = M x'^2/2 + m l cos(theta) x' theta' + (2/3) m l^2 theta'^2 + m g l cos(theta),
 * an oracle independent of Gym's form of the equations. For cartpole_arch
 * with d = 0 and f = 0: J theta'^2/2 + m l g cos(theta), and x' constant. */
static void test_cartpole_energy(void)
{
    plant_integrator o;
    pb_error err;
    plant_integrator_init(&o);
    {
        plant *m = model("cartpole");
        double mc = m->p[0], mp = m->p[1], l = m->p[2], g = m->p[3], M = mc + mp;
        double x[4] = {0.0, 0.3, 2.5, 0.5}, u = 0.0, E0, maxrel = 0.0;
        plant_stepper *s = plant_stepper_alloc(m, &o, 0.02, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
#define CP_E(x)                                                                                    \
    (0.5 * M * x[1] * x[1] + mp * l * cos(x[2]) * x[1] * x[3] +                                    \
     2.0 / 3.0 * mp * l * l * x[3] * x[3] + mp * g * l * cos(x[2]))
        E0 = CP_E(x);
        for (int k = 0; k < 1000; k++) {
            CU_ASSERT_EQUAL_FATAL(plant_stepper_apply(s, 0.02 * k, x, &u), PB_SUCCESS);
            maxrel = fmax(maxrel, fabs(CP_E(x) - E0) / fabs(E0));
        }
#undef CP_E
        printf("\n    cartpole energy: max relative drift %.3g over 20 s", maxrel);
        CU_ASSERT(maxrel < 1e-8);
        plant_stepper_free(s);
        plant_free(m);
    }
    {
        plant *m = model("cartpole_arch");
        double x[4] = {0.0, 0.3, 2.5, 0.5}, u = 0.0, E0, maxrel = 0.0;
        double ml = 0.08 * 0.41, g = 9.8, J = 0.0105;
        plant_stepper *s;
        CU_ASSERT_EQUAL(plant_set_param(m, "d", 0.0, &err), PB_SUCCESS);
        s = plant_stepper_alloc(m, &o, 0.02, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        E0 = 0.5 * J * x[3] * x[3] + ml * g * cos(x[2]);
        for (int k = 0; k < 1000; k++) {
            CU_ASSERT_EQUAL_FATAL(plant_stepper_apply(s, 0.02 * k, x, &u), PB_SUCCESS);
            maxrel = fmax(maxrel, fabs(0.5 * J * x[3] * x[3] + ml * g * cos(x[2]) - E0) / fabs(E0));
        }
        printf("\n    cartpole_arch energy: max relative drift %.3g over 20 s\n", maxrel);
        CU_ASSERT(maxrel < 1e-8);
        PB_ASSERT_CLOSE(x[1], 0.3, 0, 1e-14);
        PB_ASSERT_CLOSE(x[0], 0.3 * 20.0, 1e-12, 0);
        plant_stepper_free(s);
        plant_free(m);
    }
}

/* Body-to-NED rotation of the ZYX Euler angles (Beard 2008, eq. 2):
 * y = R b for b in body axes. */
static void quad_rotate(const double x[], const double b[3], double y[3])
{
    double sf = sin(x[6]), cf = cos(x[6]), st = sin(x[7]), ct = cos(x[7]);
    double sp = sin(x[8]), cp = cos(x[8]);
    double R[9] = {ct * cp,
                   sf * st * cp - cf * sp,
                   cf * st * cp + sf * sp,
                   ct * sp,
                   sf * st * sp + cf * cp,
                   cf * st * sp - sf * cp,
                   -st,
                   sf * ct,
                   cf * ct};
    for (int i = 0; i < 3; i++)
        y[i] = R[3 * i] * b[0] + R[3 * i + 1] * b[1] + R[3 * i + 2] * b[2];
}

/* Inertial velocity (north, east, down) and angular momentum R J w of a state. */
static void quad_world(const double x[], const double J[3], double v[3], double H[3])
{
    double Jw[3] = {J[0] * x[9], J[1] * x[10], J[2] * x[11]};
    quad_rotate(x, x + 3, v);
    quad_rotate(x, Jw, H);
}

/* Newton and Euler in the inertial frame, independent of the body-frame
 * form: at random states, along f, d/dt (R v) = (0, 0, g) - F R e3 (NED,
 * thrust F per unit mass along -z body) and d/dt (R J w) = R tau; and the
 * altitude rate h' equals minus the NED down speed. */
static void test_quadrotor_newton_euler(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    const char *names[] = {"quadrotor", "quadrotor_arch"};
    double worst = 0.0;
    gsl_rng_set(rng, 7);
    for (int n = 0; n < 2; n++) {
        plant *m = model(names[n]);
        const plant_type *t = m->type;
        double mass = m->p[0], J[3] = {m->p[1], m->p[2], m->p[3]}, g = m->p[4];
        for (int trial = 0; trial < 50; trial++) {
            double x[12], u[4] = {0}, f[12], xp[12], xm[12], vp[3], vm[3], Hp[3], Hm[3];
            double v[3], H[3], tau[3], Rtau[3], e3[3] = {0, 0, 1}, Re3[3], F, h = 1e-5;
            for (int i = 0; i < 12; i++)
                x[i] = 2.0 * gsl_rng_uniform(rng) - 1.0;
            for (size_t i = 0; i < t->nu; i++)
                u[i] = 2.0 * gsl_rng_uniform(rng) - 1.0;
            CU_ASSERT_EQUAL_FATAL(plant_eval(m, 0.0, x, u, f), PB_SUCCESS);
            for (int i = 0; i < 12; i++) {
                xp[i] = x[i] + h * f[i];
                xm[i] = x[i] - h * f[i];
            }
            quad_world(xp, J, vp, Hp);
            quad_world(xm, J, vm, Hm);
            quad_world(x, J, v, H);
            F = g + u[0] / mass;
            tau[0] = u[1];
            tau[1] = u[2];
            tau[2] = t->nu == 4 ? u[3] : 0.0;
            quad_rotate(x, tau, Rtau);
            quad_rotate(x, e3, Re3);
            for (int i = 0; i < 3; i++) {
                double acc = (vp[i] - vm[i]) / (2 * h), dH = (Hp[i] - Hm[i]) / (2 * h);
                double acc_ref = (i == 2 ? g : 0.0) - F * Re3[i];
                worst = fmax(worst, fmax(fabs(acc - acc_ref), fabs(dH - Rtau[i])));
                PB_ASSERT_CLOSE(acc, acc_ref, 0, 1e-7);
                PB_ASSERT_CLOSE(dH, Rtau[i], 0, 1e-7);
            }
            PB_ASSERT_CLOSE(f[0], v[0], 0, 1e-14);
            PB_ASSERT_CLOSE(f[1], v[1], 0, 1e-14);
            PB_ASSERT_CLOSE(f[2], -v[2], 0, 1e-14);
        }
        plant_free(m);
    }
    printf("\n    quadrotor Newton-Euler residual: worst %.2g\n", worst);
    gsl_rng_free(rng);
}

/* Quadrotor hover (x = 0, u = 0, F = g) is an equilibrium to machine
 * precision for any mass and gravity; a thrust deviation is not. */
static void test_quadrotor_hover(void)
{
    const char *names[] = {"quadrotor", "quadrotor_arch"};
    for (int n = 0; n < 2; n++) {
        plant *m = model(names[n]);
        pb_error err;
        double x[12] = {0}, u[4] = {0}, f[12];
        CU_ASSERT_EQUAL(plant_set_param(m, "m", 2.3, &err), PB_SUCCESS);
        CU_ASSERT_EQUAL(plant_set_param(m, "g", 3.7, &err), PB_SUCCESS);
        CU_ASSERT_EQUAL(plant_eval(m, 0.0, x, u, f), PB_SUCCESS);
        for (int i = 0; i < 12; i++)
            CU_ASSERT(fabs(f[i]) <= 4 * DBL_EPSILON * 3.7);
        /* u1 = 1 N on 2.3 kg: w' = -1/2.3 (Beard's w points down). */
        u[0] = 1.0;
        CU_ASSERT_EQUAL(plant_eval(m, 0.0, x, u, f), PB_SUCCESS);
        PB_ASSERT_CLOSE(f[5], -1.0 / 2.3, 1e-15, 0.0);
        /* A pure roll of 0.2 rad tilts gravity into v': g cos(theta) sin(phi). */
        u[0] = 0.0;
        x[6] = 0.2;
        CU_ASSERT_EQUAL(plant_eval(m, 0.0, x, u, f), PB_SUCCESS);
        PB_ASSERT_CLOSE(f[4], 3.7 * sin(0.2), 1e-15, 0.0);
        plant_free(m);
    }
}

/* The analytic Jacobians against central differences at random states and
 * inputs, for every registered type. */
static void test_jacobians(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20260101);
    for (const plant_type *const *t = plant_types; *t; t++) {
        plant *m = plant_alloc(*t);
        size_t nx = (*t)->nx, nu = (*t)->nu;
        double x[PLANT_NX_MAX], u[PLANT_NU_MAX], xe[PLANT_NX_MAX], ue[PLANT_NU_MAX];
        double A[PLANT_NX_MAX * PLANT_NX_MAX], B[PLANT_NX_MAX * PLANT_NU_MAX];
        double fp[PLANT_NX_MAX], fm[PLANT_NX_MAX];
        double worst = 0.0;

        (*t)->equilibrium(m->p, xe, ue);
        for (int trial = 0; trial < 25; trial++) {
            for (size_t i = 0; i < nx; i++)
                x[i] = xe[i] + 2.0 * gsl_rng_uniform(rng) - 1.0;
            for (size_t i = 0; i < nu; i++)
                u[i] = ue[i] + 2.0 * gsl_rng_uniform(rng) - 1.0;
            CU_ASSERT_EQUAL_FATAL((*t)->jac(0.0, x, u, m->p, A, B), PB_SUCCESS);
            for (size_t j = 0; j < nx + nu; j++) {
                double *v = j < nx ? &x[j] : &u[j - nx], v0 = *v;
                double h = 1e-5 * fmax(1.0, fabs(v0));
                *v = v0 + h;
                CU_ASSERT_EQUAL_FATAL((*t)->f(0.0, x, u, m->p, fp), PB_SUCCESS);
                *v = v0 - h;
                CU_ASSERT_EQUAL_FATAL((*t)->f(0.0, x, u, m->p, fm), PB_SUCCESS);
                *v = v0;
                for (size_t i = 0; i < nx; i++) {
                    double fd = (fp[i] - fm[i]) / (2 * h);
                    double an = j < nx ? A[i * nx + j] : B[i * nu + (j - nx)];
                    double e = fabs(fd - an) / (1.0 + fabs(an));
                    worst = fmax(worst, e);
                    if (!(e < 1e-7)) {
                        printf("\n    %s: d f[%zu] / d %s: analytic %.10g, differences %.10g\n",
                               (*t)->name, i,
                               j < nx ? (*t)->states[j].name : (*t)->inputs[j - nx].name, an, fd);
                        CU_FAIL("Jacobian entry differs from central differences");
                    }
                }
            }
        }
        printf("\n    %-15s Jacobian: worst relative difference %.2g", (*t)->name, worst);
        plant_free(m);
    }
    printf("\n");
    gsl_rng_free(rng);
}

/* Every parameter of every type refuses NaN, -inf, values below its range
 * (negative masses, zero lengths) and, unless allowed, +inf; unknown names
 * are refused; a directly corrupted block fails plant_validate. */
static void test_invalid_parameters(void)
{
    for (const plant_type *const *t = plant_types; *t; t++) {
        plant *m = plant_alloc(*t);
        pb_error err;
        CU_ASSERT_EQUAL(plant_validate(m, &err), PB_SUCCESS);
        for (size_t i = 0; i < (*t)->np; i++) {
            const plant_param *d = &(*t)->params[i];
            double bad[4];
            size_t nb = 0;
            bad[nb++] = NAN;
            bad[nb++] = -INFINITY;
            bad[nb++] = d->lo - 1.0 - fabs(d->lo);
            if (d->flags & PLANT_PARAM_LO_OPEN)
                bad[nb++] = d->lo;
            for (size_t k = 0; k < nb; k++) {
                double keep = m->p[i];
                pb_error_clear(&err);
                CU_ASSERT_EQUAL(plant_set_param(m, d->name, bad[k], &err), PB_EINVAL);
                CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, d->name));
                CU_ASSERT(m->p[i] == keep || (isnan(m->p[i]) && isnan(keep)));
                m->p[i] = bad[k];
                CU_ASSERT_EQUAL(plant_validate(m, NULL), PB_EINVAL);
                m->p[i] = keep;
            }
            if (!(d->flags & PLANT_PARAM_ALLOW_INF)) {
                CU_ASSERT_EQUAL(plant_set_param(m, d->name, INFINITY, &err), PB_EINVAL);
                CU_ASSERT_EQUAL(plant_set_param(m, d->name, 2 * d->hi + 1, &err), PB_EINVAL);
            } else {
                CU_ASSERT_EQUAL(plant_set_param(m, d->name, INFINITY, &err), PB_SUCCESS);
                m->p[i] = d->def;
            }
        }
        pb_error_clear(&err);
        CU_ASSERT_EQUAL(plant_set_param(m, "no_such_parameter", 1.0, &err), PB_EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no_such_parameter"));
        plant_free(m);
    }
}

/* Cross-parameter check: rigid-body inertias obey the triangle inequality. */
static void test_quadrotor_inertia_validation(void)
{
    plant *m = model("quadrotor");
    pb_error err;
    plant_integrator o;
    CU_ASSERT_EQUAL(plant_set_param(m, "Jz", 0.2, &err), PB_SUCCESS); /* in range alone */
    pb_error_clear(&err);
    CU_ASSERT_EQUAL(plant_validate(m, &err), PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "triangle"));
    plant_integrator_init(&o);
    CU_ASSERT_PTR_NULL(plant_stepper_alloc(m, &o, 0.1, NULL));
    CU_ASSERT_PTR_NULL(plant_lqr_alloc(m, 0.1, NULL, NULL, NULL));
    plant_free(m);
}

/* ---- batched right-hand sides and the batched RK4 step ------------------ */

enum { BN = 37, BLD = 40 }; /* lanes of a batch and their stride: ld > n */

/* A finite value in d's declared range: log-uniform over the top six decades
 * of a range that starts at or near 0 (masses and lengths up to 1e6), else
 * uniform on (lo, hi]; a closed lower end one time in twenty. */
static double draw_param(const plant_param *d, gsl_rng *r)
{
    if (!(d->flags & PLANT_PARAM_LO_OPEN) && gsl_rng_uniform(r) < 0.05)
        return d->lo;
    if (d->lo >= 0.0 && d->lo < 1e-6 * d->hi)
        return d->hi * pow(10.0, -6.0 * gsl_rng_uniform(r));
    return d->hi - (d->hi - d->lo) * gsl_rng_uniform(r);
}

/* Parameters p[np] of type t by draw_param, drawn again until plant_validate
 * accepts them (the quadrotors' triangle inequality). */
static void draw_params(const plant_type *t, gsl_rng *r, double p[])
{
    plant m = {t, p};
    for (int tries = 0; tries < 10000; tries++) {
        for (size_t q = 0; q < t->np; q++)
            p[q] = draw_param(&t->params[q], r);
        if (plant_validate(&m, NULL) == PB_SUCCESS)
            return;
    }
    CU_FAIL_FATAL("no admissible parameters drawn in 10000 tries");
}

/* A value of magnitude 0.1 to 100 of either sign (angles of many turns too). */
static double draw_value(gsl_rng *r)
{
    return (gsl_rng_uniform(r) < 0.5 ? -1.0 : 1.0) * pow(10.0, 3.0 * gsl_rng_uniform(r) - 1.0);
}

/* Non-zero when common/pb_vec.h's sine and cosine equal libm's bit for bit at
 * every state of x in rad: the only arguments of the sines and cosines of
 * every shipped f, so that f_batch must then equal f bit for bit. */
static int vec_trig_agrees(const plant_type *t, const double x[])
{
    for (size_t i = 0; i < t->nx; i++) {
        double s, c;
        if (strcmp(t->states[i].unit, "rad") != 0)
            continue;
        pb_vec_sin(1, &x[i], &s);
        pb_vec_cos(1, &x[i], &c);
        if (s != sin(x[i]) || c != cos(x[i]))
            return 0;
    }
    return 1;
}

/* Lane s of a batch (stride ld): x[nx], u[nu], p[np] into X, U, P. */
static void lane_set(const plant_type *t, size_t ld, size_t s, const double x[], const double u[],
                     const double p[], double X[], double U[], double P[])
{
    for (size_t i = 0; i < t->nx; i++)
        X[i * ld + s] = x[i];
    for (size_t j = 0; j < t->nu; j++)
        U[j * ld + s] = u[j];
    for (size_t q = 0; q < t->np; q++)
        P[q * ld + s] = p[q];
}

/* Workspace of the batch tests: X, dX (nx x BLD), U (nu x BLD), P (np x BLD),
 * w (plant_rk4_batch_work_size(BLD), which covers PLANT_BATCH_WORK * BLD),
 * and per-lane x, u, p, f(x) (BN x the maxima). */
typedef struct batch_buf {
    double *X, *dX, *U, *P, *w;
    double (*x)[PLANT_NX_MAX], (*u)[PLANT_NU_MAX], (*p)[PLANT_NP_MAX], (*fx)[PLANT_NX_MAX];
    int rc[BN];
} batch_buf;

static batch_buf *batch_buf_alloc(void)
{
    batch_buf *b = calloc(1, sizeof *b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    b->X = calloc(PLANT_NX_MAX * BLD, sizeof *b->X);
    b->dX = calloc(PLANT_NX_MAX * BLD, sizeof *b->dX);
    b->U = calloc(PLANT_NU_MAX * BLD, sizeof *b->U);
    b->P = calloc(PLANT_NP_MAX * BLD, sizeof *b->P);
    b->w = calloc(plant_rk4_batch_work_size(BLD), sizeof *b->w);
    b->x = calloc(BN, sizeof *b->x);
    b->u = calloc(BN, sizeof *b->u);
    b->p = calloc(BN, sizeof *b->p);
    b->fx = calloc(BN, sizeof *b->fx);
    CU_ASSERT_FATAL(b->X && b->dX && b->U && b->P && b->w && b->x && b->u && b->p && b->fx);
    CU_ASSERT_FATAL(plant_rk4_batch_work_size(BLD) >= PLANT_BATCH_WORK * BLD);
    return b;
}

static void batch_buf_free(batch_buf *b)
{
    free(b->X);
    free(b->dX);
    free(b->U);
    free(b->P);
    free(b->w);
    free(b->x);
    free(b->u);
    free(b->p);
    free(b->fx);
    free(b);
}

/* Lanes 0..n-1 of b (x, u, p) into the SoA arrays, f state by state into fx
 * and rc, and dX poisoned with a finite marker the batch must overwrite. */
static void batch_prepare(const plant_type *t, batch_buf *b, size_t n)
{
    for (size_t s = 0; s < n; s++) {
        lane_set(t, BLD, s, b->x[s], b->u[s], b->p[s], b->X, b->U, b->P);
        b->rc[s] = t->f(0.0, b->x[s], b->u[s], b->p[s], b->fx[s]);
    }
    for (size_t i = 0; i < PLANT_NX_MAX * BLD; i++)
        b->dX[i] = -12345.0;
}

/* Every shipped type has f_batch, and it computes f: 1000 random (state,
 * input, parameter) points per type in calls of 1 to 37 lanes at stride 40,
 * every lane with its own parameters drawn across their declared ranges.
 * Where pb_vec's sine and cosine agree with libm's at the lane's angles the
 * two must agree bit for bit (the same operations in the same order, no
 * contraction); elsewhere to 1e-13 relative: |a - b| <= 1e-13 (|b| + max_j
 * |b_j|), since the vector sine's few ulp, amplified where the terms of a
 * component cancel, are small against the largest component but not always
 * against that component (measured: 3.7e-13 for a quadrotor one). */
static void test_batch_rhs_matches_f(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    batch_buf *b = batch_buf_alloc();
    gsl_rng_set(rng, 20260214);
    for (const plant_type *const *t = plant_types; *t; t++) {
        size_t nx = (*t)->nx, done = 0, exact = 0, calls = 0;
        double worst = 0.0, worst_norm = 0.0;
        CU_ASSERT_PTR_NOT_NULL((*t)->f_batch);
        if (!(*t)->f_batch)
            continue;
        while (done < 1000) {
            size_t n = 1 + (calls++ * 13) % BN; /* every tail length of pb_vec's 4-wide calls */
            if (n > 1000 - done)
                n = 1000 - done;
            for (size_t s = 0; s < n; s++) {
                for (size_t i = 0; i < nx; i++)
                    b->x[s][i] = draw_value(rng);
                for (size_t j = 0; j < (*t)->nu; j++)
                    b->u[s][j] = draw_value(rng);
                draw_params(*t, rng, b->p[s]);
            }
            batch_prepare(*t, b, n);
            (*t)->f_batch(0.0, n, BLD, b->X, b->U, b->P, b->dX, b->w);
            for (size_t s = 0; s < n; s++) {
                int same = vec_trig_agrees(*t, b->x[s]);
                double scale = 0.0, dmax = 0.0;
                CU_ASSERT_EQUAL_FATAL(b->rc[s], PB_SUCCESS);
                for (size_t i = 0; i < nx; i++)
                    scale = fmax(scale, fabs(b->fx[s][i]));
                for (size_t i = 0; i < nx; i++) {
                    double a = b->dX[i * BLD + s], r = b->fx[s][i];
                    double d = fabs(a - r), rel = d == 0.0 ? 0.0 : d / fmax(fabs(a), fabs(r));
                    worst = fmax(worst, rel);
                    dmax = fmax(dmax, d);
                    if (same) {
                        CU_ASSERT(memcmp(&a, &r, sizeof a) == 0);
                    } else {
                        PB_ASSERT_CLOSE(a, r, 1e-13, 1e-13 * scale);
                    }
                }
                worst_norm = fmax(worst_norm, dmax / scale);
                exact += same;
            }
            /* Lanes beyond n and rows beyond nx are not written. */
            for (size_t s = n; s < BLD; s++)
                CU_ASSERT_EQUAL(b->dX[s], -12345.0);
            CU_ASSERT_EQUAL(b->dX[nx * BLD], -12345.0);
            done += n;
        }
        printf("\n    %-15s f_batch vs f: %zu of 1000 points bit for bit, elsewhere max relative "
               "%.2g (normwise %.2g)",
               (*t)->name, exact, worst, worst_norm);
    }
    printf("\n");
    batch_buf_free(b);
    gsl_rng_free(rng);
}

/* Where f returns PB_EDIVERGED, f_batch leaves a non-finite value in that
 * lane's dX, and only there: for each component of x and of u in turn, lanes
 * with NaN, +-inf and +-1e300 there (the rest random), and a clean lane. */
static void test_batch_rhs_divergence(void)
{
    static const double bad[] = {NAN, INFINITY, -INFINITY, 1e300, -1e300};
    enum { NB = sizeof bad / sizeof bad[0] };
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    batch_buf *b = batch_buf_alloc();
    gsl_rng_set(rng, 11);
    for (const plant_type *const *t = plant_types; *t; t++) {
        size_t nx = (*t)->nx, nu = (*t)->nu, diverged = 0;
        if (!(*t)->f_batch)
            continue; /* reported by test_batch_rhs_matches_f */
        for (size_t c = 0; c < nx + nu; c++) {
            for (size_t s = 0; s <= NB; s++) {
                for (size_t i = 0; i < nx; i++)
                    b->x[s][i] = 2.0 * gsl_rng_uniform(rng) - 1.0;
                for (size_t j = 0; j < nu; j++)
                    b->u[s][j] = 2.0 * gsl_rng_uniform(rng) - 1.0;
                for (size_t q = 0; q < (*t)->np; q++)
                    b->p[s][q] = (*t)->params[q].def;
                if (s < NB)
                    *(c < nx ? &b->x[s][c] : &b->u[s][c - nx]) = bad[s];
            }
            batch_prepare(*t, b, NB + 1);
            (*t)->f_batch(0.0, NB + 1, BLD, b->X, b->U, b->P, b->dX, b->w);
            for (size_t s = 0; s <= NB; s++) {
                int finite = 1;
                for (size_t i = 0; i < nx; i++)
                    finite &= isfinite(b->dX[i * BLD + s]) != 0;
                if (finite != (b->rc[s] == PB_SUCCESS))
                    printf("\n    %s: %s = %g: f returns %d, f_batch %s", (*t)->name,
                           c < nx ? (*t)->states[c].name : (*t)->inputs[c - nx].name,
                           s < NB ? bad[s] : 0.0, b->rc[s], finite ? "finite" : "non-finite");
                CU_ASSERT_EQUAL(finite, b->rc[s] == PB_SUCCESS);
                diverged += b->rc[s] == PB_EDIVERGED;
            }
            CU_ASSERT_EQUAL(b->rc[NB], PB_SUCCESS);
        }
        CU_ASSERT(diverged > 0); /* the divergence was provoked */
    }
    batch_buf_free(b);
    gsl_rng_free(rng);
}

/* plant_batch_eval: without f_batch (a copy of each shipped type with the slot
 * cleared, and the test-only types, which have none) it calls f state by
 * state: results bit for bit f's, NaN in every component where f fails (a
 * lane of NaN states); with f_batch it calls the slot (bit for bit). */
static void test_batch_eval_generic(void)
{
    const plant_type *extra[] = {&osc_type, &blow_type};
    size_t n_types = 0;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    batch_buf *b = batch_buf_alloc();
    double *dY = calloc(PLANT_NX_MAX * BLD, sizeof *dY);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dY);
    gsl_rng_set(rng, 5);
    while (plant_types[n_types])
        n_types++;
    for (size_t k = 0; k < n_types + 2; k++) {
        const plant_type *orig = k < n_types ? plant_types[k] : extra[k - n_types];
        plant_type bare = *orig;
        size_t nx = orig->nx, failed = 0;
        bare.f_batch = NULL;
        for (size_t s = 0; s < BN; s++) {
            for (size_t i = 0; i < nx; i++)
                b->x[s][i] = s == 3 ? NAN : draw_value(rng);
            for (size_t j = 0; j < orig->nu; j++)
                b->u[s][j] = draw_value(rng);
            draw_params(orig, rng, b->p[s]);
        }
        batch_prepare(orig, b, BN);
        plant_batch_eval(&bare, 0.0, BN, BLD, b->X, b->U, b->P, b->dX, b->w);
        for (size_t s = 0; s < BN; s++) {
            failed += b->rc[s] != PB_SUCCESS;
            for (size_t i = 0; i < nx; i++) {
                double a = b->dX[i * BLD + s];
                if (b->rc[s] != PB_SUCCESS) {
                    CU_ASSERT(isnan(a));
                } else {
                    CU_ASSERT(memcmp(&a, &b->fx[s][i], sizeof a) == 0);
                }
            }
        }
        CU_ASSERT_EQUAL(b->rc[3], PB_EDIVERGED);
        CU_ASSERT_EQUAL(failed, 1);
        if (orig->f_batch) {
            plant_batch_eval(orig, 0.0, BN, BLD, b->X, b->U, b->P, b->dX, b->w);
            orig->f_batch(0.0, BN, BLD, b->X, b->U, b->P, dY, b->w);
            for (size_t i = 0; i < nx; i++)
                for (size_t s = 0; s < BN; s++)
                    CU_ASSERT(memcmp(&b->dX[i * BLD + s], &dY[i * BLD + s], sizeof *dY) == 0);
        }
    }
    free(dY);
    batch_buf_free(b);
    gsl_rng_free(rng);
}

/* Non-zero when x (lane s of X, stride ld) is finite and inside [lo, hi], as
 * plant_stepper_apply checks it. */
static int lane_inside(size_t nx, const double X[], size_t ld, size_t s, const double lo[],
                       const double hi[])
{
    for (size_t i = 0; i < nx; i++) {
        double v = X[i * ld + s];
        if (!isfinite(v) || v < lo[i] || v > hi[i])
            return 0;
    }
    return 1;
}

/* Largest |x_i| / limit_i over the components with a finite limit: the
 * factor by which the limit box must shrink for x to reach its boundary. */
static double limit_ratio(size_t nx, const double x[], const double lo[], const double hi[])
{
    double r = 0.0;
    for (size_t i = 0; i < nx; i++)
        if (isfinite(lo[i]) && isfinite(hi[i]))
            r = fmax(r, x[i] >= 0.0 ? x[i] / hi[i] : x[i] / lo[i]);
    return r;
}

/* The k in [1, n] nearest n / 2 where R grows (R[k] > R[k - 1]), or 0. */
static size_t growth_nearest_half(const double R[], size_t n)
{
    for (size_t d = 0; d <= n / 2 + 1; d++) {
        size_t up = n / 2 + d, down = n / 2 - (d <= n / 2 ? d : n / 2);
        if (up >= 1 && up <= n && R[up] > R[up - 1])
            return up;
        if (down >= 1 && R[down] > R[down - 1])
            return down;
    }
    return 0;
}

enum { RK_PERIODS = 50, RK_SUBSTEPS = 10 };

/* The held input of lane s at x: lane 0 open loop at the equilibrium input,
 * the others under the LQR expert c. */
static void lane_input(const plant_lqr *c, size_t s, const double x[], double u[])
{
    if (s == 0)
        memcpy(u, c->u_eq, c->nu * sizeof *u);
    else
        plant_lqr_eval(c, x, u);
}

/* The batched RK4 step (plant_rk4_batch_apply, 10 substeps per period, the
 * state limits checked after every substep as plant_stepper_apply does)
 * against the per-state GSL path (plant_stepper, "rk4fixed", 10 substeps),
 * for every type over 50 periods of 0.05 to 0.1 s: 37 lanes at stride 40,
 * each with its own parameters (the nominal ones within +-20 %), from random
 * states, each path under the nominal LQR expert on its own state (so that
 * rounding differences are damped by the closed loop, not amplified by an
 * unstable open loop).  States agree to 1e-12 relative at every period, to
 * the lane's scale: |x_i - y_i| <= 1e-12 (|x_i| + s), s the largest |y_j|
 * the lane has reached (a component through zero, or a state converging on
 * the equilibrium 0, has no relative accuracy of its own); divergence is seen
 * at the same period in both: lane 1 starts outside its limits; lane 0, open
 * loop, starts inside limits shrunk (through its own limit parameters) so
 * that it leaves them about half-way. */
static void test_rk4_batch_vs_stepper(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    batch_buf *b = batch_buf_alloc();
    double(*xg)[PLANT_NX_MAX] = calloc(BN, sizeof *xg);
    double(*lo)[PLANT_NX_MAX] = calloc(BN, sizeof *lo);
    double(*hi)[PLANT_NX_MAX] = calloc(BN, sizeof *hi);
    CU_ASSERT_FATAL(xg && lo && hi);
    gsl_rng_set(rng, 42);
    for (const plant_type *const *t = plant_types; *t; t++) {
        size_t nx = (*t)->nx, nu = (*t)->nu, np = (*t)->np, compared = 0;
        double T = fmin(fmax(type_period(*t), 0.05), 0.1), h = T / RK_SUBSTEPS;
        double worst = 0.0, worst_norm = 0.0, scale[BN];
        long div_g[BN], div_b[BN];
        plant *nom = plant_alloc(*t), lane[BN];
        plant_stepper *st[BN];
        plant_integrator o;
        plant_lqr *c;
        pb_error err;
        int is_limit[PLANT_NP_MAX];

        CU_ASSERT_PTR_NOT_NULL_FATAL(nom);
        c = plant_lqr_alloc(nom, T, NULL, NULL, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        plant_integrator_init(&o);
        strcpy(o.method, "rk4fixed");
        o.substeps = RK_SUBSTEPS;
        /* The limit parameters: those that move the state limits. */
        for (size_t q = 0; q < np; q++) {
            double l0[PLANT_NX_MAX], h0[PLANT_NX_MAX], l1[PLANT_NX_MAX], h1[PLANT_NX_MAX];
            double keep = nom->p[q];
            (*t)->state_limits(nom->p, l0, h0);
            nom->p[q] = 0.5 * keep;
            (*t)->state_limits(nom->p, l1, h1);
            nom->p[q] = keep;
            is_limit[q] =
                memcmp(l0, l1, nx * sizeof *l0) != 0 || memcmp(h0, h1, nx * sizeof *h0) != 0;
        }
        /* Lanes: parameters, initial states, steppers. */
        for (size_t s = 0; s < BN; s++) {
            lane[s].type = *t;
            lane[s].p = b->p[s];
            do
                for (size_t q = 0; q < np; q++)
                    b->p[s][q] =
                        nom->p[q] * (is_limit[q] ? 1.0 : 1.0 + gsl_ran_flat(rng, -0.2, 0.2));
            while (plant_validate(&lane[s], NULL) != PB_SUCCESS);
            for (size_t i = 0; i < nx; i++)
                xg[s][i] = c->x_eq[i] + gsl_ran_flat(rng, -0.2, 0.2);
            st[s] = plant_stepper_alloc(&lane[s], &o, T, &err);
            CU_ASSERT_PTR_NOT_NULL_FATAL(st[s]);
            div_g[s] = div_b[s] = -1;
        }
        /* Lane 0, open loop at the equilibrium input: a run with the nominal
         * limits, then its limit parameters scaled by a factor f between the
         * limit ratios at two period ends near half-way, so that the state
         * leaves the shrunk box around there (the new limits reach the
         * stepper through plant_stepper_reset). */
        {
            double x[PLANT_NX_MAX], R[RK_PERIODS + 1], f = 0.0;
            size_t reached = 0, k;
            memcpy(x, xg[0], nx * sizeof *x);
            (*t)->state_limits(b->p[0], lo[0], hi[0]);
            R[0] = limit_ratio(nx, x, lo[0], hi[0]);
            while (reached < RK_PERIODS &&
                   plant_stepper_apply(st[0], (double)reached * T, x, c->u_eq) == PB_SUCCESS) {
                R[reached + 1] = fmax(R[reached], limit_ratio(nx, x, lo[0], hi[0]));
                reached++;
            }
            k = growth_nearest_half(R, reached);
            if (k > 0)
                f = 0.5 * (R[k - 1] + R[k]);
            CU_ASSERT_FATAL(f > 0.0);
            for (size_t q = 0; q < np; q++)
                if (is_limit[q])
                    b->p[0][q] *= f;
            CU_ASSERT_EQUAL_FATAL(plant_validate(&lane[0], NULL), PB_SUCCESS);
            plant_stepper_reset(st[0]);
        }
        /* Lane 1: outside its limits from the start. */
        (*t)->state_limits(b->p[1], lo[1], hi[1]);
        for (size_t i = 0; i < nx; i++)
            if (isfinite(hi[1][i])) {
                xg[1][i] = 2.0 * hi[1][i];
                break;
            }
        for (size_t s = 0; s < BN; s++) {
            (*t)->state_limits(b->p[s], lo[s], hi[s]);
            lane_set(*t, BLD, s, xg[s], b->u[s], b->p[s], b->X, b->U, b->P);
            scale[s] = 0.0;
            for (size_t i = 0; i < nx; i++)
                scale[s] = fmax(scale[s], fabs(xg[s][i]));
        }
        CU_ASSERT(lane_inside(nx, b->X, BLD, 0, lo[0], hi[0]));
        CU_ASSERT(!lane_inside(nx, b->X, BLD, 1, lo[1], hi[1]));

        for (size_t k = 0; k < RK_PERIODS; k++) {
            double tk = (double)k * T;
            /* The GSL path. */
            for (size_t s = 0; s < BN; s++) {
                double u[PLANT_NU_MAX];
                int rc;
                if (div_g[s] >= 0)
                    continue;
                lane_input(c, s, xg[s], u);
                rc = plant_stepper_apply(st[s], tk, xg[s], u);
                CU_ASSERT(rc == PB_SUCCESS || rc == PB_EDIVERGED);
                if (rc != PB_SUCCESS)
                    div_g[s] = (long)k;
            }
            /* The batched path: entry check, the held saturated input from
             * the path's own state, substeps, the check after each. */
            for (size_t s = 0; s < BN; s++) {
                double x[PLANT_NX_MAX], u[PLANT_NU_MAX];
                if (div_b[s] < 0 && !lane_inside(nx, b->X, BLD, s, lo[s], hi[s]))
                    div_b[s] = (long)k;
                if (div_b[s] >= 0)
                    continue;
                for (size_t i = 0; i < nx; i++)
                    x[i] = b->X[i * BLD + s];
                lane_input(c, s, x, u);
                plant_saturate(&lane[s], u);
                for (size_t j = 0; j < nu; j++)
                    b->U[j * BLD + s] = u[j];
            }
            for (size_t q = 0; q < RK_SUBSTEPS; q++) {
                plant_rk4_batch_apply(*t, BN, BLD, tk + (double)q * h, h, b->X, b->U, b->P, b->w);
                for (size_t s = 0; s < BN; s++)
                    if (div_b[s] < 0 && !lane_inside(nx, b->X, BLD, s, lo[s], hi[s]))
                        div_b[s] = (long)k;
            }
            for (size_t s = 0; s < BN; s++) {
                double d = 0.0;
                CU_ASSERT_EQUAL(div_b[s], div_g[s]);
                if (div_g[s] >= 0 || div_b[s] >= 0)
                    continue;
                for (size_t i = 0; i < nx; i++)
                    scale[s] = fmax(scale[s], fabs(xg[s][i]));
                for (size_t i = 0; i < nx; i++) {
                    double a = b->X[i * BLD + s], r = xg[s][i];
                    PB_ASSERT_CLOSE(a, r, 1e-12, 1e-12 * scale[s]);
                    d = fmax(d, fabs(a - r));
                    if (a != r)
                        worst = fmax(worst, fabs(a - r) / fmax(fabs(a), fabs(r)));
                }
                worst_norm = fmax(worst_norm, d / scale[s]);
                compared++;
            }
        }
        printf("\n    %-15s batched RK4 vs rk4fixed: %zu lane-periods, max difference %.2g of "
               "the lane's scale (%.2g component by component); lane 0 diverged in period %ld, "
               "lane 1 at %ld",
               (*t)->name, compared, worst_norm, worst, div_g[0], div_g[1]);
        CU_ASSERT(div_g[0] > 0 && div_g[0] < RK_PERIODS); /* left its limits mid-way */
        CU_ASSERT_EQUAL(div_g[1], 0);
        CU_ASSERT(compared > (BN - 2) * (RK_PERIODS - 1));
        for (size_t s = 0; s < BN; s++)
            plant_stepper_free(st[s]);
        plant_lqr_free(c);
        plant_free(nom);
    }
    printf("\n");
    free(xg);
    free(lo);
    free(hi);
    batch_buf_free(b);
    gsl_rng_free(rng);
}

/* ---- linearisation, discretisation, LQR --------------------------------- */

/* Double integrator: Ad = [[1, T], [0, 1]], Bd = [T^2/2, T]; a rotation
 * [[0, w], [-w, 0]] over many radians; a fast stable scalar mode. */
static void test_zoh(void)
{
    double A[4] = {0, 1, 0, 0}, B[2] = {0, 1}, Ad[4], Bd[2], T = 0.37;
    pb_error err;

    CU_ASSERT_EQUAL(plant_discretise(2, 1, A, B, T, Ad, Bd, &err), PB_SUCCESS);
    PB_ASSERT_CLOSE(Ad[0], 1.0, 0, 1e-15);
    PB_ASSERT_CLOSE(Ad[1], T, 1e-15, 0);
    PB_ASSERT_CLOSE(Ad[2], 0.0, 0, 1e-15);
    PB_ASSERT_CLOSE(Ad[3], 1.0, 0, 1e-15);
    PB_ASSERT_CLOSE(Bd[0], T * T / 2, 1e-15, 0);
    PB_ASSERT_CLOSE(Bd[1], T, 1e-15, 0);
    {
        double w = 5.0, T2 = 5.0; /* w T = 25 rad */
        double R[4] = {0, w, -w, 0}, c = cos(w * T2), s = sin(w * T2);
        CU_ASSERT_EQUAL(plant_discretise(2, 1, R, B, T2, Ad, Bd, &err), PB_SUCCESS);
        PB_ASSERT_CLOSE(Ad[0], c, 0, 1e-12);
        PB_ASSERT_CLOSE(Ad[1], s, 0, 1e-12);
        PB_ASSERT_CLOSE(Ad[2], -s, 0, 1e-12);
        PB_ASSERT_CLOSE(Ad[3], c, 0, 1e-12);
        /* int_0^T e^{As} [0; 1] ds = [(1 - cos wT)/w; sin(wT)/w] */
        PB_ASSERT_CLOSE(Bd[0], (1 - c) / w, 0, 1e-12);
        PB_ASSERT_CLOSE(Bd[1], s / w, 0, 1e-12);
    }
    {
        double a = -40.0, b = 3.0, ad, bd;
        CU_ASSERT_EQUAL(plant_discretise(1, 1, &a, &b, 1.0, &ad, &bd, &err), PB_SUCCESS);
        PB_ASSERT_CLOSE(ad, exp(-40.0), 1e-11, 0);
        PB_ASSERT_CLOSE(bd, (exp(-40.0) - 1) / a * b, 1e-13, 0);
    }
    /* A block of many small entries (the case GSL's entry-based scaling
     * under-estimates): 12 states, every entry 0.009, against the exact
     * exponential of the rank-one matrix 0.009 * ones: I + (e^{0.108} - 1)/12 * ones.
     * gsl_linalg_exponential_ss alone is off by 6e-12 here. */
    {
        double A12[144], B12[12], Ad12[144], Bd12[12];
        double k = expm1(12 * 0.009) / 12;
        for (int i = 0; i < 144; i++)
            A12[i] = 0.009;
        for (int i = 0; i < 12; i++)
            B12[i] = 0.0;
        CU_ASSERT_EQUAL(plant_discretise(12, 1, A12, B12, 1.0, Ad12, Bd12, &err), PB_SUCCESS);
        for (int i = 0; i < 12; i++)
            for (int j = 0; j < 12; j++)
                PB_ASSERT_CLOSE(Ad12[i * 12 + j], (i == j) + k, 0, 3e-14);
    }
    /* Refused input. */
    pb_error_clear(&err);
    CU_ASSERT_EQUAL(plant_discretise(2, 1, A, B, 0.0, Ad, Bd, &err), PB_EINVAL);
    CU_ASSERT(err.msg[0] != '\0');
    CU_ASSERT_EQUAL(plant_discretise(2, 1, A, B, NAN, Ad, Bd, &err), PB_EINVAL);
    A[1] = INFINITY;
    CU_ASSERT_EQUAL(plant_discretise(2, 1, A, B, T, Ad, Bd, &err), PB_EINVAL);
    CU_ASSERT_EQUAL(plant_discretise(0, 1, A, B, T, Ad, Bd, &err), PB_EINVAL);
}

/* Scalar x+ = a x + b u, cost q x^2 + r u^2: the Riccati equation
 * b^2 p^2 + (r - q b^2 - a^2 r) p - q r = 0 has the positive root p, and
 * k = a b p / (r + b^2 p). */
static void test_dlqr_scalar(void)
{
    double a = 1.2, b = 0.5, q = 2.0, r = 0.3, k, p;
    double c1 = r - q * b * b - a * a * r;
    double p_ref = (-c1 + sqrt(c1 * c1 + 4 * b * b * q * r)) / (2 * b * b);
    double k_ref = a * b * p_ref / (r + b * b * p_ref);
    pb_error err;

    CU_ASSERT_EQUAL(plant_dlqr(1, 1, &a, &b, &q, &r, &k, &p, &err), PB_SUCCESS);
    PB_ASSERT_CLOSE(p, p_ref, 1e-12, 0);
    PB_ASSERT_CLOSE(k, k_ref, 1e-12, 0);
    CU_ASSERT(fabs(a - b * k) < 1.0);

    /* A closed loop at 1 - 1e-6 per step (a slow mode at a short period):
     * plain Riccati iteration would need ~1e7 steps; doubling does not. */
    {
        double a2 = 1.0, b2 = 1e-3, q2 = 1e-6, r2 = 1.0, k2, p2;
        double c2 = r2 - q2 * b2 * b2 - a2 * a2 * r2;
        double p2_ref = (-c2 + sqrt(c2 * c2 + 4 * b2 * b2 * q2 * r2)) / (2 * b2 * b2);
        double k2_ref = a2 * b2 * p2_ref / (r2 + b2 * b2 * p2_ref);
        CU_ASSERT_EQUAL(plant_dlqr(1, 1, &a2, &b2, &q2, &r2, &k2, &p2, &err), PB_SUCCESS);
        PB_ASSERT_CLOSE(p2, p2_ref, 1e-10, 0);
        PB_ASSERT_CLOSE(k2, k2_ref, 1e-10, 0);
        CU_ASSERT(1.0 - (a2 - b2 * k2) < 2e-6);
    }
    /* Refusals and failures. */
    {
        double qn = -1.0, r0 = 0.0, a2 = 2.0, b0 = 0.0, qi = NAN;
        double Q2[4] = {1, 0.5, 0.4, 1}, A2[4] = {1, 0, 0, 1}, B2[2] = {1, 1}, K2[2];
        CU_ASSERT_EQUAL(plant_dlqr(1, 1, &a, &b, &qn, &r, &k, NULL, &err), PB_EINVAL);
        CU_ASSERT_EQUAL(plant_dlqr(1, 1, &a, &b, &q, &r0, &k, NULL, &err), PB_EINVAL);
        CU_ASSERT_EQUAL(plant_dlqr(1, 1, &a, &b, &qi, &r, &k, NULL, &err), PB_EINVAL);
        double R2[4] = {1, 0.2, 0.3, 1}, Rn[4] = {1, 2, 2, 1}, Qs[4] = {1, 0, 0, 1}, Kb[4];
        CU_ASSERT_EQUAL(plant_dlqr(2, 1, A2, B2, Q2, &r, K2, NULL, &err), PB_EINVAL);
        CU_ASSERT_EQUAL(plant_dlqr(2, 2, A2, A2, Qs, R2, Kb, NULL, &err), PB_EINVAL);
        pb_error_clear(&err);
        CU_ASSERT_EQUAL(plant_dlqr(2, 2, A2, A2, Qs, Rn, Kb, NULL, &err), PB_EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "positive definite"));
        /* An unstable mode the input cannot reach, weighted in Q. */
        pb_error_clear(&err);
        CU_ASSERT_EQUAL(plant_dlqr(1, 1, &a2, &b0, &q, &r, &k, NULL, &err), PB_ENUMERIC);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "stabilisable"));
        CU_ASSERT_EQUAL(plant_dlqr(0, 1, &a2, &b0, &q, &r, &k, NULL, &err), PB_EINVAL);
    }
}

/* A 3-state, 2-input system against SciPy's solve_discrete_are. */
static void test_dlqr_vs_scipy(void)
{
    static const char script[] =
        "import numpy as np\n"
        "from scipy.linalg import solve_discrete_are\n"
        "A = np.array([[1.1, 0.2, 0.0], [0.0, 0.9, 0.3], [0.1, 0.0, 1.05]])\n"
        "B = np.array([[0.0, 1.0], [0.5, 0.0], [0.2, 0.3]])\n"
        "Q = np.diag([1.0, 2.0, 0.5]); R = np.array([[0.4, 0.1], [0.1, 0.7]])\n"
        "P = solve_discrete_are(A, B, Q, R)\n"
        "K = np.linalg.solve(R + B.T @ P @ B, B.T @ P @ A)\n"
        "print(' '.join('%.17g' % v for v in np.concatenate([P.ravel(), K.ravel()])))\n";
    double A[9] = {1.1, 0.2, 0.0, 0.0, 0.9, 0.3, 0.1, 0.0, 1.05};
    double B[6] = {0.0, 1.0, 0.5, 0.0, 0.2, 0.3};
    double Q[9] = {1, 0, 0, 0, 2, 0, 0, 0, 0.5}, R[4] = {0.4, 0.1, 0.1, 0.7};
    double P[9], K[6], ref[15];
    char out[2048], *p = out;

    if (!pb_test_have_python()) {
        pb_test_skip("%s with scipy is missing; DARE comparison skipped", PB_PYTHON3);
        return;
    }
    CU_ASSERT_EQUAL_FATAL(pb_test_python(script, "", out, sizeof out), 0);
    for (int i = 0; i < 15; i++) {
        char *end;
        ref[i] = strtod(p, &end);
        CU_ASSERT_FATAL(end != p);
        p = end;
    }
    CU_ASSERT_EQUAL_FATAL(plant_dlqr(3, 2, A, B, Q, R, K, P, NULL), PB_SUCCESS);
    for (int i = 0; i < 9; i++)
        PB_ASSERT_CLOSE(P[i], ref[i], 1e-10, 1e-12);
    for (int i = 0; i < 6; i++)
        PB_ASSERT_CLOSE(K[i], ref[9 + i], 1e-10, 1e-12);
}

/* Smallest over largest singular value of [lambda I - Ad, Bd] (PBH test):
 * near 0 when the mode lambda is uncontrollable. */
static double pbh_ratio(size_t nx, size_t nu, const double *Ad, const double *Bd, double lambda)
{
    gsl_matrix *M = gsl_matrix_alloc(nx + nu, nx), *V = gsl_matrix_alloc(nx, nx);
    gsl_vector *S = gsl_vector_alloc(nx), *w = gsl_vector_alloc(nx);
    double r;
    /* M = [lambda I - Ad, Bd]^T, (nx + nu) x nx */
    for (size_t i = 0; i < nx; i++) {
        for (size_t j = 0; j < nx; j++)
            gsl_matrix_set(M, j, i, (i == j) * lambda - Ad[i * nx + j]);
        for (size_t k = 0; k < nu; k++)
            gsl_matrix_set(M, nx + k, i, Bd[i * nu + k]);
    }
    gsl_linalg_SV_decomp(M, V, S, w);
    r = gsl_vector_get(S, nx - 1) / gsl_vector_get(S, 0);
    gsl_vector_free(w);
    gsl_vector_free(S);
    gsl_matrix_free(V);
    gsl_matrix_free(M);
    return r;
}

/* Every type's LQR closed loop Ad - Bd K has spectral radius < 1, except for
 * modes the input cannot reach (PBH test), which the default weights then
 * leave out (q_i = 0: the yaw of quadrotor_arch); and the expert brings the
 * nonlinear plant back from an offset of 0.1 in every weighted state. */
static void test_lqr_every_plant(void)
{
    for (const plant_type *const *t = plant_types; *t; t++) {
        plant *m = plant_alloc(*t);
        size_t nx = (*t)->nx, nu = (*t)->nu, unweighted = 0, marginal = 0;
        double T = type_period(*t);
        double A[PLANT_NX_MAX * PLANT_NX_MAX], B[PLANT_NX_MAX * PLANT_NU_MAX];
        double Ad[PLANT_NX_MAX * PLANT_NX_MAX], Bd[PLANT_NX_MAX * PLANT_NU_MAX];
        double rho = 0.0, rho_ctrl = 0.0;
        pb_error err;
        plant_lqr *c = plant_lqr_alloc(m, T, NULL, NULL, &err);
        gsl_matrix *Acl;
        gsl_vector_complex *ev;
        gsl_eigen_nonsymm_workspace *ws;

        if (!c)
            printf("\n    %s: %s\n", (*t)->name, err.msg);
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        for (size_t i = 0; i < nx; i++)
            unweighted += (*t)->lqr_q[i] == 0.0;
        CU_ASSERT_EQUAL_FATAL(plant_linearise(m, c->x_eq, c->u_eq, A, B, &err), PB_SUCCESS);
        CU_ASSERT_EQUAL_FATAL(plant_discretise(nx, nu, A, B, T, Ad, Bd, &err), PB_SUCCESS);
        Acl = gsl_matrix_alloc(nx, nx);
        ev = gsl_vector_complex_alloc(nx);
        ws = gsl_eigen_nonsymm_alloc(nx);
        for (size_t i = 0; i < nx; i++)
            for (size_t j = 0; j < nx; j++) {
                double v = Ad[i * nx + j];
                for (size_t k = 0; k < nu; k++)
                    v -= Bd[i * nu + k] * c->K[k * nx + j];
                gsl_matrix_set(Acl, i, j, v);
            }
        CU_ASSERT_EQUAL_FATAL(gsl_eigen_nonsymm(Acl, ev, ws), 0);
        for (size_t i = 0; i < nx; i++) {
            gsl_complex l = gsl_vector_complex_get(ev, i);
            double mod = hypot(GSL_REAL(l), GSL_IMAG(l));
            rho = fmax(rho, mod);
            if (mod >= 1.0 - 1e-9) {
                /* Allowed only for a real uncontrollable mode. */
                marginal++;
                CU_ASSERT(fabs(GSL_IMAG(l)) < 1e-9);
                CU_ASSERT(pbh_ratio(nx, nu, Ad, Bd, GSL_REAL(l)) < 1e-9);
            } else {
                rho_ctrl = fmax(rho_ctrl, mod);
            }
        }
        CU_ASSERT(marginal <= unweighted);
        CU_ASSERT(rho_ctrl < 1.0);
        printf("\n    %-15s LQR at T = %g s: spectral radius %.6f (%zu uncontrollable modes)",
               (*t)->name, T, rho_ctrl, marginal);
        gsl_eigen_nonsymm_free(ws);
        gsl_vector_complex_free(ev);
        gsl_matrix_free(Acl);

        /* The nonlinear plant from an offset of 0.1 in every weighted state,
         * for 60 s: the weighted states shrink to 1e-3 of the offset. */
        {
            plant_integrator o;
            plant_stepper *s;
            double x[PLANT_NX_MAX], u[PLANT_NU_MAX], e0 = 0.0, e1 = 0.0;
            size_t n = (size_t)ceil(60.0 / T);
            int rc = PB_SUCCESS;
            plant_integrator_init(&o);
            s = plant_stepper_alloc(m, &o, T, &err);
            CU_ASSERT_PTR_NOT_NULL_FATAL(s);
            for (size_t i = 0; i < nx; i++) {
                x[i] = c->x_eq[i] + ((*t)->lqr_q[i] > 0 ? 0.1 : 0.0);
                e0 += (*t)->lqr_q[i] > 0 ? 0.01 : 0.0;
            }
            for (size_t k = 0; k < n && rc == PB_SUCCESS; k++) {
                plant_lqr_eval(c, x, u);
                rc = plant_stepper_apply(s, (double)k * T, x, u);
            }
            CU_ASSERT_EQUAL(rc, PB_SUCCESS);
            for (size_t i = 0; i < nx; i++)
                if ((*t)->lqr_q[i] > 0)
                    e1 += (x[i] - c->x_eq[i]) * (x[i] - c->x_eq[i]);
            printf(", |x - x*| from %.3g to %.3g in %g s", sqrt(e0), sqrt(e1), n * T);
            CU_ASSERT(sqrt(e1) < 1e-3 * sqrt(e0));
            plant_stepper_free(s);
        }
        plant_lqr_free(c);
        plant_free(m);
    }
    printf("\n");
}

/* The expert's output: u* - K (x - x*), saturated. */
static void test_lqr_eval_and_errors(void)
{
    plant *m = model("pendulum");
    pb_error err;
    plant_lqr *c = plant_lqr_alloc(m, 0.05, NULL, NULL, &err);
    double x[2] = {0.01, -0.02}, u, big[2] = {100.0, 0.0};
    double q_bad[2] = {1.0, -1.0}, r_bad[1] = {0.0}, q_ok[2] = {1.0, 1.0};

    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    plant_lqr_eval(c, x, &u);
    PB_ASSERT_CLOSE(u, -(c->K[0] * 0.01 + c->K[1] * -0.02), 1e-15, 0);
    CU_ASSERT(c->K[0] > 0.0); /* positive feedback on the angle would not stabilise */
    plant_lqr_eval(c, big, &u);
    CU_ASSERT(u == -20.0); /* the torque limit */
    plant_lqr_free(c);
    plant_lqr_free(NULL);
    /* A 1 kHz quadrotor loop (slow modes at 1 - 1e-4 per step) still converges. */
    {
        plant *q = model("quadrotor");
        plant_lqr *cq = plant_lqr_alloc(q, 1e-3, NULL, NULL, &err);
        CU_ASSERT_PTR_NOT_NULL(cq);
        plant_lqr_free(cq);
        plant_free(q);
    }

    pb_error_clear(&err);
    CU_ASSERT_PTR_NULL(plant_lqr_alloc(m, 0.0, NULL, NULL, &err));
    CU_ASSERT_EQUAL(err.code, PB_EINVAL);
    CU_ASSERT_PTR_NULL(plant_lqr_alloc(m, NAN, NULL, NULL, &err));
    CU_ASSERT_PTR_NULL(plant_lqr_alloc(m, 0.05, q_bad, NULL, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "omega"));
    CU_ASSERT_PTR_NULL(plant_lqr_alloc(m, 0.05, q_ok, r_bad, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "torque"));
    CU_ASSERT_PTR_NULL(plant_lqr_alloc(NULL, 0.05, NULL, NULL, &err));
    {
        double xn[2] = {NAN, 0}, un = 0, A[4], B[2];
        CU_ASSERT_EQUAL(plant_linearise(m, xn, &un, A, B, &err), PB_EINVAL);
    }
    plant_free(m);
}

/* Without an analytic Jacobian plant_linearise falls back on differences. */
static void test_linearise_differences(void)
{
    plant m = {&osc_nojac_type, NULL};
    double p[1] = {3.0}, x[2] = {0.4, -0.1}, u = 0.2, A[4], B[2];
    m.p = p;
    CU_ASSERT_EQUAL(plant_linearise(&m, x, &u, A, B, NULL), PB_SUCCESS);
    PB_ASSERT_CLOSE(A[0], 0.0, 0, 1e-8);
    PB_ASSERT_CLOSE(A[1], 1.0, 0, 1e-8);
    PB_ASSERT_CLOSE(A[2], -9.0, 0, 1e-8);
    PB_ASSERT_CLOSE(A[3], 0.0, 0, 1e-8);
    PB_ASSERT_CLOSE(B[0], 0.0, 0, 1e-8);
    PB_ASSERT_CLOSE(B[1], 1.0, 0, 1e-8);
}

static const pb_test_case step_tests[] = {
    {"unforced frictionless pendulum conserves energy over 100 swings", test_pendulum_energy},
    {"fixed-step rk4 converges with order 4", test_rk4_order},
    {"every stepper name integrates the oscillator; implicit ones use the Jacobian",
     test_every_stepper},
    {"implicit stepper without an analytic Jacobian", test_implicit_without_jacobian},
    {"zero-order hold saturates the input; steps are deterministic", test_zoh_saturates},
    {"divergence and step limits give PB_EDIVERGED and PB_ENUMERIC", test_divergence},
    {"plant_stepper_reset takes the state limits from the current parameters",
     test_stepper_reset_takes_new_limits},
    {"integrator options are validated", test_integrator_options},
    {"ARCH-COMP pendulum matches SciPy DOP853 after 1 s", test_pendulum_vs_scipy},
    {NULL, NULL}};

static const pb_test_case type_tests[] = {
    {"registry finds every type and its slots are filled", test_registry},
    {"every equilibrium has zero derivative", test_equilibria},
    {"quadrotor hover is an equilibrium to machine precision", test_quadrotor_hover},
    {"quadrotor obeys Newton and Euler in the inertial frame", test_quadrotor_newton_euler},
    {"unforced frictionless cart-poles conserve energy", test_cartpole_energy},
    {"analytic Jacobians match central differences", test_jacobians},
    {"invalid parameters are refused with a message", test_invalid_parameters},
    {"quadrotor inertias obey the triangle inequality", test_quadrotor_inertia_validation},
    {NULL, NULL}};

static const pb_test_case batch_tests[] = {
    {"every type's f_batch equals f at 1000 random points (lanes with their own parameters)",
     test_batch_rhs_matches_f},
    {"f_batch leaves a non-finite dX exactly where f returns PB_EDIVERGED",
     test_batch_rhs_divergence},
    {"plant_batch_eval without f_batch equals f bit for bit", test_batch_eval_generic},
    {"batched RK4 equals the rk4fixed stepper over 50 periods, divergence included",
     test_rk4_batch_vs_stepper},
    {NULL, NULL}};

static const pb_test_case lqr_tests[] = {
    {"ZOH discretisation matches analytic Ad, Bd", test_zoh},
    {"dlqr on a scalar system equals the closed-form Riccati solution", test_dlqr_scalar},
    {"dlqr matches SciPy solve_discrete_are", test_dlqr_vs_scipy},
    {"every plant's LQR loop is stable and returns the nonlinear plant", test_lqr_every_plant},
    {"LQR expert output, saturation and refused input", test_lqr_eval_and_errors},
    {"linearisation by central differences without a Jacobian", test_linearise_differences},
    {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {{"plant_step", step_tests},
                                        {"plant_types", type_tests},
                                        {"plant_batch", batch_tests},
                                        {"plant_lqr", lqr_tests},
                                        {NULL, NULL}};
