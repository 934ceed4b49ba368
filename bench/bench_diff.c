/* bench_diff.c: the differential certificate (bounds_diff.h) and the local
 * bound on the shipped policies and the ARCH controllers, each pruned by
 * magnitude and SparseGPT at sparsity 0.1 .. 0.9 (docs/BOUNDS.md section 13).
 * Per policy: median and worst max_deviation_upper / max_deviation_lower,
 * median and worst seconds per pair, and the median tightening dev_bound /
 * min(dev_bound_local, dev_bound) over 64 states of the box.
 *
 * Usage: bench_diff [SECONDS_PER_PAIR [MAX_SPLITS [POLICY]]]   (default 2 s, 20000 splits)
 * With POLICY (a substring of a policy's name), only those policies, one line per pair.
 * Run from the repository root (reads configs/policies and ../shared). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "bounds_diff.h"
#include "import_type.h"
#include "mlp.h"
#include "mlp_io.h"
#include "prune.h"

typedef struct policy_case {
    const char *name, *path, *format; /* format NULL: our .h5 */
    size_t n;
    double lo[12], hi[12];
} policy_case;

/* Boxes: the hull of the shipped configs' scenarios (configs/NAME.cfg), the
 * ARCH initial sets (configs/arch/NAME.cfg). */
static const policy_case cases[] = {
    {"pendulum.h5", "configs/policies/pendulum.h5", NULL, 2, {-0.5, 0.0}, {0.8, 1.5}},
    {"cartpole.h5", "configs/policies/cartpole.h5", NULL, 4, {-0.5, 0.0, -0.1, 0.0},
     {0.8, 0.2, 0.2, 0.3}},
    {"quadrotor.h5", "configs/policies/quadrotor.h5", NULL, 12,
     {0.0, -0.3, 0.0, 0, 0, 0, 0.0, -0.1, 0.0, 0, 0, 0},
     {0.3, 0.0, 0.2, 0, 0, 0, 0.1, 0.0, 0.05, 0, 0, 0}},
    {"arch single_pendulum", "../shared/benchmarks/arch-comp/single_pendulum/InvertedPendulum_controller.polar",
     "polar", 2, {1.0, 0.0}, {1.175, 0.2}},
    {"arch tora", "../shared/benchmarks/arch-comp/tora/relu_benchmark9/TORA_ReLU_controller.polar",
     "polar", 4, {0.6, -0.7, -0.4, 0.5}, {0.7, -0.6, -0.3, 0.6}},
    {"arch cartpole", "../shared/benchmarks/arch-comp/cartpole/model.onnx", "onnx", 4,
     {-0.1, -0.05, -0.1, -0.05}, {0.1, 0.05, 0.1, 0.05}},
    {"arch quadrotor", "../shared/benchmarks/arch-comp/quadrotor/Quadrotor_controller.polar",
     "polar", 12, {-0.4, -0.4, -0.4, -0.4, -0.4, -0.4, 0, 0, 0, 0, 0, 0},
     {0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0, 0, 0, 0, 0, 0}},
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp);
    return n ? (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2])) : NAN;
}

static double lcg01(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) * 0x1p-53;
}

/* dev_bound (3) of the pair at x. */
static double pair_bound(const bounds_pair *pr, const bounds_model *bm, const mlp *m,
                         const mlp *p, mlp_work *wo, mlp_work *wp, const double *x)
{
    const double *ho[16], *hp[16];
    double uo[16], up[16], hco[16], hcp[16], hn[16], eta[16];
    bounds_point pt;
    mlp_eval(m, wo, x, uo);
    mlp_eval(p, wp, x, up);
    for (size_t j = 0; j <= m->n_layers; j++) {
        ho[j] = mlp_work_hidden(wo, j);
        hp[j] = mlp_work_hidden(wp, j);
    }
    bounds_pass_norms(bm, ho, hco);
    bounds_pass_norms(pr->pruned, hp, hcp);
    bounds_pair_eval(pr, hco, uo, hcp, up, hn, eta, &pt);
    return pt.bound;
}


/* An attained same-norm lower bound at x: the largest computed deviation of
 * the perturbations dW'_k = +-rho_k u v^T of one layer k, v = h_k / ||h_k||,
 * u the row of d u_i / d z_k of the output i with the largest row (the exact
 * worst direction to first order for one output).  q is a clone of m whose
 * weights are restored after each try; g, g2 scratch of max_width. */
static double same_norm_lower(const mlp *m, mlp *q, mlp_work *wo, mlp_work *wq, const double *rho,
                              const double *x, double *g, double *g2)
{
    double uo[16], uq[16], best = 0.0;
    mlp_eval(m, wo, x, uo);
    for (size_t k = 0; k < m->n_layers; k++) {
        const mlp_layer *l = &m->layers[k];
        const double *h = mlp_work_hidden(wo, k);
        double hn = 0.0, bestrow = -1.0, un;
        if (rho[k] <= 0.0)
            continue;
        for (size_t c = 0; c < l->n_in; c++)
            hn += h[c] * h[c];
        hn = sqrt(hn);
        if (hn == 0.0)
            continue;
        for (size_t i = 0; i < m->n_out; i++) {
            double nr = 0.0;
            memset(g2, 0, m->max_width * sizeof *g2);
            g2[i] = 1.0;
            for (size_t j = m->n_layers; j-- > k;) {
                const mlp_layer *lj = &m->layers[j];
                const double *hj = mlp_work_hidden(wo, j + 1);
                for (size_t r = 0; r < lj->n_out; r++) {
                    double ds = 1.0;
                    if (lj->act == MLP_ACT_RELU)
                        ds = hj[r] > 0.0;
                    else if (lj->act == MLP_ACT_LEAKY_RELU)
                        ds = hj[r] > 0.0 ? 1.0 : lj->alpha;
                    else if (lj->act == MLP_ACT_TANH)
                        ds = 1.0 - hj[r] * hj[r];
                    else if (lj->act == MLP_ACT_SIGMOID)
                        ds = hj[r] * (1.0 - hj[r]);
                    else if (lj->act == MLP_ACT_HARDTANH)
                        ds = fabs(hj[r]) < 1.0;
                    g2[r] *= ds;
                }
                if (j == k)
                    break;
                for (size_t c = 0; c < lj->n_in; c++) {
                    double sum = 0.0;
                    for (size_t r = 0; r < lj->n_out; r++)
                        sum += lj->W[r * lj->n_in + c] * g2[r];
                    g[c] = sum;
                }
                memcpy(g2, g, lj->n_in * sizeof *g);
            }
            for (size_t r = 0; r < l->n_out; r++)
                nr += g2[r] * g2[r];
            if (nr > bestrow) {
                bestrow = nr;
                memcpy(g, g2, l->n_out * sizeof *g);
            }
        }
        un = sqrt(bestrow);
        if (!(un > 0.0))
            continue;
        memcpy(g2, g, l->n_out * sizeof *g);
        for (int sg = -1; sg <= 1; sg += 2) {
            double *W = q->layers[k].W;
            for (size_t r = 0; r < l->n_out; r++)
                for (size_t c = 0; c < l->n_in; c++)
                    W[r * l->n_in + c] = l->W[r * l->n_in + c] + sg * rho[k] * g2[r] / un * h[c] / hn;
            mlp_eval(q, wq, x, uq);
            best = fmax(best, pb_norm2_diff(m->n_out, uq, uo, NULL));
            memcpy(W, l->W, l->n_out * l->n_in * sizeof *W);
        }
    }
    return best;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    size_t max_splits = argc > 2 ? (size_t)atol(argv[2]) : 20000;
    const char *only = argc > 3 ? argv[3] : NULL;
    const char *methods[] = {"magnitude", "sparsegpt"};
    double all_ratio[2000], all_time[2000];
    size_t n_all = 0, violations = 0;

    printf("| policy | pairs | median upper/lower | worst upper/lower | median s/pair | worst s/pair | "
           "median dev_bound/local | ceiling dev_bound/attained | zero upper |\n"
           "|---|---|---|---|---|---|---|---|---|\n");
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const policy_case *pc = &cases[c];
        mlp *m = NULL;
        pb_error err;
        char note[256];
        double ratios[64], times[64], gains[64 * 64], ceils[64 * 64], X[256 * 12];
        size_t n_r = 0, n_g = 0, n_c = 0, n_zero = 0;
        unsigned long long seed = 42;
        bounds_model *bm;
        int rc;

        if (only && !strstr(pc->name, only))
            continue;
        if (pc->format) {
            import_options io;
            memset(&io, 0, sizeof io);
            rc = import_find(pc->format)->read(pc->path, &io, &m, note, sizeof note, &err);
        } else {
            rc = mlp_read_h5(pc->path, &m, &err);
        }
        if (rc || m->n_in != pc->n) {
            printf("| %s | skipped: %s |\n", pc->name, rc ? err.msg : "dimension");
            mlp_free(m);
            continue;
        }
        bm = bounds_model_alloc(m, &err);
        for (size_t i = 0; i < 256; i++)
            for (size_t j = 0; j < pc->n; j++)
                X[i * pc->n + j] = pc->lo[j] + (pc->hi[j] - pc->lo[j]) * lcg01(&seed);
        for (size_t me = 0; me < 2; me++)
            for (int si = 1; si <= 9; si++) {
                prune_options po;
                mlp *p = NULL;
                bounds_diff *d;
                bounds_diff_work *w;
                bounds_diff_opts o;
                bounds_diff_result r;
                bounds_pair *pr;
                mlp_work *wo, *wp, *wq;
                mlp *q;
                double xl[12], t0, *lw, *sg;
                prune_options_init(&po);
                po.sparsity = 0.1 * si;
                if (prune_mlp(m, prune_find(methods[me]), &po, X, 256, &p, &err)) {
                    printf("  (prune %s %.1f failed: %s)\n", methods[me], po.sparsity, err.msg);
                    continue;
                }
                d = bounds_diff_alloc(m, p, &err);
                bounds_diff_opts_init(&o);
                o.max_splits = max_splits;
                o.max_seconds = secs;
                o.rtol = 0.01;
                w = bounds_diff_work_alloc(d, o.max_splits, &err);
                t0 = now();
                bounds_diff_eval(d, pc->lo, pc->hi, &o, w, xl, &r, &err);
                times[n_r] = now() - t0;
                if (r.lower - r.lower_err > r.upper)
                    violations++;
                if (r.upper == 0.0 || r.lower == 0.0) {
                    n_zero += r.upper == 0.0;
                    ratios[n_r] = r.upper == 0.0 ? 1.0 : INFINITY;
                } else {
                    ratios[n_r] = r.upper / r.lower;
                }
                if (only)
                    printf("  %s %.1f: root %.4g upper %.4g lower %.4g ratio %.3f splits %zu open %zu "
                           "%.2f s\n",
                           methods[me], po.sparsity, r.root_upper, r.upper, r.lower, ratios[n_r],
                           r.n_splits, r.n_open, times[n_r]);
                all_ratio[n_all] = ratios[n_r];
                all_time[n_all++] = times[n_r];
                n_r++;
                /* The local bound at 64 states of the box. */
                pr = bounds_pair_alloc(m, bm, p, &err);
                wo = mlp_work_alloc(m, 1, &err);
                wp = mlp_work_alloc(p, 1, &err);
                lw = malloc(bounds_local_work_size(m) * sizeof *lw);
                q = mlp_clone(m, &err);
                wq = mlp_work_alloc(q, 1, &err);
                sg = malloc(2 * m->max_width * sizeof *sg);
                for (size_t t = 0; t < 64; t++) {
                    double x[12], db, loc, out;
                    for (size_t j = 0; j < pc->n; j++)
                        x[j] = pc->lo[j] + (pc->hi[j] - pc->lo[j]) * lcg01(&seed);
                    db = pair_bound(pr, bm, m, p, wo, wp, x);
                    bounds_local_eval(m, x, pr->dW_norm, pr->db_norm, db, lw, &loc, &out, &err);
                    if (out > 0.0)
                        gains[n_g++] = db / out;
                    {
                        double att = same_norm_lower(m, q, wo, wq, pr->dW_norm, x, sg,
                                                     sg + m->max_width);
                        if (att > loc * (1.0 + 1e-9))
                            violations++; /* computed: a margin for the pass's rounding */
                        if (att > 0.0)
                            ceils[n_c++] = db / att;
                        if (only && t < 2)
                            printf("    state %zu: dev_bound %.4g local %.4g attained %.4g\n", t, db,
                                   loc, att);
                    }
                }
                free(lw);
                free(sg);
                mlp_work_free(wq);
                mlp_free(q);
                mlp_work_free(wo);
                mlp_work_free(wp);
                bounds_pair_free(pr);
                bounds_diff_work_free(w);
                bounds_diff_free(d);
                mlp_free(p);
            }
        {
            double mr, wr, mt, wt;
            wr = 0.0;
            wt = 0.0;
            for (size_t i = 0; i < n_r; i++) {
                wr = fmax(wr, ratios[i]);
                wt = fmax(wt, times[i]);
            }
            mr = median(ratios, n_r);
            mt = median(times, n_r);
            printf("| %s | %zu | %.3f | %.3f | %.2f | %.2f | %.3f | %.3f | %zu |\n", pc->name, n_r,
                   mr, wr, mt, wt, median(gains, n_g), median(ceils, n_c), n_zero);
            fflush(stdout);
        }
        bounds_model_free(bm);
        mlp_free(m);
    }
    {
        double wr = 0.0, wt = 0.0;
        for (size_t i = 0; i < n_all; i++) {
            wr = fmax(wr, all_ratio[i]);
            wt = fmax(wt, all_time[i]);
        }
        printf("| all | %zu | %.3f | %.3f | %.2f | %.2f | | | |\n", n_all, median(all_ratio, n_all), wr,
               median(all_time, n_all), wt);
    }
    printf("violations (lower - err > upper, or attained > local): %zu\n", violations);
    return violations ? 1 : 0;
}
