/* test_export.c: the C export (controller/export/export_c.h, `prunebound export-c`).
 *
 * Oracles: the generated files are compiled by the system compiler with
 * `-std=c99 -Wall -Wextra -Werror -pedantic` (plus -Wshadow -Wconversion
 * -Wdouble-promotion), linked into a driver that reads states from a binary
 * file, and their outputs compared with mlp_eval (double: relative 1e-12;
 * float: within the reported deviation, and bit-identical to the in-process
 * float pass); the footprint is compared with the symbol sizes `nm` reads
 * from the compiled object; the round trip of literals is checked by
 * evaluating a linear layer on unit vectors. */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>
#include <hdf5.h>

#include "export_c.h"
#include "mlp.h"
#include "mlp_io.h"
#include "pb_test.h"

#define N_STATES 10000
#define CFLAGS                                                                                     \
    "-std=c99 -Wall -Wextra -Werror -pedantic -Wshadow -Wconversion -Wdouble-promotion "           \
    "-Wstrict-prototypes"

/* ---- networks ------------------------------------------------------------ */

/* Uniform weights in [-gain, gain] sqrt(3 / n_in) (unit variance of z for unit
 * inputs times gain) and biases in [-0.5, 0.5]. */
static mlp *net_random(size_t nl, const size_t sizes[], const mlp_act acts[], double gain,
                       unsigned long seed)
{
    mlp *m = mlp_alloc(nl, sizes, acts, NULL);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

    CU_ASSERT_FATAL(m != NULL && r != NULL);
    gsl_rng_set(r, seed);
    for (size_t j = 0; j < nl; j++) {
        mlp_layer *l = &m->layers[j];
        double a = gain * sqrt(3.0 / (double)l->n_in);
        for (size_t i = 0; i < l->n_in * l->n_out; i++)
            l->W[i] = a * (2.0 * gsl_rng_uniform(r) - 1.0);
        for (size_t i = 0; i < l->n_out; i++)
            l->b[i] = gsl_rng_uniform(r) - 0.5;
        l->alpha = 0.1;
    }
    gsl_rng_free(r);
    return m;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Zeroes the fraction p of layer j's weights with the smallest magnitudes;
 * returns how many were zeroed. */
static size_t prune_layer(mlp *m, size_t j, double p)
{
    mlp_layer *l = &m->layers[j];
    size_t n = l->n_in * l->n_out, k = (size_t)(p * (double)n), zeroed = 0;
    double *a = malloc(n * sizeof *a), thr;

    CU_ASSERT_FATAL(a != NULL);
    for (size_t i = 0; i < n; i++)
        a[i] = fabs(l->W[i]);
    qsort(a, n, sizeof *a, cmp_double);
    thr = k ? a[k - 1] : -1.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(l->W[i]) <= thr) {
            l->W[i] = 0.0;
            zeroed++;
        }
    free(a);
    return zeroed;
}

/* relu, leaky_relu, tanh, sigmoid, hardtanh, linear, with both maps (one
 * output clipped on both sides, one above only, one not), layers 2 and 3
 * 70% sparse. */
static mlp *net_all_acts(void)
{
    static const size_t sizes[] = {5, 24, 20, 24, 16, 12, 3};
    static const mlp_act acts[] = {MLP_ACT_RELU,    MLP_ACT_LEAKY_RELU, MLP_ACT_TANH,
                                   MLP_ACT_SIGMOID, MLP_ACT_HARDTANH,   MLP_ACT_LINEAR};
    mlp *m = net_random(6, sizes, acts, 2.5, 11);

    prune_layer(m, 1, 0.7);
    prune_layer(m, 2, 0.7);
    CU_ASSERT_FATAL(mlp_add_input_map(m, NULL) == PB_SUCCESS);
    CU_ASSERT_FATAL(mlp_add_output_map(m, NULL) == PB_SUCCESS);
    for (size_t i = 0; i < m->n_in; i++) {
        m->in_offset[i] = 0.3 * (double)i - 0.5;
        m->in_scale[i] = (i % 2 ? -1.0 : 1.0) * (0.5 + 0.4 * (double)i);
    }
    m->out_offset[0] = -0.8;
    m->out_offset[1] = -0.9;
    m->out_offset[2] = 0.05;
    m->out_scale[0] = 0.5;
    m->out_scale[1] = -0.5;
    m->out_scale[2] = 0.5;
    m->out_low[0] = -0.5;
    m->out_high[0] = 0.5;
    m->out_high[1] = 0.2;
    return m;
}

/* n states uniform in the box offset +- 1.5 / |scale| (beyond the input
 * map's [-1, 1] so that the output limits are reached). */
static double *states_box(const mlp *m, size_t n, unsigned long seed)
{
    double *X = malloc(n * m->n_in * sizeof *X);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

    CU_ASSERT_FATAL(X != NULL && r != NULL);
    gsl_rng_set(r, seed);
    for (size_t s = 0; s < n; s++)
        for (size_t i = 0; i < m->n_in; i++) {
            double c = m->in_offset ? m->in_offset[i] : 0.0;
            double h = m->in_scale ? 1.5 / fabs(m->in_scale[i]) : 1.5;
            X[s * m->n_in + i] = c + h * (2.0 * gsl_rng_uniform(r) - 1.0);
        }
    gsl_rng_free(r);
    return X;
}

/* U (n x n_out) = mlp_eval over the states. */
static double *eval_ref(const mlp *m, size_t n, const double X[])
{
    double *U = malloc(n * m->n_out * sizeof *U);
    mlp_work *w = mlp_work_alloc(m, 1, NULL);

    CU_ASSERT_FATAL(U != NULL && w != NULL);
    for (size_t s = 0; s < n; s++)
        mlp_eval(m, w, X + s * m->n_in, U + s * m->n_out);
    mlp_work_free(w);
    return U;
}

/* ---- compiling and running the generated code ---------------------------- */

static int run(const char *cmd)
{
    int st = system(cmd);
    if (st != 0)
        fprintf(stderr, "\n  command failed (status %d): %s\n", st, cmd);
    return st;
}

/* A directory of this test's tmp dir for one export. */
static const char *case_dir(const char *tag)
{
    const char *d = pb_test_path(tag);
    mkdir(d, 0700);
    return d;
}

/* Compiles dir/NAME.c to dir/NAME.o with the strict flags; 0 on success. */
static int compile_object(const char *dir, const char *name)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && cc " CFLAGS " -c %s.c -o %s.o", dir, name, name);
    return run(cmd);
}

/* Exports m to dir/NAME.c and dir/NAME.h, compiles them with a driver, and
 * runs it on the n states X (cast to T); fills U (n x n_out) and rep.
 * Returns 0 on success. */
static int run_export(const mlp *m, const export_c_options *o, const char *tag, size_t n,
                      const double X[], double U[], export_c_report *rep)
{
    const char *dir = case_dir(tag);
    int fl = o->real == EXPORT_C_FLOAT;
    size_t T = fl ? sizeof(float) : sizeof(double);
    char c_path[1400], h_path[1400], path[1400], cmd[4096];
    pb_error err;
    FILE *f;
    int rc;

    snprintf(c_path, sizeof c_path, "%s/%s.c", dir, o->name);
    snprintf(h_path, sizeof h_path, "%s/%s.h", dir, o->name);
    rc = export_c_write_files(m, o, c_path, h_path, rep, &err);
    CU_ASSERT_EQUAL(rc, PB_SUCCESS);
    if (rc != PB_SUCCESS) {
        fprintf(stderr, "\n  export: %s\n", err.msg);
        return -1;
    }
    /* The driver: states in, actions out, both raw T. */
    snprintf(path, sizeof path, "%s/driver.c", dir);
    f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fprintf(f,
            "#include <stdio.h>\n#include <stdlib.h>\n#include \"%s.h\"\n"
            "int main(int argc, char **argv)\n{\n"
            "    %s x[%s_NX], u[%s_NU];\n    long i, n;\n    FILE *in, *out;\n"
            "    if (argc != 4)\n        return 2;\n"
            "    n = atol(argv[1]);\n    in = fopen(argv[2], \"rb\");\n"
            "    out = fopen(argv[3], \"wb\");\n    if (!in || !out)\n        return 3;\n"
            "    for (i = 0; i < n; i++) {\n"
            "        if (fread(x, sizeof x, 1, in) != 1)\n            return 4;\n"
            "        %s_eval(x, u);\n"
            "        if (fwrite(u, sizeof u, 1, out) != 1)\n            return 5;\n    }\n"
            "    return fclose(in) != 0 || fclose(out) != 0;\n}\n",
            o->name, fl ? "float" : "double", o->name, o->name, o->name);
    fclose(f);
    snprintf(path, sizeof path, "%s/in.bin", dir);
    f = fopen(path, "wb");
    CU_ASSERT_FATAL(f != NULL);
    for (size_t i = 0; i < n * m->n_in; i++) {
        float xf = (float)X[i];
        fwrite(fl ? (const void *)&xf : (const void *)&X[i], T, 1, f);
    }
    CU_ASSERT_FATAL(fclose(f) == 0);
    if (compile_object(dir, o->name) != 0) {
        CU_FAIL("the generated file does not compile with the strict flags");
        return -1;
    }
    snprintf(cmd, sizeof cmd,
             "cd '%s' && cc " CFLAGS " driver.c %s.o -o driver -lm && ./driver %zu in.bin out.bin",
             dir, o->name, n);
    if (run(cmd) != 0) {
        CU_FAIL("the driver does not compile or run");
        return -1;
    }
    snprintf(path, sizeof path, "%s/out.bin", dir);
    f = fopen(path, "rb");
    CU_ASSERT_FATAL(f != NULL);
    for (size_t i = 0; i < n * m->n_out; i++) {
        float uf;
        if (fread(fl ? (void *)&uf : (void *)&U[i], T, 1, f) != 1) {
            CU_FAIL("short output file");
            fclose(f);
            return -1;
        }
        if (fl)
            U[i] = (double)uf;
    }
    fclose(f);
    return 0;
}

/* Sum of the sizes `nm` gives for the defined data symbols NAME_* of
 * dir/NAME.o (the const arrays), or (size_t)-1. */
static size_t nm_array_bytes(const char *dir, const char *name)
{
    char cmd[1400], line[512];
    size_t total = 0, plen = strlen(name);
    FILE *p;

    snprintf(cmd, sizeof cmd, "nm -S --defined-only '%s/%s.o'", dir, name);
    p = popen(cmd, "r");
    if (!p)
        return (size_t)-1;
    while (fgets(line, sizeof line, p)) {
        char addr[64], size[64], type[8], sym[256];
        if (sscanf(line, "%63s %63s %7s %255s", addr, size, type, sym) != 4)
            continue;
        if ((type[0] == 'r' || type[0] == 'R' || type[0] == 'd' || type[0] == 'D') &&
            strncmp(sym, name, plen) == 0 && sym[plen] == '_')
            total += strtoul(size, NULL, 16);
    }
    return pclose(p) == 0 ? total : (size_t)-1;
}

/* ---- tests ---------------------------------------------------------------- */

/* Double exports of every storage agree with mlp_eval to 1e-12 relative (an
 * absolute floor of 1e-12 for outputs cancelling to near zero: the generated
 * dot products sum in a different order than OpenBLAS). */
static void test_double_matches_mlp_eval(void)
{
    static const export_c_storage storages[] = {EXPORT_C_DENSE, EXPORT_C_CSR, EXPORT_C_AUTO};
    static const char *const tags[] = {"dbl_dense", "dbl_csr", "dbl_auto"};
    mlp *m = net_all_acts();
    double *X = states_box(m, N_STATES, 5);
    double *R = eval_ref(m, N_STATES, X);
    double *U = malloc(N_STATES * m->n_out * sizeof *U);
    size_t clipped_low = 0, clipped_high = 0, clipped_high1 = 0;

    CU_ASSERT_FATAL(U != NULL);
    /* The maps are exercised: output 0 reaches both limits, output 1 its upper. */
    for (size_t s = 0; s < N_STATES; s++) {
        clipped_low += R[s * 3] == -0.5;
        clipped_high += R[s * 3] == 0.5;
        clipped_high1 += R[s * 3 + 1] == 0.2;
    }
    CU_ASSERT(clipped_low > 0 && clipped_high > 0 && clipped_high1 > 0);
    CU_ASSERT(clipped_low + clipped_high < N_STATES / 2);
    for (size_t c = 0; c < 3; c++) {
        export_c_options o;
        export_c_report rep;
        size_t n_csr = 0, bad = 0;
        double *work, u[3], worst = 0.0;
        size_t not_exact = 0;
        export_c_options_init(&o);
        o.name = "pol_dbl";
        o.storage = storages[c];
        o.n_calib = N_STATES;
        o.calib = X;
        if (run_export(m, &o, tags[c], N_STATES, X, U, &rep) != 0)
            continue;
        for (size_t j = 0; j < rep.n_layers; j++)
            n_csr += rep.layers[j].storage == EXPORT_C_CSR;
        /* auto picks CSR for the two 70%-sparse layers only */
        CU_ASSERT_EQUAL(n_csr, c == 0 ? 0 : (c == 1 ? 6 : 2));
        for (size_t i = 0; i < N_STATES * m->n_out; i++) {
            double tol = 1e-12 * fmax(fabs(U[i]), fabs(R[i])) + 1e-12;
            if (!(fabs(U[i] - R[i]) <= tol) && bad++ == 0)
                PB_ASSERT_CLOSE(U[i], R[i], 1e-12, 1e-12);
        }
        CU_ASSERT_EQUAL(bad, 0);
        /* bit-identical to export_c_eval_double; within the reported deviation */
        work = malloc(rep.work_len * sizeof *work);
        CU_ASSERT_FATAL(work != NULL);
        for (size_t s = 0; s < N_STATES; s++) {
            double d2 = 0.0;
            export_c_eval_double(m, &rep, work, X + s * 5, u);
            for (size_t i = 0; i < 3; i++) {
                not_exact += u[i] != U[s * 3 + i];
                d2 += (U[s * 3 + i] - R[s * 3 + i]) * (U[s * 3 + i] - R[s * 3 + i]);
            }
            worst = fmax(worst, sqrt(d2));
        }
        CU_ASSERT_EQUAL(not_exact, 0);
        CU_ASSERT(worst <= rep.dev && rep.dev < 1e-12);
        CU_ASSERT_EQUAL(rep.n_calib, N_STATES);
        free(work);
    }
    free(U);
    free(R);
    free(X);
    mlp_free(m);
}

/* The activations' regimes are all reached on the test states (so the
 * comparisons above test each branch): relu zero and positive, leaky_relu
 * negative and positive, hardtanh saturated and linear. */
static void test_activations_exercised(void)
{
    mlp *m = net_all_acts();
    double *X = states_box(m, 2000, 5);
    mlp_work *w = mlp_work_alloc(m, 1, NULL);
    double u[3];
    size_t relu0 = 0, relup = 0, leakyn = 0, leakyp = 0, hsat = 0, hlin = 0;

    CU_ASSERT_FATAL(w != NULL);
    for (size_t s = 0; s < 2000; s++) {
        mlp_eval(m, w, X + s * m->n_in, u);
        for (size_t i = 0; i < 24; i++) {
            relu0 += mlp_work_hidden(w, 1)[i] == 0.0;
            relup += mlp_work_hidden(w, 1)[i] > 0.0;
        }
        for (size_t i = 0; i < 20; i++) {
            leakyn += mlp_work_hidden(w, 2)[i] < 0.0;
            leakyp += mlp_work_hidden(w, 2)[i] > 0.0;
        }
        for (size_t i = 0; i < 12; i++) {
            hsat += fabs(mlp_work_hidden(w, 5)[i]) == 1.0;
            hlin += fabs(mlp_work_hidden(w, 5)[i]) < 1.0;
        }
    }
    CU_ASSERT(relu0 > 1000 && relup > 1000);
    CU_ASSERT(leakyn > 1000 && leakyp > 1000);
    CU_ASSERT(hsat > 1000 && hlin > 1000);
    mlp_work_free(w);
    free(X);
    mlp_free(m);
}

/* Float exports: every output of the compiled code is bit-identical to
 * export_c_eval_float, and ||u_float - u||_2 <= the reported deviation when
 * the calibration states are the test states; the deviation is that of
 * rounding to binary32 (positive, far below 1e-4 on outputs of order 1). */
static void test_float_within_deviation(void)
{
    static const export_c_storage storages[] = {EXPORT_C_DENSE, EXPORT_C_CSR, EXPORT_C_AUTO};
    static const char *const tags[] = {"flt_dense", "flt_csr", "flt_auto"};
    mlp *m = net_all_acts();
    double *X = states_box(m, N_STATES, 6);
    double *R = eval_ref(m, N_STATES, X);
    double *U = malloc(N_STATES * m->n_out * sizeof *U);

    CU_ASSERT_FATAL(U != NULL);
    for (size_t c = 0; c < 3; c++) {
        export_c_options o;
        export_c_report rep;
        float *work, xf[5], uf[3];
        size_t not_exact = 0, over = 0;
        double worst = 0.0;
        export_c_options_init(&o);
        o.name = "pol_flt";
        o.real = EXPORT_C_FLOAT;
        o.storage = storages[c];
        o.n_calib = N_STATES;
        o.calib = X;
        if (run_export(m, &o, tags[c], N_STATES, X, U, &rep) != 0)
            continue;
        CU_ASSERT_EQUAL(rep.n_calib, N_STATES);
        CU_ASSERT_EQUAL(rep.calib_is_default, 0);
        CU_ASSERT(rep.dev > 1e-9 && rep.dev < 1e-4);
        CU_ASSERT(rep.dev_abs <= rep.dev && rep.dev_abs > 0.0);
        work = malloc(rep.work_len * sizeof *work);
        CU_ASSERT_FATAL(work != NULL);
        for (size_t s = 0; s < N_STATES; s++) {
            double d2 = 0.0;
            for (size_t i = 0; i < 5; i++)
                xf[i] = (float)X[s * 5 + i];
            export_c_eval_float(m, &rep, work, xf, uf);
            for (size_t i = 0; i < 3; i++) {
                double d = U[s * 3 + i] - R[s * 3 + i];
                not_exact += (double)uf[i] != U[s * 3 + i];
                d2 += d * d;
            }
            d2 = sqrt(d2);
            worst = fmax(worst, d2);
            over += d2 > rep.dev;
        }
        CU_ASSERT_EQUAL(not_exact, 0);
        CU_ASSERT_EQUAL(over, 0);
        PB_ASSERT_CLOSE(worst, rep.dev, 1e-12, 0.0);
        free(work);
    }
    free(U);
    free(R);
    free(X);
    mlp_free(m);
}

/* Without calibration states a float export draws 10^4 states in the
 * documented box offset +- 1/|scale| (the network input in [-1, 1]). */
static void test_float_default_calibration(void)
{
    mlp *m = net_all_acts();
    double *X = malloc(EXPORT_C_CALIB_N * m->n_in * sizeof *X);
    export_c_options o;
    export_c_report rep;
    FILE *devnull = fopen("/dev/null", "w");
    size_t outside = 0;
    double lo[5], hi[5];

    CU_ASSERT_FATAL(X != NULL && devnull != NULL);
    CU_ASSERT_EQUAL(export_c_default_states(m, EXPORT_C_CALIB_N, X, NULL), PB_SUCCESS);
    for (size_t i = 0; i < 5; i++) {
        lo[i] = INFINITY;
        hi[i] = -INFINITY;
    }
    for (size_t s = 0; s < EXPORT_C_CALIB_N; s++)
        for (size_t i = 0; i < 5; i++) {
            double net_in = (X[s * 5 + i] - m->in_offset[i]) * m->in_scale[i];
            outside += fabs(net_in) > 1.0 + 1e-12;
            lo[i] = fmin(lo[i], net_in);
            hi[i] = fmax(hi[i], net_in);
        }
    CU_ASSERT_EQUAL(outside, 0);
    for (size_t i = 0; i < 5; i++) /* the draw fills the box */
        CU_ASSERT(lo[i] < -0.99 && hi[i] > 0.99);
    export_c_options_init(&o);
    o.real = EXPORT_C_FLOAT;
    CU_ASSERT_EQUAL(export_c_write(m, &o, devnull, NULL, &rep, NULL), PB_SUCCESS);
    CU_ASSERT_EQUAL(rep.n_calib, EXPORT_C_CALIB_N);
    CU_ASSERT_EQUAL(rep.calib_is_default, 1);
    CU_ASSERT(rep.dev > 0.0 && rep.dev < 1e-4);
    /* the same as measuring on the draw directly */
    {
        export_c_report r2;
        CU_ASSERT_EQUAL(export_c_plan(m, &o, &r2, NULL), PB_SUCCESS);
        CU_ASSERT_EQUAL(export_c_measure(m, &r2, EXPORT_C_CALIB_N, X, NULL), PB_SUCCESS);
        CU_ASSERT_EQUAL(r2.dev, rep.dev);
    }
    fclose(devnull);
    free(X);
    mlp_free(m);
}

/* A 50%-sparse 12-64-64-64-3 sigmoid policy exports at least 35% smaller
 * than dense under auto, in both precisions; the report's bytes equal the
 * array sizes in the compiled object (nm), and its MAC count the non-zeros
 * (4576 = half of 768 + 4096 + 4096 + 192). */
static void test_sparse_footprint(void)
{
    static const size_t sizes[] = {12, 64, 64, 64, 3};
    static const mlp_act acts[] = {MLP_ACT_SIGMOID, MLP_ACT_SIGMOID, MLP_ACT_SIGMOID,
                                   MLP_ACT_LINEAR};
    static const char *const tags[2][2] = {{"fp_dbl_auto", "fp_dbl_dense"},
                                           {"fp_flt_auto", "fp_flt_dense"}};
    mlp *m = net_random(4, sizes, acts, 1.0, 21);
    double *X = states_box(m, 2000, 7);
    double *R = eval_ref(m, 2000, X);
    double *U = malloc(2000 * 3 * sizeof *U);

    CU_ASSERT_FATAL(U != NULL);
    for (size_t j = 0; j < 4; j++)
        CU_ASSERT_EQUAL(prune_layer(m, j, 0.5), m->layers[j].n_in * m->layers[j].n_out / 2);
    free(R);
    R = eval_ref(m, 2000, X);
    for (int fl = 0; fl < 2; fl++) {
        export_c_report rep[2];
        for (int dense = 0; dense < 2; dense++) {
            export_c_options o;
            size_t nm_bytes;
            double worst = 0.0;
            export_c_options_init(&o);
            o.name = "sparse";
            o.real = fl ? EXPORT_C_FLOAT : EXPORT_C_DOUBLE;
            o.storage = dense ? EXPORT_C_DENSE : EXPORT_C_AUTO;
            o.n_calib = 2000;
            o.calib = X;
            if (run_export(m, &o, tags[fl][dense], 2000, X, U, &rep[dense]) != 0)
                return;
            nm_bytes = nm_array_bytes(pb_test_path(tags[fl][dense]), "sparse");
            CU_ASSERT_EQUAL(nm_bytes, rep[dense].flash_bytes);
            CU_ASSERT_EQUAL(rep[dense].nnz, 4576);
            CU_ASSERT_EQUAL(rep[dense].macs, dense ? 9152 : 4576);
            CU_ASSERT_EQUAL(rep[dense].macs_dense, 9152);
            for (size_t i = 0; i < 2000 * 3; i += 3) {
                double d = sqrt(pow(U[i] - R[i], 2) + pow(U[i + 1] - R[i + 1], 2) +
                                pow(U[i + 2] - R[i + 2], 2));
                worst = fmax(worst, d);
            }
            CU_ASSERT(worst <= rep[dense].dev);
            CU_ASSERT(rep[dense].dev < (fl ? 1e-4 : 1e-12));
        }
        /* the dense export's bytes are the auto report's dense figure */
        CU_ASSERT_EQUAL(rep[1].flash_bytes, rep[0].flash_bytes_dense);
        CU_ASSERT(rep[0].flash_bytes <= 0.65 * (double)rep[0].flash_bytes_dense);
        for (size_t j = 0; j < 4; j++) {
            CU_ASSERT_EQUAL(rep[0].layers[j].storage, EXPORT_C_CSR);
            CU_ASSERT_EQUAL(rep[0].layers[j].col_bytes, 1); /* n_in <= 256: uint8_t */
        }
        CU_ASSERT_EQUAL(rep[0].layers[1].row_bytes, 2); /* 2048 non-zeros: uint16_t */
        CU_ASSERT_EQUAL(rep[0].layers[3].row_bytes, 1); /* 96 non-zeros: uint8_t */
    }
    free(U);
    free(R);
    free(X);
    mlp_free(m);
}

/* Literals round-trip: a linear layer evaluated on the unit vectors e_k
 * returns its column k exactly (b = 0, the other products are zeros). */
static void test_literals_round_trip(void)
{
    static const double wd[2][8] = {
        {0.1, 1.0 / 3.0, -2.5e-300, 4.9406564584124654e-324, 1e300, -0.0, 1.0, -123456789.125},
        {DBL_MAX / 4, DBL_MIN, 2.0 / 3.0, -1e-17, 3.0, 3.141592653589793, -2.718281828459045,
         1e-5}};
    static const double wf[2][8] = {
        {0.1, 1.0 / 3.0, -2.5e-40, 1.5e-45, 3.0e38, -0.0, 1.0, -123456789.125},
        {FLT_MAX, FLT_MIN, 2.0 / 3.0, -1e-17, 3.0, 3.141592653589793, -2.718281828459045, 1e-5}};
    static const size_t sizes[] = {8, 2};
    double X[64], U[16];

    for (size_t i = 0; i < 64; i++)
        X[i] = i / 8 == i % 8 ? 1.0 : 0.0;
    for (int fl = 0; fl < 2; fl++) {
        mlp *m = mlp_alloc(1, sizes, NULL, NULL);
        export_c_options o;
        export_c_report rep;
        size_t bad = 0;
        CU_ASSERT_FATAL(m != NULL);
        memcpy(m->layers[0].W, fl ? wf : wd, sizeof wd);
        export_c_options_init(&o);
        o.name = "lit";
        o.real = fl ? EXPORT_C_FLOAT : EXPORT_C_DOUBLE;
        o.storage = EXPORT_C_DENSE;
        if (run_export(m, &o, fl ? "lit_flt" : "lit_dbl", 8, X, U, &rep) == 0)
            for (size_t k = 0; k < 8; k++)
                for (size_t i = 0; i < 2; i++) {
                    double w = (fl ? wf : wd)[i][k];
                    double want = fl ? (double)(float)w : w;
                    if (U[k * 2 + i] != want) {
                        bad++;
                        fprintf(stderr, "\n  W[%zu][%zu] = %.17g came back as %.17g\n", i, k, want,
                                U[k * 2 + i]);
                    }
                }
        CU_ASSERT_EQUAL(bad, 0);
        mlp_free(m);
    }
}

/* A layer with no non-zero weight under CSR (only its bias is stored), a
 * single-layer policy, and a .c without header compile and agree. */
static void test_degenerate_layers(void)
{
    static const size_t sizes[] = {3, 4, 2};
    static const mlp_act acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp *m = net_random(2, sizes, acts, 1.0, 31);
    double *X = states_box(m, 50, 8), *R, U[100];
    export_c_options o;
    export_c_report rep;
    char path[1400];
    pb_error err;

    memset(m->layers[0].W, 0, 12 * sizeof(double));
    R = eval_ref(m, 50, X);
    export_c_options_init(&o);
    o.name = "degen";
    o.storage = EXPORT_C_CSR;
    if (run_export(m, &o, "degen", 50, X, U, &rep) == 0) {
        CU_ASSERT_EQUAL(rep.layers[0].nnz, 0);
        CU_ASSERT_EQUAL(rep.layers[0].bytes, 4 * sizeof(double));
        CU_ASSERT_EQUAL(nm_array_bytes(pb_test_path("degen"), "degen"), rep.flash_bytes);
        for (size_t i = 0; i < 100; i++)
            PB_ASSERT_CLOSE(U[i], R[i], 1e-12, 1e-12);
    }
    /* Standalone .c (no header): declares its own macros and prototype. */
    snprintf(path, sizeof path, "%s/alone.c", case_dir("alone"));
    o.name = "alone";
    o.real = EXPORT_C_FLOAT;
    CU_ASSERT_EQUAL(export_c_write_files(m, &o, path, NULL, &rep, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(compile_object(pb_test_path("alone"), "alone"), 0);
    free(R);
    free(X);
    mlp_free(m);
    {
        static const size_t s1[] = {4, 3};
        mlp *one = net_random(1, s1, NULL, 1.0, 32);
        double *X1 = states_box(one, 20, 9), *R1 = eval_ref(one, 20, X1), U1[60];
        o.name = "one";
        o.real = EXPORT_C_DOUBLE;
        o.storage = EXPORT_C_AUTO;
        if (run_export(one, &o, "one", 20, X1, U1, &rep) == 0)
            for (size_t i = 0; i < 60; i++)
                PB_ASSERT_CLOSE(U1[i], R1[i], 1e-12, 1e-12);
        CU_ASSERT_EQUAL(rep.work_len, 4); /* h0 only */
        free(R1);
        free(X1);
        mlp_free(one);
    }
}

/* Index types grow with the layer: uint16_t columns and row pointers for a
 * 300-input layer with 600 non-zeros, uint32_t columns (and unsigned long
 * loop counters) for a 70000-input layer; both compile, agree with mlp_eval
 * and occupy the bytes reported. */
static void test_wide_indices(void)
{
    static const size_t s1[] = {300, 20, 2}, s2[] = {70000, 3};
    static const mlp_act a1[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp *m = net_random(2, s1, a1, 1.0, 41);
    double *X = states_box(m, 20, 10), *R, U[40];
    export_c_options o;
    export_c_report rep;

    prune_layer(m, 0, 0.9);
    R = eval_ref(m, 20, X);
    export_c_options_init(&o);
    o.name = "wide";
    if (run_export(m, &o, "wide", 20, X, U, &rep) == 0) {
        CU_ASSERT_EQUAL(rep.layers[0].storage, EXPORT_C_CSR);
        CU_ASSERT_EQUAL(rep.layers[0].nnz, 600);
        CU_ASSERT_EQUAL(rep.layers[0].col_bytes, 2);
        CU_ASSERT_EQUAL(rep.layers[0].row_bytes, 2);
        CU_ASSERT_EQUAL(nm_array_bytes(pb_test_path("wide"), "wide"), rep.flash_bytes);
        for (size_t i = 0; i < 40; i++)
            PB_ASSERT_CLOSE(U[i], R[i], 1e-12, 1e-12);
    }
    free(R);
    free(X);
    mlp_free(m);

    m = net_random(1, s2, NULL, 1.0, 42);
    prune_layer(m, 0, 0.999);
    X = states_box(m, 4, 11);
    R = eval_ref(m, 4, X);
    o.name = "huge";
    o.real = EXPORT_C_FLOAT;
    o.n_calib = 4;
    o.calib = X;
    if (run_export(m, &o, "huge", 4, X, U, &rep) == 0) {
        CU_ASSERT_EQUAL(rep.layers[0].storage, EXPORT_C_CSR);
        CU_ASSERT_EQUAL(rep.layers[0].col_bytes, 4);
        CU_ASSERT_EQUAL(rep.layers[0].row_bytes, 1);
        CU_ASSERT_EQUAL(nm_array_bytes(pb_test_path("huge"), "huge"), rep.flash_bytes);
        for (size_t s = 0; s < 4; s++) {
            double d2 = 0.0;
            for (size_t i = 0; i < 3; i++)
                d2 += pow(U[s * 3 + i] - R[s * 3 + i], 2);
            CU_ASSERT(sqrt(d2) <= rep.dev);
        }
    }
    free(R);
    free(X);
    mlp_free(m);
}

/* The text is deterministic and depends on nothing but <math.h>, <stdint.h>
 * and its own header; no allocation. */
static void test_text_deterministic(void)
{
    mlp *m = net_all_acts();
    char *buf[2] = {NULL, NULL};
    size_t len[2];
    export_c_options o;

    export_c_options_init(&o);
    o.name = "det";
    o.real = EXPORT_C_FLOAT;
    o.header_include = "det.h";
    for (int k = 0; k < 2; k++) {
        FILE *f = open_memstream(&buf[k], &len[k]);
        CU_ASSERT_FATAL(f != NULL);
        CU_ASSERT_EQUAL(export_c_write(m, &o, f, NULL, NULL, NULL), PB_SUCCESS);
        fclose(f);
    }
    CU_ASSERT_EQUAL(len[0], len[1]);
    CU_ASSERT(len[0] == len[1] && memcmp(buf[0], buf[1], len[0]) == 0);
    for (const char *p = buf[0]; (p = strstr(p, "#include")) != NULL; p++)
        CU_ASSERT(strncmp(p, "#include <math.h>", 17) == 0 ||
                  strncmp(p, "#include <stdint.h>", 19) == 0 ||
                  strncmp(p, "#include \"det.h\"", 16) == 0);
    CU_ASSERT(strstr(buf[0], "alloc") == NULL);
    CU_ASSERT(strstr(buf[0], "tanhf(acc)") != NULL && strstr(buf[0], "expf(-acc)") != NULL);
    CU_ASSERT(strstr(buf[0], "tanh(acc)") == NULL && strstr(buf[0], "exp(-acc)") == NULL);
    free(buf[0]);
    free(buf[1]);
    mlp_free(m);
}

/* Every refusal of the library, with its code and a message; nothing is
 * written on failure. */
static void test_bad_input(void)
{
    static const char *const bad_names[] = {
        "", "9lives", "a-b", "_x", "pol icy", "a_name_that_is_far_too_long_to_prefix_c_symbols_xx"};
    mlp *m = net_all_acts();
    export_c_options o;
    export_c_report rep;
    export_c_storage st;
    pb_error err;
    char path[1400];
    struct stat sb;
    FILE *full;

    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++) {
        pb_error_clear(&err);
        CU_ASSERT_EQUAL(export_c_name_check(bad_names[i], &err), PB_EINVAL);
        CU_ASSERT(err.msg[0] != '\0');
    }
    CU_ASSERT_EQUAL(export_c_name_check("Policy_2", NULL), PB_SUCCESS);
    CU_ASSERT_EQUAL(export_c_storage_parse("sparse", &st, &err), PB_EINVAL);
    CU_ASSERT(strstr(err.msg, "sparse") != NULL);
    CU_ASSERT_EQUAL(export_c_storage_parse("csr", &st, NULL), PB_SUCCESS);
    CU_ASSERT_EQUAL(st, EXPORT_C_CSR);

    /* bad name through the file writer: refused, no file */
    snprintf(path, sizeof path, "%s/bad.c", case_dir("bad"));
    export_c_options_init(&o);
    o.name = "1x";
    CU_ASSERT_EQUAL(export_c_write_files(m, &o, path, NULL, &rep, &err), PB_EINVAL);
    CU_ASSERT(stat(path, &sb) != 0);
    o.name = "ok";
    o.storage = (export_c_storage)7;
    CU_ASSERT_EQUAL(export_c_write_files(m, &o, path, NULL, &rep, &err), PB_EINVAL);
    CU_ASSERT(strstr(err.msg, "storage") != NULL);
    o.storage = EXPORT_C_AUTO;
    o.real = (export_c_real)5;
    CU_ASSERT_EQUAL(export_c_plan(m, &o, &rep, &err), PB_EINVAL);
    o.real = EXPORT_C_DOUBLE;
    /* unwritable path: PB_EIO naming it, no file */
    pb_error_clear(&err);
    CU_ASSERT_EQUAL(export_c_write_files(m, &o, "/nonexistent-dir/p.c", NULL, &rep, &err), PB_EIO);
    CU_ASSERT(strstr(err.msg, "/nonexistent-dir/p.c") != NULL);
    CU_ASSERT_EQUAL(export_c_write_files(m, &o, path, "/nonexistent-dir/p.h", &rep, &err), PB_EIO);
    CU_ASSERT(stat(path, &sb) != 0);
    {
        char tmp[1410];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        CU_ASSERT(stat(tmp, &sb) != 0);
    }
    /* a write error (the device is full) */
    full = fopen("/dev/full", "w");
    if (full) {
        CU_ASSERT_EQUAL(export_c_write(m, &o, full, NULL, &rep, &err), PB_EIO);
        fclose(full);
    }
    CU_ASSERT_EQUAL(export_c_write(m, &o, NULL, NULL, &rep, &err), PB_EINVAL);
    /* a pruning bound must be a finite number >= 0 (NaN: none) */
    o.prune_bound = -1.0;
    CU_ASSERT_EQUAL(export_c_plan(m, &o, &rep, &err), PB_EINVAL);
    CU_ASSERT(strstr(err.msg, "pruning bound") != NULL);
    o.prune_bound = INFINITY;
    CU_ASSERT_EQUAL(export_c_plan(m, &o, &rep, &err), PB_EINVAL);
    o.prune_bound = NAN;
    /* measuring: no states, a non-finite state */
    o.real = EXPORT_C_FLOAT;
    CU_ASSERT_EQUAL(export_c_plan(m, &o, &rep, NULL), PB_SUCCESS);
    CU_ASSERT_EQUAL(export_c_measure(m, &rep, 0, NULL, &err), PB_EINVAL);
    CU_ASSERT_EQUAL(export_c_measure(m, &rep, 1, (const double[5]){0, 0, NAN, 0, 0}, &err),
                    PB_EINVAL);
    CU_ASSERT(strstr(err.msg, "not finite") != NULL);
    /* a float export of a weight beyond FLT_MAX; a non-finite weight */
    m->layers[2].W[3] = 1e39;
    CU_ASSERT_EQUAL(export_c_plan(m, &o, &rep, &err), PB_EUNSUPPORTED);
    CU_ASSERT(strstr(err.msg, "layer 3") != NULL);
    o.real = EXPORT_C_DOUBLE;
    CU_ASSERT_EQUAL(export_c_plan(m, &o, &rep, &err), PB_SUCCESS);
    m->layers[2].W[3] = NAN;
    CU_ASSERT_EQUAL(export_c_plan(m, &o, &rep, &err), PB_EINVAL);
    mlp_free(m);
    /* more layers than the report holds */
    {
        size_t sizes[EXPORT_C_MAX_LAYERS + 2];
        for (size_t j = 0; j < EXPORT_C_MAX_LAYERS + 2; j++)
            sizes[j] = 2;
        m = mlp_alloc(EXPORT_C_MAX_LAYERS + 1, sizes, NULL, NULL);
        CU_ASSERT_FATAL(m != NULL);
        CU_ASSERT_EQUAL(export_c_plan(m, &o, &rep, &err), PB_EUNSUPPORTED);
        mlp_free(m);
    }
}

/* Writes X (n x n_in) as dataset `states` of a new HDF5 file; 0 on success. */
static int write_states(const char *path, size_t n, size_t n_in, const double X[])
{
    hsize_t dims[2] = {n, n_in};
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t sp = H5Screate_simple(2, dims, NULL);
    hid_t d = H5Dcreate2(f, "states", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, X);
    H5Dclose(d);
    H5Sclose(sp);
    H5Fclose(f);
    return f < 0 || d < 0 || st < 0 ? -1 : 0;
}

/* Runs `prunebound export-c ARGS` in dir with stdout and stderr to files;
 * returns the exit code (-1 if it did not exit). */
static int run_cli(const char *dir, const char *args)
{
    char cmd[4096];
    int st;
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s/prunebound' export-c %s > out.txt 2> err.txt", dir,
             PB_BINARY_DIR, args);
    st = system(cmd);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The whole text of dir/name into buf (truncated to len - 1). */
static const char *slurp(const char *dir, const char *name, char *buf, size_t len)
{
    char path[1400];
    FILE *f;
    size_t n = 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (f) {
        n = fread(buf, 1, len - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    return buf;
}

/* The command: its file equals the library's for the same options and
 * calibration states, it prints the footprint and the deviation, and it
 * refuses bad input with exit code 2 and a message. */
static void test_cli(void)
{
    static const struct {
        const char *args, *msg;
    } bad[] = {
        {"pol.h5 -o p.c --name 9x", "not a C identifier"},
        {"pol.h5 -o p.c --name a-b", "not a C identifier"},
        {"pol.h5 -o p.c --storage sparse", "unknown storage 'sparse'"},
        {"pol.h5 -o /nonexistent-dir/p.c", "/nonexistent-dir/p.c"},
        {"pol.h5 -o p.c --header /nonexistent-dir/p.h", "/nonexistent-dir/p.h"},
        {"missing.h5 -o p.c", "missing.h5"},
        {"pol.h5 -o p.c --float --calib wide.h5", "has 6 columns but the policy takes 5"},
        {"pol.h5 -o p.c --float --calib missing.h5", "missing.h5"},
        {"pol.h5 -o p.c --bound -1", "--bound '-1'"},
        {"pol.h5 -o p.c --bound 1e-2x", "--bound '1e-2x'"},
        {"pol.h5 -o p.c --bogus", "unknown argument '--bogus'"},
        {"pol.h5", "expected -o"},
        {"-o p.c", "expected a policy file"},
    };
    char exe[1200], path[1400], want[4096];
    static char a[1 << 20], b[1 << 20];
    const char *dir = case_dir("cli");
    mlp *m = net_all_acts();
    double *X = states_box(m, 300, 12);
    export_c_options o;
    export_c_report rep;
    pb_error err;
    struct stat sb;

    snprintf(exe, sizeof exe, "%s/prunebound", PB_BINARY_DIR);
    if (access(exe, X_OK) != 0) {
        CU_FAIL("prunebound is not built (build the project before running the tests)");
        goto done;
    }
    snprintf(path, sizeof path, "%s/pol.h5", dir);
    CU_ASSERT_FATAL(mlp_write_h5(m, path, &err) == PB_SUCCESS);
    snprintf(path, sizeof path, "%s/calib.h5", dir);
    CU_ASSERT_FATAL(write_states(path, 300, 5, X) == 0);
    snprintf(path, sizeof path, "%s/wide.h5", dir);
    CU_ASSERT_FATAL(write_states(path, 50, 6, X) == 0);

    CU_ASSERT_EQUAL(run_cli(dir, "--help"), 0);
    CU_ASSERT(strstr(slurp(dir, "out.txt", a, sizeof a), "--storage") != NULL);
    CU_ASSERT_EQUAL(run_cli(dir, "pol.h5 -o cli.c --header cli.h --name cli --float "
                                 "--storage auto --calib calib.h5"),
                    0);
    /* the library's text for the same policy, options and states */
    export_c_options_init(&o);
    o.name = "cli";
    o.real = EXPORT_C_FLOAT;
    o.header_include = "cli.h";
    o.n_calib = 300;
    o.calib = X;
    snprintf(path, sizeof path, "%s/lib.c", dir);
    CU_ASSERT_EQUAL(export_c_write_files(m, &o, path, NULL, &rep, &err), PB_SUCCESS);
    CU_ASSERT_STRING_EQUAL(slurp(dir, "cli.c", a, sizeof a), slurp(dir, "lib.c", b, sizeof b));
    CU_ASSERT(strstr(slurp(dir, "cli.h", a, sizeof a), "#define cli_NX 5") != NULL);
    slurp(dir, "out.txt", a, sizeof a);
    snprintf(want, sizeof want, "max ||u_f - u||_2 = %.3e", rep.dev);
    CU_ASSERT(strstr(a, want) != NULL);
    snprintf(want, sizeof want, "flash footprint: %zu bytes of weights and indices",
             rep.bytes_weights + rep.bytes_indices);
    CU_ASSERT(strstr(a, want) != NULL);
    snprintf(want, sizeof want, "multiply-adds per call: %zu (all dense: %zu", rep.macs,
             rep.macs_dense);
    CU_ASSERT(strstr(a, want) != NULL);
    CU_ASSERT(strstr(a, "csr") != NULL && strstr(a, "dense") != NULL);
    /* with a pruning bound: the bound for the exported code adds the deviation */
    CU_ASSERT_EQUAL(run_cli(dir, "pol.h5 -o cli.c --float --calib calib.h5 --bound 0.25"), 0);
    snprintf(want, sizeof want,
             "bound for the exported policy: %.17g (pruning bound) + %.3e <= %.17g", 0.25, rep.dev,
             nextafter(0.25 + rep.dev, INFINITY));
    CU_ASSERT(strstr(slurp(dir, "out.txt", a, sizeof a), want) != NULL);

    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int code = run_cli(dir, bad[i].args);
        CU_ASSERT_EQUAL(code, 2);
        slurp(dir, "err.txt", a, sizeof a);
        if (code != 2 || !strstr(a, bad[i].msg)) {
            CU_FAIL("export-c did not refuse bad input with its message");
            fprintf(stderr, "\n  export-c %s: exit %d, stderr: %s", bad[i].args, code, a);
        }
    }
    snprintf(path, sizeof path, "%s/p.c", dir);
    CU_ASSERT(stat(path, &sb) != 0); /* nothing written by a refused command */
done:
    free(X);
    mlp_free(m);
}

/* What a progress hook saw: the calls in order. */
typedef struct progress_log {
    size_t n, done[16], total[16];
} progress_log;

static void log_progress(void *ctx, size_t done, size_t total)
{
    progress_log *g = ctx;
    if (g->n < 16) {
        g->done[g->n] = done;
        g->total[g->n] = total;
    }
    g->n++;
}

/* The measurement's progress hook: over 1000 states, done = 0, 256, 512, 768
 * (every EXPORT_C_PROGRESS_EVERY = 256) and then 1000 of 1000; the same
 * deviation and text as without a hook. */
static void test_progress_hook(void)
{
    static const size_t sizes[] = {3, 8, 2};
    static const mlp_act acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    static const size_t want[] = {0, 256, 512, 768, 1000};
    mlp *m = net_random(2, sizes, acts, 1.0, 41);
    double *X = states_box(m, 1000, 42);
    export_c_options o;
    export_c_report r0, r1;
    progress_log g = {0};
    char *t0 = NULL, *t1 = NULL;
    size_t l0 = 0, l1 = 0;
    FILE *f0 = open_memstream(&t0, &l0), *f1 = open_memstream(&t1, &l1);
    pb_error err;

    CU_ASSERT_FATAL(f0 != NULL && f1 != NULL);
    export_c_options_init(&o);
    CU_ASSERT_PTR_NULL(o.progress); /* silent by default */
    o.real = EXPORT_C_FLOAT;
    o.n_calib = 1000;
    o.calib = X;
    CU_ASSERT_EQUAL(export_c_write(m, &o, f0, NULL, &r0, &err), PB_SUCCESS);
    o.progress = log_progress;
    o.progress_ctx = &g;
    CU_ASSERT_EQUAL(export_c_write(m, &o, f1, NULL, &r1, &err), PB_SUCCESS);
    fclose(f0);
    fclose(f1);
    CU_ASSERT_EQUAL_FATAL(g.n, 5);
    for (size_t i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(g.done[i], want[i]);
        CU_ASSERT_EQUAL(g.total[i], 1000);
    }
    CU_ASSERT_EQUAL(r0.dev, r1.dev);
    CU_ASSERT_EQUAL(r0.dev_abs, r1.dev_abs);
    CU_ASSERT(l0 == l1 && memcmp(t0, t1, l0) == 0);
    free(t0);
    free(t1);
    free(X);
    mlp_free(m);
}

const pb_test_suite pb_test_suites[] = {
    {"export_c",
     (const pb_test_case[]){{"double export agrees with mlp_eval", test_double_matches_mlp_eval},
                            {"activation regimes exercised", test_activations_exercised},
                            {"float export within its deviation", test_float_within_deviation},
                            {"float default calibration", test_float_default_calibration},
                            {"sparse footprint", test_sparse_footprint},
                            {"literals round-trip", test_literals_round_trip},
                            {"degenerate layers", test_degenerate_layers},
                            {"wide index types", test_wide_indices},
                            {"text deterministic", test_text_deterministic},
                            {"bad input", test_bad_input},
                            {"export-c command", test_cli},
                            {"progress hook", test_progress_hook},
                            {NULL, NULL}}},
    {NULL, NULL}};
