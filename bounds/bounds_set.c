/* bounds_set.c: guaranteed upper bounds of sup_X ||h_k(s)|| over a box or a
 * ball of policy states (closed form and interval bound propagation), and the
 * admissible perturbation per layer (docs/BOUNDS.md section 5).  Intervals
 * are rounded outward, so that they enclose the exact network's values. */
#include "bounds.h"

#include <math.h>

#define U PB_UNIT_ROUNDOFF

int bounds_set_validate(const mlp *m, const bounds_set *X, pb_error *err)
{
    if (!m || !X)
        return pb_error_set(err, PB_EINVAL, "state set: NULL network or set");
    if (X->n != m->n_in)
        return pb_error_set(err, PB_EINVAL,
                            "state set has dimension %zu but the policy takes %zu inputs", X->n,
                            m->n_in);
    if (X->kind == BOUNDS_SET_BOX) {
        if (!X->lo || !X->hi)
            return pb_error_set(err, PB_EINVAL, "box: NULL bounds");
        for (size_t i = 0; i < X->n; i++)
            if (!isfinite(X->lo[i]) || !isfinite(X->hi[i]) || X->lo[i] > X->hi[i])
                return pb_error_set(err, PB_EINVAL,
                                    "box: dimension %zu needs finite lo <= hi (got %g, %g)", i + 1,
                                    X->lo[i], X->hi[i]);
    } else if (X->kind == BOUNDS_SET_BALL) {
        if (!isfinite(X->radius) || X->radius < 0.0)
            return pb_error_set(err, PB_EINVAL, "ball: radius %g must be finite and >= 0",
                                X->radius);
        for (size_t i = 0; X->center && i < X->n; i++)
            if (!isfinite(X->center[i]))
                return pb_error_set(err, PB_EINVAL, "ball: centre entry %zu is not finite", i + 1);
    } else {
        return pb_error_set(err, PB_EINVAL, "state set: unknown kind %d", (int)X->kind);
    }
    return PB_SUCCESS;
}

/* v widened by rel |v| + abs on both sides, rounded outward. */
static void widen(double v, double rel, double abs, double *lo, double *hi)
{
    double r = pb_add_up(pb_mul_up(rel, fabs(v)), abs);
    *lo = pb_next_down(v - r);
    *hi = pb_next_up(v + r);
}

static int has_in_map(const mlp *m)
{
    return m->in_offset && m->in_scale;
}

/* The input map of one coordinate, s = (x - offset) * scale, enclosed:
 * two roundings, |s^ - s| <= gamma_2 |s| + eta <= 2 gamma_2 |s^| + 2 eta. */
static void in_map_interval(const mlp *m, size_t i, double x, double *lo, double *hi)
{
    if (!has_in_map(m)) {
        *lo = *hi = x;
        return;
    }
    widen((x - m->in_offset[i]) * m->in_scale[i], 2.0 * pb_gamma(2), 2.0 * PB_ETA, lo, hi);
}

/* The interval of s_i over X: a box maps its end points; a ball its bounding
 * box [c - R, c + R] (the end points rounded outward first). */
static void input_interval(const mlp *m, const bounds_set *X, size_t i, double *lo, double *hi)
{
    double a, b, l1, h1, l2, h2;
    if (X->kind == BOUNDS_SET_BOX) {
        a = X->lo[i];
        b = X->hi[i];
    } else {
        double c = X->center ? X->center[i] : 0.0;
        a = pb_next_down(c - X->radius);
        b = pb_next_up(c + X->radius);
    }
    in_map_interval(m, i, a, &l1, &h1);
    in_map_interval(m, i, b, &l2, &h2);
    *lo = fmin(l1, l2); /* a negative scale swaps the ends */
    *hi = fmax(h1, h2);
}

/* Two-pass scaled norm (as pb_norm2) of the n values v(i) >= 0 that `get`
 * computes, rounded up; used where the values live nowhere in memory. */
typedef double (*value_fn)(const mlp *m, const bounds_set *X, size_t i);

static double norm_upper_of_values(const mlp *m, const bounds_set *X, size_t n, value_fn get)
{
    double mx = 0.0, sum = 0.0, r;
    int e;
    for (size_t i = 0; i < n; i++)
        mx = fmax(mx, get(m, X, i));
    if (mx == 0.0 || isinf(mx))
        return mx;
    e = ilogb(mx);
    for (size_t i = 0; i < n; i++) {
        double y = ldexp(get(m, X, i), -e);
        sum += y * y;
    }
    r = ldexp(sqrt(sum), e);
    /* relative gamma_{n+2} and 2^-1073 absolute, as pb_norm2 */
    return pb_mul_up(pb_add_up(r, 0x1p-1073), pb_add_up(1.0, pb_mul_up(2.0, pb_gamma(n + 2))));
}

/* max |s_i| over a box */
static double box_abs_max(const mlp *m, const bounds_set *X, size_t i)
{
    double lo, hi;
    input_interval(m, X, i, &lo, &hi);
    return fmax(fabs(lo), fabs(hi));
}

/* |s_i| at the centre of a ball, plus its rounding */
static double center_abs(const mlp *m, const bounds_set *X, size_t i)
{
    double lo, hi, c = X->center ? X->center[i] : 0.0;
    in_map_interval(m, i, c, &lo, &hi);
    return fmax(fabs(lo), fabs(hi));
}

int bounds_set_input_norm_max(const mlp *m, const bounds_set *X, double *smax, pb_error *err)
{
    int status = bounds_set_validate(m, X, err);

    if (status)
        return status;
    if (X->kind == BOUNDS_SET_BOX) {
        /* ||s||^2 is separable and convex: each coordinate at its larger end. */
        *smax = norm_upper_of_values(m, X, m->n_in, box_abs_max);
    } else {
        /* s = D (c - offset) + D y, ||y|| <= R: ||s|| <= ||D (c - offset)|| + max|D| R. */
        double g = 1.0;
        if (has_in_map(m)) {
            g = 0.0;
            for (size_t i = 0; i < m->n_in; i++)
                g = fmax(g, fabs(m->in_scale[i]));
        }
        *smax = pb_add_up(norm_upper_of_values(m, X, m->n_in, center_abs),
                          pb_mul_up(g, X->radius));
    }
    return PB_SUCCESS;
}

size_t bounds_ibp_size(const mlp *m)
{
    return bounds_ibp_offset(m, m->n_layers + 1);
}

size_t bounds_ibp_offset(const mlp *m, size_t j)
{
    size_t off = 0;
    for (size_t i = 0; i < j && i <= m->n_layers; i++)
        off += i == 0 ? m->n_in : m->layers[i - 1].n_out;
    return off;
}

/* ||(W_c d_c)_c|| of one row, d = in_scale (1 without a map), rounded up:
 * each product rounds once, then pb_norm2's scaled sum. */
static double row_scaled_norm_upper(const mlp *m, const double *Wr, size_t n)
{
    double mx = 0.0, sum = 0.0, r;
    int e;
    for (size_t c = 0; c < n; c++)
        mx = fmax(mx, fabs(Wr[c] * (has_in_map(m) ? m->in_scale[c] : 1.0)));
    if (mx == 0.0)
        return 0.0;
    e = ilogb(mx);
    for (size_t c = 0; c < n; c++) {
        double y = ldexp(Wr[c] * (has_in_map(m) ? m->in_scale[c] : 1.0), -e);
        sum += y * y;
    }
    r = ldexp(sqrt(sum), e);
    return pb_mul_up(pb_add_up(r, 0x1p-1072), pb_add_up(1.0, pb_mul_up(2.0, pb_gamma(n + 3))));
}

int bounds_ibp_eval(const mlp *m, const bounds_set *X, double lo[], double hi[], pb_error *err)
{
    int status = bounds_set_validate(m, X, err);
    size_t off_in = 0, off_out;

    if (status)
        return status;
    for (size_t i = 0; i < m->n_in; i++)
        input_interval(m, X, i, &lo[i], &hi[i]);
    off_out = m->n_in;
    for (size_t k = 0; k < m->n_layers; k++) {
        const mlp_layer *l = &m->layers[k];
        const double *li = lo + off_in, *ui = hi + off_in;
        double *lz = lo + off_out, *uz = hi + off_out;
        /* g bounds the rounding of an inner product of n + 1 terms; a computed sum
         * S^ of n + 1 non-negative terms has S <= S^ / (1 - g) <= S^ g1 at any n,
         * g1 = 1 + gamma_{2(n+1)} (1 / (1 - gamma_N) = 1 + N u / (1 - 2 N u)). */
        double g = pb_gamma(l->n_in + 1), g1 = pb_add_up(1.0, pb_gamma(2 * (l->n_in + 1)));
        double rel, abs;

        bounds_act_rounding(l->act, &rel, &abs);
        for (size_t r = 0; r < l->n_out; r++) {
            const double *Wr = l->W + r * l->n_in;
            double mid = l->b[r], amid = fabs(l->b[r]), rad = 0.0, extra = 0.0, w;
            if (k == 0 && X->kind == BOUNDS_SET_BALL) {
                /* Exact over the ball: max of row . D y over ||y|| <= R is
                 * R ||row diag(D)|| (Cauchy-Schwarz), about the centre's image,
                 * whose rounding (in_map_interval) enters through |W| |ds|. */
                for (size_t c = 0; c < l->n_in; c++) {
                    double sl, sh, sc;
                    in_map_interval(m, c, X->center ? X->center[c] : 0.0, &sl, &sh);
                    sc = 0.5 * (sl + sh);
                    mid += Wr[c] * sc;
                    amid += fabs(Wr[c] * sc);
                    extra += fabs(Wr[c]) * fmax(pb_next_up(sh - sc), pb_next_up(sc - sl));
                }
                rad = pb_mul_up(X->radius, row_scaled_norm_upper(m, Wr, l->n_in));
                extra = pb_mul_up(extra, g1);
            } else {
                /* Box arithmetic: W h over h in [mid +- rad] is W mid +- |W| rad. */
                for (size_t c = 0; c < l->n_in; c++) {
                    double hm = 0.5 * (li[c] + ui[c]);
                    double hr = fmax(pb_next_up(ui[c] - hm), pb_next_up(hm - li[c]));
                    mid += Wr[c] * hm;
                    amid += fabs(Wr[c] * hm);
                    rad += fabs(Wr[c]) * hr;
                }
                rad = pb_mul_up(rad, g1);
            }
            /* |fl(mid) - mid| <= gamma_{n+1} sum |terms| + (n + 1) eta (Higham 3.1), and
             * as much again for the underflow of the radius's products. */
            w = pb_add_up(pb_mul_up(pb_mul_up(g, amid), g1),
                          4.0 * (double)(l->n_in + 2) * PB_ETA);
            w = pb_add_up(pb_add_up(w, rad), extra);
            lz[r] = pb_next_down(mid - w);
            uz[r] = pb_next_up(mid + w);
            /* A nondecreasing activation maps [a, b] to [sigma(a), sigma(b)]; its
             * own rounding widens the ends. */
            mlp_act_apply(l->act, l->alpha, 1, &lz[r]);
            mlp_act_apply(l->act, l->alpha, 1, &uz[r]);
            if (rel > 0.0 || abs > 0.0) {
                double t;
                widen(lz[r], rel, abs, &lz[r], &t);
                widen(uz[r], rel, abs, &t, &uz[r]);
            }
        }
        off_in = off_out;
        off_out += l->n_out;
    }
    return PB_SUCCESS;
}

/* >= max ||h|| over the box [lo, hi]: the norm of max(|lo_i|, |hi_i|), scaled
 * and rounded up as pb_norm2_upper. */
static double box_norm_upper(size_t n, const double lo[], const double hi[])
{
    double mx = 0.0, sum = 0.0, r;
    int e;
    for (size_t i = 0; i < n; i++)
        mx = fmax(mx, fmax(fabs(lo[i]), fabs(hi[i])));
    if (mx == 0.0 || isinf(mx))
        return mx;
    e = ilogb(mx);
    for (size_t i = 0; i < n; i++) {
        double y = ldexp(fmax(fabs(lo[i]), fabs(hi[i])), -e);
        sum += y * y;
    }
    r = ldexp(sqrt(sum), e);
    return pb_mul_up(pb_add_up(r, 0x1p-1073), pb_add_up(1.0, pb_mul_up(2.0, pb_gamma(n + 2))));
}

int bounds_set_hidden_sup(const mlp *m, const bounds_model *bm, const bounds_set *X, double w[],
                          double sup_closed[], double sup_ibp[], double sup[], pb_error *err)
{
    size_t n = bounds_ibp_size(m);
    double *lo = w, *hi = w + n;
    double smax;
    int status;

    if (!bm || bm->n_layers != m->n_layers || bm->n_in != m->n_in)
        return pb_error_set(err, PB_EINVAL, "bounds model does not belong to this network");
    if ((status = bounds_set_input_norm_max(m, X, &smax, err)) ||
        (status = bounds_ibp_eval(m, X, lo, hi, err)))
        return status;
    /* sup[] first holds eta_k(smax), the closed form. */
    bounds_eta_eval(bm, smax, sup);
    for (size_t k = 0; k < m->n_layers; k++) {
        size_t off = bounds_ibp_offset(m, k);
        double ibp = box_norm_upper(bm->layers[k].n_in, lo + off, hi + off);
        if (sup_closed)
            sup_closed[k] = sup[k];
        if (sup_ibp)
            sup_ibp[k] = ibp;
        sup[k] = fmin(sup[k], ibp);
    }
    return PB_SUCCESS;
}

int bounds_admissible_eval(const bounds_model *bm, const double sup[], double eps, double adm[],
                           pb_error *err)
{
    if (!(eps > 0.0) || !isfinite(eps))
        return pb_error_set(err, PB_EINVAL, "eps must be a finite number > 0 (got %g)", eps);
    for (size_t k = 0; k < bm->n_layers; k++) {
        double c = bounds_forward_coeff(bm, k, sup[k]);
        adm[k] = c > 0.0 ? pb_div_down(eps, c) : INFINITY;
    }
    return PB_SUCCESS;
}
