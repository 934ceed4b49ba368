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
#include "plant_box.h"

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

#ifdef PB_WITH_TUBE
/* The type's jac_box (plant.h): f and jac above, line for line, in Arb's
 * ball arithmetic over the box (each formula's interval extension encloses
 * its range; den >= l (4/3 - 1) > 0, so no division by an interval holding 0). */
static int box_eval(const double x[], const double u[], const double p[], double fb[],
                   double dfdx[], double dfdu[])
{
    const slong prec = PLANT_BOX_PREC;
    enum { XD, W, F, S, C, M, ML, TMP, TMP_TH, TMP_W, TMP_U, DEN, DEN_TH, NUM, NUM_TH, THACC,
           A_TH, A_W, A_U, V, V2, NV };
    arb_t a[NV];
    int rc = PB_SUCCESS;
    for (int i = 0; i < NV; i++)
        arb_init(a[i]);
    plant_box_get(a[XD], x + 2);
    plant_box_get(a[W], x + 6);
    plant_box_get(a[F], u);
    plant_box_get(a[V], x + 4);
    arb_sin_cos(a[S], a[C], a[V], prec);
    arb_set_d(a[M], p[P_MC]);
    plant_arb_add_d(a[M], a[M], p[P_MP], prec);
    arb_set_d(a[ML], p[P_MP]);
    plant_arb_mul_d(a[ML], a[ML], p[P_L], prec);
    /* tmp = (F + ml w^2 s) / M */
    arb_sqr(a[V], a[W], prec);
    arb_mul(a[V], a[V], a[ML], prec);
    arb_mul(a[TMP], a[V], a[S], prec);
    arb_add(a[TMP], a[TMP], a[F], prec);
    arb_div(a[TMP], a[TMP], a[M], prec);
    arb_mul(a[TMP_TH], a[V], a[C], prec); /* ml w^2 c / M */
    arb_div(a[TMP_TH], a[TMP_TH], a[M], prec);
    arb_mul(a[TMP_W], a[ML], a[W], prec); /* 2 ml w s / M */
    arb_mul(a[TMP_W], a[TMP_W], a[S], prec);
    arb_mul_2exp_si(a[TMP_W], a[TMP_W], 1);
    arb_div(a[TMP_W], a[TMP_W], a[M], prec);
    arb_inv(a[TMP_U], a[M], prec);
    /* den = l (4/3 - m_pole c^2 / M), den_th = 2 l m_pole c s / M */
    arb_sqr(a[V], a[C], prec);
    plant_arb_mul_d(a[V], a[V], p[P_MP], prec);
    arb_div(a[V], a[V], a[M], prec);
    arb_set_ui(a[DEN], 4);
    arb_div_ui(a[DEN], a[DEN], 3, prec);
    arb_sub(a[DEN], a[DEN], a[V], prec);
    plant_arb_mul_d(a[DEN], a[DEN], p[P_L], prec);
    arb_mul(a[DEN_TH], a[C], a[S], prec);
    plant_arb_mul_d(a[DEN_TH], a[DEN_TH], 2.0 * p[P_MP], prec); /* 2 m_pole: exact doubling */
    plant_arb_mul_d(a[DEN_TH], a[DEN_TH], p[P_L], prec);
    arb_div(a[DEN_TH], a[DEN_TH], a[M], prec);
    /* num = g s - c tmp, num_th = g c + s tmp - c tmp_th */
    plant_arb_mul_d(a[NUM], a[S], p[P_G], prec);
    arb_submul(a[NUM], a[C], a[TMP], prec);
    plant_arb_mul_d(a[NUM_TH], a[C], p[P_G], prec);
    arb_addmul(a[NUM_TH], a[S], a[TMP], prec);
    arb_submul(a[NUM_TH], a[C], a[TMP_TH], prec);
    arb_div(a[THACC], a[NUM], a[DEN], prec);
    /* a_th = (num_th den - num den_th) / den^2, a_w = -c tmp_w / den, a_u = -c tmp_u / den */
    arb_mul(a[A_TH], a[NUM_TH], a[DEN], prec);
    arb_submul(a[A_TH], a[NUM], a[DEN_TH], prec);
    arb_sqr(a[V], a[DEN], prec);
    arb_div(a[A_TH], a[A_TH], a[V], prec);
    arb_mul(a[A_W], a[C], a[TMP_W], prec);
    arb_div(a[A_W], a[A_W], a[DEN], prec);
    arb_neg(a[A_W], a[A_W]);
    arb_mul(a[A_U], a[C], a[TMP_U], prec);
    arb_div(a[A_U], a[A_U], a[DEN], prec);
    arb_neg(a[A_U], a[A_U]);
    arb_div(a[V2], a[ML], a[M], prec); /* ml / M */
    if (fb) {
        rc |= plant_box_put(a[XD], fb);
        arb_mul(a[V], a[V2], a[THACC], prec); /* tmp - ml thacc c / M */
        arb_mul(a[V], a[V], a[C], prec);
        arb_sub(a[V], a[TMP], a[V], prec);
        rc |= plant_box_put(a[V], fb + 2);
        rc |= plant_box_put(a[W], fb + 4);
        rc |= plant_box_put(a[THACC], fb + 6);
    }
    if (dfdx) {
        for (int i = 0; i < 32; i++)
            dfdx[i] = 0.0;
        dfdx[2 * (0 * 4 + 1)] = dfdx[2 * (0 * 4 + 1) + 1] = 1.0;
        dfdx[2 * (2 * 4 + 3)] = dfdx[2 * (2 * 4 + 3) + 1] = 1.0;
        /* tmp_th - ml/M (a_th c - thacc s) */
        arb_mul(a[V], a[A_TH], a[C], prec);
        arb_submul(a[V], a[THACC], a[S], prec);
        arb_mul(a[V], a[V], a[V2], prec);
        arb_sub(a[V], a[TMP_TH], a[V], prec);
        rc |= plant_box_put(a[V], dfdx + 2 * (1 * 4 + 2));
        /* tmp_w - ml c / M a_w */
        arb_mul(a[V], a[V2], a[C], prec);
        arb_mul(a[V], a[V], a[A_W], prec);
        arb_sub(a[V], a[TMP_W], a[V], prec);
        rc |= plant_box_put(a[V], dfdx + 2 * (1 * 4 + 3));
        rc |= plant_box_put(a[A_TH], dfdx + 2 * (3 * 4 + 2));
        rc |= plant_box_put(a[A_W], dfdx + 2 * (3 * 4 + 3));
    }
    if (dfdu) {
        for (int i = 0; i < 8; i++)
            dfdu[i] = 0.0;
        /* tmp_u - ml c / M a_u */
        arb_mul(a[V], a[V2], a[C], prec);
        arb_mul(a[V], a[V], a[A_U], prec);
        arb_sub(a[V], a[TMP_U], a[V], prec);
        rc |= plant_box_put(a[V], dfdu + 2);
        rc |= plant_box_put(a[A_U], dfdu + 6);
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
    .jac_box = JAC_BOX,
};
