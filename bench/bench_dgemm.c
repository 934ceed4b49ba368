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
 *
 * With the two networks it also prints the ceiling of that fraction: the
 * work the count leaves out (each sigmoid's exp and division, each sin and
 * cos) timed on one thread through the engine's own routines (mlp_act_apply,
 * pb_vec_sin and pb_vec_cos: libmvec's vector variants, in L1), and every
 * counted flop done at dgemm's one-thread rate, on two threads scaling
 * perfectly: the rate 2 F / (t_flops + t_left) over the two-thread dgemm
 * rate.  No implementation of the workload that calls those routines can
 * exceed it.
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
#include "pb_norm.h"
#include "pb_vec.h"

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

/* Best seconds per element of f over n values spread over [lo, hi], in L1. */
enum { ELEM_N = 1024, ELEM_REPS = 2000 };
static double elem_time(void (*f)(size_t, const double *, double *), double lo, double hi)
{
    static double x[ELEM_N], y[ELEM_N];
    double best = INFINITY, sink = 0.0;
    for (size_t i = 0; i < ELEM_N; i++)
        x[i] = lo + (hi - lo) * (double)((i * 389) % ELEM_N) / (double)(ELEM_N - 1);
    for (int r = 0; r < 5; r++) {
        double t0 = now(), t;
        for (int k = 0; k < ELEM_REPS; k++) {
            f(ELEM_N, x, y);
            sink += y[k % ELEM_N];
        }
        t = now() - t0;
        if (t < best)
            best = t;
    }
    if (sink != sink)
        fprintf(stderr, "bench_dgemm: NaN\n");
    return best / ((double)ELEM_N * ELEM_REPS);
}

static void sigmoid_in_place(size_t n, const double *x, double *y)
{
    memcpy(y, x, n * sizeof *y);
    mlp_act_apply(MLP_ACT_SIGMOID, 0.0, n, y);
}

static void copy_only(size_t n, const double *x, double *y)
{
    memcpy(y, x, n * sizeof *y);
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
    double g1, g2, flops = 0.0, n_sig = 0.0, n_sc = 0.0;

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
        flops = f_mlp + f_rhs + f_rk4 + f_bound;
        n_sig = e;
        n_sc = n_trig / 2.0;
        printf("flops_per_traj_step %.0f (mlp %.0f, rhs %.0f, rk4 %.0f, norms+bound %.0f; plus "
               "%.0f exp and %.0f sin/cos not counted)\n",
               flops, f_mlp, f_rhs, f_rk4, f_bound, e, n_trig);
        mlp_free(o);
        mlp_free(p);
    }
    pb_blas_set_threads(2);
    g2 = dgemm_rate(n, 5);
    pb_blas_set_threads(1);
    g1 = dgemm_rate(n, 3);
    printf("dgemm_gflops_2threads %.3f dgemm_gflops_1thread %.3f (n = %zu)\n", g2, g1, n);
    if (nf == 2) {
        /* the copy into the buffer, which the engine does not pay, is taken out */
        double t_copy = elem_time(copy_only, -8.0, 8.0);
        double t_sig = elem_time(sigmoid_in_place, -8.0, 8.0) - t_copy;
        double t_sin = elem_time(pb_vec_sin, -1.5, 1.5), t_cos = elem_time(pb_vec_cos, -1.5, 1.5);
        double t_flops = (flops - 3.0 * n_sig) / (g1 * 1e9); /* the sigmoid's 3 are in t_sig */
        double t_left = n_sig * t_sig + n_sc * (t_sin + t_cos);
        printf("uncounted_ns_per_elem sigmoid %.3f sin %.3f cos %.3f (1 thread, in L1)\n",
               t_sig * 1e9, t_sin * 1e9, t_cos * 1e9);
        printf("ceiling_fraction %.3f (per traj-step: the counted flops at dgemm's 1-thread rate "
               "%.2f us, the sigmoids' exp and division %.2f us, sin and cos %.2f us)\n",
               2.0 * flops / (t_flops + t_left) / (g2 * 1e9),
               t_flops * 1e6, n_sig * t_sig * 1e6, n_sc * (t_sin + t_cos) * 1e6);
    }
    return 0;
}
