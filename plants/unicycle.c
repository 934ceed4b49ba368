/* unicycle.c: the unicycle of the ARCH-COMP AINNCS suite (Sherlock benchmark
 * 10; ../shared/benchmarks/arch-comp/README.md, unicycle/):
 *
 *   x1' = x4 cos x3,  x2' = x4 sin x3,  x3' = u2,  x4' = u1 + w
 *
 * x1, x2 the position, x3 the heading, x4 the speed; u1 the acceleration, u2
 * the turn rate; w a constant disturbance, a parameter (the benchmark takes
 * w in [-1e-4, 1e-4], constant per run; the suite's dynamics10.m leaves it
 * out).  Rest at the origin with u1 = -w is the equilibrium; at rest the
 * lateral position x2 cannot be reached by the linearisation (the wheel does
 * not slide), so the LQR expert does not weigh it. */
#include <math.h>

#include "pb_simd.h"
#include "pb_vec.h"
#include "plant.h"
#include "plant_box.h"

enum { P_W, P_UMAX, P_POSMAX, P_HMAX, P_VMAX };

static const plant_var states[] = {{"x1", "m"}, {"x2", "m"}, {"x3", "rad"}, {"x4", "m/s"}};
static const plant_var inputs[] = {{"u1", "m/s^2"}, {"u2", "rad/s"}};
static const plant_param params[] = {
    {"w", "m/s^2", "constant disturbance of the acceleration (benchmark: [-1e-4, 1e-4])", 0.0,
     -1.0, 1.0, 0},
    {"u_max", "1", "limit of |u1| (m/s^2) and |u2| (rad/s) (inf: none)", INFINITY, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"pos_max", "m", "|x1|, |x2| beyond this count as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"heading_max", "rad", "|x3| beyond this counts as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"speed_max", "m/s", "|x4| beyond this counts as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
};
static const double lqr_q[] = {1.0, 0.0, 1.0, 1.0};
static const double lqr_r[] = {1.0, 1.0};

static int f(double t, const double x[], const double u[], const double p[], double dxdt[])
{
    (void)t;
    dxdt[0] = x[3] * cos(x[2]);
    dxdt[1] = x[3] * sin(x[2]);
    dxdt[2] = u[1];
    dxdt[3] = u[0] + p[P_W];
    for (int i = 0; i < 4; i++)
        if (!isfinite(dxdt[i]))
            return PB_EDIVERGED;
    return PB_SUCCESS;
}

/* f over the lanes of a batch, term for term (pb_simd.h); sn, cs are sin x3
 * and cos x3. */
PB_SIMD_CLONES static void f_lanes(size_t n, const double *restrict sn, const double *restrict cs,
                                      const double *restrict x4, const double *restrict u1,
                                      const double *restrict u2, const double *restrict w,
                                      double *restrict d0, double *restrict d1,
                                      double *restrict d2, double *restrict d3)
{
    for (size_t s = 0; s < n; s++) {
        d0[s] = x4[s] * cs[s];
        d1[s] = x4[s] * sn[s];
        d2[s] = u2[s];
        d3[s] = u1[s] + w[s];
    }
}

/* The type's f_batch (plant.h): sin x3 and cos x3 over the lanes into w,
 * then f_lanes.  A non-finite result is left in dX: f's only divergence is a
 * non-finite dxdt. */
static void f_batch(double t, size_t n, size_t ld, const double X[], const double U[],
                    const double P[], double dX[], double w[])
{
    (void)t;
    pb_vec_sin(n, X + 2 * ld, w);
    pb_vec_cos(n, X + 2 * ld, w + ld);
    f_lanes(n, w, w + ld, X + 3 * ld, U, U + ld, P + P_W * ld, dX, dX + ld, dX + 2 * ld,
            dX + 3 * ld);
}

static int jac(double t, const double x[], const double u[], const double p[], double dfdx[],
               double dfdu[])
{
    double sn = sin(x[2]), cs = cos(x[2]);
    (void)t;
    (void)u;
    (void)p;
    if (dfdx) {
        for (int i = 0; i < 16; i++)
            dfdx[i] = 0.0;
        dfdx[0 * 4 + 2] = -x[3] * sn;
        dfdx[0 * 4 + 3] = cs;
        dfdx[1 * 4 + 2] = x[3] * cs;
        dfdx[1 * 4 + 3] = sn;
    }
    if (dfdu) {
        for (int i = 0; i < 8; i++)
            dfdu[i] = 0.0;
        dfdu[2 * 2 + 1] = 1.0;
        dfdu[3 * 2 + 0] = 1.0;
    }
    return PB_SUCCESS;
}

#ifdef PB_WITH_TUBE
/* The type's jac_box (plant.h): f and jac above, line for line, in Arb's
 * ball arithmetic over the box (arb_sin_cos encloses sin and cos over a ball). */
static int box_eval(const double x[], const double u[], const double p[], double fb[],
                    double dfdx[], double dfdu[])
{
    const slong prec = PLANT_BOX_PREC;
    arb_t v, s, c, sp;
    int rc = PB_SUCCESS;
    arb_init(v), arb_init(s), arb_init(c), arb_init(sp);
    plant_box_get(v, x + 2 * 2);
    arb_sin_cos(s, c, v, prec);
    plant_box_get(sp, x + 2 * 3);
    if (fb) {
        arb_mul(v, sp, c, prec); /* x4 cos x3 */
        rc |= plant_box_put(v, fb);
        arb_mul(v, sp, s, prec); /* x4 sin x3 */
        rc |= plant_box_put(v, fb + 2);
        fb[4] = u[2], fb[5] = u[3]; /* u2 */
        plant_box_get(v, u);        /* u1 + w */
        plant_arb_add_d(v, v, p[P_W], prec);
        rc |= plant_box_put(v, fb + 6);
    }
    if (dfdx) {
        for (int i = 0; i < 2 * 16; i++)
            dfdx[i] = 0.0;
        arb_mul(v, sp, s, prec); /* -x4 sin x3 */
        arb_neg(v, v);
        rc |= plant_box_put(v, dfdx + 2 * (0 * 4 + 2));
        rc |= plant_box_put(c, dfdx + 2 * (0 * 4 + 3));
        arb_mul(v, sp, c, prec); /* x4 cos x3 */
        rc |= plant_box_put(v, dfdx + 2 * (1 * 4 + 2));
        rc |= plant_box_put(s, dfdx + 2 * (1 * 4 + 3));
    }
    if (dfdu) {
        for (int i = 0; i < 2 * 8; i++)
            dfdu[i] = 0.0;
        dfdu[2 * (2 * 2 + 1)] = dfdu[2 * (2 * 2 + 1) + 1] = 1.0;
        dfdu[2 * (3 * 2 + 0)] = dfdu[2 * (3 * 2 + 0) + 1] = 1.0;
    }
    arb_clear(v), arb_clear(s), arb_clear(c), arb_clear(sp);
    return rc ? PB_EDIVERGED : PB_SUCCESS;
}
#define JAC_BOX box_eval
#else
#define JAC_BOX NULL
#endif

static void equilibrium(const double p[], double x[], double u[])
{
    x[0] = x[1] = x[2] = x[3] = 0.0;
    u[0] = -p[P_W]; /* cancels the disturbance: x4' = -w + w = 0 exactly */
    u[1] = 0.0;
}

static void input_limits(const double p[], double lo[], double hi[])
{
    lo[0] = lo[1] = -p[P_UMAX];
    hi[0] = hi[1] = p[P_UMAX];
}

static void state_limits(const double p[], double lo[], double hi[])
{
    static const int which[4] = {P_POSMAX, P_POSMAX, P_HMAX, P_VMAX};
    for (int i = 0; i < 4; i++) {
        lo[i] = -p[which[i]];
        hi[i] = p[which[i]];
    }
}

const plant_type plant_unicycle = {
    .name = "unicycle",
    .equation = "ARCH-COMP unicycle (Sherlock benchmark 10): x1' = x4 cos x3, x2' = x4 sin x3, "
                "x3' = u2, x4' = u1 + w, w a constant disturbance (benchmark: [-1e-4, 1e-4])",
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
    .period = 0.2,
    .jac_box = JAC_BOX,
};
