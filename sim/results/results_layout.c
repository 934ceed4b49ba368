/* results_layout.c: the /summary table of a results file (results_layout.h). */
#include "results_layout.h"

const h5_column results_row_cols[] = {
    {"label", H5W_STR, offsetof(results_row, label), RESULTS_LABEL_MAX, "", "variant label: method, sparsity or pattern, layers"},
    {"method", H5W_STR, offsetof(results_row, method), 32, "", "pruning method"},
    {"sparsity", H5W_F64, offsetof(results_row, sparsity), 0, "1", "fraction of weights removed"},
    {"pattern", H5W_STR, offsetof(results_row, pattern), 16, "", "unstructured or N:M"},
    {"scenario", H5W_I64, offsetof(results_row, scenario), 0, "1", "scenario index (0-based)"},
    {"scenario_name", H5W_STR, offsetof(results_row, scenario_name), 64, "", "scenario name from the config"},
    {"max_dev_actual", H5W_F64, offsetof(results_row, max_dev_actual), 0, "@input", "max over steps of ||pi(s) - pi_hat(s)||, Euclidean over the inputs"},
    {"max_dev_bound", H5W_F64, offsetof(results_row, max_dev_bound), 0, "@input", "max over steps of the forward-pass deviation bound"},
    {"tightness", H5W_F64, offsetof(results_row, tightness), 0, "1", "max over steps of dev_actual / dev_bound"},
    {"violations", H5W_I64, offsetof(results_row, violations), 0, "1", "steps where dev_actual exceeds dev_bound (must be 0)"},
    {"attained_to_rounding", H5W_I64, offsetof(results_row, attained), 0, "1", "steps where dev_actual equals dev_bound to rounding"},
    {"max_traj_dev", H5W_F64, offsetof(results_row, max_traj_dev), 0, "@state", "max over steps of ||x_orig - x_pruned||, Euclidean over the states"},
    {"rms_track_orig", H5W_F64, offsetof(results_row, rms_track_orig), 0, "@state", "RMS tracking error of the original loop over the steps reached"},
    {"rms_track_pruned", H5W_F64, offsetof(results_row, rms_track_pruned), 0, "@state", "RMS tracking error of the pruned loop over the steps reached"},
    {"tail_err_orig", H5W_F64, offsetof(results_row, tail_err_orig), 0, "@state", "max tracking error of the original loop over the tail (NaN if diverged)"},
    {"tail_err_pruned", H5W_F64, offsetof(results_row, tail_err_pruned), 0, "@state", "max tracking error of the pruned loop over the tail (NaN if diverged)"},
    {"outcome_orig", H5W_I64, offsetof(results_row, outcome_orig), 0, "1", "original loop: 0 converged, 1 bounded, 2 diverged"},
    {"outcome_pruned", H5W_I64, offsetof(results_row, outcome_pruned), 0, "1", "pruned loop: 0 converged, 1 bounded, 2 diverged"},
    {"still_converging_orig", H5W_I64, offsetof(results_row, still_converging_orig), 0, "1", "1 when the bounded original loop was still converging"},
    {"still_converging_pruned", H5W_I64, offsetof(results_row, still_converging_pruned), 0, "1", "1 when the bounded pruned loop was still converging"},
    {"diverged_step_orig", H5W_I64, offsetof(results_row, diverged_step_orig), 0, "step", "control step where the original loop diverged (-1 if none)"},
    {"diverged_step_pruned", H5W_I64, offsetof(results_row, diverged_step_pruned), 0, "step", "control step where the pruned loop diverged (-1 if none)"},
    {"max_dev_bound_local", H5W_F64, offsetof(results_row, max_dev_bound_local), 0, "@input", "max over steps of min(dev_bound_local, dev_bound) (NaN unless bounds.local)"},
    {"spec_robustness_orig", H5W_F64, offsetof(results_row, spec_rob_orig), 0, "@state", "robustness of the spec over the original loop (NaN without a spec)"},
    {"spec_robustness_pruned", H5W_F64, offsetof(results_row, spec_rob_pruned), 0, "@state", "robustness of the spec over the pruned loop (NaN without a spec)"},
    {"spec_satisfied_orig", H5W_I64, offsetof(results_row, spec_sat_orig), 0, "1", "1 when spec_robustness_orig > 0, 0 if not, -1 without a spec"},
    {"spec_satisfied_pruned", H5W_I64, offsetof(results_row, spec_sat_pruned), 0, "1", "1 when spec_robustness_pruned > 0, 0 if not, -1 without a spec"},
    {"max_traj_dev_bound", H5W_F64, offsetof(results_row, max_traj_dev_bound), 0, "@state", "largest finite certified bound on ||x_orig - x_pruned|| (NaN without bounds.tube)"},
};

const size_t results_row_n_cols = sizeof results_row_cols / sizeof results_row_cols[0];
const size_t results_row_n_cols_base = 22; /* label .. diverged_step_pruned */

const h5_column results_spec_cols[] = {
    {"label", H5W_STR, offsetof(results_spec_row, label), RESULTS_LABEL_MAX, "", "variant label (row of /summary)"},
    {"scenario", H5W_I64, offsetof(results_spec_row, scenario), 0, "1", "scenario index (0-based)"},
    {"property", H5W_STR, offsetof(results_spec_row, property), 32, "", "the property's name in the config's spec"},
    {"robustness_orig", H5W_F64, offsetof(results_spec_row, rob_orig), 0, "@state", "robustness of the property over the original loop"},
    {"robustness_pruned", H5W_F64, offsetof(results_spec_row, rob_pruned), 0, "@state", "robustness of the property over the pruned loop"},
    {"satisfied_orig", H5W_I64, offsetof(results_spec_row, sat_orig), 0, "1", "1 when robustness_orig > 0"},
    {"satisfied_pruned", H5W_I64, offsetof(results_spec_row, sat_pruned), 0, "1", "1 when robustness_pruned > 0"},
};

const size_t results_spec_n_cols = sizeof results_spec_cols / sizeof results_spec_cols[0];
