/* quadrotor_beard.h: the rigid-body quadrotor of Beard (2008), "Quadrotor
 * dynamics and control", eqs. 16-19, shared by quadrotor.c (four inputs) and
 * quadrotor_arch.c (the ARCH-COMP QUAD form, yaw torque 0).  Internal to
 * plants/: not a public header.
 *
 * State (12): north, east, altitude (up); body velocities u, v, w; roll phi,
 * pitch theta, yaw psi; body rates p, q, r.  With s, c, t for sin, cos, tan:
 *
 *   pn' = ct cps u + (sf st cps - cf sps) v + (cf st cps + sf sps) w
 *   pe' = ct sps u + (sf st sps + cf cps) v + (cf st sps - sf cps) w
 *   h'  = st u - sf ct v - cf ct w
 *   u'  = r v - q w - g st
 *   v'  = p w - r u + g ct sf
 *   w'  = q u - p v + g ct cf - F,          F = g + u1/m (thrust per unit mass)
 *   phi'   = p + sf tt q + cf tt r
 *   theta' = cf q - sf r
 *   psi'   = (sf q + cf r) / ct
 *   p' = (Jy - Jz)/Jx q r + tau_phi/Jx
 *   q' = (Jz - Jx)/Jy p r + tau_theta/Jy
 *   r' = (Jx - Jy)/Jz p q + tau_psi/Jz
 *
 * as the ARCH-COMP README states it (altitude up, h' and w' signs as above).
 * The suite's own MATLAB dynamics file differs from this form in several terms.
 * Hover, x = 0 with u1 = 0 and zero torques, is an equilibrium. */
#ifndef PB_PLANTS_QUADROTOR_BEARD_H
#define PB_PLANTS_QUADROTOR_BEARD_H

#include <math.h>
#include <stddef.h>

#include "pb_simd.h"
#include "pb_vec.h"
#include "plant.h"

/* Parameter order shared by both quadrotor types. */
enum { QB_M, QB_JX, QB_JY, QB_JZ, QB_G, QB_U1MAX, QB_TAUMAX, QB_PMAX, QB_VMAX, QB_ATTMAX, QB_WMAX };

enum { QB_NX = 12 };

static const plant_var quad_beard_states[QB_NX] = {
    {"pn", "m"},    {"pe", "m"},    {"h", "m"},     {"u", "m/s"},
    {"v", "m/s"},   {"w", "m/s"},   {"phi", "rad"}, {"theta", "rad"},
    {"psi", "rad"}, {"p", "rad/s"}, {"q", "rad/s"}, {"r", "rad/s"}};

/* The right-hand side for thrust deviation u1 and torques tau[3]. */
static inline int quad_beard_f(const double x[], double u1, const double tau[3], const double p[],
                               double dxdt[])
{
    double sf = sin(x[6]), cf = cos(x[6]), st = sin(x[7]), ct = cos(x[7]);
    double sps = sin(x[8]), cps = cos(x[8]);
    double u = x[3], v = x[4], w = x[5], pr = x[9], qr = x[10], rr = x[11];
    double g = p[QB_G], F = g + u1 / p[QB_M];
    double Jx = p[QB_JX], Jy = p[QB_JY], Jz = p[QB_JZ];

    dxdt[0] = ct * cps * u + (sf * st * cps - cf * sps) * v + (cf * st * cps + sf * sps) * w;
    dxdt[1] = ct * sps * u + (sf * st * sps + cf * cps) * v + (cf * st * sps - sf * cps) * w;
    dxdt[2] = st * u - sf * ct * v - cf * ct * w;
    dxdt[3] = rr * v - qr * w - g * st;
    dxdt[4] = pr * w - rr * u + g * ct * sf;
    dxdt[5] = qr * u - pr * v + g * ct * cf - F;
    dxdt[6] = pr + (sf * qr + cf * rr) * st / ct;
    dxdt[7] = cf * qr - sf * rr;
    dxdt[8] = (sf * qr + cf * rr) / ct;
    dxdt[9] = (Jy - Jz) / Jx * qr * rr + tau[0] / Jx;
    dxdt[10] = (Jz - Jx) / Jy * pr * rr + tau[1] / Jy;
    dxdt[11] = (Jx - Jy) / Jz * pr * qr + tau[2] / Jz;
    for (int i = 0; i < QB_NX; i++)
        if (!isfinite(dxdt[i]))
            return PB_EDIVERGED;
    return PB_SUCCESS;
}

/* quad_beard_f over the lanes of a batch, term for term so that both round
 * alike (pb_simd.h): SF, CF, ... the sines and cosines of phi, theta, psi;
 * xu .. xr the body velocities and rates; u1, t0, t1, t2 the thrust deviation
 * and torques; m .. g the parameters; d0 .. d11 the rows of the result. */
PB_SIMD_CLONES static void
quad_beard_lanes(size_t n, const double *restrict SF, const double *restrict CF,
                 const double *restrict ST, const double *restrict CT, const double *restrict SPS,
                 const double *restrict CPS, const double *restrict xu, const double *restrict xv,
                 const double *restrict xw, const double *restrict xp, const double *restrict xq,
                 const double *restrict xr, const double *restrict u1, const double *restrict t0,
                 const double *restrict t1, const double *restrict t2, const double *restrict m,
                 const double *restrict jx, const double *restrict jy, const double *restrict jz,
                 const double *restrict gr, double *restrict d0, double *restrict d1,
                 double *restrict d2, double *restrict d3, double *restrict d4, double *restrict d5,
                 double *restrict d6, double *restrict d7, double *restrict d8, double *restrict d9,
                 double *restrict d10, double *restrict d11)
{
    for (size_t s = 0; s < n; s++) {
        double sf = SF[s], cf = CF[s], st = ST[s], ct = CT[s], sps = SPS[s], cps = CPS[s];
        double u = xu[s], v = xv[s], w = xw[s], pr = xp[s], qr = xq[s], rr = xr[s];
        double g = gr[s], F = g + u1[s] / m[s];
        double Jx = jx[s], Jy = jy[s], Jz = jz[s];

        d0[s] = ct * cps * u + (sf * st * cps - cf * sps) * v + (cf * st * cps + sf * sps) * w;
        d1[s] = ct * sps * u + (sf * st * sps + cf * cps) * v + (cf * st * sps - sf * cps) * w;
        d2[s] = st * u - sf * ct * v - cf * ct * w;
        d3[s] = rr * v - qr * w - g * st;
        d4[s] = pr * w - rr * u + g * ct * sf;
        d5[s] = qr * u - pr * v + g * ct * cf - F;
        d6[s] = pr + (sf * qr + cf * rr) * st / ct;
        d7[s] = cf * qr - sf * rr;
        d8[s] = (sf * qr + cf * rr) / ct;
        d9[s] = (Jy - Jz) / Jx * qr * rr + t0[s] / Jx;
        d10[s] = (Jz - Jx) / Jy * pr * rr + t1[s] / Jy;
        d11[s] = (Jx - Jy) / Jz * pr * qr + t2[s] / Jz;
    }
}

/* quad_beard_f over n lanes (plant.h f_batch layout) with the thrust
 * deviation in row U1 and the torques in rows T0, T1, T2 (stride ld): the six
 * sines and cosines through common/pb_vec.h into w (6 ld doubles), the rest
 * in quad_beard_lanes.  A non-finite result is left in dX: quad_beard_f's
 * only divergence is a non-finite dxdt. */
static void quad_beard_f_batch(size_t n, size_t ld, const double X[], const double U1[],
                               const double T0[], const double T1[], const double T2[],
                               const double P[], double dX[], double w[])
{
    const double *x = X;
    double *d = dX;

    pb_vec_sin(n, x + 6 * ld, w);
    pb_vec_cos(n, x + 6 * ld, w + ld);
    pb_vec_sin(n, x + 7 * ld, w + 2 * ld);
    pb_vec_cos(n, x + 7 * ld, w + 3 * ld);
    pb_vec_sin(n, x + 8 * ld, w + 4 * ld);
    pb_vec_cos(n, x + 8 * ld, w + 5 * ld);
    quad_beard_lanes(n, w, w + ld, w + 2 * ld, w + 3 * ld, w + 4 * ld, w + 5 * ld, x + 3 * ld,
                     x + 4 * ld, x + 5 * ld, x + 9 * ld, x + 10 * ld, x + 11 * ld, U1, T0, T1, T2,
                     P + QB_M * ld, P + QB_JX * ld, P + QB_JY * ld, P + QB_JZ * ld, P + QB_G * ld,
                     d, d + ld, d + 2 * ld, d + 3 * ld, d + 4 * ld, d + 5 * ld, d + 6 * ld,
                     d + 7 * ld, d + 8 * ld, d + 9 * ld, d + 10 * ld, d + 11 * ld);
}

/* dfdx (12 x 12, row-major), term by term from quad_beard_f. */
static inline void quad_beard_dfdx(const double x[], const double p[], double J[])
{
    double sf = sin(x[6]), cf = cos(x[6]), st = sin(x[7]), ct = cos(x[7]), tt = st / ct;
    double sps = sin(x[8]), cps = cos(x[8]);
    double u = x[3], v = x[4], w = x[5], pr = x[9], qr = x[10], rr = x[11];
    double g = p[QB_G];
    double Jx = p[QB_JX], Jy = p[QB_JY], Jz = p[QB_JZ];
    double a = sf * qr + cf * rr; /* appears in phi', psi' */

#define QJ(i, j) J[(i)*QB_NX + (j)]
    for (int i = 0; i < QB_NX * QB_NX; i++)
        J[i] = 0.0;
    /* pn' */
    QJ(0, 3) = ct * cps;
    QJ(0, 4) = sf * st * cps - cf * sps;
    QJ(0, 5) = cf * st * cps + sf * sps;
    QJ(0, 6) = (cf * st * cps + sf * sps) * v + (-sf * st * cps + cf * sps) * w;
    QJ(0, 7) = -st * cps * u + sf * ct * cps * v + cf * ct * cps * w;
    QJ(0, 8) = -ct * sps * u + (-sf * st * sps - cf * cps) * v + (-cf * st * sps + sf * cps) * w;
    /* pe' */
    QJ(1, 3) = ct * sps;
    QJ(1, 4) = sf * st * sps + cf * cps;
    QJ(1, 5) = cf * st * sps - sf * cps;
    QJ(1, 6) = (cf * st * sps - sf * cps) * v + (-sf * st * sps - cf * cps) * w;
    QJ(1, 7) = -st * sps * u + sf * ct * sps * v + cf * ct * sps * w;
    QJ(1, 8) = ct * cps * u + (sf * st * cps - cf * sps) * v + (cf * st * cps + sf * sps) * w;
    /* h' */
    QJ(2, 3) = st;
    QJ(2, 4) = -sf * ct;
    QJ(2, 5) = -cf * ct;
    QJ(2, 6) = -cf * ct * v + sf * ct * w;
    QJ(2, 7) = ct * u + sf * st * v + cf * st * w;
    /* u' */
    QJ(3, 4) = rr;
    QJ(3, 5) = -qr;
    QJ(3, 7) = -g * ct;
    QJ(3, 10) = -w;
    QJ(3, 11) = v;
    /* v' */
    QJ(4, 3) = -rr;
    QJ(4, 5) = pr;
    QJ(4, 6) = g * ct * cf;
    QJ(4, 7) = -g * st * sf;
    QJ(4, 9) = w;
    QJ(4, 11) = -u;
    /* w' */
    QJ(5, 3) = qr;
    QJ(5, 4) = -pr;
    QJ(5, 6) = -g * ct * sf;
    QJ(5, 7) = -g * st * cf;
    QJ(5, 9) = -v;
    QJ(5, 10) = u;
    /* phi' */
    QJ(6, 6) = (cf * qr - sf * rr) * tt;
    QJ(6, 7) = a / (ct * ct);
    QJ(6, 9) = 1.0;
    QJ(6, 10) = sf * tt;
    QJ(6, 11) = cf * tt;
    /* theta' */
    QJ(7, 6) = -sf * qr - cf * rr;
    QJ(7, 10) = cf;
    QJ(7, 11) = -sf;
    /* psi' */
    QJ(8, 6) = (cf * qr - sf * rr) / ct;
    QJ(8, 7) = a * st / (ct * ct);
    QJ(8, 10) = sf / ct;
    QJ(8, 11) = cf / ct;
    /* body rates */
    QJ(9, 10) = (Jy - Jz) / Jx * rr;
    QJ(9, 11) = (Jy - Jz) / Jx * qr;
    QJ(10, 9) = (Jz - Jx) / Jy * rr;
    QJ(10, 11) = (Jz - Jx) / Jy * pr;
    QJ(11, 9) = (Jx - Jy) / Jz * qr;
    QJ(11, 10) = (Jx - Jy) / Jz * pr;
#undef QJ
}

/* Divergence box: positions, velocities, roll and pitch (pitch must stay
 * away from the psi' singularity at |theta| = pi/2), rates; yaw is free. */
static inline void quad_beard_state_limits(const double p[], double lo[], double hi[])
{
    double lim[QB_NX] = {p[QB_PMAX], p[QB_PMAX], p[QB_PMAX],   p[QB_VMAX],
                         p[QB_VMAX], p[QB_VMAX], p[QB_ATTMAX], p[QB_ATTMAX],
                         INFINITY,   p[QB_WMAX], p[QB_WMAX],   p[QB_WMAX]};
    for (int i = 0; i < QB_NX; i++) {
        lo[i] = -lim[i];
        hi[i] = lim[i];
    }
}

/* The principal moments of a rigid body obey the triangle inequalities
 * Jx + Jy >= Jz (and cyclic). */
static inline int quad_beard_validate(const char *name, const double p[], pb_error *err)
{
    double Jx = p[QB_JX], Jy = p[QB_JY], Jz = p[QB_JZ];
    if (Jx + Jy < Jz || Jy + Jz < Jx || Jz + Jx < Jy)
        return pb_error_set(err, PB_EINVAL,
                            "%s: inertias Jx = %g, Jy = %g, Jz = %g violate the triangle "
                            "inequality of a rigid body (each at most the sum of the others)",
                            name, Jx, Jy, Jz);
    return PB_SUCCESS;
}

#ifdef PB_WITH_TUBE
#include "plant_box.h"

/* Ball indices of quad_beard_box: the sines and cosines, the constant 1, the
 * body velocities and rates, scratch. */
enum { QBB_SF, QBB_CF, QBB_ST, QBB_CT, QBB_SPS, QBB_CPS, QBB_ONE, QBB_U, QBB_V, QBB_W, QBB_P,
       QBB_Q, QBB_R, QBB_TT, QBB_A, QBB_APHI, QBB_CT2, QBB_X, QBB_Y, QBB_NV };

#define QP2(s, a, b) {s, QBB_##a, QBB_##b, QBB_ONE}
#define QP3(s, a, b, c) {s, QBB_##a, QBB_##b, QBB_##c}
#define QP0 {0, QBB_ONE, QBB_ONE, QBB_ONE}
/* The position rows pn', pe', h' as coefficients of (u, v, w), and their
 * derivatives in phi, theta, psi (quad_beard_dfdx's QJ(0..2, 6..8)), term
 * for term: quad_beard_pos[k][i][j] is the coefficient of velocity j in row i
 * (k = 0) or in its derivative by angle k - 1; two products each. */
static const plant_box_prod quad_beard_pos[4][3][3][2] = {
    {{{QP2(1, CT, CPS), QP0}, {QP3(1, SF, ST, CPS), QP2(-1, CF, SPS)},
      {QP3(1, CF, ST, CPS), QP2(1, SF, SPS)}},
     {{QP2(1, CT, SPS), QP0}, {QP3(1, SF, ST, SPS), QP2(1, CF, CPS)},
      {QP3(1, CF, ST, SPS), QP2(-1, SF, CPS)}},
     {{QP2(1, ST, ONE), QP0}, {QP2(-1, SF, CT), QP0}, {QP2(-1, CF, CT), QP0}}},
    /* d/dphi */
    {{{QP0, QP0}, {QP3(1, CF, ST, CPS), QP2(1, SF, SPS)}, {QP3(-1, SF, ST, CPS), QP2(1, CF, SPS)}},
     {{QP0, QP0}, {QP3(1, CF, ST, SPS), QP2(-1, SF, CPS)}, {QP3(-1, SF, ST, SPS), QP2(-1, CF, CPS)}},
     {{QP0, QP0}, {QP2(-1, CF, CT), QP0}, {QP2(1, SF, CT), QP0}}},
    /* d/dtheta */
    {{{QP2(-1, ST, CPS), QP0}, {QP3(1, SF, CT, CPS), QP0}, {QP3(1, CF, CT, CPS), QP0}},
     {{QP2(-1, ST, SPS), QP0}, {QP3(1, SF, CT, SPS), QP0}, {QP3(1, CF, CT, SPS), QP0}},
     {{QP2(1, CT, ONE), QP0}, {QP2(1, SF, ST), QP0}, {QP2(1, CF, ST), QP0}}},
    /* d/dpsi */
    {{{QP2(-1, CT, SPS), QP0}, {QP3(-1, SF, ST, SPS), QP2(-1, CF, CPS)},
      {QP3(-1, CF, ST, SPS), QP2(1, SF, CPS)}},
     {{QP2(1, CT, CPS), QP0}, {QP3(1, SF, ST, CPS), QP2(-1, CF, SPS)},
      {QP3(1, CF, ST, CPS), QP2(1, SF, SPS)}},
     {{QP0, QP0}, {QP0, QP0}, {QP0, QP0}}}};
#undef QP0
#undef QP2
#undef QP3

/* quad_beard_f and quad_beard_dfdx, term for term, in Arb's ball arithmetic
 * over the box x (12 intervals) with the thrust deviation u1 and the torques
 * tau (3 intervals) as intervals (plant.h jac_box layout); f (12 intervals)
 * and dfdx (12 x 12 intervals) may be NULL.  tan theta and 1/cos theta are
 * divisions by the enclosure of cos theta: where the box reaches
 * |theta| = pi/2 they are not finite, and it returns PB_EDIVERGED.  The
 * callers fill dfdu. */
static inline int quad_beard_box(const double x[], const double u1[2], const double tau[6],
                                 const double p[], double fb[], double dfdx[])
{
    const slong prec = PLANT_BOX_PREC;
    arb_t b[QBB_NV], z, y;
    arb_struct *B = *b;
    int rc = PB_SUCCESS;
    for (int i = 0; i < QBB_NV; i++)
        arb_init(b[i]);
    arb_init(z), arb_init(y);
    for (int k = 0; k < 3; k++) {
        plant_box_get(z, x + 2 * (6 + k));
        arb_sin_cos(b[QBB_SF + 2 * k], b[QBB_CF + 2 * k], z, prec);
    }
    arb_one(b[QBB_ONE]);
    for (int j = 0; j < 3; j++) {
        plant_box_get(b[QBB_U + j], x + 2 * (3 + j));
        plant_box_get(b[QBB_P + j], x + 2 * (9 + j));
    }
    arb_div(b[QBB_TT], b[QBB_ST], b[QBB_CT], prec);
    arb_mul(b[QBB_A], b[QBB_SF], b[QBB_Q], prec); /* a = sf q + cf r */
    arb_addmul(b[QBB_A], b[QBB_CF], b[QBB_R], prec);
    arb_mul(b[QBB_APHI], b[QBB_CF], b[QBB_Q], prec); /* cf q - sf r */
    arb_submul(b[QBB_APHI], b[QBB_SF], b[QBB_R], prec);
    plant_box_sqr(b[QBB_CT2], b[QBB_CT], prec);
    if (fb) {
        double Jx = p[QB_JX], Jy = p[QB_JY], Jz = p[QB_JZ];
        /* the inertia ratios (Jy - Jz)/Jx, (Jz - Jx)/Jy, (Jx - Jy)/Jz and
         * the rate pairs (q r, p r, p q) they multiply */
        const double jn[3][3] = {{Jy, Jz, Jx}, {Jz, Jx, Jy}, {Jx, Jy, Jz}};
        const int pair[3][2] = {{QBB_Q, QBB_R}, {QBB_P, QBB_R}, {QBB_P, QBB_Q}};
        for (int i = 0; i < 3; i++) {
            arb_zero(z);
            for (int j = 0; j < 3; j++) {
                plant_box_prod_sum(y, quad_beard_pos[0][i][j], 2, B, b[QBB_X], prec);
                arb_addmul(z, y, b[QBB_U + j], prec);
            }
            rc |= plant_box_put(z, fb + 2 * i);
        }
        /* u' = r v - q w - g st */
        arb_mul(z, b[QBB_R], b[QBB_V], prec);
        arb_submul(z, b[QBB_Q], b[QBB_W], prec);
        plant_arb_mul_d(y, b[QBB_ST], p[QB_G], prec);
        arb_sub(z, z, y, prec);
        rc |= plant_box_put(z, fb + 6);
        /* v' = p w - r u + g ct sf */
        arb_mul(z, b[QBB_P], b[QBB_W], prec);
        arb_submul(z, b[QBB_R], b[QBB_U], prec);
        arb_mul(y, b[QBB_CT], b[QBB_SF], prec);
        plant_arb_addmul_d(z, y, p[QB_G], prec);
        rc |= plant_box_put(z, fb + 8);
        /* w' = q u - p v + g ct cf - F, F = g + u1/m */
        arb_mul(z, b[QBB_Q], b[QBB_U], prec);
        arb_submul(z, b[QBB_P], b[QBB_V], prec);
        arb_mul(y, b[QBB_CT], b[QBB_CF], prec);
        plant_arb_addmul_d(z, y, p[QB_G], prec);
        plant_box_get(y, u1);
        plant_arb_div_d(y, y, p[QB_M], prec);
        plant_arb_add_d(y, y, p[QB_G], prec);
        arb_sub(z, z, y, prec);
        rc |= plant_box_put(z, fb + 10);
        /* phi' = p + a st / ct */
        arb_mul(z, b[QBB_A], b[QBB_ST], prec);
        arb_div(z, z, b[QBB_CT], prec);
        arb_add(z, z, b[QBB_P], prec);
        rc |= plant_box_put(z, fb + 12);
        rc |= plant_box_put(b[QBB_APHI], fb + 14); /* theta' = cf q - sf r */
        arb_div(z, b[QBB_A], b[QBB_CT], prec);     /* psi' = a / ct */
        rc |= plant_box_put(z, fb + 16);
        /* rates: (J1 - J2)/J3 (pair) + tau / J3 */
        for (int i = 0; i < 3; i++) {
            arb_set_d(z, jn[i][0]);
            plant_arb_sub_d(z, z, jn[i][1], prec);
            plant_arb_div_d(z, z, jn[i][2], prec);
            arb_mul(z, z, b[pair[i][0]], prec);
            arb_mul(z, z, b[pair[i][1]], prec);
            plant_box_get(y, tau + 2 * i);
            plant_arb_div_d(y, y, jn[i][2], prec);
            arb_add(z, z, y, prec);
            rc |= plant_box_put(z, fb + 2 * (9 + i));
        }
    }
    if (dfdx) {
        double Jx = p[QB_JX], Jy = p[QB_JY], Jz = p[QB_JZ];
        double *J = dfdx;
        /* entry (i, j) of the 12 x 12 from a ball, or from minus a ball */
#define QPUT(i, j, v) (rc |= plant_box_put((v), J + 2 * ((i)*QB_NX + (j))))
#define QNEG(i, j, v) (arb_neg(z, (v)), rc |= plant_box_put(z, J + 2 * ((i)*QB_NX + (j))))
        for (int i = 0; i < 2 * QB_NX * QB_NX; i++)
            J[i] = 0.0;
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                plant_box_prod_sum(z, quad_beard_pos[0][i][j], 2, B, b[QBB_X], prec);
                QPUT(i, 3 + j, z);
            }
            for (int k = 0; k < 3; k++) {
                arb_zero(z);
                for (int j = 0; j < 3; j++) {
                    plant_box_prod_sum(y, quad_beard_pos[1 + k][i][j], 2, B, b[QBB_X], prec);
                    arb_addmul(z, y, b[QBB_U + j], prec);
                }
                QPUT(i, 6 + k, z);
            }
        }
        /* u' */
        QPUT(3, 4, b[QBB_R]);
        QNEG(3, 5, b[QBB_Q]);
        plant_arb_mul_d(z, b[QBB_CT], -p[QB_G], prec);
        QPUT(3, 7, z);
        QNEG(3, 10, b[QBB_W]);
        QPUT(3, 11, b[QBB_V]);
        /* v' */
        QNEG(4, 3, b[QBB_R]);
        QPUT(4, 5, b[QBB_P]);
        arb_mul(z, b[QBB_CT], b[QBB_CF], prec);
        plant_arb_mul_d(z, z, p[QB_G], prec);
        QPUT(4, 6, z);
        arb_mul(z, b[QBB_ST], b[QBB_SF], prec);
        plant_arb_mul_d(z, z, -p[QB_G], prec);
        QPUT(4, 7, z);
        QPUT(4, 9, b[QBB_W]);
        QNEG(4, 11, b[QBB_U]);
        /* w' */
        QPUT(5, 3, b[QBB_Q]);
        QNEG(5, 4, b[QBB_P]);
        arb_mul(z, b[QBB_CT], b[QBB_SF], prec);
        plant_arb_mul_d(z, z, -p[QB_G], prec);
        QPUT(5, 6, z);
        arb_mul(z, b[QBB_ST], b[QBB_CF], prec);
        plant_arb_mul_d(z, z, -p[QB_G], prec);
        QPUT(5, 7, z);
        QNEG(5, 9, b[QBB_V]);
        QPUT(5, 10, b[QBB_U]);
        /* phi' */
        arb_mul(z, b[QBB_APHI], b[QBB_TT], prec);
        QPUT(6, 6, z);
        arb_div(z, b[QBB_A], b[QBB_CT2], prec);
        QPUT(6, 7, z);
        J[2 * (6 * QB_NX + 9)] = J[2 * (6 * QB_NX + 9) + 1] = 1.0;
        arb_mul(z, b[QBB_SF], b[QBB_TT], prec);
        QPUT(6, 10, z);
        arb_mul(z, b[QBB_CF], b[QBB_TT], prec);
        QPUT(6, 11, z);
        /* theta' */
        arb_mul(z, b[QBB_SF], b[QBB_Q], prec); /* -sf q - cf r */
        arb_addmul(z, b[QBB_CF], b[QBB_R], prec);
        QNEG(7, 6, z);
        QPUT(7, 10, b[QBB_CF]);
        QNEG(7, 11, b[QBB_SF]);
        /* psi' */
        arb_div(z, b[QBB_APHI], b[QBB_CT], prec);
        QPUT(8, 6, z);
        arb_mul(z, b[QBB_A], b[QBB_ST], prec);
        arb_div(z, z, b[QBB_CT2], prec);
        QPUT(8, 7, z);
        arb_div(z, b[QBB_SF], b[QBB_CT], prec);
        QPUT(8, 10, z);
        arb_div(z, b[QBB_CF], b[QBB_CT], prec);
        QPUT(8, 11, z);
        /* body rates: (J1 - J2)/J3 times one rate */
        {
            const double jn[3][3] = {{Jy, Jz, Jx}, {Jz, Jx, Jy}, {Jx, Jy, Jz}};
            /* row 9 + i: columns and the rate each multiplies */
            const int cols[3][2][2] = {{{10, QBB_R}, {11, QBB_Q}},
                                       {{9, QBB_R}, {11, QBB_P}},
                                       {{9, QBB_Q}, {10, QBB_P}}};
            for (int i = 0; i < 3; i++) {
                arb_set_d(y, jn[i][0]);
                plant_arb_sub_d(y, y, jn[i][1], prec);
                plant_arb_div_d(y, y, jn[i][2], prec);
                for (int c = 0; c < 2; c++) {
                    arb_mul(z, y, b[cols[i][c][1]], prec);
                    QPUT(9 + i, cols[i][c][0], z);
                }
            }
        }
#undef QPUT
#undef QNEG
    }
    for (int i = 0; i < QBB_NV; i++)
        arb_clear(b[i]);
    arb_clear(z), arb_clear(y);
    return rc ? PB_EDIVERGED : PB_SUCCESS;
}

/* dfdu (nx x nu intervals) of the Beard form with inputs u1 and the first
 * nu - 1 torques (the quadrotor's three, the ARCH QUAD's roll and pitch):
 * -1/m in w' and 1/J in the rates, as balls rounded outward; 0 elsewhere.
 * PB_SUCCESS, or PB_EDIVERGED when an inverse is not finite. */
static inline int quad_beard_box_dfdu(const double p[], int nu, double dfdu[])
{
    const slong prec = PLANT_BOX_PREC;
    const int inertia[3] = {QB_JX, QB_JY, QB_JZ};
    arb_t v;
    int rc = PB_SUCCESS;

    for (int i = 0; i < 2 * QB_NX * nu; i++)
        dfdu[i] = 0.0;
    arb_init(v);
    arb_set_d(v, p[QB_M]); /* -1/m */
    arb_inv(v, v, prec);
    arb_neg(v, v);
    rc |= plant_box_put(v, dfdu + 2 * (5 * nu + 0));
    for (int k = 0; k + 1 < nu; k++) { /* 1/J of the rate p, q or r */
        arb_set_d(v, p[inertia[k]]);
        arb_inv(v, v, prec);
        rc |= plant_box_put(v, dfdu + 2 * ((9 + k) * nu + 1 + k));
    }
    arb_clear(v);
    return rc ? PB_EDIVERGED : PB_SUCCESS;
}
#endif

#endif
