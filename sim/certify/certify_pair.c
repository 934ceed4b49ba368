/* certify_pair.c: the differential certificate of a pair over a set of
 * states and the differential certified sparsity (certify_pair.h;
 * docs/BOUNDS.md sections 11 and 14). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "certify_pair.h"
#include "pb_norm.h"

int certify_set_box(const mlp *m, const bounds_set *X, double lo[], double hi[], pb_error *err)
{
    int status;

    if ((status = bounds_set_validate(m, X, err)))
        return status;
    for (size_t i = 0; i < X->n; i++) {
        if (X->kind == BOUNDS_SET_BOX) {
            lo[i] = X->lo[i];
            hi[i] = X->hi[i];
        } else {
            /* [c - R, c + R] rounded outward: it contains the exact ball */
            double c = X->center ? X->center[i] : 0.0;
            lo[i] = X->radius > 0.0 ? pb_next_down(c - X->radius) : c;
            hi[i] = X->radius > 0.0 ? pb_next_up(c + X->radius) : c;
        }
    }
    return PB_SUCCESS;
}

/* 1 when every layer's weights and biases of a and b are the same bits. */
static int same_weights(const mlp *a, const mlp *b)
{
    for (size_t k = 0; k < a->n_layers; k++) {
        const mlp_layer *la = &a->layers[k], *lb = &b->layers[k];
        if (memcmp(la->W, lb->W, la->n_out * la->n_in * sizeof *la->W) ||
            memcmp(la->b, lb->b, la->n_out * sizeof *la->b))
            return 0;
    }
    return 1;
}

/* The certificate of the pair over [lo, hi]: workspace for this call.  A
 * pair of the same weights (a grid sparsity that prunes nothing) has
 * deviation 0 everywhere: the certificate's outward rounding would not
 * say so exactly. */
static int pair_box_eval(const mlp *orig, const mlp *pruned, const double lo[], const double hi[],
                         const bounds_diff_opts *o, double x_lower[], bounds_diff_result *r,
                         pb_error *err)
{
    bounds_diff *d;
    bounds_diff_work *w;
    int status;

    if (!(d = bounds_diff_alloc(orig, pruned, err)))
        return err ? err->code : PB_EINTERNAL;
    if (same_weights(orig, pruned)) {
        for (size_t i = 0; i < orig->n_in; i++)
            if (!isfinite(lo[i]) || !isfinite(hi[i]) || lo[i] > hi[i]) {
                status = pb_error_set(err, PB_EINVAL, "box: dimension %zu needs finite lo <= hi",
                                      i + 1);
                goto free_d;
            }
        memset(r, 0, sizeof *r);
        for (size_t i = 0; i < orig->n_in; i++)
            x_lower[i] = 0.5 * (lo[i] + hi[i]);
        status = PB_SUCCESS;
        goto free_d;
    }
    if (!(w = bounds_diff_work_alloc(d, o->max_splits, err))) {
        status = err ? err->code : PB_ENOMEM;
        goto free_d;
    }
    status = bounds_diff_eval(d, lo, hi, o, w, x_lower, r, err);
    bounds_diff_work_free(w);
free_d:
    bounds_diff_free(d);
    return status;
}

int certify_pair_eval(const mlp *orig, const mlp *pruned, const bounds_set *X,
                      const bounds_diff_opts *o, double x_lower[], bounds_diff_result *r,
                      pb_error *err)
{
    double *lo, *hi;
    int status;

    if (!(lo = malloc(2 * orig->n_in * sizeof *lo)))
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    hi = lo + orig->n_in;
    if (!(status = certify_set_box(orig, X, lo, hi, err)))
        status = pair_box_eval(orig, pruned, lo, hi, o, x_lower, r, err);
    free(lo);
    return status;
}

int certify_diff_profile(certify *c, const certify_pruning *p, const size_t sel[], size_t n_sel,
                         const double lo[], const double hi[], const bounds_diff_opts *o,
                         double upper[], double lower[], pb_error *err)
{
    mlp *prev = NULL, *q = NULL;
    double *xl;
    int status = PB_SUCCESS;

    if (p->nm_m)
        return pb_error_set(err, PB_EINVAL,
                            "the differential search runs over sparsities, not N:M patterns");
    if (!(xl = malloc(c->m->n_in * sizeof *xl)))
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    for (size_t i = 0; i < CERTIFY_GRID; i++) {
        bounds_diff_result r;
        if (c->progress)
            c->progress(c->progress_ctx, i, CERTIFY_GRID);
        if ((status = certify_prune(c, p, sel, n_sel, (double)i / 100.0, &q, err)))
            break;
        if (prev && same_weights(prev, q)) {
            /* the same pair as at the previous sparsity: the same certificate */
            upper[i] = upper[i - 1];
            lower[i] = lower[i - 1];
        } else {
            if ((status = pair_box_eval(c->m, q, lo, hi, o, xl, &r, err))) {
                pb_error_prefix(err, "%s at sparsity %.2f: ", p->method->name, (double)i / 100.0);
                break;
            }
            upper[i] = r.upper;
            lower[i] = r.lower;
        }
        mlp_free(prev);
        prev = q;
        q = NULL;
    }
    if (status == PB_SUCCESS && c->progress)
        c->progress(c->progress_ctx, CERTIFY_GRID, CERTIFY_GRID);
    mlp_free(q);
    mlp_free(prev);
    free(xl);
    return status;
}

double certify_diff_sparsity(const double v[], double eps)
{
    size_t best = 0;

    for (size_t i = 1; i < CERTIFY_GRID; i++)
        if (v[i] <= eps)
            best = i;
    return (double)best / 100.0;
}
