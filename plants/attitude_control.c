/* attitude_control.c: rigid-body attitude control of the ARCH-COMP AINNCS
 * suite (../shared/benchmarks/arch-comp/README.md, attitude_control/):
 * angular velocity (x1, x2, x3), Rodrigues parameters (x4, x5, x6),
 * xi = x4^2 + x5^2 + x6^2:
 *
 *   x1' = 0.25 (u1 + x2 x3),  x2' = 0.5 (u2 - 3 x1 x3),  x3' = u3 + 2 x1 x2
 *   x4' = 0.5 (x2 (xi - x6) + x3 (xi + x5) + x1 (xi + 1))
 *   x5' = 0.5 (x1 (xi + x6) + x3 (xi - x4) + x2 (xi + 1))
 *   x6' = 0.5 (x1 (xi - x5) + x2 (xi + x4) + x3 (xi + 1))
 *
 * in the benchmark's normalised units (inertia diag(4, 2, 1)).  Rest at the
 * origin is the equilibrium. */
#include <math.h>

#include "pb_simd.h"
#include "plant.h"
#include "plant_box.h"

enum { P_UMAX, P_WMAX, P_RHOMAX };

static const plant_var states[] = {{"omega1", "rad/s"}, {"omega2", "rad/s"}, {"omega3", "rad/s"},
                                   {"rho1", "1"},       {"rho2", "1"},       {"rho3", "1"}};
static const plant_var inputs[] = {{"u1", "1"}, {"u2", "1"}, {"u3", "1"}};
static const plant_param params[] = {
    {"u_max", "1", "limit of |u1|, |u2|, |u3| (inf: none)", INFINITY, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"omega_max", "rad/s", "|omega_i| beyond this counts as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"rho_max", "1", "|rho_i| beyond this counts as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
};
static const double lqr_q[] = {1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
static const double lqr_r[] = {1.0, 1.0, 1.0};

/* The right-hand side: one body for f and the lanes of f_batch. */
static inline void rhs(double x1, double x2, double x3, double x4, double x5, double x6,
                       double u1, double u2, double u3, double d[6])
{
    double xi = x4 * x4 + x5 * x5 + x6 * x6;
    d[0] = 0.25 * (u1 + x2 * x3);
    d[1] = 0.5 * (u2 - 3.0 * x1 * x3);
    d[2] = u3 + 2.0 * x1 * x2;
    d[3] = 0.5 * (x2 * (xi - x6) + x3 * (xi + x5) + x1 * (xi + 1.0));
    d[4] = 0.5 * (x1 * (xi + x6) + x3 * (xi - x4) + x2 * (xi + 1.0));
    d[5] = 0.5 * (x1 * (xi - x5) + x2 * (xi + x4) + x3 * (xi + 1.0));
}

static int f(double t, const double x[], const double u[], const double p[], double dxdt[])
{
    (void)t;
    (void)p;
    rhs(x[0], x[1], x[2], x[3], x[4], x[5], u[0], u[1], u[2], dxdt);
    for (int i = 0; i < 6; i++)
        if (!isfinite(dxdt[i]))
            return PB_EDIVERGED;
    return PB_SUCCESS;
}

/* f over the lanes of a batch, term for term (pb_simd.h); X, U, dX in the
 * f_batch layout of plant.h. */
PB_SIMD_CLONES static void f_lanes(size_t n, size_t ld, const double *restrict X,
                                      const double *restrict U, double *restrict dX)
{
    for (size_t s = 0; s < n; s++) {
        double d[6];
        rhs(X[s], X[ld + s], X[2 * ld + s], X[3 * ld + s], X[4 * ld + s], X[5 * ld + s], U[s],
            U[ld + s], U[2 * ld + s], d);
        for (int i = 0; i < 6; i++)
            dX[i * ld + s] = d[i];
    }
}

/* The type's f_batch (plant.h).  A non-finite result is left in dX: f's only
 * divergence is a non-finite dxdt. */
static void f_batch(double t, size_t n, size_t ld, const double X[], const double U[],
                    const double P[], double dX[], double w[])
{
    (void)t;
    (void)P;
    (void)w;
    f_lanes(n, ld, X, U, dX);
}

/* dfdx (6 x 6), dfdu (6 x 3), term by term from rhs (d xi / d x_k = 2 x_k). */
static int jac(double t, const double x[], const double u[], const double p[], double dfdx[],
               double dfdu[])
{
    double x1 = x[0], x2 = x[1], x3 = x[2], x4 = x[3], x5 = x[4], x6 = x[5];
    double xi = x4 * x4 + x5 * x5 + x6 * x6, S = x1 + x2 + x3;
    (void)t;
    (void)u;
    (void)p;
    if (dfdx) {
        double *J = dfdx;
        for (int i = 0; i < 36; i++)
            J[i] = 0.0;
        J[0 * 6 + 1] = 0.25 * x3;
        J[0 * 6 + 2] = 0.25 * x2;
        J[1 * 6 + 0] = -1.5 * x3;
        J[1 * 6 + 2] = -1.5 * x1;
        J[2 * 6 + 0] = 2.0 * x2;
        J[2 * 6 + 1] = 2.0 * x1;
        /* x4' */
        J[3 * 6 + 0] = 0.5 * (xi + 1.0);
        J[3 * 6 + 1] = 0.5 * (xi - x6);
        J[3 * 6 + 2] = 0.5 * (xi + x5);
        J[3 * 6 + 3] = S * x4;
        J[3 * 6 + 4] = S * x5 + 0.5 * x3;
        J[3 * 6 + 5] = S * x6 - 0.5 * x2;
        /* x5' */
        J[4 * 6 + 0] = 0.5 * (xi + x6);
        J[4 * 6 + 1] = 0.5 * (xi + 1.0);
        J[4 * 6 + 2] = 0.5 * (xi - x4);
        J[4 * 6 + 3] = S * x4 - 0.5 * x3;
        J[4 * 6 + 4] = S * x5;
        J[4 * 6 + 5] = S * x6 + 0.5 * x1;
        /* x6' */
        J[5 * 6 + 0] = 0.5 * (xi - x5);
        J[5 * 6 + 1] = 0.5 * (xi + x4);
        J[5 * 6 + 2] = 0.5 * (xi + 1.0);
        J[5 * 6 + 3] = S * x4 + 0.5 * x2;
        J[5 * 6 + 4] = S * x5 - 0.5 * x1;
        J[5 * 6 + 5] = S * x6;
    }
    if (dfdu) {
        for (int i = 0; i < 18; i++)
            dfdu[i] = 0.0;
        dfdu[0 * 3 + 0] = 0.25;
        dfdu[1 * 3 + 1] = 0.5;
        dfdu[2 * 3 + 2] = 1.0;
    }
    return PB_SUCCESS;
}

#ifdef PB_WITH_TUBE
/* z := 0.5 (a (xi + b) + c (xi + d) + e (xi + 1)), sb, sd = +-1 the signs of
 * b and d in rhs's rows x4' .. x6'. */
static void rod_row(arb_t z, const arb_t a, const arb_t b, int sb, const arb_t c, const arb_t d,
                    int sd, const arb_t e, const arb_t xi, arb_t t, slong prec)
{
    (sb > 0 ? arb_add : arb_sub)(t, xi, b, prec);
    arb_mul(z, a, t, prec);
    (sd > 0 ? arb_add : arb_sub)(t, xi, d, prec);
    arb_addmul(z, c, t, prec);
    arb_add_ui(t, xi, 1, prec);
    arb_addmul(z, e, t, prec);
    arb_mul_2exp_si(z, z, -1);
}

/* The type's jac_box (plant.h): rhs and jac above, line for line, in Arb's
 * ball arithmetic over the box (polynomials: each interval extension
 * encloses its range; the squares in xi through plant_box_sqr). */
static int box_eval(const double x[], const double u[], const double p[], double fb[],
                    double dfdx[], double dfdu[])
{
    const slong prec = PLANT_BOX_PREC;
    enum { X1, X2, X3, X4, X5, X6, XI, S, V, T, NV };
    arb_t a[NV];
    int rc = PB_SUCCESS;
    (void)p;
    for (int i = 0; i < NV; i++)
        arb_init(a[i]);
    for (int i = 0; i < 6; i++)
        plant_box_get(a[X1 + i], x + 2 * i);
    plant_box_sqr(a[XI], a[X4], prec);
    plant_box_sqr(a[V], a[X5], prec);
    arb_add(a[XI], a[XI], a[V], prec);
    plant_box_sqr(a[V], a[X6], prec);
    arb_add(a[XI], a[XI], a[V], prec);
    if (fb) {
        arb_mul(a[V], a[X2], a[X3], prec); /* 0.25 (u1 + x2 x3) */
        plant_box_get(a[T], u);
        arb_add(a[V], a[V], a[T], prec);
        arb_mul_2exp_si(a[V], a[V], -2);
        rc |= plant_box_put(a[V], fb);
        arb_mul(a[V], a[X1], a[X3], prec); /* 0.5 (u2 - 3 x1 x3) */
        arb_mul_si(a[V], a[V], -3, prec);
        plant_box_get(a[T], u + 2);
        arb_add(a[V], a[V], a[T], prec);
        arb_mul_2exp_si(a[V], a[V], -1);
        rc |= plant_box_put(a[V], fb + 2);
        arb_mul(a[V], a[X1], a[X2], prec); /* u3 + 2 x1 x2 */
        arb_mul_2exp_si(a[V], a[V], 1);
        plant_box_get(a[T], u + 4);
        arb_add(a[V], a[V], a[T], prec);
        rc |= plant_box_put(a[V], fb + 4);
        /* x4' = 0.5 (x2 (xi - x6) + x3 (xi + x5) + x1 (xi + 1)) */
        rod_row(a[V], a[X2], a[X6], -1, a[X3], a[X5], 1, a[X1], a[XI], a[T], prec);
        rc |= plant_box_put(a[V], fb + 6);
        /* x5' = 0.5 (x1 (xi + x6) + x3 (xi - x4) + x2 (xi + 1)) */
        rod_row(a[V], a[X1], a[X6], 1, a[X3], a[X4], -1, a[X2], a[XI], a[T], prec);
        rc |= plant_box_put(a[V], fb + 8);
        /* x6' = 0.5 (x1 (xi - x5) + x2 (xi + x4) + x3 (xi + 1)) */
        rod_row(a[V], a[X1], a[X5], -1, a[X2], a[X4], 1, a[X3], a[XI], a[T], prec);
        rc |= plant_box_put(a[V], fb + 10);
    }
    if (dfdx) {
        /* (row, column, factor, variable): the entries k x_j of the first
         * three rows, and 0.5 (xi + s x_j) or S x_j + s 0.5 x_j of the others */
        static const struct { int i, j; double k; int var; } lin[] = {
            {0, 1, 0.25, X3}, {0, 2, 0.25, X2}, {1, 0, -1.5, X3}, {1, 2, -1.5, X1},
            {2, 0, 2.0, X2},  {2, 1, 2.0, X1}};
        /* 0.5 (xi + s v) (v = -1: the constant 1, s = 0: xi alone) */
        static const struct { int i, j; double s; int var; } half[] = {
            {3, 0, 1.0, -1}, {3, 1, -1.0, X6}, {3, 2, 1.0, X5},
            {4, 0, 1.0, X6}, {4, 1, 1.0, -1},  {4, 2, -1.0, X4},
            {5, 0, -1.0, X5}, {5, 1, 1.0, X4}, {5, 2, 1.0, -1}};
        /* S x_k + 0.5 s v over the columns 3..5 (s = 0: S x_k alone) */
        static const struct { int i, k; double s; int var; } rho[] = {
            {3, 3, 0.0, 0},  {3, 4, 1.0, X3},  {3, 5, -1.0, X2},
            {4, 3, -1.0, X3}, {4, 4, 0.0, 0},  {4, 5, 1.0, X1},
            {5, 3, 1.0, X2}, {5, 4, -1.0, X1}, {5, 5, 0.0, 0}};
        for (int i = 0; i < 2 * 36; i++)
            dfdx[i] = 0.0;
        for (size_t e = 0; e < sizeof lin / sizeof lin[0]; e++) {
            plant_arb_mul_d(a[V], a[lin[e].var], lin[e].k, prec);
            rc |= plant_box_put(a[V], dfdx + 2 * (lin[e].i * 6 + lin[e].j));
        }
        for (size_t e = 0; e < sizeof half / sizeof half[0]; e++) {
            if (half[e].var < 0)
                arb_add_ui(a[V], a[XI], 1, prec);
            else
                (half[e].s > 0 ? arb_add : arb_sub)(a[V], a[XI], a[half[e].var], prec);
            arb_mul_2exp_si(a[V], a[V], -1);
            rc |= plant_box_put(a[V], dfdx + 2 * (half[e].i * 6 + half[e].j));
        }
        arb_add(a[S], a[X1], a[X2], prec); /* S = x1 + x2 + x3 */
        arb_add(a[S], a[S], a[X3], prec);
        for (size_t e = 0; e < sizeof rho / sizeof rho[0]; e++) {
            arb_mul(a[V], a[S], a[X1 + rho[e].k], prec);
            if (rho[e].s != 0.0) {
                arb_mul_2exp_si(a[T], a[rho[e].var], -1);
                (rho[e].s > 0 ? arb_add : arb_sub)(a[V], a[V], a[T], prec);
            }
            rc |= plant_box_put(a[V], dfdx + 2 * (rho[e].i * 6 + rho[e].k));
        }
    }
    if (dfdu) {
        for (int i = 0; i < 2 * 18; i++)
            dfdu[i] = 0.0;
        dfdu[2 * (0 * 3 + 0)] = dfdu[2 * (0 * 3 + 0) + 1] = 0.25;
        dfdu[2 * (1 * 3 + 1)] = dfdu[2 * (1 * 3 + 1) + 1] = 0.5;
        dfdu[2 * (2 * 3 + 2)] = dfdu[2 * (2 * 3 + 2) + 1] = 1.0;
    }
    for (int i = 0; i < NV; i++)
        arb_clear(a[i]);
    return rc ? PB_EDIVERGED : PB_SUCCESS;
}
#define JAC_BOX box_eval
#else
#define JAC_BOX NULL
#endif

static void equilibrium(const double p[], double x[], double u[])
{
    (void)p;
    for (int i = 0; i < 6; i++)
        x[i] = 0.0;
    u[0] = u[1] = u[2] = 0.0;
}

static void input_limits(const double p[], double lo[], double hi[])
{
    for (int j = 0; j < 3; j++) {
        lo[j] = -p[P_UMAX];
        hi[j] = p[P_UMAX];
    }
}

static void state_limits(const double p[], double lo[], double hi[])
{
    for (int i = 0; i < 6; i++) {
        double m = p[i < 3 ? P_WMAX : P_RHOMAX];
        lo[i] = -m;
        hi[i] = m;
    }
}

const plant_type plant_attitude_control = {
    .name = "attitude_control",
    .equation = "ARCH-COMP attitude control: x1' = 0.25 (u1 + x2 x3), x2' = 0.5 (u2 - 3 x1 x3), "
                "x3' = u3 + 2 x1 x2; Rodrigues parameters with xi = x4^2 + x5^2 + x6^2: x4' = 0.5 "
                "(x2 (xi - x6) + x3 (xi + x5) + x1 (xi + 1)), x5' = 0.5 (x1 (xi + x6) + x3 (xi - "
                "x4) + x2 (xi + 1)), x6' = 0.5 (x1 (xi - x5) + x2 (xi + x4) + x3 (xi + 1))",
    .nx = 6,
    .nu = 3,
    .np = sizeof params / sizeof params[0],
    .states = states,
    .inputs = inputs,
    .params = params,
    .f = f,
    .f_batch = f_batch,
    .jac = jac,
    .equilibrium = equilibrium,
    .input_limits = input_limits,
    .state_limits = state_limits,
    .validate = NULL,
    .lqr_q = lqr_q,
    .lqr_r = lqr_r,
    .period = 0.1,
    .jac_box = JAC_BOX,
};
