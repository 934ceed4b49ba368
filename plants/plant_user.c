/* plant_user.c: the plants users define at run time (plant_user.h): the
 * declarations every such type shares (names, equilibrium, limits, LQR
 * weights), the linear plant and its exact zero-order hold, the expression
 * plant over plant_expr.c, and compiled plugins through dlopen. */
#define _POSIX_C_SOURCE 200809L
#include "plant_user.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plant_lqr.h"

struct plant_user {
    plant_type type;       /* type.data points back at this object */
    char name[PLANT_NAME_MAX];
    char equation[160];
    plant_var *vars;       /* [nx + nu] states then inputs */
    plant_param *params;   /* [np] */
    char (*names)[PLANT_USER_VAR_MAX]; /* [nx + nu + np] their storage */
    double *v;             /* x_eq, u_eq, x_lo, x_hi, u_lo, u_hi, q, r */
    double *x_eq, *u_eq, *x_lo, *x_hi, *u_lo, *u_hi, *q, *r;
    /* linear */
    int discrete;
    double period;
    double *A, *B, *c;     /* nx x nx, nx x nu, nx */
    double *Ad, *Bd, *cd;  /* the map over one period */
    /* expr */
    plant_expr_map *rhs;   /* over states, inputs, parameters, t */
    /* plugin */
    void *dl;
};

const plant_type *plant_user_type(const plant_user *u)
{
    return &u->type;
}

void plant_user_free(plant_user *u)
{
    if (!u)
        return;
    plant_expr_map_free(u->rhs);
    free(u->A);
    free(u->v);
    free(u->names);
    free(u->vars);
    free(u->params);
    if (u->dl)
        dlclose(u->dl);
    free(u);
}

/* ---- The declarations every linear and expression plant shares ---- */

static void user_equilibrium(const void *data, const double p[], double x[], double u[])
{
    const plant_user *pu = data;
    (void)p;
    memcpy(x, pu->x_eq, pu->type.nx * sizeof *x);
    memcpy(u, pu->u_eq, pu->type.nu * sizeof *u);
}

static void user_input_limits(const void *data, const double p[], double lo[], double hi[])
{
    const plant_user *pu = data;
    (void)p;
    memcpy(lo, pu->u_lo, pu->type.nu * sizeof *lo);
    memcpy(hi, pu->u_hi, pu->type.nu * sizeof *hi);
}

static void user_state_limits(const void *data, const double p[], double lo[], double hi[])
{
    const plant_user *pu = data;
    (void)p;
    memcpy(lo, pu->x_lo, pu->type.nx * sizeof *lo);
    memcpy(hi, pu->x_hi, pu->type.nx * sizeof *hi);
}

static void fill(double *dst, const double *src, size_t n, double def)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src ? src[i] : def;
}

/* A plant_user with d's names, equilibrium, limits and weights, and the
 * type's shared slots; NULL with err set. */
static plant_user *user_alloc(const plant_user_decl *d, pb_error *err)
{
    size_t nx = d->nx, nu = d->nu, np = d->np;
    plant_user *u;

    if (nx < 1 || nx > PLANT_NX_MAX || nu < 1 || nu > PLANT_NU_MAX || np > PLANT_NP_MAX)
        return pb_error_set(err, PB_EINVAL,
                            "a user plant has 1 to %d states, 1 to %d inputs and at most %d "
                            "parameters (got %zu, %zu, %zu)",
                            PLANT_NX_MAX, PLANT_NU_MAX, PLANT_NP_MAX, nx, nu, np),
               NULL;
    for (size_t i = 0; i < nx; i++)
        if (d->x_lo && d->x_hi && !(d->x_lo[i] < d->x_hi[i]))
            return pb_error_set(err, PB_EINVAL, "state limit %zu: x_min %g is not below x_max %g",
                                i, d->x_lo[i], d->x_hi[i]),
                   NULL;
    for (size_t i = 0; i < nu; i++)
        if (d->u_lo && d->u_hi && !(d->u_lo[i] <= d->u_hi[i]))
            return pb_error_set(err, PB_EINVAL, "input limit %zu: u_min %g is above u_max %g", i,
                                d->u_lo[i], d->u_hi[i]),
                   NULL;
    u = calloc(1, sizeof *u);
    if (!u)
        goto nomem;
    u->vars = calloc(nx + nu, sizeof *u->vars);
    u->params = calloc(np ? np : 1, sizeof *u->params);
    u->names = calloc(nx + nu + np, sizeof *u->names);
    u->v = calloc(3 * nx + 3 * nu + nx + nu, sizeof *u->v);
    if (!u->vars || !u->params || !u->names || !u->v)
        goto nomem;
    for (size_t i = 0; i < nx + nu + np; i++) {
        const char *given = i < nx ? (d->states ? d->states[i] : NULL)
                            : i < nx + nu ? (d->inputs ? d->inputs[i - nx] : NULL)
                                          : d->params[i - nx - nu];
        if (given && strlen(given) >= PLANT_USER_VAR_MAX) {
            plant_user_free(u);
            return pb_error_set(err, PB_EINVAL, "name '%s' is longer than %d characters", given,
                                PLANT_USER_VAR_MAX - 1),
                   NULL;
        }
        if (given)
            snprintf(u->names[i], PLANT_USER_VAR_MAX, "%s", given);
        else
            snprintf(u->names[i], PLANT_USER_VAR_MAX, "%c%zu", i < nx ? 'x' : 'u',
                     i < nx ? i : i - nx);
    }
    for (size_t i = 0; i < nx + nu; i++) {
        u->vars[i].name = u->names[i];
        u->vars[i].unit = "";
    }
    for (size_t i = 0; i < np; i++) {
        plant_param *p = &u->params[i];
        p->name = u->names[nx + nu + i];
        p->unit = "";
        p->doc = "user parameter";
        p->def = d->param_values ? d->param_values[i] : 0.0;
        p->lo = -HUGE_VAL;
        p->hi = HUGE_VAL;
    }
    u->x_eq = u->v;
    u->u_eq = u->x_eq + nx;
    u->x_lo = u->u_eq + nu;
    u->x_hi = u->x_lo + nx;
    u->u_lo = u->x_hi + nx;
    u->u_hi = u->u_lo + nu;
    u->q = u->u_hi + nu;
    u->r = u->q + nx;
    fill(u->x_eq, d->x_eq, nx, 0.0);
    fill(u->u_eq, d->u_eq, nu, 0.0);
    fill(u->x_lo, d->x_lo, nx, -INFINITY);
    fill(u->x_hi, d->x_hi, nx, INFINITY);
    fill(u->u_lo, d->u_lo, nu, -INFINITY);
    fill(u->u_hi, d->u_hi, nu, INFINITY);
    fill(u->q, d->lqr_q, nx, 1.0);
    fill(u->r, d->lqr_r, nu, 1.0);
    snprintf(u->name, sizeof u->name, "%s", d->name ? d->name : "user");

    u->type.name = u->name;
    u->type.equation = u->equation;
    u->type.nx = nx;
    u->type.nu = nu;
    u->type.np = np;
    u->type.states = u->vars;
    u->type.inputs = u->vars + nx;
    u->type.params = u->params;
    u->type.lqr_q = u->q;
    u->type.lqr_r = u->r;
    u->type.data = u;
    u->type.equilibrium_d = user_equilibrium;
    u->type.input_limits_d = user_input_limits;
    u->type.state_limits_d = user_state_limits;
    return u;
nomem:
    plant_user_free(u);
    return pb_error_set(err, PB_ENOMEM, "out of memory building a user plant"), NULL;
}

/* ---- The linear plant ---- */

/* y = A x + B u + c. */
static void affine(const plant_user *pu, const double *A, const double *B, const double *c,
                   const double x[], const double u[], double y[])
{
    size_t nx = pu->type.nx, nu = pu->type.nu;
    for (size_t i = 0; i < nx; i++) {
        double s = c[i];
        for (size_t j = 0; j < nx; j++)
            s += A[i * nx + j] * x[j];
        for (size_t j = 0; j < nu; j++)
            s += B[i * nu + j] * u[j];
        y[i] = s;
    }
}

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

static int linear_f(const void *data, double t, const double x[], const double u[],
                    const double p[], double dxdt[])
{
    const plant_user *pu = data;
    (void)t;
    (void)p;
    affine(pu, pu->A, pu->B, pu->c, x, u, dxdt);
    if (pu->discrete)
        for (size_t i = 0; i < pu->type.nx; i++)
            dxdt[i] = (dxdt[i] - x[i]) / pu->period;
    return all_finite(dxdt, pu->type.nx) ? PB_SUCCESS : PB_EDIVERGED;
}

/* linear_f over n states in structure-of-arrays form (plant.h f_batch),
 * term for term, row by row. */
static void linear_f_batch(const void *data, double t, size_t n, size_t ld, const double X[],
                           const double U[], const double P[], double dX[], double w[])
{
    const plant_user *pu = data;
    size_t nx = pu->type.nx, nu = pu->type.nu;
    (void)t;
    (void)P;
    (void)w;
    for (size_t i = 0; i < nx; i++) {
        double *restrict d = dX + i * ld;
        for (size_t s = 0; s < n; s++)
            d[s] = pu->c[i];
        for (size_t j = 0; j < nx; j++) {
            const double *restrict xj = X + j * ld;
            double a = pu->A[i * nx + j];
            for (size_t s = 0; s < n; s++)
                d[s] += a * xj[s];
        }
        for (size_t j = 0; j < nu; j++) {
            const double *restrict uj = U + j * ld;
            double b = pu->B[i * nu + j];
            for (size_t s = 0; s < n; s++)
                d[s] += b * uj[s];
        }
        if (pu->discrete) {
            const double *restrict xi = X + i * ld;
            for (size_t s = 0; s < n; s++)
                d[s] = (d[s] - xi[s]) / pu->period;
        }
    }
}

static int linear_jac(const void *data, double t, const double x[], const double u[],
                      const double p[], double dfdx[], double dfdu[])
{
    const plant_user *pu = data;
    size_t nx = pu->type.nx, nu = pu->type.nu;
    double s = pu->discrete ? 1.0 / pu->period : 1.0;
    (void)t;
    (void)x;
    (void)u;
    (void)p;
    if (dfdx)
        for (size_t i = 0; i < nx; i++)
            for (size_t j = 0; j < nx; j++)
                dfdx[i * nx + j] = (pu->A[i * nx + j] - (pu->discrete && i == j)) * s;
    if (dfdu)
        for (size_t i = 0; i < nx * nu; i++)
            dfdu[i] = pu->B[i] * s;
    return PB_SUCCESS;
}

static int linear_map(const void *data, const double x[], const double u[], const double p[],
                      double xnext[])
{
    const plant_user *pu = data;
    (void)p;
    affine(pu, pu->Ad, pu->Bd, pu->cd, x, u, xnext);
    return all_finite(xnext, pu->type.nx) ? PB_SUCCESS : PB_EDIVERGED;
}

plant_user *plant_linear_alloc(const plant_user_decl *d, const double A[], const double B[],
                               const double c[], int discrete, double period, pb_error *err)
{
    size_t nx = d->nx, nu = d->nu;
    plant_user *u;
    double *Bc = NULL, *Bdc = NULL;
    int rc;

    if (!(isfinite(period) && period > 0.0))
        return pb_error_set(err, PB_EINVAL, "the control period %g must be finite and > 0",
                            period),
               NULL;
    if (!all_finite(A, nx * nx) || !all_finite(B, nx * nu) || (c && !all_finite(c, nx)))
        return pb_error_set(err, PB_EINVAL, "A, B and c must be finite"), NULL;
    if (!(u = user_alloc(d, err)))
        return NULL;
    u->discrete = discrete != 0;
    u->period = period;
    u->A = calloc(2 * (nx * nx + nx * nu + nx), sizeof *u->A);
    Bc = calloc(2 * nx * (nu + 1), sizeof *Bc);
    if (!u->A || !Bc) {
        free(Bc);
        plant_user_free(u);
        return pb_error_set(err, PB_ENOMEM, "out of memory building a linear plant"), NULL;
    }
    u->B = u->A + nx * nx;
    u->c = u->B + nx * nu;
    u->Ad = u->c + nx;
    u->Bd = u->Ad + nx * nx;
    u->cd = u->Bd + nx * nu;
    memcpy(u->A, A, nx * nx * sizeof *A);
    memcpy(u->B, B, nx * nu * sizeof *B);
    if (c)
        memcpy(u->c, c, nx * sizeof *c);
    if (u->discrete) {
        memcpy(u->Ad, u->A, nx * nx * sizeof *A);
        memcpy(u->Bd, u->B, nx * nu * sizeof *B);
        memcpy(u->cd, u->c, nx * sizeof *c);
    } else {
        /* The constant term is an input held at 1: [Bd, cd] is the ZOH of [B, c]. */
        Bdc = Bc + nx * (nu + 1);
        for (size_t i = 0; i < nx; i++) {
            memcpy(Bc + i * (nu + 1), u->B + i * nu, nu * sizeof *Bc);
            Bc[i * (nu + 1) + nu] = u->c[i];
        }
        rc = plant_discretise(nx, nu + 1, u->A, Bc, period, u->Ad, Bdc, err);
        if (rc) {
            free(Bc);
            plant_user_free(u);
            return pb_error_prefix(err, "linear plant: "), NULL;
        }
        for (size_t i = 0; i < nx; i++) {
            memcpy(u->Bd + i * nu, Bdc + i * (nu + 1), nu * sizeof *Bc);
            u->cd[i] = Bdc[i * (nu + 1) + nu];
        }
    }
    free(Bc);
    snprintf(u->equation, sizeof u->equation, "%s, %zu states, %zu inputs (user-defined)",
             u->discrete ? "x+ = A x + B u + c at each control period"
                         : "x' = A x + B u + c, exact zero-order hold",
             nx, nu);
    u->type.f_d = linear_f;
    u->type.f_batch_d = linear_f_batch;
    u->type.jac_d = linear_jac;
    u->type.map_d = linear_map;
    u->type.map_period = period;
    return u;
}

/* ---- The expression plant ---- */

/* The values of the names of the right-hand sides: states, inputs,
 * parameters, t. */
static size_t expr_vars(const plant_user *pu, double t, const double x[], const double u[],
                        const double p[], double v[])
{
    size_t nx = pu->type.nx, nu = pu->type.nu, np = pu->type.np;
    memcpy(v, x, nx * sizeof *v);
    memcpy(v + nx, u, nu * sizeof *v);
    if (np)
        memcpy(v + nx + nu, p, np * sizeof *v);
    v[nx + nu + np] = t;
    return nx + nu + np + 1;
}

static int expr_f(const void *data, double t, const double x[], const double u[],
                  const double p[], double dxdt[])
{
    const plant_user *pu = data;
    double v[PLANT_NX_MAX + PLANT_NU_MAX + PLANT_NP_MAX + 1];
    expr_vars(pu, t, x, u, p, v);
    return plant_expr_map_eval(pu->rhs, v, dxdt, NULL);
}

static int expr_jac(const void *data, double t, const double x[], const double u[],
                    const double p[], double dfdx[], double dfdu[])
{
    const plant_user *pu = data;
    size_t nx = pu->type.nx, nu = pu->type.nu;
    double v[PLANT_NX_MAX + PLANT_NU_MAX + PLANT_NP_MAX + 1], y[PLANT_NX_MAX];
    double J[PLANT_NX_MAX * (PLANT_NX_MAX + PLANT_NU_MAX)]; /* nx x (nx + nu) */
    int rc;

    expr_vars(pu, t, x, u, p, v);
    rc = plant_expr_map_eval(pu->rhs, v, y, J);
    for (size_t i = 0; i < nx; i++) {
        if (dfdx)
            memcpy(dfdx + i * nx, J + i * (nx + nu), nx * sizeof *J);
        if (dfdu)
            memcpy(dfdu + i * nu, J + i * (nx + nu) + nx, nu * sizeof *J);
    }
    return rc;
}

plant_user *plant_expr_alloc(const plant_user_decl *d, const char *const rhs[], size_t *bad,
                             pb_error *err)
{
    const char *vars[PLANT_NX_MAX + PLANT_NU_MAX + PLANT_NP_MAX + 1];
    size_t n = 0;
    plant_user *u;

    *bad = (size_t)-1;
    if (!(u = user_alloc(d, err)))
        return NULL;
    for (size_t i = 0; i < d->nx + d->nu + d->np; i++)
        vars[n++] = u->names[i];
    vars[n++] = "t";
    u->rhs = plant_expr_map_alloc(d->nx, rhs, n, vars, d->nx + d->nu, bad, err);
    if (!u->rhs) {
        plant_user_free(u);
        return NULL;
    }
    snprintf(u->equation, sizeof u->equation,
             "x' = f(t, x, u; p) from %zu expressions (user-defined)", d->nx);
    u->type.f_d = expr_f;
    u->type.jac_d = expr_jac;
    return u;
}

/* ---- Compiled plugins ---- */

plant_user *plant_plugin_load(const char *path, pb_error *err)
{
    const plant_type *t;
    plant_user *u;
    void *dl;

    dlerror();
    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl)
        return pb_error_set(err, PB_EIO, "cannot load plugin: %s", dlerror()), NULL;
    t = dlsym(dl, PLANT_PLUGIN_SYMBOL);
    if (!t) {
        pb_error_set(err, PB_EIO, "%s exports no '%s' (a `const plant_type %s`)", path,
                     PLANT_PLUGIN_SYMBOL, PLANT_PLUGIN_SYMBOL);
        dlclose(dl);
        return NULL;
    }
    if (!t->name || !t->name[0] || strlen(t->name) >= PLANT_NAME_MAX || !t->equation ||
        t->nx < 1 || t->nx > PLANT_NX_MAX || t->nu < 1 || t->nu > PLANT_NU_MAX ||
        t->np > PLANT_NP_MAX || !t->states || !t->inputs || (t->np && !t->params) ||
        !(t->f || t->f_d) || !(t->equilibrium || t->equilibrium_d) ||
        !(t->input_limits || t->input_limits_d) || !(t->state_limits || t->state_limits_d) ||
        !t->lqr_q || !t->lqr_r || (t->map_d && !(t->map_period > 0.0))) {
        pb_error_set(err, PB_EINVAL,
                     "%s: '%s' is not a complete plant_type (plant.h: name and equation, "
                     "1 <= nx <= %d, 1 <= nu <= %d, np <= %d, states, inputs, params, f, "
                     "equilibrium, input_limits, state_limits, lqr_q and lqr_r are required)",
                     path, PLANT_PLUGIN_SYMBOL, PLANT_NX_MAX, PLANT_NU_MAX, PLANT_NP_MAX);
        dlclose(dl);
        return NULL;
    }
    u = calloc(1, sizeof *u);
    if (!u) {
        dlclose(dl);
        return pb_error_set(err, PB_ENOMEM, "out of memory"), NULL;
    }
    u->type = *t; /* the slots stay in the object, which stays loaded */
    u->dl = dl;
    return u;
}
