/* plant_step.c: the sampled-data step over GSL gsl_odeiv2.  One period with
 * the input held (zero-order hold), integrated either adaptively with
 * gsl_odeiv2_evolve_apply up to the end of the period or with a fixed number
 * of gsl_odeiv2_evolve_apply_fixed_step substeps. */
#include "plant_step.h"
#include "plant_rk4.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>

const char *const plant_stepper_names[] = {"rk2",   "rk4",     "rkf45",  "rkck",
                                           "rk8pd", "rk1imp",  "rk2imp", "rk4imp",
                                           "bsimp", "msadams", "msbdf",  "rk4fixed", NULL};

/* The GSL step type of a name, or NULL (same order as plant_stepper_names). */
static const gsl_odeiv2_step_type *stepper_type(const char *name)
{
    const gsl_odeiv2_step_type *types[] = {
        gsl_odeiv2_step_rk2,     gsl_odeiv2_step_rk4,    gsl_odeiv2_step_rkf45,
        gsl_odeiv2_step_rkck,    gsl_odeiv2_step_rk8pd,  gsl_odeiv2_step_rk1imp,
        gsl_odeiv2_step_rk2imp,  gsl_odeiv2_step_rk4imp, gsl_odeiv2_step_bsimp,
        gsl_odeiv2_step_msadams, gsl_odeiv2_step_msbdf, plant_rk4_fixed};
    for (size_t i = 0; plant_stepper_names[i]; i++)
        if (strcmp(plant_stepper_names[i], name) == 0)
            return types[i];
    return NULL;
}

struct plant_stepper {
    const plant *m;
    plant_integrator opts;
    double period;
    gsl_odeiv2_system sys;  /* sys.params points back at this object */
    gsl_odeiv2_driver *d;   /* owns step, control and evolve; ms steppers need it */
    double h;               /* adaptive step carried from period to period */
    double u[PLANT_NU_MAX]; /* the held, saturated input */
    double lo[PLANT_NX_MAX], hi[PLANT_NX_MAX]; /* state limits at the last reset */
    double *x_last;                            /* [nx] last accepted state */
    double *fd_x, *fd_fp, *fd_fm;              /* [nx] central-difference Jacobian scratch */
    int status;                                /* PB status of the last plant call in a callback */
};

void plant_integrator_init(plant_integrator *opts)
{
    memset(opts, 0, sizeof *opts);
    strcpy(opts->method, "rk8pd");
    opts->epsabs = 1e-10;
    opts->epsrel = 1e-10;
    opts->h0 = 1e-3;
    opts->substeps = 0;
    opts->max_steps = 100000;
}

int plant_integrator_validate(const plant_integrator *opts, pb_error *err)
{
    if (memchr(opts->method, '\0', sizeof opts->method) == NULL || !stepper_type(opts->method)) {
        char list[256] = "";
        for (size_t i = 0; plant_stepper_names[i]; i++) {
            strcat(list, i ? ", " : "");
            strcat(list, plant_stepper_names[i]);
        }
        return pb_error_set(err, PB_EINVAL, "unknown integrator method '%.*s' (one of: %s)",
                            (int)sizeof opts->method, opts->method, list);
    }
    if (!(isfinite(opts->epsabs) && opts->epsabs >= 0.0) ||
        !(isfinite(opts->epsrel) && opts->epsrel >= 0.0) ||
        !(opts->epsabs > 0.0 || opts->epsrel > 0.0))
        return pb_error_set(err, PB_EINVAL,
                            "integrator tolerances epsabs = %g, epsrel = %g must be finite, "
                            ">= 0 and not both 0",
                            opts->epsabs, opts->epsrel);
    if (opts->substeps > 0)
        return PB_SUCCESS; /* h0 and max_steps are not used */
    /* rk4fixed estimates no error, so an adaptive control would grow its step
     * to the whole period unchecked: it is a fixed-substep method only. */
    if (strcmp(opts->method, "rk4fixed") == 0)
        return pb_error_set(err, PB_EINVAL,
                            "integrator method 'rk4fixed' has no error estimate: give "
                            "integrator.substeps > 0 (fixed substeps per period)");
    if (!(isfinite(opts->h0) && opts->h0 > 0.0))
        return pb_error_set(err, PB_EINVAL, "integrator h0 = %g must be finite and > 0", opts->h0);
    if (opts->max_steps == 0)
        return pb_error_set(err, PB_EINVAL, "integrator max_steps must be > 0");
    return PB_SUCCESS;
}

/* gsl_odeiv2_system.function: f at the held input. */
static int sys_f(double t, const double y[], double dydt[], void *params)
{
    plant_stepper *s = params;
    size_t nx = s->m->type->nx;
    for (size_t i = 0; i < nx; i++)
        if (!isfinite(y[i])) {
            s->status = PB_EDIVERGED;
            return GSL_EBADFUNC;
        }
    s->status = plant_type_f(s->m->type, t, y, s->u, s->m->p, dydt);
    return s->status == PB_SUCCESS ? GSL_SUCCESS : GSL_EBADFUNC;
}

/* gsl_odeiv2_system.jacobian: the analytic dfdx when the type has one,
 * else central differences with step sqrt(eps)-ish scaled to |y_j|.  The
 * plants are autonomous in t apart from the held input: dfdt = 0. */
static int sys_jac(double t, const double y[], double *dfdy, double dfdt[], void *params)
{
    plant_stepper *s = params;
    const plant_type *T = s->m->type;
    size_t nx = T->nx;

    for (size_t i = 0; i < nx; i++)
        dfdt[i] = 0.0;
    if (plant_type_has_jac(T)) {
        s->status = plant_type_jac(T, t, y, s->u, s->m->p, dfdy, NULL);
        return s->status == PB_SUCCESS ? GSL_SUCCESS : GSL_EBADFUNC;
    }
    memcpy(s->fd_x, y, nx * sizeof *y);
    for (size_t j = 0; j < nx; j++) {
        double hj = 6e-6 * fmax(1.0, fabs(y[j]));
        s->fd_x[j] = y[j] + hj;
        s->status = plant_type_f(T, t, s->fd_x, s->u, s->m->p, s->fd_fp);
        if (s->status == PB_SUCCESS) {
            s->fd_x[j] = y[j] - hj;
            s->status = plant_type_f(T, t, s->fd_x, s->u, s->m->p, s->fd_fm);
        }
        if (s->status != PB_SUCCESS)
            return GSL_EBADFUNC;
        s->fd_x[j] = y[j];
        for (size_t i = 0; i < nx; i++)
            dfdy[i * nx + j] = (s->fd_fp[i] - s->fd_fm[i]) / (2.0 * hj);
    }
    return GSL_SUCCESS;
}

plant_stepper *plant_stepper_alloc(const plant *m, const plant_integrator *opts, double period,
                                   pb_error *err)
{
    plant_stepper *s;
    const gsl_odeiv2_step_type *T;
    size_t nx;

    if (!m || !opts) {
        pb_error_set(err, PB_EINVAL, "plant_stepper_alloc: no model or no options");
        return NULL;
    }
    if (plant_validate(m, err) != PB_SUCCESS || plant_integrator_validate(opts, err) != PB_SUCCESS)
        return NULL;
    if (!(isfinite(period) && period > 0.0)) {
        pb_error_set(err, PB_EINVAL, "control period %g must be finite and > 0", period);
        return NULL;
    }
    nx = m->type->nx;
    if (nx == 0 || nx > PLANT_NX_MAX || m->type->nu > PLANT_NU_MAX) {
        pb_error_set(err, PB_EINTERNAL, "plant '%s': nx = %zu, nu = %zu out of range",
                     m->type->name, nx, m->type->nu);
        return NULL;
    }
    if (m->type->map_d && period != m->type->map_period) {
        pb_error_set(err, PB_EINVAL,
                     "plant '%s' steps by its exact sampled map, built for period %g, not %g",
                     m->type->name, m->type->map_period, period);
        return NULL;
    }
    T = stepper_type(opts->method);

    s = calloc(1, sizeof *s);
    if (!s)
        goto fail_nomem;
    s->m = m;
    s->opts = *opts;
    s->period = period;
    s->x_last = calloc(4 * nx, sizeof *s->x_last);
    if (!s->x_last)
        goto fail_free_s;
    s->fd_x = s->x_last + nx;
    s->fd_fp = s->fd_x + nx;
    s->fd_fm = s->fd_fp + nx;
    s->sys.function = sys_f;
    s->sys.jacobian = sys_jac;
    s->sys.dimension = nx;
    s->sys.params = s;

    /* The driver links step, control and evolve: the multistep methods
     * reach the control through it, and select their order from it even in
     * fixed mode (where GSL keeps them at order 1 if epsabs, epsrel are far
     * below what the fixed step can reach). */
    s->d = gsl_odeiv2_driver_alloc_y_new(&s->sys, T, fmin(opts->h0 > 0 ? opts->h0 : period, period),
                                         opts->epsabs, opts->epsrel);
    if (!s->d)
        goto fail_free_x;
    plant_stepper_reset(s);
    return s;

fail_free_x:
    free(s->x_last);
fail_free_s:
    free(s);
fail_nomem:
    pb_error_set(err, PB_ENOMEM, "out of memory allocating the '%s' stepper for plant '%s'",
                 opts->method, m->type->name);
    return NULL;
}

void plant_stepper_free(plant_stepper *s)
{
    if (!s)
        return;
    if (s->d)
        gsl_odeiv2_driver_free(s->d);
    free(s->x_last);
    free(s);
}

void plant_stepper_reset(plant_stepper *s)
{
    /* The limits from the model's parameters as they are now: a caller may
     * change them between trajectories (Monte Carlo randomises them). */
    plant_type_state_limits(s->m->type, s->m->p, s->lo, s->hi);
    gsl_odeiv2_driver_reset(s->d);
    s->h = fmin(s->opts.h0 > 0 ? s->opts.h0 : s->period, s->period);
    s->status = PB_SUCCESS;
}

/* Non-zero when x is finite and inside the state limits. */
static int state_ok(const plant_stepper *s, const double x[])
{
    for (size_t i = 0; i < s->m->type->nx; i++)
        if (!isfinite(x[i]) || x[i] < s->lo[i] || x[i] > s->hi[i])
            return 0;
    return 1;
}

/* Maps a GSL failure to a PB code (a plant callback's verdict wins) and puts
 * the last accepted state back in x. */
static int gsl_failure(const plant_stepper *s, int gsl_status, double x[], size_t nx)
{
    memcpy(x, s->x_last, nx * sizeof *x);
    return gsl_status == GSL_EBADFUNC && s->status == PB_EDIVERGED ? PB_EDIVERGED : PB_ENUMERIC;
}

int plant_stepper_apply(plant_stepper *s, double t, double x[], const double u[])
{
    const plant_type *T = s->m->type;
    size_t nx = T->nx, nu = T->nu;
    gsl_odeiv2_driver *d = s->d;
    double t1 = t + s->period;

    /* Zero-order hold of the saturated input. */
    memcpy(s->u, u, nu * sizeof *u);
    plant_saturate(s->m, s->u);
    for (size_t i = 0; i < nu; i++)
        if (isnan(s->u[i]))
            return PB_EDIVERGED;
    if (!state_ok(s, x))
        return PB_EDIVERGED;
    /* A type with an exact sampled map steps by it (plant.h map_d). */
    if (T->map_d) {
        double y[PLANT_NX_MAX];
        if (T->map_d(T->data, x, s->u, s->m->p, y) != PB_SUCCESS)
            return PB_EDIVERGED;
        memcpy(x, y, nx * sizeof *x);
        return state_ok(s, x) ? PB_SUCCESS : PB_EDIVERGED;
    }
    /* The held input jumps at every period boundary: restart the method's
     * memory (multistep history, Newton Jacobians) but keep the step size. */
    gsl_odeiv2_step_reset(d->s);
    gsl_odeiv2_evolve_reset(d->e);
    s->status = PB_SUCCESS;

    if (s->opts.substeps > 0) {
        double h = s->period / (double)s->opts.substeps;
        for (size_t k = 0; k < s->opts.substeps; k++) {
            double tk = t + (double)k * h;
            int rc;
            memcpy(s->x_last, x, nx * sizeof *x);
            rc = gsl_odeiv2_evolve_apply_fixed_step(d->e, NULL, d->s, &s->sys, &tk, h, x);
            if (rc != GSL_SUCCESS)
                return gsl_failure(s, rc, x, nx);
            if (!state_ok(s, x))
                return PB_EDIVERGED;
        }
        return PB_SUCCESS;
    }

    {
        double tc = t;
        size_t n = 0;
        while (tc < t1) {
            int rc;
            if (n++ >= s->opts.max_steps)
                return PB_ENUMERIC;
            memcpy(s->x_last, x, nx * sizeof *x);
            rc = gsl_odeiv2_evolve_apply(d->e, d->c, d->s, &s->sys, &tc, t1, &s->h, x);
            if (rc != GSL_SUCCESS)
                return gsl_failure(s, rc, x, nx);
            if (!state_ok(s, x))
                return PB_EDIVERGED;
        }
        /* Start the next period no larger than a period. */
        if (s->h > s->period)
            s->h = s->period;
    }
    return PB_SUCCESS;
}
