/* h5_write.h: the results writer.  It takes arrays, shapes and names and
 * knows nothing of plants or policies.  Files come from h5_create and
 * datasets are chunked, deflate compressed and Fletcher-32 checksummed
 * (h5_dcpl_create, h5_io.h); each call keeps HDF5's error printing as the
 * caller had it (h5_quiet_begin/end); the file is written under "path.tmp" and renamed to path only
 * by h5_file_commit, so an interrupted or failed run leaves no file at path
 * (DESIGN.md "Principles: nothing lost"). */
#ifndef PB_COMMON_H5_H5_WRITE_H
#define PB_COMMON_H5_H5_WRITE_H

#include <stddef.h>

#include <hdf5.h>

#include "h5_io.h"
#include "pb_error.h"

/* An open results file being written. */
typedef struct h5_file h5_file;

/* Creates "path.tmp" (truncating one left by an earlier failure).  On success
 * *out owns the handle; PB_EIO with a message naming the file otherwise. */
int h5_file_create(const char *path, h5_file **out, pb_error *err);

/* Closes the file and renames "path.tmp" to path.  Frees f whatever happens;
 * on failure the temporary file is removed and PB_EIO returned. */
int h5_file_commit(h5_file *f, pb_error *err);

/* Closes and removes the temporary file and frees f (a failed run); NULL is a no-op. */
void h5_file_discard(h5_file *f);

/* The final and the temporary path of f. */
/* The open HDF5 group at path (made with its parents when missing), for
 * writers that take an HDF5 location (mlp_write_h5_group); the caller closes
 * it with H5Gclose.  A negative id with the reason in err on failure. */
hid_t h5_group_open(h5_file *f, const char *path, pb_error *err);
const char *h5_file_path(const h5_file *f);
const char *h5_file_tmp_path(const h5_file *f);

/* Creates group `path` ("/runs/magnitude_s0.50/0") and any missing parents;
 * an existing group is fine.  PB_EIO on failure. */
int h5_group_make(h5_file *f, const char *path, pb_error *err);

/* Writes a dataset of `rank` (1 or 2) with dims[rank] elements of `kind`
 * (H5W_F64, H5W_I64 or H5W_U8), row-major, chunked (up to 1024 rows) and
 * deflate-compressed; missing parent groups are created.  PB_EIO on failure,
 * PB_EINVAL for a bad rank or kind. */
int h5_dataset_write(h5_file *f, const char *path, size_t rank, const size_t dims[], h5_kind kind,
                     const void *data, pb_error *err);

/* Attributes on the object at obj_path (a group or dataset, "/" for the
 * root).  _f64 writes a scalar when n == 1, else a vector of n. */
int h5_attr_write_f64(h5_file *f, const char *obj_path, const char *name, size_t n,
                      const double v[], pb_error *err);
int h5_attr_write_i64(h5_file *f, const char *obj_path, const char *name, long long v,
                      pb_error *err);
/* A vector of n integers (n >= 1). */
int h5_attr_write_i64_vec(h5_file *f, const char *obj_path, const char *name, size_t n,
                          const long long v[], pb_error *err);
int h5_attr_write_str(h5_file *f, const char *obj_path, const char *name, const char *s,
                      pb_error *err);

/* A vector of n >= 1 strings, fixed-length NUL-terminated UTF-8 (h5_attr_put_strv;
 * h5py 3 reads an array of bytes). */
int h5_attr_write_strv(h5_file *f, const char *obj_path, const char *name, size_t n,
                       const char *const s[], pb_error *err);

/* The metadata every dataset carries (docs/RESULTS.md): attribute `units`,
 * a string when n_units == 1, one string per column when n_units > 1
 * (nothing when 0), and the one-line `description` (none when NULL). */
int h5_dataset_describe(h5_file *f, const char *path, size_t n_units, const char *const units[],
                        const char *description, pb_error *err);

/* h5_dataset_write then h5_dataset_describe, the attributes written while
 * the new dataset is open (reopening it by name cost more than writing it). */
int h5_dataset_write_described(h5_file *f, const char *path, size_t rank, const size_t dims[],
                               h5_kind kind, const void *data, size_t n_units,
                               const char *const units[], const char *description, pb_error *err);

/* Writes n_rows rows of row_size bytes as a compound dataset (one field per
 * column; h5py reads it as a structured array), chunked, compressed and
 * checksummed, with the attributes `units` and `descriptions` of its columns
 * (h5_table_put_meta); readers read it back with h5_table_read and the same cols.
 * PB_EIO on failure. */
int h5_table_write(h5_file *f, const char *path, const h5_column cols[], size_t n_cols,
                   size_t row_size, size_t n_rows, const void *rows, pb_error *err);

#endif
