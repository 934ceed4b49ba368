/* falsify.h: search for initial states that violate a spec (sim/spec/spec.h),
 * by minimising the robustness of one loop of a sim_model over a box of
 * initial states (docs/SAFETY.md).
 *
 * Optimiser: GSL's Nelder-Mead simplex (gsl_multimin_fminimizer_nmsimplex2)
 * with seeded random restarts.  GSL is already a dependency and its simplex
 * needs no gradient (robustness is only piecewise smooth); Debian packages
 * no CMA-ES library for C (`apt-cache search cmaes`: only python3-cmaes).
 * Each restart first evaluates a batch of up to SIM_BLOCK uniform points of
 * the box as the lanes of one engine block, then runs the simplex from the
 * best of them (step 0.25 of the box per free axis, one evaluation per
 * simplex point), until the simplex is smaller than 1e-6 of the box or the
 * budget is spent.  The search runs in the box scaled to the unit cube;
 * points outside are projected onto it; axes with low = high stay fixed.
 *
 * Two objectives:
 *   plain  (broken = 0): minimise rho(policy).  Found when rho <= 0 (the
 *          spec is not satisfied, spec.h); the search stops at the first.
 *   broken (broken = 1): maximise rho(original) - rho(policy) where the
 *          original satisfies the spec (points where it does not score
 *          1e12 - rho(original), which leads back into its safe set).
 *          Found when the best point has rho(original) > 0 >= rho(policy):
 *          pruning broke the spec there.  The whole budget is spent.
 * Infinite robustness (a diverged loop) is clamped to +-1e12 for the simplex;
 * the reported values are the exact ones.
 *
 * Deterministic for a seed: the draws come from one gsl_rng mt19937 seeded
 * with `seed`, the simplex is deterministic, and the engine's lanes do not
 * depend on their block (sim.h); nothing is shared, so searches on several
 * threads (one falsify each) give the same results as one after another.
 * The caller owns the loop (progress between steps):
 *
 *     falsify *f = falsify_alloc(m, s, &opts, &err);
 *     while (!falsify_is_done(f))
 *         falsify_step(f, &err);
 *     falsify_get_result(f, &res);
 *     falsify_free(f); */
#ifndef PB_SIM_FALSIFY_FALSIFY_H
#define PB_SIM_FALSIFY_FALSIFY_H

#include <stddef.h>

#include "cfg.h"
#include "pb_error.h"
#include "plant.h"
#include "run_job.h"
#include "sim.h"
#include "spec.h"

typedef struct falsify_opts {
    double lo[PLANT_NX_MAX], hi[PLANT_NX_MAX]; /* the box of initial states, lo <= hi */
    size_t policy;       /* the loop searched: 0 = original, v + 1 = variant v of the model */
    int broken;          /* the gap objective against the original (policy >= 1) */
    size_t budget;       /* loop evaluations of `policy` (>= 1) */
    unsigned long seed;
} falsify_opts;

typedef struct falsify_result {
    int found;                   /* a violation (plain) / a broken point (broken) */
    double x0[PLANT_NX_MAX];     /* the best initial state */
    double robustness;           /* of the searched loop at x0 */
    double robustness_original;  /* of the original loop at x0 */
    size_t evaluations;          /* initial states simulated */
    size_t restarts;
} falsify_result;

typedef struct falsify falsify;

/* A search over model m (borrowed, read-only) and spec s (validated for m's
 * period and steps).  PB_EINVAL for a bad box, policy, budget, or broken
 * without a variant; PB_ENOMEM. */
falsify *falsify_alloc(const sim_model *m, const spec *s, const falsify_opts *o, pb_error *err);
void falsify_free(falsify *f);

/* One batch or one simplex iteration (a few evaluations).  PB_SUCCESS, or an
 * engine error. */
int falsify_step(falsify *f, pb_error *err);
int falsify_is_done(const falsify *f);
void falsify_get_result(const falsify *f, falsify_result *r);

/* Robustness of the original (rob_orig) and of policy `policy` (rob) from each
 * of n <= SIM_BLOCK initial states x0s [n x nx], simulated as one block on
 * lanes d (sim_lanes_alloc(m, n)).  No allocation. */
int falsify_eval_block(const sim_model *m, sim_lanes *d, const spec *s, size_t policy, size_t n,
                       const double x0s[], double rob_orig[], double rob[], pb_error *err);


/* ---- From a config (falsify_job.c): what `prunebound falsify` runs ---- */


typedef struct falsify_job {
    cfg_run *cfg;          /* borrowed */
    run_variants v;        /* owned: the policy and every configured variant */
    long variant;          /* the searched variant's index in v, -1 for the original */
    sim_model *model;      /* the original and (unless variant = -1) that variant alone */
    falsify_opts opts;
    falsify *search;
} falsify_job;

/* The default box of a config: its montecarlo sampler's box (a grid's two
 * axes with the other states fixed), else the smallest box holding every
 * scenario's x0 (the ARCH configs list their initial set's centre and
 * corners).  Fills lo, hi [nx]. */
void falsify_default_box(const cfg_run *c, double lo[], double hi[]);

/* Builds the variants of c (run_variants_build), picks the loop to search
 * (variant NULL or "original": the original; otherwise a variant label, PB_EINVAL
 * naming the labels when none matches) and starts the search with o (o->policy
 * is set here).  c must have a spec (PB_EINVAL otherwise). */
falsify_job *falsify_job_alloc(cfg_run *c, const char *variant, const falsify_opts *o,
                               pb_error *err);
void falsify_job_free(falsify_job *j);

/* Writes the counterexample as a `run` results file (docs/RESULTS.md) at path:
 * c's scenarios are replaced by one, "counterexample", from r->x0, and
 * run_job runs it with every configured variant.  Modifies j->cfg. */
int falsify_job_write(falsify_job *j, const falsify_result *r, const char *path, pb_error *err);

#endif
