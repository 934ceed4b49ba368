/* results_layout.c: the /summary table of a results file (results_layout.h). */
#include "results_layout.h"

const h5_column results_row_cols[] = {
    {"label", H5W_STR, offsetof(results_row, label), RESULTS_LABEL_MAX},
    {"method", H5W_STR, offsetof(results_row, method), 32},
    {"sparsity", H5W_F64, offsetof(results_row, sparsity), 0},
    {"pattern", H5W_STR, offsetof(results_row, pattern), 16},
    {"scenario", H5W_I64, offsetof(results_row, scenario), 0},
    {"scenario_name", H5W_STR, offsetof(results_row, scenario_name), 64},
    {"max_dev_actual", H5W_F64, offsetof(results_row, max_dev_actual), 0},
    {"max_dev_bound", H5W_F64, offsetof(results_row, max_dev_bound), 0},
    {"tightness", H5W_F64, offsetof(results_row, tightness), 0},
    {"violations", H5W_I64, offsetof(results_row, violations), 0},
    {"attained_to_rounding", H5W_I64, offsetof(results_row, attained), 0},
    {"max_traj_dev", H5W_F64, offsetof(results_row, max_traj_dev), 0},
    {"rms_track_orig", H5W_F64, offsetof(results_row, rms_track_orig), 0},
    {"rms_track_pruned", H5W_F64, offsetof(results_row, rms_track_pruned), 0},
    {"tail_err_orig", H5W_F64, offsetof(results_row, tail_err_orig), 0},
    {"tail_err_pruned", H5W_F64, offsetof(results_row, tail_err_pruned), 0},
    {"outcome_orig", H5W_I64, offsetof(results_row, outcome_orig), 0},
    {"outcome_pruned", H5W_I64, offsetof(results_row, outcome_pruned), 0},
    {"still_converging_orig", H5W_I64, offsetof(results_row, still_converging_orig), 0},
    {"still_converging_pruned", H5W_I64, offsetof(results_row, still_converging_pruned), 0},
    {"diverged_step_orig", H5W_I64, offsetof(results_row, diverged_step_orig), 0},
    {"diverged_step_pruned", H5W_I64, offsetof(results_row, diverged_step_pruned), 0},
    {"max_traj_dev_bound", H5W_F64, offsetof(results_row, max_traj_dev_bound), 0},
};

const size_t results_row_n_cols = sizeof results_row_cols / sizeof results_row_cols[0];
const size_t results_row_n_cols_v2 = sizeof results_row_cols / sizeof results_row_cols[0] - 1;
