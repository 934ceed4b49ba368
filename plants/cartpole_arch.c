/* cartpole_arch.c: the ARCH-COMP 2024 AINNCS cart-pole "balancing" instance
 * (../shared/benchmarks/arch-comp/README.md, cartpole/).  The input f is the
 * network output (tanh, in [-1, 1]); the cart is accelerated directly:
 *
 *   x1' = x2,  x2' = k_f f,  x3' = x4,
 *   x4' = (m l (g sin x3 - k_f f cos x3) - d x4) / J
 *
 * with k_f = 2, m l = 0.08 * 0.41, g = 9.8, d = 0.0021, J = 0.0105 in the
 * benchmark; x3 is the pole angle, 0 upright.  Read as a pendulum of mass m
 * at distance l with inertia J about a pivot whose acceleration is k_f f.
 * No input saturation by default (the network's tanh already bounds f). */
#include <math.h>

#include "pb_simd.h"
#include "pb_vec.h"
#include "plant.h"
#include "plant_box.h"

enum { P_KF, P_M, P_L, P_G, P_D, P_J, P_FMAX, P_XMAX, P_VMAX, P_THMAX, P_WMAX };

static const plant_var states[] = {
    {"x", "m"}, {"x_dot", "m/s"}, {"theta", "rad"}, {"theta_dot", "rad/s"}};
static const plant_var inputs[] = {{"f", "1"}};
static const plant_param params[] = {
    {"k_f", "m/s^2", "cart acceleration per unit of f", 2.0, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"m", "kg", "pole mass (the 0.08 of the benchmark)", 0.08, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"l", "m", "pivot to centre of mass (the 0.41 of the benchmark)", 0.41, 0.0, 1e6,
     PLANT_PARAM_LO_OPEN},
    {"g", "m/s^2", "gravity", 9.8, 0.0, 1e3, 0},
    {"d", "N m s/rad", "viscous friction at the pivot", 0.0021, 0.0, 1e6, 0},
    {"J", "kg m^2", "pole inertia about the pivot", 0.0105, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"f_max", "1", "limit of |f| (inf: none)", INFINITY, 0.0, 1e9,
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
static const double lqr_r[] = {1.0};

static int f(double t, const double x[], const double u[], const double p[], double dxdt[])
{
    double ml = p[P_M] * p[P_L];
    (void)t;
    dxdt[0] = x[1];
    dxdt[1] = p[P_KF] * u[0];
    dxdt[2] = x[3];
    dxdt[3] = (ml * (p[P_G] * sin(x[2]) - p[P_KF] * u[0] * cos(x[2])) - p[P_D] * x[3]) / p[P_J];
    for (int i = 0; i < 4; i++)
        if (!isfinite(dxdt[i]))
            return PB_EDIVERGED;
    return PB_SUCCESS;
}

/* f over the lanes of a batch, term for term (pb_simd.h); sn, cs are
 * sin and cos of x3. */
PB_SIMD_CLONES static void
f_lanes(size_t n, const double *restrict sn, const double *restrict cs, const double *restrict x2,
        const double *restrict x4, const double *restrict u, const double *restrict kf,
        const double *restrict m, const double *restrict l, const double *restrict g,
        const double *restrict d, const double *restrict J, double *restrict d0,
        double *restrict d1, double *restrict d2, double *restrict d3)
{
    for (size_t s = 0; s < n; s++) {
        double ml = m[s] * l[s];
        d0[s] = x2[s];
        d1[s] = kf[s] * u[s];
        d2[s] = x4[s];
        d3[s] = (ml * (g[s] * sn[s] - kf[s] * u[s] * cs[s]) - d[s] * x4[s]) / J[s];
    }
}

/* The type's f_batch (plant.h): sin and cos of x3 over the lanes into w,
 * then f_lanes.  A non-finite result is left in dX: f's only divergence is a
 * non-finite dxdt. */
static void f_batch(double t, size_t n, size_t ld, const double X[], const double U[],
                    const double P[], double dX[], double w[])
{
    (void)t;
    pb_vec_sin(n, X + 2 * ld, w);
    pb_vec_cos(n, X + 2 * ld, w + ld);
    f_lanes(n, w, w + ld, X + ld, X + 3 * ld, U, P + P_KF * ld, P + P_M * ld, P + P_L * ld,
            P + P_G * ld, P + P_D * ld, P + P_J * ld, dX, dX + ld, dX + 2 * ld, dX + 3 * ld);
}

static int jac(double t, const double x[], const double u[], const double p[], double dfdx[],
               double dfdu[])
{
    double ml = p[P_M] * p[P_L];
    (void)t;
    if (dfdx) {
        for (int i = 0; i < 16; i++)
            dfdx[i] = 0.0;
        dfdx[0 * 4 + 1] = 1.0;
        dfdx[2 * 4 + 3] = 1.0;
        dfdx[3 * 4 + 2] = ml * (p[P_G] * cos(x[2]) + p[P_KF] * u[0] * sin(x[2])) / p[P_J];
        dfdx[3 * 4 + 3] = -p[P_D] / p[P_J];
    }
    if (dfdu) {
        dfdu[0] = 0.0;
        dfdu[1] = p[P_KF];
        dfdu[2] = 0.0;
        dfdu[3] = -ml * p[P_KF] * cos(x[2]) / p[P_J];
    }
    return PB_SUCCESS;
}

#ifdef PB_WITH_TUBE
/* The type's jac_box (plant.h): f and jac above in Arb over the box. */
static int box_eval(const double x[], const double u[], const double p[], double fb[],
                    double dfdx[], double dfdu[])
{
    const slong prec = PLANT_BOX_PREC;
    arb_t v, w, s, c, uu, ml;
    int rc = PB_SUCCESS;
    arb_init(v), arb_init(w), arb_init(s), arb_init(c), arb_init(uu), arb_init(ml);
    plant_box_get(v, x + 4);
    arb_sin_cos(s, c, v, prec);
    plant_box_get(uu, u);
    arb_set_d(ml, p[P_M]);
    plant_arb_mul_d(ml, ml, p[P_L], prec);
    if (fb) {
        fb[0] = x[2], fb[1] = x[3];
        plant_arb_mul_d(v, uu, p[P_KF], prec); /* k_f f */
        rc |= plant_box_put(v, fb + 2);
        fb[4] = x[6], fb[5] = x[7];
        /* (ml (g sin x3 - k_f f cos x3) - d x4) / J */
        arb_mul(w, v, c, prec);
        arb_neg(w, w);
        plant_arb_addmul_d(w, s, p[P_G], prec);
        arb_mul(w, w, ml, prec);
        plant_box_get(v, x + 6);
        plant_arb_mul_d(v, v, p[P_D], prec);
        arb_sub(w, w, v, prec);
        plant_arb_div_d(w, w, p[P_J], prec);
        rc |= plant_box_put(w, fb + 6);
    }
    if (dfdx) {
        for (int i = 0; i < 32; i++)
            dfdx[i] = 0.0;
        dfdx[2 * (0 * 4 + 1)] = dfdx[2 * (0 * 4 + 1) + 1] = 1.0;
        dfdx[2 * (2 * 4 + 3)] = dfdx[2 * (2 * 4 + 3) + 1] = 1.0;
        /* ml (g cos x3 + k_f f sin x3) / J */
        plant_arb_mul_d(w, uu, p[P_KF], prec);
        arb_mul(w, w, s, prec);
        plant_arb_addmul_d(w, c, p[P_G], prec);
        arb_mul(w, w, ml, prec);
        plant_arb_div_d(w, w, p[P_J], prec);
        rc |= plant_box_put(w, dfdx + 2 * (3 * 4 + 2));
        arb_set_d(w, -p[P_D]);
        plant_arb_div_d(w, w, p[P_J], prec);
        rc |= plant_box_put(w, dfdx + 2 * (3 * 4 + 3));
    }
    if (dfdu) {
        for (int i = 0; i < 8; i++)
            dfdu[i] = 0.0;
        dfdu[2] = dfdu[3] = p[P_KF];
        /* -ml k_f cos x3 / J */
        plant_arb_mul_d(w, c, -p[P_KF], prec);
        arb_mul(w, w, ml, prec);
        plant_arb_div_d(w, w, p[P_J], prec);
        rc |= plant_box_put(w, dfdu + 6);
    }
    arb_clear(v), arb_clear(w), arb_clear(s), arb_clear(c), arb_clear(uu), arb_clear(ml);
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
    u[0] = 0.0;
}

static void input_limits(const double p[], double lo[], double hi[])
{
    lo[0] = -p[P_FMAX];
    hi[0] = p[P_FMAX];
}

static void state_limits(const double p[], double lo[], double hi[])
{
    for (int i = 0; i < 4; i++) {
        lo[i] = -p[P_XMAX + i];
        hi[i] = p[P_XMAX + i];
    }
}

const plant_type plant_cartpole_arch = {
    .name = "cartpole_arch",
    .equation = "ARCH-COMP 2024 AINNCS cart-pole balancing: x1' = x2, x2' = k_f f, x3' = x4, "
                "x4' = (m l (g sin x3 - k_f f cos x3) - d x4)/J, x3 from upright, "
                "f the network output",
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
    .jac_box = JAC_BOX,
};
