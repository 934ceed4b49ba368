/* docking.c: 2D spacecraft docking in the Clohessy-Wiltshire (Hill) frame,
 * the ARCH-COMP AINNCS docking benchmark (../shared/benchmarks/arch-comp/
 * README.md, spacecraft_docking/; Clohessy and Wiltshire 1960, "Terminal
 * guidance system for satellite rendezvous", J. Aerospace Sci. 27(9)):
 *
 *   x' = xdot,  y' = ydot
 *   xdot' = 2 n ydot + 3 n^2 x + Fx / m,  ydot' = -2 n xdot + Fy / m
 *
 * with m = 12 kg and mean motion n = 0.001027 rad/s in the benchmark; Fx, Fy
 * the thrust in newtons.  Rest at the origin (the target) is the
 * equilibrium. */
#include <math.h>

#include "pb_simd.h"
#include "plant.h"
#include "plant_box.h"

enum { P_M, P_N, P_FMAX, P_POSMAX, P_VELMAX };

static const plant_var states[] = {{"x", "m"}, {"y", "m"}, {"xdot", "m/s"}, {"ydot", "m/s"}};
static const plant_var inputs[] = {{"Fx", "N"}, {"Fy", "N"}};
static const plant_param params[] = {
    {"m", "kg", "mass of the chaser (12 in the benchmark)", 12.0, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"n", "rad/s", "mean motion of the target's orbit (0.001027 in the benchmark)", 0.001027, 0.0,
     1.0, 0},
    {"F_max", "N", "limit of |Fx|, |Fy| (inf: none)", INFINITY, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"pos_max", "m", "|x|, |y| beyond this count as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"vel_max", "m/s", "|xdot|, |ydot| beyond this count as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
};
static const double lqr_q[] = {1.0, 1.0, 1.0, 1.0};
static const double lqr_r[] = {1.0, 1.0};

static int f(double t, const double x[], const double u[], const double p[], double dxdt[])
{
    double n = p[P_N], m = p[P_M];
    (void)t;
    dxdt[0] = x[2];
    dxdt[1] = x[3];
    dxdt[2] = 2.0 * n * x[3] + 3.0 * n * n * x[0] + u[0] / m;
    dxdt[3] = -2.0 * n * x[2] + u[1] / m;
    for (int i = 0; i < 4; i++)
        if (!isfinite(dxdt[i]))
            return PB_EDIVERGED;
    return PB_SUCCESS;
}

/* f over the lanes of a batch, term for term (pb_simd.h). */
PB_SIMD_CLONES static void f_lanes(size_t n, const double *restrict x0,
                                      const double *restrict x2, const double *restrict x3,
                                      const double *restrict u0, const double *restrict u1,
                                      const double *restrict M, const double *restrict N,
                                      double *restrict d0, double *restrict d1,
                                      double *restrict d2, double *restrict d3)
{
    for (size_t s = 0; s < n; s++) {
        double nn = N[s], m = M[s];
        d0[s] = x2[s];
        d1[s] = x3[s];
        d2[s] = 2.0 * nn * x3[s] + 3.0 * nn * nn * x0[s] + u0[s] / m;
        d3[s] = -2.0 * nn * x2[s] + u1[s] / m;
    }
}

/* The type's f_batch (plant.h).  A non-finite result is left in dX: f's only
 * divergence is a non-finite dxdt. */
static void f_batch(double t, size_t n, size_t ld, const double X[], const double U[],
                    const double P[], double dX[], double w[])
{
    (void)t;
    (void)w;
    f_lanes(n, X, X + 2 * ld, X + 3 * ld, U, U + ld, P + P_M * ld, P + P_N * ld, dX, dX + ld,
            dX + 2 * ld, dX + 3 * ld);
}

static int jac(double t, const double x[], const double u[], const double p[], double dfdx[],
               double dfdu[])
{
    double n = p[P_N], m = p[P_M];
    (void)t;
    (void)x;
    (void)u;
    if (dfdx) {
        for (int i = 0; i < 16; i++)
            dfdx[i] = 0.0;
        dfdx[0 * 4 + 2] = 1.0;
        dfdx[1 * 4 + 3] = 1.0;
        dfdx[2 * 4 + 0] = 3.0 * n * n;
        dfdx[2 * 4 + 3] = 2.0 * n;
        dfdx[3 * 4 + 2] = -2.0 * n;
    }
    if (dfdu) {
        for (int i = 0; i < 8; i++)
            dfdu[i] = 0.0;
        dfdu[2 * 2 + 0] = 1.0 / m;
        dfdu[3 * 2 + 1] = 1.0 / m;
    }
    return PB_SUCCESS;
}

#ifdef PB_WITH_TUBE
/* The type's jac_box (plant.h): f and jac above, line for line, in Arb's
 * ball arithmetic over the box (linear in x and u; n^2 and 1/m as balls). */
static int box_eval(const double x[], const double u[], const double p[], double fb[],
                    double dfdx[], double dfdu[])
{
    const slong prec = PLANT_BOX_PREC;
    const double n = p[P_N], m = p[P_M];
    arb_t v, w, n3;
    int rc = PB_SUCCESS;
    arb_init(v), arb_init(w), arb_init(n3);
    arb_set_d(n3, n); /* 3 n^2 */
    plant_arb_mul_d(n3, n3, n, prec);
    arb_mul_ui(n3, n3, 3, prec);
    if (fb) {
        fb[0] = x[4], fb[1] = x[5];
        fb[2] = x[6], fb[3] = x[7];
        /* 2 n ydot + 3 n^2 x + Fx / m (2 n: exact doubling) */
        plant_box_get(v, x + 6);
        plant_arb_mul_d(v, v, 2.0 * n, prec);
        plant_box_get(w, x);
        arb_addmul(v, w, n3, prec);
        plant_box_get(w, u);
        plant_arb_div_d(w, w, m, prec);
        arb_add(v, v, w, prec);
        rc |= plant_box_put(v, fb + 4);
        /* -2 n xdot + Fy / m */
        plant_box_get(v, x + 4);
        plant_arb_mul_d(v, v, -2.0 * n, prec);
        plant_box_get(w, u + 2);
        plant_arb_div_d(w, w, m, prec);
        arb_add(v, v, w, prec);
        rc |= plant_box_put(v, fb + 6);
    }
    if (dfdx) {
        for (int i = 0; i < 2 * 16; i++)
            dfdx[i] = 0.0;
        dfdx[2 * (0 * 4 + 2)] = dfdx[2 * (0 * 4 + 2) + 1] = 1.0;
        dfdx[2 * (1 * 4 + 3)] = dfdx[2 * (1 * 4 + 3) + 1] = 1.0;
        rc |= plant_box_put(n3, dfdx + 2 * (2 * 4 + 0));
        dfdx[2 * (2 * 4 + 3)] = dfdx[2 * (2 * 4 + 3) + 1] = 2.0 * n;
        dfdx[2 * (3 * 4 + 2)] = dfdx[2 * (3 * 4 + 2) + 1] = -2.0 * n;
    }
    if (dfdu) {
        for (int i = 0; i < 2 * 8; i++)
            dfdu[i] = 0.0;
        arb_set_d(v, m);
        arb_inv(v, v, prec);
        rc |= plant_box_put(v, dfdu + 2 * (2 * 2 + 0));
        rc |= plant_box_put(v, dfdu + 2 * (3 * 2 + 1));
    }
    arb_clear(v), arb_clear(w), arb_clear(n3);
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
    lo[0] = lo[1] = -p[P_FMAX];
    hi[0] = hi[1] = p[P_FMAX];
}

static void state_limits(const double p[], double lo[], double hi[])
{
    lo[0] = lo[1] = -p[P_POSMAX];
    hi[0] = hi[1] = p[P_POSMAX];
    lo[2] = lo[3] = -p[P_VELMAX];
    hi[2] = hi[3] = p[P_VELMAX];
}

const plant_type plant_docking = {
    .name = "docking",
    .equation = "ARCH-COMP 2D spacecraft docking, Clohessy-Wiltshire: x' = xdot, y' = ydot, "
                "xdot' = 2 n ydot + 3 n^2 x + Fx/m, ydot' = -2 n xdot + Fy/m (m = 12 kg, n = "
                "0.001027 rad/s)",
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
    .period = 1.0,
    .jac_box = JAC_BOX,
};
