/* results_info.h: the results-file entry of `prunebound info` (sim/cli/cmd_info.c's
 * table of file kinds): recognise a results file of `prunebound run` and
 * print its summary. */
#ifndef PB_SIM_RESULTS_RESULTS_INFO_H
#define PB_SIM_RESULTS_RESULTS_INFO_H

#include <stdio.h>

#include <hdf5.h>

#include "pb_error.h"

/* Non-zero when the open file f carries the root attribute
 * format = "prunebound-results" (docs/RESULTS.md). */
int results_info_is_kind(hid_t f);

/* Prints to out: tool version, creation time, config file, plant, period and
 * horizon, then per variant (aggregated over scenarios) the largest bound,
 * largest actual deviation, tightness, violations, mean RMS tracking errors
 * and how many pruned loops stayed stable.  PB_EFORMAT when /summary cannot
 * be read. */
int results_info_describe(const char *path, hid_t f, FILE *out, pb_error *err);

#endif
