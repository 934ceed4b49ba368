/* bench_python_c.c: the C side of bench/python/bench_python.py: the same
 * work through libprunebound alone.  policy(X) on 10^5 states (mlp_eval_batch
 * in batches of 256, as the module) and bound on 10^4 states
 * (certify_states in steps of 4096, as `prunebound bound` and the module),
 * the pruned twin by magnitude at 50 %.  Best of 5, seconds, as JSON.
 *   bench_python_c POLICY.h5 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "certify_states.h"
#include "mlp.h"
#include "mlp_io.h"
#include "prune.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    enum { N_EVAL = 100000, N_BOUND = 10000, BATCH = 256, REPS = 5 };
    mlp *m = NULL, *p = NULL;
    pb_error err;
    prune_options o;
    double *X, *U, best_eval = 1e30, best_bound = 1e30, sink = 0;
    unsigned long long s = 12345;

    if (argc != 2) {
        fprintf(stderr, "usage: bench_python_c POLICY.h5\n");
        return 2;
    }
    if (mlp_read_h5(argv[1], &m, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    prune_options_init(&o);
    o.sparsity = 0.5;
    if (prune_mlp(m, prune_find("magnitude"), &o, NULL, 0, &p, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    X = malloc((size_t)N_EVAL * m->n_in * sizeof *X);
    U = malloc((size_t)N_EVAL * m->n_out * sizeof *U);
    if (!X || !U)
        return 1;
    for (size_t i = 0; i < (size_t)N_EVAL * m->n_in; i++) { /* uniform in [-1, 1) */
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        X[i] = (double)(s >> 11) / 9007199254740992.0 * 2.0 - 1.0;
    }
    for (int r = 0; r < REPS; r++) {
        double t0 = now();
        mlp_work *w = mlp_work_alloc(m, BATCH, &err);
        for (size_t i = 0; i < N_EVAL; i += BATCH) {
            size_t c = N_EVAL - i < BATCH ? N_EVAL - i : BATCH;
            mlp_eval_batch(m, w, c, X + i * m->n_in, U + i * m->n_out);
        }
        mlp_work_free(w);
        t0 = now() - t0;
        best_eval = t0 < best_eval ? t0 : best_eval;
        sink += U[0];
    }
    for (int r = 0; r < REPS; r++) {
        double t0 = now();
        certify_states *c = certify_states_alloc(m, p, N_BOUND, X, &err);
        if (!c) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        while (c->done < c->n)
            certify_states_step(c, 4096);
        certify_states_finish(c);
        sink += c->max_bound;
        certify_states_free(c);
        t0 = now() - t0;
        best_bound = t0 < best_bound ? t0 : best_bound;
    }
    printf("{\"eval_1e5\": %.6f, \"bound_1e4\": %.6f, \"sink\": %g}\n", best_eval, best_bound,
           sink);
    free(X);
    free(U);
    mlp_free(m);
    mlp_free(p);
    return 0;
}
