/* cmd_convert.c: `prunebound convert IN -o OUT.h5 [--format F]
 * [--activations a,b,...]`: a policy from NNet, POLAR text or ONNX into the
 * HDF5 policy layout (controller/import/import_type.h, controller/mlp_io.h). */
#include <stdio.h>
#include <string.h>

#include "cli_args.h"
#include "import_type.h"
#include "mlp_io.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: prunebound convert IN -o OUT.h5 [--format FORMAT] [--activations A,B,...]\n\n"
            "Imports a policy written by another tool into prunebound's HDF5 policy layout\n"
            "(docs/POLICY.md).  The format comes from IN's extension unless --format is given:\n");
    for (const import_type *const *t = import_types; *t; t++)
        fprintf(out, "  %-6s (%s) %s\n", (*t)->name, (*t)->extensions, (*t)->summary);
    fprintf(out,
            "\noptions:\n"
            "  -o, --output FILE      the policy file to write (written atomically)\n"
            "  --format FORMAT        nnet, polar or onnx\n"
            "  --activations LIST     activations per layer, output layer included, for POLAR-\n"
            "                         style files that do not name them: e.g. relu,relu,relu,tanh\n"
            "                         (linear, relu, leaky_relu[:ALPHA], tanh, sigmoid, hardtanh)\n"
            "  -q, --quiet            no notes on stderr\n"
            "Every long option also reads --name=VALUE.\n"
            "Keras .h5 and MATLAB .mat files are not read: export them to ONNX (docs/POLICY.md).\n"
            "\nExit status: 0 success, 2 bad usage or input, 1 internal failure.\n");
}

enum { OPT_OUTPUT = 1, OPT_FORMAT, OPT_ACTIVATIONS };

static const cli_option convert_opts[] = {{"output", 'o', 1, OPT_OUTPUT, "a file name"},
                                          {"format", 0, 1, OPT_FORMAT, NULL},
                                          {"activations", 0, 1, OPT_ACTIVATIONS, NULL},
                                          {NULL, 0, 0, 0, NULL}};

int cmd_convert(int argc, char **argv)
{
    const char *in = NULL, *outp = NULL, *format = NULL, *acts = NULL;
    const import_type *type;
    import_options opt;
    pb_error err;
    char note[PB_ERRMSG_MAX];
    mlp *m = NULL;
    cli_parser cp;
    const char *v;
    int status, id;

    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    cli_parser_init(&cp, argc, argv, convert_opts);
    while ((id = cli_next(&cp, &v)) != CLI_END) {
        if (id == CLI_ERROR)
            return 2;
        if (id == OPT_OUTPUT)
            outp = v;
        else if (id == OPT_FORMAT)
            format = v;
        else if (id == OPT_ACTIVATIONS)
            acts = v;
        else if (!in)
            in = v;
        else
            return cli_usage_error(argv[0], "unexpected argument '%s'", v);
    }
    if (!in)
        return cli_usage_error(argv[0], "missing the input file");
    if (!outp)
        return cli_usage_error(argv[0], "missing -o OUT.h5");
    if (format) {
        type = import_find(format);
        if (!type)
            return cli_usage_error(argv[0], "unknown format '%s' (nnet, polar, onnx)", format);
    } else {
        type = import_find_by_extension(in);
        if (!type)
            return cli_usage_error(argv[0],
                                   "cannot tell the format of '%s' from its extension; give "
                                   "--format nnet|polar|onnx",
                                   in);
    }
    memset(&opt, 0, sizeof opt);
    pb_error_clear(&err);
    if (acts && import_options_parse_acts(&opt, acts, &err) != PB_SUCCESS)
        return cli_usage_error(argv[0], "--activations: %s", err.msg);

    status = type->read(in, &opt, &m, note, sizeof note, &err);
    if (status != PB_SUCCESS)
        return cli_fail(argv[0], &err);
    if (note[0] && !cp.quiet)
        fprintf(stderr, "prunebound %s: note: %s\n", argv[0], note);
    status = mlp_write_h5(m, outp, &err);
    if (status != PB_SUCCESS) {
        mlp_free(m);
        return cli_fail(argv[0], &err);
    }
    printf("%s (%s): %zu inputs, %zu outputs, %zu layers, %zu weights -> %s\n", in, type->name,
           m->n_in, m->n_out, m->n_layers, mlp_n_weights(m), outp);
    mlp_free(m);
    return 0;
}
