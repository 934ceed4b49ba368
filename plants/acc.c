/* acc.c: adaptive cruise control, the ARCH-COMP AINNCS ACC benchmark
 * (../shared/benchmarks/arch-comp/README.md, acc/): a lead car and an ego car,
 * each a double integrator whose acceleration follows its command through a
 * first-order lag, with quadratic drag:
 *
 *   x1' = x2,  x2' = x3,  x3' = -2 x3 + 2 a_lead - mu x2^2   (lead)
 *   x4' = x5,  x5' = x6,  x6' = -2 x6 + 2 a_ego  - mu x5^2   (ego)
 *
 * with mu = 1e-4 and a_lead = -2 in the benchmark; a_ego is the input.  The
 * lead cannot be reached from the input, and with a_lead != 0 it has no rest
 * point: the origin is an equilibrium only for a_lead = 0 (the ego part, x4..x6
 * with a_ego = 0, is at rest for every a_lead). */
#include <math.h>

#include "pb_simd.h"
#include "plant.h"
#include "plant_box.h"

enum { P_ALEAD, P_MU, P_UMAX, P_XMAX, P_VMAX, P_AMAX };

static const plant_var states[] = {{"x_lead", "m"},     {"v_lead", "m/s"}, {"acc_lead", "m/s^2"},
                                   {"x_ego", "m"},      {"v_ego", "m/s"},  {"acc_ego", "m/s^2"}};
static const plant_var inputs[] = {{"a_ego", "m/s^2"}};
static const plant_param params[] = {
    {"a_lead", "m/s^2", "acceleration command of the lead car (-2 in the benchmark)", -2.0, -100.0,
     100.0, 0},
    {"mu", "1/m", "quadratic drag coefficient (1e-4 in the benchmark)", 1e-4, 0.0, 1.0, 0},
    {"u_max", "m/s^2", "limit of |a_ego| (inf: none)", INFINITY, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"x_max", "m", "|x_lead|, |x_ego| beyond this count as diverged", 1e6, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"v_max", "m/s", "|v_lead|, |v_ego| beyond this count as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"acc_max", "m/s^2", "|acc_lead|, |acc_ego| beyond this count as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
};
/* The lead is not reachable from a_ego: the LQR expert leaves it alone. */
static const double lqr_q[] = {0.0, 0.0, 0.0, 1.0, 1.0, 1.0};
static const double lqr_r[] = {1.0};

static int f(double t, const double x[], const double u[], const double p[], double dxdt[])
{
    double mu = p[P_MU];
    (void)t;
    dxdt[0] = x[1];
    dxdt[1] = x[2];
    dxdt[2] = -2.0 * x[2] + 2.0 * p[P_ALEAD] - mu * x[1] * x[1];
    dxdt[3] = x[4];
    dxdt[4] = x[5];
    dxdt[5] = -2.0 * x[5] + 2.0 * u[0] - mu * x[4] * x[4];
    for (int i = 0; i < 6; i++)
        if (!isfinite(dxdt[i]))
            return PB_EDIVERGED;
    return PB_SUCCESS;
}

/* f over the lanes of a batch, term for term (pb_simd.h); X, U, P, dX in the
 * f_batch layout of plant.h. */
PB_SIMD_CLONES static void f_lanes(size_t n, size_t ld, const double *restrict X,
                                      const double *restrict U, const double *restrict P,
                                      double *restrict dX)
{
    for (size_t s = 0; s < n; s++) {
        double mu = P[P_MU * ld + s];
        double x2 = X[1 * ld + s], x3 = X[2 * ld + s], x5 = X[4 * ld + s], x6 = X[5 * ld + s];
        dX[0 * ld + s] = x2;
        dX[1 * ld + s] = x3;
        dX[2 * ld + s] = -2.0 * x3 + 2.0 * P[P_ALEAD * ld + s] - mu * x2 * x2;
        dX[3 * ld + s] = x5;
        dX[4 * ld + s] = x6;
        dX[5 * ld + s] = -2.0 * x6 + 2.0 * U[s] - mu * x5 * x5;
    }
}

/* The type's f_batch (plant.h).  A non-finite result is left in dX: f's only
 * divergence is a non-finite dxdt. */
static void f_batch(double t, size_t n, size_t ld, const double X[], const double U[],
                    const double P[], double dX[], double w[])
{
    (void)t;
    (void)w;
    f_lanes(n, ld, X, U, P, dX);
}

static int jac(double t, const double x[], const double u[], const double p[], double dfdx[],
               double dfdu[])
{
    (void)t;
    (void)u;
    if (dfdx) {
        for (int i = 0; i < 36; i++)
            dfdx[i] = 0.0;
        dfdx[0 * 6 + 1] = 1.0;
        dfdx[1 * 6 + 2] = 1.0;
        dfdx[2 * 6 + 1] = -2.0 * p[P_MU] * x[1];
        dfdx[2 * 6 + 2] = -2.0;
        dfdx[3 * 6 + 4] = 1.0;
        dfdx[4 * 6 + 5] = 1.0;
        dfdx[5 * 6 + 4] = -2.0 * p[P_MU] * x[4];
        dfdx[5 * 6 + 5] = -2.0;
    }
    if (dfdu) {
        for (int i = 0; i < 6; i++)
            dfdu[i] = 0.0;
        dfdu[5] = 2.0;
    }
    return PB_SUCCESS;
}

#ifdef PB_WITH_TUBE
/* The type's jac_box (plant.h): f and jac above, line for line, in Arb's
 * ball arithmetic over the box (polynomials: each interval extension
 * encloses its range; x^2 through plant_box_sqr, which is never negative). */
static int box_eval(const double x[], const double u[], const double p[], double fb[],
                    double dfdx[], double dfdu[])
{
    const slong prec = PLANT_BOX_PREC;
    const double mu = p[P_MU];
    arb_t v, w;
    int rc = PB_SUCCESS;
    arb_init(v), arb_init(w);
    if (fb) {
        /* lead then ego: x' = v, v' = a, a' = -2 a + 2 cmd - mu v^2 */
        for (int k = 0; k < 2; k++) {
            const double *xv = x + 2 * (3 * k + 1), *xa = x + 2 * (3 * k + 2);
            double *d = fb + 2 * 3 * k;
            d[0] = xv[0], d[1] = xv[1];
            d[2] = xa[0], d[3] = xa[1];
            plant_box_get(v, xa);
            arb_mul_2exp_si(v, v, 1);
            arb_neg(v, v);
            if (k == 0) {
                plant_arb_add_d(v, v, 2.0 * p[P_ALEAD], prec); /* 2 a_lead: exact doubling */
            } else {
                plant_box_get(w, u);
                arb_mul_2exp_si(w, w, 1);
                arb_add(v, v, w, prec);
            }
            plant_box_get(w, xv);
            plant_box_sqr(w, w, prec);
            plant_arb_mul_d(w, w, mu, prec);
            arb_sub(v, v, w, prec);
            rc |= plant_box_put(v, d + 4);
        }
    }
    if (dfdx) {
        for (int i = 0; i < 2 * 36; i++)
            dfdx[i] = 0.0;
        dfdx[2 * (0 * 6 + 1)] = dfdx[2 * (0 * 6 + 1) + 1] = 1.0;
        dfdx[2 * (1 * 6 + 2)] = dfdx[2 * (1 * 6 + 2) + 1] = 1.0;
        dfdx[2 * (2 * 6 + 2)] = dfdx[2 * (2 * 6 + 2) + 1] = -2.0;
        dfdx[2 * (3 * 6 + 4)] = dfdx[2 * (3 * 6 + 4) + 1] = 1.0;
        dfdx[2 * (4 * 6 + 5)] = dfdx[2 * (4 * 6 + 5) + 1] = 1.0;
        dfdx[2 * (5 * 6 + 5)] = dfdx[2 * (5 * 6 + 5) + 1] = -2.0;
        /* -2 mu x2 and -2 mu x5 (-2 mu: exact doubling) */
        plant_box_get(v, x + 2 * 1);
        plant_arb_mul_d(v, v, -2.0 * mu, prec);
        rc |= plant_box_put(v, dfdx + 2 * (2 * 6 + 1));
        plant_box_get(v, x + 2 * 4);
        plant_arb_mul_d(v, v, -2.0 * mu, prec);
        rc |= plant_box_put(v, dfdx + 2 * (5 * 6 + 4));
    }
    if (dfdu) {
        for (int i = 0; i < 2 * 6; i++)
            dfdu[i] = 0.0;
        dfdu[2 * 5] = dfdu[2 * 5 + 1] = 2.0;
    }
    arb_clear(v), arb_clear(w);
    return rc ? PB_EDIVERGED : PB_SUCCESS;
}
#define JAC_BOX box_eval
#else
#define JAC_BOX NULL
#endif

/* Both cars at rest at the origin with no command: f = 0 exactly when
 * a_lead = 0; otherwise the ego part alone is at rest (see the file's head). */
static void equilibrium(const double p[], double x[], double u[])
{
    (void)p;
    for (int i = 0; i < 6; i++)
        x[i] = 0.0;
    u[0] = 0.0;
}

static void input_limits(const double p[], double lo[], double hi[])
{
    lo[0] = -p[P_UMAX];
    hi[0] = p[P_UMAX];
}

static void state_limits(const double p[], double lo[], double hi[])
{
    static const int which[6] = {P_XMAX, P_VMAX, P_AMAX, P_XMAX, P_VMAX, P_AMAX};
    for (int i = 0; i < 6; i++) {
        lo[i] = -p[which[i]];
        hi[i] = p[which[i]];
    }
}

const plant_type plant_acc = {
    .name = "acc",
    .equation = "ARCH-COMP ACC: lead x1' = x2, x2' = x3, x3' = -2 x3 + 2 a_lead - mu x2^2; ego "
                "x4' = x5, x5' = x6, x6' = -2 x6 + 2 a_ego - mu x5^2 (mu = 1e-4, a_lead = -2)",
    .nx = 6,
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
    .period = 0.1,
    .jac_box = JAC_BOX,
};
