/* cmd_plants.c: `prunebound plants [NAME] [--demo ...]`: the plant types,
 * their states, inputs and parameters (what a config may set), and a demo of
 * the nonlinear plant under its LQR expert. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "plant.h"
#include "plant_lqr.h"
#include "plant_step.h"
#include "sim.h"

#define DEMO_OFFSET      0.1  /* default offset of every weighted state */
#define DEMO_HORIZON     10.0 /* default simulated time (s), at least DEMO_MIN_STEPS */
#define DEMO_MIN_STEPS   20
#define DEMO_ROWS        20   /* about this many table rows */
#define DEMO_PERIOD_NONE 0.05 /* when the type suggests no period */

static void describe(const plant_type *t)
{
    printf("%s: %zu states, %zu inputs\n  %s\n  states:", t->name, t->nx, t->nu, t->equation);
    for (size_t i = 0; i < t->nx; i++)
        printf(" %s [%s]", t->states[i].name, t->states[i].unit);
    printf("\n  inputs:");
    for (size_t i = 0; i < t->nu; i++)
        printf(" %s [%s]", t->inputs[i].name, t->inputs[i].unit);
    if (t->period > 0)
        printf("\n  suggested control period: %g s", t->period);
    printf("\n  parameters (name = default [unit]: meaning):\n");
    for (size_t i = 0; i < t->np; i++) {
        const plant_param *p = &t->params[i];
        printf("    %-10s = %-8g [%s]: %s\n", p->name, p->def, p->unit, p->doc);
    }
}

static void print_help(void)
{
    printf("usage: prunebound plants [NAME]\n"
           "       prunebound plants NAME --demo [--x0 V,V,...] [--steps N] [--period T]\n"
           "                                    [--param KEY=VALUE]...\n\n"
           "Lists every plant type with its states, inputs and parameters (the keys of a\n"
           "config's plant.params), or describes the one named.\n\n"
           "--demo simulates the nonlinear plant (rk8pd, tolerances 1e-10) under its LQR\n"
           "expert (the type's default weights, linearised at the equilibrium, exact ZOH at\n"
           "the period) and prints t, |x - x*| and the inputs.\n"
           "  --x0 V,V,...     initial state, nx comma-separated values (default: the\n"
           "                   equilibrium plus %g in every state the LQR weighs)\n"
           "  --steps N        number of control periods (default: %g s of simulated\n"
           "                   time, at least %d periods)\n"
           "  --period T       control period in seconds (default: the type's suggestion)\n"
           "  --param KEY=VAL  set a plant parameter (repeatable)\n\n"
           "Exit status: 0 success (also when the demo trajectory diverges, which is\n"
           "reported), 2 bad usage or input, 1 internal failure.\n",
           DEMO_OFFSET, DEMO_HORIZON, DEMO_MIN_STEPS);
}

/* Parses a finite double; non-zero on success. */
static int parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && *end == '\0' && errno == 0 && isfinite(*v);
}

/* Parses "v,v,...,v" with exactly n finite values; non-zero on success. */
static int parse_vector(const char *s, double *v, size_t n)
{
    const char *p = s;
    for (size_t k = 0; k < n; k++) {
        char *end;
        errno = 0;
        v[k] = strtod(p, &end);
        if (end == p || errno || !isfinite(v[k]))
            return 0;
        if (k + 1 < n && *end != ',')
            return 0;
        p = end + (k + 1 < n);
        if (k + 1 == n && *end != '\0')
            return 0;
    }
    return 1;
}

/* The LQR expert as a policy of the engine. */
static void demo_policy(void *ctx, const double x[], double u[])
{
    plant_lqr_eval((const plant_lqr *)ctx, x, u);
}

/* The expert's closed loop through the engine (sim.h), every tracked state
 * against the equilibrium; prints about DEMO_ROWS rows. */
static int run_demo(const char *cmd, plant *m, const double *x0_user, long steps, double period)
{
    const plant_type *t = m->type;
    pb_error err;
    plant_integrator opts;
    plant_lqr *lqr = NULL;
    sim_model *model = NULL;
    sim_lanes *lanes = NULL;
    sim_criterion crit;
    sim_ref ref;
    const sim_row *row;
    double x0[PLANT_NX_MAX];
    long every = steps / DEMO_ROWS > 1 ? steps / DEMO_ROWS : 1;
    int code = 0;

    pb_error_clear(&err);
    plant_integrator_init(&opts);
    sim_criterion_init(&crit);
    lqr = plant_lqr_alloc(m, period, NULL, NULL, &err);
    if (!lqr)
        goto fail;
    sim_ref_init_setpoint(&ref, t->nx, lqr->x_eq);
    model = sim_model_alloc(m, &opts, period, (double)steps * period, &ref, SIM_INPUT_STATE, &crit,
                            &(sim_policy){NULL, demo_policy, lqr}, 0, NULL, &err);
    if (!model || !(lanes = sim_lanes_alloc(model, 1, &err)))
        goto fail;
    for (size_t i = 0; i < t->nx; i++)
        x0[i] = x0_user ? x0_user[i] : lqr->x_eq[i] + (t->lqr_q[i] > 0 ? DEMO_OFFSET : 0.0);
    if (sim_lanes_start(model, lanes, &(sim_block){1, x0, NULL, NULL, NULL}, &err))
        goto fail;
    row = sim_lanes_row(lanes);

    printf("# %s under its LQR expert, period %g s, rk8pd 1e-10\n# %10s %12s", t->name, period,
           "t [s]", "|x - x*|");
    for (size_t i = 0; i < t->nu; i++)
        printf(" %12s", t->inputs[i].name);
    printf("\n");
    for (size_t k = 0; k <= model->n_steps; k++) {
        sim_lanes_eval(model, lanes);
        if (!row->reached[0] && k == 0) {
            printf("# the initial state is outside the plant's limits\n");
            break;
        }
        if (!row->reached[0]) {
            printf("# diverged in the period from t = %g s: the state left its limits, became "
                   "non-finite or could not be integrated\n",
                   (double)(k - 1) * period);
            break;
        }
        if ((long)k % every == 0 || k == model->n_steps) {
            double u[PLANT_NU_MAX];
            for (size_t i = 0; i < t->nu; i++)
                u[i] = row->u[i * row->ld];
            plant_saturate(m, u); /* what the plant receives */
            printf("  %10.4f %12.5e", row->t, row->track[0]);
            for (size_t i = 0; i < t->nu; i++)
                printf(" %12.5e", u[i]);
            printf("\n");
        }
        if (k < model->n_steps && sim_lanes_advance(model, lanes, &err))
            goto fail;
    }
    goto out;
fail:
    code = cli_fail(cmd, &err);
out:
    sim_lanes_free(lanes);
    sim_model_free(model);
    plant_lqr_free(lqr);
    return code;
}

int cmd_plants(int argc, char **argv)
{
    const char *cmd = argv[0], *name = NULL, *x0_arg = NULL;
    const plant_type *t;
    plant *m = NULL;
    double x0[PLANT_NX_MAX], period = 0.0;
    long steps = 0;
    int demo = 0, code = 0;
    pb_error err;

    if (cli_wants_help(argc, argv)) {
        print_help();
        return 0;
    }
    pb_error_clear(&err);
    /* First pass: the name and the options that do not need the type. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = strcmp(a, "--x0") == 0 || strcmp(a, "--steps") == 0 ||
                        strcmp(a, "--period") == 0 || strcmp(a, "--param") == 0;
        if (has_value && i + 1 >= argc)
            return cli_usage_error(cmd, "option %s needs a value", a);
        if (strcmp(a, "--demo") == 0) {
            demo = 1;
        } else if (strcmp(a, "--x0") == 0) {
            x0_arg = argv[++i];
        } else if (strcmp(a, "--steps") == 0) {
            char *end;
            errno = 0;
            steps = strtol(argv[++i], &end, 10);
            if (*argv[i] == '\0' || *end != '\0' || errno || steps < 1 || steps > 100000000L)
                return cli_usage_error(cmd, "--steps '%s' must be an integer in [1, 1e8]", argv[i]);
        } else if (strcmp(a, "--period") == 0) {
            if (!parse_double(argv[++i], &period) || period <= 0.0)
                return cli_usage_error(cmd, "--period '%s' must be a number > 0", argv[i]);
        } else if (strcmp(a, "--param") == 0) {
            i++; /* applied below, once the type is known */
        } else if (a[0] == '-') {
            return cli_usage_error(cmd, "unknown option '%s'", a);
        } else if (name) {
            return cli_usage_error(cmd, "expected at most one plant name, got '%s' and '%s'", name,
                                   a);
        } else {
            name = a;
        }
    }
    if (!name) {
        if (demo || x0_arg || period > 0.0 || steps != 0)
            return cli_usage_error(cmd, "--demo and its options need a plant NAME");
        for (const plant_type *const *tp = plant_types; *tp; tp++) {
            describe(*tp);
            printf("\n");
        }
        return 0;
    }
    t = plant_find(name);
    if (!t) {
        char list[512] = "";
        for (const plant_type *const *tp = plant_types; *tp; tp++) {
            if (strlen(list) + strlen((*tp)->name) + 3 >= sizeof list)
                break;
            strcat(list, tp == plant_types ? "" : ", ");
            strcat(list, (*tp)->name);
        }
        return cli_usage_error(cmd, "unknown plant '%s' (one of: %s)", name, list);
    }
    if (!demo) {
        if (x0_arg || period > 0.0 || steps != 0)
            return cli_usage_error(cmd, "--x0, --steps, --period and --param need --demo");
        for (int i = 1; i < argc; i++)
            if (strcmp(argv[i], "--param") == 0)
                return cli_usage_error(cmd, "--x0, --steps, --period and --param need --demo");
        describe(t);
        return 0;
    }

    m = plant_alloc(t);
    if (!m) {
        pb_error_set(&err, PB_ENOMEM, "out of memory");
        return cli_fail(cmd, &err);
    }
    for (int i = 1; i + 1 < argc; i++) {
        char key[128];
        const char *eq;
        double v;
        if (strcmp(argv[i], "--param") != 0)
            continue;
        eq = strchr(argv[++i], '=');
        if (!eq || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof key) {
            code = cli_usage_error(cmd, "--param '%s' must read KEY=VALUE", argv[i]);
            goto out;
        }
        memcpy(key, argv[i], (size_t)(eq - argv[i]));
        key[eq - argv[i]] = '\0';
        if (!parse_double(eq + 1, &v) && strcmp(eq + 1, "inf") != 0) {
            code = cli_usage_error(cmd, "--param %s: '%s' is not a number", key, eq + 1);
            goto out;
        }
        if (strcmp(eq + 1, "inf") == 0)
            v = INFINITY;
        if (plant_set_param(m, key, v, &err) != PB_SUCCESS) {
            code = cli_fail(cmd, &err);
            goto out;
        }
    }
    if (plant_validate(m, &err) != PB_SUCCESS) {
        code = cli_fail(cmd, &err);
        goto out;
    }
    if (x0_arg && !parse_vector(x0_arg, x0, t->nx)) {
        code = cli_usage_error(cmd, "--x0 '%s' must be %zu finite comma-separated numbers (%s)",
                               x0_arg, t->nx, t->name);
        goto out;
    }
    if (period <= 0.0)
        period = t->period > 0.0 ? t->period : DEMO_PERIOD_NONE;
    if (steps == 0) {
        double n = ceil(DEMO_HORIZON / period);
        steps = n < DEMO_MIN_STEPS ? DEMO_MIN_STEPS : (n > 1e6 ? 1000000L : (long)n);
    }
    code = run_demo(cmd, m, x0_arg ? x0 : NULL, steps, period);
out:
    plant_free(m);
    return code;
}
