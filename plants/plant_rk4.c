/* plant_rk4.c: classic fixed-step RK4 without an error estimate, as a
 * gsl_odeiv2_step_type ("rk4fixed") and over SoA batches (plant_rk4.h), and
 * batched right-hand sides over common/pb_vec.h's vectorised sin and cos. */
#include "plant_rk4.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "pb_vec.h"
#include "quadrotor_beard.h"

/* Loops over a batch: compiled for AVX-512, AVX2 and the baseline, the
 * variant chosen at load time (GCC target_clones); IEEE arithmetic without
 * contraction (C11 mode: -ffp-contract=off) rounds alike in every variant. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PB_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define PB_SIMD_CLONES2 __attribute__((target_clones("avx2", "default")))
#else
#define PB_SIMD_CLONES
#define PB_SIMD_CLONES2
#endif

/* ---- The GSL step type ---- */

typedef struct rk4f_state {
    double *k, *acc, *ytmp, *y0; /* [dim] each */
} rk4f_state;

static void *rk4f_alloc(size_t dim)
{
    rk4f_state *s = malloc(sizeof *s);
    if (!s)
        return NULL;
    s->k = calloc(4 * dim, sizeof *s->k);
    if (!s->k) {
        free(s);
        return NULL;
    }
    s->acc = s->k + dim;
    s->ytmp = s->acc + dim;
    s->y0 = s->ytmp + dim;
    return s;
}

/* One step; y is unchanged when f fails (GSL's convention), and dydt_out,
 * when asked for, is f at the new state (one more evaluation, as GSL's rk4). */
static int rk4f_apply(void *vstate, size_t dim, double t, double h, double y[], double yerr[],
                      const double dydt_in[], double dydt_out[], const gsl_odeiv2_system *sys)
{
    rk4f_state *s = vstate;
    double *k = s->k, *acc = s->acc, *ytmp = s->ytmp;
    size_t i;
    int rc;

    if (dydt_in)
        memcpy(k, dydt_in, dim * sizeof *k);
    else if ((rc = GSL_ODEIV_FN_EVAL(sys, t, y, k)) != GSL_SUCCESS)
        return rc;
    for (i = 0; i < dim; i++) {
        acc[i] = k[i];
        ytmp[i] = y[i] + 0.5 * h * k[i];
    }
    if ((rc = GSL_ODEIV_FN_EVAL(sys, t + 0.5 * h, ytmp, k)) != GSL_SUCCESS)
        return rc;
    for (i = 0; i < dim; i++) {
        acc[i] = acc[i] + 2.0 * k[i];
        ytmp[i] = y[i] + 0.5 * h * k[i];
    }
    if ((rc = GSL_ODEIV_FN_EVAL(sys, t + 0.5 * h, ytmp, k)) != GSL_SUCCESS)
        return rc;
    for (i = 0; i < dim; i++) {
        acc[i] = acc[i] + 2.0 * k[i];
        ytmp[i] = y[i] + h * k[i];
    }
    if ((rc = GSL_ODEIV_FN_EVAL(sys, t + h, ytmp, k)) != GSL_SUCCESS)
        return rc;
    memcpy(s->y0, y, dim * sizeof *y);
    for (i = 0; i < dim; i++) {
        acc[i] = acc[i] + k[i];
        y[i] = y[i] + (h / 6.0) * acc[i];
        yerr[i] = 0.0;
    }
    if (dydt_out && (rc = GSL_ODEIV_FN_EVAL(sys, t + h, y, dydt_out)) != GSL_SUCCESS) {
        memcpy(y, s->y0, dim * sizeof *y);
        return rc;
    }
    return GSL_SUCCESS;
}

/* GSL calls set_driver unconditionally; a fixed step needs no driver. */
static int rk4f_set_driver(void *vstate, const gsl_odeiv2_driver *d)
{
    (void)vstate;
    (void)d;
    return GSL_SUCCESS;
}

static int rk4f_reset(void *vstate, size_t dim)
{
    rk4f_state *s = vstate;
    memset(s->k, 0, 4 * dim * sizeof *s->k);
    return GSL_SUCCESS;
}

static unsigned int rk4f_order(void *vstate)
{
    (void)vstate;
    return 4;
}

static void rk4f_free(void *vstate)
{
    rk4f_state *s = vstate;
    free(s->k);
    free(s);
}

static const gsl_odeiv2_step_type rk4f_type = {
    "rk4fixed", 1 /* can use dydt_in */, 1 /* gives exact dydt_out */,
    rk4f_alloc, rk4f_apply, rk4f_set_driver,
    rk4f_reset, rk4f_order, rk4f_free};

const gsl_odeiv2_step_type *plant_rk4_fixed = &rk4f_type;

/* ---- Batched right-hand sides ---- */

extern const plant_type plant_quadrotor_arch;

/* Any type: m->type->f state by state (gather, evaluate, scatter). */
static void rhs_generic(const plant *m, double t, size_t n, size_t ld, const double X[],
                        const double U[], double dX[], double w[])
{
    const plant_type *T = m->type;
    double *x = w, *u = w + PLANT_NX_MAX, *dx = u + PLANT_NU_MAX;
    for (size_t s = 0; s < n; s++) {
        for (size_t i = 0; i < T->nx; i++)
            x[i] = X[i * ld + s];
        for (size_t j = 0; j < T->nu; j++)
            u[j] = U[j * ld + s];
        if (T->f(t, x, u, m->p, dx) != PB_SUCCESS)
            for (size_t i = 0; i < T->nx; i++)
                dx[i] = NAN; /* the caller's state check sees the divergence */
        for (size_t i = 0; i < T->nx; i++)
            dX[i * ld + s] = dx[i];
    }
}

/* The arithmetic of quadrotor_arch's right-hand side over n states, term for
 * term as quad_beard_f (quadrotor_beard.h, Beard 2008 eqs. 16-19, yaw torque
 * 0) so that both round alike.  Every array a parameter of its own: GCC 12
 * does not vectorise the loop when the arrays are offsets of one pointer. */
PB_SIMD_CLONES2 __attribute__((noinline)) static void
quad_kernel(size_t n, const double *restrict SF, const double *restrict CF,
            const double *restrict ST, const double *restrict CT, const double *restrict SPS,
            const double *restrict CPS, const double *restrict xu, const double *restrict xv,
            const double *restrict xw, const double *restrict xp, const double *restrict xq,
            const double *restrict xr, const double *restrict u1, const double *restrict t0,
            const double *restrict t1, double *restrict d0, double *restrict d1,
            double *restrict d2, double *restrict d3, double *restrict d4, double *restrict d5,
            double *restrict d6, double *restrict d7, double *restrict d8, double *restrict d9,
            double *restrict d10, double *restrict d11, const double p[])
{
    double g = p[QB_G], mass = p[QB_M], Jx = p[QB_JX], Jy = p[QB_JY], Jz = p[QB_JZ];
    for (size_t s = 0; s < n; s++) {
        double sf = SF[s], cf = CF[s], st = ST[s], ct = CT[s], sps = SPS[s], cps = CPS[s];
        double u = xu[s], v = xv[s], ww = xw[s], pr = xp[s], qr = xq[s], rr = xr[s];
        double F = g + u1[s] / mass;
        d0[s] = ct * cps * u + (sf * st * cps - cf * sps) * v + (cf * st * cps + sf * sps) * ww;
        d1[s] = ct * sps * u + (sf * st * sps + cf * cps) * v + (cf * st * sps - sf * cps) * ww;
        d2[s] = st * u - sf * ct * v - cf * ct * ww;
        d3[s] = rr * v - qr * ww - g * st;
        d4[s] = pr * ww - rr * u + g * ct * sf;
        d5[s] = qr * u - pr * v + g * ct * cf - F;
        d6[s] = pr + (sf * qr + cf * rr) * st / ct;
        d7[s] = cf * qr - sf * rr;
        d8[s] = (sf * qr + cf * rr) / ct;
        d9[s] = (Jy - Jz) / Jx * qr * rr + t0[s] / Jx;
        d10[s] = (Jz - Jx) / Jy * pr * rr + t1[s] / Jy;
        d11[s] = (Jx - Jy) / Jz * pr * qr + 0.0 / Jz;
    }
}

/* quadrotor_arch: sines and cosines through libmvec, the rest in quad_kernel. */
static void rhs_quadrotor_arch(const plant *m, double t, size_t n, size_t ld, const double X[],
                               const double U[], double dX[], double w[])
{
    const double *x = X;
    double *d = dX;
    (void)t;
    pb_vec_sin(n, X + 6 * ld, w);
    pb_vec_cos(n, X + 6 * ld, w + ld);
    pb_vec_sin(n, X + 7 * ld, w + 2 * ld);
    pb_vec_cos(n, X + 7 * ld, w + 3 * ld);
    pb_vec_sin(n, X + 8 * ld, w + 4 * ld);
    pb_vec_cos(n, X + 8 * ld, w + 5 * ld);
    quad_kernel(n, w, w + ld, w + 2 * ld, w + 3 * ld, w + 4 * ld, w + 5 * ld, x + 3 * ld,
                x + 4 * ld, x + 5 * ld, x + 9 * ld, x + 10 * ld, x + 11 * ld, U, U + ld, U + 2 * ld,
                d, d + ld, d + 2 * ld, d + 3 * ld, d + 4 * ld, d + 5 * ld, d + 6 * ld, d + 7 * ld,
                d + 8 * ld, d + 9 * ld, d + 10 * ld, d + 11 * ld, m->p);
    (void)quad_beard_states;
}

plant_batch_rhs plant_rk4_batch_rhs(const plant *m)
{
    if (m->type == &plant_quadrotor_arch)
        return rhs_quadrotor_arch;
    return rhs_generic;
}

size_t plant_rk4_batch_work_size(size_t ld)
{
    return (3 * PLANT_NX_MAX + PLANT_RK4_RHS_WORK) * ld;
}

PB_SIMD_CLONES void plant_rk4_batch_apply(const plant *m, plant_batch_rhs f, size_t n, size_t ld,
                                          double t, double h, double X[], const double U[],
                                          double w[])
{
    size_t nx = m->type->nx;
    double *K = w, *ACC = K + PLANT_NX_MAX * ld, *YT = ACC + PLANT_NX_MAX * ld,
           *fw = YT + PLANT_NX_MAX * ld;
    double hh = 0.5 * h, h6 = h / 6.0;

    /* Same operations as rk4f_apply, component row by component row. */
    f(m, t, n, ld, X, U, K, fw);
    for (size_t i = 0; i < nx; i++) {
        const double *restrict y = X + i * ld, *restrict k = K + i * ld;
        double *restrict acc = ACC + i * ld, *restrict yt = YT + i * ld;
        for (size_t s = 0; s < n; s++) {
            acc[s] = k[s];
            yt[s] = y[s] + hh * k[s];
        }
    }
    f(m, t + hh, n, ld, YT, U, K, fw);
    for (size_t i = 0; i < nx; i++) {
        const double *restrict y = X + i * ld, *restrict k = K + i * ld;
        double *restrict acc = ACC + i * ld, *restrict yt = YT + i * ld;
        for (size_t s = 0; s < n; s++) {
            acc[s] = acc[s] + 2.0 * k[s];
            yt[s] = y[s] + hh * k[s];
        }
    }
    f(m, t + hh, n, ld, YT, U, K, fw);
    for (size_t i = 0; i < nx; i++) {
        const double *restrict y = X + i * ld, *restrict k = K + i * ld;
        double *restrict acc = ACC + i * ld, *restrict yt = YT + i * ld;
        for (size_t s = 0; s < n; s++) {
            acc[s] = acc[s] + 2.0 * k[s];
            yt[s] = y[s] + h * k[s];
        }
    }
    f(m, t + h, n, ld, YT, U, K, fw);
    for (size_t i = 0; i < nx; i++) {
        double *restrict y = X + i * ld;
        const double *restrict k = K + i * ld, *restrict acc = ACC + i * ld;
        for (size_t s = 0; s < n; s++)
            y[s] = y[s] + h6 * (acc[s] + k[s]);
    }
}
