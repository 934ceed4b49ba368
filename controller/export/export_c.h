/* export_c.h: a policy as one dependency-free C99 file (DESIGN.md, `export-c`).
 *
 * The generated file holds const weight arrays (each layer dense, or sparse in
 * CSR: values, column indices, row pointers) and one function
 *
 *   void NAME_eval(const T x[NAME_NX], T u[NAME_NU]);   T = double or float
 *
 * that applies the input map, every layer and the output map (offset, scale,
 * clip) of mlp.h, with no malloc and nothing beyond <math.h> (and <stdint.h>
 * for the index types).  Same network and options give the same text.
 *
 * Every export measures the deviation of its arithmetic from the float64
 * policy (mlp_eval) on calibration states, with an in-process pass that
 * performs the generated code's operations in the same order
 * (export_c_eval_float, export_c_eval_double).  For float this is the
 * rounding to binary32; for double only the order of summation.  The
 * deviation is measured, not certified: on the calibration states a deployed
 * policy satisfies
 *   ||u_exported(x) - u_orig(x)||_2 <= pruning bound + dev
 * (triangle inequality; docs/EXPORT.md). */
#ifndef PB_CONTROLLER_EXPORT_EXPORT_C_H
#define PB_CONTROLLER_EXPORT_EXPORT_C_H

#include <stdio.h>

#include "mlp.h"
#include "pb_error.h"

/* Largest layer count an export handles (the report keeps one row per layer). */
#define EXPORT_C_MAX_LAYERS 64
/* Default calibration draw: states, RNG (gsl_rng_mt19937) seed. */
#define EXPORT_C_CALIB_N    10000
#define EXPORT_C_CALIB_SEED 20250702UL

typedef enum export_c_real {
    EXPORT_C_DOUBLE = 0, /* IEEE-754 binary64, %.17g literals */
    EXPORT_C_FLOAT       /* IEEE-754 binary32, %.9g literals with an f suffix */
} export_c_real;

typedef enum export_c_storage {
    EXPORT_C_AUTO = 0, /* per layer, whichever of dense and CSR takes fewer bytes */
    EXPORT_C_DENSE,    /* W as T[n_out][n_in] */
    EXPORT_C_CSR       /* values T[nnz], column indices, row pointers [n_out + 1] */
} export_c_storage;

/* A progress hook: done of total calibration states measured. */
typedef void (*export_c_progress_fn)(void *ctx, size_t done, size_t total);

typedef struct export_c_options {
    const char *name;           /* prefix of every generated symbol; a C identifier ("policy") */
    export_c_real real;         /* arithmetic of the generated code (EXPORT_C_DOUBLE) */
    export_c_storage storage;   /* EXPORT_C_AUTO */
    const char *header_include; /* file name the .c includes ("policy.h"), or NULL: the .c
                                   then declares NAME_NX, NAME_NU and the prototype itself */
    size_t n_calib;             /* calibration states (0: the default draw) */
    const double *calib;        /* (n_calib x n_in) states x, before the input map */
    double prune_bound;         /* a pruning bound (bound, certify) to report with the
                                   deviation added; NaN (the default): none */
    export_c_progress_fn progress; /* called while measuring; NULL (default): silent */
    void *progress_ctx;
} export_c_options;

/* One layer as exported.  Bytes count the const arrays of the generated file:
 * sizeof(T) per value and bias, the index types' sizes per index. */
typedef struct export_c_layer_info {
    size_t n_in, n_out;
    size_t nnz;               /* weights that are non-zero in the exported precision */
    export_c_storage storage; /* EXPORT_C_DENSE or EXPORT_C_CSR, as chosen */
    size_t col_bytes;         /* one CSR column index: 1, 2 or 4 (uint8/16/32_t) */
    size_t row_bytes;         /* one CSR row pointer: 1, 2 or 4 */
    size_t bytes_dense;       /* n_out n_in sizeof(T) + n_out sizeof(T) (weights + bias) */
    size_t bytes_csr;         /* nnz (sizeof(T) + col) + (n_out + 1) row + n_out sizeof(T);
                                 no arrays at all but the bias when nnz = 0 */
    size_t bytes;             /* of the chosen storage */
    size_t macs;              /* multiply-adds per call: n_out n_in dense, nnz CSR */
} export_c_layer_info;

typedef struct export_c_report {
    export_c_real real;
    size_t real_bytes; /* sizeof(T): 8 or 4 */
    size_t n_layers;
    export_c_layer_info layers[EXPORT_C_MAX_LAYERS];
    /* Flash of the chosen storage, by kind; maps are the input offset and scale
     * and the output offset, scale, low and high arrays that the policy has. */
    size_t bytes_weights, bytes_indices, bytes_biases, bytes_maps;
    size_t flash_bytes;       /* the sum of the four */
    size_t flash_bytes_dense; /* the same policy with every layer dense */
    size_t n_weights, nnz;    /* all weights, non-zero weights */
    size_t macs, macs_dense;  /* multiply-adds per call: as exported, all dense */
    size_t work_len;          /* T values of NAME_eval's two stack buffers */
    /* After export_c_measure (else n_calib = 0, NaN): over the calibration
     * states x, max ||u_T((T)x) - u(x)||_2 and the largest absolute difference
     * of one output, u_T the exported arithmetic, u = mlp_eval in double. */
    size_t n_calib;
    int calib_is_default; /* 1: the default draw (export_c_default_states) */
    double dev;
    double dev_abs;
    double bound_total; /* o->prune_bound + dev (NaN without a pruning bound) */
} export_c_report;

/* Sets the defaults shown in the struct. */
void export_c_options_init(export_c_options *o);

/* Parses "dense", "csr" or "auto"; PB_EINVAL with a message otherwise. */
int export_c_storage_parse(const char *s, export_c_storage *out, pb_error *err);
const char *export_c_storage_name(export_c_storage s);

/* Checks that name is a C identifier fit to prefix the generated symbols
 * (letters, digits and '_', not starting with a digit nor with '_', which C
 * reserves at file scope; 1 to 48 characters); PB_EINVAL with a message. */
int export_c_name_check(const char *name, pb_error *err);

/* Validates m and o and fills rep's layout part (storage per layer, bytes,
 * MACs; no deviation).  PB_EINVAL for a bad network, name or option,
 * PB_EUNSUPPORTED for more than EXPORT_C_MAX_LAYERS layers or a weight that
 * overflows float. */
int export_c_plan(const mlp *m, const export_c_options *o, export_c_report *rep, pb_error *err);

/* The generated code's pass over one state, operation for operation, for a
 * network and a plan from export_c_plan with EXPORT_C_FLOAT (resp.
 * EXPORT_C_DOUBLE): u (n_out) = policy(x (n_in)).  work holds rep->work_len
 * numbers.  No allocation. */
void export_c_eval_float(const mlp *m, const export_c_report *rep, float work[], const float x[],
                         float u[]);
void export_c_eval_double(const mlp *m, const export_c_report *rep, double work[], const double x[],
                          double u[]);

/* The default calibration states of an export: n states X (n x n_in)
 * uniform in the box where the network input (x - offset) scale lies in
 * [-1, 1] (x_i in offset_i +- 1/|scale_i|, +-1 when scale_i = 0; [-1, 1]^n_in
 * without an input map), from gsl_rng_mt19937 seeded with EXPORT_C_CALIB_SEED.
 * PB_ENOMEM when the RNG cannot be allocated. */
int export_c_default_states(const mlp *m, size_t n, double X[], pb_error *err);

/* Fills rep->dev, dev_abs and n_calib from n states X (n x n_in) for a plan
 * of export_c_plan.  PB_EINVAL for no states or a non-finite one, PB_ENOMEM. */
int export_c_measure(const mlp *m, export_c_report *rep, size_t n, const double X[], pb_error *err);

/* export_c_measure reporting done of n states to progress(ctx, done, n)
 * every EXPORT_C_PROGRESS_EVERY states and at the end (progress may be NULL). */
#define EXPORT_C_PROGRESS_EVERY 256
int export_c_measure_progress(const mlp *m, export_c_report *rep, size_t n, const double X[],
                              export_c_progress_fn progress, void *ctx, pb_error *err);

/* Plans, measures the deviation (on o->calib, or the default draw; progress
 * to o->progress), sets rep->bound_total, and writes the .c text to c_out and, when h_out is not NULL,
 * the header text to h_out.  rep may be NULL.  Codes of export_c_plan and
 * export_c_measure; PB_EIO when a write fails. */
int export_c_write(const mlp *m, const export_c_options *o, FILE *c_out, FILE *h_out,
                   export_c_report *rep, pb_error *err);

/* export_c_write to files, atomically: each goes to "path.tmp" and is renamed
 * only when both are complete, so a failure leaves no new file.  h_path may
 * be NULL (no header); when o->header_include is NULL and h_path is given,
 * the .c includes h_path's base name.  PB_EIO naming the path when a file
 * cannot be written. */
int export_c_write_files(const mlp *m, const export_c_options *o, const char *c_path,
                         const char *h_path, export_c_report *rep, pb_error *err);

#endif
