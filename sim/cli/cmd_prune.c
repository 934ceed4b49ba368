/* cmd_prune.c: `prunebound prune -m POLICY.h5 -c CALIB.h5 --method M
 * --sparsity S [--pattern N:M] [--layers all|1,3] [--global] -o OUT.h5`:
 * prunes a policy file with one of the methods of controller/prune/prune.h and
 * writes the pruned twin with its mask, provenance and per-layer records
 * (docs/PRUNING.md). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "cli_progress.h"
#include "mlp.h"
#include "mlp_io.h"
#include "prune.h"

static const char *const prune_usage =
    "usage: prunebound prune -m POLICY.h5 [-c CALIB.h5] --method M --sparsity S\n"
    "                        [--pattern N:M] [--layers all|K,...] [--global]\n"
    "                        [--damp D] [--block B] [--mask-block BS] [--original-inputs]\n"
    "                        -o OUT.h5\n"
    "\n"
    "Prunes the policy and writes the pruned twin (weights, mask, provenance with the\n"
    "parent file's SHA-256, per layer ||dW||_2 and the reconstruction error) to OUT.h5.\n"
    "Prints per pruned layer: zeros, sparsity, ||dW||_2 = ||W - W_hat||_2 and the\n"
    "reconstruction error ||W X - W_hat X||_F^2 on the layer's calibration inputs.\n"
    "\n"
    "methods (docs/PRUNING.md):\n"
    "  magnitude   smallest |w|, per layer or --global across the selected layers\n"
    "  obd         Optimal Brain Damage: smallest w^2 H_jj / 2, no compensation\n"
    "  obs         Optimal Brain Surgeon, layer-wise exact (OBC), kept weights refitted\n"
    "  sparsegpt   SparseGPT (Algorithm 1): blocks of B columns, lazy updates\n"
    "\n"
    "options:\n"
    "  -m, --model FILE      policy to prune (HDF5 policy file)\n"
    "  -c, --calib FILE      HDF5 file with dataset `states` [n, n_in] in the policy's\n"
    "                        state space (the input map is applied); needed by obd, obs,\n"
    "                        sparsegpt; optional for magnitude (then no reconstruction error)\n"
    "  --method M            magnitude | obd | obs | sparsegpt\n"
    "  -s, --sparsity S      fraction of weights removed per layer, 0 <= S < 1: exactly\n"
    "                        floor(S * n_weights) zeros per layer (of the selected total\n"
    "                        with --global); not needed with --pattern (then S = N/M)\n"
    "  --pattern N:M         N zeros in every group of M consecutive inputs of a row; a\n"
    "                        shorter tail group of r inputs gets floor(N r / M) zeros\n"
    "  --layers all|K,...    layers to prune, numbered from 1 (default all)\n"
    "  --global              magnitude only: one ranking across the selected layers\n"
    "  --damp D              dampening of H, lambda = D * mean(diag H) (default 0.01)\n"
    "  --block B             SparseGPT column block of the lazy updates (default 128)\n"
    "  --mask-block BS       SparseGPT unstructured: choose the mask every BS columns\n"
    "                        (default B); 8 or 16 helps narrow layers (docs/PRUNING.md)\n"
    "  --original-inputs     calibrate every layer on the original network's inputs\n"
    "                        (default: on the partially pruned network's, as SparseGPT)\n"
    "  -o, --output FILE     pruned policy (written to FILE.tmp, renamed when complete)\n"
    "  -q, --quiet           no progress line on stderr\n"
    "Every long option also reads --name=VALUE.  On a terminal, stderr shows the\n"
    "progress per layer (rows, or SparseGPT's columns) with a rate and the time left.\n"
    "\n"
    "Exit status: 0 success; 2 bad usage or bad input (file, key, value); 1 an internal\n"
    "or numerical failure.\n";

enum {
    OPT_MODEL = 1,
    OPT_CALIB,
    OPT_OUTPUT,
    OPT_METHOD,
    OPT_SPARSITY,
    OPT_PATTERN,
    OPT_LAYERS,
    OPT_GLOBAL,
    OPT_DAMP,
    OPT_BLOCK,
    OPT_MASK_BLOCK,
    OPT_ORIGINAL_INPUTS
};

static const cli_option prune_opts[] = {
    {"model", 'm', 1, OPT_MODEL, NULL},      {"calib", 'c', 1, OPT_CALIB, NULL},
    {"output", 'o', 1, OPT_OUTPUT, "a file name"},    {"method", 0, 1, OPT_METHOD, NULL},
    {"sparsity", 's', 1, OPT_SPARSITY, NULL}, {"pattern", 0, 1, OPT_PATTERN, NULL},
    {"layers", 0, 1, OPT_LAYERS, NULL},      {"global", 0, 0, OPT_GLOBAL, NULL},
    {"damp", 0, 1, OPT_DAMP, NULL},          {"block", 0, 1, OPT_BLOCK, NULL},
    {"mask-block", 0, 1, OPT_MASK_BLOCK, NULL}, {"original-inputs", 0, 0, OPT_ORIGINAL_INPUTS, NULL},
    {NULL, 0, 0, 0, NULL}};

/* The progress hook of prune_mlp: one stage per layer, units within it. */
typedef struct prune_progress_ctx {
    cli_progress bar;
    const char *method;
    size_t n_layers;
} prune_progress_ctx;

static void on_progress(void *ctx, size_t layer, size_t done, size_t total)
{
    prune_progress_ctx *c = ctx;
    if (done == 0) {
        char label[96];
        snprintf(label, sizeof label, "prune %s, layer %zu of %zu", c->method, layer,
                 c->n_layers);
        cli_progress_stage(&c->bar, label, 0);
    }
    cli_progress_show(&c->bar, done, total, strcmp(c->method, "sparsegpt") ? "rows" : "columns");
}

/* A whole-string double; 0 on failure. */
static int parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *s && !*end && errno == 0;
}

static void report(const mlp *p, const prune_options *o, const char *calib, size_t n)
{
    printf("method %s, pattern %s, sparsity %g", p->prov.method, p->prov.pattern, p->prov.sparsity);
    if (calib)
        printf(", calibration %zu states from %s (%s inputs)", n, calib,
               o->original_inputs ? "original network's" : "sequential: pruned network's");
    printf("\n%-6s %-13s %-15s %-9s %-13s %s\n", "layer", "shape", "zeros", "sparsity", "||dW||_2",
           "recon_err");
    for (size_t j = 0; j < p->n_layers; j++) {
        const mlp_layer *l = &p->layers[j];
        size_t nw = l->n_in * l->n_out, z = 0;
        char shape[32], zeros[40];
        if (isnan(l->dW_norm))
            continue; /* not pruned */
        for (size_t i = 0; i < nw; i++)
            z += l->mask ? !l->mask[i] : l->W[i] == 0.0;
        snprintf(shape, sizeof shape, "%zu x %zu", l->n_out, l->n_in);
        snprintf(zeros, sizeof zeros, "%zu/%zu", z, nw);
        printf("%-6zu %-13s %-15s %-9.4f %-13.6g ", j + 1, shape, zeros, (double)z / (double)nw,
               l->dW_norm);
        if (isnan(l->recon_err))
            printf("-\n");
        else
            printf("%.6g\n", l->recon_err);
    }
}

int cmd_prune(int argc, char **argv)
{
    const char *mpath = NULL, *cpath = NULL, *opath = NULL, *method_name = NULL;
    const char *sparsity_arg = NULL, *pattern = NULL, *layers_arg = "all";
    const char *damp_arg = NULL, *block_arg = NULL, *mblock_arg = NULL;
    const prune_method *method;
    prune_options o;
    mlp *m = NULL, *p = NULL;
    double *X = NULL;
    size_t n = 0, *layers = NULL, n_sel = 0;
    pb_error err;
    cli_parser cp;
    prune_progress_ctx pc;
    const char *v;
    int status, rc = 1, id;

    pb_error_clear(&err);
    prune_options_init(&o);
    if (cli_wants_help(argc, argv)) {
        fputs(prune_usage, stdout);
        return 0;
    }
    cli_parser_init(&cp, argc, argv, prune_opts);
    while ((id = cli_next(&cp, &v)) != CLI_END) {
        switch (id) {
        case CLI_ERROR:
            return 2;
        case CLI_ARG:
            return cli_usage_error(argv[0], "unknown argument '%s'", v);
        case OPT_GLOBAL:
            o.global = 1;
            break;
        case OPT_ORIGINAL_INPUTS:
            o.original_inputs = 1;
            break;
        case OPT_MODEL:
            mpath = v;
            break;
        case OPT_CALIB:
            cpath = v;
            break;
        case OPT_OUTPUT:
            opath = v;
            break;
        case OPT_METHOD:
            method_name = v;
            break;
        case OPT_SPARSITY:
            sparsity_arg = v;
            break;
        case OPT_PATTERN:
            pattern = v;
            break;
        case OPT_LAYERS:
            layers_arg = v;
            break;
        case OPT_DAMP:
            damp_arg = v;
            break;
        case OPT_BLOCK:
            block_arg = v;
            break;
        case OPT_MASK_BLOCK:
            mblock_arg = v;
            break;
        }
    }
    if (!mpath || !opath || !method_name)
        return cli_usage_error(argv[0], "-m, --method and -o are required");
    if (!(method = prune_find(method_name)))
        return cli_usage_error(argv[0], "unknown method '%s' (magnitude, obd, obs, sparsegpt)",
                               method_name);
    if (pattern && prune_pattern_parse(pattern, &o.nm_n, &o.nm_m, &err) != PB_SUCCESS)
        return cli_usage_error(argv[0], "%s", err.msg);
    if (sparsity_arg) {
        if (!parse_double(sparsity_arg, &o.sparsity))
            return cli_usage_error(argv[0], "--sparsity '%s' is not a number", sparsity_arg);
        if (!(o.sparsity >= 0.0 && o.sparsity < 1.0))
            return cli_usage_error(argv[0], "--sparsity %s is outside [0, 1)", sparsity_arg);
        if (pattern && fabs(o.sparsity - (double)o.nm_n / (double)o.nm_m) > 1e-12)
            return cli_usage_error(argv[0], "--sparsity %s contradicts --pattern %s (N/M = %g)",
                                   sparsity_arg, pattern, (double)o.nm_n / (double)o.nm_m);
    } else if (!pattern) {
        return cli_usage_error(argv[0], "--sparsity (or --pattern N:M) is required");
    }
    if (damp_arg && (!parse_double(damp_arg, &o.damp) || !(o.damp >= 0.0) || !isfinite(o.damp)))
        return cli_usage_error(argv[0], "--damp '%s' must be a number >= 0", damp_arg);
    if (block_arg) {
        double b;
        if (!parse_double(block_arg, &b) || !(b >= 1.0 && b <= 1e9) || b != floor(b))
            return cli_usage_error(argv[0], "--block '%s' must be a positive integer", block_arg);
        o.block = (size_t)b;
    }
    if (mblock_arg) {
        double b;
        if (!parse_double(mblock_arg, &b) || !(b >= 1.0 && b <= 1e9) || b != floor(b))
            return cli_usage_error(argv[0], "--mask-block '%s' must be a positive integer",
                                   mblock_arg);
        o.mask_block = (size_t)b;
    }
    if (o.global && !method->score)
        return cli_usage_error(argv[0],
                               "--global is available for magnitude only (%s compensates "
                               "the kept weights layer by layer)",
                               method->name);
    if (o.global && pattern)
        return cli_usage_error(argv[0], "--global and --pattern exclude each other");
    if (method->needs_hessian && !cpath)
        return cli_usage_error(argv[0], "method %s needs calibration states: -c CALIB.h5",
                               method->name);

    if ((status = mlp_read_h5(mpath, &m, &err)) != PB_SUCCESS) {
        rc = cli_fail(argv[0], &err);
        goto cleanup;
    }
    layers = malloc(m->n_layers * sizeof *layers);
    if (!layers) {
        pb_error_set(&err, PB_ENOMEM, "out of memory");
        rc = cli_fail(argv[0], &err);
        goto cleanup;
    }
    if (prune_layers_parse(layers_arg, m->n_layers, layers, m->n_layers, &n_sel, &err) !=
        PB_SUCCESS) {
        rc = cli_usage_error(argv[0], "%s: %s", mpath, err.msg);
        goto cleanup;
    }
    if (n_sel) {
        o.layers = layers;
        o.n_sel = n_sel;
    }
    if (cpath && (status = mlp_states_read_h5(cpath, m->n_in, &X, &n, &err)) != PB_SUCCESS) {
        rc = cli_fail(argv[0], &err);
        goto cleanup;
    }
    cli_progress_init(&pc.bar, cli_stderr_is_tty() && !cp.quiet);
    pc.method = method->name;
    pc.n_layers = m->n_layers;
    o.progress = on_progress;
    o.progress_ctx = &pc;
    status = prune_mlp(m, method, &o, X, n, &p, &err);
    cli_progress_end(&pc.bar);
    if (status != PB_SUCCESS ||
        (status = mlp_file_sha256(mpath, p->prov.parent_sha256, &err)) != PB_SUCCESS ||
        (status = mlp_write_h5(p, opath, &err)) != PB_SUCCESS) {
        rc = cli_fail(argv[0], &err);
        goto cleanup;
    }
    report(p, &o, cpath, n);
    printf("wrote %s\n", opath);
    rc = 0;
cleanup:
    mlp_free(m);
    mlp_free(p);
    free(X);
    free(layers);
    return rc;
}
