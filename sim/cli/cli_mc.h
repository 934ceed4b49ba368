/* cli_mc.h: the aggregates of a Monte Carlo study as `montecarlo` prints them
 * when it finishes and `info` prints them from the file: one function each
 * for the table and the JSON document (docs/CLI.md). */
#ifndef PB_SIM_CLI_CLI_MC_H
#define PB_SIM_CLI_CLI_MC_H

#include <stdio.h>

#include <jansson.h>

#include "mc_read.h"

/* The criterion line, the per-variant table and the totals, to out. */
void cli_mc_table_print(FILE *out, const mc_summary *s, const char *path);

/* The same as a JSON object (a new reference; NULL when out of memory). */
json_t *cli_mc_json(const mc_summary *s, const char *path);

#endif
