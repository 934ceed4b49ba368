/* bounds.c: spectral norms, the per-policy cache and the per-state bounds
 * (forward-pass, closed and multi-layer forms) of docs/BOUNDS.md, after
 * Shamrai (arXiv:2507.02953, 2025). */
#include "bounds.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

size_t bounds_spectral_work_size(size_t rows, size_t cols)
{
    size_t mx = rows > cols ? rows : cols, mn = rows > cols ? cols : rows;
    return mx * mn + mn * mn + 3 * mn;
}

/* sigma_max^2 of the tall mx x mn matrix W (row-major) from the Gram matrix
 * G = W^T W (dsyrk) and its eigenvalues (gsl_eigen_symm: Householder
 * tridiagonalisation and implicit QL, no eigenvectors), for matrices too
 * large for the Jacobi SVD's O(sweeps mx mn^2) cost.  The result is made an
 * upper bound despite rounding: forming G errs by at most gamma_mx ||W||_F^2
 * in the 2-norm (Higham, Accuracy and Stability, 2nd ed., 3.5) and the
 * symmetric eigensolver is backward stable with an error of order
 * mn eps ||G||_2 <= mn eps ||W||_F^2 (Golub & Van Loan, 4th ed., 8.3), so
 * 4 (mx + mn) eps ||W||_F^2 is added.  G, d, sd: mn^2, mn, mn doubles. */
static int gram_norm2(size_t mx, size_t mn, const double W[], double G[], double ev[],
                      double d[], double sd[], double *s2)
{
    gsl_matrix_view g = gsl_matrix_view_array(G, mn, mn);
    gsl_vector_view e = gsl_vector_view_array(ev, mn);
    /* The workspace over caller memory: the tridiagonal's diagonal d (mn)
     * and subdiagonal sd (mn - 1), as gsl_eigen_symm_alloc would lay it. */
    gsl_eigen_symm_workspace ws = {mn, d, sd};
    double fro = cblas_dnrm2((int)(mx * mn), W, 1), lmax = 0.0;
    int status;

    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)mn, (int)mx, 1.0, W, (int)mn, 0.0, G,
                (int)mn);
    status = gsl_eigen_symm(&g.matrix, &e.vector, &ws);
    if (status)
        return status;
    for (size_t i = 0; i < mn; i++)
        lmax = fmax(lmax, ev[i]);
    *s2 = lmax + 4.0 * (double)(mx + mn) * DBL_EPSILON * fro * fro;
    return GSL_SUCCESS;
}

/* ||B - A||_2 (A NULL: ||B||_2).  The matrix is copied into w as a tall
 * max x min matrix (transposed when wide: the singular values are the same)
 * because GSL's Jacobi SVD requires M >= N; its largest singular value is
 * the spectral norm (Golub & Van Loan, Matrix Computations, 4th ed., 2.3). */
static int spectral_norm(size_t rows, size_t cols, const double A[], const double B[], double w[],
                         double *norm, pb_error *err)
{
    size_t mx, mn;
    int tall = rows >= cols, status;
    double smax = 0.0;

    if (rows == 0 || cols == 0)
        return pb_error_set(err, PB_EINVAL, "spectral norm of a %zu x %zu matrix", rows, cols);
    if (!B || !w || !norm)
        return pb_error_set(err, PB_EINVAL, "spectral norm: NULL matrix, workspace or result");
    mx = tall ? rows : cols;
    mn = tall ? cols : rows;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            double v = B[i * cols + j] - (A ? A[i * cols + j] : 0.0);
            if (!isfinite(v))
                return pb_error_set(err, PB_EINVAL, "spectral norm: entry (%zu, %zu) is not finite",
                                    i, j);
            if (tall)
                w[i * cols + j] = v;
            else
                w[j * rows + i] = v;
        }
    if (mn > BOUNDS_JACOBI_MAX) {
        double s2;
        status = gram_norm2(mx, mn, w, w + mx * mn, w + mx * mn + mn * mn,
                            w + mx * mn + mn * mn + mn, w + mx * mn + mn * mn + 2 * mn, &s2);
        if (status)
            return pb_error_set(err, PB_ENUMERIC, "eigenvalues of the %zu x %zu Gram matrix: %s",
                                mn, mn, gsl_strerror(status));
        *norm = sqrt(s2);
        return PB_SUCCESS;
    }
    {
        gsl_matrix_view a = gsl_matrix_view_array(w, mx, mn);
        gsl_matrix_view q = gsl_matrix_view_array(w + mx * mn, mn, mn);
        gsl_vector_view s = gsl_vector_view_array(w + mx * mn + mn * mn, mn);
        status = gsl_linalg_SV_decomp_jacobi(&a.matrix, &q.matrix, &s.vector);
        if (status)
            return pb_error_set(err, PB_ENUMERIC, "SVD of a %zu x %zu matrix failed: %s", rows,
                                cols, gsl_strerror(status));
        /* GSL sorts the singular values in decreasing order; take the max anyway. */
        for (size_t i = 0; i < mn; i++)
            smax = fmax(smax, gsl_vector_get(&s.vector, i));
    }
    *norm = smax;
    return PB_SUCCESS;
}

int bounds_spectral_norm(size_t rows, size_t cols, const double A[], double w[], double *norm,
                         pb_error *err)
{
    if (!A)
        return pb_error_set(err, PB_EINVAL, "spectral norm: NULL matrix");
    return spectral_norm(rows, cols, NULL, A, w, norm, err);
}

int bounds_spectral_norm_diff(size_t rows, size_t cols, const double A[], const double B[],
                              double w[], double *norm, pb_error *err)
{
    if (!A || !B)
        return pb_error_set(err, PB_EINVAL, "spectral norm: NULL matrix");
    return spectral_norm(rows, cols, A, B, w, norm, err);
}

double bounds_norm2(size_t n, const double x[])
{
    return n ? cblas_dnrm2((int)n, x, 1) : 0.0;
}

bounds_model *bounds_model_alloc(const mlp *m, pb_error *err)
{
    bounds_model *bm;
    double *w = NULL;
    size_t wsize = 0;

    if (!m)
        return pb_error_set(err, PB_EINVAL, "bounds model of a NULL network"), NULL;
    if (mlp_validate(m, err) != PB_SUCCESS)
        return NULL;
    for (size_t k = 0; k < m->n_layers; k++) {
        size_t s = bounds_spectral_work_size(m->layers[k].n_out, m->layers[k].n_in);
        wsize = s > wsize ? s : wsize;
    }
    bm = calloc(1, sizeof *bm);
    if (!bm)
        return pb_error_set(err, PB_ENOMEM, "out of memory allocating a bounds model"), NULL;
    bm->layers = calloc(m->n_layers, sizeof *bm->layers);
    bm->down = calloc(m->n_layers, sizeof *bm->down);
    w = malloc(wsize * sizeof *w);
    if (!bm->layers || !bm->down || !w) {
        pb_error_set(err, PB_ENOMEM, "out of memory allocating a bounds model");
        goto free_bm;
    }
    bm->n_layers = m->n_layers;
    bm->n_in = m->n_in;
    bm->n_out = m->n_out;
    bm->gain = mlp_output_gain(m);
    bm->in_gain = 1.0;
    if (m->in_scale) {
        bm->in_gain = 0.0;
        for (size_t i = 0; i < m->n_in; i++)
            bm->in_gain = fmax(bm->in_gain, fabs(m->in_scale[i]));
    }
    for (size_t k = 0; k < m->n_layers; k++) {
        const mlp_layer *l = &m->layers[k];
        bounds_layer *b = &bm->layers[k];
        b->n_in = l->n_in;
        b->n_out = l->n_out;
        b->lip = mlp_act_lipschitz(l->act, l->alpha);
        b->act0 = fabs(mlp_act_at_zero(l->act, l->alpha));
        b->b_norm = bounds_norm2(l->n_out, l->b);
        if (bounds_spectral_norm(l->n_out, l->n_in, l->W, w, &b->W_norm, err) != PB_SUCCESS) {
            pb_error_prefix(err, "layer %zu: ", k + 1);
            goto free_bm;
        }
    }
    /* D_k = l_k prod_{j>k} l_j ||W_j||, from the last layer backwards. */
    {
        double p = 1.0;
        for (size_t k = m->n_layers; k-- > 0;) {
            bm->down[k] = bm->layers[k].lip * p;
            p *= bm->layers[k].lip * bm->layers[k].W_norm;
        }
    }
    free(w);
    return bm;
free_bm:
    free(w);
    bounds_model_free(bm);
    return NULL;
}

void bounds_model_free(bounds_model *bm)
{
    if (!bm)
        return;
    free(bm->layers);
    free(bm->down);
    free(bm);
}

double bounds_policy_lipschitz(const bounds_model *bm)
{
    double p = bm->in_gain * bm->gain;
    for (size_t k = 0; k < bm->n_layers; k++)
        p *= bm->layers[k].lip * bm->layers[k].W_norm;
    return p;
}

void bounds_hidden_norms(const bounds_model *bm, const mlp_work *w, double hnorm[])
{
    for (size_t k = 0; k < bm->n_layers; k++)
        hnorm[k] = bounds_norm2(bm->layers[k].n_in, mlp_work_hidden(w, k));
}

void bounds_eta_eval(const bounds_model *bm, double s_norm, double eta[])
{
    /* ||sigma(z)|| <= ||sigma(z) - sigma(0) 1|| + |sigma(0)| sqrt(n) <= l ||z|| + |sigma(0)| sqrt(n)
     * and ||z|| <= ||W|| ||h|| + ||b|| (docs/BOUNDS.md section 3). */
    eta[0] = s_norm;
    for (size_t k = 0; k + 1 < bm->n_layers; k++) {
        const bounds_layer *b = &bm->layers[k];
        eta[k + 1] = b->lip * (b->W_norm * eta[k] + b->b_norm) + b->act0 * sqrt((double)b->n_out);
    }
}

double bounds_forward_coeff(const bounds_model *bm, size_t k, const double h[])
{
    return bm->gain * bm->down[k] * bounds_norm2(bm->layers[k].n_in, h);
}

double bounds_forward_eval(const bounds_model *bm, size_t k, const double h[], double dW_norm)
{
    return bounds_forward_coeff(bm, k, h) * dW_norm;
}

double bounds_closed_eval(const bounds_model *bm, size_t k, double s_norm, double dW_norm)
{
    double eta = s_norm;
    for (size_t j = 0; j < k; j++) {
        const bounds_layer *b = &bm->layers[j];
        eta = b->lip * (b->W_norm * eta + b->b_norm) + b->act0 * sqrt((double)b->n_out);
    }
    return bm->gain * bm->down[k] * eta * dW_norm;
}

double bounds_multi_eval(const bounds_model *pruned, const double hnorm[], const double dW_norm[],
                         const double db_norm[])
{
    double sum = 0.0;
    for (size_t k = 0; k < pruned->n_layers; k++) {
        double t = dW_norm[k] * hnorm[k] + (db_norm ? db_norm[k] : 0.0);
        if (t != 0.0)
            sum += pruned->down[k] * t;
    }
    return pruned->gain * sum;
}

int bounds_is_violated(double actual, double bound)
{
    if (isnan(actual) || isnan(bound))
        return 1;
    return actual > bound * (1.0 + BOUNDS_RELTOL);
}
