/* h5_io.c: the HDF5 layer (h5_io.h): file creation and opening, dataset
 * properties, error printing, and the readers every file kind shares. */
#define _POSIX_C_SOURCE 200809L
#include "h5_io.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H5IO_PATH_MAX 1024

void h5_quiet_begin(h5_quiet *q)
{
    if (H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data) < 0) {
        q->func = NULL;
        q->data = NULL;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void h5_quiet_end(const h5_quiet *q)
{
    H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

hid_t h5_dcpl_create(int rank, const hsize_t chunk[], int deflate)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);

    if (dcpl < 0)
        return H5I_INVALID_HID;
    /* Filters run in the order set: shuffle, deflate, then the checksum over
     * the stored bytes, which HDF5 verifies on every read of the chunk. */
    if (H5Pset_obj_track_times(dcpl, 0) < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0 ||
        (deflate > 0 && (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, (unsigned)deflate) < 0)) ||
        H5Pset_fletcher32(dcpl) < 0) {
        H5Pclose(dcpl);
        return H5I_INVALID_HID;
    }
    return dcpl;
}

/* Attributes stay in the object header ("compact") up to this many per
 * object.  HDF5's default, 8, moves a run group's dozen attributes into
 * "dense" storage: a fractal heap and a B-tree of hashed names for each
 * group, structures for a few short attributes (no time measured either
 * way on the pendulum run). */
#define H5_ATTR_COMPACT_MAX 64

hid_t h5_gcpl_create(void)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);

    if (gcpl < 0)
        return H5I_INVALID_HID;
    if (H5Pset_obj_track_times(gcpl, 0) < 0 ||
        H5Pset_attr_phase_change(gcpl, H5_ATTR_COMPACT_MAX, H5_ATTR_COMPACT_MAX - 8) < 0) {
        H5Pclose(gcpl);
        return H5I_INVALID_HID;
    }
    return gcpl;
}

hid_t h5_create(const char *path, pb_error *err)
{
    h5_quiet q;
    hid_t f = H5I_INVALID_HID, fapl, fcpl;

    h5_quiet_begin(&q);
    /* The HDF5 1.8 object format: its metadata carries checksums, so a
     * damaged file is refused on reading.  No timestamps on the root group. */
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    fcpl = H5Pcreate(H5P_FILE_CREATE);
    errno = 0;
    if (fapl >= 0 && fcpl >= 0 &&
        H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST) >= 0 &&
        H5Pset_obj_track_times(fcpl, 0) >= 0 &&
        H5Pset_attr_phase_change(fcpl, H5_ATTR_COMPACT_MAX, H5_ATTR_COMPACT_MAX - 8) >= 0)
        f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
    if (f < 0) {
        int e = errno;
        pb_error_set(err, PB_EIO, "%s: cannot create file (%s)", path,
                     e ? strerror(e) : "HDF5 error");
    }
    if (fapl >= 0)
        H5Pclose(fapl);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    h5_quiet_end(&q);
    return f;
}

hid_t h5_open(const char *path, unsigned flags, pb_error *err)
{
    h5_quiet q;
    FILE *probe;
    hid_t f;

    /* Tell "the system refuses the file" (PB_EIO) from "not HDF5" (PB_EFORMAT). */
    probe = fopen(path, flags == H5F_ACC_RDWR ? "r+b" : "rb");
    if (!probe) {
        pb_error_set(err, PB_EIO, "%s: cannot open: %s", path, strerror(errno));
        return H5I_INVALID_HID;
    }
    fclose(probe);
    h5_quiet_begin(&q);
    f = H5Fopen(path, flags, H5P_DEFAULT);
    h5_quiet_end(&q);
    if (f < 0)
        pb_error_set(err, PB_EFORMAT, "%s: not an HDF5 file (or truncated)", path);
    return f;
}

/* h5_has_object without the quiet pair. */
static int has_object(hid_t loc, const char *path)
{
    char buf[H5IO_PATH_MAX];
    size_t n = strlen(path);

    if (strcmp(path, "/") == 0 || strcmp(path, ".") == 0)
        return 1;
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, path, n + 1);
    /* H5Lexists needs every intermediate link to exist: check each prefix. */
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (H5Lexists(loc, buf, H5P_DEFAULT) <= 0)
            return 0;
        buf[i] = c;
    }
    return 1;
}

int h5_has_object(hid_t loc, const char *path)
{
    h5_quiet q;
    int yes;

    h5_quiet_begin(&q);
    yes = has_object(loc, path);
    h5_quiet_end(&q);
    return yes;
}

/* Opens attribute `name` of obj_path, or a negative id when it is absent
 * (the caller keeps the error stack quiet: an absent attribute is no error). */
static hid_t attr_open(hid_t loc, const char *obj_path, const char *name)
{
    if (!has_object(loc, obj_path))
        return H5I_INVALID_HID;
    return H5Aopen_by_name(loc, obj_path, name, H5P_DEFAULT, H5P_DEFAULT);
}

/* The body of h5_attr_read_str, on an open attribute. */
static int attr_read_str(hid_t attr, const char *name, char *buf, size_t len, pb_error *err)
{
    hid_t ftype, mtype = H5I_INVALID_HID, space;
    int status = PB_EFORMAT;

    ftype = H5Aget_type(attr);
    space = H5Aget_space(attr);
    if (ftype < 0 || space < 0 || H5Tget_class(ftype) != H5T_STRING ||
        H5Sget_simple_extent_npoints(space) != 1) {
        pb_error_set(err, PB_EFORMAT, "attribute '%s' is not a single string", name);
        goto close;
    }
    /* Same character set as the file's, or HDF5 refuses the conversion. */
    mtype = H5Tcopy(H5T_C_S1);
    if (mtype < 0 || H5Tset_cset(mtype, H5Tget_cset(ftype)) < 0)
        goto h5fail;
    if (H5Tis_variable_str(ftype) > 0) {
        char *s = NULL;
        if (H5Tset_size(mtype, H5T_VARIABLE) < 0 || H5Aread(attr, mtype, &s) < 0)
            goto h5fail;
        if (!s || strlen(s) >= len) {
            pb_error_set(err, PB_EFORMAT, "attribute '%s' is longer than %zu characters", name,
                         len - 1);
        } else {
            strcpy(buf, s);
            status = PB_SUCCESS;
        }
        H5free_memory(s);
    } else {
        size_t n = H5Tget_size(ftype);
        char *s;
        if (n == 0 || H5Tset_size(mtype, n) < 0 || H5Tset_strpad(mtype, H5T_STR_NULLPAD) < 0)
            goto h5fail;
        s = calloc(n + 1, 1);
        if (!s) {
            status = pb_error_set(err, PB_ENOMEM, "out of memory");
            goto close;
        }
        if (H5Aread(attr, mtype, s) < 0) {
            free(s);
            goto h5fail;
        }
        if (strlen(s) >= len) {
            pb_error_set(err, PB_EFORMAT, "attribute '%s' is longer than %zu characters", name,
                         len - 1);
        } else {
            strcpy(buf, s);
            status = PB_SUCCESS;
        }
        free(s);
    }
    goto close;
h5fail:
    pb_error_set(err, PB_EFORMAT, "attribute '%s' cannot be read", name);
close:
    if (mtype >= 0)
        H5Tclose(mtype);
    if (space >= 0)
        H5Sclose(space);
    if (ftype >= 0)
        H5Tclose(ftype);
    return status;
}

int h5_attr_read_str(hid_t loc, const char *obj_path, const char *name, char *buf, size_t len,
                     pb_error *err)
{
    h5_quiet q;
    hid_t attr;
    int status;

    if (len == 0)
        return pb_error_set(err, PB_EINVAL, "attribute '%s': no room to read it", name);
    buf[0] = '\0';
    h5_quiet_begin(&q);
    attr = attr_open(loc, obj_path, name);
    if (attr < 0) {
        status = pb_error_set(err, PB_EFORMAT, "attribute '%s' is missing", name);
    } else {
        status = attr_read_str(attr, name, buf, len, err);
        H5Aclose(attr);
    }
    if (status)
        buf[0] = '\0';
    h5_quiet_end(&q);
    return status;
}

double h5_attr_read_f64(hid_t loc, const char *obj_path, const char *name)
{
    h5_quiet q;
    double v = NAN;
    hid_t attr, space;

    h5_quiet_begin(&q);
    attr = attr_open(loc, obj_path, name);
    if (attr >= 0) {
        space = H5Aget_space(attr);
        if (space < 0 || H5Sget_simple_extent_npoints(space) != 1 ||
            H5Aread(attr, H5T_NATIVE_DOUBLE, &v) < 0)
            v = NAN;
        if (space >= 0)
            H5Sclose(space);
        H5Aclose(attr);
    }
    h5_quiet_end(&q);
    return v;
}

/* Zero when every allocated chunk of the chunked dataset ds that the read
 * of file_space touches (H5S_ALL: every chunk) lies within the file (of size
 * eof) and holds at least min_bytes: the chunks of the selection's bounding
 * box are walked by coordinates, each looked up in the index on its own, so
 * that reading a large table block by block checks each chunk about once. */
static int chunks_check(hid_t ds, hid_t file_space, hid_t dcpl, haddr_t eof, hsize_t min_bytes)
{
    hsize_t dims[H5S_MAX_RANK], chunk[H5S_MAX_RANK], at[H5S_MAX_RANK] = {0};
    hsize_t lo[H5S_MAX_RANK] = {0}, hi[H5S_MAX_RANK];
    hid_t sp = H5Dget_space(ds);
    int rank = sp >= 0 ? H5Sget_simple_extent_dims(sp, dims, NULL) : -1;

    if (sp >= 0)
        H5Sclose(sp);
    if (rank < 0 || H5Pget_chunk(dcpl, rank, chunk) != rank)
        return -1;
    for (int i = 0; i < rank; i++)
        if (dims[i] == 0)
            return 0; /* no element, no chunk read */
        else if (chunk[i] == 0)
            return -1;
        else
            hi[i] = dims[i] - 1;
    if (file_space != H5S_ALL) {
        if (H5Sget_select_npoints(file_space) == 0)
            return 0;
        if (H5Sget_select_bounds(file_space, lo, hi) < 0)
            return -1;
    }
    for (int i = 0; i < rank; i++) {
        if (hi[i] >= dims[i])
            return -1;
        at[i] = lo[i] = lo[i] / chunk[i] * chunk[i];
    }
    for (;;) {
        unsigned mask;
        haddr_t addr;
        hsize_t size;
        int i;

        if (H5Dget_chunk_info_by_coord(ds, at, &mask, &addr, &size) < 0)
            return -1;
        if (addr != HADDR_UNDEF && (size < min_bytes || addr > eof || size > eof - addr))
            return -1;
        for (i = rank - 1; i >= 0; i--) { /* the next chunk, last index fastest */
            at[i] += chunk[i];
            if (at[i] <= hi[i])
                break;
            at[i] = lo[i];
        }
        if (i < 0)
            return 0;
    }
}

herr_t h5_dread(hid_t ds, hid_t mem_type, hid_t mem_space, hid_t file_space, void *buf)
{
    hid_t dcpl = H5Dget_create_plist(ds), file = H5I_INVALID_HID;
    hsize_t eof = 0;
    int ok = 0;

    if (dcpl < 0)
        return -1;
    if (H5Pget_layout(dcpl) != H5D_CHUNKED) {
        ok = 1;
    } else if ((file = H5Iget_file_id(ds)) >= 0 && H5Fget_filesize(file, &eof) >= 0) {
        unsigned flags;
        size_t n_cd = 0;
        /* The Fletcher-32 filter's checksum is its chunk's last 4 bytes. */
        hsize_t min_bytes = H5Pget_filter_by_id2(dcpl, H5Z_FILTER_FLETCHER32, &flags, &n_cd,
                                                 NULL, 0, NULL, NULL) >= 0 ? 4 : 1;

        ok = chunks_check(ds, file_space, dcpl, (haddr_t)eof, min_bytes) == 0;
    }
    if (file >= 0)
        H5Fclose(file);
    H5Pclose(dcpl);
    if (!ok)
        return -1;
    return H5Dread(ds, mem_type, mem_space, file_space, H5P_DEFAULT, buf);
}

int h5_dataset_read_f64(hid_t loc, const char *file, const char *path, int rank, size_t dims[2],
                        double **out, pb_error *err)
{
    h5_quiet q;
    hid_t ds = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    hsize_t d[2] = {0, 1};
    int rc = PB_SUCCESS;

    *out = NULL;
    if (rank < 1 || rank > 2)
        return pb_error_set(err, PB_EINVAL, "%s: dataset %s: rank %d is not 1 or 2", file, path,
                            rank);
    h5_quiet_begin(&q);
    if (!has_object(loc, path) || (ds = H5Dopen2(loc, path, H5P_DEFAULT)) < 0) {
        rc = pb_error_set(err, PB_EFORMAT, "%s: dataset %s is missing", file, path);
        goto done;
    }
    sp = H5Dget_space(ds);
    if (sp < 0 || H5Sget_simple_extent_ndims(sp) != rank ||
        H5Sget_simple_extent_dims(sp, d, NULL) != rank) {
        rc = pb_error_set(err, PB_EFORMAT, "%s: dataset %s is not of rank %d", file, path, rank);
        goto close_ds;
    }
    dims[0] = (size_t)d[0];
    dims[1] = rank == 2 ? (size_t)d[1] : 1;
    *out = malloc((dims[0] * dims[1] + 1) * sizeof **out);
    if (!*out) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory reading %s", path);
        goto close_ds;
    }
    if (dims[0] * dims[1] > 0 &&
        h5_dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, *out) < 0) {
        free(*out);
        *out = NULL;
        rc = pb_error_set(err, PB_EFORMAT, "%s: cannot read dataset %s as float64", file, path);
    }
close_ds:
    if (sp >= 0)
        H5Sclose(sp);
    H5Dclose(ds);
done:
    h5_quiet_end(&q);
    return rc;
}

static hid_t native_type(h5_kind kind)
{
    switch (kind) {
    case H5W_F64:
        return H5T_NATIVE_DOUBLE;
    case H5W_I64:
        return H5T_NATIVE_LLONG;
    case H5W_U8:
        return H5T_NATIVE_UCHAR;
    default:
        return H5I_INVALID_HID;
    }
}

hid_t h5_table_type(const h5_column cols[], size_t n_cols, size_t row_size)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, row_size);

    if (t < 0)
        return H5I_INVALID_HID;
    for (size_t i = 0; i < n_cols; i++) {
        herr_t st;
        if (cols[i].kind == H5W_STR) {
            hid_t s = H5Tcopy(H5T_C_S1);
            st = s < 0 || H5Tset_size(s, cols[i].size) < 0 ||
                         H5Tset_strpad(s, H5T_STR_NULLTERM) < 0
                     ? -1
                     : H5Tinsert(t, cols[i].name, cols[i].offset, s);
            if (s >= 0)
                H5Tclose(s);
        } else {
            hid_t m = native_type(cols[i].kind);
            st = m < 0 ? -1 : H5Tinsert(t, cols[i].name, cols[i].offset, m);
        }
        if (st < 0) {
            H5Tclose(t);
            return H5I_INVALID_HID;
        }
    }
    return t;
}

int h5_table_read(hid_t loc, const char *file, const char *path, const h5_column cols[],
                  size_t n_cols, size_t n_required, size_t row_size, void **rows, size_t *n_rows,
                  pb_error *err)
{
    h5_quiet q;
    hid_t ds = H5I_INVALID_HID, ft = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    hid_t mt = H5I_INVALID_HID;
    h5_column *present = NULL;
    size_t n_present = 0;
    hsize_t n = 0;
    int rc = PB_EFORMAT;

    *rows = NULL;
    *n_rows = 0;
    h5_quiet_begin(&q);
    if (!has_object(loc, path) || (ds = H5Dopen2(loc, path, H5P_DEFAULT)) < 0) {
        pb_error_set(err, PB_EFORMAT, "%s: dataset %s is missing", file, path);
        goto done;
    }
    ft = H5Dget_type(ds);
    if (ft < 0 || H5Tget_class(ft) != H5T_COMPOUND) {
        pb_error_set(err, PB_EFORMAT, "%s: dataset %s is not a table", file, path);
        goto close;
    }
    /* The required columns must be there; an optional one the file lacks (a
     * column appended after it was written) stays zero. */
    if (!(present = malloc((n_cols + 1) * sizeof *present))) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory reading %s", path);
        goto close;
    }
    for (size_t i = 0; i < n_cols; i++) {
        if (H5Tget_member_index(ft, cols[i].name) >= 0)
            present[n_present++] = cols[i];
        else if (i < n_required) {
            pb_error_set(err, PB_EFORMAT, "%s: table %s has no field '%s'", file, path,
                         cols[i].name);
            goto close;
        }
    }
    sp = H5Dget_space(ds);
    if (sp < 0 || H5Sget_simple_extent_ndims(sp) != 1 ||
        H5Sget_simple_extent_dims(sp, &n, NULL) != 1) {
        pb_error_set(err, PB_EFORMAT, "%s: table %s is not one-dimensional", file, path);
        goto close;
    }
    mt = h5_table_type(present, n_present, row_size);
    if (mt < 0) {
        rc = pb_error_set(err, PB_EINTERNAL, "%s: cannot build the row type of %s", file, path);
        goto close;
    }
    /* Zeroed rows: fields the column table leaves out read as 0. */
    *rows = calloc((size_t)n + 1, row_size);
    if (!*rows) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory reading %s", path);
        goto close;
    }
    if (n && h5_dread(ds, mt, H5S_ALL, H5S_ALL, *rows) < 0) {
        free(*rows);
        *rows = NULL;
        pb_error_set(err, PB_EFORMAT, "%s: cannot read %s", file, path);
        goto close;
    }
    *n_rows = (size_t)n;
    rc = PB_SUCCESS;
close:
    free(present);
    if (mt >= 0)
        H5Tclose(mt);
    if (sp >= 0)
        H5Sclose(sp);
    if (ft >= 0)
        H5Tclose(ft);
    H5Dclose(ds);
done:
    h5_quiet_end(&q);
    return rc;
}

/* ---- String attributes and table metadata (writers on open locations) ---- */

/* Creates (replacing) attribute `name` of obj_path: n strings, a scalar
 * when scalar is set, as fixed-length UTF-8 padded with NULs.  Not
 * variable-length: those live in HDF5's global heap, which has no checksum,
 * and HDF5 1.10's reader of a damaged global heap can loop forever (found
 * by fuzz_results); fixed-length strings sit in the checksummed object
 * header.  h5py returns them as bytes (docs/RESULTS.md). */
static int put_strings_at(hid_t obj, const char *name, size_t n, const char *const s[],
                          int scalar)
{
    hsize_t dim = n;
    hid_t type, space, attr;
    size_t width = 1;
    char vec[16384]; /* n strings of one width, for n > 1 (lists of names and units) */
    const char *buf = s[0];
    int rc = PB_EIO;

    if (n == 0)
        return PB_EIO;
    for (size_t i = 0; i < n; i++) {
        if (!s[i])
            return PB_EIO;
        if (strlen(s[i]) + 1 > width)
            width = strlen(s[i]) + 1;
    }
    if (n > 1) { /* a scalar is written from its own bytes, NUL included */
        if (width > sizeof vec / n)
            return PB_EIO;
        memset(vec, 0, n * width);
        for (size_t i = 0; i < n; i++)
            memcpy(vec + i * width, s[i], strlen(s[i]));
        buf = vec;
    }
    type = H5Tcopy(H5T_C_S1);
    space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dim, NULL);
    if (type >= 0 && space >= 0 && H5Tset_size(type, width) >= 0 &&
        H5Tset_strpad(type, H5T_STR_NULLTERM) >= 0 && H5Tset_cset(type, H5T_CSET_UTF8) >= 0) {
        if (H5Aexists(obj, name) > 0)
            H5Adelete(obj, name);
        attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
        if (attr >= 0) {
            if (H5Awrite(attr, type, buf) >= 0)
                rc = PB_SUCCESS;
            H5Aclose(attr);
        }
    }
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    return rc;
}

static int put_strings(hid_t loc, const char *obj_path, const char *name, size_t n,
                       const char *const s[], int scalar)
{
    hid_t obj = H5Oopen(loc, obj_path, H5P_DEFAULT);
    int rc;

    if (obj < 0)
        return PB_EIO;
    rc = put_strings_at(obj, name, n, s, scalar);
    H5Oclose(obj);
    return rc;
}

int h5_attr_put_str(hid_t loc, const char *obj_path, const char *name, const char *s)
{
    h5_quiet q;
    int rc;

    h5_quiet_begin(&q);
    rc = put_strings(loc, obj_path, name, 1, &s, 1);
    h5_quiet_end(&q);
    return rc;
}

int h5_attr_put_units_at(hid_t obj, size_t n_units, const char *const units[],
                         const char *description)
{
    h5_quiet q;
    int rc = PB_SUCCESS;

    h5_quiet_begin(&q);
    if (n_units > 0)
        rc = put_strings_at(obj, "units", n_units, units, n_units == 1);
    if (rc == PB_SUCCESS && description)
        rc = put_strings_at(obj, "description", 1, &description, 1);
    h5_quiet_end(&q);
    return rc;
}

int h5_attr_put_units(hid_t loc, const char *obj_path, size_t n_units, const char *const units[],
                      const char *description)
{
    h5_quiet q;
    hid_t obj;
    int rc = PB_EIO;

    h5_quiet_begin(&q);
    obj = H5Oopen(loc, obj_path, H5P_DEFAULT);
    h5_quiet_end(&q);
    if (obj >= 0) {
        rc = h5_attr_put_units_at(obj, n_units, units, description);
        H5Oclose(obj);
    }
    return rc;
}

int h5_attr_put_strv(hid_t loc, const char *obj_path, const char *name, size_t n,
                     const char *const s[])
{
    h5_quiet q;
    int rc;

    h5_quiet_begin(&q);
    rc = put_strings(loc, obj_path, name, n, s, 0);
    h5_quiet_end(&q);
    return rc;
}

int h5_table_put_meta(hid_t loc, const char *path, const h5_column cols[], size_t n_cols)
{
    const char **units = calloc(n_cols + 1, sizeof *units);
    const char **desc = calloc(n_cols + 1, sizeof *desc);
    h5_quiet q;
    int rc = units && desc ? PB_EIO : PB_ENOMEM;

    if (units && desc && n_cols > 0) {
        for (size_t i = 0; i < n_cols; i++) {
            units[i] = cols[i].units ? cols[i].units : "";
            desc[i] = cols[i].description ? cols[i].description : "";
        }
        h5_quiet_begin(&q);
        rc = put_strings(loc, path, "units", n_cols, units, 0);
        if (rc == PB_SUCCESS)
            rc = put_strings(loc, path, "descriptions", n_cols, desc, 0);
        h5_quiet_end(&q);
    }
    free(units);
    free(desc);
    return rc;
}

void h5_columns_bind_units(const h5_column cols[], size_t n, const char *state_units,
                           const char *input_units, h5_column out[])
{
    for (size_t i = 0; i < n; i++) {
        out[i] = cols[i];
        if (cols[i].units && strcmp(cols[i].units, "@state") == 0)
            out[i].units = state_units;
        else if (cols[i].units && strcmp(cols[i].units, "@input") == 0)
            out[i].units = input_units;
    }
}
