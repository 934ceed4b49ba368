/* mlp_io.h: policy files in the HDF5 layout of DESIGN.md ("Policy file"). */
#ifndef PB_CONTROLLER_MLP_IO_H
#define PB_CONTROLLER_MLP_IO_H

#include <hdf5.h>

#include "mlp.h"
#include "pb_error.h"

/* Reads a policy file.  On success *out owns a validated network; on failure
 * *out is NULL and err names the file and the problem (PB_EIO: cannot open;
 * PB_EFORMAT: not HDF5 or truncated, not a prunebound policy, missing or
 * mis-shaped dataset, layer chain mismatch, unknown activation, non-finite
 * weight).  Any float type is converted to double; a dataset missing from
 * /input or /output takes its identity value.  HDF5 prints nothing. */
int mlp_read_h5(const char *path, mlp **out, pb_error *err);

/* Writes m to path, atomically: to "path.tmp" first, renamed when complete,
 * so a failure leaves no file at path.  Bit-exact round trip with
 * mlp_read_h5.  PB_EIO with a message on failure. */
int mlp_write_h5(const mlp *m, const char *path, pb_error *err);

/* Writes m in the policy layout under the open HDF5 file or group `loc`
 * (its attributes, layers/, input/, output/, provenance/): what
 * mlp_write_h5 puts at a file's root, so that a results file's
 * /policies/<label> groups are policy files too.  PB_EINVAL for an invalid
 * network, PB_EIO when HDF5 fails; loc is left open. */
int mlp_write_h5_group(const mlp *m, hid_t loc, pb_error *err);

/* SHA-256 of a file's bytes as 64 hex digits plus NUL (the provenance's
 * parent_sha256). */
int mlp_file_sha256(const char *path, char hex[65], pb_error *err);

/* SHA-256 of the policy file mlp_write_h5 writes for m (the same network
 * gives the same bytes), written to a temporary file under $TMPDIR (or
 * /tmp) and removed.  PB_EIO when that file cannot be written. */
int mlp_sha256(const mlp *m, char hex[65], pb_error *err);

/* Reads dataset `states` [n, n_in] (any numeric type, read as float64) of an
 * HDF5 file (a calibration or logged-states file) into *out, malloc'd and
 * owned by the caller, with *n = rows.  PB_EIO when the file cannot be
 * opened; PB_EFORMAT for a missing dataset, a rank other than 2, a column
 * count other than n_in, n = 0, or a non-finite entry; PB_ENOMEM. */
int mlp_states_read_h5(const char *path, size_t n_in, double **out, size_t *n, pb_error *err);

#endif
