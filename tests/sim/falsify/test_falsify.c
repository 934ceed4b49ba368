/* test_falsify.c: sim/falsify.  A planted violation in a tiny corner of the
 * box (found within the budget; a uniform sampler would need ~1/area
 * draws); the reported robustness equals an independent recomputation from
 * the engine's traces (sim_run) through spec_eval_traj; determinism for a
 * seed, serial and on two threads at once; --broken finds a point where the
 * original satisfies and the pruned loop does not. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "falsify.h"
#include "pb_test.h"
#include "plant.h"
#include "sim.h"
#include "spec.h"

#define PERIOD 0.05

/* A 2 -> 4 -> 1 network: u = gain * x0 through a linear hidden layer (a
 * pruned twin has gain 0 and the same shapes). */
static mlp *net_new(double gain)
{
    size_t sizes[3] = {2, 4, 1};
    mlp_act acts[2] = {MLP_ACT_LINEAR, MLP_ACT_LINEAR};
    mlp *m = mlp_alloc(2, sizes, acts, NULL);
    if (!m)
        return NULL;
    m->layers[0].W[0] = 1.0; /* h0 = x0 */
    m->layers[1].W[0] = gain;
    return m;
}

typedef struct fixture {
    plant *p;
    mlp *orig, *pruned;
    sim_model *m;
    spec s;
} fixture;

/* The frictionless pendulum for 0.5 s; the spec: avoid the corner
 * theta in [0.99, 1], omega in [0.99, 1] at t = 0 of the box [0, 1]^2
 * (1e-4 of its area), and stay in |theta| <= 3 over [0, 0.5]. */
static int fixture_init(fixture *f, double gain_orig, double gain_pruned)
{
    const plant_type *t = plant_find("pendulum");
    plant_integrator in;
    sim_criterion c;
    sim_ref ref;
    sim_variant var;
    double zero[2] = {0.0, 0.0};

    memset(f, 0, sizeof *f);
    if (!t || !(f->p = plant_alloc(t)) || !(f->orig = net_new(gain_orig)) ||
        !(f->pruned = net_new(gain_pruned)))
        return -1;
    plant_integrator_init(&in);
    sim_criterion_init(&c);
    sim_ref_init_setpoint(&ref, 2, zero);
    memset(&var, 0, sizeof var);
    snprintf(var.label, sizeof var.label, "pruned");
    snprintf(var.method, sizeof var.method, "magnitude");
    snprintf(var.pattern, sizeof var.pattern, "unstructured");
    var.net = f->pruned;
    f->m = sim_model_alloc(f->p, &in, PERIOD, 0.5, &ref, SIM_INPUT_STATE, &c,
                           &(sim_policy){f->orig, NULL, NULL}, 1, &var, NULL);
    if (!f->m)
        return -1;
    f->s.n = 2;
    snprintf(f->s.props[0].name, SPEC_NAME_MAX, "corner");
    f->s.props[0].op = SPEC_AVOID;
    f->s.props[0].a = f->s.props[0].b = 0.0;
    f->s.props[0].pred.nx = 2;
    f->s.props[0].pred.lo[0] = f->s.props[0].pred.lo[1] = 0.99;
    f->s.props[0].pred.hi[0] = f->s.props[0].pred.hi[1] = 1.0;
    snprintf(f->s.props[1].name, SPEC_NAME_MAX, "upright");
    f->s.props[1].op = SPEC_ALWAYS;
    f->s.props[1].a = 0.0;
    f->s.props[1].b = 0.5;
    f->s.props[1].pred.nx = 2;
    f->s.props[1].pred.lo[0] = -3.0;
    f->s.props[1].pred.hi[0] = 3.0;
    f->s.props[1].pred.lo[1] = -INFINITY;
    f->s.props[1].pred.hi[1] = INFINITY;
    return spec_validate(&f->s, PERIOD, f->m->n_steps, NULL);
}

static void fixture_free(fixture *f)
{
    sim_model_free(f->m);
    mlp_free(f->orig);
    mlp_free(f->pruned);
    plant_free(f->p);
}

static void opts_box(falsify_opts *o, size_t policy, int broken, size_t budget, unsigned long seed)
{
    memset(o, 0, sizeof *o);
    o->lo[0] = o->lo[1] = 0.0;
    o->hi[0] = o->hi[1] = 1.0;
    o->policy = policy;
    o->broken = broken;
    o->budget = budget;
    o->seed = seed;
}

static int search(const fixture *f, const falsify_opts *o, falsify_result *r)
{
    pb_error err;
    falsify *s = falsify_alloc(f->m, &f->s, o, &err);
    int rc = PB_SUCCESS;
    if (!s)
        return err.code;
    while (rc == PB_SUCCESS && !falsify_is_done(s))
        rc = falsify_step(s, &err);
    falsify_get_result(s, r);
    falsify_free(s);
    return rc;
}

/* The robustness of both loops from x0, recomputed from sim_run's traces. */
static void oracle(const fixture *f, const double x0[], double *rob_orig, double *rob_pruned)
{
    sim_data *d = sim_data_alloc(f->m, 1, NULL);
    sim_result *r = sim_result_alloc(f->m, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(sim_run(f->m, d, 1, 0, x0, &r, NULL), PB_SUCCESS);
    *rob_orig = spec_eval_traj(&f->s, PERIOD, f->m->n_steps, r->orig.x, 2, NULL);
    *rob_pruned = spec_eval_traj(&f->s, PERIOD, f->m->n_steps, r->cmp[0].pruned.x, 2, NULL);
    sim_result_free(r);
    sim_data_free(d);
}

static void test_planted_corner(void)
{
    fixture f;
    falsify_opts o;
    falsify_result r;
    double ro, rp;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, 0.0, 0.0), 0);
    opts_box(&o, 0, 0, 400, 7);
    CU_ASSERT_EQUAL_FATAL(search(&f, &o, &r), PB_SUCCESS);
    CU_ASSERT(r.found);
    CU_ASSERT(r.evaluations <= 400);
    /* inside the corner (the boundary counts: robustness 0 is a violation) */
    CU_ASSERT(r.x0[0] >= 0.99 && r.x0[1] >= 0.99);
    CU_ASSERT(r.robustness <= 0.0);
    oracle(&f, r.x0, &ro, &rp);
    CU_ASSERT_EQUAL(r.robustness, ro);
    CU_ASSERT_EQUAL(r.robustness_original, ro);
    fprintf(stderr, "(found at (%g, %g) after %zu evaluations) ", r.x0[0], r.x0[1],
            r.evaluations);
    /* outside the corner there is nothing to find: the search spends its budget */
    o.hi[0] = 0.98;
    CU_ASSERT_EQUAL_FATAL(search(&f, &o, &r), PB_SUCCESS);
    CU_ASSERT_FALSE(r.found);
    CU_ASSERT_EQUAL(r.evaluations, 400);
    /* the minimum is near the corner's distance 0.01 (the nearest point (0.98, 1)) */
    PB_ASSERT_CLOSE(r.robustness, 0.01, 1e-3, 0.0);
    oracle(&f, r.x0, &ro, &rp);
    CU_ASSERT_EQUAL(r.robustness, ro);
    fixture_free(&f);
}

static void test_deterministic(void)
{
    fixture f;
    falsify_opts o;
    falsify_result a, b, c;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, 0.0, 0.0), 0);
    opts_box(&o, 1, 0, 150, 3);
    o.hi[0] = 0.98;
    CU_ASSERT_EQUAL(search(&f, &o, &a), PB_SUCCESS);
    CU_ASSERT_EQUAL(search(&f, &o, &b), PB_SUCCESS);
    CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof a), 0);
    /* the seed matters: within one batch of uniform draws the best points differ */
    o.budget = 20;
    CU_ASSERT_EQUAL(search(&f, &o, &a), PB_SUCCESS);
    o.seed = 4;
    CU_ASSERT_EQUAL(search(&f, &o, &c), PB_SUCCESS);
    CU_ASSERT(memcmp(a.x0, c.x0, sizeof a.x0) != 0);
    fixture_free(&f);
}

typedef struct thread_arg {
    const fixture *f;
    falsify_opts o;
    falsify_result r;
    int rc;
} thread_arg;

static void *thread_main(void *p)
{
    thread_arg *a = p;
    a->rc = search(a->f, &a->o, &a->r);
    return NULL;
}

static void test_threads(void)
{
    fixture f;
    thread_arg a[2];
    pthread_t t[2];
    falsify_result serial[2];

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, 0.0, 0.0), 0);
    for (int i = 0; i < 2; i++) {
        a[i].f = &f;
        opts_box(&a[i].o, 0, 0, 120, 10 + (unsigned long)i);
        a[i].o.hi[1] = 0.97;
        CU_ASSERT_EQUAL(search(&f, &a[i].o, &serial[i]), PB_SUCCESS);
    }
    for (int i = 0; i < 2; i++)
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, thread_main, &a[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT_EQUAL(a[i].rc, PB_SUCCESS);
        CU_ASSERT_EQUAL(memcmp(&a[i].r, &serial[i], sizeof serial[i]), 0);
    }
    fixture_free(&f);
}

/* The original holds the pendulum (u = -20 theta), the pruned twin is zero:
 * from theta near 1 with omega up, the unforced pendulum (g/L = 2 / 1) falls
 * past 3 rad within 0.5 s only from some initial states. */
static void test_broken(void)
{
    fixture f;
    falsify_opts o;
    falsify_result r;
    double ro, rp;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, -20.0, 0.0), 0);
    /* the corner property is moot here: move it out of the box */
    f.s.props[0].pred.lo[0] = f.s.props[0].pred.hi[0] = 50.0;
    opts_box(&o, 1, 1, 300, 5);
    o.hi[0] = 2.9;
    o.hi[1] = 6.0;
    CU_ASSERT_EQUAL_FATAL(search(&f, &o, &r), PB_SUCCESS);
    oracle(&f, r.x0, &ro, &rp);
    CU_ASSERT_EQUAL(r.robustness, rp);
    CU_ASSERT_EQUAL(r.robustness_original, ro);
    CU_ASSERT(r.found);
    CU_ASSERT(spec_is_satisfied(ro) && !spec_is_satisfied(rp));
    fprintf(stderr, "(rho orig %g, pruned %g at (%g, %g)) ", ro, rp, r.x0[0], r.x0[1]);
    fixture_free(&f);
}

static void test_refusals(void)
{
    fixture f;
    falsify_opts o;
    pb_error err;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, 0.0, 0.0), 0);
    opts_box(&o, 0, 1, 10, 1);
    CU_ASSERT_PTR_NULL(falsify_alloc(f.m, &f.s, &o, &err)); /* broken without a variant */
    CU_ASSERT_EQUAL(err.code, PB_EINVAL);
    opts_box(&o, 2, 0, 10, 1);
    CU_ASSERT_PTR_NULL(falsify_alloc(f.m, &f.s, &o, &err));
    opts_box(&o, 0, 0, 0, 1);
    CU_ASSERT_PTR_NULL(falsify_alloc(f.m, &f.s, &o, &err));
    opts_box(&o, 0, 0, 10, 1);
    o.lo[1] = 2.0;
    CU_ASSERT_PTR_NULL(falsify_alloc(f.m, &f.s, &o, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "box"));
    fixture_free(&f);
}

/* Through the command line on the ARCH single pendulum (skipped without the
 * benchmarks): the montecarlo aggregates equal a recount of the rows
 * (numpy over /summary), on 1 and 2 threads alike; `falsify --json` reports
 * the published verdicts. */
static void test_cli_recount(void)
{
    static const char script[] =
        "import sys, h5py, numpy as np\n"
        "f = h5py.File(sys.argv[1], 'r'); s = f['summary'][:]; a = f['aggregates'][:]\n"
        "ok = True\n"
        "for v in range(len(a)):\n"
        "    r = s[s['variant'] == v]; n = len(r)\n"
        "    so = int(np.sum(r['spec_satisfied_orig'] == 1)); sp = int(np.sum(r['spec_satisfied_pruned'] == 1))\n"
        "    br = int(np.sum((r['spec_satisfied_orig'] == 1) & (r['spec_satisfied_pruned'] == 0)))\n"
        "    rp = int(np.sum((r['spec_satisfied_orig'] == 0) & (r['spec_satisfied_pruned'] == 1)))\n"
        "    ok &= bool(np.all((r['spec_robustness_orig'] > 0) == (r['spec_satisfied_orig'] == 1)))\n"
        "    ok &= bool(np.all((r['spec_robustness_pruned'] > 0) == (r['spec_satisfied_pruned'] == 1)))\n"
        "    g = a[v]\n"
        "    ok &= (g['spec_satisfied_orig'], g['spec_satisfied_pruned'], g['spec_broken'], g['spec_repaired']) == (so, sp, br, rp)\n"
        "    ok &= abs(g['spec_rate_pruned'] - sp / n) < 1e-15 and abs(g['spec_broken_rate'] - br / n) < 1e-15\n"
        "    ok &= g['spec_rate_pruned_lo'] - 1e-12 <= sp / n <= g['spec_rate_pruned_hi'] + 1e-12  # Wilson (rounded)\n"
        "print('broken', int(np.sum(a['spec_broken'])))\n"
        "sys.exit(0 if ok else 1)\n";
    char out[8192], args[1600], cmd[1600];
    const char *f1 = pb_test_path("sp1.h5"), *f2 = pb_test_path("sp2.h5");

    if (!pb_test_arch_dir()) {
        pb_test_skip("the ARCH-COMP benchmarks are absent");
        return;
    }
    if (!pb_test_have_python()) {
        pb_test_skip("python3 with numpy and h5py is absent");
        return;
    }
    snprintf(cmd, sizeof cmd, "montecarlo %s/configs/arch/single_pendulum.cfg --samples 300 --threads 1 -o %s",
             PB_SOURCE_DIR, f1);
    CU_ASSERT_EQUAL_FATAL(pb_test_run(NULL, cmd, out, sizeof out), 0);
    snprintf(cmd, sizeof cmd, "montecarlo %s/configs/arch/single_pendulum.cfg --samples 300 --threads 2 -o %s",
             PB_SOURCE_DIR, f2);
    CU_ASSERT_EQUAL_FATAL(pb_test_run(NULL, cmd, out, sizeof out), 0);
    snprintf(args, sizeof args, "%s", f1);
    CU_ASSERT_EQUAL(pb_test_python(script, args, out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "broken"));
    /* the rows of 1 and 2 threads are the same bits */
    snprintf(args, sizeof args, "%s %s", f1, f2);
    CU_ASSERT_EQUAL(pb_test_python("import sys, h5py, numpy as np\n"
                                   "a = h5py.File(sys.argv[1], 'r')['summary'][:]\n"
                                   "b = h5py.File(sys.argv[2], 'r')['summary'][:]\n"
                                   "sys.exit(0 if a.tobytes() == b.tobytes() else 1)\n",
                                   args, NULL, 0),
                    0);
    /* the published verdicts of the single pendulum */
    snprintf(cmd, sizeof cmd, "falsify %s/configs/arch/single_pendulum.cfg --budget 300 --json",
             PB_SOURCE_DIR);
    CU_ASSERT_EQUAL(pb_test_run(NULL, cmd, out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"found\": false"));
    snprintf(cmd, sizeof cmd,
             "falsify %s/configs/arch/single_pendulum.cfg --box 1.0,1.2,0,0.2 --budget 300 --json",
             PB_SOURCE_DIR);
    CU_ASSERT_EQUAL(pb_test_run(NULL, cmd, out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"found\": true"));
}

static const pb_test_case falsify_tests[] = {
    {"a planted violation in a 1e-4 corner, within the budget", test_planted_corner},
    {"deterministic for a seed", test_deterministic},
    {"two threads at once = serial", test_threads},
    {"--broken: original satisfies, pruned violates", test_broken},
    {"refusals", test_refusals},
    {"CLI: rates = recount of the rows; single pendulum verdicts", test_cli_recount},
    {NULL, NULL},
};

const pb_test_suite pb_test_suites[] = {
    {"falsify", falsify_tests},
    {NULL, NULL},
};
