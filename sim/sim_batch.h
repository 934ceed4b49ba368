/* sim_batch.h: the fast batched closed-loop engine for many initial states
 * (Monte Carlo sized studies; bench/mc_quad).  It computes what sim_run
 * computes for one variant, without a disturbance, with the policy seeing the
 * state (SIM_INPUT_STATE, setpoint 0) and the fixed-step RK4 of plant_rk4.h
 * ("rk4fixed" with `substeps` per period), and keeps summary rows only:
 *   - both loops side by side, original and pruned, from the same x0;
 *   - at every row k = 0..n_steps of the pruned loop: the actual deviation
 *     ||pi(s) - pi^(s)|| and the multi-layer forward-pass bound
 *     bounds_multi_eval(pruned model, ||h_k(s)|| of the original, ||dW_k||,
 *     ||db_k||) (Shamrai, arXiv:2507.02953; docs/BOUNDS.md section 4);
 *   - ||x_orig - x_pruned|| while both loops are alive.
 * How it is fast (docs/PERFORMANCE.md): blocks of SIM_BATCH_BLOCK states whose
 * two loops are integrated together in structure-of-arrays form
 * (plant_rk4_batch_apply, vectorised sin/cos), each layer of each policy one
 * dgemm over the block, the sigmoid through libmvec's vector exp, one pthread
 * per slice of the states, no allocation or lock inside the loop.  Results
 * equal sim_run's to rounding (tests/test_speed_paths.c: 1e-12). */
#ifndef SIM_BATCH_H
#define SIM_BATCH_H

#include <stddef.h>

#include "mlp.h"
#include "pb_error.h"
#include "plant.h"

#define SIM_BATCH_BLOCK 128 /* states per block (2 x 128 rows per GEMM) */

/* The constant model, shared by threads. */
typedef struct sim_batch_model sim_batch_model;

/* A model for plant p with control period `period` > 0, `substeps` > 0 RK4
 * steps per period, `n_steps` > 0 periods, policies orig and pruned (same
 * shapes, n_in = nx, n_out = nu; borrowed, they must outlive the model).
 * Computes the pruned network's bounds cache and ||dW_k||_2, ||db_k||.  NULL
 * on failure with PB_EINVAL (a mismatch, with a message), PB_ENOMEM or
 * PB_ENUMERIC in err. */
sim_batch_model *sim_batch_model_alloc(const plant *p, double period, size_t substeps,
                                       size_t n_steps, const mlp *orig, const mlp *pruned,
                                       pb_error *err);
void sim_batch_model_free(sim_batch_model *m);

/* The summary row of one initial state. */
typedef struct sim_batch_row {
    double max_dev_actual;  /* max over the pruned loop's reached rows of ||pi(s) - pi^(s)|| */
    double max_dev_bound;   /* max of the forward-pass bound over the same rows */
    double max_traj_dev;    /* max ||x_orig - x_pruned|| over the rows both loops reached */
    double final_norm_orig; /* ||x|| at the last row, NaN when the loop diverged */
    double final_norm_pruned;
    long diverged_orig;     /* first row not reached (sim_trace.diverged_step), -1 if none */
    long diverged_pruned;
    long violations; /* rows where the deviation exceeds the bound (bounds_is_violated): 0 */
} sim_batch_row;

/* Workspace of one thread, sized for SIM_BATCH_BLOCK states. */
typedef struct sim_batch_work sim_batch_work;
sim_batch_work *sim_batch_work_alloc(const sim_batch_model *m, pb_error *err);
void sim_batch_work_free(sim_batch_work *w);

/* Runs the n initial states X0 (n x nx, row-major) on the calling thread and
 * fills rows[n]; xf_orig, xf_pruned (n x nx each, may be NULL) receive the
 * final states (NaN rows for a diverged loop).  No allocation. */
void sim_batch_eval(const sim_batch_model *m, sim_batch_work *w, size_t n, const double X0[],
                    sim_batch_row rows[], double xf_orig[], double xf_pruned[]);

/* The same over n_threads >= 1 pthreads, each with its own workspace and a
 * contiguous slice of the states.  BLAS calls run inside the threads: link
 * a BLAS that is thread safe and keep its own threads at 1 (OpenBLAS:
 * openblas_set_num_threads(1)) to avoid oversubscription.  PB_SUCCESS;
 * PB_EINVAL for n_threads = 0, PB_ENOMEM, PB_EINTERNAL when a thread cannot
 * be started. */
int sim_batch_run(const sim_batch_model *m, size_t n_threads, size_t n, const double X0[],
                  sim_batch_row rows[], double xf_orig[], double xf_pruned[], pb_error *err);

#endif
