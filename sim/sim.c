/* sim.c: the closed-loop engine (sampled step, run, scenario comparison). */
#include "sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_math.h> /* M_PI */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

struct sim_data {
    plant_stepper *st_orig, *st_pruned; /* one stepper per loop of a pair */
    mlp_work *w_orig, *w_var;           /* forward passes of the original and a variant */
    double *hnorm, *eta;                /* [n_layers] */
    double *hco, *hcp;                  /* [n_layers + 1] norms of the two computed passes */
    double *ua, *ub;                    /* [nu] */
    double *dist;                       /* [(n_steps + 1) x nu] disturbance of the scenario */
    gsl_rng *rng;                       /* its noise */
    double x[PLANT_NX_MAX];
};

/* ---- Model ---- */

sim_model *sim_model_alloc(const plant *p, const plant_integrator *integ, double period,
                           double horizon, const sim_ref *ref, sim_input input, double stable_tol,
                           const mlp *orig, size_t n_variants, const sim_variant variants[],
                           pb_error *err)
{
    size_t nx = p->type->nx, nu = p->type->nu;
    sim_model *m;

    if (plant_integrator_validate(integ, err))
        return NULL;
    if (!(period > 0.0) || !isfinite(period))
        return pb_error_set(err, PB_EINVAL, "the control period must be finite and > 0"), NULL;
    if (!(horizon >= period) || !isfinite(horizon))
        return pb_error_set(err, PB_EINVAL, "the horizon %g must be finite and >= the period %g",
                            horizon, period),
               NULL;
    if (ref->nx != nx)
        return pb_error_set(err, PB_EINVAL,
                            "the reference has %zu components, the plant %zu states", ref->nx, nx),
               NULL;
    if (sim_ref_validate(ref, err))
        return NULL;
    if (orig->n_in != nx || orig->n_out != nu)
        return pb_error_set(err, PB_EINVAL,
                            "the policy maps %zu inputs to %zu outputs but plant '%s' has %zu "
                            "states and %zu inputs",
                            orig->n_in, orig->n_out, p->type->name, nx, nu),
               NULL;
    if (isnan(stable_tol) || stable_tol < 0.0)
        return pb_error_set(err, PB_EINVAL, "stable_tol must be >= 0"), NULL;
    for (size_t v = 0; v < n_variants; v++) {
        if (!variants[v].net)
            return pb_error_set(err, PB_EINVAL, "variant %s: no network", variants[v].label), NULL;
        if (bounds_pair_check(orig, variants[v].net, err))
            return pb_error_prefix(err, "variant %s: ", variants[v].label), NULL;
    }

    m = calloc(1, sizeof *m);
    if (!m)
        goto nomem;
    m->plant = p;
    m->integ = *integ;
    m->period = period;
    m->n_steps = (size_t)llround(horizon / period);
    m->ref = *ref;
    m->input = input;
    m->stable_tol = stable_tol;
    m->orig = orig;
    m->n_variants = n_variants;
    m->variants = calloc(n_variants ? n_variants : 1, sizeof *m->variants);
    m->pair = calloc(n_variants ? n_variants : 1, sizeof *m->pair);
    if (!m->variants || !m->pair)
        goto free_m;
    if (n_variants)
        memcpy(m->variants, variants, n_variants * sizeof *variants);
    m->bm_orig = bounds_model_alloc(orig, err);
    if (!m->bm_orig)
        goto fail;
    for (size_t v = 0; v < n_variants; v++)
        if (!(m->pair[v] = bounds_pair_alloc(orig, m->bm_orig, m->variants[v].net, err))) {
            pb_error_prefix(err, "variant %s: ", m->variants[v].label);
            goto fail;
        }
    return m;
free_m:
    pb_error_set(err, PB_ENOMEM, "out of memory building the simulation model");
fail:
    sim_model_free(m);
    return NULL;
nomem:
    pb_error_set(err, PB_ENOMEM, "out of memory building the simulation model");
    return NULL;
}

void sim_model_free(sim_model *m)
{
    if (!m)
        return;
    for (size_t v = 0; m->pair && v < m->n_variants; v++)
        bounds_pair_free(m->pair[v]);
    free(m->pair);
    free(m->variants);
    bounds_model_free(m->bm_orig);
    free(m);
}

int sim_model_set_disturbance(sim_model *m, const sim_disturbance *dist, pb_error *err)
{
    size_t nu = m->plant->type->nu;

    if (!isfinite(dist->start) || dist->start < 0.0)
        return pb_error_set(err, PB_EINVAL, "disturbance start must be finite and >= 0");
    for (size_t i = 0; i < nu; i++) {
        if (!isfinite(dist->bias[i]) || !isfinite(dist->amplitude[i]))
            return pb_error_set(err, PB_EINVAL, "disturbance bias and amplitude must be finite");
        if (!(dist->frequency[i] >= 0.0) || !isfinite(dist->frequency[i]))
            return pb_error_set(err, PB_EINVAL, "disturbance frequency must be finite and >= 0");
        if (!(dist->noise[i] >= 0.0) || !isfinite(dist->noise[i]))
            return pb_error_set(err, PB_EINVAL, "disturbance noise must be finite and >= 0");
    }
    m->dist = *dist;
    return PB_SUCCESS;
}

void sim_disturbance_draw(const sim_model *m, sim_data *d, size_t scenario)
{
    const sim_disturbance *ds = &m->dist;
    size_t nu = m->plant->type->nu, n = m->n_steps + 1;
    gsl_rng *rng = NULL;

    memset(d->dist, 0, n * nu * sizeof *d->dist);
    if (!ds->on)
        return;
    for (size_t i = 0; i < nu; i++)
        if (ds->noise[i] > 0.0)
            rng = d->rng;
    if (rng)
        gsl_rng_set(rng, ds->seed + scenario);
    for (size_t k = 0; k < n; k++) {
        double t = (double)k * m->period;
        for (size_t i = 0; i < nu; i++) {
            double w = rng ? gsl_ran_gaussian(rng, 1.0) : 0.0;
            if (t >= ds->start)
                d->dist[k * nu + i] = ds->bias[i] +
                                      ds->amplitude[i] * sin(2.0 * M_PI * ds->frequency[i] * t) +
                                      ds->noise[i] * w;
        }
    }
}

/* ---- Workspace ---- */

sim_data *sim_data_alloc(const sim_model *m, pb_error *err)
{
    size_t L = m->orig->n_layers, nu = m->plant->type->nu;
    sim_data *d = calloc(1, sizeof *d);

    if (!d)
        goto nomem;
    d->st_orig = plant_stepper_alloc(m->plant, &m->integ, m->period, err);
    if (!d->st_orig)
        goto fail;
    d->st_pruned = plant_stepper_alloc(m->plant, &m->integ, m->period, err);
    if (!d->st_pruned)
        goto fail;
    d->w_orig = mlp_work_alloc(m->orig, 1, err);
    if (!d->w_orig)
        goto fail;
    d->w_var = mlp_work_alloc(m->orig, 1, err);
    if (!d->w_var)
        goto fail;
    d->hnorm = calloc(L, sizeof *d->hnorm);
    d->eta = calloc(L, sizeof *d->eta);
    d->hco = calloc(L + 1, sizeof *d->hco);
    d->hcp = calloc(L + 1, sizeof *d->hcp);
    d->ua = calloc(nu, sizeof *d->ua);
    d->ub = calloc(nu, sizeof *d->ub);
    d->dist = calloc((m->n_steps + 1) * nu, sizeof *d->dist);
    d->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!d->hnorm || !d->eta || !d->hco || !d->hcp || !d->ua || !d->ub || !d->dist || !d->rng) {
        sim_data_free(d);
        goto nomem;
    }
    sim_disturbance_draw(m, d, 0);
    return d;
fail:
    sim_data_free(d);
    return NULL;
nomem:
    pb_error_set(err, PB_ENOMEM, "out of memory allocating a simulation workspace");
    return NULL;
}

void sim_data_free(sim_data *d)
{
    if (!d)
        return;
    plant_stepper_free(d->st_orig);
    plant_stepper_free(d->st_pruned);
    mlp_work_free(d->w_orig);
    mlp_work_free(d->w_var);
    free(d->hnorm);
    free(d->eta);
    free(d->hco);
    free(d->hcp);
    free(d->ua);
    free(d->ub);
    free(d->dist);
    gsl_rng_free(d->rng);
    free(d);
}

/* ---- Traces and results ---- */

int sim_trace_init(sim_trace *tr, const sim_model *m, pb_error *err)
{
    size_t n = m->n_steps + 1, nx = m->plant->type->nx, nu = m->plant->type->nu;

    memset(tr, 0, sizeof *tr);
    tr->n_rows = n;
    tr->nx = nx;
    tr->nu = nu;
    tr->n_in = m->orig->n_in;
    tr->t = calloc(n, sizeof *tr->t);
    tr->x = calloc(n * nx, sizeof *tr->x);
    tr->s = calloc(n * tr->n_in, sizeof *tr->s);
    tr->u = calloc(n * nu, sizeof *tr->u);
    tr->ref = calloc(n * nx, sizeof *tr->ref);
    tr->track_err = calloc(n, sizeof *tr->track_err);
    tr->diverged_step = -1;
    if (!tr->t || !tr->x || !tr->s || !tr->u || !tr->ref || !tr->track_err) {
        sim_trace_free(tr);
        return pb_error_set(err, PB_ENOMEM, "out of memory for a trace of %zu steps", n);
    }
    return PB_SUCCESS;
}

void sim_trace_free(sim_trace *tr)
{
    if (!tr)
        return;
    free(tr->t);
    free(tr->x);
    free(tr->s);
    free(tr->u);
    free(tr->ref);
    free(tr->track_err);
    memset(tr, 0, sizeof *tr);
}

static void compare_free(sim_compare *c)
{
    sim_trace_free(&c->pruned);
    free(c->traj_dev);
    free(c->dev_actual);
    free(c->dev_bound);
    free(c->dev_bound_closed);
    free(c->dev_actual_at_orig);
    free(c->dev_bound_at_orig);
    free(c->dev_bound_closed_at_orig);
}

sim_result *sim_result_alloc(const sim_model *m, pb_error *err)
{
    size_t n = m->n_steps + 1, nv = m->n_variants, L = m->orig->n_layers;
    sim_result *r = calloc(1, sizeof *r);

    if (!r)
        goto nomem;
    r->n_variants = nv;
    r->n_layers = L;
    r->cmp = calloc(nv ? nv : 1, sizeof *r->cmp);
    r->C_sup = calloc(nv * L + 1, sizeof *r->C_sup);
    r->C_sup_orig = calloc(L, sizeof *r->C_sup_orig);
    r->dist = calloc(n * m->plant->type->nu, sizeof *r->dist);
    if (!r->cmp || !r->C_sup || !r->C_sup_orig || !r->dist)
        goto free_r;
    if (sim_trace_init(&r->orig, m, err))
        goto fail;
    for (size_t v = 0; v < nv; v++) {
        sim_compare *c = &r->cmp[v];
        if (sim_trace_init(&c->pruned, m, err))
            goto fail;
        c->traj_dev = calloc(n, sizeof(double));
        c->dev_actual = calloc(n, sizeof(double));
        c->dev_bound = calloc(n, sizeof(double));
        c->dev_bound_closed = calloc(n, sizeof(double));
        c->dev_actual_at_orig = calloc(n, sizeof(double));
        c->dev_bound_at_orig = calloc(n, sizeof(double));
        c->dev_bound_closed_at_orig = calloc(n, sizeof(double));
        if (!c->traj_dev || !c->dev_actual || !c->dev_bound || !c->dev_bound_closed ||
            !c->dev_actual_at_orig || !c->dev_bound_at_orig || !c->dev_bound_closed_at_orig)
            goto free_r;
    }
    return r;
free_r:
    sim_result_free(r);
nomem:
    pb_error_set(err, PB_ENOMEM, "out of memory allocating simulation results");
    return NULL;
fail:
    sim_result_free(r);
    return NULL;
}

void sim_result_free(sim_result *r)
{
    if (!r)
        return;
    sim_trace_free(&r->orig);
    for (size_t v = 0; r->cmp && v < r->n_variants; v++)
        compare_free(&r->cmp[v]);
    free(r->cmp);
    free(r->C_sup);
    free(r->C_sup_orig);
    free(r->dist);
    free(r);
}

/* ---- The sampled step and one loop ---- */

void sim_input_eval(const sim_model *m, const double x[], const double ref[], double s[])
{
    size_t nx = m->plant->type->nx;
    for (size_t i = 0; i < nx; i++)
        s[i] = m->input == SIM_INPUT_ERROR ? x[i] - ref[i] : x[i];
}

int sim_loop_step(const sim_model *m, plant_stepper *st, const mlp *net, mlp_work *w, double t,
                  double x[], const double ref[], const double dist[], double s[], double u[])
{
    double uapp[PLANT_NU_MAX];
    size_t nu = m->plant->type->nu;

    sim_input_eval(m, x, ref, s);
    mlp_eval(net, w, s, u);
    if (!dist)
        return plant_stepper_apply(st, t, x, u);
    for (size_t i = 0; i < nu; i++)
        uapp[i] = u[i] + dist[i];
    return plant_stepper_apply(st, t, x, uapp);
}

static void fill_nan(double *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = NAN;
}

/* Runs one loop with stepper st and workspace w; the rows after a
 * divergence are NaN (t and ref stay defined). */
static void run_loop(const sim_model *m, plant_stepper *st, mlp_work *w, const mlp *net,
                     const double x0[], const double *dist, double *x, sim_trace *tr)
{
    size_t nx = tr->nx, nu = tr->nu, n_in = tr->n_in, N = m->n_steps;
    size_t tail = N - N / 4; /* first row of the last quarter */
    double sum2 = 0.0, tail_max = 0.0;
    size_t reached = 0;

    plant_stepper_reset(st);
    memcpy(x, x0, nx * sizeof *x);
    tr->diverged_step = plant_state_is_valid(m->plant, x) ? -1 : 0;
    for (size_t k = 0; k <= N; k++) {
        double t = (double)k * m->period;
        double *ref = tr->ref + k * nx, *s = tr->s + k * n_in, *u = tr->u + k * nu;
        tr->t[k] = t;
        sim_ref_eval(&m->ref, t, ref);
        if (tr->diverged_step >= 0) {
            fill_nan(tr->x + k * nx, nx);
            fill_nan(s, n_in);
            fill_nan(u, nu);
            tr->track_err[k] = NAN;
            continue;
        }
        memcpy(tr->x + k * nx, x, nx * sizeof *x);
        tr->track_err[k] = sim_ref_track_error(&m->ref, x, ref);
        sum2 += tr->track_err[k] * tr->track_err[k];
        reached++;
        if (k >= tail && tr->track_err[k] > tail_max)
            tail_max = tr->track_err[k];
        if (k == N) {
            sim_input_eval(m, x, ref, s);
            mlp_eval(net, w, s, u);
        } else if (sim_loop_step(m, st, net, w, t, x, ref, dist ? dist + k * nu : NULL, s, u) !=
                   PB_SUCCESS) {
            /* PB_EDIVERGED or PB_ENUMERIC: the state of step k + 1 was not reached. */
            tr->diverged_step = (long)k + 1;
        }
    }
    tr->rms_track = reached ? sqrt(sum2 / (double)reached) : NAN;
    tr->stable = tr->diverged_step < 0 && tail_max <= m->stable_tol;
}

int sim_run_single(const sim_model *m, sim_data *d, const mlp *net, const double x0[],
                   sim_trace *tr, pb_error *err)
{
    if (net->n_in != m->orig->n_in || net->n_out != m->orig->n_out)
        return pb_error_set(err, PB_EINVAL, "the policy's shape differs from the model's");
    run_loop(m, d->st_orig, d->w_orig, net, x0, m->dist.on ? d->dist : NULL, d->x, tr);
    return PB_SUCCESS;
}

/* ---- Deviations and bounds at one state ---- */

/* hc[0..L] of the last pass left in w (bounds_pass_norms). */
static void pass_norms(const bounds_model *bm, const mlp_work *w, double hc[])
{
    const double *h[bm->n_layers + 1];
    for (size_t j = 0; j <= bm->n_layers; j++)
        h[j] = mlp_work_hidden(w, j);
    bounds_pass_norms(bm, h, hc);
}

/* At policy input s: both forward passes, then bounds_pair_eval (one changed
 * layer: the paper's C_k(s) ||dW_k||; several: the telescoping sum with the
 * pruned network's downstream norms and the original's hidden norms), and the
 * running maximum of the per-layer coefficients in csup[L]. */
static void deviation_eval(const sim_model *m, sim_data *d, size_t v, const double s[],
                           bounds_point *pt, double csup[])
{
    const bounds_pair *bp = m->pair[v];

    mlp_eval(m->variants[v].net, d->w_var, s, d->ub);
    mlp_eval(m->orig, d->w_orig, s, d->ua);
    pass_norms(bp->orig, d->w_orig, d->hco);
    pass_norms(bp->pruned, d->w_var, d->hcp);
    bounds_pair_eval(bp, d->hco, d->ua, d->hcp, d->ub, d->hnorm, d->eta, pt);
    for (size_t k = 0; k < m->orig->n_layers; k++) {
        double c = bounds_forward_coeff(m->bm_orig, k, d->hnorm[k]);
        if (c > csup[k])
            csup[k] = c;
    }
}

void sim_deviation_eval(const sim_model *m, sim_data *d, size_t v, const double s[],
                        bounds_point *pt, double csup[])
{
    deviation_eval(m, d, v, s, pt, csup);
}

static int row_is_finite(const double *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i]))
            return 0;
    return 1;
}

/* Folds one state's deviation and bounds into the summary of c: maxima of
 * the actual deviation and the forward-pass bound, tightness against that
 * bound, and the verdict of bounds_check (a violation is a real one). */
static void summary_add(sim_compare *c, const bounds_point *pt)
{
    if (pt->actual > c->max_dev_actual)
        c->max_dev_actual = pt->actual;
    if (pt->bound > c->max_dev_bound)
        c->max_dev_bound = pt->bound;
    if (pt->bound > 0.0 && pt->actual / pt->bound > c->tightness)
        c->tightness = pt->actual / pt->bound;
    c->violations += pt->verdict == BOUNDS_VIOLATED;
    c->attained += pt->verdict == BOUNDS_ATTAINED;
}

int sim_run(const sim_model *m, sim_data *d, const double x0[], sim_result *r, pb_error *err)
{
    const sim_trace *o = &r->orig;
    size_t nx = m->plant->type->nx, n_in = m->orig->n_in, L = m->orig->n_layers;

    (void)err;
    const double *dist = m->dist.on ? d->dist : NULL;

    memcpy(r->dist, d->dist, r->orig.n_rows * m->plant->type->nu * sizeof *r->dist);
    run_loop(m, d->st_orig, d->w_orig, m->orig, x0, dist, d->x, &r->orig);
    for (size_t v = 0; v < m->n_variants; v++) {
        sim_compare *c = &r->cmp[v];
        const sim_trace *p = &c->pruned;
        double *csup = r->C_sup + v * L;

        run_loop(m, d->st_pruned, d->w_var, m->variants[v].net, x0, dist, d->x, &c->pruned);
        c->max_dev_actual = c->max_dev_bound = c->tightness = 0.0;
        c->violations = c->attained = 0;
        for (size_t k = 0; k < p->n_rows; k++) {
            const double *xo = o->x + k * nx, *xp = p->x + k * nx;
            const double *so = o->s + k * n_in, *sp = p->s + k * n_in;
            bounds_point pt;
            c->traj_dev[k] = pb_norm2_diff(nx, xo, xp, NULL);
            if (row_is_finite(sp, n_in)) {
                deviation_eval(m, d, v, sp, &pt, csup);
                c->dev_actual[k] = pt.actual;
                c->dev_bound[k] = pt.bound;
                c->dev_bound_closed[k] = pt.bound_closed;
                summary_add(c, &pt);
            } else {
                c->dev_actual[k] = c->dev_bound[k] = c->dev_bound_closed[k] = NAN;
            }
            if (row_is_finite(so, n_in)) {
                deviation_eval(m, d, v, so, &pt, csup);
                c->dev_actual_at_orig[k] = pt.actual;
                c->dev_bound_at_orig[k] = pt.bound;
                c->dev_bound_closed_at_orig[k] = pt.bound_closed;
                summary_add(c, &pt);
            } else {
                c->dev_actual_at_orig[k] = c->dev_bound_at_orig[k] = NAN;
                c->dev_bound_closed_at_orig[k] = NAN;
            }
        }
    }
    /* C_sup of the original alone: its coefficients over its own loop. */
    for (size_t k = 0; k < o->n_rows; k++) {
        const double *so = o->s + k * n_in;
        if (!row_is_finite(so, n_in))
            continue;
        mlp_eval(m->orig, d->w_orig, so, d->ua);
        bounds_pass_eval_work(m->bm_orig, d->w_orig, d->hnorm, NULL);
        for (size_t j = 0; j < L; j++) {
            double c = bounds_forward_coeff(m->bm_orig, j, d->hnorm[j]);
            if (c > r->C_sup_orig[j])
                r->C_sup_orig[j] = c;
        }
    }
    return PB_SUCCESS;
}

/* ---- Calibration ---- */

int sim_calibrate(const sim_model *m, sim_data *d, size_t n_x0, const double x0s[],
                  size_t trajectories, double noise, unsigned long seed, double **X, size_t *n,
                  pb_error *err)
{
    size_t nx = m->plant->type->nx, n_in = m->orig->n_in, rows = 0;
    double x0[PLANT_NX_MAX];
    sim_trace tr;
    gsl_rng *rng;
    int rc;

    *X = NULL;
    *n = 0;
    if (n_x0 == 0 || trajectories == 0)
        return pb_error_set(err, PB_EINVAL, "calibration needs initial states and trajectories");
    if (!(noise >= 0.0) || !isfinite(noise))
        return pb_error_set(err, PB_EINVAL, "calibration noise must be finite and >= 0");
    rc = sim_trace_init(&tr, m, err);
    if (rc)
        return rc;
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    *X = malloc(trajectories * tr.n_rows * n_in * sizeof **X);
    if (!rng || !*X) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory for calibration states");
        goto free_all;
    }
    gsl_rng_set(rng, seed);
    for (size_t i = 0; i < trajectories; i++) {
        const double *base = x0s + (i % n_x0) * nx;
        for (size_t j = 0; j < nx; j++)
            x0[j] = base[j] + (noise > 0.0 ? gsl_ran_gaussian(rng, noise) : 0.0);
        run_loop(m, d->st_orig, d->w_orig, m->orig, x0, NULL, d->x, &tr);
        for (size_t k = 0; k < tr.n_rows; k++)
            if (row_is_finite(tr.s + k * n_in, n_in))
                memcpy(*X + rows++ * n_in, tr.s + k * n_in, n_in * sizeof **X);
    }
    if (rows == 0) {
        rc = pb_error_set(err, PB_EINVAL, "no calibration trajectory reached a valid state");
        goto free_all;
    }
    *n = rows;
    gsl_rng_free(rng);
    sim_trace_free(&tr);
    return PB_SUCCESS;
free_all:
    free(*X);
    *X = NULL;
    gsl_rng_free(rng);
    sim_trace_free(&tr);
    return rc;
}
