/* results_region.h: the /region table of a `run` or `montecarlo` results
 * file (config key bounds.region; docs/RESULTS.md): per pruned variant, the
 * differential certificate over the box of initial states.  One definition
 * of the layout for the writer (sim/run/run_region.c) and the readers
 * (sim/mc/mc_read.c, the tables of sim/cli). */
#ifndef PB_SIM_RESULTS_RESULTS_REGION_H
#define PB_SIM_RESULTS_RESULTS_REGION_H

#include <stddef.h>

#include "h5_io.h"

#define RESULTS_REGION_LABEL_MAX 64 /* = SIM_LABEL_MAX */

typedef struct results_region_row {
    char label[RESULTS_REGION_LABEL_MAX];
    double upper;      /* max_deviation_upper: >= sup over the box of ||pi(s) - pi_hat(s)|| */
    double root_upper; /* the same before any split of the box */
    double lower;      /* max_deviation_lower: a deviation attained in the box */
    long long n_splits;
    long long n_open; /* boxes still open when the split budget ran out (0: finished) */
} results_region_row;

extern const h5_column results_region_cols[];
extern const size_t results_region_n_cols;

#endif
