/* mc_study.h: Monte Carlo stability studies (docs/MONTECARLO.md).  Many closed
 * loops of the original policy and of every pruned variant (the sim_model of
 * sim.h) from sampled initial states, optionally with randomised plant
 * parameters and input or measurement noise; each loop is classified
 * converged, bounded or diverged, and each (sample, variant) gives one
 * summary row.
 *
 * Layers, each usable alone (GSL step/evolve/driver style):
 *   mc_block_run   up to SIM_BLOCK consecutive samples on one thread's mc_work,
 *                  every policy on each, through the engine of sim.h;
 *   mc_pool_run    a chunk of consecutive samples over a pool of threads;
 *   mc_file_*      the results file (mc_h5.c): rows appended per chunk,
 *                  flushed, resumed, aggregated (Wilson intervals, quantiles).
 * The study loop over chunks of a config is sim/run/run_mc.h (signals,
 * progress and MPI stay with its callers: sim/cli/cmd_montecarlo.c, the
 * Python module).
 *
 * Determinism: sample i draws everything random (its initial state, its
 * parameters, its noise sequences) from its own gsl_rng mt19937 seeded with
 * mc_sample_seed(seed, i), so its rows depend on (config, seed, i) alone,
 * never on the thread or rank that ran it nor on the order of samples; and
 * the engine's rows of a sample do not depend on the other samples of its
 * block (sim.h), so neither do the results. */
#ifndef PB_SIM_MC_MC_STUDY_H
#define PB_SIM_MC_MC_STUDY_H

#include <stddef.h>

#include "h5_io.h"
#include "pb_error.h"
#include "plant.h"
#include "sim.h"
#include "spec.h"

#define MC_PARAMS_MAX 16
#define MC_QUANTILES  5 /* 0.05, 0.25, 0.5, 0.75, 0.95 */

extern const double mc_quantile_levels[MC_QUANTILES];

typedef enum mc_sampler_kind {
    MC_SAMPLER_BOX = 0,  /* x0 ~ U(low, high) per component */
    MC_SAMPLER_GAUSSIAN, /* x0 ~ N(mean, std^2) per component */
    MC_SAMPLER_GRID      /* a points[0] x points[1] grid over two axes, other states `fixed` */
} mc_sampler_kind;

/* How the initial states are drawn (arrays of nx unless stated). */
typedef struct mc_sampler {
    mc_sampler_kind kind;
    double low[PLANT_NX_MAX], high[PLANT_NX_MAX]; /* box; grid: entries 0, 1 for the two axes */
    double mean[PLANT_NX_MAX], std[PLANT_NX_MAX]; /* gaussian */
    size_t axes[2];                               /* grid: the two state indices */
    size_t points[2];                             /* grid: points per axis (>= 1) */
    double fixed[PLANT_NX_MAX];                   /* grid: every other state */
} mc_sampler;

/* One randomised plant parameter: p = p_nominal * (1 + U(-rel, rel)). */
typedef struct mc_param_rand {
    char name[32];
    size_t index; /* into plant->p */
    double rel;   /* in [0, 1) */
} mc_param_rand;

/* The montecarlo section of a config (filled by cfg_mc.c). */
typedef struct mc_options {
    size_t samples;     /* grid: points[0] * points[1] */
    unsigned long seed; /* default: the config's top-level seed */
    size_t chunk;       /* samples per chunk: the unit of flushing and resuming */
    mc_sampler sampler;
    size_t n_params;
    mc_param_rand params[MC_PARAMS_MAX];
    double
        input_noise;   /* std of Gaussian noise added to every u component (after the output map) */
    double meas_noise; /* std of Gaussian noise added to every state component the policy sees */
    double eps; /* bounds.eps: a sample certifies when its max forward bound <= eps */
    int traces; /* store every state trajectory (memory and file grow with samples) */
    int tube;   /* bounds.tube: each sample's certified tube (docs/TUBE.md), its max per row */
} mc_options;

/* Defaults: 1000 samples, chunk 256, box sampler of width 0, no noise, no
 * traces.  (The outcome criterion is the model's, sim.h.) */
void mc_options_init(mc_options *o);

/* Checks o against plant p (nx, parameter indices, box low <= high, std >= 0,
 * grid axes distinct and < nx, rel in [0, 1), samples >= 1, chunk >= 1).
 * PB_SUCCESS or PB_EINVAL with a message naming the key. */
int mc_options_validate(const mc_options *o, const plant *p, pb_error *err);

/* The seed of sample i's stream: splitmix64(seed XOR splitmix64(i + 1))
 * (Steele, Lea & Flood 2014, the finaliser of SplitMix64), truncated to
 * unsigned long.  Pure. */
unsigned long mc_sample_seed(unsigned long seed, size_t index);

/* The Wilson score interval for k successes in n trials at normal quantile
 * z (1.959963984540054 for 95 %): (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2))
 * / (1 + z^2/n), p = k/n (Wilson 1927, eq. in Agresti & Coull 1998).
 * NaN, NaN when n = 0. */
void mc_wilson(size_t k, size_t n, double z, double *lo, double *hi);

/* One row of /summary: sample i, variant v. */
typedef struct mc_row {
    long long sample, variant;
    long long outcome_orig, outcome_pruned;             /* sim_outcome */
    long long still_converging_orig, still_converging_pruned; /* sim_track_still_converging */
    long long diverged_step_orig, diverged_step_pruned; /* -1 if none */
    double rms_track_orig, rms_track_pruned; /* RMS tracking error over the steps reached */
    double tail_err_orig, tail_err_pruned; /* max tracking error over the tail (NaN if diverged) */
    double max_traj_dev;                   /* max ||x_orig - x_pruned|| over the common steps */
    double max_dev_actual, max_dev_bound, max_dev_bound_closed; /* over both loops' states */
    double tightness;                                           /* max dev_actual / dev_bound */
    long long violations; /* deviations above a bound: must be 0 */
    long long certified;  /* max_dev_bound <= eps */
    double max_dev_bound_local; /* max min(dev_bound_local, dev_bound); NaN with bounds.local off */
    /* The spec (sim/spec/spec.h) of each loop: the robustness of the conjunction of
     * its properties and the satisfied flag (robustness > 0); NaN and -1 without a spec. */
    double spec_rob_orig, spec_rob_pruned;
    long long spec_sat_orig, spec_sat_pruned;
    double max_traj_dev_bound; /* largest finite certified tube bound (docs/TUBE.md); NaN
                                  without bounds.tube or with measurement noise */
    /* Each property's robustness over each loop, in the spec's order (NaN past
     * spec->n and without a spec).  Not /summary columns: the file writes them
     * to its /spec table (mc_spec_row), one row per property. */
    double spec_prop_orig[SPEC_PROPS_MAX], spec_prop_pruned[SPEC_PROPS_MAX];
} mc_row;

/* The layout of the file's /summary table: one column per mc_row field, in
 * the order above.  The writer (mc_h5.c) and every reader (plot) use it. */
extern const h5_column mc_row_cols[];
extern const size_t mc_row_n_cols;
/* The leading columns every Monte Carlo file has (before max_dev_bound_local);
 * the columns after them were appended since and are optional to a reader
 * (h5_table_read leaves them zero in an older file). */
extern const size_t mc_row_n_cols_base;

/* One row of a Monte Carlo file's /spec table (only with a spec): one per
 * (sample, variant, property), sample-major like /summary, properties in
 * the spec's order, so that row ((i * nv) + v) * n_props + q is property q of
 * /summary's row (i, v).  The same numbers as a `run` file's /spec rows. */
typedef struct mc_spec_row {
    long long sample, variant;
    char property[SPEC_NAME_MAX];
    double rob_orig, rob_pruned;
    long long sat_orig, sat_pruned;
} mc_spec_row;

extern const h5_column mc_spec_cols[];
extern const size_t mc_spec_n_cols;

/* One row of /spec_aggregates: per variant and property (variant-major,
 * properties in the spec's order), the satisfied counts and fractions with
 * Wilson 95 % intervals and the samples broken and repaired by pruning, as
 * /aggregates has them for the conjunction. */
typedef struct mc_spec_agg_row {
    char label[SIM_LABEL_MAX];
    char property[SPEC_NAME_MAX];
    long long n, sat_orig, sat_pruned, broken, repaired;
    double rate_orig, rate_orig_lo, rate_orig_hi;
    double rate_pruned, rate_pruned_lo, rate_pruned_hi;
    double broken_rate, repaired_rate;
} mc_spec_agg_row;

extern const h5_column mc_spec_agg_cols[];
extern const size_t mc_spec_agg_n_cols;

/* The study's constants: borrowed model (sim.h) and options, both read-only. */
typedef struct mc_study {
    const sim_model *model;
    const mc_options *opts;
    const spec *spec; /* the safety spec folded over every loop, or NULL */
} mc_study;

/* Per-sample outputs besides the rows: x0 [nx], p [n_params] (the drawn
 * parameter values) and, when opts->traces, x_traj [(1 + nv) x (n_steps + 1) x nx]
 * (the original's states then every variant's, NaN after a divergence). */

/* One thread's workspace: the engine's lanes for one block and the block's
 * sample buffers (initial states, parameters, noise sequences). */
typedef struct mc_work mc_work;
mc_work *mc_work_alloc(const mc_study *s, pb_error *err);
void mc_work_free(mc_work *w);

/* Runs samples first .. first + count - 1 (count <= SIM_BLOCK) as one block:
 * draws each sample's x0, parameters and noise from its own stream, runs the
 * original and every variant on each, and fills rows[count * nv] (sample j,
 * variant v at j * nv + v), x0s[count * nx], ps[count * n_params] and, when
 * traces are on, trajs[count * mc_traj_size].  No allocation.  PB_SUCCESS
 * (divergence is an outcome, not an error); PB_EINVAL with a message naming
 * the sample when a randomised parameter leaves its range. */
int mc_block_run(const mc_study *s, mc_work *w, size_t first, size_t count, mc_row rows[],
                 double x0s[], double ps[], double trajs[], pb_error *err);

/* Sizes of the per-sample outputs. */
size_t mc_traj_size(const mc_study *s); /* doubles of x_traj per sample (0 without traces) */

/* A pool of n_threads (>= 1; the calling thread is one of them) that runs
 * chunks of samples, each thread on whole blocks.  NULL with PB_ENOMEM or
 * PB_EINTERNAL (thread creation). */
typedef struct mc_pool mc_pool;
mc_pool *mc_pool_alloc(const mc_study *s, size_t n_threads, pb_error *err);
void mc_pool_free(mc_pool *p);

/* Runs samples first .. first + count - 1 over the pool, in blocks of
 * consecutive samples from `first` on (at most SIM_BLOCK each, as many as
 * keep every thread busy); sample first + j writes rows[j * nv ...],
 * x0s[j * nx ...], ps[j * n_params ...] and trajs[j * mc_traj_size ...] (NULL
 * without traces).  Results do not depend on the number of threads.
 * PB_SUCCESS, or the error of the first failing block (in sample order), its
 * message in err. */
int mc_pool_run(mc_pool *p, size_t first, size_t count, mc_row rows[], double x0s[], double ps[],
                double trajs[], pb_error *err);

/* ---- The results file (mc_h5.c) ---- */

/* What identifies a study in its file: a resume must match it exactly. */
typedef struct mc_header {
    const char *config_text; /* the config after overrides (the identity) */
    const char *config_file;
    const char *plant_name;
    size_t nx, nu, n_steps;
    double period, horizon;
    size_t n_variants;
    const sim_variant *variants; /* [n_variants] */
} mc_header;

typedef struct mc_file mc_file;

/* Creates "path.part" (replacing one left over) with the header, empty
 * extendible datasets and attribute samples_done = 0.  PB_EIO otherwise. */
int mc_file_create(const char *path, const mc_study *s, const mc_header *h, mc_file **out,
                   pb_error *err);

/* Opens "path.part" of an interrupted study to continue it: refuses
 * (PB_EINVAL, with a message saying what differs) a file written from
 * another config text, sample count, chunk size or variant list; truncates
 * the datasets to the samples recorded as done (*done).  PB_EIO when there
 * is no partial file (and says whether a finished one exists). */
int mc_file_resume(const char *path, const mc_study *s, const mc_header *h, mc_file **out,
                   size_t *done, pb_error *err);

/* Appends `count` samples (rows, x0s, ps, trajs as filled by mc_pool_run),
 * updates samples_done and flushes the file (H5Fflush) so that a kill
 * leaves every appended chunk readable.  PB_EIO on failure. */
int mc_file_append(mc_file *f, size_t count, const mc_row rows[], const double x0s[],
                   const double ps[], const double trajs[], pb_error *err);

/* Number of samples appended so far. */
size_t mc_file_samples_done(const mc_file *f);

/* Per variant aggregates, computed from the rows in the file in a bounded
 * number of passes with bounded memory. */
typedef struct mc_aggregate {
    long long n; /* samples */
    long long converged_orig, bounded_orig, diverged_orig;
    long long converged_pruned, bounded_pruned, diverged_pruned;
    long long still_converging_orig, still_converging_pruned; /* of the bounded ones */
    double rate_orig, rate_orig_lo, rate_orig_hi; /* converged fraction, Wilson 95 % */
    double rate_pruned, rate_pruned_lo, rate_pruned_hi;
    double rms_orig_q[MC_QUANTILES], rms_pruned_q[MC_QUANTILES]; /* finite values, linear interp. */
    double max_dev_actual, max_dev_bound, max_dev_bound_closed, max_tightness;
    long long violations;
    double certified_fraction;
    /* The spec (NaN rates and zero counts without one): satisfied loops, their
     * fraction with its Wilson 95 % interval; samples broken by pruning (the
     * original satisfies, the pruned loop does not) and repaired by pruning
     * (the converse), counts and fractions of n. */
    long long spec_sat_orig, spec_sat_pruned, spec_broken, spec_repaired;
    double spec_rate_orig, spec_rate_orig_lo, spec_rate_orig_hi;
    double spec_rate_pruned, spec_rate_pruned_lo, spec_rate_pruned_hi;
    double spec_broken_rate, spec_repaired_rate;
} mc_aggregate;

/* One row of /aggregates: the variant's label and its aggregates.  mc_agg_cols
 * is the one definition of the table's layout, for the writer (mc_h5.c) and
 * every reader (mc_read.c); the first mc_agg_n_cols_base columns are in every
 * Monte Carlo file, the later ones (the spec's) are optional to a reader. */
typedef struct mc_agg_row {
    char label[SIM_LABEL_MAX];
    mc_aggregate a;
} mc_agg_row;

extern const h5_column mc_agg_cols[];
extern const size_t mc_agg_n_cols;
extern const size_t mc_agg_n_cols_base;

/* Writes /aggregates (one row per variant, plus the returned array agg[nv]
 * when agg is not NULL), marks the file complete, closes it and renames
 * "path.part" to path.  Frees f whatever happens.  PB_EIO / PB_ENOMEM. */
int mc_file_finish(mc_file *f, mc_aggregate agg[], pb_error *err);

/* Flushes and closes a partial file, keeping "path.part" for --resume;
 * frees f; NULL is a no-op. */
void mc_file_close(mc_file *f);

/* The partial file's path. */
const char *mc_file_part_path(const mc_file *f);

/* The open HDF5 file of f, for writers of extra tables (run_region_put);
 * it stays owned by f. */
hid_t mc_file_hid(const mc_file *f);

#endif
