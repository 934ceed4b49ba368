/* bounds_diff.h: certificates that use the actual pair (original, pruned)
 * over a region, and a per-state bound that knows the activations
 * (docs/BOUNDS.md sections 11 and 12).
 *
 * Differential certificate: for a box X of policy states (before the input
 * map) and two networks of the same shape, *upper >= sup_{x in X}
 * ||pi(x) - pi^(x)||_2 after the output map, for the exact networks whose
 * weights are the stored doubles.  Both networks and their difference
 * delta_k = h^_k - h_k are propagated jointly with intervals (ReluDiff,
 * Paulsen et al., ICSE 2020), intersected with a mean-value (centred) form
 * built from interval Jacobians of both networks and with symbolic (linear)
 * bounds of h, h^ and delta in the input (ReluDiff, NeuroDiff), every
 * operation rounded outward; then the box is split (best first) within a
 * budget.  *lower is the
 * largest computed deviation found by projected gradient ascent from seeded
 * starts, the centre, the corners (few inputs) and the centres of the boxes.
 *
 * Local bound: at one state, a bound valid for EVERY perturbation dW'_k with
 * ||dW'_k||_2 <= rho_k (one ball per changed layer; bias changes
 * ||db'_k|| <= beta_k), from the unperturbed pass widened entrywise by the
 * layer-by-layer radius of the hidden deviation, the secant slopes of the
 * activations over those intervals, and a CROWN-style backward
 * pass (Zhang et al., NeurIPS 2018) of interval row vectors.
 *
 * Pure functions over the borrowed networks and caller workspaces; the only
 * allocation is in the `_alloc` constructors. */
#ifndef PB_BOUNDS_BOUNDS_DIFF_H
#define PB_BOUNDS_BOUNDS_DIFF_H

#include <stddef.h>

#include "mlp.h"
#include "pb_error.h"

/* ---- The differential certificate over a box ---- */

/* What a pair needs before any box: both networks (borrowed: they must
 * outlive it) and the stored differences fl(W^_k - W_k), fl(b^_k - b_k). */
typedef struct bounds_diff bounds_diff;

/* Checks the pair with bounds_pair_check (same shapes, activations, maps) and
 * stores the differences.  NULL on failure: PB_EINVAL, PB_ENOMEM. */
bounds_diff *bounds_diff_alloc(const mlp *orig, const mlp *pruned, pb_error *err);
void bounds_diff_free(bounds_diff *d);

/* The budget and the search.  Deterministic for a seed when max_seconds is 0. */
typedef struct bounds_diff_opts {
    size_t max_splits;      /* box splits of the branch and bound (0: the whole box only) */
    double max_seconds;     /* wall-clock budget of the splits, 0 = none (then deterministic) */
    double rtol;            /* stop splitting once upper <= (1 + rtol) * lower */
    size_t n_starts;        /* random starts of the gradient ascent (besides the centre) */
    size_t n_steps;         /* ascent steps per start */
    size_t max_corner_dims; /* the 2^n corners are evaluated when n_in <= this */
    unsigned long long seed;
} bounds_diff_opts;

/* max_splits 1000, no time limit, rtol 0.01, 32 starts of 40 steps, corners
 * up to 10 inputs, seed 1. */
void bounds_diff_opts_init(bounds_diff_opts *o);

typedef struct bounds_diff_result {
    double upper;       /* >= sup_X ||pi - pi^|| of the exact networks (certified) */
    double root_upper;  /* the same before any split */
    double lower;       /* largest computed deviation found, attained at x_lower */
    double lower_err;   /* >= |lower - exact deviation at x_lower| (pass rounding) */
    size_t n_splits;    /* splits made */
    size_t n_open;      /* boxes left open when the budget ran out (0: finished) */
    size_t n_evals;     /* policy-pair evaluations of the search */
} bounds_diff_result;

/* Workspace of one certificate call: box storage for max_splits splits and
 * forward-pass workspaces for both networks.  NULL on failure (PB_ENOMEM). */
typedef struct bounds_diff_work bounds_diff_work;
bounds_diff_work *bounds_diff_work_alloc(const bounds_diff *d, size_t max_splits, pb_error *err);
void bounds_diff_work_free(bounds_diff_work *w);

/* The certificate over the box lo <= x <= hi (n_in each, policy states before
 * the input map).  x_lower (n_in) receives the state attaining r->lower.
 * w must come from bounds_diff_work_alloc with at least o->max_splits.
 * PB_EINVAL for a bad box or options (with a message), PB_ENOMEM never (no
 * allocation here). */
int bounds_diff_eval(const bounds_diff *d, const double lo[], const double hi[],
                     const bounds_diff_opts *o, bounds_diff_work *w, double x_lower[],
                     bounds_diff_result *r, pb_error *err);

/* The root certificate of a box alone (no split, no search): *upper as in
 * bounds_diff_eval with max_splits 0. */
int bounds_diff_box_upper(const bounds_diff *d, const double lo[], const double hi[],
                          bounds_diff_work *w, double *upper, pb_error *err);

/* ---- The activation-aware per-state bound ---- */

/* Doubles of workspace bounds_local_eval needs for network m. */
size_t bounds_local_work_size(const mlp *m);

/* At the policy state x (before the input map) of network m (the ORIGINAL):
 *   *local >= sup ||pi_{W + dW'}(x) - pi_W(x)||  over ||dW'_k||_2 <= rho[k],
 *             ||db'_k|| <= beta[k] (beta NULL: biases fixed),
 * every layer k at once (rho[k] = 0: layer k fixed), certified and rounded up;
 * *out = min(*local, dev_bound), dev_bound the forward-pass bound (3) of the
 * actual pair at x (pass +inf to skip), which bounds that pair only.
 * w holds bounds_local_work_size(m) doubles.  PB_EINVAL for a negative or
 * non-finite radius or a non-finite x; PB_ENUMERIC never in practice (a
 * failed certified norm falls back to Frobenius inside pb_spectral_norm). */
int bounds_local_eval(const mlp *m, const double x[], const double rho[], const double beta[],
                      double dev_bound, double w[], double *local, double *out, pb_error *err);

#endif
