/* falsify.c: Nelder-Mead falsification of a spec over a box of initial states
 * (falsify.h). */
#include "falsify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#define FALSIFY_CLAMP    1e12 /* |objective| for the simplex */
#define FALSIFY_STEP     0.25 /* initial simplex step, in box widths */
#define FALSIFY_SIZE_TOL 1e-6 /* simplex size (box widths) that ends a restart */

typedef enum phase { PHASE_BATCH = 0, PHASE_SET, PHASE_ITER, PHASE_DONE } phase;

struct falsify {
    const sim_model *m;
    const spec *s;
    falsify_opts o;
    size_t nx, d;              /* states, free axes */
    size_t axis[PLANT_NX_MAX]; /* the free axes */
    sim_lanes *lanes;
    gsl_rng *rng;
    gsl_multimin_fminimizer *nm;
    gsl_vector *y, *step;
    gsl_multimin_function fn;
    phase ph;
    double x0s[SIM_BLOCK * PLANT_NX_MAX];
    double rob_orig[SIM_BLOCK], rob[SIM_BLOCK];
    double start[PLANT_NX_MAX]; /* the best point of the last batch, unit cube */
    int err_code;               /* an engine error inside the simplex's callback */
    pb_error err;
    /* the best point so far */
    int have_best;
    double best_f;
    falsify_result best;
};

static double clamp_inf(double r)
{
    return r > FALSIFY_CLAMP ? FALSIFY_CLAMP : r < -FALSIFY_CLAMP ? -FALSIFY_CLAMP : r;
}

static int is_found(const falsify *f, double rob_orig, double rob)
{
    return f->o.broken ? spec_is_satisfied(rob_orig) && !spec_is_satisfied(rob)
                       : !spec_is_satisfied(rob);
}

/* The objective the simplex minimises (falsify.h). */
static double objective(const falsify *f, double rob_orig, double rob)
{
    if (!f->o.broken)
        return clamp_inf(rob);
    if (!spec_is_satisfied(rob_orig))
        return FALSIFY_CLAMP - clamp_inf(rob_orig);
    return clamp_inf(rob) - clamp_inf(rob_orig);
}

/* Records an evaluated point; a found point beats one not found, then the
 * lower objective wins (the earlier on ties). */
static void record(falsify *f, const double x[], double rob_orig, double rob, double obj)
{
    int found = is_found(f, rob_orig, rob);
    f->best.evaluations++;
    if (!f->have_best || (found && !f->best.found) ||
        (found == f->best.found && obj < f->best_f)) {
        f->have_best = 1;
        f->best_f = obj;
        f->best.found = found;
        memcpy(f->best.x0, x, f->nx * sizeof *x);
        f->best.robustness = rob;
        f->best.robustness_original = rob_orig;
    }
}

/* x = lo + (hi - lo) clamp(y, 0, 1) on the free axes, lo elsewhere. */
static void to_state(const falsify *f, const double y[], double x[])
{
    for (size_t i = 0; i < f->nx; i++)
        x[i] = f->o.lo[i];
    for (size_t a = 0; a < f->d; a++) {
        size_t i = f->axis[a];
        double u = y[a] < 0.0 ? 0.0 : y[a] > 1.0 ? 1.0 : y[a];
        x[i] = f->o.lo[i] + (f->o.hi[i] - f->o.lo[i]) * u;
    }
}

int falsify_eval_block(const sim_model *m, sim_lanes *d, const spec *s, size_t policy, size_t n,
                       const double x0s[], double rob_orig[], double rob[], pb_error *err)
{
    size_t nx = m->plant->type->nx;
    sim_block b = {n, x0s, NULL, NULL, NULL};
    const sim_row *row = sim_lanes_row(d);
    spec_monitor mon[2 * SIM_BLOCK];
    int rc;

    if (n == 0 || n > SIM_BLOCK || policy >= m->n_policies)
        return pb_error_set(err, PB_EINVAL, "falsify_eval_block: bad block");
    if ((rc = sim_lanes_start(m, d, &b, err)))
        return rc;
    for (size_t j = 0; j < 2 * n; j++)
        spec_monitor_init(&mon[j], s, m->period, m->n_steps);
    for (size_t k = 0; k <= m->n_steps; k++) {
        sim_lanes_eval(m, d);
        for (size_t j = 0; j < n; j++) {
            size_t lanes[2] = {j, policy * n + j};
            for (size_t q = 0; q < 2; q++) {
                size_t l = lanes[q];
                double x[PLANT_NX_MAX];
                for (size_t i = 0; i < nx; i++)
                    x[i] = row->x[i * row->ld + l];
                spec_monitor_fold(&mon[q * n + j], k, row->reached[l] ? x : NULL);
            }
        }
        if (k < m->n_steps && (rc = sim_lanes_advance(m, d, err)))
            return rc;
    }
    for (size_t j = 0; j < n; j++) {
        rob_orig[j] = spec_monitor_robustness(&mon[j]);
        rob[j] = spec_monitor_robustness(&mon[n + j]);
    }
    return PB_SUCCESS;
}

/* The simplex's function: one initial state, one block of one sample. */
static double nm_f(const gsl_vector *v, void *params)
{
    falsify *f = params;
    double y[PLANT_NX_MAX], x[PLANT_NX_MAX], ro, r;

    if (f->err_code || f->best.evaluations >= f->o.budget)
        return FALSIFY_CLAMP; /* out of budget: the step ends the search */
    for (size_t a = 0; a < f->d; a++)
        y[a] = gsl_vector_get(v, a);
    to_state(f, y, x);
    if ((f->err_code = falsify_eval_block(f->m, f->lanes, f->s, f->o.policy, 1, x, &ro, &r,
                                          &f->err)))
        return FALSIFY_CLAMP;
    record(f, x, ro, r, objective(f, ro, r));
    return objective(f, ro, r);
}

falsify *falsify_alloc(const sim_model *m, const spec *s, const falsify_opts *o, pb_error *err)
{
    size_t nx = m->plant->type->nx;
    falsify *f;

    if (o->policy >= m->n_policies)
        return pb_error_set(err, PB_EINVAL, "falsify: policy %zu of %zu", o->policy,
                            m->n_policies), NULL;
    if (o->broken && o->policy == 0)
        return pb_error_set(err, PB_EINVAL, "falsify: --broken compares a pruned variant with "
                                            "the original: choose a variant"), NULL;
    if (o->budget < 1)
        return pb_error_set(err, PB_EINVAL, "falsify: the budget must be >= 1"), NULL;
    if (s->n == 0)
        return pb_error_set(err, PB_EINVAL, "falsify: the spec has no property"), NULL;
    for (size_t i = 0; i < nx; i++)
        if (!isfinite(o->lo[i]) || !isfinite(o->hi[i]) || !(o->lo[i] <= o->hi[i]))
            return pb_error_set(err, PB_EINVAL,
                                "falsify: box entry %zu: need finite low <= high", i), NULL;
    if (!(f = calloc(1, sizeof *f)))
        goto nomem;
    f->m = m;
    f->s = s;
    f->o = *o;
    f->nx = nx;
    for (size_t i = 0; i < nx; i++)
        if (o->hi[i] > o->lo[i])
            f->axis[f->d++] = i;
    if (!(f->lanes = sim_lanes_alloc(m, SIM_BLOCK, err))) {
        falsify_free(f);
        return NULL;
    }
    sim_lanes_orig_norms(f->lanes, 0);
    if (!(f->rng = gsl_rng_alloc(gsl_rng_mt19937)))
        goto free_f;
    gsl_rng_set(f->rng, o->seed);
    if (f->d > 0) {
        if (!(f->nm = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, f->d)) ||
            !(f->y = gsl_vector_alloc(f->d)) || !(f->step = gsl_vector_alloc(f->d)))
            goto free_f;
        gsl_vector_set_all(f->step, FALSIFY_STEP);
        f->fn.n = f->d;
        f->fn.f = nm_f;
        f->fn.params = f;
    }
    return f;
free_f:
    falsify_free(f);
nomem:
    pb_error_set(err, PB_ENOMEM, "out of memory for a falsification");
    return NULL;
}

void falsify_free(falsify *f)
{
    if (!f)
        return;
    sim_lanes_free(f->lanes);
    gsl_rng_free(f->rng);
    if (f->nm)
        gsl_multimin_fminimizer_free(f->nm);
    if (f->y)
        gsl_vector_free(f->y);
    if (f->step)
        gsl_vector_free(f->step);
    free(f);
}

int falsify_is_done(const falsify *f)
{
    return f->ph == PHASE_DONE;
}

static void check_done(falsify *f)
{
    if (f->best.evaluations >= f->o.budget || (!f->o.broken && f->best.found))
        f->ph = PHASE_DONE;
}

/* A batch of uniform points evaluated as one block; the simplex starts from
 * its best. */
static int step_batch(falsify *f, pb_error *err)
{
    size_t left = f->o.budget - f->best.evaluations, n = left < SIM_BLOCK ? left : SIM_BLOCK;
    double ys[SIM_BLOCK][PLANT_NX_MAX], bf = INFINITY;
    size_t bj = 0;
    int rc;

    if (f->d == 0)
        n = 1; /* a single point: nothing to search */
    for (size_t j = 0; j < n; j++) {
        for (size_t a = 0; a < f->d; a++)
            ys[j][a] = gsl_rng_uniform(f->rng);
        to_state(f, ys[j], f->x0s + j * f->nx);
    }
    if ((rc = falsify_eval_block(f->m, f->lanes, f->s, f->o.policy, n, f->x0s, f->rob_orig,
                                 f->rob, err)))
        return rc;
    f->best.restarts++;
    for (size_t j = 0; j < n; j++) {
        double obj = objective(f, f->rob_orig[j], f->rob[j]);
        record(f, f->x0s + j * f->nx, f->rob_orig[j], f->rob[j], obj);
        if (obj < bf) {
            bf = obj;
            bj = j;
        }
    }
    memcpy(f->start, ys[bj], f->d * sizeof *f->start);
    if (f->d == 0) {
        f->ph = PHASE_DONE;
        return PB_SUCCESS;
    }
    f->ph = PHASE_SET;
    check_done(f);
    return PB_SUCCESS;
}

int falsify_step(falsify *f, pb_error *err)
{
    int status;

    switch (f->ph) {
    case PHASE_DONE:
        return PB_SUCCESS;
    case PHASE_BATCH:
        return step_batch(f, err);
    case PHASE_SET:
        for (size_t a = 0; a < f->d; a++)
            gsl_vector_set(f->y, a, f->start[a]);
        status = gsl_multimin_fminimizer_set(f->nm, &f->fn, f->y, f->step);
        f->ph = status == GSL_SUCCESS ? PHASE_ITER : PHASE_BATCH;
        break;
    case PHASE_ITER:
        status = gsl_multimin_fminimizer_iterate(f->nm);
        if (status != GSL_SUCCESS ||
            gsl_multimin_test_size(gsl_multimin_fminimizer_size(f->nm), FALSIFY_SIZE_TOL) ==
                GSL_SUCCESS)
            f->ph = PHASE_BATCH; /* converged or stuck: a new restart */
        break;
    }
    if (f->err_code) {
        if (err)
            *err = f->err;
        f->ph = PHASE_DONE;
        return f->err_code;
    }
    check_done(f);
    return PB_SUCCESS;
}

void falsify_get_result(const falsify *f, falsify_result *r)
{
    *r = f->best;
}
