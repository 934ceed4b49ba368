/* sim_batch.c: the batched closed-loop engine of sim_batch.h. */
#include "sim_batch.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "bounds.h"
#include "pb_vec.h"
#include "plant_rk4.h"

struct sim_batch_model {
    const plant *p;
    plant_batch_rhs rhs;
    size_t nx, nu, L, substeps, n_steps;
    double period;
    const mlp *orig, *pruned;
    bounds_model *bm_orig;
    bounds_pair *pair; /* the pruned network against the original */
    double xlo[PLANT_NX_MAX], xhi[PLANT_NX_MAX];
};

/* One block: the original loop's states in columns 0..nb-1, the pruned
 * loop's in nb..2nb-1, stride LD = 2 SIM_BATCH_BLOCK. */
enum { LD = 2 * SIM_BATCH_BLOCK };

struct sim_batch_work {
    double *X, *Xbak, *U;  /* (nx x LD), (nx x LD), (nu x LD) SoA */
    double *rk;            /* plant_rk4_batch_work_size(LD) */
    double *S;             /* (LD x nx) row-major states, policy inputs */
    double *A, *B;         /* (LD x max_width) forward-pass ping-pong */
    double *hn, *hp;       /* (LD x (L + 1)) norms of every h_k of the original, the pruned */
    double *hnorm, *eta;   /* [L] bounds_pair_eval scratch */
    double *Uo, *Up;       /* (LD x nu) original at all rows, (LD x nu) pruned */
    long *div;             /* [LD] first row not reached, -1 */
    double *bad;           /* [LD] state check of the last substep (> 0: out) */
};

void sim_batch_model_free(sim_batch_model *m)
{
    if (!m)
        return;
    bounds_pair_free(m->pair);
    bounds_model_free(m->bm_orig);
    free(m);
}

sim_batch_model *sim_batch_model_alloc(const plant *p, double period, size_t substeps,
                                       size_t n_steps, const mlp *orig, const mlp *pruned,
                                       pb_error *err)
{
    sim_batch_model *m;

    if (!p || !orig || !pruned) {
        pb_error_set(err, PB_EINVAL, "sim_batch_model_alloc: no plant or no policy");
        return NULL;
    }
    if (plant_validate(p, err) != PB_SUCCESS || mlp_validate(orig, err) != PB_SUCCESS ||
        mlp_validate(pruned, err) != PB_SUCCESS)
        return NULL;
    if (!(isfinite(period) && period > 0.0) || substeps == 0 || n_steps == 0) {
        pb_error_set(err, PB_EINVAL,
                     "batch engine: period %g must be > 0, substeps %zu and steps %zu > 0", period,
                     substeps, n_steps);
        return NULL;
    }
    if (orig->n_in != p->type->nx || orig->n_out != p->type->nu) {
        pb_error_set(err, PB_EINVAL, "policy %zu -> %zu does not fit plant '%s' (nx %zu, nu %zu)",
                     orig->n_in, orig->n_out, p->type->name, p->type->nx, p->type->nu);
        return NULL;
    }
    if (bounds_pair_check(orig, pruned, err))
        return NULL;

    m = calloc(1, sizeof *m);
    if (!m)
        goto fail_nomem;
    m->p = p;
    m->rhs = plant_rk4_batch_rhs(p);
    m->nx = p->type->nx;
    m->nu = p->type->nu;
    m->L = orig->n_layers;
    m->substeps = substeps;
    m->n_steps = n_steps;
    m->period = period;
    m->orig = orig;
    m->pruned = pruned;
    p->type->state_limits(p->p, m->xlo, m->xhi);
    if (!(m->bm_orig = bounds_model_alloc(orig, err)) ||
        !(m->pair = bounds_pair_alloc(orig, m->bm_orig, pruned, err))) {
        sim_batch_model_free(m);
        return NULL; /* err set by the bounds code */
    }
    return m;

fail_nomem:
    pb_error_set(err, PB_ENOMEM, "out of memory for the batch engine's model");
    return NULL;
}

void sim_batch_work_free(sim_batch_work *w)
{
    if (!w)
        return;
    free(w->X);
    free(w->div);
    free(w->bad);
    free(w);
}

sim_batch_work *sim_batch_work_alloc(const sim_batch_model *m, pb_error *err)
{
    size_t nx = m->nx, nu = m->nu, mw = m->orig->max_width;
    size_t n = 2 * nx * LD + nu * LD + plant_rk4_batch_work_size(LD) + LD * nx + 2 * LD * mw +
               2 * LD * (m->L + 1) + 2 * LD * nu + 2 * m->L;
    sim_batch_work *w = calloc(1, sizeof *w);

    if (!w)
        goto fail;
    w->X = calloc(n, sizeof *w->X);
    w->div = calloc(LD, sizeof *w->div);
    w->bad = calloc(LD, sizeof *w->bad);
    if (!w->X || !w->div || !w->bad)
        goto fail_free;
    w->Xbak = w->X + nx * LD;
    w->U = w->Xbak + nx * LD;
    w->rk = w->U + nu * LD;
    w->S = w->rk + plant_rk4_batch_work_size(LD);
    w->A = w->S + LD * nx;
    w->B = w->A + LD * mw;
    w->hn = w->B + LD * mw;
    w->hp = w->hn + LD * (m->L + 1);
    w->Uo = w->hp + LD * (m->L + 1);
    w->Up = w->Uo + LD * nu;
    w->hnorm = w->Up + LD * nu;
    w->eta = w->hnorm + m->L;
    return w;

fail_free:
    sim_batch_work_free(w);
fail:
    pb_error_set(err, PB_ENOMEM, "out of memory for a batch engine workspace");
    return NULL;
}

/* Batch loops compiled for AVX-512, AVX2 and the baseline (GCC
 * target_clones, chosen at load time); without contraction (C11 mode) every
 * variant rounds alike. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PB_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define PB_SIMD_CLONES
#endif

/* Activation over n values in place, as mlp.c's act_apply; the sigmoid
 * 1 / (1 + exp(-z)) with the vector exp. */
PB_SIMD_CLONES static void act_batch(mlp_act a, double alpha, size_t n, double z[])
{
    size_t i;
    switch (a) {
    case MLP_ACT_RELU:
        for (i = 0; i < n; i++)
            z[i] = z[i] > 0.0 ? z[i] : 0.0;
        break;
    case MLP_ACT_LEAKY_RELU:
        for (i = 0; i < n; i++)
            z[i] = z[i] > 0.0 ? z[i] : alpha * z[i];
        break;
    case MLP_ACT_TANH:
        for (i = 0; i < n; i++)
            z[i] = tanh(z[i]);
        break;
    case MLP_ACT_SIGMOID:
        for (i = 0; i < n; i++)
            z[i] = -z[i];
        pb_vec_exp(n, z, z);
        for (i = 0; i < n; i++)
            z[i] = 1.0 / (1.0 + z[i]);
        break;
    case MLP_ACT_HARDTANH:
        for (i = 0; i < n; i++)
            z[i] = z[i] < -1.0 ? -1.0 : (z[i] > 1.0 ? 1.0 : z[i]);
        break;
    default: /* linear */
        break;
    }
}

/* sigma(z) = 1 / (1 + exp(-z)) from zn = -z in place (the GEMM gave -z). */
PB_SIMD_CLONES static void sigmoid_from_neg(size_t n, double z[])
{
    pb_vec_exp(n, z, z);
    for (size_t i = 0; i < n; i++)
        z[i] = 1.0 / (1.0 + z[i]);
}

/* Y (n x n_out) = net(S (n x n_in)) with both maps, one dgemm per layer;
 * hn[r * (L + 1) + k] >= ||h_k|| of row r >= r0 for k = 0..L (h_0 after the
 * input map, h_L before the output map: bounds_pass_norms).  A, B:
 * (n x max_width) scratch. */
static void forward(const mlp *net, size_t n, const double S[], double A[], double B[],
                    double hn[], size_t r0, double Y[])
{
    size_t L = net->n_layers;
    const double *H = S;
    double *Z = B;

    if (net->in_offset && net->in_scale) {
        for (size_t r = 0; r < n; r++)
            mlp_input_map(net, S + r * net->n_in, A + r * net->n_in);
        H = A;
    }
    for (size_t k = 0; k < L; k++) {
        const mlp_layer *l = &net->layers[k];
        int sig = l->act == MLP_ACT_SIGMOID;
        for (size_t r = r0; r < n; r++)
            hn[r * (L + 1) + k] = pb_norm2_upper(l->n_in, H + r * l->n_in);
        /* Z (n x n_out) = H (n x n_in) W^T + 1 b^T, as mlp_eval_batch; for a
         * sigmoid layer its negation -H W^T - 1 b^T (alpha = -1, bias -b),
         * exactly -(H W^T + 1 b^T) since rounding is symmetric. */
        for (size_t r = 0; r < n; r++) {
            double *z = Z + r * l->n_out;
            if (sig)
                for (size_t i = 0; i < l->n_out; i++)
                    z[i] = -l->b[i];
            else
                memcpy(z, l->b, l->n_out * sizeof *z);
        }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)l->n_out, (int)l->n_in,
                    sig ? -1.0 : 1.0, H, (int)l->n_in, l->W, (int)l->n_in, 1.0, Z, (int)l->n_out);
        if (sig)
            sigmoid_from_neg(n * l->n_out, Z);
        else
            act_batch(l->act, l->alpha, n * l->n_out, Z);
        H = Z;
        Z = Z == B ? A : B;
    }
    for (size_t r = r0; r < n; r++)
        hn[r * (L + 1) + L] = pb_norm2_upper(net->n_out, H + r * net->n_out);
    memcpy(Y, H, n * net->n_out * sizeof *Y);
    if (net->out_offset || net->out_low || net->out_high)
        for (size_t r = 0; r < n; r++)
            mlp_output_map(net, Y + r * net->n_out);
}

static int column_ok(const sim_batch_model *m, const double X[], size_t c)
{
    for (size_t i = 0; i < m->nx; i++) {
        double v = X[i * LD + c];
        if (!isfinite(v) || v < m->xlo[i] || v > m->xhi[i])
            return 0;
    }
    return 1;
}

/* bad[c] > 0 when column c of X is non-finite or outside the state limits,
 * row by row over contiguous memory (a NaN fails both comparisons, an
 * infinity the x - x == 0 test). */
PB_SIMD_CLONES static void columns_check(const sim_batch_model *m, size_t nc, const double X[],
                                         double bad[])
{
    for (size_t c = 0; c < nc; c++)
        bad[c] = 0.0;
    for (size_t i = 0; i < m->nx; i++) {
        const double *restrict x = X + i * LD;
        double *restrict b = bad;
        double lo = m->xlo[i], hi = m->xhi[i];
        for (size_t c = 0; c < nc; c++)
            b[c] += (x[c] >= lo && x[c] <= hi && x[c] - x[c] == 0.0) ? 0.0 : 1.0;
    }
}

/* One block of nb <= SIM_BATCH_BLOCK states. */
static void eval_block(const sim_batch_model *m, sim_batch_work *w, size_t nb, const double X0[],
                       sim_batch_row rows[], double xf_orig[], double xf_pruned[])
{
    size_t nx = m->nx, nu = m->nu, L = m->L, nc = 2 * nb;
    double h = m->period / (double)m->substeps;
    double *X = w->X;

    /* Both loops start at x0; a state outside the limits is not reached (row 0). */
    for (size_t s = 0; s < nb; s++) {
        for (size_t i = 0; i < nx; i++)
            X[i * LD + s] = X[i * LD + nb + s] = X0[s * nx + i];
        w->div[s] = w->div[nb + s] = column_ok(m, X, s) ? -1 : 0;
        rows[s].max_dev_actual = rows[s].max_dev_bound = rows[s].max_traj_dev = 0.0;
        rows[s].violations = 0;
    }

    for (size_t k = 0; k <= m->n_steps; k++) {
        double t = (double)k * m->period;
        /* Policy inputs s = x (row-major), original at every column, pruned
         * at the pruned loop's columns. */
        for (size_t c = 0; c < nc; c++)
            for (size_t i = 0; i < nx; i++)
                w->S[c * nx + i] = X[i * LD + c];
        forward(m->orig, nc, w->S, w->A, w->B, w->hn, nb, w->Uo);
        forward(m->pruned, nb, w->S + nb * nx, w->A, w->B, w->hp, 0, w->Up);

        /* Deviation, bound, trajectory distance at the rows reached. */
        for (size_t s = 0; s < nb; s++) {
            sim_batch_row *r = &rows[s];
            if (w->div[nb + s] < 0) {
                const double *ua = w->Uo + (nb + s) * nu, *ub = w->Up + s * nu;
                bounds_point pt;
                bounds_pair_eval(m->pair, w->hn + (nb + s) * (L + 1), ua, w->hp + s * (L + 1), ub,
                                 w->hnorm, w->eta, &pt);
                if (pt.actual > r->max_dev_actual)
                    r->max_dev_actual = pt.actual;
                if (pt.bound > r->max_dev_bound)
                    r->max_dev_bound = pt.bound;
                r->violations += pt.verdict == BOUNDS_VIOLATED;
                if (w->div[s] < 0) {
                    double d2 = 0.0;
                    for (size_t i = 0; i < nx; i++) {
                        double d = X[i * LD + s] - X[i * LD + nb + s];
                        d2 += d * d;
                    }
                    if (sqrt(d2) > r->max_traj_dev)
                        r->max_traj_dev = sqrt(d2);
                }
            }
        }
        if (k == m->n_steps)
            break;

        /* Zero-order hold of the saturated actions, SoA. */
        for (size_t c = 0; c < nc; c++) {
            double u[PLANT_NU_MAX];
            memcpy(u, c < nb ? w->Uo + c * nu : w->Up + (c - nb) * nu, nu * sizeof *u);
            plant_saturate(m->p, u);
            for (size_t j = 0; j < nu; j++)
                w->U[j * LD + c] = u[j];
        }
        memcpy(w->Xbak, X, nx * LD * sizeof *X);
        for (size_t q = 0; q < m->substeps; q++) {
            plant_rk4_batch_apply(m->p, m->rhs, nc, LD, t + (double)q * h, h, X, w->U, w->rk);
            columns_check(m, nc, X, w->bad);
            for (size_t c = 0; c < nc; c++)
                if (w->div[c] < 0 && w->bad[c] > 0.0)
                    w->div[c] = (long)k + 1;
        }
        /* A diverged loop stays at its last state reached (and is ignored). */
        for (size_t c = 0; c < nc; c++)
            if (w->div[c] >= 0)
                for (size_t i = 0; i < nx; i++)
                    X[i * LD + c] = w->Xbak[i * LD + c];
    }

    for (size_t s = 0; s < nb; s++) {
        sim_batch_row *r = &rows[s];
        double n2o = 0.0, n2p = 0.0;
        for (size_t i = 0; i < nx; i++) {
            double xo = w->div[s] < 0 ? X[i * LD + s] : NAN;
            double xp = w->div[nb + s] < 0 ? X[i * LD + nb + s] : NAN;
            n2o += xo * xo;
            n2p += xp * xp;
            if (xf_orig)
                xf_orig[s * nx + i] = xo;
            if (xf_pruned)
                xf_pruned[s * nx + i] = xp;
        }
        r->final_norm_orig = sqrt(n2o);
        r->final_norm_pruned = sqrt(n2p);
        r->diverged_orig = w->div[s];
        r->diverged_pruned = w->div[nb + s];
    }
}

void sim_batch_eval(const sim_batch_model *m, sim_batch_work *w, size_t n, const double X0[],
                    sim_batch_row rows[], double xf_orig[], double xf_pruned[])
{
    size_t nx = m->nx;
    for (size_t s0 = 0; s0 < n; s0 += SIM_BATCH_BLOCK) {
        size_t nb = n - s0 < SIM_BATCH_BLOCK ? n - s0 : SIM_BATCH_BLOCK;
        eval_block(m, w, nb, X0 + s0 * nx, rows + s0, xf_orig ? xf_orig + s0 * nx : NULL,
                   xf_pruned ? xf_pruned + s0 * nx : NULL);
    }
}

/* ---- Threads ---- */

typedef struct batch_job {
    const sim_batch_model *m;
    sim_batch_work *w;
    size_t n;
    const double *X0;
    sim_batch_row *rows;
    double *xf_orig, *xf_pruned;
} batch_job;

static void *job_main(void *arg)
{
    batch_job *j = arg;
    sim_batch_eval(j->m, j->w, j->n, j->X0, j->rows, j->xf_orig, j->xf_pruned);
    return NULL;
}

int sim_batch_run(const sim_batch_model *m, size_t n_threads, size_t n, const double X0[],
                  sim_batch_row rows[], double xf_orig[], double xf_pruned[], pb_error *err)
{
    size_t nx = m->nx, started = 0;
    batch_job *jobs;
    pthread_t *tid;
    int rc = PB_SUCCESS;

    if (n_threads == 0)
        return pb_error_set(err, PB_EINVAL, "batch engine: threads must be >= 1");
    jobs = calloc(n_threads, sizeof *jobs);
    tid = calloc(n_threads, sizeof *tid);
    if (!jobs || !tid) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory for %zu threads", n_threads);
        goto free_jobs;
    }
    for (size_t t = 0; t < n_threads; t++) {
        size_t a = t * n / n_threads, b = (t + 1) * n / n_threads;
        jobs[t] = (batch_job){m, NULL, b - a, X0 + a * nx, rows + a,
                              xf_orig ? xf_orig + a * nx : NULL,
                              xf_pruned ? xf_pruned + a * nx : NULL};
        jobs[t].w = sim_batch_work_alloc(m, err);
        if (!jobs[t].w) {
            rc = PB_ENOMEM;
            goto free_work;
        }
    }
    /* Thread 0's slice runs on the calling thread. */
    for (size_t t = 1; t < n_threads; t++) {
        if (pthread_create(&tid[t], NULL, job_main, &jobs[t]) != 0) {
            rc = pb_error_set(err, PB_EINTERNAL, "cannot start batch thread %zu", t);
            break;
        }
        started = t;
    }
    if (rc == PB_SUCCESS)
        job_main(&jobs[0]);
    for (size_t t = 1; t <= started; t++)
        pthread_join(tid[t], NULL);
free_work:
    for (size_t t = 0; t < n_threads; t++)
        sim_batch_work_free(jobs[t].w);
free_jobs:
    free(jobs);
    free(tid);
    return rc;
}
