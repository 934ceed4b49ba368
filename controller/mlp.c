/* mlp.c: the MLP, its activations and its forward passes (one state, a batch
 * of rows, a batch of lanes), all through the one dense-layer kernel of
 * mlp_kernel.h, so that every pass of a state gives the same bits. */
#include "mlp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gsl/gsl_cblas.h>

#include "mlp_kernel.h"
#include "pb_mem.h"
#include "pb_simd.h"
#include "pb_vec.h"

static const char *const act_names[MLP_ACT_COUNT] = {"linear", "relu",    "leaky_relu",
                                                     "tanh",   "sigmoid", "hardtanh"};

const char *mlp_act_name(mlp_act a)
{
    return (unsigned)a < MLP_ACT_COUNT ? act_names[a] : NULL;
}

int mlp_act_parse(const char *name, mlp_act *a)
{
    /* case-insensitive: "Tanh" and "ReLU" as other tools write them */
    for (int i = 0; i < MLP_ACT_COUNT; i++)
        if (strcasecmp(name, act_names[i]) == 0) {
            *a = (mlp_act)i;
            return PB_SUCCESS;
        }
    return PB_EINVAL;
}

double mlp_act_lipschitz(mlp_act a, double alpha)
{
    switch (a) {
    case MLP_ACT_SIGMOID:
        return 0.25; /* max of s(1 - s) */
    case MLP_ACT_LEAKY_RELU:
        return fmax(1.0, fabs(alpha));
    default:
        return 1.0;
    }
}

double mlp_act_at_zero(mlp_act a, double alpha)
{
    (void)alpha;
    return a == MLP_ACT_SIGMOID ? 0.5 : 0.0;
}

PB_SIMD_CLONES void mlp_act_apply(mlp_act a, double alpha, size_t n, double z[])
{
    size_t i;
    switch (a) {
    case MLP_ACT_LINEAR:
        break;
    case MLP_ACT_RELU:
        for (i = 0; i < n; i++)
            z[i] = z[i] > 0.0 ? z[i] : 0.0;
        break;
    case MLP_ACT_LEAKY_RELU:
        for (i = 0; i < n; i++)
            z[i] = z[i] > 0.0 ? z[i] : alpha * z[i];
        break;
    case MLP_ACT_TANH:
        pb_vec_tanh(n, z, z);
        break;
    case MLP_ACT_SIGMOID: /* 1 / (1 + exp(-z)), the negation exact */
        for (i = 0; i < n; i++)
            z[i] = -z[i];
        pb_vec_exp(n, z, z);
        for (i = 0; i < n; i++)
            z[i] = 1.0 / (1.0 + z[i]);
        break;
    case MLP_ACT_HARDTANH:
        for (i = 0; i < n; i++)
            z[i] = z[i] < -1.0 ? -1.0 : (z[i] > 1.0 ? 1.0 : z[i]);
        break;
    default:
        break;
    }
}

mlp *mlp_alloc(size_t n_layers, const size_t sizes[], const mlp_act acts[], pb_error *err)
{
    mlp *m;

    if (n_layers == 0)
        return pb_error_set(err, PB_EINVAL, "a network needs at least one layer"), NULL;
    for (size_t j = 0; j <= n_layers; j++)
        if (sizes[j] == 0)
            return pb_error_set(err, PB_EINVAL, "layer size %zu is zero", j), NULL;
    m = calloc(1, sizeof *m);
    if (!m)
        goto nomem;
    m->layers = calloc(n_layers, sizeof *m->layers);
    if (!m->layers)
        goto free_m;
    m->n_layers = n_layers;
    m->n_in = sizes[0];
    m->n_out = sizes[n_layers];
    m->max_width = sizes[0];
    for (size_t j = 0; j < n_layers; j++) {
        mlp_layer *l = &m->layers[j];
        l->n_in = sizes[j];
        l->n_out = sizes[j + 1];
        l->act = acts ? acts[j] : MLP_ACT_LINEAR;
        l->alpha = 0.01;
        l->dW_norm = NAN;
        l->recon_err = NAN;
        l->W = pb_calloc_large(l->n_in * l->n_out, sizeof *l->W);
        l->b = calloc(l->n_out, sizeof *l->b);
        if (!l->W || !l->b)
            goto free_m;
        if (l->n_out > m->max_width)
            m->max_width = l->n_out;
    }
    return m;
free_m:
    mlp_free(m);
nomem:
    pb_error_set(err, PB_ENOMEM, "out of memory allocating a network");
    return NULL;
}

void mlp_free(mlp *m)
{
    if (!m)
        return;
    for (size_t j = 0; m->layers && j < m->n_layers; j++) {
        free(m->layers[j].W);
        free(m->layers[j].b);
        free(m->layers[j].mask);
    }
    free(m->layers);
    free(m->in_offset);
    free(m->in_scale);
    free(m->out_offset);
    free(m->out_scale);
    free(m->out_low);
    free(m->out_high);
    free(m);
}

/* A heap copy of n doubles, or NULL (src NULL gives NULL and *ok unchanged). */
static void *dup_array(const void *src, size_t bytes, int *ok)
{
    void *p;
    if (!src)
        return NULL;
    p = malloc(bytes ? bytes : 1);
    if (!p) {
        *ok = 0;
        return NULL;
    }
    memcpy(p, src, bytes);
    return p;
}

mlp *mlp_clone(const mlp *m, pb_error *err)
{
    size_t sizes[m->n_layers + 1];
    mlp_act acts[m->n_layers];
    mlp *c;
    int ok = 1;

    sizes[0] = m->n_in;
    for (size_t j = 0; j < m->n_layers; j++) {
        sizes[j + 1] = m->layers[j].n_out;
        acts[j] = m->layers[j].act;
    }
    c = mlp_alloc(m->n_layers, sizes, acts, err);
    if (!c)
        return NULL;
    for (size_t j = 0; j < m->n_layers; j++) {
        const mlp_layer *s = &m->layers[j];
        mlp_layer *d = &c->layers[j];
        memcpy(d->W, s->W, s->n_in * s->n_out * sizeof *d->W);
        memcpy(d->b, s->b, s->n_out * sizeof *d->b);
        d->mask = dup_array(s->mask, s->n_in * s->n_out, &ok);
        d->alpha = s->alpha;
        d->dW_norm = s->dW_norm;
        d->recon_err = s->recon_err;
    }
    c->in_offset = dup_array(m->in_offset, m->n_in * sizeof(double), &ok);
    c->in_scale = dup_array(m->in_scale, m->n_in * sizeof(double), &ok);
    c->out_offset = dup_array(m->out_offset, m->n_out * sizeof(double), &ok);
    c->out_scale = dup_array(m->out_scale, m->n_out * sizeof(double), &ok);
    c->out_low = dup_array(m->out_low, m->n_out * sizeof(double), &ok);
    c->out_high = dup_array(m->out_high, m->n_out * sizeof(double), &ok);
    c->prov = m->prov;
    if (!ok) {
        mlp_free(c);
        pb_error_set(err, PB_ENOMEM, "out of memory copying a network");
        return NULL;
    }
    return c;
}

/* n doubles set to v, or NULL. */
static double *filled(size_t n, double v)
{
    double *p = malloc(n * sizeof *p);
    if (p)
        for (size_t i = 0; i < n; i++)
            p[i] = v;
    return p;
}

int mlp_add_input_map(mlp *m, pb_error *err)
{
    if (!m->in_offset)
        m->in_offset = filled(m->n_in, 0.0);
    if (!m->in_scale)
        m->in_scale = filled(m->n_in, 1.0);
    if (!m->in_offset || !m->in_scale)
        return pb_error_set(err, PB_ENOMEM, "out of memory adding an input map");
    return PB_SUCCESS;
}

int mlp_add_output_map(mlp *m, pb_error *err)
{
    if (!m->out_offset)
        m->out_offset = filled(m->n_out, 0.0);
    if (!m->out_scale)
        m->out_scale = filled(m->n_out, 1.0);
    if (!m->out_low)
        m->out_low = filled(m->n_out, -INFINITY);
    if (!m->out_high)
        m->out_high = filled(m->n_out, INFINITY);
    if (!m->out_offset || !m->out_scale || !m->out_low || !m->out_high)
        return pb_error_set(err, PB_ENOMEM, "out of memory adding an output map");
    return PB_SUCCESS;
}

/* First non-finite entry of a, or -1. */
static long first_nonfinite(const double *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++)
        if (!isfinite(a[i]))
            return (long)i;
    return -1;
}

int mlp_validate(const mlp *m, pb_error *err)
{
    long bad;

    if (m->n_layers == 0 || !m->layers)
        return pb_error_set(err, PB_EINVAL, "network has no layers");
    for (size_t j = 0; j < m->n_layers; j++) {
        const mlp_layer *l = &m->layers[j];
        size_t want_in = j == 0 ? m->n_in : m->layers[j - 1].n_out;
        if (l->n_in != want_in)
            return pb_error_set(err, PB_EINVAL,
                                "layer %zu takes %zu inputs but the previous layer gives %zu",
                                j + 1, l->n_in, want_in);
        if ((unsigned)l->act >= MLP_ACT_COUNT)
            return pb_error_set(err, PB_EINVAL, "layer %zu has an unknown activation", j + 1);
        if (l->act == MLP_ACT_LEAKY_RELU && !(l->alpha >= 0.0 && l->alpha <= 1.0))
            return pb_error_set(err, PB_EINVAL, "layer %zu: leaky_relu alpha %g is not in [0, 1]",
                                j + 1, l->alpha);
        if ((bad = first_nonfinite(l->W, l->n_in * l->n_out)) >= 0)
            return pb_error_set(err, PB_EINVAL, "layer %zu: W[%ld][%ld] is not finite", j + 1,
                                bad / (long)l->n_in, bad % (long)l->n_in);
        if ((bad = first_nonfinite(l->b, l->n_out)) >= 0)
            return pb_error_set(err, PB_EINVAL, "layer %zu: b[%ld] is not finite", j + 1, bad);
    }
    if (m->layers[m->n_layers - 1].n_out != m->n_out)
        return pb_error_set(err, PB_EINVAL, "output size mismatch");
    if ((bad = first_nonfinite(m->in_offset, m->n_in)) >= 0 ||
        (bad = first_nonfinite(m->in_scale, m->n_in)) >= 0)
        return pb_error_set(err, PB_EINVAL, "input map entry %ld is not finite", bad);
    if ((bad = first_nonfinite(m->out_offset, m->n_out)) >= 0 ||
        (bad = first_nonfinite(m->out_scale, m->n_out)) >= 0)
        return pb_error_set(err, PB_EINVAL, "output map entry %ld is not finite", bad);
    for (size_t i = 0; m->out_low && m->out_high && i < m->n_out; i++)
        if (isnan(m->out_low[i]) || isnan(m->out_high[i]) || m->out_low[i] > m->out_high[i])
            return pb_error_set(err, PB_EINVAL, "output limits of output %zu are not low <= high",
                                i);
    return PB_SUCCESS;
}

struct mlp_work {
    size_t batch;    /* lanes of mlp_eval_batch and mlp_eval_soa (>= 1) */
    size_t ld;       /* their stride: batch rounded up to a multiple of 8 (1 for one state) */
    size_t n_layers;
    double **h;      /* [n_layers + 1] one state: h[j] holds width_j values */
    double **hb;     /* [n_layers + 1] a batch, structure of arrays: width_j x ld; h itself
                        when batch = 1 */
    double *act;     /* max_width x batch: a layer's lanes gathered for its activation */
};

mlp_work *mlp_work_alloc(const mlp *m, size_t batch, pb_error *err)
{
    mlp_work *w;

    if (batch == 0)
        batch = 1;
    w = calloc(1, sizeof *w);
    if (!w)
        goto nomem;
    w->batch = batch;
    w->ld = batch > 1 ? (batch + 7) / 8 * 8 : 1;
    w->n_layers = m->n_layers;
    w->h = calloc(m->n_layers + 1, sizeof *w->h);
    if (!w->h)
        goto free_w;
    w->hb = batch > 1 ? calloc(m->n_layers + 1, sizeof *w->hb) : w->h;
    if (!w->hb)
        goto free_w;
    for (size_t j = 0; j <= m->n_layers; j++) {
        size_t width = j == 0 ? m->n_in : m->layers[j - 1].n_out;
        /* zeroed: whole blocks are passed to the activations, unused lanes included */
        w->h[j] = calloc(width, sizeof(double));
        if (!w->h[j] || (w->hb != w->h && !(w->hb[j] = calloc(width * w->ld, sizeof(double)))))
            goto free_w;
    }
    if (batch > 1 && !(w->act = malloc(m->max_width * batch * sizeof *w->act)))
        goto free_w;
    return w;
free_w:
    mlp_work_free(w);
nomem:
    pb_error_set(err, PB_ENOMEM, "out of memory allocating a forward-pass workspace");
    return NULL;
}

void mlp_work_free(mlp_work *w)
{
    if (!w)
        return;
    for (size_t j = 0; w->h && j <= w->n_layers; j++)
        free(w->h[j]);
    if (w->hb != w->h) {
        for (size_t j = 0; w->hb && j <= w->n_layers; j++)
            free(w->hb[j]);
        free(w->hb);
    }
    free(w->h);
    free(w->act);
    free(w);
}

const double *mlp_work_hidden(const mlp_work *w, size_t j)
{
    return j <= w->n_layers ? w->h[j] : NULL;
}

const double *mlp_work_hidden_soa(const mlp_work *w, size_t j)
{
    return j <= w->n_layers ? w->hb[j] : NULL;
}

size_t mlp_work_stride(const mlp_work *w)
{
    return w->ld;
}

void mlp_input_map(const mlp *m, const double x[], double s[])
{
    if (!m->in_offset || !m->in_scale) {
        memmove(s, x, m->n_in * sizeof *s);
        return;
    }
    for (size_t i = 0; i < m->n_in; i++)
        s[i] = (x[i] - m->in_offset[i]) * m->in_scale[i];
}

void mlp_output_map(const mlp *m, double y[])
{
    for (size_t i = 0; i < m->n_out; i++) {
        if (m->out_offset && m->out_scale)
            y[i] = (y[i] - m->out_offset[i]) * m->out_scale[i];
        if (m->out_low && y[i] < m->out_low[i])
            y[i] = m->out_low[i];
        if (m->out_high && y[i] > m->out_high[i])
            y[i] = m->out_high[i];
    }
}

double mlp_output_gain(const mlp *m)
{
    double g = 0.0;
    if (!m->out_scale)
        return 1.0;
    for (size_t i = 0; i < m->n_out; i++)
        g = fmax(g, fabs(m->out_scale[i]));
    return g;
}

/* The forward pass proper over nl lanes of stride ld from h[0] (structure of
 * arrays): z_j = W_j h_{j-1} + b_j by the kernel of mlp_kernel.h (the same
 * chain of fused multiply-adds for every lane), h_j = sigma_j(z_j). */
/* The layers of m over lanes nl of h (stride ld).  An activation runs in
 * place over the whole layer when every lane is used, row by row when the
 * lanes fill whole vectors of pb_vec.h (no padding), else over the lanes
 * gathered into act (n_out x nl), so that pb_vec pads only once; the values
 * are the same either way (pb_vec.h). */
static void forward(const mlp *m, double *const h[], size_t nl, size_t ld, double *act)
{
    for (size_t j = 0; j < m->n_layers; j++) {
        const mlp_layer *l = &m->layers[j];
        double *z = h[j + 1];
        mlp_layer_eval(l->n_out, l->n_in, l->W, l->b, nl, ld, h[j], z);
        if (l->act == MLP_ACT_LINEAR)
            continue;
        if (nl == ld) {
            mlp_act_apply(l->act, l->alpha, l->n_out * ld, z);
            continue;
        }
        if (nl % 4 == 0) {
            for (size_t r = 0; r < l->n_out; r++)
                mlp_act_apply(l->act, l->alpha, nl, z + r * ld);
            continue;
        }
        for (size_t r = 0; r < l->n_out; r++)
            memcpy(act + r * nl, z + r * ld, nl * sizeof *act);
        mlp_act_apply(l->act, l->alpha, l->n_out * nl, act);
        for (size_t r = 0; r < l->n_out; r++)
            memcpy(z + r * ld, act + r * nl, nl * sizeof *act);
    }
}

void mlp_eval_net(const mlp *m, mlp_work *w, const double s[], double y[])
{
    memcpy(w->h[0], s, m->n_in * sizeof *s);
    forward(m, w->h, 1, 1, NULL);
    memcpy(y, w->h[m->n_layers], m->n_out * sizeof *y);
}

void mlp_eval(const mlp *m, mlp_work *w, const double x[], double u[])
{
    mlp_input_map(m, x, w->h[0]);
    forward(m, w->h, 1, 1, NULL);
    memcpy(u, w->h[m->n_layers], m->n_out * sizeof *u);
    mlp_output_map(m, u);
}

void mlp_eval_soa(const mlp *m, mlp_work *w, size_t nl, const double X[], size_t ldx, double U[],
                  size_t ldu)
{
    size_t ld = w->ld, L = m->n_layers;
    double *h0 = w->hb[0], *hL = w->hb[L];

    for (size_t i = 0; i < m->n_in; i++) {
        const double *x = X + i * ldx;
        double *s = h0 + i * ld;
        if (m->in_offset && m->in_scale) {
            double o = m->in_offset[i], c = m->in_scale[i];
            for (size_t l = 0; l < nl; l++)
                s[l] = (x[l] - o) * c;
        } else {
            memcpy(s, x, nl * sizeof *s);
        }
    }
    forward(m, w->hb, nl, ld, w->act);
    for (size_t i = 0; i < m->n_out; i++) {
        const double *y = hL + i * ld;
        double *u = U + i * ldu;
        double o = m->out_offset ? m->out_offset[i] : 0.0;
        double c = m->out_scale ? m->out_scale[i] : 1.0;
        double lo = m->out_low ? m->out_low[i] : -INFINITY;
        double hi = m->out_high ? m->out_high[i] : INFINITY;
        for (size_t l = 0; l < nl; l++) {
            double v = m->out_offset && m->out_scale ? (y[l] - o) * c : y[l];
            u[l] = v < lo ? lo : (v > hi ? hi : v);
        }
    }
}

void mlp_eval_batch(const mlp *m, mlp_work *w, size_t n, const double X[], double U[])
{
    size_t ld = w->ld, L = m->n_layers;

    /* Rows to lanes (the input map as mlp_input_map), the pass, lanes to rows. */
    for (size_t r = 0; r < n; r++) {
        const double *x = X + r * m->n_in;
        for (size_t i = 0; i < m->n_in; i++)
            w->hb[0][i * ld + r] = m->in_offset && m->in_scale
                                       ? (x[i] - m->in_offset[i]) * m->in_scale[i]
                                       : x[i];
    }
    forward(m, w->hb, n, ld, w->act);
    for (size_t r = 0; r < n; r++) {
        double *u = U + r * m->n_out;
        for (size_t i = 0; i < m->n_out; i++)
            u[i] = w->hb[L][i * ld + r];
        mlp_output_map(m, u);
    }
}

size_t mlp_n_weights(const mlp *m)
{
    size_t n = 0;
    for (size_t j = 0; j < m->n_layers; j++)
        n += m->layers[j].n_in * m->layers[j].n_out;
    return n;
}

size_t mlp_layer_n_pruned(const mlp_layer *l)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n_in * l->n_out; i++)
        n += l->mask ? !l->mask[i] : l->W[i] == 0.0;
    return n;
}

size_t mlp_n_pruned(const mlp *m)
{
    size_t n = 0;
    for (size_t j = 0; j < m->n_layers; j++)
        n += mlp_layer_n_pruned(&m->layers[j]);
    return n;
}
