/* cfg_spec.c: the spec section of a config (cfg_spec.h).
 *
 *     spec = (
 *       { name = "band"; always = [0.5, 1.0]; box = { theta = [0.0, 1.0]; }; },
 *       { name = "low";  avoid = [0.0, "inf"]; box = { x1 = ("-inf", -2.0); }; }
 *     );
 *
 * Each entry: a name, exactly one operator key (always, eventually, avoid)
 * holding its window [a, b] in seconds, and the predicate: box = { STATE =
 * [low, high]; ... } by state name, components not named unbounded; a bound
 * may be "inf" / "-inf" (then write the pair as a list ( )); or instead of
 * the box, g = "EXPR": the predicate g(x) >= 0 with g an expression in the
 * state names (libmatheval's syntax, plants/plant_user.h), robustness g(x).
 *
 *       { name = "gap"; always = [0.0, 5.0]; g = "x_lead - x_ego - (10 + 1.4 * v_ego)"; } */
#include "cfg_spec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plant_user.h"
#include "spec.h"

_Static_assert(SPEC_NX_MAX >= PLANT_NX_MAX, "a spec box holds every state of a plant");

/* g(x) of an expression predicate: -inf when it has no finite value. */
static double expr_g(const void *ctx, const double x[])
{
    double y;
    if (plant_expr_map_eval(ctx, x, &y, NULL) != PB_SUCCESS || !isfinite(y))
        return -INFINITY;
    return y;
}

void cfg_spec_free(spec *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < SPEC_PROPS_MAX; i++)
        if (s->props[i].pred.kind == SPEC_PRED_EXPR)
            plant_expr_map_free((plant_expr_map *)s->props[i].pred.g_ctx);
    free(s);
}

/* The predicate g = "EXPR" of spec entry pre, compiled in the state names. */
static int load_expr(const cfg_ctx *c, config_setting_t *g, const char *pre,
                     const plant_type *pt, spec_pred *pred)
{
    const char *vars[SPEC_NX_MAX];
    char buf[1024], key[128];
    size_t bad;
    pb_error e;
    plant_expr_map *m;
    config_setting_t *s = config_setting_get_member(g, "g");
    const char *expr[1] = {buf};
    int rc;

    cfg_key(key, sizeof key, pre, "g");
    if ((rc = cfg_get_str(c, g, pre, "g", 1, buf, sizeof buf)))
        return rc;
    for (size_t i = 0; i < pt->nx; i++)
        vars[i] = pt->states[i].name;
    if ((rc = plant_expr_check(buf, pt->nx, vars, &e)))
        return cfg_fail(c, s, key, "%s", e.msg);
    if (!(m = plant_expr_map_alloc(1, expr, pt->nx, vars, 0, &bad, &e)))
        return cfg_fail(c, s, key, "%s", e.msg);
    pred->kind = SPEC_PRED_EXPR;
    pred->g = expr_g;
    pred->g_ctx = m;
    return PB_SUCCESS;
}

/* A number, or "inf", "+inf", "-inf". */
static int bound_of(const config_setting_t *e, double *v)
{
    int t = config_setting_type(e);
    if (t == CONFIG_TYPE_INT)
        *v = (double)config_setting_get_int(e);
    else if (t == CONFIG_TYPE_INT64)
        *v = (double)config_setting_get_int64(e);
    else if (t == CONFIG_TYPE_FLOAT)
        *v = config_setting_get_float(e);
    else if (t == CONFIG_TYPE_STRING) {
        const char *s = config_setting_get_string(e);
        if (strcmp(s, "inf") == 0 || strcmp(s, "+inf") == 0)
            *v = INFINITY;
        else if (strcmp(s, "-inf") == 0)
            *v = -INFINITY;
        else
            return 0;
    } else
        return 0;
    return !isnan(*v);
}

/* A pair [lo, hi] or (lo, hi) of bounds with lo <= hi. */
static int pair_of(const cfg_ctx *c, const config_setting_t *s, const char *key, double *lo,
                   double *hi)
{
    int t = config_setting_type(s);
    if ((t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) || config_setting_length(s) != 2)
        return cfg_fail(c, s, key, "expected a pair [low, high] (a bound may be \"inf\" or "
                                   "\"-inf\", in a list ( ))");
    if (!bound_of(config_setting_get_elem(s, 0), lo) || !bound_of(config_setting_get_elem(s, 1), hi))
        return cfg_fail(c, s, key, "entries must be numbers, \"inf\" or \"-inf\"");
    if (!(*lo <= *hi))
        return cfg_fail(c, s, key, "low (%g) is above high (%g)", *lo, *hi);
    return PB_SUCCESS;
}

static int load_prop(const cfg_ctx *c, config_setting_t *g, const char *pre, const cfg_run *r,
                     double period, size_t n_steps, spec_prop *p)
{
    static const char *const keys[] = {"name", "always", "eventually", "avoid", "box", "g", NULL};
    static const spec_op ops[] = {SPEC_ALWAYS, SPEC_EVENTUALLY, SPEC_AVOID};
    const plant_type *pt = r->plant->type;
    config_setting_t *win = NULL, *box;
    char key[128];
    size_t klo, khi;
    int rc, n_ops = 0;

    if (config_setting_type(g) != CONFIG_TYPE_GROUP)
        return cfg_fail(c, g, pre, "expected a group { name = ...; always = [a, b]; box = {...}; }");
    if ((rc = cfg_check_keys(c, g, pre, keys)) ||
        (rc = cfg_get_str(c, g, pre, "name", 1, p->name, sizeof p->name)))
        return rc;
    if (!p->name[0] || strchr(p->name, '/') || strchr(p->name, ','))
        return cfg_fail(c, config_setting_get_member(g, "name"), cfg_key(key, sizeof key, pre, "name"),
                        "must be non-empty, without '/' or ','");
    for (size_t i = 0; i < 3; i++) {
        config_setting_t *w = config_setting_get_member(g, spec_op_name(ops[i]));
        if (w) {
            n_ops++;
            win = w;
            p->op = ops[i];
        }
    }
    if (n_ops != 1)
        return cfg_fail(c, g, pre, "needs exactly one of always, eventually, avoid (%d given)", n_ops);
    cfg_key(key, sizeof key, pre, spec_op_name(p->op));
    if ((rc = pair_of(c, win, key, &p->a, &p->b)))
        return rc;
    if (!(p->a >= 0.0) || isinf(p->a))
        return cfg_fail(c, win, key, "the window [a, b] needs a finite a >= 0");
    if (!spec_window_steps(p->a, p->b, period, n_steps, &klo, &khi))
        return cfg_fail(c, win, key,
                        "the window [%g, %g] holds no control step (period %g, horizon %g)",
                        p->a, p->b, period, r->horizon);
    /* the predicate: a box by state names, the other components unbounded */
    p->pred.kind = SPEC_PRED_BOX;
    p->pred.nx = pt->nx;
    for (size_t i = 0; i < pt->nx; i++) {
        p->pred.lo[i] = -INFINITY;
        p->pred.hi[i] = INFINITY;
    }
    if (!!config_setting_get_member(g, "box") + !!config_setting_get_member(g, "g") != 1)
        return cfg_fail(c, g, pre, "needs exactly one predicate: box = { ... } or g = \"EXPR\"");
    if (config_setting_get_member(g, "g"))
        return load_expr(c, g, pre, pt, &p->pred);
    if ((rc = cfg_get_group(c, g, pre, "box", 1, &box)))
        return rc;
    cfg_key(key, sizeof key, pre, "box");
    if (config_setting_length(box) < 1)
        return cfg_fail(c, box, key, "names no state (write STATE = [low, high])");
    for (int j = 0; j < config_setting_length(box); j++) {
        config_setting_t *e = config_setting_get_elem(box, (unsigned)j);
        const char *nm = config_setting_name(e);
        char ekey[192];
        size_t i;
        for (i = 0; i < pt->nx; i++)
            if (strcmp(pt->states[i].name, nm) == 0)
                break;
        snprintf(ekey, sizeof ekey, "%s.%s", key, nm);
        if (i == pt->nx) {
            char names[512] = "";
            for (size_t q = 0; q < pt->nx; q++) {
                size_t used = strlen(names);
                snprintf(names + used, sizeof names - used, "%s%s", q ? ", " : "", pt->states[q].name);
            }
            return cfg_fail(c, e, ekey, "not a state of plant %s (states: %s)", pt->name, names);
        }
        if ((rc = pair_of(c, e, ekey, &p->pred.lo[i], &p->pred.hi[i])))
            return rc;
    }
    return PB_SUCCESS;
}

int cfg_spec_load(const cfg_ctx *c, config_setting_t *root, cfg_run *r)
{
    config_setting_t *l = config_setting_get_member(root, "spec");
    size_t n_steps;
    spec *s;
    int n, rc;

    r->spec = NULL;
    if (!l)
        return PB_SUCCESS;
    if (config_setting_type(l) != CONFIG_TYPE_LIST)
        return cfg_fail(c, l, "spec", "expected a list ( { name = ...; always = [a, b]; box = "
                                      "{...}; }, ... )");
    n = config_setting_length(l);
    if (n < 1 || n > SPEC_PROPS_MAX)
        return cfg_fail(c, l, "spec", "has %d entries, expected 1 to %d", n, SPEC_PROPS_MAX);
    if (!(s = calloc(1, sizeof *s)))
        return pb_error_set(c->err, PB_ENOMEM, "out of memory");
    n_steps = (size_t)llround(r->horizon / r->period); /* as sim_model_alloc counts them */
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
        char pre[32];
        snprintf(pre, sizeof pre, "spec[%d]", i);
        if ((rc = load_prop(c, g, pre, r, r->period, n_steps, &s->props[i])))
            goto fail;
        for (int j = 0; j < i; j++)
            if (strcmp(s->props[j].name, s->props[i].name) == 0) {
                char key[64];
                rc = cfg_fail(c, config_setting_get_member(g, "name"),
                              cfg_key(key, sizeof key, pre, "name"),
                              "\"%s\" is already the name of spec[%d]", s->props[i].name, j);
                goto fail;
            }
        s->n = (size_t)i + 1;
    }
    {
        pb_error e;
        if ((rc = spec_validate(s, r->period, n_steps, &e))) {
            rc = cfg_fail(c, l, "spec", "%s", e.msg);
            goto fail;
        }
    }
    cfg_where_set(c, l, "spec", &r->where_spec);
    r->spec = s;
    return PB_SUCCESS;
fail:
    cfg_spec_free(s);
    return rc;
}
