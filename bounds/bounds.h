/* bounds.h: the action-deviation bounds of a pruned MLP policy (Shamrai,
 * arXiv:2507.02953, 2025), as derived and proved in docs/BOUNDS.md.
 *
 * Notation (0-based layer index k: layers[k] is the paper's layer k+1, its
 * input is h_k = mlp_work_hidden(w, k), h_0 = s the network input after the
 * input map):
 *   z_k = W_k h_k + b_k,  h_{k+1} = sigma_k(z_k),  l_k = Lip(sigma_k),
 *   D_k = l_k * prod_{j>k} (l_j ||W_j||_2)            (downstream factor),
 *   g   = max_i |out_scale_i|                          (output gain).
 * One changed layer k (W_k -> W_k + dW_k, dW_k the full difference, OBS or
 * SparseGPT compensation included):
 *   ||pi(x) - pi_hat(x)|| <= g * D_k * ||h_k(s)|| * ||dW_k||_2     (forward-pass form)
 *                         <= g * D_k * eta_k(||s||) * ||dW_k||_2  (closed form)
 * Several changed layers K, bias changes db_k included (telescoping sum):
 *   ||pi(x) - pi_hat(x)|| <= g * sum_{k in K} D^_k (||dW_k|| ||h_k(s)|| + ||db_k||)
 * with D^_k built from the PRUNED network's norms and h_k the ORIGINAL's.
 *
 * Everything here is a pure function of its arguments: no globals, no
 * allocation except in the `_alloc` constructors, workspaces from the caller.
 * The bounds hold in exact arithmetic; evaluated in double precision they
 * carry relative rounding far below BOUNDS_RELTOL, the tolerance with which
 * a deviation is compared to a bound (bounds_is_violated). */
#ifndef BOUNDS_H
#define BOUNDS_H

#include <stddef.h>

#include "mlp.h"
#include "pb_error.h"

/* Relative tolerance for comparing a computed deviation with a computed
 * bound: rounding in the SVD, the forward passes and the products. */
#define BOUNDS_RELTOL 1e-12

/* ---- Spectral norms (largest singular value: GSL Jacobi SVD, or the Gram matrix's eigenvalues) ---- */

/* Matrices whose smaller dimension exceeds this take the Gram-matrix route
 * of bounds_spectral_norm (the Jacobi SVD costs seconds beyond it). */
#define BOUNDS_JACOBI_MAX 256

/* Number of doubles of workspace that bounds_spectral_norm needs for a
 * rows x cols matrix: max*min + min*min + 3*min, with max/min of rows, cols. */
size_t bounds_spectral_work_size(size_t rows, size_t cols);

/* *norm = ||A||_2 of the row-major rows x cols matrix A, the largest singular
 * value from gsl_linalg_SV_decomp_jacobi (never a power iteration); when
 * min(rows, cols) > BOUNDS_JACOBI_MAX, the square root of the largest
 * eigenvalue of A^T A (gsl_eigen_symm) plus a rounding allowance, so that the
 * value never falls below ||A||_2 (relative excess ~1e-9 at 1024).  w holds
 * bounds_spectral_work_size(rows, cols) doubles.  PB_EINVAL for a zero size
 * or a non-finite entry, PB_ENUMERIC when the SVD does not converge. */
int bounds_spectral_norm(size_t rows, size_t cols, const double A[], double w[], double *norm,
                         pb_error *err);

/* *norm = ||B - A||_2 (the perturbation dW = W_hat - W), same workspace and
 * codes as bounds_spectral_norm. */
int bounds_spectral_norm_diff(size_t rows, size_t cols, const double A[], const double B[],
                              double w[], double *norm, pb_error *err);

/* Euclidean norm of x (n) (CBLAS dnrm2; 0 for n = 0). */
double bounds_norm2(size_t n, const double x[]);

/* ---- The per-policy cache ---- */

typedef struct bounds_layer {
    size_t n_in, n_out;
    double W_norm; /* ||W_k||_2 */
    double b_norm; /* ||b_k||_2 */
    double lip;    /* l_k, Lipschitz constant of sigma_k */
    double act0;   /* |sigma_k(0)| (1/2 for the sigmoid) */
} bounds_layer;

typedef struct bounds_model {
    size_t n_layers, n_in, n_out;
    bounds_layer *layers; /* [n_layers] */
    double *down;         /* [n_layers]: D_k = l_k prod_{j>k} l_j ||W_j|| */
    double gain;          /* output gain g = mlp_output_gain */
    double in_gain;       /* max_i |in_scale_i| (1 without an input map) */
} bounds_model;

/* Builds the cache of policy m (one SVD per layer).  The model does not
 * reference m afterwards.  NULL on failure with the reason in err (PB_EINVAL
 * for an invalid network, PB_ENOMEM, PB_ENUMERIC). */
bounds_model *bounds_model_alloc(const mlp *m, pb_error *err);
void bounds_model_free(bounds_model *bm);

/* Global Lipschitz constant of the policy x -> u with both maps:
 * in_gain * prod_j l_j ||W_j|| * gain (a certified constant). */
double bounds_policy_lipschitz(const bounds_model *bm);

/* ---- Per-state bounds ---- */

/* hnorm[k] = ||h_k|| for k = 0..n_layers-1, the norms of every layer's input
 * left in w by the last mlp_eval / mlp_eval_net of the network of bm. */
void bounds_hidden_norms(const bounds_model *bm, const mlp_work *w, double hnorm[]);

/* eta[k] >= ||h_k(s)|| for every s with ||s|| <= s_norm (k = 0..n_layers-1):
 * eta_0 = s_norm, eta_{k+1} = l_k (||W_k|| eta_k + ||b_k||) + |sigma_k(0)| sqrt(n_out_k). */
void bounds_eta_eval(const bounds_model *bm, double s_norm, double eta[]);

/* Forward-pass coefficient g * D_k * ||h|| of layer k, h (n_in of layer k)
 * its input: the deviation per unit ||dW_k||_2. */
double bounds_forward_coeff(const bounds_model *bm, size_t k, const double h[]);

/* One changed layer k: g * D_k * ||h|| * dW_norm (forward-pass form). */
double bounds_forward_eval(const bounds_model *bm, size_t k, const double h[], double dW_norm);

/* One changed layer k: g * D_k * eta_k(s_norm) * dW_norm (closed form). */
double bounds_closed_eval(const bounds_model *bm, size_t k, double s_norm, double dW_norm);

/* Several changed layers (telescoping sum, docs/BOUNDS.md section 4):
 *   g * sum_k D^_k (dW_norm[k] * hnorm[k] + db_norm[k])
 * where `pruned` is the model of the PRUNED network (its D^_k), hnorm[k] is
 * ||h_k|| of the ORIGINAL network or any upper bound of it (eta[k] for the
 * closed form, a sup over a set), dW_norm[k] = ||W^_k - W_k||_2 (0 for an
 * unchanged layer) and db_norm[k] = ||b^_k - b_k|| (db_norm NULL: biases equal).
 * The mirror telescoping (3') holds too: pass the ORIGINAL's model and the
 * PRUNED network's hidden norms (what the pruned loop's own forward pass
 * leaves in its workspace), which saves a forward pass of the original. */
double bounds_multi_eval(const bounds_model *pruned, const double hnorm[], const double dW_norm[],
                         const double db_norm[]);

/* Non-zero when a computed deviation exceeds a computed bound beyond rounding:
 * actual > bound * (1 + BOUNDS_RELTOL), or either is NaN. */
int bounds_is_violated(double actual, double bound);

/* ---- Over a set of states ---- */

typedef enum bounds_set_kind { BOUNDS_SET_BOX = 0, BOUNDS_SET_BALL } bounds_set_kind;

/* A set of policy states x (before the input map) of dimension n. */
typedef struct bounds_set {
    bounds_set_kind kind;
    size_t n;
    const double *lo, *hi; /* box: [n] each, lo <= hi */
    const double *center;  /* ball: [n], or NULL for the origin */
    double radius;         /* ball: R >= 0, ||x - center||_2 <= R */
} bounds_set;

/* Checks X against policy m (dimension, finite numbers, lo <= hi, R >= 0);
 * PB_EINVAL with a message. */
int bounds_set_validate(const mlp *m, const bounds_set *X, pb_error *err);

/* *smax >= max_{x in X} ||s||, s the input-mapped x (exact for a box). */
int bounds_set_input_norm_max(const mlp *m, const bounds_set *X, double *smax, pb_error *err);

/* Length of the interval arrays of bounds_ibp_eval: sum of the widths of
 * h_0 .. h_L; bounds_ibp_offset(m, j) is where h_j's entries start. */
size_t bounds_ibp_size(const mlp *m);
size_t bounds_ibp_offset(const mlp *m, size_t j);

/* Interval bound propagation over X: lo[i] <= h_j(x)_i <= hi[i] for every x
 * in X, every layer j = 0..L (entries at bounds_ibp_offset(m, j)).  Box:
 * z = W mid + b +- |W| rad; ball: the first layer exactly, z_i = c_i +-
 * R ||row_i(W_1 diag(in_scale))||.  Activations are monotone.  lo and hi hold
 * bounds_ibp_size(m) doubles.  PB_EINVAL for a bad set. */
int bounds_ibp_eval(const mlp *m, const bounds_set *X, double lo[], double hi[], pb_error *err);

/* Upper bounds of sup_{x in X} ||h_k(s)|| for k = 0..L-1: sup_closed[k] =
 * eta_k(smax), sup_ibp[k] = the largest norm of the IBP box, and sup[k] their
 * minimum (all three guarantees; sup_closed and sup_ibp may be NULL).  w holds
 * 2 * bounds_ibp_size(m) doubles.  bm must be the model of m. */
int bounds_set_hidden_sup(const mlp *m, const bounds_model *bm, const bounds_set *X, double w[],
                          double sup_closed[], double sup_ibp[], double sup[], pb_error *err);

/* Admissible perturbation per layer for a control-error threshold eps > 0:
 * adm[k] = eps / (g * D_k * sup[k]) (+inf when the denominator is 0), so that
 * ||dW_k||_2 <= adm[k] guarantees ||pi - pi_hat|| <= eps on X when only
 * layer k changes.  PB_EINVAL for eps <= 0 or not finite. */
int bounds_admissible_eval(const bounds_model *bm, const double sup[], double eps, double adm[],
                           pb_error *err);

/* ---- Closed loop ---- */

/* The trajectory-deviation recursion (docs/BOUNDS.md section 6):
 *   e[0] = e0,  e[t+1] = (Lx + Lu * Lpi) e[t] + Lu * dev[t],  t = 0..n-1,
 * for the sampled plant x+ = F(x, u) with ||F(x,u) - F(x',u')|| <= Lx ||x - x'||
 * + Lu ||u - u'||, the policy's Lipschitz constant Lpi and dev[t] a bound of
 * ||pi(x^_t) - pi^(x^_t)|| at the pruned loop's state.  e holds n + 1 values.
 * PB_EINVAL for a negative or non-finite constant. */
int bounds_loop_eval(double Lx, double Lu, double Lpi, double e0, size_t n, const double dev[],
                     double e[], pb_error *err);

/* *L = max_i ||J_i||_2 over n_samples row-major rows x cols matrices J
 * (n_samples x rows x cols).  For the Jacobians Ad, Bd of a linear
 * (discretised) model this is the exact Lipschitz constant; for Jacobians
 * sampled along a nonlinear plant it is an ESTIMATE (a lower bound of the
 * true sup over the region), never a certificate.  w as for
 * bounds_spectral_norm.  PB_EINVAL for n_samples = 0 or a bad matrix. */
int bounds_lipschitz_from_jacobians(size_t n_samples, size_t rows, size_t cols, const double J[],
                                    double w[], double *L, pb_error *err);

#endif
