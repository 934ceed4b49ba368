/* import_polar.c: POLAR's text network format (Huang et al., "POLAR: a
 * polynomial arithmetic framework for verifying neural-network controlled
 * systems", ATVA 2022; layout in shared/benchmarks/arch-comp/README.md):
 *
 *   n_in, n_out, n_hidden, each hidden size,
 *   one activation name per layer including the output layer
 *       (ReLU, sigmoid, tanh, Affine = linear),
 *   for every layer and every neuron its n_in incoming weights then its bias,
 *   output offset, output scale:  u = (N(x) - offset) * scale.
 *
 * Numbers are separated by blanks, commas or newlines.  The POLAR-style
 * files of ARCH-COMP's TORA "heterogeneous" instance have no activation
 * names: the user gives them (import_options.acts).  Offset and scale become
 * the output map (none when they are 0 and 1). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import_type.h"

#define POLAR_MAX_LAYERS 256

/* Tokens over the lines of an import_text. */
typedef struct polar_tokens {
    import_text t;
    char *line; /* rest of the current line */
} polar_tokens;

/* The next token (NUL-terminated in place), or NULL at the end of file. */
static char *token_next(polar_tokens *k)
{
    for (;;) {
        char *tok;
        if (k->line) {
            k->line += strspn(k->line, " \t,");
            if (*k->line) {
                tok = k->line;
                k->line += strcspn(k->line, " \t,");
                if (*k->line)
                    *k->line++ = '\0';
                return tok;
            }
        }
        k->line = import_text_next_line(&k->t, "#");
        if (!k->line)
            return NULL;
    }
}

/* Peeks whether the next token starts like a number. */
static int token_peek_is_number(polar_tokens *k)
{
    while (!k->line || !*(k->line += strspn(k->line, " \t,"))) {
        k->line = import_text_next_line(&k->t, "#");
        if (!k->line)
            return 0;
    }
    return isdigit((unsigned char)k->line[0]) || strchr("+-.", k->line[0]);
}

static int token_number(polar_tokens *k, const char *what, double *v, pb_error *err)
{
    char *tok = token_next(k);
    size_t n;

    if (!tok)
        return pb_error_set(err, PB_EFORMAT, "%s: ends before the %s", k->t.path, what);
    return import_text_numbers(&k->t, tok, v, 1, &n, err);
}

static int token_size(polar_tokens *k, const char *what, size_t *n, pb_error *err)
{
    double v;
    int status = token_number(k, what, &v, err);
    if (status)
        return status;
    if (v < 1 || v > 1e6 || v != (double)(size_t)v)
        return pb_error_set(err, PB_EFORMAT, "%s:%zu: %s %g is not a positive integer", k->t.path,
                            k->t.line, what, v);
    *n = (size_t)v;
    return PB_SUCCESS;
}

/* POLAR's activation names (and ours). */
static int polar_act(const char *name, mlp_act *a)
{
    if (strcasecmp(name, "Affine") == 0 || strcasecmp(name, "linear") == 0 ||
        strcasecmp(name, "identity") == 0) {
        *a = MLP_ACT_LINEAR;
        return PB_SUCCESS;
    }
    if (strcasecmp(name, "ReLU") == 0) {
        *a = MLP_ACT_RELU;
        return PB_SUCCESS;
    }
    if (strcasecmp(name, "sigmoid") == 0) {
        *a = MLP_ACT_SIGMOID;
        return PB_SUCCESS;
    }
    if (strcasecmp(name, "tanh") == 0) {
        *a = MLP_ACT_TANH;
        return PB_SUCCESS;
    }
    return mlp_act_parse(name, a);
}

static int polar_read(const char *path, const import_options *opt, mlp **out, char *note,
                      size_t note_len, pb_error *err)
{
    polar_tokens k = {{0}, NULL};
    size_t n_in = 0, n_out = 0, n_hidden = 0, sizes[POLAR_MAX_LAYERS + 1];
    mlp_act acts[POLAR_MAX_LAYERS];
    double offset, scale;
    int status, named;
    mlp *m = NULL;

    *out = NULL;
    if (note_len)
        note[0] = '\0';
    status = import_text_open(&k.t, path, err);
    if (status)
        return status;
    if ((status = token_size(&k, "number of inputs", &n_in, err)) ||
        (status = token_size(&k, "number of outputs", &n_out, err)))
        goto close;
    {
        double v;
        if ((status = token_number(&k, "number of hidden layers", &v, err)))
            goto close;
        if (v < 0 || v >= POLAR_MAX_LAYERS || v != (double)(size_t)v) {
            status = pb_error_set(err, PB_EFORMAT,
                                  "%s:%zu: number of hidden layers %g is not an integer in "
                                  "[0, %d)",
                                  path, k.t.line, v, POLAR_MAX_LAYERS);
            goto close;
        }
        n_hidden = (size_t)v;
    }
    sizes[0] = n_in;
    sizes[n_hidden + 1] = n_out;
    for (size_t j = 1; j <= n_hidden; j++)
        if ((status = token_size(&k, "hidden layer size", &sizes[j], err)))
            goto close;

    /* Activation names, or none (the TORA heterogeneous files). */
    named = !token_peek_is_number(&k);
    if (named) {
        for (size_t j = 0; j <= n_hidden; j++) {
            char *tok = token_next(&k);
            if (!tok || polar_act(tok, &acts[j]) != PB_SUCCESS) {
                status = pb_error_set(err, PB_EFORMAT,
                                      "%s:%zu: activation %zu: '%s' is not ReLU, sigmoid, tanh "
                                      "or Affine",
                                      path, k.t.line, j + 1, tok ? tok : "(end of file)");
                goto close;
            }
        }
    }
    if (opt && opt->n_acts) {
        if (opt->n_acts != n_hidden + 1) {
            status = pb_error_set(err, PB_EINVAL,
                                  "%s: %zu activations given, but the network has %zu layers", path,
                                  opt->n_acts, n_hidden + 1);
            goto close;
        }
        for (size_t j = 0; named && j <= n_hidden; j++)
            if (acts[j] != opt->acts[j]) {
                status =
                    pb_error_set(err, PB_EINVAL,
                                 "%s: the file says layer %zu is %s, the activations given "
                                 "say %s",
                                 path, j + 1, mlp_act_name(acts[j]), mlp_act_name(opt->acts[j]));
                goto close;
            }
        memcpy(acts, opt->acts, (n_hidden + 1) * sizeof *acts);
    } else if (!named) {
        status = pb_error_set(err, PB_EINVAL,
                              "%s: the file names no activations; give them with --activations "
                              "(%zu names, e.g. relu,...,tanh)",
                              path, n_hidden + 1);
        goto close;
    }

    m = mlp_alloc(n_hidden + 1, sizes, acts, err);
    if (!m) {
        status = err ? err->code : PB_ENOMEM;
        goto close;
    }
    for (size_t j = 0; j <= n_hidden; j++) {
        mlp_layer *l = &m->layers[j];
        if (opt && opt->n_acts)
            l->alpha = opt->alphas[j];
        for (size_t r = 0; r < l->n_out; r++) {
            for (size_t c = 0; c < l->n_in; c++)
                if ((status = token_number(&k, "weights", &l->W[r * l->n_in + c], err)))
                    goto free_m;
            if ((status = token_number(&k, "biases", &l->b[r], err)))
                goto free_m;
        }
    }
    if ((status = token_number(&k, "output offset", &offset, err)) ||
        (status = token_number(&k, "output scale", &scale, err)))
        goto free_m;
    if (token_next(&k)) {
        status = pb_error_set(err, PB_EFORMAT,
                              "%s:%zu: unexpected data after the output offset and scale", path,
                              k.t.line);
        goto free_m;
    }
    if (offset != 0.0 || scale != 1.0) {
        if ((status = mlp_add_output_map(m, err)))
            goto free_m;
        for (size_t i = 0; i < n_out; i++) {
            m->out_offset[i] = offset;
            m->out_scale[i] = scale;
        }
    }
    if (mlp_validate(m, err) != PB_SUCCESS) {
        pb_error_prefix(err, "%s: ", path);
        status = err ? (err->code = PB_EFORMAT) : PB_EFORMAT;
        goto free_m;
    }
    *out = m;
    m = NULL;
free_m:
    mlp_free(m);
close:
    import_text_close(&k.t);
    return status;
}

const import_type import_polar = {
    "polar", ".polar .txt",
    "POLAR text: sizes, activation names (or --activations), weights, output offset and scale",
    polar_read};
