/* sim.c: the closed-loop engine (sim.h): the model, the lanes and their
 * rows, and `run`'s scenario fold and calibration on top of them. */
#include "sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_math.h> /* M_PI */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "bounds_diff.h"
#include "pb_simd.h"
#include "plant_rk4.h"

/* ---- Outcomes ---- */

static const char *const outcome_names[] = {"converged", "bounded", "diverged"};

const char *sim_outcome_name(sim_outcome o)
{
    return (unsigned)o <= SIM_DIVERGED ? outcome_names[o] : NULL;
}

void sim_criterion_init(sim_criterion *c)
{
    c->tol = 0.05;
    c->tail = 0.25;
    c->radius = INFINITY;
}

int sim_criterion_validate(const sim_criterion *c, pb_error *err)
{
    if (!(c->tol >= 0.0) || !isfinite(c->tol))
        return pb_error_set(err, PB_EINVAL, "criterion.tol %g must be finite and >= 0", c->tol);
    if (!(c->tail > 0.0 && c->tail <= 1.0))
        return pb_error_set(err, PB_EINVAL, "criterion.tail %g must lie in (0, 1]", c->tail);
    if (!(c->radius > 0.0))
        return pb_error_set(err, PB_EINVAL, "criterion.radius %g must be > 0 (omit it for none)",
                            c->radius);
    return PB_SUCCESS;
}

size_t sim_criterion_tail_start(const sim_criterion *c, size_t n_steps)
{
    return n_steps - (size_t)floor(c->tail * (double)n_steps);
}

void sim_track_init(sim_track *t)
{
    memset(t, 0, sizeof *t);
    t->diverged_step = -1;
}

void sim_track_add(sim_track *t, const sim_criterion *c, size_t n_steps, size_t k, double e)
{
    size_t k0 = sim_criterion_tail_start(c, n_steps), half = k0 + (n_steps - k0 + 1) / 2;
    t->reached++;
    t->sum2 += e * e;
    if (k < k0)
        return;
    t->tail_max = fmax(t->tail_max, e);
    if (k < half)
        t->tail_first = fmax(t->tail_first, e);
    else
        t->tail_second = fmax(t->tail_second, e);
}

void sim_track_diverge(sim_track *t, size_t k)
{
    if (t->diverged_step < 0)
        t->diverged_step = (long)k;
}

sim_outcome sim_track_outcome(const sim_track *t, const sim_criterion *c)
{
    if (t->diverged_step >= 0)
        return SIM_DIVERGED;
    return t->tail_max <= c->tol ? SIM_CONVERGED : SIM_BOUNDED;
}

int sim_track_still_converging(const sim_track *t, const sim_criterion *c)
{
    return sim_track_outcome(t, c) == SIM_BOUNDED && t->tail_second <= SIM_STILL_CONVERGING * t->tail_first;
}

double sim_track_rms(const sim_track *t)
{
    return t->reached ? sqrt(t->sum2 / (double)t->reached) : NAN;
}

double sim_track_tail_err(const sim_track *t)
{
    return t->diverged_step >= 0 ? NAN : t->tail_max;
}

/* ---- Model ---- */

sim_model *sim_model_alloc(const plant *p, const plant_integrator *integ, double period,
                           double horizon, const sim_ref *ref, sim_input input,
                           const sim_criterion *crit, const sim_policy *orig, size_t n_variants,
                           const sim_variant variants[], pb_error *err)
{
    return sim_model_alloc_observed(p, integ, period, horizon, ref, input, NULL, crit, orig,
                                    n_variants, variants, err);
}

sim_model *sim_model_alloc_observed(const plant *p, const plant_integrator *integ, double period,
                                    double horizon, const sim_ref *ref, sim_input input,
                                    const plant_expr_map *obs, const sim_criterion *crit,
                                    const sim_policy *orig, size_t n_variants,
                                    const sim_variant variants[], pb_error *err)
{
    size_t nx = p->type->nx, nu = p->type->nu;
    sim_model *m;

    if (plant_validate(p, err) || plant_integrator_validate(integ, err) ||
        sim_criterion_validate(crit, err))
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
    if (!orig || (!orig->net && !orig->eval))
        return pb_error_set(err, PB_EINVAL, "no original policy"), NULL;
    if (obs && (plant_expr_map_n_vars(obs) != 2 * nx + 1 ||
                      plant_expr_map_n_out(obs) > SIM_OBS_MAX))
        return pb_error_set(err, PB_EINVAL,
                            "the observation map must read 2 nx + 1 = %zu names and give at most "
                            "%d outputs (it reads %zu, gives %zu)",
                            2 * nx + 1, SIM_OBS_MAX, plant_expr_map_n_vars(obs),
                            plant_expr_map_n_out(obs)),
               NULL;
    if (obs && orig->net && orig->net->n_in != plant_expr_map_n_out(obs))
        return pb_error_set(err, PB_EINVAL,
                            "the policy takes %zu inputs but its observation map gives %zu",
                            orig->net->n_in, plant_expr_map_n_out(obs)),
               NULL;
    if (orig->net && ((!obs && orig->net->n_in != nx) || orig->net->n_out != nu))
        return pb_error_set(err, PB_EINVAL,
                            "the policy maps %zu inputs to %zu outputs but plant '%s' has %zu "
                            "states and %zu inputs",
                            orig->net->n_in, orig->net->n_out, p->type->name, nx, nu),
               NULL;
    if (n_variants && !orig->net)
        return pb_error_set(err, PB_EINVAL, "pruned variants need an MLP original"), NULL;
    for (size_t v = 0; v < n_variants; v++) {
        if (!variants[v].net)
            return pb_error_set(err, PB_EINVAL, "variant %s: no network", variants[v].label), NULL;
        if (bounds_pair_check(orig->net, variants[v].net, err))
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
    m->crit = *crit;
    m->orig_policy = *orig;
    m->orig = orig->net;
    m->obs = obs;
    m->n_in = obs ? plant_expr_map_n_out(obs) : nx;
    m->n_variants = n_variants;
    m->n_policies = 1 + n_variants;
    m->dev_at_orig = 1;
    /* A type with an exact sampled map steps lane by lane through it (plant_step.c). */
    m->batched = strcmp(integ->method, "rk4fixed") == 0 && integ->substeps > 0 &&
                 !p->type->map_d;
    m->variants = calloc(n_variants ? n_variants : 1, sizeof *m->variants);
    m->pair = calloc(n_variants ? n_variants : 1, sizeof *m->pair);
    if (!m->variants || !m->pair)
        goto free_m;
    if (n_variants)
        memcpy(m->variants, variants, n_variants * sizeof *variants);
    if (m->orig && !(m->bm_orig = bounds_model_alloc(m->orig, err)))
        goto fail;
    for (size_t v = 0; v < n_variants; v++)
        if (!(m->pair[v] = bounds_pair_alloc(m->orig, m->bm_orig, m->variants[v].net, err))) {
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
    m->dist.on = 1;
    return PB_SUCCESS;
}

/* ---- Lanes ---- */

#define SIM_RK4_CHUNK 32 /* lanes per batched RK4 call: X, K, the stages and P of 32 lanes fit L1 */

struct sim_lanes {
    size_t cap_n, cap, ld;             /* samples, lanes (cap_n x policies), stride */
    int orig_norms;                    /* hc_orig at the original's own lanes too */
    size_t n, n_lanes, k;              /* the block */
    size_t nx, nu, np, n_in, L;
    const double *u_add, *x_meas;      /* the block's sequences (borrowed) */
    /* State, inputs, parameters and limits: structures of arrays. */
    double *X, *Xbak;                  /* nx x ld */
    double *Ua;                        /* nu x ld applied inputs */
    double *P;                         /* np x ld */
    double *lo, *hi, *ulo, *uhi;       /* nx x ld, nu x ld */
    double *rk;                        /* plant_rk4_batch_work_size(ld) */
    unsigned char *fail;               /* [ld] left the limits in this period */
    /* Lane-by-lane integration (not batched). */
    double *Paos;                      /* ld x np */
    plant *pl;                         /* [ld] models over the rows of Paos */
    plant_stepper **st;                /* [ld] */
    /* The row. */
    double ref[PLANT_NX_MAX];
    double *S, *Xr, *Uo, *track;       /* n_in x ld, nx x ld, nu x ld, [ld] */
    unsigned char *reached;            /* [ld] */
    bounds_point *dev, *dev_orig;      /* [ld] */
    double *hn_orig;                   /* ld x L */
    sim_track *tracks;                 /* [ld] */
    sim_row row;
    /* Policy evaluation. */
    mlp_work *w_orig, *w_var;          /* batches of ld and 2 SIM_BLOCK lanes */
    size_t ldv;                        /* 2 SIM_BLOCK */
    double *U0, *hc0;                  /* nu x ld, (L + 1) x ld: the original at every lane */
    double *Sv, *Uv, *hcv;             /* n_in x ldv, nu x ldv, (L + 1) x ldv: one variant */
    double *scratch;                   /* 4 (L + 1) */
    /* With m->bound_local: dev_bound_local at each lane's own state and at
     * the original lane's (NULL otherwise), and its workspace. */
    double *local, *local_orig;        /* [ld] each */
    double *lw;                        /* bounds_local_work_size(orig) */
};

void sim_lanes_free(sim_lanes *d)
{
    if (!d)
        return;
    for (size_t l = 0; d->st && l < d->cap; l++)
        plant_stepper_free(d->st[l]);
    free(d->st);
    free(d->pl);
    mlp_work_free(d->w_orig);
    mlp_work_free(d->w_var);
    free(d->X);
    free(d->fail);
    free(d->reached);
    free(d->dev);
    free(d->dev_orig);
    free(d->tracks);
    free(d->local);
    free(d->lw);
    free(d);
}

sim_lanes *sim_lanes_alloc(const sim_model *m, size_t max_samples, pb_error *err)
{
    const plant_type *T = m->plant->type;
    size_t cap_n = max_samples < 1 ? 1 : max_samples > SIM_BLOCK ? SIM_BLOCK : max_samples;
    size_t cap = cap_n * m->n_policies, ld = (cap + 7) / 8 * 8;
    size_t L = m->orig ? m->orig->n_layers : 0, n_in = m->n_in, ldv = (2 * cap_n + 7) / 8 * 8;
    size_t rk, total;
    sim_lanes *d = calloc(1, sizeof *d);
    double *p;

    if (!d)
        goto nomem;
    d->cap_n = cap_n;
    d->cap = cap;
    d->orig_norms = 1;
    d->ld = ld;
    d->ldv = ldv;
    d->nx = T->nx;
    d->nu = T->nu;
    d->np = T->np;
    d->n_in = n_in;
    d->L = L;
    rk = m->batched ? plant_rk4_batch_work_size(ld) : 0;
    total = 2 * T->nx * ld + T->nu * ld + T->np * ld + 2 * T->nx * ld + 2 * T->nu * ld + rk +
            ld * T->np + n_in * ld + T->nx * ld + T->nu * ld + ld + ld * L + T->nu * ld +
            (L + 1) * ld + n_in * ldv + T->nu * ldv + (L + 1) * ldv + 4 * (L + 1) + 1;
    d->X = calloc(total, sizeof *d->X);
    d->fail = calloc(ld, 1);
    d->reached = calloc(ld, 1);
    d->dev = calloc(ld, sizeof *d->dev);
    d->dev_orig = calloc(ld, sizeof *d->dev_orig);
    d->tracks = calloc(ld, sizeof *d->tracks);
    if (!d->X || !d->fail || !d->reached || !d->dev || !d->dev_orig || !d->tracks)
        goto free_d;
    if (m->bound_local && m->orig && m->n_variants) {
        d->local = calloc(2 * ld, sizeof *d->local);
        d->lw = malloc(bounds_local_work_size(m->orig) * sizeof *d->lw);
        if (!d->local || !d->lw)
            goto free_d;
        d->local_orig = d->local + ld;
    }
    p = d->X + T->nx * ld;
    d->Xbak = p, p += T->nx * ld;
    d->Ua = p, p += T->nu * ld;
    d->P = p, p += T->np * ld;
    d->lo = p, p += T->nx * ld;
    d->hi = p, p += T->nx * ld;
    d->ulo = p, p += T->nu * ld;
    d->uhi = p, p += T->nu * ld;
    d->rk = p, p += rk;
    d->Paos = p, p += ld * T->np;
    d->S = p, p += n_in * ld;
    d->Xr = p, p += T->nx * ld;
    d->Uo = p, p += T->nu * ld;
    d->track = p, p += ld;
    d->hn_orig = p, p += ld * L;
    d->U0 = p, p += T->nu * ld;
    d->hc0 = p, p += (L + 1) * ld;
    d->Sv = p, p += n_in * ldv;
    d->Uv = p, p += T->nu * ldv;
    d->hcv = p, p += (L + 1) * ldv;
    d->scratch = p;
    if (m->orig && !(d->w_orig = mlp_work_alloc(m->orig, cap, err)))
        goto fail;
    if (m->n_variants && !(d->w_var = mlp_work_alloc(m->orig, 2 * cap_n, err)))
        goto fail;
    if (!m->batched) {
        d->pl = calloc(cap, sizeof *d->pl);
        d->st = calloc(cap, sizeof *d->st);
        if (!d->pl || !d->st)
            goto free_d;
        for (size_t l = 0; l < cap; l++) {
            d->pl[l].type = T;
            d->pl[l].p = d->Paos + l * T->np;
            memcpy(d->pl[l].p, m->plant->p, T->np * sizeof *d->pl[l].p);
            if (!(d->st[l] = plant_stepper_alloc(&d->pl[l], &m->integ, m->period, err)))
                goto fail;
        }
    }
    return d;
free_d:
    sim_lanes_free(d);
nomem:
    pb_error_set(err, PB_ENOMEM, "out of memory allocating the lanes of a simulation");
    return NULL;
fail:
    sim_lanes_free(d);
    return NULL;
}

int sim_lanes_start(const sim_model *m, sim_lanes *d, const sim_block *b, pb_error *err)
{
    const plant_type *T = m->plant->type;
    size_t n = b->n, ld = d->ld;

    if (n == 0 || n > d->cap_n)
        return pb_error_set(err, PB_EINVAL, "this workspace holds blocks of 1 to %zu samples (got "
                            "%zu)", d->cap_n, n);
    if (b->params)
        for (size_t j = 0; j < n; j++) {
            plant view = {T, (double *)(b->params + j * T->np)};
            int rc = plant_validate(&view, err);
            if (rc)
                return pb_error_prefix(err, "sample %zu: ", j);
        }
    d->n = n;
    d->n_lanes = n * m->n_policies;
    d->k = 0;
    d->u_add = b->u_add;
    d->x_meas = b->x_meas;
    for (size_t l = 0; l < d->n_lanes; l++) {
        size_t j = l % n;
        const double *x0 = b->x0 + j * T->nx;
        const double *pj = b->params ? b->params + j * T->np : m->plant->p;
        double lo[PLANT_NX_MAX], hi[PLANT_NX_MAX], ulo[PLANT_NU_MAX], uhi[PLANT_NU_MAX];
        int ok = 1;
        plant_type_state_limits(T, pj, lo, hi);
        plant_type_input_limits(T, pj, ulo, uhi);
        for (size_t i = 0; i < T->nx; i++) {
            d->X[i * ld + l] = x0[i];
            d->lo[i * ld + l] = lo[i];
            d->hi[i * ld + l] = hi[i];
            ok &= isfinite(x0[i]) && x0[i] >= lo[i] && x0[i] <= hi[i];
        }
        for (size_t i = 0; i < T->nu; i++) {
            d->ulo[i * ld + l] = ulo[i];
            d->uhi[i * ld + l] = uhi[i];
        }
        for (size_t q = 0; q < T->np; q++)
            d->P[q * ld + l] = pj[q];
        sim_track_init(&d->tracks[l]);
        if (!ok)
            sim_track_diverge(&d->tracks[l], 0);
        if (d->st) {
            memcpy(d->pl[l].p, pj, T->np * sizeof *pj);
            plant_stepper_reset(d->st[l]); /* after the parameters: the limits follow them */
        }
    }
    return PB_SUCCESS;
}

/* The certified-norm bookkeeping of one lane: its L + 1 computed hidden
 * norms, gathered from the structure of arrays hc (stride ldh). */
static void lane_norms(size_t L, const double *hc, size_t ldh, size_t l, double out[])
{
    for (size_t j = 0; j <= L; j++)
        out[j] = hc[j * ldh + l];
}

/* Norms of every hidden layer of the last batched pass of w at lanes l0 ..
 * nl - 1 into hc ((L + 1) x ldh). */
static void pass_norms(const mlp *net, const mlp_work *w, size_t l0, size_t nl, double *hc,
                       size_t ldh)
{
    size_t ldw = mlp_work_stride(w);
    for (size_t j = 0; j <= net->n_layers; j++) {
        size_t width = j == 0 ? net->n_in : net->layers[j - 1].n_out;
        pb_norm2_upper_lanes(width, nl - l0, ldw, mlp_work_hidden_soa(w, j) + l0,
                             hc + j * ldh + l0);
    }
}

static void lane_nan_point(bounds_point *pt)
{
    pt->actual = pt->actual_err = pt->bound = pt->bound_closed = NAN;
    pt->verdict = BOUNDS_HOLDS;
}

/* The pair of variant v at one state: the original's pass (norms hco, output
 * uo) and the variant's (hcp, up), outputs gathered from their structures of
 * arrays. */
static void pair_point(const sim_model *m, sim_lanes *d, size_t v, const double *hco,
                       const double *U0, size_t ld0, size_t l0, const double *hcp,
                       const double *Up, size_t ldp, size_t lp, double hnorm[], bounds_point *pt)
{
    double uo[PLANT_NU_MAX], up[PLANT_NU_MAX];
    for (size_t i = 0; i < d->nu; i++) {
        uo[i] = U0[i * ld0 + l0];
        up[i] = Up[i * ldp + lp];
    }
    bounds_pair_eval(m->pair[v], hco, uo, hcp, up, hnorm, d->scratch + 2 * (d->L + 1), pt);
}

/* min(dev_bound_local, bound) of variant v at the policy state of lane l
 * (docs/BOUNDS.md section 12); NaN where the state is not finite. */
static double lane_local(const sim_model *m, sim_lanes *d, size_t v, size_t l, double bound)
{
    double s[PLANT_NX_MAX], loc, out;
    for (size_t i = 0; i < d->n_in; i++)
        s[i] = d->S[i * d->ld + l];
    if (bounds_local_eval(m->orig, s, m->pair[v]->dW_norm, m->pair[v]->db_norm, bound, d->lw,
                          &loc, &out, NULL))
        return NAN;
    return out;
}

/* s[l] += (x[l] - r)^2 for l < n. */
PB_SIMD_CLONES static void sq_dist_add(size_t n, const double *restrict x, double r,
                                       double *restrict s)
{
    for (size_t l = 0; l < n; l++) {
        double dx = x[l] - r;
        s[l] += dx * dx;
    }
}

/* A component of the policy inputs and of the reported state over the
 * lanes: in[l] = (x[l] + 0) - r (r = 0 for a state input: x + 0, as with a
 * zero measurement noise), xr[l] = x[l]. */
PB_SIMD_CLONES static void input_lanes(size_t n, const double *restrict x, double r,
                                       double *restrict in, double *restrict xr)
{
    for (size_t l = 0; l < n; l++) {
        in[l] = (x[l] + 0.0) - r;
        xr[l] = x[l];
    }
}

void sim_lanes_eval(const sim_model *m, sim_lanes *d)
{
    const plant_type *T = m->plant->type;
    size_t n = d->n, nl = d->n_lanes, ld = d->ld, nx = d->nx, nu = d->nu, L = d->L, k = d->k;
    size_t rows = m->n_steps + 1, n_in = d->n_in;
    const plant_expr_map *obs = m->obs;
    double t = (double)k * m->period;

    sim_ref_eval(&m->ref, t, d->ref);
    /* Tracking errors over the lanes (sim_ref_track_error's sum, component
     * by component), then each lane's verdict and policy input. */
    for (size_t l = 0; l < nl; l++)
        d->track[l] = 0.0;
    for (size_t i = 0; i < nx; i++)
        if (m->ref.tracked[i])
            sq_dist_add(nl, d->X + i * ld, d->ref[i], d->track);
    if (!d->x_meas && !obs)
        for (size_t i = 0; i < nx; i++)
            input_lanes(nl, d->X + i * ld, m->input == SIM_INPUT_ERROR ? d->ref[i] : 0.0,
                        d->S + i * ld, d->Xr + i * ld);
    for (size_t l = 0; l < nl; l++) {
        size_t j = l % n;
        sim_track *tr = &d->tracks[l];
        int reached = tr->diverged_step < 0;
        double e = sqrt(d->track[l]);
        if (reached && !(e <= m->crit.radius)) {
            sim_track_diverge(tr, k);
            reached = 0;
        }
        /* An observation map: s = g(x + meas, r, t); a non-finite feature
         * ends the loop like a non-finite state. */
        if (reached && obs) {
            double v[2 * PLANT_NX_MAX + 1], s[SIM_OBS_MAX];
            const double *meas = d->x_meas ? d->x_meas + (j * rows + k) * nx : NULL;
            for (size_t i = 0; i < nx; i++) {
                v[i] = d->X[i * ld + l] + (meas ? meas[i] : 0.0);
                v[nx + i] = d->ref[i];
            }
            v[2 * nx] = t;
            if (plant_expr_map_eval(obs, v, s, NULL) != PB_SUCCESS) {
                sim_track_diverge(tr, k);
                reached = 0;
            } else {
                for (size_t i = 0; i < n_in; i++)
                    d->S[i * ld + l] = s[i];
                for (size_t i = 0; i < nx; i++)
                    d->Xr[i * ld + l] = d->X[i * ld + l];
            }
        }
        d->reached[l] = (unsigned char)reached;
        if (reached) {
            sim_track_add(tr, &m->crit, m->n_steps, k, e);
            d->track[l] = e;
            if (d->x_meas && !obs) {
                const double *meas = d->x_meas + (j * rows + k) * nx;
                for (size_t i = 0; i < nx; i++) {
                    double xi = d->X[i * ld + l], si = xi + meas[i];
                    d->S[i * ld + l] = m->input == SIM_INPUT_ERROR ? si - d->ref[i] : si;
                    d->Xr[i * ld + l] = xi;
                }
            }
        } else {
            d->track[l] = NAN;
            for (size_t i = 0; i < n_in; i++)
                d->S[i * ld + l] = 0.0; /* finite for the batched pass; reported as NaN */
            for (size_t i = 0; i < nx; i++)
                d->Xr[i * ld + l] = NAN;
        }
    }

    /* The original: every lane when variants compare with it, else its own. */
    if (m->orig) {
        size_t n0 = m->n_variants ? nl : n;
        mlp_eval_soa(m->orig, d->w_orig, n0, d->S, ld, d->U0, ld);
        /* The original lanes' norms serve the deviations at the original's
         * states and sim_run's C_sup (sim_lanes_orig_norms). */
        pass_norms(m->orig, d->w_orig, m->dev_at_orig || d->orig_norms ? 0 : n, n0, d->hc0, ld);
        for (size_t j = 0; j < n; j++)
            for (size_t i = 0; i < nu; i++)
                d->Uo[i * ld + j] = d->U0[i * ld + j];
    } else {
        for (size_t j = 0; j < n; j++) {
            double s[SIM_OBS_MAX > PLANT_NX_MAX ? SIM_OBS_MAX : PLANT_NX_MAX], u[PLANT_NU_MAX];
            for (size_t i = 0; i < n_in; i++)
                s[i] = d->S[i * ld + j];
            if (d->reached[j])
                m->orig_policy.eval(m->orig_policy.ctx, s, u);
            for (size_t i = 0; i < nu; i++)
                d->Uo[i * ld + j] = d->reached[j] ? u[i] : 0.0;
        }
    }

    /* Each variant over its own lanes and, with dev_at_orig, the original's. */
    for (size_t v = 0; v < m->n_variants; v++) {
        size_t l0 = (v + 1) * n, nv = m->dev_at_orig ? 2 * n : n, ldv = d->ldv;
        const mlp *net = m->variants[v].net;
        for (size_t i = 0; i < n_in; i++) {
            memcpy(d->Sv + i * ldv, d->S + i * ld + l0, n * sizeof *d->Sv);
            if (m->dev_at_orig)
                memcpy(d->Sv + i * ldv + n, d->S + i * ld, n * sizeof *d->Sv);
        }
        mlp_eval_soa(net, d->w_var, nv, d->Sv, ldv, d->Uv, ldv);
        pass_norms(net, d->w_var, 0, nv, d->hcv, ldv);
        for (size_t j = 0; j < n; j++) {
            size_t l = l0 + j;
            double *hco = d->scratch, *hcp = d->scratch + (L + 1);
            for (size_t i = 0; i < nu; i++)
                d->Uo[i * ld + l] = d->Uv[i * ldv + j];
            if (d->reached[l]) {
                lane_norms(L, d->hc0, ld, l, hco);
                lane_norms(L, d->hcv, ldv, j, hcp);
                pair_point(m, d, v, hco, d->U0, ld, l, hcp, d->Uv, ldv, j, d->hn_orig + l * L,
                           &d->dev[l]);
                if (d->local)
                    d->local[l] = lane_local(m, d, v, l, d->dev[l].bound);
            } else {
                lane_nan_point(&d->dev[l]);
                if (d->local)
                    d->local[l] = NAN;
            }
            if (m->dev_at_orig && d->reached[j]) {
                double hn[L ? L : 1];
                lane_norms(L, d->hc0, ld, j, hco);
                lane_norms(L, d->hcv, ldv, n + j, hcp);
                pair_point(m, d, v, hco, d->U0, ld, j, hcp, d->Uv, ldv, n + j, hn,
                           &d->dev_orig[l]);
                if (d->local)
                    d->local_orig[l] = lane_local(m, d, v, j, d->dev_orig[l].bound);
            } else {
                lane_nan_point(&d->dev_orig[l]);
                if (d->local)
                    d->local_orig[l] = NAN;
            }
        }
    }

    /* What a lane that did not reach the row saw and did: nothing. */
    for (size_t l = 0; l < nl; l++)
        if (!d->reached[l]) {
            for (size_t i = 0; i < n_in; i++)
                d->S[i * ld + l] = NAN;
            for (size_t i = 0; i < nu; i++)
                d->Uo[i * ld + l] = NAN;
            for (size_t q = 0; q < L; q++)
                d->hn_orig[l * L + q] = NAN;
        }
    (void)T;
    d->row.k = k;
    d->row.n = n;
    d->row.n_lanes = nl;
    d->row.ld = ld;
    d->row.t = t;
    d->row.ref = d->ref;
    d->row.x = d->Xr;
    d->row.s = d->S;
    d->row.u = d->Uo;
    d->row.track = d->track;
    d->row.reached = d->reached;
    d->row.dev = d->dev;
    d->row.dev_orig = d->dev_orig;
    d->row.hn_orig = d->hn_orig;
    d->row.hc_orig = m->orig ? d->hc0 : NULL;
    d->row.tracks = d->tracks;
    d->row.dev_local = d->local;
    d->row.dev_local_orig = d->local_orig;
}

const sim_row *sim_lanes_row(const sim_lanes *d)
{
    return &d->row;
}

void sim_lanes_orig_norms(sim_lanes *d, int on)
{
    d->orig_norms = on != 0;
}

/* fail[l] = 1 where x[l] is outside [lo[l], hi[l]] or NaN, for l < n (an
 * infinity is outside every finite limit). */
PB_SIMD_CLONES static void limits_check(size_t n, const double *restrict x,
                                        const double *restrict lo, const double *restrict hi,
                                        unsigned char *restrict fail)
{
    for (size_t l = 0; l < n; l++)
        fail[l] |= (unsigned char)(((x[l] >= lo[l]) & (x[l] <= hi[l])) ^ 1); /* & vectorises, && not */
}

int sim_lanes_advance(const sim_model *m, sim_lanes *d, pb_error *err)
{
    const plant_type *T = m->plant->type;
    size_t n = d->n, nl = d->n_lanes, ld = d->ld, nx = d->nx, nu = d->nu, k = d->k;
    size_t rows = m->n_steps + 1;
    double t = (double)k * m->period;

    if (k >= m->n_steps)
        return pb_error_set(err, PB_EINVAL, "the horizon ends at row %zu", m->n_steps);
    /* The held inputs: each lane's action plus the block's additions,
     * saturated by the lane's input limits (as plant_stepper_apply does). */
    for (size_t l = 0; l < nl; l++) {
        const double *add = d->u_add ? d->u_add + ((l % n) * rows + k) * nu : NULL;
        d->fail[l] = 0;
        for (size_t i = 0; i < nu; i++) {
            double u = d->reached[l] ? d->Uo[i * ld + l] + (add ? add[i] : 0.0) : 0.0;
            double lo = d->ulo[i * ld + l], hi = d->uhi[i * ld + l];
            if (isnan(u))
                d->fail[l] = 1;
            d->Ua[i * ld + l] = u < lo ? lo : (u > hi ? hi : u);
        }
    }
    if (m->batched) {
        size_t sub = m->integ.substeps;
        double h = m->period / (double)sub;
        memcpy(d->Xbak, d->X, nx * ld * sizeof *d->X);
        /* Chunks of lanes whose RK4 stages stay in the L1 cache over every
         * substep (each lane's arithmetic is the same in any chunk). */
        for (size_t c0 = 0; c0 < nl; c0 += SIM_RK4_CHUNK) {
            size_t cn = nl - c0 < SIM_RK4_CHUNK ? nl - c0 : SIM_RK4_CHUNK;
            for (size_t q = 0; q < sub; q++) {
                plant_rk4_batch_apply(T, cn, ld, t + (double)q * h, h, d->X + c0, d->Ua + c0,
                                      d->P + c0, d->rk);
                for (size_t i = 0; i < nx; i++)
                    limits_check(cn, d->X + i * ld + c0, d->lo + i * ld + c0,
                                 d->hi + i * ld + c0, d->fail + c0);
            }
        }
        /* A lane that left keeps its last state reached (ignored from now on). */
        for (size_t l = 0; l < nl; l++)
            if (!d->reached[l] || d->fail[l])
                for (size_t i = 0; i < nx; i++)
                    d->X[i * ld + l] = d->Xbak[i * ld + l];
    } else {
        for (size_t l = 0; l < nl; l++) {
            double x[PLANT_NX_MAX], u[PLANT_NU_MAX];
            if (!d->reached[l] || d->fail[l])
                continue;
            for (size_t i = 0; i < nx; i++)
                x[i] = d->X[i * ld + l];
            for (size_t i = 0; i < nu; i++)
                u[i] = d->Ua[i * ld + l];
            if (plant_stepper_apply(d->st[l], t, x, u) != PB_SUCCESS)
                d->fail[l] = 1; /* PB_EDIVERGED or PB_ENUMERIC: row k + 1 not reached */
            else
                for (size_t i = 0; i < nx; i++)
                    d->X[i * ld + l] = x[i];
        }
    }
    for (size_t l = 0; l < nl; l++)
        if (d->reached[l] && d->fail[l])
            sim_track_diverge(&d->tracks[l], k + 1);
    d->k = k + 1;
    return PB_SUCCESS;
}

/* ---- `run`: the scenario fold ---- */

struct sim_data {
    size_t cap;   /* scenarios per block */
    sim_lanes *lanes;
    double *dist; /* [max_scenarios x (n_steps + 1) x nu] the scenarios' disturbances */
    gsl_rng *rng;
};

/* Scenario `scenario`'s disturbance sequence into dist [(n_steps + 1) x nu]
 * (seed + scenario for the noise). */
static void disturbance_draw(const sim_model *m, gsl_rng *r, size_t scenario, double *dist)
{
    const sim_disturbance *ds = &m->dist;
    size_t nu = m->plant->type->nu, n = m->n_steps + 1;
    gsl_rng *rng = NULL;

    memset(dist, 0, n * nu * sizeof *dist);
    if (!ds->on)
        return;
    for (size_t i = 0; i < nu; i++)
        if (ds->noise[i] > 0.0)
            rng = r;
    if (rng)
        gsl_rng_set(rng, ds->seed + scenario);
    for (size_t k = 0; k < n; k++) {
        double t = (double)k * m->period;
        for (size_t i = 0; i < nu; i++) {
            double w = rng ? gsl_ran_gaussian(rng, 1.0) : 0.0;
            if (t >= ds->start)
                dist[k * nu + i] = ds->bias[i] +
                                      ds->amplitude[i] * sin(2.0 * M_PI * ds->frequency[i] * t) +
                                      ds->noise[i] * w;
        }
    }
}

sim_data *sim_data_alloc(const sim_model *m, size_t max_scenarios, pb_error *err)
{
    sim_data *d = calloc(1, sizeof *d);

    if (!d)
        goto nomem;
    d->cap = max_scenarios < 1 ? 1 : max_scenarios > SIM_BLOCK ? SIM_BLOCK : max_scenarios;
    d->dist = calloc(d->cap * (m->n_steps + 1) * m->plant->type->nu, sizeof *d->dist);
    d->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!d->dist || !d->rng)
        goto free_d;
    if (!(d->lanes = sim_lanes_alloc(m, max_scenarios, err))) {
        sim_data_free(d);
        return NULL;
    }
    return d;
free_d:
    sim_data_free(d);
nomem:
    pb_error_set(err, PB_ENOMEM, "out of memory allocating a simulation workspace");
    return NULL;
}

void sim_data_free(sim_data *d)
{
    if (!d)
        return;
    sim_lanes_free(d->lanes);
    free(d->dist);
    gsl_rng_free(d->rng);
    free(d);
}

int sim_trace_init(sim_trace *tr, const sim_model *m, pb_error *err)
{
    size_t n = m->n_steps + 1, nx = m->plant->type->nx, nu = m->plant->type->nu;

    memset(tr, 0, sizeof *tr);
    tr->n_rows = n;
    tr->nx = nx;
    tr->nu = nu;
    tr->n_in = m->n_in;
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
    free(c->dev_bound_local);
}

sim_result *sim_result_alloc(const sim_model *m, pb_error *err)
{
    size_t n = m->n_steps + 1, nv = m->n_variants, L = m->orig ? m->orig->n_layers : 0;
    sim_result *r = calloc(1, sizeof *r);

    if (!r)
        goto nomem;
    r->n_variants = nv;
    r->n_layers = L;
    r->cmp = calloc(nv ? nv : 1, sizeof *r->cmp);
    r->C_sup = calloc(nv * L + 1, sizeof *r->C_sup);
    r->C_sup_orig = calloc(L + 1, sizeof *r->C_sup_orig);
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
        c->dev_bound_local = calloc(2 * n, sizeof(double)); /* and _at_orig */
        if (!c->dev_bound_local)
            goto free_r;
        c->dev_bound_local_at_orig = c->dev_bound_local + n;
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

/* Row k of lane l into a trace. */
static void trace_row(const sim_row *row, size_t l, size_t nx, size_t nu, sim_trace *tr)
{
    size_t k = row->k, ld = row->ld, ni = tr->n_in;
    tr->t[k] = row->t;
    memcpy(tr->ref + k * nx, row->ref, nx * sizeof *tr->ref);
    for (size_t i = 0; i < nx; i++)
        tr->x[k * nx + i] = row->x[i * ld + l];
    for (size_t i = 0; i < ni; i++)
        tr->s[k * ni + i] = row->s[i * ld + l];
    for (size_t i = 0; i < nu; i++)
        tr->u[k * nu + i] = row->u[i * ld + l];
    tr->track_err[k] = row->track[l];
}

static void trace_finish(const sim_model *m, const sim_track *t, sim_trace *tr)
{
    tr->diverged_step = t->diverged_step;
    tr->outcome = sim_track_outcome(t, &m->crit);
    tr->still_converging = sim_track_still_converging(t, &m->crit);
    tr->rms_track = sim_track_rms(t);
    tr->tail_err = sim_track_tail_err(t);
}

/* Folds one state's deviation and bounds into the summary of c: maxima of
 * the actual deviation and the forward-pass bound, tightness against that
 * bound, and the verdict of bounds_check (a violation is a real one). */
static void summary_add(sim_compare *c, const bounds_point *pt)
{
    if (isnan(pt->actual))
        return;
    if (pt->actual > c->max_dev_actual)
        c->max_dev_actual = pt->actual;
    if (pt->bound > c->max_dev_bound)
        c->max_dev_bound = pt->bound;
    if (pt->bound > 0.0 && pt->actual / pt->bound > c->tightness)
        c->tightness = pt->actual / pt->bound;
    c->violations += pt->verdict == BOUNDS_VIOLATED;
    c->attained += pt->verdict == BOUNDS_ATTAINED;
}

/* The running maxima of g D_k hn_k into csup[L]. */
static void csup_add(const bounds_model *bm, const double *hn, double csup[])
{
    for (size_t k = 0; hn && k < bm->n_layers; k++) {
        double c = bounds_forward_coeff(bm, k, hn[k]);
        if (c > csup[k])
            csup[k] = c;
    }
}

int sim_run(const sim_model *m, sim_data *d, size_t n, size_t first, const double x0s[],
            sim_result *const r[], pb_error *err)
{
    size_t nx = m->plant->type->nx, nu = m->plant->type->nu, rows = m->n_steps + 1;
    size_t L = m->orig ? m->orig->n_layers : 0;
    sim_block b = {n, x0s, NULL, m->dist.on ? d->dist : NULL, NULL};
    const sim_row *row = sim_lanes_row(d->lanes);
    double hn0[L ? L : 1], hc[L + 1]; /* the original loop's C_k norms at a row */
    int rc;

    if (n == 0 || n > d->cap)
        return pb_error_set(err, PB_EINVAL, "this workspace runs 1 to %zu scenarios (got %zu)",
                            d->cap, n);
    for (size_t j = 0; j < n; j++) {
        disturbance_draw(m, d->rng, first + j, d->dist + j * rows * nu);
        memcpy(r[j]->dist, d->dist + j * rows * nu, rows * nu * sizeof *d->dist);
        for (size_t v = 0; v < m->n_variants; v++) {
            sim_compare *c = &r[j]->cmp[v];
            c->max_dev_actual = c->max_dev_bound = c->tightness = 0.0;
            c->max_dev_bound_local = d->lanes->local ? 0.0 : NAN;
            c->violations = c->attained = 0;
        }
    }
    if ((rc = sim_lanes_start(m, d->lanes, &b, err)))
        return rc;
    for (size_t k = 0; k < rows; k++) {
        sim_lanes_eval(m, d->lanes);
        for (size_t j = 0; j < n; j++) {
            sim_result *rj = r[j];
            int reached0 = row->reached[j];
            trace_row(row, j, nx, nu, &rj->orig);
            if (m->orig && reached0) {
                for (size_t q = 0; q <= L; q++)
                    hc[q] = row->hc_orig[q * row->ld + j];
                bounds_pass_from_norms(m->bm_orig, hc, hn0, NULL);
                csup_add(m->bm_orig, hn0, rj->C_sup_orig);
            }
            for (size_t v = 0; v < m->n_variants; v++) {
                sim_compare *c = &rj->cmp[v];
                size_t l = (v + 1) * n + j;
                double xo[PLANT_NX_MAX], xp[PLANT_NX_MAX];
                trace_row(row, l, nx, nu, &c->pruned);
                for (size_t i = 0; i < nx; i++) {
                    xo[i] = row->x[i * row->ld + j];
                    xp[i] = row->x[i * row->ld + l];
                }
                c->traj_dev[k] = pb_norm2_diff(nx, xo, xp, NULL);
                c->dev_actual[k] = row->dev[l].actual;
                c->dev_bound[k] = row->dev[l].bound;
                c->dev_bound_closed[k] = row->dev[l].bound_closed;
                c->dev_actual_at_orig[k] = row->dev_orig[l].actual;
                c->dev_bound_at_orig[k] = row->dev_orig[l].bound;
                c->dev_bound_closed_at_orig[k] = row->dev_orig[l].bound_closed;
                c->dev_bound_local[k] = row->dev_local ? row->dev_local[l] : NAN;
                c->dev_bound_local_at_orig[k] = row->dev_local ? row->dev_local_orig[l] : NAN;
                if (row->dev_local) /* fmax: NaN where a loop did not reach the row */
                    c->max_dev_bound_local = fmax(c->max_dev_bound_local,
                                                  fmax(row->dev_local[l], row->dev_local_orig[l]));
                summary_add(c, &row->dev[l]);
                summary_add(c, &row->dev_orig[l]);
                if (row->reached[l])
                    csup_add(m->bm_orig, row->hn_orig + l * L, rj->C_sup + v * L);
                if (reached0)
                    csup_add(m->bm_orig, hn0, rj->C_sup + v * L);
            }
        }
        if (k + 1 < rows && (rc = sim_lanes_advance(m, d->lanes, err)))
            return rc;
    }
    for (size_t j = 0; j < n; j++) {
        trace_finish(m, &row->tracks[j], &r[j]->orig);
        for (size_t v = 0; v < m->n_variants; v++)
            trace_finish(m, &row->tracks[(v + 1) * n + j], &r[j]->cmp[v].pruned);
    }
    return PB_SUCCESS;
}

size_t sim_run_block_size(const sim_model *m, size_t budget)
{
    size_t rows = m->n_steps + 1, nx = m->plant->type->nx, nu = m->plant->type->nu;
    size_t per = rows * ((1 + m->n_variants) * (2 + 3 * nx + nu) + 10 * m->n_variants + nu) *
                 sizeof(double);
    size_t n = per ? budget / per : SIM_BLOCK;
    return n < 1 ? 1 : n > SIM_BLOCK ? SIM_BLOCK : n;
}

/* ---- Calibration ---- */

int sim_calibrate(const sim_model *m, sim_data *d, size_t n_x0, const double x0s[],
                  size_t trajectories, double noise, unsigned long seed, double **X, size_t *n,
                  pb_error *err)
{
    size_t nx = m->plant->type->nx, ni = m->n_in, rows = m->n_steps + 1, kept = 0;
    double x0[SIM_BLOCK * PLANT_NX_MAX];
    const sim_row *row = sim_lanes_row(d->lanes);
    gsl_rng *rng;
    int rc = PB_SUCCESS;

    *X = NULL;
    *n = 0;
    if (n_x0 == 0 || trajectories == 0)
        return pb_error_set(err, PB_EINVAL, "calibration needs initial states and trajectories");
    if (!(noise >= 0.0) || !isfinite(noise))
        return pb_error_set(err, PB_EINVAL, "calibration noise must be finite and >= 0");
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    *X = malloc(trajectories * rows * ni * sizeof **X);
    if (!rng || !*X) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory for calibration states");
        goto free_all;
    }
    gsl_rng_set(rng, seed);
    /* Blocks of trajectories; states kept in trajectory order, rows in time order. */
    for (size_t i0 = 0; i0 < trajectories; i0 += d->lanes->cap_n) {
        size_t nb = trajectories - i0 < d->lanes->cap_n ? trajectories - i0 : d->lanes->cap_n;
        sim_block b = {nb, x0, NULL, NULL, NULL};
        double *blk = *X + kept * ni; /* room for nb trajectories of `rows` inputs */
        size_t cnt[SIM_BLOCK];
        for (size_t j = 0; j < nb; j++) {
            const double *base = x0s + ((i0 + j) % n_x0) * nx;
            for (size_t q = 0; q < nx; q++)
                x0[j * nx + q] = base[q] + (noise > 0.0 ? gsl_ran_gaussian(rng, noise) : 0.0);
            cnt[j] = 0;
        }
        if ((rc = sim_lanes_start(m, d->lanes, &b, err)))
            goto free_all;
        for (size_t k = 0; k <= m->n_steps; k++) {
            sim_lanes_eval(m, d->lanes);
            for (size_t j = 0; j < nb; j++)
                if (row->reached[j]) {
                    for (size_t q = 0; q < ni; q++)
                        blk[(j * rows + cnt[j]) * ni + q] = row->s[q * row->ld + j];
                    cnt[j]++;
                }
            if (k < m->n_steps && (rc = sim_lanes_advance(m, d->lanes, err)))
                goto free_all;
        }
        /* Close the gaps trajectories that diverged left. */
        for (size_t j = 0; j < nb; j++) {
            memmove(*X + kept * ni, blk + j * rows * ni, cnt[j] * ni * sizeof **X);
            kept += cnt[j];
        }
    }
    if (kept == 0) {
        rc = pb_error_set(err, PB_EINVAL, "no calibration trajectory reached a valid state");
        goto free_all;
    }
    *n = kept;
    gsl_rng_free(rng);
    return PB_SUCCESS;
free_all:
    free(*X);
    *X = NULL;
    gsl_rng_free(rng);
    return rc;
}
