/* bench_latency.c: single-state forward-pass latency of policy files (by
 * default the shipped policies): mlp_eval with input and output maps, one
 * state at a time as a controller runs it.  Best of 5 repetitions of 20,000
 * states drawn once, uniformly in [-0.5, 0.5] per input.
 *   bench_latency [POLICY.h5 ...] */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "mlp.h"
#include "mlp_io.h"

#define N_STATES 20000
#define N_REPS   5

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Prints "path  shape  ns/state" for one policy file; 0 on success. */
static int bench_policy(const char *path, gsl_rng *r)
{
    mlp *m = NULL;
    mlp_work *w = NULL;
    double *X = NULL, u[64], best = 1e300, sink = 0.0;
    pb_error err;
    int rc = 1;

    if (mlp_read_h5(path, &m, &err) != PB_SUCCESS) {
        fprintf(stderr, "bench_latency: %s\n", err.msg);
        return 1;
    }
    if (m->n_out > 64 || !(w = mlp_work_alloc(m, 1, &err)) ||
        !(X = malloc(N_STATES * m->n_in * sizeof *X)))
        goto free_all;
    for (size_t i = 0; i < N_STATES * m->n_in; i++)
        X[i] = gsl_rng_uniform(r) - 0.5;
    for (int rep = 0; rep < N_REPS; rep++) {
        double t0 = now();
        for (size_t i = 0; i < N_STATES; i++) {
            mlp_eval(m, w, X + i * m->n_in, u);
            sink += u[0];
        }
        double dt = (now() - t0) / N_STATES;
        best = dt < best ? dt : best;
    }
    printf("%-40s %3zu", path, m->n_in);
    for (size_t j = 0; j < m->n_layers; j++)
        printf("-%zu", m->layers[j].n_out);
    printf("  %8.0f ns/state  (%zu weights; checksum %.3g)\n", best * 1e9, mlp_n_weights(m), sink);
    rc = 0;
free_all:
    free(X);
    mlp_work_free(w);
    mlp_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    static const char *const shipped[] = {PB_SOURCE_DIR "/configs/policies/pendulum.h5",
                                          PB_SOURCE_DIR "/configs/policies/cartpole.h5",
                                          PB_SOURCE_DIR "/configs/policies/quadrotor.h5", NULL};
    gsl_rng *r;
    int rc = 0;

    gsl_set_error_handler_off();
    r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return 1;
    printf("single-state forward pass (mlp_eval), best of %d x %d states\n", N_REPS, N_STATES);
    if (argc > 1)
        for (int i = 1; i < argc; i++)
            rc |= bench_policy(argv[i], r);
    else
        for (const char *const *p = shipped; *p; p++)
            rc |= bench_policy(*p, r);
    gsl_rng_free(r);
    return rc;
}
