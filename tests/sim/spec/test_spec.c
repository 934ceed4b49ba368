/* test_spec.c: sim/spec, the robustness degree of Fainekos & Pappas (2009)
 * against values worked out by hand in the comments (signed Euclidean
 * distance to a box; min / max over the control steps of a window), the
 * sign at the boundary, infinite bounds, rows not reached, and the streaming
 * monitor against a brute-force recomputation over random signals. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pb_test.h"
#include "spec.h"

static spec_pred box2(double lo0, double hi0, double lo1, double hi1)
{
    spec_pred p;
    memset(&p, 0, sizeof p);
    p.kind = SPEC_PRED_BOX;
    p.nx = 2;
    p.lo[0] = lo0;
    p.hi[0] = hi0;
    p.lo[1] = lo1;
    p.hi[1] = hi1;
    return p;
}

static void test_pred_rho(void)
{
    spec_pred p = box2(0.0, 1.0, -2.0, 2.0);
    spec_pred half = box2(0.0, INFINITY, -INFINITY, INFINITY);
    spec_pred all = box2(-INFINITY, INFINITY, -INFINITY, INFINITY);

    /* inside: the nearest face, min(0.3 - 0, 1 - 0.3, 0.5 + 2, 2 - 0.5) = 0.3 */
    PB_ASSERT_CLOSE(spec_pred_rho(&p, (double[]){0.3, 0.5}), 0.3, 1e-15, 0.0);
    /* inside, nearest face on the second axis: min(0.5, 0.5, 0.1, 3.9) = 0.1 */
    PB_ASSERT_CLOSE(spec_pred_rho(&p, (double[]){0.5, -1.9}), 0.1, 1e-14, 0.0);
    /* outside along one axis: x0 = 1.25 is 0.25 above hi */
    PB_ASSERT_CLOSE(spec_pred_rho(&p, (double[]){1.25, 0.0}), -0.25, 1e-15, 0.0);
    /* outside a corner: distance to (1, 2) from (4, 6) is 5 (3-4-5) */
    PB_ASSERT_CLOSE(spec_pred_rho(&p, (double[]){4.0, 6.0}), -5.0, 1e-15, 0.0);
    /* outside below both: to (0, -2) from (-3, -6): 5 */
    PB_ASSERT_CLOSE(spec_pred_rho(&p, (double[]){-3.0, -6.0}), -5.0, 1e-15, 0.0);
    /* the boundary: exactly 0, for a point on a face and on a corner */
    CU_ASSERT_EQUAL(spec_pred_rho(&p, (double[]){1.0, 0.0}), 0.0);
    CU_ASSERT_EQUAL(spec_pred_rho(&p, (double[]){0.0, 2.0}), 0.0);
    CU_ASSERT_FALSE(spec_is_satisfied(spec_pred_rho(&p, (double[]){1.0, 0.0})));
    /* infinite bounds: only x0 >= 0 constrains */
    PB_ASSERT_CLOSE(spec_pred_rho(&half, (double[]){7.0, -1e300}), 7.0, 1e-15, 0.0);
    PB_ASSERT_CLOSE(spec_pred_rho(&half, (double[]){-0.5, 1e300}), -0.5, 1e-15, 0.0);
    /* no finite bound: every state is deep inside */
    CU_ASSERT(isinf(spec_pred_rho(&all, (double[]){3.0, 4.0})) &&
              spec_pred_rho(&all, (double[]){3.0, 4.0}) > 0);
    CU_ASSERT(isnan(spec_pred_rho(&p, (double[]){NAN, 0.0})));
}

static void test_window_steps(void)
{
    size_t lo, hi;

    /* 0.5 / 0.05 = 10 up to rounding (0.5 / 0.05 = 9.999999999999998 in binary) */
    CU_ASSERT(spec_window_steps(0.5, 1.0, 0.05, 20, &lo, &hi));
    CU_ASSERT_EQUAL(lo, 10);
    CU_ASSERT_EQUAL(hi, 20);
    /* one instant: t = 5 at period 0.1 is step 50 */
    CU_ASSERT(spec_window_steps(5.0, 5.0, 0.1, 50, &lo, &hi));
    CU_ASSERT(lo == 50 && hi == 50);
    /* a window past the horizon is clamped */
    CU_ASSERT(spec_window_steps(0.0, 1e9, 1.0, 20, &lo, &hi));
    CU_ASSERT(lo == 0 && hi == 20);
    CU_ASSERT(spec_window_steps(0.0, INFINITY, 1.0, 20, &lo, &hi) && hi == 20);
    /* between two steps, or after the horizon: empty */
    CU_ASSERT_FALSE(spec_window_steps(0.31, 0.39, 0.1, 50, &lo, &hi));
    CU_ASSERT_FALSE(spec_window_steps(21.0, 22.0, 1.0, 20, &lo, &hi));
    CU_ASSERT_FALSE(spec_window_steps(2.0, 1.0, 1.0, 20, &lo, &hi));
}

/* A scalar signal x_k (k = 0..5, period 1) in a 1-D spec. */
static spec one(spec_op op, double a, double b, double lo, double hi)
{
    spec s;
    memset(&s, 0, sizeof s);
    s.n = 1;
    snprintf(s.props[0].name, SPEC_NAME_MAX, "p");
    s.props[0].op = op;
    s.props[0].a = a;
    s.props[0].b = b;
    s.props[0].pred.kind = SPEC_PRED_BOX;
    s.props[0].pred.nx = 1;
    s.props[0].pred.lo[0] = lo;
    s.props[0].pred.hi[0] = hi;
    return s;
}

static void test_operators(void)
{
    /* x = 0.5, 0.9, 1.2, 0.8, 0.4, 0.1 against the box [0, 1] */
    const double x[6] = {0.5, 0.9, 1.2, 0.8, 0.4, 0.1};
    spec s;

    /* always over all: min(0.5, 0.1, -0.2, 0.2, 0.4, 0.1) = -0.2 */
    s = one(SPEC_ALWAYS, 0, 5, 0.0, 1.0);
    PB_ASSERT_CLOSE(spec_eval_traj(&s, 1.0, 5, x, 1, NULL), -0.2, 1e-14, 0.0);
    /* always over [3, 5]: min(0.2, 0.4, 0.1) = 0.1 */
    s = one(SPEC_ALWAYS, 3, 5, 0.0, 1.0);
    PB_ASSERT_CLOSE(spec_eval_traj(&s, 1.0, 5, x, 1, NULL), 0.1, 1e-14, 0.0);
    /* eventually in [1.1, 2] over [0, 5]: rho = min(x - 1.1, 2 - x) inside,
     * -(1.1 - x) below: -0.6, -0.2, 0.1, -0.3, -0.7, -1.0; max 0.1 */
    s = one(SPEC_EVENTUALLY, 0, 5, 1.1, 2.0);
    PB_ASSERT_CLOSE(spec_eval_traj(&s, 1.0, 5, x, 1, NULL), 0.1, 1e-14, 0.0);
    /* ... over [3, 5] only: max(-0.3, -0.7, -1.0) = -0.3 */
    s = one(SPEC_EVENTUALLY, 3, 5, 1.1, 2.0);
    PB_ASSERT_CLOSE(spec_eval_traj(&s, 1.0, 5, x, 1, NULL), -0.3, 1e-14, 0.0);
    /* avoid [1.1, 2] over [0, 5]: min of -rho = min(0.6, 0.2, -0.1, 0.3, 0.7, 1.0) = -0.1 */
    s = one(SPEC_AVOID, 0, 5, 1.1, 2.0);
    PB_ASSERT_CLOSE(spec_eval_traj(&s, 1.0, 5, x, 1, NULL), -0.1, 1e-14, 0.0);
    /* avoid over [3, 4]: min(0.3, 0.7) = 0.3 */
    s = one(SPEC_AVOID, 3, 4, 1.1, 2.0);
    PB_ASSERT_CLOSE(spec_eval_traj(&s, 1.0, 5, x, 1, NULL), 0.3, 1e-14, 0.0);
    /* infinite upper bound: always x >= 0: min(x) = 0.1 */
    s = one(SPEC_ALWAYS, 0, 5, 0.0, INFINITY);
    PB_ASSERT_CLOSE(spec_eval_traj(&s, 1.0, 5, x, 1, NULL), 0.1, 1e-14, 0.0);
}

static void test_boundary_sign(void)
{
    /* touching the boundary: robustness 0, not satisfied, for always and avoid */
    const double x[3] = {0.5, 1.0, 0.5};
    spec s = one(SPEC_ALWAYS, 0, 2, 0.0, 1.0);
    double r = spec_eval_traj(&s, 1.0, 2, x, 1, NULL);
    CU_ASSERT_EQUAL(r, 0.0);
    CU_ASSERT_FALSE(spec_is_satisfied(r));
    s = one(SPEC_AVOID, 0, 2, 1.0, 3.0);
    r = spec_eval_traj(&s, 1.0, 2, x, 1, NULL);
    CU_ASSERT_EQUAL(r, 0.0);
    CU_ASSERT_FALSE(spec_is_satisfied(r));
    /* eventually reaching the boundary only: 0, not satisfied */
    s = one(SPEC_EVENTUALLY, 0, 2, 1.0, 3.0);
    CU_ASSERT_EQUAL(spec_eval_traj(&s, 1.0, 2, x, 1, NULL), 0.0);
    CU_ASSERT(spec_is_satisfied(1e-300));
    CU_ASSERT_FALSE(spec_is_satisfied(-0.0));
    CU_ASSERT_FALSE(spec_is_satisfied(NAN));
}

static void test_not_reached(void)
{
    /* the loop diverged after step 2: rows 3..5 NaN */
    const double x[6] = {0.5, 1.5, 0.4, NAN, NAN, NAN};
    spec s = one(SPEC_ALWAYS, 0, 2, 0.0, 1.0);
    /* a window before the divergence is unaffected: min(0.5, -0.5, 0.4) */
    PB_ASSERT_CLOSE(spec_eval_traj(&s, 1.0, 5, x, 1, NULL), -0.5, 1e-14, 0.0);
    s = one(SPEC_ALWAYS, 2, 5, 0.0, 1.0);
    CU_ASSERT(isinf(spec_eval_traj(&s, 1.0, 5, x, 1, NULL)) &&
              spec_eval_traj(&s, 1.0, 5, x, 1, NULL) < 0);
    s = one(SPEC_AVOID, 2, 5, 5.0, 6.0);
    CU_ASSERT(spec_eval_traj(&s, 1.0, 5, x, 1, NULL) == -INFINITY);
    /* eventually counts the rows reached: x1 = 1.5 in [1, 2] gives 0.5 */
    s = one(SPEC_EVENTUALLY, 0, 5, 1.0, 2.0);
    PB_ASSERT_CLOSE(spec_eval_traj(&s, 1.0, 5, x, 1, NULL), 0.5, 1e-14, 0.0);
    s = one(SPEC_EVENTUALLY, 3, 5, 1.0, 2.0);
    CU_ASSERT(spec_eval_traj(&s, 1.0, 5, x, 1, NULL) == -INFINITY);
}

/* The monitor against a brute-force recomputation of the definitions, with
 * rows folded in a shuffled order, on random 3-D signals and specs. */
static void test_monitor_brute_force(void)
{
    srand(12345);
    for (int trial = 0; trial < 300; trial++) {
        enum { NX = 3, N = 12 };
        double x[(N + 1) * NX], per[SPEC_PROPS_MAX];
        size_t order[N + 1];
        spec s;
        spec_monitor m;
        double conj = INFINITY;
        memset(&s, 0, sizeof s);
        s.n = 1 + (size_t)(rand() % 4);
        for (size_t i = 0; i < (N + 1) * NX; i++)
            x[i] = 4.0 * rand() / RAND_MAX - 2.0;
        for (size_t i = 0; i < s.n; i++) {
            spec_prop *p = &s.props[i];
            int a = rand() % (N + 1), b = a + rand() % (N + 1 - a);
            snprintf(p->name, SPEC_NAME_MAX, "p%zu", i);
            p->op = (spec_op)(rand() % 3);
            p->a = 0.5 * a;
            p->b = 0.5 * b;
            p->pred.nx = NX;
            for (size_t c = 0; c < NX; c++) {
                double u = 3.0 * rand() / RAND_MAX - 1.5, w = 2.0 * rand() / RAND_MAX;
                p->pred.lo[c] = rand() % 5 == 0 ? -INFINITY : u;
                p->pred.hi[c] = rand() % 5 == 0 ? INFINITY : u + w;
            }
            /* brute force: signed distance from the definition, per row */
            per[i] = p->op == SPEC_EVENTUALLY ? -INFINITY : INFINITY;
            for (int k = a; k <= b; k++) {
                const double *xk = x + k * NX;
                double d2 = 0.0, din = INFINITY, rho;
                int in = 1;
                for (size_t c = 0; c < NX; c++) {
                    double below = p->pred.lo[c] - xk[c], above = xk[c] - p->pred.hi[c];
                    double e = below > 0 ? below : above > 0 ? above : 0.0;
                    d2 += e * e;
                    if (e > 0)
                        in = 0;
                    din = fmin(din, fmin(-below, -above));
                }
                rho = in ? din : -sqrt(d2);
                per[i] = p->op == SPEC_ALWAYS       ? fmin(per[i], rho)
                         : p->op == SPEC_EVENTUALLY ? fmax(per[i], rho)
                                                    : fmin(per[i], -rho);
            }
            conj = fmin(conj, per[i]);
        }
        CU_ASSERT_EQUAL(spec_validate(&s, 0.5, N, NULL), PB_SUCCESS);
        for (size_t k = 0; k <= N; k++)
            order[k] = k;
        for (size_t k = N; k > 0; k--) {
            size_t j = (size_t)rand() % (k + 1), t = order[k];
            order[k] = order[j];
            order[j] = t;
        }
        spec_monitor_init(&m, &s, 0.5, N);
        for (size_t k = 0; k <= N; k++)
            spec_monitor_fold(&m, order[k], x + order[k] * NX);
        for (size_t i = 0; i < s.n; i++)
            PB_ASSERT_CLOSE(spec_monitor_prop(&m, i), per[i], 1e-14, 1e-15);
        PB_ASSERT_CLOSE(spec_monitor_robustness(&m), conj, 1e-14, 1e-15);
        CU_ASSERT_EQUAL(spec_is_satisfied(spec_monitor_robustness(&m)), conj > 0);
    }
}

static void test_validate(void)
{
    spec s = one(SPEC_ALWAYS, 0.5, 1.0, 0.0, 1.0);
    pb_error err;

    CU_ASSERT_EQUAL(spec_validate(&s, 0.05, 20, &err), PB_SUCCESS);
    s.props[0].a = 0.31;
    s.props[0].b = 0.34;
    CU_ASSERT_EQUAL(spec_validate(&s, 0.05, 20, &err), PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no control step"));
    s = one(SPEC_ALWAYS, 1.0, 0.5, 0.0, 1.0);
    CU_ASSERT_EQUAL(spec_validate(&s, 0.05, 20, &err), PB_EINVAL);
    s = one(SPEC_ALWAYS, 0.0, 1.0, 1.0, 0.0);
    CU_ASSERT_EQUAL(spec_validate(&s, 0.05, 20, &err), PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "low <= high"));
    s = one(SPEC_ALWAYS, 0.0, 1.0, NAN, 0.0);
    CU_ASSERT_EQUAL(spec_validate(&s, 0.05, 20, &err), PB_EINVAL);
    s = one(SPEC_ALWAYS, 0.0, 1.0, 0.0, 1.0);
    s.n = 2;
    s.props[1] = s.props[0];
    CU_ASSERT_EQUAL(spec_validate(&s, 0.05, 20, &err), PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "twice"));
    s.props[1].name[0] = '\0';
    CU_ASSERT_EQUAL(spec_validate(&s, 0.05, 20, &err), PB_EINVAL);
}

static const pb_test_case spec_tests[] = {
    {"box: signed Euclidean distance by hand", test_pred_rho},
    {"windows: control steps in [a, b]", test_window_steps},
    {"always / eventually / avoid by hand", test_operators},
    {"the boundary: robustness 0, not satisfied", test_boundary_sign},
    {"rows not reached", test_not_reached},
    {"monitor = brute force, any row order", test_monitor_brute_force},
    {"validation", test_validate},
    {NULL, NULL},
};

const pb_test_suite pb_test_suites[] = {
    {"spec", spec_tests},
    {NULL, NULL},
};
