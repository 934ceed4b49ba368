/* airplane.c: the ARCH-COMP AINNCS airplane (../shared/benchmarks/arch-comp/
 * README.md, airplane/): a rigid body with m = g = 1, unit inertias, Ixz = 0,
 * forces (Fx, Fy, Fz) and moments (Mx, My, Mz) in the body frame.  State
 * (x, y, z, u, v, w, phi, theta, psi, r, p, q), in that order (r before p, q):
 *
 *   (x, y, z)' = Rz(psi) Ry(theta) Rx(phi) (u, v, w)
 *   u' = -sin theta + Fx - q w + r v
 *   v' = cos theta sin phi + Fy - r u + p w
 *   w' = cos theta cos phi + Fz - p v + q u
 *   phi'   = p + tan theta (q sin phi + r cos phi)
 *   theta' = q cos phi - r sin phi
 *   psi'   = (q sin phi + r cos phi) / cos theta
 *   r' = Mz,  p' = Mx,  q' = My
 *
 * theta' has cos(phi), as in the benchmark's prose, the suite's dynamics.m and
 * POLAR's model (ClosedLoopReachability.jl's code has cos(theta)).  tan theta
 * is computed as sin theta / cos theta in f and f_batch alike.  Rest at the
 * origin with Fz = -1 (gravity balanced) is the equilibrium; |theta| must stay
 * below pi/2, where psi' is singular. */
#include <math.h>

#include "pb_simd.h"
#include "pb_vec.h"
#include "plant.h"
#include "plant_box.h"

enum { P_FMAX, P_MMAX, P_POSMAX, P_VELMAX, P_ANGMAX, P_THMAX, P_RATEMAX };

static const plant_var states[] = {
    {"x", "m"},       {"y", "m"},       {"z", "m"},     {"u", "m/s"},
    {"v", "m/s"},     {"w", "m/s"},     {"phi", "rad"}, {"theta", "rad"},
    {"psi", "rad"},   {"r", "rad/s"},   {"p", "rad/s"}, {"q", "rad/s"}};
static const plant_var inputs[] = {{"Fx", "N"},    {"Fy", "N"},    {"Fz", "N"},
                                   {"Mx", "N m"}, {"My", "N m"}, {"Mz", "N m"}};
static const plant_param params[] = {
    {"F_max", "N", "limit of |Fx|, |Fy|, |Fz| (inf: none)", INFINITY, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"M_max", "N m", "limit of |Mx|, |My|, |Mz| (inf: none)", INFINITY, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"pos_max", "m", "|x|, |y|, |z| beyond this count as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"vel_max", "m/s", "|u|, |v|, |w| beyond this count as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"angle_max", "rad", "|phi|, |psi| beyond this count as diverged", 100.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"theta_max", "rad", "|theta| beyond this counts as diverged (< pi/2)", 1.5, 0.0, 1.57,
     PLANT_PARAM_LO_OPEN},
    {"rate_max", "rad/s", "|r|, |p|, |q| beyond this count as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
};
static const double lqr_q[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
static const double lqr_r[] = {1, 1, 1, 1, 1, 1};

/* The right-hand side from the sines and cosines of phi, theta, psi: one body
 * for f and the lanes of f_batch, so that both compute the same terms. */
static inline void rhs(double sf, double cf, double st, double ct, double sps, double cps,
                       const double v3[3], double r, double p, double q, const double F[3],
                       const double M[3], double d[12])
{
    double u = v3[0], v = v3[1], w = v3[2];
    double qr = q * sf + r * cf;
    d[0] = cps * ct * u + (cps * st * sf - sps * cf) * v + (cps * st * cf + sps * sf) * w;
    d[1] = sps * ct * u + (sps * st * sf + cps * cf) * v + (sps * st * cf - cps * sf) * w;
    d[2] = -st * u + ct * sf * v + ct * cf * w;
    d[3] = -st + F[0] - q * w + r * v;
    d[4] = ct * sf + F[1] - r * u + p * w;
    d[5] = ct * cf + F[2] - p * v + q * u;
    d[6] = p + st / ct * qr;
    d[7] = q * cf - r * sf;
    d[8] = qr / ct;
    d[9] = M[2];
    d[10] = M[0];
    d[11] = M[1];
}

static int f(double t, const double x[], const double u[], const double p[], double dxdt[])
{
    (void)t;
    (void)p;
    rhs(sin(x[6]), cos(x[6]), sin(x[7]), cos(x[7]), sin(x[8]), cos(x[8]), x + 3, x[9], x[10],
        x[11], u, u + 3, dxdt);
    for (int i = 0; i < 12; i++)
        if (!isfinite(dxdt[i]))
            return PB_EDIVERGED;
    return PB_SUCCESS;
}

/* f over the lanes of a batch, term for term (pb_simd.h); T holds the six
 * sines and cosines (rows sin phi, cos phi, sin theta, cos theta, sin psi,
 * cos psi), X, U, dX the f_batch layout of plant.h. */
PB_SIMD_CLONES static void f_lanes(size_t n, size_t ld, const double *restrict T,
                                      const double *restrict X, const double *restrict U,
                                      double *restrict dX)
{
    for (size_t s = 0; s < n; s++) {
        double v3[3], F[3], M[3], d[12];
        for (int i = 0; i < 3; i++) {
            v3[i] = X[(3 + i) * ld + s];
            F[i] = U[i * ld + s];
            M[i] = U[(3 + i) * ld + s];
        }
        rhs(T[s], T[ld + s], T[2 * ld + s], T[3 * ld + s], T[4 * ld + s], T[5 * ld + s], v3,
            X[9 * ld + s], X[10 * ld + s], X[11 * ld + s], F, M, d);
        for (int i = 0; i < 12; i++)
            dX[i * ld + s] = d[i];
    }
}

/* The type's f_batch (plant.h): the six sines and cosines over the lanes into
 * w, then f_lanes.  A non-finite result is left in dX: f's only divergence is
 * a non-finite dxdt. */
static void f_batch(double t, size_t n, size_t ld, const double X[], const double U[],
                    const double P[], double dX[], double w[])
{
    (void)t;
    (void)P;
    for (int k = 0; k < 3; k++) {
        pb_vec_sin(n, X + (6 + k) * ld, w + 2 * k * ld);
        pb_vec_cos(n, X + (6 + k) * ld, w + (2 * k + 1) * ld);
    }
    f_lanes(n, ld, w, X, U, dX);
}

/* dfdx (12 x 12), dfdu (12 x 6), term by term from rhs: the position rows
 * through R = Rz Ry Rx and its derivatives in phi, theta, psi. */
static int jac(double t, const double x[], const double u[], const double p[], double dfdx[],
               double dfdu[])
{
    double sf = sin(x[6]), cf = cos(x[6]), st = sin(x[7]), ct = cos(x[7]);
    double sps = sin(x[8]), cps = cos(x[8]);
    double vu = x[3], vv = x[4], vw = x[5], r = x[9], pr = x[10], q = x[11];
    double tt = st / ct, qr = q * sf + r * cf, qr_phi = q * cf - r * sf;
    const double R[3][3] = {{cps * ct, cps * st * sf - sps * cf, cps * st * cf + sps * sf},
                            {sps * ct, sps * st * sf + cps * cf, sps * st * cf - cps * sf},
                            {-st, ct * sf, ct * cf}};
    const double dR[3][3][3] = {
        /* d/dphi */
        {{0.0, cps * st * cf + sps * sf, -cps * st * sf + sps * cf},
         {0.0, sps * st * cf - cps * sf, -sps * st * sf - cps * cf},
         {0.0, ct * cf, -ct * sf}},
        /* d/dtheta */
        {{-cps * st, cps * ct * sf, cps * ct * cf},
         {-sps * st, sps * ct * sf, sps * ct * cf},
         {-ct, -st * sf, -st * cf}},
        /* d/dpsi */
        {{-sps * ct, -sps * st * sf - cps * cf, -sps * st * cf + cps * sf},
         {cps * ct, cps * st * sf - sps * cf, cps * st * cf + sps * sf},
         {0.0, 0.0, 0.0}}};
    (void)t;
    (void)u;
    (void)p;
    if (dfdx) {
        double *J = dfdx;
        for (int i = 0; i < 144; i++)
            J[i] = 0.0;
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++)
                J[i * 12 + 3 + j] = R[i][j];
            for (int k = 0; k < 3; k++)
                J[i * 12 + 6 + k] = dR[k][i][0] * vu + dR[k][i][1] * vv + dR[k][i][2] * vw;
        }
        /* u' = -st + Fx - q w + r v */
        J[3 * 12 + 7] = -ct;
        J[3 * 12 + 5] = -q;
        J[3 * 12 + 11] = -vw;
        J[3 * 12 + 4] = r;
        J[3 * 12 + 9] = vv;
        /* v' = ct sf + Fy - r u + p w */
        J[4 * 12 + 6] = ct * cf;
        J[4 * 12 + 7] = -st * sf;
        J[4 * 12 + 9] = -vu;
        J[4 * 12 + 3] = -r;
        J[4 * 12 + 10] = vw;
        J[4 * 12 + 5] = pr;
        /* w' = ct cf + Fz - p v + q u */
        J[5 * 12 + 6] = -ct * sf;
        J[5 * 12 + 7] = -st * cf;
        J[5 * 12 + 10] = -vv;
        J[5 * 12 + 4] = -pr;
        J[5 * 12 + 11] = vu;
        J[5 * 12 + 3] = q;
        /* phi' = p + tt (q sf + r cf) */
        J[6 * 12 + 10] = 1.0;
        J[6 * 12 + 11] = tt * sf;
        J[6 * 12 + 9] = tt * cf;
        J[6 * 12 + 6] = tt * qr_phi;
        J[6 * 12 + 7] = qr / (ct * ct);
        /* theta' = q cf - r sf */
        J[7 * 12 + 11] = cf;
        J[7 * 12 + 9] = -sf;
        J[7 * 12 + 6] = -qr;
        /* psi' = (q sf + r cf) / ct */
        J[8 * 12 + 11] = sf / ct;
        J[8 * 12 + 9] = cf / ct;
        J[8 * 12 + 6] = qr_phi / ct;
        J[8 * 12 + 7] = qr * st / (ct * ct);
    }
    if (dfdu) {
        for (int i = 0; i < 72; i++)
            dfdu[i] = 0.0;
        dfdu[3 * 6 + 0] = dfdu[4 * 6 + 1] = dfdu[5 * 6 + 2] = 1.0;
        dfdu[9 * 6 + 5] = dfdu[10 * 6 + 3] = dfdu[11 * 6 + 4] = 1.0;
    }
    return PB_SUCCESS;
}

#ifdef PB_WITH_TUBE
/* Ball indices of box_eval: the sines and cosines, the constant 1, the state
 * and input entries, scratch. */
enum { B_SF, B_CF, B_ST, B_CT, B_SPS, B_CPS, B_ONE, B_U, B_V, B_W, B_R, B_P, B_Q, B_TT, B_QR,
       B_QRPHI, B_CT2, B_X, B_Y, B_NV };

/* An entry of R or dR in jac: two signed products of three of the balls
 * above (B_ONE pads a shorter product; sign 0: no term). */
typedef struct box_entry {
    plant_box_prod t[2];
} box_entry;

#define P2(s, a, b) {s, a, b, B_ONE}
#define P3(s, a, b, c) {s, a, b, c}
#define P0 {0, B_ONE, B_ONE, B_ONE}
/* R = Rz Ry Rx and its derivatives in phi, theta, psi, term for term as jac
 * writes them. */
static const box_entry box_R[3][3] = {
    {{{P2(1, B_CPS, B_CT), P0}},
     {{P3(1, B_CPS, B_ST, B_SF), P2(-1, B_SPS, B_CF)}},
     {{P3(1, B_CPS, B_ST, B_CF), P2(1, B_SPS, B_SF)}}},
    {{{P2(1, B_SPS, B_CT), P0}},
     {{P3(1, B_SPS, B_ST, B_SF), P2(1, B_CPS, B_CF)}},
     {{P3(1, B_SPS, B_ST, B_CF), P2(-1, B_CPS, B_SF)}}},
    {{{P2(-1, B_ST, B_ONE), P0}}, {{P2(1, B_CT, B_SF), P0}}, {{P2(1, B_CT, B_CF), P0}}}};
static const box_entry box_dR[3][3][3] = {
    /* d/dphi */
    {{{{P0, P0}}, {{P3(1, B_CPS, B_ST, B_CF), P2(1, B_SPS, B_SF)}},
      {{P3(-1, B_CPS, B_ST, B_SF), P2(1, B_SPS, B_CF)}}},
     {{{P0, P0}}, {{P3(1, B_SPS, B_ST, B_CF), P2(-1, B_CPS, B_SF)}},
      {{P3(-1, B_SPS, B_ST, B_SF), P2(-1, B_CPS, B_CF)}}},
     {{{P0, P0}}, {{P2(1, B_CT, B_CF), P0}}, {{P2(-1, B_CT, B_SF), P0}}}},
    /* d/dtheta */
    {{{{P2(-1, B_CPS, B_ST), P0}}, {{P3(1, B_CPS, B_CT, B_SF), P0}},
      {{P3(1, B_CPS, B_CT, B_CF), P0}}},
     {{{P2(-1, B_SPS, B_ST), P0}}, {{P3(1, B_SPS, B_CT, B_SF), P0}},
      {{P3(1, B_SPS, B_CT, B_CF), P0}}},
     {{{P2(-1, B_CT, B_ONE), P0}}, {{P2(-1, B_ST, B_SF), P0}}, {{P2(-1, B_ST, B_CF), P0}}}},
    /* d/dpsi */
    {{{{P2(-1, B_SPS, B_CT), P0}}, {{P3(-1, B_SPS, B_ST, B_SF), P2(-1, B_CPS, B_CF)}},
      {{P3(-1, B_SPS, B_ST, B_CF), P2(1, B_CPS, B_SF)}}},
     {{{P2(1, B_CPS, B_CT), P0}}, {{P3(1, B_CPS, B_ST, B_SF), P2(-1, B_SPS, B_CF)}},
      {{P3(1, B_CPS, B_ST, B_CF), P2(1, B_SPS, B_SF)}}},
     {{{P0, P0}}, {{P0, P0}}, {{P0, P0}}}}};
#undef P0
#undef P2
#undef P3

/* z := the entry e over the balls b (y: scratch). */
static void box_entry_eval(arb_t z, const box_entry *e, arb_t *b, arb_t y, slong prec)
{
    plant_box_prod_sum(z, e->t, 2, *b, y, prec);
}

/* z := a row of R or of dR/d angle dotted with (u, v, w): the sum over j of
 * row[j] v_j (b[B_X] and b[B_Y]: scratch). */
static void box_row_dot(arb_t z, const box_entry row[3], arb_t *b, slong prec)
{
    arb_zero(z);
    for (int j = 0; j < 3; j++) {
        box_entry_eval(b[B_X], &row[j], b, b[B_Y], prec);
        arb_addmul(z, b[B_X], b[B_U + j], prec);
    }
}

/* The type's jac_box (plant.h): rhs and jac above, term for term, in Arb's
 * ball arithmetic over the box.  tan theta and 1/cos theta are divisions by
 * the enclosure of cos theta: where the box reaches |theta| = pi/2 they are
 * not finite and the slot returns PB_EDIVERGED. */
static int box_eval(const double x[], const double u[], const double p[], double fb[],
                    double dfdx[], double dfdu[])
{
    const slong prec = PLANT_BOX_PREC;
    arb_t b[B_NV], z;
    int rc = PB_SUCCESS;
    (void)p;
    for (int i = 0; i < B_NV; i++)
        arb_init(b[i]);
    arb_init(z);
    for (int k = 0; k < 3; k++) {
        plant_box_get(z, x + 2 * (6 + k));
        arb_sin_cos(b[B_SF + 2 * k], b[B_CF + 2 * k], z, prec);
    }
    arb_one(b[B_ONE]);
    for (int j = 0; j < 6; j++) /* u v w from x[3..5], r p q from x[9..11] */
        plant_box_get(b[B_U + j], x + 2 * (j < 3 ? 3 + j : 6 + j));
    arb_div(b[B_TT], b[B_ST], b[B_CT], prec);
    arb_mul(b[B_QR], b[B_Q], b[B_SF], prec); /* q sf + r cf */
    arb_addmul(b[B_QR], b[B_R], b[B_CF], prec);
    arb_mul(b[B_QRPHI], b[B_Q], b[B_CF], prec); /* q cf - r sf */
    arb_submul(b[B_QRPHI], b[B_R], b[B_SF], prec);
    plant_box_sqr(b[B_CT2], b[B_CT], prec);
    if (fb) {
        for (int i = 0; i < 3; i++) {
            box_row_dot(z, box_R[i], b, prec);
            rc |= plant_box_put(z, fb + 2 * i);
        }
        /* u' = -st + Fx - q w + r v */
        plant_box_get(z, u);
        arb_sub(z, z, b[B_ST], prec);
        arb_submul(z, b[B_Q], b[B_W], prec);
        arb_addmul(z, b[B_R], b[B_V], prec);
        rc |= plant_box_put(z, fb + 6);
        /* v' = ct sf + Fy - r u + p w */
        plant_box_get(z, u + 2);
        arb_addmul(z, b[B_CT], b[B_SF], prec);
        arb_submul(z, b[B_R], b[B_U], prec);
        arb_addmul(z, b[B_P], b[B_W], prec);
        rc |= plant_box_put(z, fb + 8);
        /* w' = ct cf + Fz - p v + q u */
        plant_box_get(z, u + 4);
        arb_addmul(z, b[B_CT], b[B_CF], prec);
        arb_submul(z, b[B_P], b[B_V], prec);
        arb_addmul(z, b[B_Q], b[B_U], prec);
        rc |= plant_box_put(z, fb + 10);
        /* phi' = p + st / ct qr */
        arb_mul(z, b[B_TT], b[B_QR], prec);
        arb_add(z, z, b[B_P], prec);
        rc |= plant_box_put(z, fb + 12);
        rc |= plant_box_put(b[B_QRPHI], fb + 14); /* theta' = q cf - r sf */
        arb_div(z, b[B_QR], b[B_CT], prec);       /* psi' = qr / ct */
        rc |= plant_box_put(z, fb + 16);
        fb[18] = u[10], fb[19] = u[11]; /* r' = Mz, p' = Mx, q' = My */
        fb[20] = u[6], fb[21] = u[7];
        fb[22] = u[8], fb[23] = u[9];
    }
    if (dfdx) {
        double *J = dfdx;
        /* J(i, j, ball) and J(i, j, -ball): entry (i, j) of the 12 x 12 */
#define JPUT(i, j, v) (rc |= plant_box_put((v), J + 2 * ((i)*12 + (j))))
#define JNEG(i, j, v) (arb_neg(z, (v)), rc |= plant_box_put(z, J + 2 * ((i)*12 + (j))))
        for (int i = 0; i < 2 * 144; i++)
            J[i] = 0.0;
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                box_entry_eval(z, &box_R[i][j], b, b[B_Y], prec);
                JPUT(i, 3 + j, z);
            }
            for (int k = 0; k < 3; k++) {
                box_row_dot(z, box_dR[k][i], b, prec);
                JPUT(i, 6 + k, z);
            }
        }
        /* u' = -st + Fx - q w + r v */
        JNEG(3, 7, b[B_CT]);
        JNEG(3, 5, b[B_Q]);
        JNEG(3, 11, b[B_W]);
        JPUT(3, 4, b[B_R]);
        JPUT(3, 9, b[B_V]);
        /* v' = ct sf + Fy - r u + p w */
        arb_mul(z, b[B_CT], b[B_CF], prec);
        JPUT(4, 6, z);
        arb_mul(z, b[B_ST], b[B_SF], prec);
        JNEG(4, 7, z);
        JNEG(4, 9, b[B_U]);
        JNEG(4, 3, b[B_R]);
        JPUT(4, 10, b[B_W]);
        JPUT(4, 5, b[B_P]);
        /* w' = ct cf + Fz - p v + q u */
        arb_mul(z, b[B_CT], b[B_SF], prec);
        JNEG(5, 6, z);
        arb_mul(z, b[B_ST], b[B_CF], prec);
        JNEG(5, 7, z);
        JNEG(5, 10, b[B_V]);
        JNEG(5, 4, b[B_P]);
        JPUT(5, 11, b[B_U]);
        JPUT(5, 3, b[B_Q]);
        /* phi' = p + tt (q sf + r cf) */
        J[2 * (6 * 12 + 10)] = J[2 * (6 * 12 + 10) + 1] = 1.0;
        arb_mul(z, b[B_TT], b[B_SF], prec);
        JPUT(6, 11, z);
        arb_mul(z, b[B_TT], b[B_CF], prec);
        JPUT(6, 9, z);
        arb_mul(z, b[B_TT], b[B_QRPHI], prec);
        JPUT(6, 6, z);
        arb_div(z, b[B_QR], b[B_CT2], prec);
        JPUT(6, 7, z);
        /* theta' = q cf - r sf */
        JPUT(7, 11, b[B_CF]);
        JNEG(7, 9, b[B_SF]);
        JNEG(7, 6, b[B_QR]);
        /* psi' = (q sf + r cf) / ct */
        arb_div(z, b[B_SF], b[B_CT], prec);
        JPUT(8, 11, z);
        arb_div(z, b[B_CF], b[B_CT], prec);
        JPUT(8, 9, z);
        arb_div(z, b[B_QRPHI], b[B_CT], prec);
        JPUT(8, 6, z);
        arb_mul(z, b[B_QR], b[B_ST], prec);
        arb_div(z, z, b[B_CT2], prec);
        JPUT(8, 7, z);
#undef JPUT
#undef JNEG
    }
    if (dfdu) {
        static const int one[6][2] = {{3, 0}, {4, 1}, {5, 2}, {9, 5}, {10, 3}, {11, 4}};
        for (int i = 0; i < 2 * 72; i++)
            dfdu[i] = 0.0;
        for (int k = 0; k < 6; k++)
            dfdu[2 * (one[k][0] * 6 + one[k][1])] = dfdu[2 * (one[k][0] * 6 + one[k][1]) + 1] = 1.0;
    }
    for (int i = 0; i < B_NV; i++)
        arb_clear(b[i]);
    arb_clear(z);
    return rc ? PB_EDIVERGED : PB_SUCCESS;
}
#define JAC_BOX box_eval
#else
#define JAC_BOX NULL
#endif

static void equilibrium(const double p[], double x[], double u[])
{
    (void)p;
    for (int i = 0; i < 12; i++)
        x[i] = 0.0;
    for (int j = 0; j < 6; j++)
        u[j] = 0.0;
    u[2] = -1.0; /* Fz balances gravity: w' = cos 0 cos 0 + Fz = 0 */
}

static void input_limits(const double p[], double lo[], double hi[])
{
    for (int j = 0; j < 6; j++) {
        double m = p[j < 3 ? P_FMAX : P_MMAX];
        lo[j] = -m;
        hi[j] = m;
    }
}

static void state_limits(const double p[], double lo[], double hi[])
{
    static const int which[12] = {P_POSMAX, P_POSMAX, P_POSMAX, P_VELMAX, P_VELMAX, P_VELMAX,
                                  P_ANGMAX, P_THMAX,  P_ANGMAX, P_RATEMAX, P_RATEMAX, P_RATEMAX};
    for (int i = 0; i < 12; i++) {
        lo[i] = -p[which[i]];
        hi[i] = p[which[i]];
    }
}

const plant_type plant_airplane = {
    .name = "airplane",
    .equation = "ARCH-COMP airplane, m = g = 1, unit inertias, Ixz = 0: (x, y, z)' = Rz(psi) "
                "Ry(theta) Rx(phi) (u, v, w); u' = -sin th + Fx - q w + r v; v' = cos th sin phi "
                "+ Fy - r u + p w; w' = cos th cos phi + Fz - p v + q u; phi' = p + tan th (q sin "
                "phi + r cos phi); th' = q cos phi - r sin phi; psi' = (q sin phi + r cos phi)/cos "
                "th; r' = Mz, p' = Mx, q' = My (cos phi in th', as the suite's dynamics.m)",
    .nx = 12,
    .nu = 6,
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
