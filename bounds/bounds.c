/* bounds.c: the per-policy cache, the forward error of a computed pass and
 * the per-state bounds (forward-pass, closed and multi-layer forms) of
 * docs/BOUNDS.md, after Shamrai (arXiv:2507.02953, 2025).  Every quantity a
 * bound multiplies or adds is rounded up (pb_norm.h). */
#include "bounds.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define U PB_UNIT_ROUNDOFF

/* The rounding of one activation evaluation (docs/BOUNDS.md section 7):
 * |fl(sigma(z)) - sigma(z)| <= rel |fl(sigma(z))| + abs.  ReLU, hardtanh and
 * the identity are exact; leaky ReLU rounds one product; tanh and the sigmoid
 * 1 / (1 + exp(-z)) assume libm's tanh and exp (and libmvec's vector exp)
 * within 16 ulp, several times what glibc documents; abs covers results that
 * underflow, exp(-z) overflowing for z < -709 included. */
void bounds_act_rounding(mlp_act a, double *rel, double *abs)
{
    switch (a) {
    case MLP_ACT_LEAKY_RELU:
        *rel = 2.0 * U;
        *abs = 2.0 * PB_ETA;
        break;
    case MLP_ACT_TANH:
        *rel = 32.0 * U;
        *abs = 0x1p-1021;
        break;
    case MLP_ACT_SIGMOID:
        *rel = 64.0 * U;
        *abs = 0x1p-1020;
        break;
    default: /* linear, relu, hardtanh */
        *rel = 0.0;
        *abs = 0.0;
        break;
    }
}

/* ---- The per-policy cache ---- */

bounds_model *bounds_model_alloc(const mlp *m, pb_error *err)
{
    bounds_model *bm;
    double *w = NULL;
    size_t wsize = 0;

    if (!m)
        return pb_error_set(err, PB_EINVAL, "bounds model of a NULL network"), NULL;
    if (mlp_validate(m, err) != PB_SUCCESS)
        return NULL;
    for (size_t k = 0; k < m->n_layers; k++) {
        size_t s = pb_spectral_work_size(m->layers[k].n_out, m->layers[k].n_in);
        wsize = s > wsize ? s : wsize;
    }
    bm = calloc(1, sizeof *bm);
    if (!bm)
        return pb_error_set(err, PB_ENOMEM, "out of memory allocating a bounds model"), NULL;
    bm->layers = calloc(m->n_layers, sizeof *bm->layers);
    bm->down = calloc(m->n_layers, sizeof *bm->down);
    w = malloc(wsize * sizeof *w);
    if (!bm->layers || !bm->down || !w) {
        pb_error_set(err, PB_ENOMEM, "out of memory allocating a bounds model");
        goto free_bm;
    }
    bm->n_layers = m->n_layers;
    bm->n_in = m->n_in;
    bm->n_out = m->n_out;
    bm->gain = mlp_output_gain(m);
    bm->in_map = m->in_offset && m->in_scale;
    bm->in_gain = 1.0;
    if (bm->in_map) {
        bm->in_gain = 0.0;
        for (size_t i = 0; i < m->n_in; i++)
            bm->in_gain = fmax(bm->in_gain, fabs(m->in_scale[i]));
    }
    bm->out_affine = m->out_offset && m->out_scale;
    bm->out_off_norm = bm->out_affine ? pb_norm2_upper(m->n_out, m->out_offset) : 0.0;
    bm->fe_map_rel = pb_mul_up(2.0, pb_gamma(2));
    bm->fe_in_abs = pb_mul_up(2.0 * PB_ETA, sqrt((double)m->n_in) + 1.0);
    bm->fe_out_abs = pb_mul_up(2.0 * PB_ETA, sqrt((double)m->n_out) + 1.0);
    for (size_t k = 0; k < m->n_layers; k++) {
        const mlp_layer *l = &m->layers[k];
        bounds_layer *b = &bm->layers[k];
        b->n_in = l->n_in;
        b->n_out = l->n_out;
        b->lip = mlp_act_lipschitz(l->act, l->alpha);
        b->act0 = fabs(mlp_act_at_zero(l->act, l->alpha));
        bounds_act_rounding(l->act, &b->act_rel, &b->act_abs);
        {
            double sq = pb_sqrt_up((double)l->n_out);
            b->fe_gamma = pb_gamma(l->n_in + 1);
            b->fe_under = pb_mul_up(sq, (double)(l->n_in + 1) * PB_ETA);
            b->fe_act_abs = pb_mul_up(b->act_abs, sq);
        }
        b->b_norm = pb_norm2_upper(l->n_out, l->b);
        b->W_fro = pb_norm2_upper(l->n_out * l->n_in, l->W);
        if (pb_spectral_norm(l->n_out, l->n_in, l->W, w, &b->W_norm, err) != PB_SUCCESS) {
            pb_error_prefix(err, "layer %zu: ", k + 1);
            goto free_bm;
        }
    }
    /* D_k = l_k prod_{j>k} l_j ||W_j||, from the last layer backwards. */
    {
        double p = 1.0;
        for (size_t k = m->n_layers; k-- > 0;) {
            bm->down[k] = pb_mul_up(bm->layers[k].lip, p);
            p = pb_mul_up(p, pb_mul_up(bm->layers[k].lip, bm->layers[k].W_norm));
        }
    }
    free(w);
    return bm;
free_bm:
    free(w);
    bounds_model_free(bm);
    return NULL;
}

void bounds_model_free(bounds_model *bm)
{
    if (!bm)
        return;
    free(bm->layers);
    free(bm->down);
    free(bm);
}

double bounds_policy_lipschitz(const bounds_model *bm)
{
    double p = pb_mul_up(bm->in_gain, bm->gain);
    for (size_t k = 0; k < bm->n_layers; k++)
        p = pb_mul_up(p, pb_mul_up(bm->layers[k].lip, bm->layers[k].W_norm));
    return p;
}

/* ---- The forward error of a computed pass (docs/BOUNDS.md section 7) ---- */

void bounds_pass_norms(const bounds_model *bm, const double *const h[], double hc[])
{
    hc[0] = pb_norm2_upper(bm->n_in, h[0]);
    for (size_t k = 0; k < bm->n_layers; k++)
        hc[k + 1] = pb_norm2_upper(bm->layers[k].n_out, h[k + 1]);
}

void bounds_pass_from_norms(const bounds_model *bm, const double hc[], double hnorm[],
                            double *out_err)
{
    size_t L = bm->n_layers;
    double e = 0.0;

    /* e_0: the input map s = (x - offset) * scale rounds twice per entry:
     * |s^ - s| <= gamma_2 |s| + eta <= 2 gamma_2 |s^| + 2 eta. */
    if (bm->in_map)
        e = pb_add_up(pb_mul_up(bm->fe_map_rel, hc[0]), bm->fe_in_abs);
    hnorm[0] = pb_add_up(hc[0], e);
    for (size_t k = 0; k < L; k++) {
        const bounds_layer *b = &bm->layers[k];
        /* z^ = fl(W h^ + b): |z^ - (W h^ + b)| <= gamma_{n+1} (|W||h^| + |b|) + (n + 1) eta
         * componentwise (any order of summation, Higham 3.1), whose norm is at most
         * gamma_{n+1} (||W||_F ||h^|| + ||b||) + sqrt(m) (n + 1) eta; the exact
         * z = W h + b is ||W|| e away from W h^ + b. */
        double ez = pb_mul_up(b->fe_gamma, pb_add_up(pb_mul_up(b->W_fro, hc[k]), b->b_norm));
        ez = pb_add_up(pb_add_up(ez, pb_mul_up(b->W_norm, e)), b->fe_under);
        /* h_{k+1} = sigma(z): l ||z^ - z|| plus the activation's own rounding. */
        e = pb_mul_up(b->lip, ez);
        if (b->act_rel > 0.0)
            e = pb_add_up(e, pb_add_up(pb_mul_up(b->act_rel, hc[k + 1]), b->fe_act_abs));
        if (k + 1 < L)
            hnorm[k + 1] = pb_add_up(hc[k + 1], e);
    }
    if (!out_err)
        return;
    /* The output map u = clip((N - offset) * scale): 1-Lipschitz clipping, the
     * gain g on the network's error, and two roundings per entry. */
    if (bm->out_affine) {
        double r = pb_mul_up(pb_mul_up(bm->fe_map_rel, bm->gain), pb_add_up(hc[L], bm->out_off_norm));
        e = pb_add_up(pb_add_up(pb_mul_up(bm->gain, e), r), bm->fe_out_abs);
    }
    *out_err = e;
}

void bounds_pass_eval_work(const bounds_model *bm, const mlp_work *w, double hnorm[],
                           double *out_err)
{
    const double *h[bm->n_layers + 1];
    double hc[bm->n_layers + 1];
    for (size_t j = 0; j <= bm->n_layers; j++)
        h[j] = mlp_work_hidden(w, j);
    bounds_pass_norms(bm, h, hc);
    bounds_pass_from_norms(bm, hc, hnorm, out_err);
}

/* ---- Per-state bounds ---- */

void bounds_eta_eval(const bounds_model *bm, double s_norm, double eta[])
{
    /* ||sigma(z)|| <= ||sigma(z) - sigma(0) 1|| + |sigma(0)| sqrt(n) <= l ||z|| + |sigma(0)| sqrt(n)
     * and ||z|| <= ||W|| ||h|| + ||b|| (docs/BOUNDS.md section 2). */
    eta[0] = s_norm;
    for (size_t k = 0; k + 1 < bm->n_layers; k++) {
        const bounds_layer *b = &bm->layers[k];
        double z = pb_add_up(pb_mul_up(b->W_norm, eta[k]), b->b_norm);
        eta[k + 1] = pb_mul_up(b->lip, z);
        if (b->act0 > 0.0)
            eta[k + 1] =
                pb_add_up(eta[k + 1], pb_mul_up(b->act0, pb_sqrt_up((double)b->n_out)));
    }
}

double bounds_forward_coeff(const bounds_model *bm, size_t k, double hnorm_k)
{
    return pb_mul_up(pb_mul_up(bm->gain, bm->down[k]), hnorm_k);
}

double bounds_multi_eval(const bounds_model *pruned, const double hnorm[], const double dW_norm[],
                         const double db_norm[])
{
    double sum = 0.0;
    for (size_t k = 0; k < pruned->n_layers; k++) {
        double t = dW_norm[k] > 0.0 ? pb_mul_up(dW_norm[k], hnorm[k]) : 0.0;
        if (db_norm && db_norm[k] > 0.0)
            t = pb_add_up(t, db_norm[k]);
        if (t > 0.0)
            sum = pb_add_up(sum, pb_mul_up(pruned->down[k], t));
    }
    return sum > 0.0 ? pb_mul_up(pruned->gain, sum) : 0.0;
}

bounds_verdict bounds_check(double actual, double err, double bound)
{
    if (isnan(actual) || isnan(err) || isnan(bound))
        return BOUNDS_VIOLATED;
    if (actual <= bound)
        return BOUNDS_HOLDS;
    /* The exact deviation is at least actual - err, rounded down. */
    return pb_next_down(actual - err) > bound ? BOUNDS_VIOLATED : BOUNDS_ATTAINED;
}

/* ---- A policy and its pruned twin ---- */

static int same_map(const double *a, const double *b, size_t n)
{
    if (!a || !b)
        return !a && !b;
    return memcmp(a, b, n * sizeof *a) == 0;
}

int bounds_pair_check(const mlp *orig, const mlp *pruned, pb_error *err)
{
    if (!orig || !pruned)
        return pb_error_set(err, PB_EINVAL, "policy pair: NULL network");
    if (pruned->n_layers != orig->n_layers || pruned->n_in != orig->n_in ||
        pruned->n_out != orig->n_out)
        return pb_error_set(err, PB_EINVAL,
                            "the pruned policy has %zu layers (%zu -> %zu), the original %zu "
                            "(%zu -> %zu)",
                            pruned->n_layers, pruned->n_in, pruned->n_out, orig->n_layers,
                            orig->n_in, orig->n_out);
    for (size_t k = 0; k < orig->n_layers; k++) {
        const mlp_layer *a = &orig->layers[k], *b = &pruned->layers[k];
        if (a->n_in != b->n_in || a->n_out != b->n_out)
            return pb_error_set(err, PB_EINVAL,
                                "layer %zu is %zu x %zu in the original but %zu x %zu in the "
                                "pruned policy",
                                k + 1, a->n_out, a->n_in, b->n_out, b->n_in);
        if (a->act != b->act || (a->act == MLP_ACT_LEAKY_RELU && a->alpha != b->alpha))
            return pb_error_set(err, PB_EINVAL,
                                "layer %zu: activations differ (%s in the original, %s in the "
                                "pruned policy)",
                                k + 1, mlp_act_name(a->act), mlp_act_name(b->act));
    }
    if (!same_map(orig->in_offset, pruned->in_offset, orig->n_in) ||
        !same_map(orig->in_scale, pruned->in_scale, orig->n_in))
        return pb_error_set(err, PB_EINVAL, "the input maps of the two policies differ");
    if (!same_map(orig->out_offset, pruned->out_offset, orig->n_out) ||
        !same_map(orig->out_scale, pruned->out_scale, orig->n_out) ||
        !same_map(orig->out_low, pruned->out_low, orig->n_out) ||
        !same_map(orig->out_high, pruned->out_high, orig->n_out))
        return pb_error_set(err, PB_EINVAL,
                            "the output maps of the two policies differ (the bound assumes the "
                            "same map)");
    return PB_SUCCESS;
}

bounds_pair *bounds_pair_alloc(const mlp *orig, const bounds_model *bm_orig, const mlp *pruned,
                               pb_error *err)
{
    size_t L, wsize = 0;
    bounds_pair *p;
    double *w = NULL;

    if (bounds_pair_check(orig, pruned, err))
        return NULL;
    if (!bm_orig || bm_orig->n_layers != orig->n_layers)
        return pb_error_set(err, PB_EINVAL, "policy pair: no bounds model of the original"), NULL;
    L = orig->n_layers;
    for (size_t k = 0; k < L; k++) {
        size_t s = pb_spectral_work_size(orig->layers[k].n_out, orig->layers[k].n_in);
        wsize = s > wsize ? s : wsize;
    }
    p = calloc(1, sizeof *p);
    if (!p)
        goto nomem;
    p->n_layers = L;
    p->orig = bm_orig;
    p->dW_norm = calloc(L, sizeof *p->dW_norm);
    p->db_norm = calloc(L, sizeof *p->db_norm);
    p->changed = calloc(L, 1);
    w = malloc(wsize * sizeof *w);
    if (!p->dW_norm || !p->db_norm || !p->changed || !w)
        goto free_p;
    if (!(p->pruned = bounds_model_alloc(pruned, err)))
        goto fail;
    for (size_t k = 0; k < L; k++) {
        const mlp_layer *a = &orig->layers[k], *b = &pruned->layers[k];
        int dW = memcmp(a->W, b->W, a->n_in * a->n_out * sizeof *a->W) != 0;
        int db = memcmp(a->b, b->b, a->n_out * sizeof *a->b) != 0;
        if (dW && pb_spectral_norm_diff(a->n_out, a->n_in, a->W, b->W, w, &p->dW_norm[k], err)) {
            pb_error_prefix(err, "layer %zu: ||dW||_2: ", k + 1);
            goto fail;
        }
        if (db)
            p->db_norm[k] = pb_norm2_diff_upper(a->n_out, b->b, a->b);
        p->changed[k] = dW || db;
        p->n_changed += p->changed[k];
    }
    free(w);
    return p;
free_p:
    free(w);
    bounds_pair_free(p);
nomem:
    pb_error_set(err, PB_ENOMEM, "out of memory for the bounds of a policy pair");
    return NULL;
fail:
    free(w);
    bounds_pair_free(p);
    return NULL;
}

void bounds_pair_free(bounds_pair *p)
{
    if (!p)
        return;
    bounds_model_free(p->pruned);
    free(p->dW_norm);
    free(p->db_norm);
    free(p->changed);
    free(p);
}

void bounds_pair_eval(const bounds_pair *p, const double hco[], const double uo[],
                      const double hcp[], const double up[], double hnorm[], double eta[],
                      bounds_point *out)
{
    double eo, ep, e_diff;
    bounds_verdict v1, v2;

    /* The pruned pass's hidden norms are not needed, only its output error
     * (eta serves as their scratch before it holds the closed form's eta_k). */
    bounds_pass_from_norms(p->orig, hco, hnorm, &eo);
    bounds_pass_from_norms(p->pruned, hcp, eta, &ep);
    out->actual = pb_norm2_diff(p->orig->n_out, uo, up, &e_diff);
    out->actual_err = pb_add_up(e_diff, pb_add_up(eo, ep));
    if (p->n_changed == 0) {
        out->bound = out->bound_closed = 0.0;
    } else {
        out->bound = bounds_multi_eval(p->pruned, hnorm, p->dW_norm, p->db_norm);
        bounds_eta_eval(p->orig, hnorm[0], eta);
        out->bound_closed = bounds_multi_eval(p->pruned, eta, p->dW_norm, p->db_norm);
    }
    v1 = bounds_check(out->actual, out->actual_err, out->bound);
    v2 = bounds_check(out->actual, out->actual_err, out->bound_closed);
    out->verdict = v1 > v2 ? v1 : v2;
}
