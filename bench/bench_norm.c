/* bench_norm.c: certified spectral norms (common/pb_norm.h) against LAPACK's
 * own largest singular value (dgesvd, values only) on Gaussian matrices of the
 * sizes where GSL's Jacobi SVD went wrong, and their cost (docs/BOUNDS.md
 * section 4).  Prints per size: pb_spectral_norm's relative excess over
 * dgesvd's value (never negative when both are right: ours is a bound, dgesvd
 * is accurate to a few ulps), the allowance, and both times (best of 3). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <lapacke.h>

#include "pb_norm.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void)
{
    static const size_t sizes[][2] = {{80, 80},   {90, 90},     {128, 128},  {200, 200},
                                      {256, 256}, {256, 1024},  {512, 512},  {1024, 1024},
                                      {2048, 2048}};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t mx = 2048 * 2048;
    double *A = malloc(mx * sizeof *A), *C = malloc(mx * sizeof *C), *s = malloc(2048 * sizeof *s);
    double *w = malloc(pb_spectral_work_size(2048, 2048) * sizeof *w), *sup = malloc(2048 * sizeof *sup);

    if (!A || !C || !s || !w || !sup || !r)
        return fprintf(stderr, "out of memory\n"), 1;
    printf("%-11s %14s %12s %12s %12s\n", "size", "excess/dgesvd", "allowance", "ours (s)",
           "dgesvd (s)");
    for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
        size_t m = sizes[t][0], n = sizes[t][1];
        double ours = 0.0, best_ours = INFINITY, best_l = INFINITY;
        char label[32];
        for (size_t i = 0; i < m * n; i++)
            A[i] = gsl_ran_gaussian(r, 1.0);
        for (int rep = 0; rep < 3; rep++) {
            double t0 = now(), t1;
            if (pb_spectral_norm(m, n, A, w, &ours, NULL) != PB_SUCCESS)
                return fprintf(stderr, "pb_spectral_norm failed\n"), 1;
            t1 = now();
            memcpy(C, A, m * n * sizeof *C);
            if (LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'N', (lapack_int)m, (lapack_int)n, C,
                               (lapack_int)n, s, NULL, 1, NULL, 1, sup) != 0)
                return fprintf(stderr, "dgesvd failed\n"), 1;
            best_ours = fmin(best_ours, t1 - t0);
            best_l = fmin(best_l, now() - t1);
        }
        snprintf(label, sizeof label, "%zu x %zu", m, n);
        printf("%-11s %14.3g %12.3g %12.4f %12.4f\n", label, ours / s[0] - 1.0,
               pb_spectral_allowance(m, n), best_ours, best_l);
    }
    free(A), free(C), free(s), free(w), free(sup);
    gsl_rng_free(r);
    return 0;
}
