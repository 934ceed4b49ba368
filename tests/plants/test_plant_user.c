/* test_plant_user.c: plants defined at run time (plants/plant_user.h) and
 * observation maps.  Oracles: the hand-solved zero-order hold of the double
 * integrator and of a scalar plant with a constant term; the built-in
 * pendulum (its f, its Jacobian and its `prunebound run` traces, compared
 * by h5py); a plugin compiled here from C; features computed by hand; and
 * every malformed input answered with "file:line: key: ..." and exit 2. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_test.h"
#include "plant.h"
#include "plant_step.h"
#include "plant_user.h"

/* ---- Linear plants ---- */

static plant_integrator integ(void)
{
    plant_integrator o;
    plant_integrator_init(&o);
    return o;
}

/* p' = v, v' = u: over a period T with u held, p+ = p + T v + T^2 u / 2,
 * v+ = v + T u (exact). */
static void test_linear_double_integrator(void)
{
    const double A[] = {0.0, 1.0, 0.0, 0.0}, B[] = {0.0, 1.0}, T = 0.1;
    plant_user_decl d = {.name = "linear", .nx = 2, .nu = 1};
    pb_error err;
    plant_user *u = plant_linear_alloc(&d, A, B, NULL, 0, T, &err);
    plant_integrator o = integ();
    double x[2] = {0.3, -0.7}, uu[1], dfdx[4], dfdu[2];
    plant *m;
    plant_stepper *s;

    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    m = plant_alloc(plant_user_type(u));
    s = plant_stepper_alloc(m, &o, T, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    for (int k = 0; k < 50; k++) {
        double p = x[0], v = x[1];
        uu[0] = sin(0.37 * k);
        CU_ASSERT_EQUAL_FATAL(plant_stepper_apply(s, k * T, x, uu), PB_SUCCESS);
        PB_ASSERT_CLOSE(x[0], p + T * v + 0.5 * T * T * uu[0], 1e-14, 1e-15);
        PB_ASSERT_CLOSE(x[1], v + T * uu[0], 1e-14, 1e-15);
    }
    /* The Jacobian is (A, B). */
    CU_ASSERT_EQUAL(plant_type_jac(m->type, 0.0, x, uu, m->p, dfdx, dfdu), PB_SUCCESS);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(dfdx[i], A[i]);
    CU_ASSERT_EQUAL(dfdu[0], 0.0);
    CU_ASSERT_EQUAL(dfdu[1], 1.0);
    /* Another period is refused: the map is the hold of 0.1 s. */
    CU_ASSERT_PTR_NULL(plant_stepper_alloc(m, &o, 0.2, &err));
    plant_stepper_free(s);
    plant_free(m);
    plant_user_free(u);
}

/* x' = -a x + b u + c: x(T) = e^{-aT} x + (1 - e^{-aT}) (b u + c) / a;
 * discrete: x+ = a x + b u + c exactly; the batched f against f. */
static void test_linear_constant_term(void)
{
    const double a = 1.7, b = 0.6, c = -0.9, T = 0.25;
    const double A[] = {-a}, B[] = {b}, C[] = {c}, Ad[] = {a};
    plant_user_decl d = {.name = "linear", .nx = 1, .nu = 1};
    pb_error err;
    plant_user *cu = plant_linear_alloc(&d, A, B, C, 0, T, &err);
    plant_user *du = plant_linear_alloc(&d, Ad, B, C, 1, T, &err);
    plant_integrator o = integ();
    double x[1] = {0.8}, u[1] = {0.4};
    plant *m, *md;
    plant_stepper *s, *sd;

    CU_ASSERT_PTR_NOT_NULL_FATAL(cu);
    CU_ASSERT_PTR_NOT_NULL_FATAL(du);
    m = plant_alloc(plant_user_type(cu));
    md = plant_alloc(plant_user_type(du));
    s = plant_stepper_alloc(m, &o, T, &err);
    sd = plant_stepper_alloc(md, &o, T, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sd);
    for (int k = 0; k < 20; k++) {
        double x0 = x[0], e = exp(-a * T), y[1] = {x0};
        CU_ASSERT_EQUAL_FATAL(plant_stepper_apply(s, k * T, x, u), PB_SUCCESS);
        PB_ASSERT_CLOSE(x[0], e * x0 + (1.0 - e) * (b * u[0] + c) / a, 1e-13, 1e-15);
        CU_ASSERT_EQUAL_FATAL(plant_stepper_apply(sd, k * T, y, u), PB_SUCCESS);
        PB_ASSERT_CLOSE(y[0], a * x0 + b * u[0] + c, 1e-15, 1e-15);
    }
    {
        /* f and its batched form: -a x + b u + c at 3 states. */
        double X[3] = {0.1, -2.0, 5.0}, U[3] = {1.0, 0.0, -1.0}, dX[3], w[PLANT_BATCH_WORK * 3];
        const plant_type *t = plant_user_type(cu);
        t->f_batch_d(t->data, 0.0, 3, 3, X, U, NULL, dX, w);
        for (int i = 0; i < 3; i++)
            PB_ASSERT_CLOSE(dX[i], -a * X[i] + b * U[i] + c, 1e-15, 1e-15);
    }
    plant_stepper_free(s);
    plant_stepper_free(sd);
    plant_free(m);
    plant_free(md);
    plant_user_free(cu);
    plant_user_free(du);
}

/* ---- Expression plants ---- */

static plant_user *expr_pendulum(pb_error *err)
{
    static const char *const states[] = {"theta", "omega"}, *const inputs[] = {"torque"};
    static const char *const params[] = {"m", "L", "c", "g"};
    static const double pv[] = {1.3, 0.7, 0.2, 9.81};
    static const char *const rhs[] = {"omega",
                                      "g / L * sin(theta) + (torque - c * omega) / (m * L * L)"};
    plant_user_decl d = {.name = "expr", .nx = 2, .nu = 1, .np = 4, .states = states,
                         .inputs = inputs, .params = params, .param_values = pv};
    size_t bad;
    return plant_expr_alloc(&d, rhs, &bad, err);
}

/* f and the Jacobian of the expression pendulum against the built-in one. */
static void test_expr_matches_pendulum(void)
{
    pb_error err;
    plant_user *u = expr_pendulum(&err);
    const plant_type *pend = plant_find("pendulum");
    plant *mp = plant_alloc(pend), *me;
    double p[7];

    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    me = plant_alloc(plant_user_type(u));
    /* The pendulum's parameters m, L, c, g come first (pendulum.c). */
    memcpy(p, mp->p, sizeof p);
    p[0] = 1.3, p[1] = 0.7, p[2] = 0.2, p[3] = 9.81;
    srand(3);
    for (int k = 0; k < 200; k++) {
        double x[2] = {6.0 * rand() / RAND_MAX - 3.0, 8.0 * rand() / RAND_MAX - 4.0};
        double uu[1] = {20.0 * rand() / RAND_MAX - 10.0};
        double f1[2], f2[2], A1[4], A2[4], B1[2], B2[2];
        CU_ASSERT_EQUAL(pend->f(0.0, x, uu, p, f1), PB_SUCCESS);
        CU_ASSERT_EQUAL(plant_type_f(me->type, 0.0, x, uu, me->p, f2), PB_SUCCESS);
        CU_ASSERT_EQUAL(pend->jac(0.0, x, uu, p, A1, B1), PB_SUCCESS);
        CU_ASSERT_EQUAL(plant_type_jac(me->type, 0.0, x, uu, me->p, A2, B2), PB_SUCCESS);
        for (int i = 0; i < 2; i++)
            PB_ASSERT_CLOSE(f2[i], f1[i], 1e-12, 1e-12);
        for (int i = 0; i < 4; i++)
            PB_ASSERT_CLOSE(A2[i], A1[i], 1e-12, 1e-12);
        for (int i = 0; i < 2; i++)
            PB_ASSERT_CLOSE(B2[i], B1[i], 1e-12, 1e-12);
    }
    plant_free(me);
    plant_free(mp);
    plant_user_free(u);
}

/* Bad expressions: what is wrong, and which expression. */
static void test_expr_errors(void)
{
    static const char *const vars[] = {"x", "y"};
    static const struct {
        const char *e, *msg;
    } cases[] = {
        {"sin(x, y)", "function 'sin' takes 1 argument, got 2"},
        {"foo(x)", "unknown function 'foo'"},
        {"x + z", "unknown name 'z'"},
        {"x +* 2", "syntax error"},
        {"(x", "unclosed"},
        {"x $ y", "unexpected character '$'"},
        {"", "empty"},
    };
    pb_error err;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CU_ASSERT_EQUAL(plant_expr_check(cases[i].e, 2, vars, &err), PB_EINVAL);
        if (!strstr(err.msg, cases[i].msg))
            fprintf(stderr, "'%s': got '%s', want '%s'\n", cases[i].e, err.msg, cases[i].msg);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[i].msg));
    }
    CU_ASSERT_EQUAL(plant_expr_check("x * y^2 - exp(-x)", 2, vars, &err), PB_SUCCESS);
}

/* ---- Observation maps ---- */

/* (cos theta, sin theta, omega) and r-dependent features with their Jacobian
 * with respect to the states, by hand. */
static void test_observation_map(void)
{
    static const char *const vars[] = {"theta", "omega", "r_theta", "r_omega", "t"};
    static const char *const g[] = {"cos(theta)", "sin(theta)", "omega", "theta - r_theta + t",
                                    "30"};
    pb_error err;
    size_t bad;
    plant_expr_map *m = plant_expr_map_alloc(5, g, 5, vars, 2, &bad, &err);
    double v[5] = {0.7, -1.3, 0.2, 0.0, 0.5}, y[5], dy[10];

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(plant_expr_map_eval(m, v, y, dy), PB_SUCCESS);
    PB_ASSERT_CLOSE(y[0], cos(0.7), 1e-15, 0);
    PB_ASSERT_CLOSE(y[1], sin(0.7), 1e-15, 0);
    CU_ASSERT_EQUAL(y[2], -1.3);
    PB_ASSERT_CLOSE(y[3], 0.7 - 0.2 + 0.5, 1e-15, 0);
    CU_ASSERT_EQUAL(y[4], 30.0);
    PB_ASSERT_CLOSE(dy[0], -sin(0.7), 1e-15, 0);
    CU_ASSERT_EQUAL(dy[1], 0.0);
    PB_ASSERT_CLOSE(dy[2], cos(0.7), 1e-15, 0);
    CU_ASSERT_EQUAL(dy[3], 0.0);
    CU_ASSERT_EQUAL(dy[4], 0.0);
    CU_ASSERT_EQUAL(dy[5], 1.0);
    CU_ASSERT_EQUAL(dy[6], 1.0);
    CU_ASSERT_EQUAL(dy[7], 0.0);
    CU_ASSERT_EQUAL(dy[8], 0.0);
    CU_ASSERT_EQUAL(dy[9], 0.0);
    plant_expr_map_free(m);
    /* A bad one names its index. */
    {
        static const char *const bad_g[] = {"theta", "cos(theta, omega)"};
        CU_ASSERT_PTR_NULL(plant_expr_map_alloc(2, bad_g, 5, vars, 2, &bad, &err));
        CU_ASSERT_EQUAL(bad, 1);
    }
}

/* ---- Runs through the command line ---- */

static int have_python(void)
{
    if (pb_test_have_python())
        return 1;
    pb_test_skip("no python3 with numpy and h5py: the HDF5 traces cannot be compared");
    return 0;
}

/* The expression pendulum's traces equal the built-in pendulum's to 1e-12
 * (every variant, every scenario: x, u, the policy input). */
static void test_expr_pendulum_run(void)
{
    static const char *script =
        "import sys, h5py, numpy as np\n"
        "a = h5py.File(sys.argv[1], 'r'); b = h5py.File(sys.argv[2], 'r')\n"
        "worst = 0.0; n = 0\n"
        "for v in a['runs']:\n"
        "    for s in a['runs'][v]:\n"
        "        for k in ('x_orig', 'x_pruned', 'u_orig', 'u_pruned', 's_orig', 's_pruned'):\n"
        "            p = a['runs'][v][s][k][:]; q = b['runs'][v][s][k][:]\n"
        "            assert p.shape == q.shape and np.isfinite(p).all()\n"
        "            worst = max(worst, float(np.max(np.abs(p - q)))); n += 1\n"
        "print(n, worst)\n"
        "sys.exit(0 if n >= 11 * 4 * 6 and worst <= 1e-12 else 1)\n";
    char out[8192], args[4096], a[1024], b[1024];
    if (!have_python())
        return;
    snprintf(a, sizeof a, "%s", pb_test_path("builtin.h5"));
    snprintf(b, sizeof b, "%s", pb_test_path("expr.h5"));
    snprintf(args, sizeof args, "run '%s/configs/pendulum.cfg' -o '%s'", PB_SOURCE_DIR, a);
    CU_ASSERT_EQUAL_FATAL(pb_test_run(NULL, args, out, sizeof out), 0);
    snprintf(args, sizeof args, "run '%s/configs/user/expr_pendulum.cfg' -o '%s'", PB_SOURCE_DIR,
             b);
    CU_ASSERT_EQUAL_FATAL(pb_test_run(NULL, args, out, sizeof out), 0);
    snprintf(args, sizeof args, "'%s' '%s'", a, b);
    if (pb_test_python(script, args, out, sizeof out) != 0)
        fprintf(stderr, "compare: %s\n", out);
    CU_ASSERT_EQUAL(pb_test_python(script, args, out, sizeof out), 0);
}

/* The linear example runs, and its original loop follows the exact hold of
 * the double integrator under the recorded actions. */
static void test_linear_run(void)
{
    static const char *script =
        "import sys, h5py, numpy as np\n"
        "f = h5py.File(sys.argv[1], 'r'); T = 0.1; worst = 0.0\n"
        "for s in f['runs/magnitude_s0.00']:\n"
        "    g = f['runs/magnitude_s0.00'][s]; x = g['x_orig'][:]; u = np.clip(g['u_orig'][:], -5, 5)\n"
        "    p = x[:-1, 0] + T * x[:-1, 1] + T * T / 2 * u[:-1, 0]; v = x[:-1, 1] + T * u[:-1, 0]\n"
        "    worst = max(worst, np.max(np.abs(x[1:, 0] - p)), np.max(np.abs(x[1:, 1] - v)))\n"
        "print(worst); sys.exit(0 if worst <= 1e-13 else 1)\n";
    char out[8192], args[4096], a[1024];
    if (!have_python())
        return;
    snprintf(a, sizeof a, "%s", pb_test_path("linear.h5"));
    snprintf(args, sizeof args, "run '%s/configs/user/linear_double_integrator.cfg' -o '%s'",
             PB_SOURCE_DIR, a);
    CU_ASSERT_EQUAL_FATAL(pb_test_run(NULL, args, out, sizeof out), 0);
    snprintf(args, sizeof args, "'%s'", a);
    CU_ASSERT_EQUAL(pb_test_python(script, args, out, sizeof out), 0);
}

/* What the Gym-style policy saw is (cos theta, sin theta, omega) of the
 * recorded state. */
static void test_gym_observation_run(void)
{
    static const char *script =
        "import sys, h5py, numpy as np\n"
        "f = h5py.File(sys.argv[1], 'r'); worst = 0.0; n = 0\n"
        "for v in f['runs']:\n"
        "    for s in f['runs'][v]:\n"
        "        g = f['runs'][v][s]\n"
        "        for w in ('orig', 'pruned'):\n"
        "            x = g['x_' + w][:]; o = g['s_' + w][:]; ok = np.isfinite(x[:, 0])\n"
        "            h = np.column_stack([np.cos(x[:, 0]), np.sin(x[:, 0]), x[:, 1]])\n"
        "            assert o.shape[1] == 3\n"
        "            worst = max(worst, float(np.max(np.abs(o[ok] - h[ok])))); n += 1\n"
        "print(n, worst); sys.exit(0 if n > 0 and worst <= 4e-16 else 1)\n";
    char out[8192], args[4096], a[1024];
    if (!have_python())
        return;
    snprintf(a, sizeof a, "%s", pb_test_path("gym.h5"));
    snprintf(args, sizeof args, "run '%s/configs/user/gym_pendulum.cfg' -o '%s'", PB_SOURCE_DIR,
             a);
    CU_ASSERT_EQUAL_FATAL(pb_test_run(NULL, args, out, sizeof out), 0);
    snprintf(args, sizeof args, "'%s'", a);
    CU_ASSERT_EQUAL(pb_test_python(script, args, out, sizeof out), 0);
}

/* ---- Plugins ---- */

static const char *plugin_src =
    "#include <math.h>\n"
    "#include <prunebound/plant.h>\n"
    "/* A damped oscillator x'' = -k x - c x' + u. */\n"
    "static const plant_var states[] = {{\"x\", \"m\"}, {\"v\", \"m/s\"}};\n"
    "static const plant_var inputs[] = {{\"force\", \"N\"}};\n"
    "static const plant_param params[] = {{\"k\", \"N/m\", \"stiffness\", 4.0, 0.0, 1e6, 0},\n"
    "                                     {\"c\", \"N s/m\", \"damping\", 0.5, 0.0, 1e6, 0}};\n"
    "static const double q[] = {1.0, 1.0}, r[] = {1.0};\n"
    "static int f(double t, const double x[], const double u[], const double p[], double d[])\n"
    "{ (void)t; d[0] = x[1]; d[1] = -p[0] * x[0] - p[1] * x[1] + u[0];\n"
    "  return isfinite(d[1]) ? PB_SUCCESS : PB_EDIVERGED; }\n"
    "static void eq(const double p[], double x[], double u[]) { (void)p; x[0] = x[1] = u[0] = 0; }\n"
    "static void ulim(const double p[], double lo[], double hi[]) { (void)p; lo[0] = -10; hi[0] = 10; }\n"
    "static void xlim(const double p[], double lo[], double hi[])\n"
    "{ (void)p; lo[0] = lo[1] = -INFINITY; hi[0] = hi[1] = INFINITY; }\n"
    "const plant_type prunebound_plant = {.name = \"oscillator\", .equation = \"x'' = -k x - c x' + u\",\n"
    "  .nx = 2, .nu = 1, .np = 2, .states = states, .inputs = inputs, .params = params, .f = f,\n"
    "  .equilibrium = eq, .input_limits = ulim, .state_limits = xlim, .lqr_q = q, .lqr_r = r};\n";

/* Compiles plugin_src against the source tree's headers (as
 * <prunebound/plant.h>) into tmp/liboscillator.so; its path, or NULL. */
static const char *build_plugin(void)
{
    static char so[1024];
    char cmd[8192], inc[1024], src[1024];
    FILE *f;

    snprintf(inc, sizeof inc, "%s", pb_test_path("include"));
    snprintf(src, sizeof src, "%s", pb_test_path("oscillator.c"));
    snprintf(so, sizeof so, "%s", pb_test_path("liboscillator.so"));
    f = fopen(src, "w");
    if (!f)
        return NULL;
    fputs(plugin_src, f);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s/prunebound' && cp '%s/plants/plant.h' '%s/common/pb_error.h' "
             "'%s/prunebound/' && cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -I'%s' '%s' "
             "-o '%s' -lm",
             inc, PB_SOURCE_DIR, PB_SOURCE_DIR, inc, inc, src, so);
    return system(cmd) == 0 ? so : NULL;
}

static void test_plugin(void)
{
    const char *so = build_plugin();
    pb_error err;
    plant_user *u;
    plant *m;
    double x[2] = {0.5, -1.0}, uu[1] = {2.0}, d[2];

    CU_ASSERT_PTR_NOT_NULL_FATAL(so);
    u = plant_plugin_load(so, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    CU_ASSERT_STRING_EQUAL(plant_user_type(u)->name, "oscillator");
    m = plant_alloc(plant_user_type(u));
    CU_ASSERT_EQUAL(plant_eval(m, 0.0, x, uu, d), PB_SUCCESS);
    CU_ASSERT_EQUAL(d[0], -1.0);
    CU_ASSERT_EQUAL(d[1], -4.0 * 0.5 - 0.5 * -1.0 + 2.0);
    plant_free(m);
    plant_user_free(u);
    /* A file that is not a shared object, and one without the symbol. */
    CU_ASSERT_PTR_NULL(plant_plugin_load(pb_test_path("oscillator.c"), &err));
    CU_ASSERT_EQUAL(err.code, PB_EIO);
    CU_ASSERT_PTR_NULL(plant_plugin_load("/no/such/libplant.so", &err));
    CU_ASSERT_EQUAL(err.code, PB_EIO);
}

/* ---- Config errors: "file:line: key: what", exit 2 ---- */

/* configs/user/<base> with `from` replaced by `to` written to tmp/name;
 * runs it and returns the exit status with the output in out. */
static int run_edited(const char *base, const char *from, const char *to, const char *name,
                      char *out, size_t len)
{
    char path[1024], text[16384], args[4096], *at;
    size_t n;
    FILE *f;

    snprintf(path, sizeof path, "%s/configs/user/%s", PB_SOURCE_DIR, base);
    f = fopen(path, "r");
    if (!f)
        return -1;
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    at = strstr(text, from);
    if (!at)
        return -1;
    snprintf(path, sizeof path, "%s", pb_test_path(name));
    f = fopen(path, "w");
    if (!f)
        return -1;
    fwrite(text, 1, (size_t)(at - text), f);
    fputs(to, f);
    /* The policy paths are relative to configs/user: made absolute, since the
     * edited config lives in the test's folder. */
    for (const char *p = at + strlen(from), *q; *p; p = q + strlen("\"../policies/")) {
        if (!(q = strstr(p, "\"../policies/"))) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t)(q - p), f);
        fprintf(f, "\"%s/configs/policies/", PB_SOURCE_DIR);
    }
    fclose(f);
    snprintf(args, sizeof args, "run '%s' -o '%s.h5'", path, path);
    return pb_test_run(NULL, args, out, len);
}

static void expect_error(const char *base, const char *from, const char *to, const char *key,
                         const char *what)
{
    char out[8192], name[64], want[256];
    static int k;
    int rc;
    snprintf(name, sizeof name, "bad%d.cfg", k++);
    rc = run_edited(base, from, to, name, out, sizeof out);
    snprintf(want, sizeof want, "%s: %s", key, what);
    if (rc != 2 || !strstr(out, want) || !strstr(out, name))
        fprintf(stderr, "want exit 2 and '%s', got %d: %s\n", want, rc, out);
    CU_ASSERT_EQUAL(rc, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, name)); /* file:line: */
}

static void test_config_errors(void)
{
    char args[4096];
    /* The edited configs sit in tmp: give them the policies they name. */
    snprintf(args, sizeof args, "mkdir -p '%s/../policies' && cp '%s'/configs/policies/*.nnet "
             "'%s'/configs/policies/pendulum.h5 '%s/../policies/'",
             pb_test_tmpdir(), PB_SOURCE_DIR, PB_SOURCE_DIR, pb_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(system(args), 0);
    expect_error("expr_pendulum.cfg", "(m * L * L)\"]", "(m * L * L)\", \"sin(theta, omega)\"]",
                 "plant.rhs", "has 3 expressions, expected one per state (2)");
    expect_error("expr_pendulum.cfg", "\"omega\",\n", "\"sin(theta, omega)\",\n", "plant.rhs[0]",
                 "function 'sin' takes 1 argument, got 2");
    expect_error("expr_pendulum.cfg", "\"omega\",\n", "\"omega + mass\",\n", "plant.rhs[0]",
                 "unknown name 'mass'");
    expect_error("expr_pendulum.cfg", "\"omega\",\n", "\"omega +* 2\",\n", "plant.rhs[0]",
                 "syntax error");
    expect_error("expr_pendulum.cfg", "\"omega\",\n", "\"atan2(omega)\",\n", "plant.rhs[0]",
                 "unknown function 'atan2'");
    expect_error("linear_double_integrator.cfg", "A = [0.0, 1.0,", "A = [0.0, 1.0, 2.0,",
                 "plant.A", "has 5 entries: not a square matrix");
    expect_error("linear_double_integrator.cfg", "B = [0.0,", "B = [0.0, 0.5,", "plant.B",
                 "has 3 entries: expected nx x nu = 2 x nu");
    expect_error("linear_double_integrator.cfg", "name = \"linear\";",
                 "name = \"linear\"; rhs = [\"p\"];", "plant.rhs", "not a key of a linear plant");
    expect_error("gym_pendulum.cfg", "\"omega\"];", "\"omegaa\"];", "policy.observation[2]",
                 "unknown name 'omegaa'");
    expect_error("gym_pendulum.cfg", "\"omega\"];", "\"omega\", \"theta\"];", "policy.import.file",
                 "the policy takes 3 inputs but policy.observation gives 4 features");
    expect_error("gym_pendulum.cfg", "name = \"pendulum\";",
                 "plugin = \"libnothere.so\";", "plant.plugin", "cannot load plugin");
}

/* A config whose plant is the compiled plugin runs. */
static void test_plugin_config(void)
{
    const char *so = build_plugin();
    char out[8192], to[1200];
    CU_ASSERT_PTR_NOT_NULL_FATAL(so);
    snprintf(to, sizeof to, "plugin = \"%s\";", so);
    CU_ASSERT_EQUAL(run_edited("linear_double_integrator.cfg",
                               "name = \"linear\";\n  states = [\"p\", \"v\"];\n  inputs = [\"u\"];\n"
                               "  A = [0.0, 1.0,\n       0.0, 0.0];\n  B = [0.0,\n       1.0];\n"
                               "  u_min = [-5.0];\n  u_max = [5.0];\n"
                               "  x_min = [-100.0, -100.0];\n  x_max = [100.0, 100.0];",
                               to, "plugin.cfg", out, sizeof out),
                    0);
    if (!strstr(out, "variant"))
        fprintf(stderr, "plugin config: %s\n", out);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "variant"));
}

static const pb_test_case linear_tests[] = {
    {"double integrator: exact hold and Jacobian", test_linear_double_integrator},
    {"constant term, discrete, batched f", test_linear_constant_term},
    {NULL, NULL}};
static const pb_test_case expr_tests[] = {
    {"expression pendulum = built-in f and Jacobian", test_expr_matches_pendulum},
    {"malformed expressions", test_expr_errors},
    {"observation map and its Jacobian", test_observation_map},
    {NULL, NULL}};
static const pb_test_case plugin_tests[] = {
    {"plugin built and loaded", test_plugin}, {NULL, NULL}};
static const pb_test_case run_tests[] = {
    {"expr_pendulum traces = pendulum traces", test_expr_pendulum_run},
    {"linear_double_integrator follows its exact hold", test_linear_run},
    {"gym_pendulum sees (cos, sin, omega)", test_gym_observation_run},
    {"plugin config runs", test_plugin_config},
    {"config errors: file:line: key, exit 2", test_config_errors},
    {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {{"plant_user_linear", linear_tests},
                                        {"plant_user_expr", expr_tests},
                                        {"plant_user_plugin", plugin_tests},
                                        {"plant_user_run", run_tests},
                                        {NULL, NULL}};
