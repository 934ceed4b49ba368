/* pendulum.c: torque-actuated pendulum, angle from the upward vertical.
 *
 *   theta'' = (g/L) sin(theta) + (u - c theta') / (m L^2)
 *
 * (the ARCH-COMP single pendulum, ../shared/benchmarks/arch-comp, with
 * m = L = 0.5, c = 0, g = 1).  Upright rest, theta = 0, is the equilibrium. */
#include <math.h>

#include "pb_simd.h"
#include "pb_vec.h"
#include "plant.h"
#include "plant_box.h"

enum { P_M, P_L, P_C, P_G, P_UMAX, P_THMAX, P_WMAX };

static const plant_var states[] = {{"theta", "rad"}, {"omega", "rad/s"}};
static const plant_var inputs[] = {{"torque", "N m"}};
static const plant_param params[] = {
    {"m", "kg", "point mass at the tip", 1.0, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"L", "m", "rod length", 1.0, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"c", "N m s/rad", "viscous friction", 0.1, 0.0, 1e6, 0},
    {"g", "m/s^2", "gravity", 9.81, 0.0, 1e3, 0},
    {"u_max", "N m", "torque limit (inf: none)", 20.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"theta_max", "rad", "|theta| beyond this counts as diverged", 100.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"omega_max", "rad/s", "|omega| beyond this counts as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
};
static const double lqr_q[] = {10.0, 1.0};
static const double lqr_r[] = {0.1};

static int f(double t, const double x[], const double u[], const double p[], double dxdt[])
{
    double mL2 = p[P_M] * p[P_L] * p[P_L];
    (void)t;
    dxdt[0] = x[1];
    dxdt[1] = p[P_G] / p[P_L] * sin(x[0]) + (u[0] - p[P_C] * x[1]) / mL2;
    return isfinite(dxdt[0]) && isfinite(dxdt[1]) ? PB_SUCCESS : PB_EDIVERGED;
}

/* f over the lanes of a batch, term for term (pb_simd.h). */
PB_SIMD_CLONES static void f_lanes(size_t n, const double *restrict sth,
                                      const double *restrict om, const double *restrict u,
                                      const double *restrict m, const double *restrict L,
                                      const double *restrict c, const double *restrict g,
                                      double *restrict d0, double *restrict d1)
{
    for (size_t s = 0; s < n; s++) {
        double mL2 = m[s] * L[s] * L[s];
        d0[s] = om[s];
        d1[s] = g[s] / L[s] * sth[s] + (u[s] - c[s] * om[s]) / mL2;
    }
}

/* The type's f_batch (plant.h): sin(theta) over the lanes into w, then f_lanes.
 * A non-finite result is left in dX: f's only divergence is a non-finite dxdt. */
static void f_batch(double t, size_t n, size_t ld, const double X[], const double U[],
                    const double P[], double dX[], double w[])
{
    (void)t;
    pb_vec_sin(n, X, w);
    f_lanes(n, w, X + ld, U, P + P_M * ld, P + P_L * ld, P + P_C * ld, P + P_G * ld, dX, dX + ld);
}

static int jac(double t, const double x[], const double u[], const double p[], double dfdx[],
               double dfdu[])
{
    double mL2 = p[P_M] * p[P_L] * p[P_L];
    (void)t;
    (void)u;
    if (dfdx) {
        dfdx[0] = 0.0;
        dfdx[1] = 1.0;
        dfdx[2] = p[P_G] / p[P_L] * cos(x[0]);
        dfdx[3] = -p[P_C] / mL2;
    }
    if (dfdu) {
        dfdu[0] = 0.0;
        dfdu[1] = 1.0 / mL2;
    }
    return PB_SUCCESS;
}

#ifdef PB_WITH_TUBE
/* The type's jac_box (plant.h): f and jac above in Arb's ball arithmetic over
 * the box, each formula's interval extension (an enclosure of its range). */
static int box_eval(const double x[], const double u[], const double p[], double fb[],
                   double dfdx[], double dfdu[])
{
    const slong prec = PLANT_BOX_PREC;
    arb_t th, om, uu, s, c, k, mL2, v;
    int rc = PB_SUCCESS;
    arb_init(th), arb_init(om), arb_init(uu), arb_init(s), arb_init(c);
    arb_init(k), arb_init(mL2), arb_init(v);
    plant_box_get(th, x);
    plant_box_get(om, x + 2);
    plant_box_get(uu, u);
    arb_set_d(mL2, p[P_M]);
    plant_arb_mul_d(mL2, mL2, p[P_L], prec);
    plant_arb_mul_d(mL2, mL2, p[P_L], prec);
    arb_set_d(k, p[P_G]);
    plant_arb_div_d(k, k, p[P_L], prec);
    arb_sin_cos(s, c, th, prec);
    if (fb) {
        rc |= plant_box_put(om, fb);
        plant_arb_mul_d(v, om, -p[P_C], prec); /* (u - c omega) / (m L^2) + (g/L) sin(theta) */
        arb_add(v, v, uu, prec);
        arb_div(v, v, mL2, prec);
        arb_addmul(v, k, s, prec);
        rc |= plant_box_put(v, fb + 2);
    }
    if (dfdx) {
        dfdx[0] = dfdx[1] = 0.0;
        dfdx[2] = dfdx[3] = 1.0;
        arb_mul(v, k, c, prec);
        rc |= plant_box_put(v, dfdx + 4);
        arb_set_d(v, -p[P_C]);
        arb_div(v, v, mL2, prec);
        rc |= plant_box_put(v, dfdx + 6);
    }
    if (dfdu) {
        dfdu[0] = dfdu[1] = 0.0;
        arb_inv(v, mL2, prec);
        rc |= plant_box_put(v, dfdu + 2);
    }
    arb_clear(th), arb_clear(om), arb_clear(uu), arb_clear(s), arb_clear(c);
    arb_clear(k), arb_clear(mL2), arb_clear(v);
    return rc ? PB_EDIVERGED : PB_SUCCESS;
}
#define JAC_BOX box_eval
#else
#define JAC_BOX NULL
#endif

static void equilibrium(const double p[], double x[], double u[])
{
    (void)p;
    x[0] = x[1] = 0.0;
    u[0] = 0.0;
}

static void input_limits(const double p[], double lo[], double hi[])
{
    lo[0] = -p[P_UMAX];
    hi[0] = p[P_UMAX];
}

static void state_limits(const double p[], double lo[], double hi[])
{
    lo[0] = -p[P_THMAX];
    hi[0] = p[P_THMAX];
    lo[1] = -p[P_WMAX];
    hi[1] = p[P_WMAX];
}

const plant_type plant_pendulum = {
    .name = "pendulum",
    .equation = "theta'' = (g/L) sin(theta) + (u - c theta')/(m L^2), theta from the upward "
                "vertical (ARCH-COMP single pendulum form)",
    .nx = 2,
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
    .period = 0.05,
    .jac_box = JAC_BOX,
};
