/* test_bounds_diff.c: the differential certificate and the local bound of
 * bounds_diff.h (docs/BOUNDS.md sections 11 and 12) against independent
 * oracles: dense grids, random samples and the test's own coordinate search
 * (the certificate's upper bound must hold everywhere), the exact maximum of
 * an affine difference at the corners of a box, and rank-one perturbations of
 * the same norm aligned with the worst direction (top singular vectors of the
 * network's Jacobian from z_k, computed here by a separate backward pass and
 * LAPACK's SVD).  The oracles run in binary64; a computed deviation errs by
 * far less than the relative slack 1e-9 the comparisons allow. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "bounds.h"
#include "bounds_diff.h"
#include "mlp.h"
#include "mlp_io.h"
#include "pb_test.h"
#include "prune.h"

#define SLACK 1e-9

static gsl_rng *rng_new(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

/* A random network n_in -> hidden... -> n_out, every hidden layer `act`, the
 * output layer linear; weights N(0, 1/n_in), biases N(0, 0.1). */
static mlp *rand_net(gsl_rng *r, size_t n_layers, const size_t sizes[], mlp_act act, int maps)
{
    mlp_act acts[8];
    mlp *m;
    for (size_t k = 0; k < n_layers; k++)
        acts[k] = k + 1 < n_layers ? act : MLP_ACT_LINEAR;
    m = mlp_alloc(n_layers, sizes, acts, NULL);
    for (size_t k = 0; k < n_layers; k++) {
        mlp_layer *l = &m->layers[k];
        double sc = 1.5 / sqrt((double)l->n_in);
        l->alpha = 0.1;
        for (size_t i = 0; i < l->n_out * l->n_in; i++)
            l->W[i] = gsl_ran_gaussian(r, sc);
        for (size_t i = 0; i < l->n_out; i++)
            l->b[i] = gsl_ran_gaussian(r, 0.1);
    }
    if (maps) {
        mlp_add_input_map(m, NULL);
        mlp_add_output_map(m, NULL);
        for (size_t i = 0; i < m->n_in; i++) {
            m->in_offset[i] = 0.3;
            m->in_scale[i] = i % 2 ? -0.7 : 1.3;
        }
        for (size_t i = 0; i < m->n_out; i++) {
            m->out_offset[i] = 0.1;
            m->out_scale[i] = 2.0;
            m->out_low[i] = -0.5; /* clipping active in parts of the box */
            m->out_high[i] = 0.5;
        }
    }
    return m;
}

static mlp *prune_magnitude(const mlp *m, double sparsity)
{
    prune_options o;
    mlp *p = NULL;
    prune_options_init(&o);
    o.sparsity = sparsity;
    CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find("magnitude"), &o, NULL, 0, &p, NULL), PB_SUCCESS);
    return p;
}

typedef struct oracle {
    mlp_work *wo, *wp;
    double uo[16], up[16];
} oracle;

static double dev_at(const mlp *o, const mlp *p, oracle *or, const double *x)
{
    double s = 0.0;
    mlp_eval(o, or->wo, x, or->uo);
    mlp_eval(p, or->wp, x, or->up);
    for (size_t i = 0; i < o->n_out; i++)
        s += (or->up[i] - or->uo[i]) * (or->up[i] - or->uo[i]);
    return sqrt(s);
}

/* The test's own adversary: coordinate pattern search from a start, steps
 * halving from a quarter of the box. */
static double pattern_search(const mlp *o, const mlp *p, oracle *or, const double *lo,
                             const double *hi, double *x)
{
    size_t n = o->n_in;
    double best = dev_at(o, p, or, x), step = 0.25;
    for (int it = 0; it < 30; it++) {
        int moved = 0;
        for (size_t j = 0; j < n; j++)
            for (int sg = -1; sg <= 1; sg += 2) {
                double old = x[j], v;
                x[j] = fmin(hi[j], fmax(lo[j], x[j] + sg * step * (hi[j] - lo[j])));
                v = dev_at(o, p, or, x);
                if (v > best) {
                    best = v;
                    moved = 1;
                } else {
                    x[j] = old;
                }
            }
        if (!moved)
            step *= 0.5;
    }
    return best;
}

/* Certificate of (o, p) over [lo, hi], then every oracle: a grid of g^n
 * points (n <= 3) or n_samples uniform samples, and pattern searches from 20
 * samples; returns upper / best found. */
static double check_pair(const mlp *o, const mlp *p, const double *lo, const double *hi,
                         size_t max_splits, size_t grid, size_t n_samples, gsl_rng *r)
{
    pb_error err;
    bounds_diff *d = bounds_diff_alloc(o, p, &err);
    bounds_diff_work *w;
    bounds_diff_opts opt;
    bounds_diff_result res;
    oracle or;
    double xl[16], x[16], best = 0.0;
    size_t n = o->n_in;

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    bounds_diff_opts_init(&opt);
    opt.max_splits = max_splits;
    opt.rtol = 0.0;
    w = bounds_diff_work_alloc(d, max_splits, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_EQUAL_FATAL(bounds_diff_eval(d, lo, hi, &opt, w, xl, &res, &err), PB_SUCCESS);
    or.wo = mlp_work_alloc(o, 1, NULL);
    or.wp = mlp_work_alloc(p, 1, NULL);

    CU_ASSERT(res.upper <= res.root_upper);
    CU_ASSERT(res.lower - res.lower_err <= res.upper);
    CU_ASSERT(res.lower_err <= 1e-10 * (1.0 + res.lower));
    for (size_t j = 0; j < n; j++)
        CU_ASSERT(xl[j] >= lo[j] && xl[j] <= hi[j]);
    PB_ASSERT_CLOSE(dev_at(o, p, &or, xl), res.lower, 1e-14, 1e-300);
    if (grid) {
        size_t total = 1;
        for (size_t j = 0; j < n; j++)
            total *= grid;
        for (size_t t = 0; t < total; t++) {
            size_t q = t;
            for (size_t j = 0; j < n; j++) {
                x[j] = lo[j] + (hi[j] - lo[j]) * (double)(q % grid) / (double)(grid - 1);
                q /= grid;
            }
            best = fmax(best, dev_at(o, p, &or, x));
        }
    }
    for (size_t t = 0; t < n_samples; t++) {
        for (size_t j = 0; j < n; j++)
            x[j] = lo[j] + (hi[j] - lo[j]) * gsl_rng_uniform(r);
        best = fmax(best, dev_at(o, p, &or, x));
    }
    for (size_t t = 0; t < 20; t++) {
        for (size_t j = 0; j < n; j++)
            x[j] = lo[j] + (hi[j] - lo[j]) * gsl_rng_uniform(r);
        best = fmax(best, pattern_search(o, p, &or, lo, hi, x));
    }
    CU_ASSERT(best <= res.upper * (1.0 + SLACK));
    if (best > res.upper * (1.0 + SLACK))
        printf("\n  VIOLATION: found %.17g > upper %.17g\n", best, res.upper);
    best = fmax(best, res.lower);
    mlp_work_free(or.wo);
    mlp_work_free(or.wp);
    bounds_diff_work_free(w);
    bounds_diff_free(d);
    return best > 0.0 ? res.upper / best : (res.upper == 0.0 ? 1.0 : INFINITY);
}

/* --------------------------------------------------------------- tests */

static void test_random_every_activation(void)
{
    gsl_rng *r = rng_new(11);
    double worst = 0.0;
    for (int act = 0; act < MLP_ACT_COUNT; act++)
        for (int maps = 0; maps < 2; maps++) {
            size_t s2[] = {2, 16, 16, 2}, s4[] = {4, 24, 24, 24, 3};
            double lo2[] = {-1.0, -0.5}, hi2[] = {1.0, 0.8};
            double lo4[] = {-0.4, -0.3, 0.1, -0.2}, hi4[] = {0.4, 0.3, 0.6, 0.0};
            mlp *m = rand_net(r, 3, s2, (mlp_act)act, maps), *p = prune_magnitude(m, 0.5);
            worst = fmax(worst, check_pair(m, p, lo2, hi2, 300, 150, 0, r));
            mlp_free(m);
            mlp_free(p);
            m = rand_net(r, 4, s4, (mlp_act)act, maps);
            p = prune_magnitude(m, 0.3);
            worst = fmax(worst, check_pair(m, p, lo4, hi4, 200, 12, 5000, r));
            mlp_free(m);
            mlp_free(p);
        }
    printf("\n  worst upper / best found (small nets): %.3g\n", worst);
    gsl_rng_free(r);
}

/* A compensated twin: every weight moved by scale * N(0, 1) (differences
 * inexact in binary64: the uncertain-entry path of the certificate), and
 * sparsity of the weights zeroed on top. */
static mlp *perturb_dense(const mlp *m, double scale, double sparsity, gsl_rng *r)
{
    mlp *p = sparsity > 0.0 ? prune_magnitude(m, sparsity) : mlp_clone(m, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    for (size_t k = 0; k < p->n_layers; k++) {
        mlp_layer *l = &p->layers[k];
        for (size_t e = 0; e < l->n_out * l->n_in; e++)
            l->W[e] += scale * gsl_ran_gaussian(r, 1.0);
    }
    return p;
}

/* The worst finite ratio (an infinite one: nothing found above 0, e.g. both
 * outputs clipped over the whole box; soundness is asserted regardless). */
static double fold(double worst, double ratio)
{
    return isfinite(ratio) ? fmax(worst, ratio) : worst;
}

/* Small differences, where the symbolic pass of the difference carries the
 * correlation of both networks: the root certificate alone (no split) and
 * with splits, every activation, against grids, samples and pattern search. */
static void test_small_difference(void)
{
    gsl_rng *r = rng_new(15);
    double worst_root = 0.0, worst = 0.0;
    for (int act = 0; act < MLP_ACT_COUNT; act++)
        for (int maps = 0; maps < 2; maps++) {
            size_t s3[] = {3, 32, 32, 2}, s4[] = {4, 64, 64, 64, 1};
            double lo3[] = {-0.3, 0.1, -0.2}, hi3[] = {0.3, 0.4, 0.2};
            double lo4[] = {-0.2, -0.1, 0.3, -0.2}, hi4[] = {0.2, 0.1, 0.4, 0.1};
            mlp *m = rand_net(r, 3, s3, (mlp_act)act, maps), *p = perturb_dense(m, 1e-3, 0.0, r);
            worst_root = fold(worst_root, check_pair(m, p, lo3, hi3, 0, 25, 2000, r));
            worst = fold(worst, check_pair(m, p, lo3, hi3, 100, 25, 2000, r));
            mlp_free(m);
            mlp_free(p);
            m = rand_net(r, 4, s4, (mlp_act)act, maps);
            p = perturb_dense(m, 1e-4, 0.2, r);
            worst_root = fold(worst_root, check_pair(m, p, lo4, hi4, 0, 8, 3000, r));
            worst = fold(worst, check_pair(m, p, lo4, hi4, 100, 8, 3000, r));
            mlp_free(m);
            mlp_free(p);
        }
    printf("\n  small differences: worst finite upper / best found %.3g at the root, %.3g after 100 splits",
           worst_root, worst);
    gsl_rng_free(r);
}

static void test_random_wide(void)
{
    gsl_rng *r = rng_new(12);
    mlp_act acts[] = {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_SIGMOID};
    for (size_t a = 0; a < 3; a++) {
        size_t s[] = {3, 512, 512, 1};
        double lo[] = {-0.2, -0.1, 0.0}, hi[] = {0.2, 0.1, 0.15};
        mlp *m = rand_net(r, 3, s, acts[a], a == 1), *p = prune_magnitude(m, 0.7);
        double ratio = check_pair(m, p, lo, hi, 8, 0, 300, r);
        printf("\n  512-wide %s: upper / best found %.3g", mlp_act_name(acts[a]), ratio);
        mlp_free(m);
        mlp_free(p);
    }
    gsl_rng_free(r);
}

/* The shipped 2-D pendulum policy pruned by magnitude, over a 1000 x 1000 grid. */
static void test_pendulum_grid(void)
{
    mlp *m = NULL, *p;
    pb_error err;
    bounds_diff *d;
    bounds_diff_work *w;
    bounds_diff_opts opt;
    bounds_diff_result res;
    double lo[] = {-0.5, 0.0}, hi[] = {0.8, 1.5}, xl[2], best = 0.0;
    const size_t g = 1000, chunk = 1000;
    double *X, *Uo, *Up;
    mlp_work *wo, *wp;

    CU_ASSERT_EQUAL_FATAL(
        mlp_read_h5(PB_TEST_DATA "/../../configs/policies/pendulum.h5", &m, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(m->n_in, 2);
    p = prune_magnitude(m, 0.5);
    d = bounds_diff_alloc(m, p, &err);
    bounds_diff_opts_init(&opt);
    w = bounds_diff_work_alloc(d, opt.max_splits, &err);
    CU_ASSERT_EQUAL_FATAL(bounds_diff_eval(d, lo, hi, &opt, w, xl, &res, &err), PB_SUCCESS);
    X = malloc(chunk * 2 * sizeof *X);
    Uo = malloc(chunk * m->n_out * sizeof *Uo);
    Up = malloc(chunk * m->n_out * sizeof *Up);
    wo = mlp_work_alloc(m, chunk, NULL);
    wp = mlp_work_alloc(p, chunk, NULL);
    for (size_t i = 0; i < g; i++) {
        for (size_t j = 0; j < g; j++) {
            X[2 * j] = lo[0] + (hi[0] - lo[0]) * (double)i / (double)(g - 1);
            X[2 * j + 1] = lo[1] + (hi[1] - lo[1]) * (double)j / (double)(g - 1);
        }
        mlp_eval_batch(m, wo, chunk, X, Uo);
        mlp_eval_batch(p, wp, chunk, X, Up);
        for (size_t j = 0; j < chunk; j++) {
            double s = 0.0;
            for (size_t o = 0; o < m->n_out; o++)
                s += (Up[j * m->n_out + o] - Uo[j * m->n_out + o]) *
                     (Up[j * m->n_out + o] - Uo[j * m->n_out + o]);
            best = fmax(best, sqrt(s));
        }
    }
    printf("\n  pendulum.h5, magnitude 0.5: grid max %.6g, lower %.6g, upper %.6g (%zu splits)",
           best, res.lower, res.upper, res.n_splits);
    CU_ASSERT(best <= res.upper * (1.0 + SLACK));
    CU_ASSERT(res.lower >= best * 0.99); /* the search finds the grid's maximum, nearly */
    CU_ASSERT(res.upper <= 1.5 * res.lower);
    free(X);
    free(Uo);
    free(Up);
    mlp_work_free(wo);
    mlp_work_free(wp);
    bounds_diff_work_free(w);
    bounds_diff_free(d);
    mlp_free(p);
    mlp_free(m);
}

/* Linear networks: the difference is affine, f(s) = A s + a, so with one
 * output sup_X |f| is attained at a corner; the root certificate must equal
 * it to rounding.  The oracle evaluates the corners in long double. */
static void test_linear_exact(void)
{
    gsl_rng *r = rng_new(13);
    for (int rep = 0; rep < 20; rep++) {
        size_t s[] = {3, 8, 8, 1};
        mlp_act acts[] = {MLP_ACT_LINEAR, MLP_ACT_LINEAR, MLP_ACT_LINEAR};
        mlp *m = mlp_alloc(3, s, acts, NULL), *p;
        double lo[3], hi[3], xl[3], upper;
        long double best = 0.0L;
        pb_error err;
        bounds_diff *d;
        bounds_diff_work *w;
        for (size_t k = 0; k < 3; k++) {
            mlp_layer *l = &m->layers[k];
            for (size_t i = 0; i < l->n_in * l->n_out; i++)
                l->W[i] = gsl_ran_gaussian(r, 0.5);
            for (size_t i = 0; i < l->n_out; i++)
                l->b[i] = gsl_ran_gaussian(r, 0.5);
        }
        if (rep % 2) { /* an input map, exact in binary64 (powers of two) */
            mlp_add_input_map(m, NULL);
            for (size_t i = 0; i < 3; i++) {
                m->in_offset[i] = 0.5;
                m->in_scale[i] = 2.0;
            }
        }
        p = prune_magnitude(m, 0.4);
        for (size_t j = 0; j < 3; j++) {
            lo[j] = gsl_ran_gaussian(r, 1.0);
            hi[j] = lo[j] + 0.5 + gsl_rng_uniform(r);
        }
        /* The corners in long double: the product of the layers' affine maps. */
        for (size_t c = 0; c < 8; c++) {
            long double h[8], z[8], ho[8], hp[8];
            for (size_t j = 0; j < 3; j++) {
                long double x = (c >> j) & 1 ? hi[j] : lo[j];
                h[j] = m->in_scale ? (x - 0.5L) * 2.0L : x;
            }
            for (int net = 0; net < 2; net++) {
                const mlp *q = net ? p : m;
                long double cur[8];
                memcpy(cur, h, sizeof h);
                for (size_t k = 0; k < 3; k++) {
                    const mlp_layer *l = &q->layers[k];
                    for (size_t i = 0; i < l->n_out; i++) {
                        z[i] = l->b[i];
                        for (size_t j = 0; j < l->n_in; j++)
                            z[i] += (long double)l->W[i * l->n_in + j] * cur[j];
                    }
                    memcpy(cur, z, sizeof z);
                }
                memcpy(net ? hp : ho, cur, sizeof cur);
            }
            best = fmaxl(best, fabsl(hp[0] - ho[0]));
        }
        d = bounds_diff_alloc(m, p, &err);
        w = bounds_diff_work_alloc(d, 0, &err);
        CU_ASSERT_EQUAL_FATAL(bounds_diff_box_upper(d, lo, hi, w, &upper, &err), PB_SUCCESS);
        CU_ASSERT((long double)upper >= best);
        CU_ASSERT((long double)upper <= best * (1.0L + 1e-12L));
        if (rep == 0)
            printf("\n  linear: upper %.17g, exact corner max %.17Lg", upper, best);
        (void)xl;
        bounds_diff_work_free(w);
        bounds_diff_free(d);
        mlp_free(p);
        mlp_free(m);
    }
    gsl_rng_free(r);
}

/* -------------------------------------------------------- local bound */

/* Rows of P_k = d N / d z_k at x (the original network), scaled by
 * |out_scale|: P (n_out x n_k), by a backward pass of its own. */
static void jacobian_rows(const mlp *m, const double *x, size_t k, double *P)
{
    double h[8][600], z[8][600];
    size_t L = m->n_layers;
    mlp_input_map(m, x, h[0]);
    for (size_t j = 0; j < L; j++) {
        const mlp_layer *l = &m->layers[j];
        for (size_t i = 0; i < l->n_out; i++) {
            z[j][i] = l->b[i];
            for (size_t c = 0; c < l->n_in; c++)
                z[j][i] += l->W[i * l->n_in + c] * h[j][c];
            h[j + 1][i] = z[j][i];
        }
        mlp_act_apply(l->act, l->alpha, l->n_out, h[j + 1]);
    }
    for (size_t o = 0; o < m->n_out; o++) {
        double v[600], v2[600];
        memset(v, 0, sizeof v);
        v[o] = m->out_scale ? fabs(m->out_scale[o]) : 1.0;
        for (size_t j = L; j-- > k;) {
            const mlp_layer *l = &m->layers[j];
            for (size_t i = 0; i < l->n_out; i++) {
                double zz = z[j][i], hh = h[j + 1][i], dsig;
                switch (l->act) {
                case MLP_ACT_RELU: dsig = zz > 0; break;
                case MLP_ACT_LEAKY_RELU: dsig = zz > 0 ? 1.0 : l->alpha; break;
                case MLP_ACT_TANH: dsig = 1 - hh * hh; break;
                case MLP_ACT_SIGMOID: dsig = hh * (1 - hh); break;
                case MLP_ACT_HARDTANH: dsig = fabs(zz) < 1; break;
                default: dsig = 1; break;
                }
                v[i] *= dsig;
            }
            if (j == k)
                break;
            for (size_t c = 0; c < l->n_in; c++) {
                v2[c] = 0.0;
                for (size_t i = 0; i < l->n_out; i++)
                    v2[c] += l->W[i * l->n_in + c] * v[i];
            }
            memcpy(v, v2, sizeof v);
        }
        memcpy(P + o * m->layers[k].n_out, v, m->layers[k].n_out * sizeof *v);
    }
}

/* dev_bound of the pair at x (bounds.h). */
static double pair_dev_bound(const mlp *m, const mlp *p, const double *x)
{
    bounds_model *bm = bounds_model_alloc(m, NULL);
    bounds_pair *pr = bounds_pair_alloc(m, bm, p, NULL);
    mlp_work *wo = mlp_work_alloc(m, 1, NULL), *wp = mlp_work_alloc(p, 1, NULL);
    const double *ho[8], *hp[8];
    double uo[8], up[8], hco[8], hcp[8], hn[8], eta[8];
    bounds_point pt;
    mlp_eval(m, wo, x, uo);
    mlp_eval(p, wp, x, up);
    for (size_t j = 0; j <= m->n_layers; j++) {
        ho[j] = mlp_work_hidden(wo, j);
        hp[j] = mlp_work_hidden(wp, j);
    }
    bounds_pass_norms(bm, ho, hco);
    bounds_pass_norms(pr->pruned, hp, hcp);
    bounds_pair_eval(pr, hco, uo, hcp, up, hn, eta, &pt);
    mlp_work_free(wo);
    mlp_work_free(wp);
    bounds_pair_free(pr);
    bounds_model_free(bm);
    return pt.bound;
}

static void test_local_rank_one(void)
{
    gsl_rng *r = rng_new(14);
    size_t n_cases = 0, n_tight = 0;
    double med_gain[64];
    size_t n_gain = 0;
    for (int act = 0; act < MLP_ACT_COUNT; act++)
        for (int rep = 0; rep < 6; rep++) {
            size_t s[] = {4, rep < 4 ? 16 : 256, 16, 2};
            int maps = rep % 2;
            mlp *m = rand_net(r, 3, s, (mlp_act)act, maps), *p = prune_magnitude(m, 0.2 + 0.1 * rep);
            double x[4], rho[3], local, out, db, *w;
            double scale = rep == 2 ? 1e-6 : 1.0; /* tiny radii: locally linear */
            pb_error err;
            for (size_t j = 0; j < 4; j++)
                x[j] = gsl_ran_gaussian(r, 0.5);
            w = malloc(bounds_local_work_size(m) * sizeof *w);
            for (size_t k = 0; k < 3; k++)
                rho[k] = p->layers[k].dW_norm * scale;
            db = pair_dev_bound(m, p, x);
            CU_ASSERT_EQUAL_FATAL(bounds_local_eval(m, x, rho, NULL, scale == 1.0 ? db : INFINITY,
                                                    w, &local, &out, &err),
                                  PB_SUCCESS);
            CU_ASSERT(out <= db || scale != 1.0);
            if (scale == 1.0 && db > 0.0 && out > 0.0)
                med_gain[n_gain++] = db / out;
            /* The actual pair: within min(local, dev_bound). */
            if (scale == 1.0) {
                oracle or = {mlp_work_alloc(m, 1, NULL), mlp_work_alloc(p, 1, NULL), {0}, {0}};
                CU_ASSERT(dev_at(m, p, &or, x) <= out * (1.0 + SLACK));
                mlp_work_free(or.wo);
                mlp_work_free(or.wp);
            }
            /* Rank-one perturbations of norm rho_k aligned with the worst direction:
             * dW' = rho u v^T, v = h_k / ||h_k||, u the top right singular vector of P_k;
             * one layer at a time and all at once, both signs. */
            for (int all = 0; all < 2; all++)
                for (int sg = -1; sg <= 1; sg += 2)
                    for (size_t k0 = 0; k0 < (all ? 1 : 3); k0++) {
                        double local_all = local;
                        mlp *q = mlp_clone(m, NULL);
                        mlp_work *wq = mlp_work_alloc(q, 1, NULL), *wm = mlp_work_alloc(m, 1, NULL);
                        double uq[8], um[8], dev = 0.0;
                        for (size_t k = (all ? 0 : k0); k < (all ? 3 : k0 + 1); k++) {
                            size_t nk = m->layers[k].n_out, ni = m->layers[k].n_in;
                            double *P = malloc(m->n_out * nk * sizeof *P), sv[8], vt[600 * 1],
                                   hk[600], hn = 0.0, *Pc = malloc(m->n_out * nk * sizeof *Pc),
                                   superb[8];
                            double *VT = malloc(nk * nk * sizeof *VT);
                            const double *h;
                            jacobian_rows(m, x, k, P);
                            memcpy(Pc, P, m->n_out * nk * sizeof *P);
                            LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'A', (int)m->n_out, (int)nk, Pc,
                                           (int)nk, sv, NULL, 1, VT, (int)nk, superb);
                            mlp_eval(m, wm, x, um);
                            h = mlp_work_hidden(wm, k);
                            for (size_t c = 0; c < ni; c++) {
                                hk[c] = h[c];
                                hn += h[c] * h[c];
                            }
                            hn = sqrt(hn);
                            for (size_t i = 0; i < nk; i++)
                                for (size_t c = 0; c < ni; c++)
                                    q->layers[k].W[i * ni + c] += sg * rho[k] * (1.0 - 1e-9) *
                                                                  VT[i] * hk[c] / hn;
                            (void)vt;
                            free(P);
                            free(Pc);
                            free(VT);
                        }
                        mlp_eval(q, wq, x, uq);
                        mlp_eval(m, wm, x, um);
                        for (size_t o = 0; o < m->n_out; o++)
                            dev += (uq[o] - um[o]) * (uq[o] - um[o]);
                        dev = sqrt(dev);
                        CU_ASSERT(dev <= local * (1.0 + SLACK));
                        if (dev > local * (1.0 + SLACK))
                            printf("\n  LOCAL VIOLATION %s rep %d: %.17g > %.17g",
                                   mlp_act_name((mlp_act)act), rep, dev, local);
                        /* Tight for one layer where the network is locally linear. */
                        if (!all) { /* against the bound of that layer's ball alone */
                            double rk[3] = {0.0, 0.0, 0.0}, lk, ok;
                            rk[k0] = rho[k0];
                            CU_ASSERT_EQUAL(bounds_local_eval(m, x, rk, NULL, INFINITY, w, &lk, &ok, &err),
                                            PB_SUCCESS);
                            CU_ASSERT(lk <= local * (1.0 + SLACK));
                            CU_ASSERT(dev <= lk * (1.0 + SLACK));
                            local = lk;
                        }
                        if (!all && scale != 1.0 && !maps) {
                            if (getenv("PB_DEBUG"))
                                printf("\n  %s k%zu dev %.6g local %.6g", mlp_act_name((mlp_act)act), k0, dev, local);
                            n_cases++;
                            n_tight += dev >= 0.999 * local;
                        }
                        local = local_all;
                        mlp_work_free(wq);
                        mlp_work_free(wm);
                        mlp_free(q);
                    }
            free(w);
            mlp_free(m);
            mlp_free(p);
        }
    printf("\n  local bound attained within 0.1%% in %zu of %zu locally linear cases", n_tight,
           n_cases);
    /* At radius 1e-6 every slope interval is (nearly) a point on generic states, for
     * every activation, so the rank-one perturbation attains the bound. */
    CU_ASSERT_EQUAL(n_tight, n_cases);
    {
        double s = 0.0;
        for (size_t i = 0; i < n_gain; i++)
            s += log(med_gain[i]);
        printf("\n  geometric mean dev_bound / min(local, dev_bound): %.3g", exp(s / (double)n_gain));
    }
    gsl_rng_free(r);
}

static void test_errors(void)
{
    size_t s[] = {2, 4, 1}, s3[] = {2, 4, 4, 1};
    mlp_act acts[] = {MLP_ACT_RELU, MLP_ACT_LINEAR, MLP_ACT_LINEAR};
    mlp *m = mlp_alloc(2, s, acts, NULL), *m3 = mlp_alloc(3, s3, acts, NULL);
    pb_error err;
    bounds_diff *d;
    bounds_diff_work *w;
    bounds_diff_opts o;
    bounds_diff_result r;
    double lo[] = {0.0, 0.0}, hi[] = {1.0, -1.0}, xl[2], rho[] = {-1.0, 0.0}, wl[256], a, b;

    CU_ASSERT_PTR_NULL(bounds_diff_alloc(m, m3, &err));
    d = bounds_diff_alloc(m, m, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    w = bounds_diff_work_alloc(d, 4, &err);
    bounds_diff_opts_init(&o);
    CU_ASSERT_EQUAL(bounds_diff_eval(d, lo, hi, &o, w, xl, &r, &err), PB_EINVAL);
    CU_ASSERT(strstr(err.msg, "dimension 2") != NULL);
    hi[1] = 1.0;
    CU_ASSERT_EQUAL(bounds_diff_eval(d, lo, hi, &o, w, xl, &r, &err), PB_EINVAL); /* 1000 > 4 */
    o.max_splits = 4;
    CU_ASSERT_EQUAL(bounds_diff_eval(d, lo, hi, &o, w, xl, &r, &err), PB_SUCCESS);
    CU_ASSERT(r.upper <= 1e-12); /* identical networks: rounding only */
    CU_ASSERT_EQUAL(r.lower, 0.0);
    CU_ASSERT(bounds_local_work_size(m) <= 256);
    CU_ASSERT_EQUAL(bounds_local_eval(m, lo, rho, NULL, 1.0, wl, &a, &b, &err), PB_EINVAL);
    rho[0] = 0.0;
    CU_ASSERT_EQUAL(bounds_local_eval(m, lo, rho, NULL, 1.0, wl, &a, &b, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(a, 0.0);
    bounds_diff_work_free(w);
    bounds_diff_free(d);
    mlp_free(m);
    mlp_free(m3);
}

static const pb_test_case diff_tests[] = {{"random_every_activation", test_random_every_activation},
                                          {"small_difference", test_small_difference},
                                          {"random_512_wide", test_random_wide},
                                          {"pendulum_1000x1000", test_pendulum_grid},
                                          {"linear_exact", test_linear_exact},
                                          {NULL, NULL}};
static const pb_test_case local_tests[] = {{"rank_one_worst_direction", test_local_rank_one},
                                           {NULL, NULL}};
static const pb_test_case error_tests[] = {{"every_error_path", test_errors}, {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {{"bounds_diff", diff_tests},
                                        {"bounds_local", local_tests},
                                        {"bounds_diff_errors", error_tests},
                                        {NULL, NULL}};
