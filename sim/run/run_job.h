/* run_job.h: `prunebound run` as library calls: the original policy of a
 * config and its pruned variants (run_variants), and one run of every
 * scenario with every variant into the results file of docs/RESULTS.md
 * (run_job).  The caller owns the loop over blocks of scenarios:
 *
 *     run_job *j = run_job_alloc(cfg, &err);
 *     run_job_open(j, path, &err);
 *     while (j->done < cfg->n_scenarios)
 *         run_job_step(j, &err);          (progress between steps)
 *     run_job_commit(j, &err);
 *     run_job_free(j);
 *
 * Every call returns PB_SUCCESS or a negative code with the message in err
 * (naming the config line where the config is at fault). */
#ifndef PB_SIM_RUN_RUN_JOB_H
#define PB_SIM_RUN_RUN_JOB_H

#include <stddef.h>

#include "cfg.h"
#include "h5_write.h"
#include "mlp.h"
#include "pb_error.h"
#include "results_layout.h"
#include "sim.h"

/* ---- Variants ---- */

/* The policy of a config and every configured pruned variant. */
typedef struct run_variants {
    mlp *orig;
    size_t n;
    mlp **nets;            /* [n] */
    sim_variant *variants; /* [n]; variants[v].net is nets[v] */
    size_t n_calib;        /* calibration states the pruning used (0: none needed) */
    char note[512];        /* what an importer noted of the policy file ("" = nothing) */
} run_variants;

/* Loads (imports, or trains by imitation of the plant's LQR expert) the
 * policy of c, draws the calibration states when a method needs them
 * (calibration.file, or the engine's noisy rollouts from the scenarios) and
 * prunes it with every (method, sparsity) of c's pruning list, labelled as
 * docs/CONFIG.md says.  `run` and `montecarlo` both build their variants
 * here.  On success out owns everything (run_variants_free); on failure out
 * holds nothing. */
int run_variants_build(cfg_run *c, run_variants *out, pb_error *err);

/* The engine model of c over v (borrowed: it must outlive the model): the
 * plant, integrator, reference, observation map and criterion of c, the
 * original and every variant, bounds.at_orig and bounds.local, and the
 * disturbance.  `run` and `montecarlo` both build it here.  NULL on failure. */
sim_model *run_model_alloc(cfg_run *c, const run_variants *v, pb_error *err);

/* Frees what run_variants_build made; a zeroed struct is a no-op. */
void run_variants_free(run_variants *v);

/* ---- A run ---- */

typedef struct run_job {
    cfg_run *cfg;          /* borrowed: outlives the job */
    run_variants v;        /* owned, or borrowed when v_borrowed */
    int v_borrowed;
    sim_model *model;      /* the closed loop of every variant (sim.h) */
    sim_data *data;
    size_t block;          /* scenarios per step (traces within 256 MiB) */
    sim_result **results;  /* [block] */
    results_row *rows;     /* [v.n x cfg->n_scenarios], row v * n_scenarios + i: /summary */
    size_t done;           /* scenarios simulated so far */
    h5_file *file;         /* the results file being written (NULL before open) */
    double *csup;          /* [(v.n + 1) x n_layers]: running max of C_k over the states */
    results_spec_row *spec_rows; /* [v.n x n_scenarios x spec->n], /spec (NULL without a spec) */
    struct run_region *region;   /* bounds.region: /region (run_region.h), NULL when off */
    /* bounds.tube (docs/TUBE.md): the certified tube and the labelled estimate beside it. */
    struct tube *tube;     /* NULL without bounds.tube */
    double *tube_bound;    /* [block x v.n x n_rows] traj_dev_bound */
    double *tube_est;      /* [block x v.n x n_rows] traj_dev_estimate (sampled, not certified) */
    long *tube_step;       /* [block x v.n] first uninformative row, -1 if none */
    long *tube_rows_diff;  /* [block x v.n] rows bounded by the tube's differential step */
    long long tube_violations; /* rows where traj_dev > traj_dev_bound: 0 unless a bug */
} run_job;

/* Builds the variants (run_variants_build), the engine model and its data.
 * NULL on failure with the reason in err. */
run_job *run_job_alloc(cfg_run *c, pb_error *err);

/* As run_job_alloc, over variants already built from c (borrowed: they must
 * outlive the job).  For a run of other scenarios with the same networks:
 * run_job_alloc would calibrate OBD, OBS and SparseGPT again on the new
 * scenarios (falsify -o writes its counterexample with the networks it
 * searched). */
run_job *run_job_alloc_variants(cfg_run *c, const run_variants *v, pb_error *err);

/* Creates path's temporary file (path.tmp) and writes the root attributes
 * and /plant.  The parent folder must exist (PB_EIO otherwise). */
int run_job_open(run_job *j, const char *path, pb_error *err);

/* Simulates the next block of scenarios (at most j->block) with the
 * original and every variant, fills their rows and, with output.traces,
 * writes their /runs groups.  j->done advances. */
int run_job_step(run_job *j, pb_error *err);

/* After the last step: /policies (with dW_spectral_norm and C_sup) and
 * /summary, then the temporary file is renamed to its path. */
int run_job_commit(run_job *j, pb_error *err);

/* Steps whose deviation exceeded its bound beyond rounding, over every row
 * (0 unless something is wrong: docs/BOUNDS.md). */
long long run_job_violations(const run_job *j);

/* Frees the job; an uncommitted results file is discarded (nothing is left
 * behind).  NULL is a no-op. */
void run_job_free(run_job *j);

#endif
