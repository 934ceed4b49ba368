/* import_nnet.c: the NNet format of Julian et al. (Stanford, 2016;
 * github.com/sisl/NNet, README and nnet.py):
 *
 *   // comment lines
 *   L, n_in, n_out, max_width          header
 *   s_0, s_1, ..., s_L                 layer sizes (s_0 = n_in, s_L = n_out)
 *   flag                               unused
 *   min_1..min_n_in                    input clipping box
 *   max_1..max_n_in
 *   mean_1..mean_n_in, mean_out        normalisation
 *   range_1..range_n_in, range_out
 *   then per layer: s_j rows of s_{j-1} weights, then s_j rows of one bias.
 *
 * NNet evaluates y = N((clip(x, min, max) - mean) / range) with ReLU hidden
 * layers and a linear output, then u = y * range_out + mean_out.  Here the
 * normalisation becomes the input map (offset mean, scale 1/range) and the
 * output map (offset -mean_out/range_out, scale range_out), which equals
 * y * range_out + mean_out up to rounding.  The input clipping is not
 * carried over (noted for the user): the policy equals NNet's inside the box.
 *
 * Tolerated variant (ARCH-COMP single_pendulum): extra trailing values on
 * the layer-size line, and normalisation lines holding a single 0, meaning
 * "no normalisation" (no maps). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_type.h"

#define NNET_MAX_LAYERS 256

/* One normalisation line: want values, or a single scalar (*scalar = 1,
 * broadcast into v). */
static int norm_line(import_text *t, const char *what, double v[], size_t want, int *scalar,
                     pb_error *err)
{
    size_t n;
    char *line = import_text_next_line(t, "//");
    int status;

    if (!line)
        return pb_error_set(err, PB_EFORMAT, "%s: ends before the %s line", t->path, what);
    status = import_text_numbers(t, line, v, want, &n, err);
    if (status)
        return status;
    *scalar = n == 1 && want > 1;
    if (*scalar)
        for (size_t i = 1; i < want; i++)
            v[i] = v[0];
    else if (n != want)
        return pb_error_set(err, PB_EFORMAT, "%s:%zu: %s line has %zu values, expected %zu",
                            t->path, t->line, what, n, want);
    return PB_SUCCESS;
}

/* Builds the maps from means and ranges (n_in + 1 each); none when the
 * file gives a scalar zero range (the variant) or the identity. */
static int nnet_maps(import_text *t, mlp *m, const double mean[], const double range[],
                     int range_scalar, pb_error *err)
{
    size_t n_in = m->n_in;
    int identity_in = 1, status;

    if (range_scalar && range[0] == 0.0) {
        for (size_t i = 0; i <= n_in; i++)
            if (mean[i] != 0.0)
                return pb_error_set(err, PB_EFORMAT,
                                    "%s: ranges are a scalar 0 (no normalisation) but the means "
                                    "are not zero",
                                    t->path);
        return PB_SUCCESS;
    }
    for (size_t i = 0; i <= n_in; i++)
        if (range[i] == 0.0)
            return pb_error_set(err, PB_EFORMAT, "%s: normalisation range %zu is zero", t->path,
                                i + 1);
    for (size_t i = 0; i < n_in; i++)
        identity_in = identity_in && mean[i] == 0.0 && range[i] == 1.0;
    if (!identity_in) {
        status = mlp_add_input_map(m, err);
        if (status)
            return status;
        for (size_t i = 0; i < n_in; i++) {
            m->in_offset[i] = mean[i];
            m->in_scale[i] = 1.0 / range[i];
        }
    }
    if (mean[n_in] != 0.0 || range[n_in] != 1.0) {
        status = mlp_add_output_map(m, err);
        if (status)
            return status;
        /* y * r + mu = (y - (-mu / r)) * r */
        for (size_t i = 0; i < m->n_out; i++) {
            m->out_offset[i] = -mean[n_in] / range[n_in];
            m->out_scale[i] = range[n_in];
        }
    }
    return PB_SUCCESS;
}

static int nnet_read(const char *path, const import_options *opt, mlp **out, char *note,
                     size_t note_len, pb_error *err)
{
    import_text t;
    double head[4], *vals = NULL, *lo = NULL, *hi = NULL, *mean = NULL, *range = NULL;
    size_t n, L, n_in, n_out, sizes[NNET_MAX_LAYERS + 1];
    mlp_act acts[NNET_MAX_LAYERS];
    int status, sc_lo, sc_hi, sc_mean, sc_range;
    char *line;
    mlp *m = NULL;

    *out = NULL;
    if (note_len)
        note[0] = '\0';
    status = import_text_open(&t, path, err);
    if (status)
        return status;

    /* Header and layer sizes. */
    line = import_text_next_line(&t, "//");
    if (!line) {
        status = pb_error_set(err, PB_EFORMAT, "%s: no header line", path);
        goto close;
    }
    status = import_text_numbers(&t, line, head, 4, &n, err);
    if (status)
        goto close;
    /* Sizes bounded like the layer sizes below before anything is allocated. */
    if (n < 3 || head[0] < 1 || head[0] > NNET_MAX_LAYERS || head[1] < 1 || head[2] < 1 ||
        head[1] > 1e6 || head[2] > 1e6 || head[0] != floor(head[0]) ||
        head[1] != floor(head[1]) || head[2] != floor(head[2])) {
        status = pb_error_set(err, PB_EFORMAT,
                              "%s:%zu: header must be 'layers, inputs, outputs, max size' with "
                              "positive integers (at most %d layers, sizes at most 1e6)",
                              path, t.line, NNET_MAX_LAYERS);
        goto close;
    }
    L = (size_t)head[0];
    n_in = (size_t)head[1];
    n_out = (size_t)head[2];
    vals = malloc((L + 8) * sizeof *vals);
    lo = malloc((n_in + 1) * sizeof *lo);
    hi = malloc((n_in + 1) * sizeof *hi);
    mean = malloc((n_in + 1) * sizeof *mean);
    range = malloc((n_in + 1) * sizeof *range);
    if (!vals || !lo || !hi || !mean || !range) {
        status = pb_error_set(err, PB_ENOMEM, "%s: out of memory", path);
        goto free_arrays;
    }
    line = import_text_next_line(&t, "//");
    if (!line) {
        status = pb_error_set(err, PB_EFORMAT, "%s: ends before the layer sizes", path);
        goto free_arrays;
    }
    status = import_text_numbers(&t, line, vals, L + 8, &n, err);
    if (status)
        goto free_arrays;
    if (n < L + 1) {
        status = pb_error_set(err, PB_EFORMAT, "%s:%zu: %zu layer sizes, expected %zu", path,
                              t.line, n, L + 1);
        goto free_arrays;
    }
    for (size_t j = 0; j <= L; j++) {
        if (vals[j] < 1 || vals[j] != floor(vals[j]) || vals[j] > 1e6) {
            status = pb_error_set(err, PB_EFORMAT,
                                  "%s:%zu: layer size %g is not a positive "
                                  "integer",
                                  path, t.line, vals[j]);
            goto free_arrays;
        }
        sizes[j] = (size_t)vals[j];
    }
    if (sizes[0] != n_in || sizes[L] != n_out) {
        status = pb_error_set(err, PB_EFORMAT,
                              "%s:%zu: layer sizes start with %zu and end with %zu, but the "
                              "header says %zu inputs and %zu outputs",
                              path, t.line, sizes[0], sizes[L], n_in, n_out);
        goto free_arrays;
    }

    /* Unused flag, then min, max, mean, range. */
    if (!import_text_next_line(&t, "//")) {
        status = pb_error_set(err, PB_EFORMAT, "%s: ends before the normalisation lines", path);
        goto free_arrays;
    }
    if ((status = norm_line(&t, "minimum", lo, n_in, &sc_lo, err)) ||
        (status = norm_line(&t, "maximum", hi, n_in, &sc_hi, err)) ||
        (status = norm_line(&t, "mean", mean, n_in + 1, &sc_mean, err)) ||
        (status = norm_line(&t, "range", range, n_in + 1, &sc_range, err)))
        goto free_arrays;

    if (opt && opt->n_acts) {
        status = pb_error_set(err, PB_EINVAL,
                              "%s: NNet fixes the activations (ReLU hidden, linear output); "
                              "do not give --activations",
                              path);
        goto free_arrays;
    }
    for (size_t j = 0; j < L; j++)
        acts[j] = j + 1 < L ? MLP_ACT_RELU : MLP_ACT_LINEAR;
    m = mlp_alloc(L, sizes, acts, err);
    if (!m) {
        status = err ? err->code : PB_ENOMEM;
        goto free_arrays;
    }

    /* Weights row by row, then biases one per line. */
    for (size_t j = 0; j < L; j++) {
        mlp_layer *l = &m->layers[j];
        for (size_t r = 0; r < l->n_out * 2; r++) {
            size_t want = r < l->n_out ? l->n_in : 1;
            double *dst = r < l->n_out ? l->W + r * l->n_in : l->b + (r - l->n_out);
            line = import_text_next_line(&t, "//");
            if (!line) {
                status = pb_error_set(err, PB_EFORMAT,
                                      "%s: ends in layer %zu (expected %zu weight rows and %zu "
                                      "biases)",
                                      path, j + 1, l->n_out, l->n_out);
                goto free_m;
            }
            status = import_text_numbers(&t, line, dst, want, &n, err);
            if (status)
                goto free_m;
            if (n != want) {
                status = pb_error_set(err, PB_EFORMAT,
                                      "%s:%zu: layer %zu %s has %zu values, expected %zu", path,
                                      t.line, j + 1, r < l->n_out ? "weight row" : "bias", n, want);
                goto free_m;
            }
        }
    }
    if ((line = import_text_next_line(&t, "//"))) {
        status = pb_error_set(err, PB_EFORMAT, "%s:%zu: unexpected data after the last layer", path,
                              t.line);
        goto free_m;
    }
    status = nnet_maps(&t, m, mean, range, sc_range, err);
    if (status)
        goto free_m;
    if (!(sc_lo && sc_hi && lo[0] == hi[0]) && note_len) {
        int inf_box = 1;
        for (size_t i = 0; i < n_in; i++)
            inf_box = inf_box && lo[i] <= -1e300 && hi[i] >= 1e300;
        if (!inf_box)
            snprintf(note, note_len,
                     "%s: NNet clips inputs to [min, max] before normalising; the converted "
                     "policy does not clip, so it equals the NNet network inside that box only",
                     path);
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
free_arrays:
    free(vals);
    free(lo);
    free(hi);
    free(mean);
    free(range);
close:
    import_text_close(&t);
    return status;
}

const import_type import_nnet = {
    "nnet", ".nnet", "NNet text (Julian et al. 2016): ReLU hidden, linear output, normalisation",
    nnet_read};
