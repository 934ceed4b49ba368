/* results_region.c: the /region table's columns (results_region.h). */
#include "results_region.h"

const h5_column results_region_cols[] = {
    {"label", H5W_STR, offsetof(results_region_row, label), RESULTS_REGION_LABEL_MAX, "", "variant label (as in /summary)"},
    {"max_deviation_upper", H5W_F64, offsetof(results_region_row, upper), 0, "@input", "certified: >= max over the box of ||pi(s) - pi_hat(s)||"},
    {"max_deviation_upper_root", H5W_F64, offsetof(results_region_row, root_upper), 0, "@input", "the certificate over the whole box, before any split"},
    {"max_deviation_lower", H5W_F64, offsetof(results_region_row, lower), 0, "@input", "largest ||pi(s) - pi_hat(s)|| found in the box (attained)"},
    {"n_splits", H5W_I64, offsetof(results_region_row, n_splits), 0, "1", "box splits of the branch and bound"},
    {"n_open", H5W_I64, offsetof(results_region_row, n_open), 0, "1", "boxes left open when the split budget ran out (0: finished)"},
};

const size_t results_region_n_cols = sizeof results_region_cols / sizeof results_region_cols[0];
