/* prune.h: pruning methods for MLP policies (magnitude, OBD, OBS,
 * SparseGPT; unstructured and N:M) and the common driver that runs the
 * calibration states through the network, builds each layer's Hessian
 * H = (2/n) X^T X and keeps the sparsity bookkeeping.  docs/PRUNING.md gives
 * every algorithm, its cost and the conventions.
 *
 * Each method is one file exporting one `const prune_method`, found by name
 * in the NULL-terminated registry prune_methods (prune_find("sparsegpt")). */
#ifndef PB_CONTROLLER_PRUNE_PRUNE_H
#define PB_CONTROLLER_PRUNE_PRUNE_H

#include <stddef.h>

#include "mlp.h"
#include "pb_error.h"

#define PRUNE_DAMP_DEFAULT  0.01 /* lambda = 1% of mean(diag H), Frantar & Alistarh 2023 */
#define PRUNE_BLOCK_DEFAULT 128  /* SparseGPT column block B (and Bs = B) */

/* Progress of the pruning (optional): called from inside prune_mlp between
 * units of work of layer `layer` (1-based): done of total units (rows, or
 * column blocks for SparseGPT; OBS unstructured counts its two passes over the
 * rows).  done == 0 starts a layer.  It must not call back into the pruning. */
typedef void (*prune_progress_fn)(void *ctx, size_t layer, size_t done, size_t total);

/* What to prune and how.  Fill with prune_options_init() and change fields. */
typedef struct prune_options {
    double sparsity;      /* unstructured: fraction removed, 0 <= s < 1; a layer loses exactly
                             floor(s * n_in * n_out) weights (floor(s * total) when global) */
    size_t nm_n, nm_m;    /* N:M pattern (N < M): N zeros in every group of M consecutive inputs
                             of a row; 0, 0 = unstructured (then sparsity is used) */
    int global;           /* 1: one ranking across the selected layers (methods with a score slot,
                             i.e. magnitude); 0: every layer on its own */
    const size_t *layers; /* [n_sel] 1-based layer numbers to prune (as in the paper), or NULL
                             for all layers */
    size_t n_sel;
    double damp;         /* relative dampening of H: H += damp * mean(diag H) I (OBS, SparseGPT) */
    size_t block;        /* SparseGPT column block B (rounded down to a multiple of M for N:M) */
    size_t mask_block;   /* SparseGPT Bs: columns per adaptive mask selection (unstructured),
                            0 = B (the paper's Bs = B); smaller adapts more often */
    int original_inputs; /* 0 (default): layer k is calibrated on the inputs h_{k-1} of the
                            network whose layers 1..k-1 are already pruned (SparseGPT's
                            sequential convention); 1: on the original network's h_{k-1} */
    prune_progress_fn progress; /* NULL (default): silent */
    void *progress_ctx;
} prune_options;

/* Defaults: sparsity 0, unstructured, per layer, all layers, damp 0.01,
 * block 128, sequential inputs. */
void prune_options_init(prune_options *o);

/* One layer as a method sees it.  The driver fills it; the method prunes W
 * in place and writes the mask. */
typedef struct prune_layer {
    size_t n_out, n_in;
    double *W;           /* (n_out x n_in) in: weights, out: pruned and compensated weights */
    unsigned char *mask; /* (n_out x n_in) out: 1 = kept, 0 = pruned (W is 0 there) */
    double *H;           /* (n_in x n_in) Hessian (2/n) X^T X, full symmetric; the method may
                            overwrite it.  NULL for methods with needs_hessian == 0 */
    size_t n_prune;      /* unstructured: exact number of weights to remove */
    size_t nm_n, nm_m;   /* N:M, or 0, 0 */
    double damp;         /* relative dampening */
    size_t block;        /* column block */
    size_t mask_block;   /* columns per mask selection, 0 = block */
    size_t layer;        /* 1-based number, for progress */
    prune_progress_fn progress; /* or NULL; methods report through prune_layer_progress */
    void *progress_ctx;
} prune_layer;

/* Reports done of total units of l to its progress hook (no-op without one). */
static inline void prune_layer_progress(const prune_layer *l, size_t done, size_t total)
{
    if (l->progress)
        l->progress(l->progress_ctx, l->layer, done, total);
}

/* Workspace the driver allocates once, sized by the method's work_size. */
typedef struct prune_work {
    double *d; /* [nd] */
    size_t *z; /* [nz] */
} prune_work;

/* The method type table.  Slots marked (optional) may be NULL. */
typedef struct prune_method {
    const char *name;      /* registry name: "magnitude", "obd", "obs", "sparsegpt" */
    const char *reference; /* the paper, one line */
    int needs_hessian;     /* 1: needs calibration states and receives H */

    /* Per-weight saliency of a plain ranking (smaller = pruned first, no
     * compensation, no Hessian); enables global selection. (optional) */
    void (*score)(const prune_layer *l, double s[]);

    /* Workspace for a layer of this shape: *nd doubles and *nz size_t. (required) */
    void (*work_size)(const prune_layer *l, size_t *nd, size_t *nz);

    /* Prunes one layer: exactly l->n_prune zeros in l->mask (unstructured)
     * or the N:M counts of prune_nm_count() per group; W zero where the mask
     * is.  No allocation.  PB_ENUMERIC when a factorisation fails. (required) */
    int (*apply)(const prune_layer *l, prune_work *w, pb_error *err);
} prune_method;

/* The registry, NULL-terminated. */
extern const prune_method *const prune_methods[];

/* The method of that name, or NULL. */
const prune_method *prune_find(const char *name);

/* Prunes a copy of m.  X (n x m->n_in, row-major) holds calibration states
 * in the policy's state space (the input map is applied here); it may be
 * NULL (n = 0) for methods without a Hessian, and then recon_err stays NaN.
 * On success *out owns a clone of m with the selected layers' W, mask,
 * dW_norm = ||W_orig - W_hat||_2 (pb_spectral_norm_diff: a certified upper bound) and recon_err = ||W X_k -
 * W_hat X_k||_F^2 on the layer's calibration inputs X_k, and provenance (method, sparsity, pattern;
 * parent_sha256 left empty: the caller knows the file).  Codes: PB_EINVAL (bad options or
 * calibration), PB_EUNSUPPORTED (global with a method that has no score), PB_ENOMEM, PB_ENUMERIC.
 */
int prune_mlp(const mlp *m, const prune_method *method, const prune_options *opt, const double X[],
              size_t n, mlp **out, pb_error *err);

/* Parses "N:M" (1 <= N < M); PB_EINVAL with a message otherwise. */
int prune_pattern_parse(const char *s, size_t *nm_n, size_t *nm_m, pb_error *err);

/* Parses "all" (*n_sel = 0, meaning every layer) or "1,3" (1-based, each in
 * 1..n_layers, no repeats) into layers[cap]; PB_EINVAL with a message. */
int prune_layers_parse(const char *s, size_t n_layers, size_t layers[], size_t cap, size_t *n_sel,
                       pb_error *err);

/* ---- Helpers shared by the method files (no allocation) ---- */

/* Zeros a group of len consecutive inputs must hold under N:M: N for a full
 * group, floor(N * len / M) for a shorter tail group. */
size_t prune_nm_count(size_t len, size_t nm_n, size_t nm_m);

/* mask[i] = 0 for the k smallest of score[0..n) (ties: the lowest indices
 * first), 1 elsewhere, in O(n) by GSL's gsl_stats_select; scratch is [n]. */
void prune_mask_smallest(size_t n, const double score[], size_t k, unsigned char mask[],
                         double scratch[]);

/* N:M mask of one row: in each group of M consecutive inputs the
 * prune_nm_count() smallest scores get mask 0; scratch is [M]. */
void prune_mask_nm_row(size_t n_in, const double score[], size_t nm_n, size_t nm_m,
                       unsigned char mask[], double scratch[]);

/* H (n_in x n_in) = (2/n) X^T X for the layer inputs X (n x n_in), full
 * symmetric, by one dsyrk (the driver's Hessian; exposed for benchmarks). */
void prune_hessian_eval(size_t n, size_t n_in, const double X[], double H[]);

/* Prepares H for inversion as SparseGPT does: dead inputs (H_jj = 0) get
 * H_jj = 1 and W[:, j] = 0; then H += damp * mean(diag H) I. */
void prune_hessian_prepare(double H[], double W[], size_t n_out, size_t n_in, double damp);

/* H (n x n, symmetric positive definite) -> H^-1 in place, full symmetric,
 * by GSL's Cholesky.  PB_ENUMERIC when H is not positive definite. */
int prune_hessian_invert(double H[], size_t n, pb_error *err);

#endif
