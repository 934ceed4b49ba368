/* cli_json.h: the JSON documents of --json (docs/CLI.md), built with jansson:
 * one document per command on stdout, numbers at full precision, null where
 * JSON has no number (inf, NaN). */
#ifndef PB_SIM_CLI_CLI_JSON_H
#define PB_SIM_CLI_CLI_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "h5_io.h"

/* A JSON number, or null for inf and NaN. */
json_t *cli_json_num(double v);

/* One row of a table (a struct laid out by cols, as h5_table_write writes
 * it) as an object with the columns' names as keys. */
json_t *cli_json_row(const void *row, const h5_column cols[], size_t n_cols);

/* Prints doc on stdout (indented, 17 significant digits, keys in insertion
 * order) with a newline, and releases it; NULL doc (out of memory) prints
 * nothing and returns -1. */
int cli_json_print(json_t *doc);

#endif
