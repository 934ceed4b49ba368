/* certify.c: the admissible perturbation per layer and the largest certified
 * sparsity per pruning method (certify.h; docs/BOUNDS.md section 5). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "certify.h"
#include "pb_norm.h"

certify *certify_alloc(const mlp *m, const bounds_set *X, double eps, pb_error *err)
{
    size_t L = m->n_layers, wsize = 2 * bounds_ibp_size(m);
    certify *c;

    if (!(eps > 0.0) || !isfinite(eps)) {
        pb_error_set(err, PB_EINVAL, "eps %g must be a finite number > 0", eps);
        return NULL;
    }
    if (bounds_set_validate(m, X, err))
        return NULL;
    if (!(c = calloc(1, sizeof *c))) {
        pb_error_set(err, PB_ENOMEM, "out of memory");
        return NULL;
    }
    c->m = m;
    c->eps = eps;
    for (size_t k = 0; k < L; k++) {
        size_t s = pb_spectral_work_size(m->layers[k].n_out, m->layers[k].n_in);
        wsize = s > wsize ? s : wsize;
    }
    c->sup_closed = malloc(5 * L * sizeof *c->sup_closed);
    c->w = malloc(wsize * sizeof *c->w);
    if (!c->sup_closed || !c->w) {
        pb_error_set(err, PB_ENOMEM, "out of memory");
        goto fail;
    }
    c->sup_ibp = c->sup_closed + L;
    c->sup = c->sup_closed + 2 * L;
    c->adm = c->sup_closed + 3 * L;
    c->dWn = c->sup_closed + 4 * L;
    if (!(c->bm = bounds_model_alloc(m, err)) ||
        bounds_set_hidden_sup(m, c->bm, X, c->w, c->sup_closed, c->sup_ibp, c->sup, err) ||
        bounds_admissible_eval(c->bm, c->sup, eps, c->adm, err))
        goto fail;
    return c;
fail:
    certify_free(c);
    return NULL;
}

void certify_free(certify *c)
{
    if (!c)
        return;
    bounds_model_free(c->bm);
    free(c->sup_closed);
    free(c->w);
    free(c);
}

void certify_set_calibration(certify *c, const double X[], size_t n)
{
    c->X = X;
    c->n_calib = n;
}

int certify_sample_states(const bounds_set *X, size_t n, unsigned long seed, double x[],
                          pb_error *err)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

    if (!r)
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    gsl_rng_set(r, seed);
    for (size_t i = 0; i < n; i++) {
        double *xi = x + i * X->n;
        if (X->kind == BOUNDS_SET_BOX) {
            for (size_t j = 0; j < X->n; j++)
                xi[j] = X->lo[j] + gsl_rng_uniform(r) * (X->hi[j] - X->lo[j]);
        } else {
            double nrm = 0.0, rad = X->radius * pow(gsl_rng_uniform(r), 1.0 / (double)X->n);
            for (size_t j = 0; j < X->n; j++) {
                xi[j] = gsl_ran_gaussian(r, 1.0);
                nrm += xi[j] * xi[j];
            }
            nrm = sqrt(nrm);
            for (size_t j = 0; j < X->n; j++)
                xi[j] = (X->center ? X->center[j] : 0.0) + (nrm > 0 ? rad * xi[j] / nrm : 0.0);
        }
    }
    gsl_rng_free(r);
    return PB_SUCCESS;
}

int certify_prune(const certify *c, const certify_pruning *p, const size_t sel[], size_t n_sel,
                  double s, mlp **q, pb_error *err)
{
    const prune_method *pm = p->method;
    prune_options o;

    prune_options_init(&o);
    o.sparsity = s;
    o.nm_n = p->nm_n;
    o.nm_m = p->nm_m;
    o.layers = sel;
    o.n_sel = n_sel;
    *q = NULL;
    if (pm->needs_hessian && !c->X)
        return pb_error_set(err, PB_EINVAL, "%s needs calibration states", pm->name);
    if (prune_mlp(c->m, pm, &o, pm->needs_hessian ? c->X : NULL, pm->needs_hessian ? c->n_calib : 0,
                  q, err))
        return pb_error_prefix(err, "%s at sparsity %.2f: ", pm->name, s);
    return PB_SUCCESS;
}

int certify_check(certify *c, const certify_pruning *p, const size_t sel[], size_t n_sel,
                  double s, int *ok, double *value, pb_error *err)
{
    mlp *q = NULL;
    bounds_model *bq = NULL;
    int status;

    if ((status = certify_prune(c, p, sel, n_sel, s, &q, err)))
        return status;
    for (size_t k = 0; k < c->m->n_layers; k++) {
        const mlp_layer *a = &c->m->layers[k], *b = &q->layers[k];
        c->dWn[k] = 0.0; /* an unselected layer is bit-identical: no norm needed */
        if (memcmp(a->W, b->W, a->n_in * a->n_out * sizeof *a->W) != 0 &&
            (status = pb_spectral_norm_diff(a->n_out, a->n_in, a->W, b->W, c->w, &c->dWn[k],
                                            err)))
            goto free_q;
    }
    if (n_sel == 1) {
        size_t k = sel[0] - 1;
        *value = c->dWn[k];
        *ok = c->dWn[k] <= c->adm[k];
    } else {
        /* Biases are unchanged by pruning; D^ from the pruned network. */
        if (!(bq = bounds_model_alloc(q, err))) {
            status = err ? err->code : PB_EINTERNAL;
            goto free_q;
        }
        *value = bounds_multi_eval(bq, c->sup, c->dWn, NULL);
        *ok = *value <= c->eps;
    }
    status = PB_SUCCESS;
free_q:
    bounds_model_free(bq);
    mlp_free(q);
    return status;
}

int certify_search(certify *c, const certify_pruning *p, const size_t sel[], size_t n_sel,
                   double *best, double *value, pb_error *err)
{
    int lo = 0, hi = 100, status, ok; /* lo is certified (0 trivially), 100 % is not allowed */
    size_t step = 0;
    double v;

    *best = 0.0;
    *value = 0.0;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (c->progress)
            c->progress(c->progress_ctx, step++, CERTIFY_SEARCH_STEPS);
        if ((status = certify_check(c, p, sel, n_sel, mid / 100.0, &ok, &v, err)))
            return status;
        if (ok) {
            lo = mid;
            *value = v;
        } else {
            hi = mid;
        }
    }
    *best = lo / 100.0;
    if (c->progress)
        c->progress(c->progress_ctx, CERTIFY_SEARCH_STEPS, CERTIFY_SEARCH_STEPS);
    return PB_SUCCESS;
}
