/* pb_norm.h: vector and matrix norms that neither overflow nor underflow, and
 * certified upper bounds of them (docs/BOUNDS.md sections 4 and 7).
 *
 * Arithmetic: IEEE 754 binary64 in the default rounding (to nearest, ties to
 * even).  u = 2^-53 is the unit roundoff, gamma_n = n u / (1 - n u) the
 * bound of an n-term inner product's relative error in any order of
 * summation (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed.,
 * 2002, section 3.1), eta = 2^-1074 the smallest subnormal.  An "upper"
 * function returns a double that is never below the exact real value it
 * bounds, whatever the size or scale of its input; everything here is a pure
 * function of its arguments, with caller-owned workspace. */
#ifndef PB_COMMON_PB_NORM_H
#define PB_COMMON_PB_NORM_H

#include <stddef.h>

#include "pb_error.h"

#define PB_UNIT_ROUNDOFF 0x1p-53
#define PB_ETA           0x1p-1074

/* The next double above x (below for pb_next_down): for a result x of one
 * correctly rounded operation, pb_next_up(x) >= the exact result.  +inf and
 * NaN are returned unchanged (-inf for pb_next_down likewise).  Inline: the
 * bounds call these a few dozen times per state. */
static inline double pb_next_up(double x)
{
    union {
        double d;
        unsigned long long u;
    } v = {x};
    if (x != x || x == __builtin_inf())
        return x;
    if (x == 0.0)
        return PB_ETA;
    v.u = x > 0.0 ? v.u + 1 : v.u - 1; /* IEEE order is the order of the magnitude bits */
    return v.d;
}

static inline double pb_next_down(double x)
{
    return -pb_next_up(-x);
}

/* a op b rounded up: never below the exact real result.  A correctly rounded
 * result lies within half an ulp of the exact one, so the next double up is
 * above it.  A zero result is exact (a sum that cancels is exact with
 * gradual underflow; a product or quotient is zero only with a zero factor or
 * dividend, tested first, since a tiny one may underflow to zero) and stays
 * zero. */
static inline double pb_add_up(double a, double b)
{
    double r = a + b;
    return r == 0.0 ? 0.0 : pb_next_up(r);
}

static inline double pb_mul_up(double a, double b)
{
    return a == 0.0 || b == 0.0 ? 0.0 * a * b : pb_next_up(a * b);
}

static inline double pb_div_up(double a, double b)
{
    return a == 0.0 && b != 0.0 ? 0.0 / b : pb_next_up(a / b);
}

/* a / b rounded down (a, b >= 0): never above the exact quotient. */
static inline double pb_div_down(double a, double b)
{
    return a == 0.0 && b != 0.0 ? 0.0 / b : pb_next_down(a / b);
}

/* sqrt(a) rounded up. */
double pb_sqrt_up(double a);

/* An upper bound of gamma_n = n u / (1 - n u); +inf when n u >= 1/2.  For
 * n u <= 2^-20, 1 / (1 - n u) <= 1 + 2^-19 (inline: called per norm). */
double pb_gamma_slow(size_t n);
static inline double pb_gamma(size_t n)
{
    double nu = (double)n * PB_UNIT_ROUNDOFF; /* exact for n < 2^53 */
    return nu <= 0x1p-20 ? pb_next_up(nu * (1.0 + 0x1p-19)) : pb_gamma_slow(n);
}

/* Sets OpenBLAS's thread count (openblas_set_num_threads; openblas_config.h
 * is not on every include path).  After a call with many threads, OpenBLAS's
 * workers spin (sched_yield) for a while after every product, even a small
 * one that ran on one thread: loops that call BLAS on small matrices, or
 * that own the cores themselves, set 1. */
void pb_blas_set_threads(int n);

/* ||x||_2 computed as LAPACK's dnrm2 and C's hypot do, scaled by a power of
 * two so that no square overflows or underflows: its relative error is at
 * most gamma_{n+2} (plus 2^-1073 absolute).  0 for n = 0; +inf when an entry
 * is infinite or the norm exceeds DBL_MAX; NaN when an entry is NaN. */
double pb_norm2(size_t n, const double x[]);

/* A certified upper bound of ||x||_2 (never below it): pb_norm2 with its
 * rounding allowance added. */
double pb_norm2_upper(size_t n, const double x[]);

/* Certified upper bounds of the norms of nl vectors stored as a structure of
 * arrays: entry i of vector l at X[i * ld + l]; out[l] >= ||x_l||_2, with the
 * allowance of pb_norm2_upper (the sum over i runs in order, one accumulator
 * per vector, which has the same gamma_{n+2} bound; a vector whose sum of
 * squares leaves [2^-900, DBL_MAX] is rescaled on its own). */
void pb_norm2_upper_lanes(size_t n, size_t nl, size_t ld, const double X[], double out[]);

/* ||a - b||_2, scaled as pb_norm2 (+inf when a difference overflows); when
 * err is not NULL, *err receives a certified bound of |result - ||a - b||_2|
 * (0 for an infinite result, which is then exact: the norm exceeds DBL_MAX). */
double pb_norm2_diff(size_t n, const double a[], const double b[], double *err);

/* A certified upper bound of ||a - b||_2. */
double pb_norm2_diff_upper(size_t n, const double a[], const double b[]);

/* ---- Spectral norms: certified upper bounds of the largest singular value ----
 *
 * For the row-major rows x cols matrix D (= A, or B - A), with n = min(rows,
 * cols) and k = max(rows, cols):
 *  1. D is scaled by a power of two so that its largest entry lies in [1, 2);
 *  2. G^ = fl(D^T D) (or D D^T: the smaller Gram matrix) by one dsyrk;
 *  3. a candidate lambda^ of lambda_max(G^) by LAPACK's dsyevr (eigenvalue
 *     only; any candidate will do, it is not trusted);
 *  4. the floating-point Cholesky factorisation of nu I - G^, nu slightly
 *     above lambda^, in a fixed order of evaluation.  When it runs to
 *     completion, R^T R = nu I - G^ + dM with |dM| <= gamma_{n+1} |R^T| |R|
 *     (Higham 2002, Theorem 10.3; the proof needs only that the recurrence
 *     completes, Rump, BIT 46, 2006), so lambda_max(G^) <= nu + gamma_{n+1}
 *     ||R||_F^2 + the rounding of the shifted diagonal;
 *  5. ||G^ - D^T D||_2 <= gamma_k ||D||_F^2 (Higham 2002, eq. 3.5) and the
 *     rounding of forming and scaling D are added, every sum rounded up.
 * The result is therefore never below ||D||_2, at any size and scale, and
 * does not depend on the eigensolver being right.  When the factorisation
 * fails, nu grows and it is tried again; when every try fails the Frobenius
 * norm (an upper bound too) is returned. */

/* Doubles of workspace that pb_spectral_norm needs for a rows x cols matrix:
 * rows * cols + 2 n^2 + 76 n + 4. */
size_t pb_spectral_work_size(size_t rows, size_t cols);

/* *norm >= ||A||_2 for the row-major rows x cols matrix A, at most a factor
 * 1 + pb_spectral_allowance(rows, cols) above it when the first Cholesky try
 * succeeds (which the tests check from 1 x 1 to 2048 x 2048).  Its bits
 * depend on OpenBLAS's thread count (the eigensolver's symmetric products add
 * partial sums per thread; the bound holds for every count): prunebound
 * fixes the count per machine (sim/main.c).  w holds
 * pb_spectral_work_size(rows, cols) doubles.  PB_EINVAL for a zero size, a
 * NULL pointer or a non-finite entry. */
int pb_spectral_norm(size_t rows, size_t cols, const double A[], double w[], double *norm,
                     pb_error *err);

/* *norm >= ||B - A||_2 (the perturbation dW = W^ - W, the rounding of the
 * difference included); same workspace and codes. */
int pb_spectral_norm_diff(size_t rows, size_t cols, const double A[], const double B[],
                          double w[], double *norm, pb_error *err);

/* The relative excess of pb_spectral_norm over ||A||_2 that the method
 * allows itself: (2 n^2 + 2 k n + 32 n + 128) u, n = min, k = max of the
 * sizes (1.9e-9 at 2048 x 2048). */
double pb_spectral_allowance(size_t rows, size_t cols);

#endif
