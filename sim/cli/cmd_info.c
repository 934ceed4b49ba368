/* cmd_info.c: `prunebound info FILE.h5`: what an HDF5 file holds.  The kinds
 * of file it knows are a table (info_kinds): each says whether an open file
 * is of its kind and prints it; the generic listing (groups, datasets with
 * shapes, root attributes) comes last and takes any HDF5 file.  A new kind
 * (results files) is one entry before it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <hdf5.h>

#include <stdlib.h>

#include <jansson.h>

#include "cli_args.h"
#include "cli_json.h"
#include "cli_mc.h"
#include "mc_read.h"
#include "results_layout.h"
#include "h5_io.h"
#include "mlp_io.h"
#include "results_info.h"

typedef struct info_kind {
    const char *name;
    /* Non-zero when the open file f is of this kind (NULL: any file). */
    int (*is_kind)(hid_t f);
    /* Prints the file to out; a pb_status code. */
    int (*describe)(const char *path, hid_t f, FILE *out, pb_error *err);
    /* The file as a JSON object for --json (docs/CLI.md), or NULL with err set. */
    json_t *(*to_json)(const char *path, hid_t f, pb_error *err);
} info_kind;

/* The root attribute `format` as a string, or "" (buf of len bytes). */
static void root_format(hid_t f, char *buf, size_t len)
{
    h5_attr_read_str(f, "/", "format", buf, len, NULL);
}

static int is_policy(hid_t f)
{
    char fmt[64];
    root_format(f, fmt, sizeof fmt);
    return strcmp(fmt, "prunebound-mlp") == 0;
}

static void print_vector(FILE *out, const char *name, const double *v, size_t n)
{
    fprintf(out, "    %-7s", name);
    for (size_t i = 0; i < n && i < 8; i++)
        fprintf(out, " %.6g", v[i]);
    if (n > 8)
        fprintf(out, " ... (%zu values)", n);
    fprintf(out, "\n");
}

/* Prints a policy: layers, sizes, activations, maps, sparsity per layer,
 * provenance. */
static void print_policy(FILE *out, const mlp *m)
{
    size_t total = mlp_n_weights(m), pruned = mlp_n_pruned(m);

    fprintf(out, "  %zu inputs, %zu outputs, %zu layers, %zu weights, %zu pruned (%.2f%%)\n",
            m->n_in, m->n_out, m->n_layers, total, pruned, 100.0 * (double)pruned / (double)total);
    fprintf(out, "  layer  n_out x n_in  activation       pruned              mask  ||dW||_2    "
                 "recon_error\n");
    for (size_t j = 0; j < m->n_layers; j++) {
        const mlp_layer *l = &m->layers[j];
        size_t n = l->n_in * l->n_out, p = mlp_layer_n_pruned(l);
        char act[40], shape[32], pr[40];
        if (l->act == MLP_ACT_LEAKY_RELU)
            snprintf(act, sizeof act, "leaky_relu(%g)", l->alpha);
        else
            snprintf(act, sizeof act, "%s", mlp_act_name(l->act));
        snprintf(shape, sizeof shape, "%zu x %zu", l->n_out, l->n_in);
        snprintf(pr, sizeof pr, "%zu/%zu (%.2f%%)", p, n, 100.0 * (double)p / (double)n);
        fprintf(out, "  %-6zu %-13s %-16s %-19s %-5s", j + 1, shape, act, pr,
                l->mask ? "yes" : "no");
        if (isnan(l->dW_norm))
            fprintf(out, " %-11s", "-");
        else
            fprintf(out, " %-11.4g", l->dW_norm);
        if (isnan(l->recon_err))
            fprintf(out, " -\n");
        else
            fprintf(out, " %.4g\n", l->recon_err);
    }
    if (m->in_offset && m->in_scale) {
        fprintf(out, "  input map: s = (x - offset) * scale\n");
        print_vector(out, "offset", m->in_offset, m->n_in);
        print_vector(out, "scale", m->in_scale, m->n_in);
    } else {
        fprintf(out, "  input map: none\n");
    }
    if (m->out_offset || m->out_scale || m->out_low || m->out_high) {
        fprintf(out, "  output map: u = clip((y - offset) * scale, low, high)\n");
        if (m->out_offset)
            print_vector(out, "offset", m->out_offset, m->n_out);
        if (m->out_scale)
            print_vector(out, "scale", m->out_scale, m->n_out);
        if (m->out_low)
            print_vector(out, "low", m->out_low, m->n_out);
        if (m->out_high)
            print_vector(out, "high", m->out_high, m->n_out);
    } else {
        fprintf(out, "  output map: none\n");
    }
    if (m->prov.method[0] || m->prov.parent_sha256[0])
        fprintf(out, "  provenance: method %s, sparsity %g, pattern %s, parent sha256 %s\n",
                m->prov.method[0] ? m->prov.method : "-", m->prov.sparsity,
                m->prov.pattern[0] ? m->prov.pattern : "-",
                m->prov.parent_sha256[0] ? m->prov.parent_sha256 : "-");
    else
        fprintf(out, "  provenance: none (not pruned)\n");
}

static int describe_policy(const char *path, hid_t f, FILE *out, pb_error *err)
{
    mlp *m;
    int status;

    (void)f;
    status = mlp_read_h5(path, &m, err);
    if (status)
        return status;
    fprintf(out, "%s: prunebound policy (format_version 1)\n", path);
    print_policy(out, m);
    mlp_free(m);
    return PB_SUCCESS;
}

/* Prints a scalar or short numeric/string attribute's value. */
static herr_t print_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    FILE *out = data;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT), t = -1, s = -1;
    hssize_t n;

    (void)info;
    if (a < 0)
        return 0;
    t = H5Aget_type(a);
    s = H5Aget_space(a);
    n = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
    fprintf(out, "  @%s = ", name);
    if (t >= 0 && H5Tget_class(t) == H5T_STRING && n == 1) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_cset(mt, H5Tget_cset(t));
        if (H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            H5Tset_size(mt, H5T_VARIABLE);
            if (H5Aread(a, mt, &v) >= 0 && v) {
                /* Long text (a config) is shown by its first line. */
                size_t len = strcspn(v, "\n");
                fprintf(out, "\"%.*s\"%s\n", (int)(len > 100 ? 100 : len), v,
                        len < strlen(v) || len > 100 ? " ..." : "");
            } else {
                fprintf(out, "(unreadable string)\n");
            }
            H5free_memory(v);
        } else {
            char v[256];
            size_t size = H5Tget_size(t);
            if (size < sizeof v) {
                H5Tset_size(mt, size);
                if (H5Aread(a, mt, v) >= 0) {
                    v[size] = '\0';
                    fprintf(out, "\"%s\"\n", v);
                } else {
                    fprintf(out, "(unreadable string)\n");
                }
            } else {
                fprintf(out, "(string of %zu bytes)\n", size);
            }
        }
        H5Tclose(mt);
    } else if (t >= 0 && (H5Tget_class(t) == H5T_FLOAT || H5Tget_class(t) == H5T_INTEGER) &&
               n >= 1 && n <= 8) {
        double v[8];
        if (H5Aread(a, H5T_NATIVE_DOUBLE, v) >= 0) {
            for (hssize_t i = 0; i < n; i++)
                fprintf(out, "%s%.10g", i ? ", " : "", v[i]);
            fprintf(out, "\n");
        } else {
            fprintf(out, "(unreadable number)\n");
        }
    } else {
        fprintf(out, "(%lld values)\n", (long long)n);
    }
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    return 0;
}

/* One object of the listing: groups with a slash, datasets with shape and
 * element type. */
static herr_t print_link(hid_t root, const char *name, const H5L_info_t *info, void *data)
{
    FILE *out = data;
    hid_t o;

    (void)info;
    o = H5Oopen(root, name, H5P_DEFAULT);
    if (o < 0) {
        fprintf(out, "  /%s (unresolvable link)\n", name);
        return 0;
    }
    if (H5Iget_type(o) == H5I_GROUP) {
        fprintf(out, "  /%s/\n", name);
    } else if (H5Iget_type(o) == H5I_DATASET) {
        hid_t s = H5Dget_space(o), t = H5Dget_type(o);
        hsize_t dims[H5S_MAX_RANK];
        int rank = s >= 0 ? H5Sget_simple_extent_dims(s, dims, NULL) : -1;
        const char *kind = "other";
        if (t >= 0) {
            switch (H5Tget_class(t)) {
            case H5T_FLOAT:
                kind = H5Tget_size(t) == 8 ? "float64" : "float32";
                break;
            case H5T_INTEGER:
                kind = "integer";
                break;
            case H5T_STRING:
                kind = "string";
                break;
            case H5T_COMPOUND:
                kind = "compound";
                break;
            default:
                break;
            }
        }
        fprintf(out, "  /%s [", name);
        for (int i = 0; i < rank; i++)
            fprintf(out, "%s%llu", i ? " x " : "", (unsigned long long)dims[i]);
        fprintf(out, "%s] %s\n", rank == 0 ? "scalar" : "", kind);
        if (s >= 0)
            H5Sclose(s);
        if (t >= 0)
            H5Tclose(t);
    } else {
        fprintf(out, "  /%s (other object)\n", name);
    }
    H5Oclose(o);
    return 0;
}

/* Any HDF5 file: root attributes, then every group and dataset. */
static int describe_generic(const char *path, hid_t f, FILE *out, pb_error *err)
{
    hsize_t idx = 0;

    fprintf(out, "%s: HDF5 file\n root attributes:\n", path);
    if (H5Aiterate2(f, H5_INDEX_NAME, H5_ITER_INC, &idx, print_attr, out) < 0)
        return pb_error_set(err, PB_EFORMAT, "%s: cannot list the root attributes", path);
    fprintf(out, " objects:\n");
    if (H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, print_link, out) < 0)
        return pb_error_set(err, PB_EFORMAT, "%s: cannot list the objects (truncated file?)", path);
    return PB_SUCCESS;
}

/* ---- --json ---- */

static json_t *policy_json(const char *path, hid_t f, pb_error *err)
{
    mlp *m;
    json_t *doc, *layers;

    (void)f;
    if (mlp_read_h5(path, &m, err))
        return NULL;
    doc = json_object();
    layers = json_array();
    json_object_set_new(doc, "n_in", json_integer((json_int_t)m->n_in));
    json_object_set_new(doc, "n_out", json_integer((json_int_t)m->n_out));
    json_object_set_new(doc, "n_weights", json_integer((json_int_t)mlp_n_weights(m)));
    json_object_set_new(doc, "n_pruned", json_integer((json_int_t)mlp_n_pruned(m)));
    for (size_t j = 0; j < m->n_layers; j++) {
        const mlp_layer *l = &m->layers[j];
        json_t *o = json_object();
        json_object_set_new(o, "layer", json_integer((json_int_t)(j + 1)));
        json_object_set_new(o, "n_out", json_integer((json_int_t)l->n_out));
        json_object_set_new(o, "n_in", json_integer((json_int_t)l->n_in));
        json_object_set_new(o, "activation", json_string(mlp_act_name(l->act)));
        if (l->act == MLP_ACT_LEAKY_RELU)
            json_object_set_new(o, "alpha", json_real(l->alpha));
        json_object_set_new(o, "n_pruned", json_integer((json_int_t)mlp_layer_n_pruned(l)));
        json_object_set_new(o, "mask", json_boolean(l->mask != NULL));
        json_object_set_new(o, "dW_norm", cli_json_num(l->dW_norm));
        json_object_set_new(o, "recon_err", cli_json_num(l->recon_err));
        json_array_append_new(layers, o);
    }
    json_object_set_new(doc, "layers", layers);
    json_object_set_new(doc, "input_map", json_boolean(m->in_offset && m->in_scale));
    json_object_set_new(doc, "output_map",
                        json_boolean(m->out_offset || m->out_scale || m->out_low || m->out_high));
    if (m->prov.method[0] || m->prov.parent_sha256[0])
        json_object_set_new(doc, "provenance",
                            json_pack("{s:s, s:o, s:s, s:s}", "method", m->prov.method, "sparsity",
                                      cli_json_num(m->prov.sparsity), "pattern", m->prov.pattern,
                                      "parent_sha256", m->prov.parent_sha256));
    else
        json_object_set_new(doc, "provenance", json_null());
    mlp_free(m);
    return doc;
}

static int describe_mc(const char *path, hid_t f, FILE *out, pb_error *err)
{
    mc_summary s;
    int rc = mc_summary_read(f, path, &s, err);

    if (rc)
        return rc;
    fprintf(out, "%s: prunebound Monte Carlo study\n", path);
    if (!s.complete)
        fprintf(out, "  incomplete (an interrupted study: resume it with montecarlo --resume)\n");
    else
        cli_mc_table_print(out, &s, path);
    mc_summary_free(&s);
    return PB_SUCCESS;
}

static json_t *mc_json(const char *path, hid_t f, pb_error *err)
{
    mc_summary s;
    json_t *doc;

    if (mc_summary_read(f, path, &s, err))
        return NULL;
    doc = cli_mc_json(&s, path);
    mc_summary_free(&s);
    return doc;
}

static json_t *results_json(const char *path, hid_t f, pb_error *err)
{
    results_row *rows = NULL;
    size_t n = 0;
    json_t *doc, *arr;

    if (h5_table_read(f, path, "summary", results_row_cols, results_row_n_cols, results_row_n_cols_base,
                      sizeof(results_row), (void **)&rows, &n, err))
        return NULL;
    doc = json_object();
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, cli_json_row(&rows[i], results_row_cols, results_row_n_cols));
    json_object_set_new(doc, "rows", arr);
    free(rows);
    return doc;
}

static herr_t collect_link(hid_t root, const char *name, const H5L_info_t *info, void *data)
{
    (void)root;
    (void)info;
    json_array_append_new(data, json_string(name));
    return 0;
}

static json_t *generic_json(const char *path, hid_t f, pb_error *err)
{
    json_t *doc = json_object(), *objs = json_array();

    if (H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, collect_link, objs) < 0) {
        json_decref(doc);
        json_decref(objs);
        pb_error_set(err, PB_EFORMAT, "%s: cannot list the objects (truncated file?)", path);
        return NULL;
    }
    json_object_set_new(doc, "objects", objs);
    return doc;
}

static const info_kind info_kinds[] = {
    {"policy", is_policy, describe_policy, policy_json},
    {"montecarlo", mc_file_is_kind, describe_mc, mc_json}, /* sim/mc/mc_read.c */
    {"results", results_info_is_kind, results_info_describe, results_json}, /* sim/results */
    {"hdf5", NULL, describe_generic, generic_json},                          /* last: any HDF5 */
};

enum { OPT_JSON = 1 };

static const cli_option info_opts[] = {{"json", 0, 0, OPT_JSON, NULL}, {NULL, 0, 0, 0, NULL}};

int cmd_info(int argc, char **argv)
{
    pb_error err;
    int status = PB_SUCCESS, json = 0, id;
    const char *path = NULL, *v;
    cli_parser cp;
    hid_t f;

    if (cli_wants_help(argc, argv)) {
        printf("usage: prunebound info FILE.h5 [--json]\n\n"
               "Summarises an HDF5 file: for a policy its layers, sizes, activations, input and\n"
               "output maps, sparsity per layer and provenance; for a results file of `run` its\n"
               "summary per variant; for a Monte Carlo file the aggregates table `montecarlo`\n"
               "prints; for any other HDF5 file its root attributes, groups and datasets with\n"
               "their shapes.\n\n"
               "  --json       one JSON document on stdout (docs/CLI.md)\n"
               "  -q, --quiet  accepted (info prints no notes)\n"
               "\nExit status: 0 success, 2 bad usage or input, 1 internal failure.\n");
        return 0;
    }
    cli_parser_init(&cp, argc, argv, info_opts);
    while ((id = cli_next(&cp, &v)) != CLI_END) {
        if (id == CLI_ERROR)
            return 2;
        if (id == OPT_JSON)
            json = 1;
        else if (path)
            return cli_usage_error(argv[0], "expected one file");
        else
            path = v;
    }
    if (!path)
        return cli_usage_error(argv[0], "expected one file");
    pb_error_clear(&err);
    /* PB_EIO when the file cannot be opened, PB_EFORMAT when it is not HDF5. */
    f = h5_open(path, H5F_ACC_RDONLY, &err);
    if (f < 0) {
        status = err.code;
    } else {
        h5_quiet q;
        h5_quiet_begin(&q);
        for (size_t i = 0; i < sizeof info_kinds / sizeof info_kinds[0]; i++) {
            const info_kind *k = &info_kinds[i];
            if (k->is_kind && !k->is_kind(f))
                continue;
            if (json) {
                json_t *doc = k->to_json(path, f, &err);
                if (!doc) {
                    status = err.code ? err.code : PB_ENOMEM;
                } else {
                    json_t *head = json_pack("{s:s, s:s, s:s}", "command", "info", "file", path,
                                             "kind", k->name);
                    json_object_update(head, doc);
                    json_decref(doc);
                    cli_json_print(head);
                }
            } else {
                status = k->describe(path, f, stdout, &err);
            }
            break;
        }
        H5Fclose(f);
        h5_quiet_end(&q);
    }
    if (status != PB_SUCCESS)
        return cli_fail(argv[0], &err);
    return 0;
}
