/* tube.h: the certified closed-loop tube (docs/TUBE.md).
 *
 * Along one recorded original loop x_0, x_1, ... (a sim_trace of `run`), a
 * bound traj_dev_bound[k] >= ||x*(kT) - x^*(kT)|| where x* and x^* are the
 * EXACT solutions of the plant model as given (x' = f(x, u), the input held
 * over each period, the same initial state and the same disturbances) under
 * the original policy and under a pruned one.  Nothing is sampled or
 * estimated: every quantity is a ball of Arb (outward rounding), the flow of
 * one period and its Jacobian are enclosed by a validated integration
 * (a Picard a-priori box per substep, a Taylor form of the state whose
 * remainder lies in that box, and the Peano-Baker series of the variational
 * equation with its tail bounded), the policies by interval forward passes
 * with interval Jacobians.
 *
 * Each exact loop's state at row k lives in a set c_k + {w : ||R_k w||_2 <=
 * r_k}: a centre c_k (a double) plus a ball in the metric P_k = R_k^T R_k of
 * the time-varying Lyapunov recursion P_k = A_k^T P_{k+1} A_k + I of the
 * original loop linearised along the record, in which the nominal error
 * contracts.  One step is the mean-value form around the centre,
 *   x_{k+1} = Phi(c_k, a(c_k)) + (Phi_x + Phi_u J_a)(x_k - c_k),
 * with Phi(c_k, a(c_k)) enclosed from the point and Phi_x, Phi_u, J_a over the
 * set's box: the new centre is the enclosure's midpoint, its radius, the
 * interval widths and the rounding go into the ball (docs/TUBE.md, section 2).
 * Both loops (original and pruned) are enclosed this way from the same
 * initial state; traj_dev_bound = ||c^_k - c_k|| + (r^_k + r_k) ||R_k^{-1}||_2.
 *
 * Lifecycle: tube_alloc once per model, tube_prepare once per scenario (the
 * original loop's own enclosure and the metric), tube_eval once per variant.
 * Without Arb (PB_WITH_TUBE off) tube_alloc returns PB_EINVAL, and `run` and
 * `montecarlo` ignore bounds.tube (run says so). */
#ifndef PB_SIM_TUBE_TUBE_H
#define PB_SIM_TUBE_TUBE_H

#include <stddef.h>

#include "mlp.h"
#include "pb_error.h"
#include "sim.h"

/* The tube bounds the EXACT flows; a recorded traj_dev is the distance of
 * two numerical solutions (rk8pd at epsabs = epsrel = 1e-10 in the shipped
 * configs), which may exceed the exact distance by their integration errors.
 * A recorded row counts as a violation when traj_dev > traj_dev_bound +
 * TUBE_RECORD_ALLOWANCE. */
#define TUBE_RECORD_ALLOWANCE 1e-8

/* The method recorded beside every tube. */
#define TUBE_METHOD                                                                                \
    "arb-balls: validated flow (Picard box, Taylor-form state, Peano-Baker Jacobian), interval "   \
    "policy Jacobians, point + ball in the time-varying Lyapunov metric"

/* How finely the flow is enclosed.  Any values give a sound tube; they
 * trade width against time.  The flow from a set's centre takes
 * substeps_point substeps, and once more up to substeps_point_max when its
 * enclosure is wider than point_atol + point_rtol ||c^ - c|| (the current
 * distance of the two centres; point_atol alone for the original loop). */
typedef struct tube_opts {
    size_t substeps_point;     /* 4 */
    size_t substeps_point_max; /* 256 */
    double point_atol;         /* 1e-9 */
    double point_rtol;         /* 1e-4 */
    size_t substeps_set;       /* substeps of the flow Jacobian over a set (4) */
    size_t order;              /* terms of the Peano-Baker series kept before its tail (6) */
    size_t taylor;             /* degree in tau of the state's Taylor form per substep, 2..30 (4) */
    int differential;          /* 0: the centres (default); 1: per row the tighter of those and
                                  the differential step of the error set; 2: that step alone */
} tube_opts;

void tube_opts_init(tube_opts *o);

/* The method recorded beside a tube made with opts.differential = d (a
 * static string). */
const char *tube_method_name(int differential);

/* Non-zero when this build has the tube (Arb). */
int tube_is_available(void);

/* Non-zero when the plant type has the interval-Jacobian slot (jac_box). */
int tube_plant_is_supported(const plant_type *t);

typedef struct tube tube;

/* A workspace for model m (its plant, period, rows, input, reference, and
 * the original network's layout, which every variant shares).  NULL with
 * PB_EINVAL when the build has no Arb, the plant has no jac_box, the
 * original policy is not an MLP, or its observation map (m->obs) is not
 * recognised as affine in the states (plant_expr_map_affine; with a map
 * only opts.differential = 0); PB_ENOMEM. */
tube *tube_alloc(const sim_model *m, const tube_opts *o, pb_error *err);
void tube_free(tube *w);

/* Sets the plant parameters (np values, copied) of the loops that follow
 * (default: the model's nominal ones), e.g. a Monte Carlo sample's.
 * PB_SUCCESS; PB_EINVAL for values outside their ranges. */
int tube_set_params(tube *w, const double p[], pb_error *err);

/* Along the original loop of one scenario: orig (its trace; rows up to its
 * divergence) and dist [n_rows x nu] (the disturbance it received, or NULL).
 * Encloses the flow at the recorded states, the original loop's own exact
 * offset and the metric.  PB_SUCCESS (an enclosure that fails only ends the
 * tube early: tube_eval reports it); PB_EINVAL for a trace of another size. */
int tube_prepare(tube *w, const sim_trace *orig, const double dist[], pb_error *err);

/* The constants of the Lipschitz recursion of docs/BOUNDS.md section 6 as
 * the sampled ESTIMATE beside the tube: the largest spectral norms of the
 * one-period flow's Jacobians (Lx: in x, Lu: in u) and of the original
 * policy's Jacobian (Lpi) at the recorded states of the last tube_prepare.
 * Sampled maxima are lower bounds of the true constants: not a certificate.
 * NaN before tube_prepare or without Arb. */
void tube_lipschitz_sample(const tube *w, double *Lx, double *Lu, double *Lpi);

typedef struct tube_info {
    long uninformative_step; /* first row whose tube leaves the plant's state limits or is
                                infinite, -1 if none */
    double max_bound;        /* largest finite bound over the rows (NaN if none) */
    long rows_differential;  /* rows whose bound came from the differential step (the rest:
                                the two enclosures' centres and balls) */
} tube_info;

/* bound[k] (n_rows) >= ||x*(kT) - x^*(kT)|| for the pruned network net (same
 * layout as the original) against the original, at every row the original
 * loop reached; +inf once an enclosure failed (the tube is then not
 * informative), NaN at rows the original did not reach.  A network with the
 * original's weights and biases gets exactly 0 (one exact solution).  After
 * tube_prepare.
 * With opts.differential 0 no allocation; otherwise the pair's differential
 * certificate (bounds_diff_alloc) is built and freed here, once per call (a
 * pair it refuses leaves the centres alone).  PB_SUCCESS; PB_EINVAL for a
 * network of another layout; PB_ENOMEM. */
int tube_eval(tube *w, const mlp *net, double bound[], tube_info *info, pb_error *err);

#endif
