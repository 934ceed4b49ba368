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

#include "pb_simd.h"
#include "pb_vec.h"
#include "plant.h"
#include "plant_box.h"

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

/* f over the lanes of a batch, term for term (pb_simd.h); sn is sin x3. */
PB_SIMD_CLONES static void f_lanes(size_t n, const double *restrict sn,
                                      const double *restrict x1, const double *restrict x2,
                                      const double *restrict x4, const double *restrict u,
                                      const double *restrict eps, double *restrict d0,
                                      double *restrict d1, double *restrict d2, double *restrict d3)
{
    for (size_t s = 0; s < n; s++) {
        d0[s] = x2[s];
        d1[s] = -x1[s] + eps[s] * sn[s];
        d2[s] = x4[s];
        d3[s] = u[s];
    }
}

/* The type's f_batch (plant.h): sin x3 over the lanes into w, then f_lanes.
 * A non-finite result is left in dX: f's only divergence is a non-finite dxdt. */
static void f_batch(double t, size_t n, size_t ld, const double X[], const double U[],
                    const double P[], double dX[], double w[])
{
    (void)t;
    pb_vec_sin(n, X + 2 * ld, w);
    f_lanes(n, w, X, X + ld, X + 3 * ld, U, P + P_EPS * ld, dX, dX + ld, dX + 2 * ld, dX + 3 * ld);
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

#ifdef PB_WITH_TUBE
/* The type's jac_box (plant.h): f and jac above in Arb over the box. */
static int box_eval(const double x[], const double u[], const double p[], double fb[],
                    double dfdx[], double dfdu[])
{
    const slong prec = PLANT_BOX_PREC;
    arb_t v, s, c;
    int rc = PB_SUCCESS;
    arb_init(v), arb_init(s), arb_init(c);
    plant_box_get(v, x + 4);
    arb_sin_cos(s, c, v, prec);
    if (fb) {
        fb[0] = x[2], fb[1] = x[3]; /* x2 */
        plant_box_get(v, x);      /* -x1 + eps sin x3 */
        arb_neg(v, v);
        plant_arb_addmul_d(v, s, p[P_EPS], prec);
        rc |= plant_box_put(v, fb + 2);
        fb[4] = x[6], fb[5] = x[7]; /* x4 */
        fb[6] = u[0], fb[7] = u[1]; /* u */
    }
    if (dfdx) {
        for (int i = 0; i < 32; i++)
            dfdx[i] = 0.0;
        dfdx[2 * (0 * 4 + 1)] = dfdx[2 * (0 * 4 + 1) + 1] = 1.0;
        dfdx[2 * (1 * 4 + 0)] = dfdx[2 * (1 * 4 + 0) + 1] = -1.0;
        plant_arb_mul_d(v, c, p[P_EPS], prec);
        rc |= plant_box_put(v, dfdx + 2 * (1 * 4 + 2));
        dfdx[2 * (2 * 4 + 3)] = dfdx[2 * (2 * 4 + 3) + 1] = 1.0;
    }
    if (dfdu) {
        for (int i = 0; i < 8; i++)
            dfdu[i] = 0.0;
        dfdu[6] = dfdu[7] = 1.0;
    }
    arb_clear(v), arb_clear(s), arb_clear(c);
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
