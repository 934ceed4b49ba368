/* bounds.h: the action-deviation bounds of a pruned MLP policy (Shamrai,
 * arXiv:2507.02953, 2025), as derived and proved in docs/BOUNDS.md.
 *
 * Notation (0-based layer index k: layers[k] is the paper's layer k+1, its
 * input is h_k = mlp_work_hidden(w, k), h_0 = s the network input after the
 * input map):
 *   z_k = W_k h_k + b_k,  h_{k+1} = sigma_k(z_k),  l_k = Lip(sigma_k),
 *   D_k = l_k * prod_{j>k} (l_j ||W_j||_2)            (downstream factor),
 *   g   = max_i |out_scale_i|                          (output gain).
 * Changed layers K (W_k -> W_k + dW_k, b_k -> b_k + db_k, dW_k the full
 * difference, OBS or SparseGPT compensation included):
 *   ||pi(x) - pi_hat(x)|| <= g * sum_{k in K} D^_k (||dW_k|| ||h_k(s)|| + ||db_k||)
 * with D^_k built from the PRUNED network's norms and h_k the ORIGINAL's
 * (forward-pass form); the closed form replaces ||h_k(s)|| by eta_k(||s||).
 *
 * Every bound here is a theorem about the exact (real-arithmetic) networks
 * whose weights are the stored doubles, evaluated in floating point: spectral
 * norms are certified upper bounds (pb_norm.h), every product and sum of a
 * bound is rounded up, a hidden norm read off a computed forward pass carries
 * the pass's rounding error (section 7 of docs/BOUNDS.md), and a computed
 * deviation comes with a certified error, so that bounds_check calls a
 * deviation above its bound a violation only when it is one.
 *
 * Everything here is a pure function of its arguments: no globals, no
 * allocation except in the `_alloc` constructors, workspaces from the caller. */
#ifndef PB_BOUNDS_BOUNDS_H
#define PB_BOUNDS_BOUNDS_H

#include <stddef.h>

#include "mlp.h"
#include "pb_error.h"
#include "pb_norm.h"

/* The rounding of one evaluation of activation a as mlp.c computes it:
 * |fl(sigma(z)) - sigma(z)| <= *rel |fl(sigma(z))| + *abs (docs/BOUNDS.md
 * section 7; tanh and the sigmoid assume libm within 16 ulp). */
void bounds_act_rounding(mlp_act a, double *rel, double *abs);

/* ---- The per-policy cache ---- */

typedef struct bounds_layer {
    size_t n_in, n_out;
    double W_norm;  /* >= ||W_k||_2 (pb_spectral_norm) */
    double W_fro;   /* >= ||W_k||_F, which bounds || |W_k| ||_2 (forward error) */
    double b_norm;  /* >= ||b_k||_2 */
    double lip;     /* l_k, Lipschitz constant of sigma_k */
    double act0;    /* |sigma_k(0)| (1/2 for the sigmoid) */
    double act_rel; /* rounding of sigma_k: |fl(sigma(z)) - sigma(z)| <= act_rel |fl(sigma(z))| */
    double act_abs; /*                                                   + act_abs */
    /* Constants of the forward error (bounds_pass_from_norms), rounded up:
     * gamma_{n_in+1}, sqrt(n_out) (n_in + 1) eta (underflow in z), and
     * sqrt(n_out) act_abs. */
    double fe_gamma, fe_under, fe_act_abs;
} bounds_layer;

typedef struct bounds_model {
    size_t n_layers, n_in, n_out;
    bounds_layer *layers; /* [n_layers] */
    double *down;         /* [n_layers]: >= D_k = l_k prod_{j>k} l_j ||W_j|| */
    double gain;          /* output gain g = mlp_output_gain (exact) */
    double in_gain;       /* max_i |in_scale_i| (1 without an input map) */
    int in_map;           /* the policy has an input map (its rounding enters h_0) */
    int out_affine;       /* the policy has an output offset and scale */
    double out_off_norm;  /* >= ||out_offset|| (0 without) */
    /* The maps' rounding, rounded up: 2 gamma_2 and 2 eta (sqrt(n) + 1). */
    double fe_map_rel, fe_in_abs, fe_out_abs;
} bounds_model;

/* Builds the cache of policy m (one certified spectral norm per layer).  The
 * model does not reference m afterwards.  NULL on failure with the reason in
 * err (PB_EINVAL for an invalid network, PB_ENOMEM). */
bounds_model *bounds_model_alloc(const mlp *m, pb_error *err);
void bounds_model_free(bounds_model *bm);

/* Global Lipschitz constant of the policy x -> u with both maps, rounded up:
 * in_gain * prod_j l_j ||W_j|| * gain (a certified constant). */
double bounds_policy_lipschitz(const bounds_model *bm);

/* ---- What a computed forward pass tells about the exact one ---- */

/* hc[j] >= ||h^_j|| (pb_norm2_upper) for the hidden vectors h[0..L] of one
 * computed forward pass of the network of bm at one input: h[0] the network
 * input after the input map, h[L] the network output before the output map,
 * as mlp_eval leaves them (mlp_work_hidden). */
void bounds_pass_norms(const bounds_model *bm, const double *const h[], double hc[]);

/* From the norms hc[0..L] of one computed pass (bounds_pass_norms):
 *   hnorm[k] >= ||h_k|| of the EXACT pass at the same policy input, k = 0..L-1;
 *   *out_err >= ||u_computed - u_exact||, the policy output after the output map.
 * The exact pass applies the stored weights in real arithmetic; the computed
 * one is mlp_eval's (or a batched GEMM's: any order of summation), whose
 * rounding docs/BOUNDS.md section 7 bounds layer by layer.  out_err may be
 * NULL.  No allocation. */
void bounds_pass_from_norms(const bounds_model *bm, const double hc[], double hnorm[],
                            double *out_err);

/* Both steps from the workspace of the last mlp_eval / mlp_eval_net of the
 * network of bm. */
void bounds_pass_eval_work(const bounds_model *bm, const mlp_work *w, double hnorm[],
                           double *out_err);

/* ---- Per-state bounds ---- */

/* eta[k] >= ||h_k(s)|| for every s with ||s|| <= s_norm (k = 0..n_layers-1),
 * rounded up: eta_0 = s_norm,
 * eta_{k+1} = l_k (||W_k|| eta_k + ||b_k||) + |sigma_k(0)| sqrt(n_out_k). */
void bounds_eta_eval(const bounds_model *bm, double s_norm, double eta[]);

/* The forward-pass coefficient g * D_k * hnorm_k of layer k (rounded up),
 * hnorm_k >= ||h_k||: the deviation per unit ||dW_k||_2 when only layer k
 * changes (the paper's C_k(s)). */
double bounds_forward_coeff(const bounds_model *bm, size_t k, double hnorm_k);

/* The telescoping sum (docs/BOUNDS.md section 3), rounded up:
 *   g * sum_k D^_k (dW_norm[k] * hnorm[k] + db_norm[k])
 * where `pruned` is the model of the PRUNED network (its D^_k), hnorm[k] is
 * an upper bound of ||h_k|| of the ORIGINAL network (bounds_pass_from_norms at one
 * state, eta[k] for the closed form, a sup over a set), dW_norm[k] >=
 * ||W^_k - W_k||_2 (0 for an unchanged layer) and db_norm[k] >= ||b^_k - b_k||
 * (db_norm NULL: biases equal).  With one changed layer this is the paper's
 * C_k(s) ||dW_k|| (the downstream layers are equal, so D^_k = D_k).  The
 * mirror telescoping (3') holds too: pass the ORIGINAL's model and the
 * PRUNED network's hidden norms. */
double bounds_multi_eval(const bounds_model *pruned, const double hnorm[], const double dW_norm[],
                         const double db_norm[]);

/* What the files that record bounds say of their arithmetic (attribute
 * `bound_arithmetic`). */
#define BOUNDS_ARITHMETIC                                                                      \
    "certified: spectral norms, hidden norms with the forward pass's rounding, every "       \
    "product and sum rounded up; a violation means dev_actual - dev_actual_err > bound "     \
    "(docs/BOUNDS.md section 7)"

/* How a computed deviation compares with a bound. */
typedef enum bounds_verdict {
    BOUNDS_HOLDS = 0,    /* actual <= bound */
    BOUNDS_ATTAINED = 1, /* actual > bound, but actual - err <= bound: attained to rounding */
    BOUNDS_VIOLATED = 2  /* actual - err > bound, or a NaN: the exact deviation exceeds it (a bug) */
} bounds_verdict;

/* The verdict for a computed deviation `actual` with certified error `err`
 * (|actual - exact| <= err) against an upper bound of the exact deviation. */
bounds_verdict bounds_check(double actual, double err, double bound);

/* ---- A policy and its pruned twin ---- */

/* What comparing two policies of the same shape needs, fixed before any
 * state: the pruned network's cache and the certified norms of every layer's
 * change. */
typedef struct bounds_pair {
    size_t n_layers;
    const bounds_model *orig; /* borrowed: the original's cache */
    bounds_model *pruned;     /* owned */
    double *dW_norm;          /* [n_layers] >= ||W^_k - W_k||_2 */
    double *db_norm;          /* [n_layers] >= ||b^_k - b_k|| */
    unsigned char *changed;   /* [n_layers] 1 where the weights or biases differ */
    size_t n_changed;
} bounds_pair;

/* Checks that `pruned` has orig's layer shapes, activations and maps (the
 * bounds assume only weights and biases changed), PB_EINVAL with a message
 * naming the layer or the map otherwise. */
int bounds_pair_check(const mlp *orig, const mlp *pruned, pb_error *err);

/* The pair's constants; bm_orig is the cache of orig (borrowed, it must
 * outlive the pair).  NULL on failure: PB_EINVAL (bounds_pair_check), PB_ENOMEM. */
bounds_pair *bounds_pair_alloc(const mlp *orig, const bounds_model *bm_orig, const mlp *pruned,
                               pb_error *err);
void bounds_pair_free(bounds_pair *p);

/* The deviation and the bounds of the pair at one policy input. */
typedef struct bounds_point {
    double actual;       /* computed ||pi(x) - pi^(x)|| (pb_norm2_diff: no overflow or underflow) */
    double actual_err;   /* certified |actual - exact deviation| */
    double bound;        /* the forward-pass bound (3) */
    double bound_closed; /* the closed form */
    bounds_verdict verdict; /* of actual against both bounds (the worse) */
} bounds_point;

/* At one policy input, from a computed forward pass of each network there:
 * hco[0..L] (bounds_pass_norms of the original's pass) and uo (its output
 * after the output map), hcp[0..L] and up (the pruned network's).
 * hnorm[n_layers] receives the original's certified hidden norms (for C_k,
 * bounds_forward_coeff); eta is scratch of n_layers.  No allocation. */
void bounds_pair_eval(const bounds_pair *p, const double hco[], const double uo[],
                      const double hcp[], const double up[], double hnorm[], double eta[],
                      bounds_point *out);

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

/* *smax >= max_{x in X} ||s||, s the input-mapped x (exact up to outward
 * rounding for a box). */
int bounds_set_input_norm_max(const mlp *m, const bounds_set *X, double *smax, pb_error *err);

/* Length of the interval arrays of bounds_ibp_eval: sum of the widths of
 * h_0 .. h_L; bounds_ibp_offset(m, j) is where h_j's entries start. */
size_t bounds_ibp_size(const mlp *m);
size_t bounds_ibp_offset(const mlp *m, size_t j);

/* Interval bound propagation over X, rounded outward: lo[i] <= h_j(x)_i <=
 * hi[i] for every x in X and the exact network, every layer j = 0..L
 * (entries at bounds_ibp_offset(m, j)).  Box: z = W mid + b +- |W| rad; ball:
 * the first layer exactly, z_i = c_i +- R ||row_i(W_1 diag(in_scale))||.
 * Activations are monotone.  lo and hi hold bounds_ibp_size(m) doubles.
 * PB_EINVAL for a bad set. */
int bounds_ibp_eval(const mlp *m, const bounds_set *X, double lo[], double hi[], pb_error *err);

/* Upper bounds of sup_{x in X} ||h_k(s)|| for k = 0..L-1: sup_closed[k] =
 * eta_k(smax), sup_ibp[k] = the largest norm of the IBP box, and sup[k] their
 * minimum (all three guarantees; sup_closed and sup_ibp may be NULL).  w holds
 * 2 * bounds_ibp_size(m) doubles.  bm must be the model of m. */
int bounds_set_hidden_sup(const mlp *m, const bounds_model *bm, const bounds_set *X, double w[],
                          double sup_closed[], double sup_ibp[], double sup[], pb_error *err);

/* Admissible perturbation per layer for a control-error threshold eps > 0,
 * rounded down: adm[k] <= eps / (g * D_k * sup[k]) (+inf when the denominator
 * is 0), so that ||dW_k||_2 <= adm[k] guarantees ||pi - pi_hat|| <= eps on X
 * when only layer k changes.  PB_EINVAL for eps <= 0 or not finite. */
int bounds_admissible_eval(const bounds_model *bm, const double sup[], double eps, double adm[],
                           pb_error *err);

/* ---- Closed loop (an estimate unless the constants are exact) ---- */

/* The trajectory-deviation recursion (docs/BOUNDS.md section 6), rounded up:
 *   e[0] = e0,  e[t+1] = (Lx + Lu * Lpi) e[t] + Lu * dev[t],  t = 0..n-1,
 * for the sampled plant x+ = F(x, u) with ||F(x,u) - F(x',u')|| <= Lx ||x - x'||
 * + Lu ||u - u'||, the policy's Lipschitz constant Lpi and dev[t] a bound of
 * ||pi(x^_t) - pi^(x^_t)|| at the pruned loop's state.  A bound only when Lx
 * and Lu are (for a linear model, from A_d and B_d); no command records it.
 * e holds n + 1 values.  PB_EINVAL for a negative or non-finite constant. */
int bounds_loop_eval(double Lx, double Lu, double Lpi, double e0, size_t n, const double dev[],
                     double e[], pb_error *err);

/* *L = max_i of a certified upper bound of ||J_i||_2 over n_samples
 * row-major rows x cols matrices J (n_samples x rows x cols).  For the
 * Jacobians Ad, Bd of a linear (discretised) model this bounds the
 * Lipschitz constant; for Jacobians sampled along a nonlinear plant it is an
 * ESTIMATE (it may miss the sup over the region), never a certificate.  w
 * holds pb_spectral_work_size(rows, cols) doubles.  PB_EINVAL for
 * n_samples = 0 or a bad matrix. */
int bounds_lipschitz_from_jacobians(size_t n_samples, size_t rows, size_t cols, const double J[],
                                    double w[], double *L, pb_error *err);

#endif
