/* cartpole.c: the cart-pole of Barto, Sutton and Anderson (1983), in the form
 * of OpenAI Gym's CartPole (classic_control/cartpole.py), integrated in
 * continuous time with a continuous force instead of Gym's Euler step and
 * +-10 N bang-bang action.  With M = m_cart + m_pole, theta from the upward
 * vertical, F the force on the cart:
 *
 *   tmp    = (F + m_pole l theta'^2 sin theta) / M
 *   theta'' = (g sin theta - cos theta tmp) / (l (4/3 - m_pole cos^2 theta / M))
 *   x''     = tmp - m_pole l theta'' cos theta / M
 *
 * (l is the half-length of the pole, friction neglected as in Gym).  The
 * upright rest x = x' = theta = theta' = 0, F = 0 is the equilibrium. */
#include <math.h>

#include "pb_simd.h"
#include "pb_vec.h"
#include "plant.h"

enum { P_MC, P_MP, P_L, P_G, P_UMAX, P_XMAX, P_VMAX, P_THMAX, P_WMAX };

static const plant_var states[] = {
    {"x", "m"}, {"x_dot", "m/s"}, {"theta", "rad"}, {"theta_dot", "rad/s"}};
static const plant_var inputs[] = {{"force", "N"}};
static const plant_param params[] = {
    {"m_cart", "kg", "mass of the cart", 1.0, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"m_pole", "kg", "mass of the pole", 0.1, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"l", "m", "half-length of the pole", 0.5, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"g", "m/s^2", "gravity", 9.8, 0.0, 1e3, 0},
    {"u_max", "N", "force limit (inf: none)", 10.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"x_max", "m", "|x| beyond this counts as diverged", 100.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"v_max", "m/s", "|x_dot| beyond this counts as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"theta_max", "rad", "|theta| beyond this counts as diverged", 100.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"omega_max", "rad/s", "|theta_dot| beyond this counts as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
};
static const double lqr_q[] = {1.0, 1.0, 10.0, 1.0};
static const double lqr_r[] = {0.1};

static int f(double t, const double x[], const double u[], const double p[], double dxdt[])
{
    double M = p[P_MC] + p[P_MP], ml = p[P_MP] * p[P_L];
    double s = sin(x[2]), c = cos(x[2]), w = x[3];
    double tmp = (u[0] + ml * w * w * s) / M;
    double den = p[P_L] * (4.0 / 3.0 - p[P_MP] * c * c / M);
    double thacc = (p[P_G] * s - c * tmp) / den;
    (void)t;
    dxdt[0] = x[1];
    dxdt[1] = tmp - ml * thacc * c / M;
    dxdt[2] = w;
    dxdt[3] = thacc;
    for (int i = 0; i < 4; i++)
        if (!isfinite(dxdt[i]))
            return PB_EDIVERGED;
    return PB_SUCCESS;
}

/* f over the lanes of a batch, term for term (pb_simd.h); sn, cs are
 * sin and cos of theta. */
PB_SIMD_CLONES static void
f_lanes(size_t n, const double *restrict sn, const double *restrict cs, const double *restrict xd,
        const double *restrict om, const double *restrict F, const double *restrict mc,
        const double *restrict mp, const double *restrict l, const double *restrict g,
        double *restrict d0, double *restrict d1, double *restrict d2, double *restrict d3)
{
    for (size_t i = 0; i < n; i++) {
        double M = mc[i] + mp[i], ml = mp[i] * l[i];
        double s = sn[i], c = cs[i], w = om[i];
        double tmp = (F[i] + ml * w * w * s) / M;
        double den = l[i] * (4.0 / 3.0 - mp[i] * c * c / M);
        double thacc = (g[i] * s - c * tmp) / den;
        d0[i] = xd[i];
        d1[i] = tmp - ml * thacc * c / M;
        d2[i] = w;
        d3[i] = thacc;
    }
}

/* The type's f_batch (plant.h): sin and cos of theta over the lanes into w,
 * then f_lanes.  A non-finite result is left in dX: f's only divergence is a
 * non-finite dxdt. */
static void f_batch(double t, size_t n, size_t ld, const double X[], const double U[],
                    const double P[], double dX[], double w[])
{
    (void)t;
    pb_vec_sin(n, X + 2 * ld, w);
    pb_vec_cos(n, X + 2 * ld, w + ld);
    f_lanes(n, w, w + ld, X + ld, X + 3 * ld, U, P + P_MC * ld, P + P_MP * ld, P + P_L * ld,
            P + P_G * ld, dX, dX + ld, dX + 2 * ld, dX + 3 * ld);
}

/* Derivatives of the three lines of f by the quotient and chain rules. */
static int jac(double t, const double x[], const double u[], const double p[], double dfdx[],
               double dfdu[])
{
    double M = p[P_MC] + p[P_MP], ml = p[P_MP] * p[P_L];
    double s = sin(x[2]), c = cos(x[2]), w = x[3];
    double tmp = (u[0] + ml * w * w * s) / M;
    double tmp_th = ml * w * w * c / M, tmp_w = 2.0 * ml * w * s / M, tmp_u = 1.0 / M;
    double den = p[P_L] * (4.0 / 3.0 - p[P_MP] * c * c / M);
    double den_th = p[P_L] * 2.0 * p[P_MP] * c * s / M;
    double num = p[P_G] * s - c * tmp;
    double num_th = p[P_G] * c + s * tmp - c * tmp_th;
    double thacc = num / den;
    double a_th = (num_th * den - num * den_th) / (den * den);
    double a_w = -c * tmp_w / den;
    double a_u = -c * tmp_u / den;
    (void)t;
    if (dfdx) {
        for (int i = 0; i < 16; i++)
            dfdx[i] = 0.0;
        dfdx[0 * 4 + 1] = 1.0;
        dfdx[1 * 4 + 2] = tmp_th - ml / M * (a_th * c - thacc * s);
        dfdx[1 * 4 + 3] = tmp_w - ml * c / M * a_w;
        dfdx[2 * 4 + 3] = 1.0;
        dfdx[3 * 4 + 2] = a_th;
        dfdx[3 * 4 + 3] = a_w;
    }
    if (dfdu) {
        dfdu[0] = 0.0;
        dfdu[1] = tmp_u - ml * c / M * a_u;
        dfdu[2] = 0.0;
        dfdu[3] = a_u;
    }
    return PB_SUCCESS;
}

static void equilibrium(const double p[], double x[], double u[])
{
    (void)p;
    x[0] = x[1] = x[2] = x[3] = 0.0;
    u[0] = 0.0;
}

static void input_limits(const double p[], double lo[], double hi[])
{
    lo[0] = -p[P_UMAX];
    hi[0] = p[P_UMAX];
}

static void state_limits(const double p[], double lo[], double hi[])
{
    for (int i = 0; i < 4; i++) {
        lo[i] = -p[P_XMAX + i];
        hi[i] = p[P_XMAX + i];
    }
}

const plant_type plant_cartpole = {
    .name = "cartpole",
    .equation = "cart-pole of Barto, Sutton and Anderson (1983) as in OpenAI Gym CartPole, "
                "continuous time and continuous force: theta'' = (g s - c tmp)/(l (4/3 - m_pole "
                "c^2/M)), x'' = tmp - m_pole l theta'' c/M, tmp = (F + m_pole l theta'^2 s)/M, "
                "theta from upright, l the half-length",
    .nx = 4,
    .nu = 1,
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
    .period = 0.02,
};
