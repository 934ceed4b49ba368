/* bench_dgemm.c: the yardstick of the Monte Carlo speed target (bench/README.md):
 * the dgemm rate of the linked BLAS (OpenBLAS) on 1 and 2 threads, and the
 * flop count of one traj-step of the bench/mc_quad.cfg workload, so that
 * bench/run can state the command's rate as a fraction of dgemm's.
 *
 * One traj-step is one control period of both loops (original and pruned)
 * with the deviation and the bound at the pruned loop's state:
 *   - three forward passes: the original at both loops' states, the pruned
 *     network (dense, zeros included) at its own; 2 n_in n_out per layer for
 *     the product with its bias, 3 per sigmoid (negate, add, divide; the exp
 *     counted apart);
 *   - the quadrotor_arch right-hand side, counted by hand from
 *     plants/quadrotor_beard.h: 79 flops and 6 sin/cos per evaluation; RK4:
 *     4 evaluations and 13 flops per component per substep; 10 substeps,
 *     two loops;
 *   - the hidden norms at the pruned loop's state (2 per entry), the
 *     deviation (3 nu), the bound (3 per layer), the trajectory distance (3 nx).
 * usage: bench_dgemm [ORIGINAL.h5 PRUNED.h5] [--n N (matrix size, 2000)] */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "mlp.h"
#include "mlp_io.h"

/* OpenBLAS's thread count (openblas_config.h is not on every include path). */
void openblas_set_num_threads(int n);

enum { NX = 12, NU = 3, SUBSTEPS = 10 };

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

/* Flops of one forward pass of m (the exp of a sigmoid counted in *n_exp). */
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
    const char *files[2] = {NULL, NULL};
    size_t n = 2000, nf = 0;
    double g1, g2;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc)
            n = strtoul(argv[++i], NULL, 10);
        else if (argv[i][0] != '-' && nf < 2)
            files[nf++] = argv[i];
        else
            return fprintf(stderr, "usage: %s [ORIGINAL.h5 PRUNED.h5] [--n N]\n", argv[0]), 2;
    }
    if (n == 0 || nf == 1)
        return fprintf(stderr, "usage: %s [ORIGINAL.h5 PRUNED.h5] [--n N]\n", argv[0]), 2;
    if (nf == 2) {
        mlp *o = NULL, *p = NULL;
        pb_error err;
        double e = 0.0, f_mlp, f_rhs, f_rk4, f_bound, n_trig;
        size_t widths = 0;
        if (mlp_read_h5(files[0], &o, &err) || mlp_read_h5(files[1], &p, &err)) {
            fprintf(stderr, "bench_dgemm: %s\n", err.msg);
            mlp_free(o);
            return 1;
        }
        for (size_t k = 0; k < o->n_layers; k++)
            widths += o->layers[k].n_in;
        f_mlp = 2.0 * mlp_flops(o, &e);
        e *= 2.0;
        f_mlp += mlp_flops(p, &e);
        f_rhs = 2.0 * SUBSTEPS * 4 * 79;
        f_rk4 = 2.0 * SUBSTEPS * 13 * NX;
        n_trig = 2.0 * SUBSTEPS * 4 * 6;
        f_bound = 2.0 * (double)widths + 3.0 * NU + 3.0 * (double)o->n_layers + 3.0 * NX;
        printf("flops_per_traj_step %.0f (mlp %.0f, rhs %.0f, rk4 %.0f, norms+bound %.0f; plus "
               "%.0f exp and %.0f sin/cos not counted)\n",
               f_mlp + f_rhs + f_rk4 + f_bound, f_mlp, f_rhs, f_rk4, f_bound, e, n_trig);
        mlp_free(o);
        mlp_free(p);
    }
    openblas_set_num_threads(2);
    g2 = dgemm_rate(n, 5);
    openblas_set_num_threads(1);
    g1 = dgemm_rate(n, 3);
    printf("dgemm_gflops_2threads %.3f dgemm_gflops_1thread %.3f (n = %zu)\n", g2, g1, n);
    return 0;
}
