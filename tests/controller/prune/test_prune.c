/* test_prune.c: the pruning methods and their driver (controller/prune/prune.h).
 * Oracles: least-squares refits by GSL's QR (OBS exactness, Hassibi & Stork
 * 1993), brute force over weight subsets (OBD), NumPy (SVD of dW, the
 * reconstruction error, an unblocked SparseGPT written from the paper's
 * Algorithm 1), counting rules of docs/PRUNING.md. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <hdf5.h>

#include "mlp.h"
#include "mlp_io.h"
#include "pb_test.h"
#include "prune.h"

/* ---- fixtures ---- */

static void fill_normal(gsl_rng *r, size_t n, double a[], double sd)
{
    for (size_t i = 0; i < n; i++)
        a[i] = gsl_ran_gaussian(r, sd);
}

/* A network with the given sizes and activation on hidden layers, linear
 * output, normal weights and biases. */
static mlp *net_random(gsl_rng *r, size_t n_layers, const size_t sizes[], mlp_act hidden)
{
    mlp_act acts[8];
    mlp *m;
    for (size_t j = 0; j < n_layers; j++)
        acts[j] = j + 1 < n_layers ? hidden : MLP_ACT_LINEAR;
    m = mlp_alloc(n_layers, sizes, acts, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    for (size_t j = 0; j < n_layers; j++) {
        fill_normal(r, m->layers[j].n_in * m->layers[j].n_out, m->layers[j].W,
                    1.0 / sqrt((double)m->layers[j].n_in));
        fill_normal(r, m->layers[j].n_out, m->layers[j].b, 0.1);
    }
    return m;
}

/* X (n x c) = Z A with Z standard normal and A = I + 0.8 * normal: strongly
 * correlated inputs, like states along a trajectory. */
static double *inputs_correlated(gsl_rng *r, size_t n, size_t c)
{
    double *Z = malloc(n * c * sizeof *Z), *A = malloc(c * c * sizeof *A);
    double *X = malloc(n * c * sizeof *X);
    CU_ASSERT_FATAL(Z && A && X);
    fill_normal(r, n * c, Z, 1.0);
    fill_normal(r, c * c, A, 0.8);
    for (size_t i = 0; i < c; i++)
        A[i * c + i] += 1.0;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)c, (int)c, 1.0, Z, (int)c,
                A, (int)c, 0.0, X, (int)c);
    free(Z);
    free(A);
    return X;
}

static size_t count_zeros(const unsigned char *mask, size_t n)
{
    size_t z = 0;
    for (size_t i = 0; i < n; i++)
        z += mask[i] == 0;
    return z;
}

/* W is exactly 0 wherever the mask is 0. */
static int masked_are_zero(const mlp_layer *l)
{
    for (size_t i = 0; i < l->n_in * l->n_out; i++)
        if (!l->mask[i] && l->W[i] != 0.0)
            return 0;
    return 1;
}

static const char *const all_methods[] = {"magnitude", "obd", "obs", "sparsegpt"};

static int nets_identical(const mlp *a, const mlp *b);

/* ---- registry and parsing ---- */

static void test_registry(void)
{
    for (size_t i = 0; i < 4; i++) {
        const prune_method *p = prune_find(all_methods[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        CU_ASSERT_STRING_EQUAL(p->name, all_methods[i]);
        CU_ASSERT_PTR_NOT_NULL(p->apply);
        CU_ASSERT_PTR_NOT_NULL(p->work_size);
    }
    CU_ASSERT_PTR_NULL(prune_find("optimal"));
    CU_ASSERT_PTR_NULL(prune_find(NULL));
    CU_ASSERT_PTR_NOT_NULL(prune_find("magnitude")->score); /* global ranking */
    CU_ASSERT_PTR_NULL(prune_find("sparsegpt")->score);
}

static void test_parse(void)
{
    size_t n = 0, m = 0, layers[4], k = 99;
    pb_error err;
    const char *bad_pat[] = {"2-4", "4:2", "2:2", "0:4", "2:", ":4", "a:b", "2:4x", "", "-1:4"};
    const char *bad_lay[] = {"0", "4", "1,1", "1,,2", "x", "", "1,", "2,1,3,2", "-1"};

    CU_ASSERT_EQUAL(prune_pattern_parse("2:4", &n, &m, &err), PB_SUCCESS);
    CU_ASSERT(n == 2 && m == 4);
    CU_ASSERT_EQUAL(prune_pattern_parse("1:3", &n, &m, &err), PB_SUCCESS);
    CU_ASSERT(n == 1 && m == 3);
    for (size_t i = 0; i < sizeof bad_pat / sizeof *bad_pat; i++) {
        pb_error_clear(&err);
        CU_ASSERT_EQUAL(prune_pattern_parse(bad_pat[i], &n, &m, &err), PB_EINVAL);
        CU_ASSERT(strlen(err.msg) > 0);
    }
    CU_ASSERT_EQUAL(prune_layers_parse("all", 3, layers, 4, &k, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(k, 0);
    CU_ASSERT_EQUAL(prune_layers_parse("1,3", 3, layers, 4, &k, &err), PB_SUCCESS);
    CU_ASSERT(k == 2 && layers[0] == 1 && layers[1] == 3);
    for (size_t i = 0; i < sizeof bad_lay / sizeof *bad_lay; i++) {
        pb_error_clear(&err);
        CU_ASSERT_EQUAL(prune_layers_parse(bad_lay[i], 3, layers, 4, &k, &err), PB_EINVAL);
        CU_ASSERT(strlen(err.msg) > 0);
    }
    /* More layers than the caller's array holds. */
    CU_ASSERT_EQUAL(prune_layers_parse("1,2,3", 3, layers, 2, &k, &err), PB_EINVAL);
}

/* ---- OBS: exact refit on a least-squares problem ---- */

/* Least-squares solution of min ||X[:, keep] v - y|| by GSL's QR;
 * v is scattered into w (n_keep of c entries, 0 elsewhere); returns the
 * residual sum of squares. */
static double lstsq_subset(size_t n, size_t c, const double X[], const double y[],
                           const unsigned char keep[], double w[])
{
    size_t nk = 0, col = 0;
    for (size_t j = 0; j < c; j++)
        nk += keep[j] != 0;
    gsl_matrix *A = gsl_matrix_alloc(n, nk);
    gsl_vector *tau = gsl_vector_alloc(nk), *v = gsl_vector_alloc(nk), *res = gsl_vector_alloc(n);
    gsl_vector_const_view yv = gsl_vector_const_view_array(y, n);
    double rss;
    for (size_t j = 0; j < c; j++) {
        if (!keep[j])
            continue;
        for (size_t i = 0; i < n; i++)
            gsl_matrix_set(A, i, col, X[i * c + j]);
        col++;
    }
    CU_ASSERT_EQUAL(gsl_linalg_QR_decomp(A, tau), GSL_SUCCESS);
    CU_ASSERT_EQUAL(gsl_linalg_QR_lssolve(A, tau, &yv.vector, v, res), GSL_SUCCESS);
    col = 0;
    for (size_t j = 0; j < c; j++)
        w[j] = keep[j] ? gsl_vector_get(v, col++) : 0.0;
    rss = 0.0;
    for (size_t i = 0; i < n; i++)
        rss += gsl_vector_get(res, i) * gsl_vector_get(res, i);
    gsl_matrix_free(A);
    gsl_vector_free(tau);
    gsl_vector_free(v);
    gsl_vector_free(res);
    return rss;
}

static void test_obs_least_squares(void)
{
    const size_t n = 200, c = 8;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double *X, y[200], w_full[8], w_ref[8];
    unsigned char keep[8];
    size_t sizes[2] = {c, 1};
    mlp *m, *p = NULL;
    prune_options o;
    pb_error err;

    gsl_rng_set(r, 11);
    X = inputs_correlated(r, n, c);
    for (size_t i = 0; i < n; i++) {
        y[i] = gsl_ran_gaussian(r, 0.3);
        for (size_t j = 0; j < c; j++)
            y[i] += (0.5 + 0.2 * (double)j) * X[i * c + j] * (j % 3 == 1 ? 0.1 : 1.0);
    }
    memset(keep, 1, c);
    lstsq_subset(n, c, X, y, keep, w_full);
    m = mlp_alloc(1, sizes, NULL, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    memcpy(m->layers[0].W, w_full, c * sizeof *w_full);

    /* k = 1, 2, 3 and 5 removals (sparsity k/8 exactly representable). */
    for (size_t k = 1; k <= 5; k += (k == 3 ? 2 : 1)) {
        double best_rss = INFINITY;
        size_t best_q = c, q = c;
        prune_options_init(&o);
        o.sparsity = (double)k / (double)c;
        o.damp = 0.0;
        CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find("obs"), &o, X, n, &p, &err), PB_SUCCESS);
        CU_ASSERT_EQUAL(count_zeros(p->layers[0].mask, c), k);
        /* The kept weights are the least-squares refit on the kept columns. */
        lstsq_subset(n, c, X, y, p->layers[0].mask, w_ref);
        for (size_t j = 0; j < c; j++)
            PB_ASSERT_CLOSE(p->layers[0].W[j], w_ref[j], 0.0, 1e-10);
        if (k == 1) {
            /* The removed weight is the one whose removal costs least (brute force). */
            for (size_t j = 0; j < c; j++) {
                double tmp[8], rss;
                memset(keep, 1, c);
                keep[j] = 0;
                rss = lstsq_subset(n, c, X, y, keep, tmp);
                if (rss < best_rss) {
                    best_rss = rss;
                    best_q = j;
                }
                if (!p->layers[0].mask[j])
                    q = j;
            }
            CU_ASSERT_EQUAL(q, best_q);
        }
        mlp_free(p);
        p = NULL;
    }
    mlp_free(m);
    free(X);
    gsl_rng_free(r);
}

/* OBS's selection across rows (OBC): when one row's weights are 1000 times
 * smaller, removing them costs about 1e-6 of any other removal, so all of the
 * layer's k = 8 removals come from that row (uniform counts would take 2 per row). */
static void test_obs_rows(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t sizes[2] = {8, 4};
    mlp *m, *p = NULL;
    double *X;
    prune_options o;
    pb_error err;

    gsl_rng_set(r, 17);
    m = net_random(r, 1, sizes, MLP_ACT_LINEAR);
    for (size_t j = 0; j < 8; j++)
        m->layers[0].W[2 * 8 + j] *= 1e-3;
    X = inputs_correlated(r, 100, 8);
    prune_options_init(&o);
    o.sparsity = 0.25;
    CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find("obs"), &o, X, 100, &p, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(count_zeros(p->layers[0].mask + 2 * 8, 8), 8);
    CU_ASSERT_EQUAL(count_zeros(p->layers[0].mask, 32), 8);
    /* The other rows are untouched (no removal, so no compensation). */
    for (size_t i = 0; i < 4; i++)
        if (i != 2)
            CU_ASSERT_EQUAL(
                memcmp(p->layers[0].W + i * 8, m->layers[0].W + i * 8, 8 * sizeof(double)), 0);
    mlp_free(p);
    mlp_free(m);
    free(X);
    gsl_rng_free(r);
}

/* ---- second-order methods beat magnitude ---- */

/* Over 100 random layers with correlated inputs, OBS and SparseGPT reach a
 * lower reconstruction error than magnitude at the same sparsity, in every
 * case, for unstructured 50 % and 2:4.  SparseGPT runs with B = 128 and
 * Bs = 8 (the mask chosen every 8 of the 32 inputs).  With the default
 * Bs = B = 128 >= n_in the mask is chosen once before any
 * compensation, and SparseGPT loses to magnitude on some unstructured layers
 * (docs/PRUNING.md): that case is counted and printed, and only its mean is
 * asserted lower. */
static void test_beats_magnitude(void)
{
    const size_t R = 16, C = 32, n = 256;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t sizes[2] = {C, R}, exceptions = 0, lost_b128[2] = {0, 0};
    double mean_mag[2] = {0, 0}, mean_b128[2] = {0, 0};
    const char *pats[2] = {"unstructured", "2:4"};

    gsl_rng_set(r, 2026);
    for (int trial = 0; trial < 100; trial++) {
        mlp *m = net_random(r, 1, sizes, MLP_ACT_LINEAR);
        double *X = inputs_correlated(r, n, C);
        for (int pat = 0; pat < 2; pat++) {
            double rec[4];
            const char *names[4] = {"magnitude", "obs", "sparsegpt", "sparsegpt"};
            for (int k = 0; k < 4; k++) {
                prune_options o;
                mlp *p = NULL;
                pb_error err;
                prune_options_init(&o);
                o.sparsity = 0.5;
                o.mask_block = k == 2 ? 8 : 0;
                if (pat) {
                    o.nm_n = 2;
                    o.nm_m = 4;
                }
                CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find(names[k]), &o, X, n, &p, &err),
                                      PB_SUCCESS);
                rec[k] = p->layers[0].recon_err;
                mlp_free(p);
            }
            if (!(rec[1] < rec[0] && rec[2] < rec[0])) {
                exceptions++;
                fprintf(stderr, "trial %d %s: recon magnitude %.6g obs %.6g sparsegpt %.6g\n",
                        trial, pats[pat], rec[0], rec[1], rec[2]);
            }
            mean_mag[pat] += rec[0] / 100.0;
            mean_b128[pat] += rec[3] / 100.0;
            lost_b128[pat] += !(rec[3] < rec[0]);
        }
        mlp_free(m);
        free(X);
    }
    CU_ASSERT_EQUAL(exceptions, 0);
    for (int pat = 0; pat < 2; pat++) {
        fprintf(stderr,
                "note: %s, SparseGPT with B = 128 (one block): worse than magnitude on "
                "%zu of 100 layers; mean recon %.6g vs magnitude %.6g\n",
                pats[pat], lost_b128[pat], mean_b128[pat], mean_mag[pat]);
        CU_ASSERT(mean_b128[pat] < mean_mag[pat]);
    }
    gsl_rng_free(r);
}

/* ---- mask counts ---- */

static void test_nm_counts(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    /* n_in 12: full groups; 10 with M = 4 leaves a tail of 2, with M = 3 a tail of 1. */
    const size_t n_ins[2] = {12, 10};
    const size_t pats[3][2] = {{2, 4}, {1, 3}, {3, 4}};

    gsl_rng_set(r, 5);
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 3; b++)
            for (int k = 0; k < 4; k++) {
                size_t C = n_ins[a], N = pats[b][0], M = pats[b][1];
                size_t sizes[3] = {C, 7, 3};
                mlp *m = net_random(r, 2, sizes, MLP_ACT_TANH), *p = NULL;
                double *X = inputs_correlated(r, 40, C);
                prune_options o;
                pb_error err;
                size_t layers[1] = {1};
                prune_options_init(&o);
                o.nm_n = N;
                o.nm_m = M;
                o.block = 5; /* rounded down to a multiple of M by SparseGPT */
                o.layers = layers;
                o.n_sel = 1;
                CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find(all_methods[k]), &o, X, 40, &p, &err),
                                      PB_SUCCESS);
                for (size_t i = 0; i < 7; i++)
                    for (size_t g = 0; g < C; g += M) {
                        size_t len = C - g < M ? C - g : M;
                        size_t want = len == M ? N : (N * len) / M; /* tail: floor(N len / M) */
                        CU_ASSERT_EQUAL(count_zeros(p->layers[0].mask + i * C + g, len), want);
                    }
                CU_ASSERT(masked_are_zero(&p->layers[0]));
                CU_ASSERT_PTR_NULL(p->layers[1].mask); /* layer 2 not selected */
                CU_ASSERT_EQUAL(memcmp(p->layers[1].W, m->layers[1].W, 21 * sizeof(double)), 0);
                CU_ASSERT(isnan(p->layers[1].dW_norm));
                mlp_free(p);
                mlp_free(m);
                free(X);
            }
    gsl_rng_free(r);
}

static void test_unstructured_counts(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    const double sp[5] = {0.1, 1.0 / 3.0, 0.5, 0.77, 0.95};
    size_t sizes[4] = {30, 17, 9, 2};

    gsl_rng_set(r, 6);
    for (int k = 0; k < 4; k++)
        for (int a = 0; a < 5; a++) {
            mlp *m = net_random(r, 3, sizes, MLP_ACT_RELU), *p = NULL;
            double *X = inputs_correlated(r, 64, 30);
            prune_options o;
            pb_error err;
            prune_options_init(&o);
            o.sparsity = sp[a];
            o.block = 8; /* several SparseGPT blocks, the last one partial */
            CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find(all_methods[k]), &o, X, 64, &p, &err),
                                  PB_SUCCESS);
            for (size_t j = 0; j < 3; j++) {
                const mlp_layer *l = &p->layers[j];
                size_t nw = l->n_in * l->n_out;
                CU_ASSERT_EQUAL(count_zeros(l->mask, nw), (size_t)floor(sp[a] * (double)nw));
                CU_ASSERT(masked_are_zero(l));
                CU_ASSERT(l->dW_norm > 0.0 && isfinite(l->recon_err));
            }
            CU_ASSERT_STRING_EQUAL(p->prov.method, all_methods[k]);
            CU_ASSERT_STRING_EQUAL(p->prov.pattern, "unstructured");
            CU_ASSERT_EQUAL(p->prov.sparsity, sp[a]);
            mlp_free(p);
            mlp_free(m);
            free(X);
        }
    gsl_rng_free(r);
}

/* Global magnitude: floor(s * total) zeros over the selected layers, and every
 * pruned |w| is <= every kept |w| across those layers. */
static void test_global_magnitude(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t sizes[4] = {6, 20, 10, 2}, layers[2] = {1, 3};
    mlp *m, *p = NULL;
    prune_options o;
    pb_error err;
    double max_pruned = 0.0, min_kept = INFINITY;
    size_t zeros = 0, total = 6 * 20 + 10 * 2;

    gsl_rng_set(r, 7);
    m = net_random(r, 3, sizes, MLP_ACT_TANH);
    /* Make layer 3 much smaller so a global threshold differs from per-layer ones. */
    for (size_t i = 0; i < 20; i++)
        m->layers[2].W[i] *= 0.05;
    prune_options_init(&o);
    o.sparsity = 0.4;
    o.global = 1;
    o.layers = layers;
    o.n_sel = 2;
    CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find("magnitude"), &o, NULL, 0, &p, &err), PB_SUCCESS);
    for (size_t a = 0; a < 2; a++) {
        const mlp_layer *l = &p->layers[layers[a] - 1], *lo = &m->layers[layers[a] - 1];
        for (size_t i = 0; i < l->n_in * l->n_out; i++) {
            if (l->mask[i]) {
                min_kept = fmin(min_kept, fabs(lo->W[i]));
                CU_ASSERT_EQUAL(l->W[i], lo->W[i]);
            } else {
                max_pruned = fmax(max_pruned, fabs(lo->W[i]));
                zeros++;
            }
        }
        CU_ASSERT(isnan(l->recon_err)); /* no calibration given */
        CU_ASSERT(l->dW_norm > 0.0);
    }
    /* A states pointer with n = 0 also means "no calibration". */
    {
        double dummy[6] = {0};
        mlp *p2 = NULL;
        CU_ASSERT_EQUAL(prune_mlp(m, prune_find("magnitude"), &o, dummy, 0, &p2, &err), PB_SUCCESS);
        CU_ASSERT(p2 && nets_identical(p, p2));
        mlp_free(p2);
    }
    CU_ASSERT_EQUAL(zeros, (size_t)floor(0.4 * (double)total));
    CU_ASSERT(max_pruned <= min_kept);
    CU_ASSERT_EQUAL(count_zeros(p->layers[2].mask, 20), 20); /* all of the small layer */
    CU_ASSERT_PTR_NULL(p->layers[1].mask);
    mlp_free(p);
    mlp_free(m);
    gsl_rng_free(r);
}

/* ---- OBD picks the saliency minimiser ---- */

static void test_obd_brute_force(void)
{
    const size_t n = 20, R = 2, C = 3, nw = 6, k = 2;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t sizes[2] = {C, R};
    mlp *m, *p = NULL, *t;
    mlp_work *wk;
    double *X, *U0, *U1, loss[6], best = INFINITY;
    unsigned best_set = 0;
    prune_options o;
    pb_error err;

    gsl_rng_set(r, 8);
    m = net_random(r, 1, sizes, MLP_ACT_LINEAR);
    X = inputs_correlated(r, n, C);
    t = mlp_clone(m, &err);
    wk = mlp_work_alloc(m, n, &err);
    U0 = malloc(n * R * sizeof *U0);
    U1 = malloc(n * R * sizeof *U1);
    CU_ASSERT_FATAL(t && wk && U0 && U1);
    /* Actual cost of removing each weight alone, by forward passes:
     * (1/n) ||N(X) - N_{-w}(X)||_F^2 (the layer loss that H = (2/n) X^T X is the Hessian of,
     * halved). */
    mlp_eval_batch(m, wk, n, X, U0);
    for (size_t i = 0; i < nw; i++) {
        double s = 0.0;
        memcpy(t->layers[0].W, m->layers[0].W, nw * sizeof(double));
        t->layers[0].W[i] = 0.0;
        mlp_eval_batch(t, wk, n, X, U1);
        for (size_t a = 0; a < n * R; a++)
            s += (U0[a] - U1[a]) * (U0[a] - U1[a]);
        loss[i] = s / (double)n;
    }
    /* Every subset of k weights: the one of least summed saliency. */
    for (unsigned set = 0; set < (1u << nw); set++) {
        double s = 0.0;
        if ((size_t)__builtin_popcount(set) != k)
            continue;
        for (size_t i = 0; i < nw; i++)
            if (set & (1u << i))
                s += loss[i];
        if (s < best) {
            best = s;
            best_set = set;
        }
    }
    prune_options_init(&o);
    o.sparsity = 0.34; /* floor(0.34 * 6) = 2 */
    CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find("obd"), &o, X, n, &p, &err), PB_SUCCESS);
    for (size_t i = 0; i < nw; i++) {
        CU_ASSERT_EQUAL(p->layers[0].mask[i] == 0, (best_set >> i) & 1u);
        CU_ASSERT_EQUAL(p->layers[0].W[i], p->layers[0].mask[i] ? m->layers[0].W[i] : 0.0);
    }
    mlp_free(p);
    mlp_free(t);
    mlp_free(m);
    mlp_work_free(wk);
    free(U0);
    free(U1);
    free(X);
    gsl_rng_free(r);
}

/* ---- determinism and sparsity 0 ---- */

static int nets_identical(const mlp *a, const mlp *b)
{
    for (size_t j = 0; j < a->n_layers; j++) {
        const mlp_layer *x = &a->layers[j], *y = &b->layers[j];
        size_t nw = x->n_in * x->n_out;
        if (memcmp(x->W, y->W, nw * sizeof(double)) ||
            memcmp(x->b, y->b, x->n_out * sizeof(double)))
            return 0;
        if ((x->mask == NULL) != (y->mask == NULL) || (x->mask && memcmp(x->mask, y->mask, nw)))
            return 0;
        if (memcmp(&x->dW_norm, &y->dW_norm, sizeof(double)) ||
            memcmp(&x->recon_err, &y->recon_err, sizeof(double)))
            return 0;
    }
    return 1;
}

static void test_deterministic(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t sizes[4] = {8, 40, 24, 2};
    mlp *m;
    double *X;

    gsl_rng_set(r, 9);
    m = net_random(r, 3, sizes, MLP_ACT_TANH);
    X = inputs_correlated(r, 300, 8);
    for (int k = 0; k < 4; k++)
        for (int pat = 0; pat < 2; pat++) {
            mlp *p1 = NULL, *p2 = NULL;
            prune_options o;
            pb_error err;
            prune_options_init(&o);
            o.sparsity = 0.6;
            o.block = 16;
            if (pat) {
                o.nm_n = 1;
                o.nm_m = 4;
            }
            CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find(all_methods[k]), &o, X, 300, &p1, &err),
                                  PB_SUCCESS);
            CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find(all_methods[k]), &o, X, 300, &p2, &err),
                                  PB_SUCCESS);
            CU_ASSERT(nets_identical(p1, p2));
            mlp_free(p1);
            mlp_free(p2);
        }
    mlp_free(m);
    free(X);
    gsl_rng_free(r);
}

static void test_sparsity_zero(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t sizes[3] = {5, 12, 2};
    mlp *m;
    double *X;

    gsl_rng_set(r, 10);
    m = net_random(r, 2, sizes, MLP_ACT_RELU);
    X = inputs_correlated(r, 50, 5);
    for (size_t i = 0; i < 50; i++)
        X[i * 5 + 3] = 0.0; /* a dead input: SparseGPT would zero its column if it pruned */
    for (int k = 0; k < 4; k++) {
        mlp *p = NULL;
        prune_options o;
        pb_error err;
        prune_options_init(&o);
        CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find(all_methods[k]), &o, X, 50, &p, &err),
                              PB_SUCCESS);
        for (size_t j = 0; j < 2; j++) {
            const mlp_layer *l = &p->layers[j];
            size_t nw = l->n_in * l->n_out;
            CU_ASSERT_EQUAL(memcmp(l->W, m->layers[j].W, nw * sizeof(double)), 0);
            CU_ASSERT_EQUAL(memcmp(l->b, m->layers[j].b, l->n_out * sizeof(double)), 0);
            CU_ASSERT_EQUAL(count_zeros(l->mask, nw), 0);
            CU_ASSERT_EQUAL(l->dW_norm, 0.0);
            CU_ASSERT_EQUAL(l->recon_err, 0.0);
        }
        mlp_free(p);
    }
    mlp_free(m);
    free(X);
    gsl_rng_free(r);
}

/* ---- records against NumPy ---- */

static void write_matrix(FILE *f, const double *A, size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            fprintf(f, "%.17g%c", A[i * cols + j], j + 1 < cols ? ' ' : '\n');
}

static const char *numpy_records =
    "import sys, numpy as np\n"
    "Wo = np.loadtxt(sys.argv[1], ndmin=2); Wh = np.loadtxt(sys.argv[2], ndmin=2)\n"
    "X = np.loadtxt(sys.argv[3], ndmin=2)\n"
    "D = Wo - Wh\n"
    "print('%.17g %.17g' % (np.linalg.norm(D, 2), np.sum((X @ D.T) ** 2)))\n";

static void test_records_numpy(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    /* Wide (n_out < n_in) and tall layers: both SVD paths. */
    const size_t shapes[2][2] = {{12, 20}, {20, 7}};

    if (!pb_test_have_python()) {
        pb_test_skip("NumPy unavailable, records test skipped");
        gsl_rng_free(r);
        return;
    }
    gsl_rng_set(r, 12);
    for (int s = 0; s < 2; s++)
        for (int k = 2; k < 4; k++) {
            size_t R = shapes[s][0], C = shapes[s][1], sizes[2] = {C, R};
            mlp *m = net_random(r, 1, sizes, MLP_ACT_LINEAR), *p = NULL;
            double *X = inputs_correlated(r, 60, C), norm, rec;
            prune_options o;
            pb_error err;
            char out[256], args[1024];
            FILE *f;
            prune_options_init(&o);
            o.sparsity = 0.5;
            CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find(all_methods[k]), &o, X, 60, &p, &err),
                                  PB_SUCCESS);
            f = fopen(pb_test_path("wo.txt"), "w");
            write_matrix(f, m->layers[0].W, R, C);
            fclose(f);
            f = fopen(pb_test_path("wh.txt"), "w");
            write_matrix(f, p->layers[0].W, R, C);
            fclose(f);
            f = fopen(pb_test_path("x.txt"), "w");
            write_matrix(f, X, 60, C);
            fclose(f);
            snprintf(args, sizeof args, "'%s' '%s' '%s'", pb_test_path("wo.txt"),
                     pb_test_path("wh.txt"), pb_test_path("x.txt"));
            CU_ASSERT_EQUAL_FATAL(pb_test_python(numpy_records, args, out, sizeof out), 0);
            CU_ASSERT_EQUAL_FATAL(sscanf(out, "%lf %lf", &norm, &rec), 2);
            PB_ASSERT_CLOSE(p->layers[0].dW_norm, norm, 1e-12, 0.0);
            PB_ASSERT_CLOSE(p->layers[0].recon_err, rec, 1e-10, 0.0);
            mlp_free(p);
            mlp_free(m);
            free(X);
        }
    gsl_rng_free(r);
}

/* SparseGPT against an unblocked NumPy transcription of Algorithm 1
 * (Frantar & Alistarh 2023) for N:M, where the mask does not depend on B. */
static const char *numpy_sparsegpt =
    "import sys, numpy as np\n"
    "W = np.loadtxt(sys.argv[1], ndmin=2); X = np.loadtxt(sys.argv[2], ndmin=2)\n"
    "N, M, Bs, k = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])\n"
    "n, C = X.shape\n"
    "H = 2.0 / n * X.T @ X\n"
    "dead = np.diag(H) == 0\n"
    "H[dead, dead] = 1; W[:, dead] = 0\n"
    "H += 0.01 * np.mean(np.diag(H)) * np.eye(C)\n"
    "U = np.linalg.cholesky(np.linalg.inv(H)).T\n"
    "d = np.diag(U)\n"
    "mask = np.ones_like(W, dtype=bool)\n"
    "for j in range(C):\n"
    "    if M and j % M == 0:\n"
    "        s = W[:, j:j+M] ** 2 / d[j:j+M] ** 2\n"
    "        idx = np.argsort(s, axis=1, kind='stable')[:, :N]\n"
    "        for r in range(W.shape[0]): mask[r, j + idx[r]] = False\n"
    "    if not M and j % Bs == 0:\n"
    "        c2 = min(j + Bs, C); kb = k * c2 // C - k * j // C\n"
    "        s = (W[:, j:c2] ** 2 / d[j:c2] ** 2).ravel()\n"
    "        sub = np.ones(s.size, dtype=bool); sub[np.argsort(s, kind='stable')[:kb]] = False\n"
    "        mask[:, j:c2] = sub.reshape(W.shape[0], c2 - j)\n"
    "    q = np.where(mask[:, j], W[:, j], 0.0)\n"
    "    err = (W[:, j] - q) / U[j, j]\n"
    "    W[:, j:] -= np.outer(err, U[j, j:])\n"
    "    W[:, j] = q\n"
    "np.savetxt(sys.stdout, W, fmt='%.17g')\n";

/* SparseGPT against an unblocked NumPy transcription of Algorithm 1
 * (Frantar & Alistarh 2023): N:M, whose mask does not depend on B, at
 * B = 4, 8, 128; unstructured with mask selection every Bs = 8 columns, which
 * must not depend on how the lazy-update blocks B (multiples of Bs) are cut. */
static void test_sparsegpt_numpy(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    const size_t R = 6, C = 24, n = 80;
    size_t sizes[2] = {C, R};
    /* {N, M, block, mask_block} */
    const size_t cases[3][3][4] = {
        {{2, 4, 4, 0}, {2, 4, 8, 0}, {2, 4, 128, 0}},
        {{1, 3, 3, 0}, {1, 3, 12, 0}, {1, 3, 128, 0}},
        {{0, 0, 8, 0}, {0, 0, 16, 8}, {0, 0, 128, 8}},
    };

    if (!pb_test_have_python()) {
        pb_test_skip("NumPy unavailable, SparseGPT reference test skipped");
        gsl_rng_free(r);
        return;
    }
    gsl_rng_set(r, 13);
    for (int c = 0; c < 3; c++) {
        size_t N = cases[c][0][0], M = cases[c][0][1], k = (size_t)floor(0.6 * (double)(R * C));
        mlp *m = net_random(r, 1, sizes, MLP_ACT_LINEAR);
        double *X = inputs_correlated(r, n, C);
        char *out = malloc(65536), args[1024], *pos;
        FILE *f;
        double ref[6 * 24];

        for (size_t i = 0; i < n; i++)
            X[i * C + 5] = 0.0; /* a dead input */
        f = fopen(pb_test_path("w.txt"), "w");
        write_matrix(f, m->layers[0].W, R, C);
        fclose(f);
        f = fopen(pb_test_path("x.txt"), "w");
        write_matrix(f, X, n, C);
        fclose(f);
        snprintf(args, sizeof args, "'%s' '%s' %zu %zu 8 %zu", pb_test_path("w.txt"),
                 pb_test_path("x.txt"), N, M, k);
        CU_ASSERT_EQUAL_FATAL(pb_test_python(numpy_sparsegpt, args, out, 65536), 0);
        pos = out;
        for (size_t i = 0; i < R * C; i++)
            ref[i] = strtod(pos, &pos);
        for (int b = 0; b < 3; b++) {
            prune_options o;
            pb_error err;
            mlp *p = NULL;
            prune_options_init(&o);
            o.nm_n = N;
            o.nm_m = M;
            o.sparsity = 0.6;
            o.block = cases[c][b][2];
            o.mask_block = cases[c][b][3];
            CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find("sparsegpt"), &o, X, n, &p, &err),
                                  PB_SUCCESS);
            for (size_t i = 0; i < R * C; i++) {
                PB_ASSERT_CLOSE(p->layers[0].W[i], ref[i], 1e-9, 1e-12);
                CU_ASSERT_EQUAL(p->layers[0].mask[i] == 0, ref[i] == 0.0);
            }
            if (!M)
                CU_ASSERT_EQUAL(count_zeros(p->layers[0].mask, R * C), k);
            for (size_t i = 0; i < R; i++)
                CU_ASSERT_EQUAL(p->layers[0].W[i * C + 5], 0.0); /* dead input column */
            mlp_free(p);
        }
        free(out);
        mlp_free(m);
        free(X);
    }
    gsl_rng_free(r);
}

/* ---- sequential versus original inputs ---- */

static void test_calibration_inputs(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t sizes[3] = {4, 10, 3}, n = 70;
    mlp *m;
    double *X, h1[70 * 10], e[3];

    gsl_rng_set(r, 14);
    m = net_random(r, 2, sizes, MLP_ACT_TANH);
    CU_ASSERT_EQUAL(mlp_add_input_map(m, NULL), PB_SUCCESS);
    for (size_t i = 0; i < 4; i++) {
        m->in_offset[i] = 0.3 * (double)i;
        m->in_scale[i] = 1.0 + 0.5 * (double)i;
    }
    X = inputs_correlated(r, n, 4);
    for (int orig = 0; orig < 2; orig++) {
        mlp *p = NULL;
        prune_options o;
        pb_error err;
        const mlp *src;
        double rec = 0.0;
        prune_options_init(&o);
        o.sparsity = 0.5;
        o.original_inputs = orig;
        CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find("obs"), &o, X, n, &p, &err), PB_SUCCESS);
        /* h_1 of the network the convention names, recomputed here by hand. */
        src = orig ? m : p;
        for (size_t i = 0; i < n; i++)
            for (size_t a = 0; a < 10; a++) {
                double z = src->layers[0].b[a];
                for (size_t c = 0; c < 4; c++)
                    z += src->layers[0].W[a * 4 + c] * (X[i * 4 + c] - m->in_offset[c]) *
                         m->in_scale[c];
                h1[i * 10 + a] = tanh(z);
            }
        for (size_t i = 0; i < n; i++) {
            for (size_t a = 0; a < 3; a++) {
                e[a] = 0.0;
                for (size_t c = 0; c < 10; c++)
                    e[a] +=
                        (m->layers[1].W[a * 10 + c] - p->layers[1].W[a * 10 + c]) * h1[i * 10 + c];
                rec += e[a] * e[a];
            }
        }
        PB_ASSERT_CLOSE(p->layers[1].recon_err, rec, 1e-10, 1e-14);
        mlp_free(p);
    }
    mlp_free(m);
    free(X);
    gsl_rng_free(r);
}

/* ---- error paths ---- */

static int prune_code(const mlp *m, const char *method, const prune_options *o, const double *X,
                      size_t n)
{
    mlp *p = (mlp *)1;
    pb_error err;
    int s;
    pb_error_clear(&err);
    s = prune_mlp(m, prune_find(method), o, X, n, &p, &err);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(strlen(err.msg) > 0);
    CU_ASSERT_EQUAL(err.code, s);
    if (p && p != (mlp *)1)
        mlp_free(p);
    return s;
}

static void test_errors(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t sizes[3] = {2, 4, 1}, bad_layers[2] = {1, 3}, twice[2] = {2, 2};
    mlp *m;
    double X[4] = {2, 2, 0, 0}; /* H = [[4, 4], [4, 4]]: singular, no dead input */
    double Xok[8] = {1, 0, 0, 1, 1, 1, -1, 2};
    prune_options o;

    gsl_rng_set(r, 15);
    m = net_random(r, 2, sizes, MLP_ACT_TANH);
    prune_options_init(&o);

    o.sparsity = -0.1;
    CU_ASSERT_EQUAL(prune_code(m, "magnitude", &o, NULL, 0), PB_EINVAL);
    o.sparsity = 1.0;
    CU_ASSERT_EQUAL(prune_code(m, "magnitude", &o, NULL, 0), PB_EINVAL);
    o.sparsity = NAN;
    CU_ASSERT_EQUAL(prune_code(m, "magnitude", &o, NULL, 0), PB_EINVAL);
    o.sparsity = 0.5;
    CU_ASSERT_EQUAL(prune_code(m, NULL, &o, NULL, 0), PB_EINVAL); /* unknown method */
    o.nm_n = 4;
    o.nm_m = 4;
    CU_ASSERT_EQUAL(prune_code(m, "magnitude", &o, NULL, 0), PB_EINVAL);
    o.nm_n = 0;
    CU_ASSERT_EQUAL(prune_code(m, "magnitude", &o, NULL, 0), PB_EINVAL);
    o.nm_n = 2;
    o.nm_m = 10000000;
    CU_ASSERT_EQUAL(prune_code(m, "magnitude", &o, NULL, 0), PB_EINVAL);
    o.nm_n = 1;
    o.nm_m = 2;
    o.global = 1;
    CU_ASSERT_EQUAL(prune_code(m, "magnitude", &o, NULL, 0), PB_EINVAL); /* N:M global */
    o.nm_n = o.nm_m = 0;
    CU_ASSERT_EQUAL(prune_code(m, "sparsegpt", &o, Xok, 4), PB_EUNSUPPORTED);
    CU_ASSERT_EQUAL(prune_code(m, "obd", &o, Xok, 4), PB_EUNSUPPORTED);
    o.global = 0;
    CU_ASSERT_EQUAL(prune_code(m, "obs", &o, NULL, 0), PB_EINVAL); /* no calibration */
    CU_ASSERT_EQUAL(prune_code(m, "obd", &o, Xok, 0), PB_EINVAL);
    Xok[3] = INFINITY;
    CU_ASSERT_EQUAL(prune_code(m, "sparsegpt", &o, Xok, 4), PB_EINVAL);
    Xok[3] = 1.0;
    o.damp = -1.0;
    CU_ASSERT_EQUAL(prune_code(m, "sparsegpt", &o, Xok, 4), PB_EINVAL);
    o.damp = 0.01;
    o.block = 0;
    CU_ASSERT_EQUAL(prune_code(m, "sparsegpt", &o, Xok, 4), PB_EINVAL);
    o.block = 128;
    o.layers = bad_layers;
    o.n_sel = 2;
    CU_ASSERT_EQUAL(prune_code(m, "magnitude", &o, NULL, 0), PB_EINVAL);
    o.layers = twice;
    CU_ASSERT_EQUAL(prune_code(m, "magnitude", &o, NULL, 0), PB_EINVAL);
    o.n_sel = 0;
    CU_ASSERT_EQUAL(prune_code(m, "magnitude", &o, NULL, 0), PB_EINVAL);
    o.layers = NULL;
    /* Singular Hessian without dampening. */
    {
        size_t one[1] = {1};
        o.layers = one;
        o.n_sel = 1;
        o.damp = 0.0;
        CU_ASSERT_EQUAL(prune_code(m, "obs", &o, X, 2), PB_ENUMERIC);
        CU_ASSERT_EQUAL(prune_code(m, "sparsegpt", &o, X, 2), PB_ENUMERIC);
        o.layers = NULL;
        o.n_sel = 0;
        o.damp = 0.01;
    }
    /* A network with a non-finite weight. */
    m->layers[1].W[2] = NAN;
    CU_ASSERT_EQUAL(prune_code(m, "magnitude", &o, NULL, 0), PB_EINVAL);
    {
        mlp *p = NULL;
        CU_ASSERT_EQUAL(prune_mlp(m, prune_find("magnitude"), &o, NULL, 0, &p, NULL), PB_EINVAL);
        CU_ASSERT_PTR_NULL(p);
    }
    mlp_free(m);
    gsl_rng_free(r);
}

/* ---- the command line, through the built binary ---- */

/* Runs "prunebound prune ARGS" (stderr merged into out); returns the exit code. */
static int run_cli(const char *args, char *out, size_t outlen)
{
    char prefix[1400], full[8192];
    snprintf(prefix, sizeof prefix, "cd '%s' &&", pb_test_tmpdir());
    snprintf(full, sizeof full, "prune %s", args);
    return pb_test_run(prefix, full, out, outlen);
}

/* Writes dataset `states` (n x c) to path with the HDF5 C API. */
static void states_write(const char *path, const double *X, size_t n, size_t c)
{
    hsize_t dims[2] = {n, c};
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t s = H5Screate_simple(2, dims, NULL);
    hid_t d = H5Dcreate2(f, "states", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CU_ASSERT(f >= 0 && s >= 0 && d >= 0);
    CU_ASSERT(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, X) >= 0);
    H5Dclose(d);
    H5Sclose(s);
    H5Fclose(f);
}

static void test_cli(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t sizes[4] = {4, 24, 16, 2};
    mlp *m, *p = NULL, *q = NULL;
    double *X, Xs[6 * 4];
    char out[8192], sha[65];
    prune_options o;
    pb_error err;
    struct {
        const char *args, *msg;
        int rc;
    } bad[] = {
        {"-m pol.h5 --method foo --sparsity 0.5 -o x.h5", "unknown method", 2},
        {"-m pol.h5 --method magnitude --sparsity 1 -o x.h5", "outside [0, 1)", 2},
        {"-m pol.h5 --method magnitude --sparsity x -o x.h5", "not a number", 2},
        {"-m pol.h5 --method magnitude --pattern 2:2 -o x.h5", "N must be smaller", 2},
        {"-m pol.h5 --method magnitude --pattern 2:4 --sparsity 0.3 -o x.h5", "contradicts", 2},
        {"-m pol.h5 --method obs --sparsity 0.5 -o x.h5", "needs calibration", 2},
        {"-m pol.h5 -c calib.h5 --method obs --sparsity 0.5 --global -o x.h5", "magnitude only", 2},
        {"-m pol.h5 --method magnitude --sparsity 0.5 --layers 4 -o x.h5", "does not exist", 2},
        {"-m nope.h5 --method magnitude --sparsity 0.5 -o x.h5", "nope.h5", 2},
        {"-m pol.h5 -c pol.h5 --method obd --sparsity 0.5 -o x.h5", "no dataset `states`", 2},
        {"-m pol.h5 -c wrong.h5 --method obd --sparsity 0.5 -o x.h5", "3 columns", 2},
        {"-m pol.h5 --method magnitude --sparsity 0.5 --bogus -o x.h5", "unknown argument", 2},
        {"-m pol.h5 -c calib.h5 --method sparsegpt --sparsity 0.5 --block 0 -o x.h5", "--block", 2},
        {"-m pol.h5 -c calib.h5 --method sparsegpt --sparsity 0.5 --damp -1 -o x.h5", "--damp", 2},
        {"-m pol.h5 -c calib.h5 --method sparsegpt --sparsity 0.5 --mask-block 0 -o x.h5",
         "--mask-block", 2},
        {"-m pol.h5 --method magnitude -o x.h5", "is required", 2},
        /* Rank-deficient calibration without dampening: a numerical failure. */
        {"-m pol.h5 -c flat.h5 --method obs --sparsity 0.5 --damp 0 -o x.h5", "positive definite",
         1},
    };

    gsl_rng_set(r, 16);
    m = net_random(r, 3, sizes, MLP_ACT_TANH);
    X = inputs_correlated(r, 200, 4);
    CU_ASSERT_EQUAL_FATAL(mlp_write_h5(m, pb_test_path("pol.h5"), &err), PB_SUCCESS);
    states_write(pb_test_path("calib.h5"), X, 200, 4);
    states_write(pb_test_path("wrong.h5"), X, 200, 3);
    for (size_t i = 0; i < 6; i++)
        for (size_t c = 0; c < 4; c++)
            Xs[i * 4 + c] = (double)i * (c == 3 ? 2.0 : 1.0); /* rank one */
    states_write(pb_test_path("flat.h5"), Xs, 6, 4);

    CU_ASSERT_EQUAL(run_cli("--help", out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "usage: prunebound prune"));

    /* Success: the file holds what prune_mlp gives in memory, plus the parent's hash. */
    CU_ASSERT_EQUAL(run_cli("-m pol.h5 -c calib.h5 --method sparsegpt --sparsity 0.5 "
                            "--layers 1,3 --mask-block 8 -o out.h5",
                            out, sizeof out),
                    0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "||dW||_2"));
    CU_ASSERT_EQUAL_FATAL(mlp_read_h5(pb_test_path("out.h5"), &p, &err), PB_SUCCESS);
    prune_options_init(&o);
    o.sparsity = 0.5;
    o.mask_block = 8;
    o.layers = (const size_t[]){1, 3};
    o.n_sel = 2;
    CU_ASSERT_EQUAL_FATAL(prune_mlp(m, prune_find("sparsegpt"), &o, X, 200, &q, &err), PB_SUCCESS);
    for (size_t j = 0; j < 3; j++) {
        size_t nw = m->layers[j].n_in * m->layers[j].n_out;
        CU_ASSERT_EQUAL(memcmp(p->layers[j].W, q->layers[j].W, nw * sizeof(double)), 0);
        if (j != 1) {
            CU_ASSERT_PTR_NOT_NULL_FATAL(p->layers[j].mask);
            CU_ASSERT_EQUAL(memcmp(p->layers[j].mask, q->layers[j].mask, nw), 0);
            /* Records to rounding: under valgrind this process's SVD rounds differently
             * from the native binary's. */
            PB_ASSERT_CLOSE(p->layers[j].dW_norm, q->layers[j].dW_norm, 1e-12, 0.0);
            PB_ASSERT_CLOSE(p->layers[j].recon_err, q->layers[j].recon_err, 1e-12, 0.0);
        }
    }
    CU_ASSERT_STRING_EQUAL(p->prov.method, "sparsegpt");
    CU_ASSERT_STRING_EQUAL(p->prov.pattern, "unstructured");
    CU_ASSERT_EQUAL(p->prov.sparsity, 0.5);
    CU_ASSERT_EQUAL(mlp_file_sha256(pb_test_path("pol.h5"), sha, &err), PB_SUCCESS);
    CU_ASSERT_STRING_EQUAL(p->prov.parent_sha256, sha);
    mlp_free(p);
    p = NULL;

    /* N:M and global magnitude without calibration. */
    CU_ASSERT_EQUAL(
        run_cli("-m pol.h5 -c calib.h5 --method obs --pattern 2:4 -o nm.h5", out, sizeof out), 0);
    CU_ASSERT_EQUAL_FATAL(mlp_read_h5(pb_test_path("nm.h5"), &p, &err), PB_SUCCESS);
    CU_ASSERT_STRING_EQUAL(p->prov.pattern, "2:4");
    CU_ASSERT_EQUAL(count_zeros(p->layers[1].mask, 24 * 16), 24 * 16 / 2);
    mlp_free(p);
    p = NULL;
    CU_ASSERT_EQUAL(
        run_cli("-m pol.h5 --method magnitude --sparsity 0.3 --global -o g.h5", out, sizeof out),
        0);
    CU_ASSERT_EQUAL_FATAL(mlp_read_h5(pb_test_path("g.h5"), &p, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(mlp_n_pruned(p), (size_t)floor(0.3 * (double)mlp_n_weights(m)));
    mlp_free(p);

    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = run_cli(bad[i].args, out, sizeof out);
        CU_ASSERT_EQUAL(rc, bad[i].rc);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, bad[i].msg));
        if (rc != bad[i].rc || !strstr(out, bad[i].msg))
            fprintf(stderr, "prune %s -> %d: %s\n", bad[i].args, rc, out);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "prunebound prune: "));
    }
    mlp_free(q);
    mlp_free(m);
    free(X);
    gsl_rng_free(r);
}

static const pb_test_case registry_tests[] = {
    {"registry", test_registry}, {"parse pattern and layers", test_parse}, {NULL, NULL}};
static const pb_test_case method_tests[] = {
    {"OBS refit equals least squares", test_obs_least_squares},
    {"OBS selects across rows", test_obs_rows},
    {"OBS and SparseGPT beat magnitude (100 layers)", test_beats_magnitude},
    {"N:M counts per group", test_nm_counts},
    {"unstructured counts exact", test_unstructured_counts},
    {"global magnitude", test_global_magnitude},
    {"OBD picks the saliency minimiser", test_obd_brute_force},
    {"SparseGPT equals unblocked NumPy Algorithm 1", test_sparsegpt_numpy},
    {NULL, NULL}};
static const pb_test_case driver_tests[] = {
    {"deterministic", test_deterministic},
    {"sparsity 0 is the identity", test_sparsity_zero},
    {"dW_norm and recon_err against NumPy", test_records_numpy},
    {"sequential and original calibration inputs", test_calibration_inputs},
    {"error paths", test_errors},
    {NULL, NULL}};
static const pb_test_case cli_tests[] = {{"prunebound prune", test_cli}, {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {{"prune registry", registry_tests},
                                        {"prune methods", method_tests},
                                        {"prune driver", driver_tests},
                                        {"prune command", cli_tests},
                                        {NULL, NULL}};
