/* sim.h: the closed-loop engine.  An original policy and its pruned variants
 * drive the same plant from the same initial state and reference, each loop
 * with its own stepper; per control step the engine records states, policy
 * inputs and outputs, tracking errors, the actual action deviation and the
 * bounds of bounds.h (Shamrai, arXiv:2507.02953) at both loops' states.
 *
 * Layers (GSL step/evolve/driver style), each usable alone:
 *   sim_loop_step  one sampled step: policy input, action, hold, integrate;
 *   sim_run_single one loop over the horizon, recorded in a sim_trace;
 *   sim_run        one scenario: the original loop and every variant's loop,
 *                  compared step by step in a sim_result;
 * the study (every scenario, the results file) is a loop its caller owns.
 * Constant model, mutable data: `(const sim_model *m, sim_data *d, ...)`. */
#ifndef SIM_H
#define SIM_H

#include <stddef.h>

#include "bounds.h"
#include "mlp.h"
#include "pb_error.h"
#include "plant.h"
#include "plant_step.h"
#include "reference.h"

#define SIM_LABEL_MAX 64

/* What the policy sees. */
typedef enum sim_input {
    SIM_INPUT_ERROR = 0, /* s = x - r(t) (default) */
    SIM_INPUT_STATE      /* s = x */
} sim_input;

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
 * w_ik standard Gaussian draws (GSL mt19937 seeded with seed + scenario
 * index, drawn step by step, input by input), and d = 0 before start.  The
 * policies' outputs (u_orig, u_pruned, dev_actual) exclude d. */
typedef struct sim_disturbance {
    int on; /* 0: no disturbance */
    double start;
    double bias[PLANT_NU_MAX];
    double amplitude[PLANT_NU_MAX];
    double frequency[PLANT_NU_MAX]; /* Hz, >= 0 */
    double noise[PLANT_NU_MAX];     /* standard deviations, >= 0 */
    unsigned long seed;
} sim_disturbance;

/* The model of a study: read-only during runs, shared by threads. */
typedef struct sim_model {
    const plant *plant; /* borrowed */
    plant_integrator integ;
    double period;  /* control period (s) */
    size_t n_steps; /* control steps over the horizon; traces have n_steps + 1 rows */
    sim_ref ref;
    sim_input input;
    double stable_tol; /* stable: not diverged and max tracking error over the last
                          quarter of the horizon <= stable_tol (+inf: not diverged) */
    const mlp *orig;   /* borrowed */
    size_t n_variants;
    sim_variant *variants;      /* [n_variants] copies */
    bounds_model *bm_orig; /* of the original network */
    bounds_pair **pair;    /* [n_variants]: each variant against the original */
    sim_disturbance dist;       /* none unless sim_model_set_disturbance */
} sim_model;

/* Builds a model.  Checks that orig takes nx inputs and gives nu outputs,
 * that every variant has the original's shapes, the reference's size, the
 * integrator, period > 0 and horizon >= period; computes the spectral norms
 * of every layer and of every dW_k.  NULL on failure with PB_EINVAL (a
 * mismatch, with a message), PB_ENOMEM or PB_ENUMERIC in err. */
sim_model *sim_model_alloc(const plant *p, const plant_integrator *integ, double period,
                           double horizon, const sim_ref *ref, sim_input input, double stable_tol,
                           const mlp *orig, size_t n_variants, const sim_variant variants[],
                           pb_error *err);
void sim_model_free(sim_model *m);

/* Sets the input disturbance of every loop (before any sim_data_alloc).
 * PB_EINVAL for a non-finite entry, a negative frequency, noise or start. */
int sim_model_set_disturbance(sim_model *m, const sim_disturbance *dist, pb_error *err);

/* The workspace of one thread: steppers and forward-pass buffers. */
typedef struct sim_data sim_data;
sim_data *sim_data_alloc(const sim_model *m, pb_error *err);
void sim_data_free(sim_data *d);

/* Draws the disturbance sequence of scenario `scenario` into d (seed +
 * scenario for the noise); sim_run then applies it to every loop.  A new
 * workspace holds scenario 0's.  No allocation. */
void sim_disturbance_draw(const sim_model *m, sim_data *d, size_t scenario);

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
    int stable;
    double rms_track; /* RMS tracking error over the rows reached */
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

/* The sampled step (zero-order hold): s = input(x, ref), u = net(s) with its
 * output map, then x advances over one period from time t with u + dist held
 * (dist [nu], NULL: none).  Returns plant_stepper_apply's code (PB_EDIVERGED,
 * PB_ENUMERIC).  No allocation.  w must be a workspace of net. */
int sim_loop_step(const sim_model *m, plant_stepper *st, const mlp *net, mlp_work *w, double t,
                  double x[], const double ref[], const double dist[], double s[], double u[]);

/* The policy input of a loop at state x and reference ref (n_in = nx). */
void sim_input_eval(const sim_model *m, const double x[], const double ref[], double s[]);

/* At policy input s (n_in): the actual deviation ||pi(s) - pi^_v(s)|| of
 * variant v with its certified error, its forward-pass and closed-form
 * bounds and their verdict (bounds_pair_eval, as recorded by sim_run), and
 * the running maxima of the per-layer coefficients in csup[n_layers].  Uses
 * d's forward-pass buffers only (not its steppers); no allocation.  For loops
 * their caller owns (the Monte Carlo study, sim/mc.c). */
void sim_deviation_eval(const sim_model *m, sim_data *d, size_t v, const double s[],
                        bounds_point *pt, double csup[]);

/* Runs net alone from x0, with the disturbance drawn in d, and records tr
 * (shapes of the model: sim_result.orig or a trace from sim_trace_init).
 * After a divergence at step k the rows from k on are NaN.  PB_SUCCESS (a
 * divergence is an outcome, recorded in tr->diverged_step). */
int sim_run_single(const sim_model *m, sim_data *d, const mlp *net, const double x0[],
                   sim_trace *tr, pb_error *err);

/* Runs the original and every variant from x0, all with the disturbance
 * drawn in d, and fills r: traces, deviations, bounds, summaries, the
 * disturbance; accumulates C_sup.  PB_SUCCESS. */
int sim_run(const sim_model *m, sim_data *d, const double x0[], sim_result *r, pb_error *err);

/* A trace for model m (zeroed); sim_trace_free releases its arrays. */
int sim_trace_init(sim_trace *tr, const sim_model *m, pb_error *err);
void sim_trace_free(sim_trace *tr);

/* Calibration states for the second-order pruning methods: `trajectories`
 * closed-loop runs of the ORIGINAL policy from x0s[i % n_x0] (n_x0 x nx)
 * plus Gaussian noise of standard deviation `noise` (GSL mt19937, `seed`),
 * without the model's disturbance;
 * every policy input s reached is a row of *X (n x n_in, malloc'd, owned by
 * the caller).  PB_EINVAL when no state was reached. */
int sim_calibrate(const sim_model *m, sim_data *d, size_t n_x0, const double x0s[],
                  size_t trajectories, double noise, unsigned long seed, double **X, size_t *n,
                  pb_error *err);

#endif
