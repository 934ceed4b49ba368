/* certify_states.h: the deviation of a policy pair and its certified bounds
 * on given states (the library behind `prunebound bound`; docs/BOUNDS.md
 * sections 3 and 7).  The caller owns the loop over states:
 *
 *     certify_states *r = certify_states_alloc(orig, pruned, n, X, &err);
 *     while (r->done < r->n)
 *         certify_states_step(r, 4096);       (progress between steps)
 *     certify_states_finish(r);
 *     certify_states_write(r, path, names, &err);
 *     certify_states_free(r);
 */
#ifndef PB_SIM_CERTIFY_CERTIFY_STATES_H
#define PB_SIM_CERTIFY_CERTIFY_STATES_H

#include <stddef.h>

#include "bounds.h"
#include "mlp.h"
#include "pb_error.h"

typedef struct certify_states {
    const mlp *orig, *pruned; /* borrowed */
    const double *X;          /* borrowed: n x n_in states, in the policy's state space */
    size_t n, done;           /* states, and states evaluated so far */
    bounds_model *bm;         /* the original's cache */
    bounds_pair *pair;        /* what changed: dW_norm, db_norm, changed[] per layer */
    /* [n] each: computed ||pi(x) - pi^(x)||, its certified rounding error,
     * the forward-pass and closed-form bounds, and actual / bound */
    double *actual, *actual_err, *bound, *closed, *tight;
    double max_actual, max_bound, max_closed, max_tight;
    double median_tight;      /* after certify_states_finish */
    long long violations;     /* actual - actual_err > a bound (a bug) */
    long long attained;       /* above a bound by less than the rounding error */
    long long *changed;       /* [n_layers] 1 where the weights or biases differ */
    /* [n] dev_bound_local: min(the activation-aware bound of every perturbation
     * of the pair's layer norms, bounds_local_eval, dev_bound), never above
     * bound; NaN where it failed (a non-finite state) */
    double *local;
    double max_local;
    /* private */
    mlp_work *wo, *wp;
    double *scratch;
    const double **hptr;
    double *lw; /* bounds_local_work_size doubles */
} certify_states;

/* Checks that pruned has orig's shape (bounds_pair_check) and allocates the
 * evaluation of the n states X (n x orig->n_in).  NULL on failure. */
certify_states *certify_states_alloc(const mlp *orig, const mlp *pruned, size_t n,
                                     const double X[], pb_error *err);

/* Evaluates the next count states (fewer at the end): two forward passes
 * each, the bounds from their norms and the local bound (at most 2 + n_out
 * passes, docs/BOUNDS.md section 12).  No allocation. */
void certify_states_step(certify_states *r, size_t count);

/* After the last step: the median tightness. */
void certify_states_finish(certify_states *r);

/* The names the file records of its inputs. */
typedef struct certify_states_names {
    const char *original, *pruned, *states;
} certify_states_names;

/* Writes the bound file of docs/RESULTS.md (datasets of length n and the
 * per-layer attributes) through common/h5, atomically (path.tmp renamed). */
int certify_states_write(const certify_states *r, const char *path,
                         const certify_states_names *names, pb_error *err);

void certify_states_free(certify_states *r);

#endif
