/* test_controller.c: the MLP (controller/mlp.h), policy files
 * (controller/mlp_io.h) and the importers (controller/import/import_type.h).
 * Oracles: forward passes computed by hand in the test; difference
 * quotients for the activations' Lipschitz constants; the FIPS 180-4
 * example vectors and Python's hashlib for SHA-256; an independent NumPy
 * evaluation of every ARCH-COMP controller and of small fixtures in their
 * original format (tests/data/policies/oracle.py, ONNX weights through
 * onnx.numpy_helper); the h5py export snippet of docs/POLICY.md. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
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

#include "import_type.h"
#include "mlp.h"
#include "mlp_io.h"
#include "pb_test.h"

/* ---- helpers ---------------------------------------------------------- */

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A whole file as a NUL-terminated string (caller frees), or NULL. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *s;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = '\0';
    fclose(f);
    return s;
}

/* stderr redirected to a file while a call runs, to check that HDF5 prints
 * nothing of its own. */
static int stderr_begin(void)
{
    int saved, fd;
    fflush(stderr);
    saved = dup(2);
    fd = open(pb_test_path("stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    return saved;
}

/* Restores stderr; returns how many bytes were printed meanwhile. */
static long stderr_end(int saved)
{
    struct stat st;
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    return stat(pb_test_path("stderr.txt"), &st) == 0 ? (long)st.st_size : -1;
}

static void fill_uniform(gsl_rng *r, size_t n, double a[], double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        a[i] = lo + (hi - lo) * gsl_rng_uniform(r);
}

/* A random network (sizes[0..n_layers]), weights uniform in [-1, 1]. */
static mlp *net_random(gsl_rng *r, size_t n_layers, const size_t sizes[], const mlp_act acts[])
{
    mlp *m = mlp_alloc(n_layers, sizes, acts, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    for (size_t j = 0; j < n_layers; j++) {
        fill_uniform(r, m->layers[j].n_in * m->layers[j].n_out, m->layers[j].W, -1.0, 1.0);
        fill_uniform(r, m->layers[j].n_out, m->layers[j].b, -0.5, 0.5);
    }
    return m;
}

/* ---- forward pass ----------------------------------------------------- */

/* The two-layer network of the hand computation:
 *   W1 = [1 -2; 0.5 1; -1 0.25], b1 = [0.1 -0.2 0.3], W2 = [1 2 -1], b2 = 0.5
 * At x = (0.3, -0.7):  z1 = (0.3 + 1.4 + 0.1, 0.15 - 0.7 - 0.2, -0.3 - 0.175 + 0.3)
 *                         = (1.8, -0.75, -0.175),
 * y = s(1.8) + 2 s(-0.75) - s(-0.175) + 0.5 for the hidden activation s. */
static mlp *net_hand(mlp_act hidden, double alpha)
{
    static const double W1[] = {1, -2, 0.5, 1, -1, 0.25}, b1[] = {0.1, -0.2, 0.3};
    static const double W2[] = {1, 2, -1}, b2[] = {0.5};
    size_t sizes[] = {2, 3, 1};
    mlp_act acts[] = {hidden, MLP_ACT_LINEAR};
    mlp *m = mlp_alloc(2, sizes, acts, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    memcpy(m->layers[0].W, W1, sizeof W1);
    memcpy(m->layers[0].b, b1, sizeof b1);
    memcpy(m->layers[1].W, W2, sizeof W2);
    memcpy(m->layers[1].b, b2, sizeof b2);
    m->layers[0].alpha = alpha;
    return m;
}

static void test_forward_hand(void)
{
    const double x[] = {0.3, -0.7};
    const double s = 1.0 / (1.0 + exp(-1.8)), s1 = 1.0 / (1.0 + exp(0.75)),
                 s2 = 1.0 / (1.0 + exp(0.175));
    struct {
        mlp_act act;
        double alpha, want;
    } cases[] = {
        {MLP_ACT_LINEAR, 0, 1.8 - 1.5 + 0.175 + 0.5},         /* 0.975 */
        {MLP_ACT_RELU, 0, 1.8 + 0.5},                         /* 2.3 */
        {MLP_ACT_LEAKY_RELU, 0.1, 1.8 - 0.15 + 0.0175 + 0.5}, /* 2.1675 */
        {MLP_ACT_TANH, 0, tanh(1.8) + 2 * tanh(-0.75) - tanh(-0.175) + 0.5},
        {MLP_ACT_SIGMOID, 0, s + 2 * s1 - s2 + 0.5},
        {MLP_ACT_HARDTANH, 0, 1.0 - 1.5 + 0.175 + 0.5}, /* 0.175 */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        mlp *m = net_hand(cases[c].act, cases[c].alpha);
        mlp_work *w = mlp_work_alloc(m, 1, NULL);
        double u, y;
        const double *h1;
        CU_ASSERT_PTR_NOT_NULL_FATAL(w);
        CU_ASSERT_EQUAL(mlp_validate(m, NULL), PB_SUCCESS);
        mlp_eval(m, w, x, &u);
        PB_ASSERT_CLOSE(u, cases[c].want, 1e-15, 1e-15);
        mlp_eval_net(m, w, x, &y);
        PB_ASSERT_CLOSE(y, cases[c].want, 1e-15, 1e-15);
        /* The hidden pre-activations of the hand computation, through h_1. */
        h1 = mlp_work_hidden(w, 1);
        if (cases[c].act == MLP_ACT_LINEAR) {
            PB_ASSERT_CLOSE(h1[0], 1.8, 1e-15, 0);
            PB_ASSERT_CLOSE(h1[1], -0.75, 1e-15, 0);
            PB_ASSERT_CLOSE(h1[2], -0.175, 1e-15, 1e-16);
        }
        mlp_work_free(w);
        mlp_free(m);
    }
}

/* Input map s = (x - o) * k and output map clip((y - o) * k, lo, hi). */
static void test_forward_maps(void)
{
    mlp *m = net_hand(MLP_ACT_RELU, 0);
    mlp_work *w = mlp_work_alloc(m, 1, NULL);
    /* x chosen so that s = (0.3, -0.7): x = s / k + o. */
    const double x[] = {0.3 / 2.0 + 1.0, -0.7 / 0.5 - 3.0};
    double u;

    CU_ASSERT_EQUAL_FATAL(mlp_add_input_map(m, NULL), PB_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(mlp_add_output_map(m, NULL), PB_SUCCESS);
    m->in_offset[0] = 1.0, m->in_scale[0] = 2.0;
    m->in_offset[1] = -3.0, m->in_scale[1] = 0.5;
    m->out_offset[0] = 0.3, m->out_scale[0] = -2.0;
    mlp_eval(m, w, x, &u);
    PB_ASSERT_CLOSE(u, (2.3 - 0.3) * -2.0, 1e-14, 0);
    CU_ASSERT_EQUAL(mlp_output_gain(m), 2.0);
    m->out_low[0] = -1.5; /* clipping */
    mlp_eval(m, w, x, &u);
    CU_ASSERT_EQUAL(u, -1.5);
    m->out_low[0] = -10, m->out_high[0] = -5;
    mlp_eval(m, w, x, &u);
    CU_ASSERT_EQUAL(u, -5.0);
    mlp_work_free(w);
    mlp_free(m);
}

/* Every forward pass of a state gives the same bits: mlp_eval, mlp_eval_batch
 * at every row position of batches of 1 to 70 rows, and mlp_eval_soa at every
 * lane of batches of 1 to 70 lanes of any stride (the kernel's vector tiles
 * and its scalar tail alike), for widths 1 to 300, every activation and both
 * maps; and each output equals the fused multiply-add chain of the kernel's
 * contract, written out here layer by layer (fma() from libm). */
static void test_forward_batch(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    long mismatch = 0, chain_mismatch = 0, checked = 0;

    for (int t = 0; t < 40; t++) {
        size_t L = 1 + gsl_rng_uniform_int(r, 4), sizes[6];
        mlp_act acts[5];
        mlp *m;
        size_t nb = 1 + gsl_rng_uniform_int(r, 70), ldx = nb + gsl_rng_uniform_int(r, 5);
        mlp_work *w, *w1;
        double *X, *Xs, *U, *Us, u[300];
        for (size_t j = 0; j <= L; j++)
            sizes[j] = t % 5 == 0 ? 150 + gsl_rng_uniform_int(r, 150) : 1 + gsl_rng_uniform_int(r, 40);
        for (size_t j = 0; j < L; j++)
            acts[j] = (mlp_act)gsl_rng_uniform_int(r, MLP_ACT_COUNT);
        m = net_random(r, L, sizes, acts);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        for (size_t j = 0; j < L; j++)
            m->layers[j].alpha = 0.2;
        if (t % 2) {
            CU_ASSERT_EQUAL_FATAL(mlp_add_input_map(m, NULL), PB_SUCCESS);
            CU_ASSERT_EQUAL_FATAL(mlp_add_output_map(m, NULL), PB_SUCCESS);
            fill_uniform(r, m->n_in, m->in_offset, -1, 1);
            fill_uniform(r, m->n_in, m->in_scale, 0.5, 2);
            fill_uniform(r, m->n_out, m->out_scale, -3, 3);
            m->out_high[0] = 0.5;
        }
        w = mlp_work_alloc(m, nb, NULL);
        w1 = mlp_work_alloc(m, 1, NULL);
        X = malloc(nb * m->n_in * sizeof *X);
        Xs = malloc(ldx * m->n_in * sizeof *Xs);
        U = malloc(nb * m->n_out * sizeof *U);
        Us = malloc(ldx * m->n_out * sizeof *Us);
        CU_ASSERT_FATAL(w && w1 && X && Xs && U && Us);
        fill_uniform(r, nb * m->n_in, X, -3, 3);
        for (size_t l = 0; l < nb; l++)
            for (size_t i = 0; i < m->n_in; i++)
                Xs[i * ldx + l] = X[l * m->n_in + i];
        mlp_eval_batch(m, w, nb, X, U);
        mlp_eval_soa(m, w, nb, Xs, ldx, Us, ldx);
        for (size_t l = 0; l < nb; l++) {
            double h[2][300];
            mlp_eval(m, w1, X + l * m->n_in, u);
            for (size_t k = 0; k < m->n_out; k++)
                mismatch += memcmp(&u[k], &U[l * m->n_out + k], sizeof u[k]) != 0 ||
                            memcmp(&u[k], &Us[k * ldx + l], sizeof u[k]) != 0;
            /* the chain of the kernel's contract */
            for (size_t i = 0; i < m->n_in; i++)
                h[0][i] = m->in_scale ? (X[l * m->n_in + i] - m->in_offset[i]) * m->in_scale[i]
                                      : X[l * m->n_in + i];
            for (size_t j = 0; j < L; j++) {
                const mlp_layer *ly = &m->layers[j];
                for (size_t q = 0; q < ly->n_out; q++) {
                    double z = ly->b[q];
                    for (size_t c = 0; c < ly->n_in; c++)
                        z = fma(ly->W[q * ly->n_in + c], h[j % 2][c], z);
                    h[(j + 1) % 2][q] = z;
                }
                mlp_act_apply(ly->act, ly->alpha, ly->n_out, h[(j + 1) % 2]);
            }
            mlp_output_map(m, h[L % 2]);
            for (size_t k = 0; k < m->n_out; k++)
                chain_mismatch += memcmp(&u[k], &h[L % 2][k], sizeof u[k]) != 0;
            checked++;
        }
        mlp_work_free(w);
        mlp_work_free(w1);
        free(X), free(Xs), free(U), free(Us);
        mlp_free(m);
    }
    CU_ASSERT(checked > 500);
    CU_ASSERT_EQUAL(mismatch, 0);
    CU_ASSERT_EQUAL(chain_mismatch, 0);
    gsl_rng_free(r);
}

/* Sampled difference quotients |s(a) - s(b)| / |a - b| never exceed the
 * declared constant and come within 0.1% of it (so it is not loose). */
static void test_act_lipschitz(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int a = 0; a < MLP_ACT_COUNT; a++) {
        double alpha = a == MLP_ACT_LEAKY_RELU ? 0.3 : 0.01;
        double L = mlp_act_lipschitz((mlp_act)a, alpha), qmax = 0.0;
        size_t sizes[] = {1, 1};
        mlp_act act = (mlp_act)a;
        mlp *m = mlp_alloc(1, sizes, &act, NULL);
        mlp_work *w = mlp_work_alloc(m, 1, NULL);
        CU_ASSERT_FATAL(m && w);
        m->layers[0].W[0] = 1.0;
        m->layers[0].alpha = alpha;
        for (int i = 0; i < 20000; i++) {
            /* Pairs at all scales, half of them close together. */
            double x0 = 8.0 * (gsl_rng_uniform(r) - 0.5);
            double x1 = x0 + (i % 2 ? 1e-4 * (1.0 + gsl_rng_uniform(r))
                                    : 4.0 * (gsl_rng_uniform(r) + 1e-3));
            double y0, y1, q;
            mlp_eval_net(m, w, &x0, &y0);
            mlp_eval_net(m, w, &x1, &y1);
            q = fabs(y1 - y0) / (x1 - x0); /* x1 - x0 is exact here */
            CU_ASSERT(q <= L * (1 + 1e-9));
            qmax = fmax(qmax, q);
        }
        CU_ASSERT(qmax >= 0.999 * L);
        {
            double z = 0.0, y;
            mlp_eval_net(m, w, &z, &y);
            CU_ASSERT_EQUAL(y, mlp_act_at_zero(act, alpha));
        }
        mlp_work_free(w);
        mlp_free(m);
    }
    gsl_rng_free(r);
}

static void test_act_names(void)
{
    mlp_act a;
    for (int i = 0; i < MLP_ACT_COUNT; i++) {
        CU_ASSERT_EQUAL(mlp_act_parse(mlp_act_name((mlp_act)i), &a), PB_SUCCESS);
        CU_ASSERT_EQUAL(a, (mlp_act)i);
    }
    CU_ASSERT_EQUAL(mlp_act_parse("swish", &a), PB_EINVAL);
    CU_ASSERT_PTR_NULL(mlp_act_name(MLP_ACT_COUNT));
}

static void test_layer_pruned(void)
{
    size_t sizes[] = {2, 2};
    mlp *m = mlp_alloc(1, sizes, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    m->layers[0].W[0] = 1.0; /* three zeros, no mask */
    CU_ASSERT_EQUAL(mlp_layer_n_pruned(&m->layers[0]), 3);
    m->layers[0].mask = calloc(4, 1);
    m->layers[0].mask[0] = m->layers[0].mask[1] = 1;
    CU_ASSERT_EQUAL(mlp_layer_n_pruned(&m->layers[0]), 2); /* the mask counts */
    CU_ASSERT_EQUAL(mlp_n_pruned(m), 2);
    mlp_free(m);
}

/* ---- policy files ----------------------------------------------------- */

/* A network with every field of the layout set, special values included. */
static mlp *net_full(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t sizes[] = {3, 5, 4, 2};
    mlp_act acts[] = {MLP_ACT_LEAKY_RELU, MLP_ACT_SIGMOID, MLP_ACT_HARDTANH};
    mlp *m = net_random(r, 3, sizes, acts);

    m->layers[0].alpha = 0.3;
    m->layers[0].W[0] = -0.0;
    m->layers[0].W[1] = 1e-310; /* subnormal */
    m->layers[0].W[2] = DBL_MAX;
    m->layers[1].mask = malloc(4 * 5);
    for (size_t i = 0; i < 20; i++) {
        m->layers[1].mask[i] = i % 3 != 0;
        if (!m->layers[1].mask[i])
            m->layers[1].W[i] = 0.0;
    }
    m->layers[1].dW_norm = 0.1234567890123;
    m->layers[1].recon_err = 4.5e-7;
    m->layers[2].recon_err = 1.0 / 3.0; /* dW_norm stays NaN */
    CU_ASSERT_EQUAL(mlp_add_input_map(m, NULL), PB_SUCCESS);
    CU_ASSERT_EQUAL(mlp_add_output_map(m, NULL), PB_SUCCESS);
    fill_uniform(r, 3, m->in_offset, -1, 1);
    fill_uniform(r, 3, m->in_scale, 0.1, 3);
    fill_uniform(r, 2, m->out_offset, -1, 1);
    fill_uniform(r, 2, m->out_scale, -5, 5);
    m->out_low[0] = -2.5; /* out_high[0] stays +inf, out_low[1] -inf */
    m->out_high[1] = 7.0;
    strcpy(m->prov.method, "sparsegpt");
    m->prov.sparsity = 0.4;
    strcpy(m->prov.pattern, "2:4");
    strcpy(m->prov.parent_sha256,
           "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    gsl_rng_free(r);
    return m;
}

static int same_bits(const void *a, const void *b, size_t bytes)
{
    if (!a || !b)
        return a == b;
    return memcmp(a, b, bytes) == 0;
}

static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static void assert_same_mlp(const mlp *a, const mlp *b)
{
    CU_ASSERT_EQUAL_FATAL(a->n_layers, b->n_layers);
    CU_ASSERT_EQUAL(a->n_in, b->n_in);
    CU_ASSERT_EQUAL(a->n_out, b->n_out);
    CU_ASSERT_EQUAL(a->max_width, b->max_width);
    for (size_t j = 0; j < a->n_layers; j++) {
        const mlp_layer *x = &a->layers[j], *y = &b->layers[j];
        size_t n = x->n_in * x->n_out;
        CU_ASSERT_EQUAL_FATAL(x->n_in, y->n_in);
        CU_ASSERT_EQUAL_FATAL(x->n_out, y->n_out);
        CU_ASSERT(same_bits(x->W, y->W, n * sizeof(double)));
        CU_ASSERT(same_bits(x->b, y->b, x->n_out * sizeof(double)));
        CU_ASSERT(same_bits(x->mask, y->mask, n));
        CU_ASSERT_EQUAL(x->act, y->act);
        if (x->act == MLP_ACT_LEAKY_RELU)
            CU_ASSERT(same_double(x->alpha, y->alpha));
        CU_ASSERT(same_double(x->dW_norm, y->dW_norm));
        CU_ASSERT(same_double(x->recon_err, y->recon_err));
    }
    CU_ASSERT(same_bits(a->in_offset, b->in_offset, a->n_in * sizeof(double)));
    CU_ASSERT(same_bits(a->in_scale, b->in_scale, a->n_in * sizeof(double)));
    CU_ASSERT(same_bits(a->out_offset, b->out_offset, a->n_out * sizeof(double)));
    CU_ASSERT(same_bits(a->out_scale, b->out_scale, a->n_out * sizeof(double)));
    CU_ASSERT(same_bits(a->out_low, b->out_low, a->n_out * sizeof(double)));
    CU_ASSERT(same_bits(a->out_high, b->out_high, a->n_out * sizeof(double)));
    CU_ASSERT_STRING_EQUAL(a->prov.method, b->prov.method);
    CU_ASSERT(same_double(a->prov.sparsity, b->prov.sparsity));
    CU_ASSERT_STRING_EQUAL(a->prov.pattern, b->prov.pattern);
    CU_ASSERT_STRING_EQUAL(a->prov.parent_sha256, b->prov.parent_sha256);
}

static void test_h5_roundtrip(void)
{
    mlp *m = net_full(), *back = NULL, *plain, *back2 = NULL;
    const char *path = pb_test_path("full.h5");
    char tmp[1400];
    pb_error err;
    size_t sizes[] = {2, 3, 1};

    CU_ASSERT_EQUAL_FATAL(mlp_validate(m, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(mlp_write_h5(m, path, &err), PB_SUCCESS);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CU_ASSERT(!file_exists(tmp));
    CU_ASSERT_EQUAL_FATAL(mlp_read_h5(path, &back, &err), PB_SUCCESS);
    assert_same_mlp(m, back);
    /* Writing over an existing file works too, and the copy survives. */
    CU_ASSERT_EQUAL(mlp_write_h5(back, path, &err), PB_SUCCESS);
    mlp_free(back);
    CU_ASSERT_EQUAL_FATAL(mlp_read_h5(path, &back, &err), PB_SUCCESS);
    assert_same_mlp(m, back);
    mlp_free(back);

    /* A network without maps, masks or provenance stays without them. */
    plain = mlp_alloc(2, sizes, NULL, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(plain);
    plain->layers[0].W[1] = 2.5;
    CU_ASSERT_EQUAL(mlp_write_h5(plain, pb_test_path("plain.h5"), &err), PB_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(mlp_read_h5(pb_test_path("plain.h5"), &back2, &err), PB_SUCCESS);
    assert_same_mlp(plain, back2);
    CU_ASSERT_PTR_NULL(back2->in_offset);
    CU_ASSERT_PTR_NULL(back2->out_scale);
    CU_ASSERT_PTR_NULL(back2->layers[0].mask);
    mlp_free(back2);
    mlp_free(plain);
    mlp_free(m);
}

/* The same policy gives the same file bytes, whenever it is written (no
 * object timestamps): results stay bit-identical across runs. */
static void test_h5_deterministic(void)
{
    mlp *m = net_full();
    char *a, *b;
    struct stat sa, sb;

    CU_ASSERT_EQUAL_FATAL(mlp_write_h5(m, pb_test_path("det1.h5"), NULL), PB_SUCCESS);
    sleep(1); /* a timestamp would now differ */
    CU_ASSERT_EQUAL_FATAL(mlp_write_h5(m, pb_test_path("det2.h5"), NULL), PB_SUCCESS);
    a = slurp(pb_test_path("det1.h5"));
    b = slurp(pb_test_path("det2.h5"));
    CU_ASSERT_FATAL(a && b);
    stat(pb_test_path("det1.h5"), &sa);
    stat(pb_test_path("det2.h5"), &sb);
    CU_ASSERT_EQUAL_FATAL(sa.st_size, sb.st_size);
    CU_ASSERT(memcmp(a, b, (size_t)sa.st_size) == 0);
    free(a);
    free(b);
    mlp_free(m);
}

/* Writing: an invalid network or an unwritable place leaves no file. */
static void test_h5_write_errors(void)
{
    mlp *m = net_full();
    pb_error err;
    const char *path = pb_test_path("never.h5");
    char tmp[1400];
    int saved;
    long printed;

    m->layers[2].b[1] = NAN;
    CU_ASSERT_EQUAL(mlp_write_h5(m, path, &err), PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "never.h5"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "b[1]"));
    CU_ASSERT(!file_exists(path));
    m->layers[2].b[1] = 0.0;
    saved = stderr_begin();
    CU_ASSERT_EQUAL(mlp_write_h5(m, "/nonexistent-dir/x/policy.h5", &err), PB_EIO);
    printed = stderr_end(saved);
    CU_ASSERT_EQUAL(printed, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/nonexistent-dir/x/policy.h5"));
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CU_ASSERT(!file_exists(tmp));
    mlp_free(m);
}

/* Each malformed file: a fresh valid file, then one change through the
 * HDF5 API. */
typedef enum bad_kind {
    BAD_FORMAT_VALUE,
    BAD_FORMAT_MISSING,
    BAD_VERSION,
    BAD_NO_LAYERS,
    BAD_W_MISSING,
    BAD_B_MISSING,
    BAD_B_SHAPE,
    BAD_CHAIN,
    BAD_ACTIVATION,
    BAD_W_NAN,
    BAD_B_INF,
    BAD_MASK_VALUE,
    BAD_MASK_SHAPE,
    BAD_W_INTEGER,
    BAD_LAYER_GAP,
    BAD_ALPHA_MISSING,
    BAD_LIMITS,
    BAD_LONG_METHOD,
    BAD_MAP_SHAPE,
    BAD_COUNT
} bad_kind;

static const struct {
    const char *name;
    const char *expect; /* a piece of the message */
} bad_cases[BAD_COUNT] = {
    {"format_value", "format is 'other-thing'"},
    {"format_missing", "attribute 'format' is missing"},
    {"version", "format_version 2"},
    {"no_layers", "group /layers is missing"},
    {"W_missing", "layer 2: dataset 'W' is missing"},
    {"b_missing", "layer 1: dataset 'b' is missing"},
    {"b_shape", "layer 3: dataset 'b' has the wrong shape"},
    {"chain", "layer chain mismatch: layer 3 takes 5 inputs"},
    {"activation", "unknown activation 'swish'"},
    {"W_nan", "layer 2: W[1][2] is not finite"},
    {"b_inf", "layer 1: b[4] is not finite"},
    {"mask_value", "mask[0][1] is 2"},
    {"mask_shape", "dataset 'mask' has the wrong shape"},
    {"W_integer", "dataset 'W' is not of a floating-point type"},
    {"layer_gap", "group /layers/3 is missing"},
    {"alpha_missing", "attribute 'alpha' is missing"},
    {"limits", "output limits of output 1"},
    {"long_method", "attribute 'method' is longer than 31"},
    {"map_shape", "/input: dataset 'scale' has the wrong shape"},
};

static void put_string_attr(hid_t loc, const char *name, const char *s)
{
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a;
    H5Tset_size(t, strlen(s) + 1);
    if (H5Aexists(loc, name) > 0)
        H5Adelete(loc, name);
    a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, s);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
}

static void put_dataset(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                        const void *data)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL), d;
    if (H5Lexists(loc, name, H5P_DEFAULT) > 0)
        H5Ldelete(loc, name, H5P_DEFAULT);
    d = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    H5Dclose(d);
    H5Sclose(sp);
}

static void make_bad(const mlp *m, bad_kind k, const char *path)
{
    hid_t f;
    int version = 2;
    double v[64] = {0};
    unsigned char mask[64];
    long iv[64] = {0};
    hsize_t dims[2];

    CU_ASSERT_EQUAL_FATAL(mlp_write_h5(m, path, NULL), PB_SUCCESS);
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    switch (k) {
    case BAD_FORMAT_VALUE:
        put_string_attr(f, "format", "other-thing");
        break;
    case BAD_FORMAT_MISSING:
        H5Adelete(f, "format");
        break;
    case BAD_VERSION: {
        hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
        H5Awrite(a, H5T_NATIVE_INT, &version);
        H5Aclose(a);
        break;
    }
    case BAD_NO_LAYERS:
        H5Ldelete(f, "layers", H5P_DEFAULT);
        break;
    case BAD_W_MISSING:
        H5Ldelete(f, "layers/2/W", H5P_DEFAULT);
        break;
    case BAD_B_MISSING:
        H5Ldelete(f, "layers/1/b", H5P_DEFAULT);
        break;
    case BAD_B_SHAPE:
        dims[0] = 5;
        put_dataset(f, "layers/3/b", H5T_NATIVE_DOUBLE, 1, dims, v);
        break;
    case BAD_CHAIN:
        dims[0] = 2, dims[1] = 5; /* layer 2 gives 4 */
        put_dataset(f, "layers/3/W", H5T_NATIVE_DOUBLE, 2, dims, v);
        break;
    case BAD_ACTIVATION: {
        hid_t g = H5Gopen2(f, "layers/2", H5P_DEFAULT);
        put_string_attr(g, "activation", "swish");
        H5Gclose(g);
        break;
    }
    case BAD_W_NAN:
        memcpy(v, m->layers[1].W, 20 * sizeof *v);
        v[1 * 5 + 2] = NAN;
        dims[0] = 4, dims[1] = 5;
        put_dataset(f, "layers/2/W", H5T_NATIVE_DOUBLE, 2, dims, v);
        break;
    case BAD_B_INF:
        memcpy(v, m->layers[0].b, 5 * sizeof *v);
        v[4] = -INFINITY;
        dims[0] = 5;
        put_dataset(f, "layers/1/b", H5T_NATIVE_DOUBLE, 1, dims, v);
        break;
    case BAD_MASK_VALUE:
        memset(mask, 1, sizeof mask);
        mask[1] = 2;
        dims[0] = 4, dims[1] = 5;
        put_dataset(f, "layers/2/mask", H5T_NATIVE_UCHAR, 2, dims, mask);
        break;
    case BAD_MASK_SHAPE:
        memset(mask, 1, sizeof mask);
        dims[0] = 5, dims[1] = 4;
        put_dataset(f, "layers/2/mask", H5T_NATIVE_UCHAR, 2, dims, mask);
        break;
    case BAD_W_INTEGER:
        dims[0] = 5, dims[1] = 3;
        put_dataset(f, "layers/1/W", H5T_NATIVE_LONG, 2, dims, iv);
        break;
    case BAD_LAYER_GAP:
        H5Lmove(f, "layers/3", f, "layers/7", H5P_DEFAULT, H5P_DEFAULT);
        break;
    case BAD_ALPHA_MISSING:
        H5Adelete_by_name(f, "layers/1", "alpha", H5P_DEFAULT);
        break;
    case BAD_LIMITS:
        v[0] = 1.0, v[1] = 3.0;
        dims[0] = 2;
        put_dataset(f, "output/low", H5T_NATIVE_DOUBLE, 1, dims, v);
        v[0] = 2.0, v[1] = -1.0; /* low > high for output 1 */
        put_dataset(f, "output/high", H5T_NATIVE_DOUBLE, 1, dims, v);
        break;
    case BAD_LONG_METHOD: {
        hid_t g = H5Gopen2(f, "provenance", H5P_DEFAULT);
        put_string_attr(g, "method", "a-method-name-much-longer-than-thirty-one-characters");
        H5Gclose(g);
        break;
    }
    case BAD_MAP_SHAPE:
        dims[0] = 4;
        put_dataset(f, "input/scale", H5T_NATIVE_DOUBLE, 1, dims, v);
        break;
    default:
        break;
    }
    H5Fclose(f);
}

/* Reading path fails with code, a message naming the file and containing
 * expect, and nothing printed by HDF5. */
static void expect_read_fail(const char *path, int code, const char *expect)
{
    pb_error err;
    mlp *m = (mlp *)&err; /* must come back NULL */
    int saved = stderr_begin(), status;
    long printed;

    status = mlp_read_h5(path, &m, &err);
    printed = stderr_end(saved);
    CU_ASSERT_EQUAL(status, code);
    CU_ASSERT_EQUAL(err.code, code);
    CU_ASSERT_PTR_NULL(m);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, path));
    if (!strstr(err.msg, expect))
        fprintf(stderr, "\n  message \"%s\" lacks \"%s\"\n", err.msg, expect);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, expect));
    CU_ASSERT_EQUAL(printed, 0);
}

static void test_h5_malformed(void)
{
    mlp *m = net_full();
    char path[1400];
    FILE *f;
    char *bytes;
    long n;

    for (int k = 0; k < BAD_COUNT; k++) {
        snprintf(path, sizeof path, "%s", pb_test_path(bad_cases[k].name));
        strcat(path, ".h5");
        make_bad(m, (bad_kind)k, path);
        expect_read_fail(path, PB_EFORMAT, bad_cases[k].expect);
    }
    /* Not HDF5, empty, truncated, absent. */
    snprintf(path, sizeof path, "%s", pb_test_path("text.h5"));
    f = fopen(path, "w");
    fputs("this is not an HDF5 file\n", f);
    fclose(f);
    expect_read_fail(path, PB_EFORMAT, "not an HDF5 file");
    snprintf(path, sizeof path, "%s", pb_test_path("empty.h5"));
    fclose(fopen(path, "w"));
    expect_read_fail(path, PB_EFORMAT, "not an HDF5 file");
    CU_ASSERT_EQUAL_FATAL(mlp_write_h5(m, pb_test_path("whole.h5"), NULL), PB_SUCCESS);
    bytes = NULL;
    f = fopen(pb_test_path("whole.h5"), "rb");
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    bytes = malloc((size_t)n);
    CU_ASSERT_EQUAL_FATAL(fread(bytes, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    for (int cut = 1; cut < 8; cut++) {
        long keep = n * cut / 8;
        pb_error err;
        mlp *back = NULL;
        int saved, status;
        snprintf(path, sizeof path, "%s", pb_test_path("truncated.h5"));
        f = fopen(path, "wb");
        fwrite(bytes, 1, (size_t)keep, f);
        fclose(f);
        saved = stderr_begin();
        status = mlp_read_h5(path, &back, &err);
        CU_ASSERT_EQUAL(stderr_end(saved), 0);
        CU_ASSERT_EQUAL(status, PB_EFORMAT);
        CU_ASSERT_PTR_NULL(back);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, path));
    }
    free(bytes);
    snprintf(path, sizeof path, "%s", pb_test_path("absent.h5"));
    expect_read_fail(path, PB_EIO, "cannot open");
    mlp_free(m);
}

/* A file written by h5py the way docs/POLICY.md tells users (float32
 * weights, no version 1 int32 but int64, fixed-length strings) reads. */
static void test_h5_foreign_writer(void)
{
    const char *script = "import sys, h5py, numpy as np\n"
                         "with h5py.File(sys.argv[1], 'w') as f:\n"
                         "    f.attrs['format'] = np.bytes_('prunebound-mlp')\n"
                         "    f.attrs['format_version'] = np.int64(1)\n"
                         "    g = f.create_group('layers/1')\n"
                         "    g['W'] = np.array([[1.5, -2.0]], dtype=np.float32)\n"
                         "    g['b'] = np.array([0.25], dtype=np.float32)\n"
                         "    g.attrs['activation'] = 'tanh'\n"
                         "    f['output/scale'] = np.array([3.0])\n";
    char args[1400];
    mlp *m = NULL;
    mlp_work *w;
    pb_error err;
    double x[] = {0.5, 0.125}, u;

    if (!pb_test_have_python()) {
        pb_test_skip("no python3 with numpy/h5py: foreign-writer test skipped");
        return;
    }
    snprintf(args, sizeof args, "'%s'", pb_test_path("h5py.h5"));
    CU_ASSERT_EQUAL_FATAL(pb_test_python(script, args, NULL, 0), 0);
    CU_ASSERT_EQUAL_FATAL(mlp_read_h5(pb_test_path("h5py.h5"), &m, &err), PB_SUCCESS);
    w = mlp_work_alloc(m, 1, NULL);
    mlp_eval(m, w, x, &u);
    /* Missing offset/low/high take the identity defaults. */
    PB_ASSERT_CLOSE(u, 3.0 * tanh(1.5 * 0.5 - 2.0 * 0.125 + 0.25), 1e-15, 0);
    mlp_work_free(w);
    mlp_free(m);
}

/* ---- SHA-256 ---------------------------------------------------------- */

static void sha_of_bytes(const char *bytes, size_t n, char hex[65])
{
    const char *path = pb_test_path("sha.bin");
    FILE *f = fopen(path, "wb");
    CU_ASSERT_EQUAL_FATAL(fwrite(bytes, 1, n, f), n);
    fclose(f);
    CU_ASSERT_EQUAL(mlp_file_sha256(path, hex, NULL), PB_SUCCESS);
}

/* FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf"). */
static void test_sha256_fips(void)
{
    char hex[65];
    char *million = malloc(1000000);
    pb_error err;

    sha_of_bytes("abc", 3, hex);
    CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha_of_bytes("", 0, hex);
    CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha_of_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
    CU_ASSERT_STRING_EQUAL(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    memset(million, 'a', 1000000);
    sha_of_bytes(million, 1000000, hex);
    CU_ASSERT_STRING_EQUAL(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
    CU_ASSERT_EQUAL(mlp_file_sha256(pb_test_path("no-such-file"), hex, &err), PB_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no-such-file"));
}

/* Lengths around the padding boundaries and a large file vs hashlib (one
 * Python run for all of them). */
static void test_sha256_hashlib(void)
{
    static const size_t lens[] = {1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 65535, 65536, 200003};
    enum { N_LENS = sizeof lens / sizeof lens[0] };
    const char *script = "import sys, hashlib\n"
                         "for p in sys.argv[1:]:\n"
                         "    print(hashlib.sha256(open(p, 'rb').read()).hexdigest())\n";
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    char *buf = malloc(200003), hex[N_LENS][65], out[N_LENS * 65 + 64], args[N_LENS * 1300];
    size_t used = 0;

    if (!pb_test_have_python()) {
        pb_test_skip("no python3: hashlib comparison skipped");
        free(buf);
        gsl_rng_free(r);
        return;
    }
    for (size_t i = 0; i < 200003; i++)
        buf[i] = (char)gsl_rng_uniform_int(r, 256);
    args[0] = '\0';
    for (size_t k = 0; k < N_LENS; k++) {
        char name[32];
        const char *path;
        FILE *f;
        snprintf(name, sizeof name, "sha_%zu.bin", lens[k]);
        path = pb_test_path(name);
        f = fopen(path, "wb");
        CU_ASSERT_EQUAL_FATAL(fwrite(buf, 1, lens[k], f), lens[k]);
        fclose(f);
        CU_ASSERT_EQUAL(mlp_file_sha256(path, hex[k], NULL), PB_SUCCESS);
        used += (size_t)snprintf(args + used, sizeof args - used, "'%s' ", path);
    }
    CU_ASSERT_EQUAL_FATAL(pb_test_python(script, args, out, sizeof out), 0);
    for (size_t k = 0; k < N_LENS; k++) {
        CU_ASSERT_FATAL(strlen(out) >= 65 * (k + 1));
        CU_ASSERT_EQUAL(strncmp(hex[k], out + 65 * k, 64), 0);
    }
    free(buf);
    gsl_rng_free(r);
}

/* ---- importers against the NumPy oracle ------------------------------- */

#ifdef PB_NO_ONNX
/* Built with PB_WITH_ONNX=OFF: the library has no ONNX importer.  This
 * stand-in only resolves the ONNX tests' references; they skip. */
const import_type import_onnx = {"onnx", ".onnx", "absent from this build", NULL};
#endif

static int have_onnx(void)
{
    static int have = -1;
    if (have < 0)
        have = pb_test_have_python() && pb_test_python("import onnx", "", NULL, 0) == 0;
    return have;
}

/* Imports path with the named importer, writes and re-reads the policy
 * file, and compares mlp_eval on n random states (uniform in [-box, box]
 * per input, or [lo, hi] when lo < hi) with oracle.py: every output within
 * 1e-12 relative of the largest output magnitude. */
static void check_against_oracle(const char *fmt, const char *path, const char *acts, double lo,
                                 double hi)
{
    enum { N_STATES = 40 };
    const import_type *t = import_find(fmt);
    import_options opt;
    pb_error err;
    char note[PB_ERRMSG_MAX], args[4096], *out, *script, *p;
    const char *states = pb_test_path("states.txt"), *h5 = pb_test_path("imported.h5");
    mlp *m = NULL, *back = NULL;
    mlp_work *w;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double *X, *U, umax = 0.0;
    FILE *f;

    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    memset(&opt, 0, sizeof opt);
    if (acts)
        CU_ASSERT_EQUAL_FATAL(import_options_parse_acts(&opt, acts, &err), PB_SUCCESS);
    if (t->read(path, &opt, &m, note, sizeof note, &err) != PB_SUCCESS) {
        fprintf(stderr, "\n  %s\n", err.msg);
        CU_FAIL_FATAL("import failed");
    }
    CU_ASSERT_EQUAL_FATAL(mlp_write_h5(m, h5, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(mlp_read_h5(h5, &back, &err), PB_SUCCESS);
    assert_same_mlp(m, back);
    X = malloc(N_STATES * back->n_in * sizeof *X);
    U = malloc(N_STATES * back->n_out * sizeof *U);
    out = malloc(65536);
    script = slurp(PB_TEST_DATA "/policies/oracle.py");
    CU_ASSERT_FATAL(X && U && out && script);
    fill_uniform(r, N_STATES * back->n_in, X, lo, hi);
    f = fopen(states, "w");
    for (size_t i = 0; i < N_STATES; i++) {
        for (size_t k = 0; k < back->n_in; k++)
            fprintf(f, "%.17g ", X[i * back->n_in + k]);
        fprintf(f, "\n");
    }
    fclose(f);
    w = mlp_work_alloc(back, 1, NULL);
    for (size_t i = 0; i < N_STATES; i++)
        mlp_eval(back, w, X + i * back->n_in, U + i * back->n_out);
    for (size_t i = 0; i < N_STATES * back->n_out; i++)
        umax = fmax(umax, fabs(U[i]));

    snprintf(args, sizeof args, "%s '%s' '%s' %s", strcmp(fmt, "onnx") == 0 ? "onnx" : fmt, path,
             states, acts ? acts : "");
    CU_ASSERT_EQUAL_FATAL(pb_test_python(script, args, out, 65536), 0);
    p = out;
    for (size_t i = 0; i < N_STATES * back->n_out; i++) {
        char *end;
        double want = strtod(p, &end);
        CU_ASSERT_FATAL(end != p);
        p = end;
        PB_ASSERT_CLOSE(U[i], want, 1e-12, 1e-12 * umax);
    }
    CU_ASSERT(umax > 0.0); /* the comparison is not vacuous */
    mlp_work_free(w);
    free(X);
    free(U);
    free(out);
    free(script);
    mlp_free(m);
    mlp_free(back);
    gsl_rng_free(r);
}

static const char *arch(const char *rel)
{
    static char buf[4][1400];
    static int next;
    const char *dir = pb_test_arch_dir();
    char *p = buf[next++ % 4];
    if (!dir)
        return NULL;
    snprintf(p, sizeof buf[0], "%s/%s", dir, rel);
    return p;
}

static void test_arch_text(void)
{
    if (!pb_test_arch_dir() || !pb_test_have_python()) {
        pb_test_skip("ARCH-COMP folder or python3 absent: ARCH text importers skipped");
        return;
    }
    check_against_oracle("nnet", arch("single_pendulum/controller_single_pendulum.nnet"), NULL, -2,
                         2);
    check_against_oracle("polar", arch("single_pendulum/InvertedPendulum_controller.polar"), NULL,
                         -2, 2);
    check_against_oracle("polar", arch("quadrotor/Quadrotor_controller.polar"), NULL, -1, 1);
    check_against_oracle("polar", arch("tora/relu_benchmark9/TORA_ReLU_controller.polar"), NULL, -2,
                         2);
    check_against_oracle("polar", arch("tora/heterogeneous/nn_tora_relu_tanh.txt"),
                         "relu,relu,relu,tanh", -1, 1);
    check_against_oracle("polar", arch("tora/heterogeneous/nn_tora_sigmoid.txt"),
                         "sigmoid,sigmoid,sigmoid,sigmoid", -1, 1);
}

static void test_arch_onnx(void)
{
    static const char *const files[] = {
        "single_pendulum/controller_single_pendulum.onnx", "cartpole/model.onnx",
        "quadrotor/quad_controller_3_64_torch.onnx", "quadrotor/model.onnx",
        "tora/relu_benchmark9/controllerTora.onnx"};
#ifdef PB_NO_ONNX
    pb_test_skip("built with PB_WITH_ONNX=OFF: no ONNX importer to test");
    return;
#endif
    if (!pb_test_arch_dir() || !have_onnx()) {
        pb_test_skip("ARCH-COMP folder or python3-onnx absent: ARCH ONNX skipped");
        return;
    }
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        check_against_oracle("onnx", arch(files[i]), NULL, -1, 1);
}

/* The pendulum's .nnet, .polar and .onnx hold the same network. */
static void test_arch_same_network(void)
{
    const char *paths[3];
    const char *fmts[3] = {"nnet", "polar", "onnx"};
    mlp *m[3] = {NULL, NULL, NULL};
    pb_error err;
    char note[256];
#ifdef PB_NO_ONNX
    pb_test_skip("built with PB_WITH_ONNX=OFF: no ONNX importer to test");
    return;
#endif

    if (!pb_test_arch_dir()) {
        pb_test_skip("ARCH-COMP folder absent: cross-format check skipped");
        return;
    }
    paths[0] = arch("single_pendulum/controller_single_pendulum.nnet");
    paths[1] = arch("single_pendulum/InvertedPendulum_controller.polar");
    paths[2] = arch("single_pendulum/controller_single_pendulum.onnx");
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL_FATAL(
            import_find(fmts[i])->read(paths[i], NULL, &m[i], note, sizeof note, &err), PB_SUCCESS);
    for (int i = 1; i < 3; i++) {
        CU_ASSERT_EQUAL_FATAL(m[i]->n_layers, m[0]->n_layers);
        for (size_t j = 0; j < m[0]->n_layers; j++) {
            const mlp_layer *a = &m[0]->layers[j], *b = &m[i]->layers[j];
            CU_ASSERT_EQUAL_FATAL(a->n_in * a->n_out, b->n_in * b->n_out);
            CU_ASSERT_EQUAL(a->act, b->act);
            /* The .nnet keeps 5 decimals (error <= 5e-6), the others more. */
            for (size_t k = 0; k < a->n_in * a->n_out; k++)
                PB_ASSERT_CLOSE(a->W[k], b->W[k], 0, 5.0001e-6);
            for (size_t k = 0; k < a->n_out; k++)
                PB_ASSERT_CLOSE(a->b[k], b->b[k], 0, 5.0001e-6);
        }
    }
    for (int i = 0; i < 3; i++)
        mlp_free(m[i]);
}

/* The fixtures in tests/data/policies: NNet with real normalisation
 * (states inside its clipping box), POLAR with offset and scale. */
static void test_fixtures_valid(void)
{
    mlp *m = NULL;
    pb_error err;
    char note[PB_ERRMSG_MAX];

    if (!pb_test_have_python()) {
        pb_test_skip("no python3: fixture oracle checks skipped");
        return;
    }
    /* norm.nnet's box is [-1, 1] x [-2, 2]: sample inside [-1, 1]. */
    check_against_oracle("nnet", PB_TEST_DATA "/policies/norm.nnet", NULL, -1, 1);
    check_against_oracle("polar", PB_TEST_DATA "/policies/small.polar", NULL, -3, 3);
    check_against_oracle("polar", PB_TEST_DATA "/policies/noact.txt", "relu,tanh", -3, 3);
    /* The clipping box is not carried over: the importer says so. */
    CU_ASSERT_EQUAL(
        import_nnet.read(PB_TEST_DATA "/policies/norm.nnet", NULL, &m, note, sizeof note, &err),
        PB_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL(strstr(note, "clips inputs"));
    CU_ASSERT_PTR_NOT_NULL(m->in_offset);
    CU_ASSERT_PTR_NOT_NULL(m->out_scale);
    mlp_free(m);
}

/* Writes the ONNX fixtures of make_onnx.py into the test directory, once;
 * 0 on success. */
static int make_onnx_fixtures(void)
{
    static int status = -1;
    char args[1400], *script;

    if (status >= 0)
        return status;
    script = slurp(PB_TEST_DATA "/policies/make_onnx.py");
    if (!script)
        return status = 1;
    snprintf(args, sizeof args, "'%s'", pb_test_tmpdir());
    status = pb_test_python(script, args, NULL, 0) != 0;
    free(script);
    return status;
}

static void test_onnx_constructs(void)
{
    static const char *const ok[] = {"ok_gemm", "ok_keras", "ok_conv", "ok_noshape"};
    char path[1400];
#ifdef PB_NO_ONNX
    pb_test_skip("built with PB_WITH_ONNX=OFF: no ONNX importer to test");
    return;
#endif

    if (!have_onnx()) {
        pb_test_skip("python3-onnx absent: ONNX construct tests skipped");
        return;
    }
    CU_ASSERT_EQUAL_FATAL(make_onnx_fixtures(), 0);
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        snprintf(path, sizeof path, "%s/%s.onnx", pb_test_tmpdir(), ok[i]);
        check_against_oracle("onnx", path, NULL, -2, 2);
    }
}

/* ---- importers: malformed and unsupported input ----------------------- */

static void expect_import_fail(const import_type *t, const char *path, const char *acts, int code,
                               const char *expect)
{
    import_options opt;
    pb_error err;
    char note[256];
    mlp *m = (mlp *)&err;
    int status;

    memset(&opt, 0, sizeof opt);
    if (acts)
        CU_ASSERT_EQUAL_FATAL(import_options_parse_acts(&opt, acts, &err), PB_SUCCESS);
    status = t->read(path, &opt, &m, note, sizeof note, &err);
    CU_ASSERT_EQUAL(status, code);
    CU_ASSERT_EQUAL(err.code, code);
    CU_ASSERT_PTR_NULL(m);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, path));
    if (!strstr(err.msg, expect))
        fprintf(stderr, "\n  message \"%s\" lacks \"%s\"\n", err.msg, expect);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, expect));
}

#define FIX(name) PB_TEST_DATA "/policies/" name

static void test_text_malformed(void)
{
    expect_import_fail(&import_nnet, FIX("bad_row.nnet"), NULL, PB_EFORMAT,
                       ":10: more than 2 values on the line");
    expect_import_fail(&import_nnet, FIX("truncated.nnet"), NULL, PB_EFORMAT, "ends in layer 2");
    expect_import_fail(&import_nnet, FIX("bad_number.nnet"), NULL, PB_EFORMAT,
                       ":11: '0.75x' is not a finite number");
    expect_import_fail(&import_nnet, FIX("bad_sizes.nnet"), NULL, PB_EFORMAT,
                       "header says 2 inputs and 2 outputs");
    expect_import_fail(&import_nnet, FIX("zero_range.nnet"), NULL, PB_EFORMAT,
                       "normalisation range 2 is zero");
    expect_import_fail(&import_nnet, FIX("trailing.nnet"), NULL, PB_EFORMAT,
                       "unexpected data after the last layer");
    expect_import_fail(&import_nnet, FIX("bad_header.nnet"), NULL, PB_EFORMAT, ":3: header");
    expect_import_fail(&import_nnet, FIX("norm.nnet"), "relu,linear", PB_EINVAL,
                       "do not give --activations");
    expect_import_fail(&import_nnet, FIX("absent.nnet"), NULL, PB_EIO, "cannot open");
    expect_import_fail(&import_nnet, FIX("empty.polar"), NULL, PB_EFORMAT, "no header line");

    expect_import_fail(&import_polar, FIX("bad_act.polar"), NULL, PB_EFORMAT,
                       "'Softmax' is not ReLU");
    expect_import_fail(&import_polar, FIX("truncated.polar"), NULL, PB_EFORMAT,
                       "ends before the weights");
    expect_import_fail(&import_polar, FIX("extra.polar"), NULL, PB_EFORMAT,
                       ":22: unexpected data after the output offset");
    expect_import_fail(&import_polar, FIX("nan.polar"), NULL, PB_EFORMAT,
                       ":9: 'nan' is not a finite number");
    expect_import_fail(&import_polar, FIX("bad_hidden.polar"), NULL, PB_EFORMAT,
                       ":3: number of hidden layers -1");
    expect_import_fail(&import_polar, FIX("noact.txt"), NULL, PB_EINVAL,
                       "give them with --activations (2 names");
    expect_import_fail(&import_polar, FIX("noact.txt"), "relu,relu,tanh", PB_EINVAL,
                       "3 activations given, but the network has 2 layers");
    expect_import_fail(&import_polar, FIX("small.polar"), "relu,sigmoid", PB_EINVAL,
                       "the file says layer 2 is tanh");
    expect_import_fail(&import_polar, FIX("empty.polar"), NULL, PB_EFORMAT,
                       "ends before the number of inputs");
    expect_import_fail(&import_polar, FIX("not_text.polar"), NULL, PB_EFORMAT, "binary data");
}

static void test_onnx_malformed(void)
{
    static const struct {
        const char *name;
        int code;
        const char *expect;
    } cases[] = {
        {"bad_softmax", PB_EUNSUPPORTED, "node Softmax 'probs': operator not supported"},
        {"bad_transA", PB_EUNSUPPORTED, "node Gemm 'gt': transA"},
        {"bad_int", PB_EUNSUPPORTED, "node Gemm 'gi': tensor 'W' has element type 7"},
        {"bad_nan", PB_EFORMAT, "node Gemm 'gn': tensor 'W' entry 5 is not finite"},
        {"bad_pad", PB_EUNSUPPORTED, "node Conv 'cp': padded convolution"},
        {"bad_actfirst", PB_EUNSUPPORTED, "node Relu 'r0': activation does not follow"},
        {"bad_branch", PB_EUNSUPPORTED, "node Gemm 'g2': not on the single chain"},
        {"bad_output", PB_EFORMAT, "ends in 'h', not in the graph output 'y'"},
        {"bad_size", PB_EFORMAT, "node Gemm 'gs': tensor 'W' holds the wrong number"},
        {"bad_nonconst", PB_EUNSUPPORTED, "more than one input"},
        {"bad_noop", PB_EFORMAT, "node 1 ('g') has no op_type"},
        {"bad_noname", PB_EFORMAT, "initializer 2 has no name"},
        {"bad_noshape_sub", PB_EUNSUPPORTED, "node Sub 'sub0': input normalisation needs"},
    };
    char path[1400];
    FILE *f;
#ifdef PB_NO_ONNX
    pb_test_skip("built with PB_WITH_ONNX=OFF: no ONNX importer to test");
    return;
#endif

    /* Not protobuf at all, and empty: no library needed to make them. */
    snprintf(path, sizeof path, "%s/garbage.onnx", pb_test_tmpdir());
    f = fopen(path, "wb");
    fputs("\xff\xff\xff\xff garbage, not a protobuf message", f);
    fclose(f);
    expect_import_fail(&import_onnx, path, NULL, PB_EFORMAT, "not an ONNX model");
    snprintf(path, sizeof path, "%s/empty.onnx", pb_test_tmpdir());
    fclose(fopen(path, "wb"));
    expect_import_fail(&import_onnx, path, NULL, PB_EFORMAT, "not an ONNX model");
    expect_import_fail(&import_onnx, FIX("absent.onnx"), NULL, PB_EIO, "cannot open");
    expect_import_fail(&import_onnx, path, "relu", PB_EINVAL, "do not give --activations");

    /* A real model cut short. */
    if (pb_test_arch_dir()) {
        char *bytes = slurp(arch("cartpole/model.onnx"));
        struct stat st;
        CU_ASSERT_PTR_NOT_NULL_FATAL(bytes);
        stat(arch("cartpole/model.onnx"), &st);
        snprintf(path, sizeof path, "%s/cut.onnx", pb_test_tmpdir());
        f = fopen(path, "wb");
        fwrite(bytes, 1, (size_t)st.st_size / 2, f);
        fclose(f);
        free(bytes);
        expect_import_fail(&import_onnx, path, NULL, PB_EFORMAT, "not an ONNX model");
    }
    if (!have_onnx()) {
        pb_test_skip("python3-onnx absent: malformed ONNX fixtures skipped");
        return;
    }
    CU_ASSERT_EQUAL_FATAL(make_onnx_fixtures(), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(path, sizeof path, "%s/%s.onnx", pb_test_tmpdir(), cases[i].name);
        expect_import_fail(&import_onnx, path, NULL, cases[i].code, cases[i].expect);
    }
}

static void test_registry(void)
{
    import_options opt;
    pb_error err;

    CU_ASSERT_PTR_EQUAL(import_find("nnet"), &import_nnet);
    CU_ASSERT_PTR_EQUAL(import_find("polar"), &import_polar);
#ifndef PB_NO_ONNX
    CU_ASSERT_PTR_EQUAL(import_find("onnx"), &import_onnx);
#else
    CU_ASSERT_PTR_NULL(import_find("onnx"));
#endif
    CU_ASSERT_PTR_NULL(import_find("keras"));
    CU_ASSERT_PTR_EQUAL(import_find_by_extension("a/b/c.NNET"), &import_nnet);
    CU_ASSERT_PTR_EQUAL(import_find_by_extension("x.txt"), &import_polar);
    CU_ASSERT_PTR_EQUAL(import_find_by_extension("x.polar"), &import_polar);
#ifndef PB_NO_ONNX
    CU_ASSERT_PTR_EQUAL(import_find_by_extension("model.onnx"), &import_onnx);
#endif
    CU_ASSERT_PTR_NULL(import_find_by_extension("model.h5"));
    CU_ASSERT_PTR_NULL(import_find_by_extension("dir.onnx/model"));
    CU_ASSERT_PTR_NULL(import_find_by_extension("noext"));

    CU_ASSERT_EQUAL(import_options_parse_acts(&opt, "relu,leaky_relu:0.2,tanh", &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(opt.n_acts, 3);
    CU_ASSERT_EQUAL(opt.acts[1], MLP_ACT_LEAKY_RELU);
    CU_ASSERT_EQUAL(opt.alphas[1], 0.2);
    CU_ASSERT_EQUAL(import_options_parse_acts(&opt, "relu,swish", &err), PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "unknown activation 'swish'"));
    CU_ASSERT_EQUAL(import_options_parse_acts(&opt, "relu,,tanh", &err), PB_EINVAL);
    CU_ASSERT_EQUAL(import_options_parse_acts(&opt, "relu,", &err), PB_EINVAL);
    CU_ASSERT_EQUAL(import_options_parse_acts(&opt, "", &err), PB_EINVAL);
    CU_ASSERT_EQUAL(import_options_parse_acts(&opt, "tanh:0.5", &err), PB_EINVAL);
    CU_ASSERT_EQUAL(import_options_parse_acts(&opt, "leaky_relu:2", &err), PB_EINVAL);
}

/* ---- the documented h5py export --------------------------------------- */

/* docs/POLICY.md shows docs/export_pytorch.py verbatim; running it on a
 * state_dict-like dict of NumPy arrays (stand-ins for an nn.Sequential's
 * tensors) gives a file that mlp_read_h5 reads and that evaluates like
 * NumPy's forward pass. */
static void test_docs_export(void)
{
    const char *driver =
        "import sys, runpy, numpy as np\n"
        "ns = runpy.run_path(sys.argv[1])\n"
        "rng = np.random.default_rng(11)\n"
        "state = {'0.weight': rng.normal(size=(16, 4)), '0.bias': rng.normal(size=16),\n"
        "         '2.weight': rng.normal(size=(16, 16)), '2.bias': rng.normal(size=16),\n"
        "         '4.weight': rng.normal(size=(2, 16)), '4.bias': rng.normal(size=2)}\n"
        "ns['export_policy'](state, ['tanh', 'relu', 'linear'], sys.argv[2])\n"
        "X = np.loadtxt(sys.argv[3], ndmin=2)\n"
        "H = np.tanh(X @ state['0.weight'].T + state['0.bias'])\n"
        "H = np.maximum(H @ state['2.weight'].T + state['2.bias'], 0)\n"
        "H = H @ state['4.weight'].T + state['4.bias']\n"
        "for row in H: print(' '.join(repr(float(v)) for v in row))\n";
    char *doc = slurp(PB_SOURCE_DIR "/docs/POLICY.md");
    char *snippet = slurp(PB_SOURCE_DIR "/docs/export_pytorch.py");
    char args[4096], out[8192], *p = out;
    const char *states = pb_test_path("export_states.txt");
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double X[20 * 4], u[2];
    mlp *m = NULL;
    mlp_work *w;
    pb_error err;
    FILE *f;
    int lines = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(snippet);
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, snippet)); /* the doc shows exactly what runs */
    for (const char *c = snippet; *c; c++)
        lines += *c == '\n';
    CU_ASSERT(lines <= 12);
    if (!pb_test_have_python()) {
        pb_test_skip("no python3 with h5py: docs export test skipped");
        goto done;
    }
    fill_uniform(r, 80, X, -2, 2);
    f = fopen(states, "w");
    for (int i = 0; i < 20; i++)
        fprintf(f, "%.17g %.17g %.17g %.17g\n", X[4 * i], X[4 * i + 1], X[4 * i + 2], X[4 * i + 3]);
    fclose(f);
    snprintf(args, sizeof args, "'%s' '%s' '%s'", PB_SOURCE_DIR "/docs/export_pytorch.py",
             pb_test_path("exported.h5"), states);
    CU_ASSERT_EQUAL_FATAL(pb_test_python(driver, args, out, sizeof out), 0);
    CU_ASSERT_EQUAL_FATAL(mlp_read_h5(pb_test_path("exported.h5"), &m, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(m->n_layers, 3);
    CU_ASSERT_EQUAL(m->layers[0].act, MLP_ACT_TANH);
    CU_ASSERT_EQUAL(m->layers[1].act, MLP_ACT_RELU);
    w = mlp_work_alloc(m, 1, NULL);
    for (int i = 0; i < 20; i++) {
        mlp_eval(m, w, X + 4 * i, u);
        for (int k = 0; k < 2; k++) {
            char *end;
            double want = strtod(p, &end);
            CU_ASSERT_FATAL(end != p);
            p = end;
            PB_ASSERT_CLOSE(u[k], want, 1e-12, 1e-12);
        }
    }
    mlp_work_free(w);
    mlp_free(m);
done:
    free(doc);
    free(snippet);
    gsl_rng_free(r);
}

/* ---- the convert and info commands ------------------------------------ */

/* Runs `prunebound ARGS` with stdout and stderr into out; the exit status. */
static int run_cli(const char *args, char *out, size_t outlen)
{
    return pb_test_run(NULL, args, out, outlen);
}

static void test_cli_convert(void)
{
    char out[16384], args[4096];
    const char *h5 = pb_test_path("cli.h5");
    mlp *m = NULL, *direct = NULL;
    pb_error err;
    char note[256];

    CU_ASSERT_EQUAL(run_cli("convert --help", out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "usage: prunebound convert"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "--activations"));
    CU_ASSERT_EQUAL(run_cli("convert", out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "missing the input file"));
    CU_ASSERT_EQUAL(run_cli("convert x.nnet", out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "missing -o"));
    CU_ASSERT_EQUAL(run_cli("convert model.keras -o x.h5", out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "cannot tell the format"));
    CU_ASSERT_EQUAL(run_cli("convert a.nnet -o x.h5 --format keras", out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "unknown format 'keras'"));
    CU_ASSERT_EQUAL(run_cli("convert a.nnet -o x.h5 --bogus", out, sizeof out), 2);
    CU_ASSERT_EQUAL(run_cli("convert a.txt -o x.h5 --activations relu,swish", out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "unknown activation 'swish'"));

    /* Malformed input: exit 2, the file and line named, no output file. */
    snprintf(args, sizeof args, "convert '%s' -o '%s'", FIX("bad_number.nnet"), h5);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "bad_number.nnet:11:"));
    CU_ASSERT(!file_exists(h5));
    /* The format given explicitly wins over the extension. */
    snprintf(args, sizeof args, "convert '%s' --format polar -o '%s'", FIX("norm.nnet"), h5);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof out), 2);
    /* Unwritable output: exit 2 (an I/O error on the user's path). */
    snprintf(args, sizeof args, "convert '%s' -o /nonexistent-dir/p.h5", FIX("small.polar"));
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "/nonexistent-dir/p.h5"));

    /* A good conversion writes what the importer reads, plus a note. */
    snprintf(args, sizeof args, "convert '%s' -o '%s'", FIX("norm.nnet"), h5);
    CU_ASSERT_EQUAL_FATAL(run_cli(args, out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "note:"));
    CU_ASSERT_EQUAL_FATAL(mlp_read_h5(h5, &m, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(
        import_nnet.read(FIX("norm.nnet"), NULL, &direct, note, sizeof note, &err), PB_SUCCESS);
    assert_same_mlp(direct, m);
    mlp_free(m);
    mlp_free(direct);
    snprintf(args, sizeof args, "convert '%s' -o '%s' --activations relu,tanh", FIX("noact.txt"),
             h5);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof out), 0);
}

static void test_cli_info(void)
{
    char out[16384], args[4096];
    const char *h5 = pb_test_path("info.h5"), *other = pb_test_path("other.h5");
    mlp *m = net_full();
    hid_t f, sp, d, a;
    hsize_t dims[2] = {3, 7};
    double zeros[21] = {0}, seed = 42;

    CU_ASSERT_EQUAL(run_cli("info --help", out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "usage: prunebound info"));
    CU_ASSERT_EQUAL(run_cli("info", out, sizeof out), 2);
    CU_ASSERT_EQUAL(run_cli("info a.h5 b.h5", out, sizeof out), 2);
    snprintf(args, sizeof args, "info '%s'", FIX("small.polar"));
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "not an HDF5 file"));
    CU_ASSERT_EQUAL(run_cli("info /nonexistent.h5", out, sizeof out), 2);

    /* A policy: sizes, activations, sparsity per layer, maps, provenance. */
    CU_ASSERT_EQUAL_FATAL(mlp_write_h5(m, h5, NULL), PB_SUCCESS);
    snprintf(args, sizeof args, "info '%s'", h5);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "prunebound policy"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "3 inputs, 2 outputs, 3 layers"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "leaky_relu(0.3)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "4 x 5"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "7/20 (35.00%)")); /* i % 3 == 0 for 7 of 20 */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "method sparsegpt, sparsity 0.4, pattern 2:4"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "input map: s = (x - offset) * scale"));

    /* Any other HDF5 file: root attributes and datasets with shapes. */
    f = H5Fcreate(other, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    sp = H5Screate_simple(2, dims, NULL);
    H5Gclose(H5Gcreate2(f, "runs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    d = H5Dcreate2(f, "runs/x", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros);
    H5Dclose(d);
    H5Sclose(sp);
    sp = H5Screate(H5S_SCALAR);
    a = H5Acreate2(f, "seed", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_DOUBLE, &seed);
    H5Aclose(a);
    H5Sclose(sp);
    put_string_attr(f, "tool", "something else");
    H5Fclose(f);
    snprintf(args, sizeof args, "info '%s'", other);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "@seed = 42"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "@tool = \"something else\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "/runs/\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "/runs/x [3 x 7] float64"));
    mlp_free(m);
}

static const pb_test_case mlp_tests[] = {{"forward pass vs hand computation", test_forward_hand},
                                         {"input and output maps", test_forward_maps},
                                         {"one state, rows, lanes: the same bits", test_forward_batch},
                                         {"activation Lipschitz constants", test_act_lipschitz},
                                         {"activation names", test_act_names},
                                         {"pruned counts per layer", test_layer_pruned},
                                         {NULL, NULL}};

static const pb_test_case io_tests[] = {{"round trip is bit-exact", test_h5_roundtrip},
                                        {"same policy, same bytes", test_h5_deterministic},
                                        {"write errors leave no file", test_h5_write_errors},
                                        {"malformed files refused quietly", test_h5_malformed},
                                        {"h5py-written file", test_h5_foreign_writer},
                                        {"SHA-256 FIPS 180-4 vectors", test_sha256_fips},
                                        {"SHA-256 vs hashlib", test_sha256_hashlib},
                                        {"docs export snippet", test_docs_export},
                                        {NULL, NULL}};

static const pb_test_case import_tests[] = {
    {"registry and activation lists", test_registry},
    {"ARCH text files vs NumPy", test_arch_text},
    {"ARCH ONNX files vs NumPy", test_arch_onnx},
    {"pendulum: three formats agree", test_arch_same_network},
    {"fixtures vs NumPy", test_fixtures_valid},
    {"ONNX constructs vs NumPy", test_onnx_constructs},
    {"malformed text files", test_text_malformed},
    {"malformed ONNX files", test_onnx_malformed},
    {NULL, NULL}};

static const pb_test_case cli_tests[] = {
    {"prunebound convert", test_cli_convert}, {"prunebound info", test_cli_info}, {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {{"mlp", mlp_tests},
                                        {"policy files", io_tests},
                                        {"importers", import_tests},
                                        {"commands", cli_tests},
                                        {NULL, NULL}};
