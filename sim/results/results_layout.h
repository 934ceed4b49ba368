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
    double max_traj_dev_bound; /* largest finite certified tube bound (docs/TUBE.md), NaN: no tube */
} results_row;

/* The columns of /summary, one per results_row field, for h5_table_write
 * and h5_table_read. */
extern const h5_column results_row_cols[];
extern const size_t results_row_n_cols;
/* The leading columns every results file of format_version 2 has: files
 * written before the tube (docs/TUBE.md) lack max_traj_dev_bound, so readers
 * that do not need it read these (its field then reads as 0). */
extern const size_t results_row_n_cols_v2;

#endif
