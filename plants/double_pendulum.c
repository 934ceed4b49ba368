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
#include "plant_box.h"

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

#ifdef PB_WITH_TUBE
/* The type's jac_box (plant.h): f and jac above, line for line, in Arb's
 * ball arithmetic over the box.  sD and cD are computed as in f, from the
 * sines and cosines of the angles, and intersected with the enclosures of
 * sin D and cos D from D = theta1 - theta2 itself: both hold the same real
 * numbers, so the intersection does too, and it keeps cD in [-1, 1], where
 * den = cD^2/2 - 1 lies in [-1, -1/2] (over a wide box, c1 c2 + s1 s2 alone
 * can exceed 1 and den's enclosure then reaches 0). */
static int box_eval(const double x[], const double u[], const double p[], double fb[],
                    double dfdx[], double dfdu[])
{
    const slong prec = PLANT_BOX_PREC;
    enum { S1, C1, S2, C2, W1, W2, T1, T2, SD, CD, A, B, DEN, DA, DB, DDEN, R2, R3, V, V2, NV };
    arb_t a[NV];
    int rc = PB_SUCCESS;
    (void)p;
    for (int i = 0; i < NV; i++)
        arb_init(a[i]);
    plant_box_get(a[V], x);
    arb_sin_cos(a[S1], a[C1], a[V], prec);
    plant_box_get(a[V2], x + 2);
    arb_sin_cos(a[S2], a[C2], a[V2], prec);
    arb_sub(a[V], a[V], a[V2], prec); /* D */
    arb_sin_cos(a[R2], a[R3], a[V], prec);
    plant_box_get(a[W1], x + 4);
    plant_box_get(a[W2], x + 6);
    plant_box_get(a[T1], u);
    plant_box_get(a[T2], u + 2);
    /* sD = s1 c2 - c1 s2, cD = c1 c2 + s1 s2 */
    arb_mul(a[SD], a[S1], a[C2], prec);
    arb_submul(a[SD], a[C1], a[S2], prec);
    arb_mul(a[CD], a[C1], a[C2], prec);
    arb_addmul(a[CD], a[S1], a[S2], prec);
    if (!arb_intersection(a[SD], a[SD], a[R2], prec) ||
        !arb_intersection(a[CD], a[CD], a[R3], prec))
        rc = PB_EDIVERGED; /* disjoint enclosures of one number: cannot happen */
    /* A = 4 T1 + 2 s1 - w2^2 sD / 2 */
    plant_box_sqr(a[V], a[W2], prec);
    arb_mul(a[V], a[V], a[SD], prec);
    arb_mul_2exp_si(a[V], a[V], -1);
    arb_mul_2exp_si(a[A], a[T1], 2);
    arb_addmul_si(a[A], a[S1], 2, prec);
    arb_sub(a[A], a[A], a[V], prec);
    /* B = w1^2 sD + 8 T2 + 2 s2 - cD A */
    plant_box_sqr(a[B], a[W1], prec);
    arb_mul(a[B], a[B], a[SD], prec);
    arb_mul_2exp_si(a[V], a[T2], 3);
    arb_add(a[B], a[B], a[V], prec);
    arb_addmul_si(a[B], a[S2], 2, prec);
    arb_submul(a[B], a[CD], a[A], prec);
    /* den = cD^2 / 2 - 1 */
    plant_box_sqr(a[DEN], a[CD], prec);
    arb_mul_2exp_si(a[DEN], a[DEN], -1);
    arb_sub_ui(a[DEN], a[DEN], 1, prec);
    if (fb) {
        fb[0] = x[4], fb[1] = x[5];
        fb[2] = x[6], fb[3] = x[7];
        arb_mul(a[V], a[CD], a[B], prec); /* A + cD B / (2 den) */
        arb_div(a[V], a[V], a[DEN], prec);
        arb_mul_2exp_si(a[V], a[V], -1);
        arb_add(a[V], a[V], a[A], prec);
        rc |= plant_box_put(a[V], fb + 4);
        arb_div(a[V], a[B], a[DEN], prec); /* -B / den */
        arb_neg(a[V], a[V]);
        rc |= plant_box_put(a[V], fb + 6);
    }
    if (dfdx)
        for (int i = 0; i < 2 * 16; i++)
            dfdx[i] = 0.0;
    if (dfdu)
        for (int i = 0; i < 2 * 8; i++)
            dfdu[i] = 0.0;
    if (dfdx || dfdu) {
        if (dfdx) {
            dfdx[2 * (0 * 4 + 2)] = dfdx[2 * (0 * 4 + 2) + 1] = 1.0;
            dfdx[2 * (1 * 4 + 3)] = dfdx[2 * (1 * 4 + 3) + 1] = 1.0;
        }
        /* jac's loop over v = (theta1, theta2, omega1, omega2, T1, T2) */
        for (int v = 0; v < 6; v++) {
            double dD = v == 0 ? 1.0 : v == 1 ? -1.0 : 0.0;
            double *o2, *o3;
            /* dA = -w2^2 cD dD / 2 (+ 2 c1, - w2 sD, + 4) */
            plant_box_sqr(a[DA], a[W2], prec);
            arb_mul(a[DA], a[DA], a[CD], prec);
            plant_arb_mul_d(a[DA], a[DA], -0.5 * dD, prec);
            if (v == 0)
                arb_addmul_si(a[DA], a[C1], 2, prec);
            if (v == 3)
                arb_submul(a[DA], a[W2], a[SD], prec);
            if (v == 4)
                arb_add_ui(a[DA], a[DA], 4, prec);
            /* dB = w1^2 cD dD + sD A dD - cD dA (+ 2 c2, + 2 w1 sD, + 8) */
            plant_box_sqr(a[DB], a[W1], prec);
            arb_mul(a[DB], a[DB], a[CD], prec);
            arb_addmul(a[DB], a[SD], a[A], prec);
            plant_arb_mul_d(a[DB], a[DB], dD, prec);
            arb_submul(a[DB], a[CD], a[DA], prec);
            if (v == 1)
                arb_addmul_si(a[DB], a[C2], 2, prec);
            if (v == 2) {
                arb_mul(a[V], a[W1], a[SD], prec);
                arb_addmul_si(a[DB], a[V], 2, prec);
            }
            if (v == 5)
                arb_add_ui(a[DB], a[DB], 8, prec);
            /* dden = -cD sD dD */
            arb_mul(a[DDEN], a[CD], a[SD], prec);
            plant_arb_mul_d(a[DDEN], a[DDEN], -dD, prec);
            /* row2 = dA + (-sD dD B + cD dB) / (2 den) - cD B dden / (2 den^2) */
            arb_mul(a[V], a[SD], a[B], prec);
            plant_arb_mul_d(a[V], a[V], -dD, prec);
            arb_addmul(a[V], a[CD], a[DB], prec);
            arb_div(a[V], a[V], a[DEN], prec);
            arb_mul_2exp_si(a[V], a[V], -1);
            arb_add(a[R2], a[DA], a[V], prec);
            arb_mul(a[V], a[CD], a[B], prec);
            arb_mul(a[V], a[V], a[DDEN], prec);
            plant_box_sqr(a[V2], a[DEN], prec);
            arb_div(a[V], a[V], a[V2], prec);
            arb_mul_2exp_si(a[V], a[V], -1);
            arb_sub(a[R2], a[R2], a[V], prec);
            /* row3 = -dB / den + B dden / den^2 */
            arb_div(a[R3], a[DB], a[DEN], prec);
            arb_neg(a[R3], a[R3]);
            arb_mul(a[V], a[B], a[DDEN], prec);
            arb_div(a[V], a[V], a[V2], prec);
            arb_add(a[R3], a[R3], a[V], prec);
            o2 = v < 4 ? (dfdx ? dfdx + 2 * (2 * 4 + v) : NULL)
                       : (dfdu ? dfdu + 2 * (2 * 2 + v - 4) : NULL);
            o3 = v < 4 ? (dfdx ? dfdx + 2 * (3 * 4 + v) : NULL)
                       : (dfdu ? dfdu + 2 * (3 * 2 + v - 4) : NULL);
            if (o2) {
                rc |= plant_box_put(a[R2], o2);
                rc |= plant_box_put(a[R3], o3);
            }
        }
    }
    for (int i = 0; i < NV; i++)
        arb_clear(a[i]);
    return rc ? PB_EDIVERGED : PB_SUCCESS;
}
#define JAC_BOX box_eval
#else
#define JAC_BOX NULL
#endif

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
    .jac_box = JAC_BOX,
};
