/* mc_quad.c: the Monte Carlo speed workload of docs/PERFORMANCE.md for
 * prunebound (the peers in this folder compute the same thing in NumPy,
 * PyTorch and Numba).
 *   plant      quadrotor_arch (Beard form, defaults), 12 states, 3 inputs
 *   policies   ORIGINAL.h5 (ARCH-COMP QUAD 12-64-64-64-3, sigmoid) and
 *              PRUNED.h5 (its magnitude-pruned twin, 50 % per layer)
 *   samples    N initial states, x1..x6 uniform in [-0.4, 0.4], the rest 0
 *              (GSL mt19937, seed 1), written to DIR/x0.txt for the peers
 *   horizon    50 control periods of 0.1 s, classic RK4, 10 substeps each
 *   per step   both loops, the actual deviation and the multi-layer
 *              forward-pass bound at the pruned loop's state (sim_batch.h)
 * One traj-step = one control period of both loops with deviation and bound.
 * Prints traj-steps per second (best of --reps), the flop count per
 * traj-step and the dgemm rate of the linked BLAS on 2 threads; writes
 * DIR/ref.txt (first --check samples: final states of both loops, max
 * deviation, max bound, max trajectory distance) for the peers' checks.
 * usage: bench_mc_quad ORIGINAL.h5 PRUNED.h5 DIR [--samples N] [--threads T]
 *                      [--reps R] [--check K] [--dgemm M (matrix size, 0: skip)] */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "mlp.h"
#include "mlp_io.h"
#include "plant.h"
#include "sim_batch.h"

/* OpenBLAS's thread count (openblas_config.h is not on every include path). */
void openblas_set_num_threads(int n);

enum { NX = 12, NU = 3, N_STEPS = 50, SUBSTEPS = 10 };
static const double PERIOD = 0.1;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Best GFLOP/s of C = A B (n x n, 2 n^3 flops) over reps, BLAS threads as set. */
static double dgemm_rate(size_t n, size_t reps)
{
    double *a = malloc(3 * n * n * sizeof *a), best = INFINITY;
    if (!a)
        return NAN;
    for (size_t i = 0; i < 3 * n * n; i++)
        a[i] = 1.0 / (double)(1 + i % 97);
    for (size_t r = 0; r < reps; r++) {
        double t0 = now();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0, a,
                    (int)n, a + n * n, (int)n, 0.0, a + 2 * n * n, (int)n);
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    free(a);
    return 2.0 * (double)n * (double)n * (double)n / best * 1e-9;
}

/* Flops of one forward pass of m: 2 n_in n_out per layer (the GEMM with its
 * bias add), 3 per sigmoid (negate, add, divide; the exp counted apart). */
static double mlp_flops(const mlp *m, double *n_exp)
{
    double f = 0.0;
    for (size_t k = 0; k < m->n_layers; k++) {
        const mlp_layer *l = &m->layers[k];
        f += 2.0 * (double)(l->n_in * l->n_out);
        if (l->act == MLP_ACT_SIGMOID) {
            f += 3.0 * (double)l->n_out;
            *n_exp += (double)l->n_out;
        }
    }
    return f;
}

int main(int argc, char **argv)
{
    size_t n = 20000, threads = 2, reps = 3, check = 64, dgemm_n = 2000;
    mlp *orig = NULL, *pruned = NULL;
    plant *p = NULL;
    sim_batch_model *m = NULL;
    sim_batch_row *rows = NULL;
    double *X0 = NULL, *xfo = NULL, *xfp = NULL, best = INFINITY;
    char path[4096];
    gsl_rng *rng = NULL;
    pb_error err;
    int rc = 1;

    gsl_set_error_handler_off();
    if (argc < 4) {
        fprintf(stderr, "usage: %s ORIGINAL.h5 PRUNED.h5 DIR [--samples N] [--threads T] "
                        "[--reps R] [--check K]\n",
                argv[0]);
        return 2;
    }
    for (int i = 4; i + 1 < argc; i += 2) {
        size_t v = strtoul(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--samples"))
            n = v;
        else if (!strcmp(argv[i], "--threads"))
            threads = v;
        else if (!strcmp(argv[i], "--reps"))
            reps = v;
        else if (!strcmp(argv[i], "--check"))
            check = v;
        else if (!strcmp(argv[i], "--dgemm"))
            dgemm_n = v;
        else
            return fprintf(stderr, "unknown option %s\n", argv[i]), 2;
    }
    if (n == 0 || threads == 0 || reps == 0)
        return fprintf(stderr, "samples, threads, reps must be > 0\n"), 2;
    if (check > n)
        check = n;

    if (mlp_read_h5(argv[1], &orig, &err) || mlp_read_h5(argv[2], &pruned, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        goto done;
    }
    p = plant_alloc(plant_find("quadrotor_arch"));
    X0 = calloc(n * NX, sizeof *X0);
    xfo = calloc(n * NX, sizeof *xfo);
    xfp = calloc(n * NX, sizeof *xfp);
    rows = calloc(n, sizeof *rows);
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!p || !X0 || !xfo || !xfp || !rows || !rng) {
        fprintf(stderr, "out of memory\n");
        goto done;
    }
    gsl_rng_set(rng, 1);
    for (size_t s = 0; s < n; s++)
        for (size_t i = 0; i < 6; i++)
            X0[s * NX + i] = -0.4 + 0.8 * gsl_rng_uniform(rng);
    m = sim_batch_model_alloc(p, PERIOD, SUBSTEPS, N_STEPS, orig, pruned, &err);
    if (!m) {
        fprintf(stderr, "%s\n", err.msg);
        goto done;
    }

    /* The workload: BLAS on one thread inside each of our threads. */
    openblas_set_num_threads(1);
    for (size_t r = 0; r < reps; r++) {
        double t0 = now();
        if (sim_batch_run(m, threads, n, X0, rows, xfo, xfp, &err) != PB_SUCCESS) {
            fprintf(stderr, "%s\n", err.msg);
            goto done;
        }
        double t = now() - t0;
        if (t < best)
            best = t;
    }

    {
        double n_exp = 0.0, n_trig, f_mlp, f_rhs, f_rk4, f_bound, f_step, rate;
        double g1, g2;
        size_t L = orig->n_layers, widths = 0, div = 0, viol = 0;
        for (size_t k = 0; k < L; k++)
            widths += orig->layers[k].n_in;
        /* three passes per traj-step: original at both loops' states, pruned at its own */
        {
            double e1 = 0.0, e2 = 0.0, f1 = mlp_flops(orig, &e1), f2 = mlp_flops(pruned, &e2);
            f_mlp = 2.0 * f1 + f2;
            n_exp = 2.0 * e1 + e2;
        }
        /* RHS of quadrotor_arch counted by hand (plant_rk4.c): 79 flops and 6
         * sin/cos per evaluation; RK4: 4 evaluations and 13 flops per
         * component per substep; 10 substeps, 2 loops */
        f_rhs = 2.0 * SUBSTEPS * 4 * 79;
        f_rk4 = 2.0 * SUBSTEPS * 13 * NX;
        n_trig = 2.0 * SUBSTEPS * 4 * 6;
        /* hidden norms of the original at the pruned loop's state (2 per
         * entry), deviation (3 nu), bound (3 per layer), trajectory distance
         * (3 nx) */
        f_bound = 2.0 * (double)widths + 3.0 * NU + 3.0 * (double)L + 3.0 * NX;
        f_step = f_mlp + f_rhs + f_rk4 + f_bound;
        rate = (double)n * N_STEPS / best;
        openblas_set_num_threads(2);
        g2 = dgemm_n ? dgemm_rate(dgemm_n, 5) : NAN;
        openblas_set_num_threads(1);
        g1 = dgemm_n ? dgemm_rate(dgemm_n, 3) : NAN;
        for (size_t s = 0; s < n; s++) {
            div += rows[s].diverged_orig >= 0 || rows[s].diverged_pruned >= 0;
            viol += (size_t)rows[s].violations;
        }
        printf("prunebound_traj_steps_per_s %.6g\n", rate);
        printf("seconds %.4f samples %zu steps %d threads %zu\n", best, n, N_STEPS, threads);
        printf("flops_per_traj_step %.0f (mlp %.0f, rhs %.0f, rk4 %.0f, norms+bound %.0f; "
               "plus %.0f exp and %.0f sin/cos not counted)\n",
               f_step, f_mlp, f_rhs, f_rk4, f_bound, n_exp, n_trig);
        printf("workload_gflops %.3f\n", rate * f_step * 1e-9);
        printf("dgemm_gflops_2threads %.3f dgemm_gflops_1thread %.3f (n = %zu)\n", g2, g1,
               dgemm_n);
        printf("fraction_of_dgemm %.3f\n", rate * f_step * 1e-9 / g2);
        printf("diverged_samples %zu bound_violations %zu\n", div, viol);
    }

    /* The initial states and the check rows for the peers. */
    {
        FILE *f;
        snprintf(path, sizeof path, "%s/x0.txt", argv[3]);
        if (!(f = fopen(path, "w")))
            goto done_io;
        for (size_t s = 0; s < n; s++)
            for (size_t i = 0; i < NX; i++)
                fprintf(f, "%.17g%c", X0[s * NX + i], i + 1 < NX ? ' ' : '\n');
        fclose(f);
        snprintf(path, sizeof path, "%s/ref.txt", argv[3]);
        if (!(f = fopen(path, "w")))
            goto done_io;
        fprintf(f, "# xf_orig[12] xf_pruned[12] max_dev_actual max_dev_bound max_traj_dev\n");
        for (size_t s = 0; s < check; s++) {
            for (size_t i = 0; i < NX; i++)
                fprintf(f, "%.17g ", xfo[s * NX + i]);
            for (size_t i = 0; i < NX; i++)
                fprintf(f, "%.17g ", xfp[s * NX + i]);
            fprintf(f, "%.17g %.17g %.17g\n", rows[s].max_dev_actual, rows[s].max_dev_bound,
                    rows[s].max_traj_dev);
        }
        fclose(f);
    }
    rc = 0;
    goto done;
done_io:
    fprintf(stderr, "cannot write %s\n", path);
done:
    gsl_rng_free(rng);
    sim_batch_model_free(m);
    free(rows);
    free(X0);
    free(xfo);
    free(xfp);
    plant_free(p);
    mlp_free(orig);
    mlp_free(pruned);
    return rc;
}
