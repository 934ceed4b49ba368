/* mlp_train.c: backpropagation of the mean squared error through the MLP,
 * Adam updates over shuffled minibatches (Kingma & Ba 2015, Algorithm 1).
 *
 * For a minibatch H_0 (B x n_0) the forward pass keeps every layer's output
 * H_j = sigma_j(H_{j-1} W_j^T + 1 b_j^T) (B x n_j).  The backward pass uses
 * the activations' derivatives written in terms of their outputs (tanh:
 * 1 - h^2, sigmoid: h (1 - h), ...), so the pre-activations need no storage:
 *   D_L = c (H_L - Y) o sigma_L'(H_L),  c = 2 / (N n_out),
 *   dL/dW_j = D_j^T H_{j-1},  dL/db_j = 1^T D_j,
 *   D_{j-1} = (D_j W_j) o sigma_{j-1}'(H_{j-1}).
 * Each product is one cblas_dgemm. */
#include "mlp_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

struct mlp_trainer {
    mlp_train_opts opts;
    size_t n_layers, n_in, n_out, n_max, batch, n_params;
    size_t *off;      /* [n_layers]: offset of W_j in a parameter vector; b_j follows it */
    double **H;       /* [n_layers + 1]: H[j] (batch x width_j) */
    double *D, *Dn;   /* batch x max_width: deltas of the current and the previous layer */
    double *Yb;       /* batch x n_out: targets of the minibatch */
    double *y_lo, *y_hi; /* [n_out]: saturation of the outputs (+-inf: none) */
    double *grad;     /* [n_params] */
    double *mom1;     /* [n_params]: Adam's first moment m */
    double *mom2;     /* [n_params]: Adam's second moment v */
    size_t *perm;     /* [n_max] */
    gsl_rng *rng;
    size_t steps;     /* Adam's t */
    size_t epoch;
};

void mlp_train_opts_init(mlp_train_opts *o)
{
    o->epochs = 100;
    o->batch = 64;
    o->lr = 1e-3;
    o->lr_final = 1e-3;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->epsilon = 1e-8;
    o->seed = 1;
}

int mlp_train_opts_validate(const mlp_train_opts *o, pb_error *err)
{
    if (o->epochs == 0)
        return pb_error_set(err, PB_EINVAL, "epochs must be > 0");
    if (o->batch == 0)
        return pb_error_set(err, PB_EINVAL, "batch size must be > 0");
    if (!(o->lr > 0.0) || !isfinite(o->lr))
        return pb_error_set(err, PB_EINVAL, "learning rate %g must be finite and > 0", o->lr);
    if (!(o->lr_final > 0.0) || !isfinite(o->lr_final))
        return pb_error_set(err, PB_EINVAL, "final learning rate %g must be finite and > 0",
                            o->lr_final);
    if (!(o->beta1 >= 0.0 && o->beta1 < 1.0))
        return pb_error_set(err, PB_EINVAL, "beta1 %g must be in [0, 1)", o->beta1);
    if (!(o->beta2 >= 0.0 && o->beta2 < 1.0))
        return pb_error_set(err, PB_EINVAL, "beta2 %g must be in [0, 1)", o->beta2);
    if (!(o->epsilon > 0.0) || !isfinite(o->epsilon))
        return pb_error_set(err, PB_EINVAL, "epsilon %g must be finite and > 0", o->epsilon);
    return PB_SUCCESS;
}

size_t mlp_train_n_params(const mlp *m)
{
    size_t n = 0;
    for (size_t j = 0; j < m->n_layers; j++)
        n += m->layers[j].n_out * (m->layers[j].n_in + 1);
    return n;
}

int mlp_train_init_weights(mlp *m, unsigned long seed, pb_error *err)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

    if (!r)
        return pb_error_set(err, PB_ENOMEM, "out of memory allocating a random generator");
    gsl_rng_set(r, seed);
    for (size_t j = 0; j < m->n_layers; j++) {
        mlp_layer *l = &m->layers[j];
        int rectifier = l->act == MLP_ACT_RELU || l->act == MLP_ACT_LEAKY_RELU;
        /* Glorot & Bengio (2010) eq. 16; He et al. (2015) for rectifiers */
        double a = rectifier ? sqrt(6.0 / (double)l->n_in)
                             : sqrt(6.0 / (double)(l->n_in + l->n_out));
        for (size_t i = 0; i < l->n_in * l->n_out; i++) {
            double w = a * (2.0 * gsl_rng_uniform(r) - 1.0);
            l->W[i] = l->mask && !l->mask[i] ? 0.0 : w;
        }
        memset(l->b, 0, l->n_out * sizeof *l->b);
    }
    gsl_rng_free(r);
    return PB_SUCCESS;
}

void mlp_trainer_free(mlp_trainer *t)
{
    if (!t)
        return;
    for (size_t j = 0; t->H && j <= t->n_layers; j++)
        free(t->H[j]);
    free(t->H);
    free(t->off);
    free(t->D);
    free(t->Dn);
    free(t->Yb);
    free(t->y_lo);
    free(t->y_hi);
    free(t->grad);
    free(t->mom1);
    free(t->mom2);
    free(t->perm);
    gsl_rng_free(t->rng);
    free(t);
}

mlp_trainer *mlp_trainer_alloc(const mlp *m, const mlp_train_opts *o, size_t n_max,
                               pb_error *err)
{
    mlp_trainer *t;
    size_t off = 0;

    if (mlp_train_opts_validate(o, err) != PB_SUCCESS)
        return NULL;
    if (n_max == 0)
        return pb_error_set(err, PB_EINVAL, "a training set needs at least one sample"), NULL;
    t = calloc(1, sizeof *t);
    if (!t)
        goto nomem;
    t->opts = *o;
    t->n_layers = m->n_layers;
    t->n_in = m->n_in;
    t->n_out = m->n_out;
    t->n_max = n_max;
    t->batch = o->batch < n_max ? o->batch : n_max;
    t->n_params = mlp_train_n_params(m);
    t->off = malloc(m->n_layers * sizeof *t->off);
    t->H = calloc(m->n_layers + 1, sizeof *t->H);
    if (!t->off || !t->H)
        goto free_t;
    for (size_t j = 0; j <= m->n_layers; j++) {
        size_t width = j == 0 ? m->n_in : m->layers[j - 1].n_out;
        t->H[j] = malloc(t->batch * width * sizeof(double));
        if (!t->H[j])
            goto free_t;
    }
    for (size_t j = 0; j < m->n_layers; j++) {
        t->off[j] = off;
        off += m->layers[j].n_out * (m->layers[j].n_in + 1);
    }
    t->D = malloc(t->batch * m->max_width * sizeof *t->D);
    t->Dn = malloc(t->batch * m->max_width * sizeof *t->Dn);
    t->Yb = malloc(t->batch * m->n_out * sizeof *t->Yb);
    t->y_lo = malloc(m->n_out * sizeof *t->y_lo);
    t->y_hi = malloc(m->n_out * sizeof *t->y_hi);
    t->grad = malloc(t->n_params * sizeof *t->grad);
    t->mom1 = malloc(t->n_params * sizeof *t->mom1);
    t->mom2 = malloc(t->n_params * sizeof *t->mom2);
    t->perm = malloc(n_max * sizeof *t->perm);
    t->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!t->D || !t->Dn || !t->Yb || !t->y_lo || !t->y_hi || !t->grad || !t->mom1 || !t->mom2 || !t->perm || !t->rng)
        goto free_t;
    mlp_trainer_set_output_limits(t, NULL, NULL);
    mlp_trainer_reset(t);
    return t;
free_t:
    mlp_trainer_free(t);
nomem:
    pb_error_set(err, PB_ENOMEM, "out of memory allocating a training workspace");
    return NULL;
}

void mlp_trainer_reset(mlp_trainer *t)
{
    memset(t->mom1, 0, t->n_params * sizeof *t->mom1);
    memset(t->mom2, 0, t->n_params * sizeof *t->mom2);
    gsl_rng_set(t->rng, t->opts.seed);
    t->steps = 0;
    t->epoch = 0;
}

void mlp_trainer_set_output_limits(mlp_trainer *t, const double lo[], const double hi[])
{
    for (size_t k = 0; k < t->n_out; k++) {
        t->y_lo[k] = lo ? lo[k] : -INFINITY;
        t->y_hi[k] = hi ? hi[k] : INFINITY;
    }
}

size_t mlp_trainer_epochs_done(const mlp_trainer *t)
{
    return t->epoch;
}

/* d[i] *= sigma'(z_i), written through the output h_i = sigma(z_i). */
static void act_backprop(mlp_act a, double alpha, size_t n, const double h[], double d[])
{
    size_t i;
    switch (a) {
    case MLP_ACT_RELU:
        for (i = 0; i < n; i++)
            d[i] = h[i] > 0.0 ? d[i] : 0.0;
        break;
    case MLP_ACT_LEAKY_RELU: /* h > 0 exactly when z > 0, since alpha >= 0 */
        for (i = 0; i < n; i++)
            d[i] = h[i] > 0.0 ? d[i] : alpha * d[i];
        break;
    case MLP_ACT_TANH:
        for (i = 0; i < n; i++)
            d[i] *= 1.0 - h[i] * h[i];
        break;
    case MLP_ACT_SIGMOID:
        for (i = 0; i < n; i++)
            d[i] *= h[i] * (1.0 - h[i]);
        break;
    case MLP_ACT_HARDTANH:
        for (i = 0; i < n; i++)
            d[i] = fabs(h[i]) < 1.0 ? d[i] : 0.0;
        break;
    default:
        break;
    }
}

/* Forward pass of the nb rows already in t->H[0]. */
static void forward(mlp_trainer *t, const mlp *m, size_t nb)
{
    for (size_t j = 0; j < m->n_layers; j++) {
        const mlp_layer *l = &m->layers[j];
        double *Z = t->H[j + 1];
        for (size_t i = 0; i < nb; i++)
            memcpy(Z + i * l->n_out, l->b, l->n_out * sizeof *Z);
        /* Z (nb x n_out) = H (nb x n_in) W^T + 1 b^T */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)l->n_out, (int)l->n_in,
                    1.0, t->H[j], (int)l->n_in, l->W, (int)l->n_in, 1.0, Z, (int)l->n_out);
        mlp_act_apply(l->act, l->alpha, nb * l->n_out, Z);
    }
}

/* Sum of squared errors SSE of the nb rows in t->H[0] against t->Yb; when
 * grad is not NULL, adds the gradient of (c/2) SSE to it, so that
 * c = 2/(N n_out) accumulates the gradient of the MSE over N samples. */
static double batch_sse(mlp_trainer *t, const mlp *m, size_t nb, double c, double grad[])
{
    size_t L = m->n_layers;
    size_t n_out = m->n_out;
    const double *HL = t->H[L];
    double sse = 0.0;

    forward(t, m, nb);
    for (size_t i = 0; i < nb; i++)
        for (size_t k = 0; k < n_out; k++) {
            size_t q = i * n_out + k;
            double y = HL[q], target = t->Yb[q];
            double r = y - target;
            /* a saturated target is met by any output beyond its limit */
            if ((target >= t->y_hi[k] && y > t->y_hi[k]) ||
                (target <= t->y_lo[k] && y < t->y_lo[k]))
                r = 0.0;
            sse += r * r;
            t->D[q] = c * r;
        }
    if (!grad)
        return sse;
    act_backprop(m->layers[L - 1].act, m->layers[L - 1].alpha, nb * n_out, HL, t->D);
    for (size_t j = L; j-- > 0;) {
        const mlp_layer *l = &m->layers[j];
        double *gW = grad + t->off[j];
        double *gb = gW + l->n_out * l->n_in;
        /* dL/dW_j += D_j^T (n_out x nb) H_{j-1} (nb x n_in) */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)l->n_out, (int)l->n_in,
                    (int)nb, 1.0, t->D, (int)l->n_out, t->H[j], (int)l->n_in, 1.0, gW,
                    (int)l->n_in);
        for (size_t i = 0; i < nb; i++)
            for (size_t k = 0; k < l->n_out; k++)
                gb[k] += t->D[i * l->n_out + k];
        if (j == 0)
            break;
        /* D_{j-1} (nb x n_in) = D_j (nb x n_out) W_j (n_out x n_in), times sigma' */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, (int)l->n_in,
                    (int)l->n_out, 1.0, t->D, (int)l->n_out, l->W, (int)l->n_in, 0.0, t->Dn,
                    (int)l->n_in);
        act_backprop(m->layers[j - 1].act, m->layers[j - 1].alpha, nb * l->n_in, t->H[j],
                     t->Dn);
        {
            double *s = t->D;
            t->D = t->Dn;
            t->Dn = s;
        }
    }
    return sse;
}

/* Zeroes the gradient entries of masked weights. */
static void mask_grad(const mlp_trainer *t, const mlp *m, double grad[])
{
    for (size_t j = 0; j < m->n_layers; j++) {
        const mlp_layer *l = &m->layers[j];
        if (!l->mask)
            continue;
        for (size_t i = 0; i < l->n_in * l->n_out; i++)
            if (!l->mask[i])
                grad[t->off[j] + i] = 0.0;
    }
}

double mlp_trainer_loss(mlp_trainer *t, const mlp *m, size_t n, const double X[],
                        const double Y[], double grad[])
{
    double sse = 0.0;
    double c;

    if (n == 0)
        return 0.0;
    c = 2.0 / ((double)n * (double)m->n_out);
    if (grad)
        memset(grad, 0, t->n_params * sizeof *grad);
    for (size_t i0 = 0; i0 < n; i0 += t->batch) {
        size_t nb = n - i0 < t->batch ? n - i0 : t->batch;
        memcpy(t->H[0], X + i0 * m->n_in, nb * m->n_in * sizeof *X);
        memcpy(t->Yb, Y + i0 * m->n_out, nb * m->n_out * sizeof *Y);
        sse += batch_sse(t, m, nb, c, grad);
    }
    if (grad)
        mask_grad(t, m, grad);
    return sse / ((double)n * (double)m->n_out);
}

/* The step size of the current epoch: geometric from lr to lr_final. */
static double epoch_lr(const mlp_trainer *t)
{
    const mlp_train_opts *o = &t->opts;
    double e = (double)(t->epoch < o->epochs ? t->epoch : o->epochs - 1);
    if (o->epochs < 2)
        return o->lr;
    return o->lr * pow(o->lr_final / o->lr, e / (double)(o->epochs - 1));
}

/* One Adam step on every parameter from t->grad (Kingma & Ba 2015, Alg. 1). */
static void adam_step(mlp_trainer *t, mlp *m, double lr)
{
    const mlp_train_opts *o = &t->opts;
    double bc1, bc2;

    t->steps++;
    bc1 = 1.0 - pow(o->beta1, (double)t->steps);
    bc2 = 1.0 - pow(o->beta2, (double)t->steps);
    for (size_t j = 0; j < m->n_layers; j++) {
        mlp_layer *l = &m->layers[j];
        size_t nw = l->n_out * l->n_in;
        size_t base = t->off[j];
        for (size_t i = 0; i < nw + l->n_out; i++) {
            size_t p = base + i;
            double g = t->grad[p];
            double mh, vh;
            double *theta = i < nw ? &l->W[i] : &l->b[i - nw];
            t->mom1[p] = o->beta1 * t->mom1[p] + (1.0 - o->beta1) * g;
            t->mom2[p] = o->beta2 * t->mom2[p] + (1.0 - o->beta2) * g * g;
            mh = t->mom1[p] / bc1;
            vh = t->mom2[p] / bc2;
            *theta -= lr * mh / (sqrt(vh) + o->epsilon);
        }
        if (l->mask)
            for (size_t i = 0; i < nw; i++)
                if (!l->mask[i])
                    l->W[i] = 0.0;
    }
}

double mlp_trainer_epoch(mlp_trainer *t, mlp *m, size_t n, const double X[], const double Y[])
{
    double lr = epoch_lr(t);
    double sse = 0.0;

    if (n > t->n_max)
        n = t->n_max;
    if (n == 0)
        return 0.0;
    for (size_t i = 0; i < n; i++)
        t->perm[i] = i;
    gsl_ran_shuffle(t->rng, t->perm, n, sizeof *t->perm);
    for (size_t i0 = 0; i0 < n; i0 += t->batch) {
        size_t nb = n - i0 < t->batch ? n - i0 : t->batch;
        /* gather the minibatch rows */
        for (size_t i = 0; i < nb; i++) {
            size_t r = t->perm[i0 + i];
            memcpy(t->H[0] + i * m->n_in, X + r * m->n_in, m->n_in * sizeof *X);
            memcpy(t->Yb + i * m->n_out, Y + r * m->n_out, m->n_out * sizeof *Y);
        }
        memset(t->grad, 0, t->n_params * sizeof *t->grad);
        sse += batch_sse(t, m, nb, 2.0 / ((double)nb * (double)m->n_out), t->grad);
        mask_grad(t, m, t->grad);
        adam_step(t, m, lr);
    }
    t->epoch++;
    return sse / ((double)n * (double)m->n_out);
}

int mlp_train(mlp *m, const mlp_train_opts *o, size_t n, const double X[], const double Y[],
              double *loss, pb_error *err)
{
    mlp_trainer *t;
    pb_error local;
    double l = 0.0;

    if (!err)
        err = &local;
    if (n == 0)
        return pb_error_set(err, PB_EINVAL, "a training set needs at least one sample");
    t = mlp_trainer_alloc(m, o, n, err);
    if (!t)
        return err->code;
    for (size_t e = 0; e < o->epochs; e++) {
        l = mlp_trainer_epoch(t, m, n, X, Y);
        if (!isfinite(l))
            break;
    }
    if (isfinite(l))
        l = mlp_trainer_loss(t, m, n, X, Y, NULL);
    mlp_trainer_free(t);
    if (loss)
        *loss = l;
    if (!isfinite(l))
        return pb_error_set(err, PB_ENUMERIC,
                            "training diverged (non-finite loss); lower the learning rate");
    return PB_SUCCESS;
}
