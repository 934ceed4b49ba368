/* test_sim_ref.c: sim/engine/sim_ref.c, the references a loop tracks, each
 * kind against its analytic formula (docs/CONFIG.md, "reference") at many
 * times, written out here:
 *   setpoint  r(t) = base
 *   step      r(t) = values[i] for times[i] <= t < times[i+1], base before times[0]
 *   sine      r_i(t) = base_i + amplitude_i sin(2 pi frequency_i t)
 *   circle    r[c0, c1] = centre + R (cos wt, sin wt), r[c2] = altitude, w = 2 pi / P
 *   figure8   r[c0, c1] = centre + (R sin wt, R sin wt cos wt) (lemniscate of Gerono)
 * components the kind does not drive stay at base; the tracking error is the
 * Euclidean norm over the tracked components; every validation error. */
#include <math.h>
#include <string.h>

#include "pb_test.h"
#include "sim_ref.h"

#define TWO_PI 6.283185307179586476925286766559

/* Times at which every kind is checked: before, at and after switching
 * points, and over several periods. */
static const double times[] = {0.0, 1e-9, 0.1,   0.25, 0.4999999, 0.5,  0.5000001, 0.75,  1.0,
                               1.3, 2.0,  2.999, 3.0,  3.5,       7.25, 12.0,      100.0, 1234.5};
#define N_TIMES (sizeof times / sizeof *times)

static void test_kind_names(void)
{
    static const char *const names[] = {"setpoint", "step", "sine", "circle", "figure8"};
    sim_ref_kind k;

    CU_ASSERT_EQUAL(SIM_REF_COUNT, 5);
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_STRING_EQUAL(sim_ref_kind_name((sim_ref_kind)i), names[i]);
        CU_ASSERT_EQUAL(sim_ref_kind_parse(names[i], &k), PB_SUCCESS);
        CU_ASSERT_EQUAL(k, (sim_ref_kind)i);
    }
    CU_ASSERT_PTR_NULL(sim_ref_kind_name(SIM_REF_COUNT));
    CU_ASSERT_PTR_NULL(sim_ref_kind_name((sim_ref_kind)-1));
    k = SIM_REF_SINE;
    CU_ASSERT_EQUAL(sim_ref_kind_parse("Setpoint", &k), PB_EINVAL);
    CU_ASSERT_EQUAL(sim_ref_kind_parse("", &k), PB_EINVAL);
    CU_ASSERT_EQUAL(sim_ref_kind_parse("figure", &k), PB_EINVAL);
    CU_ASSERT_EQUAL(k, SIM_REF_SINE); /* untouched on failure */
}

static void test_setpoint(void)
{
    const double x[3] = {0.5, -2.0, 7.0};
    double ref[4];
    sim_ref r;

    sim_ref_init_setpoint(&r, 3, x);
    CU_ASSERT_EQUAL(r.kind, SIM_REF_SETPOINT);
    CU_ASSERT_EQUAL(r.nx, 3);
    CU_ASSERT_EQUAL(sim_ref_validate(&r, NULL), PB_SUCCESS);
    for (size_t k = 0; k < N_TIMES; k++) {
        ref[3] = 99.0; /* past nx: not written */
        sim_ref_eval(&r, times[k], ref);
        for (size_t i = 0; i < 3; i++)
            CU_ASSERT_EQUAL(ref[i], x[i]);
        CU_ASSERT_EQUAL(ref[3], 99.0);
    }
    for (size_t i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(r.tracked[i], 1);
    sim_ref_init_setpoint(&r, 2, NULL); /* NULL: the origin */
    sim_ref_eval(&r, 4.0, ref);
    CU_ASSERT(ref[0] == 0.0 && ref[1] == 0.0);
}

static void test_step(void)
{
    static const double t_sw[3] = {0.5, 1.0, 3.0};
    static const double val[3][2] = {{1.0, -1.0}, {2.5, 0.0}, {-4.0, 8.0}};
    const double init[2] = {0.25, 0.75};
    double ref[2];
    sim_ref r;

    sim_ref_init_setpoint(&r, 2, init);
    r.kind = SIM_REF_STEP;
    r.n_steps = 3;
    memcpy(r.times, t_sw, sizeof t_sw);
    for (size_t i = 0; i < 3; i++)
        memcpy(r.values[i], val[i], sizeof val[i]);
    CU_ASSERT_EQUAL(sim_ref_validate(&r, NULL), PB_SUCCESS);
    for (size_t k = 0; k < N_TIMES; k++) {
        double t = times[k];
        const double *want = init;
        for (size_t i = 0; i < 3; i++) /* the last switching time <= t */
            if (t_sw[i] <= t)
                want = val[i];
        sim_ref_eval(&r, t, ref);
        if (ref[0] != want[0] || ref[1] != want[1])
            fprintf(stderr, "\nstep at t = %.17g: (%g, %g), want (%g, %g)", t, ref[0], ref[1],
                    want[0], want[1]);
        CU_ASSERT_EQUAL(ref[0], want[0]);
        CU_ASSERT_EQUAL(ref[1], want[1]);
    }
    /* a switch at t = 0 replaces the initial value from the start */
    r.times[0] = 0.0;
    sim_ref_eval(&r, 0.0, ref);
    CU_ASSERT(ref[0] == val[0][0] && ref[1] == val[0][1]);
}

static void test_sine(void)
{
    const double base[3] = {1.0, -0.5, 2.0}, amp[3] = {2.0, 0.3, 5.0}, freq[3] = {0.25, 3.0, 0.0};
    double ref[3];
    sim_ref r;

    sim_ref_init_setpoint(&r, 3, base);
    r.kind = SIM_REF_SINE;
    memcpy(r.amplitude, amp, sizeof amp);
    memcpy(r.frequency, freq, sizeof freq);
    CU_ASSERT_EQUAL(sim_ref_validate(&r, NULL), PB_SUCCESS);
    for (size_t k = 0; k < N_TIMES; k++) {
        double t = times[k];
        sim_ref_eval(&r, t, ref);
        for (size_t i = 0; i < 3; i++)
            PB_ASSERT_CLOSE(ref[i], base[i] + amp[i] * sin(TWO_PI * freq[i] * t), 0,
                            1e-12 * (1 + fabs(t)));
        CU_ASSERT_EQUAL(ref[2], base[2]); /* frequency 0: sin 0 = 0 exactly */
    }
    /* quarter period of component 0 (f = 0.25 Hz): t = 1 s, the crest */
    sim_ref_eval(&r, 1.0, ref);
    PB_ASSERT_CLOSE(ref[0], 3.0, 1e-15, 0);
}

static void test_circle(void)
{
    const double R = 2.0, P = 8.0, c0 = 1.0, c1 = -1.0, alt = 3.0;
    double ref[5], base[5] = {10, 11, 12, 13, 14};
    sim_ref r;

    /* plane axes 3 and 1, altitude 4 */
    sim_ref_init_setpoint(&r, 5, base);
    r.kind = SIM_REF_CIRCLE;
    r.radius = R;
    r.period = P;
    r.centre[0] = c0;
    r.centre[1] = c1;
    r.altitude = alt;
    r.n_comp = 3;
    r.comp[0] = 3;
    r.comp[1] = 1;
    r.comp[2] = 4;
    CU_ASSERT_EQUAL(sim_ref_validate(&r, NULL), PB_SUCCESS);
    for (size_t k = 0; k < N_TIMES; k++) {
        double t = times[k], w = TWO_PI / P;
        sim_ref_eval(&r, t, ref);
        PB_ASSERT_CLOSE(ref[3], c0 + R * cos(w * t), 0, 1e-12);
        PB_ASSERT_CLOSE(ref[1], c1 + R * sin(w * t), 0, 1e-12);
        CU_ASSERT_EQUAL(ref[4], alt);
        CU_ASSERT_EQUAL(ref[0], base[0]);
        CU_ASSERT_EQUAL(ref[2], base[2]);
        PB_ASSERT_CLOSE(hypot(ref[3] - c0, ref[1] - c1), R, 1e-14, 0); /* on the circle */
    }
    /* t = 0: (c0 + R, c1); t = P/4: (c0, c1 + R); t = P/2: (c0 - R, c1) */
    sim_ref_eval(&r, 0.0, ref);
    CU_ASSERT(ref[3] == c0 + R && ref[1] == c1);
    sim_ref_eval(&r, P / 4, ref);
    PB_ASSERT_CLOSE(ref[3], c0, 0, 1e-15);
    PB_ASSERT_CLOSE(ref[1], c1 + R, 1e-15, 0);
    sim_ref_eval(&r, P / 2, ref);
    PB_ASSERT_CLOSE(ref[3], c0 - R, 1e-15, 0);
    PB_ASSERT_CLOSE(ref[1], c1, 0, 1e-15);

    /* two components: the altitude is not applied */
    r.n_comp = 2;
    sim_ref_eval(&r, 1.0, ref);
    CU_ASSERT_EQUAL(ref[4], base[4]);
}

static void test_figure8(void)
{
    const double R = 1.5, P = 10.0, c0 = 0.5, c1 = 2.0;
    double ref[3], again[3];
    sim_ref r;

    sim_ref_init_setpoint(&r, 3, (double[]){-1.0, -2.0, -3.0});
    r.kind = SIM_REF_FIGURE8;
    r.radius = R;
    r.period = P;
    r.centre[0] = c0;
    r.centre[1] = c1;
    r.altitude = 4.0;
    r.n_comp = 3;
    r.comp[0] = 2;
    r.comp[1] = 0;
    r.comp[2] = 1;
    CU_ASSERT_EQUAL(sim_ref_validate(&r, NULL), PB_SUCCESS);
    for (size_t k = 0; k < N_TIMES; k++) {
        double t = times[k], w = TWO_PI / P, x, y;
        sim_ref_eval(&r, t, ref);
        PB_ASSERT_CLOSE(ref[2], c0 + R * sin(w * t), 0, 1e-12);
        PB_ASSERT_CLOSE(ref[0], c1 + R * sin(w * t) * cos(w * t), 0, 1e-12);
        CU_ASSERT_EQUAL(ref[1], 4.0);
        /* on the lemniscate of Gerono: x^4 = R^2 (x^2 - y^2) about the centre */
        x = ref[2] - c0;
        y = ref[0] - c1;
        PB_ASSERT_CLOSE(pow(x, 4), R * R * (x * x - y * y), 0, 1e-11);
        /* periodic with period P */
        sim_ref_eval(&r, t + P, again);
        PB_ASSERT_CLOSE(again[2], ref[2], 0, 1e-11);
        PB_ASSERT_CLOSE(again[0], ref[0], 0, 1e-11);
    }
    /* through the centre at t = 0 and t = P/2; x = R at P/4 with y back at c1 */
    sim_ref_eval(&r, 0.0, ref);
    CU_ASSERT(ref[2] == c0 && ref[0] == c1);
    sim_ref_eval(&r, P / 2, ref);
    PB_ASSERT_CLOSE(ref[2], c0, 0, 1e-15);
    PB_ASSERT_CLOSE(ref[0], c1, 0, 1e-15);
    sim_ref_eval(&r, P / 4, ref);
    PB_ASSERT_CLOSE(ref[2], c0 + R, 1e-15, 0);
    PB_ASSERT_CLOSE(ref[0], c1, 0, 1e-15);
}

static void test_track_error(void)
{
    const double x[4] = {1.0, 5.0, -2.0, 0.5}, ref[4] = {4.0, -7.0, 2.0, 0.5};
    sim_ref r;

    sim_ref_init_setpoint(&r, 4, NULL);
    /* all tracked: sqrt(9 + 144 + 16 + 0) = 13 */
    PB_ASSERT_CLOSE(sim_ref_track_error(&r, x, ref), 13.0, 1e-15, 0);
    r.tracked[1] = 0; /* sqrt(9 + 16) = 5 */
    PB_ASSERT_CLOSE(sim_ref_track_error(&r, x, ref), 5.0, 1e-15, 0);
    r.tracked[0] = r.tracked[2] = 0; /* component 3 alone: 0 */
    CU_ASSERT_EQUAL(sim_ref_track_error(&r, x, ref), 0.0);
    r.tracked[3] = 0; /* none */
    CU_ASSERT_EQUAL(sim_ref_track_error(&r, x, ref), 0.0);
}

/* One invalid reference: validate must refuse it with a message holding word. */
static void refuse(const sim_ref *r, const char *word, const char *what)
{
    pb_error err = {0};
    int rc = sim_ref_validate(r, &err);
    if (rc != PB_EINVAL || !strstr(err.msg, word))
        fprintf(stderr, "\n%s: code %d, message '%s' (expected '%s')", what, rc, err.msg, word);
    CU_ASSERT_EQUAL(rc, PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, word));
    CU_ASSERT_EQUAL(sim_ref_validate(r, NULL), PB_EINVAL); /* err may be NULL */
}

static void curve(sim_ref *r, sim_ref_kind kind)
{
    sim_ref_init_setpoint(r, 3, NULL);
    r->kind = kind;
    r->radius = 1.0;
    r->period = 2.0;
    r->n_comp = 3;
    r->comp[0] = 0;
    r->comp[1] = 1;
    r->comp[2] = 2;
}

static void test_validation(void)
{
    sim_ref r, ok;

    sim_ref_init_setpoint(&r, 2, NULL);
    r.kind = SIM_REF_COUNT;
    refuse(&r, "unknown reference kind", "kind");
    sim_ref_init_setpoint(&r, 2, NULL);
    r.nx = 0;
    refuse(&r, "reference size", "nx 0");
    r.nx = PLANT_NX_MAX + 1;
    refuse(&r, "reference size", "nx too large");
    sim_ref_init_setpoint(&r, 2, NULL);
    r.base[1] = INFINITY;
    refuse(&r, "finite", "base inf");

    /* step */
    sim_ref_init_setpoint(&ok, 2, NULL);
    ok.kind = SIM_REF_STEP;
    ok.n_steps = 2;
    ok.times[0] = 0.0;
    ok.times[1] = 1.0;
    CU_ASSERT_EQUAL(sim_ref_validate(&ok, NULL), PB_SUCCESS);
    r = ok;
    r.n_steps = 0;
    refuse(&r, "1 to", "no steps");
    r.n_steps = SIM_REF_STEPS_MAX + 1;
    refuse(&r, "1 to", "too many steps");
    r = ok;
    r.times[0] = -0.5;
    refuse(&r, "step times", "negative time");
    r = ok;
    r.times[1] = 0.0; /* equal: not strictly increasing */
    refuse(&r, "increasing", "equal times");
    r = ok;
    r.times[1] = NAN;
    refuse(&r, "finite", "NaN time");
    r = ok;
    r.values[1][0] = NAN;
    refuse(&r, "step values", "NaN value");

    /* sine */
    sim_ref_init_setpoint(&ok, 2, NULL);
    ok.kind = SIM_REF_SINE;
    ok.amplitude[0] = 1.0;
    ok.frequency[0] = 1.0;
    CU_ASSERT_EQUAL(sim_ref_validate(&ok, NULL), PB_SUCCESS);
    r = ok;
    r.amplitude[1] = INFINITY;
    refuse(&r, "finite", "amplitude inf");
    r = ok;
    r.frequency[0] = NAN;
    refuse(&r, "finite", "frequency NaN");
    r = ok;
    r.frequency[1] = -0.1;
    refuse(&r, ">= 0", "negative frequency");

    /* circle and figure8 alike */
    for (int kind = SIM_REF_CIRCLE; kind <= SIM_REF_FIGURE8; kind++) {
        curve(&ok, (sim_ref_kind)kind);
        CU_ASSERT_EQUAL(sim_ref_validate(&ok, NULL), PB_SUCCESS);
        r = ok;
        r.radius = 0.0;
        refuse(&r, "radius", "radius 0");
        r.radius = -1.0;
        refuse(&r, "radius", "radius < 0");
        r.radius = INFINITY;
        refuse(&r, "radius", "radius inf");
        r.radius = NAN;
        refuse(&r, "radius", "radius NaN");
        r = ok;
        r.period = 0.0;
        refuse(&r, "period", "period 0");
        r.period = INFINITY;
        refuse(&r, "period", "period inf");
        r = ok;
        r.altitude = NAN;
        refuse(&r, "altitude", "altitude NaN");
        r = ok;
        r.centre[1] = -INFINITY;
        refuse(&r, "centre", "centre inf");
        r = ok;
        r.n_comp = 1;
        refuse(&r, "2 or 3", "one component");
        r.n_comp = 4;
        refuse(&r, "2 or 3", "four components");
        r = ok;
        r.comp[2] = 3; /* nx = 3 */
        refuse(&r, "not a state index", "component out of range");
        r = ok;
        r.comp[2] = 0;
        refuse(&r, "twice", "component twice");
    }
}

static const pb_test_case sim_ref_tests[] = {
    {"kind names and parsing", test_kind_names},
    {"setpoint: r(t) = base", test_setpoint},
    {"step: piecewise constant, switch at times[i] inclusive", test_step},
    {"sine: base + A sin(2 pi f t)", test_sine},
    {"circle: centre + R (cos wt, sin wt), altitude", test_circle},
    {"figure8: lemniscate of Gerono, periodic", test_figure8},
    {"tracking error over tracked components", test_track_error},
    {"validation: every refusal with its message", test_validation},
    {NULL, NULL},
};

const pb_test_suite pb_test_suites[] = {
    {"sim_ref", sim_ref_tests},
    {NULL, NULL},
};
