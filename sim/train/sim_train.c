/* sim_train.c: imitation of the LQR expert with DAgger aggregation (Ross,
 * Gordon & Bagnell 2011, Algorithm 3.1 with beta_i = 0 after the first
 * round).  All buffers are sized from the options at alloc: phase k adds at
 * most `trajectories` rollouts of `steps` states. */
#include "sim_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "mlp_train.h"
#include "plant_lqr.h"
#include "sim.h"

#define EVAL_CHUNK 256
#define SETTLED_FRACTION 0.05

void sim_train_opts_init(sim_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n_hidden = 2;
    o->hidden[0] = o->hidden[1] = 32;
    o->act = MLP_ACT_TANH;
    o->alpha = 0.01;
    o->seed = 1;
    o->trajectories = 100;
    o->steps = 100;
    o->uniform = 0;
    o->noise = 0.1;
    o->dagger_rounds = 2;
    o->dagger_keep = 2.0;
    o->epochs = 200;
    o->batch = 64;
    o->lr = 3e-3;
    o->lr_final = 3e-4;
    o->val_fraction = 0.2;
    o->n_box = 0;
    o->n_q = o->n_r = 0;
    o->pin_equilibrium = 1;
}

int sim_train_opts_validate(const sim_train_opts *o, const plant_type *t, pb_error *err)
{
    int any = 0;

    if (o->n_hidden < 1 || o->n_hidden > SIM_TRAIN_MAX_HIDDEN)
        return pb_error_set(err, PB_EINVAL, "hidden: %zu hidden layers (must be 1 to %d)",
                            o->n_hidden, SIM_TRAIN_MAX_HIDDEN);
    for (size_t j = 0; j < o->n_hidden; j++)
        if (o->hidden[j] == 0)
            return pb_error_set(err, PB_EINVAL, "hidden: layer %zu has width 0 (must be > 0)",
                                j + 1);
    if (!mlp_act_name(o->act))
        return pb_error_set(err, PB_EINVAL, "activation: unknown activation");
    if (!(o->alpha >= 0.0 && o->alpha <= 1.0))
        return pb_error_set(err, PB_EINVAL, "alpha: %g is not in [0, 1]", o->alpha);
    if (o->trajectories == 0)
        return pb_error_set(err, PB_EINVAL, "trajectories: must be > 0");
    if (o->steps == 0)
        return pb_error_set(err, PB_EINVAL, "steps: must be > 0");
    if (!(o->noise >= 0.0) || !isfinite(o->noise))
        return pb_error_set(err, PB_EINVAL, "noise: %g must be finite and >= 0", o->noise);
    if (!(o->dagger_keep >= 1.0) || !isfinite(o->dagger_keep))
        return pb_error_set(err, PB_EINVAL, "dagger_keep: %g must be finite and >= 1",
                            o->dagger_keep);
    if (o->epochs == 0)
        return pb_error_set(err, PB_EINVAL, "epochs: must be > 0");
    if (o->batch == 0)
        return pb_error_set(err, PB_EINVAL, "batch: must be > 0");
    if (!(o->lr > 0.0) || !isfinite(o->lr))
        return pb_error_set(err, PB_EINVAL, "learning_rate: %g must be finite and > 0", o->lr);
    if (!(o->lr_final > 0.0) || !isfinite(o->lr_final))
        return pb_error_set(err, PB_EINVAL, "learning_rate_final: %g must be finite and > 0",
                            o->lr_final);
    if (!(o->val_fraction >= 0.0 && o->val_fraction < 1.0))
        return pb_error_set(err, PB_EINVAL, "validation: %g is not in [0, 1)", o->val_fraction);
    if (o->n_box != t->nx)
        return pb_error_set(err, PB_EINVAL,
                            "box: %zu half-widths given, plant '%s' has %zu states", o->n_box,
                            t->name, t->nx);
    for (size_t i = 0; i < o->n_box; i++) {
        if (!(o->box[i] >= 0.0) || !isfinite(o->box[i]))
            return pb_error_set(err, PB_EINVAL, "box: entry %zu (%s) = %g must be finite and >= 0",
                                i, t->states[i].name, o->box[i]);
        any |= o->box[i] > 0.0;
    }
    if (!any)
        return pb_error_set(err, PB_EINVAL, "box: every half-width is 0");
    if (o->n_q != 0 && o->n_q != t->nx)
        return pb_error_set(err, PB_EINVAL, "q: %zu weights given, plant '%s' has %zu states",
                            o->n_q, t->name, t->nx);
    if (o->n_r != 0 && o->n_r != t->nu)
        return pb_error_set(err, PB_EINVAL, "r: %zu weights given, plant '%s' has %zu inputs",
                            o->n_r, t->name, t->nu);
    for (size_t i = 0; i < o->n_q; i++)
        if (!(o->q[i] >= 0.0) || !isfinite(o->q[i]))
            return pb_error_set(err, PB_EINVAL, "q: entry %zu = %g must be finite and >= 0", i,
                                o->q[i]);
    for (size_t i = 0; i < o->n_r; i++)
        if (!(o->r[i] > 0.0) || !isfinite(o->r[i]))
            return pb_error_set(err, PB_EINVAL, "r: entry %zu = %g must be finite and > 0", i,
                                o->r[i]);
    return PB_SUCCESS;
}

/* A sample set: raw errors E (n x nx), expert actions U (n x nu) and, for
 * the training set, the same in network coordinates X (n x nx), Y (n x nu). */
typedef struct sample_set {
    size_t n, cap;
    double *E, *U, *X, *Y;
} sample_set;

struct sim_trainer {
    const plant *m;
    sim_train_opts o;
    size_t nx, nu, phase, n_phases;
    size_t n_val_roll, n_val_uniform; /* held-out rollouts per kind and phase, uniform states */
    double period;
    plant_integrator integ;
    plant_lqr *expert;
    sim_ref ref;             /* the setpoint x* */
    sim_model *m_expert;     /* the expert's closed loop (the engine, sim.h) */
    sim_lanes *l_expert;
    double *u_add;           /* SIM_BLOCK x (steps + 1) x nu input noise */
    mlp *pol;
    mlp_work *work;
    mlp_trainer *tr;
    gsl_rng *rng;
    sample_set train, val;
    double *P;                 /* EVAL_CHUNK x nu predictions */
    double noise_sd[PLANT_NU_MAX];
};

static void set_free(sample_set *s)
{
    free(s->E);
    free(s->U);
    free(s->X);
    free(s->Y);
}

static int set_alloc(sample_set *s, size_t cap, size_t nx, size_t nu, int net)
{
    size_t c = cap ? cap : 1;
    s->n = 0;
    s->cap = cap;
    s->E = malloc(c * nx * sizeof *s->E);
    s->U = malloc(c * nu * sizeof *s->U);
    if (net) {
        s->X = malloc(c * nx * sizeof *s->X);
        s->Y = malloc(c * nu * sizeof *s->Y);
    }
    return s->E && s->U && (!net || (s->X && s->Y));
}

void sim_trainer_free(sim_trainer *t)
{
    if (!t)
        return;
    sim_lanes_free(t->l_expert);
    sim_model_free(t->m_expert);
    free(t->u_add);
    plant_lqr_free(t->expert);
    mlp_free(t->pol);
    mlp_work_free(t->work);
    mlp_trainer_free(t->tr);
    gsl_rng_free(t->rng);
    set_free(&t->train);
    set_free(&t->val);
    free(t->P);
    free(t);
}

/* Builds the network with its maps (see sim_train.h). */
static int build_policy(sim_trainer *t, pb_error *err)
{
    const sim_train_opts *o = &t->o;
    const plant_lqr *c = t->expert;
    size_t sizes[SIM_TRAIN_MAX_HIDDEN + 2];
    mlp_act acts[SIM_TRAIN_MAX_HIDDEN + 1];
    size_t L = o->n_hidden + 1;
    mlp *p;
    int rc;

    sizes[0] = t->nx;
    for (size_t j = 0; j < o->n_hidden; j++) {
        sizes[j + 1] = o->hidden[j];
        acts[j] = o->act;
    }
    sizes[L] = t->nu;
    acts[L - 1] = MLP_ACT_LINEAR;
    p = t->pol = mlp_alloc(L, sizes, acts, err);
    if (!p)
        return PB_ENOMEM; /* the only failure left after validation */
    for (size_t j = 0; j < L; j++)
        p->layers[j].alpha = o->alpha;
    if ((rc = mlp_add_input_map(p, err)) != PB_SUCCESS ||
        (rc = mlp_add_output_map(p, err)) != PB_SUCCESS)
        return rc;
    for (size_t i = 0; i < t->nx; i++) {
        p->in_offset[i] = 0.0;
        p->in_scale[i] = o->box[i] > 0.0 ? 1.0 / o->box[i] : 1.0;
    }
    for (size_t k = 0; k < t->nu; k++) {
        /* output scale: the smaller of the input half-range and the largest
         * linear action deviation over the box, sum_j |K_kj| box_j */
        double half = 0.5 * (c->u_hi[k] - c->u_lo[k]);
        double lin = 0.0, s;
        for (size_t j = 0; j < t->nx; j++)
            lin += fabs(c->K[k * t->nx + j]) * o->box[j];
        s = isfinite(half) ? (lin > 0.0 ? fmin(half, lin) : half) : lin;
        if (!(s > 0.0) || !isfinite(s))
            s = 1.0;
        p->out_scale[k] = s;
        p->out_offset[k] = -c->u_eq[k] / s;
        p->out_low[k] = c->u_lo[k];
        p->out_high[k] = c->u_hi[k];
        t->noise_sd[k] = o->noise * (isfinite(half) ? half : 1.0);
    }
    return mlp_train_init_weights(p, o->seed + 2, err);
}

/* The expert as a policy of the engine: u = sat(u* - K (x - x*)) from the state. */
static void expert_policy(void *ctx, const double x[], double u[])
{
    plant_lqr_eval((const plant_lqr *)ctx, x, u);
}

sim_trainer *sim_trainer_alloc(const plant *m, const plant_integrator *integ, double period,
                               const sim_train_opts *o, pb_error *err)
{
    sim_trainer *t;
    mlp_train_opts to;
    size_t per_kind, n_kinds, cap_tr, cap_va;
    int rc;

    if (sim_train_opts_validate(o, m->type, err) != PB_SUCCESS)
        return NULL;
    if (!(period > 0.0) || !isfinite(period))
        return pb_error_set(err, PB_EINVAL, "control period %g must be finite and > 0", period),
               NULL;
    t = calloc(1, sizeof *t);
    if (!t)
        return pb_error_set(err, PB_ENOMEM, "out of memory allocating a trainer"), NULL;
    t->m = m;
    t->o = *o;
    t->nx = m->type->nx;
    t->nu = m->type->nu;
    t->period = period;
    t->n_phases = 1 + o->dagger_rounds;

    t->expert = plant_lqr_alloc(m, period, o->n_q ? o->q : NULL, o->n_r ? o->r : NULL, err);
    if (!t->expert)
        goto fail;
    t->integ = *integ;
    sim_ref_init_setpoint(&t->ref, t->nx, t->expert->x_eq);
    {
        sim_criterion crit;
        sim_policy expert = {NULL, expert_policy, t->expert};
        sim_criterion_init(&crit);
        t->m_expert = sim_model_alloc(m, integ, period, (double)o->steps * period, &t->ref,
                                      SIM_INPUT_STATE, &crit, &expert, 0, NULL, err);
        if (!t->m_expert || !(t->l_expert = sim_lanes_alloc(t->m_expert, o->trajectories, err)))
            goto fail;
    }
    t->u_add = calloc(SIM_BLOCK * (o->steps + 1) * t->nu, sizeof *t->u_add);
    if (!t->u_add)
        goto nomem;
    if ((rc = build_policy(t, err)) != PB_SUCCESS)
        goto fail;

    /* held-out shares, at least one training rollout per kind */
    t->n_val_roll = (size_t)floor(o->val_fraction * (double)o->trajectories + 0.5);
    if (t->n_val_roll >= o->trajectories)
        t->n_val_roll = o->trajectories - 1;
    t->n_val_uniform = (size_t)floor(o->val_fraction * (double)o->uniform + 0.5);
    per_kind = o->trajectories * o->steps;
    n_kinds = (o->noise > 0.0 ? 2 : 1) + o->dagger_rounds;
    cap_va = t->n_val_roll * o->steps * n_kinds + t->n_val_uniform;
    cap_tr = (per_kind - t->n_val_roll * o->steps) * n_kinds + (o->uniform - t->n_val_uniform);
    if (!set_alloc(&t->train, cap_tr, t->nx, t->nu, 1) ||
        !set_alloc(&t->val, cap_va, t->nx, t->nu, 0))
        goto nomem;
    t->P = malloc(EVAL_CHUNK * t->nu * sizeof *t->P);
    t->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!t->P || !t->rng)
        goto nomem;
    gsl_rng_set(t->rng, o->seed);
    t->work = mlp_work_alloc(t->pol, EVAL_CHUNK, err);
    if (!t->work)
        goto fail;
    mlp_train_opts_init(&to);
    to.epochs = o->epochs;
    to.batch = o->batch;
    to.lr = o->lr;
    to.lr_final = o->lr_final;
    to.seed = o->seed + 1;
    t->tr = mlp_trainer_alloc(t->pol, &to, cap_tr, err);
    if (!t->tr)
        goto fail;
    {
        /* the output map clips at the input limits: in network coordinates */
        double lo[PLANT_NU_MAX], hi[PLANT_NU_MAX];
        const mlp *p = t->pol;
        for (size_t k = 0; k < t->nu; k++) {
            lo[k] = p->out_low[k] / p->out_scale[k] + p->out_offset[k];
            hi[k] = p->out_high[k] / p->out_scale[k] + p->out_offset[k];
        }
        mlp_trainer_set_output_limits(t->tr, lo, hi);
    }
    return t;
nomem:
    pb_error_set(err, PB_ENOMEM, "out of memory allocating training data (%zu samples)",
                 t->train.cap + t->val.cap);
fail:
    sim_trainer_free(t);
    return NULL;
}

size_t sim_trainer_n_phases(const sim_trainer *t)
{
    return t->n_phases;
}

const mlp *sim_trainer_policy(const sim_trainer *t)
{
    return t->pol;
}

void sim_trainer_expert(const sim_trainer *t, const double x[], double u[])
{
    plant_lqr_eval(t->expert, x, u);
}

/* Appends (e, u) to set s (network coordinates too for the training set). */
static void set_push(sim_trainer *t, sample_set *s, const double e[], const double u[])
{
    const mlp *p = t->pol;
    double *E, *U;

    if (s->n >= s->cap) /* cannot happen: capacity is counted at alloc */
        return;
    E = s->E + s->n * t->nx;
    U = s->U + s->n * t->nu;
    memcpy(E, e, t->nx * sizeof *e);
    memcpy(U, u, t->nu * sizeof *u);
    if (s->X) {
        mlp_input_map(p, e, s->X + s->n * t->nx);
        /* invert u = (y - offset) scale */
        for (size_t k = 0; k < t->nu; k++)
            s->Y[s->n * t->nu + k] = u[k] / p->out_scale[k] + p->out_offset[k];
    }
    s->n++;
}

/* Non-zero when |e_i| <= f box_i for every boxed state. */
static int in_box(const sim_trainer *t, const double e[], double f)
{
    for (size_t i = 0; i < t->nx; i++)
        if (t->o.box[i] > 0.0 && !(fabs(e[i]) <= f * t->o.box[i]))
            return 0;
    return 1;
}

enum rollout_kind { ROLL_EXPERT, ROLL_NOISY, ROLL_LEARNER };

static void draw_error(sim_trainer *t, double e[])
{
    for (size_t i = 0; i < t->nx; i++)
        e[i] = t->o.box[i] * (2.0 * gsl_rng_uniform(t->rng) - 1.0);
}

/* `trajectories` rollouts of one kind through the engine (sim.h), in blocks
 * of SIM_BLOCK, the first n_val_roll held out: rollout r starts at x* + e0_r
 * (e0_r, then for a noisy rollout its input noise over every step, drawn in
 * rollout order).  Every state a rollout visits before its last row is
 * labelled by the expert and added to its set; a learner's rollout ends
 * early, not settled, when it leaves the box scaled by dagger_keep.  A
 * rollout that diverges (leaves the plant's limits, becomes non-finite or
 * fails to integrate) counts in ph->diverged; a learner's that ends within
 * SETTLED_FRACTION of the box counts in ph->settled. */
static int rollouts(sim_trainer *t, enum rollout_kind kind, sim_train_phase *ph, pb_error *err)
{
    const plant_lqr *c = t->expert;
    size_t steps = t->o.steps, rows = steps + 1, nx = t->nx, nu = t->nu;
    sim_model *m = t->m_expert, *ml = NULL;
    sim_lanes *d = t->l_expert, *dl = NULL;
    double x0[SIM_BLOCK * PLANT_NX_MAX];
    int rc = PB_SUCCESS;

    if (kind == ROLL_LEARNER) {
        /* The learner as it is now: a model of this phase's weights. */
        sim_criterion crit;
        sim_criterion_init(&crit);
        ml = sim_model_alloc(t->m, &t->integ, t->period, (double)steps * t->period, &t->ref,
                             SIM_INPUT_ERROR, &crit, &(sim_policy){t->pol, NULL, NULL}, 0, NULL,
                             err);
        if (!ml || !(dl = sim_lanes_alloc(ml, t->o.trajectories, err))) {
            sim_model_free(ml);
            return pb_error_prefix(err, "phase %zu: ", t->phase);
        }
        m = ml;
        d = dl;
    }
    for (size_t r0 = 0; r0 < t->o.trajectories; r0 += SIM_BLOCK) {
        size_t nb = t->o.trajectories - r0 < SIM_BLOCK ? t->o.trajectories - r0 : SIM_BLOCK;
        sim_block b = {nb, x0, NULL, kind == ROLL_NOISY ? t->u_add : NULL, NULL};
        const sim_row *row = sim_lanes_row(d);
        unsigned char live[SIM_BLOCK];
        for (size_t j = 0; j < nb; j++) {
            double e0[PLANT_NX_MAX] = {0};
            draw_error(t, e0);
            for (size_t i = 0; i < nx; i++)
                x0[j * nx + i] = c->x_eq[i] + e0[i];
            if (kind == ROLL_NOISY)
                for (size_t k = 0; k < rows; k++)
                    for (size_t q = 0; q < nu; q++)
                        t->u_add[(j * rows + k) * nu + q] =
                            k < steps ? gsl_ran_gaussian_ziggurat(t->rng, t->noise_sd[q]) : 0.0;
            live[j] = 1;
        }
        if ((rc = sim_lanes_start(m, d, &b, err)))
            goto done;
        for (size_t k = 0; k <= steps; k++) {
            sim_lanes_eval(m, d);
            for (size_t j = 0; j < nb; j++) {
                size_t r = r0 + j;
                double x[PLANT_NX_MAX], e[PLANT_NX_MAX], ue[PLANT_NU_MAX];
                if (!live[j])
                    continue;
                if (!row->reached[j]) {
                    live[j] = 0;
                    ph->diverged++;
                    continue;
                }
                for (size_t i = 0; i < nx; i++) {
                    x[i] = row->x[i * row->ld + j];
                    e[i] = x[i] - c->x_eq[i];
                }
                if (k == steps) {
                    ph->settled += kind == ROLL_LEARNER && in_box(t, e, SETTLED_FRACTION);
                    continue;
                }
                if (kind == ROLL_LEARNER && !in_box(t, e, t->o.dagger_keep)) {
                    live[j] = 0; /* left the region of interest: not settled */
                    continue;
                }
                plant_lqr_eval(c, x, ue);
                set_push(t, r < t->n_val_roll ? &t->val : &t->train, e, ue);
            }
            if (k < steps && (rc = sim_lanes_advance(m, d, err)))
                goto done;
        }
        ph->rollouts += nb;
    }
done:
    sim_lanes_free(dl);
    sim_model_free(ml);
    return rc;
}

int sim_trainer_collect(sim_trainer *t, sim_train_phase *ph, pb_error *err)
{
    int rc;

    if (t->phase >= t->n_phases)
        return pb_error_set(err, PB_EINVAL, "every training phase is done");
    memset(ph, 0, sizeof *ph);
    ph->phase = t->phase;
    if (t->phase == 0) {
        double e[PLANT_NX_MAX], u[PLANT_NU_MAX], x[PLANT_NX_MAX];
        if ((rc = rollouts(t, ROLL_EXPERT, ph, err)) != PB_SUCCESS)
            return rc;
        if (t->o.noise > 0.0 && (rc = rollouts(t, ROLL_NOISY, ph, err)) != PB_SUCCESS)
            return rc;
        for (size_t r = 0; r < t->o.uniform; r++) {
            draw_error(t, e);
            for (size_t i = 0; i < t->nx; i++)
                x[i] = t->expert->x_eq[i] + e[i];
            plant_lqr_eval(t->expert, x, u);
            set_push(t, r < t->n_val_uniform ? &t->val : &t->train, e, u);
        }
    } else if ((rc = rollouts(t, ROLL_LEARNER, ph, err)) != PB_SUCCESS) {
        return rc;
    }
    mlp_trainer_reset(t->tr);
    ph->n_train = t->train.n;
    ph->n_val = t->val.n;
    t->phase++;
    return PB_SUCCESS;
}

double sim_trainer_epoch(sim_trainer *t)
{
    return mlp_trainer_epoch(t->tr, t->pol, t->train.n, t->train.X, t->train.Y);
}

/* RMS over entries and largest |difference| of policy vs expert on s. */
static void set_error(sim_trainer *t, const sample_set *s, double *rms, double *maxabs)
{
    double sse = 0.0, mx = 0.0;
    for (size_t i0 = 0; i0 < s->n; i0 += EVAL_CHUNK) {
        size_t nb = s->n - i0 < EVAL_CHUNK ? s->n - i0 : EVAL_CHUNK;
        mlp_eval_batch(t->pol, t->work, nb, s->E + i0 * t->nx, t->P);
        for (size_t i = 0; i < nb * t->nu; i++) {
            double d = t->P[i] - s->U[i0 * t->nu + i];
            sse += d * d;
            mx = fmax(mx, fabs(d));
        }
    }
    *rms = s->n ? sqrt(sse / ((double)s->n * (double)t->nu)) : 0.0;
    *maxabs = mx;
}

int sim_trainer_finish_phase(sim_trainer *t, sim_train_phase *ph, pb_error *err)
{
    mlp *p = t->pol;
    mlp_layer *last = &p->layers[p->n_layers - 1];
    double dummy;

    if (t->o.pin_equilibrium && last->act == MLP_ACT_LINEAR) {
        /* shift the output bias so that N(0) is the target of e = 0 */
        double zero[PLANT_NX_MAX] = {0}, y0[PLANT_NU_MAX];
        mlp_eval_net(p, t->work, zero, y0);
        for (size_t k = 0; k < t->nu; k++)
            last->b[k] -= y0[k] - (t->expert->u_eq[k] / p->out_scale[k] + p->out_offset[k]);
    }
    ph->loss = mlp_trainer_loss(t->tr, p, t->train.n, t->train.X, t->train.Y, NULL);
    set_error(t, &t->train, &ph->rms_train, &dummy);
    set_error(t, &t->val, &ph->rms_val, &ph->max_val);
    ph->n_train = t->train.n;
    ph->n_val = t->val.n;
    if (!isfinite(ph->loss) || mlp_validate(p, NULL) != PB_SUCCESS)
        return pb_error_set(err, PB_ENUMERIC,
                            "training diverged in phase %zu (non-finite loss or weights); "
                            "lower policy.train.learning_rate",
                            ph->phase);
    return PB_SUCCESS;
}

int sim_train(const plant *m, const plant_integrator *integ, double period,
              const sim_train_opts *o, mlp **out, sim_train_phase report[], pb_error *err)
{
    sim_trainer *t;
    sim_train_phase ph;
    pb_error local;
    int rc = PB_SUCCESS;

    if (!err)
        err = &local;
    *out = NULL;
    t = sim_trainer_alloc(m, integ, period, o, err);
    if (!t)
        return err->code;
    for (size_t k = 0; k < t->n_phases; k++) {
        if ((rc = sim_trainer_collect(t, &ph, err)) != PB_SUCCESS)
            goto free_t;
        for (size_t e = 0; e < o->epochs; e++)
            sim_trainer_epoch(t);
        if ((rc = sim_trainer_finish_phase(t, &ph, err)) != PB_SUCCESS)
            goto free_t;
        if (report)
            report[k] = ph;
    }
    *out = mlp_clone(t->pol, err);
    if (!*out)
        rc = PB_ENOMEM;
free_t:
    sim_trainer_free(t);
    return rc;
}
