/* cmd_plants.c: `prunebound plants [NAME] [--demo ...]`: the plant types,
 * their states, inputs and parameters (what a config may set), and a demo of
 * the nonlinear plant under its LQR expert. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "cli_json.h"
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
    printf("usage: prunebound plants [NAME] [--json]\n"
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
           "  --param KEY=VAL  set a plant parameter (repeatable)\n"
           "  --json           print the plants as one JSON document (docs/CLI.md)\n"
           "  -q, --quiet      accepted (plants prints no notes)\n"
           "Every long option also reads --name=VALUE.\n\n"
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

/* A plant type as JSON (docs/CLI.md): what describe() prints. */
static json_t *plant_json(const plant_type *t)
{
    json_t *o = json_object(), *st = json_array(), *in = json_array(), *ps = json_array();

    json_object_set_new(o, "name", json_string(t->name));
    json_object_set_new(o, "equation", json_string(t->equation));
    json_object_set_new(o, "nx", json_integer((json_int_t)t->nx));
    json_object_set_new(o, "nu", json_integer((json_int_t)t->nu));
    for (size_t i = 0; i < t->nx; i++)
        json_array_append_new(st, json_pack("{s:s, s:s}", "name", t->states[i].name, "unit",
                                            t->states[i].unit));
    for (size_t i = 0; i < t->nu; i++)
        json_array_append_new(in, json_pack("{s:s, s:s}", "name", t->inputs[i].name, "unit",
                                            t->inputs[i].unit));
    for (size_t i = 0; i < t->np; i++) {
        const plant_param *p = &t->params[i];
        json_array_append_new(ps, json_pack("{s:s, s:o, s:s, s:s, s:o, s:o}", "name", p->name,
                                            "default", cli_json_num(p->def), "unit", p->unit,
                                            "doc", p->doc, "min", cli_json_num(p->lo), "max",
                                            cli_json_num(p->hi)));
    }
    json_object_set_new(o, "states", st);
    json_object_set_new(o, "inputs", in);
    json_object_set_new(o, "period", t->period > 0 ? json_real(t->period) : json_null());
    json_object_set_new(o, "params", ps);
    return o;
}

enum { OPT_DEMO = 1, OPT_JSON, OPT_X0, OPT_STEPS, OPT_PERIOD, OPT_PARAM };

static const cli_option plants_opts[] = {
    {"demo", 0, 0, OPT_DEMO, NULL},     {"json", 0, 0, OPT_JSON, NULL},   {"x0", 0, 1, OPT_X0, NULL},
    {"steps", 0, 1, OPT_STEPS, NULL},   {"period", 0, 1, OPT_PERIOD, NULL}, {"param", 0, 1, OPT_PARAM, NULL},
    {NULL, 0, 0, 0, NULL}};

#define DEMO_PARAMS_MAX 64

int cmd_plants(int argc, char **argv)
{
    const char *cmd = argv[0], *name = NULL, *x0_arg = NULL;
    const plant_type *t;
    plant *m = NULL;
    double x0[PLANT_NX_MAX], period = 0.0;
    long steps = 0;
    int demo = 0, code = 0, json = 0, id;
    const char *params[DEMO_PARAMS_MAX], *v;
    size_t n_params = 0;
    cli_parser cp;
    pb_error err;

    if (cli_wants_help(argc, argv)) {
        print_help();
        return 0;
    }
    pb_error_clear(&err);
    cli_parser_init(&cp, argc, argv, plants_opts);
    while ((id = cli_next(&cp, &v)) != CLI_END) {
        switch (id) {
        case CLI_ERROR:
            return 2;
        case OPT_DEMO:
            demo = 1;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_X0:
            x0_arg = v;
            break;
        case OPT_STEPS: {
            char *end;
            errno = 0;
            steps = strtol(v, &end, 10);
            if (*v == '\0' || *end != '\0' || errno || steps < 1 || steps > 100000000L)
                return cli_usage_error(cmd, "--steps '%s' must be an integer in [1, 1e8]", v);
            break;
        }
        case OPT_PERIOD:
            if (!parse_double(v, &period) || period <= 0.0)
                return cli_usage_error(cmd, "--period '%s' must be a number > 0", v);
            break;
        case OPT_PARAM: /* applied below, once the type is known */
            if (n_params == DEMO_PARAMS_MAX)
                return cli_usage_error(cmd, "more than %d --param options", DEMO_PARAMS_MAX);
            params[n_params++] = v;
            break;
        default: /* CLI_ARG */
            if (name)
                return cli_usage_error(cmd, "expected at most one plant name, got '%s' and '%s'",
                                       name, v);
            name = v;
        }
    }
    if (json && demo)
        return cli_usage_error(cmd, "--json describes plants; it does not go with --demo");
    if (!name) {
        if (demo || x0_arg || period > 0.0 || steps != 0)
            return cli_usage_error(cmd, "--demo and its options need a plant NAME");
        json_t *list = json ? json_array() : NULL;
        for (const plant_type *const *tp = plant_types; *tp; tp++) {
            if (json) {
                json_array_append_new(list, plant_json(*tp));
                continue;
            }
            describe(*tp);
            printf("\n");
        }
        if (json)
            cli_json_print(json_pack("{s:s, s:o}", "command", "plants", "plants", list));
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
        if (x0_arg || period > 0.0 || steps != 0 || n_params)
            return cli_usage_error(cmd, "--x0, --steps, --period and --param need --demo");
        if (json)
            cli_json_print(json_pack("{s:s, s:[o]}", "command", "plants", "plants", plant_json(t)));
        else
            describe(t);
        return 0;
    }

    m = plant_alloc(t);
    if (!m) {
        pb_error_set(&err, PB_ENOMEM, "out of memory");
        return cli_fail(cmd, &err);
    }
    for (size_t i = 0; i < n_params; i++) {
        char key[128];
        const char *eq, *pa = params[i];
        double pv;
        eq = strchr(pa, '=');
        if (!eq || eq == pa || (size_t)(eq - pa) >= sizeof key) {
            code = cli_usage_error(cmd, "--param '%s' must read KEY=VALUE", pa);
            goto out;
        }
        memcpy(key, pa, (size_t)(eq - pa));
        key[eq - pa] = '\0';
        if (!parse_double(eq + 1, &pv) && strcmp(eq + 1, "inf") != 0) {
            code = cli_usage_error(cmd, "--param %s: '%s' is not a number", key, eq + 1);
            goto out;
        }
        if (strcmp(eq + 1, "inf") == 0)
            pv = INFINITY;
        if (plant_set_param(m, key, pv, &err) != PB_SUCCESS) {
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
