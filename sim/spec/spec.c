/* spec.c: robustness of safety specifications, folded row by row (spec.h). */
#include "spec.h"

#include <math.h>
#include <string.h>

const char *spec_op_name(spec_op op)
{
    switch (op) {
    case SPEC_ALWAYS:
        return "always";
    case SPEC_EVENTUALLY:
        return "eventually";
    case SPEC_AVOID:
        return "avoid";
    }
    return NULL;
}

int spec_window_steps(double a, double b, double period, size_t n_steps, size_t *k_lo,
                      size_t *k_hi)
{
    double lo, hi;

    if (!(period > 0.0) || !(a >= 0.0) || !(b >= a))
        return 0;
    lo = ceil(a / period - 1e-9);
    hi = floor(b / period + 1e-9);
    if (hi > (double)n_steps)
        hi = (double)n_steps;
    if (lo < 0.0)
        lo = 0.0;
    if (!(lo <= hi))
        return 0;
    *k_lo = (size_t)lo;
    *k_hi = (size_t)hi;
    return 1;
}

int spec_validate(const spec *s, double period, size_t n_steps, pb_error *err)
{
    if (s->n > SPEC_PROPS_MAX)
        return pb_error_set(err, PB_EINVAL, "spec: at most %d properties", SPEC_PROPS_MAX);
    for (size_t i = 0; i < s->n; i++) {
        const spec_prop *p = &s->props[i];
        size_t klo, khi;
        if (!p->name[0])
            return pb_error_set(err, PB_EINVAL, "spec[%zu]: empty name", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->props[j].name, p->name) == 0)
                return pb_error_set(err, PB_EINVAL, "spec[%zu] (\"%s\"): name used twice", i,
                                    p->name);
        if (spec_op_name(p->op) == NULL ||
            (p->pred.kind != SPEC_PRED_BOX && !(p->pred.kind == SPEC_PRED_EXPR && p->pred.g)) ||
            p->pred.nx > SPEC_NX_MAX || p->pred.nx == 0)
            return pb_error_set(err, PB_EINVAL, "spec[%zu] (\"%s\"): bad operator or predicate",
                                i, p->name);
        for (size_t c = 0; c < p->pred.nx; c++)
            if (isnan(p->pred.lo[c]) || isnan(p->pred.hi[c]) || !(p->pred.lo[c] <= p->pred.hi[c]))
                return pb_error_set(err, PB_EINVAL,
                                    "spec[%zu] (\"%s\"): component %zu: need low <= high", i,
                                    p->name, c);
        if (!(p->a >= 0.0) || !(p->b >= p->a) || isinf(p->a))
            return pb_error_set(err, PB_EINVAL,
                                "spec[%zu] (\"%s\"): the window [%g, %g] needs 0 <= a <= b", i,
                                p->name, p->a, p->b);
        if (!spec_window_steps(p->a, p->b, period, n_steps, &klo, &khi))
            return pb_error_set(err, PB_EINVAL,
                                "spec[%zu] (\"%s\"): the window [%g, %g] holds no control step "
                                "(period %g, horizon %g)",
                                i, p->name, p->a, p->b, period, period * (double)n_steps);
    }
    return PB_SUCCESS;
}

/* Fainekos & Pappas (2009), Def. 5: the signed Euclidean distance to the box. */
double spec_pred_rho(const spec_pred *p, const double x[])
{
    double inside = INFINITY, out2 = 0.0;
    int outside = 0;

    if (p->kind == SPEC_PRED_EXPR) {
        for (size_t i = 0; i < p->nx; i++)
            if (isnan(x[i]))
                return NAN;
        return p->g(p->g_ctx, x);
    }
    for (size_t i = 0; i < p->nx; i++) {
        double lo = p->lo[i], hi = p->hi[i], xi = x[i];
        if (isnan(xi))
            return NAN;
        if (xi < lo) {
            outside = 1;
            out2 += (lo - xi) * (lo - xi);
        } else if (xi > hi) {
            outside = 1;
            out2 += (xi - hi) * (xi - hi);
        } else if (!outside) {
            /* inside along i: the nearest face of the complement on this axis */
            inside = fmin(inside, fmin(xi - lo, hi - xi));
        }
    }
    return outside ? -sqrt(out2) : inside;
}

void spec_monitor_init(spec_monitor *m, const spec *s, double period, size_t n_steps)
{
    m->s = s;
    for (size_t i = 0; i < s->n; i++) {
        const spec_prop *p = &s->props[i];
        if (!spec_window_steps(p->a, p->b, period, n_steps, &m->k_lo[i], &m->k_hi[i])) {
            m->k_lo[i] = 1; /* empty: no row folds in (spec_validate rejects this) */
            m->k_hi[i] = 0;
        }
        m->rob[i] = p->op == SPEC_EVENTUALLY ? -INFINITY : INFINITY;
    }
}

static int has_nan(const double x[], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isnan(x[i]))
            return 1;
    return 0;
}

void spec_monitor_fold(spec_monitor *m, size_t k, const double x[])
{
    const spec *s = m->s;

    for (size_t i = 0; i < s->n; i++) {
        const spec_prop *p = &s->props[i];
        double r;
        if (k < m->k_lo[i] || k > m->k_hi[i])
            continue;
        if (!x || has_nan(x, p->pred.nx)) {
            /* no state: always and avoid are violated, eventually waits for a reached row */
            if (p->op != SPEC_EVENTUALLY)
                m->rob[i] = -INFINITY;
            continue;
        }
        r = spec_pred_rho(&p->pred, x);
        switch (p->op) {
        case SPEC_ALWAYS:
            m->rob[i] = fmin(m->rob[i], r);
            break;
        case SPEC_EVENTUALLY:
            m->rob[i] = fmax(m->rob[i], r);
            break;
        case SPEC_AVOID:
            m->rob[i] = fmin(m->rob[i], -r);
            break;
        }
    }
}

double spec_monitor_prop(const spec_monitor *m, size_t i)
{
    return m->rob[i];
}

double spec_monitor_robustness(const spec_monitor *m)
{
    double r = INFINITY;
    for (size_t i = 0; i < m->s->n; i++)
        r = fmin(r, m->rob[i]);
    return r;
}

int spec_is_satisfied(double r)
{
    return r > 0.0;
}

double spec_eval_traj(const spec *s, double period, size_t n_steps, const double x[], size_t nx,
                      double rob_props[])
{
    spec_monitor m;

    spec_monitor_init(&m, s, period, n_steps);
    for (size_t k = 0; k <= n_steps; k++)
        spec_monitor_fold(&m, k, x + k * nx);
    if (rob_props)
        for (size_t i = 0; i < s->n; i++)
            rob_props[i] = m.rob[i];
    return spec_monitor_robustness(&m);
}
