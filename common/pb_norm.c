/* pb_norm.c: safe and certified norms (pb_norm.h; docs/BOUNDS.md sections 4
 * and 7).  Error bounds cite Higham, Accuracy and Stability of Numerical
 * Algorithms, 2nd ed., SIAM 2002 ("Higham"). */
#include "pb_norm.h"

#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "pb_simd.h"

void openblas_set_num_threads(int n);

void pb_blas_set_threads(int n)
{
    openblas_set_num_threads(n);
}

#define U PB_UNIT_ROUNDOFF

/* ---- Directed rounding on top of round-to-nearest (the rest is inline in pb_norm.h) ---- */

double pb_sqrt_up(double a)
{
    return a == 0.0 ? 0.0 : pb_next_up(sqrt(a));
}

double pb_gamma_slow(size_t n)
{
    double nu = (double)n * U; /* exact: a power-of-two multiple of an integer below 2^53 */
    if (!(nu < 0.5))
        return INFINITY;
    return pb_div_up(nu, pb_next_down(1.0 - nu));
}

/* ---- Vector norms ---- */

/* v scaled by 2^-e: one exact multiplication while the scale is a normal
 * number, ldexp beyond (ldexp rounds only a subnormal result). */
static inline double scale_by(double v, int e, double s)
{
    return e > -1000 && e < 1000 ? v * s : ldexp(v, -e);
}

/* ||a - b|| (b NULL: ||a||), scaled: the largest |entry| m is found first
 * and every entry is multiplied by 2^-e, e = ilogb(m), so the largest scaled
 * entry lies in [1, 2) and no square overflows or matters when it underflows.
 * An entry (or a difference of two finite entries) that overflows makes the
 * norm exceed DBL_MAX: +inf is then its correctly rounded value. */
static double norm2_core(size_t n, const double a[], const double b[])
{
    double m = 0.0, sum = 0.0, s;
    int e;

    /* One pass without scaling first: exact to gamma_{n+2} as well whenever
     * the sum of squares neither overflows nor comes below 2^-900, where the
     * absolute error of squares that underflow (at most 2^-1075 each) is far
     * below one unit roundoff of it; otherwise the scaled passes below. */
    if (!b) {
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        size_t i = 0;
        for (; i + 4 <= n; i += 4) {
            s0 += a[i] * a[i];
            s1 += a[i + 1] * a[i + 1];
            s2 += a[i + 2] * a[i + 2];
            s3 += a[i + 3] * a[i + 3];
        }
        for (; i < n; i++)
            s0 += a[i] * a[i];
        sum = (s0 + s1) + (s2 + s3);
        if (sum >= 0x1p-900 && sum <= 0x1.fffffffffffffp+1023)
            return sqrt(sum);
        sum = 0.0;
    }

    for (size_t i = 0; i < n; i++) {
        double v = fabs(b ? a[i] - b[i] : a[i]);
        if (isnan(v))
            return NAN;
        if (v > m)
            m = v;
    }
    if (m == 0.0 || isinf(m))
        return m;
    e = ilogb(m);
    s = e > -1000 && e < 1000 ? ldexp(1.0, -e) : 1.0;
    for (size_t i = 0; i < n; i++) {
        double y = scale_by(b ? a[i] - b[i] : a[i], e, s);
        sum += y * y;
    }
    return ldexp(sqrt(sum), e);
}

/* The rounding allowance of a computed norm r with relative error gamma and
 * absolute error abs: ||x|| <= (r + abs) / (1 - gamma) <= (r + abs)(1 + 2 gamma). */
static double norm_upper_of(double r, double gamma, double abs)
{
    if (!(r > 0.0) || isinf(r))
        return r; /* 0 is exact; inf and NaN stay */
    return pb_mul_up(pb_add_up(r, abs), pb_add_up(1.0, pb_mul_up(2.0, gamma)));
}

double pb_norm2(size_t n, const double x[])
{
    return norm2_core(n, x, NULL);
}

double pb_norm2_upper(size_t n, const double x[])
{
    return norm_upper_of(norm2_core(n, x, NULL), pb_gamma(n + 2), 0x1p-1073);
}

/* |r - ||a - b||| <= gamma_{n+2} ||d|| + ||d - (a - b)|| + abs with
 * d_i = fl(a_i - b_i) = (a_i - b_i)(1 + delta_i), |delta_i| <= u, which is at
 * most gamma_{n+3} ||a - b|| + abs. */
double pb_norm2_diff(size_t n, const double a[], const double b[], double *err)
{
    double r = norm2_core(n, a, b);
    if (err) {
        double g = pb_gamma(n + 3);
        *err = isfinite(r) ? pb_add_up(pb_mul_up(g, norm_upper_of(r, g, 0x1p-1073)), 0x1p-1073)
                           : (isnan(r) ? r : 0.0);
    }
    return r;
}

PB_SIMD_CLONES static void sum_squares_lanes(size_t n, size_t nl, size_t ld,
                                             const double *restrict X, double *restrict out)
{
    for (size_t l = 0; l < nl; l++)
        out[l] = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *restrict x = X + i * ld;
        for (size_t l = 0; l < nl; l++)
            out[l] += x[l] * x[l];
    }
}

/* Where 2^-900 <= out[l] <= DBL_MAX, out[l] = norm_upper_of(sqrt(out[l]), g,
 * 2^-1073) with c = (1 + 2 g) rounded up (the same roundings: r + abs, then
 * the product, each to the next double up; both positive and finite);
 * elsewhere out[l] is left for the scaled path and bad[l] = 1. */
PB_SIMD_CLONES static void norm_upper_lanes(size_t nl, double c, double *restrict out,
                                            unsigned char *restrict bad)
{
    for (size_t l = 0; l < nl; l++) {
        double s = out[l];
        int ok = (s >= 0x1p-900) & (s <= 0x1.fffffffffffffp+1023);
        double r = sqrt(ok ? s : 1.0) + 0x1p-1073, q;
        unsigned long long b;
        memcpy(&b, &r, sizeof b);
        b += 1; /* r > 0 finite: the next double up */
        memcpy(&r, &b, sizeof b);
        q = r * c;
        memcpy(&b, &q, sizeof b);
        b += 1;
        memcpy(&q, &b, sizeof b);
        out[l] = ok ? q : s;
        bad[l] = (unsigned char)!ok;
    }
}

/* Lane l of pb_norm2_upper_lanes outside the common range of its sum of
 * squares out[l] (zero, subnormal, overflowing, infinite or NaN): scaled as
 * norm2_core, the largest |entry| first. */
static void norm_lane_scaled(size_t n, size_t ld, const double X[], size_t l, double g,
                             double out[])
{
    double s = out[l], mx = 0.0, sum = 0.0;
    int e;

    for (size_t i = 0; i < n; i++)
        mx = fmax(mx, fabs(X[i * ld + l]));
    if (mx == 0.0 || !isfinite(mx) || isnan(s)) {
        out[l] = isnan(s) ? NAN : mx;
        return;
    }
    e = ilogb(mx);
    for (size_t i = 0; i < n; i++) {
        double y = ldexp(X[i * ld + l], -e);
        sum += y * y;
    }
    out[l] = norm_upper_of(ldexp(sqrt(sum), e), g, 0x1p-1073);
}

void pb_norm2_upper_lanes(size_t n, size_t nl, size_t ld, const double X[], double out[])
{
    double g = pb_gamma(n + 2), c = pb_add_up(1.0, pb_mul_up(2.0, g));
    unsigned char bad[256];

    sum_squares_lanes(n, nl, ld, X, out);
    for (size_t l0 = 0; l0 < nl; l0 += 256) {
        size_t cn = nl - l0 < 256 ? nl - l0 : 256;
        norm_upper_lanes(cn, c, out + l0, bad);
        for (size_t j = 0; j < cn; j++)
            if (bad[j])
                norm_lane_scaled(n, ld, X, l0 + j, g, out);
    }
}

double pb_norm2_diff_upper(size_t n, const double a[], const double b[])
{
    return norm_upper_of(norm2_core(n, a, b), pb_gamma(n + 3), 0x1p-1073);
}

/* ---- Spectral norms ---- */

/* Doubles of dsyevr workspace for order n: lwork = (nb + 6) n with a block
 * size nb <= 64 (LAPACK's dsyevr asks at least 26 n), then liwork = 10 n
 * integers in 5 n doubles, then the eigenvalue output and isuppz. */
#define EV_LWORK(n) (70 * (n))

size_t pb_spectral_work_size(size_t rows, size_t cols)
{
    size_t n = rows < cols ? rows : cols;
    return rows * cols + 2 * n * n + EV_LWORK(n) + 6 * n + 4;
}

double pb_spectral_allowance(size_t rows, size_t cols)
{
    double n = (double)(rows < cols ? rows : cols), k = (double)(rows > cols ? rows : cols);
    return (2.0 * n * n + 2.0 * k * n + 32.0 * n + 128.0) * U;
}

/* sum_{q < len} a[q] b[q], with four partial sums. */
static inline double dot4(size_t len, const double *a, const double *b)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t q = 0;
    for (; q + 4 <= len; q += 4) {
        s0 += a[q] * b[q];
        s1 += a[q + 1] * b[q + 1];
        s2 += a[q + 2] * b[q + 2];
        s3 += a[q + 3] * b[q + 3];
    }
    for (; q < len; q++)
        s0 += a[q] * b[q];
    return (s0 + s1) + (s2 + s3);
}

/* Cholesky factorisation M = L L^T in place (the lower triangle of the
 * row-major n x n matrix M), right-looking by blocks of CHOL_NB columns: the
 * diagonal block and the panel below it by the recurrence
 *   L_ij = (M_ij - sum_{q<j} L_iq L_jq) / L_jj,  L_ii = sqrt(M_ii - sum_{q<i} L_iq^2),
 * the trailing matrix updated by one dsyrk per block.  Each L_ij is then the
 * recurrence with its inner product summed in some order (by blocks, with or
 * without fused multiply-adds), which Higham's Lemma 8.4 and Theorem 10.3
 * cover: they hold for every order of evaluation.  The divisions are done
 * here, not by BLAS (which may multiply by a reciprocal).  0 when the
 * recurrence runs to completion (every pivot positive and finite), -1
 * otherwise.  *rf2 = fl(sum L_ij^2), *lmax = max L_ii. */
#define CHOL_NB 32
static int cholesky_lower(size_t n, double M[], double *rf2, double *lmax)
{
    double f2 = 0.0, dmax = 0.0;

    for (size_t k0 = 0; k0 < n; k0 += CHOL_NB) {
        size_t k1 = n - k0 < CHOL_NB ? n : k0 + CHOL_NB;
        for (size_t i = k0; i < n; i++) {
            double *Li = M + i * n;
            for (size_t j = k0; j < k1 && j <= i; j++) {
                const double *Lj = M + j * n;
                double v = Li[j] - dot4(j - k0, Li + k0, Lj + k0);
                if (j < i) {
                    Li[j] = v / Lj[j];
                } else {
                    if (!(v > 0.0) || !isfinite(v))
                        return -1;
                    Li[i] = sqrt(v);
                    dmax = fmax(dmax, Li[i]);
                }
            }
        }
        if (k1 < n)
            cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, (int)(n - k1), (int)(k1 - k0),
                        -1.0, M + k1 * n + k0, (int)n, 1.0, M + k1 * n + k1, (int)n);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++)
            f2 += M[i * n + j] * M[i * n + j];
    if (!isfinite(f2))
        return -1;
    *rf2 = f2;
    *lmax = dmax;
    return 0;
}

/* A candidate of lambda_max(G) (n x n, row-major lower = column-major upper
 * triangle) by dsyevr, overwriting C with the copy it destroys; when LAPACK
 * fails, the largest absolute row sum (>= every eigenvalue). */
static double top_eigenvalue(size_t n, const double G[], double C[], double ws[])
{
    double *work = ws, *ev = ws + EV_LWORK(n) + 5 * n;
    lapack_int *iwork = (lapack_int *)(ws + EV_LWORK(n)), isuppz[2], found = 0;
    lapack_int info;

    memcpy(C, G, n * n * sizeof *C);
    info = LAPACKE_dsyevr_work(LAPACK_COL_MAJOR, 'N', 'I', 'U', (lapack_int)n, C, (lapack_int)n,
                               0.0, 0.0, (lapack_int)n, (lapack_int)n, 0.0, &found, ev, NULL, 1,
                               isuppz, work, (lapack_int)EV_LWORK(n), iwork,
                               (lapack_int)(10 * n));
    if (info == 0 && found == 1 && isfinite(ev[0]))
        return ev[0];
    {
        double best = 0.0;
        for (size_t i = 0; i < n; i++) {
            double r = 0.0;
            for (size_t j = 0; j < n; j++)
                r += fabs(i >= j ? G[i * n + j] : G[j * n + i]);
            best = fmax(best, r);
        }
        return best;
    }
}

/* The certified bound of ||D||_2 for the scaled copy D (rows x cols, largest
 * entry in [1, 2), Frobenius norm squared at most fro2), steps 2 to 5 of
 * pb_norm.h.  Returns the bound of ||D||_2 for the matrix D as stored. */
static double scaled_spectral_upper(size_t rows, size_t cols, const double D[], double fro2,
                                    double w[])
{
    int wide = rows < cols;
    size_t n = wide ? rows : cols, k = wide ? cols : rows;
    double *G = w, *M = w + n * n, *ws = w + 2 * n * n;
    double lam, delta, eg, fro_bound;

    /* G^ = fl(D^T D) or fl(D D^T), lower triangle; ||G^ - G||_2 <= || |G^ - G| ||_F <=
     * gamma_k || |D|^T |D| ||_F <= gamma_k ||D||_F^2, plus k eta per entry where a
     * product underflows (n^2 entries, so n (k + 1) eta in the 2-norm). */
    cblas_dsyrk(CblasRowMajor, CblasLower, wide ? CblasNoTrans : CblasTrans, (int)n, (int)k, 1.0,
                D, (int)cols, 0.0, G, (int)n);
    eg = pb_add_up(pb_mul_up(pb_gamma(k), fro2), (double)n * (double)(k + 1) * PB_ETA * 2.0);
    fro_bound = pb_sqrt_up(fro2);

    lam = top_eigenvalue(n, G, M, ws);
    /* The first shift: enough for the factorisation of nu I - G^ to complete
     * when lam is accurate (Higham Theorem 10.7 asks lambda_min of the unit-
     * diagonal scaling above n gamma_{n+1}). */
    delta = pb_mul_up(fmax(lam, 1.0), (2.0 * (double)n * (double)(n + 1) + 8.0 * n + 16.0) * U);
    for (int attempt = 0; attempt < 12; attempt++, delta *= 8.0) {
        double nu = pb_add_up(lam, delta), mdiag = 0.0, rf2, lmax, beta;
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < i; j++)
                M[i * n + j] = -G[i * n + j];
            M[i * n + i] = nu - G[i * n + i];
            mdiag = fmax(mdiag, fabs(M[i * n + i]));
        }
        if (cholesky_lower(n, M, &rf2, &lmax) != 0)
            continue;
        /* R^T R = M^ + dM, |dM| <= gamma_{n+1} |R^T||R| (Theorem 10.3), so
         * ||dM||_2 <= gamma_{n+1} ||R||_F^2; M^ = nu I - G^ + the diagonal
         * rounding (at most u |M^_ii|); R^T R >= 0 gives
         *   lambda_max(G^) <= nu + u max|M^_ii| + gamma_{n+1} ||R||_F^2 + tau,
         * tau covering underflow inside the factorisation.  fl(||R||_F^2) is
         * a sum of N = n(n+1)/2 squares: sum <= fl(sum) / (1 - gamma_N) <=
         * fl(sum) (1 + gamma_{2N}) at any N (1 / (1 - gamma_N) = 1 + N u / (1 - 2 N u)). */
        {
            size_t terms = n * (n + 1) / 2;
            double rf2_up = pb_add_up(pb_mul_up(rf2, pb_add_up(1.0, pb_gamma(2 * terms))),
                                      (double)terms * PB_ETA);
            double tau = pb_mul_up((double)n * (double)(n + 2) * 0x1p-1072, 1.0 + lmax);
            beta = pb_add_up(nu, pb_mul_up(U, mdiag));
            beta = pb_add_up(beta, pb_mul_up(pb_gamma(n + 1), rf2_up));
            beta = pb_add_up(beta, tau);
            beta = pb_add_up(beta, eg);
        }
        return fmin(pb_sqrt_up(beta), fro_bound);
    }
    return fro_bound; /* ||D||_2 <= ||D||_F */
}

static int spectral_norm(size_t rows, size_t cols, const double A[], const double B[], double w[],
                         double *norm, pb_error *err)
{
    size_t n_el = rows * cols;
    double m = 0.0, s, fro2 = 0.0, rep, r;
    int e;

    if (rows == 0 || cols == 0)
        return pb_error_set(err, PB_EINVAL, "spectral norm of a %zu x %zu matrix", rows, cols);
    if (!B || !w || !norm)
        return pb_error_set(err, PB_EINVAL, "spectral norm: NULL matrix, workspace or result");
    for (size_t i = 0; i < n_el; i++) {
        double v = fabs(A ? B[i] - A[i] : B[i]);
        if (!isfinite(B[i]) || (A && !isfinite(A[i])))
            return pb_error_set(err, PB_EINVAL, "spectral norm: entry (%zu, %zu) is not finite",
                                i / cols, i % cols);
        m = v > m ? v : m;
    }
    if (m == 0.0) {
        *norm = 0.0; /* fl(b - a) = 0 only when b = a */
        return PB_SUCCESS;
    }
    if (rows == 1 || cols == 1) {
        *norm = A ? pb_norm2_diff_upper(n_el, B, A) : pb_norm2_upper(n_el, B);
        return PB_SUCCESS;
    }
    if (isinf(m)) {
        *norm = INFINITY; /* a difference of two entries overflows: so does ||B - A|| */
        return PB_SUCCESS;
    }
    /* D = (B - A) 2^-e with its largest entry in [1, 2): exact for normal
     * results; a subnormal result errs by at most eta / 2. */
    e = ilogb(m);
    s = e > -1000 && e < 1000 ? ldexp(1.0, -e) : 1.0;
    for (size_t i = 0; i < n_el; i++) {
        double v = scale_by(A ? B[i] - A[i] : B[i], e, s);
        w[i] = v;
        fro2 += v * v;
    }
    /* ||D||_F^2 <= fl(sum) / (1 - gamma_{n_el}) <= fl(sum) (1 + gamma_{2 n_el}) at any size,
     * plus eta per square that underflows. */
    fro2 = pb_add_up(pb_mul_up(fro2, pb_add_up(1.0, pb_gamma(2 * n_el))), (double)n_el * PB_ETA);
    /* The stored D differs from the exact scaled matrix by E with |E_ij| <= u |D_ij| / (1 - u)
     * (the difference b - a rounded; 0 without A) + eta (scaling of subnormals). */
    rep = pb_mul_up(sqrt((double)n_el) + 1.0, PB_ETA);
    if (A)
        rep = pb_add_up(rep, pb_mul_up(pb_div_up(U, 1.0 - U), pb_sqrt_up(fro2)));
    r = pb_add_up(scaled_spectral_upper(rows, cols, w, fro2, w + n_el), rep);
    r = ldexp(r, e);
    *norm = r < 0x1p-1022 ? pb_next_up(r) : r; /* a subnormal result of ldexp is rounded */
    return PB_SUCCESS;
}

int pb_spectral_norm(size_t rows, size_t cols, const double A[], double w[], double *norm,
                     pb_error *err)
{
    if (!A)
        return pb_error_set(err, PB_EINVAL, "spectral norm: NULL matrix");
    return spectral_norm(rows, cols, NULL, A, w, norm, err);
}

int pb_spectral_norm_diff(size_t rows, size_t cols, const double A[], const double B[],
                          double w[], double *norm, pb_error *err)
{
    if (!A || !B)
        return pb_error_set(err, PB_EINVAL, "spectral norm: NULL matrix");
    return spectral_norm(rows, cols, A, B, w, norm, err);
}
