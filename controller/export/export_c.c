/* export_c.c: a policy as one dependency-free C99 file, with its footprint
 * and its measured deviation from the float64 policy.
 *
 * The emitter and export_c_eval_float/_double walk the same plan: each layer is
 *   acc = 0; acc += w_ik h_k for the stored k in increasing order; acc += b_i;
 *   h'_i = sigma(acc)
 * with w, b and the maps rounded once to T.  Literals are printed with enough
 * digits to round-trip (%.17g for binary64, %.9g for binary32: IEEE 754-2008
 * section 5.12.2), so the compiled file and the in-process pass perform the same
 * operations on the same numbers. */
#include "export_c.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

void export_c_options_init(export_c_options *o)
{
    o->name = "policy";
    o->real = EXPORT_C_DOUBLE;
    o->storage = EXPORT_C_AUTO;
    o->header_include = NULL;
    o->n_calib = 0;
    o->calib = NULL;
    o->prune_bound = NAN;
    o->progress = NULL;
    o->progress_ctx = NULL;
}

static const char *const storage_names[] = {"auto", "dense", "csr"};

const char *export_c_storage_name(export_c_storage s)
{
    return (unsigned)s <= EXPORT_C_CSR ? storage_names[s] : NULL;
}

int export_c_storage_parse(const char *s, export_c_storage *out, pb_error *err)
{
    for (int i = 0; i <= EXPORT_C_CSR; i++)
        if (s && strcmp(s, storage_names[i]) == 0) {
            *out = (export_c_storage)i;
            return PB_SUCCESS;
        }
    return pb_error_set(err, PB_EINVAL, "unknown storage '%s' (expected dense, csr or auto)",
                        s ? s : "(null)");
}

int export_c_name_check(const char *name, pb_error *err)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n > 48)
        return pb_error_set(err, PB_EINVAL, "name '%s' must have 1 to 48 characters",
                            name ? name : "");
    if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')))
        return pb_error_set(err, PB_EINVAL,
                            "name '%s' is not a C identifier starting with a letter", name);
    for (size_t i = 1; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return pb_error_set(err, PB_EINVAL, "name '%s' is not a C identifier (character '%c')",
                                name, c);
    }
    return PB_SUCCESS;
}

/* A number as the exported code holds it: rounded once to T. */
static double real_round(export_c_real r, double v)
{
    return r == EXPORT_C_FLOAT ? (double)(float)v : v;
}

/* Smallest unsigned type index size (1, 2, 4 bytes) holding values up to max. */
static size_t index_bytes(size_t max)
{
    return max <= 0xffu ? 1 : (max <= 0xffffu ? 2 : 4);
}

/* Non-zero weights of a layer in precision r (the ones CSR stores). */
static size_t layer_nnz(const mlp_layer *l, export_c_real r)
{
    size_t nnz = 0;
    for (size_t i = 0; i < l->n_in * l->n_out; i++)
        nnz += real_round(r, l->W[i]) != 0.0;
    return nnz;
}

/* Lengths of NAME_eval's two buffers: h0 holds h_0, h_2, ..., h1 holds h_1,
 * h_3, ...; the last layer writes u directly. */
static void buffer_lens(const mlp *m, size_t *len0, size_t *len1)
{
    *len0 = m->n_in;
    *len1 = 0;
    for (size_t j = 1; j < m->n_layers; j++) {
        size_t width = m->layers[j - 1].n_out;
        size_t *len = j % 2 ? len1 : len0;
        if (width > *len)
            *len = width;
    }
}

/* First entry of a whose magnitude overflows float, or -1 (infinities are
 * allowed only where allow_inf). */
static long first_float_overflow(const double *a, size_t n, int allow_inf)
{
    for (size_t i = 0; a && i < n; i++)
        if (fabs(a[i]) > FLT_MAX && !(allow_inf && isinf(a[i])))
            return (long)i;
    return -1;
}

static int check_float_range(const mlp *m, pb_error *err)
{
    long bad;
    for (size_t j = 0; j < m->n_layers; j++) {
        const mlp_layer *l = &m->layers[j];
        if ((bad = first_float_overflow(l->W, l->n_in * l->n_out, 0)) >= 0)
            return pb_error_set(err, PB_EUNSUPPORTED, "layer %zu: W[%ld][%ld] = %g overflows float",
                                j + 1, bad / (long)l->n_in, bad % (long)l->n_in, l->W[bad]);
        if ((bad = first_float_overflow(l->b, l->n_out, 0)) >= 0)
            return pb_error_set(err, PB_EUNSUPPORTED, "layer %zu: b[%ld] = %g overflows float",
                                j + 1, bad, l->b[bad]);
    }
    if (first_float_overflow(m->in_offset, m->n_in, 0) >= 0 ||
        first_float_overflow(m->in_scale, m->n_in, 0) >= 0 ||
        first_float_overflow(m->out_offset, m->n_out, 0) >= 0 ||
        first_float_overflow(m->out_scale, m->n_out, 0) >= 0 ||
        first_float_overflow(m->out_low, m->n_out, 1) >= 0 ||
        first_float_overflow(m->out_high, m->n_out, 1) >= 0)
        return pb_error_set(err, PB_EUNSUPPORTED, "an input or output map entry overflows float");
    return PB_SUCCESS;
}

int export_c_plan(const mlp *m, const export_c_options *o, export_c_report *rep, pb_error *err)
{
    size_t T, len0, len1;
    int rc;

    if (!m || !o || !rep)
        return pb_error_set(err, PB_EINVAL, "export_c_plan: NULL argument");
    if ((rc = export_c_name_check(o->name, err)) != PB_SUCCESS)
        return rc;
    if (o->real != EXPORT_C_DOUBLE && o->real != EXPORT_C_FLOAT)
        return pb_error_set(err, PB_EINVAL, "unknown arithmetic %d (double or float)",
                            (int)o->real);
    if (!isnan(o->prune_bound) && !(o->prune_bound >= 0.0 && isfinite(o->prune_bound)))
        return pb_error_set(err, PB_EINVAL, "pruning bound %g is not a finite number >= 0",
                            o->prune_bound);
    if (!export_c_storage_name(o->storage))
        return pb_error_set(err, PB_EINVAL, "unknown storage %d (dense, csr or auto)",
                            (int)o->storage);
    if ((rc = mlp_validate(m, err)) != PB_SUCCESS)
        return rc;
    if (m->n_layers > EXPORT_C_MAX_LAYERS)
        return pb_error_set(err, PB_EUNSUPPORTED, "%zu layers: export handles at most %d",
                            m->n_layers, EXPORT_C_MAX_LAYERS);
    if (o->real == EXPORT_C_FLOAT && (rc = check_float_range(m, err)) != PB_SUCCESS)
        return rc;

    memset(rep, 0, sizeof *rep);
    rep->real = o->real;
    rep->real_bytes = T = o->real == EXPORT_C_FLOAT ? sizeof(float) : sizeof(double);
    rep->n_layers = m->n_layers;
    for (size_t j = 0; j < m->n_layers; j++) {
        const mlp_layer *l = &m->layers[j];
        export_c_layer_info *li = &rep->layers[j];
        li->n_in = l->n_in;
        li->n_out = l->n_out;
        li->nnz = layer_nnz(l, o->real);
        li->col_bytes = index_bytes(l->n_in - 1);
        li->row_bytes = index_bytes(li->nnz);
        li->bytes_dense = (l->n_out * l->n_in + l->n_out) * T;
        li->bytes_csr = l->n_out * T;
        if (li->nnz > 0)
            li->bytes_csr += li->nnz * (T + li->col_bytes) + (l->n_out + 1) * li->row_bytes;
        if (o->storage == EXPORT_C_AUTO)
            li->storage = li->bytes_csr < li->bytes_dense ? EXPORT_C_CSR : EXPORT_C_DENSE;
        else
            li->storage = o->storage;
        li->bytes = li->storage == EXPORT_C_CSR ? li->bytes_csr : li->bytes_dense;
        li->macs = li->storage == EXPORT_C_CSR ? li->nnz : l->n_out * l->n_in;

        rep->bytes_biases += l->n_out * T;
        if (li->storage == EXPORT_C_CSR) {
            rep->bytes_weights += li->nnz * T;
            if (li->nnz > 0)
                rep->bytes_indices += li->nnz * li->col_bytes + (l->n_out + 1) * li->row_bytes;
        } else {
            rep->bytes_weights += l->n_out * l->n_in * T;
        }
        rep->flash_bytes_dense += li->bytes_dense;
        rep->n_weights += l->n_out * l->n_in;
        rep->nnz += li->nnz;
        rep->macs += li->macs;
        rep->macs_dense += l->n_out * l->n_in;
    }
    /* The maps: the arrays mlp.c applies (input map only with offset and scale). */
    if (m->in_offset && m->in_scale)
        rep->bytes_maps += 2 * m->n_in * T;
    if (m->out_offset && m->out_scale)
        rep->bytes_maps += 2 * m->n_out * T;
    if (m->out_low)
        rep->bytes_maps += m->n_out * T;
    if (m->out_high)
        rep->bytes_maps += m->n_out * T;
    rep->flash_bytes =
        rep->bytes_weights + rep->bytes_indices + rep->bytes_biases + rep->bytes_maps;
    rep->flash_bytes_dense += rep->bytes_maps;
    buffer_lens(m, &len0, &len1);
    rep->work_len = len0 + len1;
    rep->dev = NAN;
    rep->dev_abs = NAN;
    rep->bound_total = NAN;
    return PB_SUCCESS;
}

/* The generated code's pass in type T (float or double), with the math
 * functions of T: the same statements as emit_c, in the same order.  A macro
 * so that both precisions share one text. */
#define EXPORT_C_DEFINE_EVAL(T, SUFFIX, TANH, EXP)                                                 \
    static T act_##SUFFIX(mlp_act a, T alpha, T v)                                                 \
    {                                                                                              \
        switch (a) {                                                                               \
        case MLP_ACT_RELU:                                                                         \
            return v > (T)0 ? v : (T)0;                                                            \
        case MLP_ACT_LEAKY_RELU:                                                                   \
            return v > (T)0 ? v : alpha * v;                                                       \
        case MLP_ACT_TANH:                                                                         \
            return TANH(v);                                                                        \
        case MLP_ACT_SIGMOID:                                                                      \
            return (T)1 / ((T)1 + EXP(-v));                                                        \
        case MLP_ACT_HARDTANH:                                                                     \
            return v < (T)-1 ? (T)-1 : (v > (T)1 ? (T)1 : v);                                      \
        default:                                                                                   \
            return v;                                                                              \
        }                                                                                          \
    }                                                                                              \
                                                                                                   \
    void export_c_eval_##SUFFIX(const mlp *m, const export_c_report *rep, T work[], const T x[],   \
                                T u[])                                                             \
    {                                                                                              \
        size_t len0, len1;                                                                         \
        T *h0, *h1;                                                                                \
        const T *in;                                                                               \
                                                                                                   \
        buffer_lens(m, &len0, &len1);                                                              \
        h0 = work;                                                                                 \
        h1 = work + len0;                                                                          \
        /* Input map: s = (x - offset) * scale. */                                                 \
        for (size_t i = 0; i < m->n_in; i++)                                                       \
            h0[i] = m->in_offset && m->in_scale ? (x[i] - (T)m->in_offset[i]) * (T)m->in_scale[i]  \
                                                : x[i];                                            \
        in = h0;                                                                                   \
        for (size_t j = 0; j < m->n_layers; j++) {                                                 \
            const mlp_layer *l = &m->layers[j];                                                    \
            int csr = rep->layers[j].storage == EXPORT_C_CSR;                                      \
            T *out = j + 1 == m->n_layers ? u : (j % 2 ? h0 : h1);                                 \
            for (size_t i = 0; i < l->n_out; i++) {                                                \
                const double *w = l->W + i * l->n_in;                                              \
                T acc = (T)0;                                                                      \
                for (size_t k = 0; k < l->n_in; k++)                                               \
                    if (!csr || (T)w[k] != (T)0)                                                   \
                        acc += (T)w[k] * in[k];                                                    \
                acc += (T)l->b[i];                                                                 \
                out[i] = act_##SUFFIX(l->act, (T)l->alpha, acc);                                   \
            }                                                                                      \
            in = out;                                                                              \
        }                                                                                          \
        /* Output map: clip((y - offset) * scale, low, high), as mlp_output_map. */                \
        for (size_t i = 0; i < m->n_out; i++) {                                                    \
            if (m->out_offset && m->out_scale)                                                     \
                u[i] = (u[i] - (T)m->out_offset[i]) * (T)m->out_scale[i];                          \
            if (m->out_low && u[i] < (T)m->out_low[i])                                             \
                u[i] = (T)m->out_low[i];                                                           \
            if (m->out_high && u[i] > (T)m->out_high[i])                                           \
                u[i] = (T)m->out_high[i];                                                          \
        }                                                                                          \
    }

EXPORT_C_DEFINE_EVAL(float, float, tanhf, expf)
EXPORT_C_DEFINE_EVAL(double, double, tanh, exp)

int export_c_default_states(const mlp *m, size_t n, double X[], pb_error *err)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

    if (!r)
        return pb_error_set(err, PB_ENOMEM, "out of memory allocating an RNG");
    gsl_rng_set(r, EXPORT_C_CALIB_SEED);
    for (size_t s = 0; s < n; s++)
        for (size_t i = 0; i < m->n_in; i++) {
            double c = 0.0, half = 1.0;
            if (m->in_offset && m->in_scale) {
                c = m->in_offset[i];
                if (m->in_scale[i] != 0.0)
                    half = 1.0 / fabs(m->in_scale[i]);
            }
            X[s * m->n_in + i] = c + half * (2.0 * gsl_rng_uniform(r) - 1.0);
        }
    gsl_rng_free(r);
    return PB_SUCCESS;
}

int export_c_measure(const mlp *m, export_c_report *rep, size_t n, const double X[], pb_error *err)
{
    return export_c_measure_progress(m, rep, n, X, NULL, NULL, err);
}

int export_c_measure_progress(const mlp *m, export_c_report *rep, size_t n, const double X[],
                              export_c_progress_fn progress, void *ctx, pb_error *err)
{
    int fl = rep->real == EXPORT_C_FLOAT;
    size_t len = rep->work_len + m->n_in + m->n_out;
    mlp_work *w;
    float *wf = NULL;
    double *wd = NULL, *u = NULL;
    int rc = PB_SUCCESS;

    if (n == 0 || !X)
        return pb_error_set(err, PB_EINVAL, "no calibration states");
    for (size_t i = 0; i < n * m->n_in; i++)
        if (!isfinite(X[i]))
            return pb_error_set(err, PB_EINVAL, "calibration state %zu, entry %zu is not finite",
                                i / m->n_in, i % m->n_in);
    w = mlp_work_alloc(m, 1, err);
    if (!w)
        return PB_ENOMEM;
    /* work, then x_T (n_in), then u_T (n_out), in T */
    if (fl)
        wf = malloc(len * sizeof *wf);
    else
        wd = malloc(len * sizeof *wd);
    u = malloc(m->n_out * sizeof *u);
    if ((!wf && !wd) || !u) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory measuring the export's deviation");
        goto free_all;
    }
    rep->dev = 0.0;
    rep->dev_abs = 0.0;
    for (size_t s = 0; s < n; s++) {
        const double *x = X + s * m->n_in;
        double d2 = 0.0, dabs = 0.0;
        if (progress && s % EXPORT_C_PROGRESS_EVERY == 0)
            progress(ctx, s, n);
        if (fl) {
            float *xf = wf + rep->work_len, *uf = xf + m->n_in;
            for (size_t i = 0; i < m->n_in; i++)
                xf[i] = (float)x[i];
            export_c_eval_float(m, rep, wf, xf, uf);
        } else {
            export_c_eval_double(m, rep, wd, x, wd + rep->work_len + m->n_in);
        }
        mlp_eval(m, w, x, u);
        for (size_t i = 0; i < m->n_out; i++) {
            double ut =
                fl ? (double)wf[rep->work_len + m->n_in + i] : wd[rep->work_len + m->n_in + i];
            double d = fabs(ut - u[i]);
            d2 += d * d;
            dabs = fmax(dabs, d);
        }
        d2 = sqrt(d2);
        /* A non-finite difference (float overflow) is an infinite deviation. */
        if (isnan(d2) || isnan(dabs))
            d2 = dabs = INFINITY;
        rep->dev = fmax(rep->dev, d2);
        rep->dev_abs = fmax(rep->dev_abs, dabs);
    }
    rep->n_calib = n;
    if (progress)
        progress(ctx, n, n);
free_all:
    free(wf);
    free(wd);
    free(u);
    mlp_work_free(w);
    return rc;
}

/* ---- emitting the text ---------------------------------------------- */

/* A literal of T for v that converts back to (T)v exactly. */
static void fmt_real(char buf[48], export_c_real r, double v)
{
    if (isinf(v)) {
        snprintf(buf, 48, "%sHUGE_VAL%s", v < 0 ? "-" : "", r == EXPORT_C_FLOAT ? "F" : "");
        return;
    }
    snprintf(buf, 48, r == EXPORT_C_FLOAT ? "%.9g" : "%.17g", real_round(r, v));
    if (!strpbrk(buf, ".e"))
        strcat(buf, ".0");
    if (r == EXPORT_C_FLOAT)
        strcat(buf, "f");
}

/* "    v, v, v," lines of n reals (per_line each). */
static void emit_reals(FILE *f, export_c_real r, const double *v, size_t n, const char *indent)
{
    size_t per_line = r == EXPORT_C_FLOAT ? 6 : 4;
    char buf[48];
    for (size_t i = 0; i < n; i++) {
        fmt_real(buf, r, v[i]);
        fprintf(f, "%s%s%s", i % per_line == 0 ? indent : " ", buf, i + 1 < n ? "," : "");
        if (i % per_line == per_line - 1 || i + 1 == n)
            fputc('\n', f);
    }
}

static void emit_array(FILE *f, const export_c_options *o, const char *what, const double *v,
                       size_t n)
{
    fprintf(f, "static const %s %s_%s[%zu] = {\n", o->real == EXPORT_C_FLOAT ? "float" : "double",
            o->name, what, n);
    emit_reals(f, o->real, v, n, "    ");
    fprintf(f, "};\n");
}

static const char *index_type(size_t bytes)
{
    return bytes == 1 ? "uint8_t" : (bytes == 2 ? "uint16_t" : "uint32_t");
}

static void emit_indices(FILE *f, const char *type, const char *name, const char *what, size_t j,
                         const unsigned long *v, size_t n)
{
    fprintf(f, "static const %s %s_L%zu_%s[%zu] = {\n", type, name, j, what, n);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s%lu%s", i % 16 == 0 ? "    " : " ", v[i], i + 1 < n ? "," : "");
        if (i % 16 == 15 || i + 1 == n)
            fputc('\n', f);
    }
    fprintf(f, "};\n");
}

/* The weight arrays of layer j (1-based in names).  idx has room for
 * max(nnz, n_out + 1) entries. */
static void emit_layer_arrays(FILE *f, const mlp *m, const export_c_options *o,
                              const export_c_report *rep, size_t j, unsigned long *idx, double *val)
{
    const mlp_layer *l = &m->layers[j];
    const export_c_layer_info *li = &rep->layers[j];
    const char *T = o->real == EXPORT_C_FLOAT ? "float" : "double";

    fprintf(f, "\n/* layer %zu: %zu -> %zu, %s, %s: %zu of %zu weights non-zero, %zu bytes */\n",
            j + 1, l->n_in, l->n_out, mlp_act_name(l->act), export_c_storage_name(li->storage),
            li->nnz, l->n_in * l->n_out, li->bytes);
    if (li->storage == EXPORT_C_DENSE) {
        fprintf(f, "static const %s %s_L%zu_W[%zu][%zu] = {\n", T, o->name, j + 1, l->n_out,
                l->n_in);
        for (size_t i = 0; i < l->n_out; i++) {
            fprintf(f, "    {\n");
            emit_reals(f, o->real, l->W + i * l->n_in, l->n_in, "        ");
            fprintf(f, "    }%s\n", i + 1 < l->n_out ? "," : "");
        }
        fprintf(f, "};\n");
    } else if (li->nnz > 0) {
        size_t nz = 0;
        for (size_t i = 0; i < l->n_out * l->n_in; i++)
            if (real_round(o->real, l->W[i]) != 0.0)
                val[nz++] = l->W[i];
        fprintf(f, "static const %s %s_L%zu_val[%zu] = {\n", T, o->name, j + 1, li->nnz);
        emit_reals(f, o->real, val, li->nnz, "    ");
        fprintf(f, "};\n");
        nz = 0;
        for (size_t i = 0; i < l->n_out * l->n_in; i++)
            if (real_round(o->real, l->W[i]) != 0.0)
                idx[nz++] = (unsigned long)(i % l->n_in);
        emit_indices(f, index_type(li->col_bytes), o->name, "col", j + 1, idx, li->nnz);
        idx[0] = 0;
        for (size_t i = 0; i < l->n_out; i++) {
            size_t row_nnz = 0;
            for (size_t k = 0; k < l->n_in; k++)
                row_nnz += real_round(o->real, l->W[i * l->n_in + k]) != 0.0;
            idx[i + 1] = idx[i] + row_nnz;
        }
        emit_indices(f, index_type(li->row_bytes), o->name, "row", j + 1, idx, l->n_out + 1);
    }
    fprintf(f, "static const %s %s_L%zu_b[%zu] = {\n", T, o->name, j + 1, l->n_out);
    emit_reals(f, o->real, l->b, l->n_out, "    ");
    fprintf(f, "};\n");
}

/* The statement applying sigma to acc, for T. */
static void emit_activation(FILE *f, const export_c_options *o, const mlp_layer *l, const char *out)
{
    int fl = o->real == EXPORT_C_FLOAT;
    const char *zero = fl ? "0.0f" : "0.0", *one = fl ? "1.0f" : "1.0";
    char alpha[48];

    switch (l->act) {
    case MLP_ACT_RELU:
        fprintf(f, "        %s[i] = acc > %s ? acc : %s;\n", out, zero, zero);
        break;
    case MLP_ACT_LEAKY_RELU:
        fmt_real(alpha, o->real, l->alpha);
        fprintf(f, "        %s[i] = acc > %s ? acc : %s * acc;\n", out, zero, alpha);
        break;
    case MLP_ACT_TANH:
        fprintf(f, "        %s[i] = %s(acc);\n", out, fl ? "tanhf" : "tanh");
        break;
    case MLP_ACT_SIGMOID:
        fprintf(f, "        %s[i] = %s / (%s + %s(-acc));\n", out, one, one, fl ? "expf" : "exp");
        break;
    case MLP_ACT_HARDTANH:
        fprintf(f, "        %s[i] = acc < -%s ? -%s : (acc > %s ? %s : acc);\n", out, one, one, one,
                one);
        break;
    default:
        fprintf(f, "        %s[i] = acc;\n", out);
        break;
    }
}

static void emit_layer_code(FILE *f, const mlp *m, const export_c_options *o,
                            const export_c_report *rep, size_t j, const char *in, const char *out)
{
    const mlp_layer *l = &m->layers[j];
    const export_c_layer_info *li = &rep->layers[j];
    const char *T = o->real == EXPORT_C_FLOAT ? "float" : "double";

    fprintf(f, "\n    /* layer %zu: %zu -> %zu, %s, %s */\n", j + 1, l->n_in, l->n_out,
            mlp_act_name(l->act), export_c_storage_name(li->storage));
    if (li->storage == EXPORT_C_CSR && li->nnz == 0)
        fprintf(f, "    (void)%s; /* no non-zero weight: the output is sigma(b) */\n", in);
    fprintf(f, "    for (i = 0; i < %zu; i++) {\n", l->n_out);
    fprintf(f, "        %s acc = %s;\n", T, o->real == EXPORT_C_FLOAT ? "0.0f" : "0.0");
    if (li->storage == EXPORT_C_DENSE) {
        fprintf(f, "        for (k = 0; k < %zu; k++)\n", l->n_in);
        fprintf(f, "            acc += %s_L%zu_W[i][k] * %s[k];\n", o->name, j + 1, in);
    } else if (li->nnz > 0) {
        fprintf(f, "        for (k = %s_L%zu_row[i]; k < %s_L%zu_row[i + 1]; k++)\n", o->name,
                j + 1, o->name, j + 1);
        fprintf(f, "            acc += %s_L%zu_val[k] * %s[%s_L%zu_col[k]];\n", o->name, j + 1, in,
                o->name, j + 1);
    }
    fprintf(f, "        acc += %s_L%zu_b[i];\n", o->name, j + 1);
    emit_activation(f, o, l, out);
    fprintf(f, "    }\n");
}

static void emit_decls(FILE *f, const mlp *m, const export_c_options *o)
{
    const char *T = o->real == EXPORT_C_FLOAT ? "float" : "double";
    fprintf(f, "#define %s_NX %zu /* inputs: the state x */\n", o->name, m->n_in);
    fprintf(f, "#define %s_NU %zu /* outputs: the action u */\n\n", o->name, m->n_out);
    fprintf(f,
            "/* u = policy(x): input map, every layer, output map.  No allocation, no\n"
            " * state; x is read completely before u is written (they may alias). */\n"
            "void %s_eval(const %s x[%s_NX], %s u[%s_NU]);\n",
            o->name, T, o->name, T, o->name);
}

static void emit_summary(FILE *f, const mlp *m, const export_c_options *o,
                         const export_c_report *rep)
{
    fprintf(f, " * Policy: %zu", m->n_in);
    for (size_t j = 0; j < m->n_layers; j++)
        fprintf(f, " -> %zu (%s)", m->layers[j].n_out, mlp_act_name(m->layers[j].act));
    fprintf(f, "%s%s.\n", m->in_offset && m->in_scale ? ", input map" : "",
            m->out_offset || m->out_low || m->out_high ? ", output map" : "");
    if (m->prov.method[0])
        fprintf(f, " * Pruned: %s, sparsity %g, %s.\n", m->prov.method, m->prov.sparsity,
                m->prov.pattern);
    fprintf(f, " * Arithmetic: %s; storage: %s.\n",
            o->real == EXPORT_C_FLOAT ? "float (IEEE-754 binary32)" : "double (IEEE-754 binary64)",
            export_c_storage_name(o->storage));
    fprintf(f,
            " * Flash: %zu bytes (weights %zu, indices %zu, biases %zu, maps %zu); all dense:"
            " %zu.\n",
            rep->flash_bytes, rep->bytes_weights, rep->bytes_indices, rep->bytes_biases,
            rep->bytes_maps, rep->flash_bytes_dense);
    fprintf(f, " * Multiply-adds per call: %zu (all dense: %zu); stack buffers: %zu bytes.\n",
            rep->macs, rep->macs_dense, rep->work_len * rep->real_bytes);
    fprintf(f,
            " * Deviation of this %s code from the float64 policy, measured on %zu %s\n"
            " * states: max ||u - u64||_2 = %.3e, max |u_i - u64_i| = %.3e.\n",
            o->real == EXPORT_C_FLOAT ? "float" : "double", rep->n_calib,
            rep->calib_is_default ? "default" : "calibration", rep->dev, rep->dev_abs);
    if (isnan(o->prune_bound))
        fprintf(f, " * Add it to any pruning bound (docs/EXPORT.md).\n");
    else
        fprintf(f, " * Bound for this code: pruning bound %.17g + %.3e <= %.17g.\n", o->prune_bound,
                rep->dev, rep->bound_total);
}

static int emit_c(FILE *f, const mlp *m, const export_c_options *o, const export_c_report *rep,
                  pb_error *err)
{
    const char *T = o->real == EXPORT_C_FLOAT ? "float" : "double";
    size_t len0, len1, scratch = 1, need_k = 0, any_csr = 0, wide = 0;
    unsigned long *idx;
    double *val;
    const char *in = "h0";

    for (size_t j = 0; j < m->n_layers; j++) {
        const export_c_layer_info *li = &rep->layers[j];
        size_t need = li->nnz > li->n_out + 1 ? li->nnz : li->n_out + 1;
        if (need > scratch)
            scratch = need;
        if (li->storage == EXPORT_C_DENSE || li->nnz > 0)
            need_k = 1;
        if (li->storage == EXPORT_C_CSR && li->nnz > 0)
            any_csr = 1;
        if (li->n_in > 0xffffu || li->n_out > 0xffffu || li->nnz > 0xffffu)
            wide = 1;
    }
    idx = malloc(scratch * sizeof *idx);
    val = malloc(scratch * sizeof *val);
    if (!idx || !val) {
        free(idx);
        free(val);
        return pb_error_set(err, PB_ENOMEM, "out of memory writing the C export");
    }

    fprintf(f,
            "/* %s_eval: a neural-network policy as dependency-free C99, written by\n"
            " * prunebound %s export-c (docs/EXPORT.md).  Do not edit.\n *\n",
            o->name, PB_VERSION);
    emit_summary(f, m, o, rep);
    fprintf(f, " */\n#include <math.h>\n");
    if (any_csr)
        fprintf(f, "#include <stdint.h>\n");
    if (o->header_include)
        fprintf(f, "\n#include \"%s\"\n", o->header_include);
    else {
        fprintf(f, "\n");
        emit_decls(f, m, o);
    }

    if (m->in_offset && m->in_scale) {
        fprintf(f, "\n/* input map: s = (x - offset) * scale */\n");
        emit_array(f, o, "in_offset", m->in_offset, m->n_in);
        emit_array(f, o, "in_scale", m->in_scale, m->n_in);
    }
    for (size_t j = 0; j < m->n_layers; j++)
        emit_layer_arrays(f, m, o, rep, j, idx, val);
    if (m->out_offset || m->out_low || m->out_high)
        fprintf(f, "\n/* output map: u = clip((y - offset) * scale, low, high) */\n");
    if (m->out_offset && m->out_scale) {
        emit_array(f, o, "out_offset", m->out_offset, m->n_out);
        emit_array(f, o, "out_scale", m->out_scale, m->n_out);
    }
    if (m->out_low)
        emit_array(f, o, "out_low", m->out_low, m->n_out);
    if (m->out_high)
        emit_array(f, o, "out_high", m->out_high, m->n_out);

    /* The function: h0/h1 alternate as layer inputs and outputs; the last
     * layer writes u. */
    buffer_lens(m, &len0, &len1);
    fprintf(f, "\nvoid %s_eval(const %s x[%s_NX], %s u[%s_NU])\n{\n", o->name, T, o->name, T,
            o->name);
    fprintf(f, "    %s h0[%zu];\n", T, len0);
    if (len1 > 0)
        fprintf(f, "    %s h1[%zu];\n", T, len1);
    fprintf(f, "    unsigned %s i%s;\n\n", wide ? "long" : "int", need_k ? ", k" : "");
    fprintf(f, "    for (i = 0; i < %zu; i++)\n", m->n_in);
    if (m->in_offset && m->in_scale)
        fprintf(f, "        h0[i] = (x[i] - %s_in_offset[i]) * %s_in_scale[i];\n", o->name,
                o->name);
    else
        fprintf(f, "        h0[i] = x[i];\n");
    for (size_t j = 0; j < m->n_layers; j++) {
        const char *out = j + 1 == m->n_layers ? "u" : (j % 2 ? "h0" : "h1");
        emit_layer_code(f, m, o, rep, j, in, out);
        in = out;
    }
    if (m->out_offset || m->out_low || m->out_high) {
        fprintf(f, "\n    /* output map */\n    for (i = 0; i < %zu; i++) {\n", m->n_out);
        if (m->out_offset && m->out_scale)
            fprintf(f, "        u[i] = (u[i] - %s_out_offset[i]) * %s_out_scale[i];\n", o->name,
                    o->name);
        if (m->out_low)
            fprintf(f, "        if (u[i] < %s_out_low[i])\n            u[i] = %s_out_low[i];\n",
                    o->name, o->name);
        if (m->out_high)
            fprintf(f, "        if (u[i] > %s_out_high[i])\n            u[i] = %s_out_high[i];\n",
                    o->name, o->name);
        fprintf(f, "    }\n");
    }
    fprintf(f, "}\n");
    free(idx);
    free(val);
    return PB_SUCCESS;
}

static void emit_h(FILE *f, const mlp *m, const export_c_options *o)
{
    char guard[64];
    size_t n = strlen(o->name);

    for (size_t i = 0; i < n; i++)
        guard[i] =
            (char)(o->name[i] >= 'a' && o->name[i] <= 'z' ? o->name[i] - 'a' + 'A' : o->name[i]);
    strcpy(guard + n, "_POLICY_H");
    fprintf(f,
            "/* %s_eval: a neural-network policy as dependency-free C99, written by\n"
            " * prunebound %s export-c (docs/EXPORT.md).  Do not edit. */\n",
            o->name, PB_VERSION);
    fprintf(f, "#ifndef %s\n#define %s\n\n", guard, guard);
    emit_decls(f, m, o);
    fprintf(f, "\n#endif\n");
}

int export_c_write(const mlp *m, const export_c_options *o, FILE *c_out, FILE *h_out,
                   export_c_report *rep, pb_error *err)
{
    export_c_report local;
    double *X = NULL;
    int rc;

    if (!rep)
        rep = &local;
    if (!c_out)
        return pb_error_set(err, PB_EINVAL, "export_c_write: no output stream");
    if ((rc = export_c_plan(m, o, rep, err)) != PB_SUCCESS)
        return rc;
    if (o->n_calib == 0) {
        X = malloc(EXPORT_C_CALIB_N * m->n_in * sizeof *X);
        if (!X)
            return pb_error_set(err, PB_ENOMEM, "out of memory drawing calibration states");
        if ((rc = export_c_default_states(m, EXPORT_C_CALIB_N, X, err)) != PB_SUCCESS)
            goto free_X;
    }
    rc = export_c_measure_progress(m, rep, X ? EXPORT_C_CALIB_N : o->n_calib, X ? X : o->calib,
                                   o->progress, o->progress_ctx, err);
    if (rc != PB_SUCCESS)
        goto free_X;
    rep->calib_is_default = X != NULL;
    /* rounded up so that the sum never understates the bound */
    rep->bound_total = nextafter(o->prune_bound + rep->dev, INFINITY);
    if ((rc = emit_c(c_out, m, o, rep, err)) != PB_SUCCESS)
        goto free_X;
    if (h_out)
        emit_h(h_out, m, o);
    if (fflush(c_out) != 0 || ferror(c_out) || (h_out && (fflush(h_out) != 0 || ferror(h_out))))
        rc = pb_error_set(err, PB_EIO, "writing the C export failed: %s", strerror(errno));
free_X:
    free(X);
    return rc;
}

/* "path.tmp" on the heap, or NULL. */
static char *tmp_name(const char *path)
{
    char *t = malloc(strlen(path) + 5);
    if (t)
        sprintf(t, "%s.tmp", path);
    return t;
}

int export_c_write_files(const mlp *m, const export_c_options *o, const char *c_path,
                         const char *h_path, export_c_report *rep, pb_error *err)
{
    export_c_options oh;
    export_c_report local;
    char *c_tmp = NULL, *h_tmp = NULL;
    FILE *cf = NULL, *hf = NULL;
    int rc;

    if (!c_path)
        return pb_error_set(err, PB_EINVAL, "no output path for the C export");
    if (!rep)
        rep = &local;
    /* Refuse bad options before touching the file system. */
    if ((rc = export_c_plan(m, o, rep, err)) != PB_SUCCESS)
        return rc;
    oh = *o;
    if (h_path && !oh.header_include) {
        const char *slash = strrchr(h_path, '/');
        oh.header_include = slash ? slash + 1 : h_path;
    }
    c_tmp = tmp_name(c_path);
    h_tmp = h_path ? tmp_name(h_path) : NULL;
    if (!c_tmp || (h_path && !h_tmp)) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory");
        goto free_names;
    }
    if (!(cf = fopen(c_tmp, "w"))) {
        rc = pb_error_set(err, PB_EIO, "cannot write %s: %s", c_tmp, strerror(errno));
        goto free_names;
    }
    if (h_path && !(hf = fopen(h_tmp, "w"))) {
        rc = pb_error_set(err, PB_EIO, "cannot write %s: %s", h_tmp, strerror(errno));
        goto close_c;
    }
    rc = export_c_write(m, &oh, cf, hf, rep, err);
    if (hf && fclose(hf) != 0 && rc == PB_SUCCESS)
        rc = pb_error_set(err, PB_EIO, "cannot write %s: %s", h_tmp, strerror(errno));
    hf = NULL;
    if (fclose(cf) != 0 && rc == PB_SUCCESS)
        rc = pb_error_set(err, PB_EIO, "cannot write %s: %s", c_tmp, strerror(errno));
    cf = NULL;
    if (rc == PB_SUCCESS && h_path && rename(h_tmp, h_path) != 0)
        rc =
            pb_error_set(err, PB_EIO, "cannot rename %s to %s: %s", h_tmp, h_path, strerror(errno));
    if (rc == PB_SUCCESS && rename(c_tmp, c_path) != 0) {
        rc =
            pb_error_set(err, PB_EIO, "cannot rename %s to %s: %s", c_tmp, c_path, strerror(errno));
        if (h_path)
            remove(h_path);
    }
    if (rc != PB_SUCCESS && h_path)
        remove(h_tmp);
close_c:
    if (hf)
        fclose(hf);
    if (cf)
        fclose(cf);
    if (rc != PB_SUCCESS)
        remove(c_tmp);
free_names:
    free(c_tmp);
    free(h_tmp);
    return rc;
}
