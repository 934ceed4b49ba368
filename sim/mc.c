/* mc.c: Monte Carlo samples and the thread pool (mc.h). */
#define _POSIX_C_SOURCE 200809L
#include "mc.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_rng.h>

/* OpenBLAS's thread control (declared in OpenBLAS's cblas.h, which would
 * clash with gsl_cblas.h if included together). */
void openblas_set_num_threads(int num_threads);

const double mc_quantile_levels[MC_QUANTILES] = {0.05, 0.25, 0.5, 0.75, 0.95};

/* ---- Options ---- */

void mc_options_init(mc_options *o)
{
    memset(o, 0, sizeof *o);
    o->samples = 1000;
    o->seed = 1;
    o->chunk = 256;
    o->sampler.kind = MC_SAMPLER_BOX;
    o->sampler.points[0] = o->sampler.points[1] = 1;
    o->sampler.axes[1] = 1;
    o->crit.tol = 0.05;
    o->crit.tail = 0.25;
    o->crit.radius = INFINITY;
    o->eps = 0.1;
}

int mc_options_validate(const mc_options *o, const plant *p, pb_error *err)
{
    const mc_sampler *s = &o->sampler;
    size_t nx = p->type->nx;

    if (o->samples < 1)
        return pb_error_set(err, PB_EINVAL, "montecarlo.samples must be >= 1");
    if (o->chunk < 1)
        return pb_error_set(err, PB_EINVAL, "montecarlo.chunk must be >= 1");
    switch (s->kind) {
    case MC_SAMPLER_BOX:
        for (size_t i = 0; i < nx; i++)
            if (!isfinite(s->low[i]) || !isfinite(s->high[i]) || s->low[i] > s->high[i])
                return pb_error_set(err, PB_EINVAL,
                                    "montecarlo.sampler: box entry %zu: need finite low <= high",
                                    i);
        break;
    case MC_SAMPLER_GAUSSIAN:
        for (size_t i = 0; i < nx; i++)
            if (!isfinite(s->mean[i]) || !(s->std[i] >= 0.0) || !isfinite(s->std[i]))
                return pb_error_set(err, PB_EINVAL,
                                    "montecarlo.sampler: gaussian entry %zu: need finite mean "
                                    "and std >= 0",
                                    i);
        break;
    case MC_SAMPLER_GRID:
        if (s->axes[0] >= nx || s->axes[1] >= nx || s->axes[0] == s->axes[1])
            return pb_error_set(err, PB_EINVAL,
                                "montecarlo.sampler.axes: two distinct state indices below %zu",
                                nx);
        for (size_t a = 0; a < 2; a++)
            if (s->points[a] < 1 || !isfinite(s->low[a]) || !isfinite(s->high[a]) ||
                s->low[a] > s->high[a])
                return pb_error_set(err, PB_EINVAL,
                                    "montecarlo.sampler: grid axis %zu: need points >= 1 and "
                                    "finite low <= high",
                                    a);
        if (o->samples != s->points[0] * s->points[1])
            return pb_error_set(
                err, PB_EINVAL, "montecarlo.samples: a %zu x %zu grid has %zu samples, not %zu",
                s->points[0], s->points[1], s->points[0] * s->points[1], o->samples);
        break;
    default:
        return pb_error_set(err, PB_EINVAL, "montecarlo.sampler: unknown kind");
    }
    for (size_t j = 0; j < o->n_params; j++)
        if (o->params[j].index >= p->type->np || !(o->params[j].rel >= 0.0) ||
            !(o->params[j].rel < 1.0))
            return pb_error_set(err, PB_EINVAL,
                                "montecarlo.params[%zu]: need a parameter of the plant and "
                                "0 <= rel < 1",
                                j);
    if (!(o->input_noise >= 0.0) || !isfinite(o->input_noise) || !(o->meas_noise >= 0.0) ||
        !isfinite(o->meas_noise))
        return pb_error_set(err, PB_EINVAL, "montecarlo: noise must be finite and >= 0");
    if (!(o->crit.tol >= 0.0) || !(o->crit.tail > 0.0 && o->crit.tail <= 1.0) ||
        !(o->crit.radius > 0.0))
        return pb_error_set(err, PB_EINVAL,
                            "montecarlo.criterion: need tol >= 0, 0 < tail <= 1, radius > 0");
    return PB_SUCCESS;
}

/* ---- Streams and statistics ---- */

/* SplitMix64's output function (Steele, Lea & Flood, OOPSLA 2014). */
static uint64_t splitmix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

unsigned long mc_sample_seed(unsigned long seed, size_t index)
{
    return (unsigned long)splitmix64((uint64_t)seed ^ splitmix64((uint64_t)index + 1));
}

void mc_wilson(size_t k, size_t n, double z, double *lo, double *hi)
{
    double nn = (double)n, p, z2, den, centre, half;

    if (n == 0) {
        *lo = *hi = NAN;
        return;
    }
    p = (double)k / nn;
    z2 = z * z;
    den = 1.0 + z2 / nn;
    centre = (p + z2 / (2.0 * nn)) / den;
    half = z / den * sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn));
    *lo = fmax(0.0, centre - half);
    *hi = fmin(1.0, centre + half);
}

/* ---- One sample ---- */

struct mc_work {
    plant *pl;                /* the nominal plant's copy with this sample's parameters */
    plant_stepper *st;        /* one loop at a time */
    mlp_work *w_orig, *w_var; /* forward passes of the loops */
    sim_data *dev;            /* deviation and bound evaluation (sim_deviation_eval) */
    gsl_rng *rng;
    double *meas;   /* [(N + 1) x nx] measurement noise of this sample */
    double *inoise; /* [(N + 1) x nu] input noise */
    double *s_orig; /* [(N + 1) x n_in] the original loop's policy inputs */
    double *x_orig; /* [(N + 1) x nx] its states */
    double *x_var;  /* [(N + 1) x nx] a variant's states */
    double *csup;   /* [n_layers] scratch of sim_deviation_eval */
    double ref[PLANT_NX_MAX], xm[PLANT_NX_MAX], s[PLANT_NX_MAX];
    double u[PLANT_NU_MAX];
};

size_t mc_traj_size(const mc_study *s)
{
    const sim_model *m = s->model;
    return s->opts->traces ? (1 + m->n_variants) * (m->n_steps + 1) * m->plant->type->nx : 0;
}

mc_work *mc_work_alloc(const mc_study *s, pb_error *err)
{
    const sim_model *m = s->model;
    size_t nx = m->plant->type->nx, nu = m->plant->type->nu, np = m->plant->type->np;
    size_t n = m->n_steps + 1, n_in = m->orig->n_in;
    mc_work *w = calloc(1, sizeof *w);

    if (!w)
        goto nomem;
    w->pl = plant_alloc(m->plant->type);
    if (!w->pl)
        goto free_w;
    memcpy(w->pl->p, m->plant->p, np * sizeof *w->pl->p);
    w->st = plant_stepper_alloc(w->pl, &m->integ, m->period, err);
    if (!w->st)
        goto fail;
    w->w_orig = mlp_work_alloc(m->orig, 1, err);
    w->w_var = w->w_orig ? mlp_work_alloc(m->orig, 1, err) : NULL;
    w->dev = w->w_var ? sim_data_alloc(m, err) : NULL;
    if (!w->dev)
        goto fail;
    w->rng = gsl_rng_alloc(gsl_rng_mt19937);
    w->meas = calloc(n * nx, sizeof *w->meas);
    w->inoise = calloc(n * nu, sizeof *w->inoise);
    w->s_orig = calloc(n * n_in, sizeof *w->s_orig);
    w->x_orig = calloc(n * nx, sizeof *w->x_orig);
    w->x_var = calloc(n * nx, sizeof *w->x_var);
    w->csup = calloc(m->orig->n_layers, sizeof *w->csup);
    if (!w->rng || !w->meas || !w->inoise || !w->s_orig || !w->x_orig || !w->x_var || !w->csup)
        goto free_w;
    return w;
free_w:
    mc_work_free(w);
nomem:
    pb_error_set(err, PB_ENOMEM, "out of memory for a Monte Carlo workspace");
    return NULL;
fail:
    mc_work_free(w);
    return NULL;
}

void mc_work_free(mc_work *w)
{
    if (!w)
        return;
    plant_stepper_free(w->st);
    plant_free(w->pl);
    mlp_work_free(w->w_orig);
    mlp_work_free(w->w_var);
    sim_data_free(w->dev);
    gsl_rng_free(w->rng);
    free(w->meas);
    free(w->inoise);
    free(w->s_orig);
    free(w->x_orig);
    free(w->x_var);
    free(w->csup);
    free(w);
}

/* Draws sample index's x0 and parameters (into w->pl and p) and its noise
 * sequences, in this fixed order, from the stream seeded for index. */
static void sample_draw(const mc_study *s, mc_work *w, size_t index, double x0[], double p[])
{
    const mc_options *o = s->opts;
    const mc_sampler *sm = &o->sampler;
    const sim_model *m = s->model;
    size_t nx = m->plant->type->nx, nu = m->plant->type->nu, n = m->n_steps + 1;

    gsl_rng_set(w->rng, mc_sample_seed(o->seed, index));
    switch (sm->kind) {
    case MC_SAMPLER_BOX:
        for (size_t i = 0; i < nx; i++)
            x0[i] = sm->low[i] + (sm->high[i] - sm->low[i]) * gsl_rng_uniform(w->rng);
        break;
    case MC_SAMPLER_GAUSSIAN:
        for (size_t i = 0; i < nx; i++)
            x0[i] = sm->mean[i] + (sm->std[i] > 0.0 ? gsl_ran_gaussian(w->rng, sm->std[i]) : 0.0);
        break;
    case MC_SAMPLER_GRID: {
        /* Row-major: sample index = i0 * points[1] + i1; points spaced evenly, ends included. */
        size_t ij[2] = {index / sm->points[1], index % sm->points[1]};
        memcpy(x0, sm->fixed, nx * sizeof *x0);
        for (size_t a = 0; a < 2; a++)
            x0[sm->axes[a]] = sm->points[a] > 1
                                  ? sm->low[a] + (sm->high[a] - sm->low[a]) * (double)ij[a] /
                                                     (double)(sm->points[a] - 1)
                                  : sm->low[a];
        break;
    }
    }
    for (size_t j = 0; j < o->n_params; j++) {
        size_t k = o->params[j].index;
        double rel = o->params[j].rel;
        w->pl->p[k] = m->plant->p[k] * (1.0 + (rel > 0.0 ? gsl_ran_flat(w->rng, -rel, rel) : 0.0));
        p[j] = w->pl->p[k];
    }
    for (size_t i = 0; i < n * nx; i++)
        w->meas[i] = o->meas_noise > 0.0 ? gsl_ran_gaussian(w->rng, o->meas_noise) : 0.0;
    for (size_t i = 0; i < n * nu; i++)
        w->inoise[i] = o->input_noise > 0.0 ? gsl_ran_gaussian(w->rng, o->input_noise) : 0.0;
    /* The model's input disturbance (sim.h, simulation.disturbance) as `run`
     * applies it, its Gaussian part drawn from this sample's stream. */
    if (m->dist.on) {
        const sim_disturbance *ds = &m->dist;
        for (size_t k = 0; k < n; k++) {
            double t = (double)k * m->period;
            for (size_t i = 0; i < nu; i++) {
                double g = ds->noise[i] > 0.0 ? gsl_ran_gaussian(w->rng, 1.0) : 0.0;
                if (t >= ds->start)
                    w->inoise[k * nu + i] +=
                        ds->bias[i] + ds->amplitude[i] * sin(2.0 * M_PI * ds->frequency[i] * t) +
                        ds->noise[i] * g;
            }
        }
    }
}

/* What one loop gives. */
typedef struct loop_stats {
    long diverged_step;
    double rms, tail_max;
    mc_outcome outcome;
} loop_stats;

/* One closed loop of net from x0 (the sampled step of sim.h with this
 * sample's noise: the policy sees x + meas[k], the plant gets u + inoise[k]).
 * Records the states in xs[(N + 1) x nx] (NaN after a divergence) and, when
 * s_rec is not NULL, the policy inputs (NaN after a divergence). */
static void loop_run(const mc_study *s, mc_work *w, mlp_work *mw, const mlp *net, const double x0[],
                     double *xs, double *s_rec, loop_stats *ls)
{
    const sim_model *m = s->model;
    const mc_criterion *cr = &s->opts->crit;
    size_t nx = m->plant->type->nx, nu = m->plant->type->nu, n_in = m->orig->n_in;
    size_t N = m->n_steps, tail = N - (size_t)floor(cr->tail * (double)N);
    double x[PLANT_NX_MAX], sum2 = 0.0;
    size_t reached = 0;

    plant_stepper_reset(w->st);
    memcpy(x, x0, nx * sizeof *x);
    ls->diverged_step = plant_state_is_valid(w->pl, x) ? -1 : 0;
    ls->tail_max = 0.0;
    for (size_t k = 0; k <= N; k++) {
        double t = (double)k * m->period, e = 0.0;
        if (ls->diverged_step < 0) {
            sim_ref_eval(&m->ref, t, w->ref);
            e = sim_ref_track_error(&m->ref, x, w->ref);
            if (!(e <= cr->radius))
                ls->diverged_step = (long)k;
        }
        if (ls->diverged_step >= 0) {
            for (size_t i = 0; i < nx; i++)
                xs[k * nx + i] = NAN;
            for (size_t i = 0; s_rec && i < n_in; i++)
                s_rec[k * n_in + i] = NAN;
            continue;
        }
        memcpy(xs + k * nx, x, nx * sizeof *x);
        sum2 += e * e;
        reached++;
        if (k >= tail && e > ls->tail_max)
            ls->tail_max = e;
        for (size_t i = 0; i < nx; i++)
            w->xm[i] = x[i] + w->meas[k * nx + i];
        sim_input_eval(m, w->xm, w->ref, w->s);
        if (s_rec)
            memcpy(s_rec + k * n_in, w->s, n_in * sizeof *w->s);
        if (k == N)
            break;
        mlp_eval(net, mw, w->s, w->u);
        for (size_t i = 0; i < nu; i++)
            w->u[i] += w->inoise[k * nu + i];
        if (plant_stepper_apply(w->st, t, x, w->u) != PB_SUCCESS)
            ls->diverged_step = (long)k + 1; /* PB_EDIVERGED or PB_ENUMERIC */
    }
    ls->rms = reached ? sqrt(sum2 / (double)reached) : NAN;
    if (ls->diverged_step >= 0) {
        ls->outcome = MC_DIVERGED;
        ls->tail_max = NAN;
    } else {
        ls->outcome = ls->tail_max <= cr->tol ? MC_CONVERGED : MC_BOUNDED;
    }
}

static int row_is_finite(const double *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i]))
            return 0;
    return 1;
}

/* Folds the deviation of variant v at policy input s into row r. */
static void row_add_deviation(const mc_study *s, mc_work *w, size_t v, const double in[], mc_row *r)
{
    bounds_point pt;

    sim_deviation_eval(s->model, w->dev, v, in, &pt, w->csup);
    r->max_dev_actual = fmax(r->max_dev_actual, pt.actual);
    r->max_dev_bound = fmax(r->max_dev_bound, pt.bound);
    r->max_dev_bound_closed = fmax(r->max_dev_bound_closed, pt.bound_closed);
    if (pt.bound > 0.0 && pt.actual / pt.bound > r->tightness)
        r->tightness = pt.actual / pt.bound;
    r->violations += pt.verdict == BOUNDS_VIOLATED;
}

int mc_sample_run(const mc_study *s, mc_work *w, size_t index, mc_row rows[], double x0[],
                  double p[], double x_traj[])
{
    const sim_model *m = s->model;
    size_t nx = m->plant->type->nx, n_in = m->orig->n_in, n = m->n_steps + 1;
    loop_stats lo, lp;

    sample_draw(s, w, index, x0, p);
    loop_run(s, w, w->w_orig, m->orig, x0, w->x_orig, w->s_orig, &lo);
    if (x_traj)
        memcpy(x_traj, w->x_orig, n * nx * sizeof *x_traj);
    for (size_t v = 0; v < m->n_variants; v++) {
        mc_row *r = &rows[v];
        double sp[PLANT_NX_MAX];

        memset(r, 0, sizeof *r);
        r->sample = (long long)index;
        r->variant = (long long)v;
        loop_run(s, w, w->w_var, m->variants[v].net, x0, w->x_var, NULL, &lp);
        /* Deviations at both loops' policy inputs, step by step (as sim_run).
         * The pruned loop's inputs are rebuilt from its states, reference
         * and the sample's measurement noise. */
        for (size_t k = 0; k < n; k++) {
            const double *xo = w->x_orig + k * nx, *xv = w->x_var + k * nx;
            if (row_is_finite(xo, nx) && row_is_finite(xv, nx)) {
                double dd = 0.0;
                for (size_t i = 0; i < nx; i++)
                    dd += (xo[i] - xv[i]) * (xo[i] - xv[i]);
                r->max_traj_dev = fmax(r->max_traj_dev, sqrt(dd));
            }
            if (row_is_finite(xv, nx)) {
                sim_ref_eval(&m->ref, (double)k * m->period, w->ref);
                for (size_t i = 0; i < nx; i++)
                    w->xm[i] = xv[i] + w->meas[k * nx + i];
                sim_input_eval(m, w->xm, w->ref, sp);
                row_add_deviation(s, w, v, sp, r);
            }
            if (row_is_finite(w->s_orig + k * n_in, n_in))
                row_add_deviation(s, w, v, w->s_orig + k * n_in, r);
        }
        if (x_traj)
            memcpy(x_traj + (1 + v) * n * nx, w->x_var, n * nx * sizeof *x_traj);
        r->outcome_orig = lo.outcome;
        r->outcome_pruned = lp.outcome;
        r->diverged_step_orig = lo.diverged_step;
        r->diverged_step_pruned = lp.diverged_step;
        r->rms_track_orig = lo.rms;
        r->rms_track_pruned = lp.rms;
        r->tail_err_orig = lo.tail_max;
        r->tail_err_pruned = lp.tail_max;
        r->certified = r->max_dev_bound <= s->opts->eps;
    }
    return PB_SUCCESS;
}

/* ---- The pool ---- */

/* Workers wait for a new generation (a chunk), take samples from an atomic
 * counter, and report done; the caller works too. */
struct mc_pool {
    const mc_study *s;
    size_t n_threads, n_started;
    pthread_t *tid;
    mc_work **w; /* [n_threads]; w[0] is the caller's */
    pthread_mutex_t lock;
    pthread_cond_t cv_start, cv_done;
    int sync;
    unsigned long gen;
    size_t active;
    int quit;
    /* The current chunk (written by the caller while no worker is active). */
    size_t first, count, traj;
    mc_row *rows;
    double *x0s, *ps, *trajs;
    atomic_size_t next;
};

typedef struct pool_arg {
    mc_pool *p;
    size_t i;
} pool_arg;

/* Takes samples of the current chunk until none is left. */
static void pool_work(mc_pool *p, mc_work *w)
{
    const sim_model *m = p->s->model;
    size_t nv = m->n_variants, nx = m->plant->type->nx, np = p->s->opts->n_params, j;

    while ((j = atomic_fetch_add(&p->next, 1)) < p->count)
        mc_sample_run(p->s, w, p->first + j, p->rows + j * nv, p->x0s + j * nx, p->ps + j * np,
                      p->trajs ? p->trajs + j * p->traj : NULL);
}

static void *pool_main(void *arg)
{
    pool_arg *a = arg;
    mc_pool *p = a->p;
    mc_work *w = p->w[a->i];
    unsigned long seen = 0;

    free(a);
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (p->gen == seen && !p->quit)
            pthread_cond_wait(&p->cv_start, &p->lock);
        seen = p->gen;
        if (p->quit) {
            pthread_mutex_unlock(&p->lock);
            break;
        }
        pthread_mutex_unlock(&p->lock);
        pool_work(p, w);
        pthread_mutex_lock(&p->lock);
        if (--p->active == 0)
            pthread_cond_signal(&p->cv_done);
        pthread_mutex_unlock(&p->lock);
    }
    return NULL;
}

mc_pool *mc_pool_alloc(const mc_study *s, size_t n_threads, pb_error *err)
{
    mc_pool *p;

    if (n_threads < 1)
        return pb_error_set(err, PB_EINVAL, "need at least one thread"), NULL;
    /* One BLAS thread per worker: OpenBLAS never splits a product across
     * threads, so every dgemv is the same serial computation whatever the
     * pool size (bit-identical results). */
    openblas_set_num_threads(1);
    p = calloc(1, sizeof *p);
    if (!p)
        goto nomem;
    p->s = s;
    p->n_threads = n_threads;
    p->traj = mc_traj_size(s);
    p->tid = calloc(n_threads, sizeof *p->tid);
    p->w = calloc(n_threads, sizeof *p->w);
    if (!p->tid || !p->w)
        goto free_p;
    for (size_t i = 0; i < n_threads; i++)
        if (!(p->w[i] = mc_work_alloc(s, err)))
            goto fail;
    if (pthread_mutex_init(&p->lock, NULL) != 0)
        goto threads;
    if (pthread_cond_init(&p->cv_start, NULL) != 0) {
        pthread_mutex_destroy(&p->lock);
        goto threads;
    }
    if (pthread_cond_init(&p->cv_done, NULL) != 0) {
        pthread_cond_destroy(&p->cv_start);
        pthread_mutex_destroy(&p->lock);
        goto threads;
    }
    p->sync = 1;
    for (size_t i = 1; i < n_threads; i++) {
        pool_arg *a = malloc(sizeof *a);
        if (!a)
            goto free_p;
        a->p = p;
        a->i = i;
        if (pthread_create(&p->tid[i], NULL, pool_main, a) != 0) {
            free(a);
            goto threads;
        }
        p->n_started++;
    }
    return p;
threads:
    pb_error_set(err, PB_EINTERNAL, "cannot start %zu worker threads", n_threads);
    mc_pool_free(p);
    return NULL;
free_p:
    mc_pool_free(p);
nomem:
    pb_error_set(err, PB_ENOMEM, "out of memory for the Monte Carlo thread pool");
    return NULL;
fail:
    mc_pool_free(p);
    return NULL;
}

void mc_pool_free(mc_pool *p)
{
    if (!p)
        return;
    if (p->sync) {
        pthread_mutex_lock(&p->lock);
        p->quit = 1;
        pthread_cond_broadcast(&p->cv_start);
        pthread_mutex_unlock(&p->lock);
        for (size_t i = 1; i <= p->n_started; i++)
            pthread_join(p->tid[i], NULL);
        pthread_cond_destroy(&p->cv_start);
        pthread_cond_destroy(&p->cv_done);
        pthread_mutex_destroy(&p->lock);
    }
    for (size_t i = 0; p->w && i < p->n_threads; i++)
        mc_work_free(p->w[i]);
    free(p->w);
    free(p->tid);
    free(p);
}

int mc_pool_run(mc_pool *p, size_t first, size_t count, mc_row rows[], double x0s[], double ps[],
                double trajs[], pb_error *err)
{
    (void)err;
    p->first = first;
    p->count = count;
    p->rows = rows;
    p->x0s = x0s;
    p->ps = ps;
    p->trajs = trajs;
    atomic_store(&p->next, 0);
    pthread_mutex_lock(&p->lock);
    p->active = p->n_started;
    p->gen++;
    pthread_cond_broadcast(&p->cv_start);
    pthread_mutex_unlock(&p->lock);
    pool_work(p, p->w[0]);
    pthread_mutex_lock(&p->lock);
    while (p->active > 0)
        pthread_cond_wait(&p->cv_done, &p->lock);
    pthread_mutex_unlock(&p->lock);
    return PB_SUCCESS;
}
