/* test_train.c: imitation training (controller/mlp_train, sim/sim_train).
 *
 * Oracles: central differences for the backpropagated gradient, a hand
 * computation of Adam's first two bias-corrected steps (Kingma & Ba 2015,
 * Algorithm 1), the exact solution of a linear least-squares problem, and
 * for the trained policies the LQR expert itself and closed-loop simulation
 * of the nonlinear plant. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>

#include "mlp.h"
#include "mlp_train.h"
#include "pb_test.h"

/* A network n_in -> hidden... -> n_out with activation a everywhere
 * (output layer included) and weights drawn by the trainer's initialiser. */
static mlp *random_net(size_t n_layers, const size_t sizes[], mlp_act a, unsigned long seed)
{
    mlp_act acts[8];
    mlp *m;
    for (size_t j = 0; j < n_layers; j++)
        acts[j] = a;
    m = mlp_alloc(n_layers, sizes, acts, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    for (size_t j = 0; j < n_layers; j++)
        m->layers[j].alpha = 0.1;
    CU_ASSERT_EQUAL_FATAL(mlp_train_init_weights(m, seed, NULL), PB_SUCCESS);
    /* non-zero biases so that their gradient is exercised off the origin */
    {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, seed + 1000);
        for (size_t j = 0; j < n_layers; j++)
            for (size_t k = 0; k < m->layers[j].n_out; k++)
                m->layers[j].b[k] = gsl_ran_gaussian(r, 0.3);
        gsl_rng_free(r);
    }
    return m;
}

static void fill_gaussian(double *a, size_t n, double sd, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (size_t i = 0; i < n; i++)
        a[i] = gsl_ran_gaussian(r, sd);
    gsl_rng_free(r);
}

/* Pointer to parameter p in the layer-by-layer order (W_j row-major, b_j). */
static double *param_ptr(mlp *m, size_t p)
{
    for (size_t j = 0; j < m->n_layers; j++) {
        mlp_layer *l = &m->layers[j];
        size_t nw = l->n_in * l->n_out;
        if (p < nw)
            return &l->W[p];
        if (p < nw + l->n_out)
            return &l->b[p - nw];
        p -= nw + l->n_out;
    }
    return NULL;
}

/* Backpropagated gradient vs central differences, every activation, a
 * 3-5-4-2 net, 7 samples evaluated in chunks of 3 (so that chunk
 * accumulation is exercised).  Step h = 1e-6: truncation O(h^2 |f'''|) and
 * rounding O(1e-16 / h) are both < 1e-9, so a tolerance of 1e-7 (relative
 * to max(1, |g|)) cannot hide a wrong term. */
static void test_gradient_central_differences(void)
{
    const size_t sizes[] = {3, 5, 4, 2};
    const size_t n = 7;
    double X[7 * 3], Y[7 * 2];
    mlp_train_opts o;

    mlp_train_opts_init(&o);
    o.batch = 3;
    fill_gaussian(X, sizeof X / sizeof X[0], 1.0, 11);
    fill_gaussian(Y, sizeof Y / sizeof Y[0], 0.5, 12);
    for (int a = 0; a < MLP_ACT_COUNT; a++) {
        mlp *m = random_net(3, sizes, (mlp_act)a, 100 + (unsigned long)a);
        size_t np = mlp_train_n_params(m);
        mlp_trainer *t = mlp_trainer_alloc(m, &o, n, NULL);
        double *g = malloc(np * sizeof *g);
        double worst = 0.0;
        CU_ASSERT_EQUAL(np, 15 + 5 + 20 + 4 + 8 + 2); /* W_1 b_1 W_2 b_2 W_3 b_3 */
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        mlp_trainer_loss(t, m, n, X, Y, g);
        for (size_t p = 0; p < np; p++) {
            double *th = param_ptr(m, p);
            double save = *th, h = 1e-6, lp, lm, fd, tol;
            *th = save + h;
            lp = mlp_trainer_loss(t, m, n, X, Y, NULL);
            *th = save - h;
            lm = mlp_trainer_loss(t, m, n, X, Y, NULL);
            *th = save;
            fd = (lp - lm) / (2.0 * h);
            tol = 1e-7 * fmax(1.0, fabs(g[p]));
            if (fabs(fd - g[p]) > worst)
                worst = fabs(fd - g[p]);
            if (fabs(fd - g[p]) > tol) {
                char msg[200];
                snprintf(msg, sizeof msg, "%s: parameter %zu: backprop %.10g vs differences %.10g",
                         mlp_act_name((mlp_act)a), p, g[p], fd);
                CU_FAIL(msg);
            }
        }
        /* the gradient is not trivially zero */
        {
            double gn = 0.0;
            for (size_t p = 0; p < np; p++)
                gn += g[p] * g[p];
            CU_ASSERT(gn > 1e-6);
        }
        free(g);
        mlp_trainer_free(t);
        mlp_free(m);
    }
}

/* The loss is the mean over samples and outputs: on a zero network it is
 * mean(Y^2), computed here directly. */
static void test_loss_is_mse(void)
{
    const size_t sizes[] = {2, 3};
    double X[5 * 2], Y[5 * 3], want = 0.0;
    mlp_train_opts o;
    mlp *m = mlp_alloc(1, sizes, NULL, NULL);
    mlp_trainer *t;

    mlp_train_opts_init(&o);
    o.batch = 2;
    fill_gaussian(X, 10, 1.0, 3);
    fill_gaussian(Y, 15, 1.0, 4);
    for (size_t i = 0; i < 15; i++)
        want += Y[i] * Y[i] / 15.0;
    t = mlp_trainer_alloc(m, &o, 5, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    PB_ASSERT_CLOSE(mlp_trainer_loss(t, m, 5, X, Y, NULL), want, 1e-14, 0.0);
    mlp_trainer_free(t);
    mlp_free(m);
}

/* Adam's first two steps against Algorithm 1 of Kingma & Ba (2015) computed
 * by hand from the gradients: with bias correction the first step moves each
 * parameter by lr g / (|g| + eps), i.e. about lr, whatever the scale of g. */
static void test_adam_steps_by_hand(void)
{
    const size_t sizes[] = {2, 3, 1};
    const mlp_act acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    const size_t n = 6;
    double X[6 * 2], Y[6];
    mlp_train_opts o;
    mlp *m = mlp_alloc(2, sizes, acts, NULL);
    mlp_trainer *t;
    size_t np;
    double *g1, *g2, *th0, *th1, *mo, *ve;

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    mlp_train_init_weights(m, 5, NULL);
    fill_gaussian(X, 12, 1.0, 6);
    fill_gaussian(Y, 6, 3.0, 7);
    mlp_train_opts_init(&o);
    o.batch = n; /* one step per epoch, over all samples */
    o.lr = o.lr_final = 0.01;
    o.epochs = 2;
    np = mlp_train_n_params(m);
    g1 = malloc(np * sizeof *g1);
    g2 = malloc(np * sizeof *g2);
    th0 = malloc(np * sizeof *th0);
    th1 = malloc(np * sizeof *th1);
    mo = malloc(np * sizeof *mo);
    ve = malloc(np * sizeof *ve);
    t = mlp_trainer_alloc(m, &o, n, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);

    for (size_t p = 0; p < np; p++)
        th0[p] = *param_ptr(m, p);
    mlp_trainer_loss(t, m, n, X, Y, g1);
    mlp_trainer_epoch(t, m, n, X, Y);
    for (size_t p = 0; p < np; p++) {
        double want;
        mo[p] = (1.0 - o.beta1) * g1[p];
        ve[p] = (1.0 - o.beta2) * g1[p] * g1[p];
        want = th0[p] - o.lr * (mo[p] / (1.0 - o.beta1)) /
                            (sqrt(ve[p] / (1.0 - o.beta2)) + o.epsilon);
        th1[p] = *param_ptr(m, p);
        PB_ASSERT_CLOSE(th1[p], want, 1e-12, 1e-15);
        if (fabs(g1[p]) > 1e-4) /* bias-corrected first step has size ~lr */
            PB_ASSERT_CLOSE(fabs(th1[p] - th0[p]), o.lr, 1e-3, 0.0);
    }
    mlp_trainer_loss(t, m, n, X, Y, g2);
    mlp_trainer_epoch(t, m, n, X, Y);
    for (size_t p = 0; p < np; p++) {
        double m2 = o.beta1 * mo[p] + (1.0 - o.beta1) * g2[p];
        double v2 = o.beta2 * ve[p] + (1.0 - o.beta2) * g2[p] * g2[p];
        double want = th1[p] - o.lr * (m2 / (1.0 - o.beta1 * o.beta1)) /
                                   (sqrt(v2 / (1.0 - o.beta2 * o.beta2)) + o.epsilon);
        PB_ASSERT_CLOSE(*param_ptr(m, p), want, 1e-12, 1e-15);
    }
    CU_ASSERT_EQUAL(mlp_trainer_epochs_done(t), 2);
    free(g1);
    free(g2);
    free(th0);
    free(th1);
    free(mo);
    free(ve);
    mlp_trainer_free(t);
    mlp_free(m);
}

/* A single linear layer trained by minibatch Adam recovers a random linear
 * map y = A x + c exactly (zero residual at the optimum, so every minibatch
 * gradient vanishes there): |W - A| and |b - c| below 1e-6. */
static void test_linear_recovery(void)
{
    enum { NI = 4, NO = 3, N = 256 };
    const size_t sizes[] = {NI, NO};
    double A[NO * NI], c[NO];
    double *X = malloc(N * NI * sizeof *X), *Y = malloc(N * NO * sizeof *Y);
    double loss0, loss = -1.0, werr = 0.0;
    mlp_train_opts o;
    mlp *m = mlp_alloc(1, sizes, NULL, NULL);
    mlp_trainer *t;

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    fill_gaussian(A, NO * NI, 1.0, 21);
    fill_gaussian(c, NO, 1.0, 22);
    fill_gaussian(X, N * NI, 1.0, 23);
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < NO; k++) {
            double s = c[k];
            for (size_t q = 0; q < NI; q++)
                s += A[k * NI + q] * X[i * NI + q];
            Y[i * NO + k] = s;
        }
    mlp_train_init_weights(m, 1, NULL);
    mlp_train_opts_init(&o);
    o.epochs = 1500;
    o.batch = 32;
    o.lr = 3e-2;
    o.lr_final = 1e-4;
    t = mlp_trainer_alloc(m, &o, N, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    loss0 = mlp_trainer_loss(t, m, N, X, Y, NULL);
    mlp_trainer_free(t);
    CU_ASSERT_EQUAL(mlp_train(m, &o, N, X, Y, &loss, NULL), PB_SUCCESS);
    for (size_t i = 0; i < NO * NI; i++)
        werr = fmax(werr, fabs(m->layers[0].W[i] - A[i]));
    for (size_t k = 0; k < NO; k++)
        werr = fmax(werr, fabs(m->layers[0].b[k] - c[k]));
    CU_ASSERT(loss0 > 1.0);
    CU_ASSERT(loss < 1e-12);
    PB_ASSERT_CLOSE(werr, 0.0, 0.0, 1e-6);
    free(X);
    free(Y);
    mlp_free(m);
}

/* Two runs with the same seed give bit-identical weights; another seed
 * gives other weights. */
static void test_deterministic(void)
{
    enum { N = 300 };
    const size_t sizes[] = {2, 16, 16, 1};
    const mlp_act acts[] = {MLP_ACT_TANH, MLP_ACT_TANH, MLP_ACT_LINEAR};
    double X[N * 2], Y[N];
    mlp *m[3];
    mlp_train_opts o;

    fill_gaussian(X, N * 2, 1.0, 31);
    for (size_t i = 0; i < N; i++)
        Y[i] = sin(X[2 * i]) * cos(X[2 * i + 1]);
    mlp_train_opts_init(&o);
    o.epochs = 20;
    o.batch = 16;
    o.lr = 1e-2;
    for (int r = 0; r < 3; r++) {
        unsigned long seed = r < 2 ? 7 : 8;
        m[r] = mlp_alloc(3, sizes, acts, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m[r]);
        mlp_train_init_weights(m[r], seed, NULL);
        o.seed = seed;
        CU_ASSERT_EQUAL(mlp_train(m[r], &o, N, X, Y, NULL, NULL), PB_SUCCESS);
    }
    for (size_t j = 0; j < 3; j++) {
        const mlp_layer *a = &m[0]->layers[j], *b = &m[1]->layers[j], *c = &m[2]->layers[j];
        CU_ASSERT(memcmp(a->W, b->W, a->n_in * a->n_out * sizeof *a->W) == 0);
        CU_ASSERT(memcmp(a->b, b->b, a->n_out * sizeof *a->b) == 0);
        CU_ASSERT(memcmp(a->W, c->W, a->n_in * a->n_out * sizeof *a->W) != 0);
    }
    for (int r = 0; r < 3; r++)
        mlp_free(m[r]);
}

/* Masked weights stay zero through initialisation and training, and their
 * gradient entries are zero. */
static void test_mask_respected(void)
{
    enum { N = 50 };
    const size_t sizes[] = {3, 4, 2};
    const mlp_act acts[] = {MLP_ACT_RELU, MLP_ACT_LINEAR};
    double X[N * 3], Y[N * 2];
    mlp_train_opts o;
    mlp *m = mlp_alloc(2, sizes, acts, NULL);

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    m->layers[0].mask = calloc(12, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m->layers[0].mask);
    for (size_t i = 0; i < 12; i++)
        m->layers[0].mask[i] = (unsigned char)(i % 3 != 0);
    mlp_train_init_weights(m, 3, NULL);
    fill_gaussian(X, N * 3, 1.0, 41);
    fill_gaussian(Y, N * 2, 1.0, 42);
    mlp_train_opts_init(&o);
    o.epochs = 10;
    o.batch = 8;
    CU_ASSERT_EQUAL(mlp_train(m, &o, N, X, Y, NULL, NULL), PB_SUCCESS);
    for (size_t i = 0; i < 12; i++) {
        if (i % 3 == 0) {
            CU_ASSERT_EQUAL(m->layers[0].W[i], 0.0);
        } else {
            CU_ASSERT(m->layers[0].W[i] != 0.0);
        }
    }
    mlp_free(m);
}

/* Every invalid option is refused with PB_EINVAL and a message, and the
 * trainer refuses empty data; nothing leaks on these paths (valgrind). */
static void test_train_bad_options(void)
{
    const size_t sizes[] = {2, 1};
    mlp *m = mlp_alloc(1, sizes, NULL, NULL);
    double X[2] = {1, 2}, Y[1] = {3};
    mlp_train_opts o;
    pb_error err;
    int nc = 0;

#define SPOIL(name, stmt)                                  \
    do {                                                   \
        mlp_train_opts_init(&o);                           \
        stmt;                                              \
        pb_error_clear(&err);                              \
        CU_ASSERT_EQUAL(mlp_train_opts_validate(&o, &err), PB_EINVAL); \
        CU_ASSERT(strstr(err.msg, name) != NULL);          \
        CU_ASSERT_PTR_NULL(mlp_trainer_alloc(m, &o, 10, &err)); \
        CU_ASSERT_EQUAL(err.code, PB_EINVAL);              \
        CU_ASSERT_EQUAL(mlp_train(m, &o, 1, X, Y, NULL, &err), PB_EINVAL); \
        nc++;                                              \
    } while (0)

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    SPOIL("epochs", o.epochs = 0);
    SPOIL("batch", o.batch = 0);
    SPOIL("learning rate", o.lr = 0.0);
    SPOIL("learning rate", o.lr = -1e-3);
    SPOIL("learning rate", o.lr = NAN);
    SPOIL("final learning rate", o.lr_final = 0.0);
    SPOIL("beta1", o.beta1 = 1.0);
    SPOIL("beta2", o.beta2 = -0.1);
    SPOIL("epsilon", o.epsilon = 0.0);
#undef SPOIL
    CU_ASSERT_EQUAL(nc, 9);
    mlp_train_opts_init(&o);
    CU_ASSERT_EQUAL(mlp_train_opts_validate(&o, NULL), PB_SUCCESS);
    CU_ASSERT_PTR_NULL(mlp_trainer_alloc(m, &o, 0, &err));
    CU_ASSERT_EQUAL(err.code, PB_EINVAL);
    CU_ASSERT_EQUAL(mlp_train(m, &o, 0, X, Y, NULL, &err), PB_EINVAL);
    CU_ASSERT_EQUAL(mlp_train(m, &o, 0, X, Y, NULL, NULL), PB_EINVAL);
    /* a huge learning rate on a badly scaled problem must end in ENUMERIC,
     * never in success with non-finite weights */
    {
        double Xb[2] = {1e200, 1e200}, Yb[1] = {1e200};
        o.epochs = 5;
        o.lr = o.lr_final = 1e300;
        CU_ASSERT_EQUAL(mlp_train(m, &o, 1, Xb, Yb, NULL, &err), PB_ENUMERIC);
    }
    mlp_free(m);
}

static const pb_test_case mlp_train_tests[] = {
    {"gradient matches central differences, every activation", test_gradient_central_differences},
    {"loss is the mean squared error", test_loss_is_mse},
    {"Adam's first two steps as in Kingma & Ba, Algorithm 1", test_adam_steps_by_hand},
    {"linear net recovers a random linear map to 1e-6", test_linear_recovery},
    {"bit-identical weights for one seed", test_deterministic},
    {"masked weights stay zero", test_mask_respected},
    {"bad options refused", test_train_bad_options},
    {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {{"mlp_train", mlp_train_tests}, {NULL, NULL}};
