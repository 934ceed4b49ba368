/* cfg.c: experiment configs over libconfig (the only code that includes it,
 * with cfg_set.c).  Reads a file, applies --set overrides, validates every
 * key against the schema of docs/CONFIG.md and the plant type's parameter
 * table, and fills a cfg_run. */
#define _POSIX_C_SOURCE 200809L
#include "cfg.h"

#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfg_internal.h"
#include "cfg_mc.h"
#include "cfg_spec.h"
#include "cfg_train.h"
#include "cfg_user.h"
#include "import_type.h"
#include "prune.h"
#include "sim_train.h"

/* ---- Messages ---- */

void cfg_where_set(const cfg_ctx *c, const config_setting_t *s, const char *key, cfg_where *w)
{
    const char *f = s ? config_setting_source_file(s) : NULL;
    snprintf(w->file, sizeof w->file, "%s", f ? f : c->file);
    w->line = s ? (int)config_setting_source_line(s) : 0;
    snprintf(w->key, sizeof w->key, "%s", key);
}

int cfg_error_at(pb_error *err, const cfg_where *w)
{
    if (w->line > 0)
        return pb_error_prefix(err, "%s:%d: %s: ", w->file, w->line, w->key);
    return pb_error_prefix(err, "%s: %s: ", w->file, w->key);
}

int cfg_fail(const cfg_ctx *c, const config_setting_t *s, const char *key, const char *fmt, ...)
{
    cfg_where w;
    va_list ap;

    if (!c->err)
        return PB_EINVAL;
    va_start(ap, fmt);
    vsnprintf(c->err->msg, sizeof c->err->msg, fmt, ap);
    va_end(ap);
    c->err->code = PB_EINVAL;
    cfg_where_set(c, s, key, &w);
    return cfg_error_at(c->err, &w);
}

/* "prefix.name" (or "name" for an empty prefix) into buf. */
const char *cfg_key(char *buf, size_t len, const char *prefix, const char *name)
{
    if (prefix && prefix[0])
        snprintf(buf, len, "%s.%s", prefix, name);
    else
        snprintf(buf, len, "%s", name);
    return buf;
}

static const char *type_name(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP:
        return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a number";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    case CONFIG_TYPE_ARRAY:
        return "an array";
    case CONFIG_TYPE_LIST:
        return "a list";
    default:
        return "an unknown type";
    }
}

/* ---- Typed getters (each fails with file, line and key) ---- */

int cfg_check_keys(const cfg_ctx *c, const config_setting_t *g, const char *prefix,
                   const char *const allowed[])
{
    int n = config_setting_length(g);
    char key[128];

    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(s);
        int ok = 0;
        for (size_t j = 0; allowed[j]; j++)
            ok |= strcmp(name, allowed[j]) == 0;
        if (!ok) {
            char list[512] = "";
            for (size_t j = 0; allowed[j]; j++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", allowed[j]);
            }
            return cfg_fail(c, s, cfg_key(key, sizeof key, prefix, name),
                            "unknown key (expected one of: %s)", list);
        }
    }
    return PB_SUCCESS;
}

/* The member `name` of group g, or NULL. */
static config_setting_t *member(const config_setting_t *g, const char *name)
{
    return g ? config_setting_get_member(g, name) : NULL;
}

int cfg_get_group(const cfg_ctx *c, const config_setting_t *g, const char *prefix, const char *name,
                  int required, config_setting_t **out)
{
    config_setting_t *s = member(g, name);
    char key[128];

    *out = NULL;
    cfg_key(key, sizeof key, prefix, name);
    if (!s)
        return required ? cfg_fail(c, g, key, "missing (a group { ... } is required)") : PB_SUCCESS;
    if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        return cfg_fail(c, s, key, "expected a group { ... }, got %s",
                        type_name(config_setting_type(s)));
    *out = s;
    return PB_SUCCESS;
}

static int is_number(const config_setting_t *s)
{
    int t = config_setting_type(s);
    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 || t == CONFIG_TYPE_FLOAT;
}

static double number_of(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
        return (double)config_setting_get_int(s);
    case CONFIG_TYPE_INT64:
        return (double)config_setting_get_int64(s);
    default:
        return config_setting_get_float(s);
    }
}

int cfg_get_num(const cfg_ctx *c, const config_setting_t *g, const char *prefix, const char *name,
                int required, double lo, double hi, int lo_open, double *v)
{
    config_setting_t *s = member(g, name);
    char key[128];
    double x;

    cfg_key(key, sizeof key, prefix, name);
    if (!s)
        return required ? cfg_fail(c, g, key, "missing (a number is required)") : PB_SUCCESS;
    if (!is_number(s))
        return cfg_fail(c, s, key, "expected a number, got %s", type_name(config_setting_type(s)));
    x = number_of(s);
    if (isnan(x) || (lo_open ? !(x > lo) : !(x >= lo)) || !(x <= hi)) {
        if (isinf(hi))
            return cfg_fail(c, s, key, "%g is out of range: must be %s %g", x,
                            lo_open ? ">" : ">=", lo);
        return cfg_fail(c, s, key, "%g is out of range %c%g, %g]", x, lo_open ? '(' : '[', lo, hi);
    }
    *v = x;
    return PB_SUCCESS;
}

int cfg_get_int(const cfg_ctx *c, const config_setting_t *g, const char *prefix, const char *name,
                int required, long long lo, long long hi, long long *v)
{
    config_setting_t *s = member(g, name);
    char key[128];
    long long x;
    int t;

    cfg_key(key, sizeof key, prefix, name);
    if (!s)
        return required ? cfg_fail(c, g, key, "missing (an integer is required)") : PB_SUCCESS;
    t = config_setting_type(s);
    if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
        return cfg_fail(c, s, key, "expected an integer, got %s", type_name(t));
    x = t == CONFIG_TYPE_INT ? config_setting_get_int(s) : config_setting_get_int64(s);
    if (x < lo || x > hi)
        return cfg_fail(c, s, key, "%lld is out of range [%lld, %lld]", x, lo, hi);
    *v = x;
    return PB_SUCCESS;
}

int cfg_get_str(const cfg_ctx *c, const config_setting_t *g, const char *prefix, const char *name,
                int required, char *buf, size_t len)
{
    config_setting_t *s = member(g, name);
    char key[128];
    const char *v;

    cfg_key(key, sizeof key, prefix, name);
    if (!s)
        return required ? cfg_fail(c, g, key, "missing (a string is required)") : PB_SUCCESS;
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return cfg_fail(c, s, key, "expected a string \"...\", got %s",
                        type_name(config_setting_type(s)));
    v = config_setting_get_string(s);
    if (strlen(v) >= len)
        return cfg_fail(c, s, key, "too long (at most %zu characters)", len - 1);
    if (!v[0])
        return cfg_fail(c, s, key, "must not be empty");
    memcpy(buf, v, strlen(v) + 1);
    return PB_SUCCESS;
}

int cfg_get_bool(const cfg_ctx *c, const config_setting_t *g, const char *prefix, const char *name,
                 int *v)
{
    config_setting_t *s = member(g, name);
    char key[128];

    cfg_key(key, sizeof key, prefix, name);
    if (!s)
        return PB_SUCCESS;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return cfg_fail(c, s, key, "expected true or false, got %s",
                        type_name(config_setting_type(s)));
    *v = config_setting_get_bool(s);
    return PB_SUCCESS;
}

/* An array or list of numbers of exactly `want` entries (want 0: 1..cap). */
static int num_array_of(const cfg_ctx *c, const config_setting_t *s, const char *key, size_t want,
                        size_t cap, double v[], size_t *n)
{
    int t = config_setting_type(s);
    int len;

    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
        return cfg_fail(c, s, key, "expected an array [a, b, ...], got %s", type_name(t));
    len = config_setting_length(s);
    if (want && (size_t)len != want)
        return cfg_fail(c, s, key, "has %d entries, expected %zu", len, want);
    if (!want && (len < 1 || (size_t)len > cap))
        return cfg_fail(c, s, key, "has %d entries, expected 1 to %zu", len, cap);
    for (int i = 0; i < len; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (!is_number(e))
            return cfg_fail(c, s, key, "entry %d: expected a number, got %s", i,
                            type_name(config_setting_type(e)));
        v[i] = number_of(e);
        if (!isfinite(v[i]))
            return cfg_fail(c, s, key, "entry %d is not finite", i);
    }
    *n = (size_t)len;
    return PB_SUCCESS;
}

int cfg_get_nums(const cfg_ctx *c, const config_setting_t *g, const char *prefix, const char *name,
                 int required, size_t want, size_t cap, double v[], size_t *n)
{
    config_setting_t *s = member(g, name);
    char key[128];

    cfg_key(key, sizeof key, prefix, name);
    if (!s)
        return required ? cfg_fail(c, g, key, "missing (an array of numbers is required)")
                        : PB_SUCCESS;
    return num_array_of(c, s, key, want, cap, v, n);
}

/* ---- Sections ---- */

static int load_plant(const cfg_ctx *c, config_setting_t *root, cfg_run *r)
{
    static const char *const keys[] = {"name",  "params", "plugin", "A",     "B",     "c",
                                       "discrete", "states", "inputs", "rhs", "x_eq", "u_eq",
                                       "x_min", "x_max", "u_min", "u_max", "lqr_q", "lqr_r",
                                       NULL};
    config_setting_t *g, *params;
    char name[PLANT_NAME_MAX], key[128];
    const plant_type *t;
    int rc;

    if ((rc = cfg_get_group(c, root, "", "plant", 1, &g)) ||
        (rc = cfg_check_keys(c, g, "plant", keys)))
        return rc;
    cfg_where_set(c, g, "plant", &r->where_plant);
    name[0] = '\0';
    if ((rc = cfg_get_str(c, g, "plant", "name", !member(g, "plugin"), name, sizeof name)))
        return rc;
    if (cfg_plant_is_user(g, name)) {
        if ((rc = cfg_plant_user_load(c, root, g, name, r, &t)))
            return rc;
    } else {
        static const char *const builtin[] = {"plugin", "A",     "B",     "c",     "discrete",
                                              "states", "inputs", "rhs",  "x_eq",  "u_eq",
                                              "x_min",  "x_max",  "u_min", "u_max", "lqr_q",
                                              "lqr_r",  NULL};
        for (size_t i = 0; builtin[i]; i++)
            if (member(g, builtin[i]))
                return cfg_fail(c, member(g, builtin[i]), cfg_key(key, sizeof key, "plant",
                                                                  builtin[i]),
                                "a key of user-defined plants (name = \"linear\" or \"expr\", "
                                "or plugin), not of the built-in '%s'",
                                name);
        t = plant_find(name);
    }
    if (!t) {
        char list[512] = "";
        for (const plant_type *const *p = plant_types; *p; p++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", p == plant_types ? "" : ", ",
                     (*p)->name);
        }
        strncat(list, "; user-defined: linear, expr, or plugin = \"lib.so\"",
                sizeof list - strlen(list) - 1);
        return cfg_fail(c, member(g, "name"), "plant.name", "unknown plant '%s' (known: %s)", name,
                        list);
    }
    r->plant = plant_alloc(t);
    if (!r->plant)
        return pb_error_set(c->err, PB_ENOMEM, "out of memory");
    if ((rc = cfg_get_group(c, g, "plant", "params", 0, &params)))
        return rc;
    for (int i = 0; params && i < config_setting_length(params); i++) {
        config_setting_t *s = config_setting_get_elem(params, (unsigned)i);
        const char *pn = config_setting_name(s);
        double value;
        cfg_key(key, sizeof key, "plant.params", pn);
        if (plant_param_index(t, pn) < 0) {
            char list[512] = "";
            for (size_t j = 0; j < t->np; j++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", t->params[j].name);
            }
            return cfg_fail(c, s, key, "plant '%s' has no parameter '%s' (it has: %s)", t->name, pn,
                            list);
        }
        /* libconfig has no infinity literal: "inf" stands for it (a limit that is "none"). */
        if (config_setting_type(s) == CONFIG_TYPE_STRING &&
            strcmp(config_setting_get_string(s), "inf") == 0)
            value = INFINITY;
        else if (is_number(s))
            value = number_of(s);
        else
            return cfg_fail(c, s, key, "expected a number (or \"inf\"), got %s",
                            type_name(config_setting_type(s)));
        if (plant_set_param(r->plant, pn, value, c->err)) {
            cfg_where w;
            cfg_where_set(c, s, key, &w);
            return cfg_error_at(c->err, &w);
        }
    }
    if (plant_validate(r->plant, c->err)) {
        cfg_where w;
        cfg_where_set(c, params ? params : g, params ? "plant.params" : "plant", &w);
        return cfg_error_at(c->err, &w);
    }
    return PB_SUCCESS;
}

/* simulation.disturbance: d(t) added to the input of every loop (sim.h). */
static int load_disturbance(const cfg_ctx *c, config_setting_t *sim, cfg_run *r)
{
    static const char *const keys[] = {"start", "bias", "amplitude", "frequency",
                                       "noise", "seed", NULL};
    static const char *const pre = "simulation.disturbance";
    sim_disturbance *d = &r->dist;
    size_t nu = r->plant->type->nu, n;
    long long seed = (long long)r->seed;
    config_setting_t *g;
    int rc;

    memset(d, 0, sizeof *d);
    if ((rc = cfg_get_group(c, sim, "simulation", "disturbance", 0, &g)) || !g)
        return rc;
    if ((rc = cfg_check_keys(c, g, pre, keys)) ||
        (rc = cfg_get_num(c, g, pre, "start", 0, 0.0, 1e9, 0, &d->start)) ||
        (rc = cfg_get_nums(c, g, pre, "bias", 0, nu, nu, d->bias, &n)) ||
        (rc = cfg_get_nums(c, g, pre, "amplitude", 0, nu, nu, d->amplitude, &n)) ||
        (rc = cfg_get_nums(c, g, pre, "frequency", 0, nu, nu, d->frequency, &n)) ||
        (rc = cfg_get_nums(c, g, pre, "noise", 0, nu, nu, d->noise, &n)) ||
        (rc = cfg_get_int(c, g, pre, "seed", 0, 0, 4294967295LL, &seed)))
        return rc;
    for (size_t i = 0; i < nu; i++) {
        if (d->frequency[i] < 0.0)
            return cfg_fail(c, config_setting_get_member(g, "frequency"),
                            "simulation.disturbance.frequency", "entry %zu is negative", i);
        if (d->noise[i] < 0.0)
            return cfg_fail(c, config_setting_get_member(g, "noise"),
                            "simulation.disturbance.noise", "entry %zu is negative", i);
    }
    d->seed = (unsigned long)seed;
    d->on = 1;
    return PB_SUCCESS;
}

static int load_simulation(const cfg_ctx *c, config_setting_t *root, cfg_run *r)
{
    static const char *const keys[] = {"period", "horizon", "integrator", "disturbance", NULL};
    static const char *const ikeys[] = {"method",   "epsabs",    "epsrel", "h0",
                                        "substeps", "max_steps", NULL};
    config_setting_t *g, *ig;
    long long ll;
    int rc;

    if ((rc = cfg_get_group(c, root, "", "simulation", 1, &g)))
        return rc;
    if (member(g, "stable_tol"))
        return cfg_fail(c, member(g, "stable_tol"), "simulation.stable_tol",
                        "replaced by the top-level section criterion = { tol = ...; tail = ...; "
                        "radius = ...; }, which every command uses (docs/CONFIG.md)");
    if ((rc = cfg_check_keys(c, g, "simulation", keys)) ||
        (rc = cfg_get_num(c, g, "simulation", "period", 1, 0.0, 1e6, 1, &r->period)) ||
        (rc = cfg_get_num(c, g, "simulation", "horizon", 1, 0.0, 1e9, 1, &r->horizon)))
        return rc;
    if (r->horizon < r->period)
        return cfg_fail(c, member(g, "horizon"), "simulation.horizon",
                        "%g is shorter than simulation.period %g", r->horizon, r->period);
    if (r->horizon / r->period > 1e7)
        return cfg_fail(c, member(g, "horizon"), "simulation.horizon",
                        "more than 1e7 control steps (horizon / period = %g)",
                        r->horizon / r->period);
    if ((rc = load_disturbance(c, g, r)))
        return rc;
    plant_integrator_init(&r->integ);
    if ((rc = cfg_get_group(c, g, "simulation", "integrator", 0, &ig)))
        return rc;
    if (!ig)
        return PB_SUCCESS;
    if ((rc = cfg_check_keys(c, ig, "simulation.integrator", ikeys)) ||
        (rc = cfg_get_str(c, ig, "simulation.integrator", "method", 0, r->integ.method,
                          sizeof r->integ.method)) ||
        (rc = cfg_get_num(c, ig, "simulation.integrator", "epsabs", 0, 0.0, 1.0, 0,
                          &r->integ.epsabs)) ||
        (rc = cfg_get_num(c, ig, "simulation.integrator", "epsrel", 0, 0.0, 1.0, 0,
                          &r->integ.epsrel)) ||
        (rc = cfg_get_num(c, ig, "simulation.integrator", "h0", 0, 0.0, 1e6, 1, &r->integ.h0)))
        return rc;
    ll = (long long)r->integ.substeps;
    if ((rc = cfg_get_int(c, ig, "simulation.integrator", "substeps", 0, 0, 1000000, &ll)))
        return rc;
    r->integ.substeps = (size_t)ll;
    ll = (long long)r->integ.max_steps;
    if ((rc = cfg_get_int(c, ig, "simulation.integrator", "max_steps", 0, 1, 1000000000, &ll)))
        return rc;
    r->integ.max_steps = (size_t)ll;
    {
        int known = 0;
        for (const char *const *n = plant_stepper_names; *n; n++)
            known |= strcmp(*n, r->integ.method) == 0;
        if (!known) {
            char list[256] = "";
            for (const char *const *n = plant_stepper_names; *n; n++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s%s",
                         n == plant_stepper_names ? "" : " ", *n);
            }
            return cfg_fail(c, member(ig, "method"), "simulation.integrator.method",
                            "unknown method '%s' (known: %s)", r->integ.method, list);
        }
    }
    if (r->integ.epsabs == 0.0 && r->integ.epsrel == 0.0 && r->integ.substeps == 0)
        return cfg_fail(c, ig, "simulation.integrator",
                        "epsabs and epsrel are both 0: give a tolerance or substeps > 0");
    if (plant_integrator_validate(&r->integ, c->err)) {
        cfg_where w;
        cfg_where_set(c, ig, "simulation.integrator", &w);
        return cfg_error_at(c->err, &w);
    }
    return PB_SUCCESS;
}

/* State indices from an integer array into idx[cap]. */
static int index_array(const cfg_ctx *c, config_setting_t *g, const char *prefix, const char *name,
                       size_t nx, size_t cap, size_t idx[], size_t *n)
{
    config_setting_t *s = member(g, name);
    char key[128];
    int len;

    cfg_key(key, sizeof key, prefix, name);
    if (!s)
        return PB_SUCCESS;
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
        return cfg_fail(c, s, key, "expected an array of state indices, got %s",
                        type_name(config_setting_type(s)));
    len = config_setting_length(s);
    if (len < 1 || (size_t)len > cap)
        return cfg_fail(c, s, key, "has %d entries, expected 1 to %zu", len, cap);
    for (int i = 0; i < len; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        int t = config_setting_type(e);
        long long v;
        if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
            return cfg_fail(c, s, key, "entry %d: expected an integer state index", i);
        v = t == CONFIG_TYPE_INT ? config_setting_get_int(e) : config_setting_get_int64(e);
        if (v < 0 || (size_t)v >= nx)
            return cfg_fail(c, s, key, "entry %d: %lld is not a state index in [0, %zu]", i, v,
                            nx - 1);
        idx[i] = (size_t)v;
    }
    *n = (size_t)len;
    return PB_SUCCESS;
}

static int load_reference(const cfg_ctx *c, config_setting_t *root, cfg_run *r)
{
    static const char *const k_setpoint[] = {"type", "values", "track", NULL};
    static const char *const k_step[] = {"type", "times", "values", "initial", "track", NULL};
    static const char *const k_sine[] = {"type", "amplitude", "frequency", "offset", "track", NULL};
    static const char *const k_curve[] = {"type",   "radius",     "period", "altitude",
                                          "centre", "components", "track",  NULL};
    const plant_type *pt = r->plant->type;
    size_t nx = pt->nx, n;
    double xeq[PLANT_NX_MAX], ueq[PLANT_NU_MAX];
    config_setting_t *g;
    sim_ref *ref = &r->ref;
    char kind[16] = "setpoint";
    size_t track[PLANT_NX_MAX], n_track = 0;
    int rc;

    plant_type_equilibrium(pt, r->plant->p, xeq, ueq);
    sim_ref_init_setpoint(ref, nx, xeq);
    if ((rc = cfg_get_group(c, root, "", "reference", 0, &g)))
        return rc;
    if (!g)
        return PB_SUCCESS;
    if ((rc = cfg_get_str(c, g, "reference", "type", 0, kind, sizeof kind)))
        return rc;
    if (sim_ref_kind_parse(kind, &ref->kind))
        return cfg_fail(c, member(g, "type"), "reference.type",
                        "unknown type '%s' (known: setpoint, step, sine, circle, figure8)", kind);
    switch (ref->kind) {
    case SIM_REF_SETPOINT:
        if ((rc = cfg_check_keys(c, g, "reference", k_setpoint)) ||
            (rc = cfg_get_nums(c, g, "reference", "values", 0, nx, nx, ref->base, &n)))
            return rc;
        break;
    case SIM_REF_STEP: {
        config_setting_t *vals;
        if ((rc = cfg_check_keys(c, g, "reference", k_step)) ||
            (rc = cfg_get_nums(c, g, "reference", "initial", 0, nx, nx, ref->base, &n)) ||
            (rc = cfg_get_nums(c, g, "reference", "times", 1, 0, SIM_REF_STEPS_MAX, ref->times,
                               &ref->n_steps)))
            return rc;
        for (size_t i = 0; i < ref->n_steps; i++)
            if (ref->times[i] < 0.0 || (i > 0 && !(ref->times[i] > ref->times[i - 1])))
                return cfg_fail(c, member(g, "times"), "reference.times",
                                "times must be >= 0 and strictly increasing");
        vals = member(g, "values");
        if (!vals)
            return cfg_fail(c, g, "reference.values",
                            "missing (a list of %zu arrays, one per time, is required)",
                            ref->n_steps);
        if (config_setting_type(vals) != CONFIG_TYPE_LIST ||
            (size_t)config_setting_length(vals) != ref->n_steps)
            return cfg_fail(c, vals, "reference.values",
                            "expected a list ( [..], [..] ) of %zu arrays, one per time",
                            ref->n_steps);
        for (size_t i = 0; i < ref->n_steps; i++) {
            char key[64];
            snprintf(key, sizeof key, "reference.values[%zu]", i);
            if ((rc = num_array_of(c, config_setting_get_elem(vals, (unsigned)i), key, nx, nx,
                                   ref->values[i], &n)))
                return rc;
        }
        break;
    }
    case SIM_REF_SINE:
        if ((rc = cfg_check_keys(c, g, "reference", k_sine)) ||
            (rc = cfg_get_nums(c, g, "reference", "offset", 0, nx, nx, ref->base, &n)) ||
            (rc = cfg_get_nums(c, g, "reference", "amplitude", 1, nx, nx, ref->amplitude, &n)) ||
            (rc = cfg_get_nums(c, g, "reference", "frequency", 1, nx, nx, ref->frequency, &n)))
            return rc;
        for (size_t i = 0; i < nx; i++)
            if (ref->frequency[i] < 0.0)
                return cfg_fail(c, member(g, "frequency"), "reference.frequency",
                                "entry %zu is negative", i);
        break;
    case SIM_REF_CIRCLE:
    case SIM_REF_FIGURE8: {
        size_t comp[3];
        if ((rc = cfg_check_keys(c, g, "reference", k_curve)) ||
            (rc = cfg_get_num(c, g, "reference", "radius", 1, 0.0, 1e9, 1, &ref->radius)) ||
            (rc = cfg_get_num(c, g, "reference", "period", 1, 0.0, 1e9, 1, &ref->period)) ||
            (rc = cfg_get_nums(c, g, "reference", "centre", 0, 2, 2, ref->centre, &n)))
            return rc;
        if (nx < 2)
            return cfg_fail(c, g, "reference.type", "a %s needs a plant with at least 2 states",
                            kind);
        ref->n_comp = nx >= 3 ? 3 : 2;
        for (size_t i = 0; i < 3; i++)
            ref->comp[i] = i;
        if ((rc = index_array(c, g, "reference", "components", nx, 3, comp, &n)))
            return rc;
        if (member(g, "components")) {
            if (n < 2)
                return cfg_fail(c, member(g, "components"), "reference.components",
                                "expected 2 or 3 state indices (plane axes, then altitude)");
            ref->n_comp = n;
            memcpy(ref->comp, comp, n * sizeof *comp);
        }
        ref->altitude = ref->n_comp == 3 ? ref->base[ref->comp[2]] : 0.0;
        if ((rc = cfg_get_num(c, g, "reference", "altitude", 0, -1e9, 1e9, 0, &ref->altitude)))
            return rc;
        if (member(g, "altitude") && ref->n_comp != 3)
            return cfg_fail(c, member(g, "altitude"), "reference.altitude",
                            "needs three components (plane axes and altitude)");
        for (size_t i = 0; i < nx; i++)
            ref->tracked[i] = 0;
        for (size_t i = 0; i < ref->n_comp; i++)
            ref->tracked[ref->comp[i]] = 1;
        break;
    }
    default:
        break;
    }
    if ((rc = index_array(c, g, "reference", "track", nx, nx, track, &n_track)))
        return rc;
    if (n_track) {
        for (size_t i = 0; i < nx; i++)
            ref->tracked[i] = 0;
        for (size_t i = 0; i < n_track; i++)
            ref->tracked[track[i]] = 1;
    }
    if (sim_ref_validate(ref, c->err)) {
        cfg_where w;
        cfg_where_set(c, g, "reference", &w);
        return cfg_error_at(c->err, &w);
    }
    return PB_SUCCESS;
}

/* path resolved against the config's folder (absolute paths unchanged). */
static int resolve(const cfg_ctx *c, const config_setting_t *s, const char *key, const char *dir,
                   const char *path, char out[CFG_PATH_MAX])
{
    int n = path[0] == '/' || !dir[0] ? snprintf(out, CFG_PATH_MAX, "%s", path)
                                      : snprintf(out, CFG_PATH_MAX, "%s/%s", dir, path);
    if (n < 0 || n >= CFG_PATH_MAX)
        return cfg_fail(c, s, key, "path too long");
    return PB_SUCCESS;
}

static int load_policy(const cfg_ctx *c, config_setting_t *root, cfg_run *r)
{
    static const char *const keys[] = {"file", "import", "train", "input", "observation", NULL};
    static const char *const ikeys[] = {"file",          "format",       "activations",
                                        "output_offset", "output_scale", NULL};
    config_setting_t *g, *ig, *tg;
    char buf[CFG_PATH_MAX], input[16] = "error";
    int rc, n_src;

    if ((rc = cfg_get_group(c, root, "", "policy", 1, &g)) ||
        (rc = cfg_check_keys(c, g, "policy", keys)) ||
        (rc = cfg_get_str(c, g, "policy", "input", 0, input, sizeof input)))
        return rc;
    if (strcmp(input, "error") == 0)
        r->input = SIM_INPUT_ERROR;
    else if (strcmp(input, "state") == 0)
        r->input = SIM_INPUT_STATE;
    else
        return cfg_fail(c, member(g, "input"), "policy.input",
                        "unknown value '%s' (expected \"error\" or \"state\")", input);
    n_src = !!member(g, "file") + !!member(g, "import") + !!member(g, "train");
    if (n_src != 1)
        return cfg_fail(c, g, "policy", "give exactly one of file, import or train (got %d)",
                        n_src);
    if (member(g, "file")) {
        r->policy_kind = CFG_POLICY_FILE;
        if ((rc = cfg_get_str(c, g, "policy", "file", 1, buf, sizeof buf)) ||
            (rc = resolve(c, member(g, "file"), "policy.file", r->dir, buf, r->policy_file)))
            return rc;
        cfg_where_set(c, member(g, "file"), "policy.file", &r->where_policy);
        return PB_SUCCESS;
    }
    if (member(g, "import")) {
        r->policy_kind = CFG_POLICY_IMPORT;
        if ((rc = cfg_get_group(c, g, "policy", "import", 1, &ig)) ||
            (rc = cfg_check_keys(c, ig, "policy.import", ikeys)) ||
            (rc = cfg_get_str(c, ig, "policy.import", "file", 1, buf, sizeof buf)) ||
            (rc = resolve(c, member(ig, "file"), "policy.import.file", r->dir, buf,
                          r->policy_file)) ||
            (rc = cfg_get_str(c, ig, "policy.import", "format", 0, r->import_format,
                              sizeof r->import_format)) ||
            (rc = cfg_get_str(c, ig, "policy.import", "activations", 0, r->import_acts,
                              sizeof r->import_acts)) ||
            (rc = cfg_get_num(c, ig, "policy.import", "output_offset", 0, -1e12, 1e12, 0,
                              &r->out_offset)) ||
            (rc = cfg_get_num(c, ig, "policy.import", "output_scale", 0, -1e12, 1e12, 0,
                              &r->out_scale)))
            return rc;
        r->has_out_offset = !!member(ig, "output_offset");
        r->has_out_scale = !!member(ig, "output_scale");
        if (r->has_out_scale && r->out_scale == 0.0)
            return cfg_fail(c, member(ig, "output_scale"), "policy.import.output_scale",
                            "must not be 0");
        if (r->import_format[0] && !import_find(r->import_format))
            return cfg_fail(c, member(ig, "format"), "policy.import.format", "unknown format '%s'",
                            r->import_format);
        if (!r->import_format[0] && !import_find_by_extension(r->policy_file))
            return cfg_fail(c, member(ig, "file"), "policy.import.file",
                            "cannot tell the format from the extension: give policy.import.format");
        if (r->import_acts[0]) {
            import_options o;
            memset(&o, 0, sizeof o);
            if (import_options_parse_acts(&o, r->import_acts, c->err)) {
                cfg_where w;
                cfg_where_set(c, member(ig, "activations"), "policy.import.activations", &w);
                return cfg_error_at(c->err, &w);
            }
        }
        cfg_where_set(c, member(ig, "file"), "policy.import.file", &r->where_policy);
        return PB_SUCCESS;
    }
    r->policy_kind = CFG_POLICY_TRAIN;
    if ((rc = cfg_get_group(c, g, "policy", "train", 1, &tg)))
        return rc;
    cfg_where_set(c, tg, "policy.train", &r->where_policy);
    r->train = malloc(sizeof(sim_train_opts));
    if (!r->train)
        return pb_error_set(c->err, PB_ENOMEM, "out of memory");
    /* The training helper owns the section's keys (cfg_train.c). */
    return cfg_train_parse(tg, r->plant->type, c->file, r->train, c->err);
}

static int load_calibration(const cfg_ctx *c, config_setting_t *root, cfg_run *r, long long seed)
{
    static const char *const keys[] = {"trajectories", "noise", "seed", "file", NULL};
    config_setting_t *g;
    long long ll = 16, cs = seed;
    char buf[CFG_PATH_MAX];
    int rc;

    r->calib_trajectories = 16;
    r->calib_noise = 0.05;
    r->calib_seed = (unsigned long)seed;
    if ((rc = cfg_get_group(c, root, "", "calibration", 0, &g)))
        return rc;
    cfg_where_set(c, g ? g : root, "calibration", &r->where_calib);
    if (!g)
        return PB_SUCCESS;
    if ((rc = cfg_check_keys(c, g, "calibration", keys)) ||
        (rc = cfg_get_int(c, g, "calibration", "trajectories", 0, 1, 100000, &ll)) ||
        (rc = cfg_get_num(c, g, "calibration", "noise", 0, 0.0, 1e6, 0, &r->calib_noise)) ||
        (rc = cfg_get_int(c, g, "calibration", "seed", 0, 0, 4294967295LL, &cs)))
        return rc;
    r->calib_trajectories = (size_t)ll;
    r->calib_seed = (unsigned long)cs;
    if (member(g, "file")) {
        if (member(g, "trajectories") || member(g, "noise") || member(g, "seed"))
            return cfg_fail(c, member(g, "file"), "calibration.file",
                            "give either a file or trajectories/noise/seed, not both");
        if ((rc = cfg_get_str(c, g, "calibration", "file", 1, buf, sizeof buf)) ||
            (rc = resolve(c, member(g, "file"), "calibration.file", r->dir, buf, r->calib_file)))
            return rc;
        cfg_where_set(c, member(g, "file"), "calibration.file", &r->where_calib);
    }
    return PB_SUCCESS;
}

static int load_pruning(const cfg_ctx *c, config_setting_t *root, cfg_run *r)
{
    static const char *const keys[] = {"method", "sparsity", "pattern", "layers", "global", NULL};
    config_setting_t *l = member(root, "pruning");
    int rc, n;

    if (!l)
        return PB_SUCCESS;
    if (config_setting_type(l) != CONFIG_TYPE_LIST)
        return cfg_fail(c, l, "pruning", "expected a list ( { method = ...; }, ... ), got %s",
                        type_name(config_setting_type(l)));
    n = config_setting_length(l);
    if (n > CFG_LIST_MAX)
        return cfg_fail(c, l, "pruning", "more than %d entries", CFG_LIST_MAX);
    r->prune = calloc((size_t)n + 1, sizeof *r->prune);
    if (!r->prune)
        return pb_error_set(c->err, PB_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(l, (unsigned)i), *s;
        cfg_prune *p = &r->prune[i];
        char pre[64];
        size_t nm_n = 0, nm_m = 0;

        snprintf(pre, sizeof pre, "pruning[%d]", i);
        cfg_where_set(c, g, pre, &p->where);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP)
            return cfg_fail(c, g, pre, "expected a group { method = ...; }, got %s",
                            type_name(config_setting_type(g)));
        snprintf(p->pattern, sizeof p->pattern, "unstructured");
        snprintf(p->layers, sizeof p->layers, "all");
        if ((rc = cfg_check_keys(c, g, pre, keys)) ||
            (rc = cfg_get_str(c, g, pre, "method", 1, p->method, sizeof p->method)) ||
            (rc = cfg_get_str(c, g, pre, "pattern", 0, p->pattern, sizeof p->pattern)) ||
            (rc = cfg_get_bool(c, g, pre, "global", &p->global)))
            return rc;
        if (!prune_find(p->method)) {
            char list[256] = "", key[96];
            for (const prune_method *const *m = prune_methods; *m; m++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s%s", m == prune_methods ? "" : ", ",
                         (*m)->name);
            }
            return cfg_fail(c, member(g, "method"), cfg_key(key, sizeof key, pre, "method"),
                            "unknown method '%s' (known: %s)", p->method, list);
        }
        if (strcmp(p->pattern, "unstructured") != 0 &&
            prune_pattern_parse(p->pattern, &nm_n, &nm_m, c->err)) {
            char key[96];
            cfg_where w;
            cfg_where_set(c, member(g, "pattern"), cfg_key(key, sizeof key, pre, "pattern"), &w);
            return cfg_error_at(c->err, &w);
        }
        /* layers: "all", "1,3" or [1, 3] */
        s = member(g, "layers");
        if (s && config_setting_type(s) == CONFIG_TYPE_STRING) {
            if ((rc = cfg_get_str(c, g, pre, "layers", 0, p->layers, sizeof p->layers)))
                return rc;
        } else if (s) {
            double v[64];
            size_t nl;
            char key[96];
            cfg_key(key, sizeof key, pre, "layers");
            if ((rc = num_array_of(c, s, key, 0, 64, v, &nl)))
                return rc;
            p->layers[0] = '\0';
            for (size_t j = 0; j < nl; j++) {
                size_t used = strlen(p->layers);
                if (v[j] != floor(v[j]) || v[j] < 1)
                    return cfg_fail(c, s, key, "entry %zu: %g is not a layer number >= 1", j, v[j]);
                snprintf(p->layers + used, sizeof p->layers - used, "%s%d", j ? "," : "",
                         (int)v[j]);
            }
        }
        /* sparsity: a number or an array, each in [0, 1) */
        s = member(g, "sparsity");
        {
            char key[96];
            cfg_key(key, sizeof key, pre, "sparsity");
            if (!s && !nm_m)
                return cfg_fail(c, g, key, "missing (a number or an array in [0, 1))");
            if (s && is_number(s)) {
                p->n_sparsity = 1;
                p->sparsity[0] = number_of(s);
            } else if (s && (rc = num_array_of(c, s, key, 0, CFG_SPARSITY_MAX, p->sparsity,
                                               &p->n_sparsity))) {
                return rc;
            }
            for (size_t j = 0; j < p->n_sparsity; j++)
                if (!(p->sparsity[j] >= 0.0 && p->sparsity[j] < 1.0))
                    return cfg_fail(c, s, key, "%g is out of range [0, 1)", p->sparsity[j]);
            if (nm_m) {
                double want = (double)nm_n / (double)nm_m;
                for (size_t j = 0; j < p->n_sparsity; j++)
                    if (fabs(p->sparsity[j] - want) > 1e-9)
                        return cfg_fail(c, s, key,
                                        "%g disagrees with pattern %s (sparsity %g): leave it out",
                                        p->sparsity[j], p->pattern, want);
                p->n_sparsity = 1;
                p->sparsity[0] = want;
            }
        }
    }
    r->n_prune = (size_t)n;
    return PB_SUCCESS;
}

static int load_scenarios(const cfg_ctx *c, config_setting_t *root, cfg_run *r)
{
    static const char *const keys[] = {"x0", "name", NULL};
    config_setting_t *l = member(root, "scenarios");
    size_t nx = r->plant->type->nx, n_x;
    int rc, n;

    if (!l)
        return cfg_fail(c, root, "scenarios",
                        "missing (a list ( { x0 = [...]; }, ... ) is required)");
    if (config_setting_type(l) != CONFIG_TYPE_LIST)
        return cfg_fail(c, l, "scenarios", "expected a list ( { x0 = [...]; }, ... ), got %s",
                        type_name(config_setting_type(l)));
    n = config_setting_length(l);
    if (n < 1 || n > CFG_LIST_MAX)
        return cfg_fail(c, l, "scenarios", "has %d entries, expected 1 to %d", n, CFG_LIST_MAX);
    r->scenarios = calloc((size_t)n, sizeof *r->scenarios);
    if (!r->scenarios)
        return pb_error_set(c->err, PB_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
        cfg_scenario *sc = &r->scenarios[i];
        char pre[64];

        snprintf(pre, sizeof pre, "scenarios[%d]", i);
        cfg_where_set(c, g, pre, &sc->where);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP)
            return cfg_fail(c, g, pre, "expected a group { x0 = [...]; }, got %s",
                            type_name(config_setting_type(g)));
        snprintf(sc->name, sizeof sc->name, "%d", i);
        if ((rc = cfg_check_keys(c, g, pre, keys)) ||
            (rc = cfg_get_nums(c, g, pre, "x0", 1, nx, nx, sc->x0, &n_x)) ||
            (rc = cfg_get_str(c, g, pre, "name", 0, sc->name, sizeof sc->name)))
            return rc;
        if (strchr(sc->name, '/')) {
            char key[96];
            return cfg_fail(c, member(g, "name"), cfg_key(key, sizeof key, pre, "name"),
                            "must not contain '/'");
        }
    }
    r->n_scenarios = (size_t)n;
    return PB_SUCCESS;
}

/* criterion = { tol; tail; radius; }: the outcome of every closed loop (sim.h). */
static int load_criterion(const cfg_ctx *c, config_setting_t *root, cfg_run *r)
{
    static const char *const keys[] = {"tol", "tail", "radius", NULL};
    config_setting_t *g;
    int rc;

    sim_criterion_init(&r->crit);
    if ((rc = cfg_get_group(c, root, "", "criterion", 0, &g)) || !g)
        return rc;
    if ((rc = cfg_check_keys(c, g, "criterion", keys)) ||
        (rc = cfg_get_num(c, g, "criterion", "tol", 0, 0.0, 1e300, 0, &r->crit.tol)) ||
        (rc = cfg_get_num(c, g, "criterion", "tail", 0, 0.0, 1.0, 1, &r->crit.tail)) ||
        (rc = cfg_get_num(c, g, "criterion", "radius", 0, 0.0, 1e300, 1, &r->crit.radius)))
        return rc;
    cfg_where_set(c, g, "criterion", &r->where_crit);
    return PB_SUCCESS;
}

static int load_rest(const cfg_ctx *c, config_setting_t *root, cfg_run *r)
{
    static const char *const bkeys[] = {"eps",  "at_orig",     "local", "region",
                                        "tube", "tube_method", NULL};
    char tm[32] = "centres";
    static const char *const okeys[] = {"file", "traces", NULL};
    config_setting_t *g;
    int rc;

    r->bound_eps = 0.1;
    r->bound_at_orig = 1;
    r->traces = 1;
    if ((rc = cfg_get_group(c, root, "", "bounds", 0, &g)))
        return rc;
    if (g && ((rc = cfg_check_keys(c, g, "bounds", bkeys)) ||
              (rc = cfg_get_num(c, g, "bounds", "eps", 0, 0.0, 1e12, 1, &r->bound_eps)) ||
              (rc = cfg_get_bool(c, g, "bounds", "at_orig", &r->bound_at_orig)) ||
              (rc = cfg_get_bool(c, g, "bounds", "local", &r->bound_local)) ||
              (rc = cfg_get_bool(c, g, "bounds", "region", &r->bound_region)) ||
              (rc = cfg_get_bool(c, g, "bounds", "tube", &r->bound_tube)) ||
              (rc = cfg_get_str(c, g, "bounds", "tube_method", 0, tm, sizeof tm))))
        return rc;
    /* the tube's methods (docs/TUBE.md section 2) */
    if (!strcmp(tm, "centres"))
        r->bound_tube_method = 0;
    else if (!strcmp(tm, "tighter"))
        r->bound_tube_method = 1;
    else if (!strcmp(tm, "differential"))
        r->bound_tube_method = 2;
    else
        return cfg_fail(c, config_setting_get_member(g, "tube_method"), "bounds.tube_method",
                        "\"%s\" is not one of \"centres\", \"tighter\", \"differential\"", tm);
#ifdef PB_WITH_TUBE
    /* The tube needs the plant's interval Jacobian (a build without Arb
     * ignores the key: `run` says so). */
    if (r->bound_tube && !r->plant->type->jac_box)
        return cfg_fail(c, config_setting_get_member(g, "tube"), "bounds.tube",
                        "plant '%s' has no interval Jacobian (jac_box); the tube is available "
                        "for the built-in plants, not for user-defined ones",
                        r->plant->type->name);
#endif
    {
        /* default output: results/<config name without .cfg>.h5 */
        const char *base = strrchr(r->path, '/');
        size_t len;
        base = base ? base + 1 : r->path;
        len = strlen(base);
        if (len > 4 && strcmp(base + len - 4, ".cfg") == 0)
            len -= 4;
        if (len > 200)
            len = 200;
        snprintf(r->output_file, sizeof r->output_file, "results/%.*s.h5", (int)len, base);
    }
    if ((rc = cfg_get_group(c, root, "", "output", 0, &g)))
        return rc;
    if (g &&
        ((rc = cfg_check_keys(c, g, "output", okeys)) ||
         (rc = cfg_get_str(c, g, "output", "file", 0, r->output_file, sizeof r->output_file)) ||
         (rc = cfg_get_bool(c, g, "output", "traces", &r->traces))))
        return rc;
    return PB_SUCCESS;
}

/* ---- Top level ---- */

/* libconfig 1.5's scanner calls exit() when read() fails, which an
 * `@include` of a directory provokes (`@include ""` names the include
 * folder itself).  Before parsing, every `@include "NAME"` line of file and
 * of the files it includes (libconfig's own rule: at the start of a line,
 * NAME joined to dir) must name a regular file or nothing; a missing file
 * and deep nesting are left to libconfig's own messages. */
static int cfg_includes_check(const char *file, const char *dir, int depth, pb_error *err)
{
    char line[CFG_PATH_MAX + 64], name[CFG_PATH_MAX], full[2 * CFG_PATH_MAX + 2];
    struct stat st;
    FILE *f;
    int rc = PB_SUCCESS, n = 0;

    if (depth > 10 || !(f = fopen(file, "r")))
        return PB_SUCCESS;
    while (rc == PB_SUCCESS && fgets(line, sizeof line, f)) {
        const char *q = line + strspn(line, " \t");
        size_t len;
        n++;
        if (strncmp(q, "@include", 8) != 0)
            continue;
        q += 8;
        q += strspn(q, " \t");
        if (*q++ != '"')
            continue;
        len = strcspn(q, "\"");
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), q);
        snprintf(full, sizeof full, "%s/%s", dir, name);
        if (stat(full, &st) != 0)
            continue;
        if (!S_ISREG(st.st_mode))
            rc = pb_error_set(err, PB_EIO, "%s:%d: @include \"%s\": not a regular file", file, n,
                              name);
        else
            rc = cfg_includes_check(full, dir, depth + 1, err);
    }
    fclose(f);
    return rc;
}

int cfg_run_load(const char *path, const char *const sets[], size_t n_sets, cfg_run **out,
                 pb_error *err)
{
    static const char *const keys[] = {"plant",       "simulation", "reference",  "policy",
                                       "calibration", "pruning",    "scenarios",  "bounds",
                                       "output",      "seed",       "montecarlo", "criterion",
                                       "spec",        NULL};
    config_t cf;
    config_setting_t *root;
    cfg_ctx c = {path, err};
    cfg_run *r;
    long long seed = 1;
    struct stat st;
    FILE *f;
    int rc;

    *out = NULL;
    if (strlen(path) >= CFG_PATH_MAX)
        return pb_error_set(err, PB_EIO, "%s: path too long", path);
    f = fopen(path, "r");
    if (!f)
        return pb_error_set(err, PB_EIO, "%s: cannot open (%s)", path, strerror(errno));
    /* libconfig's scanner calls exit() when read() fails (a directory). */
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return pb_error_set(err, PB_EIO, "%s: not a regular file", path);
    }
    /* An HDF5 file (a policy or results file given by mistake) says so. */
    {
        static const unsigned char h5sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
        unsigned char head[8];
        size_t got = fread(head, 1, sizeof head, f);
        if (got == sizeof head && memcmp(head, h5sig, sizeof head) == 0) {
            fclose(f);
            return pb_error_set(err, PB_EINVAL,
                                "%s: this is an HDF5 file (a policy or results file?), not a "
                                "config: the command expects a libconfig text file (docs/CONFIG.md)",
                                path);
        }
        rewind(f);
    }
    r = calloc(1, sizeof *r);
    if (!r) {
        fclose(f);
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    }
    snprintf(r->path, sizeof r->path, "%s", path);
    snprintf(r->dir, sizeof r->dir, "%s", path);
    {
        char *slash = strrchr(r->dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(r->dir, sizeof r->dir, ".");
    }
    config_init(&cf);
    config_set_include_dir(&cf, r->dir);
    if ((rc = cfg_includes_check(path, r->dir, 0, err))) {
        fclose(f);
        goto fail;
    }
    if (config_read(&cf, f) != CONFIG_TRUE) {
        const char *ef = config_error_file(&cf);
        const char *et = config_error_text(&cf);
        rc = pb_error_set(err, PB_EINVAL, "%s:%d: syntax error: %s%s", ef ? ef : path,
                          config_error_line(&cf), et,
                          et && strstr(et, "mismatched element type")
                              ? " (every element of a list [..] must have one type: write "
                                "0.0, not 0, among real numbers)"
                              : "");
        fclose(f);
        goto fail;
    }
    fclose(f);
    for (size_t i = 0; i < n_sets; i++)
        if ((rc = cfg_set_apply(&c, &cf, sets[i])))
            goto fail;
    root = config_root_setting(&cf);
    if ((rc = cfg_check_keys(&c, root, "", keys)) ||
        (rc = cfg_get_int(&c, root, "", "seed", 0, 0, 4294967295LL, &seed)))
        goto fail;
    r->seed = (unsigned long)seed;
    if ((rc = load_plant(&c, root, r)) || (rc = load_simulation(&c, root, r)) ||
        (rc = load_reference(&c, root, r)) || (rc = load_policy(&c, root, r)) ||
        (rc = cfg_observation_load(&c, root, r)) ||
        (rc = load_calibration(&c, root, r, seed)) || (rc = load_pruning(&c, root, r)) ||
        (rc = load_scenarios(&c, root, r)) || (rc = load_criterion(&c, root, r)) ||
        (rc = load_rest(&c, root, r)) ||
        (rc = cfg_mc_load(&c, root, r)) || (rc = cfg_spec_load(&c, root, r)))
        goto fail;
    /* The config as run, after the overrides, for the results file. */
    {
        size_t len = 0;
        FILE *ms = open_memstream(&r->text, &len);
        if (!ms) {
            rc = pb_error_set(err, PB_ENOMEM, "out of memory");
            goto fail;
        }
        config_write(&cf, ms);
        fclose(ms);
    }
    config_destroy(&cf);
    *out = r;
    return PB_SUCCESS;
fail:
    config_destroy(&cf);
    cfg_run_free(r);
    return rc;
}

void cfg_run_free(cfg_run *c)
{
    if (!c)
        return;
    plant_free(c->plant);
    plant_user_free(c->user); /* after the model: it holds the type */
    plant_expr_map_free(c->obs);
    free(c->text);
    free(c->train);
    free(c->prune);
    free(c->scenarios);
    free(c->mc);
    cfg_spec_free(c->spec);
    free(c);
}
