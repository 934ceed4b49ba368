/* bench_export.c: footprint and latency of exported policies (docs/EXPORT.md,
 * "Footprint and latency"), for a 12-64-64-64-3 network with sigmoid hidden
 * layers and a linear output layer, magnitude-pruned per layer to 0, 50, 75
 * and 90% sparsity, exported in double and float, dense and CSR.
 *   generated   NAME_eval compiled by the system compiler (`cc -O2 -std=c99`,
 *               host CPU, no -march), best of 3 runs of 100000 calls, in
 *               process CPU time (so that other load on the machine counts less)
 *   in-process  mlp_eval (OpenBLAS dgemv per layer) for the same network
 * Prints flash bytes, multiply-adds per call and ns per call.  Run by hand:
 * bench_export [CC] (default cc). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "export_c.h"
#include "mlp.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_abs(const void *a, const void *b)
{
    double x = fabs(*(const double *)a), y = fabs(*(const double *)b);
    return (x > y) - (x < y);
}

/* Zeroes the fraction p of each layer's weights of smallest magnitude. */
static void prune(mlp *m, double p, double *scratch)
{
    for (size_t j = 0; j < m->n_layers; j++) {
        mlp_layer *l = &m->layers[j];
        size_t n = l->n_in * l->n_out, k = (size_t)(p * (double)n);
        double thr;
        if (k == 0)
            continue;
        memcpy(scratch, l->W, n * sizeof *scratch);
        qsort(scratch, n, sizeof *scratch, cmp_abs);
        thr = fabs(scratch[k - 1]);
        for (size_t i = 0; i < n; i++)
            if (fabs(l->W[i]) <= thr)
                l->W[i] = 0.0;
    }
}

static const char driver[] =
    "#define _POSIX_C_SOURCE 200809L\n"
    "#include <stdio.h>\n#include <time.h>\n#include \"b.h\"\n"
    "static double now(void)\n{\n    struct timespec t;\n"
    "    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);\n"
    "    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;\n}\n"
    "int main(void)\n{\n    static REAL X[1000][b_NX];\n    REAL u[b_NU];\n"
    "    double sink = 0.0, best = 1e30;\n    unsigned s = 1;\n    int i, j, r;\n    long k;\n"
    "    for (i = 0; i < 1000; i++)\n        for (j = 0; j < b_NX; j++) {\n"
    "            s = s * 1103515245u + 12345u;\n"
    "            X[i][j] = (REAL)((double)(s >> 8) / 8388608.0 - 1.0);\n        }\n"
    "    for (r = 0; r < 3; r++) {\n        double t0 = now(), t;\n"
    "        for (k = 0; k < 100000; k++) {\n            b_eval(X[k % 1000], u);\n"
    "            sink += (double)u[0];\n        }\n"
    "        t = (now() - t0) / 100000.0;\n        if (t < best)\n            best = t;\n"
    "    }\n    printf(\"%.1f %g\\n\", best * 1e9, sink);\n    return 0;\n}\n";

/* ns per call of the generated code, or NaN on failure. */
static double time_generated(const mlp *m, export_c_real real, export_c_storage st,
                             const char *dir, const char *cc, export_c_report *rep)
{
    char c_path[512], h_path[512], cmd[2048], line[256];
    export_c_options o;
    pb_error err;
    FILE *f;
    double ns = NAN;

    export_c_options_init(&o);
    o.name = "b";
    o.real = real;
    o.storage = st;
    o.n_calib = 0;
    snprintf(c_path, sizeof c_path, "%s/b.c", dir);
    snprintf(h_path, sizeof h_path, "%s/b.h", dir);
    if (export_c_write_files(m, &o, c_path, h_path, rep, &err) != PB_SUCCESS) {
        fprintf(stderr, "export: %s\n", err.msg);
        return NAN;
    }
    snprintf(cmd, sizeof cmd,
             "cd '%s' && %s -O2 -std=c99 -DREAL=%s driver.c b.c -o drv -lm && ./drv", dir, cc,
             real == EXPORT_C_FLOAT ? "float" : "double");
    f = popen(cmd, "r");
    if (!f)
        return NAN;
    if (fgets(line, sizeof line, f))
        ns = strtod(line, NULL);
    if (pclose(f) != 0)
        ns = NAN;
    return ns;
}

int main(int argc, char **argv)
{
    enum { L = 4, N = 100000 };
    static const double sparsities[] = {0.0, 0.5, 0.75, 0.9};
    size_t sizes[L + 1] = {12, 64, 64, 64, 3};
    mlp_act acts[L] = {MLP_ACT_SIGMOID, MLP_ACT_SIGMOID, MLP_ACT_SIGMOID, MLP_ACT_LINEAR};
    const char *cc = argc > 1 ? argv[1] : "cc";
    char dir[] = "/tmp/pb-bench-export-XXXXXX", path[600];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double scratch[64 * 64], X[1000 * 12], u[3], sink = 0.0;
    pb_error err;
    FILE *f;

    gsl_set_error_handler_off();
    if (!r || !mkdtemp(dir))
        return fprintf(stderr, "cannot set up\n"), 1;
    snprintf(path, sizeof path, "%s/driver.c", dir);
    f = fopen(path, "w");
    if (!f)
        return fprintf(stderr, "cannot write %s\n", path), 1;
    fputs(driver, f);
    fclose(f);
    for (size_t i = 0; i < 1000 * 12; i++)
        X[i] = 2.0 * gsl_rng_uniform(r) - 1.0;

    printf("12-64-64-64-3 sigmoid policy; generated code: %s -O2 -std=c99; best of 3 x %d calls\n",
           cc, N);
    printf("sparsity  T       storage  flash B  MACs  ns/call (generated)  ns/call (mlp_eval)\n");
    for (size_t s = 0; s < sizeof sparsities / sizeof *sparsities; s++) {
        mlp *m = mlp_alloc(L, sizes, acts, &err);
        mlp_work *w;
        double t_lib = INFINITY;
        if (!m)
            return fprintf(stderr, "%s\n", err.msg), 1;
        gsl_rng_set(r, 7);
        for (size_t j = 0; j < L; j++) {
            mlp_layer *l = &m->layers[j];
            for (size_t i = 0; i < l->n_in * l->n_out; i++)
                l->W[i] = gsl_ran_gaussian(r, 1.0 / sqrt((double)l->n_in));
            for (size_t i = 0; i < l->n_out; i++)
                l->b[i] = 0.1 * gsl_ran_gaussian(r, 1.0);
        }
        prune(m, sparsities[s], scratch);
        w = mlp_work_alloc(m, 1, &err);
        if (!w)
            return fprintf(stderr, "%s\n", err.msg), 1;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = now();
            for (long k = 0; k < N; k++) {
                mlp_eval(m, w, X + (k % 1000) * 12, u);
                sink += u[0];
            }
            t_lib = fmin(t_lib, (now() - t0) / N);
        }
        for (int fl = 0; fl < 2; fl++)
            for (int st = 0; st < 2; st++) {
                export_c_report rep;
                export_c_storage storage = st ? EXPORT_C_CSR : EXPORT_C_DENSE;
                export_c_real real = fl ? EXPORT_C_FLOAT : EXPORT_C_DOUBLE;
                double ns = time_generated(m, real, storage, dir, cc, &rep);
                printf("%6.0f%%   %-6s  %-7s  %7zu  %4zu  %19.1f  %18.1f\n",
                       100.0 * sparsities[s], fl ? "float" : "double",
                       export_c_storage_name(storage), rep.flash_bytes, rep.macs, ns,
                       t_lib * 1e9);
            }
        mlp_work_free(w);
        mlp_free(m);
    }
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (system(path) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    fprintf(stderr, "(checksum %g)\n", sink);
    gsl_rng_free(r);
    return 0;
}
