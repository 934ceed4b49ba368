/* test_certify.c: the differential certificate of a pair over a set and the
 * differential certified sparsity (sim/certify/certify_pair.h), and
 * `prunebound certify -p` and `--differential` (their JSON fields), against
 * independent oracles:
 *  - a dense 400 x 400 grid of forward passes on 2-input networks of every
 *    activation, boxes and balls: no grid deviation above max_deviation_upper;
 *  - the certificate's own search: the deviation recomputed here at the
 *    returned state is max_deviation_lower, below max_deviation_upper;
 *  - brute force on linear networks with one output, where the deviation is
 *    affine and its maximum over a box is at a corner (long double here):
 *    every grid sparsity pruned by prune_mlp directly, the largest whose
 *    corner maximum is <= eps equals the certified one;
 *  - the certified sparsity never decreases as eps grows. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "certify.h"
#include "certify_pair.h"
#include "certify_states.h"
#include "mlp.h"
#include "mlp_io.h"
#include "pb_test.h"
#include "prune.h"

/* A computed deviation errs by far less than this relative slack. */
#define SLACK 1e-9

/* A random network 2 -> 16 -> 16 -> n_out, hidden layers `act`, output
 * linear; weights N(0, 1.5^2/n_in), biases N(0, 0.1^2). */
static mlp *rand_net(gsl_rng *r, size_t n_in, size_t n_out, mlp_act act)
{
    size_t sizes[] = {n_in, 16, 16, n_out};
    mlp_act acts[] = {act, act, MLP_ACT_LINEAR};
    mlp *m = mlp_alloc(3, sizes, acts, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    for (size_t k = 0; k < 3; k++) {
        mlp_layer *l = &m->layers[k];
        l->alpha = 0.1;
        for (size_t i = 0; i < l->n_out * l->n_in; i++)
            l->W[i] = gsl_ran_gaussian(r, 1.5 / sqrt((double)l->n_in));
        for (size_t i = 0; i < l->n_out; i++)
            l->b[i] = gsl_ran_gaussian(r, 0.1);
    }
    return m;
}

static mlp *prune_at(const mlp *m, const char *method, double s)
{
    prune_options o;
    mlp *p = NULL;
    prune_options_init(&o);
    o.sparsity = s;
    CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find(method), &o, NULL, 0, &p, NULL), PB_SUCCESS);
    return p;
}

/* ||pi(x) - pi^(x)|| by two forward passes. */
static double deviation(const mlp *m, const mlp *p, mlp_work *wm, mlp_work *wp, const double x[])
{
    double u[4], v[4], s = 0.0;
    mlp_eval(m, wm, x, u);
    mlp_eval(p, wp, x, v);
    for (size_t i = 0; i < m->n_out; i++)
        s += (u[i] - v[i]) * (u[i] - v[i]);
    return sqrt(s);
}

/* Dense grid over boxes and balls, every activation, both outputs counts. */
static void test_grid_soundness(void)
{
    const mlp_act acts[] = {MLP_ACT_RELU, MLP_ACT_LEAKY_RELU, MLP_ACT_TANH, MLP_ACT_SIGMOID,
                            MLP_ACT_HARDTANH};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t n_cases = 0;
    gsl_rng_set(r, 3);
    for (size_t a = 0; a < sizeof acts / sizeof *acts; a++) {
        for (int ball = 0; ball < 2; ball++) {
            mlp *m = rand_net(r, 2, 1 + ball, acts[a]);
            mlp *p = prune_at(m, "magnitude", 0.3 + 0.2 * ball);
            mlp_work *wm = mlp_work_alloc(m, 1, NULL), *wp = mlp_work_alloc(p, 1, NULL);
            double lo[2] = {-1.0, -0.5}, hi[2] = {0.5, 1.5}, c[2] = {0.2, -0.3}, R = 0.8;
            double xl[2], grid_max = 0.0, blo[2], bhi[2];
            bounds_set X = {0};
            bounds_diff_opts o;
            bounds_diff_result res;
            pb_error err;
            X.n = 2;
            if (ball) {
                X.kind = BOUNDS_SET_BALL;
                X.radius = R;
                X.center = c;
            } else {
                X.kind = BOUNDS_SET_BOX;
                X.lo = lo;
                X.hi = hi;
            }
            bounds_diff_opts_init(&o);
            o.max_splits = 200;
            CU_ASSERT_EQUAL_FATAL(certify_pair_eval(m, p, &X, &o, xl, &res, &err), PB_SUCCESS);
            CU_ASSERT_EQUAL_FATAL(certify_set_box(m, &X, blo, bhi, &err), PB_SUCCESS);
            /* the ball's bounding box contains [c - R, c + R] */
            if (ball)
                for (size_t j = 0; j < 2; j++)
                    CU_ASSERT(blo[j] <= c[j] - R && bhi[j] >= c[j] + R);
            for (int i = 0; i <= 400; i++) {
                for (int j = 0; j <= 400; j++) {
                    double x[2] = {blo[0] + (bhi[0] - blo[0]) * i / 400.0,
                                   blo[1] + (bhi[1] - blo[1]) * j / 400.0};
                    if (ball && hypot(x[0] - c[0], x[1] - c[1]) > R)
                        continue;
                    grid_max = fmax(grid_max, deviation(m, p, wm, wp, x));
                }
            }
            CU_ASSERT(grid_max <= res.upper * (1.0 + SLACK));
            CU_ASSERT(res.lower <= res.upper * (1.0 + SLACK));
            /* the search's state lies in the box and attains its value */
            for (size_t j = 0; j < 2; j++)
                CU_ASSERT(xl[j] >= blo[j] && xl[j] <= bhi[j]);
            PB_ASSERT_CLOSE(deviation(m, p, wm, wp, xl), res.lower, 1e-9, res.lower_err);
            /* the search is at least as good as the grid, to within its spacing */
            CU_ASSERT(res.lower >= 0.9 * grid_max);
            if (grid_max > res.upper * (1.0 + SLACK))
                fprintf(stderr, "\n  %s ball %d: grid %.17g > upper %.17g\n",
                        mlp_act_name(acts[a]), ball, grid_max, res.upper);
            n_cases++;
            mlp_work_free(wm);
            mlp_work_free(wp);
            mlp_free(m);
            mlp_free(p);
        }
    }
    CU_ASSERT_EQUAL(n_cases, 10);
    gsl_rng_free(r);
}

/* The largest grid sparsity whose corner maximum (long double, affine
 * networks) is <= eps: prune_mlp at every sparsity, nothing of certify. */
static double brute_force(const mlp *m, const double lo[], const double hi[], double eps)
{
    size_t best = 0;
    for (size_t i = 1; i < CERTIFY_GRID; i++) {
        mlp *p = prune_at(m, "magnitude", (double)i / 100.0);
        long double mx = 0.0L;
        for (size_t cidx = 0; cidx < (1u << m->n_in); cidx++) {
            long double dv = 0.0L;
            for (int net = 0; net < 2; net++) {
                const mlp *q = net ? p : m;
                long double cur[16] = {0}, z[16];
                for (size_t j = 0; j < m->n_in; j++)
                    cur[j] = (cidx >> j) & 1 ? hi[j] : lo[j];
                for (size_t k = 0; k < q->n_layers; k++) {
                    const mlp_layer *l = &q->layers[k];
                    for (size_t o = 0; o < l->n_out; o++) {
                        z[o] = l->b[o];
                        for (size_t j = 0; j < l->n_in; j++)
                            z[o] += (long double)l->W[o * l->n_in + j] * cur[j];
                    }
                    memcpy(cur, z, l->n_out * sizeof *z);
                }
                dv += net ? cur[0] : -cur[0];
            }
            mx = fmaxl(mx, fabsl(dv));
        }
        if (mx <= eps)
            best = i;
        mlp_free(p);
    }
    return (double)best / 100.0;
}

/* Linear networks 3 -> 6 -> 1: the certified sparsity equals the brute force,
 * and grows with eps. */
static void test_sparsity_brute_force(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    for (int rep = 0; rep < 3; rep++) {
        size_t sizes[] = {3, 6, 1};
        mlp_act acts[] = {MLP_ACT_LINEAR, MLP_ACT_LINEAR};
        mlp *m = mlp_alloc(2, sizes, acts, NULL);
        double lo[3], hi[3], up[CERTIFY_GRID], low[CERTIFY_GRID], sorted[CERTIFY_GRID];
        double prev = 0.0;
        size_t sel[] = {1, 2};
        bounds_set X = {0};
        bounds_diff_opts o;
        certify_pruning pr = {prune_find("magnitude"), 0, 0};
        certify *c;
        pb_error err;
        for (size_t k = 0; k < 2; k++) {
            mlp_layer *l = &m->layers[k];
            for (size_t i = 0; i < l->n_in * l->n_out; i++)
                l->W[i] = gsl_ran_gaussian(r, 0.7);
            for (size_t i = 0; i < l->n_out; i++)
                l->b[i] = gsl_ran_gaussian(r, 0.5);
        }
        for (size_t j = 0; j < 3; j++) {
            lo[j] = gsl_ran_gaussian(r, 1.0);
            hi[j] = lo[j] + 0.5 + gsl_rng_uniform(r);
        }
        X.kind = BOUNDS_SET_BOX;
        X.n = 3;
        X.lo = lo;
        X.hi = hi;
        c = certify_alloc(m, &X, 1.0, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        bounds_diff_opts_init(&o);
        o.max_splits = 0; /* affine: the root bound is exact to rounding */
        CU_ASSERT_EQUAL_FATAL(
            certify_diff_profile(c, &pr, sel, 2, lo, hi, &o, up, low, &err), PB_SUCCESS);
        CU_ASSERT_EQUAL(up[0], 0.0);
        for (size_t i = 0; i < CERTIFY_GRID; i++)
            CU_ASSERT(low[i] <= up[i] * (1.0 + SLACK));
        /* eps halfway between consecutive distinct values of the profile (no
         * rounding tie), plus eps below and above all of them */
        memcpy(sorted, up, sizeof up);
        for (size_t i = 1; i < CERTIFY_GRID; i++)
            for (size_t j = i; j > 0 && sorted[j] < sorted[j - 1]; j--) {
                double t = sorted[j];
                sorted[j] = sorted[j - 1];
                sorted[j - 1] = t;
            }
        for (size_t i = 0; i <= CERTIFY_GRID; i++) {
            double eps, got;
            if (i == 0)
                eps = sorted[1] > 0 ? 0.5 * sorted[1] : 1e-300;
            else if (i == CERTIFY_GRID)
                eps = 2.0 * sorted[CERTIFY_GRID - 1] + 1.0;
            else if (sorted[i] - sorted[i - 1] > 1e-6 * sorted[i])
                eps = 0.5 * (sorted[i] + sorted[i - 1]);
            else
                continue;
            got = certify_diff_sparsity(up, eps);
            CU_ASSERT(got >= prev); /* monotone in eps */
            prev = got;
            if (rep == 0 || i % 7 == 0) /* the brute force prunes 99 times */
                PB_ASSERT_CLOSE(got, brute_force(m, lo, hi, eps), 0.0, 1e-12);
            /* the empirical sparsity is never below the certified one */
            CU_ASSERT(certify_diff_sparsity(low, eps) >= got);
        }
        certify_free(c);
        mlp_free(m);
    }
    gsl_rng_free(r);
}

/* Monotone in eps on a tanh network, the profile's upper sound against the
 * search at every sparsity, and N:M refused. */
static void test_sparsity_monotone(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    mlp *m;
    double lo[2] = {-1.0, -1.0}, hi[2] = {1.0, 1.0}, up[CERTIFY_GRID], low[CERTIFY_GRID];
    double prev = 0.0;
    size_t sel[] = {1, 2, 3};
    bounds_set X = {0};
    bounds_diff_opts o;
    certify_pruning pr = {prune_find("magnitude"), 0, 0};
    certify *c;
    pb_error err;
    gsl_rng_set(r, 5);
    m = rand_net(r, 2, 1, MLP_ACT_TANH);
    X.kind = BOUNDS_SET_BOX;
    X.n = 2;
    X.lo = lo;
    X.hi = hi;
    c = certify_alloc(m, &X, 0.1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    bounds_diff_opts_init(&o);
    o.max_splits = 50;
    CU_ASSERT_EQUAL_FATAL(certify_diff_profile(c, &pr, sel, 3, lo, hi, &o, up, low, &err),
                          PB_SUCCESS);
    for (size_t i = 0; i < CERTIFY_GRID; i++)
        CU_ASSERT(low[i] <= up[i] * (1.0 + SLACK));
    for (double eps = 1e-4; eps < 10.0; eps *= 1.25) {
        double got = certify_diff_sparsity(up, eps);
        CU_ASSERT(got >= prev);
        CU_ASSERT(got == 0.0 || up[(size_t)lround(100 * got)] <= eps);
        prev = got;
    }
    CU_ASSERT(prev > 0.9); /* every sparsity is certified at eps ~ 10 */
    pr.nm_n = 2;
    pr.nm_m = 4;
    CU_ASSERT_EQUAL(certify_diff_profile(c, &pr, sel, 3, lo, hi, &o, up, low, &err), PB_EINVAL);
    certify_free(c);
    mlp_free(m);
    gsl_rng_free(r);
}

/* Runs `prunebound ARGS` with stdout into out (cap bytes); the exit status. */
static int run_cli(const char *args, char *out, size_t cap)
{
    char cmd[2048];
    FILE *f;
    size_t n;
    int st;
    snprintf(cmd, sizeof cmd, "%s/prunebound %s 2>%s", PB_BINARY_DIR, args,
             pb_test_path("stderr.txt"));
    f = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* `certify -p --json`: the fields, sound against a grid, the state attaining
 * the lower bound; `--differential --json`: the three sparsities; refusals. */
static void test_cmd_certify_pair(void)
{
    static char out[1 << 16];
    char args[1024];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    mlp *m, *p;
    mlp_work *wm, *wp;
    json_t *doc, *st;
    json_error_t jerr;
    double up, lowv, xl[2], grid_max = 0.0;
    const char *mo = NULL, *po = NULL;
    gsl_rng_set(r, 21);
    m = rand_net(r, 2, 2, MLP_ACT_TANH);
    p = prune_at(m, "magnitude", 0.5);
    mo = strdup(pb_test_path("orig.h5"));
    po = strdup(pb_test_path("pruned.h5"));
    CU_ASSERT_EQUAL_FATAL(mlp_write_h5(m, mo, NULL), PB_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(mlp_write_h5(p, po, NULL), PB_SUCCESS);
    wm = mlp_work_alloc(m, 1, NULL);
    wp = mlp_work_alloc(p, 1, NULL);

    snprintf(args, sizeof args, "certify -m %s -p %s --box -1,0.5,-0.5,1 --budget 300 --eps 10 --json",
             mo, po);
    CU_ASSERT_EQUAL_FATAL(run_cli(args, out, sizeof out), 0);
    doc = json_loads(out, 0, &jerr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    up = json_real_value(json_object_get(doc, "max_deviation_upper"));
    lowv = json_real_value(json_object_get(doc, "max_deviation_lower"));
    st = json_object_get(doc, "state");
    CU_ASSERT_EQUAL_FATAL(json_array_size(st), 2);
    xl[0] = json_real_value(json_array_get(st, 0));
    xl[1] = json_real_value(json_array_get(st, 1));
    CU_ASSERT(xl[0] >= -1 && xl[0] <= 0.5 && xl[1] >= -0.5 && xl[1] <= 1);
    PB_ASSERT_CLOSE(deviation(m, p, wm, wp, xl), lowv, 1e-9, 0.0);
    for (int i = 0; i <= 200; i++)
        for (int j = 0; j <= 200; j++) {
            double x[2] = {-1.0 + 1.5 * i / 200.0, -0.5 + 1.5 * j / 200.0};
            grid_max = fmax(grid_max, deviation(m, p, wm, wp, x));
        }
    CU_ASSERT(grid_max <= up * (1.0 + SLACK));
    CU_ASSERT(lowv > 0.0 && lowv <= up);
    CU_ASSERT(json_is_true(json_object_get(doc, "certified")) == (up <= 10.0));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "region")), "box");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(doc, "budget_splits")), 300);
    json_decref(doc);

    /* a ball: certified over its bounding box, and said so */
    snprintf(args, sizeof args, "certify -m %s -p %s --radius 0.5 --center 0.1,0.2 --json", mo, po);
    CU_ASSERT_EQUAL_FATAL(run_cli(args, out, sizeof out), 0);
    doc = json_loads(out, 0, &jerr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "region")),
                           "bounding box of the ball");
    CU_ASSERT_PTR_NULL(json_object_get(doc, "certified")); /* no --eps */
    json_decref(doc);

    /* the table */
    snprintf(args, sizeof args, "certify -m %s -p %s --box -1,0.5,-0.5,1", mo, po);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "max_deviation_upper"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "max_deviation_lower"));

    /* --differential: paper form <= differential <= empirical is not a
     * theorem for the first pair, but differential <= empirical is */
    snprintf(args, sizeof args,
             "certify -m %s --eps 0.05 --box -1,0.5,-0.5,1 --method magnitude --differential "
             "--budget 20 --json",
             mo);
    CU_ASSERT_EQUAL_FATAL(run_cli(args, out, sizeof out), 0);
    doc = json_loads(out, 0, &jerr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    {
        json_t *d = json_object_get(json_array_get(json_object_get(doc, "methods"), 0),
                                    "differential");
        double ps, ds, es;
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        ps = json_real_value(json_object_get(d, "paper_sparsity"));
        ds = json_real_value(json_object_get(d, "sparsity"));
        es = json_real_value(json_object_get(d, "empirical_sparsity"));
        CU_ASSERT(ds <= es);
        CU_ASSERT(ps >= 0.0 && ps < 1.0);
        CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "max_deviation_upper")), CERTIFY_GRID);
        /* the differential sparsity, pruned as `prune` prunes it, is certified */
        {
            mlp *q = prune_at(m, "magnitude", ds);
            mlp_work *wq = mlp_work_alloc(q, 1, NULL);
            double gm = 0.0;
            for (int i = 0; i <= 100; i++)
                for (int j = 0; j <= 100; j++) {
                    double x[2] = {-1.0 + 1.5 * i / 100.0, -0.5 + 1.5 * j / 100.0};
                    gm = fmax(gm, deviation(m, q, wm, wq, x));
                }
            CU_ASSERT(gm <= 0.05);
            mlp_work_free(wq);
            mlp_free(q);
        }
    }
    json_decref(doc);

    /* refusals */
    snprintf(args, sizeof args, "certify -m %s -p %s --box 0,1,0,1 --method magnitude", mo, po);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "certify -m %s --eps 1 --box 0,1,0,1 --differential", mo);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "certify -m %s -p %s --box 0,1,0,1 --budget -1", mo, po);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "certify -m %s -p %s --box 0,1", mo, po);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof out), 2);

    mlp_work_free(wm);
    mlp_work_free(wp);
    mlp_free(m);
    mlp_free(p);
    free((void *)mo);
    free((void *)po);
    gsl_rng_free(r);
}

/* `bound`'s dev_bound_local: never above dev_bound, never below the pair's
 * own deviation (the actual dW has the norms it is valid for), on random
 * states of networks of every activation. */
static void test_states_local(void)
{
    const mlp_act acts[] = {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_SIGMOID};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double X[200 * 3];
    size_t below = 0;
    gsl_rng_set(r, 8);
    for (size_t i = 0; i < 200 * 3; i++)
        X[i] = gsl_ran_gaussian(r, 1.0);
    for (size_t a = 0; a < 3; a++) {
        mlp *m = rand_net(r, 3, 2, acts[a]), *p = prune_at(m, "magnitude", 0.2 + 0.3 * a);
        certify_states *st = certify_states_alloc(m, p, 200, X, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(st);
        certify_states_step(st, 200);
        for (size_t i = 0; i < 200; i++) {
            CU_ASSERT(st->local[i] <= st->bound[i]);
            CU_ASSERT(st->actual[i] - st->actual_err[i] <= st->local[i]);
            below += st->local[i] < st->bound[i];
        }
        CU_ASSERT(st->max_local <= st->max_bound);
        certify_states_free(st);
        mlp_free(m);
        mlp_free(p);
    }
    fprintf(stderr, "\n  dev_bound_local < dev_bound at %zu of 600 states\n", below);
    gsl_rng_free(r);
}

/* What a progress hook saw: the calls in order. */
typedef struct progress_log {
    size_t n, done[256], total[256];
} progress_log;

static void log_progress(void *ctx, size_t done, size_t total)
{
    progress_log *g = ctx;
    if (g->n < 256) {
        g->done[g->n] = done;
        g->total[g->n] = total;
    }
    g->n++;
}

/* The progress hooks: certify_search reports one call per bisection step on
 * the 100-point grid (between floor(log2 100) = 6 and ceil(log2 100) = 7),
 * done counting 0, 1, ..., then total = done = CERTIFY_SEARCH_STEPS once;
 * certify_diff_profile reports i before every grid sparsity, then 100; and
 * the hook changes no result. */
static void test_progress_hooks(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    mlp *m;
    double lo[2] = {-1.0, -1.0}, hi[2] = {1.0, 1.0};
    double up[CERTIFY_GRID], low[CERTIFY_GRID], up2[CERTIFY_GRID], low2[CERTIFY_GRID];
    double best0, val0, best1, val1;
    size_t sel[] = {1, 2, 3};
    bounds_set X = {0};
    bounds_diff_opts o;
    certify_pruning pr = {prune_find("magnitude"), 0, 0};
    progress_log g = {0};
    certify *c;
    pb_error err;

    gsl_rng_set(r, 7);
    m = rand_net(r, 2, 1, MLP_ACT_TANH);
    X.kind = BOUNDS_SET_BOX;
    X.n = 2;
    X.lo = lo;
    X.hi = hi;
    c = certify_alloc(m, &X, 0.1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_PTR_NULL(c->progress); /* silent by default */
    CU_ASSERT_EQUAL_FATAL(certify_search(c, &pr, sel, 3, &best0, &val0, &err), PB_SUCCESS);
    c->progress = log_progress;
    c->progress_ctx = &g;
    CU_ASSERT_EQUAL_FATAL(certify_search(c, &pr, sel, 3, &best1, &val1, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(best0, best1);
    CU_ASSERT_EQUAL(val0, val1);
    CU_ASSERT(g.n >= 7 && g.n <= 8);
    for (size_t i = 0; i + 1 < g.n; i++) {
        CU_ASSERT_EQUAL(g.done[i], i);
        CU_ASSERT_EQUAL(g.total[i], 7);
    }
    CU_ASSERT_EQUAL(g.done[g.n - 1], 7);
    CU_ASSERT_EQUAL(g.total[g.n - 1], 7);

    bounds_diff_opts_init(&o);
    o.max_splits = 10;
    g.n = 0;
    CU_ASSERT_EQUAL_FATAL(certify_diff_profile(c, &pr, sel, 3, lo, hi, &o, up, low, &err),
                          PB_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(g.n, CERTIFY_GRID + 1);
    for (size_t i = 0; i <= CERTIFY_GRID; i++) {
        CU_ASSERT_EQUAL(g.done[i], i);
        CU_ASSERT_EQUAL(g.total[i], CERTIFY_GRID);
    }
    c->progress = NULL;
    CU_ASSERT_EQUAL_FATAL(certify_diff_profile(c, &pr, sel, 3, lo, hi, &o, up2, low2, &err),
                          PB_SUCCESS);
    CU_ASSERT_EQUAL(memcmp(up, up2, sizeof up), 0);
    CU_ASSERT_EQUAL(memcmp(low, low2, sizeof low), 0);
    certify_free(c);
    mlp_free(m);
    gsl_rng_free(r);
}

static const pb_test_case certify_tests[] = {
    {"states_local", test_states_local},
    {"grid_soundness", test_grid_soundness},
    {"sparsity_brute_force", test_sparsity_brute_force},
    {"sparsity_monotone", test_sparsity_monotone},
    {"cmd_certify_pair", test_cmd_certify_pair},
    {"progress_hooks", test_progress_hooks},
    {NULL, NULL},
};

const pb_test_suite pb_test_suites[] = {
    {"certify", certify_tests},
    {NULL, NULL},
};
