/* test_mc.c: Monte Carlo studies (sim/mc/mc_study.h, `prunebound montecarlo`).
 *
 * Oracles: SciPy's Wilson interval (binomtest(...).proportion_ci), NumPy
 * rates, quantiles and maxima recomputed from the rows of the file, closed
 * loops whose outcome follows from the physics (a constant torque spins the
 * pendulum away; the upright rest with zero torque stays there), and
 * bit-for-bit equality (raw bytes through h5py) between thread counts, between
 * a sample run alone and inside a chunk, and between interrupted (SIGINT,
 * SIGKILL) + resumed studies and uninterrupted ones. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "mc_study.h"
#include "mlp.h"
#include "mlp_io.h"
#include "pb_test.h"
#include "plant.h"
#include "sim.h"

#define OUT_MAX 16384
#define Z95     1.959963984540054

static char policy_path[1024];

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Runs "prunebound ARGS" with stderr merged; exit status or -1. */
static int run(const char *args, char *out, size_t len)
{
    return pb_test_run(NULL, args, out, len);
}

/* The common part of every test config: the shipped pendulum policy (or
 * `policy`), fixed-step RK4, a 2 s horizon, magnitude pruning at 0, 0.5 and
 * 0.75; `mc` is the body of the montecarlo section. */
static const char *write_cfg(const char *name, const char *policy, const char *pruning,
                             const char *mc)
{
    const char *path = pb_test_path(name);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fprintf(f,
            "plant = { name = \"pendulum\"; };\n"
            "simulation = { period = 0.05; horizon = 2.0;\n"
            "  integrator = { method = \"rk4\"; substeps = 4; }; };\n"
            "reference = { type = \"setpoint\"; values = [0.0, 0.0]; };\n"
            "policy = { file = \"%s\"; input = \"error\"; };\n"
            "pruning = ( %s );\n"
            "scenarios = ( { x0 = [0.1, 0.0]; } );\n"
            "bounds = { eps = 0.5; };\n"
            "criterion = { tol = 0.05; tail = 0.25; radius = 100.0; };\n"
            "montecarlo = { %s };\n"
            "seed = 1;\n",
            policy ? policy : policy_path,
            pruning ? pruning : "{ method = \"magnitude\"; sparsity = [0.0, 0.5, 0.75]; }", mc);
    fclose(f);
    return path;
}

static const char *MC_BOX =
    "samples = 120; chunk = 16; seed = 3;\n"
    "  sampler = { type = \"box\"; low = [-1.0, -2.0]; high = [1.0, 2.0]; };\n"
    "  params = ( { name = \"m\"; rel = 0.2; } );\n"
    "  input_noise = 0.01; measurement_noise = 0.001;";

static void fixtures(void)
{
    static int done;
    if (done++)
        return;
    /* Polls read partial files while a study writes them (samples_done). */
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1);
    /* A snapshot of the shipped policy: every run of this process uses the same bytes. */
    {
        char src[1200];
        mlp *m = NULL;
        snprintf(src, sizeof src, "%s/configs/policies/pendulum.h5", PB_SOURCE_DIR);
        snprintf(policy_path, sizeof policy_path, "%s", pb_test_path("pendulum_policy.h5"));
        CU_ASSERT_EQUAL_FATAL(mlp_read_h5(src, &m, NULL), 0);
        CU_ASSERT_EQUAL_FATAL(mlp_write_h5(m, policy_path, NULL), 0);
        mlp_free(m);
    }
    CU_ASSERT_FATAL(pb_test_have_python());
}

/* Python: files a and b hold the same bytes in every dataset of the study. */
static const char *PY_SAME =
    "import sys, h5py\n"
    "a, b = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')\n"
    "names = []\n"
    "a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)\n"
    "bn = []\n"
    "b.visititems(lambda n, o: bn.append(n) if isinstance(o, h5py.Dataset) else None)\n"
    "assert sorted(names) == sorted(bn), (names, bn)\n"
    "for n in names:\n"
    "    x, y = a[n][()], b[n][()]\n"
    "    assert x.dtype == y.dtype and x.shape == y.shape, n\n"
    "    assert x.tobytes() == y.tobytes(), 'dataset %s differs' % n\n"
    "assert a['summary'].shape[0] > 0\n"
    "print('same', len(names))\n";

static int same_files(const char *a, const char *b)
{
    char args[2 * 1400 + 8], out[4096];
    int rc;
    snprintf(args, sizeof args, "'%s' '%s'", a, b);
    rc = pb_test_python(PY_SAME, args, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "\nsame_files(%s, %s): %s\n", a, b, out);
    return rc == 0;
}

/* sim_model_alloc with an MLP original and the criterion (tol, tail 0.25, radius). */
static sim_model *model_new(const plant *pl, const plant_integrator *integ, double period,
                            double horizon, const sim_ref *ref, double tol, double radius,
                            const mlp *net, size_t nv, const sim_variant *v)
{
    sim_criterion c;
    sim_criterion_init(&c);
    c.tol = tol;
    c.radius = radius;
    return sim_model_alloc(pl, integ, period, horizon, ref, SIM_INPUT_ERROR, &c,
                           &(sim_policy){net, NULL, NULL}, nv, v, NULL);
}

/* Sample `index` alone: a block of one. */
static int sample_run(const mc_study *s, mc_work *w, size_t index, mc_row rows[], double x0[],
                      double p[], pb_error *err)
{
    return mc_block_run(s, w, index, 1, rows, x0, p, NULL, err);
}

/* ---- Wilson interval ---- */

static void test_wilson_scipy(void)
{
    static const size_t cases[][2] = {{7, 20},   {0, 10},     {10, 10},  {50, 100},
                                      {1, 1000}, {999, 1000}, {3, 3000}, {1234, 5678}};
    char out[4096], args[1024] = "";

    fixtures();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t used = strlen(args);
        snprintf(args + used, sizeof args - used, " %zu %zu", cases[i][0], cases[i][1]);
    }
    CU_ASSERT_EQUAL_FATAL(
        pb_test_python("import sys\nfrom scipy.stats import binomtest\n"
                       "a = [int(v) for v in sys.argv[1:]]\n"
                       "for k, n in zip(a[::2], a[1::2]):\n"
                       "    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, "
                       "method='wilson')\n"
                       "    print('%.17g %.17g' % (ci.low, ci.high))\n",
                       args, out, sizeof out),
        0);
    {
        char *p = out;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            double lo, hi, wlo, whi;
            int used = 0;
            CU_ASSERT_EQUAL_FATAL(sscanf(p, "%lf %lf%n", &lo, &hi, &used), 2);
            p += used;
            mc_wilson(cases[i][0], cases[i][1], Z95, &wlo, &whi);
            PB_ASSERT_CLOSE(wlo, lo, 1e-12, 1e-15);
            PB_ASSERT_CLOSE(whi, hi, 1e-12, 1e-15);
        }
    }
    /* Textbook value (Agresti & Coull 1998, Table 1 style): 0 of 10 gives
     * [0, z^2 / (n + z^2)] = [0, 0.27753...]. */
    {
        double lo, hi;
        mc_wilson(0, 10, Z95, &lo, &hi);
        PB_ASSERT_CLOSE(lo, 0.0, 0.0, 1e-15);
        PB_ASSERT_CLOSE(hi, Z95 * Z95 / (10.0 + Z95 * Z95), 1e-14, 0.0);
        mc_wilson(0, 0, Z95, &lo, &hi);
        CU_ASSERT(isnan(lo) && isnan(hi));
    }
}

/* Wilson's interval as the roots of his quadratic in p (Wilson 1927):
 * (1 + z^2/n) p^2 - (2 k/n + z^2/n) p + (k/n)^2 = 0, solved here with the
 * cancellation-free pair of formulas (Numerical Recipes 5.6), independently
 * of mc_wilson's centre-and-half-width form.  Over n = 1..300 and every k:
 * the ends agree to 1e-12, lie in [0, 1], and are exactly 0 at k = 0 and
 * exactly 1 at k = n (the rounding of 0.9999999999999999 is gone). */
static void test_wilson_bounds(void)
{
    for (size_t n = 1; n <= 300; n++)
        for (size_t k = 0; k <= n; k++) {
            double ph = (double)k / (double)n, z2 = Z95 * Z95 / (double)n;
            double a = 1.0 + z2, b = -(2.0 * ph + z2), c = ph * ph;
            double q = -0.5 * (b - sqrt(b * b - 4.0 * a * c)); /* b < 0: no cancellation */
            double r1 = q / a, r2 = q != 0.0 ? c / q : 0.0;
            double lo, hi;
            mc_wilson(k, n, Z95, &lo, &hi);
            CU_ASSERT(lo >= 0.0 && lo <= hi && hi <= 1.0);
            PB_ASSERT_CLOSE(lo, fmin(r1, r2), 1e-12, 1e-15);
            PB_ASSERT_CLOSE(hi, fmax(r1, r2), 1e-12, 1e-15);
            if (k == 0)
                CU_ASSERT_EQUAL(lo, 0.0);
            if (k == n)
                CU_ASSERT_EQUAL(hi, 1.0);
        }
}

/* ---- Library: streams, threads, outcomes ---- */

typedef struct lib_fixture {
    plant *pl;
    mlp *orig, *var[2];
    sim_variant *v; /* [2] */
    sim_model *m;
    mc_options o;
    mc_study s;
} lib_fixture;

/* The shipped pendulum policy and two copies with every other weight (and
 * every third) of layer 1 set to zero. */
static void lib_setup(lib_fixture *f)
{
    plant_integrator integ;
    sim_ref ref;
    double zero[2] = {0.0, 0.0};

    memset(f, 0, sizeof *f);
    fixtures();
    f->v = calloc(2, sizeof *f->v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->v);
    f->pl = plant_alloc(plant_find("pendulum"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->pl);
    CU_ASSERT_EQUAL_FATAL(mlp_read_h5(policy_path, &f->orig, NULL), 0);
    for (size_t k = 0; k < 2; k++) {
        mlp_layer *l;
        f->var[k] = mlp_clone(f->orig, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(f->var[k]);
        l = &f->var[k]->layers[0];
        for (size_t i = 0; i < l->n_in * l->n_out; i += 2 + k)
            l->W[i] = 0.0;
        snprintf(f->v[k].label, sizeof f->v[k].label, "v%zu", k);
        snprintf(f->v[k].method, sizeof f->v[k].method, "test");
        snprintf(f->v[k].pattern, sizeof f->v[k].pattern, "unstructured");
        f->v[k].net = f->var[k];
    }
    plant_integrator_init(&integ);
    snprintf(integ.method, sizeof integ.method, "rk4");
    integ.substeps = 4;
    sim_ref_init_setpoint(&ref, 2, zero);
    f->m = model_new(f->pl, &integ, 0.05, 1.5, &ref, 0.05, 100.0, f->orig, 2, f->v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->m);
    mc_options_init(&f->o);
    f->o.samples = 40;
    f->o.seed = 11;
    f->o.sampler.kind = MC_SAMPLER_BOX;
    f->o.sampler.low[0] = -1.0;
    f->o.sampler.high[0] = 1.0;
    f->o.sampler.low[1] = -2.0;
    f->o.sampler.high[1] = 2.0;
    f->o.n_params = 1;
    snprintf(f->o.params[0].name, sizeof f->o.params[0].name, "m");
    f->o.params[0].index = (size_t)plant_param_index(f->pl->type, "m");
    f->o.params[0].rel = 0.2;
    f->o.input_noise = 0.05;
    f->o.meas_noise = 0.01;
    CU_ASSERT_EQUAL_FATAL(mc_options_validate(&f->o, f->pl, NULL), 0);
    f->s.model = f->m;
    f->s.opts = &f->o;
}

static void lib_teardown(lib_fixture *f)
{
    sim_model_free(f->m);
    mlp_free(f->var[0]);
    mlp_free(f->var[1]);
    mlp_free(f->orig);
    plant_free(f->pl);
    free(f->v);
}

/* Runs samples [first, first + n) on a pool of `threads`. */
static void pool_rows(lib_fixture *f, size_t threads, size_t first, size_t n, mc_row *rows,
                      double *x0s, double *ps)
{
    mc_pool *p = mc_pool_alloc(&f->s, threads, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(mc_pool_run(p, first, n, rows, x0s, ps, NULL, NULL), 0);
    mc_pool_free(p);
}

/* 1, 2 and 3 threads, and the same samples in two uneven calls, give the
 * same bytes: 150 samples from index 7 make blocks of 64 + 64 + 22 (1
 * thread), 4 x 38 (2) or 3 x 50 (3), none aligned to the sample count. */
static void test_threads_bit_identical(void)
{
    lib_fixture f;
    enum { N = 150, NV = 2, FIRST = 7 };
    static mc_row r[4][N * NV];
    static double x[4][N * 2], p[4][N];
    size_t split = 61;

    lib_setup(&f);
    for (size_t t = 0; t < 4; t++)
        memset(r[t], (int)(0x11 * t), sizeof r[t]);
    pool_rows(&f, 1, FIRST, N, r[0], x[0], p[0]);
    pool_rows(&f, 2, FIRST, N, r[1], x[1], p[1]);
    pool_rows(&f, 3, FIRST, N, r[2], x[2], p[2]);
    pool_rows(&f, 3, FIRST, split, r[3], x[3], p[3]);
    pool_rows(&f, 2, FIRST + split, N - split, r[3] + split * NV, x[3] + split * 2, p[3] + split);
    /* Compared field by field as bytes (NaN-safe, bit for bit). */
    for (size_t t = 1; t < 4; t++) {
        int same = 1;
        for (size_t i = 0; i < N * NV; i++)
            same &= memcmp(&r[0][i], &r[t][i], sizeof r[0][i]) == 0;
        CU_ASSERT(same);
        CU_ASSERT_EQUAL(memcmp(x[0], x[t], sizeof x[0]), 0);
        CU_ASSERT_EQUAL(memcmp(p[0], p[t], sizeof p[0]), 0);
    }
    for (size_t i = 0; i < N * NV; i++) {
        CU_ASSERT_EQUAL(r[0][i].sample, (long long)(FIRST + i / NV));
        CU_ASSERT_EQUAL(r[0][i].variant, (long long)(i % NV));
    }
    lib_teardown(&f);
}

/* mc_pool_run returns the error of the first failing sample in sample
 * order, whatever the thread count (the regression of an error return
 * that was ignored): g = 900 m/s^2 randomised by +-50 % leaves its range
 * (<= 1000) for some samples; the oracle runs each sample alone. */
static void test_pool_error_first_sample(void)
{
    lib_fixture f;
    enum { N = 90 };
    static mc_row rows[N * 2];
    static double x0s[N * 2], ps[N];
    size_t first_bad = SIZE_MAX, n_bad = 0;
    plant *pl;
    mc_work *w;
    pb_error e;

    lib_setup(&f);
    pl = (plant *)f.pl;
    pl->p[plant_param_index(pl->type, "g")] = 900.0;
    snprintf(f.o.params[0].name, sizeof f.o.params[0].name, "g");
    f.o.params[0].index = (size_t)plant_param_index(pl->type, "g");
    f.o.params[0].rel = 0.5;
    w = mc_work_alloc(&f.s, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    for (size_t i = 0; i < N; i++) {
        int rc = sample_run(&f.s, w, 20 + i, rows, x0s, ps, &e);
        if (rc) {
            CU_ASSERT_EQUAL(rc, PB_EINVAL);
            n_bad++;
            if (first_bad == SIZE_MAX)
                first_bad = 20 + i;
        }
    }
    mc_work_free(w);
    CU_ASSERT_FATAL(n_bad > 1 && first_bad > 20); /* some fail, not the first block's start */
    for (size_t t = 1; t <= 3; t++) {
        mc_pool *p = mc_pool_alloc(&f.s, t, NULL);
        char want[64];
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        pb_error_clear(&e);
        CU_ASSERT_EQUAL(mc_pool_run(p, 20, N, rows, x0s, ps, NULL, &e), PB_EINVAL);
        snprintf(want, sizeof want, "sample %zu:", first_bad);
        CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, want));
        CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "g"));
        mc_pool_free(p);
    }
    lib_teardown(&f);
}

/* The stale-limits regression through Monte Carlo: a study that randomises
 * the pendulum's theta_max (nominal 1 rad, +-50 %) must judge every sample
 * against its own drawn limit, on the per-lane (GSL rk4) and the batched
 * (rk4fixed) paths, on 2 threads over blocks that reuse their workspaces.
 * The oracle runs each sample alone on a fresh model whose NOMINAL
 * theta_max is the drawn value (no per-lane parameters); the same oracle
 * with the nominal 1 rad disagrees on some samples, so the test would see
 * limits that stayed at the nominal value. */
static void test_randomised_limits(void)
{
    enum { N = 150, NV = 2 };
    static const char *methods[] = {"rk4", "rk4fixed"};
    static mc_row rows[N * NV];
    static double x0s[N * 2], ps[N];

    for (size_t mi = 0; mi < 2; mi++) {
        lib_fixture f;
        plant_integrator integ;
        sim_ref ref;
        double zero[2] = {0.0, 0.0};
        size_t i_tmax, sensitive = 0, cut = 0;
        sim_model *m;
        mc_pool *pool;

        lib_setup(&f);
        i_tmax = (size_t)plant_param_index(f.pl->type, "theta_max");
        f.pl->p[i_tmax] = 1.0;
        plant_integrator_init(&integ);
        snprintf(integ.method, sizeof integ.method, "%s", methods[mi]);
        integ.substeps = 4;
        sim_ref_init_setpoint(&ref, 2, zero);
        m = model_new(f.pl, &integ, 0.05, 1.5, &ref, 0.05, 100.0, f.orig, NV, f.v);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        CU_ASSERT_EQUAL(m->batched, mi == 1);
        f.s.model = m;
        f.o.samples = N;
        f.o.input_noise = 0.0;
        f.o.meas_noise = 0.0;
        snprintf(f.o.params[0].name, sizeof f.o.params[0].name, "theta_max");
        f.o.params[0].index = i_tmax;
        f.o.params[0].rel = 0.5;
        CU_ASSERT_EQUAL_FATAL(mc_options_validate(&f.o, f.pl, NULL), 0);
        pool = mc_pool_alloc(&f.s, 2, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
        CU_ASSERT_EQUAL_FATAL(mc_pool_run(pool, 0, N, rows, x0s, ps, NULL, NULL), 0);
        mc_pool_free(pool);

        for (size_t i = 0; i < N; i++) {
            long want[2][1 + NV]; /* [drawn limit, nominal limit][policy] */
            CU_ASSERT(ps[i] >= 0.5 && ps[i] <= 1.5);
            for (size_t lim = 0; lim < 2; lim++) {
                plant *q = plant_alloc(f.pl->type);
                sim_model *mq;
                sim_lanes *d;
                const sim_row *row;
                CU_ASSERT_PTR_NOT_NULL_FATAL(q);
                memcpy(q->p, f.pl->p, f.pl->type->np * sizeof *q->p);
                q->p[i_tmax] = lim == 0 ? ps[i] : 1.0;
                mq = model_new(q, &integ, 0.05, 1.5, &ref, 0.05, 100.0, f.orig, NV, f.v);
                CU_ASSERT_PTR_NOT_NULL_FATAL(mq);
                d = sim_lanes_alloc(mq, 1, NULL);
                CU_ASSERT_PTR_NOT_NULL_FATAL(d);
                CU_ASSERT_EQUAL_FATAL(
                    sim_lanes_start(mq, d, &(sim_block){1, x0s + 2 * i, NULL, NULL, NULL}, NULL), 0);
                row = sim_lanes_row(d);
                for (size_t k = 0; k <= mq->n_steps; k++) {
                    sim_lanes_eval(mq, d);
                    if (k < mq->n_steps)
                        CU_ASSERT_EQUAL_FATAL(sim_lanes_advance(mq, d, NULL), 0);
                }
                for (size_t l = 0; l <= NV; l++)
                    want[lim][l] = row->tracks[l].diverged_step;
                sim_lanes_free(d);
                sim_model_free(mq);
                plant_free(q);
            }
            for (size_t v = 0; v < NV; v++) {
                const mc_row *r = &rows[i * NV + v];
                CU_ASSERT_EQUAL(r->diverged_step_orig, want[0][0]);
                CU_ASSERT_EQUAL(r->diverged_step_pruned, want[0][1 + v]);
            }
            for (size_t l = 0; l <= NV; l++) {
                sensitive += want[0][l] != want[1][l];
                cut += want[0][l] > 0;
            }
        }
        /* Some loops leave their drawn limit after row 0, and the limit
         * matters: with the nominal one some divergence steps differ. */
        CU_ASSERT(cut > 0);
        CU_ASSERT(sensitive > 0);
        if (getenv("PB_TEST_VERBOSE"))
            fprintf(stderr, "  %s: %zu loops cut after row 0, %zu depend on the drawn limit\n",
                    methods[mi], cut, sensitive);
        sim_model_free(m);
        lib_teardown(&f);
    }
}

/* A sample's rows depend on its index alone: run alone on a fresh workspace,
 * or as the 7th of a chunk starting at 30 on 3 threads, or after other
 * samples on the same workspace, it gives the same bytes. */
static void test_streams_per_sample(void)
{
    lib_fixture f;
    mc_row chunk[20], alone[2], again[2];
    double xc[20], xa[2], xg[2], pc[10], pa[1], pg[1];
    mc_work *w;

    lib_setup(&f);
    pool_rows(&f, 3, 30, 10, chunk, xc, pc);
    w = mc_work_alloc(&f.s, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_EQUAL(sample_run(&f.s, w, 36, alone, xa, pa, NULL), 0);
    CU_ASSERT_EQUAL(sample_run(&f.s, w, 3, again, xg, pg, NULL), 0);
    CU_ASSERT_EQUAL(sample_run(&f.s, w, 36, again, xg, pg, NULL), 0);
    CU_ASSERT_EQUAL(memcmp(&chunk[12], alone, 2 * sizeof *alone), 0);
    CU_ASSERT_EQUAL(memcmp(alone, again, 2 * sizeof *alone), 0);
    CU_ASSERT_EQUAL(memcmp(&xc[12], xa, 2 * sizeof *xa), 0);
    CU_ASSERT_EQUAL(pc[6], pa[0]);
    /* Distinct samples draw distinct states; stream seeds differ. */
    CU_ASSERT(xc[0] != xc[2] || xc[1] != xc[3]);
    CU_ASSERT(mc_sample_seed(1, 0) != mc_sample_seed(1, 1));
    CU_ASSERT(mc_sample_seed(1, 5) != mc_sample_seed(2, 5));
    /* Box and parameter draws stay in their ranges. */
    for (size_t j = 0; j < 10; j++) {
        CU_ASSERT(xc[2 * j] >= -1.0 && xc[2 * j] <= 1.0);
        CU_ASSERT(xc[2 * j + 1] >= -2.0 && xc[2 * j + 1] <= 2.0);
        CU_ASSERT(pc[j] >= 0.8 * f.pl->p[f.o.params[0].index] &&
                  pc[j] <= 1.2 * f.pl->p[f.o.params[0].index]);
    }
    CU_ASSERT(pc[0] != pc[1]);
    mc_work_free(w);
    lib_teardown(&f);
}

/* Outcomes that follow from the physics, with policies of known output:
 * zero torque at the upright rest stays there (converged); zero torque from
 * 0.5 rad falls to the hanging rest at pi (bounded: never back to 0, never
 * far); a constant 20 N m against damping c = 0.1 spins the pendulum up to
 * omega -> 200 rad/s, so the angle error passes any radius (diverged). */
static void test_outcomes_known(void)
{
    size_t sizes[2] = {2, 1};
    mlp_act acts[1] = {MLP_ACT_LINEAR};
    struct {
        double bias, x0[2];
        sim_outcome want;
    } cases[] = {{0.0, {0.0, 0.0}, SIM_CONVERGED},
                 {0.0, {0.5, 0.0}, SIM_BOUNDED},
                 {20.0, {0.0, 0.0}, SIM_DIVERGED}};
    plant *pl = plant_alloc(plant_find("pendulum"));
    plant_integrator integ;
    sim_ref ref;
    double zero[2] = {0.0, 0.0};

    CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
    CU_ASSERT(pl->p[plant_param_index(pl->type, "c")] == 0.1);
    plant_integrator_init(&integ);
    sim_ref_init_setpoint(&ref, 2, zero);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        mlp *net = mlp_alloc(1, sizes, acts, NULL), *twin;
        sim_variant v;
        sim_model *m;
        mc_options o;
        mc_study s;
        mc_work *w;
        mc_row row;
        double x0[2], p[1];

        CU_ASSERT_PTR_NOT_NULL_FATAL(net);
        memset(net->layers[0].W, 0, 2 * sizeof(double));
        net->layers[0].b[0] = cases[c].bias;
        twin = mlp_clone(net, NULL);
        memset(&v, 0, sizeof v);
        snprintf(v.label, sizeof v.label, "twin");
        v.net = twin;
        m = model_new(pl, &integ, 0.05, 20.0, &ref, 1e-6, 50.0, net, 1, &v);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        mc_options_init(&o);
        o.sampler.kind = MC_SAMPLER_GAUSSIAN; /* std 0: exactly the mean */
        memcpy(o.sampler.mean, cases[c].x0, sizeof cases[c].x0);
        s.model = m;
        s.opts = &o;
        s.spec = NULL;
        w = mc_work_alloc(&s, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(w);
        CU_ASSERT_EQUAL(sample_run(&s, w, 0, &row, x0, p, NULL), 0);
        CU_ASSERT_EQUAL(row.outcome_orig, cases[c].want);
        CU_ASSERT_EQUAL(row.outcome_pruned, cases[c].want);
        if (cases[c].want == SIM_DIVERGED) {
            CU_ASSERT(row.diverged_step_orig > 0);
            CU_ASSERT(isnan(row.tail_err_orig));
        } else {
            CU_ASSERT_EQUAL(row.diverged_step_orig, -1);
        }
        if (cases[c].want == SIM_BOUNDED) {
            /* Energy E = w^2/2 + (g/L) cos(theta) only decreases (damping), so
             * cos(theta) <= cos(0.5): 0.5 <= theta <= 2 pi - 0.5 and
             * w^2 <= 2 (g/L)(cos 0.5 + 1) for all t. */
            double g = 9.81, pi2 = 2.0 * 3.14159265358979323846;
            CU_ASSERT(row.tail_err_orig >= 0.5 - 1e-9);
            CU_ASSERT(row.tail_err_orig <= sqrt(pi2 * pi2 + 2.0 * g * (cos(0.5) + 1.0)));
            CU_ASSERT(row.tail_err_orig == row.tail_err_pruned);
        }
        CU_ASSERT_EQUAL(row.violations, 0);
        CU_ASSERT_EQUAL(row.max_dev_actual, 0.0);
        mc_work_free(w);
        sim_model_free(m);
        mlp_free(twin);
        mlp_free(net);
    }
    plant_free(pl);
}

/* The shipped policy converges from its equilibrium and diverges (by the
 * radius criterion) from far outside its training box. */
static void test_outcomes_shipped_policy(void)
{
    lib_fixture f;
    mc_work *w;
    mc_row rows[2];
    double x0[2], p[1];

    lib_setup(&f);
    f.o.n_params = 0;
    f.o.input_noise = f.o.meas_noise = 0.0;
    f.o.sampler.kind = MC_SAMPLER_GAUSSIAN;
    f.o.sampler.mean[0] = f.o.sampler.mean[1] = 0.0;
    f.o.sampler.std[0] = f.o.sampler.std[1] = 0.0;
    w = mc_work_alloc(&f.s, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_EQUAL(sample_run(&f.s, w, 0, rows, x0, p, NULL), 0);
    CU_ASSERT_EQUAL(rows[0].outcome_orig, SIM_CONVERGED);
    CU_ASSERT_EQUAL(x0[0], 0.0);
    /* 200 rad/s is beyond what |u| <= 20 N m can stop within the horizon:
     * the angle error passes the radius of 100 rad. */
    f.o.sampler.mean[1] = 200.0;
    CU_ASSERT_EQUAL(sample_run(&f.s, w, 0, rows, x0, p, NULL), 0);
    CU_ASSERT_EQUAL(rows[0].outcome_orig, SIM_DIVERGED);
    CU_ASSERT_EQUAL(rows[1].outcome_pruned, SIM_DIVERGED);
    mc_work_free(w);
    lib_teardown(&f);
}

static void test_options_refused(void)
{
    lib_fixture f;
    pb_error e;
    mc_options o;

    lib_setup(&f);
    o = f.o;
    o.samples = 0;
    CU_ASSERT_EQUAL(mc_options_validate(&o, f.pl, &e), PB_EINVAL);
    o = f.o;
    o.sampler.low[1] = 3.0;
    CU_ASSERT_EQUAL(mc_options_validate(&o, f.pl, &e), PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "low <= high"));
    o = f.o;
    o.params[0].rel = 1.0;
    CU_ASSERT_EQUAL(mc_options_validate(&o, f.pl, &e), PB_EINVAL);
    o = f.o;
    o.sampler.kind = MC_SAMPLER_GRID;
    o.sampler.axes[0] = o.sampler.axes[1] = 0;
    CU_ASSERT_EQUAL(mc_options_validate(&o, f.pl, &e), PB_EINVAL);
    o.sampler.axes[1] = 1;
    o.sampler.points[0] = 3;
    o.sampler.points[1] = 4;
    o.samples = 11;
    CU_ASSERT_EQUAL(mc_options_validate(&o, f.pl, &e), PB_EINVAL);
    o.samples = 12;
    CU_ASSERT_EQUAL(mc_options_validate(&o, f.pl, &e), PB_SUCCESS);
    o = f.o;
    o.input_noise = -1.0;
    CU_ASSERT_EQUAL(mc_options_validate(&o, f.pl, &e), PB_EINVAL);
    CU_ASSERT_PTR_NULL(mc_pool_alloc(&f.s, 0, &e));
    CU_ASSERT_EQUAL(e.code, PB_EINVAL);
    lib_teardown(&f);
}

/* ---- Through the binary ---- */

/* Aggregates of the file against NumPy/SciPy over its own rows; zero
 * violations; x0 inside the box; parameters within +-20 %. */
static const char *PY_AGG =
    "import sys, h5py, numpy as np\n"
    "from scipy.stats import binomtest\n"
    "f = h5py.File(sys.argv[1], 'r')\n"
    "s, a, v = f['summary'][()], f['aggregates'][()], f['variants'][()]\n"
    "n = int(f.attrs['samples']); nv = len(v)\n"
    "assert int(f.attrs['complete']) == 1 and int(f.attrs['samples_done']) == n\n"
    "assert len(s) == n * nv and len(a) == nv\n"
    "assert (s['sample'] == np.repeat(np.arange(n), nv)).all()\n"
    "x0 = f['samples/x0'][()]\n"
    "lo, hi = np.array(eval(sys.argv[2])), np.array(eval(sys.argv[3]))\n"
    "assert x0.shape == (n, 2) and (x0 >= lo).all() and (x0 <= hi).all()\n"
    "if 'samples/params' in f:\n"
    "    p = f['samples/params'][()]\n"
    "    assert p.shape == (n, 1) and (p >= 0.8).all() and (p <= 1.2).all() and p.std() > 0.05\n"
    "for i in range(nv):\n"
    "    r = s[s['variant'] == i]\n"
    "    g = a[i]\n"
    "    assert g['label'] == v[i]['label']\n"
    "    assert g['n'] == n\n"
    "    for loop in ('orig', 'pruned'):\n"
    "        o = r['outcome_' + loop]\n"
    "        k = int((o == 0).sum())\n"
    "        assert g['converged_' + loop] == k\n"
    "        assert g['bounded_' + loop] == (o == 1).sum() and g['diverged_' + loop] == (o == "
    "2).sum()\n"
    "        assert abs(g['rate_' + loop] - k / n) < 1e-15\n"
    "        ci = binomtest(k, n).proportion_ci(method='wilson')\n"
    "        assert abs(g['rate_%s_lo' % loop] - ci.low) < 1e-12, (g['rate_%s_lo' % loop], "
    "ci.low)\n"
    "        assert abs(g['rate_%s_hi' % loop] - ci.high) < 1e-12\n"
    "        rms = r['rms_track_' + loop]; rms = rms[np.isfinite(rms)]\n"
    "        for q, name in zip([0.05, 0.25, 0.5, 0.75, 0.95], ['05', '25', '50', '75', '95']):\n"
    "            want = np.quantile(rms, q)\n"
    "            got = g['rms_%s_q%s' % (loop, name)]\n"
    "            assert abs(got - want) <= 1e-12 * abs(want), (loop, q, got, want)\n"
    "    assert g['max_dev_bound'] == r['max_dev_bound'].max()\n"
    "    assert g['max_dev_actual'] == r['max_dev_actual'].max()\n"
    "    assert g['violations'] == 0 and (r['violations'] == 0).all()\n"
    "    assert (r['max_dev_actual'] <= r['max_dev_bound'] * (1 + 1e-12)).all()\n"
    "    cert = (r['max_dev_bound'] <= f.attrs['bound_eps'])\n"
    "    assert (r['certified'] == cert).all()\n"
    "    assert abs(g['certified_fraction'] - cert.mean()) < 1e-15\n"
    "assert (s[s['variant'] == 0]['max_dev_bound'] == 0).all()\n"
    "assert s[s['variant'] == 2]['max_dev_bound'].max() > 0\n"
    "print('ok', a['rate_orig'], a['rate_pruned'])\n";

static void test_cli_study_and_aggregates(void)
{
    char cfg[1300], res[1300], r2[1300], r3[1300], r4[1300];
    char args[8192], out[OUT_MAX], pargs[2048];
    int rc;

    fixtures();
    snprintf(cfg, sizeof cfg, "%s", write_cfg("box.cfg", NULL, NULL, MC_BOX));
    snprintf(res, sizeof res, "%s", pb_test_path("box1.h5"));
    snprintf(r2, sizeof r2, "%s", pb_test_path("box2.h5"));
    snprintf(r3, sizeof r3, "%s", pb_test_path("box3.h5"));
    snprintf(r4, sizeof r4, "%s", pb_test_path("box4.h5"));
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 1", cfg, res);
    rc = run(args, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "bound violations: 0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "magnitude_s0.75"));
    CU_ASSERT(!file_exists(pb_test_path("box1.h5.part")));
    snprintf(pargs, sizeof pargs, "'%s' '[-1,-2]' '[1,2]'", res);
    rc = pb_test_python(PY_AGG, pargs, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL(rc, 0);
    /* 2, 3 and 4 threads: the same bytes.  Each chunk of 16 samples runs as
     * blocks of 16 (1 thread), 8 + 8 (2), 6 + 6 + 4 (3) or 4 x 4 (4); the
     * last chunk of 8 as 3 + 3 + 2 on 3 threads: uneven blocks whose
     * boundaries fall where no other thread count puts one. */
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 2", cfg, r2);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 3", cfg, r3);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 4", cfg, r4);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 0);
    CU_ASSERT(same_files(res, r2));
    CU_ASSERT(same_files(res, r3));
    CU_ASSERT(same_files(res, r4));
}

/* Grid: the initial states are exactly the points of numpy.linspace on the
 * two axes (row-major), the other state fixed; --samples is refused. */
static void test_cli_grid(void)
{
    const char *cfg;
    char args[4096], out[OUT_MAX];

    fixtures();
    cfg = write_cfg("grid.cfg", NULL, "{ method = \"magnitude\"; sparsity = [0.5]; }",
                    "chunk = 7;\n"
                    "  sampler = { type = \"grid\"; axes = [1, 0]; low = [-3.0, -0.5];\n"
                    "              high = [3.0, 1.5]; points = [5, 4]; fixed = [9.0, 9.0]; };\n");
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 2", cfg,
             pb_test_path("grid.h5"));
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "'%s'", pb_test_path("grid.h5"));
    CU_ASSERT_EQUAL(
        pb_test_python("import sys, h5py, numpy as np\n"
                       "f = h5py.File(sys.argv[1], 'r')\n"
                       "x0 = f['samples/x0'][()]\n"
                       "w, th = np.meshgrid(np.linspace(-3, 3, 5), np.linspace(-0.5, 1.5, 4), "
                       "indexing='ij')\n"
                       "assert x0.shape == (20, 2)\n"
                       "assert np.allclose(x0[:, 1], w.ravel(), rtol=0, atol=1e-15)\n"
                       "assert np.allclose(x0[:, 0], th.ravel(), rtol=0, atol=1e-15)\n"
                       "assert f['aggregates'][0]['n'] == 20\n",
                       args, NULL, 0),
        0);
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --samples 7", cfg,
             pb_test_path("grid7.h5"));
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "grid"));
}

/* Starts prunebound in the background (output to log); returns its pid. */
static pid_t spawn(const char *cfg, const char *res, const char *extra, const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        char bin[1200];
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        snprintf(bin, sizeof bin, "%s/prunebound", PB_BINARY_DIR);
        if (extra)
            execl(bin, bin, "montecarlo", cfg, "-o", res, "--threads", "2", extra, (char *)NULL);
        else
            execl(bin, bin, "montecarlo", cfg, "-o", res, "--threads", "2", (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* samples_done of a partial file read while the study writes it (HDF5
 * file locking off for this process); -1 when not readable yet. */
static long samples_done(const char *part)
{
    long long v = -1;
    hid_t f, a;

    if (!file_exists(part))
        return -1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    f = H5Fopen(part, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return -1;
    a = H5Aopen(f, "samples_done", H5P_DEFAULT);
    if (a < 0 || H5Aread(a, H5T_NATIVE_LLONG, &v) < 0)
        v = -1;
    if (a >= 0)
        H5Aclose(a);
    H5Fclose(f);
    return (long)v;
}

/* Waits until the study has flushed at least one chunk (at most ~60 s). */
static long wait_chunks(const char *part, pid_t pid)
{
    for (int i = 0; i < 6000; i++) {
        long d = samples_done(part);
        int st;
        if (d > 0)
            return d;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return -2;
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    }
    return -1;
}

static const char *MC_LONG =
    "samples = 12000; chunk = 400; seed = 5;\n"
    "  sampler = { type = \"gaussian\"; mean = [0.0, 0.0]; std = [0.5, 1.0]; };\n"
    "  params = ( { name = \"m\"; rel = 0.2; } );\n"
    "  input_noise = 0.02;";

/* The reference: an uninterrupted run of MC_LONG. */
static const char *long_reference(void)
{
    static int done;
    const char *res = pb_test_path("long_ref.h5");
    char args[4096], out[OUT_MAX];
    if (!done++) {
        const char *cfg = write_cfg("long.cfg", NULL, NULL, MC_LONG);
        snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 2", cfg, res);
        CU_ASSERT_EQUAL(run(args, out, sizeof out), 0);
    }
    return res;
}

/* Python: a partial file opens, its datasets hold samples_done complete
 * samples, equal to the reference's first rows. */
static const char *PY_PARTIAL =
    "import sys, h5py\n"
    "f, g = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')\n"
    "d = int(f.attrs['samples_done']); nv = len(f['variants'])\n"
    "assert int(f.attrs['complete']) == 0 and d > 0 and d % 400 == 0, d\n"
    "assert f['summary'].shape[0] >= d * nv and f['samples/x0'].shape[0] >= d\n"
    "assert f['summary'][:d * nv].tobytes() == g['summary'][:d * nv].tobytes()\n"
    "assert f['samples/x0'][:d].tobytes() == g['samples/x0'][:d].tobytes()\n"
    "print(d)\n";

static void interrupt_and_resume(int sig, const char *name)
{
    char ref[1300], cfg[1300], res[1200], part[1300], log[1300], args[4096], out[OUT_MAX];
    pid_t pid;
    long d;
    int st;

    snprintf(ref, sizeof ref, "%s", long_reference());
    snprintf(cfg, sizeof cfg, "%s", pb_test_path("long.cfg"));
    snprintf(res, sizeof res, "%s", pb_test_path(name));
    snprintf(part, sizeof part, "%s.part", res);
    snprintf(log, sizeof log, "%s.log", res);
    pid = spawn(cfg, res, NULL, log);
    CU_ASSERT_FATAL(pid > 0);
    d = wait_chunks(part, pid);
    CU_ASSERT(d > 0);
    kill(pid, sig);
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    if (sig == SIGKILL) {
        CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    } else {
        FILE *f = fopen(log, "r");
        size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
        out[n] = '\0';
        if (f)
            fclose(f);
        CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "interrupted by"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "--resume"));
    }
    CU_ASSERT(!file_exists(res));
    CU_ASSERT_FATAL(file_exists(part));
    snprintf(args, sizeof args, "'%s' '%s'", part, ref);
    st = pb_test_python(PY_PARTIAL, args, out, sizeof out);
    if (st)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL(st, 0);
    /* --resume completes it to the uninterrupted file, byte for byte. */
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 1 --resume", cfg, res);
    st = run(args, out, sizeof out);
    if (st)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL(st, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "resuming"));
    CU_ASSERT(!file_exists(part));
    CU_ASSERT(same_files(ref, res));
}

static void test_sigint_resume(void)
{
    fixtures();
    interrupt_and_resume(SIGINT, "int.h5");
}

static void test_sigterm_resume(void)
{
    fixtures();
    interrupt_and_resume(SIGTERM, "term.h5");
}

static void test_sigkill_resume(void)
{
    fixtures();
    interrupt_and_resume(SIGKILL, "kill.h5");
}

/* Every refusal exits 2 with a message naming what is wrong. */
static void test_cli_errors(void)
{
    struct {
        const char *mc;
        const char *want;
    } bad[] = {
        {"sampler = { type = \"sobol\"; };", "montecarlo.sampler.type"},
        {"sampler = { type = \"box\"; low = [0.0]; high = [1.0, 1.0]; };",
         "montecarlo.sampler.low"},
        {"sampler = { type = \"box\"; low = [0.0, 2.0]; high = [1.0, 1.0]; };",
         "montecarlo.sampler.high"},
        {"sampler = { type = \"gaussian\"; mean = [0.0, 0.0]; std = [1.0, -1.0]; };",
         "montecarlo.sampler.std"},
        {"sampler = { type = \"grid\"; axes = [0, 0]; low = [0.0, 0.0]; high = [1.0, 1.0]; "
         "points = [2, 2]; };",
         "montecarlo.sampler.axes"},
        {"samples = 5; sampler = { type = \"grid\"; axes = [0, 1]; low = [0.0, 0.0]; "
         "high = [1.0, 1.0]; points = [2, 2]; };",
         "montecarlo.samples"},
        {"samples = 0; sampler = { type = \"box\"; low = [0.0, 0.0]; high = [1.0, 1.0]; };",
         "montecarlo.samples"},
        {"sampler = { type = \"box\"; low = [0.0, 0.0]; high = [1.0, 1.0]; }; "
         "params = ( { name = \"mass\"; rel = 0.1; } );",
         "montecarlo.params[0].name"},
        {"sampler = { type = \"box\"; low = [0.0, 0.0]; high = [1.0, 1.0]; }; "
         "params = ( { name = \"m\"; rel = 1.5; } );",
         "montecarlo.params[0].rel"},
        {"sampler = { type = \"box\"; low = [0.0, 0.0]; high = [1.0, 1.0]; }; "
         "criterion = { tail = 0.5; };",
         "montecarlo.criterion: moved to the top level"},
        {"sampler = { type = \"box\"; low = [0.0, 0.0]; high = [1.0, 1.0]; }; wobble = 1;",
         "montecarlo.wobble"},
        {"samples = 10;", "montecarlo.sampler"},
    };
    char args[8192], out[OUT_MAX], name[64], cfg[1300], res[1300], rpart[1400];
    int rc;

    fixtures();
    snprintf(res, sizeof res, "%s", pb_test_path("err.h5"));
    snprintf(rpart, sizeof rpart, "%s.part", res);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(name, sizeof name, "bad%zu.cfg", i);
        snprintf(cfg, sizeof cfg, "%s", write_cfg(name, NULL, NULL, bad[i].mc));
        snprintf(args, sizeof args, "montecarlo '%s' -o '%s'", cfg, res);
        rc = run(args, out, sizeof out);
        if (rc != 2 || !strstr(out, bad[i].want) || !strstr(out, cfg))
            fprintf(stderr, "\ncase %zu: exit %d, expected '%s':\n%s", i, rc, bad[i].want, out);
        CU_ASSERT_EQUAL(rc, 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, bad[i].want));
        CU_ASSERT(!file_exists(res) && !file_exists(rpart));
    }
    snprintf(cfg, sizeof cfg, "%s",
             write_cfg("ok.cfg", NULL, "{ method = \"magnitude\"; sparsity = [0.5]; }",
                       "samples = 30; chunk = 10;\n"
                       "  sampler = { type = \"box\"; low = [-0.2, -0.2]; high = [0.2, 0.2]; };"));
    /* The top-level criterion is checked like every key. */
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --set criterion.tail=0.0", cfg, res);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "criterion.tail"));
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --set criterion.tol=-1.0", cfg, res);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "criterion.tol"));
    /* Usage errors. */
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --samples 0", cfg, res);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "--samples"));
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --samples -3", cfg, res);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 0", cfg, res);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "montecarlo '%s' --bogus", cfg);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    CU_ASSERT_EQUAL(run("montecarlo", out, sizeof out), 2);
    CU_ASSERT_EQUAL(run("montecarlo --help", out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "--resume"));
    /* A config without a montecarlo section. */
    {
        char plain[1400];
        FILE *f;
        snprintf(plain, sizeof plain, "%s", pb_test_path("plain.cfg"));
        f = fopen(plain, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fprintf(f,
                "plant = { name = \"pendulum\"; };\nsimulation = { period = 0.05; horizon = 1.0; "
                "};\nreference = { type = \"setpoint\"; values = [0.0, 0.0]; };\npolicy = { file "
                "= \"%s\"; };\npruning = ( { method = \"magnitude\"; sparsity = [0.5]; } );\n"
                "scenarios = ( { x0 = [0.1, 0.0]; } );\n",
                policy_path);
        fclose(f);
        snprintf(args, sizeof args, "montecarlo '%s' -o '%s'", plain, res);
        CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "no montecarlo section"));
    }
    /* Resume without a partial file; with a finished one. */
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --resume", cfg, res);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "no partial file"));
    /* Resume of a partial file from another config, seed or sample count:
     * make a partial file by interrupting nothing, i.e. keep a finished
     * file's copy as .part. */
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s'", cfg, res);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    {
        char part[1400];
        snprintf(part, sizeof part, "%s.part", res);
        CU_ASSERT_EQUAL_FATAL(rename(res, part), 0);
        snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --resume --set montecarlo.chunk=9",
                 cfg, res);
        CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "different config"));
        snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --resume --samples 40", cfg, res);
        CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "refusing to resume"));
        snprintf(cfg, sizeof cfg, "%s",
                 write_cfg("ok2.cfg", NULL, "{ method = \"magnitude\"; sparsity = [0.5]; }",
                           "samples = 30; chunk = 10;\n"
                           "  sampler = { type = \"box\"; low = [-0.3, -0.2]; high = [0.2, "
                           "0.2]; };"));
        snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --resume", cfg, res);
        CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "different config"));
        CU_ASSERT(file_exists(part)); /* refused: the partial file is untouched */
        remove(part);
    }
}

/* The config's input disturbance reaches every loop: a constant 20 N m bias
 * on the zero policy at the upright rest spins the pendulum away (diverged),
 * as the constant-torque policy does; without it the rest stays (converged). */
static void test_disturbance_applied(void)
{
    size_t sizes[2] = {2, 1};
    mlp_act acts[1] = {MLP_ACT_LINEAR};
    plant *pl = plant_alloc(plant_find("pendulum"));
    mlp *net = mlp_alloc(1, sizes, acts, NULL), *twin;
    plant_integrator integ;
    sim_disturbance dist;
    sim_variant v;
    sim_model *m;
    sim_ref ref;
    mc_options o;
    mc_study s;
    mc_work *w;
    mc_row row;
    double zero[2] = {0.0, 0.0}, x0[2], p[1];

    CU_ASSERT_FATAL(pl && net);
    memset(net->layers[0].W, 0, 2 * sizeof(double));
    net->layers[0].b[0] = 0.0;
    twin = mlp_clone(net, NULL);
    memset(&v, 0, sizeof v);
    snprintf(v.label, sizeof v.label, "twin");
    v.net = twin;
    plant_integrator_init(&integ);
    sim_ref_init_setpoint(&ref, 2, zero);
    m = model_new(pl, &integ, 0.05, 20.0, &ref, 1e-6, 50.0, net, 1, &v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    mc_options_init(&o);
    o.sampler.kind = MC_SAMPLER_GAUSSIAN;
    s.model = m;
    s.opts = &o;
    s.spec = NULL;
    w = mc_work_alloc(&s, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_EQUAL(sample_run(&s, w, 0, &row, x0, p, NULL), 0);
    CU_ASSERT_EQUAL(row.outcome_orig, SIM_CONVERGED);
    memset(&dist, 0, sizeof dist);
    dist.on = 1;
    dist.bias[0] = 20.0;
    CU_ASSERT_EQUAL(sim_model_set_disturbance(m, &dist, NULL), 0);
    CU_ASSERT_EQUAL(sample_run(&s, w, 0, &row, x0, p, NULL), 0);
    CU_ASSERT_EQUAL(row.outcome_orig, SIM_DIVERGED);
    CU_ASSERT_EQUAL(row.outcome_pruned, SIM_DIVERGED);
    mc_work_free(w);
    sim_model_free(m);
    mlp_free(twin);
    mlp_free(net);
    plant_free(pl);
}

/* traces = true: /traces [n, 1 + nv, N + 1, nx] starts every loop at the
 * sample's x0, and the twin at sparsity 0 repeats the original's states. */
static void test_cli_traces(void)
{
    char cfg[1300], res[1300], args[4096], out[OUT_MAX];

    fixtures();
    snprintf(cfg, sizeof cfg, "%s",
             write_cfg("traces.cfg", NULL, "{ method = \"magnitude\"; sparsity = [0.0, 0.75]; }",
                       "samples = 9; chunk = 4; traces = true;\n"
                       "  sampler = { type = \"box\"; low = [-0.5, -0.5]; high = [0.5, 0.5]; };"));
    snprintf(res, sizeof res, "%s", pb_test_path("traces.h5"));
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 3", cfg, res);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "'%s'", res);
    CU_ASSERT_EQUAL(pb_test_python("import sys, h5py, numpy as np\n"
                                   "f = h5py.File(sys.argv[1], 'r')\n"
                                   "t, x0 = f['traces'][()], f['samples/x0'][()]\n"
                                   "assert t.shape == (9, 3, 41, 2), t.shape\n"
                                   "for l in range(3):\n"
                                   "    assert (t[:, l, 0, :] == x0).all()\n"
                                   "assert np.array_equal(t[:, 0], t[:, 1], equal_nan=True)\n"
                                   "assert not np.array_equal(t[:, 0], t[:, 2], equal_nan=True)\n",
                                   args, NULL, 0),
                    0);
}

/* `run` and `montecarlo` fold the same engine rows: a scenario at x0 and a
 * Gaussian sampler of std 0 at the same x0 (no noise, no randomised
 * parameter) give equal summary fields, bit for bit, for every variant,
 * with GSL's rk4 (lane by lane, write_cfg's integrator) and the batched
 * rk4fixed. */
static void test_cli_run_equals_montecarlo(void)
{
    static const char *py =
        "import sys, h5py, numpy as np\n"
        "r = h5py.File(sys.argv[1], 'r')['summary'][()]\n"
        "m = h5py.File(sys.argv[2], 'r')['summary'][()]\n"
        "fields = ['outcome_orig', 'outcome_pruned', 'still_converging_orig',\n"
        "          'still_converging_pruned', 'diverged_step_orig', 'diverged_step_pruned',\n"
        "          'rms_track_orig', 'rms_track_pruned', 'tail_err_orig', 'tail_err_pruned',\n"
        "          'max_traj_dev', 'max_dev_actual', 'max_dev_bound', 'tightness', 'violations']\n"
        "assert len(r) == 3 and len(m) == 2 * 3, (len(r), len(m))\n"
        "for v in range(3):\n"
        "    for j in range(2):\n"
        "        b = m[(m['variant'] == v) & (m['sample'] == j)]\n"
        "        assert len(b) == 1\n"
        "        for name in fields:\n"
        "            x, y = np.asarray(r[v][name]), np.asarray(b[0][name])\n"
        "            assert x.tobytes() == y.tobytes(), (v, j, name, x, y)\n"
        "assert sorted(set(r['outcome_pruned'])) == [0, 1, 2], r['outcome_pruned']\n"
        "still = int(r[0]['still_converging_orig']) + int(r['still_converging_pruned'].sum())\n"
        "print('same still=%d' % still)\n";
    static const char *integ[] = {"", "--set 'simulation.integrator.method=\"rk4fixed\"' "
                                      "--set simulation.integrator.substeps=8"};
    char cfg[1300], rres[1300], mres[1300], args[8192], out[OUT_MAX], rout[OUT_MAX];

    fixtures();
    snprintf(cfg, sizeof cfg, "%s",
             write_cfg("same.cfg", NULL,
                       "{ method = \"magnitude\"; sparsity = [0.0, 0.75, 0.9]; }",
                       "samples = 2;\n"
                       "  sampler = { type = \"gaussian\"; mean = [0.1, 0.0]; std = [0.0, 0.0]; };"));
    snprintf(rres, sizeof rres, "%s", pb_test_path("same_run.h5"));
    snprintf(mres, sizeof mres, "%s", pb_test_path("same_mc.h5"));
    for (size_t i = 0; i < 2; i++) {
        int rc;
        /* radius 1 rad: the 90 % twin diverges, the 75 % one stays bounded */
        snprintf(args, sizeof args, "run '%s' -o '%s' --set criterion.radius=1.0 %s", cfg, rres,
                 integ[i]);
        CU_ASSERT_EQUAL_FATAL(run(args, rout, sizeof rout), 0);
        snprintf(args, sizeof args,
                 "montecarlo '%s' -o '%s' --threads 2 --set criterion.radius=1.0 %s", cfg, mres,
                 integ[i]);
        CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
        snprintf(args, sizeof args, "'%s' '%s'", rres, mres);
        rc = pb_test_python(py, args, out, sizeof out);
        if (rc)
            fprintf(stderr, "\n%s\n", out);
        CU_ASSERT_EQUAL(rc, 0);
        /* run's note counts the still-converging loops of its file, each
         * scenario's original loop once (absent for none) */
        {
            const char *w = strstr(out, "still="), *note = strstr(rout, "note: ");
            long want = w ? strtol(w + 6, NULL, 10) : -1, got = note ? strtol(note + 6, NULL, 10) : 0;
            CU_ASSERT(w != NULL);
            CU_ASSERT_EQUAL(got, want);
            if (getenv("PB_TEST_VERBOSE"))
                fprintf(stderr, "  still converging: %ld in the file, %ld in the note\n", want, got);
        }
    }
}

/* The shipped example configs run (made small with --set / --samples). */
static void test_cli_shipped_configs(void)
{
    char args[4096], out[OUT_MAX];
    int rc;

    fixtures();
    snprintf(args, sizeof args,
             "montecarlo '%s/configs/montecarlo/pendulum_roa.cfg' -o '%s' --threads 2 "
             "--set 'montecarlo.sampler.points=[4,3]'",
             PB_SOURCE_DIR, pb_test_path("roa.h5"));
    rc = run(args, out, sizeof out);
    if (rc)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "12 sample(s) x 4 variant(s); bound violations: 0"));
    snprintf(args, sizeof args,
             "montecarlo '%s/configs/montecarlo/quadrotor_mass.cfg' -o '%s' --threads 2 "
             "--samples 4 --set simulation.horizon=1.0",
             PB_SOURCE_DIR, pb_test_path("quad.h5"));
    rc = run(args, out, sizeof out);
    if (rc)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "4 sample(s) x 20 variant(s); bound violations: 0"));
}

/* Quantiles beyond the collect-and-sort size (2048 candidates): 6000
 * distinct RMS values go through the histogram passes; 3000 equal ones
 * (every sample at the same state, no noise) through the equal-key exit.
 * numpy.quantile (linear) on the rows is the oracle. */
static void test_cli_quantiles_large(void)
{
    static const char *py =
        "import sys, h5py, numpy as np\n"
        "f = h5py.File(sys.argv[1], 'r')\n"
        "s, a = f['summary'][()], f['aggregates'][()]\n"
        "for i in range(len(a)):\n"
        "    r = s[s['variant'] == i]\n"
        "    for loop in ('orig', 'pruned'):\n"
        "        x = r['rms_track_' + loop]; x = x[np.isfinite(x)]\n"
        "        assert len(x) == int(sys.argv[2]), len(x)\n"
        "        assert len(np.unique(x)) >= int(sys.argv[3])\n"
        "        for q, n in zip([0.05, 0.25, 0.5, 0.75, 0.95], ['05', '25', '50', '75', '95']):\n"
        "            want, got = np.quantile(x, q), a[i]['rms_%s_q%s' % (loop, n)]\n"
        "            assert abs(got - want) <= 1e-13 * abs(want), (loop, q, got, want)\n";
    char cfg[1300], res[1300], args[4096], out[OUT_MAX];
    int rc;

    fixtures();
    snprintf(cfg, sizeof cfg, "%s",
             write_cfg("q.cfg", NULL, "{ method = \"magnitude\"; sparsity = [0.5]; }",
                       "samples = 6000; chunk = 1000;\n"
                       "  sampler = { type = \"box\"; low = [-1.0, -1.0]; high = [1.0, 1.0]; };"));
    snprintf(res, sizeof res, "%s", pb_test_path("q.h5"));
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 2 --set simulation.horizon=0.25",
             cfg, res);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "'%s' 6000 5000", res);
    rc = pb_test_python(py, args, out, sizeof out);
    if (rc)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL(rc, 0);
    snprintf(
        cfg, sizeof cfg, "%s",
        write_cfg("q1.cfg", NULL, "{ method = \"magnitude\"; sparsity = [0.5]; }",
                  "samples = 3000; chunk = 1000;\n"
                  "  sampler = { type = \"gaussian\"; mean = [0.3, 0.0]; std = [0.0, 0.0]; };"));
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 2 --set simulation.horizon=0.25",
             cfg, res);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "'%s' 3000 1", res);
    rc = pb_test_python(py, args, out, sizeof out);
    if (rc)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL(rc, 0);
}

static const pb_test_case wilson_tests[] = {{"wilson_vs_scipy", test_wilson_scipy},
                                            {"wilson_vs_quadratic_roots", test_wilson_bounds},
                                            {NULL, NULL}};
static const pb_test_case lib_tests[] = {
    {"threads_1_2_3_bit_identical_unaligned_blocks", test_threads_bit_identical},
    {"pool_error_first_sample", test_pool_error_first_sample},
    {"randomised_limits", test_randomised_limits},
    {"streams_per_sample", test_streams_per_sample},
    {"outcomes_known", test_outcomes_known},
    {"outcomes_shipped_policy", test_outcomes_shipped_policy},
    {"options_refused", test_options_refused},
    {"disturbance_applied", test_disturbance_applied},
    {NULL, NULL}};
static const pb_test_case cli_tests[] = {
    {"study_aggregates_threads", test_cli_study_and_aggregates},
    {"grid", test_cli_grid},
    {"traces", test_cli_traces},
    {"quantiles_large", test_cli_quantiles_large},
    {"run_equals_montecarlo", test_cli_run_equals_montecarlo},
    {"shipped_configs", test_cli_shipped_configs},
    {"sigint_resume", test_sigint_resume},
    {"sigterm_resume", test_sigterm_resume},
    {"sigkill_resume", test_sigkill_resume},
    {"errors", test_cli_errors},
    {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {
    {"mc_wilson", wilson_tests}, {"mc_library", lib_tests}, {"mc_cli", cli_tests}, {NULL, NULL}};
