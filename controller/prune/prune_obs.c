/* prune_obs.c: Optimal Brain Surgeon (Hassibi & Stork, NIPS 1993), applied
 * layer-wise and exactly as in Optimal Brain Compression (Frantar, Singh &
 * Alistarh, NeurIPS 2022, Algorithm 1): rows of W are independent problems
 * with the same Hessian H = (2/n) X^T X.  Per row, greedily:
 *   q = argmin_j w_j^2 / [H^-1]_jj,           loss  w_q^2 / (2 [H^-1]_qq)
 *   w <- w - w_q / [H^-1]_qq * H^-1 e_q        (w_q becomes exactly 0)
 *   H^-1 <- H^-1 - H^-1 e_q e_q^T H^-1 / [H^-1]_qq
 * Unstructured: OBC's global selection across rows: every row records its
 * loss trace, then the cheapest removals overall are taken, always the next
 * one of some row (a greedy merge of the traces), until the layer holds
 * exactly n_prune zeros; each row is then replayed to its count.
 * N:M: a row removes greedily among the inputs whose group still has quota. */
#include "prune.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

static void obs_work_size(const prune_layer *l, size_t *nd, size_t *nz)
{
    size_t C = l->n_in;
    *nd = C * C + 2 * C + l->n_out * C;               /* Hr, row, column of H^-1, loss traces */
    *nz = l->n_out + C / (l->nm_m ? l->nm_m : 1) + 1; /* counts, group quotas */
}

/* `steps` greedy OBS removals on the row w (C) starting from H^-1 = Hinv
 * (copied into Hr).  kept (C) marks the remaining weights; quota (per group)
 * restricts the choice under N:M (quota NULL: unstructured).  loss[t] gets
 * the loss of removal t when loss is not NULL. */
static int obs_row(size_t C, const double Hinv[], double Hr[], double w[], double c[],
                   unsigned char kept[], size_t steps, size_t nm_m, size_t quota[], double loss[],
                   pb_error *err)
{
    memcpy(Hr, Hinv, C * C * sizeof *Hr);
    memset(kept, 1, C);
    for (size_t t = 0; t < steps; t++) {
        size_t q = C;
        double best = INFINITY, d, f;
        for (size_t j = 0; j < C; j++) {
            double v;
            if (!kept[j] || (quota && quota[j / nm_m] == 0))
                continue;
            v = w[j] * w[j] / Hr[j * C + j];
            if (q == C || v < best) {
                best = v;
                q = j;
            }
        }
        if (q == C)
            break; /* nothing left to remove (cannot happen with consistent counts) */
        d = Hr[q * C + q];
        if (!(d > 0.0) || !isfinite(d))
            return pb_error_set(err, PB_ENUMERIC,
                                "OBS: [H^-1]_qq = %g is not positive; the Hessian is singular "
                                "(use a positive dampening)",
                                d);
        if (loss)
            loss[t] = 0.5 * w[q] * w[q] / d;
        /* Hassibi & Stork 1993, eq. 5: delta w = -w_q / [H^-1]_qq H^-1 e_q. */
        f = w[q] / d;
        /* c = H^-1 e_q from the upper triangle (the only one kept up to date). */
        for (size_t j = 0; j < q; j++)
            c[j] = Hr[j * C + q];
        memcpy(c + q, Hr + q * C + q, (C - q) * sizeof *c);
        for (size_t j = 0; j < C; j++)
            if (kept[j])
                w[j] -= f * c[j];
        w[q] = 0.0;
        kept[q] = 0;
        if (quota)
            quota[q / nm_m]--;
        /* OBC eq. 3: the inverse Hessian of the remaining weights (symmetric
         * rank-one downdate of the upper triangle: half the flops of dger). */
        cblas_dsyr(CblasRowMajor, CblasUpper, (int)C, -1.0 / d, c, 1, Hr, (int)C);
    }
    return PB_SUCCESS;
}

/* Group quotas of one row under N:M; returns the row's total. */
static size_t quota_init(size_t C, size_t nm_n, size_t nm_m, size_t quota[])
{
    size_t total = 0;
    for (size_t g = 0; g * nm_m < C; g++) {
        size_t len = C - g * nm_m < nm_m ? C - g * nm_m : nm_m;
        quota[g] = prune_nm_count(len, nm_n, nm_m);
        total += quota[g];
    }
    return total;
}

static int obs_apply(const prune_layer *l, prune_work *w, pb_error *err)
{
    size_t R = l->n_out, C = l->n_in;
    double *Hinv = l->H;
    double *Hr = w->d, *c = Hr + C * C, *row = c + C, *loss = row + C;
    size_t *cnt = w->z, *quota = cnt + R;
    size_t smax;
    int s;

    prune_hessian_prepare(l->H, l->W, R, C, l->damp);
    if ((s = prune_hessian_invert(Hinv, C, err)) != PB_SUCCESS)
        return s;

    if (l->nm_m) {
        for (size_t i = 0; i < R; i++) {
            size_t steps = quota_init(C, l->nm_n, l->nm_m, quota);
            memcpy(row, l->W + i * C, C * sizeof *row);
            s = obs_row(C, Hinv, Hr, row, c, l->mask + i * C, steps, l->nm_m, quota, NULL, err);
            if (s != PB_SUCCESS)
                return s;
            memcpy(l->W + i * C, row, C * sizeof *row);
            prune_layer_progress(l, i + 1, R);
        }
        return PB_SUCCESS;
    }

    /* Loss traces: row i's removals t = 0..smax-1 cost loss[i C + t]. */
    smax = l->n_prune < C ? l->n_prune : C;
    for (size_t i = 0; i < R; i++) {
        memcpy(row, l->W + i * C, C * sizeof *row);
        s = obs_row(C, Hinv, Hr, row, c, l->mask + i * C, smax, 1, NULL, loss + i * C, err);
        if (s != PB_SUCCESS)
            return s;
        prune_layer_progress(l, i + 1, 2 * R); /* first pass: the loss traces */
    }
    /* Greedy merge: the cheapest next removal of any row (ties: lowest row). */
    for (size_t i = 0; i < R; i++)
        cnt[i] = 0;
    for (size_t t = 0; t < l->n_prune; t++) {
        size_t best = R;
        for (size_t i = 0; i < R; i++)
            if (cnt[i] < smax && (best == R || loss[i * C + cnt[i]] < loss[best * C + cnt[best]]))
                best = i;
        cnt[best]++;
    }
    /* Replay each row to its count (the same operations, so the same choices). */
    for (size_t i = 0; i < R; i++) {
        memcpy(row, l->W + i * C, C * sizeof *row);
        s = obs_row(C, Hinv, Hr, row, c, l->mask + i * C, cnt[i], 1, NULL, NULL, err);
        if (s != PB_SUCCESS)
            return s;
        memcpy(l->W + i * C, row, C * sizeof *row);
        prune_layer_progress(l, R + i + 1, 2 * R); /* second pass: the replay */
    }
    return PB_SUCCESS;
}

const prune_method prune_obs = {
    .name = "obs",
    .reference = "Hassibi & Stork, NIPS 1993; layer-wise exact: Frantar, Singh & Alistarh, "
                 "Optimal Brain Compression, NeurIPS 2022",
    .needs_hessian = 1,
    .score = NULL,
    .work_size = obs_work_size,
    .apply = obs_apply,
};
