/* bounds_diff.c: the differential certificate of a policy pair over a box
 * and the activation-aware per-state bound (docs/BOUNDS.md sections 11 and
 * 12).  Every interval is rounded outward, so that it encloses the exact
 * (real-arithmetic) networks' values; the activations' own rounding is that
 * of bounds_act_rounding. */
#define _POSIX_C_SOURCE 200809L
#include "bounds_diff.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "pb_norm.h"

#define U PB_UNIT_ROUNDOFF

static double up(double x)
{
    return pb_next_up(x);
}

static double dn(double x)
{
    return pb_next_down(x);
}

/* ---------------------------------------------------------------- intervals */

/* The enclosure [m - r, m + r] of [lo, hi] (m and r in doubles, r rounded up). */
static void mid_rad(double lo, double hi, double *m, double *r)
{
    *m = 0.5 * (lo + hi);
    *r = fmax(up(hi - *m), up(*m - lo));
}

/* z = W h + b for every h in [hl, hu], rounded outward, W (n_out x n_in)
 * row-major and b (may be NULL) known to within rel |entry| (the rounding of
 * a stored difference).  Box arithmetic (Moore): W mid +- |W| rad, with the
 * inner products' rounding, gamma_{n+1} sum |terms| + (n + 2) eta (Higham
 * 2002, section 3.1), and the entries' uncertainty added.  hm, hr: [n_in]. */
static void iv_affine(size_t n_out, size_t n_in, const double *W, const double *b, double rel,
                      const double *hl, const double *hu, double *zl, double *zu, double *hm,
                      double *hr)
{
    double g = pb_gamma(n_in + 1), g1 = pb_add_up(1.0, g), rel1 = pb_add_up(1.0, rel);
    double under = 4.0 * (double)(n_in + 2) * PB_ETA;

    for (size_t c = 0; c < n_in; c++)
        mid_rad(hl[c], hu[c], &hm[c], &hr[c]);
    for (size_t r = 0; r < n_out; r++) {
        const double *Wr = W + r * n_in;
        double mid = b ? b[r] : 0.0, amid = fabs(mid), rad = 0.0, w;
        for (size_t c = 0; c < n_in; c++) {
            mid += Wr[c] * hm[c];
            amid += fabs(Wr[c] * hm[c]);
            rad += fabs(Wr[c]) * hr[c];
        }
        rad = pb_mul_up(rad, g1);
        amid = pb_mul_up(amid, g1);
        w = pb_add_up(pb_mul_up(g, amid), under);
        w = pb_add_up(w, pb_mul_up(rad, rel1));
        if (rel > 0.0)
            w = pb_add_up(w, pb_mul_up(rel, pb_add_up(amid, rad)));
        zl[r] = dn(mid - w);
        zu[r] = up(mid + w);
    }
}

/* [al, au] * [bl, bu], rounded outward. */
static void iv_mul(double al, double au, double bl, double bu, double *lo, double *hi)
{
    double p0 = al * bl, p1 = al * bu, p2 = au * bl, p3 = au * bu;
    *lo = dn(fmin(fmin(p0, p1), fmin(p2, p3)));
    *hi = up(fmax(fmax(p0, p1), fmax(p2, p3)));
}

/* v widened by rel |v| + abs on both sides, rounded outward. */
static void widen(double v, double rel, double abs, double *lo, double *hi)
{
    double r = pb_add_up(pb_mul_up(rel, fabs(v)), abs);
    *lo = dn(v - r);
    *hi = up(v + r);
}

/* sigma([zl, zu]) for a nondecreasing activation, its rounding included. */
static void iv_act(const mlp_layer *l, double zl, double zu, double *hl, double *hu)
{
    double rel, abs, t;
    *hl = zl;
    *hu = zu;
    mlp_act_apply(l->act, l->alpha, 1, hl);
    mlp_act_apply(l->act, l->alpha, 1, hu);
    bounds_act_rounding(l->act, &rel, &abs);
    if (rel > 0.0 || abs > 0.0) {
        widen(*hl, rel, abs, hl, &t);
        widen(*hu, rel, abs, &t, hu);
    }
}

/* [sl, su] contains sigma'(z) for every z in [a, b] where it exists, and so
 * (mean value theorem) every secant slope (sigma(z') - sigma(z)) / (z' - z)
 * with z, z' in [a, b], and Clarke's generalised derivative at a kink.  Exact
 * points for ReLU, leaky ReLU and hardtanh on one side of their kinks.
 * tanh' = 1 - tanh^2 and sigmoid' = p (1 - p) are even and decrease in |z|:
 * the largest at the point of [a, b] nearest 0, the smallest at the farthest. */
static void iv_slope(const mlp_layer *l, double a, double b, double *sl, double *su)
{
    double rel, abs;
    bounds_act_rounding(l->act, &rel, &abs);
    switch (l->act) {
    case MLP_ACT_RELU:
    case MLP_ACT_LEAKY_RELU: {
        double lo = l->act == MLP_ACT_RELU ? 0.0 : l->alpha;
        if (a > 0.0) {
            *sl = *su = 1.0;
        } else if (b < 0.0) {
            *sl = *su = lo;
        } else {
            *sl = lo;
            *su = 1.0;
        }
        return;
    }
    case MLP_ACT_HARDTANH:
        if (a > -1.0 && b < 1.0) {
            *sl = *su = 1.0;
        } else if (b < -1.0 || a > 1.0) {
            *sl = *su = 0.0;
        } else {
            *sl = 0.0;
            *su = 1.0;
        }
        return;
    case MLP_ACT_TANH:
    case MLP_ACT_SIGMOID: {
        double far = fmax(fabs(a), fabs(b));
        double near = (a <= 0.0 && b >= 0.0) ? 0.0 : fmin(fabs(a), fabs(b));
        if (l->act == MLP_ACT_TANH) {
            /* t_hi >= tanh(far), t_lo <= tanh(near) (both >= 0). */
            double t_hi = fmin(1.0, pb_add_up(pb_mul_up(tanh(far), pb_add_up(1.0, rel)), abs));
            double t_lo = fmax(0.0, dn(dn(tanh(near) * dn(1.0 - rel)) - abs));
            *sl = fmax(0.0, dn(1.0 - pb_mul_up(t_hi, t_hi)));
            *su = fmin(1.0, up(1.0 - dn(t_lo * t_lo)));
        } else {
            /* p = sigmoid(-|z|) in (0, 1/2], sigmoid' = p (1 - p), increasing in p. */
            double pf = 1.0 / (1.0 + exp(far)), pn = 1.0 / (1.0 + exp(near));
            double pf_lo = fmax(0.0, dn(dn(pf * dn(1.0 - rel)) - abs));
            double pn_hi = fmin(0.5, pb_add_up(pb_mul_up(pn, pb_add_up(1.0, rel)), abs));
            *sl = fmax(0.0, dn(pf_lo * dn(1.0 - fmin(0.5, up(pf + pb_add_up(pb_mul_up(rel, pf), abs))))));
            *su = fmin(0.25, pb_mul_up(pn_hi, up(1.0 - fmax(0.0, dn(pn - pb_add_up(pb_mul_up(rel, pn), abs))))));
        }
        return;
    }
    default: /* linear */
        *sl = *su = 1.0;
        return;
    }
}

/* >= max ||v|| over the box [lo, hi], rounded up (as pb_norm2_upper). */
static double box_norm_upper(size_t n, const double lo[], const double hi[], double tmp[])
{
    for (size_t i = 0; i < n; i++)
        tmp[i] = fmax(fabs(lo[i]), fabs(hi[i]));
    return pb_norm2_upper(n, tmp);
}

/* The input map of one coordinate enclosed (bounds_set.c): two roundings,
 * |s^ - s| <= 2 gamma_2 |s^| + 2 eta. */
static void in_map_interval(const mlp *m, size_t i, double xl, double xh, double *lo, double *hi)
{
    double l1, h1, l2, h2;
    if (!m->in_offset || !m->in_scale) {
        *lo = xl;
        *hi = xh;
        return;
    }
    widen((xl - m->in_offset[i]) * m->in_scale[i], 2.0 * pb_gamma(2), 2.0 * PB_ETA, &l1, &h1);
    widen((xh - m->in_offset[i]) * m->in_scale[i], 2.0 * pb_gamma(2), 2.0 * PB_ETA, &l2, &h2);
    *lo = fmin(l1, l2); /* a negative scale swaps the ends */
    *hi = fmax(h1, h2);
}

/* The interval of u^_i - u_i (output map applied) from the intervals of the
 * networks' outputs y, y^ and of their difference delta: with an output scale
 * c, sc (y^ - y) = c delta exactly; clipping moves both by a projection, so
 * the difference is theta c delta with theta in [0, 1] and also lies between
 * the differences of the clipped ends. */
static void out_dev_interval(const mlp *m, size_t i, double yl, double yu, double pl, double pu,
                             double dl, double du, double *lo, double *hi)
{
    double sc = (m->out_offset && m->out_scale) ? m->out_scale[i] : 1.0;
    double off = (m->out_offset && m->out_scale) ? m->out_offset[i] : 0.0;
    int clip = (m->out_low && isfinite(m->out_low[i])) || (m->out_high && isfinite(m->out_high[i]));
    iv_mul(dl, du, sc, sc, lo, hi);
    if (sc == 1.0 && off == 0.0) {
        *lo = dl;
        *hi = du;
    }
    if (clip) {
        double vl, vu, ql, qu, t1, t2;
        double L = m->out_low ? m->out_low[i] : -INFINITY, H = m->out_high ? m->out_high[i] : INFINITY;
        *lo = fmin(*lo, 0.0);
        *hi = fmax(*hi, 0.0);
        iv_mul(dn(yl - off), up(yu - off), sc, sc, &vl, &vu);
        iv_mul(dn(pl - off), up(pu - off), sc, sc, &ql, &qu);
        vl = fmin(fmax(vl, L), H);
        vu = fmin(fmax(vu, L), H);
        ql = fmin(fmax(ql, L), H);
        qu = fmin(fmax(qu, L), H);
        t1 = dn(ql - vu);
        t2 = up(qu - vl);
        *lo = fmax(*lo, t1);
        *hi = fmin(*hi, t2);
    }
}

/* ------------------------------------------------------------ the pair */

struct bounds_diff {
    const mlp *o, *p;
    double **dW, **db; /* [n_layers] each: fl(W^_k - W_k), fl(b^_k - b_k) */
    double *rel;       /* [n_layers]: 0 when every difference of the layer is exact, else u */
    double *block;
    size_t max_w;
};

/* Knuth's TwoSum: a + b is exact in binary64 iff the error term is 0. */
static int sum_is_exact(double a, double b)
{
    double s = a + b, bb = s - a;
    return (a - (s - bb)) + (b - bb) == 0.0;
}

bounds_diff *bounds_diff_alloc(const mlp *orig, const mlp *pruned, pb_error *err)
{
    bounds_diff *d;
    size_t total = 0, pos = 0;

    if (bounds_pair_check(orig, pruned, err))
        return NULL;
    d = calloc(1, sizeof *d);
    if (!d)
        goto fail_nomem;
    d->o = orig;
    d->p = pruned;
    d->max_w = orig->max_width;
    for (size_t k = 0; k < orig->n_layers; k++)
        total += orig->layers[k].n_out * (orig->layers[k].n_in + 1);
    d->dW = calloc(orig->n_layers, sizeof *d->dW);
    d->db = calloc(orig->n_layers, sizeof *d->db);
    d->rel = calloc(orig->n_layers, sizeof *d->rel);
    d->block = malloc((total ? total : 1) * sizeof *d->block);
    if (!d->dW || !d->db || !d->rel || !d->block)
        goto free_d;
    for (size_t k = 0; k < orig->n_layers; k++) {
        const mlp_layer *a = &orig->layers[k], *b = &pruned->layers[k];
        size_t nw = a->n_out * a->n_in;
        int exact = 1;
        d->dW[k] = d->block + pos;
        d->db[k] = d->block + pos + nw;
        pos += nw + a->n_out;
        for (size_t i = 0; i < nw; i++) {
            d->dW[k][i] = b->W[i] - a->W[i];
            exact &= sum_is_exact(b->W[i], -a->W[i]);
        }
        for (size_t i = 0; i < a->n_out; i++) {
            d->db[k][i] = b->b[i] - a->b[i];
            exact &= sum_is_exact(b->b[i], -a->b[i]);
        }
        d->rel[k] = exact ? 0.0 : U;
    }
    return d;
free_d:
    bounds_diff_free(d);
fail_nomem:
    pb_error_set(err, PB_ENOMEM, "differential certificate: out of memory");
    return NULL;
}

void bounds_diff_free(bounds_diff *d)
{
    if (!d)
        return;
    free(d->dW);
    free(d->db);
    free(d->rel);
    free(d->block);
    free(d);
}

void bounds_diff_opts_init(bounds_diff_opts *o)
{
    o->max_splits = 1000;
    o->max_seconds = 0.0;
    o->rtol = 0.01;
    o->n_starts = 32;
    o->n_steps = 40;
    o->max_corner_dims = 10;
    o->seed = 1;
}

/* ----------------------------------------------------------- workspace */

enum { V_HL, V_HU, V_PL, V_PU, V_DL, V_DU, V_COUNT }; /* per-layer vectors, twice (A, B) */

struct bounds_diff_work {
    size_t cap;     /* boxes storable: max_splits + 1 */
    size_t n_in, n_out, mw;
    double *box;    /* [cap][2 n_in]: lo then hi */
    double *ub;     /* [cap] */
    size_t *dim;    /* [cap]: the dimension to split, n_in when it cannot be split */
    size_t *heap;   /* [cap]: a max-heap of box slots by ub */
    size_t n_heap;
    double *vec[2][V_COUNT]; /* [mw] each */
    double *J[2][4];         /* Jacobian intervals (J lo, J hi, J^ lo, J^ hi), [mw * n_in] column-major */
    double *t[8];            /* scratch [mw] each */
    double *sl, *su, *sc;    /* s-box and centre [n_in] */
    double *outl, *outu;     /* [n_out]: the deviation interval per output */
    double *keep[6];         /* [n_out] each: a box's output intervals (y, y^, delta) */
    double *x, *g, *xb, *uo, *up_, *v1, *v2; /* search */
    double *F[2][6];         /* forms of h, h^, delta (F_ order), [mw (n_in + 1)] each, twice */
    double *Z[6];            /* forms of z, z^, z^ - z, [mw (n_in + 1)] each */
    double *smag, *fa, *fb;  /* [n_in], [n_in + 1], [n_in + 1] */
    mlp_work *wo, *wp;
    double *mem;
};

bounds_diff_work *bounds_diff_work_alloc(const bounds_diff *d, size_t max_splits, pb_error *err)
{
    bounds_diff_work *w;
    size_t n, mw, cap, total, pos = 0;

    if (!d) {
        pb_error_set(err, PB_EINVAL, "differential certificate: NULL pair");
        return NULL;
    }
    n = d->o->n_in;
    mw = d->max_w;
    cap = max_splits + 1;
    if (cap == 0 || cap > ((size_t)1 << 40)) {
        pb_error_set(err, PB_EINVAL, "differential certificate: max_splits too large");
        return NULL;
    }
    w = calloc(1, sizeof *w);
    if (!w)
        goto fail;
    w->cap = cap;
    w->n_in = n;
    w->n_out = d->o->n_out;
    w->mw = mw;
    total = cap * (2 * n + 1) + 2 * V_COUNT * mw + 8 * mw * n + 8 * mw + 5 * n + 2 * w->n_out +
            3 * n + 8 * w->n_out + 2 * mw + 18 * mw * (n + 1) + 3 * n + 2;
    w->mem = malloc(total * sizeof *w->mem);
    w->dim = malloc(cap * sizeof *w->dim);
    w->heap = malloc(cap * sizeof *w->heap);
    w->wo = mlp_work_alloc(d->o, 1, err);
    w->wp = w->wo ? mlp_work_alloc(d->p, 1, err) : NULL;
    if (!w->mem || !w->dim || !w->heap || !w->wo || !w->wp)
        goto free_w;
#define TAKE(len) (w->mem + (pos += (len)) - (len))
    w->box = TAKE(cap * 2 * n);
    w->ub = TAKE(cap);
    for (int a = 0; a < 2; a++)
        for (int v = 0; v < V_COUNT; v++)
            w->vec[a][v] = TAKE(mw);
    for (int a = 0; a < 2; a++)
        for (int v = 0; v < 4; v++)
            w->J[a][v] = TAKE(mw * n);
    for (int v = 0; v < 8; v++)
        w->t[v] = TAKE(mw);
    w->sl = TAKE(n);
    w->su = TAKE(n);
    w->sc = TAKE(n);
    w->x = TAKE(n);
    w->g = TAKE(n);
    w->xb = TAKE(n);
    w->outl = TAKE(w->n_out);
    w->outu = TAKE(w->n_out);
    for (int v = 0; v < 6; v++)
        w->keep[v] = TAKE(w->n_out);
    w->uo = TAKE(w->n_out);
    w->up_ = TAKE(w->n_out);
    w->v1 = TAKE(mw);
    w->v2 = TAKE(mw);
    for (int a = 0; a < 2; a++)
        for (int v = 0; v < 6; v++)
            w->F[a][v] = TAKE(mw * (n + 1));
    for (int v = 0; v < 6; v++)
        w->Z[v] = TAKE(mw * (n + 1));
    w->smag = TAKE(n);
    w->fa = TAKE(n + 1);
    w->fb = TAKE(n + 1);
#undef TAKE
    return w;
free_w:
    bounds_diff_work_free(w);
fail:
    pb_error_set(err, PB_ENOMEM, "differential certificate: out of memory");
    return NULL;
}

void bounds_diff_work_free(bounds_diff_work *w)
{
    if (!w)
        return;
    mlp_work_free(w->wo);
    mlp_work_free(w->wp);
    free(w->mem);
    free(w->dim);
    free(w->heap);
    free(w);
}

/* ------------------------------------------------- joint propagation */

/* Propagates the s-box [sl, su] through both networks and their difference
 * (ReluDiff's forward interval analysis): at layer k
 *   z in W [h] + b,  z^ in W^ [h^] + b^,
 *   z^ - z = W^ delta + dW h + db in W^ [delta] + dW [h] + db, intersected with [z^] - [z],
 *   delta' = sigma(z^) - sigma(z) = s (z^ - z), s a secant slope over hull([z], [z^]),
 * intersected with [h^'] - [h'].  With jac, also the interval Jacobians
 * J' = diag(sigma'([z])) W J of both networks (J_0 = I).  The results stay in
 * w->vec[a] and w->J[a], a the returned index. */
static int propagate(const bounds_diff *d, bounds_diff_work *w, const double *sl,
                     const double *su, int jac)
{
    const mlp *o = d->o, *p = d->p;
    size_t n = o->n_in, mw = w->mw;
    int a = 0;
    double **t = w->t;

    memcpy(w->vec[0][V_HL], sl, n * sizeof *sl);
    memcpy(w->vec[0][V_HU], su, n * sizeof *su);
    memcpy(w->vec[0][V_PL], sl, n * sizeof *sl);
    memcpy(w->vec[0][V_PU], su, n * sizeof *su);
    memset(w->vec[0][V_DL], 0, n * sizeof *sl);
    memset(w->vec[0][V_DU], 0, n * sizeof *sl);
    if (jac)
        for (size_t c = 0; c < n; c++)
            for (size_t i = 0; i < n; i++) {
                double e = i == c ? 1.0 : 0.0;
                w->J[0][0][c * mw + i] = w->J[0][1][c * mw + i] = e;
                w->J[0][2][c * mw + i] = w->J[0][3][c * mw + i] = e;
            }
    for (size_t k = 0; k < o->n_layers; k++) {
        const mlp_layer *lo = &o->layers[k], *lp = &p->layers[k];
        size_t ni = lo->n_in, no = lo->n_out;
        double *const *A = w->vec[a], *const *B = w->vec[1 - a];
        /* t0,t1: [z]; t2,t3: [z^]; t4,t5 and t6,t7: the two products of the difference */
        iv_affine(no, ni, lo->W, lo->b, 0.0, A[V_HL], A[V_HU], t[0], t[1], w->v1, w->v2);
        iv_affine(no, ni, lp->W, lp->b, 0.0, A[V_PL], A[V_PU], t[2], t[3], w->v1, w->v2);
        iv_affine(no, ni, lp->W, NULL, 0.0, A[V_DL], A[V_DU], t[4], t[5], w->v1, w->v2);
        iv_affine(no, ni, d->dW[k], d->db[k], d->rel[k], A[V_HL], A[V_HU], t[6], t[7], w->v1,
                  w->v2);
        for (size_t r = 0; r < no; r++) {
            double dzl = dn(t[4][r] + t[6][r]), dzu = up(t[5][r] + t[7][r]), sl_, su_;
            dzl = fmax(dzl, dn(t[2][r] - t[1][r]));
            dzu = fmin(dzu, up(t[3][r] - t[0][r]));
            iv_slope(lo, fmin(t[0][r], t[2][r]), fmax(t[1][r], t[3][r]), &sl_, &su_);
            iv_mul(sl_, su_, dzl, dzu, &B[V_DL][r], &B[V_DU][r]);
            iv_act(lo, t[0][r], t[1][r], &B[V_HL][r], &B[V_HU][r]);
            iv_act(lp, t[2][r], t[3][r], &B[V_PL][r], &B[V_PU][r]);
            B[V_DL][r] = fmax(B[V_DL][r], dn(B[V_PL][r] - B[V_HU][r]));
            B[V_DU][r] = fmin(B[V_DU][r], up(B[V_PU][r] - B[V_HL][r]));
        }
        if (jac) {
            double *const *JA = w->J[a], *const *JB = w->J[1 - a];
            for (size_t c = 0; c < n; c++) {
                iv_affine(no, ni, lo->W, NULL, 0.0, JA[0] + c * mw, JA[1] + c * mw, JB[0] + c * mw,
                          JB[1] + c * mw, w->v1, w->v2);
                iv_affine(no, ni, lp->W, NULL, 0.0, JA[2] + c * mw, JA[3] + c * mw,
                          JB[2] + c * mw, JB[3] + c * mw, w->v1, w->v2);
            }
            for (size_t r = 0; r < no; r++) {
                double ol, ou, pl, pu;
                iv_slope(lo, t[0][r], t[1][r], &ol, &ou);
                iv_slope(lp, t[2][r], t[3][r], &pl, &pu);
                for (size_t c = 0; c < n; c++) {
                    size_t e = c * mw + r;
                    iv_mul(ol, ou, JB[0][e], JB[1][e], &JB[0][e], &JB[1][e]);
                    iv_mul(pl, pu, JB[2][e], JB[3][e], &JB[2][e], &JB[3][e]);
                }
            }
        }
        a = 1 - a;
    }
    return a;
}

/* ------------------------------------------- symbolic (linear) bounds */

/* A linear form of the s-box is n + 1 doubles: coefficients a[0..n-1] and a
 * constant a[n], read as the exact real a . s + a[n].  A lower form of a
 * quantity q means q(s) >= a . s + a[n] for every s of the box, an upper form
 * q(s) <= .  Forms of h, h^ and delta are propagated layer by layer (symbolic
 * intervals: Wang et al., ReluVal/Neurify, USENIX Security 2018 and NeurIPS
 * 2018; of the difference: Paulsen et al., ReluDiff, ICSE 2020, and NeuroDiff,
 * ASE 2020), every rounding of a coefficient moved into the constant over the
 * box (|s_j| <= smag_j). */

/* min (lower form) or max (upper form) of a form over [sl, su], rounded
 * outward: gamma_{n+1} sum |terms| + (n + 2) eta. */
static double form_extreme(size_t n, const double *a, const double *sl, const double *su, int upper)
{
    double sum = a[n], abs = fabs(a[n]), err;
    for (size_t j = 0; j < n; j++) {
        double t = (a[j] >= 0.0) == (upper != 0) ? a[j] * su[j] : a[j] * sl[j];
        sum += t;
        abs += fabs(t);
    }
    err = pb_add_up(pb_mul_up(pb_gamma(n + 1), pb_mul_up(abs, pb_add_up(1.0, pb_gamma(n + 1)))),
                    4.0 * (double)(n + 2) * PB_ETA);
    return upper ? up(sum + err) : dn(sum - err);
}

/* Rows r of out (lower forms L, upper forms U, (n + 1) each) get
 *   (acc ? out : 0) + sum_c W_rc f_c + b_r,  f_c between Lin_c and Uin_c,
 * W_rc >= 0 taking Lin_c for the lower form, Uin_c for the upper, and the
 * other way round (Lf, Uf: the output rows).  The entries of W and b are known to within rel |entry|;
 * that uncertainty times mag_c >= |f_c(s)| goes into the constant, as does
 * the inner products' rounding (gamma_{n_in+2}, Higham 2002, section 3.1)
 * times smag.  fa, fb: scratch of n + 1. */
static void form_affine(size_t no, size_t ni, size_t n, const double *W, const double *b, double rel,
                        const double *mag, const double *Lin, const double *Uin, int acc,
                        double *Lf, double *Uf, const double *smag, double ssum, double *fa,
                        double *fb)
{
    size_t m = n + 1;
    double g = pb_gamma(ni + 2), g1 = pb_add_up(1.0, g);
    double under = pb_mul_up(4.0 * (double)(ni + 3) * PB_ETA, pb_add_up(ssum, 1.0));
    for (size_t r = 0; r < no; r++) {
        double *Lr = Lf + r * m, *Ur = Uf + r * m, eL = 0.0, eU = 0.0, unc = 0.0;
        if (!acc)
            for (size_t j = 0; j < m; j++)
                Lr[j] = Ur[j] = 0.0;
        for (size_t j = 0; j < m; j++) {
            fa[j] = fabs(Lr[j]);
            fb[j] = fabs(Ur[j]);
        }
        if (b) {
            Lr[n] += b[r];
            Ur[n] += b[r];
            fa[n] += fabs(b[r]);
            fb[n] += fabs(b[r]);
            unc = fabs(b[r]);
        }
        for (size_t c = 0; c < ni; c++) {
            double wv = W[r * ni + c];
            const double *lo = wv >= 0.0 ? Lin + c * m : Uin + c * m;
            const double *hi = wv >= 0.0 ? Uin + c * m : Lin + c * m;
            if (wv == 0.0)
                continue;
            for (size_t j = 0; j < m; j++) {
                double tl = wv * lo[j], th = wv * hi[j];
                Lr[j] += tl;
                Ur[j] += th;
                fa[j] += fabs(tl);
                fb[j] += fabs(th);
            }
            if (rel > 0.0)
                unc = pb_add_up(unc, pb_mul_up(fabs(wv), mag[c]));
        }
        for (size_t j = 0; j < n; j++) {
            eL = pb_add_up(eL, pb_mul_up(fa[j], smag[j]));
            eU = pb_add_up(eU, pb_mul_up(fb[j], smag[j]));
        }
        eL = pb_add_up(pb_mul_up(g, pb_mul_up(pb_add_up(eL, fa[n]), g1)), under);
        eU = pb_add_up(pb_mul_up(g, pb_mul_up(pb_add_up(eU, fb[n]), g1)), under);
        if (rel > 0.0) {
            unc = pb_mul_up(pb_mul_up(unc, g1), pb_add_up(rel, rel * g1));
            eL = pb_add_up(eL, unc);
            eU = pb_add_up(eU, unc);
        }
        Lr[n] = dn(Lr[n] - eL);
        Ur[n] = up(Ur[n] + eU);
    }
}

/* out = lam f + mu (lam >= 0 and mu already rounded the right way), the
 * products' rounding (2u |product| + 2 eta each) moved into the constant. */
static void form_line(size_t n, double lam, double mu, const double *f, double *out, int upper,
                      const double *smag, double ssum)
{
    double e = 0.0, c;
    for (size_t j = 0; j < n; j++) {
        out[j] = lam * f[j];
        e = pb_add_up(e, pb_mul_up(fabs(out[j]), smag[j]));
    }
    c = lam * f[n];
    e = pb_add_up(pb_mul_up(2.0 * U, pb_add_up(e, fabs(c))),
                  pb_mul_up(2.0 * PB_ETA, pb_add_up(ssum, 1.0)));
    out[n] = upper ? up(up(c + e) + mu) : dn(dn(c - e) + mu);
}

/* out = f - g (exact coefficients' rounding moved into the constant):
 * a lower form minus an upper form is a lower form, and so on. */
static void form_sub(size_t n, const double *f, const double *gf, double *out, int upper,
                     const double *smag)
{
    double e = 0.0, c;
    for (size_t j = 0; j < n; j++) {
        out[j] = f[j] - gf[j];
        e = pb_add_up(e, pb_mul_up(U * fabs(out[j]), smag[j]));
    }
    c = f[n] - gf[n];
    e = pb_add_up(pb_mul_up(U, pb_add_up(e, fabs(c))), 0.0);
    out[n] = upper ? up(c + e) : dn(c - e);
}

/* Sound lines lam_l z + mu_l <= sigma(z) <= lam_u z + mu_u on [zl, zu],
 * lam >= 0.  The default uses the least slope sl of sigma' on the interval:
 * sigma(z) - sl z is nondecreasing, so the lines through the ends with slope
 * sl hold.  Where sigma is convex on the interval (ReLU, leaky ReLU, tanh
 * and the sigmoid for zu <= 0, hardtanh for zu <= 1) the chord is an upper
 * line; where concave, a lower line; a line of any slope is moved to pass
 * the ends (a convex f - lam z is largest at an end).  ReLU and leaky ReLU
 * also get the lower line z (DeepPoly, Singh et al., POPL 2019) when
 * zu > -zl. */
static void act_lines(const mlp_layer *l, double zl, double zu, double *ll, double *ml, double *lu,
                      double *mu)
{
    double al, ah, bl, bh, sl, su, p0, p1, q0, q1;
    int convex, concave;
    if (l->act == MLP_ACT_LINEAR) {
        *ll = *lu = 1.0;
        *ml = *mu = 0.0;
        return;
    }
    iv_act(l, zl, zl, &al, &ah);
    iv_act(l, zu, zu, &bl, &bh);
    iv_slope(l, zl, zu, &sl, &su);
    iv_mul(sl, sl, zl, zl, &p0, &p1);
    iv_mul(sl, sl, zu, zu, &q0, &q1);
    *ll = *lu = sl;
    *ml = dn(al - p1);
    *mu = up(bh - q0);
    switch (l->act) {
    case MLP_ACT_RELU:
    case MLP_ACT_LEAKY_RELU: convex = 1; concave = 0; break;
    case MLP_ACT_HARDTANH: convex = zu <= 1.0; concave = zl >= -1.0; break;
    default: convex = zu <= 0.0; concave = zl >= 0.0; break;
    }
    if (zu > zl && (convex || concave)) {
        double lam = fmax(0.0, (bh - al) / (zu - zl)), m0, m1;
        if (isfinite(lam)) {
            iv_mul(lam, lam, zl, zl, &p0, &p1);
            iv_mul(lam, lam, zu, zu, &q0, &q1);
            if (convex) {
                m0 = up(ah - p0);
                m1 = up(bh - q0);
                *lu = lam;
                *mu = fmax(m0, m1);
            } else {
                m0 = dn(al - p1);
                m1 = dn(bl - q1);
                *ll = lam;
                *ml = fmin(m0, m1);
            }
        }
    }
    if ((l->act == MLP_ACT_RELU || l->act == MLP_ACT_LEAKY_RELU) && zl < 0.0 && zu > 0.0 &&
        zu > -zl) {
        *ll = 1.0; /* relu(z) >= z, leaky(z) >= z for alpha <= 1: exact, no rounding */
        *ml = 0.0;
    }
}

/* Sound lines for delta' = s t, s in [sl, su] (sl >= 0), t in [tl, tu]:
 * lam_l t + mu_l <= s t <= lam_u t + mu_u, lam >= 0.  On one side of 0 the
 * product is between sl t and su t; across 0, min(sl t, su t) is concave and
 * max(sl t, su t) convex, so their chords bound them (moved to pass the ends). */
static void prod_lines(double sl, double su, double tl, double tu, double *ll, double *ml,
                       double *lu, double *mu)
{
    *ml = *mu = 0.0;
    if (tl >= 0.0) {
        *ll = sl;
        *lu = su;
    } else if (tu <= 0.0) {
        *ll = su;
        *lu = sl;
    } else {
        double a0, a1, b0, b1, lam;
        lam = fmin(su, fmax(sl, (sl * tu - su * tl) / (tu - tl)));
        iv_mul(dn(su - lam), up(su - lam), tl, tl, &a0, &a1);
        iv_mul(dn(sl - lam), up(sl - lam), tu, tu, &b0, &b1);
        *ll = lam;
        *ml = fmin(a0, b0);
        lam = fmin(su, fmax(sl, (su * tu - sl * tl) / (tu - tl)));
        iv_mul(dn(sl - lam), up(sl - lam), tl, tl, &a0, &a1);
        iv_mul(dn(su - lam), up(su - lam), tu, tu, &b0, &b1);
        *lu = lam;
        *mu = fmax(a1, b1);
    }
}

enum { F_HL, F_HU, F_PL, F_PU, F_DL, F_DU, F_COUNT };

/* The symbolic pass over the s-box [sl, su]: forms of h, h^, delta layer by
 * layer, each neuron's concrete interval the intersection of its forms' range
 * with the interval pass (as in propagate), and the forms of delta from the
 * slope lines of prod_lines over the forms of z^ - z = W^ delta + dW h + db, or
 * from those of h^ - h where these are narrower.  The concrete intervals of
 * the output layer stay in w->vec[a] (V_ order), a the returned index. */
static int sym_propagate(const bounds_diff *d, bounds_diff_work *w, const double *sl,
                         const double *su)
{
    const mlp *o = d->o, *p = d->p;
    size_t n = o->n_in, m = n + 1;
    double *smag = w->smag, ssum = 0.0, **t = w->t, *fa = w->fa, *fb = w->fb;
    int a = 0;

    for (size_t j = 0; j < n; j++) {
        smag[j] = fmax(fabs(sl[j]), fabs(su[j]));
        ssum = pb_add_up(ssum, smag[j]);
    }
    for (int v = 0; v < F_COUNT; v++)
        memset(w->F[0][v], 0, n * m * sizeof *w->F[0][v]);
    for (size_t c = 0; c < n; c++)
        for (int v = 0; v < F_DL; v++)
            w->F[0][v][c * m + c] = 1.0;
    memcpy(w->vec[0][V_HL], sl, n * sizeof *sl);
    memcpy(w->vec[0][V_HU], su, n * sizeof *su);
    memcpy(w->vec[0][V_PL], sl, n * sizeof *sl);
    memcpy(w->vec[0][V_PU], su, n * sizeof *su);
    memset(w->vec[0][V_DL], 0, n * sizeof *sl);
    memset(w->vec[0][V_DU], 0, n * sizeof *sl);
    for (size_t k = 0; k < o->n_layers; k++) {
        const mlp_layer *lo = &o->layers[k], *lp = &p->layers[k];
        size_t ni = lo->n_in, no = lo->n_out;
        double *const *A = w->vec[a], *const *B = w->vec[1 - a];
        double *const *FA = w->F[a], *const *FB = w->F[1 - a], *const *Z = w->Z;

        /* Intervals: t0,t1 [z]; t2,t3 [z^]; t4,t5 W^ [delta]; t6,t7 dW [h] + db. */
        iv_affine(no, ni, lo->W, lo->b, 0.0, A[V_HL], A[V_HU], t[0], t[1], w->v1, w->v2);
        iv_affine(no, ni, lp->W, lp->b, 0.0, A[V_PL], A[V_PU], t[2], t[3], w->v1, w->v2);
        iv_affine(no, ni, lp->W, NULL, 0.0, A[V_DL], A[V_DU], t[4], t[5], w->v1, w->v2);
        iv_affine(no, ni, d->dW[k], d->db[k], d->rel[k], A[V_HL], A[V_HU], t[6], t[7], w->v1,
                  w->v2);
        /* Forms: Z0,Z1 of z; Z2,Z3 of z^; Z4,Z5 of z^ - z. */
        for (size_t c = 0; c < ni; c++)
            w->v1[c] = fmax(fabs(A[V_HL][c]), fabs(A[V_HU][c]));
        form_affine(no, ni, n, lo->W, lo->b, 0.0, NULL, FA[F_HL], FA[F_HU], 0, Z[0], Z[1], smag,
                    ssum, fa, fb);
        form_affine(no, ni, n, lp->W, lp->b, 0.0, NULL, FA[F_PL], FA[F_PU], 0, Z[2], Z[3], smag,
                    ssum, fa, fb);
        form_affine(no, ni, n, lp->W, NULL, 0.0, NULL, FA[F_DL], FA[F_DU], 0, Z[4], Z[5], smag,
                    ssum, fa, fb);
        form_affine(no, ni, n, d->dW[k], d->db[k], d->rel[k], w->v1, FA[F_HL], FA[F_HU], 1, Z[4],
                    Z[5], smag, ssum, fa, fb);
        for (size_t r = 0; r < no; r++) {
            double zl, zu, ql, qu, dl, du, ll, ml, lu, mu, s0, s1, x0, x1, y0, y1;
            const double *z0 = Z[0] + r * m, *z1 = Z[1] + r * m, *q0 = Z[2] + r * m,
                         *q1 = Z[3] + r * m, *d0 = Z[4] + r * m, *d1 = Z[5] + r * m;
            zl = fmax(t[0][r], form_extreme(n, z0, sl, su, 0));
            zu = fmin(t[1][r], form_extreme(n, z1, sl, su, 1));
            ql = fmax(t[2][r], form_extreme(n, q0, sl, su, 0));
            qu = fmin(t[3][r], form_extreme(n, q1, sl, su, 1));
            dl = fmax(dn(t[4][r] + t[6][r]), form_extreme(n, d0, sl, su, 0));
            du = fmin(up(t[5][r] + t[7][r]), form_extreme(n, d1, sl, su, 1));
            dl = fmax(dl, dn(ql - zu));
            du = fmin(du, up(qu - zl));
            if (zl > zu || ql > qu || dl > du) { /* only through a NaN or a bug: give up */
                zl = ql = dl = -INFINITY;
                zu = qu = du = INFINITY;
            }
            /* h' and h^' */
            act_lines(lo, zl, zu, &ll, &ml, &lu, &mu);
            form_line(n, ll, ml, z0, FB[F_HL] + r * m, 0, smag, ssum);
            form_line(n, lu, mu, z1, FB[F_HU] + r * m, 1, smag, ssum);
            iv_act(lo, zl, zu, &B[V_HL][r], &B[V_HU][r]);
            B[V_HL][r] = fmax(B[V_HL][r], form_extreme(n, FB[F_HL] + r * m, sl, su, 0));
            B[V_HU][r] = fmin(B[V_HU][r], form_extreme(n, FB[F_HU] + r * m, sl, su, 1));
            act_lines(lp, ql, qu, &ll, &ml, &lu, &mu);
            form_line(n, ll, ml, q0, FB[F_PL] + r * m, 0, smag, ssum);
            form_line(n, lu, mu, q1, FB[F_PU] + r * m, 1, smag, ssum);
            iv_act(lp, ql, qu, &B[V_PL][r], &B[V_PU][r]);
            B[V_PL][r] = fmax(B[V_PL][r], form_extreme(n, FB[F_PL] + r * m, sl, su, 0));
            B[V_PU][r] = fmin(B[V_PU][r], form_extreme(n, FB[F_PU] + r * m, sl, su, 1));
            /* delta' = s (z^ - z), s a secant slope over the hull */
            iv_slope(lo, fmin(zl, ql), fmax(zu, qu), &s0, &s1);
            iv_mul(s0, s1, dl, du, &y0, &y1);
            prod_lines(s0, s1, dl, du, &ll, &ml, &lu, &mu);
            form_line(n, ll, ml, d0, FB[F_DL] + r * m, 0, smag, ssum);
            form_line(n, lu, mu, d1, FB[F_DU] + r * m, 1, smag, ssum);
            x0 = form_extreme(n, FB[F_DL] + r * m, sl, su, 0);
            x1 = form_extreme(n, FB[F_DU] + r * m, sl, su, 1);
            /* or h^' - h', where narrower */
            form_sub(n, FB[F_PL] + r * m, FB[F_HU] + r * m, fa, 0, smag);
            form_sub(n, FB[F_PU] + r * m, FB[F_HL] + r * m, fb, 1, smag);
            s0 = form_extreme(n, fa, sl, su, 0);
            s1 = form_extreme(n, fb, sl, su, 1);
            if (s0 > x0) {
                memcpy(FB[F_DL] + r * m, fa, m * sizeof *fa);
                x0 = s0;
            }
            if (s1 < x1) {
                memcpy(FB[F_DU] + r * m, fb, m * sizeof *fb);
                x1 = s1;
            }
            B[V_DL][r] = fmax(x0, y0);
            B[V_DU][r] = fmin(x1, y1);
            B[V_DL][r] = fmax(B[V_DL][r], dn(B[V_PL][r] - B[V_HU][r]));
            B[V_DU][r] = fmin(B[V_DU][r], up(B[V_PU][r] - B[V_HL][r]));
        }
        a = 1 - a;
    }
    return a;
}

/* The s-box of the x-box [xl, xh]. */
static void s_box(const mlp *m, const double *xl, const double *xh, double *sl, double *su)
{
    for (size_t i = 0; i < m->n_in; i++)
        in_map_interval(m, i, xl[i], xh[i], &sl[i], &su[i]);
}

/* The certificate of one x-box: the per-output deviation intervals
 * w->outl/outu, and *ub >= sup ||u^ - u|| over it (+inf for a NaN).  *split
 * receives the dimension whose width contributes most to the centred form
 * (the widest when none does), or n_in when no dimension has width. */
static double box_upper(const bounds_diff *d, bounds_diff_work *w, const double *xl,
                        const double *xh, size_t *split)
{
    const mlp *o = d->o;
    size_t n = o->n_in, n_out = o->n_out, mw = w->mw, best = n;
    double *sl = w->sl, *su = w->su, *sc = w->sc, ub, best_score = -1.0;
    int a, b;

    s_box(o, xl, xh, sl, su);
    a = propagate(d, w, sl, su, 1);
    /* Keep the box's output intervals (the centre's pass reuses vec). */
    for (int v = 0; v < 6; v++)
        memcpy(w->keep[v], w->vec[a][v], n_out * sizeof *w->keep[v]);
    /* Mean value form (Moore's centred form): f(s) in f(c) + ([J^] - [J]) (s - c). */
    for (size_t j = 0; j < n; j++)
        sc[j] = 0.5 * (sl[j] + su[j]);
    for (size_t i = 0; i < n_out; i++) {
        w->outl[i] = 0.0; /* the sum over j, then added to f(c) */
        w->outu[i] = 0.0;
        for (size_t j = 0; j < n; j++) {
            size_t e = j * mw + i;
            double gl = dn(w->J[a][2][e] - w->J[a][1][e]), gu = up(w->J[a][3][e] - w->J[a][0][e]);
            double pl, pu;
            iv_mul(gl, gu, dn(sl[j] - sc[j]), up(su[j] - sc[j]), &pl, &pu);
            w->outl[i] = dn(w->outl[i] + pl);
            w->outu[i] = up(w->outu[i] + pu);
        }
    }
    for (size_t j = 0; j < n; j++) {
        double width = su[j] - sl[j], score = 0.0;
        if (width <= 0.0)
            continue;
        for (size_t i = 0; i < n_out; i++) {
            size_t e = j * mw + i;
            double gl = w->J[a][2][e] - w->J[a][1][e], gu = w->J[a][3][e] - w->J[a][0][e];
            score += fmax(fabs(gl), fabs(gu));
        }
        score *= width;
        if (score > best_score || (score == best_score && best < n &&
                                   width > su[best] - sl[best])) {
            best_score = score;
            best = j;
        }
    }
    *split = best;
    b = propagate(d, w, sc, sc, 0);
    for (size_t i = 0; i < n_out; i++) {
        w->keep[V_DL][i] = fmax(w->keep[V_DL][i], dn(w->vec[b][V_DL][i] + w->outl[i]));
        w->keep[V_DU][i] = fmin(w->keep[V_DU][i], up(w->vec[b][V_DU][i] + w->outu[i]));
    }
    /* The symbolic pass; its output intervals intersected with the others. */
    b = sym_propagate(d, w, sl, su);
    for (size_t i = 0; i < n_out; i++) {
        double dl = fmax(w->keep[V_DL][i], w->vec[b][V_DL][i]);
        double du = fmin(w->keep[V_DU][i], w->vec[b][V_DU][i]);
        for (int v = 0; v < 4; v += 2) {
            w->keep[v][i] = fmax(w->keep[v][i], w->vec[b][v][i]);
            w->keep[v + 1][i] = fmin(w->keep[v + 1][i], w->vec[b][v + 1][i]);
        }
        out_dev_interval(o, i, w->keep[V_HL][i], w->keep[V_HU][i], w->keep[V_PL][i],
                         w->keep[V_PU][i], dl, du, &w->outl[i], &w->outu[i]);
    }
    ub = box_norm_upper(n_out, w->outl, w->outu, w->v1);
    return isnan(ub) ? INFINITY : ub;
}

/* ------------------------------------------------------------ the search */

static unsigned long long splitmix64(unsigned long long *s)
{
    unsigned long long z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double uniform01(unsigned long long *s)
{
    return (double)(splitmix64(s) >> 11) * 0x1p-53;
}

/* Backpropagates v (n_out, d/du) through network m at its last mlp_eval (the
 * output map's derivative included, 0 where clipped); adds sign * dx to g. */
static void backprop(const mlp *m, const mlp_work *mw, const double *u, double *v, double *v2,
                     double sign, double *g)
{
    for (size_t i = 0; i < m->n_out; i++) {
        double sc = (m->out_offset && m->out_scale) ? m->out_scale[i] : 1.0;
        int clipped = (m->out_low && u[i] <= m->out_low[i]) || (m->out_high && u[i] >= m->out_high[i]);
        v[i] *= clipped ? 0.0 : sc;
    }
    for (size_t k = m->n_layers; k-- > 0;) {
        const mlp_layer *l = &m->layers[k];
        const double *h = mlp_work_hidden(mw, k + 1);
        for (size_t r = 0; r < l->n_out; r++) {
            double dsig;
            switch (l->act) {
            case MLP_ACT_RELU: dsig = h[r] > 0.0; break;
            case MLP_ACT_LEAKY_RELU: dsig = h[r] > 0.0 ? 1.0 : l->alpha; break;
            case MLP_ACT_TANH: dsig = 1.0 - h[r] * h[r]; break;
            case MLP_ACT_SIGMOID: dsig = h[r] * (1.0 - h[r]); break;
            case MLP_ACT_HARDTANH: dsig = fabs(h[r]) < 1.0; break;
            default: dsig = 1.0; break;
            }
            v[r] *= dsig;
        }
        for (size_t c = 0; c < l->n_in; c++)
            v2[c] = 0.0;
        for (size_t r = 0; r < l->n_out; r++) {
            const double *Wr = l->W + r * l->n_in;
            for (size_t c = 0; c < l->n_in; c++)
                v2[c] += Wr[c] * v[r];
        }
        memcpy(v, v2, l->n_in * sizeof *v);
    }
    for (size_t c = 0; c < m->n_in; c++)
        g[c] += sign * v[c] * ((m->in_offset && m->in_scale) ? m->in_scale[c] : 1.0);
}

typedef struct search {
    double best;
    size_t evals;
} search;

/* The computed deviation at x; with g, also the gradient of 1/2 ||u^ - u||^2. */
static double dev_at(const bounds_diff *d, bounds_diff_work *w, const double *x, double *g,
                     search *s)
{
    const mlp *o = d->o, *p = d->p;
    double dev;
    mlp_eval(o, w->wo, x, w->uo);
    mlp_eval(p, w->wp, x, w->up_);
    dev = pb_norm2_diff(o->n_out, w->up_, w->uo, NULL);
    s->evals++;
    if (dev > s->best || (s->best != s->best)) {
        s->best = dev;
        memcpy(w->xb, x, o->n_in * sizeof *x);
    }
    if (g) {
        memset(g, 0, o->n_in * sizeof *g);
        for (size_t i = 0; i < o->n_out; i++)
            w->v1[i] = w->up_[i] - w->uo[i];
        backprop(p, w->wp, w->up_, w->v1, w->v2, 1.0, g);
        for (size_t i = 0; i < o->n_out; i++)
            w->v1[i] = w->up_[i] - w->uo[i];
        backprop(o, w->wo, w->uo, w->v1, w->v2, -1.0, g);
    }
    return dev;
}

/* Projected sign-gradient ascent in the box from w->x, first step frac of
 * each width, shrinking by 0.85 per step. */
static void ascend(const bounds_diff *d, bounds_diff_work *w, const double *lo, const double *hi,
                   size_t n_steps, double frac, search *s)
{
    size_t n = d->o->n_in;
    for (size_t t = 0; t < n_steps; t++) {
        dev_at(d, w, w->x, w->g, s);
        for (size_t j = 0; j < n; j++) {
            double step = frac * (hi[j] - lo[j]);
            if (w->g[j] > 0.0)
                w->x[j] = fmin(hi[j], w->x[j] + step);
            else if (w->g[j] < 0.0)
                w->x[j] = fmax(lo[j], w->x[j] - step);
        }
        frac *= 0.85;
    }
    dev_at(d, w, w->x, NULL, s);
}

/* ------------------------------------------------------ branch and bound */

static void heap_push(bounds_diff_work *w, size_t slot)
{
    size_t i = w->n_heap++;
    w->heap[i] = slot;
    while (i > 0) {
        size_t pa = (i - 1) / 2;
        if (w->ub[w->heap[pa]] >= w->ub[w->heap[i]])
            break;
        size_t t = w->heap[pa];
        w->heap[pa] = w->heap[i];
        w->heap[i] = t;
        i = pa;
    }
}

static size_t heap_pop(bounds_diff_work *w)
{
    size_t top = w->heap[0], i = 0;
    w->heap[0] = w->heap[--w->n_heap];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < w->n_heap && w->ub[w->heap[l]] > w->ub[w->heap[m]])
            m = l;
        if (r < w->n_heap && w->ub[w->heap[r]] > w->ub[w->heap[m]])
            m = r;
        if (m == i)
            break;
        size_t t = w->heap[m];
        w->heap[m] = w->heap[i];
        w->heap[i] = t;
        i = m;
    }
    return top;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int check_box(const bounds_diff *d, const double lo[], const double hi[], pb_error *err)
{
    if (!d || !lo || !hi)
        return pb_error_set(err, PB_EINVAL, "differential certificate: NULL argument");
    for (size_t i = 0; i < d->o->n_in; i++)
        if (!isfinite(lo[i]) || !isfinite(hi[i]) || lo[i] > hi[i])
            return pb_error_set(err, PB_EINVAL,
                                "box: dimension %zu needs finite lo <= hi (got %g, %g)", i + 1,
                                lo[i], hi[i]);
    return PB_SUCCESS;
}

int bounds_diff_box_upper(const bounds_diff *d, const double lo[], const double hi[],
                          bounds_diff_work *w, double *upper, pb_error *err)
{
    size_t split;
    int status = check_box(d, lo, hi, err);
    if (status)
        return status;
    if (!w || !upper)
        return pb_error_set(err, PB_EINVAL, "differential certificate: NULL argument");
    *upper = box_upper(d, w, lo, hi, &split);
    return PB_SUCCESS;
}

/* The exact deviation at x enclosed: lower_err >= |dev - exact| for the
 * computed dev, from the intervals of the point's pass. */
static double point_err(const bounds_diff *d, bounds_diff_work *w, const double *x, double dev)
{
    size_t n_out = d->o->n_out;
    double hi_n, lo_n;
    int a;
    s_box(d->o, x, x, w->sl, w->su);
    a = propagate(d, w, w->sl, w->su, 0);
    for (size_t i = 0; i < n_out; i++) {
        double l, u;
        out_dev_interval(d->o, i, w->vec[a][V_HL][i], w->vec[a][V_HU][i], w->vec[a][V_PL][i],
                         w->vec[a][V_PU][i], w->vec[a][V_DL][i], w->vec[a][V_DU][i], &l, &u);
        w->outl[i] = l;
        w->outu[i] = u;
        w->v1[i] = (l <= 0.0 && u >= 0.0) ? 0.0 : fmin(fabs(l), fabs(u)); /* mignitude */
    }
    hi_n = box_norm_upper(n_out, w->outl, w->outu, w->v2);
    lo_n = pb_norm2(n_out, w->v1) * (1.0 - 4.0 * pb_gamma(n_out + 2));
    return up(fmax(up(hi_n - dev), up(dev - lo_n)));
}

int bounds_diff_eval(const bounds_diff *d, const double lo[], const double hi[],
                     const bounds_diff_opts *o, bounds_diff_work *w, double x_lower[],
                     bounds_diff_result *r, pb_error *err)
{
    size_t n, split, n_splits = 0, used = 1;
    double closed = 0.0, t0 = seconds_now();
    search s = {-1.0, 0};
    unsigned long long seed;
    int status = check_box(d, lo, hi, err);

    if (status)
        return status;
    if (!o || !w || !r || !x_lower)
        return pb_error_set(err, PB_EINVAL, "differential certificate: NULL argument");
    if (o->max_splits + 1 > w->cap)
        return pb_error_set(err, PB_EINVAL,
                            "differential certificate: the workspace holds %zu splits, not %zu",
                            w->cap - 1, o->max_splits);
    if (!(o->rtol >= 0.0) || !(o->max_seconds >= 0.0))
        return pb_error_set(err, PB_EINVAL, "differential certificate: rtol and max_seconds must be >= 0");
    n = d->o->n_in;
    seed = o->seed;

    /* The search for the lower bound: the centre, the corners, seeded starts. */
    for (size_t j = 0; j < n; j++)
        w->x[j] = 0.5 * (lo[j] + hi[j]);
    ascend(d, w, lo, hi, o->n_steps, 0.25, &s);
    if (n <= o->max_corner_dims && n < 8 * sizeof(size_t) - 1)
        for (size_t c = 0; c < ((size_t)1 << n); c++) {
            for (size_t j = 0; j < n; j++)
                w->x[j] = (c >> j) & 1 ? hi[j] : lo[j];
            dev_at(d, w, w->x, NULL, &s);
        }
    for (size_t st = 0; st < o->n_starts; st++) {
        for (size_t j = 0; j < n; j++)
            w->x[j] = fmin(hi[j], lo[j] + uniform01(&seed) * (hi[j] - lo[j]));
        ascend(d, w, lo, hi, o->n_steps, 0.25, &s);
    }

    /* Branch and bound, best first: split the box of the largest bound. */
    memcpy(w->box, lo, n * sizeof *lo);
    memcpy(w->box + n, hi, n * sizeof *hi);
    w->ub[0] = box_upper(d, w, lo, hi, &w->dim[0]);
    r->root_upper = w->ub[0];
    w->n_heap = 0;
    heap_push(w, 0);
    while (w->n_heap > 0) {
        size_t top = w->heap[0];
        double upper = fmax(w->ub[top], closed);
        if (upper <= (1.0 + o->rtol) * s.best || n_splits >= o->max_splits)
            break;
        if (o->max_seconds > 0.0 && seconds_now() - t0 > o->max_seconds)
            break;
        heap_pop(w);
        split = w->dim[top];
        if (split >= n) { /* a point: nothing to split */
            closed = fmax(closed, w->ub[top]);
            continue;
        }
        {
            double *bl = w->box + top * 2 * n, *bh = bl + n;
            double *cl = w->box + used * 2 * n;
            double mid = 0.5 * (bl[split] + bh[split]);
            size_t kids[2] = {top, used++};
            memcpy(cl, bl, 2 * n * sizeof *bl);
            bh[split] = mid;
            cl[split] = mid;
            for (int k = 0; k < 2; k++) {
                double *kl = w->box + kids[k] * 2 * n, *kh = kl + n;
                w->ub[kids[k]] = box_upper(d, w, kl, kh, &w->dim[kids[k]]);
                for (size_t j = 0; j < n; j++)
                    w->x[j] = 0.5 * (kl[j] + kh[j]);
                dev_at(d, w, w->x, NULL, &s);
                if (w->ub[kids[k]] > s.best)
                    heap_push(w, kids[k]);
                else
                    closed = fmax(closed, w->ub[kids[k]]);
            }
        }
        n_splits++;
    }
    /* A last ascent from the most open box and from the best state. */
    if (w->n_heap > 0) {
        double *bl = w->box + w->heap[0] * 2 * n, *bh = bl + n;
        for (size_t j = 0; j < n; j++)
            w->x[j] = 0.5 * (bl[j] + bh[j]);
        ascend(d, w, bl, bh, o->n_steps, 0.25, &s);
    }
    memcpy(w->x, w->xb, n * sizeof *lo);
    ascend(d, w, lo, hi, o->n_steps, 0.01, &s);

    r->upper = fmax(closed, w->n_heap > 0 ? w->ub[w->heap[0]] : 0.0);
    r->n_splits = n_splits;
    r->n_open = w->n_heap;
    r->n_evals = s.evals;
    memcpy(x_lower, w->xb, n * sizeof *lo);
    r->lower = dev_at(d, w, x_lower, NULL, &s);
    r->lower_err = point_err(d, w, x_lower, r->lower);
    return PB_SUCCESS;
}

/* ------------------------------------------------- the local bound */

size_t bounds_local_work_size(const mlp *m)
{
    size_t tw = 0, spec = 0;
    for (size_t k = 0; k < m->n_layers; k++) {
        size_t s = pb_spectral_work_size(m->n_out, m->layers[k].n_out);
        tw += m->layers[k].n_out;
        spec = s > spec ? s : spec;
    }
    /* slopes 2 tw, Mag n_out tw, E n_layers, vectors 8 mw, spectral */
    return 2 * tw + 2 * m->n_out * tw + m->n_layers + 8 * m->max_width + 4 * m->n_out +
           m->n_out * m->max_width + spec;
}

int bounds_local_eval(const mlp *m, const double x[], const double rho[], const double beta[],
                      double dev_bound, double w[], double *local, double *out, pb_error *err)
{
    size_t L, tw = 0, mw, n_out, pos;
    double *S_lo, *S_hi, *Mag, *E, *hl, *hu, *zl, *zu, *t1, *t2, *ll, *lu, *spec, *coef;
    double total = 0.0, D, dmax = 0.0;

    if (!m || !x || !rho || !w || !local || !out)
        return pb_error_set(err, PB_EINVAL, "local bound: NULL argument");
    L = m->n_layers;
    mw = m->max_width;
    n_out = m->n_out;
    for (size_t i = 0; i < m->n_in; i++)
        if (!isfinite(x[i]))
            return pb_error_set(err, PB_EINVAL, "local bound: state entry %zu is not finite", i + 1);
    for (size_t k = 0; k < L; k++) {
        if (!(rho[k] >= 0.0) || isinf(rho[k]) || (beta && (!(beta[k] >= 0.0) || isinf(beta[k]))))
            return pb_error_set(err, PB_EINVAL,
                                "local bound: layer %zu: radius must be finite and >= 0", k + 1);
        tw += m->layers[k].n_out;
    }
    S_lo = w;
    S_hi = S_lo + tw;
    Mag = S_hi + tw;
    E = Mag + 2 * n_out * tw; /* Mag: the rows' lower ends, then their upper ends */
    hl = E + L;
    hu = hl + mw;
    zl = hu + mw;
    zu = zl + mw;
    t1 = zu + mw;
    t2 = t1 + mw;
    ll = t2 + mw;
    lu = ll + mw;
    coef = lu + mw;
    spec = coef + 4 * n_out;

    /* Forward, centred on the unperturbed pass (docs/BOUNDS.md section 12):
     * [zl, zu] encloses z_k, D >= ||delta_k|| = ||h'_k - h_k|| for every
     * admissible perturbation, E_k = rho_k (||h_k|| + D) + beta_k >= ||e_k||,
     * and entry r of z'_k - z_k = W_k delta_k + e_k is at most
     * rad_r = ||row_r W_k|| D + E_k; the slopes are taken over
     * [zl - rad, zu + rad].  Then ||delta_{k+1}|| <= min(||S_hi rad||,
     * ||S_hi W_k||_F D + max S_hi E_k). */
    s_box(m, x, x, hl, hu);
    pos = 0;
    D = 0.0;
    for (size_t k = 0; k < L; k++) {
        const mlp_layer *l = &m->layers[k];
        double e = 0.0, fro, smax = 0.0, d1, d2;
        if (rho[k] > 0.0 || (beta && beta[k] > 0.0)) {
            e = pb_mul_up(rho[k], pb_add_up(box_norm_upper(l->n_in, hl, hu, t1), D));
            if (beta)
                e = pb_add_up(e, beta[k]);
        }
        E[k] = e;
        iv_affine(l->n_out, l->n_in, l->W, l->b, 0.0, hl, hu, zl, zu, t1, t2);
        for (size_t r = 0; r < l->n_out; r++) {
            double rad = pb_add_up(pb_mul_up(pb_norm2_upper(l->n_in, l->W + r * l->n_in), D), e);
            iv_slope(l, dn(zl[r] - rad), up(zu[r] + rad), &S_lo[pos + r], &S_hi[pos + r]);
            ll[r] = pb_mul_up(S_hi[pos + r], rad);
            lu[r] = pb_mul_up(S_hi[pos + r], pb_norm2_upper(l->n_in, l->W + r * l->n_in));
            smax = fmax(smax, S_hi[pos + r]);
            iv_act(l, zl[r], zu[r], &hl[r], &hu[r]);
        }
        d1 = pb_norm2_upper(l->n_out, ll);
        fro = pb_norm2_upper(l->n_out, lu);
        d2 = pb_add_up(pb_mul_up(fro, D), pb_mul_up(smax, e));
        D = fmin(d1, d2);
        pos += l->n_out;
    }
    /* Output rows: |out_scale_i|, or 0 where every perturbed output clips to
     * the same limit (then u'_i = u_i); the perturbed output i lies within
     * min(ll_i, D) of [hl_i, hu_i] (ll: the last layer's S_hi rad). */
    for (size_t i = 0; i < n_out; i++) {
        double sc = (m->out_offset && m->out_scale) ? m->out_scale[i] : 1.0;
        double off = (m->out_offset && m->out_scale) ? m->out_offset[i] : 0.0, vl, vu;
        double rd = fmin(ll[i], D);
        coef[i] = fabs(sc);
        iv_mul(dn(dn(hl[i] - rd) - off), up(up(hu[i] + rd) - off), sc, sc, &vl, &vu);
        if ((m->out_high && vl >= m->out_high[i]) || (m->out_low && vu <= m->out_low[i]))
            coef[i] = 0.0;
    }
    /* Backward (CROWN-style, one interval row per output): delta_L =
     * sum_k P_k e_k, P_k = S_{L-1} W_{L-1} ... W_{k+1} S_k with secant slopes
     * S_j in [S_lo, S_hi]; row i of |diag(coef) P_k| <= Mag_k row i. */
    for (size_t i = 0; i < n_out; i++) {
        size_t off = tw;
        for (size_t r = 0; r < n_out; r++)
            ll[r] = lu[r] = r == i ? coef[i] : 0.0;
        for (size_t k = L; k-- > 0;) {
            const mlp_layer *l = &m->layers[k];
            double g = pb_gamma(l->n_out + 1), g1 = pb_add_up(1.0, g);
            off -= l->n_out;
            for (size_t r = 0; r < l->n_out; r++) {
                iv_mul(ll[r], lu[r], S_lo[off + r], S_hi[off + r], &ll[r], &lu[r]);
                Mag[i * tw + off + r] = ll[r];
                Mag[(n_out + i) * tw + off + r] = lu[r];
            }
            if (k == 0)
                break;
            /* The row times W_k: mid +- rad, rounded outward. */
            for (size_t r = 0; r < l->n_out; r++)
                mid_rad(ll[r], lu[r], &t1[r], &t2[r]);
            for (size_t c = 0; c < l->n_in; c++) {
                double mid = 0.0, amid = 0.0, rad = 0.0, wd;
                for (size_t r = 0; r < l->n_out; r++) {
                    double wv = l->W[r * l->n_in + c];
                    mid += t1[r] * wv;
                    amid += fabs(t1[r] * wv);
                    rad += t2[r] * fabs(wv);
                }
                wd = pb_add_up(pb_mul_up(g, pb_mul_up(amid, g1)), pb_mul_up(rad, g1));
                wd = pb_add_up(wd, 4.0 * (double)(l->n_out + 2) * PB_ETA);
                zl[c] = dn(mid - wd);
                zu[c] = up(mid + wd);
            }
            memcpy(ll, zl, l->n_in * sizeof *ll);
            memcpy(lu, zu, l->n_in * sizeof *lu);
        }
    }
    /* sum_k ||P_k||_2 E_k with P_k in [lo, hi] entrywise: ||P||_2 <= || |P| ||_2 <=
     * ||max(|lo|, |hi|)||_2 (monotone on nonnegative matrices), and ||P||_2 <=
     * ||mid||_2 + ||rad||_2 (exact where the slopes are points); the smaller. */
    pos = 0;
    for (size_t k = 0; k < L; k++) {
        size_t nk = m->layers[k].n_out;
        if (E[k] > 0.0) {
            double nrm[3], *Mk = spec, *sw = spec + n_out * nk;
            for (int v = 0; v < 3; v++) {
                for (size_t i = 0; i < n_out; i++)
                    for (size_t r = 0; r < nk; r++) {
                        double a = Mag[i * tw + pos + r], b = Mag[(n_out + i) * tw + pos + r], mm, rr;
                        mid_rad(a, b, &mm, &rr);
                        Mk[i * nk + r] = v == 0 ? fmax(fabs(a), fabs(b)) : (v == 1 ? mm : rr);
                    }
                if (n_out == 1) {
                    nrm[v] = pb_norm2_upper(nk, Mk);
                } else {
                    int st = pb_spectral_norm(n_out, nk, Mk, sw, &nrm[v], err);
                    if (st)
                        return st;
                }
                if (n_out == 1 && v == 0)
                    break; /* a row: the norm of its magnitudes is exact already */
            }
            if (n_out > 1)
                nrm[0] = fmin(nrm[0], pb_add_up(nrm[1], nrm[2]));
            total = pb_add_up(total, pb_mul_up(nrm[0], E[k]));
        }
        pos += nk;
    }
    /* Or straight from the forward pass: ||u' - u|| <= max_i coef_i ||delta_L||. */
    for (size_t i = 0; i < n_out; i++)
        dmax = fmax(dmax, coef[i]);
    total = fmin(total, pb_mul_up(dmax, D));
    *local = isnan(total) ? INFINITY : total;
    *out = fmin(*local, dev_bound);
    return PB_SUCCESS;
}
