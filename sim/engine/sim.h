/* sim.h: the closed-loop engine.  The one place where a plant is stepped
 * under a policy: `run`, `montecarlo`, calibration, the imitation-training
 * rollouts, `plants --demo` and the benchmark all drive it.
 *
 * Constant model, mutable data (MuJoCo): a sim_model (plant, integrator,
 * period, horizon, policy input, reference, outcome criterion, the original
 * policy and its pruned variants, the bound caches) is read-only once built
 * and shared by threads; a sim_lanes holds B lanes, each one (sample, policy)
 * pair, in structure-of-arrays form, with per-lane parameters, limits and
 * integrators.  A block is every policy over up to SIM_BLOCK samples.  The
 * caller owns the loop over rows (GSL step/evolve/driver):
 *
 *     sim_lanes_start(m, d, &block, err);
 *     for (k = 0; k <= m->n_steps; k++) {
 *         sim_lanes_eval(m, d);          row k: policy inputs, actions, deviations, bounds
 *         ... fold sim_lanes_row(d) ...  traces, summary rows, calibration states
 *         if (k < m->n_steps) sim_lanes_advance(m, d, err);   one control period
 *     }
 *
 * Policies run as batched forward passes (mlp_eval_soa), whose rows do not
 * depend on the other lanes of the batch (mlp.h): a lane's results are the
 * same bits in any block, on any thread, in `run` as in `montecarlo`.  With
 * the fixed-step "rk4fixed" integrator every lane of a block advances in one
 * batched RK4 step over the plant type's batched right-hand side; the other
 * GSL steppers run lane by lane. */
#ifndef PB_SIM_ENGINE_SIM_H
#define PB_SIM_ENGINE_SIM_H

#include <stddef.h>

#include "bounds.h"
#include "mlp.h"
#include "pb_error.h"
#include "plant.h"
#include "plant_step.h"
#include "plant_user.h"
#include "sim_ref.h"

#define SIM_LABEL_MAX 64
#define SIM_BLOCK     64 /* samples per block: lanes of one policy fill whole kernel tiles */

/* What the policy sees. */
typedef enum sim_input {
    SIM_INPUT_ERROR = 0, /* s = x - r(t) (default) */
    SIM_INPUT_STATE      /* s = x */
} sim_input;

/* ---- The outcome of one loop: one criterion for every command ---- */

typedef enum sim_outcome {
    SIM_CONVERGED = 0, /* reached every row, tracking error <= tol at every row of the tail */
    SIM_BOUNDED = 1,   /* reached every row, not converged */
    SIM_DIVERGED = 2   /* left the plant's limits, became non-finite, failed to integrate, or its
                          tracking error exceeded radius */
} sim_outcome;

/* "converged", "bounded", "diverged"; NULL out of range. */
const char *sim_outcome_name(sim_outcome o);

typedef struct sim_criterion {
    double tol;    /* converged: tracking error <= tol at every row of the tail */
    double tail;   /* the tail: rows k >= n_steps - floor(tail n_steps), 0 < tail <= 1 */
    double radius; /* diverged as soon as the tracking error exceeds radius (+inf: limits only) */
} sim_criterion;

/* tol 0.05, tail 0.25, radius +inf. */
void sim_criterion_init(sim_criterion *c);
/* PB_EINVAL unless tol >= 0, 0 < tail <= 1, radius > 0 (messages name criterion.*). */
int sim_criterion_validate(const sim_criterion *c, pb_error *err);
/* The first row of the tail. */
size_t sim_criterion_tail_start(const sim_criterion *c, size_t n_steps);

/* The tracking statistics of one loop, row by row. */
typedef struct sim_track {
    size_t reached;       /* rows reached */
    double sum2;          /* sum of their squared tracking errors */
    double tail_max;      /* largest error over the tail (rows reached) */
    double tail_first;    /* ... over the first half of the tail */
    double tail_second;   /* ... over the second half */
    long diverged_step;   /* first row not reached, -1 if none */
} sim_track;

void sim_track_init(sim_track *t);
/* Row k was reached with tracking error e (k counted from 0 to n_steps). */
void sim_track_add(sim_track *t, const sim_criterion *c, size_t n_steps, size_t k, double e);
/* Row k was not reached: the loop diverged there (the first call counts). */
void sim_track_diverge(sim_track *t, size_t k);
sim_outcome sim_track_outcome(const sim_track *t, const sim_criterion *c);
/* Non-zero for a bounded loop that is still converging: its largest error
 * over the second half of the tail is at most SIM_STILL_CONVERGING (0.95)
 * times that over the first half, so a longer horizon may well converge it.
 * A steady offset or oscillation keeps both maxima within a few per cent of
 * each other and is not flagged. */
#define SIM_STILL_CONVERGING 0.95
int sim_track_still_converging(const sim_track *t, const sim_criterion *c);
/* RMS tracking error over the rows reached (NaN for none). */
double sim_track_rms(const sim_track *t);
/* Largest tracking error over the tail, NaN when the loop diverged. */
double sim_track_tail_err(const sim_track *t);

/* ---- Policies and the model ---- */

/* A policy the engine can run: an MLP (batched forward passes, bounds), or
 * a callback such as the LQR expert (lane by lane, no bounds). */
typedef struct sim_policy {
    const mlp *net;                                      /* the network, or NULL */
    void (*eval)(void *ctx, const double s[], double u[]); /* u = pi(s) when net is NULL */
    void *ctx;
} sim_policy;

#define SIM_OBS_MAX PLANT_NX_MAX /* outputs of an observation map */

/* A pruned policy to compare with the original (borrowed network). */
typedef struct sim_variant {
    char label[SIM_LABEL_MAX]; /* "magnitude_s0.50", "sparsegpt_2:4" */
    char method[32];
    double sparsity;
    char pattern[16]; /* "unstructured" or "N:M" */
    const mlp *net;   /* same layer shapes as the original; outlives the model */
} sim_variant;

/* An input disturbance that every loop of a scenario receives alike: the
 * plant is driven with u + d(t_k) over step k, where for t_k >= start
 *   d_i(t_k) = bias_i + amplitude_i sin(2 pi frequency_i t_k) + noise_i w_ik,
 * w_ik standard Gaussian draws, and d = 0 before start.  The policies'
 * outputs (u_orig, u_pruned, dev_actual) exclude d. */
typedef struct sim_disturbance {
    int on; /* 0: no disturbance */
    double start;
    double bias[PLANT_NU_MAX];
    double amplitude[PLANT_NU_MAX];
    double frequency[PLANT_NU_MAX]; /* Hz, >= 0 */
    double noise[PLANT_NU_MAX];     /* standard deviations, >= 0 */
    unsigned long seed;             /* `run`: scenario i draws from mt19937 seeded seed + i */
} sim_disturbance;

/* The model of a study: read-only during runs, shared by threads. */
typedef struct sim_model {
    const plant *plant; /* borrowed; its parameters are the nominal ones */
    plant_integrator integ;
    double period;  /* control period (s) */
    size_t n_steps; /* control steps over the horizon; rows 0..n_steps */
    sim_ref ref;
    sim_input input;
    sim_criterion crit;
    sim_policy orig_policy; /* policy 0 */
    const mlp *orig;        /* orig_policy.net (NULL for a callback) */
    const plant_expr_map *obs; /* the observation map (sim_model_alloc_observed) or NULL */
    size_t n_in;            /* what the policies see: nx, or the observation map's outputs */
    size_t n_variants;      /* policies 1..n_variants */
    sim_variant *variants;  /* [n_variants] copies */
    size_t n_policies;      /* 1 + n_variants */
    bounds_model *bm_orig;  /* of the original network (NULL for a callback) */
    bounds_pair **pair;     /* [n_variants]: each variant against the original */
    sim_disturbance dist;   /* none unless sim_model_set_disturbance */
    int dev_at_orig;        /* evaluate each variant at the original loop's states too (default 1) */
    int batched;            /* "rk4fixed" with substeps: every lane in one batched RK4 step */
    int bound_local;        /* also evaluate dev_bound_local (bounds_local_eval) at every
                               variant lane's state, and at_orig's (default 0: no cost) */
} sim_model;

/* Builds a model.  Checks that the original maps nx inputs to nu outputs
 * (for an MLP), that every variant has its shapes, activations and maps, the
 * reference's size, the integrator, the criterion, period > 0 and horizon >=
 * period; computes the certified norms of every layer and of every dW_k.
 * Variants need an MLP original.  NULL on failure with PB_EINVAL (a mismatch,
 * with a message), PB_ENOMEM or PB_ENUMERIC in err. */
sim_model *sim_model_alloc(const plant *p, const plant_integrator *integ, double period,
                           double horizon, const sim_ref *ref, sim_input input,
                           const sim_criterion *crit, const sim_policy *orig, size_t n_variants,
                           const sim_variant variants[], pb_error *err);
void sim_model_free(sim_model *m);

/* The same with an observation map: when obs is not NULL (borrowed, it must
 * outlive the model) every policy sees s = g(x, r, t) instead of x - r or x
 * (input is then not used), where g is an expression map (plant_user.h)
 * over the names [states..., r_<state> for each state..., t] in that order
 * with at most SIM_OBS_MAX outputs, and the networks take that many
 * inputs.  A non-finite feature ends the loop at that row (diverged).
 * sim_model_alloc is this with obs = NULL. */
sim_model *sim_model_alloc_observed(const plant *p, const plant_integrator *integ, double period,
                                    double horizon, const sim_ref *ref, sim_input input,
                                    const plant_expr_map *obs, const sim_criterion *crit,
                                    const sim_policy *orig, size_t n_variants,
                                    const sim_variant variants[], pb_error *err);

/* Sets the input disturbance of the model's scenarios (before any workspace).
 * PB_EINVAL for a non-finite entry, a negative frequency, noise or start. */
int sim_model_set_disturbance(sim_model *m, const sim_disturbance *dist, pb_error *err);

/* ---- Lanes ---- */

/* One block's inputs: n <= SIM_BLOCK samples, every policy on each. */
typedef struct sim_block {
    size_t n;
    const double *x0;     /* [n x nx] initial states */
    const double *params; /* [n x np] plant parameters per sample, or NULL for the nominal */
    const double *u_add;  /* [n x (n_steps + 1) x nu] added to every loop's input over step k, or
                             NULL; a caller may fill row k of it up to the advance of row k */
    const double *x_meas; /* [n x (n_steps + 1) x nx] added to the state the policies see at
                             row k, or NULL */
} sim_block;

typedef struct sim_lanes sim_lanes;

/* A workspace for blocks of up to max_samples samples (clamped to 1 ..
 * SIM_BLOCK) times every policy of m. */
sim_lanes *sim_lanes_alloc(const sim_model *m, size_t max_samples, pb_error *err);
void sim_lanes_free(sim_lanes *d);

/* Starts a block at row 0: lane p * n + j runs policy p on sample j.  A lane
 * whose initial state is outside its limits does not reach row 0.  PB_EINVAL
 * for n = 0 or more samples than the workspace holds, or parameters outside
 * their ranges.  No allocation. */
int sim_lanes_start(const sim_model *m, sim_lanes *d, const sim_block *b, pb_error *err);

/* Evaluates the current row k of every lane: the tracking error (a lane whose
 * error exceeds the criterion's radius does not reach the row), the policy
 * inputs and the policies (batched), the deviations and bounds of every
 * variant lane at its own state and, with dev_at_orig, at the original
 * lane's state of its sample.  No allocation. */
void sim_lanes_eval(const sim_model *m, sim_lanes *d);

/* Advances every lane that reached row k over one control period with its
 * action plus the block's u_add held (saturated by the plant's input
 * limits); a lane that leaves its limits, becomes non-finite or fails to
 * integrate does not reach row k + 1.  PB_SUCCESS (a divergence is an
 * outcome); PB_EINVAL after the last row. */
int sim_lanes_advance(const sim_model *m, sim_lanes *d, pb_error *err);

/* What sim_lanes_eval leaves for the current row, for lanes l < n_lanes. */
typedef struct sim_row {
    size_t k, n, n_lanes, ld; /* row, samples, lanes, stride of the lane arrays */
    double t;                 /* k * period */
    const double *ref;        /* [nx] r(t) */
    const double *x;          /* [nx x ld] the state (NaN in a lane that did not reach the row) */
    const double *s;          /* [n_in x ld] what each lane's policy saw (NaN likewise) */
    const double *u;          /* [nu x ld] each policy's output after its output map, before
                                 u_add (NaN likewise) */
    const double *track;      /* [ld] tracking error ||x - r|| (NaN likewise) */
    const unsigned char *reached;  /* [ld] 1 when the lane reached the row */
    const bounds_point *dev;       /* [ld] lane (j, v > 0): at its own state */
    const bounds_point *dev_orig;  /* [ld] lane (j, v > 0): variant v at lane (j, 0)'s state,
                                      when that lane reached the row and m->dev_at_orig (NaN
                                      otherwise) */
    const double *hn_orig;         /* [ld x L] lane (j, v > 0): certified ||h_k|| of the
                                      ORIGINAL network at the lane's input (its C_k(s) = g D_k
                                      hn, bounds.h; NaN where not reached) */
    const double *hc_orig;         /* [(L + 1) x ld] the computed norms of the original's
                                      hidden layers h_0 .. h_L at every lane's input (for
                                      bounds_pass_from_norms; the original's own lanes only
                                      with dev_at_orig or sim_lanes_orig_norms); NULL for a
                                      callback policy */
    const sim_track *tracks;       /* [ld] tracking statistics up to this row */
    const double *dev_local;       /* [ld] lane (j, v > 0): min(dev_bound_local, dev_bound) at
                                      its own state (docs/BOUNDS.md section 12); NULL unless
                                      m->bound_local, NaN where dev is */
    const double *dev_local_orig;  /* [ld] the same at lane (j, 0)'s state, beside dev_orig */
} sim_row;

const sim_row *sim_lanes_row(const sim_lanes *d);

/* Whether sim_lanes_eval computes hc_orig at the original policy's own lanes
 * (lane j < n) when the model does not evaluate deviations there (dev_at_orig
 * = 0): on by default (sim_run's C_sup needs them); a fold that reads only
 * the variant lanes' bounds (Monte Carlo) turns it off. */
void sim_lanes_orig_norms(sim_lanes *d, int on);

/* ---- `run`: one scenario, every loop recorded ---- */

/* The workspace of `run`'s scenario fold: the lanes and the scenarios'
 * disturbances. */
typedef struct sim_data sim_data;
/* For blocks of up to max_scenarios scenarios (clamped to 1 .. SIM_BLOCK). */
sim_data *sim_data_alloc(const sim_model *m, size_t max_scenarios, pb_error *err);
void sim_data_free(sim_data *d);

/* One loop over the horizon (n_rows = n_steps + 1 rows; row k is time k T,
 * the last row's action is evaluated but not applied).  Matrices row-major. */
typedef struct sim_trace {
    size_t n_rows, nx, nu, n_in;
    double *t;          /* [n_rows] */
    double *x;          /* [n_rows x nx] */
    double *s;          /* [n_rows x n_in] policy input */
    double *u;          /* [n_rows x nu] policy output after the output map */
    double *ref;        /* [n_rows x nx] */
    double *track_err;  /* [n_rows] */
    long diverged_step; /* first step whose state was not reached, -1 if none */
    sim_outcome outcome;
    int still_converging;
    double rms_track; /* RMS tracking error over the rows reached */
    double tail_err;  /* largest tracking error over the tail (NaN when diverged) */
} sim_trace;

/* One variant against the original over one scenario. */
typedef struct sim_compare {
    sim_trace pruned;
    double *traj_dev;           /* [n_rows] ||x_orig - x_pruned|| */
    double *dev_actual;         /* [n_rows] ||pi(s) - pi^(s)||, s the pruned loop's input */
    double *dev_bound;          /* [n_rows] forward-pass bound at that s */
    double *dev_bound_closed;   /* [n_rows] closed-form bound at that s */
    double *dev_actual_at_orig; /* [n_rows] the same three at the original loop's s */
    double *dev_bound_at_orig;
    double *dev_bound_closed_at_orig;
    double *dev_bound_local;         /* [n_rows] min(dev_bound_local, dev_bound) at s (NaN when
                                        the model's bound_local is off) */
    double *dev_bound_local_at_orig; /* [n_rows] the same at the original loop's s */
    double max_dev_bound_local;      /* over both sets of states (NaN when off) */
    /* Summary over both sets of states. */
    double max_dev_actual, max_dev_bound, tightness;
    long violations; /* states where the exact deviation exceeds a bound (bounds_check): 0 */
    long attained;   /* states where the computed deviation is above a bound by rounding only */
} sim_compare;

/* The outcome of one scenario, reused from one scenario to the next. */
typedef struct sim_result {
    size_t n_variants, n_layers;
    sim_trace orig;
    sim_compare *cmp; /* [n_variants] */
    /* Running maxima over every state seen since sim_result_alloc:
     * C_sup[v * n_layers + k] = sup g D_k ||h_k(s)|| (bounds_forward_coeff of
     * the original network) over the states of variant v's two loops;
     * C_sup_orig over the original loop's states. */
    double *C_sup;      /* [n_variants x n_layers] */
    double *C_sup_orig; /* [n_layers] */
    double *dist;       /* [n_rows x nu] the disturbance of the last scenario run (zeros: none) */
} sim_result;

sim_result *sim_result_alloc(const sim_model *m, pb_error *err);
void sim_result_free(sim_result *r);

/* Runs scenarios first .. first + n - 1 (1 <= n <= max_scenarios of d) as one block:
 * scenario first + j starts at x0s[j * nx ..], every loop of it receives the
 * model's disturbance drawn for it (mt19937 seeded seed + first + j for the
 * noise), and fills r[j]: traces, deviations, bounds, outcomes, summaries,
 * the disturbance; accumulates r[j]'s C_sup.  A scenario's results do not
 * depend on the others of its block (sim_lanes).  PB_SUCCESS; PB_EINVAL for
 * n out of range or an initial state of the wrong size. */
int sim_run(const sim_model *m, sim_data *d, size_t n, size_t first, const double x0s[],
            sim_result *const r[], pb_error *err);

/* How many scenarios sim_run should take at once so that their results fit
 * in `budget` bytes (1 .. SIM_BLOCK). */
size_t sim_run_block_size(const sim_model *m, size_t budget);

/* A trace for model m (zeroed); sim_trace_free releases its arrays. */
int sim_trace_init(sim_trace *tr, const sim_model *m, pb_error *err);
void sim_trace_free(sim_trace *tr);

/* Calibration states for the second-order pruning methods: `trajectories`
 * closed-loop runs of the ORIGINAL policy from x0s[i % n_x0] (n_x0 x nx)
 * plus Gaussian noise of standard deviation `noise` (GSL mt19937, `seed`),
 * without the model's disturbance; every policy input s reached is a row of
 * *X (n x n_in, malloc'd, owned by the caller).  PB_EINVAL when no state was
 * reached. */
int sim_calibrate(const sim_model *m, sim_data *d, size_t n_x0, const double x0s[],
                  size_t trajectories, double noise, unsigned long seed, double **X, size_t *n,
                  pb_error *err);

#endif
