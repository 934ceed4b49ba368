/* bench_bounds.c: cost of the forward-pass bound at a state against one
 * forward pass (docs/BOUNDS.md, "Cost"), for a 12-64-64-64-3 network with
 * sigmoid hidden layers and a linear output layer.
 *   forward pass     mlp_eval (input map, three dgemv + sigmoid, output map)
 *   with the bound   mlp_eval + bounds_pass_eval_work + bounds_multi_eval
 *                    (all layers changed: the most work the bound can take)
 * Target: ratio <= 1.2 (the bound reuses the pass's hidden vectors; what it
 * adds is one norm per layer and a short sum).  The per-policy cache (one
 * SVD per layer) is built once and timed separately.  Best of a few
 * repetitions of N states. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "bounds.h"
#include "mlp.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void)
{
    enum { N = 20000, REPS = 7, L = 4 };
    size_t sizes[L + 1] = {12, 64, 64, 64, 3};
    mlp_act acts[L] = {MLP_ACT_SIGMOID, MLP_ACT_SIGMOID, MLP_ACT_SIGMOID, MLP_ACT_LINEAR};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    mlp *m, *p;
    bounds_model *bm, *bp;
    mlp_work *w;
    double *X, u[3], hn[L], dWn[L], *ws = malloc(pb_spectral_work_size(64, 64) * sizeof *ws);
    double t_fwd = INFINITY, t_bnd = INFINITY, t_model, sink = 0.0;
    pb_error err;

    gsl_set_error_handler_off();
    m = mlp_alloc(L, sizes, acts, &err);
    if (!m)
        return fprintf(stderr, "%s\n", err.msg), 1;
    for (size_t j = 0; j < L; j++)
        for (size_t i = 0; i < m->layers[j].n_in * m->layers[j].n_out; i++)
            m->layers[j].W[i] = gsl_ran_gaussian(r, 1.0 / sqrt((double)m->layers[j].n_in));
    p = mlp_clone(m, &err);
    for (size_t j = 0; j < L; j++) {
        mlp_layer *l = &p->layers[j];
        for (size_t i = 0; i < l->n_in * l->n_out; i++)
            if (fabs(l->W[i]) < 0.05)
                l->W[i] = 0.0;
        pb_spectral_norm_diff(l->n_out, l->n_in, m->layers[j].W, l->W, ws, &dWn[j], NULL);
    }
    t_model = now();
    bm = bounds_model_alloc(m, &err);
    t_model = now() - t_model;
    bp = bounds_model_alloc(p, &err);
    w = mlp_work_alloc(m, 1, &err);
    X = malloc(N * 12 * sizeof *X);
    if (!bm || !bp || !w || !X)
        return fprintf(stderr, "setup failed\n"), 1;
    for (size_t i = 0; i < N * 12; i++)
        X[i] = gsl_ran_gaussian(r, 1.0);

    for (int rep = 0; rep < REPS; rep++) {
        double t0 = now();
        for (size_t i = 0; i < N; i++) {
            mlp_eval(m, w, X + 12 * i, u);
            sink += u[0];
        }
        double t1 = now();
        for (size_t i = 0; i < N; i++) {
            mlp_eval(m, w, X + 12 * i, u);
            bounds_pass_eval_work(bm, w, hn, NULL);
            sink += u[0] + bounds_multi_eval(bp, hn, dWn, NULL);
        }
        double t2 = now();
        t_fwd = fmin(t_fwd, (t1 - t0) / N);
        t_bnd = fmin(t_bnd, (t2 - t1) / N);
    }
    printf("bench_bounds: 12-64-64-64-3 sigmoid network, %d states, best of %d\n", N, REPS);
    printf("  forward pass              %8.3f us/state\n", 1e6 * t_fwd);
    printf("  forward pass + bound      %8.3f us/state (all 4 layers changed)\n", 1e6 * t_bnd);
    printf("  ratio                     %8.3f (target <= 1.2)\n", t_bnd / t_fwd);
    printf("  per-policy cache (4 norms) %8.3f ms, once per policy\n", 1e3 * t_model);
    if (!isfinite(sink))
        printf("(non-finite checksum)\n");
    bounds_model_free(bm);
    bounds_model_free(bp);
    mlp_work_free(w);
    mlp_free(m);
    mlp_free(p);
    free(X);
    free(ws);
    gsl_rng_free(r);
    return 0;
}
