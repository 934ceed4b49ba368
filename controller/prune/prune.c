/* prune.c: the pruning registry and the common driver: calibration states
 * through the network, per-layer Hessian H = (2/n) X^T X (one dsyrk),
 * selection of the layers, global ranking, and the per-layer records
 * dW_norm (the SVD of bounds/, so that both parts agree) and recon_err
 * (one dgemm).  docs/PRUNING.md. */
#include "prune.h"

#include "pb_mem.h"
#include "pb_norm.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_statistics_double.h>

extern const prune_method prune_magnitude;
extern const prune_method prune_obd;
extern const prune_method prune_obs;
extern const prune_method prune_sparsegpt;

const prune_method *const prune_methods[] = {
    &prune_magnitude, &prune_obd, &prune_obs, &prune_sparsegpt, NULL,
};

const prune_method *prune_find(const char *name)
{
    for (const prune_method *const *p = prune_methods; name && *p; p++)
        if (strcmp((*p)->name, name) == 0)
            return *p;
    return NULL;
}

void prune_options_init(prune_options *o)
{
    memset(o, 0, sizeof *o);
    o->sparsity = 0.0;
    o->damp = PRUNE_DAMP_DEFAULT;
    o->block = PRUNE_BLOCK_DEFAULT;
}

/* ---- parsing ---- */

/* Parses a positive decimal size_t at s, advancing *end; 0 on failure. */
static size_t parse_size(const char *s, char **end)
{
    unsigned long long v;
    if (*s < '0' || *s > '9')
        return *end = (char *)s, 0;
    errno = 0;
    v = strtoull(s, end, 10);
    if (errno || v > (unsigned long long)((size_t)-1))
        return 0;
    return (size_t)v;
}

int prune_pattern_parse(const char *s, size_t *nm_n, size_t *nm_m, pb_error *err)
{
    char *end;
    size_t n, m;

    n = parse_size(s, &end);
    if (n == 0 || *end != ':')
        goto bad;
    m = parse_size(end + 1, &end);
    if (m == 0 || *end != '\0')
        goto bad;
    if (n >= m)
        return pb_error_set(err, PB_EINVAL, "pattern '%s': N must be smaller than M", s);
    *nm_n = n;
    *nm_m = m;
    return PB_SUCCESS;
bad:
    return pb_error_set(err, PB_EINVAL, "pattern '%s' is not N:M with integers 1 <= N < M", s);
}

int prune_layers_parse(const char *s, size_t n_layers, size_t layers[], size_t cap, size_t *n_sel,
                       pb_error *err)
{
    const char *p = s;
    size_t k = 0;

    if (strcmp(s, "all") == 0) {
        *n_sel = 0;
        return PB_SUCCESS;
    }
    for (;;) {
        char *end;
        size_t v = parse_size(p, &end);
        if (v == 0 || (*end != ',' && *end != '\0'))
            return pb_error_set(err, PB_EINVAL,
                                "layers '%s': expected 'all' or 1-based numbers like 1,3", s);
        if (v > n_layers)
            return pb_error_set(err, PB_EINVAL,
                                "layers '%s': layer %zu does not exist (the "
                                "network has %zu layers)",
                                s, v, n_layers);
        for (size_t i = 0; i < k; i++)
            if (layers[i] == v)
                return pb_error_set(err, PB_EINVAL, "layers '%s': layer %zu is repeated", s, v);
        if (k == cap)
            return pb_error_set(err, PB_EINVAL, "layers '%s': more than %zu layers", s, cap);
        layers[k++] = v;
        if (*end == '\0')
            break;
        p = end + 1;
    }
    *n_sel = k;
    return PB_SUCCESS;
}

/* ---- helpers for the methods ---- */

size_t prune_nm_count(size_t len, size_t nm_n, size_t nm_m)
{
    return len >= nm_m ? nm_n : (nm_n * len) / nm_m;
}

void prune_mask_smallest(size_t n, const double score[], size_t k, unsigned char mask[],
                         double scratch[])
{
    double t;
    size_t below = 0, ties;

    memset(mask, 1, n);
    if (k == 0 || n == 0)
        return;
    if (k >= n) {
        memset(mask, 0, n);
        return;
    }
    /* t = the k-th smallest score (1-based); everything below t goes, then
     * entries equal to t in index order until k are gone. */
    memcpy(scratch, score, n * sizeof *scratch);
    t = gsl_stats_select(scratch, 1, n, k - 1);
    for (size_t i = 0; i < n; i++)
        if (score[i] < t) {
            mask[i] = 0;
            below++;
        }
    ties = k - below;
    for (size_t i = 0; i < n && ties > 0; i++)
        if (score[i] == t) {
            mask[i] = 0;
            ties--;
        }
}

void prune_mask_nm_row(size_t n_in, const double score[], size_t nm_n, size_t nm_m,
                       unsigned char mask[], double scratch[])
{
    for (size_t g = 0; g < n_in; g += nm_m) {
        size_t len = n_in - g < nm_m ? n_in - g : nm_m;
        prune_mask_smallest(len, score + g, prune_nm_count(len, nm_n, nm_m), mask + g, scratch);
    }
}

void prune_hessian_prepare(double H[], double W[], size_t n_out, size_t n_in, double damp)
{
    double mean = 0.0;

    /* Dead inputs: never active on the calibration set (SparseGPT reference code). */
    for (size_t j = 0; j < n_in; j++)
        if (H[j * n_in + j] == 0.0) {
            H[j * n_in + j] = 1.0;
            for (size_t i = 0; i < n_out; i++)
                W[i * n_in + j] = 0.0;
        }
    for (size_t j = 0; j < n_in; j++)
        mean += H[j * n_in + j];
    mean /= (double)n_in;
    for (size_t j = 0; j < n_in; j++)
        H[j * n_in + j] += damp * mean;
}

int prune_hessian_invert(double H[], size_t n, pb_error *err)
{
    gsl_matrix_view Hv = gsl_matrix_view_array(H, n, n);
    int s = gsl_linalg_cholesky_decomp1(&Hv.matrix);
    if (s != GSL_SUCCESS)
        return pb_error_set(err, PB_ENUMERIC,
                            "the layer Hessian is not positive definite (Cholesky: %s); "
                            "use a positive dampening or more calibration states",
                            gsl_strerror(s));
    s = gsl_linalg_cholesky_invert(&Hv.matrix);
    if (s != GSL_SUCCESS)
        return pb_error_set(err, PB_ENUMERIC, "inverting the layer Hessian failed: %s",
                            gsl_strerror(s));
    return PB_SUCCESS;
}

/* ---- the driver ---- */

/* Hout (n x n_out) = sigma(Hin (n x n_in) W^T + 1 b^T). */
static void layer_forward(const mlp_layer *l, size_t n, const double Hin[], double Hout[])
{
    for (size_t i = 0; i < n; i++)
        memcpy(Hout + i * l->n_out, l->b, l->n_out * sizeof *Hout);
    gsl_matrix_const_view A = gsl_matrix_const_view_array(Hin, n, l->n_in);
    gsl_matrix_const_view Wv = gsl_matrix_const_view_array(l->W, l->n_out, l->n_in);
    gsl_matrix_view C = gsl_matrix_view_array(Hout, n, l->n_out);
    gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, &A.matrix, &Wv.matrix, 1.0, &C.matrix);
    mlp_act_apply(l->act, l->alpha, n * l->n_out, Hout);
}

/* H (n_in x n_in) = (2/n) Hin^T Hin, full symmetric (Hassibi & Stork 1993;
 * the layer-wise form of Frantar, Singh & Alistarh 2022, eq. 1). */
void prune_hessian_eval(size_t n, size_t n_in, const double Hin[], double H[])
{
    gsl_matrix_const_view A = gsl_matrix_const_view_array(Hin, n, n_in);
    gsl_matrix_view Hv = gsl_matrix_view_array(H, n_in, n_in);
    gsl_blas_dsyrk(CblasUpper, CblasTrans, 2.0 / (double)n, &A.matrix, 0.0, &Hv.matrix);
    for (size_t i = 0; i < n_in; i++)
        for (size_t j = 0; j < i; j++)
            H[i * n_in + j] = H[j * n_in + i];
}

/* Everything prune_mlp allocates, once, before the layer loop. */
typedef struct drv_work {
    double *h_in, *h_next; /* n x max_width: the current layer's inputs and the next's
                            * (before the next's, (W - W_hat) applied to the inputs) */
    double *H;             /* max_in^2 */
    double *D;             /* max_out * max_in: W - W_hat */
    double *svd;           /* pb_spectral_work_size() of the largest layer */
    double *gscore;        /* global ranking: total selected weights */
    double *gscratch;
    unsigned char *gmask;
    prune_work mw;
} drv_work;

static void drv_work_free(drv_work *w)
{
    free(w->h_in);
    free(w->h_next);
    free(w->H);
    free(w->D);
    free(w->svd);
    free(w->gscore);
    free(w->gscratch);
    free(w->gmask);
    free(w->mw.d);
    free(w->mw.z);
}

/* Number of zeros a layer gets: floor(s * n_weights) or the N:M count. */
static size_t layer_target(const mlp_layer *l, const prune_options *o)
{
    if (o->nm_m) {
        size_t full = l->n_in / o->nm_m, tail = l->n_in % o->nm_m;
        return l->n_out * (full * o->nm_n + prune_nm_count(tail, o->nm_n, o->nm_m));
    }
    return (size_t)floor(o->sparsity * (double)(l->n_in * l->n_out));
}

static int options_check(const mlp *m, const prune_method *method, const prune_options *o,
                         const double X[], size_t n, pb_error *err)
{
    if (!method)
        return pb_error_set(err, PB_EINVAL, "no pruning method given");
    if (o->nm_m) {
        if (o->nm_n == 0 || o->nm_n >= o->nm_m)
            return pb_error_set(err, PB_EINVAL, "pattern %zu:%zu: need 1 <= N < M", o->nm_n,
                                o->nm_m);
        if (o->nm_m >= 10000000)
            return pb_error_set(err, PB_EINVAL, "pattern %zu:%zu: M must be below 10^7", o->nm_n,
                                o->nm_m);
        if (o->global)
            return pb_error_set(err, PB_EINVAL, "an N:M pattern is per row; it cannot be global");
    } else if (!(o->sparsity >= 0.0 && o->sparsity < 1.0)) {
        return pb_error_set(err, PB_EINVAL, "sparsity %g is outside [0, 1)", o->sparsity);
    }
    if (o->global && !method->score)
        return pb_error_set(err, PB_EUNSUPPORTED,
                            "method '%s' has no plain ranking: global selection is available "
                            "for magnitude only",
                            method->name);
    if (!(o->damp >= 0.0 && isfinite(o->damp)))
        return pb_error_set(err, PB_EINVAL, "dampening %g must be finite and >= 0", o->damp);
    if (method->needs_hessian && o->block == 0)
        return pb_error_set(err, PB_EINVAL, "column block size must be >= 1");
    for (size_t i = 0; o->layers && i < o->n_sel; i++) {
        if (o->layers[i] < 1 || o->layers[i] > m->n_layers)
            return pb_error_set(err, PB_EINVAL,
                                "layer %zu does not exist (the network has %zu "
                                "layers, numbered from 1)",
                                o->layers[i], m->n_layers);
        for (size_t j = 0; j < i; j++)
            if (o->layers[j] == o->layers[i])
                return pb_error_set(err, PB_EINVAL, "layer %zu is selected twice", o->layers[i]);
    }
    if (o->layers && o->n_sel == 0)
        return pb_error_set(err, PB_EINVAL, "the layer list is empty");
    if (method->needs_hessian && (!X || n == 0))
        return pb_error_set(err, PB_EINVAL, "method '%s' needs calibration states (none given)",
                            method->name);
    if (X) {
        for (size_t i = 0; i < n * m->n_in; i++)
            if (!isfinite(X[i]))
                return pb_error_set(err, PB_EINVAL,
                                    "calibration state %zu, component %zu is not finite",
                                    i / m->n_in, i % m->n_in);
    }
    return PB_SUCCESS;
}

static int layer_selected(const prune_options *o, size_t j)
{
    if (!o->layers)
        return 1;
    for (size_t i = 0; i < o->n_sel; i++)
        if (o->layers[i] == j + 1)
            return 1;
    return 0;
}

/* The prune_layer view of layer l of the clone. */
static prune_layer layer_view(mlp_layer *l, const prune_options *o, double *H)
{
    prune_layer pl;
    pl.n_out = l->n_out;
    pl.n_in = l->n_in;
    pl.W = l->W;
    pl.mask = l->mask;
    pl.H = H;
    pl.n_prune = layer_target(l, o);
    pl.nm_n = o->nm_n;
    pl.nm_m = o->nm_m;
    pl.damp = o->damp;
    pl.block = o->block;
    pl.mask_block = o->mask_block;
    pl.layer = 0; /* the driver sets it */
    pl.progress = o->progress;
    pl.progress_ctx = o->progress_ctx;
    return pl;
}

/* One ranking across the selected layers (magnitude's global mode). */
static void select_global(const prune_method *method, const prune_options *o, mlp *c, drv_work *w)
{
    size_t total = 0, k, off = 0;

    for (size_t j = 0; j < c->n_layers; j++) {
        if (!layer_selected(o, j))
            continue;
        prune_layer pl = layer_view(&c->layers[j], o, NULL);
        method->score(&pl, w->gscore + total);
        total += pl.n_in * pl.n_out;
    }
    k = (size_t)floor(o->sparsity * (double)total);
    prune_mask_smallest(total, w->gscore, k, w->gmask, w->gscratch);
    for (size_t j = 0; j < c->n_layers; j++) {
        mlp_layer *l = &c->layers[j];
        if (!layer_selected(o, j))
            continue;
        for (size_t i = 0; i < l->n_in * l->n_out; i++) {
            l->mask[i] = w->gmask[off + i];
            if (!l->mask[i])
                l->W[i] = 0.0;
        }
        off += l->n_in * l->n_out;
    }
}

int prune_mlp(const mlp *m, const prune_method *method, const prune_options *opt, const double X[],
              size_t n, mlp **out, pb_error *err)
{
    drv_work w;
    mlp *c = NULL;
    size_t max_in = 0, max_out = 0, nd = 0, nz = 0, total_sel = 0, n_svd = 0;
    int s;

    *out = NULL;
    memset(&w, 0, sizeof w);
    if (n == 0)
        X = NULL; /* no calibration states */
    if ((s = options_check(m, method, opt, X, n, err)) != PB_SUCCESS)
        return s;
    if ((s = mlp_validate(m, err)) != PB_SUCCESS) {
        pb_error_prefix(err, "policy to prune: ");
        return s;
    }
    c = mlp_clone(m, err);
    if (!c)
        return PB_ENOMEM;

    /* Size every workspace from the selected layers, before any work. */
    for (size_t j = 0; j < c->n_layers; j++) {
        mlp_layer *l = &c->layers[j];
        if (!layer_selected(opt, j))
            continue;
        if (l->n_in > max_in)
            max_in = l->n_in;
        if (l->n_out > max_out)
            max_out = l->n_out;
        total_sel += l->n_in * l->n_out;
        if (pb_spectral_work_size(l->n_out, l->n_in) > n_svd)
            n_svd = pb_spectral_work_size(l->n_out, l->n_in);
        if (!l->mask && !(l->mask = malloc(l->n_in * l->n_out)))
            goto nomem;
        {
            prune_layer pl = layer_view(l, opt, NULL);
            size_t a = 0, b = 0;
            method->work_size(&pl, &a, &b);
            if (a > nd)
                nd = a;
            if (b > nz)
                nz = b;
        }
    }
    w.D = pb_malloc_large((max_in * max_out + 1) * sizeof *w.D);
    w.svd = pb_malloc_large((n_svd + 1) * sizeof *w.svd);
    w.mw.d = malloc((nd + 1) * sizeof *w.mw.d);
    w.mw.z = malloc((nz + 1) * sizeof *w.mw.z);
    if (!w.D || !w.svd || !w.mw.d || !w.mw.z)
        goto nomem;
    if (X) {
        w.h_in = pb_malloc_large(n * c->max_width * sizeof *w.h_in);
        w.h_next = pb_malloc_large(n * c->max_width * sizeof *w.h_next);
        if (!w.h_in || !w.h_next)
            goto nomem;
        for (size_t i = 0; i < n; i++)
            mlp_input_map(m, X + i * m->n_in, w.h_in + i * m->n_in);
    }
    if (method->needs_hessian && !(w.H = pb_malloc_large(max_in * max_in * sizeof *w.H)))
        goto nomem;
    if (opt->global) {
        w.gscore = malloc(total_sel * sizeof *w.gscore);
        w.gscratch = malloc(total_sel * sizeof *w.gscratch);
        w.gmask = malloc(total_sel);
        if (!w.gscore || !w.gscratch || !w.gmask)
            goto nomem;
        select_global(method, opt, c, &w);
    }

    for (size_t j = 0; j < c->n_layers; j++) {
        mlp_layer *l = &c->layers[j];
        const mlp_layer *lo = &m->layers[j];
        size_t nw = l->n_in * l->n_out;

        if (layer_selected(opt, j)) {
            prune_layer pl;
            if (method->needs_hessian)
                prune_hessian_eval(n, l->n_in, w.h_in, w.H);
            pl = layer_view(l, opt, w.H);
            pl.layer = j + 1;
            prune_layer_progress(&pl, 0, 1);
            if (!opt->global && pl.n_prune == 0) {
                memset(l->mask, 1, nw); /* sparsity 0: the layer stays bit-identical */
            } else if (!opt->global && (s = method->apply(&pl, &w.mw, err)) != PB_SUCCESS) {
                pb_error_prefix(err, "layer %zu: ", j + 1);
                goto fail;
            }
            /* The records of DESIGN.md: ||dW||_2 and the reconstruction error. */
            for (size_t i = 0; i < nw; i++)
                w.D[i] = lo->W[i] - l->W[i];
            if (X) {
                /* E = X_in (W - W_hat)^T in h_next, free until the next layer's inputs */
                gsl_matrix_const_view A = gsl_matrix_const_view_array(w.h_in, n, l->n_in);
                gsl_matrix_const_view Dv = gsl_matrix_const_view_array(w.D, l->n_out, l->n_in);
                gsl_matrix_view Ev = gsl_matrix_view_array(w.h_next, n, l->n_out);
                double r = 0.0;
                gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, &A.matrix, &Dv.matrix, 0.0,
                               &Ev.matrix);
                for (size_t i = 0; i < n * l->n_out; i++)
                    r += w.h_next[i] * w.h_next[i];
                l->recon_err = r;
            }
            s = pb_spectral_norm_diff(l->n_out, l->n_in, lo->W, l->W, w.svd, &l->dW_norm, err);
            if (s != PB_SUCCESS) {
                pb_error_prefix(err, "layer %zu: ||dW||_2: ", j + 1);
                goto fail;
            }
        }
        /* Inputs of the next layer: through the pruned layer (sequential) or the original. */
        if (X && j + 1 < c->n_layers) {
            double *t;
            layer_forward(opt->original_inputs ? lo : l, n, w.h_in, w.h_next);
            t = w.h_in;
            w.h_in = w.h_next;
            w.h_next = t;
        }
    }
    snprintf(c->prov.method, sizeof c->prov.method, "%s", method->name);
    if (opt->nm_m) {
        c->prov.sparsity = (double)opt->nm_n / (double)opt->nm_m;
        snprintf(c->prov.pattern, sizeof c->prov.pattern, "%zu:%zu", opt->nm_n % 10000000,
                 opt->nm_m % 10000000); /* options_check bounds both below 1e7 */
    } else {
        c->prov.sparsity = opt->sparsity;
        snprintf(c->prov.pattern, sizeof c->prov.pattern, "unstructured");
    }
    c->prov.parent_sha256[0] = '\0';
    drv_work_free(&w);
    *out = c;
    return PB_SUCCESS;
nomem:
    s = pb_error_set(err, PB_ENOMEM, "out of memory preparing to prune");
fail:
    drv_work_free(&w);
    mlp_free(c);
    return s;
}
