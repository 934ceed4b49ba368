/* plant.c: the registry lookup and the parameter block shared by every plant. */
#include "plant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const plant_type *plant_find(const char *name)
{
    if (!name)
        return NULL;
    for (const plant_type *const *t = plant_types; *t; t++)
        if (strcmp((*t)->name, name) == 0)
            return *t;
    return NULL;
}

plant *plant_alloc(const plant_type *t)
{
    plant *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->type = t;
    m->p = calloc(t->np ? t->np : 1, sizeof *m->p);
    if (!m->p) {
        free(m);
        return NULL;
    }
    for (size_t i = 0; i < t->np; i++)
        m->p[i] = t->params[i].def;
    return m;
}

void plant_free(plant *m)
{
    if (!m)
        return;
    free(m->p);
    free(m);
}

int plant_param_index(const plant_type *t, const char *name)
{
    for (size_t i = 0; i < t->np; i++)
        if (strcmp(t->params[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Range check of one value against its declaration. */
static int param_check(const plant_type *t, const plant_param *d, double v, pb_error *err)
{
    int lo_ok, hi_ok;

    if (isnan(v) || (isinf(v) && !(v > 0 && (d->flags & PLANT_PARAM_ALLOW_INF))))
        return pb_error_set(err, PB_EINVAL, "%s parameter '%s' must be finite, got %g", t->name,
                            d->name, v);
    lo_ok = (d->flags & PLANT_PARAM_LO_OPEN) ? v > d->lo : v >= d->lo;
    hi_ok = isinf(v) || v <= d->hi;
    if (!lo_ok || !hi_ok)
        return pb_error_set(err, PB_EINVAL, "%s parameter '%s' = %g is outside %c%g, %g]",
                            t->name, d->name, v, (d->flags & PLANT_PARAM_LO_OPEN) ? '(' : '[',
                            d->lo, d->hi);
    return PB_SUCCESS;
}

int plant_set_param(plant *m, const char *name, double value, pb_error *err)
{
    int i = plant_param_index(m->type, name);
    int rc;

    if (i < 0)
        return pb_error_set(err, PB_EINVAL, "plant '%s' has no parameter '%s'", m->type->name,
                            name);
    rc = param_check(m->type, &m->type->params[i], value, err);
    if (rc == PB_SUCCESS)
        m->p[i] = value;
    return rc;
}

int plant_validate(const plant *m, pb_error *err)
{
    for (size_t i = 0; i < m->type->np; i++) {
        int rc = param_check(m->type, &m->type->params[i], m->p[i], err);
        if (rc)
            return rc;
    }
    return m->type->validate ? m->type->validate(m->p, err) : PB_SUCCESS;
}

int plant_eval(const plant *m, double t, const double x[], const double u[], double dxdt[])
{
    return plant_type_f(m->type, t, x, u, m->p, dxdt);
}

void plant_saturate(const plant *m, double u[])
{
    double lo[PLANT_NU_MAX], hi[PLANT_NU_MAX];
    size_t nu = m->type->nu;

    plant_type_input_limits(m->type, m->p, lo, hi);
    for (size_t i = 0; i < nu; i++)
        u[i] = u[i] < lo[i] ? lo[i] : (u[i] > hi[i] ? hi[i] : u[i]);
}

int plant_state_is_valid(const plant *m, const double x[])
{
    double lo[PLANT_NX_MAX], hi[PLANT_NX_MAX];
    size_t nx = m->type->nx;

    plant_type_state_limits(m->type, m->p, lo, hi);
    for (size_t i = 0; i < nx; i++)
        if (!isfinite(x[i]) || x[i] < lo[i] || x[i] > hi[i])
            return 0;
    return 1;
}

/* ---- Dispatch between a type's slots and their *_d twins (plant.h) ---- */

int plant_type_f(const plant_type *t, double time, const double x[], const double u[],
                 const double p[], double dxdt[])
{
    return t->f_d ? t->f_d(t->data, time, x, u, p, dxdt) : t->f(time, x, u, p, dxdt);
}

int plant_type_has_jac(const plant_type *t)
{
    return t->jac_d || t->jac;
}

int plant_type_jac(const plant_type *t, double time, const double x[], const double u[],
                   const double p[], double dfdx[], double dfdu[])
{
    if (t->jac_d)
        return t->jac_d(t->data, time, x, u, p, dfdx, dfdu);
    return t->jac ? t->jac(time, x, u, p, dfdx, dfdu) : PB_EUNSUPPORTED;
}

void plant_type_equilibrium(const plant_type *t, const double p[], double x[], double u[])
{
    if (t->equilibrium_d)
        t->equilibrium_d(t->data, p, x, u);
    else
        t->equilibrium(p, x, u);
}

void plant_type_input_limits(const plant_type *t, const double p[], double lo[], double hi[])
{
    if (t->input_limits_d)
        t->input_limits_d(t->data, p, lo, hi);
    else
        t->input_limits(p, lo, hi);
}

void plant_type_state_limits(const plant_type *t, const double p[], double lo[], double hi[])
{
    if (t->state_limits_d)
        t->state_limits_d(t->data, p, lo, hi);
    else
        t->state_limits(p, lo, hi);
}
