/* mc.c: Monte Carlo samples and the thread pool (mc_study.h). */
#define _POSIX_C_SOURCE 200809L
#include "mc_study.h"
#include "pb_norm.h"
#include "tube.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_rng.h>

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
    /* At k = 0 (k = n) the lower (upper) end is exactly 0 (1): centre and
     * half agree there in exact arithmetic, and rounding would leave
     * 1e-17 or 0.9999999999999999. */
    *lo = k == 0 ? 0.0 : fmin(1.0, fmax(0.0, centre - half));
    *hi = k >= n ? 1.0 : fmin(1.0, fmax(0.0, centre + half));
}

/* ---- One block of samples ---- */

struct mc_work {
    sim_lanes *lanes;
    gsl_rng *rng;
    double *params; /* [SIM_BLOCK x np] each sample's plant parameters */
    double *x_meas; /* [SIM_BLOCK x (N + 1) x nx] measurement noise */
    double *u_add;  /* [SIM_BLOCK x (N + 1) x nu] input noise and disturbance */
    spec_monitor *mon; /* [SIM_BLOCK x (1 + nv)] the spec of every lane, or NULL */
    /* bounds.tube: the tube and each sample's original loop, row by row */
    tube *tube;
    double *xo;    /* [SIM_BLOCK x (N + 1) x nx] */
    double *uo;    /* [SIM_BLOCK x (N + 1) x nu] the policy's output */
    double *ref;   /* [(N + 1) x nx] */
    double *bound; /* [N + 1] */
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
    size_t n = m->n_steps + 1;
    mc_work *w = calloc(1, sizeof *w);

    if (!w)
        goto nomem;
    w->rng = gsl_rng_alloc(gsl_rng_mt19937);
    w->params = calloc(SIM_BLOCK * (np ? np : 1), sizeof *w->params);
    w->x_meas = calloc(SIM_BLOCK * n * nx, sizeof *w->x_meas);
    w->u_add = calloc(SIM_BLOCK * n * nu, sizeof *w->u_add);
    if (s->spec && !(w->mon = calloc(SIM_BLOCK * (1 + m->n_variants), sizeof *w->mon)))
        goto free_w;
    if (!w->rng || !w->params || !w->x_meas || !w->u_add)
        goto free_w;
    if (!(w->lanes = sim_lanes_alloc(m, SIM_BLOCK, err))) {
        mc_work_free(w);
        return NULL;
    }
    if (s->opts->tube && tube_is_available() && s->opts->meas_noise == 0.0) {
        if (!(w->tube = tube_alloc(m, NULL, err))) {
            mc_work_free(w);
            return NULL;
        }
        w->xo = calloc(SIM_BLOCK * n * nx, sizeof *w->xo);
        w->uo = calloc(SIM_BLOCK * n * nu, sizeof *w->uo);
        w->ref = calloc(n * nx, sizeof *w->ref);
        w->bound = calloc(n, sizeof *w->bound);
        if (!w->xo || !w->uo || !w->ref || !w->bound)
            goto free_w;
    }
    sim_lanes_orig_norms(w->lanes, 0); /* the rows read the variants' bounds only */
    return w;
free_w:
    mc_work_free(w);
nomem:
    pb_error_set(err, PB_ENOMEM, "out of memory for a Monte Carlo workspace");
    return NULL;
}

void mc_work_free(mc_work *w)
{
    if (!w)
        return;
    sim_lanes_free(w->lanes);
    gsl_rng_free(w->rng);
    free(w->params);
    free(w->x_meas);
    free(w->u_add);
    free(w->mon);
    tube_free(w->tube);
    free(w->xo);
    free(w->uo);
    free(w->ref);
    free(w->bound);
    free(w);
}

/* Draws sample index's x0, parameters (into params and p) and its noise
 * sequences, in this fixed order, from the stream seeded for index. */
static void sample_draw(const mc_study *s, mc_work *w, size_t index, double x0[], double params[],
                        double p[], double meas[], double inoise[])
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
    memcpy(params, m->plant->p, m->plant->type->np * sizeof *params);
    for (size_t j = 0; j < o->n_params; j++) {
        size_t k = o->params[j].index;
        double rel = o->params[j].rel;
        params[k] = m->plant->p[k] * (1.0 + (rel > 0.0 ? gsl_ran_flat(w->rng, -rel, rel) : 0.0));
        p[j] = params[k];
    }
    for (size_t i = 0; i < n * nx; i++)
        meas[i] = o->meas_noise > 0.0 ? gsl_ran_gaussian(w->rng, o->meas_noise) : 0.0;
    for (size_t i = 0; i < n * nu; i++)
        inoise[i] = o->input_noise > 0.0 ? gsl_ran_gaussian(w->rng, o->input_noise) : 0.0;
    /* The model's input disturbance (sim.h, simulation.disturbance) as `run`
     * applies it, its Gaussian part drawn from this sample's stream. */
    if (m->dist.on) {
        const sim_disturbance *ds = &m->dist;
        for (size_t k = 0; k < n; k++) {
            double t = (double)k * m->period;
            for (size_t i = 0; i < nu; i++) {
                double g = ds->noise[i] > 0.0 ? gsl_ran_gaussian(w->rng, 1.0) : 0.0;
                if (t >= ds->start)
                    inoise[k * nu + i] +=
                        ds->bias[i] + ds->amplitude[i] * sin(2.0 * M_PI * ds->frequency[i] * t) +
                        ds->noise[i] * g;
            }
        }
    }
}

/* Folds a deviation and its bounds into row r. */
static void row_add_point(mc_row *r, const bounds_point *pt)
{
    if (isnan(pt->actual))
        return;
    r->max_dev_actual = fmax(r->max_dev_actual, pt->actual);
    r->max_dev_bound = fmax(r->max_dev_bound, pt->bound);
    r->max_dev_bound_closed = fmax(r->max_dev_bound_closed, pt->bound_closed);
    if (pt->bound > 0.0 && pt->actual / pt->bound > r->tightness)
        r->tightness = pt->actual / pt->bound;
    r->violations += pt->verdict == BOUNDS_VIOLATED;
}

/* The certified tube of every variant of each sample of the block, along
 * its original loop (with the sample's parameters and input noise), into
 * the rows' max_traj_dev_bound. */
static int block_tube(const mc_study *s, mc_work *w, size_t count, mc_row rows[], pb_error *err)
{
    const sim_model *m = s->model;
    size_t nx = m->plant->type->nx, nu = m->plant->type->nu, np = m->plant->type->np;
    size_t n = m->n_steps + 1, nv = m->n_variants;
    const sim_row *row = sim_lanes_row(w->lanes);
    int inputs = s->opts->input_noise > 0.0 || m->dist.on, rc;

    for (size_t j = 0; j < count; j++) {
        sim_trace tr;
        memset(&tr, 0, sizeof tr);
        tr.n_rows = n;
        tr.nx = nx;
        tr.nu = nu;
        tr.n_in = nx;
        tr.x = w->xo + j * n * nx;
        tr.u = w->uo + j * n * nu;
        tr.ref = w->ref;
        tr.diverged_step = row->tracks[j].diverged_step;
        if ((rc = tube_set_params(w->tube, w->params + j * np, err)) ||
            (rc = tube_prepare(w->tube, &tr, inputs ? w->u_add + j * n * nu : NULL, err)))
            return rc;
        for (size_t v = 0; v < nv; v++) {
            tube_info info;
            if ((rc = tube_eval(w->tube, m->variants[v].net, w->bound, &info, err)))
                return rc;
            rows[j * nv + v].max_traj_dev_bound = info.max_bound;
        }
    }
    return PB_SUCCESS;
}

int mc_block_run(const mc_study *s, mc_work *w, size_t first, size_t count, mc_row rows[],
                 double x0s[], double ps[], double trajs[], pb_error *err)
{
    const sim_model *m = s->model;
    const mc_options *o = s->opts;
    size_t nx = m->plant->type->nx, nu = m->plant->type->nu, np = m->plant->type->np;
    size_t n = m->n_steps + 1, nv = m->n_variants, traj = mc_traj_size(s);
    int noise = o->meas_noise > 0.0, inputs = o->input_noise > 0.0 || m->dist.on;
    sim_block b = {count, x0s, o->n_params ? w->params : NULL, inputs ? w->u_add : NULL,
                   noise ? w->x_meas : NULL};
    const sim_row *row = sim_lanes_row(w->lanes);
    int rc;

    for (size_t j = 0; j < count; j++)
        sample_draw(s, w, first + j, x0s + j * nx, w->params + j * np,
                    ps + j * (o->n_params ? o->n_params : 0), w->x_meas + j * n * nx,
                    w->u_add + j * n * nu);
    for (size_t j = 0; j < count; j++) {
        plant view = {m->plant->type, w->params + j * np};
        if ((rc = plant_validate(&view, err)))
            return pb_error_prefix(err, "sample %zu: ", first + j);
    }
    if ((rc = sim_lanes_start(m, w->lanes, &b, err)))
        return rc;
    for (size_t j = 0; j < count; j++)
        for (size_t v = 0; v < nv; v++) {
            mc_row *r = &rows[j * nv + v];
            memset(r, 0, sizeof *r);
            r->sample = (long long)(first + j);
            r->variant = (long long)v;
            r->max_dev_bound_local = m->bound_local ? 0.0 : NAN;
        }
    if (s->spec)
        for (size_t l = 0; l < (1 + nv) * count; l++)
            spec_monitor_init(&w->mon[l], s->spec, m->period, m->n_steps);
    for (size_t k = 0; k < n; k++) {
        sim_lanes_eval(m, w->lanes);
        /* the spec of every lane (lane p * count + j: policy p, sample j), row by row */
        for (size_t l = 0; s->spec && l < (1 + nv) * count; l++) {
            double x[PLANT_NX_MAX];
            for (size_t i = 0; i < nx; i++)
                x[i] = row->x[i * row->ld + l];
            spec_monitor_fold(&w->mon[l], k, row->reached[l] ? x : NULL);
        }
        if (w->tube) /* the original loops' states and outputs for the tube */
            for (size_t j = 0; j < count; j++) {
                for (size_t i = 0; i < nx; i++)
                    w->xo[(j * n + k) * nx + i] = row->x[i * row->ld + j];
                for (size_t i = 0; i < nu; i++)
                    w->uo[(j * n + k) * nu + i] = row->u[i * row->ld + j];
                memcpy(w->ref + k * nx, row->ref, nx * sizeof *w->ref);
            }
        for (size_t j = 0; j < count; j++) {
            for (size_t v = 0; v < nv; v++) {
                mc_row *r = &rows[j * nv + v];
                size_t l = (v + 1) * count + j;
                if (row->reached[j] && row->reached[l]) {
                    double xo[PLANT_NX_MAX], xp[PLANT_NX_MAX];
                    for (size_t i = 0; i < nx; i++) {
                        xo[i] = row->x[i * row->ld + j];
                        xp[i] = row->x[i * row->ld + l];
                    }
                    r->max_traj_dev = fmax(r->max_traj_dev, pb_norm2_diff(nx, xo, xp, NULL));
                }
                row_add_point(r, &row->dev[l]);
                row_add_point(r, &row->dev_orig[l]);
                if (row->dev_local) /* fmax: NaN where a loop did not reach the row */
                    r->max_dev_bound_local = fmax(r->max_dev_bound_local,
                                                  fmax(row->dev_local[l], row->dev_local_orig[l]));
            }
            if (trajs)
                for (size_t p = 0; p <= nv; p++)
                    for (size_t i = 0; i < nx; i++)
                        trajs[j * traj + (p * n + k) * nx + i] = row->x[i * row->ld + p * count + j];
        }
        if (k + 1 < n && (rc = sim_lanes_advance(m, w->lanes, err)))
            return rc;
    }
    for (size_t j = 0; j < count; j++)
        for (size_t v = 0; v < nv; v++) {
            mc_row *r = &rows[j * nv + v];
            const sim_track *to = &row->tracks[j], *tp = &row->tracks[(v + 1) * count + j];
            r->outcome_orig = sim_track_outcome(to, &m->crit);
            r->outcome_pruned = sim_track_outcome(tp, &m->crit);
            r->still_converging_orig = sim_track_still_converging(to, &m->crit);
            r->still_converging_pruned = sim_track_still_converging(tp, &m->crit);
            r->diverged_step_orig = to->diverged_step;
            r->diverged_step_pruned = tp->diverged_step;
            r->rms_track_orig = sim_track_rms(to);
            r->rms_track_pruned = sim_track_rms(tp);
            r->tail_err_orig = sim_track_tail_err(to);
            r->tail_err_pruned = sim_track_tail_err(tp);
            r->certified = r->max_dev_bound <= o->eps;
            r->spec_rob_orig = r->spec_rob_pruned = NAN;
            r->spec_sat_orig = r->spec_sat_pruned = -1;
            if (s->spec) {
                r->spec_rob_orig = spec_monitor_robustness(&w->mon[j]);
                r->spec_rob_pruned = spec_monitor_robustness(&w->mon[(v + 1) * count + j]);
                r->spec_sat_orig = spec_is_satisfied(r->spec_rob_orig);
                r->spec_sat_pruned = spec_is_satisfied(r->spec_rob_pruned);
            }
            for (size_t q = 0; q < SPEC_PROPS_MAX; q++) {
                int has = s->spec && q < s->spec->n;
                r->spec_prop_orig[q] = has ? spec_monitor_prop(&w->mon[j], q) : NAN;
                r->spec_prop_pruned[q] =
                    has ? spec_monitor_prop(&w->mon[(v + 1) * count + j], q) : NAN;
            }
            r->max_traj_dev_bound = NAN;
        }
    if (w->tube)
        return block_tube(s, w, count, rows, err);
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
    size_t first, count, traj, n_blocks, block; /* blocks of `block` samples */
    mc_row *rows;
    double *x0s, *ps, *trajs;
    atomic_size_t next;
    /* The first failing block of the chunk (under lock): its index and error. */
    size_t err_block;
    pb_error err;
};

typedef struct pool_arg {
    mc_pool *p;
    size_t i;
} pool_arg;

/* Takes blocks of the current chunk until none is left; keeps the error of
 * the first failing block. */
static void pool_work(mc_pool *p, mc_work *w)
{
    const sim_model *m = p->s->model;
    size_t nv = m->n_variants, nx = m->plant->type->nx, np = p->s->opts->n_params, b;

    while ((b = atomic_fetch_add(&p->next, 1)) < p->n_blocks) {
        size_t j = b * p->block, cnt = p->count - j < p->block ? p->count - j : p->block;
        pb_error e;
        pb_error_clear(&e);
        if (mc_block_run(p->s, w, p->first + j, cnt, p->rows + j * nv, p->x0s + j * nx,
                         p->ps + j * np, p->trajs ? p->trajs + j * p->traj : NULL, &e)) {
            pthread_mutex_lock(&p->lock);
            if (b < p->err_block) {
                p->err_block = b;
                p->err = e;
            }
            pthread_mutex_unlock(&p->lock);
        }
    }
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
    /* The pool owns the cores; the engine calls no BLAS, but OpenBLAS's own
     * threads, woken by the pruning and the spectral norms before, would
     * spin beside the workers for a while. */
    pb_blas_set_threads(1);
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
    p->first = first;
    p->count = count;
    /* As many blocks as SIM_BLOCK needs, rounded up to a multiple of the
     * thread count so that every thread gets work, of equal size.  A
     * sample's rows do not depend on the block it runs in (sim.h), so the
     * split changes the speed only. */
    p->n_blocks = (count + SIM_BLOCK - 1) / SIM_BLOCK;
    p->n_blocks = (p->n_blocks + p->n_threads - 1) / p->n_threads * p->n_threads;
    if (p->n_blocks > count)
        p->n_blocks = count;
    p->block = (count + p->n_blocks - 1) / p->n_blocks;
    p->n_blocks = (count + p->block - 1) / p->block;
    p->err_block = SIZE_MAX;
    pb_error_clear(&p->err);
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
    if (p->err_block != SIZE_MAX) {
        if (err)
            *err = p->err;
        return p->err.code;
    }
    return PB_SUCCESS;
}
