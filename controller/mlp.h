/* mlp.h: the multilayer perceptron policy of DESIGN.md.
 *
 *   h_0 = (x - in_offset) * in_scale                   (input map, optional)
 *   z_j = W_j h_{j-1} + b_j,  h_j = sigma_j(z_j)        j = 1..L
 *   u   = clip((h_L - out_offset) * out_scale, low, high)   (output map, optional)
 *
 * Matrices are flat row-major arrays; W_j is (n_out x n_in). */
#ifndef PB_CONTROLLER_MLP_H
#define PB_CONTROLLER_MLP_H

#include <stddef.h>

#include "pb_error.h"

typedef enum mlp_act {
    MLP_ACT_LINEAR = 0,
    MLP_ACT_RELU,
    MLP_ACT_LEAKY_RELU, /* max(z, alpha z), 0 <= alpha <= 1 */
    MLP_ACT_TANH,
    MLP_ACT_SIGMOID,
    MLP_ACT_HARDTANH, /* clip(z, -1, 1) */
    MLP_ACT_COUNT
} mlp_act;

/* "relu" etc. (the names of the policy file); NULL for an out-of-range value. */
const char *mlp_act_name(mlp_act a);
/* Parses a name, ignoring case ("Tanh" is tanh); PB_EINVAL for an unknown one. */
int mlp_act_parse(const char *name, mlp_act *a);
/* Global Lipschitz constant of the activation (1, or 1/4 for the sigmoid). */
double mlp_act_lipschitz(mlp_act a, double alpha);
/* The activation's value at 0 (1/2 for the sigmoid, else 0). */
double mlp_act_at_zero(mlp_act a, double alpha);
/* Applies the activation to n values in place: the one definition every forward
 * pass (single, batch, training, pruning calibration) uses. */
void mlp_act_apply(mlp_act a, double alpha, size_t n, double z[]);

typedef struct mlp_layer {
    size_t n_in, n_out;
    double *W;           /* (n_out x n_in) */
    double *b;           /* [n_out] */
    unsigned char *mask; /* (n_out x n_in), 1 = kept; NULL when the layer was never pruned */
    mlp_act act;
    double alpha;        /* leaky_relu slope */
    /* Recorded by pruning (NaN when not pruned): ||W_orig - W||_2 and the
     * reconstruction error ||W_orig X - W X||_F^2 on the calibration inputs. */
    double dW_norm;
    double recon_err;
} mlp_layer;

/* Provenance of a pruned policy (DESIGN.md "Policy file"). */
typedef struct mlp_provenance {
    char method[32];    /* "" when not pruned */
    double sparsity;
    char pattern[16];   /* "unstructured" or "N:M" */
    char parent_sha256[65];
} mlp_provenance;

typedef struct mlp {
    size_t n_layers;
    mlp_layer *layers;   /* [n_layers]; layers[0] is the paper's layer 1 */
    size_t n_in, n_out;
    double *in_offset;   /* [n_in] or NULL (no input map) */
    double *in_scale;    /* [n_in] or NULL */
    double *out_offset;  /* [n_out] or NULL (no output map) */
    double *out_scale;   /* [n_out] or NULL */
    double *out_low;     /* [n_out] or NULL; -inf entries allowed */
    double *out_high;    /* [n_out] or NULL; +inf entries allowed */
    mlp_provenance prov;
    size_t max_width;    /* largest of n_in and every n_out */
} mlp;

/* A network with the given layer sizes (sizes[0] = n_in, sizes[n_layers] =
 * n_out), zero weights, the given activations, no maps.  NULL on failure. */
mlp *mlp_alloc(size_t n_layers, const size_t sizes[], const mlp_act acts[], pb_error *err);
void mlp_free(mlp *m);
/* A deep copy (maps, masks and provenance included); NULL on failure. */
mlp *mlp_clone(const mlp *m, pb_error *err);
/* Adds identity input/output maps (offset 0, scale 1, limits +-inf) that the
 * caller may then fill. */
int mlp_add_input_map(mlp *m, pb_error *err);
int mlp_add_output_map(mlp *m, pb_error *err);
/* Checks shapes and that every number is finite (limits may be infinite);
 * PB_EINVAL with a message naming the layer and the entry. */
int mlp_validate(const mlp *m, pb_error *err);

/* Workspace for forward passes of one state, or of up to `batch` states at
 * once (mlp_eval_batch, mlp_eval_soa). */
typedef struct mlp_work mlp_work;
mlp_work *mlp_work_alloc(const mlp *m, size_t batch, pb_error *err);
void mlp_work_free(mlp_work *w);

/* Every forward pass computes each layer output as the same chain of fused
 * multiply-adds (mlp_kernel.h) and each activation by the same function
 * (mlp_act_apply), so a state gives the same bits through mlp_eval,
 * mlp_eval_batch and mlp_eval_soa, whatever the batch it shares and the CPU. */

/* Single state: u (n_out) = policy(x (n_in)), input and output maps applied.
 * Keeps every hidden vector in w for mlp_work_hidden().  No allocation. */
void mlp_eval(const mlp *m, mlp_work *w, const double x[], double u[]);

/* Network without the maps: y (n_out) = N(s (n_in)). */
void mlp_eval_net(const mlp *m, mlp_work *w, const double s[], double y[]);

/* Batch of n <= batch states, X (n x n_in) -> U (n x n_out), row-major. */
void mlp_eval_batch(const mlp *m, mlp_work *w, size_t n, const double X[], double U[]);

/* Batch of nl <= batch states as structures of arrays: input i of state l at
 * X[i * ldx + l], output i at U[i * ldu + l]; both maps applied.  Keeps every
 * hidden layer in w (mlp_work_hidden_soa).  No allocation. */
void mlp_eval_soa(const mlp *m, mlp_work *w, size_t nl, const double X[], size_t ldx, double U[],
                  size_t ldu);

/* After mlp_eval or mlp_eval_net: h_j (j = 0..n_layers) of the last state;
 * h_0 is the network input after the input map, h_L the output before the
 * output map. */
const double *mlp_work_hidden(const mlp_work *w, size_t j);

/* After mlp_eval_soa or mlp_eval_batch: entry i of h_j of state l at
 * mlp_work_hidden_soa(w, j)[i * mlp_work_stride(w) + l] (the stride is 1 for
 * a workspace of one state, whose buffers are then mlp_work_hidden's). */
const double *mlp_work_hidden_soa(const mlp_work *w, size_t j);
size_t mlp_work_stride(const mlp_work *w);

/* Applies the input map: s = (x - offset) * scale (copy when no map). */
void mlp_input_map(const mlp *m, const double x[], double s[]);
/* Applies the output map to y in place: clip((y - offset) * scale). */
void mlp_output_map(const mlp *m, double y[]);
/* max_i |out_scale_i| (1 without an output map): the factor by which the
 * output map can stretch a deviation. */
double mlp_output_gain(const mlp *m);

/* Number of weights and number of zero-masked weights of the whole network. */
size_t mlp_n_weights(const mlp *m);
size_t mlp_n_pruned(const mlp *m);
/* Pruned weights of one layer: zero mask entries, or zero weights when the
 * layer has no mask (the count mlp_n_pruned sums). */
size_t mlp_layer_n_pruned(const mlp_layer *l);

#endif
