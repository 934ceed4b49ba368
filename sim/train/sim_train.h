/* sim_train.h: imitation of a plant's LQR expert by an MLP policy.
 *
 * The policy tracks through its input: it sees the tracking error
 * e = x - ref, for a setpoint at the equilibrium e = x - x*, and the expert
 * it imitates is u = sat(u* - K e) (plant_lqr.h).  Data (pairs e -> u):
 *   phase 0: closed-loop rollouts of the expert from initial errors drawn
 *            uniformly in the box |e_i| <= box_i; as many rollouts again with
 *            Gaussian noise on the applied input (labels stay the expert's
 *            clean action); optional states drawn uniformly from the box;
 *   phase k = 1..dagger_rounds: rollouts of the current learner from new
 *            initial errors, every visited state labelled by the expert and
 *            added to the data (DAgger, Ross, Gordon & Bagnell 2011), then
 *            the learner is trained again on the aggregate.
 * A fraction of each phase's rollouts is held out for validation.
 *
 * The policy file carries the normalisation: input map offset 0 and scale
 * 1/box_i (so the box maps to [-1, 1]), output map u = y s + u* with s the
 * smaller of the input half-range and sum_j |K_kj| box_j (offset = -u* / s),
 * clipped to the input limits.  The hidden layers use the chosen
 * activation, the output layer is linear.  The loss forgives outputs beyond
 * a limit where the expert saturates (mlp_trainer_set_output_limits).  With
 * pin_equilibrium the output bias is shifted after each phase so that the
 * policy returns u* at e = 0 (to rounding). */
#ifndef PB_SIM_TRAIN_SIM_TRAIN_H
#define PB_SIM_TRAIN_SIM_TRAIN_H

#include <stddef.h>

#include "mlp.h"
#include "pb_error.h"
#include "plant.h"
#include "plant_step.h"

#define SIM_TRAIN_MAX_HIDDEN 8

/* Options of an imitation run.  Plain data; the config loader fills it
 * (cfg_train.h) from the policy.train section. */
typedef struct sim_train_opts {
    size_t n_hidden;                     /* number of hidden layers, 1..SIM_TRAIN_MAX_HIDDEN */
    size_t hidden[SIM_TRAIN_MAX_HIDDEN]; /* their widths, each > 0 */
    mlp_act act;                         /* activation of the hidden layers */
    double alpha;                        /* leaky_relu slope, in [0, 1] */
    unsigned long seed;                  /* every random draw: data, initial weights, shuffles */
    size_t trajectories;                 /* rollouts per phase (> 0) */
    size_t steps;                        /* control steps per rollout (> 0) */
    size_t uniform;                      /* extra states uniform in the box (phase 0) */
    double noise;   /* std of the input noise of the perturbed rollouts, as a fraction of the input
                       half-range (absolute units for an unbounded input); 0: none */
    size_t dagger_rounds;                /* phases after the first */
    double dagger_keep;                  /* learner states kept when |e_i| <= dagger_keep box_i */
    size_t epochs;                       /* Adam epochs per phase (> 0) */
    size_t batch;                        /* minibatch size (> 0) */
    double lr, lr_final;                 /* step size, first and last epoch of a phase (> 0) */
    double val_fraction;                 /* share of rollouts held out, in [0, 1) */
    size_t n_box;                        /* number of box entries given; must equal nx */
    double box[PLANT_NX_MAX];            /* half-widths of the initial-error box, >= 0, one > 0 */
    size_t n_q, n_r;                     /* 0: the type's LQR weights; else nx resp. nu entries */
    double q[PLANT_NX_MAX], r[PLANT_NU_MAX];
    int pin_equilibrium;                 /* non-zero: policy(0) = u* exactly */
} sim_train_opts;

/* Defaults: 2 hidden layers of 32, tanh, seed 1, 100 rollouts of 100 steps,
 * no uniform states, noise 0.1, 2 DAgger rounds (keep factor 2), 200
 * epochs, batch 64, lr 3e-3 -> 3e-4, validation 0.2, no box (n_box = 0:
 * the caller must give one), type's LQR weights, pin_equilibrium on. */
void sim_train_opts_init(sim_train_opts *o);

/* Checks the options against plant type t (box and weight sizes);
 * PB_EINVAL with a message naming the option (as its config key). */
int sim_train_opts_validate(const sim_train_opts *o, const plant_type *t, pb_error *err);

/* What one phase did, in plant units. */
typedef struct sim_train_phase {
    size_t phase;            /* 0 = expert data, k = DAgger round k */
    size_t rollouts;         /* rollouts run in this phase (both kinds in phase 0) */
    size_t diverged;         /* of these, how many left the state limits or failed to integrate */
    size_t settled;          /* of the learner's rollouts (phase >= 1), how many end with
                                |e_i| <= 0.05 box_i for all i */
    size_t n_train, n_val;   /* aggregated sample counts after this phase */
    double loss;             /* final training MSE in network coordinates */
    double rms_train, rms_val; /* RMS of u_policy - u_expert over entries, plant units */
    double max_val;          /* largest |u_policy - u_expert| on the validation set */
} sim_train_phase;

/* The state of an imitation run.  The caller owns the loop over phases and
 * epochs:
 *   for (k = 0; k < sim_trainer_n_phases(t); k++) {
 *       sim_trainer_collect(t, &ph, err);
 *       for (e = 0; e < opts.epochs; e++) sim_trainer_epoch(t);
 *       sim_trainer_finish_phase(t, &ph, err);
 *   }
 * Everything is allocated by sim_trainer_alloc; the calls never allocate. */
typedef struct sim_trainer sim_trainer;

/* Builds the expert (plant_lqr_alloc at period), the stepper and a fresh
 * network with random weights for model m (which must outlive the trainer).
 * NULL on failure with the reason in err (PB_EINVAL bad options, PB_ENOMEM,
 * PB_ENUMERIC when the LQR design fails). */
sim_trainer *sim_trainer_alloc(const plant *m, const plant_integrator *integ, double period,
                               const sim_train_opts *o, pb_error *err);
void sim_trainer_free(sim_trainer *t);

/* 1 + dagger_rounds. */
size_t sim_trainer_n_phases(const sim_trainer *t);

/* Runs the rollouts of the next phase and adds their labelled states to the
 * data; restarts the optimiser.  Fills ph's rollout counts.  PB_EINVAL when
 * every phase is done, PB_ENUMERIC/PB_EINTERNAL when a rollout fails other
 * than by diverging. */
int sim_trainer_collect(sim_trainer *t, sim_train_phase *ph, pb_error *err);

/* One epoch of Adam on the aggregated training data; returns the epoch's
 * mean minibatch loss (network coordinates).  Never allocates. */
double sim_trainer_epoch(sim_trainer *t);

/* Ends the phase: pins the equilibrium (when asked) and measures training
 * and validation errors into ph.  PB_ENUMERIC when the loss is not finite. */
int sim_trainer_finish_phase(sim_trainer *t, sim_train_phase *ph, pb_error *err);

/* The policy being trained (owned by the trainer; copy it with mlp_clone). */
const mlp *sim_trainer_policy(const sim_trainer *t);

/* The expert's action at state x (u = sat(u* - K (x - x*))), for checks. */
void sim_trainer_expert(const sim_trainer *t, const double x[], double u[]);

/* The whole run without output: on success *out owns the trained policy;
 * report (may be NULL) receives 1 + dagger_rounds phases. */
int sim_train(const plant *m, const plant_integrator *integ, double period,
              const sim_train_opts *o, mlp **out, sim_train_phase report[], pb_error *err);

#endif
