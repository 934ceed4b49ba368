/* test_tube.c: the certified closed-loop tube (sim/tube/tube.h, docs/TUBE.md)
 * against independent oracles:
 *  - every plant type's interval Jacobian (jac_box) holds the point f and
 *    Jacobian at 10^4 random points of random boxes;
 *  - on linear plants x' = A x + B u the exact sampled loops are
 *    x_{k+1} = Phi x_k + Gamma u_k with [Phi Gamma; 0 I] = expm([A B; 0 0] h):
 *    with a linear controller the tube equals the exact error propagation,
 *    computed by mpmath at 256 bits, to rounding (a few ulps of the
 *    condition), and with random MLP controllers it holds at every row
 *    (expm by GSL's gsl_linalg_exponential_ss);
 *  - the shipped configs that support the tube (pendulum, cart-pole, the
 *    ARCH single pendulum, the ARCH cart-pole and TORA) hold at every
 *    recorded row, read back by h5py. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "mlp.h"
#include "pb_test.h"
#include "plant.h"
#include "plant_box.h"
#include "plant_user.h"
#include "sim.h"
#include "sim_ref.h"
#include "tube.h"

/* ---------------------------------------------------- interval Jacobians */

static int inside(const double pair[2], double v)
{
    double tol = 1e-10 * (1.0 + fabs(v)); /* the point value's own rounding */
    return v >= pair[0] - tol && v <= pair[1] + tol;
}

/* A random box around c[0..n) with half-widths hw times a uniform factor
 * (every one exactly hw when all), clipped to [lo, hi]: b holds its n
 * intervals, pt a uniform random point of it. */
static void box_draw(gsl_rng *r, size_t n, const double c[], double hw, int all,
                     const double lo[], const double hi[], double b[], double pt[])
{
    for (size_t i = 0; i < n; i++) {
        double h = all ? hw : hw * gsl_rng_uniform_pos(r);
        b[2 * i] = fmax(c[i] - h, lo[i]);
        b[2 * i + 1] = fmin(c[i] + h, hi[i]);
        pt[i] = gsl_ran_flat(r, b[2 * i], b[2 * i + 1]);
    }
}

/* A random centre: c* itself, or uniform in [lo, hi] cut to [-10, 10]. */
static void box_centre(gsl_rng *r, size_t n, const double cstar[], int at_star,
                       const double lo[], const double hi[], double c[])
{
    for (size_t i = 0; i < n; i++)
        c[i] = at_star ? cstar[i] : gsl_ran_flat(r, fmax(lo[i], -10.0), fmin(hi[i], 10.0));
}

/* Every registered plant type has the slot, and for each, 10^4 random boxes
 * (half centred on the equilibrium, half on a random state and input within
 * the limits; half-widths from 5e-10 to 2, every tenth box 1e-9 wide in
 * every state and input) with a random point each, against three oracles:
 *  - the point f and jac lie in the enclosures;
 *  - the mean value theorem: for each state or input j, the difference
 *    quotient (f(z') - f(z)) / (z'_j - z_j) of two points of the box that
 *    differ in entry j only equals a column j of the Jacobian at a point
 *    between them, so it lies in the enclosure of that column (this checks
 *    the slot's Jacobian against f itself, not against jac);
 *  - not vacuous: on the boxes 1e-9 wide every interval is narrower than
 *    1e-6 (1 + |point value|).
 * A box reaching |theta| = pi/2, where quadrotor's and airplane's psi' is not
 * defined, gives PB_EDIVERGED. */
static void test_jac_box_contains(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t types = 0, with = 0;

    gsl_rng_set(r, 2020);
    for (size_t ti = 0; plant_types[ti]; ti++) {
        const plant_type *T = plant_types[ti];
        const size_t nx = T->nx, nu = T->nu;
        double xs[PLANT_NX_MAX], us[PLANT_NU_MAX], xlo[PLANT_NX_MAX], xhi[PLANT_NX_MAX];
        double ulo[PLANT_NU_MAX], uhi[PLANT_NU_MAX];
        long bad = 0, wide = 0, mv = 0, mv_checked = 0, fails = 0;
        plant *m;
        types++;
        if (!T->jac_box) {
            fprintf(stderr, "\n%s: no jac_box\n", T->name);
            continue;
        }
        with++;
        m = plant_alloc(T);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        T->equilibrium(m->p, xs, us);
        T->state_limits(m->p, xlo, xhi);
        T->input_limits(m->p, ulo, uhi);
        for (int n = 0; n < 10000; n++) {
            double xb[2 * PLANT_NX_MAX], ub[2 * PLANT_NU_MAX], x[PLANT_NX_MAX], u[PLANT_NU_MAX];
            double xc[PLANT_NX_MAX], uc[PLANT_NU_MAX];
            double fb[2 * PLANT_NX_MAX], jx[2 * PLANT_NX_MAX * PLANT_NX_MAX];
            double ju[2 * PLANT_NX_MAX * PLANT_NU_MAX];
            double f[PLANT_NX_MAX], f2[PLANT_NX_MAX], dfdx[PLANT_NX_MAX * PLANT_NX_MAX];
            double dfdu[PLANT_NX_MAX * PLANT_NU_MAX];
            int tiny = n % 10 == 9;
            double hw = tiny ? 5e-10 : 0.5e-9 * pow(10.0, gsl_rng_uniform(r) * 9.6); /* to 2 */
            box_centre(r, nx, xs, n % 2 == 0, xlo, xhi, xc);
            box_centre(r, nu, us, n % 2 == 0, ulo, uhi, uc);
            box_draw(r, nx, xc, hw, tiny, xlo, xhi, xb, x);
            box_draw(r, nu, uc, hw, tiny, ulo, uhi, ub, u);
            if (T->jac_box(xb, ub, m->p, fb, jx, ju) != PB_SUCCESS) {
                fails++;
                continue;
            }
            CU_ASSERT_EQUAL_FATAL(T->f(0.0, x, u, m->p, f), PB_SUCCESS);
            CU_ASSERT_EQUAL_FATAL(T->jac(0.0, x, u, m->p, dfdx, dfdu), PB_SUCCESS);
            for (size_t i = 0; i < nx; i++) {
                bad += !inside(fb + 2 * i, f[i]);
                for (size_t j = 0; j < nx; j++)
                    bad += !inside(jx + 2 * (i * nx + j), dfdx[i * nx + j]);
                for (size_t j = 0; j < nu; j++)
                    bad += !inside(ju + 2 * (i * nu + j), dfdu[i * nu + j]);
                if (tiny) {
                    wide += fb[2 * i + 1] - fb[2 * i] > 1e-6 * (1.0 + fabs(f[i]));
                    for (size_t j = 0; j < nx; j++)
                        wide += jx[2 * (i * nx + j) + 1] - jx[2 * (i * nx + j)] >
                                1e-6 * (1.0 + fabs(dfdx[i * nx + j]));
                    for (size_t j = 0; j < nu; j++)
                        wide += ju[2 * (i * nu + j) + 1] - ju[2 * (i * nu + j)] >
                                1e-6 * (1.0 + fabs(dfdu[i * nu + j]));
                }
            }
            /* the mean value theorem, entry by entry of (x, u) */
            for (size_t j = 0; j < nx + nu; j++) {
                double *z = j < nx ? x + j : u + (j - nx);
                const double *zb = j < nx ? xb + 2 * j : ub + 2 * (j - nx);
                double z0 = *z, z1 = gsl_ran_flat(r, zb[0], zb[1]), dz = z1 - z0;
                if (fabs(dz) < 1e-4)
                    continue;
                *z = z1;
                CU_ASSERT_EQUAL_FATAL(T->f(0.0, x, u, m->p, f2), PB_SUCCESS);
                *z = z0;
                for (size_t i = 0; i < nx; i++) {
                    const double *e = j < nx ? jx + 2 * (i * nx + j) : ju + 2 * (i * nu + j - nx);
                    double q = (f2[i] - f[i]) / dz;
                    double tol = 1e-10 * ((1.0 + fabs(f[i]) + fabs(f2[i])) / fabs(dz) + fabs(q));
                    mv += q < e[0] - tol || q > e[1] + tol;
                    mv_checked++;
                }
            }
        }
        if (bad || wide || mv || fails)
            fprintf(stderr, "\n%s: %ld value(s) outside, %ld difference quotient(s) outside, "
                    "%ld interval(s) too wide, %ld box(es) refused\n",
                    T->name, bad, mv, wide, fails);
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT_EQUAL(mv, 0);
        CU_ASSERT_EQUAL(wide, 0);
        CU_ASSERT_EQUAL(fails, 0);
        CU_ASSERT(mv_checked > 1000);
        plant_free(m);
    }
    /* every registered (built-in) type has the slot; user-defined types
     * (plant_user.h) are built at run time and are not in the registry */
    CU_ASSERT_EQUAL(with, types);
    CU_ASSERT(types >= 12);
    /* where psi' = (...) / cos theta is not defined on the box */
    {
        const char *sing[] = {"quadrotor", "quadrotor_arch", "airplane"};
        for (int k = 0; k < 3; k++) {
            const plant_type *T = plant_find(sing[k]);
            plant *m = plant_alloc(T);
            double xb[2 * PLANT_NX_MAX] = {0.0}, ub[2 * PLANT_NU_MAX] = {0.0};
            double fb[2 * PLANT_NX_MAX], jx[2 * PLANT_NX_MAX * PLANT_NX_MAX];
            double ju[2 * PLANT_NX_MAX * PLANT_NU_MAX];
            CU_ASSERT_PTR_NOT_NULL_FATAL(m);
            xb[2 * 7] = 1.5; /* theta in [1.5, 1.6], pi/2 inside */
            xb[2 * 7 + 1] = 1.6;
            xb[2 * 11 + 1] = 0.1; /* a rate the 1/cos theta terms multiply */
            CU_ASSERT_EQUAL(T->jac_box(xb, ub, m->p, fb, jx, ju), PB_EDIVERGED);
            CU_ASSERT_EQUAL(T->jac_box(xb, ub, m->p, fb, NULL, NULL), PB_EDIVERGED);
            plant_free(m);
        }
    }
    gsl_rng_free(r);
}

/* ------------------------------------------------ a linear test plant */

#define LNX 3
#define LNU 1
/* Parameters: A (LNX x LNX) then B (LNX x LNU), row-major. */
static const plant_var lin_states[] = {{"x1", "-"}, {"x2", "-"}, {"x3", "-"}};
static const plant_var lin_inputs[] = {{"u", "-"}};
#define LP(n)                                                                                      \
    {                                                                                              \
        n, "-", "matrix entry", 0.0, -1e6, 1e6, 0                                                  \
    }
static const plant_param lin_params[] = {LP("a00"), LP("a01"), LP("a02"), LP("a10"),
                                         LP("a11"), LP("a12"), LP("a20"), LP("a21"),
                                         LP("a22"), LP("b0"),  LP("b1"),  LP("b2")};
static const double lin_q[] = {1, 1, 1}, lin_r[] = {1};

static int lin_f(double t, const double x[], const double u[], const double p[], double dxdt[])
{
    (void)t;
    for (int i = 0; i < LNX; i++) {
        dxdt[i] = p[LNX * LNX + i] * u[0];
        for (int j = 0; j < LNX; j++)
            dxdt[i] += p[i * LNX + j] * x[j];
    }
    return PB_SUCCESS;
}

static int lin_jac(double t, const double x[], const double u[], const double p[], double dfdx[],
                   double dfdu[])
{
    (void)t, (void)x, (void)u;
    for (int i = 0; i < LNX * LNX && dfdx; i++)
        dfdx[i] = p[i];
    for (int i = 0; i < LNX && dfdu; i++)
        dfdu[i] = p[LNX * LNX + i];
    return PB_SUCCESS;
}

/* f = A X + B U over the box in Arb, the constant Jacobians exactly. */
static int lin_jac_box(const double x[], const double u[], const double p[], double fb[],
                       double dfdx[], double dfdu[])
{
    int rc = 0;
    if (fb) {
        arb_t s, xi;
        arb_init(s);
        arb_init(xi);
        for (int i = 0; i < LNX; i++) {
            plant_box_get(xi, u);
            arb_zero(s);
            plant_arb_addmul_d(s, xi, p[LNX * LNX + i], PLANT_BOX_PREC);
            for (int j = 0; j < LNX; j++) {
                plant_box_get(xi, x + 2 * j);
                plant_arb_addmul_d(s, xi, p[i * LNX + j], PLANT_BOX_PREC);
            }
            rc |= plant_box_put(s, fb + 2 * i);
        }
        arb_clear(s);
        arb_clear(xi);
    }
    for (int i = 0; i < LNX * LNX && dfdx; i++)
        dfdx[2 * i] = dfdx[2 * i + 1] = p[i];
    for (int i = 0; i < LNX && dfdu; i++)
        dfdu[2 * i] = dfdu[2 * i + 1] = p[LNX * LNX + i];
    return rc ? PB_EDIVERGED : PB_SUCCESS;
}

static void lin_eq(const double p[], double x[], double u[])
{
    (void)p;
    memset(x, 0, LNX * sizeof *x);
    u[0] = 0.0;
}

static void lin_inf(const double p[], double lo[], double hi[])
{
    (void)p;
    for (int i = 0; i < LNX; i++)
        lo[i] = -INFINITY, hi[i] = INFINITY;
}

static const plant_type lin_type = {
    .name = "test_linear",
    .equation = "x' = A x + B u",
    .nx = LNX,
    .nu = LNU,
    .np = LNX * LNX + LNX * LNU,
    .states = lin_states,
    .inputs = lin_inputs,
    .params = lin_params,
    .f = lin_f,
    .jac = lin_jac,
    .equilibrium = lin_eq,
    .input_limits = lin_inf,
    .state_limits = lin_inf,
    .lqr_q = lin_q,
    .lqr_r = lin_r,
    .period = 0.05,
    .jac_box = lin_jac_box,
};

#define H     0.05
#define STEPS 40

/* Phi (LNX x LNX), Gamma (LNX x LNU) of the period: the blocks of
 * expm([A B; 0 0] H) (GSL, Moler and Van Loan's scaling and squaring). */
static void discretise(const double p[], double Phi[], double Gam[])
{
    gsl_matrix *M = gsl_matrix_calloc(LNX + LNU, LNX + LNU);
    gsl_matrix *E = gsl_matrix_alloc(LNX + LNU, LNX + LNU);
    for (int i = 0; i < LNX; i++) {
        for (int j = 0; j < LNX; j++)
            gsl_matrix_set(M, i, j, p[i * LNX + j] * H);
        gsl_matrix_set(M, i, LNX, p[LNX * LNX + i] * H);
    }
    CU_ASSERT_EQUAL(gsl_linalg_exponential_ss(M, E, GSL_PREC_DOUBLE), GSL_SUCCESS);
    for (int i = 0; i < LNX; i++) {
        for (int j = 0; j < LNX; j++)
            Phi[i * LNX + j] = gsl_matrix_get(E, i, j);
        Gam[i] = gsl_matrix_get(E, i, LNX);
    }
    gsl_matrix_free(M);
    gsl_matrix_free(E);
}

/* One exact period of the sampled loop: x := Phi x + Gamma pi(x). */
static void loop_step(const double Phi[], const double Gam[], const mlp *net, mlp_work *w,
                      double x[])
{
    double u[LNU], y[LNX];
    mlp_eval(net, w, x, u);
    for (int i = 0; i < LNX; i++) {
        y[i] = Gam[i] * u[0];
        for (int j = 0; j < LNX; j++)
            y[i] += Phi[i * LNX + j] * x[j];
    }
    memcpy(x, y, sizeof y);
}

/* The tube of `pruned` against `orig` on plant pl from x0, next to the exact
 * deviations of the two loops (dev, from the expm discretisation). */
static void tube_vs_exact(const plant *pl, const mlp *orig, const mlp *pruned, const double x0[],
                          const tube_opts *o, double bound[], double dev[])
{
    plant_integrator in;
    sim_ref ref;
    sim_criterion crit;
    sim_variant var;
    sim_model *m;
    sim_trace tr;
    tube *tb;
    tube_info info;
    mlp_work *w1 = mlp_work_alloc(orig, 1, NULL), *w2 = mlp_work_alloc(pruned, 1, NULL);
    double Phi[LNX * LNX], Gam[LNX], xo[LNX], xp[LNX];
    pb_error err;

    plant_integrator_init(&in);
    sim_ref_init_setpoint(&ref, LNX, NULL);
    sim_criterion_init(&crit);
    memset(&var, 0, sizeof var);
    snprintf(var.label, sizeof var.label, "pruned");
    snprintf(var.pattern, sizeof var.pattern, "unstructured");
    var.net = pruned;
    m = sim_model_alloc(pl, &in, H, H * STEPS, &ref, SIM_INPUT_STATE, &crit,
                        &(sim_policy){orig, NULL, NULL}, 1, &var, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL_FATAL(sim_trace_init(&tr, m, &err), PB_SUCCESS);
    /* the record: the exact original loop (to rounding) */
    discretise(pl->p, Phi, Gam);
    memcpy(xo, x0, sizeof xo);
    memcpy(xp, x0, sizeof xp);
    for (size_t k = 0; k <= STEPS; k++) {
        tr.t[k] = (double)k * H;
        memcpy(tr.x + k * LNX, xo, sizeof xo);
        mlp_eval(orig, w1, xo, tr.u + k * LNU);
        memcpy(tr.s + k * LNX, xo, sizeof xo);
        dev[k] = sqrt((xo[0] - xp[0]) * (xo[0] - xp[0]) + (xo[1] - xp[1]) * (xo[1] - xp[1]) +
                      (xo[2] - xp[2]) * (xo[2] - xp[2]));
        loop_step(Phi, Gam, orig, w1, xo);
        loop_step(Phi, Gam, pruned, w2, xp);
    }
    tr.diverged_step = -1;
    tb = tube_alloc(m, o, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tb);
    CU_ASSERT_EQUAL(tube_prepare(tb, &tr, NULL, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(tube_eval(tb, pruned, bound, &info, &err), PB_SUCCESS);
    tube_free(tb);
    sim_trace_free(&tr);
    sim_model_free(m);
    mlp_work_free(w1);
    mlp_work_free(w2);
}

static plant *linear_plant(gsl_rng *r, double scale)
{
    plant *pl = plant_alloc(&lin_type);
    for (size_t i = 0; i < lin_type.np; i++)
        pl->p[i] = scale * gsl_ran_gaussian(r, 1.0);
    return pl;
}

/* The exact error propagation of a linear loop, in mpmath at 256 bits: with
 * [Phi Gam; 0 I] = expm([A B; 0 0] h) (mpmath's own expm, independent of the
 * tube's Arb and of GSL), x_{k+1} = (Phi + Gam K) x_k and
 *   e_{k+1} = (Phi + Gam K) e_k + Gam (K^ - K) x^_k,   x^_k = x_k + e_k,
 * e_0 = 0.  Each line of argv[1]: A (9), B (3), K (3), K^ (3), x0 (3), then
 * the tube's bound at rows 0 .. STEPS, all in C's %a.  The condition of row
 * k is cond_k = sum_{j<=k} ||Psi^(k-j)||_2 (||x_j|| + ||x^_j||), Psi = Phi +
 * Gam K: the deviation a rounding of relative size u in both states at every
 * step can cause at row k.  Prints the rows, the rows whose bound is below
 * the exact deviation, and the largest (bound - exact) / (u cond_k). */
static const char *lin_exact_py =
    "import sys, mpmath as mp\n"
    "mp.mp.prec = 256\n"
    "u = mp.mpf(2) ** -53; n = 3\n"
    "h = mp.mpf(float.fromhex(sys.argv[2])); steps = int(sys.argv[3])\n"
    "rows = below = 0; worst = mp.mpf(0)\n"
    "for line in open(sys.argv[1]):\n"
    "    v = [mp.mpf(float.fromhex(t)) for t in line.split()]\n"
    "    A = mp.matrix(3, 3); B = mp.matrix(3, 1)\n"
    "    for i in range(3):\n"
    "        B[i, 0] = v[9 + i]\n"
    "        for j in range(3): A[i, j] = v[3 * i + j]\n"
    "    K = mp.matrix([v[12:15]]); Kh = mp.matrix([v[15:18]])\n"
    "    x = mp.matrix(v[18:21]); bound = v[21:]\n"
    "    M = mp.zeros(4, 4)\n"
    "    for i in range(3):\n"
    "        M[i, 3] = B[i, 0] * h\n"
    "        for j in range(3): M[i, j] = A[i, j] * h\n"
    "    E = mp.expm(M)\n"
    "    Phi = E[0:3, 0:3]; Gam = E[0:3, 3]\n"
    "    Psi = Phi + Gam * K\n"
    "    e = mp.zeros(3, 1); mags = []; pw = []; P = mp.eye(3)\n"
    "    for k in range(steps + 1):\n"
    "        pw.append(max(mp.svd_r(P, compute_uv=False))); P = Psi * P\n"
    "    for k in range(steps + 1):\n"
    "        mags.append(mp.norm(x) + mp.norm(x + e))\n"
    "        cond = mp.fsum(pw[k - j] * mags[j] for j in range(k + 1))\n"
    "        dev = mp.norm(e); b = bound[k]; rows += 1\n"
    "        if b < dev: below += 1; print('row', k, 'bound', b, '< exact', dev, file=sys.stderr)\n"
    "        worst = max(worst, (b - dev) / (u * cond))\n"
    "        e = Psi * e + Gam * ((Kh - K) * (x + e))\n"
    "        x = Psi * x\n"
    "print(rows, below, mp.nstr(worst, 6))\n";

/* A linear plant under a linear controller u = K x (one linear layer) and a
 * "pruned" K^ (one gain zeroed): the tube equals the exact error
 * propagation (lin_exact_py) to rounding.  The tube's Taylor forms are of
 * degree 12 (flow state) and order 12 (Jacobian), so their remainders are
 * far below the rounding; what is left is the rounding of the centres to
 * doubles, asserted below 16 ulps of the condition cond_k at every row. */
static void test_linear_linear_exact(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t sizes[] = {LNX, LNU};
    mlp_act acts[] = {MLP_ACT_LINEAR};
    const char *path = pb_test_path("linear_exact.txt");
    char args[1200], out[4096];
    long rows = 0, below = -1;
    double worst = INFINITY;
    tube_opts o;
    FILE *f;

    if (!pb_test_have_python()) {
        pb_test_skip("python3 with mpmath is needed for the exact error propagation");
        gsl_rng_free(r);
        return;
    }
    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    gsl_rng_set(r, 77);
    tube_opts_init(&o);
    o.taylor = 12;
    o.order = 12;
    o.substeps_point = o.substeps_point_max = 4;
    o.substeps_set = 4;
    for (int c = 0; c < 5; c++) {
        plant *pl = linear_plant(r, 0.5);
        mlp *K = mlp_alloc(1, sizes, acts, NULL), *Kh;
        double x0[LNX], bound[STEPS + 1], dev[STEPS + 1];
        for (int j = 0; j < LNX; j++) {
            K->layers[0].W[j] = gsl_ran_gaussian(r, 1.0);
            x0[j] = gsl_ran_gaussian(r, 1.0);
        }
        Kh = mlp_clone(K, NULL);
        Kh->layers[0].W[c % LNX] = 0.0; /* "pruned" */
        tube_vs_exact(pl, K, Kh, x0, &o, bound, dev);
        for (size_t i = 0; i < lin_type.np; i++)
            fprintf(f, "%a ", pl->p[i]);
        for (int j = 0; j < LNX; j++)
            fprintf(f, "%a ", K->layers[0].W[j]);
        for (int j = 0; j < LNX; j++)
            fprintf(f, "%a ", Kh->layers[0].W[j]);
        for (int j = 0; j < LNX; j++)
            fprintf(f, "%a ", x0[j]);
        for (int k = 0; k <= STEPS; k++)
            fprintf(f, "%a%c", bound[k], k == STEPS ? '\n' : ' ');
        mlp_free(K);
        mlp_free(Kh);
        plant_free(pl);
    }
    fclose(f);
    snprintf(args, sizeof args, "'%s' %a %d", path, H, STEPS);
    CU_ASSERT_EQUAL_FATAL(pb_test_python(lin_exact_py, args, out, sizeof out), 0);
    CU_ASSERT_EQUAL(sscanf(out, "%ld %ld %lf", &rows, &below, &worst), 3);
    fprintf(stderr,
            "\n  linear loops: %ld rows, %ld below the exact deviation, largest "
            "(bound - exact) = %.3g ulps of the condition\n",
            rows, below, worst);
    CU_ASSERT_EQUAL(rows, 5 * (STEPS + 1));
    CU_ASSERT_EQUAL(below, 0); /* sound */
    CU_ASSERT(worst <= 16.0);  /* and exact to rounding */
    gsl_rng_free(r);
}

/* Random linear plants under random two-hidden-layer MLPs (tanh and ReLU),
 * pruned by magnitude: the exact deviation is within the tube at every row. */
static void test_random_linear_mlp(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t sizes[] = {LNX, 12, 12, LNU};
    long rows = 0, finite = 0, viol = 0;
    double ratio_sum = 0.0;
    long ratio_n = 0;

    gsl_rng_set(r, 4242);
    for (int c = 0; c < 20; c++) {
        mlp_act a = c % 2 ? MLP_ACT_TANH : MLP_ACT_RELU;
        mlp_act acts[] = {a, a, MLP_ACT_LINEAR};
        plant *pl = linear_plant(r, 0.4);
        mlp *net = mlp_alloc(3, sizes, acts, NULL), *pr;
        double x0[LNX], bound[STEPS + 1], dev[STEPS + 1];
        for (size_t l = 0; l < 3; l++) {
            mlp_layer *L = &net->layers[l];
            for (size_t i = 0; i < L->n_in * L->n_out; i++)
                L->W[i] = gsl_ran_gaussian(r, 1.0 / sqrt((double)L->n_in));
            for (size_t i = 0; i < L->n_out; i++)
                L->b[i] = gsl_ran_gaussian(r, 0.1);
        }
        pr = mlp_clone(net, NULL);
        /* magnitude pruning of 30 % of each layer: zero |w| below the 0.3 quantile */
        for (size_t l = 0; l < 3; l++) {
            mlp_layer *L = &pr->layers[l];
            size_t n = L->n_in * L->n_out;
            double *s = malloc(n * sizeof *s);
            for (size_t i = 0; i < n; i++)
                s[i] = fabs(L->W[i]);
            gsl_sort(s, 1, n);
            for (size_t i = 0; i < n; i++)
                if (fabs(L->W[i]) < s[(size_t)(0.3 * (double)n)])
                    L->W[i] = 0.0;
            free(s);
        }
        for (int j = 0; j < LNX; j++)
            x0[j] = gsl_ran_gaussian(r, 0.5);
        tube_vs_exact(pl, net, pr, x0, NULL, bound, dev);
        for (int k = 0; k <= STEPS; k++) {
            rows++;
            if (!isfinite(bound[k]))
                continue;
            finite++;
            if (!(dev[k] <= bound[k] + 1e-12 * (1.0 + dev[k]))) {
                viol++;
                fprintf(stderr, "\n  case %d row %d: exact %.17g > bound %.17g\n", c, k, dev[k],
                        bound[k]);
            }
            if (dev[k] > 1e-9) {
                ratio_sum += bound[k] / dev[k];
                ratio_n++;
            }
        }
        mlp_free(net);
        mlp_free(pr);
        plant_free(pl);
    }
    fprintf(stderr, "\n  random loops: %ld rows, %ld finite, %ld violations, mean ratio %.4g\n",
            rows, finite, viol, ratio_sum / (double)(ratio_n ? ratio_n : 1));
    CU_ASSERT_EQUAL(viol, 0);
    CU_ASSERT(finite >= rows / 2); /* the test is not vacuous */
    gsl_rng_free(r);
}

/* A random two-hidden-layer MLP (tanh or ReLU) and its magnitude-pruned twin
 * (30 % of each layer's weights; none when `prune` is 0). */
static void random_pair(gsl_rng *r, mlp_act a, int prune, mlp **net, mlp **pr)
{
    size_t sizes[] = {LNX, 12, 12, LNU};
    mlp_act acts[] = {a, a, MLP_ACT_LINEAR};
    *net = mlp_alloc(3, sizes, acts, NULL);
    for (size_t l = 0; l < 3; l++) {
        mlp_layer *L = &(*net)->layers[l];
        for (size_t i = 0; i < L->n_in * L->n_out; i++)
            L->W[i] = gsl_ran_gaussian(r, 1.0 / sqrt((double)L->n_in));
        for (size_t i = 0; i < L->n_out; i++)
            L->b[i] = gsl_ran_gaussian(r, 0.1);
    }
    *pr = mlp_clone(*net, NULL);
    for (size_t l = 0; l < 3 && prune; l++) {
        mlp_layer *L = &(*pr)->layers[l];
        size_t n = L->n_in * L->n_out;
        double s[12 * 12];
        for (size_t i = 0; i < n; i++)
            s[i] = fabs(L->W[i]);
        gsl_sort(s, 1, n);
        for (size_t i = 0; i < n; i++)
            if (fabs(L->W[i]) < s[(size_t)(0.3 * (double)n)])
                L->W[i] = 0.0;
    }
}

/* The differential step (opts.differential 2: alone; 1: the tighter per row
 * of it and the centres) on random linear plants with random MLPs: the exact
 * deviation (expm) is within both at every finite row, "tighter" is never
 * above the centres' tube, and for an unpruned twin (pi^ = pi, so the
 * certificate's delta is 0, rounded up to a subnormal, and the error set
 * stays {0}) it is 0 to within 1e-300; the centres' tube is exactly 0 there
 * (tube_eval recognises the original's weights: one exact solution). */
static void test_differential(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    long rows = 0, finite2 = 0, viol = 0, above = 0, nonzero = 0, cen_nonzero = 0;
    tube_opts o[3];

    gsl_rng_set(r, 2121);
    for (int m = 0; m < 3; m++) {
        tube_opts_init(&o[m]);
        o[m].differential = m;
    }
    for (int c = 0; c < 8; c++) {
        plant *pl = linear_plant(r, 0.4);
        mlp *net, *pr;
        double x0[LNX], b[3][STEPS + 1], dev[STEPS + 1];
        random_pair(r, c % 2 ? MLP_ACT_TANH : MLP_ACT_RELU, c < 6, &net, &pr);
        for (int j = 0; j < LNX; j++)
            x0[j] = gsl_ran_gaussian(r, 0.5);
        for (int m = 0; m < 3; m++)
            tube_vs_exact(pl, net, pr, x0, &o[m], b[m], dev);
        for (int k = 0; k <= STEPS; k++) {
            rows++;
            for (int m = 1; m < 3; m++)
                if (isfinite(b[m][k]) && !(dev[k] <= b[m][k] + 1e-12 * (1.0 + dev[k]))) {
                    viol++;
                    fprintf(stderr, "\n  case %d row %d method %d: exact %.17g > bound %.17g\n", c,
                            k, m, dev[k], b[m][k]);
                }
            finite2 += isfinite(b[2][k]) != 0;
            above += !(b[1][k] <= b[0][k]);
            if (c >= 6) { /* the unpruned twin */
                nonzero += !(b[1][k] <= 1e-300 && b[2][k] <= 1e-300);
                cen_nonzero += b[0][k] > 1e-300;
            }
        }
        mlp_free(net);
        mlp_free(pr);
        plant_free(pl);
    }
    fprintf(stderr, "\n  differential: %ld rows, %ld finite alone, %ld violations\n", rows, finite2,
            viol);
    CU_ASSERT_EQUAL(viol, 0);
    CU_ASSERT_EQUAL(above, 0);
    CU_ASSERT_EQUAL(nonzero, 0);
    CU_ASSERT_EQUAL(cen_nonzero, 0); /* the twin: one exact solution */
    CU_ASSERT(finite2 >= rows / 2); /* not vacuous */
    gsl_rng_free(r);
}

/* ------------------------------------------------- the shipped configs */

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* traj_dev <= traj_dev_bound + TUBE_RECORD_ALLOWANCE at every recorded row of
 * every run of the file, checked by h5py; prints rows and violations. */
static const char *check_py =
    "import sys, h5py, numpy as np\n"
    "f = h5py.File(sys.argv[1], 'r')\n"
    "rows = viol = runs = 0\n"
    "for lab in f['runs']:\n"
    "    for i in f['runs'][lab]:\n"
    "        g = f['runs'][lab][i]\n"
    "        d = g['traj_dev'][:]; b = g['traj_dev_bound'][:]\n"
    "        assert 'estimate, not a bound' in str(g['traj_dev_estimate'].attrs['kind'])\n"
    "        m = np.isfinite(d) & ~np.isnan(b)\n"
    "        rows += int(m.sum()); runs += 1\n"
    "        viol += int(np.sum(d[m] > b[m] + float(sys.argv[2])))\n"
    "        assert b[0] == 0.0 or b[0] < 1e-12\n"
    "print(runs, rows, viol)\n";

static void test_shipped_configs(void)
{
    static const struct {
        const char *cfg, *horizon;
        int arch;
    } cf[] = {
        {"configs/pendulum.cfg", "5.0", 0},
        {"configs/arch/single_pendulum.cfg", "1.0", 1},
        {"configs/cartpole.cfg", "2.0", 0},
        {"configs/arch/tora.cfg", "5.0", 1},
        {"configs/arch/cartpole.cfg", "2.0", 2}, /* without its spec (t >= 8.02) */
        {"configs/arch/acc.cfg", "2.0", 2},      /* a policy behind an observation map */
    };
    char out[8192], args[4096], res[1400], pyargs[1600], prefix[4096], cfg[1400];
    int ran = 0;

    if (!pb_test_have_python()) {
        pb_test_skip("python3 with h5py is needed to read the tubes back");
        return;
    }
    for (size_t i = 0; i < sizeof cf / sizeof cf[0]; i++) {
        long runs = 0, rows = 0, viol = -1;
        if (cf[i].arch && !pb_test_arch_dir()) {
            pb_test_skip("the ARCH-COMP benchmarks are absent: %s skipped", cf[i].cfg);
            continue;
        }
        snprintf(res, sizeof res, "%s/tube_%zu.h5", pb_test_tmpdir(), i);
        snprintf(cfg, sizeof cfg, "%s/%s", PB_SOURCE_DIR, cf[i].cfg);
        prefix[0] = 0;
        if (cf[i].arch == 2) {
            /* a copy without the spec, whose window would need the whole 10 s
             * horizon (keeps this test short), its network found in the
             * ARCH-COMP folder, and a tube key for --set (the ACC has none) */
            snprintf(cfg, sizeof cfg, "%s/tube_nospec_%zu.cfg", pb_test_tmpdir(), i);
            snprintf(prefix, sizeof prefix,
                     "sed -e '/^spec = (/,$d' -e 's|\"[./]*/shared/benchmarks/arch-comp/|\"%s/|' "
                     "-e 's|^bounds = { eps = 0.1; };|bounds = { eps = 0.1; tube = false; };|' "
                     "'%s/%s' > '%s' &&",
                     pb_test_arch_dir(), PB_SOURCE_DIR, cf[i].cfg, cfg);
        }
        snprintf(args, sizeof args,
                 "run '%s' -o '%s' --set bounds.tube=true --set simulation.horizon=%s", cfg, res,
                 cf[i].horizon);
        CU_ASSERT_EQUAL_FATAL(pb_test_run(prefix[0] ? prefix : NULL, args, out, sizeof out), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "traj_dev above traj_dev_bound at 0 row(s)"));
        CU_ASSERT_FATAL(file_exists(res));
        snprintf(pyargs, sizeof pyargs, "'%s' %g", res, TUBE_RECORD_ALLOWANCE);
        CU_ASSERT_EQUAL_FATAL(pb_test_python(check_py, pyargs, out, sizeof out), 0);
        CU_ASSERT_EQUAL(sscanf(out, "%ld %ld %ld", &runs, &rows, &viol), 3);
        fprintf(stderr, "\n  %s: %ld runs, %ld rows, %ld violations", cf[i].cfg, runs, rows, viol);
        CU_ASSERT(runs > 0);
        CU_ASSERT(rows > 0);
        CU_ASSERT_EQUAL(viol, 0);
        ran++;
        if (i == 0) {
            /* `plot` draws the tube beside the drift: tube_<scenario>.png per scenario */
            char dir[1500], png[1600];
            FILE *fp;
            unsigned char magic[8] = {0};
            snprintf(dir, sizeof dir, "%s/tube_fig", pb_test_tmpdir());
            snprintf(args, sizeof args, "plot '%s' -o '%s'", res, dir);
            CU_ASSERT_EQUAL_FATAL(pb_test_run(NULL, args, out, sizeof out), 0);
            for (int s = 0; s < 4; s++) {
                snprintf(png, sizeof png, "%s/tube_%d.png", dir, s);
                fp = fopen(png, "rb");
                CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
                CU_ASSERT_EQUAL(fread(magic, 1, 8, fp), 8);
                CU_ASSERT(memcmp(magic, "\x89PNG\r\n\x1a\n", 8) == 0);
                fclose(fp);
                snprintf(png, sizeof png, "%s/tube_magnitude_s0.50_%d.dat", dir, s);
                CU_ASSERT(file_exists(png));
            }
        }
    }
    CU_ASSERT(ran > 0);
}

/* montecarlo with the tube: every (sample, variant) row has a finite
 * max_traj_dev_bound at least its max_traj_dev (h5py). */
static const char *mc_py =
    "import sys, h5py, numpy as np\n"
    "s = h5py.File(sys.argv[1], 'r')['summary'][:]\n"
    "b, d = s['max_traj_dev_bound'], s['max_traj_dev']\n"
    "print(len(s), int(np.sum(np.isfinite(b))), int(np.sum(d > b + float(sys.argv[2]))))\n";

static void test_montecarlo(void)
{
    char out[8192], args[4096], prefix[4096], pyargs[1600];
    long rows = 0, finite = 0, viol = -1;

    if (!pb_test_have_python()) {
        pb_test_skip("python3 with h5py is needed to read the Monte Carlo file back");
        return;
    }
    snprintf(prefix, sizeof prefix,
             "sed -e 's|^bounds = { eps = 0.5; };|bounds = { eps = 0.5; tube = true; };|' "
             "-e 's|\"../policies/|\"%s/configs/policies/|' "
             "'%s/configs/montecarlo/pendulum_roa.cfg' > '%s/roa.cfg' &&",
             PB_SOURCE_DIR, PB_SOURCE_DIR, pb_test_tmpdir());
    snprintf(args, sizeof args,
             "montecarlo '%s/roa.cfg' -o '%s/roa.h5' --set montecarlo.sampler.points=[3,3] "
             "--set montecarlo.sampler.low=[-0.6,-1.0] --set montecarlo.sampler.high=[0.6,1.0] "
             "--set montecarlo.chunk=5 --set simulation.horizon=1.0 --threads 2",
             pb_test_tmpdir(), pb_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(pb_test_run(prefix, args, out, sizeof out), 0);
    snprintf(pyargs, sizeof pyargs, "'%s/roa.h5' %g", pb_test_tmpdir(), TUBE_RECORD_ALLOWANCE);
    CU_ASSERT_EQUAL_FATAL(pb_test_python(mc_py, pyargs, out, sizeof out), 0);
    CU_ASSERT_EQUAL(sscanf(out, "%ld %ld %ld", &rows, &finite, &viol), 3);
    CU_ASSERT_EQUAL(rows, 9 * 4);
    CU_ASSERT_EQUAL(finite, rows);
    CU_ASSERT_EQUAL(viol, 0);
}

/* A plant without the slot is refused with a message, by the library and by
 * the config loader (naming the key). */
/* A policy behind an observation map: an affine map of the states is
 * accepted, one that is not (a product of two states) is refused. */
static void test_refused_observation(void)
{
    static const char *const vars[] = {"a", "b", "r_a", "r_b", "t"};
    static const char *const affine[] = {"a - b + 0.5 + r_a", "b"};
    static const char *const bilinear[] = {"a*b", "b"};
    const char *const *maps[] = {affine, bilinear};
    plant *pl = plant_alloc(plant_find("pendulum"));
    plant_integrator in;
    sim_ref ref;
    sim_criterion crit;
    size_t sizes[] = {2, 1}, bad;
    mlp_act acts[] = {MLP_ACT_LINEAR};
    mlp *net = mlp_alloc(1, sizes, acts, NULL);
    pb_error err;

    CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    plant_integrator_init(&in);
    sim_ref_init_setpoint(&ref, 2, NULL);
    sim_criterion_init(&crit);
    for (int i = 0; i < 2; i++) {
        plant_expr_map *g = plant_expr_map_alloc(2, maps[i], 5, vars, 2, &bad, &err);
        sim_model *m;
        tube *w;
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        m = sim_model_alloc_observed(pl, &in, 0.05, 1.0, &ref, SIM_INPUT_ERROR, g, &crit,
                                     &(sim_policy){net, NULL, NULL}, 0, NULL, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        w = tube_alloc(m, NULL, &err);
        if (i == 0) {
            CU_ASSERT_PTR_NOT_NULL(w);
        } else {
            CU_ASSERT_PTR_NULL(w);
            CU_ASSERT_EQUAL(err.code, PB_EINVAL);
            CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not recognised as affine"));
        }
        tube_free(w);
        sim_model_free(m);
        plant_expr_map_free(g);
    }
    mlp_free(net);
    plant_free(pl);
}

static void test_refused(void)
{
    char out[4096], args[2048], prefix[4096];
    plant_type noslot = *plant_find("quadrotor");
    plant *pl;
    plant_integrator in;
    sim_ref ref;
    sim_criterion crit;
    size_t sizes[] = {12, 4};
    mlp_act acts[] = {MLP_ACT_LINEAR};
    mlp *net = mlp_alloc(1, sizes, acts, NULL);
    sim_model *m;
    pb_error err;

    /* every built-in type has the slot: the quadrotor without it */
    noslot.jac_box = NULL;
    pl = plant_alloc(&noslot);
    CU_ASSERT_TRUE(tube_is_available());
    CU_ASSERT_FALSE(tube_plant_is_supported(&noslot));
    CU_ASSERT_TRUE(tube_plant_is_supported(plant_find("pendulum")));
    plant_integrator_init(&in);
    sim_ref_init_setpoint(&ref, 12, NULL);
    sim_criterion_init(&crit);
    m = sim_model_alloc(pl, &in, 0.05, 1.0, &ref, SIM_INPUT_ERROR, &crit,
                        &(sim_policy){net, NULL, NULL}, 0, NULL, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_PTR_NULL(tube_alloc(m, NULL, &err));
    CU_ASSERT_EQUAL(err.code, PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "interval Jacobian"));
    sim_model_free(m);
    mlp_free(net);
    plant_free(pl);
    /* a user-defined plant (no slot) with bounds.tube = true */
    snprintf(prefix, sizeof prefix,
             "sed -e 's|^bounds = {|bounds = { tube = true;|' -e 's|\"../policies/|\"%s/configs/"
             "policies/|' '%s/configs/user/expr_pendulum.cfg' > '%s/q.cfg' &&",
             PB_SOURCE_DIR, PB_SOURCE_DIR, pb_test_tmpdir());
    snprintf(args, sizeof args, "run '%s/q.cfg' -o '%s/q.h5'", pb_test_tmpdir(), pb_test_tmpdir());
    CU_ASSERT_EQUAL(pb_test_run(prefix, args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "bounds.tube"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "interval Jacobian"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "q.cfg:"));
    test_refused_observation();
}

static const pb_test_case box_tests[] = {{"jac_box_contains", test_jac_box_contains}, {NULL, NULL}};
static const pb_test_case tube_tests[] = {{"linear_linear_exact", test_linear_linear_exact},
                                          {"random_linear_mlp", test_random_linear_mlp},
                                          {"differential", test_differential},
                                          {"shipped_configs", test_shipped_configs},
                                          {"montecarlo", test_montecarlo},
                                          {"refused", test_refused},
                                          {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {{"jac_box", box_tests}, {"tube", tube_tests}, {NULL, NULL}};
