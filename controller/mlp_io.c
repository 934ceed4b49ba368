/* mlp_io.c: policy files in the HDF5 layout of DESIGN.md ("Policy file"),
 * through the HDF5 C API, and the SHA-256 of a file (FIPS 180-4, by
 * Nettle) for the provenance's parent_sha256.
 *
 * Files are created, opened and read through the HDF5 layer (h5_io.h):
 * every HDF5 call runs with HDF5's automatic error printing switched off and
 * restored afterwards, so the user sees only our message, which names the
 * file and the problem. */
#define _POSIX_C_SOURCE 200809L
#include "mlp_io.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>
#include <nettle/sha2.h>

#include "h5_io.h"

#define POLICY_FORMAT         "prunebound-mlp"
#define POLICY_FORMAT_VERSION 1

/* ---- writing ----------------------------------------------------------- */

/* A dataset of `rank` dims holding data of memtype, stored as filetype. */
static int write_dataset(hid_t loc, const char *name, hid_t filetype, hid_t memtype, int rank,
                         const hsize_t dims[], const void *data)
{
    hid_t space, dset, dcpl;
    int ok = 0;

    space = H5Screate_simple(rank, dims, NULL);
    if (space < 0)
        return 0;
    /* No object timestamps: the same policy gives the same file bytes.  One
     * chunk with a Fletcher-32 checksum: a damaged weight is refused on
     * reading rather than read silently. */
    dcpl = h5_dcpl_create(rank, dims, 0);
    if (dcpl >= 0)
        dset = H5Dcreate2(loc, name, filetype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    else
        dset = -1;
    if (dset >= 0) {
        ok = H5Dwrite(dset, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
        ok = H5Dclose(dset) >= 0 && ok;
    }
    if (dcpl >= 0)
        H5Pclose(dcpl);
    H5Sclose(space);
    return ok;
}

/* A group without object timestamps (same policy, same bytes). */
static hid_t create_group(hid_t loc, const char *name)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE), g = -1;
    if (gcpl >= 0 && H5Pset_obj_track_times(gcpl, 0) >= 0)
        g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    if (gcpl >= 0)
        H5Pclose(gcpl);
    return g;
}

static int write_vector(hid_t loc, const char *name, size_t n, const double *v)
{
    hsize_t dims[1] = {n};
    return write_dataset(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, v);
}

/* n values of v, or n copies of def when v is NULL. */
static int write_vector_or(hid_t loc, const char *name, size_t n, const double *v, double def)
{
    double *tmp;
    int ok;

    if (v)
        return write_vector(loc, name, n, v);
    tmp = malloc(n * sizeof *tmp);
    if (!tmp)
        return 0;
    for (size_t i = 0; i < n; i++)
        tmp[i] = def;
    ok = write_vector(loc, name, n, tmp);
    free(tmp);
    return ok;
}

static int write_attr(hid_t loc, const char *name, hid_t filetype, hid_t memtype, const void *v)
{
    hid_t space, attr;
    int ok = 0;

    space = H5Screate(H5S_SCALAR);
    if (space < 0)
        return 0;
    attr = H5Acreate2(loc, name, filetype, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr >= 0) {
        ok = H5Awrite(attr, memtype, v) >= 0;
        ok = H5Aclose(attr) >= 0 && ok;
    }
    H5Sclose(space);
    return ok;
}

static int write_attr_double(hid_t loc, const char *name, double v)
{
    return write_attr(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

/* A string attribute, fixed-length UTF-8 (h5_attr_put_str: not in HDF5's
 * unchecksummed global heap); the reader takes fixed- and variable-length
 * strings alike. */
static int write_attr_string(hid_t loc, const char *name, const char *s)
{
    return h5_attr_put_str(loc, ".", name, s) == PB_SUCCESS;
}

/* The metadata of dataset `name` of loc: units and a one-line description. */
static int describe(hid_t loc, const char *name, const char *units, const char *description)
{
    return h5_attr_put_str(loc, name, "units", units) == PB_SUCCESS &&
           h5_attr_put_str(loc, name, "description", description) == PB_SUCCESS;
}

static int write_layer(hid_t layers, size_t j, const mlp_layer *l)
{
    char name[32];
    hsize_t dims[2] = {l->n_out, l->n_in};
    hid_t g;
    int ok;

    snprintf(name, sizeof name, "%zu", j + 1);
    g = create_group(layers, name);
    if (g < 0)
        return 0;
    ok = write_dataset(g, "W", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, l->W) &&
         write_vector(g, "b", l->n_out, l->b) &&
         write_attr_string(g, "activation", mlp_act_name(l->act)) &&
         describe(g, "W", "1", "weights [n_out, n_in]: z = W h + b") &&
         describe(g, "b", "1", "biases [n_out]");
    if (ok && l->act == MLP_ACT_LEAKY_RELU)
        ok = write_attr_double(g, "alpha", l->alpha);
    if (ok && l->mask)
        ok = write_dataset(g, "mask", H5T_STD_U8LE, H5T_NATIVE_UCHAR, 2, dims, l->mask) &&
             describe(g, "mask", "1", "1 where the weight is kept, 0 where pruned");
    if (ok && !isnan(l->dW_norm))
        ok = write_attr_double(g, "dW_spectral_norm", l->dW_norm);
    if (ok && !isnan(l->recon_err))
        ok = write_attr_double(g, "recon_error", l->recon_err);
    return H5Gclose(g) >= 0 && ok;
}

static int prov_is_set(const mlp_provenance *p)
{
    return p->method[0] || p->pattern[0] || p->parent_sha256[0] || p->sparsity != 0.0;
}

/* Everything of m below the open file f; 0 on an HDF5 failure. */
static int write_policy(hid_t f, const mlp *m)
{
    hid_t g;
    int ok;
    int version = POLICY_FORMAT_VERSION;

    ok = write_attr_string(f, "format", POLICY_FORMAT) &&
         write_attr(f, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &version);
    if (!ok)
        return 0;
    g = create_group(f, "layers");
    if (g < 0)
        return 0;
    for (size_t j = 0; ok && j < m->n_layers; j++)
        ok = write_layer(g, j, &m->layers[j]);
    ok = H5Gclose(g) >= 0 && ok;
    if (ok && (m->in_offset || m->in_scale)) {
        g = create_group(f, "input");
        if (g < 0)
            return 0;
        ok = write_vector_or(g, "offset", m->n_in, m->in_offset, 0.0) &&
             write_vector_or(g, "scale", m->n_in, m->in_scale, 1.0) &&
             describe(g, "offset", "input", "network input = (x - offset) * scale") &&
             describe(g, "scale", "1/input", "network input = (x - offset) * scale");
        ok = H5Gclose(g) >= 0 && ok;
    }
    if (ok && (m->out_offset || m->out_scale || m->out_low || m->out_high)) {
        g = create_group(f, "output");
        if (g < 0)
            return 0;
        ok = write_vector_or(g, "offset", m->n_out, m->out_offset, 0.0) &&
             write_vector_or(g, "scale", m->n_out, m->out_scale, 1.0) &&
             write_vector_or(g, "low", m->n_out, m->out_low, -INFINITY) &&
             write_vector_or(g, "high", m->n_out, m->out_high, INFINITY) &&
             describe(g, "offset", "output", "output = offset + scale * network output") &&
             describe(g, "scale", "output", "output = offset + scale * network output") &&
             describe(g, "low", "output", "lower saturation of the output") &&
             describe(g, "high", "output", "upper saturation of the output");
        ok = H5Gclose(g) >= 0 && ok;
    }
    if (ok && prov_is_set(&m->prov)) {
        g = create_group(f, "provenance");
        if (g < 0)
            return 0;
        ok = write_attr_string(g, "method", m->prov.method) &&
             write_attr_double(g, "sparsity", m->prov.sparsity) &&
             write_attr_string(g, "pattern", m->prov.pattern) &&
             write_attr_string(g, "parent_sha256", m->prov.parent_sha256);
        ok = H5Gclose(g) >= 0 && ok;
    }
    return ok;
}

int mlp_write_h5_group(const mlp *m, hid_t loc, pb_error *err)
{
    h5_quiet q;
    int ok, status = mlp_validate(m, err);

    if (status != PB_SUCCESS)
        return status;
    h5_quiet_begin(&q);
    ok = write_policy(loc, m);
    h5_quiet_end(&q);
    return ok ? PB_SUCCESS : pb_error_set(err, PB_EIO, "writing a policy group failed (disk full?)");
}

int mlp_write_h5(const mlp *m, const char *path, pb_error *err)
{
    char *tmp;
    size_t len = strlen(path);
    h5_quiet q;
    hid_t f;
    int ok, status;

    status = mlp_validate(m, err);
    if (status != PB_SUCCESS)
        return pb_error_prefix(err, "%s: refusing to write an invalid network: ", path);
    tmp = malloc(len + 5);
    if (!tmp)
        return pb_error_set(err, PB_ENOMEM, "%s: out of memory", path);
    memcpy(tmp, path, len);
    memcpy(tmp + len, ".tmp", 5);

    /* The HDF5 1.8 object format (checksummed metadata), no timestamps. */
    f = h5_create(tmp, err);
    if (f < 0) {
        status = pb_error_prefix(err, "%s: ", path);
        goto free_tmp;
    }
    h5_quiet_begin(&q);
    ok = write_policy(f, m);
    ok = H5Fclose(f) >= 0 && ok;
    h5_quiet_end(&q);
    if (!ok) {
        status = pb_error_set(err, PB_EIO, "%s: writing %s failed (disk full?)", path, tmp);
        goto remove_tmp;
    }
    if (rename(tmp, path) != 0) {
        status =
            pb_error_set(err, PB_EIO, "%s: cannot rename %s to it: %s", path, tmp, strerror(errno));
        goto remove_tmp;
    }
    free(tmp);
    return PB_SUCCESS;
remove_tmp:
    remove(tmp);
free_tmp:
    free(tmp);
    return status;
}

/* ---- reading ----------------------------------------------------------- */

/* A scalar string attribute of loc (h5_attr_read_str): PB_EFORMAT when
 * absent, not a string or longer than len - 1. */
static int read_attr_string(hid_t loc, const char *name, char *buf, size_t len, pb_error *err)
{
    return h5_attr_read_str(loc, ".", name, buf, len, err);
}

/* Reads a scalar numeric attribute as a double; *present = 0 (and
 * PB_SUCCESS) when it is absent and optional. */
static int read_attr_double(hid_t loc, const char *name, int required, double *v, int *present,
                            pb_error *err)
{
    hid_t attr, ftype, space;
    H5T_class_t cls;
    int ok;

    *present = 0;
    if (H5Aexists(loc, name) <= 0) {
        if (required)
            return pb_error_set(err, PB_EFORMAT, "attribute '%s' is missing", name);
        return PB_SUCCESS;
    }
    attr = H5Aopen(loc, name, H5P_DEFAULT);
    if (attr < 0)
        return pb_error_set(err, PB_EFORMAT, "attribute '%s' cannot be opened", name);
    ftype = H5Aget_type(attr);
    space = H5Aget_space(attr);
    cls = ftype >= 0 ? H5Tget_class(ftype) : H5T_NO_CLASS;
    ok = (cls == H5T_FLOAT || cls == H5T_INTEGER) && space >= 0 &&
         H5Sget_simple_extent_npoints(space) == 1 && H5Aread(attr, H5T_NATIVE_DOUBLE, v) >= 0;
    if (space >= 0)
        H5Sclose(space);
    if (ftype >= 0)
        H5Tclose(ftype);
    H5Aclose(attr);
    if (!ok)
        return pb_error_set(err, PB_EFORMAT, "attribute '%s' is not a single number", name);
    *present = 1;
    return PB_SUCCESS;
}

/* Opens dataset `name` of loc and checks its class (float, or integer when
 * want_int), rank and dims (a dims entry 0 means "any"; actual dims are
 * returned in it). */
static hid_t open_checked(hid_t loc, const char *where, const char *name, int want_int, int rank,
                          hsize_t dims[], pb_error *err)
{
    hid_t d, t, s;
    hsize_t got[H5S_MAX_RANK];
    int r, ok;
    H5T_class_t cls;

    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
        pb_error_set(err, PB_EFORMAT, "%sdataset '%s' is missing", where, name);
        return -1;
    }
    d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) {
        pb_error_set(err, PB_EFORMAT, "%s'%s' is not a dataset", where, name);
        return -1;
    }
    t = H5Dget_type(d);
    cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    if (t >= 0)
        H5Tclose(t);
    if (cls != (want_int ? H5T_INTEGER : H5T_FLOAT)) {
        pb_error_set(err, PB_EFORMAT, "%sdataset '%s' is not of %s type", where, name,
                     want_int ? "an integer" : "a floating-point");
        goto close;
    }
    s = H5Dget_space(d);
    r = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
    ok = r == rank && H5Sget_simple_extent_dims(s, got, NULL) == rank;
    if (s >= 0)
        H5Sclose(s);
    for (int i = 0; ok && i < rank; i++)
        ok = got[i] > 0 && (dims[i] == 0 || dims[i] == got[i]);
    if (!ok) {
        char shape[96] = "";
        for (int i = 0; i < rank; i++) {
            size_t used = strlen(shape);
            snprintf(shape + used, sizeof shape - used, "%s%s", i ? " x " : "", dims[i] ? "" : "n");
            used = strlen(shape);
            if (dims[i])
                snprintf(shape + used, sizeof shape - used, "%llu", (unsigned long long)dims[i]);
        }
        pb_error_set(err, PB_EFORMAT, "%sdataset '%s' has the wrong shape (expected [%s])", where,
                     name, shape);
        goto close;
    }
    for (int i = 0; i < rank; i++)
        dims[i] = got[i];
    return d;
close:
    H5Dclose(d);
    return -1;
}

/* Reads a float dataset of the expected shape into a new array. */
static int read_doubles(hid_t loc, const char *where, const char *name, int rank, hsize_t dims[],
                        double **out, pb_error *err)
{
    hid_t d = open_checked(loc, where, name, 0, rank, dims, err);
    size_t n = 1;
    double *v;

    *out = NULL;
    if (d < 0)
        return PB_EFORMAT;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    v = malloc(n * sizeof *v);
    if (!v) {
        H5Dclose(d);
        return pb_error_set(err, PB_ENOMEM, "out of memory reading '%s'", name);
    }
    if (h5_dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, v) < 0) {
        free(v);
        H5Dclose(d);
        return pb_error_set(err, PB_EFORMAT, "%sdataset '%s' cannot be read (damaged or truncated file?)",
                            where, name);
    }
    H5Dclose(d);
    *out = v;
    return PB_SUCCESS;
}

/* The shape [n_out, n_in] of layer group g's W (for sizing the network). */
static int layer_shape(hid_t layers, size_t j, size_t *n_out, size_t *n_in, pb_error *err)
{
    char name[32], where[48];
    hsize_t dims[2] = {0, 0};
    hid_t g, d;

    snprintf(name, sizeof name, "%zu", j + 1);
    snprintf(where, sizeof where, "layer %zu: ", j + 1);
    if (H5Lexists(layers, name, H5P_DEFAULT) <= 0)
        return pb_error_set(err, PB_EFORMAT, "group /layers/%s is missing", name);
    g = H5Gopen2(layers, name, H5P_DEFAULT);
    if (g < 0)
        return pb_error_set(err, PB_EFORMAT, "/layers/%s is not a group", name);
    d = open_checked(g, where, "W", 0, 2, dims, err);
    H5Gclose(g);
    if (d < 0)
        return PB_EFORMAT;
    H5Dclose(d);
    *n_out = dims[0];
    *n_in = dims[1];
    return PB_SUCCESS;
}

static int read_layer(hid_t layers, size_t j, mlp_layer *l, pb_error *err)
{
    char name[32], where[48], act[32];
    hsize_t dims[2] = {l->n_out, l->n_in};
    hid_t g, d;
    int status, present;
    double *v = NULL;

    snprintf(name, sizeof name, "%zu", j + 1);
    snprintf(where, sizeof where, "layer %zu: ", j + 1);
    g = H5Gopen2(layers, name, H5P_DEFAULT);
    if (g < 0)
        return pb_error_set(err, PB_EFORMAT, "/layers/%s is not a group", name);
    /* W and b: replace the zero arrays mlp_alloc made. */
    status = read_doubles(g, where, "W", 2, dims, &v, err);
    if (status)
        goto close;
    free(l->W);
    l->W = v;
    dims[0] = l->n_out;
    status = read_doubles(g, where, "b", 1, dims, &v, err);
    if (status)
        goto close;
    free(l->b);
    l->b = v;

    status = read_attr_string(g, "activation", act, sizeof act, err);
    if (status)
        goto prefix;
    if (mlp_act_parse(act, &l->act) != PB_SUCCESS) {
        status = pb_error_set(err, PB_EFORMAT,
                              "unknown activation '%s' (one of: relu, leaky_relu, tanh, sigmoid, "
                              "hardtanh, linear; any case)",
                              act);
        goto prefix;
    }
    if (l->act == MLP_ACT_LEAKY_RELU) {
        status = read_attr_double(g, "alpha", 1, &l->alpha, &present, err);
        if (status)
            goto prefix;
    }
    status = read_attr_double(g, "dW_spectral_norm", 0, &l->dW_norm, &present, err);
    if (status)
        goto prefix;
    if (!present)
        l->dW_norm = NAN;
    status = read_attr_double(g, "recon_error", 0, &l->recon_err, &present, err);
    if (status)
        goto prefix;
    if (!present)
        l->recon_err = NAN;

    if (H5Lexists(g, "mask", H5P_DEFAULT) > 0) {
        dims[0] = l->n_out;
        dims[1] = l->n_in;
        d = open_checked(g, where, "mask", 1, 2, dims, err);
        if (d < 0) {
            status = PB_EFORMAT;
            goto close;
        }
        l->mask = malloc(l->n_out * l->n_in);
        if (!l->mask) {
            H5Dclose(d);
            status = pb_error_set(err, PB_ENOMEM, "out of memory");
            goto close;
        }
        if (h5_dread(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, l->mask) < 0) {
            H5Dclose(d);
            status = pb_error_set(err, PB_EFORMAT, "%sdataset 'mask' cannot be read", where);
            goto close;
        }
        H5Dclose(d);
        for (size_t i = 0; i < l->n_out * l->n_in; i++)
            if (l->mask[i] > 1) {
                status = pb_error_set(err, PB_EFORMAT, "%smask[%zu][%zu] is %u, not 0 or 1", where,
                                      i / l->n_in, i % l->n_in, l->mask[i]);
                goto close;
            }
    }
    H5Gclose(g);
    return PB_SUCCESS;
prefix:
    pb_error_prefix(err, "%s", where);
close:
    H5Gclose(g);
    return status;
}

/* Reads /input or /output: each named vector of length n (missing ones keep
 * the defaults mlp_add_*_map put there). */
static int read_map(hid_t f, const char *group, size_t n, const char *const names[],
                    double *const dst[], size_t count, pb_error *err)
{
    char where[48];
    hid_t g;

    snprintf(where, sizeof where, "/%s: ", group);
    g = H5Gopen2(f, group, H5P_DEFAULT);
    if (g < 0)
        return pb_error_set(err, PB_EFORMAT, "/%s is not a group", group);
    for (size_t i = 0; i < count; i++) {
        hsize_t dims[1] = {n};
        double *v;
        int status;
        if (H5Lexists(g, names[i], H5P_DEFAULT) <= 0)
            continue;
        status = read_doubles(g, where, names[i], 1, dims, &v, err);
        if (status) {
            H5Gclose(g);
            return status;
        }
        memcpy(dst[i], v, n * sizeof *v);
        free(v);
    }
    H5Gclose(g);
    return PB_SUCCESS;
}

static int read_provenance(hid_t f, mlp_provenance *p, pb_error *err)
{
    hid_t g = H5Gopen2(f, "provenance", H5P_DEFAULT);
    int status = PB_SUCCESS, present;
    struct {
        const char *name;
        char *buf;
        size_t len;
    } strs[3] = {{"method", p->method, sizeof p->method},
                 {"pattern", p->pattern, sizeof p->pattern},
                 {"parent_sha256", p->parent_sha256, sizeof p->parent_sha256}};

    if (g < 0)
        return pb_error_set(err, PB_EFORMAT, "/provenance is not a group");
    for (int i = 0; i < 3 && !status; i++)
        if (H5Aexists(g, strs[i].name) > 0)
            status = read_attr_string(g, strs[i].name, strs[i].buf, strs[i].len, err);
    if (!status)
        status = read_attr_double(g, "sparsity", 0, &p->sparsity, &present, err);
    H5Gclose(g);
    if (status)
        pb_error_prefix(err, "/provenance: ");
    return status;
}

/* The whole policy below the open file f. */
static int read_policy(hid_t f, mlp **out, pb_error *err)
{
    char format[64];
    double version;
    int present, status;
    hid_t layers;
    H5G_info_t info;
    size_t n_layers, *sizes = NULL;
    mlp *m = NULL;

    status = read_attr_string(f, "format", format, sizeof format, err);
    if (status)
        return pb_error_prefix(err, "not a prunebound policy: ");
    if (strcmp(format, POLICY_FORMAT) != 0)
        return pb_error_set(err, PB_EFORMAT,
                            "not a prunebound policy: format is '%s', expected '%s'", format,
                            POLICY_FORMAT);
    status = read_attr_double(f, "format_version", 1, &version, &present, err);
    if (status)
        return status;
    if (version != POLICY_FORMAT_VERSION)
        return pb_error_set(err, PB_EFORMAT, "format_version %g is not supported (this is %d)",
                            version, POLICY_FORMAT_VERSION);

    if (H5Lexists(f, "layers", H5P_DEFAULT) <= 0)
        return pb_error_set(err, PB_EFORMAT, "group /layers is missing");
    layers = H5Gopen2(f, "layers", H5P_DEFAULT);
    if (layers < 0)
        return pb_error_set(err, PB_EFORMAT, "/layers is not a group");
    if (H5Gget_info(layers, &info) < 0 || info.nlinks == 0) {
        status = pb_error_set(err, PB_EFORMAT, "/layers holds no layer");
        goto close_layers;
    }
    n_layers = (size_t)info.nlinks;
    sizes = malloc((n_layers + 1) * sizeof *sizes);
    if (!sizes) {
        status = pb_error_set(err, PB_ENOMEM, "out of memory");
        goto close_layers;
    }
    /* Sizes first: layer j's W is (sizes[j+1] x sizes[j]). */
    for (size_t j = 0; j < n_layers; j++) {
        size_t n_out = 0, n_in = 0;
        status = layer_shape(layers, j, &n_out, &n_in, err);
        if (status)
            goto free_sizes;
        if (j == 0)
            sizes[0] = n_in;
        else if (n_in != sizes[j]) {
            status = pb_error_set(err, PB_EFORMAT,
                                  "layer chain mismatch: layer %zu takes %zu inputs but layer "
                                  "%zu gives %zu outputs",
                                  j + 1, n_in, j, sizes[j]);
            goto free_sizes;
        }
        sizes[j + 1] = n_out;
    }
    m = mlp_alloc(n_layers, sizes, NULL, err);
    if (!m) {
        status = err ? err->code : PB_ENOMEM;
        goto free_sizes;
    }
    for (size_t j = 0; j < n_layers && !status; j++)
        status = read_layer(layers, j, &m->layers[j], err);
    if (status)
        goto free_m;

    if (H5Lexists(f, "input", H5P_DEFAULT) > 0) {
        const char *const names[] = {"offset", "scale"};
        status = mlp_add_input_map(m, err);
        if (!status) {
            double *const dst[] = {m->in_offset, m->in_scale};
            status = read_map(f, "input", m->n_in, names, dst, 2, err);
        }
        if (status)
            goto free_m;
    }
    if (H5Lexists(f, "output", H5P_DEFAULT) > 0) {
        const char *const names[] = {"offset", "scale", "low", "high"};
        status = mlp_add_output_map(m, err);
        if (!status) {
            double *const dst[] = {m->out_offset, m->out_scale, m->out_low, m->out_high};
            status = read_map(f, "output", m->n_out, names, dst, 4, err);
        }
        if (status)
            goto free_m;
    }
    if (H5Lexists(f, "provenance", H5P_DEFAULT) > 0) {
        status = read_provenance(f, &m->prov, err);
        if (status)
            goto free_m;
    }
    status = mlp_validate(m, err);
    if (status) {
        status = err ? (err->code = PB_EFORMAT) : PB_EFORMAT;
        goto free_m;
    }
    free(sizes);
    H5Gclose(layers);
    *out = m;
    return PB_SUCCESS;
free_m:
    mlp_free(m);
free_sizes:
    free(sizes);
close_layers:
    H5Gclose(layers);
    return status;
}

int mlp_read_h5(const char *path, mlp **out, pb_error *err)
{
    h5_quiet q;
    hid_t f;
    int status;

    *out = NULL;
    /* PB_EIO when the file cannot be opened, PB_EFORMAT when it is not HDF5. */
    f = h5_open(path, H5F_ACC_RDONLY, err);
    if (f < 0)
        return err ? err->code : PB_EIO;
    h5_quiet_begin(&q);
    status = read_policy(f, out, err);
    H5Fclose(f);
    h5_quiet_end(&q);
    if (status)
        return pb_error_prefix(err, "%s: ", path);
    return PB_SUCCESS;
}

/* ---- SHA-256 ------------------------------------------------------------- */

/* The digest of ctx as 64 lowercase hex digits and a NUL. */
static void sha256_hex(struct sha256_ctx *ctx, char hex[65])
{
    uint8_t d[SHA256_DIGEST_SIZE];

    sha256_digest(ctx, sizeof d, d);
    for (size_t i = 0; i < sizeof d; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned)d[i]);
}

int mlp_file_sha256(const char *path, char hex[65], pb_error *err)
{
    uint8_t buf[65536];
    struct sha256_ctx c;
    size_t n;
    FILE *f = fopen(path, "rb");
    int failed;

    if (!f)
        return pb_error_set(err, PB_EIO, "%s: cannot open: %s", path, strerror(errno));
    sha256_init(&c);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sha256_update(&c, n, buf);
    failed = ferror(f);
    fclose(f);
    if (failed)
        return pb_error_set(err, PB_EIO, "%s: read error", path);
    sha256_hex(&c, hex);
    return PB_SUCCESS;
}

int mlp_sha256(const mlp *m, char hex[65], pb_error *err)
{
    const char *dir = getenv("TMPDIR");
    char path[1024];
    int fd, rc;

    hex[0] = '\0';
    snprintf(path, sizeof path, "%s/prunebound-sha-XXXXXX", dir && *dir ? dir : "/tmp");
    fd = mkstemp(path);
    if (fd < 0)
        return pb_error_set(err, PB_EIO, "%s: cannot create a temporary file: %s", path,
                            strerror(errno));
    close(fd);
    rc = mlp_write_h5(m, path, err);
    if (rc == PB_SUCCESS)
        rc = mlp_file_sha256(path, hex, err);
    remove(path);
    return rc;
}

int mlp_states_read_h5(const char *path, size_t n_in, double **out, size_t *n, pb_error *err)
{
    hid_t f, d = H5I_INVALID_HID, s = H5I_INVALID_HID;
    hsize_t dims[2];
    int rank, status = PB_SUCCESS;
    double *x = NULL;

    h5_quiet q;

    *out = NULL;
    f = h5_open(path, H5F_ACC_RDONLY, err);
    if (f < 0)
        return err ? err->code : PB_EIO;
    h5_quiet_begin(&q);
    if (H5Lexists(f, "states", H5P_DEFAULT) <= 0) {
        status = pb_error_set(err, PB_EFORMAT, "%s: no dataset `states`", path);
        goto close_f;
    }
    d = H5Dopen2(f, "states", H5P_DEFAULT);
    s = d >= 0 ? H5Dget_space(d) : H5I_INVALID_HID;
    rank = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
    if (rank != 2) {
        status = pb_error_set(err, PB_EFORMAT, "%s: `states` must be a 2-D dataset [n, %zu]", path,
                              n_in);
        goto close_d;
    }
    H5Sget_simple_extent_dims(s, dims, NULL);
    if (dims[1] != n_in) {
        status = pb_error_set(err, PB_EFORMAT,
                              "%s: `states` has %llu columns but the policy takes %zu inputs",
                              path, (unsigned long long)dims[1], n_in);
        goto close_d;
    }
    if (dims[0] == 0) {
        status = pb_error_set(err, PB_EFORMAT, "%s: `states` holds no state (n = 0)", path);
        goto close_d;
    }
    x = malloc((size_t)dims[0] * n_in * sizeof *x);
    if (!x) {
        status = pb_error_set(err, PB_ENOMEM, "out of memory reading %s", path);
        goto close_d;
    }
    if (h5_dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, x) < 0) {
        free(x);
        status = pb_error_set(err, PB_EFORMAT, "%s: cannot read `states` as float64", path);
        goto close_d;
    }
    for (size_t i = 0; i < (size_t)dims[0] * n_in; i++)
        if (!isfinite(x[i])) {
            status = pb_error_set(err, PB_EFORMAT, "%s: states[%zu][%zu] is not finite", path,
                                  i / n_in, i % n_in);
            free(x);
            goto close_d;
        }
    *out = x;
    *n = (size_t)dims[0];
close_d:
    if (s >= 0)
        H5Sclose(s);
    if (d >= 0)
        H5Dclose(d);
close_f:
    H5Fclose(f);
    h5_quiet_end(&q);
    return status;
}
