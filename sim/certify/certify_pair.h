/* certify_pair.h: the differential certificate of an actual pair (original,
 * pruned) over a set of states, and the largest sparsity whose actually
 * pruned policy it certifies (`prunebound certify -p` and `--differential`;
 * docs/BOUNDS.md sections 11 and 14).
 *
 * A box is certified as it is (bounds_diff_eval).  A ball ||x - c|| <= R is
 * certified over its bounding box [c - R, c + R]: a superset, so
 * max_deviation_upper bounds the ball too, while max_deviation_lower and the
 * state attaining it are those of the box (the state may lie outside the
 * ball).  Every code is a pb_error code with the message in err. */
#ifndef PB_SIM_CERTIFY_CERTIFY_PAIR_H
#define PB_SIM_CERTIFY_CERTIFY_PAIR_H

#include <stddef.h>

#include "bounds.h"
#include "bounds_diff.h"
#include "certify.h"
#include "mlp.h"
#include "pb_error.h"

/* Sparsities of the grid: i / 100 for i = 0 .. CERTIFY_GRID - 1. */
#define CERTIFY_GRID 100

/* The box the certificate of policy m runs over (lo, hi: X->n each): X
 * itself, or the bounding box of a ball, rounded outward.  PB_EINVAL for a
 * set bounds_set_validate refuses. */
int certify_set_box(const mlp *m, const bounds_set *X, double lo[], double hi[], pb_error *err);

/* The certificate of the pair over X: r->upper = max_deviation_upper,
 * r->lower = max_deviation_lower attained at x_lower (n_in).  Allocates the
 * certificate's workspace for this call only.  PB_EINVAL for a pair of
 * different shapes or a bad set or options, PB_ENOMEM. */
int certify_pair_eval(const mlp *orig, const mlp *pruned, const bounds_set *X,
                      const bounds_diff_opts *o, double x_lower[], bounds_diff_result *r,
                      pb_error *err);

/* The differential profile of a pruning: for every grid sparsity i / 100,
 * the selected layers of c's policy pruned exactly as certify_check prunes
 * them (certify_prune), and the certificate of that pair over the box
 * [lo, hi]: upper[i] and lower[i] (CERTIFY_GRID each).  A candidate whose
 * weights equal the previous candidate's reuses its result.  N:M patterns
 * are refused (PB_EINVAL): they have no sparsity grid.  Reports i of
 * CERTIFY_GRID before each sparsity, and CERTIFY_GRID at the end, to
 * c->progress. */
int certify_diff_profile(certify *c, const certify_pruning *p, const size_t sel[], size_t n_sel,
                         const double lo[], const double hi[], const bounds_diff_opts *o,
                         double upper[], double lower[], pb_error *err);

/* The largest grid sparsity i / 100 with v[i] <= eps (v = a profile's upper:
 * the differential certified sparsity; its lower: the empirical one).
 * Sparsity 0 counts as met (the unpruned policy; its deviation is 0).
 * Monotone in eps by construction: the set {i : v[i] <= eps} grows with
 * eps.  No assumption that v grows with the sparsity. */
double certify_diff_sparsity(const double v[], double eps);

#endif
