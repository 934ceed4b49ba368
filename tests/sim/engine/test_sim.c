/* test_sim.c: the closed-loop engine, the references, the results writer and
 * the results file of `prunebound run`, against independent oracles: a
 * hand-written single-policy loop over plant_stepper_apply (bit for bit),
 * the analytic circle and lemniscate, forward passes of both networks at
 * every recorded state (no bound violation), NumPy's SVD for the
 * forward-pass bound of a one-layer pruning, and h5py reading the file. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <hdf5.h>

#include "bounds.h"
#include "h5_write.h"
#include "import_type.h"
#include "mlp.h"
#include "mlp_io.h"
#include "pb_test.h"
#include "plant.h"
#include "plant_lqr.h"
#include "plant_step.h"
#include "prune.h"
#include "sim_ref.h"
#include "sim.h"

#define PERIOD  0.05
#define HORIZON 3.0

/* ---------------------------------------------------------------- fixtures */

static plant *pendulum_new(void)
{
    const plant_type *t = plant_find("pendulum");
    return t ? plant_alloc(t) : NULL;
}

/* A tanh policy 2 x (nx -> 16) -> nu that is close to the LQR expert near
 * the equilibrium: the first nx units carry eps * x through two nearly
 * linear tanh layers, the output layer applies -K / eps; the other units
 * hold random weights with a small output share, so that pruning has real
 * work.  Error input (the equilibrium of the pendulum is 0). */
static mlp *policy_new(const plant *p, unsigned long seed)
{
    const size_t nx = p->type->nx, nu = p->type->nu, H = 16;
    const double eps = 0.1;
    size_t sizes[4] = {nx, H, H, nu};
    mlp_act acts[3] = {MLP_ACT_TANH, MLP_ACT_TANH, MLP_ACT_LINEAR};
    pb_error err;
    plant_lqr *lqr = plant_lqr_alloc(p, PERIOD, NULL, NULL, &err);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    mlp *m = mlp_alloc(3, sizes, acts, &err);

    if (!lqr || !r || !m) {
        plant_lqr_free(lqr);
        gsl_rng_free(r);
        mlp_free(m);
        return NULL;
    }
    gsl_rng_set(r, seed);
    for (size_t i = 0; i < H; i++)
        for (size_t j = 0; j < nx; j++)
            m->layers[0].W[i * nx + j] = i < nx ? (i == j ? eps : 0.0) : gsl_ran_gaussian(r, 0.5);
    for (size_t i = 0; i < H; i++) {
        m->layers[0].b[i] = i < nx ? 0.0 : gsl_ran_gaussian(r, 0.1);
        m->layers[1].b[i] = i < nx ? 0.0 : gsl_ran_gaussian(r, 0.1);
        for (size_t j = 0; j < H; j++)
            m->layers[1].W[i * H + j] = i < nx ? (i == j ? 1.0 : 0.01 * gsl_ran_gaussian(r, 1.0))
                                               : gsl_ran_gaussian(r, 0.3);
    }
    for (size_t u = 0; u < nu; u++) {
        for (size_t j = 0; j < H; j++)
            m->layers[2].W[u * H + j] =
                j < nx ? -lqr->K[u * nx + j] / eps : gsl_ran_gaussian(r, 0.05);
        m->layers[2].b[u] = lqr->u_eq[u];
    }
    plant_lqr_free(lqr);
    gsl_rng_free(r);
    return m;
}

static void integ_default(plant_integrator *in)
{
    plant_integrator_init(in);
}

/* sim_model_alloc with an MLP original and the criterion (tol, tail 0.25, no radius). */
static sim_model *model_new(const plant *p, const plant_integrator *in, double period,
                            double horizon, const sim_ref *ref, sim_input input, double tol,
                            const mlp *orig, size_t nv, const sim_variant *var, pb_error *err)
{
    sim_criterion c;
    sim_policy pol = {orig, NULL, NULL};
    sim_criterion_init(&c);
    c.tol = isinf(tol) && tol > 0 ? 1e300 : tol; /* inf: every loop that stays converges */
    return sim_model_alloc(p, in, period, horizon, ref, input, &c, &pol, nv, var, err);
}

/* --------------------------------------------------------- references */

static void test_ref_circle(void)
{
    sim_ref r;
    double ref[12], x[12];
    const double R = 2.0, P = 8.0;

    sim_ref_init_setpoint(&r, 12, NULL);
    r.kind = SIM_REF_CIRCLE;
    r.radius = R;
    r.period = P;
    r.centre[0] = 1.0;
    r.centre[1] = -1.0;
    r.altitude = 3.0;
    r.n_comp = 3;
    r.comp[0] = 0;
    r.comp[1] = 1;
    r.comp[2] = 2;
    r.base[5] = 0.7;
    for (size_t i = 0; i < 12; i++)
        r.tracked[i] = i < 3;
    CU_ASSERT_EQUAL(sim_ref_validate(&r, NULL), PB_SUCCESS);
    for (int k = 0; k <= 40; k++) {
        double t = 0.37 * k;
        sim_ref_eval(&r, t, ref);
        /* x = c + R cos(2 pi t / P), y = c + R sin(2 pi t / P) */
        PB_ASSERT_CLOSE(ref[0], 1.0 + R * cos(2 * M_PI * t / P), 0, 1e-13);
        PB_ASSERT_CLOSE(ref[1], -1.0 + R * sin(2 * M_PI * t / P), 0, 1e-13);
        PB_ASSERT_CLOSE(ref[2], 3.0, 0, 0);
        /* on the circle: |p - c| = R */
        PB_ASSERT_CLOSE(hypot(ref[0] - 1.0, ref[1] + 1.0), R, 1e-14, 0);
        PB_ASSERT_CLOSE(ref[5], 0.7, 0, 0);
        PB_ASSERT_CLOSE(ref[7], 0.0, 0, 0);
    }
    /* tracking error over the tracked components only */
    sim_ref_eval(&r, 0.0, ref);
    memcpy(x, ref, sizeof x);
    x[0] += 3.0;
    x[2] += 4.0;
    x[6] += 100.0; /* not tracked */
    PB_ASSERT_CLOSE(sim_ref_track_error(&r, x, ref), 5.0, 1e-15, 0);
}

static void test_ref_figure8(void)
{
    sim_ref r;
    double ref[4];
    const double R = 1.5, P = 10.0;

    sim_ref_init_setpoint(&r, 4, NULL);
    r.kind = SIM_REF_FIGURE8;
    r.radius = R;
    r.period = P;
    r.n_comp = 2;
    r.comp[0] = 2;
    r.comp[1] = 0;
    CU_ASSERT_EQUAL(sim_ref_validate(&r, NULL), PB_SUCCESS);
    for (int k = 0; k <= 50; k++) {
        double t = 0.23 * k, w = 2 * M_PI / P;
        sim_ref_eval(&r, t, ref);
        /* lemniscate of Gerono: x = R sin wt, y = (R/2) sin 2wt, so x^4 = R^2 (x^2 - y^2) */
        PB_ASSERT_CLOSE(ref[2], R * sin(w * t), 0, 1e-13);
        PB_ASSERT_CLOSE(ref[0], 0.5 * R * sin(2 * w * t), 0, 1e-13);
        PB_ASSERT_CLOSE(pow(ref[2], 4), R * R * (ref[2] * ref[2] - ref[0] * ref[0]), 0, 1e-12);
        PB_ASSERT_CLOSE(ref[1], 0.0, 0, 0);
    }
    /* through the centre at t = 0 and P/2, extreme x = R at P/4 */
    sim_ref_eval(&r, P / 4, ref);
    PB_ASSERT_CLOSE(ref[2], R, 1e-15, 0);
    PB_ASSERT_CLOSE(ref[0], 0.0, 0, 1e-15);
    sim_ref_eval(&r, P / 2, ref);
    PB_ASSERT_CLOSE(ref[2], 0.0, 0, 1e-15);
}

static void test_ref_step_sine(void)
{
    sim_ref r;
    double ref[2];

    sim_ref_init_setpoint(&r, 2, (double[]){0.5, -0.5});
    sim_ref_eval(&r, 3.0, ref);
    PB_ASSERT_CLOSE(ref[0], 0.5, 0, 0);
    PB_ASSERT_CLOSE(ref[1], -0.5, 0, 0);
    r.kind = SIM_REF_STEP;
    r.n_steps = 2;
    r.times[0] = 1.0;
    r.times[1] = 2.0;
    r.values[0][0] = 1.0;
    r.values[0][1] = 2.0;
    r.values[1][0] = 3.0;
    r.values[1][1] = 4.0;
    CU_ASSERT_EQUAL(sim_ref_validate(&r, NULL), PB_SUCCESS);
    sim_ref_eval(&r, 0.999, ref);
    PB_ASSERT_CLOSE(ref[0], 0.5, 0, 0);
    sim_ref_eval(&r, 1.0, ref);
    PB_ASSERT_CLOSE(ref[1], 2.0, 0, 0);
    sim_ref_eval(&r, 5.0, ref);
    PB_ASSERT_CLOSE(ref[0], 3.0, 0, 0);
    r.times[1] = 1.0; /* not increasing */
    CU_ASSERT_EQUAL(sim_ref_validate(&r, NULL), PB_EINVAL);

    sim_ref_init_setpoint(&r, 2, NULL);
    r.kind = SIM_REF_SINE;
    r.amplitude[0] = 2.0;
    r.frequency[0] = 0.25;
    r.base[0] = 1.0;
    CU_ASSERT_EQUAL(sim_ref_validate(&r, NULL), PB_SUCCESS);
    sim_ref_eval(&r, 1.0, ref); /* 1 + 2 sin(pi/2) */
    PB_ASSERT_CLOSE(ref[0], 3.0, 1e-15, 0);
    PB_ASSERT_CLOSE(ref[1], 0.0, 0, 0);
    r.frequency[1] = -1.0;
    CU_ASSERT_EQUAL(sim_ref_validate(&r, NULL), PB_EINVAL);
}

static void test_ref_errors(void)
{
    sim_ref r;
    sim_ref_kind k;
    pb_error err;

    CU_ASSERT_EQUAL(sim_ref_kind_parse("figure8", &k), PB_SUCCESS);
    CU_ASSERT_EQUAL(k, SIM_REF_FIGURE8);
    CU_ASSERT_EQUAL(sim_ref_kind_parse("spiral", &k), PB_EINVAL);
    CU_ASSERT_PTR_NULL(sim_ref_kind_name(SIM_REF_COUNT));
    sim_ref_init_setpoint(&r, 2, NULL);
    r.kind = SIM_REF_CIRCLE;
    r.radius = 0.0;
    CU_ASSERT_EQUAL(sim_ref_validate(&r, &err), PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "radius"));
    r.radius = 1.0;
    r.n_comp = 3; /* index 2 is not a state of a 2-state plant */
    CU_ASSERT_EQUAL(sim_ref_validate(&r, &err), PB_EINVAL);
    r.n_comp = 2;
    r.comp[1] = 0; /* twice */
    CU_ASSERT_EQUAL(sim_ref_validate(&r, &err), PB_EINVAL);
    r.comp[1] = 1;
    r.period = -1;
    CU_ASSERT_EQUAL(sim_ref_validate(&r, &err), PB_EINVAL);
    r.period = 1;
    r.base[0] = NAN;
    CU_ASSERT_EQUAL(sim_ref_validate(&r, &err), PB_EINVAL);
}

/* ------------------------------------------------------------- engine */

typedef struct fixture {
    plant *p;
    mlp *orig;
    size_t nv;
    mlp *nets[8];
    sim_variant var[8];
    sim_model *m;
    sim_data *d;
    sim_result *r;
    double *X;
} fixture;

static void fixture_free(fixture *f)
{
    sim_result_free(f->r);
    sim_data_free(f->d);
    sim_model_free(f->m);
    for (size_t v = 0; v < f->nv; v++)
        mlp_free(f->nets[v]);
    mlp_free(f->orig);
    plant_free(f->p);
    free(f->X);
    memset(f, 0, sizeof *f);
}

/* Adds a variant pruned by `method` (magnitude, obs, sparsegpt ...). */
static void add_pruned(fixture *f, const char *method, double sparsity, size_t nm_n, size_t nm_m,
                       const size_t *layers, size_t n_sel, const double *X, size_t nX)
{
    prune_options o;
    pb_error err;
    const prune_method *pm = prune_find(method);
    sim_variant *v = &f->var[f->nv];

    CU_ASSERT_PTR_NOT_NULL_FATAL(pm);
    prune_options_init(&o);
    o.sparsity = sparsity;
    o.nm_n = nm_n;
    o.nm_m = nm_m;
    o.layers = layers;
    o.n_sel = n_sel;
    CU_ASSERT_EQUAL_FATAL(
        prune_mlp(f->orig, pm, &o, X, pm->needs_hessian ? nX : 0, &f->nets[f->nv], &err),
        PB_SUCCESS);
    snprintf(v->label, sizeof v->label, "%s_%g_%zu", method, sparsity, f->nv);
    snprintf(v->method, sizeof v->method, "%s", method);
    v->sparsity = sparsity;
    v->net = f->nets[f->nv];
    f->nv++;
}

static void fixture_build(fixture *f, const sim_ref *ref, double stable_tol)
{
    plant_integrator in;
    pb_error err;

    integ_default(&in);
    f->m = model_new(f->p, &in, PERIOD, HORIZON, ref, SIM_INPUT_ERROR, stable_tol, f->orig,
                           f->nv, f->var, &err);
    if (!f->m)
        fprintf(stderr, "sim_model_alloc: %s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->m);
    f->d = sim_data_alloc(f->m, 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->d);
    f->r = sim_result_alloc(f->m, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->r);
}

/* The original loop of sim_run equals a hand-written single-policy loop
 * (plant_stepper_apply + mlp_eval) bit for bit, and so does every pruned
 * loop against its own hand-written loop. */
static void test_run_matches_single_loop(void)
{
    fixture f = {0};
    sim_ref ref;
    const double x0[2] = {0.3, -0.1};
    plant_integrator in;
    pb_error err;

    f.p = pendulum_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.p);
    f.orig = policy_new(f.p, 11);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.orig);
    add_pruned(&f, "magnitude", 0.5, 0, 0, NULL, 0, NULL, 0);
    sim_ref_init_setpoint(&ref, 2, NULL);
    fixture_build(&f, &ref, INFINITY);
    CU_ASSERT_EQUAL(sim_run(f.m, f.d, 1, 0, x0, &f.r, &err), PB_SUCCESS);

    integ_default(&in);
    for (size_t which = 0; which < 2; which++) {
        const mlp *net = which ? f.nets[0] : f.orig;
        const sim_trace *tr = which ? &f.r->cmp[0].pruned : &f.r->orig;
        plant_stepper *st = plant_stepper_alloc(f.p, &in, PERIOD, &err);
        mlp_work *w = mlp_work_alloc(net, 1, &err);
        double x[2] = {x0[0], x0[1]}, s[2], u[1];
        size_t N = (size_t)llround(HORIZON / PERIOD);
        int same_x = 1, same_u = 1;

        CU_ASSERT_PTR_NOT_NULL_FATAL(st);
        CU_ASSERT_EQUAL(tr->n_rows, N + 1);
        CU_ASSERT_EQUAL(tr->diverged_step, -1);
        for (size_t k = 0; k <= N; k++) {
            s[0] = x[0] - 0.0;
            s[1] = x[1] - 0.0;
            mlp_eval(net, w, s, u);
            same_x &= memcmp(tr->x + 2 * k, x, sizeof x) == 0;
            same_u &= memcmp(tr->u + k, u, sizeof u) == 0;
            same_x &= tr->t[k] == (double)k * PERIOD;
            if (k < N)
                CU_ASSERT_EQUAL(plant_stepper_apply(st, (double)k * PERIOD, x, u), PB_SUCCESS);
        }
        CU_ASSERT(same_x);
        CU_ASSERT(same_u);
        mlp_work_free(w);
        plant_stepper_free(st);
    }
    /* the LQR-like policy settles the pendulum */
    CU_ASSERT(fabs(f.r->orig.x[2 * f.r->orig.n_rows - 2]) < 0.05);
    CU_ASSERT_EQUAL(f.r->orig.outcome, SIM_CONVERGED);
    fixture_free(&f);
}

/* Sparsity 0 (nothing removed): identical loops, zero deviation and zero bound. */
static void test_sparsity_zero(void)
{
    fixture f = {0};
    sim_ref ref;
    const double x0[2] = {-0.4, 0.2};
    pb_error err;

    f.p = pendulum_new();
    f.orig = policy_new(f.p, 12);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.orig);
    add_pruned(&f, "magnitude", 0.0, 0, 0, NULL, 0, NULL, 0);
    sim_ref_init_setpoint(&ref, 2, NULL);
    fixture_build(&f, &ref, INFINITY);
    CU_ASSERT_EQUAL(f.m->pair[0]->n_changed, 0);
    CU_ASSERT_EQUAL(sim_run(f.m, f.d, 1, 0, x0, &f.r, &err), PB_SUCCESS);
    {
        const sim_compare *c = &f.r->cmp[0];
        size_t n = c->pruned.n_rows;
        CU_ASSERT(memcmp(c->pruned.x, f.r->orig.x, n * 2 * sizeof(double)) == 0);
        for (size_t k = 0; k < n; k++) {
            CU_ASSERT_EQUAL(c->dev_actual[k], 0.0);
            CU_ASSERT_EQUAL(c->dev_bound[k], 0.0);
            CU_ASSERT_EQUAL(c->dev_bound_closed[k], 0.0);
            CU_ASSERT_EQUAL(c->traj_dev[k], 0.0);
            CU_ASSERT_EQUAL(c->dev_actual_at_orig[k], 0.0);
        }
        CU_ASSERT_EQUAL(c->violations, 0);
        CU_ASSERT_EQUAL(c->max_dev_actual, 0.0);
        PB_ASSERT_CLOSE(c->pruned.rms_track, f.r->orig.rms_track, 0, 0);
    }
    fixture_free(&f);
}

/* Several methods and sparsities, single and several layers: the recorded
 * deviation equals forward passes of both networks at the recorded inputs,
 * never exceeds either bound, and the forward-pass bound never exceeds the
 * closed form. */
static void test_no_violations(void)
{
    fixture f = {0};
    sim_ref ref;
    const double x0s[3][2] = {{0.3, 0.0}, {-0.5, 0.2}, {0.1, -0.4}};
    const size_t layer2[1] = {2};
    size_t nX = 0;
    pb_error err;
    mlp_work *wa, *wb;

    f.p = pendulum_new();
    f.orig = policy_new(f.p, 13);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.orig);
    sim_ref_init_setpoint(&ref, 2, NULL);
    /* calibration states from the original loop (a model without variants) */
    {
        plant_integrator in;
        sim_model *m0;
        sim_data *d0;
        integ_default(&in);
        m0 = model_new(f.p, &in, PERIOD, HORIZON, &ref, SIM_INPUT_ERROR, INFINITY, f.orig, 0,
                             NULL, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m0);
        d0 = sim_data_alloc(m0, SIM_BLOCK, &err);
        CU_ASSERT_EQUAL(sim_calibrate(m0, d0, 3, &x0s[0][0], 6, 0.05, 7, &f.X, &nX, &err),
                        PB_SUCCESS);
        /* 6 trajectories of N + 1 states, none diverged */
        CU_ASSERT_EQUAL(nX, 6 * (m0->n_steps + 1));
        sim_data_free(d0);
        sim_model_free(m0);
    }
    add_pruned(&f, "magnitude", 0.3, 0, 0, NULL, 0, NULL, 0);
    add_pruned(&f, "magnitude", 0.8, 0, 0, NULL, 0, NULL, 0);
    add_pruned(&f, "magnitude", 0.6, 0, 0, layer2, 1, NULL, 0);
    add_pruned(&f, "obs", 0.5, 0, 0, NULL, 0, f.X, nX);
    add_pruned(&f, "sparsegpt", 0.5, 2, 4, NULL, 0, f.X, nX);
    add_pruned(&f, "obd", 0.7, 0, 0, layer2, 1, f.X, nX);
    fixture_build(&f, &ref, 0.05);
    CU_ASSERT_EQUAL(f.m->pair[2]->n_changed, 1);
    CU_ASSERT(f.m->pair[2]->changed[1] && !f.m->pair[2]->changed[0]);
    CU_ASSERT(f.m->pair[0]->n_changed > 1);
    wa = mlp_work_alloc(f.orig, 1, &err);
    wb = mlp_work_alloc(f.orig, 1, &err);
    for (size_t i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(sim_run(f.m, f.d, 1, 0, x0s[i], &f.r, &err), PB_SUCCESS);
        for (size_t v = 0; v < f.nv; v++) {
            const sim_compare *c = &f.r->cmp[v];
            int ok_dev = 1, ok_bound = 1, ok_order = 1, n_pos = 0;
            CU_ASSERT_EQUAL(c->violations, 0);
            for (size_t k = 0; k < c->pruned.n_rows; k++) {
                const double *s = c->pruned.s + 2 * k;
                double ua, ub;
                if (!isfinite(s[0]))
                    continue;
                mlp_eval(f.orig, wa, s, &ua);
                mlp_eval(f.nets[v], wb, s, &ub);
                ok_dev &= fabs(fabs(ua - ub) - c->dev_actual[k]) <= 1e-15 * (1 + fabs(ua));
                ok_bound &= c->dev_actual[k] <= c->dev_bound[k] * (1 + 1e-12);
                ok_bound &= c->dev_actual_at_orig[k] <= c->dev_bound_at_orig[k] * (1 + 1e-12);
                ok_order &= c->dev_bound[k] <= c->dev_bound_closed[k] * (1 + 1e-12);
                ok_order &= c->dev_bound_at_orig[k] <= c->dev_bound_closed_at_orig[k] * (1 + 1e-12);
                n_pos += c->dev_actual[k] > 0.0;
            }
            CU_ASSERT(ok_dev);
            CU_ASSERT(ok_bound);
            CU_ASSERT(ok_order);
            CU_ASSERT(n_pos > 0); /* pruning did change the actions */
            CU_ASSERT(c->tightness > 0.0 && c->tightness <= 1.0 + 1e-12);
            /* the pruned trace's u is its network's output at its s */
            {
                double u0;
                mlp_eval(f.nets[v], wb, c->pruned.s, &u0);
                CU_ASSERT_EQUAL(u0, c->pruned.u[0]);
            }
        }
    }
    for (size_t v = 0; v < f.nv; v++)
        for (size_t k = 0; k < f.orig->n_layers; k++)
            CU_ASSERT(f.r->C_sup[v * f.orig->n_layers + k] > 0.0);
    mlp_work_free(wa);
    mlp_work_free(wb);
    fixture_free(&f);
}

/* A variant that destabilises (its output layer's sign flipped) leaves the
 * state limits: the rest of its trace is NaN, the original loop is unaffected
 * and the bounds still hold where states were reached. */
static void test_divergence(void)
{
    fixture f = {0};
    sim_ref ref;
    const double x0[2] = {0.2, 0.0};
    pb_error err;
    mlp *bad;

    f.p = pendulum_new();
    CU_ASSERT_EQUAL(plant_set_param(f.p, "theta_max", 1.0, &err), PB_SUCCESS);
    f.orig = policy_new(f.p, 14);
    bad = mlp_clone(f.orig, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
    for (size_t j = 0; j < bad->layers[2].n_in; j++)
        bad->layers[2].W[j] = -bad->layers[2].W[j];
    f.nets[0] = bad;
    f.var[0].net = bad;
    snprintf(f.var[0].label, sizeof f.var[0].label, "flipped");
    f.nv = 1;
    sim_ref_init_setpoint(&ref, 2, NULL);
    fixture_build(&f, &ref, 0.05);
    CU_ASSERT_EQUAL(sim_run(f.m, f.d, 1, 0, x0, &f.r, &err), PB_SUCCESS);
    {
        const sim_compare *c = &f.r->cmp[0];
        long k0 = c->pruned.diverged_step;
        CU_ASSERT(k0 > 0 && (size_t)k0 < c->pruned.n_rows);
        CU_ASSERT_EQUAL(c->pruned.outcome, SIM_DIVERGED);
        CU_ASSERT_EQUAL(f.r->orig.diverged_step, -1);
        CU_ASSERT_EQUAL(f.r->orig.outcome, SIM_CONVERGED);
        for (size_t k = 0; k < c->pruned.n_rows; k++) {
            int reached = (long)k < k0;
            CU_ASSERT_EQUAL(isfinite(c->pruned.x[2 * k]) != 0, reached);
            CU_ASSERT_EQUAL(isfinite(c->dev_bound[k]) != 0, reached);
            CU_ASSERT(isfinite(c->dev_bound_at_orig[k]));
            CU_ASSERT(isfinite(f.r->orig.x[2 * k]));
            CU_ASSERT_EQUAL(c->pruned.t[k], f.r->orig.t[k]);
        }
        /* the last state reached is inside the limits |theta| <= 1 */
        CU_ASSERT(fabs(c->pruned.x[2 * (k0 - 1)]) <= 1.0);
        CU_ASSERT_EQUAL(c->violations, 0);
    }
    fixture_free(&f);
}

/* An input disturbance: every loop receives u + d(t_k) with d = bias +
 * amplitude sin(2 pi f t) from `start` on; the original loop equals a
 * hand-written loop that adds the formula's d bit for bit; with noise, the
 * sparsity-0 twin still equals the original (both loops see the same d), a
 * new scenario index draws a new sequence and the same index the same one. */
static void test_disturbance(void)
{
    fixture f = {0};
    sim_ref ref;
    sim_disturbance dist;
    const double x0[2] = {0.1, 0.0};
    plant_integrator in;
    pb_error err;

    f.p = pendulum_new();
    f.orig = policy_new(f.p, 17);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.orig);
    add_pruned(&f, "magnitude", 0.0, 0, 0, NULL, 0, NULL, 0);
    add_pruned(&f, "magnitude", 0.5, 0, 0, NULL, 0, NULL, 0);
    sim_ref_init_setpoint(&ref, 2, NULL);
    integ_default(&in);
    f.m = model_new(f.p, &in, PERIOD, HORIZON, &ref, SIM_INPUT_ERROR, INFINITY, f.orig, f.nv,
                          f.var, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.m);
    memset(&dist, 0, sizeof dist);
    dist.on = 1;
    dist.start = 0.5;
    dist.bias[0] = 1.5;
    dist.amplitude[0] = 2.0;
    dist.frequency[0] = 0.7;
    dist.frequency[0] = -1.0;
    CU_ASSERT_EQUAL(sim_model_set_disturbance(f.m, &dist, &err), PB_EINVAL);
    dist.frequency[0] = 0.7;
    dist.noise[0] = NAN;
    CU_ASSERT_EQUAL(sim_model_set_disturbance(f.m, &dist, &err), PB_EINVAL);
    dist.noise[0] = 0.0;
    dist.start = -1.0;
    CU_ASSERT_EQUAL(sim_model_set_disturbance(f.m, &dist, &err), PB_EINVAL);
    dist.start = 0.5;
    CU_ASSERT_EQUAL(sim_model_set_disturbance(f.m, &dist, &err), PB_SUCCESS);
    f.d = sim_data_alloc(f.m, 1, &err);
    f.r = sim_result_alloc(f.m, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.r);
    CU_ASSERT_EQUAL(sim_run(f.m, f.d, 1, 0, x0, &f.r, &err), PB_SUCCESS);
    {
        plant_stepper *st = plant_stepper_alloc(f.p, &in, PERIOD, &err);
        mlp_work *w = mlp_work_alloc(f.orig, 1, &err);
        double x[2] = {x0[0], x0[1]}, u[1], ua[1];
        size_t N = f.m->n_steps;
        int same = 1, same_d = 1;
        for (size_t k = 0; k <= N; k++) {
            double t = (double)k * PERIOD;
            double d = t >= 0.5 ? 1.5 + 2.0 * sin(2 * M_PI * 0.7 * t) : 0.0;
            mlp_eval(f.orig, w, x, u);
            same &= memcmp(f.r->orig.x + 2 * k, x, sizeof x) == 0;
            same_d &= f.r->dist[k] == d;
            ua[0] = u[0] + d;
            if (k < N)
                plant_stepper_apply(st, t, x, ua);
        }
        CU_ASSERT(same);
        CU_ASSERT(same_d);
        mlp_work_free(w);
        plant_stepper_free(st);
    }
    CU_ASSERT_EQUAL(f.r->cmp[1].violations, 0);
    /* noise: the same sequence for every loop of a scenario */
    sim_data_free(f.d);
    dist.noise[0] = 0.5;
    dist.seed = 9;
    CU_ASSERT_EQUAL(sim_model_set_disturbance(f.m, &dist, &err), PB_SUCCESS);
    f.d = sim_data_alloc(f.m, 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.d);
    CU_ASSERT_EQUAL(sim_run(f.m, f.d, 1, 3, x0, &f.r, &err), PB_SUCCESS);
    {
        size_t n = f.r->orig.n_rows;
        double *d3 = malloc(n * sizeof *d3);
        CU_ASSERT(memcmp(f.r->cmp[0].pruned.x, f.r->orig.x, 2 * n * sizeof(double)) == 0);
        CU_ASSERT_EQUAL(f.r->cmp[0].max_dev_actual, 0.0);
        memcpy(d3, f.r->dist, n * sizeof *d3);
        CU_ASSERT_EQUAL(sim_run(f.m, f.d, 1, 4, x0, &f.r, &err), PB_SUCCESS);
        CU_ASSERT(memcmp(d3, f.r->dist, n * sizeof *d3) != 0);
        CU_ASSERT_EQUAL(sim_run(f.m, f.d, 1, 3, x0, &f.r, &err), PB_SUCCESS);
        CU_ASSERT(memcmp(d3, f.r->dist, n * sizeof *d3) == 0);
        /* zero before start, noisy after */
        CU_ASSERT_EQUAL(f.r->dist[0], 0.0);
        CU_ASSERT(f.r->dist[n - 1] != 1.5 + 2.0 * sin(2 * M_PI * 0.7 * (double)(n - 1) * PERIOD));
        free(d3);
    }
    fixture_free(&f);
}

/* sim_run over a block of scenarios equals one scenario at a time, bit for
 * bit: traces, bounds, summaries and each scenario's own noisy disturbance. */
static void test_run_block(void)
{
    fixture f = {0};
    sim_ref ref;
    sim_disturbance dist;
    plant_integrator in;
    const double x0s[3 * 2] = {0.3, 0.0, -0.5, 0.2, 0.1, -0.4};
    sim_result *rb[3] = {NULL, NULL, NULL}, *r1;
    sim_data *d1;
    pb_error err;

    f.p = pendulum_new();
    f.orig = policy_new(f.p, 21);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.orig);
    add_pruned(&f, "magnitude", 0.5, 0, 0, NULL, 0, NULL, 0);
    add_pruned(&f, "magnitude", 0.8, 0, 0, NULL, 0, NULL, 0);
    sim_ref_init_setpoint(&ref, 2, NULL);
    integ_default(&in);
    f.m = model_new(f.p, &in, PERIOD, HORIZON, &ref, SIM_INPUT_ERROR, 0.05, f.orig, f.nv, f.var,
                    &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.m);
    memset(&dist, 0, sizeof dist);
    dist.noise[0] = 0.3;
    dist.seed = 4;
    CU_ASSERT_EQUAL(sim_model_set_disturbance(f.m, &dist, &err), PB_SUCCESS);
    f.d = sim_data_alloc(f.m, 3, &err);
    d1 = sim_data_alloc(f.m, 1, &err);
    r1 = sim_result_alloc(f.m, &err);
    CU_ASSERT_FATAL(f.d && d1 && r1);
    for (size_t j = 0; j < 3; j++)
        CU_ASSERT_PTR_NOT_NULL_FATAL(rb[j] = sim_result_alloc(f.m, &err));
    CU_ASSERT_EQUAL(sim_run(f.m, f.d, 3, 2, x0s, rb, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(sim_run(f.m, d1, 2, 0, x0s, rb, &err), PB_EINVAL); /* holds one */
    for (size_t j = 0; j < 3; j++) {
        size_t n = r1->orig.n_rows;
        CU_ASSERT_EQUAL(sim_run(f.m, d1, 1, 2 + j, x0s + 2 * j, &r1, &err), PB_SUCCESS);
        CU_ASSERT(memcmp(r1->orig.x, rb[j]->orig.x, 2 * n * sizeof(double)) == 0);
        CU_ASSERT(memcmp(r1->dist, rb[j]->dist, n * sizeof(double)) == 0);
        for (size_t v = 0; v < f.nv; v++) {
            const sim_compare *a = &r1->cmp[v], *b = &rb[j]->cmp[v];
            CU_ASSERT(memcmp(a->pruned.x, b->pruned.x, 2 * n * sizeof(double)) == 0);
            CU_ASSERT(memcmp(a->dev_bound, b->dev_bound, n * sizeof(double)) == 0);
            CU_ASSERT(memcmp(a->dev_actual_at_orig, b->dev_actual_at_orig, n * sizeof(double)) ==
                      0);
            CU_ASSERT_EQUAL(a->max_dev_bound, b->max_dev_bound);
            CU_ASSERT_EQUAL(a->pruned.outcome, b->pruned.outcome);
            CU_ASSERT_EQUAL(a->pruned.diverged_step, b->pruned.diverged_step);
        }
    }
    CU_ASSERT(memcmp(rb[0]->dist, rb[1]->dist, r1->orig.n_rows * sizeof(double)) != 0);
    for (size_t j = 0; j < 3; j++)
        sim_result_free(rb[j]);
    sim_result_free(r1);
    sim_data_free(d1);
    fixture_free(&f);
}

/* dev_at_orig = 0 (bounds.at_orig = false): the deviations at the original
 * loop's states are not evaluated (NaN), the summary covers the pruned
 * loop's states alone, and those are the same bits as with dev_at_orig. */
static void test_no_dev_at_orig(void)
{
    fixture f = {0}, g = {0};
    sim_ref ref;
    const double x0[2] = {0.4, -0.2};
    pb_error err;

    f.p = pendulum_new();
    f.orig = policy_new(f.p, 23);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.orig);
    add_pruned(&f, "magnitude", 0.6, 0, 0, NULL, 0, NULL, 0);
    sim_ref_init_setpoint(&ref, 2, NULL);
    fixture_build(&f, &ref, 0.05);
    g.p = f.p;
    g.orig = f.orig;
    g.nv = 1;
    g.var[0] = f.var[0];
    fixture_build(&g, &ref, 0.05);
    sim_data_free(g.d);
    g.m->dev_at_orig = 0; /* before the workspace */
    g.d = sim_data_alloc(g.m, 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g.d);
    CU_ASSERT_EQUAL(sim_run(f.m, f.d, 1, 0, x0, &f.r, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(sim_run(g.m, g.d, 1, 0, x0, &g.r, &err), PB_SUCCESS);
    {
        const sim_compare *a = &f.r->cmp[0], *b = &g.r->cmp[0];
        size_t n = a->pruned.n_rows;
        double mx = 0.0;
        int all_nan = 1;
        CU_ASSERT(memcmp(a->dev_actual, b->dev_actual, n * sizeof(double)) == 0);
        CU_ASSERT(memcmp(a->dev_bound, b->dev_bound, n * sizeof(double)) == 0);
        for (size_t k = 0; k < n; k++) {
            all_nan &= isnan(b->dev_actual_at_orig[k]) && isnan(b->dev_bound_at_orig[k]);
            mx = fmax(mx, b->dev_actual[k]);
        }
        CU_ASSERT(all_nan);
        CU_ASSERT_EQUAL(b->max_dev_actual, mx);
        CU_ASSERT(a->max_dev_actual >= b->max_dev_actual);
    }
    sim_result_free(g.r);
    sim_data_free(g.d);
    sim_model_free(g.m);
    fixture_free(&f);
}

static void test_model_errors(void)
{
    plant *p = pendulum_new();
    mlp *m = policy_new(p, 15), *other;
    plant_integrator in;
    sim_ref ref;
    sim_variant v;
    pb_error err;
    size_t sizes[3] = {3, 4, 1};

    integ_default(&in);
    sim_ref_init_setpoint(&ref, 2, NULL);
    /* a 3-input policy on a 2-state plant */
    other = mlp_alloc(2, sizes, NULL, &err);
    CU_ASSERT_PTR_NULL(model_new(p, &in, PERIOD, HORIZON, &ref, SIM_INPUT_ERROR, INFINITY,
                                       other, 0, NULL, &err));
    CU_ASSERT_EQUAL(err.code, PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "3 inputs"));
    /* a variant of another shape */
    memset(&v, 0, sizeof v);
    snprintf(v.label, sizeof v.label, "odd");
    sizes[0] = 2;
    mlp_free(other);
    other = mlp_alloc(2, sizes, NULL, &err);
    v.net = other;
    CU_ASSERT_PTR_NULL(
        model_new(p, &in, PERIOD, HORIZON, &ref, SIM_INPUT_ERROR, INFINITY, m, 1, &v, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "odd"));
    /* a variant with another output map */
    mlp_free(other);
    other = mlp_clone(m, &err);
    CU_ASSERT_EQUAL(mlp_add_output_map(other, &err), PB_SUCCESS);
    other->out_scale[0] = 2.0;
    v.net = other;
    CU_ASSERT_PTR_NULL(
        model_new(p, &in, PERIOD, HORIZON, &ref, SIM_INPUT_ERROR, INFINITY, m, 1, &v, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "map"));
    /* period, horizon, reference size, integrator, criterion */
    CU_ASSERT_PTR_NULL(
        model_new(p, &in, 0.0, HORIZON, &ref, SIM_INPUT_ERROR, INFINITY, m, 0, NULL, &err));
    CU_ASSERT_PTR_NULL(
        model_new(p, &in, PERIOD, 0.01, &ref, SIM_INPUT_ERROR, INFINITY, m, 0, NULL, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "horizon"));
    ref.nx = 3;
    CU_ASSERT_PTR_NULL(model_new(p, &in, PERIOD, HORIZON, &ref, SIM_INPUT_ERROR, INFINITY, m,
                                       0, NULL, &err));
    ref.nx = 2;
    snprintf(in.method, sizeof in.method, "euler9");
    CU_ASSERT_PTR_NULL(model_new(p, &in, PERIOD, HORIZON, &ref, SIM_INPUT_ERROR, INFINITY, m,
                                       0, NULL, &err));
    integ_default(&in);
    CU_ASSERT_PTR_NULL(
        model_new(p, &in, PERIOD, HORIZON, &ref, SIM_INPUT_ERROR, -1.0, m, 0, NULL, &err));
    /* calibration without trajectories, with a bad noise */
    {
        sim_model *m0 = model_new(p, &in, PERIOD, HORIZON, &ref, SIM_INPUT_ERROR, INFINITY, m,
                                        0, NULL, &err);
        sim_data *d0 = sim_data_alloc(m0, SIM_BLOCK, &err);
        double *X, x0[2] = {0, 0};
        size_t n;
        CU_ASSERT_EQUAL(sim_calibrate(m0, d0, 1, x0, 0, 0.1, 1, &X, &n, &err), PB_EINVAL);
        CU_ASSERT_EQUAL(sim_calibrate(m0, d0, 1, x0, 1, -1.0, 1, &X, &n, &err), PB_EINVAL);
        /* every initial state outside the limits: nothing reached */
        x0[0] = 1e9;
        CU_ASSERT_EQUAL(sim_calibrate(m0, d0, 1, x0, 2, 0.0, 1, &X, &n, &err), PB_EINVAL);
        CU_ASSERT_PTR_NULL(X);
        sim_data_free(d0);
        sim_model_free(m0);
    }
    mlp_free(other);
    mlp_free(m);
    plant_free(p);
}


static void lqr_policy(void *ctx, const double x[], double u[])
{
    plant_lqr_eval((const plant_lqr *)ctx, x, u);
}

/* ------------------------------------------------------------ criterion */

/* The outcome of hand-made error sequences over a horizon of 20 steps
 * (rows 0..20): tail 0.25 starts at row 15 (20 - floor(5)), its halves are
 * rows 15..17 and 18..20. */
static void test_criterion(void)
{
    sim_criterion c;
    sim_track t;
    pb_error err;
    const size_t N = 20;

    sim_criterion_init(&c);
    CU_ASSERT_EQUAL(c.tol, 0.05);
    CU_ASSERT_EQUAL(c.tail, 0.25);
    CU_ASSERT(isinf(c.radius));
    CU_ASSERT_EQUAL(sim_criterion_tail_start(&c, N), 15);
    c.tail = 1.0;
    CU_ASSERT_EQUAL(sim_criterion_tail_start(&c, N), 0);
    c.tail = 0.01; /* floor(0.2) = 0: the tail is the last row alone */
    CU_ASSERT_EQUAL(sim_criterion_tail_start(&c, N), 20);
    sim_criterion_init(&c);

    /* converged: 1/(k+1) falls below 0.05 from k = 19 on; tol 0.07 is met
     * from k = 14 (1/15 = 0.0667), so over the whole tail */
    c.tol = 0.07;
    sim_track_init(&t);
    for (size_t k = 0; k <= N; k++)
        sim_track_add(&t, &c, N, k, 1.0 / (double)(k + 1));
    CU_ASSERT_EQUAL(sim_track_outcome(&t, &c), SIM_CONVERGED);
    CU_ASSERT_FALSE(sim_track_still_converging(&t, &c)); /* only a bounded loop is */
    PB_ASSERT_CLOSE(sim_track_tail_err(&t), 1.0 / 16.0, 0, 0);
    {
        double s2 = 0.0;
        for (size_t k = 0; k <= N; k++)
            s2 += 1.0 / ((double)(k + 1) * (double)(k + 1));
        PB_ASSERT_CLOSE(sim_track_rms(&t), sqrt(s2 / 21.0), 1e-15, 0);
    }
    /* bounded and still converging: the same sequence with tol 0.05; first
     * half max 1/16, second half max 1/19 = 0.84 of it <= 0.95 */
    c.tol = 0.05;
    CU_ASSERT_EQUAL(sim_track_outcome(&t, &c), SIM_BOUNDED);
    CU_ASSERT(sim_track_still_converging(&t, &c));
    /* a decay of 1 % a row: 0.99^3 = 0.9703 > 0.95 over half the tail, too
     * slow to call */
    sim_track_init(&t);
    for (size_t k = 0; k <= N; k++)
        sim_track_add(&t, &c, N, k, pow(0.99, (double)k));
    CU_ASSERT_EQUAL(sim_track_outcome(&t, &c), SIM_BOUNDED);
    CU_ASSERT_FALSE(sim_track_still_converging(&t, &c));
    /* a steady oscillation 0.2 + 0.1 |sin k|: maxima 0.2961 and 0.2913 */
    sim_track_init(&t);
    for (size_t k = 0; k <= N; k++)
        sim_track_add(&t, &c, N, k, 0.2 + 0.1 * fabs(sin((double)k)));
    CU_ASSERT_EQUAL(sim_track_outcome(&t, &c), SIM_BOUNDED);
    CU_ASSERT_FALSE(sim_track_still_converging(&t, &c));
    PB_ASSERT_CLOSE(t.tail_first, 0.2 + 0.1 * fabs(sin(17.0)), 0, 0);
    PB_ASSERT_CLOSE(t.tail_second, 0.2 + 0.1 * fabs(sin(20.0)), 0, 0);
    /* an exponential decay 0.9^k: halves 0.9^15 and 0.9^18 = 0.729 of it */
    sim_track_init(&t);
    for (size_t k = 0; k <= N; k++)
        sim_track_add(&t, &c, N, k, pow(0.9, (double)k));
    CU_ASSERT_EQUAL(sim_track_outcome(&t, &c), SIM_BOUNDED);
    CU_ASSERT(sim_track_still_converging(&t, &c));
    /* a constant offset: bounded, not converging */
    sim_track_init(&t);
    for (size_t k = 0; k <= N; k++)
        sim_track_add(&t, &c, N, k, 0.2);
    CU_ASSERT_EQUAL(sim_track_outcome(&t, &c), SIM_BOUNDED);
    CU_ASSERT_FALSE(sim_track_still_converging(&t, &c));
    /* a growing error: not converging either */
    sim_track_init(&t);
    for (size_t k = 0; k <= N; k++)
        sim_track_add(&t, &c, N, k, 0.01 * (double)k);
    CU_ASSERT_EQUAL(sim_track_outcome(&t, &c), SIM_BOUNDED);
    CU_ASSERT_FALSE(sim_track_still_converging(&t, &c));
    /* diverged at row 7: the first call counts, the tail error is NaN */
    sim_track_init(&t);
    for (size_t k = 0; k < 7; k++)
        sim_track_add(&t, &c, N, k, 0.0);
    sim_track_diverge(&t, 7);
    sim_track_diverge(&t, 9);
    CU_ASSERT_EQUAL(t.diverged_step, 7);
    CU_ASSERT_EQUAL(sim_track_outcome(&t, &c), SIM_DIVERGED);
    CU_ASSERT(isnan(sim_track_tail_err(&t)));
    CU_ASSERT_EQUAL(sim_track_rms(&t), 0.0);
    sim_track_init(&t);
    CU_ASSERT(isnan(sim_track_rms(&t)));
    /* names and validation */
    CU_ASSERT_STRING_EQUAL(sim_outcome_name(SIM_CONVERGED), "converged");
    CU_ASSERT_STRING_EQUAL(sim_outcome_name(SIM_BOUNDED), "bounded");
    CU_ASSERT_STRING_EQUAL(sim_outcome_name(SIM_DIVERGED), "diverged");
    CU_ASSERT_PTR_NULL(sim_outcome_name((sim_outcome)3));
    CU_ASSERT_EQUAL(sim_criterion_validate(&c, &err), PB_SUCCESS);
    c.tail = 0.0;
    CU_ASSERT_EQUAL(sim_criterion_validate(&c, &err), PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "criterion.tail"));
    c.tail = 1.5;
    CU_ASSERT_EQUAL(sim_criterion_validate(&c, &err), PB_EINVAL);
    c.tail = 0.25;
    c.tol = NAN;
    CU_ASSERT_EQUAL(sim_criterion_validate(&c, &err), PB_EINVAL);
    c.tol = 0.1;
    c.radius = 0.0;
    CU_ASSERT_EQUAL(sim_criterion_validate(&c, &err), PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "criterion.radius"));
}

/* A radius: a loop whose tracking error exceeds it diverges at that row,
 * although it is inside the plant's limits. */
static void test_criterion_radius(void)
{
    fixture f = {0};
    sim_ref ref;
    sim_criterion c;
    plant_integrator in;
    const double x0[2] = {0.6, 0.0};
    pb_error err;

    f.p = pendulum_new();
    f.orig = policy_new(f.p, 11);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.orig);
    sim_ref_init_setpoint(&ref, 2, NULL);
    integ_default(&in);
    sim_criterion_init(&c);
    c.radius = 0.5; /* x0 is 0.6 away: row 0 is not reached */
    f.m = sim_model_alloc(f.p, &in, PERIOD, HORIZON, &ref, SIM_INPUT_ERROR, &c,
                          &(sim_policy){f.orig, NULL, NULL}, 0, NULL, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.m);
    f.d = sim_data_alloc(f.m, 1, &err);
    f.r = sim_result_alloc(f.m, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.r);
    CU_ASSERT_EQUAL(sim_run(f.m, f.d, 1, 0, x0, &f.r, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(f.r->orig.diverged_step, 0);
    CU_ASSERT_EQUAL(f.r->orig.outcome, SIM_DIVERGED);
    CU_ASSERT(isnan(f.r->orig.x[0]) && isnan(f.r->orig.u[0]));
    fixture_free(&f);
}

/* ------------------------------------------------------- lanes and blocks */

/* A tanh policy nx -> 12 -> nu with Gaussian weights of scale w and an
 * output map to the plant's input range (or scale 1). */
static mlp *random_policy(const plant *p, unsigned long seed, double w)
{
    size_t nx = p->type->nx, nu = p->type->nu, sizes[3] = {nx, 12, nu};
    mlp_act acts[2] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    double lo[PLANT_NU_MAX], hi[PLANT_NU_MAX];
    pb_error err;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    mlp *m = mlp_alloc(2, sizes, acts, &err);

    if (!m || !r) {
        gsl_rng_free(r);
        mlp_free(m);
        return NULL;
    }
    gsl_rng_set(r, seed);
    for (size_t k = 0; k < 2; k++) {
        mlp_layer *l = &m->layers[k];
        for (size_t i = 0; i < l->n_in * l->n_out; i++)
            l->W[i] = gsl_ran_gaussian(r, w);
        for (size_t i = 0; i < l->n_out; i++)
            l->b[i] = gsl_ran_gaussian(r, 0.1 * w);
    }
    p->type->input_limits(p->p, lo, hi);
    if (mlp_add_output_map(m, &err) == PB_SUCCESS)
        for (size_t i = 0; i < nu; i++)
            m->out_scale[i] = isfinite(hi[i] - lo[i]) ? 0.25 * (hi[i] - lo[i]) : 1.0;
    gsl_rng_free(r);
    return m;
}

/* Runs the block b of model m to its end and stores every lane's states
 * (NaN where not reached), actions, forward bounds and divergence steps. */
typedef struct lane_log {
    size_t n_lanes, rows, nx, nu;
    double *x, *u, *bound; /* [rows x lanes x nx], [rows x lanes x nu], [rows x lanes] */
    long *div;             /* [lanes] */
} lane_log;

static void lane_log_run(const sim_model *m, const sim_block *b, lane_log *g)
{
    pb_error err;
    sim_lanes *d = sim_lanes_alloc(m, b->n, &err);
    const sim_row *row;
    size_t nl = b->n * m->n_policies, nx = m->plant->type->nx, nu = m->plant->type->nu;

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    g->n_lanes = nl;
    g->rows = m->n_steps + 1;
    g->nx = nx;
    g->nu = nu;
    g->x = malloc(g->rows * nl * nx * sizeof *g->x);
    g->u = malloc(g->rows * nl * nu * sizeof *g->u);
    g->bound = malloc(g->rows * nl * sizeof *g->bound);
    g->div = malloc(nl * sizeof *g->div);
    CU_ASSERT_FATAL(g->x && g->u && g->bound && g->div);
    CU_ASSERT_EQUAL_FATAL(sim_lanes_start(m, d, b, &err), PB_SUCCESS);
    row = sim_lanes_row(d);
    for (size_t k = 0; k < g->rows; k++) {
        sim_lanes_eval(m, d);
        for (size_t l = 0; l < nl; l++) {
            for (size_t i = 0; i < nx; i++)
                g->x[(k * nl + l) * nx + i] = row->x[i * row->ld + l];
            for (size_t i = 0; i < nu; i++)
                g->u[(k * nl + l) * nu + i] = row->u[i * row->ld + l];
            g->bound[k * nl + l] = l >= b->n ? row->dev[l].bound : 0.0;
        }
        if (k + 1 < g->rows)
            CU_ASSERT_EQUAL(sim_lanes_advance(m, d, &err), PB_SUCCESS);
    }
    for (size_t l = 0; l < nl; l++)
        g->div[l] = row->tracks[l].diverged_step;
    sim_lanes_free(d);
}

static void lane_log_free(lane_log *g)
{
    free(g->x);
    free(g->u);
    free(g->bound);
    free(g->div);
}

/* Runs x0s[n] (in blocks of SIM_BLOCK) through model m batched and lane by
 * lane (a second model with batched = 0: a GSL driver over the registered
 * rk4fixed step per lane) and compares: the same divergence steps; states,
 * actions and forward bounds within 1e-12 (relative, on the scale of the
 * value).  Returns the worst difference; counts divergences after row 0
 * and loops kept into *div, *kept. */
static double compare_batched(const plant *p, const plant_integrator *in, double period,
                              double horizon, const sim_ref *ref, sim_input input,
                              const sim_criterion *c, const mlp *orig, const sim_variant *var,
                              size_t n, const double *x0s, size_t *div, size_t *kept)
{
    size_t nx = p->type->nx, nu = p->type->nu;
    double worst = 0.0;
    pb_error err;
    sim_model *mb = sim_model_alloc(p, in, period, horizon, ref, input, c,
                                    &(sim_policy){orig, NULL, NULL}, 1, var, &err);
    sim_model *ml = sim_model_alloc(p, in, period, horizon, ref, input, c,
                                    &(sim_policy){orig, NULL, NULL}, 1, var, &err);

    CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ml);
    CU_ASSERT(mb->batched);
    ml->batched = 0; /* before any workspace: lane by lane through GSL */
    for (size_t j0 = 0; j0 < n; j0 += SIM_BLOCK) {
        size_t nb = n - j0 < SIM_BLOCK ? n - j0 : SIM_BLOCK;
        lane_log gb, gl;
        lane_log_run(mb, &(sim_block){nb, x0s + j0 * nx, NULL, NULL, NULL}, &gb);
        lane_log_run(ml, &(sim_block){nb, x0s + j0 * nx, NULL, NULL, NULL}, &gl);
        for (size_t l = 0; l < gb.n_lanes; l++) {
            CU_ASSERT_EQUAL(gb.div[l], gl.div[l]);
            *div += gb.div[l] > 0;
            *kept += gb.div[l] < 0;
        }
        for (size_t q = 0; q < gb.rows * gb.n_lanes * nx; q++) {
            double a = gb.x[q], b = gl.x[q];
            if (isnan(a) || isnan(b)) {
                CU_ASSERT(isnan(a) && isnan(b));
                continue;
            }
            worst = fmax(worst, fabs(a - b) / (1.0 + fabs(a)));
        }
        for (size_t q = 0; q < gb.rows * gb.n_lanes * nu; q++)
            if (!isnan(gb.u[q]))
                worst = fmax(worst, fabs(gb.u[q] - gl.u[q]) / (1.0 + fabs(gb.u[q])));
        for (size_t q = 0; q < gb.rows * gb.n_lanes; q++)
            if (!isnan(gb.bound[q]))
                worst = fmax(worst, fabs(gb.bound[q] - gl.bound[q]) / (1.0 + fabs(gb.bound[q])));
        lane_log_free(&gb);
        lane_log_free(&gl);
    }
    sim_model_free(mb);
    sim_model_free(ml);
    return worst;
}

/* Batched RK4 (every lane in one plant_rk4_batch_apply over the type's
 * batched right-hand side) against the per-lane path on every shipped
 * plant, with a random policy and a ten times louder twin from states
 * spread around the equilibrium: most loops diverge, at many rows. */
static void test_batched_equals_per_lane(void)
{
    size_t total_div = 0, total_kept = 0;

    for (size_t ti = 0; plant_types[ti]; ti++) {
        const plant_type *T = plant_types[ti];
        plant *p = plant_alloc(T);
        size_t nx = T->nx, n = 37, div = 0, kept = 0;
        plant_integrator in;
        sim_criterion c;
        sim_ref ref;
        sim_variant var;
        plant_lqr *lqr;
        mlp *orig, *loud;
        double *x0 = malloc(n * nx * sizeof *x0), worst;
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        pb_error err;

        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        lqr = plant_lqr_alloc(p, 0.05, NULL, NULL, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(lqr);
        orig = random_policy(p, 100 + ti, 0.3);
        loud = mlp_clone(orig, &err); /* the same network, ten times louder: a variant */
        CU_ASSERT_PTR_NOT_NULL_FATAL(loud);
        for (size_t i = 0; i < loud->layers[1].n_in * loud->layers[1].n_out; i++)
            loud->layers[1].W[i] *= 10.0;
        memset(&var, 0, sizeof var);
        snprintf(var.label, sizeof var.label, "loud");
        var.net = loud;
        gsl_rng_set(r, 7 + ti);
        for (size_t j = 0; j < n; j++)
            for (size_t i = 0; i < nx; i++) /* x* plus up to +-(j / 12) */
                x0[j * nx + i] = lqr->x_eq[i] + (double)j / 12.0 * (2.0 * gsl_rng_uniform(r) - 1.0);
        sim_ref_init_setpoint(&ref, nx, lqr->x_eq);
        plant_integrator_init(&in);
        snprintf(in.method, sizeof in.method, "rk4fixed");
        in.substeps = 4;
        sim_criterion_init(&c);
        c.radius = 6.0; /* some diverge by the radius */
        worst = compare_batched(p, &in, 0.05, 2.0, &ref, SIM_INPUT_ERROR, &c, orig, &var, n, x0,
                                &div, &kept);
        if (worst > 1e-12 || getenv("PB_TEST_VERBOSE"))
            fprintf(stderr, "  %s: batched vs per lane %.3g; %zu loops diverged after row 0, %zu "
                            "kept\n", T->name, worst, div, kept);
        CU_ASSERT(worst <= 1e-12);
        total_div += div;
        total_kept += kept;
        mlp_free(orig);
        mlp_free(loud);
        plant_lqr_free(lqr);
        free(x0);
        gsl_rng_free(r);
        plant_free(p);
    }
    CU_ASSERT(total_div > 0);
    CU_ASSERT(total_kept > 0);
}

/* The benchmark's workload: the ARCH-COMP QUAD controller (sigmoid
 * 12-64-64-64-3) and its twin pruned by magnitude to 50 % on
 * quadrotor_arch, 150 states of the ARCH box (blocks of 64, 64 and 22),
 * 50 periods of 0.1 s, 10 substeps: batched = per lane to 1e-12, the
 * pruned loops' divergences at the same rows. */
static void test_batched_quad(void)
{
    enum { N = 150 };
    char path[2048], note[256];
    import_options opt;
    mlp *orig = NULL, *pruned = NULL;
    plant *p = plant_alloc(plant_find("quadrotor_arch"));
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    static double X0[N * 12];
    plant_integrator in;
    prune_options o;
    sim_criterion c;
    sim_variant var;
    sim_ref ref;
    size_t div = 0, kept = 0;
    double worst;
    pb_error err;

    if (!pb_test_arch_dir()) /* ../shared/benchmarks/arch-comp (a note says so) */
        goto done;
    memset(&opt, 0, sizeof opt);
    snprintf(path, sizeof path, "%s/quadrotor/Quadrotor_controller.polar", pb_test_arch_dir());
    CU_ASSERT_EQUAL_FATAL(import_find("polar")->read(path, &opt, &orig, note, sizeof note, &err),
                          PB_SUCCESS);
    prune_options_init(&o);
    o.sparsity = 0.5;
    CU_ASSERT_EQUAL_FATAL(prune_mlp(orig, prune_find("magnitude"), &o, NULL, 0, &pruned, &err),
                          PB_SUCCESS);
    memset(&var, 0, sizeof var);
    snprintf(var.label, sizeof var.label, "magnitude_s0.50");
    var.net = pruned;
    for (size_t s = 0; s < N; s++)
        for (size_t i = 0; i < 6; i++)
            X0[s * 12 + i] = gsl_ran_flat(r, -0.4, 0.4);
    sim_ref_init_setpoint(&ref, 12, NULL);
    plant_integrator_init(&in);
    snprintf(in.method, sizeof in.method, "rk4fixed");
    in.substeps = 10;
    sim_criterion_init(&c);
    worst = compare_batched(p, &in, 0.1, 5.0, &ref, SIM_INPUT_STATE, &c, orig, &var, N, X0, &div,
                            &kept);
    if (worst > 1e-12 || getenv("PB_TEST_VERBOSE"))
        fprintf(stderr, "  QUAD: batched vs per lane %.3g; %zu diverged, %zu kept\n", worst, div,
                kept);
    CU_ASSERT(worst <= 1e-12);
    CU_ASSERT(div > 0 && kept > 0);
done:
    mlp_free(pruned);
    mlp_free(orig);
    gsl_rng_free(r);
    plant_free(p);
}

/* A sample's rows do not depend on the block it runs in: sample 0 alone and
 * at position 5 of a block of 37 other states (in both orders of the
 * policies' lanes) give the same bits for states, actions and bounds, with
 * the batched and the per-lane integrators. */
static void test_block_independent(void)
{
    plant *p = plant_alloc(plant_find("quadrotor_arch"));
    size_t nx = 12, n = 37, pos = 5;
    plant_integrator in;
    sim_criterion c;
    sim_ref ref;
    sim_variant var;
    mlp *orig, *pr;
    prune_options o;
    double x0[37 * 12], alone[12];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    pb_error err;

    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    orig = random_policy(p, 3, 0.2);
    prune_options_init(&o);
    o.sparsity = 0.5;
    CU_ASSERT_EQUAL_FATAL(prune_mlp(orig, prune_find("magnitude"), &o, NULL, 0, &pr, &err),
                          PB_SUCCESS);
    memset(&var, 0, sizeof var);
    snprintf(var.label, sizeof var.label, "m50");
    var.net = pr;
    gsl_rng_set(r, 5);
    for (size_t q = 0; q < n * nx; q++)
        x0[q] = 0.3 * (2.0 * gsl_rng_uniform(r) - 1.0);
    memcpy(alone, x0 + pos * nx, sizeof alone);
    sim_ref_init_setpoint(&ref, nx, NULL);
    sim_criterion_init(&c);
    for (int batched = 1; batched >= 0; batched--) {
        sim_model *m;
        lane_log ga, gk;
        plant_integrator_init(&in);
        if (batched) {
            snprintf(in.method, sizeof in.method, "rk4fixed");
            in.substeps = 5;
        }
        m = sim_model_alloc(p, &in, 0.1, 3.0, &ref, SIM_INPUT_STATE, &c,
                            &(sim_policy){orig, NULL, NULL}, 1, &var, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        CU_ASSERT_EQUAL(m->batched, batched);
        lane_log_run(m, &(sim_block){1, alone, NULL, NULL, NULL}, &ga);
        lane_log_run(m, &(sim_block){n, x0, NULL, NULL, NULL}, &gk);
        for (size_t pol = 0; pol < 2; pol++) {
            size_t la = pol, lk = pol * n + pos;
            int same = 1;
            CU_ASSERT_EQUAL(ga.div[la], gk.div[lk]);
            for (size_t k = 0; k < ga.rows; k++) {
                same &= memcmp(ga.x + (k * ga.n_lanes + la) * nx, gk.x + (k * gk.n_lanes + lk) * nx,
                               nx * sizeof(double)) == 0;
                same &= memcmp(ga.u + (k * ga.n_lanes + la) * ga.nu,
                               gk.u + (k * gk.n_lanes + lk) * gk.nu, ga.nu * sizeof(double)) == 0;
                same &= memcmp(&ga.bound[k * ga.n_lanes + la], &gk.bound[k * gk.n_lanes + lk],
                               sizeof(double)) == 0;
            }
            CU_ASSERT(same);
        }
        lane_log_free(&ga);
        lane_log_free(&gk);
        sim_model_free(m);
    }
    mlp_free(orig);
    mlp_free(pr);
    gsl_rng_free(r);
    plant_free(p);
}

/* Per-lane parameters reach the limits (the stale-limits regression): two
 * samples of the pendulum under a constant torque of 15 N m (> m g L, so
 * theta rises monotonically), one with theta_max = 0.3 rad and one with
 * the default; the first diverges at the first row where the second's
 * theta exceeds 0.3, on the batched and on the per-lane (rk8pd) path. */
static void test_lane_limits(void)
{
    plant *p = pendulum_new();
    size_t sizes[2] = {2, 1}, np = p->type->np;
    mlp *m;
    sim_criterion c;
    sim_ref ref;
    pb_error err;
    double x0[4] = {0.0, 0.0, 0.0, 0.0}, *P = malloc(2 * np * sizeof *P);
    int i_tmax = plant_param_index(p->type, "theta_max");

    CU_ASSERT_FATAL(i_tmax >= 0 && P);
    m = mlp_alloc(1, sizes, NULL, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    m->layers[0].W[0] = m->layers[0].W[1] = 0.0;
    m->layers[0].b[0] = 15.0;
    memcpy(P, p->p, np * sizeof *P);
    memcpy(P + np, p->p, np * sizeof *P);
    P[i_tmax] = 0.3;
    sim_ref_init_setpoint(&ref, 2, NULL);
    sim_criterion_init(&c);
    for (int batched = 1; batched >= 0; batched--) {
        plant_integrator in;
        sim_model *md;
        lane_log g;
        long want = -1;
        plant_integrator_init(&in);
        if (batched) {
            snprintf(in.method, sizeof in.method, "rk4fixed");
            in.substeps = 20;
        }
        md = sim_model_alloc(p, &in, PERIOD, HORIZON, &ref, SIM_INPUT_STATE, &c,
                             &(sim_policy){m, NULL, NULL}, 0, NULL, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(md);
        lane_log_run(md, &(sim_block){2, x0, P, NULL, NULL}, &g);
        for (size_t k = 0; k < g.rows && want < 0; k++)
            if (g.x[(k * 2 + 1) * 2] > 0.3)
                want = (long)k;
        CU_ASSERT(want > 1);
        CU_ASSERT_EQUAL(g.div[0], want);
        CU_ASSERT_EQUAL(g.div[1], -1);
        lane_log_free(&g);
        sim_model_free(md);
    }
    /* a parameter row out of range is refused, naming the sample */
    {
        plant_integrator in;
        sim_model *md;
        sim_lanes *d;
        plant_integrator_init(&in);
        md = sim_model_alloc(p, &in, PERIOD, HORIZON, &ref, SIM_INPUT_STATE, &c,
                             &(sim_policy){m, NULL, NULL}, 0, NULL, &err);
        d = sim_lanes_alloc(md, 2, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        P[np + (size_t)plant_param_index(p->type, "m")] = -1.0;
        CU_ASSERT_EQUAL(sim_lanes_start(md, d, &(sim_block){2, x0, P, NULL, NULL}, &err),
                        PB_EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "sample 1"));
        CU_ASSERT_EQUAL(sim_lanes_start(md, d, &(sim_block){0, x0, NULL, NULL, NULL}, &err),
                        PB_EINVAL);
        CU_ASSERT_EQUAL(sim_lanes_start(md, d, &(sim_block){3, x0, NULL, NULL, NULL}, &err),
                        PB_EINVAL); /* the workspace holds 2 */
        sim_lanes_free(d);
        sim_model_free(md);
    }
    free(P);
    mlp_free(m);
    plant_free(p);
}

/* A callback policy (the LQR expert, as `plants --demo` and the training
 * rollouts use it) equals a hand-written loop over plant_stepper_apply. */
static void test_callback_policy(void)
{
    plant *p = plant_alloc(plant_find("cartpole"));
    plant_lqr *lqr;
    plant_integrator in;
    sim_criterion c;
    sim_ref ref;
    sim_model *m;
    sim_lanes *d;
    const sim_row *row;
    plant_stepper *st;
    double x[4] = {0.1, 0.0, 0.15, 0.0}, x0[4], u[1];
    pb_error err;
    int same = 1;

    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    lqr = plant_lqr_alloc(p, 0.02, NULL, NULL, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(lqr);
    memcpy(x0, x, sizeof x);
    plant_integrator_init(&in);
    sim_criterion_init(&c);
    sim_ref_init_setpoint(&ref, 4, lqr->x_eq);
    m = sim_model_alloc(p, &in, 0.02, 1.0, &ref, SIM_INPUT_STATE, &c,
                        &(sim_policy){NULL, lqr_policy, lqr}, 0, NULL, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    d = sim_lanes_alloc(m, 1, &err);
    st = plant_stepper_alloc(p, &in, 0.02, &err);
    CU_ASSERT_FATAL(d && st);
    CU_ASSERT_EQUAL(sim_lanes_start(m, d, &(sim_block){1, x0, NULL, NULL, NULL}, &err),
                    PB_SUCCESS);
    row = sim_lanes_row(d);
    for (size_t k = 0; k <= m->n_steps; k++) {
        sim_lanes_eval(m, d);
        plant_lqr_eval(lqr, x, u);
        for (size_t i = 0; i < 4; i++)
            same &= row->x[i * row->ld] == x[i];
        same &= row->u[0] == u[0] && row->reached[0];
        if (k < m->n_steps) {
            CU_ASSERT_EQUAL(sim_lanes_advance(m, d, &err), PB_SUCCESS);
            CU_ASSERT_EQUAL(plant_stepper_apply(st, (double)k * 0.02, x, u), PB_SUCCESS);
        }
    }
    CU_ASSERT(same);
    CU_ASSERT_EQUAL(sim_lanes_advance(m, d, &err), PB_EINVAL); /* past the horizon */
    /* variants need an MLP original */
    CU_ASSERT_PTR_NULL(sim_model_alloc(p, &in, 0.02, 1.0, &ref, SIM_INPUT_STATE, &c,
                                       &(sim_policy){NULL, lqr_policy, lqr}, 1,
                                       &(sim_variant){.label = "v"}, &err));
    CU_ASSERT_PTR_NULL(sim_model_alloc(p, &in, 0.02, 1.0, &ref, SIM_INPUT_STATE, &c,
                                       &(sim_policy){NULL, NULL, NULL}, 0, NULL, &err));
    plant_stepper_free(st);
    sim_lanes_free(d);
    sim_model_free(m);
    plant_lqr_free(lqr);
    plant_free(p);
}

/* -------------------------------------------------------- results writer */

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void test_h5_writer(void)
{
    const char *path = pb_test_path("writer.h5");
    char tmp[1400];
    h5_file *f;
    pb_error err;
    double a[6] = {1, 2, 3, 4, 5, 6}, back[6];
    unsigned char mask[3] = {1, 0, 1};
    size_t dims[2] = {2, 3};
    struct row {
        char name[8];
        double v;
        long long k;
    } rows[2] = {{"ab", 1.5, -1}, {"cd", 2.5, 7}};
    const h5_column cols[] = {{"name", H5W_STR, offsetof(struct row, name), 8, "", "a name"},
                              {"v", H5W_F64, offsetof(struct row, v), 0, "s", "a time"},
                              {"k", H5W_I64, offsetof(struct row, k), 0, "1", "a count"}};
    struct row rb[2];

    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CU_ASSERT_EQUAL_FATAL(h5_file_create(path, &f, &err), PB_SUCCESS);
    CU_ASSERT(file_exists(tmp));
    CU_ASSERT_FALSE(file_exists(path));
    CU_ASSERT_EQUAL(h5_dataset_write(f, "/g/h/a", 2, dims, H5W_F64, a, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(h5_dataset_write(f, "/g/m", 1, dims + 1, H5W_U8, mask, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(h5_dataset_write(f, "/g/bad", 3, dims, H5W_F64, a, &err), PB_EINVAL);
    CU_ASSERT_EQUAL(h5_dataset_write(f, "/g/h/a", 2, dims, H5W_F64, a, &err), PB_EIO); /* exists */
    CU_ASSERT_EQUAL(h5_attr_write_str(f, "/g", "s", "hello", &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(h5_attr_write_i64(f, "/", "n", 42, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(h5_attr_write_f64(f, "/g/h/a", "v", 2, a, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(h5_attr_write_f64(f, "/nowhere", "v", 1, a, &err), PB_EIO);
    CU_ASSERT_EQUAL(h5_table_write(f, "/t", cols, 3, sizeof(struct row), 2, rows, &err),
                    PB_SUCCESS);
    CU_ASSERT_EQUAL(h5_file_commit(f, &err), PB_SUCCESS);
    CU_ASSERT(file_exists(path));
    CU_ASSERT_FALSE(file_exists(tmp));
    /* read back with the HDF5 C API */
    {
        hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), ds, dcpl, mt, st;
        hsize_t hd[2];
        CU_ASSERT_FATAL(fid >= 0);
        ds = H5Dopen2(fid, "/g/h/a", H5P_DEFAULT);
        st = H5Dget_space(ds);
        CU_ASSERT_EQUAL(H5Sget_simple_extent_dims(st, hd, NULL), 2);
        CU_ASSERT(hd[0] == 2 && hd[1] == 3);
        CU_ASSERT(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, back) >= 0);
        CU_ASSERT(memcmp(a, back, sizeof a) == 0);
        dcpl = H5Dget_create_plist(ds);
        CU_ASSERT_EQUAL(H5Pget_layout(dcpl), H5D_CHUNKED);
        CU_ASSERT(H5Pget_nfilters(dcpl) >= 1);
        H5Pclose(dcpl);
        H5Sclose(st);
        H5Dclose(ds);
        mt = H5Tcreate(H5T_COMPOUND, sizeof(struct row));
        {
            hid_t s8 = H5Tcopy(H5T_C_S1);
            H5Tset_size(s8, 8);
            H5Tinsert(mt, "name", offsetof(struct row, name), s8);
            H5Tinsert(mt, "v", offsetof(struct row, v), H5T_NATIVE_DOUBLE);
            H5Tinsert(mt, "k", offsetof(struct row, k), H5T_NATIVE_LLONG);
            H5Tclose(s8);
        }
        ds = H5Dopen2(fid, "/t", H5P_DEFAULT);
        CU_ASSERT(H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, rb) >= 0);
        CU_ASSERT_STRING_EQUAL(rb[1].name, "cd");
        CU_ASSERT_EQUAL(rb[1].k, 7);
        CU_ASSERT_EQUAL(rb[0].v, 1.5);
        H5Dclose(ds);
        H5Tclose(mt);
        H5Fclose(fid);
    }
    /* a discarded file leaves nothing behind */
    path = pb_test_path("discarded.h5");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CU_ASSERT_EQUAL_FATAL(h5_file_create(path, &f, &err), PB_SUCCESS);
    h5_file_discard(f);
    h5_file_discard(NULL);
    CU_ASSERT_FALSE(file_exists(path));
    CU_ASSERT_FALSE(file_exists(tmp));
    /* a missing folder */
    CU_ASSERT_EQUAL(h5_file_create(pb_test_path("no/such/dir/x.h5"), &f, &err), PB_EIO);
    CU_ASSERT_PTR_NULL(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no/such/dir"));
}

/* ------------------------------------------------------- the results file */

/* Runs `prunebound run` on a pendulum config in the temporary folder and
 * returns the exit status. */
static int run_cli(const char *cfg_text, const char *out, char *stdout_buf, size_t len)
{
    const char *cfg = pb_test_path("sim_run.cfg");
    char cmd[4096];
    FILE *f = fopen(cfg, "w"), *p;
    size_t n;

    if (!f)
        return -1;
    fputs(cfg_text, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s/prunebound' run '%s' -o '%s' 2>&1", PB_BINARY_DIR, cfg, out);
    p = popen(cmd, "r");
    if (!p)
        return -1;
    n = fread(stdout_buf, 1, len - 1, p);
    stdout_buf[n] = '\0';
    return pclose(p);
}

static const char *results_cfg =
    "plant = { name = \"pendulum\"; params = { c = 0.1; }; };\n"
    "simulation = { period = 0.05; horizon = 2.0; };\n"
    "criterion = { tol = 0.1; tail = 0.5; };\n"
    "policy = { file = \"sim_policy.h5\"; };\n"
    "calibration = { trajectories = 4; noise = 0.05; seed = 3; };\n"
    "pruning = ( { method = \"magnitude\"; sparsity = [0.0, 0.5]; },\n"
    "            { method = \"magnitude\"; sparsity = 0.6; layers = \"2\"; },\n"
    "            { method = \"sparsegpt\"; pattern = \"2:4\"; } );\n"
    "scenarios = ( { x0 = [0.3, 0.0]; }, { x0 = [-0.5, 0.2]; name = \"left\"; } );\n"
    "seed = 5;\n";

static void test_results_file(void)
{
    const char *out = pb_test_path("sim_results.h5");
    char buf[8192], tmp[1400];
    plant *p = pendulum_new();
    mlp *m = policy_new(p, 16);
    pb_error err;
    hid_t fid;
    static const char *const labels[] = {"magnitude_s0.00", "magnitude_s0.50", "magnitude_s0.60_L2",
                                         "sparsegpt_2:4"};
    static const char *const names[] = {"t",
                                        "x_orig",
                                        "x_pruned",
                                        "s_orig",
                                        "s_pruned",
                                        "u_orig",
                                        "u_pruned",
                                        "ref",
                                        "track_err_orig",
                                        "track_err_pruned",
                                        "traj_dev",
                                        "dev_actual",
                                        "dev_bound",
                                        "dev_bound_closed",
                                        "dev_actual_at_orig",
                                        "dev_bound_at_orig",
                                        "dev_bound_closed_at_orig"};
    static const size_t cols[] = {0, 2, 2, 2, 2, 1, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    const size_t n_rows = 41;

    CU_ASSERT_EQUAL_FATAL(mlp_write_h5(m, pb_test_path("sim_policy.h5"), &err), PB_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(run_cli(results_cfg, out, buf, sizeof buf), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "bound violations: 0"));
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    CU_ASSERT_FALSE(file_exists(tmp));

    fid = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    CU_ASSERT_FATAL(fid >= 0);
    for (size_t v = 0; v < 4; v++)
        for (size_t i = 0; i < 2; i++)
            for (size_t d = 0; d < sizeof names / sizeof names[0]; d++) {
                char path[256];
                hsize_t hd[2] = {0, 0};
                hid_t ds, sp;
                int rank;
                snprintf(path, sizeof path, "/runs/%s/%zu/%s", labels[v], i, names[d]);
                ds = H5Dopen2(fid, path, H5P_DEFAULT);
                CU_ASSERT(ds >= 0);
                if (ds < 0) {
                    fprintf(stderr, "missing %s\n", path);
                    continue;
                }
                sp = H5Dget_space(ds);
                rank = H5Sget_simple_extent_dims(sp, hd, NULL);
                CU_ASSERT_EQUAL(rank, cols[d] ? 2 : 1);
                CU_ASSERT_EQUAL(hd[0], n_rows);
                if (cols[d])
                    CU_ASSERT_EQUAL(hd[1], cols[d]);
                H5Sclose(sp);
                H5Dclose(ds);
            }
    CU_ASSERT(H5Aexists_by_name(fid, "/runs/sparsegpt_2:4/1", "diverged_step", H5P_DEFAULT) > 0);
    CU_ASSERT(H5Aexists_by_name(fid, "/", "config", H5P_DEFAULT) > 0);
    CU_ASSERT(H5Aexists_by_name(fid, "/plant", "theta_max", H5P_DEFAULT) > 0);
    CU_ASSERT(H5Lexists(fid, "/policies/original/layers/3/W", H5P_DEFAULT) > 0);
    CU_ASSERT(H5Lexists(fid, "/policies/magnitude_s0.50/layers/1/mask", H5P_DEFAULT) > 0);
    CU_ASSERT(H5Lexists(fid, "/summary", H5P_DEFAULT) > 0);
    H5Fclose(fid);

    /* h5py: the layout, the summary, zero violations, and the forward-pass
     * bound of the one-layer pruning recomputed with NumPy's SVD:
     * ||dW_2||_2 * ||W_3||_2 * ||h_1(s)|| (tanh at layer 2: l = 1). */
    if (pb_test_have_python()) {
        static const char *script =
            "import sys, h5py, numpy as np\n"
            "f = h5py.File(sys.argv[1], 'r')\n"
            "assert f.attrs['tool_version']\n"
            "assert 'pendulum' in f.attrs['config'].decode()\n"
            "assert f['plant'].attrs['name'].decode() == 'pendulum' and f['plant'].attrs['nx'] == 2\n"
            "s = f['summary'][()]\n"
            "assert len(s) == 8, len(s)\n"
            "assert int(s['violations'].sum()) == 0\n"
            "labels = sorted(set(x.decode() for x in s['label']))\n"
            "assert labels == ['magnitude_s0.00', 'magnitude_s0.50', 'magnitude_s0.60_L2', "
            "'sparsegpt_2:4'], labels\n"
            "z = s[s['label'] == b'magnitude_s0.00']\n"
            "assert np.all(z['max_dev_actual'] == 0) and np.all(z['max_dev_bound'] == 0)\n"
            "o = f['policies/original']\n"
            "W = [o['layers/%d/W' % j][()] for j in (1, 2, 3)]\n"
            "b = [o['layers/%d/b' % j][()] for j in (1, 2, 3)]\n"
            "P = f['policies/magnitude_s0.60_L2']\n"
            "Wp = [P['layers/%d/W' % j][()] for j in (1, 2, 3)]\n"
            "assert np.array_equal(W[0], Wp[0]) and np.array_equal(W[2], Wp[2])\n"
            "dW = np.linalg.norm(Wp[1] - W[1], 2)\n"
            "assert abs(P['dW_spectral_norm'][1] - dW) <= 1e-12 * dW\n"
            "assert P['dW_spectral_norm'][0] == 0 and P['dW_spectral_norm'][2] == 0\n"
            "C3 = np.linalg.norm(W[2], 2)\n"
            "def net(Ws, s):\n"
            "    h = np.tanh(Ws[0] @ s + b[0]); h2 = np.tanh(Ws[1] @ h + b[1])\n"
            "    return Ws[2] @ h2 + b[2], h\n"
            "for i in (0, 1):\n"
            "    g = f['runs/magnitude_s0.60_L2/%d' % i]\n"
            "    S = g['s_pruned'][()]; B = g['dev_bound'][()]; A = g['dev_actual'][()]\n"
            "    assert S.shape == (41, 2)\n"
            "    for k in range(S.shape[0]):\n"
            "        u, h1 = net(W, S[k]); up, _ = net(Wp, S[k])\n"
            "        assert abs(np.linalg.norm(u - up) - A[k]) <= 1e-12 * (1 + abs(A[k]))\n"
            "        bound = dW * C3 * np.linalg.norm(h1)\n"
            "        assert abs(bound - B[k]) <= 1e-10 * bound, (bound, B[k])\n"
            "        assert A[k] <= B[k] * (1 + 1e-12)\n"
            "    x = g['x_orig'][()]; xp = g['x_pruned'][()]\n"
            "    assert np.allclose(g['traj_dev'][()], np.linalg.norm(x - xp, axis=1), rtol=0, "
            "atol=1e-15)\n"
            "    assert np.allclose(g['s_orig'][()], x - g['ref'][()], rtol=0, atol=0)\n"
            "    assert g.attrs['diverged_step'] == -1\n"
            "    # the outcome from the criterion, recomputed: tail = rows k >= 40 - 20\n"
            "    for w in ('orig', 'pruned'):\n"
            "        e = g['track_err_' + w][()]\n"
            "        want = 'converged' if e[20:].max() <= 0.1 else 'bounded'\n"
            "        assert g.attrs['outcome_' + w].decode() == want, (w, g.attrs['outcome_' + w], want)\n"
            "        assert abs(g.attrs['tail_err_' + w] - e[20:].max()) == 0\n"
            "assert f.attrs['criterion_tol'] == 0.1 and f.attrs['criterion_tail'] == 0.5\n"
            "assert np.isinf(f.attrs['criterion_radius']) and f.attrs['horizon'] == 2.0\n"
            "assert set(s['outcome_orig']) <= {0, 1, 2}\n"
            "print('ok')\n";
        char args[1400], pout[256];
        snprintf(args, sizeof args, "'%s'", out);
        CU_ASSERT_EQUAL(pb_test_python(script, args, pout, sizeof pout), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(pout, "ok"));
    }
    /* Deterministic: a second run of the same config gives bit-identical
     * datasets (h5py compares every dataset of both files). */
    if (pb_test_have_python()) {
        const char *out2 = pb_test_path("sim_results2.h5");
        static const char *script =
            "import sys, h5py, numpy as np\n"
            "a = h5py.File(sys.argv[1], 'r'); b = h5py.File(sys.argv[2], 'r')\n"
            "names = []\n"
            "a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)\n"
            "assert len(names) > 100, len(names)\n"
            "for n in names:\n"
            "    x, y = a[n][()], b[n][()]\n"
            "    assert x.dtype == y.dtype and x.shape == y.shape, n\n"
            "    assert x.tobytes() == y.tobytes(), n\n"
            "assert a.attrs['config'] == b.attrs['config']\n"
            "print('same')\n";
        char args[2800], pout[64];
        CU_ASSERT_EQUAL_FATAL(run_cli(results_cfg, out2, buf, sizeof buf), 0);
        snprintf(args, sizeof args, "'%s' '%s'", out, out2);
        CU_ASSERT_EQUAL(pb_test_python(script, args, pout, sizeof pout), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(pout, "same"));
    }
    mlp_free(m);
    plant_free(p);
}


/* RMS of the dataset /runs/<label>/<i>/traj_dev (||x_orig - x_pruned|| at
 * every control step), read with the HDF5 C API; NAN when unreadable. */
static double rms_traj_dev(hid_t fid, const char *label, size_t scenario)
{
    char path[256];
    double buf[1024], sum = 0.0;
    hsize_t n = 0;
    hid_t ds, sp;

    snprintf(path, sizeof path, "/runs/%s/%zu/traj_dev", label, scenario);
    ds = H5Dopen2(fid, path, H5P_DEFAULT);
    if (ds < 0)
        return NAN;
    sp = H5Dget_space(ds);
    H5Sget_simple_extent_dims(sp, &n, NULL);
    H5Sclose(sp);
    if (n == 0 || n > 1024 ||
        H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        H5Dclose(ds);
        return NAN;
    }
    H5Dclose(ds);
    for (hsize_t k = 0; k < n; k++)
        sum += buf[k] * buf[k];
    return sqrt(sum / (double)n);
}

/* Issue 4's closed-loop claim: the shipped quadrotor policy pruned to 50 %
 * by SparseGPT (compensating the kept weights on closed-loop calibration
 * states) stays closer to the original loop than the same policy pruned to
 * 50 % by magnitude, in every scenario of the figure-eight config. */
static void test_quadrotor_sparsegpt_beats_magnitude(void)
{
    const char *out = pb_test_path("quad_methods.h5");
    char cfg[4096], buf[8192];
    struct stat st;
    hid_t fid;

    snprintf(cfg, sizeof cfg, "%s/configs/policies/quadrotor.h5", PB_SOURCE_DIR);
    if (stat(cfg, &st) != 0) {
        pb_test_skip("%s absent; quadrotor comparison skipped", cfg);
        return;
    }
    snprintf(cfg, sizeof cfg,
             "plant = { name = \"quadrotor\"; };\n"
             "simulation = { period = 0.1; horizon = 20.0; };\n"
             "reference = { type = \"figure8\"; radius = 1.0; period = 40.0;"
             " components = [0, 1, 2]; };\n"
             "policy = { file = \"%s/configs/policies/quadrotor.h5\"; };\n"
             "calibration = { trajectories = 8; noise = 0.05; seed = 7; };\n"
             "pruning = ( { method = \"magnitude\"; sparsity = [0.5]; },\n"
             "            { method = \"sparsegpt\"; sparsity = [0.5]; } );\n"
             "scenarios = ( { x0 = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]; },\n"
             "  { x0 = [0.3, -0.3, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]; },\n"
             "  { x0 = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, -0.1, 0.05, 0.0, 0.0, 0.0]; } );\n"
             "seed = 1;\n",
             PB_SOURCE_DIR);
    CU_ASSERT_EQUAL_FATAL(run_cli(cfg, out, buf, sizeof buf), 0);
    fid = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    CU_ASSERT_FATAL(fid >= 0);
    for (size_t i = 0; i < 3; i++) {
        double mag = rms_traj_dev(fid, "magnitude_s0.50", i);
        double sgpt = rms_traj_dev(fid, "sparsegpt_s0.50", i);
        fprintf(stderr, "  scenario %zu: RMS ||x_orig - x_pruned|| magnitude %.3g, sparsegpt %.3g\n",
                i, mag, sgpt);
        CU_ASSERT(isfinite(mag) && isfinite(sgpt));
        CU_ASSERT(sgpt < mag);
    }
    H5Fclose(fid);
}

static const pb_test_case ref_tests[] = {
    {"circle against its formula", test_ref_circle},
    {"figure8 against the lemniscate of Gerono", test_ref_figure8},
    {"setpoint, step and sine", test_ref_step_sine},
    {"reference error paths", test_ref_errors},
    {NULL, NULL}};

static const pb_test_case engine_tests[] = {
    {"original and pruned loops equal hand-written loops bit for bit",
     test_run_matches_single_loop},
    {"sparsity 0 gives zero deviation and zero bound", test_sparsity_zero},
    {"no bound violations over methods, sparsities and layers", test_no_violations},
    {"divergence: NaN after the step, the run goes on", test_divergence},
    {"input disturbance: formula, same for every loop, per scenario", test_disturbance},
    {"a block of scenarios equals one at a time, disturbances included", test_run_block},
    {"bounds.at_orig = false: no deviations at the original's states", test_no_dev_at_orig},
    {"model and calibration error paths", test_model_errors},
    {"criterion: converged, bounded, diverged, still converging", test_criterion},
    {"criterion radius: a loop beyond it diverges", test_criterion_radius},
    {"batched RK4 equals the per-lane GSL path on every plant (1e-12, same steps)",
     test_batched_equals_per_lane},
    {"batched = per lane on the ARCH QUAD controller and its 50 % twin", test_batched_quad},
    {"a sample's rows do not depend on its block", test_block_independent},
    {"per-lane parameters set each lane's limits (stale-limits regression)", test_lane_limits},
    {"a callback policy (LQR) equals a hand-written loop", test_callback_policy},
    {NULL, NULL}};

static const pb_test_case file_tests[] = {
    {"writer: datasets, attributes, table, rename and discard", test_h5_writer},
    {"results file: datasets, shapes, summary, h5py, NumPy bound, determinism", test_results_file},
    {"quadrotor: SparseGPT 50 % stays closer to the original loop than magnitude 50 %",
     test_quadrotor_sparsegpt_beats_magnitude},
    {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {
    {"references", ref_tests}, {"engine", engine_tests}, {"results", file_tests}, {NULL, NULL}};
