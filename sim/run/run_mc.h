/* run_mc.h: `prunebound montecarlo` as library calls: the Monte Carlo study
 * of a config (docs/MONTECARLO.md) on one process, chunk by chunk, into its
 * results file.  The caller owns the loop over chunks:
 *
 *     run_mc *j = run_mc_alloc(cfg, threads, &err);
 *     run_mc_open(j, path, resume, &err);
 *     while (j->done < j->samples)
 *         run_mc_step(j, &err);          (progress, signals between steps)
 *     run_mc_finish(j, agg, &err);
 *     run_mc_free(j);
 *
 * An MPI caller runs the chunks of j over its ranks itself (mc_pool_run on
 * j's buffers, rank 0 appending to j->file): sim/cli/cmd_montecarlo.c.
 * Every call returns PB_SUCCESS or a negative code with the message in err. */
#ifndef PB_SIM_RUN_RUN_MC_H
#define PB_SIM_RUN_RUN_MC_H

#include <stddef.h>

#include "cfg.h"
#include "mc_study.h"
#include "pb_error.h"
#include "run_job.h"
#include "sim.h"

typedef struct run_mc {
    size_t done;      /* samples in the file so far */
    size_t samples;   /* samples of the study (cfg->mc->samples) */
    cfg_run *cfg;     /* borrowed: outlives the study */
    run_variants v;   /* owned: the policy and its pruned variants, as `run` builds them */
    sim_model *model; /* the closed loop of every variant */
    mc_study study;   /* {model, cfg->mc} */
    mc_header header; /* what identifies the study in its file */
    mc_pool *pool;
    mc_row *rows;             /* [chunk x v.n] one chunk's rows */
    double *x0s, *ps, *trajs; /* [chunk x nx], [chunk x n_params], [chunk x traj] or NULL */
    mc_file *file;            /* NULL before run_mc_open */
    struct run_region *region; /* bounds.region: /region (run_region.h), NULL when off */
} run_mc;

/* Builds the variants (run_variants_build; at least one is needed), the
 * engine model, one chunk's buffers and a pool of `threads` (>= 1) threads.
 * PB_EINVAL when c has no montecarlo section.  NULL on failure, the reason
 * in err. */
run_mc *run_mc_alloc(cfg_run *c, size_t threads, pb_error *err);

/* Creates path.part (resume = 0), or reopens it to continue an interrupted
 * study (resume = 1: mc_file_resume; j->done is where it stopped). */
int run_mc_open(run_mc *j, const char *path, int resume, pb_error *err);

/* Runs the next chunk of samples over the pool and appends it to the file,
 * flushed; j->done advances. */
int run_mc_step(run_mc *j, pb_error *err);

/* After the last step: /aggregates (agg[v.n] filled when not NULL), and
 * path.part renamed to path. */
int run_mc_finish(run_mc *j, mc_aggregate agg[], pb_error *err);

/* Frees the study; an unfinished file is flushed and kept as path.part for
 * a resume.  NULL is a no-op. */
void run_mc_free(run_mc *j);

#endif
