/* tora.c: the translational oscillator with a rotational actuator (TORA) of
 * the ARCH-COMP AINNCS suite (../shared/benchmarks/arch-comp/README.md, tora/;
 * Bupp, Bernstein and Coppola 1998 in normalised form):
 *
 *   x1' = x2,  x2' = -x1 + eps sin x3,  x3' = x4,  x4' = u
 *
 * with eps = 0.1: x1, x2 the cart position and speed, x3, x4 the angle and
 * rate of the eccentric rotor, u its torque.  The origin is the equilibrium.
 * No input saturation by default, as in the benchmark. */
#include <math.h>

#include "plant.h"

enum { P_EPS, P_UMAX, P_XMAX };

static const plant_var states[] = {{"x1", "1"}, {"x2", "1"}, {"x3", "rad"}, {"x4", "rad/s"}};
static const plant_var inputs[] = {{"u", "1"}};
static const plant_param params[] = {
    {"eps", "1", "coupling of rotor and cart (0.1 in the benchmark)", 0.1, 0.0, 1.0,
     PLANT_PARAM_LO_OPEN},
    {"u_max", "1", "limit of |u| (inf: none)", INFINITY, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"x_max", "1", "any |x_i| beyond this counts as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
};
static const double lqr_q[] = {10.0, 10.0, 1.0, 1.0};
static const double lqr_r[] = {0.1};

static int f(double t, const double x[], const double u[], const double p[], double dxdt[])
{
    (void)t;
    dxdt[0] = x[1];
    dxdt[1] = -x[0] + p[P_EPS] * sin(x[2]);
    dxdt[2] = x[3];
    dxdt[3] = u[0];
    for (int i = 0; i < 4; i++)
        if (!isfinite(dxdt[i]))
            return PB_EDIVERGED;
    return PB_SUCCESS;
}

static int jac(double t, const double x[], const double u[], const double p[], double dfdx[],
               double dfdu[])
{
    (void)t;
    (void)u;
    if (dfdx) {
        for (int i = 0; i < 16; i++)
            dfdx[i] = 0.0;
        dfdx[0 * 4 + 1] = 1.0;
        dfdx[1 * 4 + 0] = -1.0;
        dfdx[1 * 4 + 2] = p[P_EPS] * cos(x[2]);
        dfdx[2 * 4 + 3] = 1.0;
    }
    if (dfdu) {
        dfdu[0] = dfdu[1] = dfdu[2] = 0.0;
        dfdu[3] = 1.0;
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
        lo[i] = -p[P_XMAX];
        hi[i] = p[P_XMAX];
    }
}

const plant_type plant_tora = {
    .name = "tora",
    .equation = "ARCH-COMP TORA: x1' = x2, x2' = -x1 + eps sin x3, x3' = x4, x4' = u",
    .nx = 4,
    .nu = 1,
    .np = sizeof params / sizeof params[0],
    .states = states,
    .inputs = inputs,
    .params = params,
    .f = f,
    .jac = jac,
    .equilibrium = equilibrium,
    .input_limits = input_limits,
    .state_limits = state_limits,
    .validate = NULL,
    .lqr_q = lqr_q,
    .lqr_r = lqr_r,
    .period = 1.0,
};
