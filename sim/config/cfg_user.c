/* cfg_user.c: the plant section of a user-defined plant (name = "linear",
 * name = "expr", or plugin = "lib.so") and the policy's observation map
 * (policy.observation), read into plant_user.h objects.  Every error is
 * "FILE:LINE: key: what is wrong" at the setting at fault (docs/PLANTS.md,
 * "Plants you define"; docs/CONFIG.md). */
#define _POSIX_C_SOURCE 200809L
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_internal.h"
#include "cfg_user.h"
#include "plant_user.h"

/* The storage of one user plant's declaration while it is read. */
typedef struct user_decl {
    plant_user_decl d;
    char names[PLANT_NX_MAX + PLANT_NU_MAX + PLANT_NP_MAX][PLANT_USER_VAR_MAX];
    const char *states[PLANT_NX_MAX], *inputs[PLANT_NU_MAX], *params[PLANT_NP_MAX];
    double pv[PLANT_NP_MAX], x_eq[PLANT_NX_MAX], u_eq[PLANT_NU_MAX];
    double x_lo[PLANT_NX_MAX], x_hi[PLANT_NX_MAX], u_lo[PLANT_NU_MAX], u_hi[PLANT_NU_MAX];
    double q[PLANT_NX_MAX], r[PLANT_NU_MAX];
    double A[PLANT_NX_MAX * PLANT_NX_MAX], B[PLANT_NX_MAX * PLANT_NU_MAX]; /* linear */
} user_decl;

int cfg_plant_is_user(const config_setting_t *g, const char *name)
{
    return config_setting_get_member(g, "plugin") || strcmp(name, "linear") == 0 ||
           strcmp(name, "expr") == 0;
}

/* Element i of g.name (an array or list), for messages. */
static const config_setting_t *elem(const config_setting_t *g, const char *name, size_t i)
{
    const config_setting_t *s = config_setting_get_member(g, name);
    const config_setting_t *e = s ? config_setting_get_elem(s, (unsigned)i) : NULL;
    return e ? e : s ? s : g;
}

/* An array of strings g.name into out[cap][len]; *n entries. */
static int get_strings(const cfg_ctx *c, const config_setting_t *g, const char *prefix,
                       const char *name, size_t cap, size_t len, char *out, size_t *n)
{
    const config_setting_t *s = config_setting_get_member(g, name);
    char key[128];
    int t, k;

    cfg_key(key, sizeof key, prefix, name);
    *n = 0;
    if (!s)
        return PB_SUCCESS;
    t = config_setting_type(s);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
        return cfg_fail(c, s, key, "expected an array of strings [\"a\", \"b\", ...]");
    k = config_setting_length(s);
    if (k < 1 || (size_t)k > cap)
        return cfg_fail(c, s, key, "has %d entries, expected 1 to %zu", k, cap);
    for (int i = 0; i < k; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *v = config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e)
                                                                      : NULL;
        if (!v)
            return cfg_fail(c, e, key, "entry %d: expected a string", i);
        if (strlen(v) >= len)
            return cfg_fail(c, e, key, "entry %d: '%s' is longer than %zu characters", i, v,
                            len - 1);
        snprintf(out + (size_t)i * len, len, "%s", v);
    }
    *n = (size_t)k;
    return PB_SUCCESS;
}

/* The optional per-component arrays every user plant may give. */
static int get_decl_arrays(const cfg_ctx *c, const config_setting_t *g, user_decl *u)
{
    size_t nx = u->d.nx, nu = u->d.nu, n;
    int rc;
    struct {
        const char *key;
        size_t want;
        double *v;
        const double **slot;
    } arr[] = {
        {"x_eq", nx, u->x_eq, &u->d.x_eq},   {"u_eq", nu, u->u_eq, &u->d.u_eq},
        {"x_min", nx, u->x_lo, &u->d.x_lo},  {"x_max", nx, u->x_hi, &u->d.x_hi},
        {"u_min", nu, u->u_lo, &u->d.u_lo},  {"u_max", nu, u->u_hi, &u->d.u_hi},
        {"lqr_q", nx, u->q, &u->d.lqr_q},    {"lqr_r", nu, u->r, &u->d.lqr_r},
    };
    for (size_t i = 0; i < sizeof arr / sizeof arr[0]; i++) {
        if (!config_setting_get_member(g, arr[i].key))
            continue;
        if ((rc = cfg_get_nums(c, g, "plant", arr[i].key, 1, arr[i].want, arr[i].want, arr[i].v,
                               &n)))
            return rc;
        *arr[i].slot = arr[i].v;
    }
    /* Missing halves of a limit pair stay infinite. */
    if (u->d.x_lo || u->d.x_hi)
        for (size_t i = 0; i < nx; i++) {
            if (!u->d.x_lo)
                u->x_lo[i] = -INFINITY;
            if (!u->d.x_hi)
                u->x_hi[i] = INFINITY;
        }
    if (u->d.u_lo || u->d.u_hi)
        for (size_t i = 0; i < nu; i++) {
            if (!u->d.u_lo)
                u->u_lo[i] = -INFINITY;
            if (!u->d.u_hi)
                u->u_hi[i] = INFINITY;
        }
    if (u->d.x_lo || u->d.x_hi)
        u->d.x_lo = u->x_lo, u->d.x_hi = u->x_hi;
    if (u->d.u_lo || u->d.u_hi)
        u->d.u_lo = u->u_lo, u->d.u_hi = u->u_hi;
    for (size_t i = 0; u->d.lqr_r && i < nu; i++)
        if (!(u->r[i] > 0.0))
            return cfg_fail(c, elem(g, "lqr_r", i), "plant.lqr_r", "entry %zu must be > 0", i);
    for (size_t i = 0; u->d.lqr_q && i < nx; i++)
        if (!(u->q[i] >= 0.0))
            return cfg_fail(c, elem(g, "lqr_q", i), "plant.lqr_q", "entry %zu must be >= 0", i);
    return PB_SUCCESS;
}

/* A builder's error at setting s under key. */
static int fail_at(const cfg_ctx *c, const config_setting_t *s, const char *key)
{
    cfg_where w;
    cfg_where_set(c, s, key, &w);
    return cfg_error_at(c->err, &w);
}

/* Keys that only one kind of user plant reads. */
static int only_for(const cfg_ctx *c, const config_setting_t *g, const char *kind,
                    const char *const keys[])
{
    for (size_t i = 0; keys[i]; i++)
        if (config_setting_get_member(g, keys[i])) {
            char key[64];
            cfg_key(key, sizeof key, "plant", keys[i]);
            return cfg_fail(c, config_setting_get_member(g, keys[i]), key,
                            "not a key of %s", kind);
        }
    return PB_SUCCESS;
}

static int load_linear(const cfg_ctx *c, config_setting_t *root, config_setting_t *g,
                       user_decl *u, cfg_run *r)
{
    static const char *const not_linear[] = {"rhs", "params", "plugin", NULL};
    double cv[PLANT_NX_MAX], period = 0.0;
    size_t na, nb, nc = 0, nx, n;
    config_setting_t *sim;
    int discrete = 0, rc;

    if ((rc = only_for(c, g, "a linear plant (name = \"linear\")", not_linear)) ||
        (rc = cfg_get_nums(c, g, "plant", "A", 1, 0, PLANT_NX_MAX * PLANT_NX_MAX, u->A, &na)) ||
        (rc = cfg_get_nums(c, g, "plant", "B", 1, 0, PLANT_NX_MAX * PLANT_NU_MAX, u->B, &nb)) ||
        (rc = cfg_get_bool(c, g, "plant", "discrete", &discrete)))
        return rc;
    nx = (size_t)llround(sqrt((double)na));
    if (nx * nx != na)
        return cfg_fail(c, config_setting_get_member(g, "A"), "plant.A",
                        "has %zu entries: not a square matrix (nx x nx, row-major)", na);
    if (nb % nx != 0 || nb / nx > PLANT_NU_MAX)
        return cfg_fail(c, config_setting_get_member(g, "B"), "plant.B",
                        "has %zu entries: expected nx x nu = %zu x nu (row-major, 1 <= nu <= %d)",
                        nb, nx, PLANT_NU_MAX);
    u->d.nx = nx;
    u->d.nu = nb / nx;
    if (config_setting_get_member(g, "c") &&
        (rc = cfg_get_nums(c, g, "plant", "c", 1, nx, nx, cv, &nc)))
        return rc;
    if ((rc = get_strings(c, g, "plant", "states", PLANT_NX_MAX, PLANT_USER_VAR_MAX, u->names[0],
                          &n)))
        return rc;
    if (n && n != nx)
        return cfg_fail(c, config_setting_get_member(g, "states"), "plant.states",
                        "has %zu names, A is %zu x %zu", n, nx, nx);
    for (size_t i = 0; i < n; i++)
        u->states[i] = u->names[i];
    u->d.states = n ? u->states : NULL;
    if ((rc = get_strings(c, g, "plant", "inputs", PLANT_NU_MAX, PLANT_USER_VAR_MAX,
                          u->names[PLANT_NX_MAX], &n)))
        return rc;
    if (n && n != u->d.nu)
        return cfg_fail(c, config_setting_get_member(g, "inputs"), "plant.inputs",
                        "has %zu names, B has %zu columns", n, u->d.nu);
    for (size_t i = 0; i < n; i++)
        u->inputs[i] = u->names[PLANT_NX_MAX + i];
    u->d.inputs = n ? u->inputs : NULL;
    if ((rc = get_decl_arrays(c, g, u)))
        return rc;
    /* The exact zero-order hold is over the control period. */
    sim = config_setting_get_member(root, "simulation");
    if (!sim || (rc = cfg_get_num(c, sim, "simulation", "period", 1, 0.0, 1e6, 1, &period)))
        return sim ? rc : cfg_fail(c, root, "simulation", "missing (a linear plant needs its "
                                   "period)");
    r->user = plant_linear_alloc(&u->d, u->A, u->B, nc ? cv : NULL, discrete, period, c->err);
    return r->user ? PB_SUCCESS : fail_at(c, g, "plant");
}

static int load_expr(const cfg_ctx *c, config_setting_t *g, user_decl *u, cfg_run *r)
{
    static const char *const not_expr[] = {"A", "B", "c", "discrete", "plugin", NULL};
    char rhs[PLANT_NX_MAX][512];
    const char *rp[PLANT_NX_MAX];
    config_setting_t *params = config_setting_get_member(g, "params");
    size_t n, bad;
    int rc;

    if ((rc = only_for(c, g, "an expression plant (name = \"expr\")", not_expr)) ||
        (rc = get_strings(c, g, "plant", "states", PLANT_NX_MAX, PLANT_USER_VAR_MAX, u->names[0],
                          &u->d.nx)) ||
        (rc = get_strings(c, g, "plant", "inputs", PLANT_NU_MAX, PLANT_USER_VAR_MAX,
                          u->names[PLANT_NX_MAX], &u->d.nu)) ||
        (rc = get_strings(c, g, "plant", "rhs", PLANT_NX_MAX, sizeof rhs[0], rhs[0], &n)))
        return rc;
    if (!u->d.nx)
        return cfg_fail(c, g, "plant.states", "missing (an array of state names is required)");
    if (!u->d.nu)
        return cfg_fail(c, g, "plant.inputs", "missing (an array of input names is required)");
    if (n != u->d.nx)
        return cfg_fail(c, config_setting_get_member(g, "rhs") ? config_setting_get_member(g, "rhs")
                                                               : g,
                        "plant.rhs", "has %zu expressions, expected one per state (%zu)", n,
                        u->d.nx);
    for (size_t i = 0; i < u->d.nx; i++)
        u->states[i] = u->names[i];
    for (size_t i = 0; i < u->d.nu; i++)
        u->inputs[i] = u->names[PLANT_NX_MAX + i];
    u->d.states = u->states;
    u->d.inputs = u->inputs;
    /* The parameters are the members of plant.params, in their order. */
    for (int i = 0; params && i < config_setting_length(params); i++) {
        config_setting_t *s = config_setting_get_elem(params, (unsigned)i);
        const char *pn = config_setting_name(s);
        char key[128];
        cfg_key(key, sizeof key, "plant.params", pn);
        if (u->d.np >= PLANT_NP_MAX)
            return cfg_fail(c, s, key, "more than %d parameters", PLANT_NP_MAX);
        if (config_setting_type(s) != CONFIG_TYPE_FLOAT && config_setting_type(s) != CONFIG_TYPE_INT &&
            config_setting_type(s) != CONFIG_TYPE_INT64)
            return cfg_fail(c, s, key, "expected a number");
        if (strlen(pn) >= PLANT_USER_VAR_MAX)
            return cfg_fail(c, s, key, "name longer than %d characters", PLANT_USER_VAR_MAX - 1);
        snprintf(u->names[PLANT_NX_MAX + PLANT_NU_MAX + u->d.np], PLANT_USER_VAR_MAX, "%s", pn);
        u->params[u->d.np] = u->names[PLANT_NX_MAX + PLANT_NU_MAX + u->d.np];
        u->pv[u->d.np] = config_setting_get_float(s);
        if (config_setting_type(s) != CONFIG_TYPE_FLOAT)
            u->pv[u->d.np] = (double)config_setting_get_int64(s);
        u->d.np++;
    }
    u->d.params = u->params;
    u->d.param_values = u->pv;
    if ((rc = get_decl_arrays(c, g, u)))
        return rc;
    for (size_t i = 0; i < u->d.nx; i++)
        rp[i] = rhs[i];
    r->user = plant_expr_alloc(&u->d, rp, &bad, c->err);
    if (r->user)
        return PB_SUCCESS;
    if (bad != (size_t)-1) {
        char key[64];
        snprintf(key, sizeof key, "plant.rhs[%zu]", bad);
        return fail_at(c, elem(g, "rhs", bad), key);
    }
    return fail_at(c, g, "plant");
}

int cfg_plant_user_load(const cfg_ctx *c, config_setting_t *root, config_setting_t *g,
                        const char *name, cfg_run *r, const plant_type **t)
{
    user_decl *u;
    int rc;

    *t = NULL;
    if (config_setting_get_member(g, "plugin")) {
        static const char *const not_plugin[] = {"A", "B", "c", "discrete", "rhs", "states",
                                                 "inputs", "x_eq", "u_eq", "x_min", "x_max",
                                                 "u_min", "u_max", "lqr_q", "lqr_r", NULL};
        config_setting_t *s = config_setting_get_member(g, "plugin");
        char buf[CFG_PATH_MAX], path[CFG_PATH_MAX];
        if ((rc = only_for(c, g, "a plugin plant (its type declares them)", not_plugin)) ||
            (rc = cfg_get_str(c, g, "plant", "plugin", 1, buf, sizeof buf)))
            return rc;
        /* Relative to the config's folder, as every path of a config. */
        if (snprintf(path, sizeof path, "%s%s%s", buf[0] == '/' ? "" : r->dir,
                     buf[0] == '/' ? "" : "/", buf) >= (int)sizeof path)
            return cfg_fail(c, s, "plant.plugin", "path too long");
        if (!(r->user = plant_plugin_load(path, c->err)))
            return fail_at(c, s, "plant.plugin");
        if (name[0] && strcmp(name, plant_user_type(r->user)->name) != 0)
            return cfg_fail(c, config_setting_get_member(g, "name"), "plant.name",
                            "'%s' but the plugin's type is '%s' (leave name out or give that)",
                            name, plant_user_type(r->user)->name);
        *t = plant_user_type(r->user);
        return PB_SUCCESS;
    }
    u = calloc(1, sizeof *u);
    if (!u)
        return pb_error_set(c->err, PB_ENOMEM, "out of memory");
    u->d.name = name;
    rc = strcmp(name, "linear") == 0 ? load_linear(c, root, g, u, r) : load_expr(c, g, u, r);
    free(u);
    if (rc == PB_SUCCESS)
        *t = plant_user_type(r->user);
    return rc;
}

int cfg_observation_load(const cfg_ctx *c, config_setting_t *root, cfg_run *r)
{
    config_setting_t *pol = config_setting_get_member(root, "policy");
    config_setting_t *s = pol ? config_setting_get_member(pol, "observation") : NULL;
    const plant_type *t = r->plant->type;
    char (*exprs)[512] = NULL, (*names)[PLANT_USER_VAR_MAX + 2] = NULL;
    const char *ep[SIM_OBS_MAX], *np[2 * PLANT_NX_MAX + 1];
    size_t n, bad, nx = t->nx;
    int rc;

    if (!s)
        return PB_SUCCESS;
    exprs = calloc(SIM_OBS_MAX, sizeof *exprs);
    names = calloc(2 * PLANT_NX_MAX + 1, sizeof *names);
    if (!exprs || !names) {
        rc = pb_error_set(c->err, PB_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = get_strings(c, pol, "policy", "observation", SIM_OBS_MAX, sizeof exprs[0],
                          exprs[0], &n)))
        goto out;
    /* The names: the states, r_<state> for the reference, t. */
    for (size_t i = 0; i < nx; i++) {
        snprintf(names[i], sizeof names[i], "%s", t->states[i].name);
        snprintf(names[nx + i], sizeof names[i], "r_%s", t->states[i].name);
        np[i] = names[i];
        np[nx + i] = names[nx + i];
    }
    np[2 * nx] = "t";
    for (size_t i = 0; i < n; i++)
        ep[i] = exprs[i];
    r->obs = plant_expr_map_alloc(n, ep, 2 * nx + 1, np, nx, &bad, c->err);
    if (!r->obs) {
        char key[64];
        if (bad == (size_t)-1)
            rc = fail_at(c, s, "policy.observation");
        else {
            snprintf(key, sizeof key, "policy.observation[%zu]", bad);
            rc = fail_at(c, elem(pol, "observation", bad), key);
        }
    }
out:
    free(exprs);
    free(names);
    return rc;
}
