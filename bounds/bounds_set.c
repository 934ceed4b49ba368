/* bounds_set.c: guaranteed upper bounds of sup_X ||h_k(s)|| over a box or a
 * ball of policy states (closed form and interval bound propagation), and the
 * admissible perturbation per layer (docs/BOUNDS.md section 5). */
#include "bounds.h"

#include <math.h>

/* The activation at one point (as mlp.c applies it).  Every activation of
 * mlp.h is nondecreasing (leaky_relu with 0 <= alpha <= 1), which is what
 * interval propagation relies on: sigma([a, b]) = [sigma(a), sigma(b)]. */
static double act_eval(mlp_act a, double alpha, double z)
{
    switch (a) {
    case MLP_ACT_RELU:
        return z > 0.0 ? z : 0.0;
    case MLP_ACT_LEAKY_RELU:
        return z > 0.0 ? z : alpha * z;
    case MLP_ACT_TANH:
        return tanh(z);
    case MLP_ACT_SIGMOID:
        return 1.0 / (1.0 + exp(-z));
    case MLP_ACT_HARDTANH:
        return z < -1.0 ? -1.0 : (z > 1.0 ? 1.0 : z);
    default:
        return z;
    }
}

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

/* Input map of one coordinate: s_i = (x_i - offset_i) * scale_i. */
static double in_map(const mlp *m, size_t i, double x)
{
    return m->in_offset && m->in_scale ? (x - m->in_offset[i]) * m->in_scale[i] : x;
}

static double in_scale(const mlp *m, size_t i)
{
    return m->in_offset && m->in_scale ? m->in_scale[i] : 1.0;
}

/* The interval of s = input map of X: a box maps to the box of its mapped
 * end points; a ball to the box of its bounding box [c - R, c + R]. */
static void input_box(const mlp *m, const bounds_set *X, double lo[], double hi[])
{
    for (size_t i = 0; i < m->n_in; i++) {
        double a, b;
        if (X->kind == BOUNDS_SET_BOX) {
            a = in_map(m, i, X->lo[i]);
            b = in_map(m, i, X->hi[i]);
        } else {
            double c = X->center ? X->center[i] : 0.0;
            a = in_map(m, i, c - X->radius);
            b = in_map(m, i, c + X->radius);
        }
        lo[i] = fmin(a, b);
        hi[i] = fmax(a, b);
    }
}

int bounds_set_input_norm_max(const mlp *m, const bounds_set *X, double *smax, pb_error *err)
{
    int status = bounds_set_validate(m, X, err);
    double acc = 0.0;

    if (status)
        return status;
    if (X->kind == BOUNDS_SET_BOX) {
        /* ||s||^2 is separable and convex: each coordinate at its larger end. */
        for (size_t i = 0; i < m->n_in; i++) {
            double a = fabs(in_map(m, i, X->lo[i])), b = fabs(in_map(m, i, X->hi[i]));
            double v = fmax(a, b);
            acc += v * v;
        }
        *smax = sqrt(acc);
    } else {
        /* s = D (c - offset) + D y, ||y|| <= R: ||s|| <= ||D (c - offset)|| + max|D| R. */
        double g = 0.0;
        for (size_t i = 0; i < m->n_in; i++) {
            double v = in_map(m, i, X->center ? X->center[i] : 0.0);
            acc += v * v;
            g = fmax(g, fabs(in_scale(m, i)));
        }
        *smax = sqrt(acc) + g * X->radius;
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

int bounds_ibp_eval(const mlp *m, const bounds_set *X, double lo[], double hi[], pb_error *err)
{
    int status = bounds_set_validate(m, X, err);
    size_t off_in = 0, off_out;

    if (status)
        return status;
    input_box(m, X, lo, hi);
    off_out = m->n_in;
    for (size_t k = 0; k < m->n_layers; k++) {
        const mlp_layer *l = &m->layers[k];
        const double *li = lo + off_in, *ui = hi + off_in;
        double *lz = lo + off_out, *uz = hi + off_out;
        for (size_t r = 0; r < l->n_out; r++) {
            const double *Wr = l->W + r * l->n_in;
            double mid = l->b[r], rad = 0.0;
            if (k == 0 && X->kind == BOUNDS_SET_BALL) {
                /* Exact over the ball: max of row . D y over ||y|| <= R is
                 * R ||row diag(D)|| (Cauchy-Schwarz), about the centre's image. */
                double nr = 0.0;
                for (size_t c = 0; c < l->n_in; c++) {
                    double a = Wr[c] * in_scale(m, c);
                    mid += Wr[c] * in_map(m, c, X->center ? X->center[c] : 0.0);
                    nr += a * a;
                }
                rad = X->radius * sqrt(nr);
            } else {
                /* Box arithmetic: W h over h in [mid +- rad] is W mid +- |W| rad. */
                for (size_t c = 0; c < l->n_in; c++) {
                    double hm = 0.5 * (li[c] + ui[c]), hr = 0.5 * (ui[c] - li[c]);
                    mid += Wr[c] * hm;
                    rad += fabs(Wr[c]) * hr;
                }
            }
            lz[r] = act_eval(l->act, l->alpha, mid - rad);
            uz[r] = act_eval(l->act, l->alpha, mid + rad);
        }
        off_in = off_out;
        off_out += l->n_out;
    }
    return PB_SUCCESS;
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
        double acc = 0.0, ibp;
        for (size_t i = 0; i < bm->layers[k].n_in; i++) {
            double v = fmax(fabs(lo[off + i]), fabs(hi[off + i]));
            acc += v * v;
        }
        ibp = sqrt(acc);
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
        double c = bm->gain * bm->down[k] * sup[k];
        adm[k] = c > 0.0 ? eps / c : INFINITY;
    }
    return PB_SUCCESS;
}
