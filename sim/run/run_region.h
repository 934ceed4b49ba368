/* run_region.h: the differential certificate of every pruned variant over
 * the box of initial states of a study (config key bounds.region; docs/BOUNDS.md
 * section 11, docs/RESULTS.md /region).
 *
 * The box is taken in the policy's input space: the states' box itself with
 * policy.input = "state", shifted by the reference at t = 0 (rounded
 * outward) with "error"; a config with a policy.observation map is refused
 * (its inputs are not a box of states).  The certificate is over the set of
 * initial states, not over the states the loops visit afterwards.
 * Every code is a pb_error code with the message in err. */
#ifndef PB_SIM_RUN_RUN_REGION_H
#define PB_SIM_RUN_RUN_REGION_H

#include <stddef.h>

#include <hdf5.h>

#include "cfg.h"
#include "h5_io.h"
#include "mc_study.h"
#include "pb_error.h"
#include "plant.h"
#include "results_region.h"
#include "run_job.h"
#include "sim.h"

/* One row of /region: results_region_row (sim/results/results_region.h). */
typedef results_region_row run_region_row;

typedef struct run_region {
    size_t n_in;             /* policy inputs (= nx) */
    double lo[PLANT_NX_MAX]; /* the box the certificate ran over (policy inputs) */
    double hi[PLANT_NX_MAX];
    char source[96];      /* where the box comes from ("montecarlo.sampler box", ...) */
    size_t n;             /* variants */
    run_region_row *rows; /* [n] owned (run_region_free) */
} run_region;

/* The states' box of `run`: the bounding box of the scenarios' x0 (nx each). */
int run_region_box_scenarios(const cfg_run *c, double lo[], double hi[], char source[], size_t len,
                             pb_error *err);

/* The states' box of a Monte Carlo sampler over nx states: box: low..high;
 * grid: the two axes' low..high, every other state at its fixed value;
 * gaussian: mean +- 3 std (the certificate then covers the samples only
 * within that truncation: source says so). */
int run_region_box_sampler(const mc_sampler *s, size_t nx, double lo[], double hi[], char source[],
                           size_t len, pb_error *err);

/* Maps the states' box [xlo, xhi] into c's policy inputs and computes, per
 * variant of v, the certificate of the pair (v->orig, variant) over it with
 * bounds_diff_opts_init's options (deterministic: no time budget).  *out is
 * filled (rows allocated). */
int run_region_eval(const cfg_run *c, const run_variants *v, const double xlo[], const double xhi[],
                    const char *source, run_region *out, pb_error *err);

/* Writes /region at loc (a file or its root group): the table of rows with
 * its units (un_u: the norm over the policy's outputs) and descriptions, and
 * the attributes box_lo, box_hi (n_in each), box_source and description.
 * An existing /region is left as it is (a resumed study).  PB_EIO. */
int run_region_put(hid_t loc, const run_region *r, const char *un_x, const char *un_u,
                   pb_error *err);

void run_region_free(run_region *r);

#endif
