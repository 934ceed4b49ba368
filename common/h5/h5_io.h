/* h5_io.h: the one HDF5 layer under every reader and writer of prunebound.
 *
 * - Every file prunebound creates comes from h5_create (the HDF5 1.8 object
 *   format, whose metadata carries checksums, and no object timestamps), and
 *   every dataset from a property list of h5_dcpl_create (chunked, with a
 *   Fletcher-32 checksum per chunk), as docs/DESIGN.md promises.
 * - HDF5 prints its error stack on stderr by default; the layer's calls save
 *   that setting, switch printing off and restore it before returning
 *   (h5_quiet_begin/h5_quiet_end), so the user sees our message, which names
 *   the file, and a caller's own setting is left as it was.
 * - Readers: open read-only, string attributes of any HDF5 string type,
 *   float64 datasets with their shape, compound tables through the column
 *   table that also writes them (h5_column, h5_write.h). */
#ifndef PB_COMMON_H5_H5_IO_H
#define PB_COMMON_H5_H5_IO_H

#include <stddef.h>

#include <hdf5.h>

#include "pb_error.h"

/* HDF5's automatic error printing as it was before h5_quiet_begin. */
typedef struct h5_quiet {
    H5E_auto2_t func;
    void *data;
} h5_quiet;

/* Saves the automatic error handler of the default stack in q and switches
 * it off; h5_quiet_end restores it.  Pairs nest. */
void h5_quiet_begin(h5_quiet *q);
void h5_quiet_end(const h5_quiet *q);

/* Element kinds of datasets and table columns. */
typedef enum h5_kind {
    H5W_F64 = 0, /* double */
    H5W_I64,     /* long long */
    H5W_U8,      /* unsigned char */
    H5W_STR      /* fixed-length NUL-terminated string (table columns only) */
} h5_kind;

/* One column of a table: a field of the caller's row struct.  One const
 * array of these defines a table's layout for its writer and its readers
 * (mc_row_cols in sim/mc, results_row_cols in sim/results). */
typedef struct h5_column {
    const char *name;
    h5_kind kind;
    size_t offset; /* offsetof(row struct, field) */
    size_t size;   /* H5W_STR: the char array's size; ignored otherwise */
    const char *units;       /* "rad", "s", "1" for a dimensionless number, "" for text */
    const char *description; /* one line */
} h5_column;

/* Writes (replacing) the string attribute `name` of the object at obj_path
 * ("/" or "." for loc itself) as fixed-length NUL-terminated UTF-8, in the
 * checksummed object header: a scalar (_str) or a vector of n >= 1 strings
 * (_strv).  Not variable-length, although h5py would read that as str: the
 * global heap holding it has no checksum, and HDF5 1.10 loops forever on a
 * damaged one (h5_io.c, put_strings).  h5py 3 reads these, and every string
 * field of a table, as bytes (docs/RESULTS.md).  PB_SUCCESS or PB_EIO;
 * nothing is printed. */
int h5_attr_put_str(hid_t loc, const char *obj_path, const char *name, const char *s);
int h5_attr_put_strv(hid_t loc, const char *obj_path, const char *name, size_t n,
                     const char *const s[]);
/* Attributes "units" (a scalar when n_units is 1, a list when more, none when
 * 0) and "description" (when not NULL) of obj_path, the object opened once. */
int h5_attr_put_units(hid_t loc, const char *obj_path, size_t n_units, const char *const units[],
                      const char *description);
/* The same on an open object. */
int h5_attr_put_units_at(hid_t obj, size_t n_units, const char *const units[],
                         const char *description);

/* The per-column metadata of the table at path: attributes `units` and
 * `descriptions`, one string per column in the order of cols (compound
 * fields cannot carry attributes of their own).  PB_SUCCESS, PB_ENOMEM or PB_EIO. */
int h5_table_put_meta(hid_t loc, const char *path, const h5_column cols[], size_t n_cols);

/* Copies cols[n] into out[n] with the placeholder units "@state" and
 * "@input" replaced by state_units and input_units: the layer knows no
 * plant, so a writer passes the units of the plant it records. */
void h5_columns_bind_units(const h5_column cols[], size_t n, const char *state_units,
                           const char *input_units, h5_column out[]);

/* A dataset-creation property list: chunks of chunk[rank] elements (each
 * entry > 0), a Fletcher-32 checksum per chunk, no object timestamps, and
 * when deflate > 0 the shuffle filter and deflate at that level (checksum
 * last, over the compressed bytes).  The caller closes it with H5Pclose; a
 * negative id on failure. */
hid_t h5_dcpl_create(int rank, const hsize_t chunk[], int deflate);

/* A group-creation property list: no object timestamps, and up to 64
 * attributes kept in the object header (compact storage; HDF5's default
 * of 8 moves more into a fractal heap and a B-tree per group).  The caller
 * closes it with H5Pclose; a negative id on failure. */
hid_t h5_gcpl_create(void);

/* Creates (truncating) the HDF5 file at path in the HDF5 1.8 object format
 * without object timestamps: the same content gives the same bytes.  The
 * caller closes it with H5Fclose.  A negative id and PB_EIO in err, naming
 * the file and the system's reason, on failure. */
hid_t h5_create(const char *path, pb_error *err);

/* Opens the HDF5 file at path with flags H5F_ACC_RDONLY or H5F_ACC_RDWR.
 * On failure a negative id and in err PB_EIO ("path: cannot open: reason")
 * when the system refuses the file, PB_EFORMAT ("path: not an HDF5 file (or
 * truncated)") when HDF5 does. */
hid_t h5_open(const char *path, unsigned flags, pb_error *err);

/* Non-zero when the object at path ("a/b/c", absolute or relative to loc)
 * exists; every intermediate link is checked, so a missing parent is
 * "no", not an HDF5 error.  "/" always exists. */
int h5_has_object(hid_t loc, const char *path);

/* Reads the scalar string attribute `name` of the object at obj_path ("/" or
 * "." for loc itself), fixed or variable length, any character set, into
 * buf (len bytes).  PB_EFORMAT when it is absent, not a single string or
 * longer than len - 1 characters (buf is then ""); PB_ENOMEM. */
int h5_attr_read_str(hid_t loc, const char *obj_path, const char *name, char *buf, size_t len,
                     pb_error *err);

/* The scalar numeric attribute `name` of the object at obj_path as a double;
 * NaN when it is absent or not a single number. */
double h5_attr_read_f64(hid_t loc, const char *obj_path, const char *name);

/* H5Dread, after checking that every allocated chunk of ds the read touches
 * (those of file_space's bounding box; H5S_ALL: all) lies within the file
 * and, when ds has the Fletcher-32 filter, holds at least its 4-byte
 * checksum.  The chunk index of the HDF5 1.8 format (a version-1 B-tree)
 * carries no checksum, and HDF5 1.10's Fletcher-32 filter reads before its
 * buffer on a chunk shorter than 4 bytes (a crash fuzz_policy found), so a
 * damaged index must be refused before HDF5 reads the chunk.  Every reader of
 * a dataset goes through here.  Negative on failure, as H5Dread. */
herr_t h5_dread(hid_t ds, hid_t mem_type, hid_t mem_space, hid_t file_space, void *buf);

/* Reads the dataset at path, of rank 1 or 2, converted to float64, into a
 * new array *out (row-major, freed by the caller) of dims[0] x dims[1]
 * elements (dims[1] = 1 for rank 1).  PB_EFORMAT naming file and dataset
 * when it is missing, of another rank or not convertible; PB_ENOMEM. */
int h5_dataset_read_f64(hid_t loc, const char *file, const char *path, int rank, size_t dims[2],
                        double **out, pb_error *err);

/* The memory compound type of a table of rows of row_size bytes (native
 * types); the caller closes it with H5Tclose.  Negative on failure. */
hid_t h5_table_type(const h5_column cols[], size_t n_cols, size_t row_size);

/* Reads the compound dataset at path into a new array *rows (freed by the
 * caller, at least one row allocated) of *n_rows rows of row_size bytes,
 * filling the fields cols[] names: the file's members are matched by name.
 * The first n_required columns must be in the file; a later one it lacks
 * (a column appended to the layout after the file was written) reads as 0.
 * PB_EFORMAT naming file, table and field when the table is missing, not a
 * table, lacks a required column or cannot be read; PB_ENOMEM. */
int h5_table_read(hid_t loc, const char *file, const char *path, const h5_column cols[],
                  size_t n_cols, size_t n_required, size_t row_size, void **rows, size_t *n_rows,
                  pb_error *err);

#endif
