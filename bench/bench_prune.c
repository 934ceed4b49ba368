/* bench_prune.c: timing of the pruning methods (docs/PRUNING.md, "Cost").
 *   SparseGPT, 1024 x 1024 layer, 4096 calibration samples, double
 *   precision, Hessian included: target <= 0.3 s on 2 cores (OpenBLAS threads).
 *   OBS, 64 x 64 layer, 512 samples: well under a second.
 *   The whole driver (prune_mlp: Hessian, method, SVD of dW, recon error).
 * Prints the best of a few repetitions of each. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "prune.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU seconds of the process, all threads: less sensitive to other load. */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One layer pruned by a method the way the driver does it: Hessian, then apply.
 * Returns the seconds of the best of reps runs, and the split of that run. */
static int bench_layer(const prune_method *pm, size_t R, size_t C, size_t n, double sparsity,
                       size_t nm_n, size_t nm_m, int reps, gsl_rng *r)
{
    double *W0 = malloc(R * C * sizeof *W0), *W = malloc(R * C * sizeof *W);
    double *X = malloc(n * C * sizeof *X), *H = malloc(C * C * sizeof *H);
    unsigned char *mask = malloc(R * C);
    prune_layer pl = {0}; /* no progress hook */
    prune_work w = {NULL, NULL};
    size_t nd = 0, nz = 0;
    double best = INFINITY, best_h = 0.0, best_m = 0.0, best_cpu = 0.0;
    pb_error err;
    int s = PB_SUCCESS;

    if (!W0 || !W || !X || !H || !mask)
        goto done;
    for (size_t i = 0; i < R * C; i++)
        W0[i] = gsl_ran_gaussian(r, 1.0 / sqrt((double)C));
    /* Correlated inputs: a random walk across the columns of each sample. */
    for (size_t i = 0; i < n; i++) {
        double a = 0.0;
        for (size_t j = 0; j < C; j++) {
            a = 0.7 * a + gsl_ran_gaussian(r, 1.0);
            X[i * C + j] = a;
        }
    }
    pl.n_out = R;
    pl.n_in = C;
    pl.W = W;
    pl.mask = mask;
    pl.H = H;
    pl.n_prune = (size_t)floor(sparsity * (double)(R * C));
    pl.nm_n = nm_n;
    pl.nm_m = nm_m;
    pl.damp = PRUNE_DAMP_DEFAULT;
    pl.block = PRUNE_BLOCK_DEFAULT;
    pl.mask_block = 0;
    pm->work_size(&pl, &nd, &nz);
    w.d = malloc((nd + 1) * sizeof *w.d);
    w.z = malloc((nz + 1) * sizeof *w.z);
    if (!w.d || !w.z)
        goto done;
    for (int k = 0; k < reps; k++) {
        double t0, t1, t2, c0;
        memcpy(W, W0, R * C * sizeof *W);
        c0 = cpu_now();
        t0 = now();
        prune_hessian_eval(n, C, X, H);
        t1 = now();
        s = pm->apply(&pl, &w, &err);
        t2 = now();
        if (s != PB_SUCCESS) {
            fprintf(stderr, "bench_prune: %s: %s\n", pm->name, err.msg);
            goto done;
        }
        if (t2 - t0 < best) {
            best = t2 - t0;
            best_h = t1 - t0;
            best_m = t2 - t1;
            best_cpu = cpu_now() - c0;
        }
    }
    printf("%-10s %4zu x %-4zu n = %-5zu %-12s  total %8.4f s  (Hessian %.4f s, method %.4f s; "
           "CPU %.4f s)\n",
           pm->name, R, C, n, nm_m ? "N:M" : "unstructured", best, best_h, best_m, best_cpu);
done:
    free(W0);
    free(W);
    free(X);
    free(H);
    free(mask);
    free(w.d);
    free(w.z);
    return s;
}

/* The whole driver on a one-layer network, records included. */
static int bench_driver(const char *method, size_t R, size_t C, size_t n, gsl_rng *r)
{
    size_t sizes[2] = {C, R};
    mlp *m = mlp_alloc(1, sizes, NULL, NULL), *p = NULL;
    double *X = malloc(n * C * sizeof *X), t0, t1;
    prune_options o;
    pb_error err;
    int s = PB_ENOMEM;

    if (!m || !X)
        goto done;
    for (size_t i = 0; i < R * C; i++)
        m->layers[0].W[i] = gsl_ran_gaussian(r, 1.0 / sqrt((double)C));
    for (size_t i = 0; i < n * C; i++)
        X[i] = gsl_ran_gaussian(r, 1.0);
    prune_options_init(&o);
    o.sparsity = 0.5;
    t0 = now();
    s = prune_mlp(m, prune_find(method), &o, X, n, &p, &err);
    t1 = now();
    if (s != PB_SUCCESS)
        fprintf(stderr, "bench_prune: %s\n", err.msg);
    else
        printf("prune_mlp %-10s %4zu x %-4zu n = %-5zu total %8.4f s (with SVD of dW and "
               "recon error)\n",
               method, R, C, n, t1 - t0);
done:
    mlp_free(m);
    mlp_free(p);
    free(X);
    return s;
}

int main(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int s = 0;

    gsl_set_error_handler_off();
    gsl_rng_set(r, 1);
    s |= bench_layer(prune_find("sparsegpt"), 1024, 1024, 4096, 0.5, 0, 0, 5, r);
    s |= bench_layer(prune_find("sparsegpt"), 1024, 1024, 4096, 0.5, 2, 4, 3, r);
    s |= bench_layer(prune_find("obs"), 64, 64, 512, 0.5, 0, 0, 5, r);
    s |= bench_layer(prune_find("obs"), 64, 64, 512, 0.5, 2, 4, 5, r);
    s |= bench_layer(prune_find("obs"), 256, 256, 2048, 0.5, 0, 0, 1, r);
    s |= bench_layer(prune_find("obd"), 1024, 1024, 4096, 0.5, 0, 0, 3, r);
    s |= bench_driver("sparsegpt", 256, 256, 4096, r);
    s |= bench_driver("obs", 64, 64, 512, r);
    gsl_rng_free(r);
    return s ? 1 : 0;
}
