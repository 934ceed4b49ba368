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
    return m->type->f(t, x, u, m->p, dxdt);
}

void plant_saturate(const plant *m, double u[])
{
    double lo[PLANT_NU_MAX], hi[PLANT_NU_MAX];
    size_t nu = m->type->nu;

    m->type->input_limits(m->p, lo, hi);
    for (size_t i = 0; i < nu; i++)
        u[i] = u[i] < lo[i] ? lo[i] : (u[i] > hi[i] ? hi[i] : u[i]);
}

int plant_state_is_valid(const plant *m, const double x[])
{
    double lo[PLANT_NX_MAX], hi[PLANT_NX_MAX];
    size_t nx = m->type->nx;

    m->type->state_limits(m->p, lo, hi);
    for (size_t i = 0; i < nx; i++)
        if (!isfinite(x[i]) || x[i] < lo[i] || x[i] > hi[i])
            return 0;
    return 1;
}
