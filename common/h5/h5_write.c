/* h5_write.c: the results writer over the HDF5 layer (h5_io.h): chunked,
 * deflate compressed, Fletcher-32 checksummed datasets; compound tables;
 * write to a temporary name, rename.  Each public call runs with HDF5's
 * error printing off and restores it before returning. */
#define _POSIX_C_SOURCE 200809L
#include "h5_write.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#define H5W_PATH_MAX    4096
#define H5W_CHUNK_ROWS  1024
/* Deflate level 1: level 4 made files of doubles no more than 3 % smaller
 * for 1.5x its time.  Chunks under H5W_DEFLATE_MIN bytes are stored plain:
 * zlib clears about 256 KiB of state for every chunk it compresses, and
 * traces of doubles compress to only about 0.9 of their size; compressing
 * the pendulum's 1.6 KiB and the quadrotor's 38 KiB traces made `run` of
 * configs/quadrotor.cfg 14 % slower than before the units and descriptions
 * of every dataset (commit 18ce2c4), for a file 14 % smaller. */
#define H5W_DEFLATE     1
#define H5W_DEFLATE_MIN 65536

struct h5_file {
    hid_t fid;
    char path[H5W_PATH_MAX];
    char tmp[H5W_PATH_MAX + 8];
    char made[H5W_PATH_MAX]; /* the last group make_groups ensured: it and its parents exist */
};

int h5_file_create(const char *path, h5_file **out, pb_error *err)
{
    h5_file *f;

    *out = NULL;
    if (strlen(path) >= H5W_PATH_MAX)
        return pb_error_set(err, PB_EIO, "%s: path too long", path);
    f = calloc(1, sizeof *f);
    if (!f)
        return pb_error_set(err, PB_ENOMEM, "out of memory opening %s", path);
    snprintf(f->path, sizeof f->path, "%s", path);
    snprintf(f->tmp, sizeof f->tmp, "%s.tmp", path);
    f->fid = h5_create(f->tmp, err);
    if (f->fid < 0) {
        free(f);
        return PB_EIO;
    }
    *out = f;
    return PB_SUCCESS;
}

const char *h5_file_path(const h5_file *f)
{
    return f->path;
}

const char *h5_file_tmp_path(const h5_file *f)
{
    return f->tmp;
}

int h5_file_commit(h5_file *f, pb_error *err)
{
    int rc = PB_SUCCESS;
    h5_quiet q;
    herr_t closed;

    h5_quiet_begin(&q);
    closed = H5Fclose(f->fid);
    h5_quiet_end(&q);
    if (closed < 0) {
        rc = pb_error_set(err, PB_EIO, "%s: cannot close file", f->tmp);
        remove(f->tmp);
    } else if (rename(f->tmp, f->path) != 0) {
        rc = pb_error_set(err, PB_EIO, "%s: cannot rename to %s (%s)", f->tmp, f->path,
                          strerror(errno));
        remove(f->tmp);
    }
    free(f);
    return rc;
}

void h5_file_discard(h5_file *f)
{
    h5_quiet q;

    if (!f)
        return;
    h5_quiet_begin(&q);
    H5Fclose(f->fid);
    h5_quiet_end(&q);
    remove(f->tmp);
    free(f);
}

/* Creates every missing group along path (up to, and if `last` then
 * including, the last component). */
static int make_groups(h5_file *f, const char *path, int last, pb_error *err)
{
    char buf[H5W_PATH_MAX];
    size_t n = strlen(path), end = n;

    if (n >= sizeof buf)
        return pb_error_set(err, PB_EIO, "%s: HDF5 path too long", path);
    if (!last) /* the parent group */
        while (end > 0 && path[end] != '/')
            end--;
    /* the datasets of a trace share their group: look it up once */
    if (end > 0 && strlen(f->made) == end && memcmp(f->made, path, end) == 0)
        return PB_SUCCESS;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        if (buf[i] == '\0' && !last)
            break;
        char c = buf[i];
        buf[i] = '\0';
        htri_t ex = H5Lexists(f->fid, buf, H5P_DEFAULT);
        if (ex < 0)
            return pb_error_set(err, PB_EIO, "%s: cannot look up %s", f->tmp, buf);
        if (!ex) {
            hid_t gcpl = h5_gcpl_create(), g = H5I_INVALID_HID;
            if (gcpl >= 0)
                g = H5Gcreate2(f->fid, buf, H5P_DEFAULT, gcpl, H5P_DEFAULT);
            if (gcpl >= 0)
                H5Pclose(gcpl);
            if (g < 0)
                return pb_error_set(err, PB_EIO, "%s: cannot create group %s", f->tmp, buf);
            H5Gclose(g);
        }
        buf[i] = c;
    }
    memcpy(f->made, path, end);
    f->made[end] = '\0';
    return PB_SUCCESS;
}

int h5_group_make(h5_file *f, const char *path, pb_error *err)
{
    h5_quiet q;
    int rc;

    h5_quiet_begin(&q);
    rc = make_groups(f, path, 1, err);
    h5_quiet_end(&q);
    return rc;
}

hid_t h5_group_open(h5_file *f, const char *path, pb_error *err)
{
    h5_quiet q;
    hid_t g = H5I_INVALID_HID;

    h5_quiet_begin(&q);
    if (make_groups(f, path, 1, err) == PB_SUCCESS) {
        g = H5Gopen2(f->fid, path, H5P_DEFAULT);
        if (g < 0)
            pb_error_set(err, PB_EIO, "%s: cannot open group %s", f->tmp, path);
    }
    h5_quiet_end(&q);
    return g;
}

static hid_t mem_type(h5_kind kind)
{
    switch (kind) {
    case H5W_F64:
        return H5T_NATIVE_DOUBLE;
    case H5W_I64:
        return H5T_NATIVE_LLONG;
    case H5W_U8:
        return H5T_NATIVE_UCHAR;
    default:
        return -1;
    }
}

static hid_t file_type(h5_kind kind)
{
    switch (kind) {
    case H5W_F64:
        return H5T_IEEE_F64LE;
    case H5W_I64:
        return H5T_STD_I64LE;
    case H5W_U8:
        return H5T_STD_U8LE;
    default:
        return -1;
    }
}

/* A dataset-creation property list chunked along the first dimension (up
 * to H5W_CHUNK_ROWS rows), checksummed, and deflate-compressed when a chunk
 * holds at least H5W_DEFLATE_MIN bytes; rows of `dims`. */
static hid_t chunked_plist(size_t rank, const hsize_t dims[])
{
    hsize_t chunk[2], bytes;

    for (size_t i = 0; i < rank; i++)
        chunk[i] = dims[i] ? dims[i] : 1;
    if (chunk[0] > H5W_CHUNK_ROWS)
        chunk[0] = H5W_CHUNK_ROWS;
    bytes = chunk[0] * (rank > 1 ? chunk[1] : 1) * sizeof(double);
    return h5_dcpl_create((int)rank, chunk, bytes < H5W_DEFLATE_MIN ? 0 : H5W_DEFLATE);
}

/* The dataset, and when n_units > 0 or description its units and
 * description (h5_attr_put_units_at) while it is open. */
static int dataset_write(h5_file *f, const char *path, size_t rank, const size_t dims[], h5_kind kind,
                         const void *data, size_t n_units, const char *const units[],
                         const char *description, pb_error *err)
{
    hsize_t hd[2];
    hid_t space = -1, dcpl = -1, ds = -1;
    int rc;

    if (rank < 1 || rank > 2 || kind == H5W_STR)
        return pb_error_set(err, PB_EINVAL, "%s: unsupported rank %zu or kind", path, rank);
    rc = make_groups(f, path, 0, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < rank; i++)
        hd[i] = dims[i];
    rc = PB_EIO;
    space = H5Screate_simple((int)rank, hd, NULL);
    if (space < 0)
        goto fail;
    dcpl = chunked_plist(rank, hd);
    if (dcpl < 0)
        goto close_space;
    ds = H5Dcreate2(f->fid, path, file_type(kind), space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds < 0)
        goto close_dcpl;
    if (H5Dwrite(ds, mem_type(kind), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0 &&
        h5_attr_put_units_at(ds, n_units, units, description) == PB_SUCCESS)
        rc = PB_SUCCESS;
    H5Dclose(ds);
close_dcpl:
    H5Pclose(dcpl);
close_space:
    H5Sclose(space);
fail:
    if (rc)
        pb_error_set(err, PB_EIO, "%s: cannot write dataset %s", f->tmp, path);
    return rc;
}

/* Creates (replacing) attribute `name` on obj_path with the given types. */
static int attr_write(h5_file *f, const char *obj_path, const char *name, hid_t ftype, hid_t mtype,
                      hid_t space, const void *data, pb_error *err)
{
    hid_t obj, attr;
    int rc = PB_EIO;

    obj = H5Oopen(f->fid, obj_path, H5P_DEFAULT);
    if (obj < 0)
        return pb_error_set(err, PB_EIO, "%s: no object %s for attribute %s", f->tmp, obj_path,
                            name);
    if (H5Aexists(obj, name) > 0)
        H5Adelete(obj, name);
    attr = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr >= 0) {
        if (H5Awrite(attr, mtype, data) >= 0)
            rc = PB_SUCCESS;
        H5Aclose(attr);
    }
    H5Oclose(obj);
    if (rc)
        pb_error_set(err, PB_EIO, "%s: cannot write attribute %s of %s", f->tmp, name, obj_path);
    return rc;
}

static int attr_write_f64(h5_file *f, const char *obj_path, const char *name, size_t n,
                      const double v[], pb_error *err)
{
    hsize_t dim = n;
    hid_t space = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dim, NULL);
    int rc;

    if (space < 0)
        return pb_error_set(err, PB_EIO, "%s: cannot create a dataspace", f->tmp);
    rc = attr_write(f, obj_path, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space, v, err);
    H5Sclose(space);
    return rc;
}

static int attr_write_i64(h5_file *f, const char *obj_path, const char *name, long long v,
                      pb_error *err)
{
    hid_t space = H5Screate(H5S_SCALAR);
    int rc;

    if (space < 0)
        return pb_error_set(err, PB_EIO, "%s: cannot create a dataspace", f->tmp);
    rc = attr_write(f, obj_path, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, space, &v, err);
    H5Sclose(space);
    return rc;
}

static int attr_write_i64_vec(h5_file *f, const char *obj_path, const char *name, size_t n,
                              const long long v[], pb_error *err)
{
    hsize_t dim = n;
    hid_t space = H5Screate_simple(1, &dim, NULL);
    int rc;

    if (space < 0)
        return pb_error_set(err, PB_EIO, "%s: cannot create a dataspace", f->tmp);
    rc = attr_write(f, obj_path, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, space, v, err);
    H5Sclose(space);
    return rc;
}

static int attr_write_str(h5_file *f, const char *obj_path, const char *name, const char *s,
                      pb_error *err)
{
    /* Fixed-length UTF-8 (h5_attr_put_str): h5py returns it as bytes. */
    if (h5_attr_put_str(f->fid, obj_path, name, s))
        return pb_error_set(err, PB_EIO, "%s: cannot write attribute %s of %s", f->tmp, name,
                            obj_path);
    return PB_SUCCESS;
}

static int table_write(h5_file *f, const char *path, const h5_column cols[], size_t n_cols,
                   size_t row_size, size_t n_rows, const void *rows, pb_error *err)
{
    hsize_t dim = n_rows;
    hid_t mt = -1, ft = -1, space = -1, dcpl = -1, ds = -1;
    int rc = make_groups(f, path, 0, err);

    if (rc)
        return rc;
    rc = PB_EIO;
    /* The file's row type is the memory one packed: the row struct's padding
     * (bytes a caller need not have set) never reaches the file, so the same
     * rows give the same bytes. */
    mt = h5_table_type(cols, n_cols, row_size);
    if (mt < 0)
        goto fail;
    ft = H5Tcopy(mt);
    if (ft < 0 || H5Tpack(ft) < 0)
        goto close_mt;
    space = H5Screate_simple(1, &dim, NULL);
    if (space < 0)
        goto close_mt;
    dcpl = chunked_plist(1, &dim);
    if (dcpl < 0)
        goto close_space;
    ds = H5Dcreate2(f->fid, path, ft, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds < 0)
        goto close_dcpl;
    if (n_rows == 0 || H5Dwrite(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) >= 0)
        rc = PB_SUCCESS;
    H5Dclose(ds);
    if (rc == PB_SUCCESS)
        rc = h5_table_put_meta(f->fid, path, cols, n_cols);
close_dcpl:
    H5Pclose(dcpl);
close_space:
    H5Sclose(space);
close_mt:
    if (ft >= 0)
        H5Tclose(ft);
    H5Tclose(mt);
fail:
    if (rc == PB_ENOMEM)
        pb_error_set(err, PB_ENOMEM, "out of memory writing table %s", path);
    else if (rc)
        pb_error_set(err, PB_EIO, "%s: cannot write table %s", f->tmp, path);
    return rc;
}

/* ---- The public calls: each with HDF5's error printing off ---- */

int h5_dataset_write(h5_file *f, const char *path, size_t rank, const size_t dims[], h5_kind kind,
                     const void *data, pb_error *err)
{
    h5_quiet q;
    int rc;

    h5_quiet_begin(&q);
    rc = dataset_write(f, path, rank, dims, kind, data, 0, NULL, NULL, err);
    h5_quiet_end(&q);
    return rc;
}

int h5_dataset_write_described(h5_file *f, const char *path, size_t rank, const size_t dims[],
                               h5_kind kind, const void *data, size_t n_units,
                               const char *const units[], const char *description, pb_error *err)
{
    h5_quiet q;
    int rc;

    h5_quiet_begin(&q);
    rc = dataset_write(f, path, rank, dims, kind, data, n_units, units, description, err);
    h5_quiet_end(&q);
    return rc;
}

int h5_attr_write_f64(h5_file *f, const char *obj_path, const char *name, size_t n,
                      const double v[], pb_error *err)
{
    h5_quiet q;
    int rc;

    h5_quiet_begin(&q);
    rc = attr_write_f64(f, obj_path, name, n, v, err);
    h5_quiet_end(&q);
    return rc;
}

int h5_attr_write_i64(h5_file *f, const char *obj_path, const char *name, long long v,
                      pb_error *err)
{
    h5_quiet q;
    int rc;

    h5_quiet_begin(&q);
    rc = attr_write_i64(f, obj_path, name, v, err);
    h5_quiet_end(&q);
    return rc;
}

int h5_attr_write_i64_vec(h5_file *f, const char *obj_path, const char *name, size_t n,
                          const long long v[], pb_error *err)
{
    h5_quiet q;
    int rc;

    h5_quiet_begin(&q);
    rc = attr_write_i64_vec(f, obj_path, name, n, v, err);
    h5_quiet_end(&q);
    return rc;
}

int h5_attr_write_str(h5_file *f, const char *obj_path, const char *name, const char *s,
                      pb_error *err)
{
    h5_quiet q;
    int rc;

    h5_quiet_begin(&q);
    rc = attr_write_str(f, obj_path, name, s, err);
    h5_quiet_end(&q);
    return rc;
}

int h5_table_write(h5_file *f, const char *path, const h5_column cols[], size_t n_cols,
                   size_t row_size, size_t n_rows, const void *rows, pb_error *err)
{
    h5_quiet q;
    int rc;

    h5_quiet_begin(&q);
    rc = table_write(f, path, cols, n_cols, row_size, n_rows, rows, err);
    h5_quiet_end(&q);
    return rc;
}

int h5_attr_write_strv(h5_file *f, const char *obj_path, const char *name, size_t n,
                       const char *const s[], pb_error *err)
{
    if (h5_attr_put_strv(f->fid, obj_path, name, n, s))
        return pb_error_set(err, PB_EIO, "%s: cannot write attribute %s of %s", f->tmp, name,
                            obj_path);
    return PB_SUCCESS;
}

int h5_dataset_describe(h5_file *f, const char *path, size_t n_units, const char *const units[],
                        const char *description, pb_error *err)
{
    if (h5_attr_put_units(f->fid, path, n_units, units, description))
        return pb_error_set(err, PB_EIO, "%s: cannot write the units or description of %s", f->tmp,
                            path);
    return PB_SUCCESS;
}
