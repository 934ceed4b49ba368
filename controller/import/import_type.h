/* import_type.h: importers of policies written by other tools (NNet, POLAR text,
 * ONNX), as a type table per format found by name in a null-terminated
 * registry (`import_find("nnet")`).  Each importer is one file
 * controller/import/import_<name>.c exporting one `const import_type`; adding a
 * format is that file plus one line in import.c.  docs/POLICY.md states each
 * format's conventions and limits. */
#ifndef PB_CONTROLLER_IMPORT_IMPORT_TYPE_H
#define PB_CONTROLLER_IMPORT_IMPORT_TYPE_H

#include <stddef.h>

#include "mlp.h"
#include "pb_error.h"

#define IMPORT_MAX_ACTS 64

/* What the user may add to a file's own content. */
typedef struct import_options {
    /* Activations per layer (output layer included) for formats that do not
     * store them (POLAR-style files without activation lines); n_acts = 0
     * when not given.  A format that stores them refuses a disagreeing list. */
    size_t n_acts;
    mlp_act acts[IMPORT_MAX_ACTS];
    double alphas[IMPORT_MAX_ACTS]; /* leaky_relu slopes (0.01 unless given) */
} import_options;

/* An importer.  All slots are required. */
typedef struct import_type {
    const char *name;       /* registry name, "nnet" */
    const char *extensions; /* space-separated file extensions, ".polar .txt" */
    const char *summary;    /* one line for --help */
    /* Reads path into a new validated network (*out, owned by the caller;
     * NULL on failure).  Any note for the user about what was not carried
     * over (NNet input clipping) goes into note (note_len bytes, "" if none).
     * PB_EIO when the file cannot be read; PB_EFORMAT with the file name and
     * the line or node at fault when it is malformed; PB_EUNSUPPORTED for
     * valid content outside what the importer handles; PB_EINVAL when
     * opt->acts disagrees with the file. */
    int (*read)(const char *path, const import_options *opt, mlp **out, char *note, size_t note_len,
                pb_error *err);
} import_type;

extern const import_type import_nnet;
extern const import_type import_polar;
extern const import_type import_onnx;

/* The registry, NULL-terminated. */
extern const import_type *const import_types[];

/* The importer called name, or NULL for an unknown name. */
const import_type *import_find(const char *name);

/* The importer whose extensions include path's extension (case-insensitive),
 * or NULL. */
const import_type *import_find_by_extension(const char *path);

/* Parses a comma-separated activation list "relu,relu,tanh" (leaky_relu may
 * carry its slope: "leaky_relu:0.1") into opt; PB_EINVAL naming the bad
 * entry. */
int import_options_parse_acts(import_options *opt, const char *list, pb_error *err);

/* ---- For importers only: a text file read whole, walked line by line
 * (import_text.c). ---- */
typedef struct import_text {
    const char *path;
    char *buf;   /* the file, NUL-terminated */
    char *pos;   /* next unread character */
    size_t line; /* 1-based number of the line last returned */
} import_text;

/* Reads path whole; PB_EIO naming the file when it cannot be read. */
int import_text_open(import_text *t, const char *path, pb_error *err);
void import_text_close(import_text *t);
/* The next line that is neither blank nor a comment starting with
 * `comment` (NULL: no comments), NUL-terminated in place; NULL at the end. */
char *import_text_next_line(import_text *t, const char *comment);
/* Parses up to max numbers separated by commas and/or blanks from line
 * into v; *n is how many were found.  PB_EFORMAT "FILE:LINE: ..." on a
 * token that is not a finite number or when there are more than max. */
int import_text_numbers(import_text *t, char *line, double v[], size_t max, size_t *n,
                        pb_error *err);

#endif
