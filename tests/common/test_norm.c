/* test_norm.c: the certified norms of common/pb_norm.h against independent
 * oracles: exact products in binary128 for the directed roundings, mpmath at
 * 300 bits for vector norms at every scale (overflow, underflow, subnormals,
 * differences that overflow), and for spectral norms NumPy's SVD, mpmath's
 * SVD on small matrices and exact norms (Hadamard, rank one) on matrices from
 * 1 x 1 to 2048 x 2048: square, wide, tall, rank-deficient, clustered and
 * widely spread singular values, scaled by 1e-150 and 1e150, sparse after
 * pruning.  Never below the exact value; above it by at most the documented
 * allowance.  Also the large work arrays of pb_mem.h. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <quadmath.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "pb_mem.h"
#include "pb_norm.h"
#include "pb_test.h"
#include "pb_vec.h"

static gsl_rng *rng_new(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

/* Runs a Python check that prints one line per failure and "checked N" at
 * the end; asserts it ran and found nothing. */
static void python_check(const char *script, const char *args)
{
    char out[8192];
    int rc = pb_test_python(script, args, out, sizeof out);
    if (rc != 0 || strstr(out, "FAIL") || !strstr(out, "checked"))
        fprintf(stderr, "\n%s\n", out);
    else
        fprintf(stderr, " [%s]", strstr(out, "checked"));
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_PTR_NULL(strstr(out, "FAIL"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "checked"));
}

/* ------------------------------------------------- directed rounding */

/* Products and sums of doubles are exact in binary128 (106 bits and, for
 * exponents within 50 of each other, 107 bits), quotients and square roots
 * are checked by the exact back product. */
static void test_directed_rounding(void)
{
    gsl_rng *r = rng_new(1);
    long bad = 0;

    for (int t = 0; t < 200000; t++) {
        double a = ldexp(gsl_ran_gaussian(r, 1.0), (int)gsl_rng_uniform_int(r, 60) - 30);
        double b = ldexp(gsl_ran_gaussian(r, 1.0), (int)gsl_rng_uniform_int(r, 60) - 30);
        __float128 qa = a, qb = b;
        double m = pb_mul_up(a, b), s = pb_add_up(a, b);
        bad += !((__float128)m >= qa * qb) || !((__float128)s >= qa + qb);
        bad += !((__float128)pb_next_down(a + b) <= qa + qb);
        if (b > 0.0) {
            double q = pb_div_up(fabs(a), b), qd = pb_div_down(fabs(a), b);
            bad += !((__float128)q * qb >= fabsq(qa)) || !((__float128)qd * qb <= fabsq(qa));
        }
        {
            double sq = pb_sqrt_up(fabs(a));
            bad += !((__float128)sq * (__float128)sq >= fabsq(qa));
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* next_up at the edges of the range */
    CU_ASSERT_EQUAL(pb_next_up(0.0), PB_ETA);
    CU_ASSERT_EQUAL(pb_next_up(-0.0), PB_ETA);
    CU_ASSERT_EQUAL(pb_next_up(-PB_ETA), -0.0);
    CU_ASSERT_EQUAL(pb_next_up(1.0), 1.0 + 0x1p-52);
    CU_ASSERT_EQUAL(pb_next_up(-1.0), -1.0 + 0x1p-53);
    CU_ASSERT(isinf(pb_next_up(INFINITY)));
    CU_ASSERT_EQUAL(pb_next_up(-INFINITY), -0x1.fffffffffffffp+1023);
    CU_ASSERT(isinf(pb_next_up(0x1.fffffffffffffp+1023)));
    CU_ASSERT(isnan(pb_next_up(NAN)));
    CU_ASSERT_EQUAL(pb_next_down(1.0), 1.0 - 0x1p-53);
    /* gamma_n >= n u / (1 - n u), and +inf once n u >= 1/2 */
    CU_ASSERT((__float128)pb_gamma(1000) * (1 - 1000 * (__float128)0x1p-53) >=
              1000 * (__float128)0x1p-53);
    CU_ASSERT(isinf(pb_gamma((size_t)1 << 52)));
    gsl_rng_free(r);
}

/* ------------------------------------------------------ vector norms */

/* One random vector of length n whose entries have the magnitudes of
 * `kind`: 0 moderate, 1 huge (1e300), 2 tiny (1e-300), 3 subnormal, 4 every
 * scale at once, 5 one huge entry among tiny ones. */
static void fill_vector(gsl_rng *r, size_t n, int kind, double x[])
{
    for (size_t i = 0; i < n; i++) {
        double g = gsl_ran_gaussian(r, 1.0);
        switch (kind) {
        case 1:
            x[i] = g * 1e300;
            break;
        case 2:
            x[i] = g * 1e-300;
            break;
        case 3:
            x[i] = g * 1e-315;
            break;
        case 4:
            x[i] = ldexp(g, (int)gsl_rng_uniform_int(r, 2000) - 1040);
            break;
        case 5:
            x[i] = i == 0 ? 1e200 * g : 1e-200 * g;
            break;
        default:
            x[i] = g;
        }
    }
}

static const char *const vector_check =
    "import sys, mpmath as mp\n"
    "mp.mp.prec = 400\n"
    "u = mp.mpf(2) ** -53; tiny = mp.mpf(2) ** -1073\n"
    "def gamma(n): return n * u / (1 - n * u)\n"
    "def nrm(v): return mp.sqrt(mp.fsum([mp.mpf(x) ** 2 for x in v]))\n"
    "fails = []; n_cases = 0\n"
    "for line in open(sys.argv[1]):\n"
    "    f = line.split(); n = int(f[0])\n"
    "    a = [float.fromhex(s) for s in f[1:1 + n]]; b = [float.fromhex(s) for s in f[1 + n:1 + 2 * n]]\n"
    "    r, up, d, derr, dup = [float.fromhex(s) for s in f[1 + 2 * n:]]\n"
    "    ea = nrm(a); ed = nrm([mp.mpf(x) - mp.mpf(y) for x, y in zip(a, b)])\n"
    "    n_cases += 1\n"
    "    big = mp.mpf(2) ** 1024 * (1 - mp.mpf(2) ** -54)  # every real above rounds to +inf\n"
    "    if ed >= big or ea >= big:\n"
    "        if ea >= big and not (mp.isinf(r) and mp.isinf(up)): fails.append('norm2 %d: %s, not inf' % (n, r))\n"
    "        if ed >= big and not (mp.isinf(d) and mp.isinf(dup) and derr == 0): fails.append('diff %d: %s, not inf' % (n, d))\n"
    "        if ed >= big and ea >= big: continue\n"
    "    if ea < big and abs(r - ea) > gamma(n + 2) * ea + tiny: fails.append('norm2 %d: %s vs %s' % (n, r, ea))\n"
    "    if not (up >= ea): fails.append('norm2_upper below: %s < %s' % (up, ea))\n"
    "    if ea < big / 2 and up > ea * (1 + 4 * (n + 3) * u) + 4 * tiny: fails.append('norm2_upper loose: %s vs %s' % (up, ea))\n"
    "    if ed >= big: continue\n"
    "    if abs(d - ed) > derr: fails.append('norm2_diff %d: %s vs %s, err %s' % (n, d, ed, derr))\n"
    "    if not (dup >= ed): fails.append('norm2_diff_upper below: %s < %s' % (dup, ed))\n"
    "    if ed > 0 and abs(d - ed) > gamma(n + 3) * ed + n * tiny: fails.append('norm2_diff rel %d: %s vs %s' % (n, d, ed))\n"
    "    if 0 < ea < mp.mpf(2) ** 1023 and (mp.isinf(r) or r == 0): fails.append('over/underflow %s' % ea)\n"
    "for x in fails[:20]: print('FAIL', x)\n"
    "print('checked', n_cases, 'vectors')\n";

/* pb_norm2, _upper, _diff (with its error) and _diff_upper against mpmath,
 * for lengths 1 to 1000 at every scale, and differences that overflow. */
static void test_vector_norms_mpmath(void)
{
    enum { CASES = 360 };
    gsl_rng *r = rng_new(2);
    const char *path = pb_test_path("vectors.txt");
    FILE *f;
    char args[1100];
    double *a = malloc(1000 * sizeof *a), *b = malloc(1000 * sizeof *b);

    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    if (!pb_test_have_python()) {
        pb_test_skip("no python3 with mpmath; vector norm comparison skipped");
        free(a), free(b), gsl_rng_free(r);
        return;
    }
    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    for (int t = 0; t < CASES; t++) {
        size_t n = t < 60 ? 1 + (size_t)t % 5 : 1 + gsl_rng_uniform_int(r, t < 300 ? 50 : 1000);
        int kind = t % 6;
        double derr = 0.0, d;
        fill_vector(r, n, kind, a);
        for (size_t i = 0; i < n; i++)
            b[i] = t % 7 == 0 ? a[i] * (1.0 + 1e-9 * gsl_ran_gaussian(r, 1.0)) /* cancellation */
                   : t % 11 == 0 ? -a[i] * 1.5                               /* huge sums */
                                 : a[i] * gsl_ran_gaussian(r, 1.0);
        if (t % 13 == 0) /* squares overflow, the norms do not */
            for (size_t i = 0; i < n; i++) {
                a[i] = (i % 2 ? -0.5e308 : 0.5e308) / sqrt((double)n);
                b[i] = -0.5 * a[i];
            }
        if (t % 17 == 0) /* a - b overflows: every norm of the difference exceeds DBL_MAX */
            for (size_t i = 0; i < n; i++) {
                a[i] = (i % 2 ? -1.6e308 : 1.6e308);
                b[i] = -0.9 * a[i];
            }
        d = pb_norm2_diff(n, a, b, &derr);
        fprintf(f, "%zu", n);
        for (size_t i = 0; i < n; i++)
            fprintf(f, " %a", a[i]);
        for (size_t i = 0; i < n; i++)
            fprintf(f, " %a", b[i]);
        fprintf(f, " %a %a %a %a %a\n", pb_norm2(n, a), pb_norm2_upper(n, a), d, derr,
                pb_norm2_diff_upper(n, a, b));
    }
    fclose(f);
    snprintf(args, sizeof args, "'%s'", path);
    python_check(vector_check, args);
    /* the edge cases */
    CU_ASSERT_EQUAL(pb_norm2(0, NULL), 0.0);
    CU_ASSERT_EQUAL(pb_norm2(3, (double[]){0, 0, 0}), 0.0);
    CU_ASSERT(isinf(pb_norm2(2, (double[]){1.0, INFINITY})));
    CU_ASSERT(isnan(pb_norm2(2, (double[]){NAN, 1.0})));
    CU_ASSERT(isnan(pb_norm2_diff(2, (double[]){1, 2}, (double[]){1, NAN}, NULL)));
    PB_ASSERT_CLOSE(pb_norm2(2, (double[]){3e300, 4e300}), 5e300, 1e-15, 0.0);
    PB_ASSERT_CLOSE(pb_norm2(2, (double[]){3e-310, 4e-310}), 5e-310, 1e-5, 0.0);
    free(a), free(b), gsl_rng_free(r);
}

/* ---------------------------------------------------- spectral norms */

/* An orthogonal n x n matrix: the Q of the QR factorisation of a Gaussian one. */
static void random_orthogonal(gsl_rng *r, size_t n, double Q[])
{
    gsl_matrix *A = gsl_matrix_alloc(n, n), *q = gsl_matrix_alloc(n, n), *R = gsl_matrix_alloc(n, n);
    gsl_vector *tau = gsl_vector_alloc(n);
    for (size_t i = 0; i < n * n; i++)
        A->data[i] = gsl_ran_gaussian(r, 1.0);
    gsl_linalg_QR_decomp(A, tau);
    gsl_linalg_QR_unpack(A, tau, q, R);
    memcpy(Q, q->data, n * n * sizeof *Q);
    gsl_matrix_free(A), gsl_matrix_free(q), gsl_matrix_free(R), gsl_vector_free(tau);
}

/* The Sylvester-Hadamard matrix of order n = 2^p scaled by s: every singular
 * value is |s| sqrt(n) (a perfectly clustered spectrum). */
static void hadamard(size_t n, double s, double H[])
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            H[i * n + j] = __builtin_popcountll(i & j) % 2 ? -s : s;
}

typedef enum mat_kind {
    MAT_GAUSS,    /* Gaussian */
    MAT_LOWRANK,  /* rank 5 */
    MAT_SPREAD,   /* U diag(logspace(0, -14)) V^T */
    MAT_CLUSTER,  /* U diag(1 + 1e-12 j) V^T, n x n */
    MAT_PRUNED,   /* Gaussian with the 90 % smallest magnitudes zeroed */
    MAT_ZEROCOL,  /* Gaussian with every other column zero */
    MAT_HADAMARD, /* exact oracle |s| sqrt(n) */
    MAT_DIFF      /* B - A of a compensated perturbation (pb_spectral_norm_diff) */
} mat_kind;

static const char *const kind_names[] = {"gauss",    "lowrank", "spread", "cluster",
                                         "pruned90", "zerocol", "hadamard", "diff"};

/* Fills the rows x cols matrix A of kind k times scale (and B for MAT_DIFF). */
static void make_matrix(gsl_rng *r, mat_kind k, size_t rows, size_t cols, double scale, double A[],
                        double B[])
{
    size_t n = rows < cols ? rows : cols;
    switch (k) {
    case MAT_LOWRANK: {
        double *P = malloc(rows * 5 * sizeof *P), *Q = malloc(5 * cols * sizeof *Q);
        for (size_t i = 0; i < rows * 5; i++)
            P[i] = gsl_ran_gaussian(r, 1.0);
        for (size_t i = 0; i < 5 * cols; i++)
            Q[i] = gsl_ran_gaussian(r, 1.0);
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++) {
                double s = 0.0;
                for (size_t q = 0; q < 5; q++)
                    s += P[i * 5 + q] * Q[q * cols + j];
                A[i * cols + j] = s * scale;
            }
        free(P), free(Q);
        break;
    }
    case MAT_SPREAD:
    case MAT_CLUSTER: {
        /* square n x n: U diag(s) V^T */
        double *U = malloc(n * n * sizeof *U), *V = malloc(n * n * sizeof *V);
        random_orthogonal(r, n, U);
        random_orthogonal(r, n, V);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                double s = 0.0;
                for (size_t q = 0; q < n; q++) {
                    double sv = k == MAT_SPREAD ? pow(10.0, -14.0 * (double)q / (double)(n - 1))
                                                : 1.0 + 1e-12 * (double)q;
                    s += U[i * n + q] * sv * V[j * n + q];
                }
                A[i * n + j] = s * scale;
            }
        free(U), free(V);
        break;
    }
    case MAT_HADAMARD:
        hadamard(n, scale, A);
        break;
    default:
        for (size_t i = 0; i < rows * cols; i++)
            A[i] = gsl_ran_gaussian(r, 1.0) * scale;
        if (k == MAT_PRUNED) /* |g| < 1.645 for 90 % of standard normals: magnitude pruning */
            for (size_t i = 0; i < rows * cols; i++)
                if (fabs(A[i]) < 1.645 * scale)
                    A[i] = 0.0;
        if (k == MAT_ZEROCOL)
            for (size_t i = 0; i < rows; i++)
                for (size_t j = 1; j < cols; j += 2)
                    A[i * cols + j] = 0.0;
        if (k == MAT_DIFF)
            for (size_t i = 0; i < rows * cols; i++)
                B[i] = gsl_rng_uniform(r) < 0.5 ? 0.0 : A[i] * (1.0 + 0.1 * gsl_ran_gaussian(r, 1.0));
        break;
    }
}

static const char *const spectral_check =
    "import sys, numpy as np, mpmath as mp\n"
    "mp.mp.prec = 200\n"
    "fails = []; worst = 0.0; n_cases = 0\n"
    "for line in open(sys.argv[1]):\n"
    "    f = line.split(); path, kind = f[0], f[1]; rows, cols = int(f[2]), int(f[3])\n"
    "    scale, ours, allow = float.fromhex(f[4]), float.fromhex(f[5]), float.fromhex(f[6])\n"
    "    M = np.fromfile(path, dtype='<f8')\n"
    "    A = M[:rows * cols].reshape(rows, cols)\n"
    "    if kind == 'hadamard':\n"
    "        exact = abs(mp.mpf(scale)) * mp.sqrt(min(rows, cols))\n"
    "    elif kind == 'diff' and rows * cols <= 400:\n"
    "        B = M[rows * cols:].reshape(rows, cols)\n"
    "        D = mp.matrix([[mp.mpf(B[i, j]) - mp.mpf(A[i, j]) for j in range(cols)] for i in range(rows)])\n"
    "        exact = max(mp.svd_r(D, compute_uv=False))\n"
    "    elif rows * cols <= 144:\n"
    "        exact = max(mp.svd_r(mp.matrix(A.tolist()), compute_uv=False))\n"
    "    else:\n"
    "        if kind == 'diff': A = M[rows * cols:].reshape(rows, cols) - A\n"
    "        # NumPy in units of the scale, so that the SVD neither overflows nor underflows\n"
    "        exact = mp.mpf(float(np.linalg.svd(A / scale, compute_uv=False)[0])) * abs(mp.mpf(scale))\n"
    "    n_cases += 1\n"
    "    if not (ours >= exact): fails.append('%s %dx%d scale %g: %r < %s' % (kind, rows, cols, scale, ours, exact))\n"
    "    rel = (ours - exact) / exact if exact > 0 else mp.mpf(ours)\n"
    "    worst = max(worst, float(rel / allow) if allow > 0 else 0.0)\n"
    "    if rel > allow: fails.append('%s %dx%d scale %g: excess %.3g > allowance %.3g' % (kind, rows, cols, scale, float(rel), allow))\n"
    "for x in fails[:30]: print('FAIL', x)\n"
    "print('checked', n_cases, 'matrices, worst excess / allowance %.3f' % worst)\n";

/* pb_spectral_norm (and _diff) on the matrices of the file comment. */
static void test_spectral_oracles(void)
{
    static const struct {
        mat_kind kind;
        size_t rows, cols;
    } cases[] = {
        {MAT_GAUSS, 1, 1},        {MAT_GAUSS, 1, 7},         {MAT_GAUSS, 7, 1},
        {MAT_GAUSS, 2, 2},        {MAT_GAUSS, 3, 5},         {MAT_GAUSS, 5, 3},
        {MAT_GAUSS, 12, 12},      {MAT_DIFF, 9, 11},         {MAT_DIFF, 20, 20},
        {MAT_GAUSS, 64, 64},      {MAT_GAUSS, 80, 80},       {MAT_GAUSS, 90, 90},
        {MAT_GAUSS, 100, 100},    {MAT_GAUSS, 128, 128},     {MAT_GAUSS, 160, 160},
        {MAT_GAUSS, 200, 200},    {MAT_GAUSS, 256, 256},     {MAT_GAUSS, 256, 1024},
        {MAT_GAUSS, 1024, 256},   {MAT_GAUSS, 3, 300},       {MAT_GAUSS, 300, 3},
        {MAT_GAUSS, 1, 2048},     {MAT_GAUSS, 2048, 1},      {MAT_LOWRANK, 400, 300},
        {MAT_LOWRANK, 30, 700},   {MAT_SPREAD, 300, 300},    {MAT_SPREAD, 8, 8},
        {MAT_CLUSTER, 200, 200},  {MAT_PRUNED, 512, 512},    {MAT_PRUNED, 64, 300},
        {MAT_ZEROCOL, 150, 90},   {MAT_HADAMARD, 2, 2},      {MAT_HADAMARD, 512, 512},
        {MAT_HADAMARD, 2048, 2048}, {MAT_DIFF, 512, 512},    {MAT_GAUSS, 1024, 1024},
        {MAT_GAUSS, 2048, 2048},
    };
    static const double scales[] = {1.0, 1e-150, 1e150, 1e-300, 1e300};
    gsl_rng *r = rng_new(3);
    char list[1024];
    FILE *f;
    char args[1100];
    size_t max_el = 2048 * 2048;
    double *A = malloc(2 * max_el * sizeof *A), *w = malloc(pb_spectral_work_size(2048, 2048) * sizeof *w);
    int id = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(A);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    snprintf(list, sizeof list, "%s", pb_test_path("spectral.txt"));
    if (!pb_test_have_python()) {
        pb_test_skip("no python3 with numpy and mpmath; spectral comparison skipped");
        free(A), free(w), gsl_rng_free(r);
        return;
    }
    f = fopen(list, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        size_t rows = cases[c].rows, cols = cases[c].cols, n_el = rows * cols;
        /* the large ones at scale 1 only; the others at every scale */
        size_t n_scales = n_el > 300000 ? 1 : (n_el > 70000 ? 3 : 5);
        for (size_t s = 0; s < n_scales; s++) {
            double scale = scales[s], nrm = NAN;
            char name[64], path[1024], *B = NULL;
            FILE *m;
            int st;
            make_matrix(r, cases[c].kind, rows, cols, scale, A, A + n_el);
            if (cases[c].kind == MAT_DIFF) {
                B = (char *)(A + n_el);
                st = pb_spectral_norm_diff(rows, cols, A, A + n_el, w, &nrm, NULL);
            } else {
                st = pb_spectral_norm(rows, cols, A, w, &nrm, NULL);
            }
            CU_ASSERT_EQUAL(st, PB_SUCCESS);
            snprintf(name, sizeof name, "mat%d.bin", id++);
            snprintf(path, sizeof path, "%s", pb_test_path(name));
            m = fopen(path, "wb");
            CU_ASSERT_PTR_NOT_NULL_FATAL(m);
            CU_ASSERT_EQUAL(fwrite(A, sizeof *A, B ? 2 * n_el : n_el, m), B ? 2 * n_el : n_el);
            fclose(m);
            fprintf(f, "%s %s %zu %zu %a %a %a\n", path, kind_names[cases[c].kind],
                    rows, cols, scale, nrm, pb_spectral_allowance(rows, cols));
        }
    }
    fclose(f);
    snprintf(args, sizeof args, "'%s'", list);
    python_check(spectral_check, args);
    free(A), free(w), gsl_rng_free(r);
}

/* Analytic cases without Python: rank one, a diagonal with a zero column,
 * the difference of two matrices, the zero matrix. */
static void test_spectral_analytic(void)
{
    gsl_rng *r = rng_new(12);
    double u[13], v[7], A[13 * 7], B[13 * 7], *w = malloc(pb_spectral_work_size(13, 7) * sizeof *w);
    double nrm, nu = 0.0, nv = 0.0;
    __float128 exact;

    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    /* u, v of small integers (u_0, v_0 non-zero): u v^T is exact and ||u v^T|| = ||u|| ||v|| */
    for (size_t i = 0; i < 13; i++)
        u[i] = i == 0 ? 3.0 : (double)((long)gsl_rng_uniform_int(r, 9) - 4);
    for (size_t i = 0; i < 7; i++)
        v[i] = i == 0 ? 2.0 : (double)((long)gsl_rng_uniform_int(r, 9) - 4);
    for (size_t i = 0; i < 13; i++)
        nu += u[i] * u[i];
    for (size_t i = 0; i < 7; i++)
        nv += v[i] * v[i];
    for (size_t i = 0; i < 13; i++)
        for (size_t c = 0; c < 7; c++)
            A[i * 7 + c] = u[i] * v[c];
    exact = sqrtq((__float128)nu * (__float128)nv);
    CU_ASSERT_EQUAL(pb_spectral_norm(13, 7, A, w, &nrm, NULL), PB_SUCCESS);
    CU_ASSERT((__float128)nrm >= exact);
    CU_ASSERT((__float128)nrm <= exact * (1 + (__float128)pb_spectral_allowance(13, 7)));
    for (size_t i = 0; i < 13; i++) /* the wide transpose */
        for (size_t c = 0; c < 7; c++)
            B[c * 13 + i] = A[i * 7 + c];
    CU_ASSERT_EQUAL(pb_spectral_norm(7, 13, B, w, &nrm, NULL), PB_SUCCESS);
    CU_ASSERT((__float128)nrm >= exact);
    CU_ASSERT((__float128)nrm <= exact * (1 + (__float128)pb_spectral_allowance(13, 7)));
    /* diag(3, -5, 2) as a 3 x 4 matrix with a zero column */
    memset(A, 0, sizeof A);
    A[0] = 3.0, A[5] = -5.0, A[10] = 2.0;
    CU_ASSERT_EQUAL(pb_spectral_norm(3, 4, A, w, &nrm, NULL), PB_SUCCESS);
    CU_ASSERT(nrm >= 5.0 && nrm <= 5.0 * (1 + pb_spectral_allowance(3, 4)));
    /* ||B - A|| with B = A + 0.5 e_2 e_3^T */
    memcpy(B, A, 12 * sizeof *A);
    B[1 * 4 + 2] += 0.5;
    CU_ASSERT_EQUAL(pb_spectral_norm_diff(3, 4, A, B, w, &nrm, NULL), PB_SUCCESS);
    CU_ASSERT(nrm >= 0.5 && nrm <= 0.5 * (1 + 1e-14));
    /* the zero matrix and equal matrices: exactly 0 */
    memset(A, 0, sizeof A);
    CU_ASSERT_EQUAL(pb_spectral_norm(5, 2, A, w, &nrm, NULL), PB_SUCCESS);
    CU_ASSERT_EQUAL(nrm, 0.0);
    CU_ASSERT_EQUAL(pb_spectral_norm_diff(3, 4, B, B, w, &nrm, NULL), PB_SUCCESS);
    CU_ASSERT_EQUAL(nrm, 0.0);
    /* entries whose difference overflows: ||B - A|| >= |B_00 - A_00| > DBL_MAX, so +inf */
    A[0] = -1.6e308, B[0] = 1.6e308;
    CU_ASSERT_EQUAL(pb_spectral_norm_diff(1, 1, A, B, w, &nrm, NULL), PB_SUCCESS);
    CU_ASSERT(isinf(nrm));
    CU_ASSERT_EQUAL(pb_spectral_norm_diff(3, 4, A, B, w, &nrm, NULL), PB_SUCCESS);
    CU_ASSERT(isinf(nrm));
    free(w);
    gsl_rng_free(r);
}

static void test_spectral_errors(void)
{
    double A[4] = {1, 2, 3, 4}, w[512], nrm;
    pb_error err;

    pb_error_clear(&err);
    CU_ASSERT_EQUAL(pb_spectral_norm(0, 2, A, w, &nrm, &err), PB_EINVAL);
    CU_ASSERT_EQUAL(pb_spectral_norm(2, 0, A, w, &nrm, &err), PB_EINVAL);
    CU_ASSERT_EQUAL(pb_spectral_norm(2, 2, NULL, w, &nrm, &err), PB_EINVAL);
    CU_ASSERT_EQUAL(pb_spectral_norm(2, 2, A, NULL, &nrm, &err), PB_EINVAL);
    CU_ASSERT_EQUAL(pb_spectral_norm_diff(2, 2, NULL, A, w, &nrm, &err), PB_EINVAL);
    A[3] = NAN;
    CU_ASSERT_EQUAL(pb_spectral_norm(2, 2, A, w, &nrm, &err), PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "(1, 1)"));
    A[3] = INFINITY;
    CU_ASSERT_EQUAL(pb_spectral_norm(2, 2, A, w, &nrm, NULL), PB_EINVAL);
}

/* ---- common/pb_vec.h ---- */

/* Distance in ulps between two finite doubles of the same sign (0 when
 * equal, including both NaN or the same infinity). */
static double ulps(double a, double b)
{
    if (a == b || (isnan(a) && isnan(b)))
        return 0.0;
    if (!isfinite(a) || !isfinite(b))
        return INFINITY;
    return fabs(a - b) / fmax(nextafter(fabs(b), INFINITY) - fabs(b), 0x1p-1074);
}

/* The inputs of the variant checks: random bit patterns (every exponent,
 * NaN, infinities, subnormals), 2000 doubles either side of exp's overflow
 * and underflow thresholds and of multiples of pi/2, and uniform values up
 * to 1e300 in magnitude. */
static size_t vec_inputs(double *v, size_t cap, gsl_rng *r)
{
    static const double th[] = {709.782712893384, -708.3964185322641, -745.1332191019411,
                                0.0, 1e-300, 0x1p-1074, M_PI / 2, M_PI, 3 * M_PI / 2, 1e22,
                                1e300, 0x1.fffffffffffffp+1023};
    size_t m = 0;
    for (size_t t = 0; t < sizeof th / sizeof th[0]; t++)
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            double x = sgn * th[t];
            for (int k = 0; k < 2000 && m < cap; k++, x = nextafter(x, INFINITY))
                v[m++] = x;
        }
    while (m < cap / 2) {
        unsigned long long u = ((unsigned long long)gsl_rng_get(r) << 32) ^ gsl_rng_get(r);
        memcpy(&v[m++], &u, sizeof u);
    }
    while (m < cap)
        v[m++] = (2.0 * gsl_rng_uniform(r) - 1.0) * pow(10.0, 300.0 * gsl_rng_uniform(r));
    return m;
}

/* The AVX-512 and AVX2 variants of sin, cos and exp give the same bits (the
 * premise of results that do not depend on the CPU: pb_vec.h), at every
 * position of an array and for every tail length; tanh takes the AVX2
 * variant at both levels; every variant is within 4 ulp of libm where the
 * result is finite and normal. */
static void test_vec_variants(void)
{
    enum { N = 1 << 20 };
    int (*fns[4])(int, size_t, const double *, double *) = {pb_vec_sin_at, pb_vec_cos_at,
                                                            pb_vec_exp_at, pb_vec_tanh_at};
    double (*ref[4])(double) = {sin, cos, exp, tanh};
    static const char *const names[4] = {"sin", "cos", "exp", "tanh"};
    double *x = malloc(N * sizeof *x), *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int level = pb_vec_level();
    size_t n;

    CU_ASSERT_FATAL(x && a && b && r);
    gsl_rng_set(r, 11);
    n = vec_inputs(x, N, r);
    if (level < PB_VEC_AVX512)
        fprintf(stderr, "[this CPU has no AVX-512: the variants cannot be compared] ");
    CU_ASSERT_EQUAL(pb_vec_exp_at(level + 1, 4, x, a), -1); /* beyond this CPU */
    for (int f = 0; f < 4; f++) {
        double worst = 0.0;
        if (level == PB_VEC_AVX512) {
            size_t diff = 0;
            CU_ASSERT_EQUAL(fns[f](PB_VEC_AVX512, n, x, a), 0);
            CU_ASSERT_EQUAL(fns[f](PB_VEC_AVX2, n, x, b), 0);
            for (size_t i = 0; i < n; i++)
                diff += memcmp(&a[i], &b[i], sizeof a[i]) != 0;
            if (diff)
                fprintf(stderr, "\n%s: %zu of %zu values differ between AVX-512 and AVX2\n",
                        names[f], diff, n);
            CU_ASSERT_EQUAL(diff, 0);
            /* tails: lengths 1 .. 17 at offsets 0 .. 7 */
            for (size_t len = 1; len <= 17; len++)
                for (size_t off = 0; off < 8; off++) {
                    double t[17];
                    fns[f](PB_VEC_AVX512, len, x + 100 + off, t);
                    CU_ASSERT(memcmp(t, b + 100 + off, len * sizeof *t) == 0);
                }
        }
        if (level >= PB_VEC_AVX2) {
            CU_ASSERT_EQUAL(fns[f](PB_VEC_AVX2, n, x, b), 0);
            for (size_t i = 0; i < n; i++) {
                double want = ref[f](x[i]);
                if (isnormal(want) && fabs(x[i]) < 1e15) /* libmvec's range of 4 ulp */
                    worst = fmax(worst, ulps(b[i], want));
            }
            CU_ASSERT(worst <= 4.0);
            fprintf(stderr, "[%s: %.2g ulp from libm] ", names[f], worst);
        }
    }
    gsl_rng_free(r);
    free(x);
    free(a);
    free(b);
}

/* ---- pb_mem.h ---------------------------------------------------------- */

/* pb_calloc_large gives zeros where malloc would reuse a block just dirtied,
 * at sizes around the 2 MiB huge page; pb_malloc_large's blocks keep what
 * is written; an overflowing n * size is refused.  (Whether the kernel used
 * huge pages is speed, measured by bench/prune, not asserted here.) */
static void test_mem_large(void)
{
    static const size_t sizes[] = {1, 4095, (2u << 20) - 8, 2u << 20, (2u << 20) + 8,
                                   (8u << 20) + 12345};

    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k], nonzero = 0, wrong = 0;
        unsigned char *dirty = malloc(n), *z;
        double *p;

        CU_ASSERT_PTR_NOT_NULL_FATAL(dirty);
        memset(dirty, 0xab, n);
        free(dirty);
        z = pb_calloc_large(n, 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(z);
        for (size_t i = 0; i < n; i++)
            nonzero += z[i] != 0;
        CU_ASSERT_EQUAL(nonzero, 0);
        free(z);
        p = pb_malloc_large(n * sizeof *p);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        for (size_t i = 0; i < n; i++)
            p[i] = (double)i;
        for (size_t i = 0; i < n; i++)
            wrong += p[i] != (double)i;
        CU_ASSERT_EQUAL(wrong, 0);
        free(p);
    }
    CU_ASSERT_PTR_NULL(pb_calloc_large(SIZE_MAX / 2, 4));
    pb_mem_advise_huge(NULL, 1u << 22); /* nothing to advise */
}

static const pb_test_case rounding_tests[] = {{"directed_rounding", test_directed_rounding},
                                              {NULL, NULL}};
static const pb_test_case vector_tests[] = {{"mpmath_every_scale", test_vector_norms_mpmath},
                                            {"vec_avx512_equals_avx2", test_vec_variants},
                                            {NULL, NULL}};
static const pb_test_case spectral_tests[] = {{"oracles_1x1_to_2048x2048", test_spectral_oracles},
                                              {"analytic", test_spectral_analytic},
                                              {"errors", test_spectral_errors},
                                              {NULL, NULL}};

static const pb_test_case mem_tests[] = {{"large_blocks", test_mem_large}, {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {{"mem_large", mem_tests},
                                        {"norm_rounding", rounding_tests},
                                        {"norm_vector", vector_tests},
                                        {"norm_spectral", spectral_tests},
                                        {NULL, NULL}};
