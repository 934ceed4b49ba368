/* plant_rk4.c: classic fixed-step RK4 without an error estimate, as a
 * gsl_odeiv2_step_type ("rk4fixed") and over SoA batches (plant_rk4.h), and
 * the batched right-hand side of any type (the type's f_batch, or f state by
 * state). */
#include "plant_rk4.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "pb_simd.h"

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

/* Any type without f_batch: t->f state by state (gather, evaluate, scatter)
 * with x, dxdt, u and p of one state in w. */
static void batch_eval_generic(const plant_type *t, double time, size_t n, size_t ld,
                               const double X[], const double U[], const double P[], double dX[],
                               double w[])
{
    double *x = w, *dx = x + t->nx, *u = dx + t->nx, *p = u + t->nu;
    for (size_t s = 0; s < n; s++) {
        for (size_t i = 0; i < t->nx; i++)
            x[i] = X[i * ld + s];
        for (size_t j = 0; j < t->nu; j++)
            u[j] = U[j * ld + s];
        for (size_t q = 0; q < t->np; q++)
            p[q] = P[q * ld + s];
        if (plant_type_f(t, time, x, u, p, dx) != PB_SUCCESS)
            for (size_t i = 0; i < t->nx; i++)
                dx[i] = NAN; /* the caller's state check sees the divergence */
        for (size_t i = 0; i < t->nx; i++)
            dX[i * ld + s] = dx[i];
    }
}

void plant_batch_eval(const plant_type *t, double time, size_t n, size_t ld, const double X[],
                      const double U[], const double P[], double dX[], double w[])
{
    if (t->f_batch_d)
        t->f_batch_d(t->data, time, n, ld, X, U, P, dX, w);
    else if (t->f_batch)
        t->f_batch(time, n, ld, X, U, P, dX, w);
    else
        batch_eval_generic(t, time, n, ld, X, U, P, dX, w);
}

/* ---- The batched step ---- */

size_t plant_rk4_batch_work_size(size_t ld)
{
    return (3 * PLANT_NX_MAX + PLANT_BATCH_WORK) * ld;
}

PB_SIMD_CLONES void plant_rk4_batch_apply(const plant_type *t, size_t n, size_t ld, double time,
                                          double h, double X[], const double U[], const double P[],
                                          double w[])
{
    size_t nx = t->nx;
    double *K = w, *ACC = K + PLANT_NX_MAX * ld, *YT = ACC + PLANT_NX_MAX * ld,
           *fw = YT + PLANT_NX_MAX * ld;
    double hh = 0.5 * h, h6 = h / 6.0;

    /* Same operations as rk4f_apply, component row by component row. */
    plant_batch_eval(t, time, n, ld, X, U, P, K, fw);
    for (size_t i = 0; i < nx; i++) {
        const double *restrict y = X + i * ld, *restrict k = K + i * ld;
        double *restrict acc = ACC + i * ld, *restrict yt = YT + i * ld;
        for (size_t s = 0; s < n; s++) {
            acc[s] = k[s];
            yt[s] = y[s] + hh * k[s];
        }
    }
    plant_batch_eval(t, time + hh, n, ld, YT, U, P, K, fw);
    for (size_t i = 0; i < nx; i++) {
        const double *restrict y = X + i * ld, *restrict k = K + i * ld;
        double *restrict acc = ACC + i * ld, *restrict yt = YT + i * ld;
        for (size_t s = 0; s < n; s++) {
            acc[s] = acc[s] + 2.0 * k[s];
            yt[s] = y[s] + hh * k[s];
        }
    }
    plant_batch_eval(t, time + hh, n, ld, YT, U, P, K, fw);
    for (size_t i = 0; i < nx; i++) {
        const double *restrict y = X + i * ld, *restrict k = K + i * ld;
        double *restrict acc = ACC + i * ld, *restrict yt = YT + i * ld;
        for (size_t s = 0; s < n; s++) {
            acc[s] = acc[s] + 2.0 * k[s];
            yt[s] = y[s] + h * k[s];
        }
    }
    plant_batch_eval(t, time + h, n, ld, YT, U, P, K, fw);
    for (size_t i = 0; i < nx; i++) {
        double *restrict y = X + i * ld;
        const double *restrict k = K + i * ld, *restrict acc = ACC + i * ld;
        for (size_t s = 0; s < n; s++)
            y[s] = y[s] + h6 * (acc[s] + k[s]);
    }
}
