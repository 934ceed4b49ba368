/* plant_lqr.c: linearisation, exact zero-order-hold discretisation through
 * the matrix exponential of Van Loan's block matrix, and the discrete-time
 * LQR gain by structure-preserving doubling polished by Riccati iteration. */
#include "plant_lqr.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_permutation.h>

#define DLQR_DOUBLINGS   64   /* doubling steps before giving up */
#define DLQR_POLISH_ITER 1000 /* Riccati steps after the doubling */
#define DLQR_RTOL        1e-13

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

int plant_linearise(const plant *m, const double x[], const double u[], double A[], double B[],
                    pb_error *err)
{
    const plant_type *T = m->type;
    size_t nx = T->nx, nu = T->nu;
    double xp[PLANT_NX_MAX], up[PLANT_NU_MAX], fp[PLANT_NX_MAX], fm[PLANT_NX_MAX];
    int rc;

    if (!all_finite(x, nx) || !all_finite(u, nu))
        return pb_error_set(err, PB_EINVAL, "plant '%s': cannot linearise at a non-finite point",
                            T->name);
    if (plant_type_has_jac(T)) {
        rc = plant_type_jac(T, 0.0, x, u, m->p, A, B);
        if (rc != PB_SUCCESS)
            return pb_error_set(err, rc, "plant '%s': Jacobian failed at the linearisation point",
                                T->name);
    } else {
        /* Central differences, step ~ eps^(1/3) scaled to the coordinate. */
        memcpy(xp, x, nx * sizeof *x);
        memcpy(up, u, nu * sizeof *u);
        for (size_t j = 0; j < nx + nu; j++) {
            double *v = j < nx ? &xp[j] : &up[j - nx];
            double v0 = *v, h = 6e-6 * fmax(1.0, fabs(v0));
            *v = v0 + h;
            rc = plant_type_f(T, 0.0, xp, up, m->p, fp);
            *v = v0 - h;
            if (rc == PB_SUCCESS)
                rc = plant_type_f(T, 0.0, xp, up, m->p, fm);
            *v = v0;
            if (rc != PB_SUCCESS)
                return pb_error_set(err, rc, "plant '%s': f failed near the linearisation point",
                                    T->name);
            for (size_t i = 0; i < nx; i++) {
                double d = (fp[i] - fm[i]) / (2.0 * h);
                if (j < nx)
                    A[i * nx + j] = d;
                else
                    B[i * nu + (j - nx)] = d;
            }
        }
    }
    if (!all_finite(A, nx * nx) || !all_finite(B, nx * nu))
        return pb_error_set(err, PB_ENUMERIC, "plant '%s': non-finite linearisation", T->name);
    return PB_SUCCESS;
}

/* Van Loan (1978), "Computing integrals involving the matrix exponential",
 * Theorem 1: exp([[A, B], [0, 0]] T) = [[e^{AT}, int_0^T e^{As} ds B], [0, I]].
 * GSL's gsl_linalg_exponential_ss (Moler and Van Loan 1978, Taylor series
 * with scaling and squaring) picks its scaling from the largest entry, not
 * from a norm, which under-scales matrices of many small entries; so the
 * block matrix is first scaled by 2^-s until its infinity norm is at most
 * 0.01 (Taylor remainder below 1e-16 there) and squared s times after. */
int plant_discretise(size_t nx, size_t nu, const double A[], const double B[], double T,
                     double Ad[], double Bd[], pb_error *err)
{
    size_t n = nx + nu;
    gsl_matrix *M = NULL, *E = NULL, *W = NULL;
    double norm = 0.0;
    int s = 0, rc = PB_SUCCESS;

    if (nx == 0)
        return pb_error_set(err, PB_EINVAL, "plant_discretise: nx must be > 0");
    if (!(isfinite(T) && T > 0.0))
        return pb_error_set(err, PB_EINVAL, "discretisation period %g must be finite and > 0", T);
    if (!all_finite(A, nx * nx) || !all_finite(B, nx * nu))
        return pb_error_set(err, PB_EINVAL, "plant_discretise: A or B is not finite");

    M = gsl_matrix_calloc(n, n);
    E = gsl_matrix_alloc(n, n);
    W = gsl_matrix_alloc(n, n);
    if (!M || !E || !W) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory in plant_discretise");
        goto out;
    }
    for (size_t i = 0; i < nx; i++) {
        double row = 0.0;
        for (size_t j = 0; j < nx; j++) {
            gsl_matrix_set(M, i, j, A[i * nx + j] * T);
            row += fabs(A[i * nx + j] * T);
        }
        for (size_t k = 0; k < nu; k++) {
            gsl_matrix_set(M, i, nx + k, B[i * nu + k] * T);
            row += fabs(B[i * nu + k] * T);
        }
        norm = fmax(norm, row);
    }
    if (!isfinite(norm)) {
        rc = pb_error_set(err, PB_EINVAL, "plant_discretise: A T or B T overflows");
        goto out;
    }
    if (norm > 0.01)
        s = (int)ceil(log2(norm / 0.01));
    if (s > 1000) {
        rc = pb_error_set(err, PB_ENUMERIC, "plant_discretise: |A T| = %g is too large", norm);
        goto out;
    }
    gsl_matrix_scale(M, ldexp(1.0, -s));
    if (gsl_linalg_exponential_ss(M, E, GSL_PREC_DOUBLE) != GSL_SUCCESS) {
        rc = pb_error_set(err, PB_EINTERNAL, "gsl_linalg_exponential_ss failed");
        goto out;
    }
    for (int k = 0; k < s; k++) {
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, E, E, 0.0, W);
        gsl_matrix_memcpy(E, W);
    }
    for (size_t i = 0; i < nx; i++) {
        for (size_t j = 0; j < nx; j++)
            Ad[i * nx + j] = gsl_matrix_get(E, i, j);
        for (size_t k = 0; k < nu; k++)
            Bd[i * nu + k] = gsl_matrix_get(E, i, nx + k);
    }
    if (!all_finite(Ad, nx * nx) || !all_finite(Bd, nx * nu))
        rc = pb_error_set(err, PB_ENUMERIC, "plant_discretise: the exponential overflowed");
out:
    gsl_matrix_free(W);
    gsl_matrix_free(E);
    gsl_matrix_free(M);
    return rc;
}

static double max_abs(const gsl_matrix *X)
{
    double mn, mx;
    gsl_matrix_minmax(X, &mn, &mx);
    return fmax(fabs(mn), fabs(mx));
}

static void symmetrise(gsl_matrix *X)
{
    for (size_t i = 0; i < X->size1; i++)
        for (size_t j = 0; j < i; j++) {
            double a = 0.5 * (gsl_matrix_get(X, i, j) + gsl_matrix_get(X, j, i));
            gsl_matrix_set(X, i, j, a);
            gsl_matrix_set(X, j, i, a);
        }
}

/* Workspace of plant_dlqr, every matrix allocated once. */
typedef struct dlqr_work {
    size_t nx, nu;
    gsl_matrix *P, *Pn, *T1, *T2;           /* nx x nx */
    gsl_matrix *Ak, *Gk, *Hk, *W, *X1, *X2; /* nx x nx, doubling */
    gsl_permutation *perm;                  /* nx */
    gsl_matrix *BtP, *S, *G, *K;            /* nu x nx, nu x nu, nu x nx, nu x nx */
    gsl_matrix *Rinv_Bt;                    /* nu x nx */
} dlqr_work;

static void dlqr_work_free(dlqr_work *w)
{
    gsl_matrix *m[] = {w->P,  w->Pn, w->T1,  w->T2, w->Ak, w->Gk, w->Hk,     w->W,
                       w->X1, w->X2, w->BtP, w->S,  w->G,  w->K,  w->Rinv_Bt};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        gsl_matrix_free(m[i]);
    gsl_permutation_free(w->perm);
}

static int dlqr_work_alloc(dlqr_work *w, size_t nx, size_t nu)
{
    gsl_matrix **sq[] = {&w->P,  &w->Pn, &w->T1, &w->T2, &w->Ak,
                         &w->Gk, &w->Hk, &w->W,  &w->X1, &w->X2};
    memset(w, 0, sizeof *w);
    w->nx = nx;
    w->nu = nu;
    for (size_t i = 0; i < sizeof sq / sizeof *sq; i++)
        if (!(*sq[i] = gsl_matrix_alloc(nx, nx)))
            return PB_ENOMEM;
    w->perm = gsl_permutation_alloc(nx);
    w->BtP = gsl_matrix_alloc(nu, nx);
    w->S = gsl_matrix_alloc(nu, nu);
    w->G = gsl_matrix_alloc(nu, nx);
    w->K = gsl_matrix_alloc(nu, nx);
    w->Rinv_Bt = gsl_matrix_alloc(nu, nx);
    if (!w->perm || !w->BtP || !w->S || !w->G || !w->K || !w->Rinv_Bt)
        return PB_ENOMEM;
    return PB_SUCCESS;
}

/* Solves L L' X = Y in place for every column of X (nu x ncol), L in S. */
static void chol_solve_columns(const gsl_matrix *S, gsl_matrix *X)
{
    for (size_t j = 0; j < X->size2; j++) {
        gsl_vector_view col = gsl_matrix_column(X, j);
        gsl_linalg_cholesky_svx(S, &col.vector);
    }
}

/* K = (R + B'PB)^{-1} B'PA for the P in w->P; PB_ENUMERIC when R + B'PB is
 * not positive definite. */
static int dlqr_gain(dlqr_work *w, const gsl_matrix *A, const gsl_matrix *B, const gsl_matrix *R)
{
    gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, B, w->P, 0.0, w->BtP);
    gsl_matrix_memcpy(w->S, R);
    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, w->BtP, B, 1.0, w->S);
    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, w->BtP, A, 0.0, w->G);
    if (gsl_linalg_cholesky_decomp1(w->S) != GSL_SUCCESS)
        return PB_ENUMERIC;
    gsl_matrix_memcpy(w->K, w->G);
    chol_solve_columns(w->S, w->K);
    return PB_SUCCESS;
}

/* Structure-preserving doubling for the DARE (Chu, Fan, Lin and Wang 2004,
 * "Structure-preserving algorithms for periodic discrete-time algebraic
 * Riccati equations", Int. J. Control 77): from A0 = A, G0 = B R^{-1} B', H0 = Q,
 *   W = I + G H,  A+ = A W^{-1} A,  G+ = G + A W^{-1} G A',  H+ = H + A' H W^{-1} A,
 * H converging quadratically to P (W is invertible: G, H are positive
 * semidefinite).  PB_ENUMERIC when it does not settle in DLQR_DOUBLINGS steps. */
static int dare_sda(dlqr_work *w, const gsl_matrix *A, const gsl_matrix *B, const gsl_matrix *Q)
{
    size_t nx = w->nx;
    int signum;

    /* G0 = B R^{-1} B' with R's Cholesky factor in w->S. */
    for (size_t i = 0; i < w->nu; i++)
        for (size_t j = 0; j < nx; j++)
            gsl_matrix_set(w->Rinv_Bt, i, j, gsl_matrix_get(B, j, i));
    chol_solve_columns(w->S, w->Rinv_Bt);
    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, B, w->Rinv_Bt, 0.0, w->Gk);
    symmetrise(w->Gk);
    gsl_matrix_memcpy(w->Ak, A);
    gsl_matrix_memcpy(w->Hk, Q);

    for (int k = 0; k < DLQR_DOUBLINGS; k++) {
        double scale, diff;
        /* W = I + G H, LU-factorised. */
        gsl_matrix_set_identity(w->W);
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, w->Gk, w->Hk, 1.0, w->W);
        if (gsl_linalg_LU_decomp(w->W, w->perm, &signum) != GSL_SUCCESS)
            return PB_ENUMERIC;
        for (size_t i = 0; i < nx; i++)
            if (!(fabs(gsl_matrix_get(w->W, i, i)) > 0.0) || !isfinite(gsl_matrix_get(w->W, i, i)))
                return PB_ENUMERIC;
        /* X1 = W^{-1} A, X2 = W^{-1} G */
        gsl_matrix_memcpy(w->X1, w->Ak);
        gsl_matrix_memcpy(w->X2, w->Gk);
        for (size_t j = 0; j < nx; j++) {
            gsl_vector_view c1 = gsl_matrix_column(w->X1, j), c2 = gsl_matrix_column(w->X2, j);
            gsl_linalg_LU_svx(w->W, w->perm, &c1.vector);
            gsl_linalg_LU_svx(w->W, w->perm, &c2.vector);
        }
        /* H+ = H + A' H X1 (into T2 via T1 = H X1) */
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, w->Hk, w->X1, 0.0, w->T1);
        gsl_matrix_memcpy(w->T2, w->Hk);
        gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, w->Ak, w->T1, 1.0, w->T2);
        symmetrise(w->T2);
        /* G+ = G + A X2 A' */
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, w->Ak, w->X2, 0.0, w->T1);
        gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, w->T1, w->Ak, 1.0, w->Gk);
        symmetrise(w->Gk);
        /* A+ = A X1 */
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, w->Ak, w->X1, 0.0, w->T1);
        gsl_matrix_memcpy(w->Ak, w->T1);

        scale = max_abs(w->T2);
        gsl_matrix_sub(w->Hk, w->T2);
        diff = max_abs(w->Hk);
        gsl_matrix_memcpy(w->Hk, w->T2);
        if (!isfinite(scale) || !isfinite(diff) || !isfinite(max_abs(w->Gk)))
            return PB_ENUMERIC;
        if (diff <= 1e-15 * scale) {
            gsl_matrix_memcpy(w->P, w->Hk);
            return PB_SUCCESS;
        }
    }
    return PB_ENUMERIC;
}

/* Riccati iteration (value iteration, Anderson and Moore, Optimal Control:
 * Linear Quadratic Methods, 1990, sec. 2.4) from the P in w->P:
 *   S = R + B'PB,  K = S^{-1} B'PA,  P <- Q + A'PA - (B'PA)' K,
 * until the change, extrapolated with the observed linear rate, is below
 * DLQR_RTOL relative to P (or at the rounding floor).  Started from the
 * doubling's solution, it polishes and checks it in a few steps. */
static int dare_iterate(dlqr_work *w, const gsl_matrix *A, const gsl_matrix *B, const gsl_matrix *Q,
                        const gsl_matrix *R, size_t max_iter)
{
    double prev = INFINITY;
    for (size_t it = 0; it < max_iter; it++) {
        double diff, scale, rate;
        if (dlqr_gain(w, A, B, R) != PB_SUCCESS)
            return PB_ENUMERIC;
        gsl_matrix_memcpy(w->Pn, Q);
        gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, A, w->P, 0.0, w->T1);
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, w->T1, A, 1.0, w->Pn);
        gsl_blas_dgemm(CblasTrans, CblasNoTrans, -1.0, w->G, w->K, 1.0, w->Pn);
        symmetrise(w->Pn);
        scale = max_abs(w->Pn);
        if (!isfinite(scale))
            return PB_ENUMERIC;
        gsl_matrix_sub(w->P, w->Pn);
        diff = max_abs(w->P);
        gsl_matrix_memcpy(w->P, w->Pn);
        rate = isfinite(prev) && prev > 0.0 ? fmin(diff / prev, 0.999999) : 0.999999;
        prev = diff;
        if (it > 0 && (diff <= DLQR_RTOL * scale * (1.0 - rate) ||
                       diff <= 8.0 * (double)w->nx * DBL_EPSILON * scale))
            return PB_SUCCESS;
    }
    return PB_ENUMERIC;
}

/* The DARE P = Q + A'PA - A'PB (R + B'PB)^{-1} B'PA by doubling, polished
 * and verified by Riccati iteration (which alone would converge only
 * linearly, at the square of the closed loop's rate: hopeless for slow loops
 * at short periods). */
int plant_dlqr(size_t nx, size_t nu, const double Ad[], const double Bd[], const double Q[],
               const double R[], double K[], double P[], pb_error *err)
{
    gsl_matrix_const_view A = gsl_matrix_const_view_array(Ad, nx, nx);
    gsl_matrix_const_view B = gsl_matrix_const_view_array(Bd, nx, nu);
    gsl_matrix_const_view Qv = gsl_matrix_const_view_array(Q, nx, nx);
    gsl_matrix_const_view Rv = gsl_matrix_const_view_array(R, nu, nu);
    dlqr_work w;
    int rc = PB_SUCCESS;

    if (nx == 0 || nu == 0)
        return pb_error_set(err, PB_EINVAL, "plant_dlqr: nx and nu must be > 0");
    if (!all_finite(Ad, nx * nx) || !all_finite(Bd, nx * nu) || !all_finite(Q, nx * nx) ||
        !all_finite(R, nu * nu))
        return pb_error_set(err, PB_EINVAL, "plant_dlqr: a matrix has non-finite entries");
    for (size_t i = 0; i < nx; i++) {
        if (Q[i * nx + i] < 0.0)
            return pb_error_set(err, PB_EINVAL, "plant_dlqr: Q[%zu][%zu] = %g < 0", i, i,
                                Q[i * nx + i]);
        for (size_t j = 0; j < i; j++)
            if (Q[i * nx + j] != Q[j * nx + i])
                return pb_error_set(err, PB_EINVAL, "plant_dlqr: Q is not symmetric");
    }
    for (size_t i = 0; i < nu; i++)
        for (size_t j = 0; j < i; j++)
            if (R[i * nu + j] != R[j * nu + i])
                return pb_error_set(err, PB_EINVAL, "plant_dlqr: R is not symmetric");

    if (dlqr_work_alloc(&w, nx, nu) != PB_SUCCESS) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory in plant_dlqr");
        goto out;
    }
    /* R must be positive definite; its Cholesky factor stays in w.S. */
    gsl_matrix_memcpy(w.S, &Rv.matrix);
    if (gsl_linalg_cholesky_decomp1(w.S) != GSL_SUCCESS) {
        rc = pb_error_set(err, PB_EINVAL, "plant_dlqr: R is not positive definite");
        goto out;
    }

    if (dare_sda(&w, &A.matrix, &B.matrix, &Qv.matrix) != PB_SUCCESS ||
        dare_iterate(&w, &A.matrix, &B.matrix, &Qv.matrix, &Rv.matrix, DLQR_POLISH_ITER) !=
            PB_SUCCESS) {
        rc = pb_error_set(err, PB_ENUMERIC,
                          "plant_dlqr: the Riccati equation has no stabilising solution (is "
                          "(A, B) stabilisable on the states Q weighs?)");
        goto out;
    }
    if (dlqr_gain(&w, &A.matrix, &B.matrix, &Rv.matrix) != PB_SUCCESS) {
        rc = pb_error_set(err, PB_ENUMERIC, "plant_dlqr: R + B'PB is not positive definite");
        goto out;
    }
    for (size_t i = 0; i < nu; i++)
        for (size_t j = 0; j < nx; j++)
            K[i * nx + j] = gsl_matrix_get(w.K, i, j);
    if (P)
        for (size_t i = 0; i < nx; i++)
            for (size_t j = 0; j < nx; j++)
                P[i * nx + j] = gsl_matrix_get(w.P, i, j);
out:
    dlqr_work_free(&w);
    return rc;
}

/* Ad (nx x nx) and Bd (nx x nu) of a type's affine sampled map (plant.h
 * map_d) at period T, by its differences from (x, u) along each unit vector
 * (exact for an affine map up to rounding). */
static int map_matrices(const plant *m, double T, const double x[], const double u[], double Ad[],
                        double Bd[], pb_error *err)
{
    const plant_type *t = m->type;
    size_t nx = t->nx, nu = t->nu;
    double xp[PLANT_NX_MAX], up[PLANT_NU_MAX], y0[PLANT_NX_MAX], y1[PLANT_NX_MAX];

    if (T != t->map_period)
        return pb_error_set(err, PB_EINVAL, "its sampled map is built for period %g, not %g",
                            t->map_period, T);
    memcpy(xp, x, nx * sizeof *x);
    memcpy(up, u, nu * sizeof *u);
    if (t->map_d(t->data, xp, up, m->p, y0) != PB_SUCCESS)
        return pb_error_set(err, PB_ENUMERIC, "its sampled map failed at the equilibrium");
    for (size_t j = 0; j < nx + nu; j++) {
        double *v = j < nx ? &xp[j] : &up[j - nx];
        *v += 1.0;
        if (t->map_d(t->data, xp, up, m->p, y1) != PB_SUCCESS)
            return pb_error_set(err, PB_ENUMERIC, "its sampled map failed near the equilibrium");
        *v -= 1.0;
        for (size_t i = 0; i < nx; i++) {
            if (j < nx)
                Ad[i * nx + j] = y1[i] - y0[i];
            else
                Bd[i * nu + (j - nx)] = y1[i] - y0[i];
        }
    }
    return PB_SUCCESS;
}

void plant_lqr_free(plant_lqr *c)
{
    if (!c)
        return;
    free(c->x_eq);
    free(c);
}

plant_lqr *plant_lqr_alloc(const plant *m, double T, const double q[], const double r[],
                           pb_error *err)
{
    const plant_type *t;
    size_t nx, nu;
    plant_lqr *c = NULL;
    double *w = NULL, *A, *B, *Ad, *Bd, *Q, *R;

    if (!m) {
        pb_error_set(err, PB_EINVAL, "plant_lqr_alloc: no model");
        return NULL;
    }
    t = m->type;
    nx = t->nx;
    nu = t->nu;
    if (plant_validate(m, err) != PB_SUCCESS)
        return NULL;
    if (!(isfinite(T) && T > 0.0)) {
        pb_error_set(err, PB_EINVAL, "LQR control period %g must be finite and > 0", T);
        return NULL;
    }
    q = q ? q : t->lqr_q;
    r = r ? r : t->lqr_r;
    for (size_t i = 0; i < nx; i++)
        if (!(isfinite(q[i]) && q[i] >= 0.0)) {
            pb_error_set(err, PB_EINVAL, "LQR weight q[%zu] (state %s) = %g must be finite, >= 0",
                         i, t->states[i].name, q[i]);
            return NULL;
        }
    for (size_t i = 0; i < nu; i++)
        if (!(isfinite(r[i]) && r[i] > 0.0)) {
            pb_error_set(err, PB_EINVAL, "LQR weight r[%zu] (input %s) = %g must be finite, > 0", i,
                         t->inputs[i].name, r[i]);
            return NULL;
        }

    c = calloc(1, sizeof *c);
    /* One block: x_eq, u_eq, K, u_lo, u_hi. */
    if (c)
        c->x_eq = calloc(nx + 3 * nu + nu * nx, sizeof *c->x_eq);
    /* Scratch: A, B, Ad, Bd, Q, R. */
    w = calloc(2 * nx * nx + 2 * nx * nu + nx * nx + nu * nu, sizeof *w);
    if (!c || !c->x_eq || !w) {
        pb_error_set(err, PB_ENOMEM, "out of memory building the LQR expert");
        goto fail;
    }
    c->nx = nx;
    c->nu = nu;
    c->u_eq = c->x_eq + nx;
    c->u_lo = c->u_eq + nu;
    c->u_hi = c->u_lo + nu;
    c->K = c->u_hi + nu;
    A = w;
    Ad = A + nx * nx;
    B = Ad + nx * nx;
    Bd = B + nx * nu;
    Q = Bd + nx * nu;
    R = Q + nx * nx;
    for (size_t i = 0; i < nx; i++)
        Q[i * nx + i] = q[i];
    for (size_t i = 0; i < nu; i++)
        R[i * nu + i] = r[i];

    plant_type_equilibrium(t, m->p, c->x_eq, c->u_eq);
    plant_type_input_limits(t, m->p, c->u_lo, c->u_hi);
    if (t->map_d) {
        /* A type with an exact sampled map (plant.h) is its own discretisation. */
        if (map_matrices(m, T, c->x_eq, c->u_eq, Ad, Bd, err) != PB_SUCCESS ||
            plant_dlqr(nx, nu, Ad, Bd, Q, R, c->K, NULL, err) != PB_SUCCESS) {
            pb_error_prefix(err, "LQR expert of plant '%s': ", t->name);
            goto fail;
        }
    } else if (plant_linearise(m, c->x_eq, c->u_eq, A, B, err) != PB_SUCCESS ||
        plant_discretise(nx, nu, A, B, T, Ad, Bd, err) != PB_SUCCESS ||
        plant_dlqr(nx, nu, Ad, Bd, Q, R, c->K, NULL, err) != PB_SUCCESS) {
        pb_error_prefix(err, "LQR expert of plant '%s': ", t->name);
        goto fail;
    }
    free(w);
    return c;

fail:
    free(w);
    plant_lqr_free(c);
    return NULL;
}

void plant_lqr_eval(const plant_lqr *c, const double x[], double u[])
{
    for (size_t i = 0; i < c->nu; i++) {
        double v = c->u_eq[i];
        for (size_t j = 0; j < c->nx; j++)
            v -= c->K[i * c->nx + j] * (x[j] - c->x_eq[j]);
        u[i] = v < c->u_lo[i] ? c->u_lo[i] : (v > c->u_hi[i] ? c->u_hi[i] : v);
    }
}
