/* plant_rk4.c: classic fixed-step RK4 without an error estimate, as a
 * gsl_odeiv2_step_type ("rk4fixed") and over SoA batches (plant_rk4.h), and
 * the vectorised sin, cos, exp of glibc's libmvec. */
#include "plant_rk4.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "quadrotor_beard.h"

/* ---- Vectorised elementary functions (libmvec, x86-64 AVX2) ---- */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#pragma GCC push_options
#pragma GCC target("avx2")
/* glibc libmvec's AVX2 variants (vector ABI names, glibc >= 2.22). */
extern __m256d _ZGVdN4v_sin(__m256d x);
extern __m256d _ZGVdN4v_cos(__m256d x);
extern __m256d _ZGVdN4v_exp(__m256d x);

#define VEC_MAP_AVX2(name, vfn, sfn)                                                               \
    static void name(size_t n, const double x[], double y[])                                      \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; i + 4 <= n; i += 4)                                                                 \
            _mm256_storeu_pd(y + i, vfn(_mm256_loadu_pd(x + i)));                                  \
        for (; i < n; i++)                                                                         \
            y[i] = sfn(x[i]);                                                                      \
    }
VEC_MAP_AVX2(vec_sin_avx2, _ZGVdN4v_sin, sin)
VEC_MAP_AVX2(vec_cos_avx2, _ZGVdN4v_cos, cos)
VEC_MAP_AVX2(vec_exp_avx2, _ZGVdN4v_exp, exp)
#undef VEC_MAP_AVX2
#pragma GCC pop_options
#define PB_HAVE_AVX2() __builtin_cpu_supports("avx2")
#else
#define PB_HAVE_AVX2() 0
#define vec_sin_avx2(n, x, y) ((void)0)
#define vec_cos_avx2(n, x, y) ((void)0)
#define vec_exp_avx2(n, x, y) ((void)0)
#endif

void plant_vec_sin(size_t n, const double x[], double y[])
{
    if (PB_HAVE_AVX2()) {
        vec_sin_avx2(n, x, y);
        return;
    }
    for (size_t i = 0; i < n; i++)
        y[i] = sin(x[i]);
}

void plant_vec_cos(size_t n, const double x[], double y[])
{
    if (PB_HAVE_AVX2()) {
        vec_cos_avx2(n, x, y);
        return;
    }
    for (size_t i = 0; i < n; i++)
        y[i] = cos(x[i]);
}

void plant_vec_exp(size_t n, const double x[], double y[])
{
    if (PB_HAVE_AVX2()) {
        vec_exp_avx2(n, x, y);
        return;
    }
    for (size_t i = 0; i < n; i++)
        y[i] = exp(x[i]);
}

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

/* quadrotor_arch (quadrotor_beard.h, Beard 2008 eqs. 16-19, yaw torque 0),
 * term for term as quad_beard_f so that both round alike; sines and cosines
 * through libmvec, the rest in loops the compiler vectorises. */
static void rhs_quadrotor_arch(const plant *m, double t, size_t n, size_t ld, const double X[],
                               const double U[], double dX[], double w[])
{
    const double *p = m->p;
    double g = p[QB_G], mass = p[QB_M], Jx = p[QB_JX], Jy = p[QB_JY], Jz = p[QB_JZ];
    double *SF = w, *CF = w + ld, *ST = w + 2 * ld, *CT = w + 3 * ld, *SPS = w + 4 * ld,
           *CPS = w + 5 * ld;
    (void)t;
    plant_vec_sin(n, X + 6 * ld, SF);
    plant_vec_cos(n, X + 6 * ld, CF);
    plant_vec_sin(n, X + 7 * ld, ST);
    plant_vec_cos(n, X + 7 * ld, CT);
    plant_vec_sin(n, X + 8 * ld, SPS);
    plant_vec_cos(n, X + 8 * ld, CPS);
    {
        const double *restrict xu = X + 3 * ld, *restrict xv = X + 4 * ld, *restrict xw = X + 5 * ld;
        const double *restrict xp = X + 9 * ld, *restrict xq = X + 10 * ld,
                               *restrict xr = X + 11 * ld;
        const double *restrict u1 = U, *restrict t0 = U + ld, *restrict t1 = U + 2 * ld;
        double *restrict d0 = dX, *restrict d1 = dX + ld, *restrict d2 = dX + 2 * ld,
                         *restrict d3 = dX + 3 * ld, *restrict d4 = dX + 4 * ld,
                         *restrict d5 = dX + 5 * ld, *restrict d6 = dX + 6 * ld,
                         *restrict d7 = dX + 7 * ld, *restrict d8 = dX + 8 * ld,
                         *restrict d9 = dX + 9 * ld, *restrict d10 = dX + 10 * ld,
                         *restrict d11 = dX + 11 * ld;
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

void plant_rk4_batch_apply(const plant *m, plant_batch_rhs f, size_t n, size_t ld, double t,
                           double h, double X[], const double U[], double w[])
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
