/* double_pendulum.c: the inverted two-link pendulum of the ARCH-COMP AINNCS
 * suite (../shared/benchmarks/arch-comp/README.md, double_pendulum/), angles
 * from the upward vertical, m = L = 0.5, c = 0, g = 1, torques T1, T2 at the
 * two joints.  With D = theta1 - theta2:
 *
 *   A   = 4 T1 + 2 sin theta1 - theta2'^2 sin(D) / 2
 *   B   = theta1'^2 sin D + 8 T2 + 2 sin theta2 - cos(D) A
 *   den = cos(D)^2 / 2 - 1
 *   theta1'' = A + cos(D) B / (2 den),  theta2'' = -B / den
 *
 * (the README's solution of the implicit two-link equations of the suite's
 * double_pendulum_solver.m; the constants are built in, as the README gives
 * the equations only for them).  den is in [-1, -1/2]: no singular state.
 * sin D and cos D come from the sines and cosines of the two angles, so that
 * f and f_batch need the same four.  Upright rest is the equilibrium. */
#include <math.h>

#include "pb_simd.h"
#include "pb_vec.h"
#include "plant.h"

enum { P_UMAX, P_THMAX, P_WMAX };

static const plant_var states[] = {
    {"theta1", "rad"}, {"theta2", "rad"}, {"omega1", "rad/s"}, {"omega2", "rad/s"}};
static const plant_var inputs[] = {{"T1", "N m"}, {"T2", "N m"}};
static const plant_param params[] = {
    {"u_max", "N m", "limit of |T1|, |T2| (inf: none)", INFINITY, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"theta_max", "rad", "|theta1|, |theta2| beyond this count as diverged", 100.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"omega_max", "rad/s", "|omega1|, |omega2| beyond this count as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
};
static const double lqr_q[] = {10.0, 10.0, 1.0, 1.0};
static const double lqr_r[] = {0.1, 0.1};

/* The two angular accelerations from the sines and cosines of the angles. */
static inline void accel(double s1, double c1, double s2, double c2, double w1, double w2,
                         double T1, double T2, double *a1, double *a2)
{
    double sD = s1 * c2 - c1 * s2, cD = c1 * c2 + s1 * s2;
    double A = 4.0 * T1 + 2.0 * s1 - w2 * w2 * sD / 2.0;
    double B = w1 * w1 * sD + 8.0 * T2 + 2.0 * s2 - cD * A;
    double den = cD * cD / 2.0 - 1.0;
    *a1 = A + cD * B / (2.0 * den);
    *a2 = -B / den;
}

static int f(double t, const double x[], const double u[], const double p[], double dxdt[])
{
    (void)t;
    (void)p;
    dxdt[0] = x[2];
    dxdt[1] = x[3];
    accel(sin(x[0]), cos(x[0]), sin(x[1]), cos(x[1]), x[2], x[3], u[0], u[1], &dxdt[2], &dxdt[3]);
    for (int i = 0; i < 4; i++)
        if (!isfinite(dxdt[i]))
            return PB_EDIVERGED;
    return PB_SUCCESS;
}

/* f over the lanes of a batch, term for term (pb_simd.h); S1 .. C2 the sines
 * and cosines of the angles. */
PB_SIMD_CLONES static void f_lanes(size_t n, const double *restrict S1, const double *restrict C1,
                                      const double *restrict S2, const double *restrict C2,
                                      const double *restrict w1, const double *restrict w2,
                                      const double *restrict T1, const double *restrict T2,
                                      double *restrict d0, double *restrict d1,
                                      double *restrict d2, double *restrict d3)
{
    for (size_t s = 0; s < n; s++) {
        d0[s] = w1[s];
        d1[s] = w2[s];
        accel(S1[s], C1[s], S2[s], C2[s], w1[s], w2[s], T1[s], T2[s], &d2[s], &d3[s]);
    }
}

/* The type's f_batch (plant.h): the four sines and cosines over the lanes
 * into w, then f_lanes.  A non-finite result is left in dX: f's only
 * divergence is a non-finite dxdt. */
static void f_batch(double t, size_t n, size_t ld, const double X[], const double U[],
                    const double P[], double dX[], double w[])
{
    (void)t;
    (void)P;
    pb_vec_sin(n, X, w);
    pb_vec_cos(n, X, w + ld);
    pb_vec_sin(n, X + ld, w + 2 * ld);
    pb_vec_cos(n, X + ld, w + 3 * ld);
    f_lanes(n, w, w + ld, w + 2 * ld, w + 3 * ld, X + 2 * ld, X + 3 * ld, U, U + ld, dX, dX + ld,
            dX + 2 * ld, dX + 3 * ld);
}

/* dfdx, dfdu by the chain rule through D, A, B and den: for each variable v
 * of (theta1, theta2, omega1, omega2, T1, T2) the derivatives dD, dA, dB,
 * dden, then d theta1'' = dA + (-sD dD B + cD dB)/(2 den) - cD B dden/(2 den^2)
 * and d theta2'' = -dB/den + B dden/den^2. */
static int jac(double t, const double x[], const double u[], const double p[], double dfdx[],
               double dfdu[])
{
    double s1 = sin(x[0]), c1 = cos(x[0]), s2 = sin(x[1]), c2 = cos(x[1]);
    double w1 = x[2], w2 = x[3];
    double sD = s1 * c2 - c1 * s2, cD = c1 * c2 + s1 * s2;
    double A = 4.0 * u[0] + 2.0 * s1 - w2 * w2 * sD / 2.0;
    double B = w1 * w1 * sD + 8.0 * u[1] + 2.0 * s2 - cD * A;
    double den = cD * cD / 2.0 - 1.0;
    double row2[6], row3[6];
    (void)t;
    (void)p;
    for (int v = 0; v < 6; v++) {
        double dD = v == 0 ? 1.0 : v == 1 ? -1.0 : 0.0;
        double dA = -w2 * w2 * cD * dD / 2.0;
        double dB, dden;
        if (v == 0)
            dA += 2.0 * c1;
        if (v == 3)
            dA += -w2 * sD;
        if (v == 4)
            dA += 4.0;
        dB = w1 * w1 * cD * dD + sD * A * dD - cD * dA;
        if (v == 1)
            dB += 2.0 * c2;
        if (v == 2)
            dB += 2.0 * w1 * sD;
        if (v == 5)
            dB += 8.0;
        dden = -cD * sD * dD;
        row2[v] = dA + (-sD * dD * B + cD * dB) / (2.0 * den) - cD * B * dden / (2.0 * den * den);
        row3[v] = -dB / den + B * dden / (den * den);
    }
    if (dfdx) {
        for (int i = 0; i < 16; i++)
            dfdx[i] = 0.0;
        dfdx[0 * 4 + 2] = 1.0;
        dfdx[1 * 4 + 3] = 1.0;
        for (int j = 0; j < 4; j++) {
            dfdx[2 * 4 + j] = row2[j];
            dfdx[3 * 4 + j] = row3[j];
        }
    }
    if (dfdu) {
        dfdu[0] = dfdu[1] = dfdu[2] = dfdu[3] = 0.0;
        dfdu[2 * 2 + 0] = row2[4];
        dfdu[2 * 2 + 1] = row2[5];
        dfdu[3 * 2 + 0] = row3[4];
        dfdu[3 * 2 + 1] = row3[5];
    }
    return PB_SUCCESS;
}

static void equilibrium(const double p[], double x[], double u[])
{
    (void)p;
    x[0] = x[1] = x[2] = x[3] = 0.0;
    u[0] = u[1] = 0.0;
}

static void input_limits(const double p[], double lo[], double hi[])
{
    lo[0] = lo[1] = -p[P_UMAX];
    hi[0] = hi[1] = p[P_UMAX];
}

static void state_limits(const double p[], double lo[], double hi[])
{
    lo[0] = lo[1] = -p[P_THMAX];
    hi[0] = hi[1] = p[P_THMAX];
    lo[2] = lo[3] = -p[P_WMAX];
    hi[2] = hi[3] = p[P_WMAX];
}

const plant_type plant_double_pendulum = {
    .name = "double_pendulum",
    .equation = "ARCH-COMP inverted two-link pendulum, m = L = 0.5, c = 0, g = 1: with D = th1 - "
                "th2, A = 4 T1 + 2 sin th1 - th2'^2 sin(D)/2, B = th1'^2 sin D + 8 T2 + 2 sin th2 - "
                "cos(D) A, den = cos(D)^2/2 - 1: th1'' = A + cos(D) B/(2 den), th2'' = -B/den",
    .nx = 4,
    .nu = 2,
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
    .period = 0.05,
};
