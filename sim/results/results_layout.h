/* results_layout.h: the layout of a results file's /summary table
 * (docs/RESULTS.md), defined once for its writer (the run results writer,
 * today sim/cli/cmd_run.c) and every reader (results_info.c, sim/plot). */
#ifndef PB_SIM_RESULTS_RESULTS_LAYOUT_H
#define PB_SIM_RESULTS_RESULTS_LAYOUT_H

#include <stddef.h>

#include "h5_io.h"

/* The size of a variant label with its NUL (SIM_LABEL_MAX of sim/engine/sim.h;
 * the writer checks that they agree). */
#define RESULTS_LABEL_MAX 64

/* One row of /summary: one per variant and scenario, grouped by label,
 * scenarios in order.  Deviations are in the plant's input units
 * (Euclidean norm over the nu inputs), tracking errors in its state units. */
typedef struct results_row {
    char label[RESULTS_LABEL_MAX];
    char method[32];
    double sparsity;
    char pattern[16];
    long long scenario;
    char scenario_name[64];
    double max_dev_actual, max_dev_bound, tightness;
    long long violations;
    long long attained; /* column attained_to_rounding */
    double max_traj_dev;
    double rms_track_orig, rms_track_pruned;
    double tail_err_orig, tail_err_pruned;
    long long outcome_orig, outcome_pruned; /* sim_outcome: 0 converged, 1 bounded, 2 diverged */
    long long still_converging_orig, still_converging_pruned;
    long long diverged_step_orig, diverged_step_pruned; /* -1 if none */
    double max_dev_bound_local; /* max min(dev_bound_local, dev_bound); NaN with bounds.local off */
    /* The spec (sim/spec/spec.h): robustness of the conjunction of its properties and
     * the satisfied flag (robustness > 0) of each loop; NaN and -1 without a spec.  Each
     * property's values are in the /spec table (results_spec_row). */
    double spec_rob_orig, spec_rob_pruned;
    long long spec_sat_orig, spec_sat_pruned;
    double max_traj_dev_bound; /* largest finite certified tube bound (docs/TUBE.md), NaN: no tube */
} results_row;

/* The columns of /summary, one per results_row field, for h5_table_write
 * and h5_table_read. */
extern const h5_column results_row_cols[];
extern const size_t results_row_n_cols;
/* The leading columns every results file of format_version 2 has (label ..
 * diverged_step_pruned); the columns after them were appended since
 * (max_dev_bound_local, the spec columns, max_traj_dev_bound) and are optional to a reader:
 * h5_table_read leaves them zero in a file written before them. */
extern const size_t results_row_n_cols_base;
/* One row of /spec (only in files of a config with a spec): one per variant,
 * scenario and property, in the order of /summary, properties in the
 * config's order. */
typedef struct results_spec_row {
    char label[RESULTS_LABEL_MAX];
    long long scenario;
    char property[32]; /* SPEC_NAME_MAX */
    double rob_orig, rob_pruned;
    long long sat_orig, sat_pruned;
} results_spec_row;

extern const h5_column results_spec_cols[];
extern const size_t results_spec_n_cols;

#endif
