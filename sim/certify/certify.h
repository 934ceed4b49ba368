/* certify.h: how far a policy may be pruned and still keep its action within
 * eps of the original's on a set of states (docs/BOUNDS.md section 5), the
 * library behind `prunebound certify`.
 *
 * certify_alloc computes, per layer k, the guaranteed sup_X ||h_k|| (closed
 * form and interval propagation, the smaller used) and the admissible
 * perturbation ||dW_k||_2 <= eps / (g D_k sup_X ||h_k||).  certify_check
 * prunes with a method and checks the certificate; certify_search bisects
 * the largest certified sparsity on a 1 % grid.  Every code is a pb_error
 * code with the message in err. */
#ifndef PB_SIM_CERTIFY_CERTIFY_H
#define PB_SIM_CERTIFY_CERTIFY_H

#include <stddef.h>

#include "bounds.h"
#include "mlp.h"
#include "pb_error.h"
#include "prune.h"

/* A progress hook: done of total steps of the current search (certify_search:
 * bisection steps; certify_diff_profile: grid sparsities). */
typedef void (*certify_progress_fn)(void *ctx, size_t done, size_t total);

typedef struct certify {
    const mlp *m;      /* borrowed */
    bounds_model *bm;  /* the policy's cache (owned) */
    double eps;        /* > 0, after the output map */
    /* [n_layers] each: guaranteed sup_X ||h_k||, closed form, interval
     * propagation and the smaller of the two; admissible ||dW_k||_2 */
    double *sup_closed, *sup_ibp, *sup, *adm;
    /* calibration states of the methods with a Hessian (borrowed; n x n_in) */
    const double *X;
    size_t n_calib;
    double *dWn; /* [n_layers] scratch: the pruned network's ||dW_k||_2 */
    double *w;   /* spectral-norm and interval workspace */
    certify_progress_fn progress; /* NULL (after certify_alloc): silent */
    void *progress_ctx;
} certify;

/* Number of bisection steps certify_search takes at most (ceil(log2 100)). */
#define CERTIFY_SEARCH_STEPS 7

/* The certificate's constants of policy m over the set X (checked with
 * bounds_set_validate) for threshold eps > 0.  NULL on failure. */
certify *certify_alloc(const mlp *m, const bounds_set *X, double eps, pb_error *err);
void certify_free(certify *c);

/* The calibration states of methods that need a Hessian: borrowed, n x n_in. */
void certify_set_calibration(certify *c, const double X[], size_t n);

/* n states drawn uniformly from X into x (n x X->n): per coordinate in a
 * box; in a ball, a Gaussian direction at radius R U^(1/dim).  Deterministic
 * for a seed. */
int certify_sample_states(const bounds_set *X, size_t n, unsigned long seed, double x[],
                          pb_error *err);

/* What pruning to check: a method, unstructured at a sparsity or N:M. */
typedef struct certify_pruning {
    const prune_method *method;
    size_t nm_n, nm_m; /* 0, 0: unstructured */
} certify_pruning;

/* *q = c's policy with the layers sel[0..n_sel) (1-based) pruned at
 * sparsity s (ignored for N:M), exactly as `prune` prunes them (the
 * calibration states of certify_set_calibration for methods with a Hessian).
 * The caller frees *q.  PB_EINVAL without the calibration a method needs. */
int certify_prune(const certify *c, const certify_pruning *p, const size_t sel[], size_t n_sel,
                  double s, mlp **q, pb_error *err);

/* Prunes the layers sel[0..n_sel) (1-based) at sparsity s (ignored for N:M)
 * and checks the certificate: one layer, ||dW_k||_2 <= adm[k]; several, the
 * telescoping sum over X (with the pruned network's D^) <= eps.  *ok is the
 * verdict, *value ||dW_k||_2 (one layer) or the sum. */
int certify_check(certify *c, const certify_pruning *p, const size_t sel[], size_t n_sel,
                  double s, int *ok, double *value, pb_error *err);

/* The largest sparsity on the 1 % grid (0 to 0.99) that certify_check
 * certifies, by bisection; *value at that sparsity (0 at sparsity 0).  That
 * it is the largest assumes ||dW|| grows with the sparsity; the sparsity
 * found was pruned and checked.  Reports each step of at most
 * CERTIFY_SEARCH_STEPS to c->progress, the last as done = total. */
int certify_search(certify *c, const certify_pruning *p, const size_t sel[], size_t n_sel,
                   double *best, double *value, pb_error *err);

#endif
