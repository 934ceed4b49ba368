/* mlp_train.h: supervised training of the MLP of mlp.h by backpropagation
 * (Rumelhart, Hinton & Williams 1986) of the mean squared error, with Adam
 * (Kingma & Ba 2015, Algorithm 1, bias-corrected moments) over shuffled
 * minibatches.  Every layer product is one level-3 BLAS call (cblas_dgemm).
 *
 * The trainer fits the network proper, y = N(s), without the input and
 * output maps: the caller maps its data into network coordinates first.
 * Parameters are ordered layer by layer, W_j (row-major) then b_j; a
 * gradient vector has mlp_train_n_params() entries in that order.
 * Training is deterministic for a seed: shuffling and initialisation draw
 * from a gsl_rng (mt19937) seeded with it. */
#ifndef PB_CONTROLLER_MLP_TRAIN_H
#define PB_CONTROLLER_MLP_TRAIN_H

#include <stddef.h>

#include "mlp.h"
#include "pb_error.h"

/* Options of the optimiser.  Plain data. */
typedef struct mlp_train_opts {
    size_t epochs;        /* passes over the data (> 0) */
    size_t batch;         /* minibatch size (> 0); the last batch of an epoch may be smaller */
    double lr;            /* Adam step size alpha at the first epoch (> 0) */
    double lr_final;      /* step size at the last epoch, geometric in between (> 0) */
    double beta1, beta2;  /* moment decay rates, in [0, 1) */
    double epsilon;       /* Adam's epsilon (> 0) */
    unsigned long seed;   /* shuffling */
} mlp_train_opts;

/* Defaults: 100 epochs, batch 64, lr = lr_final = 1e-3, beta1 = 0.9,
 * beta2 = 0.999, epsilon = 1e-8 (Kingma & Ba 2015, Sec. 2), seed 1. */
void mlp_train_opts_init(mlp_train_opts *o);

/* Checks the options; PB_EINVAL with a message naming the option. */
int mlp_train_opts_validate(const mlp_train_opts *o, pb_error *err);

/* Number of trainable parameters: sum over layers of n_out (n_in + 1). */
size_t mlp_train_n_params(const mlp *m);

/* Random initial weights drawn from a gsl_rng seeded with `seed`: uniform
 * in +-sqrt(6 / (n_in + n_out)) (Glorot & Bengio 2010, eq. 16) for tanh,
 * sigmoid, hardtanh and linear layers, +-sqrt(6 / n_in) (He et al. 2015)
 * for relu and leaky_relu; zero biases.  Masked weights stay zero.
 * PB_ENOMEM when the generator cannot be allocated. */
int mlp_train_init_weights(mlp *m, unsigned long seed, pb_error *err);

/* Workspace of a training run for network m and data sets of up to n_max
 * samples: activations and deltas of one minibatch, gradient, Adam moments,
 * sample permutation and the generator.  Allocated once; the training calls
 * below never allocate.  NULL with the reason in err (PB_EINVAL for bad
 * options or n_max = 0, PB_ENOMEM). */
typedef struct mlp_trainer mlp_trainer;
mlp_trainer *mlp_trainer_alloc(const mlp *m, const mlp_train_opts *o, size_t n_max,
                               pb_error *err);
void mlp_trainer_free(mlp_trainer *t);

/* Restarts the optimiser: zero moments, step count 0, epoch 0, generator
 * reseeded.  The weights of the network are not touched. */
void mlp_trainer_reset(mlp_trainer *t);

/* Declares that outputs saturate at lo[k] <= y_k <= hi[k] (network
 * coordinates; NULL: no limit; the default), as when the policy's output map
 * clips.  Then a sample whose target sits at a limit (Y_ik >= hi[k], or
 * <= lo[k]) has zero residual when the output lies beyond that limit: the
 * loss compares clip(y) with the target there, and y - target elsewhere, so
 * the network need not reproduce the saturation's kink. */
void mlp_trainer_set_output_limits(mlp_trainer *t, const double lo[], const double hi[]);

/* Mean squared error over the n samples X (n x n_in) with targets Y
 * (n x n_out), L = 1/(n n_out) sum_i ||N(X_i) - Y_i||^2 (residuals of
 * saturated targets as in mlp_trainer_set_output_limits), and its gradient
 * grad (mlp_train_n_params) with respect to the parameters (NULL: loss only).
 * Evaluated in chunks of the minibatch size; n <= n_max.  No allocation. */
double mlp_trainer_loss(mlp_trainer *t, const mlp *m, size_t n, const double X[],
                        const double Y[], double grad[]);

/* One epoch of Adam over a fresh permutation of the n samples (n <= n_max),
 * one step per minibatch, with the step size of the trainer's current epoch
 * (geometric from lr to lr_final over opts.epochs).  Weights of masked
 * entries stay zero.  Returns the mean of the minibatch losses seen during
 * the epoch (before each step).  No allocation. */
double mlp_trainer_epoch(mlp_trainer *t, mlp *m, size_t n, const double X[], const double Y[]);

/* The number of epochs run since alloc or reset. */
size_t mlp_trainer_epochs_done(const mlp_trainer *t);

/* Convenience: opts.epochs epochs of mlp_trainer_epoch from the current
 * weights.  *loss (may be NULL) receives the final loss over all n samples.
 * PB_EINVAL for bad options or empty data, PB_ENOMEM, PB_ENUMERIC when the
 * loss becomes non-finite. */
int mlp_train(mlp *m, const mlp_train_opts *o, size_t n, const double X[], const double Y[],
              double *loss, pb_error *err);

#endif
