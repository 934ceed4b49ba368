/* attitude_control.c: rigid-body attitude control of the ARCH-COMP AINNCS
 * suite (../shared/benchmarks/arch-comp/README.md, attitude_control/):
 * angular velocity (x1, x2, x3), Rodrigues parameters (x4, x5, x6),
 * xi = x4^2 + x5^2 + x6^2:
 *
 *   x1' = 0.25 (u1 + x2 x3),  x2' = 0.5 (u2 - 3 x1 x3),  x3' = u3 + 2 x1 x2
 *   x4' = 0.5 (x2 (xi - x6) + x3 (xi + x5) + x1 (xi + 1))
 *   x5' = 0.5 (x1 (xi + x6) + x3 (xi - x4) + x2 (xi + 1))
 *   x6' = 0.5 (x1 (xi - x5) + x2 (xi + x4) + x3 (xi + 1))
 *
 * in the benchmark's normalised units (inertia diag(4, 2, 1)).  Rest at the
 * origin is the equilibrium. */
#include <math.h>

#include "pb_simd.h"
#include "plant.h"

enum { P_UMAX, P_WMAX, P_RHOMAX };

static const plant_var states[] = {{"omega1", "rad/s"}, {"omega2", "rad/s"}, {"omega3", "rad/s"},
                                   {"rho1", "1"},       {"rho2", "1"},       {"rho3", "1"}};
static const plant_var inputs[] = {{"u1", "1"}, {"u2", "1"}, {"u3", "1"}};
static const plant_param params[] = {
    {"u_max", "1", "limit of |u1|, |u2|, |u3| (inf: none)", INFINITY, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"omega_max", "rad/s", "|omega_i| beyond this counts as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"rho_max", "1", "|rho_i| beyond this counts as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
};
static const double lqr_q[] = {1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
static const double lqr_r[] = {1.0, 1.0, 1.0};

/* The right-hand side: one body for f and the lanes of f_batch. */
static inline void rhs(double x1, double x2, double x3, double x4, double x5, double x6,
                       double u1, double u2, double u3, double d[6])
{
    double xi = x4 * x4 + x5 * x5 + x6 * x6;
    d[0] = 0.25 * (u1 + x2 * x3);
    d[1] = 0.5 * (u2 - 3.0 * x1 * x3);
    d[2] = u3 + 2.0 * x1 * x2;
    d[3] = 0.5 * (x2 * (xi - x6) + x3 * (xi + x5) + x1 * (xi + 1.0));
    d[4] = 0.5 * (x1 * (xi + x6) + x3 * (xi - x4) + x2 * (xi + 1.0));
    d[5] = 0.5 * (x1 * (xi - x5) + x2 * (xi + x4) + x3 * (xi + 1.0));
}

static int f(double t, const double x[], const double u[], const double p[], double dxdt[])
{
    (void)t;
    (void)p;
    rhs(x[0], x[1], x[2], x[3], x[4], x[5], u[0], u[1], u[2], dxdt);
    for (int i = 0; i < 6; i++)
        if (!isfinite(dxdt[i]))
            return PB_EDIVERGED;
    return PB_SUCCESS;
}

/* f over the lanes of a batch, term for term (pb_simd.h); X, U, dX in the
 * f_batch layout of plant.h. */
PB_SIMD_CLONES static void f_lanes(size_t n, size_t ld, const double *restrict X,
                                      const double *restrict U, double *restrict dX)
{
    for (size_t s = 0; s < n; s++) {
        double d[6];
        rhs(X[s], X[ld + s], X[2 * ld + s], X[3 * ld + s], X[4 * ld + s], X[5 * ld + s], U[s],
            U[ld + s], U[2 * ld + s], d);
        for (int i = 0; i < 6; i++)
            dX[i * ld + s] = d[i];
    }
}

/* The type's f_batch (plant.h).  A non-finite result is left in dX: f's only
 * divergence is a non-finite dxdt. */
static void f_batch(double t, size_t n, size_t ld, const double X[], const double U[],
                    const double P[], double dX[], double w[])
{
    (void)t;
    (void)P;
    (void)w;
    f_lanes(n, ld, X, U, dX);
}

/* dfdx (6 x 6), dfdu (6 x 3), term by term from rhs (d xi / d x_k = 2 x_k). */
static int jac(double t, const double x[], const double u[], const double p[], double dfdx[],
               double dfdu[])
{
    double x1 = x[0], x2 = x[1], x3 = x[2], x4 = x[3], x5 = x[4], x6 = x[5];
    double xi = x4 * x4 + x5 * x5 + x6 * x6, S = x1 + x2 + x3;
    (void)t;
    (void)u;
    (void)p;
    if (dfdx) {
        double *J = dfdx;
        for (int i = 0; i < 36; i++)
            J[i] = 0.0;
        J[0 * 6 + 1] = 0.25 * x3;
        J[0 * 6 + 2] = 0.25 * x2;
        J[1 * 6 + 0] = -1.5 * x3;
        J[1 * 6 + 2] = -1.5 * x1;
        J[2 * 6 + 0] = 2.0 * x2;
        J[2 * 6 + 1] = 2.0 * x1;
        /* x4' */
        J[3 * 6 + 0] = 0.5 * (xi + 1.0);
        J[3 * 6 + 1] = 0.5 * (xi - x6);
        J[3 * 6 + 2] = 0.5 * (xi + x5);
        J[3 * 6 + 3] = S * x4;
        J[3 * 6 + 4] = S * x5 + 0.5 * x3;
        J[3 * 6 + 5] = S * x6 - 0.5 * x2;
        /* x5' */
        J[4 * 6 + 0] = 0.5 * (xi + x6);
        J[4 * 6 + 1] = 0.5 * (xi + 1.0);
        J[4 * 6 + 2] = 0.5 * (xi - x4);
        J[4 * 6 + 3] = S * x4 - 0.5 * x3;
        J[4 * 6 + 4] = S * x5;
        J[4 * 6 + 5] = S * x6 + 0.5 * x1;
        /* x6' */
        J[5 * 6 + 0] = 0.5 * (xi - x5);
        J[5 * 6 + 1] = 0.5 * (xi + x4);
        J[5 * 6 + 2] = 0.5 * (xi + 1.0);
        J[5 * 6 + 3] = S * x4 + 0.5 * x2;
        J[5 * 6 + 4] = S * x5 - 0.5 * x1;
        J[5 * 6 + 5] = S * x6;
    }
    if (dfdu) {
        for (int i = 0; i < 18; i++)
            dfdu[i] = 0.0;
        dfdu[0 * 3 + 0] = 0.25;
        dfdu[1 * 3 + 1] = 0.5;
        dfdu[2 * 3 + 2] = 1.0;
    }
    return PB_SUCCESS;
}

static void equilibrium(const double p[], double x[], double u[])
{
    (void)p;
    for (int i = 0; i < 6; i++)
        x[i] = 0.0;
    u[0] = u[1] = u[2] = 0.0;
}

static void input_limits(const double p[], double lo[], double hi[])
{
    for (int j = 0; j < 3; j++) {
        lo[j] = -p[P_UMAX];
        hi[j] = p[P_UMAX];
    }
}

static void state_limits(const double p[], double lo[], double hi[])
{
    for (int i = 0; i < 6; i++) {
        double m = p[i < 3 ? P_WMAX : P_RHOMAX];
        lo[i] = -m;
        hi[i] = m;
    }
}

const plant_type plant_attitude_control = {
    .name = "attitude_control",
    .equation = "ARCH-COMP attitude control: x1' = 0.25 (u1 + x2 x3), x2' = 0.5 (u2 - 3 x1 x3), "
                "x3' = u3 + 2 x1 x2; Rodrigues parameters with xi = x4^2 + x5^2 + x6^2: x4' = 0.5 "
                "(x2 (xi - x6) + x3 (xi + x5) + x1 (xi + 1)), x5' = 0.5 (x1 (xi + x6) + x3 (xi - "
                "x4) + x2 (xi + 1)), x6' = 0.5 (x1 (xi - x5) + x2 (xi + x4) + x3 (xi + 1))",
    .nx = 6,
    .nu = 3,
    .np = sizeof params / sizeof params[0],
    .states = states,
    .inputs = inputs,
    .params = params,
    .f = f,
    .f_batch = f_batch,
    .jac = jac,
    .equilibrium = equilibrium,
    .input_limits = input_limits,
    .state_limits = state_limits,
    .validate = NULL,
    .lqr_q = lqr_q,
    .lqr_r = lqr_r,
    .period = 0.1,
};
