/* cmd_export_c.c: `prunebound export-c POLICY.h5 -o FILE.c [options]`: the
 * policy as one dependency-free C99 file (controller/export/export_c.h), with its
 * footprint, MAC count and its deviation from the float64 policy. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "cli_args.h"
#include "cli_progress.h"
#include "export_c.h"
#include "mlp_io.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: prunebound export-c POLICY.h5 -o FILE.c [--header FILE.h] [--name NAME]\n"
            "                           [--float | --double] [--storage dense|csr|auto]\n"
            "                           [--calib CALIB.h5] [--bound B]\n\n"
            "Writes the policy (input map, layers, output map) as one C99 file with const\n"
            "weight arrays and one function `void NAME_eval(const T x[NAME_NX], T u[NAME_NU])`,\n"
            "no malloc and nothing beyond <math.h> and <stdint.h>.\n\n"
            "  -o FILE.c          the C file (written atomically)\n"
            "  --header FILE.h    also write a header with NAME_NX, NAME_NU and the prototype\n"
            "  --name NAME        prefix of every symbol, a C identifier (default: policy)\n"
            "  --double, --float  arithmetic T (default: double)\n"
            "  --storage S        dense, csr (values, uint8/16 column indices, row pointers)\n"
            "                     or auto: per layer the one with fewer bytes (default: auto)\n"
            "  --calib CALIB.h5   states (dataset `states`, n x n_in) on which to measure the\n"
            "                     deviation from the float64 policy; default: %d states drawn\n"
            "                     uniformly where the network input lies in [-1, 1]\n"
            "  --bound B          a pruning bound (from bound or certify): also report\n"
            "                     B + deviation, the bound for the exported code\n\n"
            "Prints the flash footprint (weights, indices, biases, maps), the multiply-adds per\n"
            "call, dense vs chosen storage per layer (bytes include the biases) and the largest\n"
            "deviation ||u_T - u||_2 of the exported arithmetic T from the float64 policy on\n"
            "the calibration states, to be added to any pruning bound (docs/EXPORT.md).\n"
            "On a terminal, a progress line on stderr while the deviation is measured\n"
            "(-q, --quiet: none); every long option also reads --name=VALUE.\n",
            EXPORT_C_CALIB_N);
}

static void print_report(const char *c_path, const char *h_path, const export_c_options *o,
                         const export_c_report *r)
{
    printf("wrote %s%s%s: %s_eval, %s, %zu layers\n", c_path, h_path ? " and " : "",
           h_path ? h_path : "", o->name, o->real == EXPORT_C_FLOAT ? "float" : "double",
           r->n_layers);
    printf("layer  shape        non-zero/weights  dense B  csr B  chosen    bytes   MACs\n");
    for (size_t j = 0; j < r->n_layers; j++) {
        const export_c_layer_info *l = &r->layers[j];
        char shape[48], nz[48];
        snprintf(shape, sizeof shape, "%zux%zu", l->n_out, l->n_in);
        snprintf(nz, sizeof nz, "%zu/%zu", l->nnz, l->n_out * l->n_in);
        printf("%5zu  %-11s  %16s  %7zu  %5zu  %-6s  %7zu  %5zu\n", j + 1, shape, nz,
               l->bytes_dense, l->bytes_csr, export_c_storage_name(l->storage), l->bytes, l->macs);
    }
    printf("flash footprint: %zu bytes of weights and indices (all dense: %zu); total %zu bytes "
           "with biases %zu and maps %zu (all dense: %zu, %.1f%% smaller)\n",
           r->bytes_weights + r->bytes_indices,
           r->flash_bytes_dense - r->bytes_biases - r->bytes_maps, r->flash_bytes, r->bytes_biases,
           r->bytes_maps, r->flash_bytes_dense,
           100.0 * (1.0 - (double)r->flash_bytes / (double)r->flash_bytes_dense));
    printf("multiply-adds per call: %zu (all dense: %zu; %zu of %zu weights non-zero)\n", r->macs,
           r->macs_dense, r->nnz, r->n_weights);
    printf("stack: %zu bytes\n", r->work_len * r->real_bytes);
    printf("%s deviation from the float64 policy over %zu %s states: max ||u_%s - u||_2 = %.3e, "
           "max |u_%s,i - u_i| = %.3e\n",
           o->real == EXPORT_C_FLOAT ? "float" : "double", r->n_calib,
           r->calib_is_default ? "default" : "calibration", o->real == EXPORT_C_FLOAT ? "f" : "d",
           r->dev, o->real == EXPORT_C_FLOAT ? "f" : "d", r->dev_abs);
    if (isnan(o->prune_bound))
        printf("  add it to any pruning bound: ||u_exported - u_orig||_2 <= bound + %.3e "
               "(docs/EXPORT.md)\n",
               r->dev);
    else
        printf("bound for the exported policy: %.17g (pruning bound) + %.3e <= %.17g\n",
               o->prune_bound, r->dev, r->bound_total);
}

enum { OPT_OUTPUT = 1, OPT_HEADER, OPT_NAME, OPT_STORAGE, OPT_CALIB, OPT_BOUND, OPT_FLOAT, OPT_DOUBLE };

static const cli_option export_opts[] = {
    {"output", 'o', 1, OPT_OUTPUT, "a file name"}, {"header", 0, 1, OPT_HEADER, NULL}, {"name", 0, 1, OPT_NAME, NULL},
    {"storage", 0, 1, OPT_STORAGE, NULL}, {"calib", 0, 1, OPT_CALIB, NULL},   {"bound", 0, 1, OPT_BOUND, NULL},
    {"float", 0, 0, OPT_FLOAT, NULL},     {"double", 0, 0, OPT_DOUBLE, NULL}, {NULL, 0, 0, 0, NULL}};

/* The progress hook of the deviation's measurement. */
static void on_progress(void *ctx, size_t done, size_t total)
{
    cli_progress_show(ctx, done, total, "states");
}

int cmd_export_c(int argc, char **argv)
{
    const char *cmd = argv[0], *policy = NULL, *c_path = NULL, *h_path = NULL, *calib = NULL;
    export_c_options o;
    export_c_report rep;
    cli_progress bar;
    pb_error err;
    mlp *m = NULL;
    double *X = NULL;
    size_t n = 0;
    cli_parser cp;
    const char *v;
    int rc, id;

    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    pb_error_clear(&err);
    export_c_options_init(&o);
    cli_parser_init(&cp, argc, argv, export_opts);
    while ((id = cli_next(&cp, &v)) != CLI_END) {
        char *end;
        switch (id) {
        case CLI_ERROR:
            return 2;
        case OPT_OUTPUT:
            c_path = v;
            break;
        case OPT_HEADER:
            h_path = v;
            break;
        case OPT_NAME:
            o.name = v;
            break;
        case OPT_STORAGE:
            if (export_c_storage_parse(v, &o.storage, &err) != PB_SUCCESS)
                return cli_usage_error(cmd, "%s", err.msg);
            break;
        case OPT_CALIB:
            calib = v;
            break;
        case OPT_BOUND:
            o.prune_bound = strtod(v, &end);
            if (end == v || *end != '\0' || !(o.prune_bound >= 0.0) || !isfinite(o.prune_bound))
                return cli_usage_error(cmd, "--bound '%s' is not a finite number >= 0", v);
            break;
        case OPT_FLOAT:
            o.real = EXPORT_C_FLOAT;
            break;
        case OPT_DOUBLE:
            o.real = EXPORT_C_DOUBLE;
            break;
        default: /* CLI_ARG */
            if (policy)
                return cli_usage_error(cmd, "unexpected argument '%s'", v);
            policy = v;
        }
    }
    if (!policy)
        return cli_usage_error(cmd, "expected a policy file");
    if (!c_path)
        return cli_usage_error(cmd, "expected -o FILE.c");
    if (export_c_name_check(o.name, &err) != PB_SUCCESS)
        return cli_usage_error(cmd, "--name: %s", err.msg);

    if ((rc = mlp_read_h5(policy, &m, &err)) != PB_SUCCESS)
        return cli_fail(cmd, &err);
    if (calib && (rc = mlp_states_read_h5(calib, m->n_in, &X, &n, &err)) != PB_SUCCESS)
        goto fail;
    o.n_calib = n;
    o.calib = X;
    cli_progress_init(&bar, cli_stderr_is_tty() && !cp.quiet);
    cli_progress_stage(&bar, "export-c: measuring the deviation", 0);
    o.progress = on_progress;
    o.progress_ctx = &bar;
    rc = export_c_write_files(m, &o, c_path, h_path, &rep, &err);
    cli_progress_end(&bar);
    if (rc != PB_SUCCESS)
        goto fail;
    print_report(c_path, h_path, &o, &rep);
    free(X);
    mlp_free(m);
    return 0;
fail:
    free(X);
    mlp_free(m);
    return cli_fail(cmd, &err);
}
