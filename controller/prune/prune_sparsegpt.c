/* prune_sparsegpt.c: SparseGPT (Frantar & Alistarh, ICML 2023, Algorithm 1),
 * in double precision:
 *   H = (2/n) X^T X; dead inputs (H_jj = 0): H_jj = 1, W[:, j] = 0;
 *   H += lambda I, lambda = damp * mean(diag H)            (damp = 1 %)
 *   U = upper Cholesky factor of H^-1 (H^-1 = U^T U; from the Cholesky factor
 *       of the reversed H, see below)
 *   for each block of B columns [i1, i2):
 *     unstructured: at the start of every Bs columns (Bs = B by default),
 *       mask their share of the layer's zeros, the smallest w^2 / U_jj^2
 *       over those R x Bs weights (adaptive mask selection)
 *     for j in [i1, i2):
 *       N:M: at the start of a group of M inputs, mask its N smallest w^2 / U_jj^2
 *       err_j = (w_j - mask_j w_j) / U_jj;  W[:, j] = mask_j w_j
 *       W[:, j+1:i2] -= err_j U[j, j+1:i2]                (within the block)
 *     W[:, i2:] -= Err[:, i1:i2] U[i1:i2, i2:]            (lazy batch update, one dgemm)
 * Within a block the rows are independent once the mask is chosen, so each
 * row's column loop runs on a contiguous B-vector (row-major W).
 * The share of an unstructured target k of columns [c1, c2) is
 * floor(k c2 / n_in) - floor(k c1 / n_in), so the layer holds exactly k zeros. */
#include "prune.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

/* The block size actually used: a multiple of M under N:M, at most n_in. */
static size_t effective_block(const prune_layer *l)
{
    size_t B = l->block;
    if (l->nm_m) {
        B -= B % l->nm_m;
        if (B == 0)
            B = l->nm_m;
    }
    return B < l->n_in ? B : l->n_in;
}

static void reverse(double a[], size_t n)
{
    for (size_t i = 0, j = n - 1; i < j; i++, j--) {
        double t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

static void sparsegpt_work_size(const prune_layer *l, size_t *nd, size_t *nz)
{
    size_t B = effective_block(l);
    *nd = 4 * l->n_out * B; /* W1, Err1, scores, selection scratch */
    *nz = (l->n_out * B + sizeof(size_t) - 1) / sizeof(size_t); /* bytes of a block mask */
}

static int sparsegpt_apply(const prune_layer *l, prune_work *w, pb_error *err)
{
    size_t R = l->n_out, C = l->n_in, B = effective_block(l);
    size_t M = l->nm_m, N = l->nm_n;
    double *U = l->H;
    size_t Bs = l->mask_block && l->mask_block < B ? l->mask_block : B;
    double *W1 = w->d, *Err1 = W1 + R * B, *score = Err1 + R * B, *scratch = score + R * B;
    unsigned char *mbuf = (unsigned char *)(void *)w->z; /* R x Bs mask of a sub-block */
    int s;

    prune_hessian_prepare(l->H, l->W, R, C, l->damp);
    /* U, the upper Cholesky factor of H^-1, without forming H^-1: with J the
     * reversal permutation, J H J = L L^T gives H = R R^T with R = J L J
     * upper, so H^-1 = R^-T R^-1 and U = R^-1 = J L^-1 J.  Reversing a
     * row-major square array reverses both its rows and its columns. */
    reverse(U, C * C);
    {
        gsl_matrix_view Hv = gsl_matrix_view_array(U, C, C);
        s = gsl_linalg_cholesky_decomp1(&Hv.matrix);
        if (s != GSL_SUCCESS)
            return pb_error_set(err, PB_ENUMERIC,
                                "the layer Hessian is not positive definite (Cholesky: %s); "
                                "use a positive dampening or more calibration states",
                                gsl_strerror(s));
        s = gsl_linalg_tri_lower_invert(&Hv.matrix);
        if (s != GSL_SUCCESS)
            return pb_error_set(err, PB_ENUMERIC, "inverting the Cholesky factor failed: %s",
                                gsl_strerror(s));
    }
    reverse(U, C * C); /* U[j, t] is valid for t >= j */

    for (size_t i1 = 0; i1 < C; i1 += B) {
        size_t cnt = C - i1 < B ? C - i1 : B, i2 = i1 + cnt;

        for (size_t r = 0; r < R; r++)
            memcpy(W1 + r * cnt, l->W + r * C + i1, cnt * sizeof *W1);
        /* Sub-blocks of Bs columns: unstructured masks are chosen at the start
         * of each (adaptive mask selection); N:M chooses per group instead. */
        for (size_t s1 = 0; s1 < cnt; s1 += Bs) {
            size_t s2 = M || cnt - s1 < Bs ? cnt : s1 + Bs, ns = s2 - s1;
            if (!M) {
                size_t kb = (l->n_prune * (i1 + s2)) / C - (l->n_prune * (i1 + s1)) / C;
                for (size_t r = 0; r < R; r++)
                    for (size_t i = 0; i < ns; i++) {
                        double u = U[(i1 + s1 + i) * C + i1 + s1 + i], v = W1[r * cnt + s1 + i];
                        score[r * ns + i] = v * v / (u * u);
                    }
                prune_mask_smallest(R * ns, score, kb, mbuf, scratch);
                for (size_t r = 0; r < R; r++)
                    memcpy(l->mask + r * C + i1 + s1, mbuf + r * ns, ns);
            }
            for (size_t r = 0; r < R; r++) {
                double *w1 = W1 + r * cnt, *e1 = Err1 + r * cnt;
                unsigned char *mk = l->mask + r * C + i1;
                for (size_t i = s1; i < s2; i++) {
                    size_t j = i1 + i;
                    const double *urow = U + j * C + i1; /* U[j, i1:i2] */
                    double d = urow[i], q, e;
                    if (M && i % M == 0) {
                        size_t len = C - j < M ? C - j : M;
                        for (size_t t = 0; t < len; t++) {
                            double u = U[(j + t) * C + j + t], v = w1[i + t];
                            score[t] = v * v / (u * u);
                        }
                        prune_mask_smallest(len, score, prune_nm_count(len, N, M), mk + i, scratch);
                    }
                    q = mk[i] ? w1[i] : 0.0;
                    e = (w1[i] - q) / d;
                    w1[i] = q;
                    e1[i] = e;
                    /* Within the block; columns right of it wait for the lazy update. */
                    if (e != 0.0)
                        for (size_t t = i + 1; t < cnt; t++)
                            w1[t] -= e * urow[t];
                }
            }
        }
        for (size_t r = 0; r < R; r++)
            memcpy(l->W + r * C + i1, W1 + r * cnt, cnt * sizeof *W1);
        /* Lazy batch update of the columns right of the block. */
        if (i2 < C)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)R, (int)(C - i2), (int)cnt,
                        -1.0, Err1, (int)cnt, U + i1 * C + i2, (int)C, 1.0, l->W + i2, (int)C);
        prune_layer_progress(l, i2, C); /* columns done */
    }
    return PB_SUCCESS;
}

const prune_method prune_sparsegpt = {
    .name = "sparsegpt",
    .reference = "Frantar & Alistarh, SparseGPT, ICML 2023 (Algorithm 1)",
    .needs_hessian = 1,
    .score = NULL,
    .work_size = sparsegpt_work_size,
    .apply = sparsegpt_apply,
};
