/* sim_ref.c: the references a closed loop tracks. */
#include "sim_ref.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_math.h> /* M_PI */

static const char *const kind_names[SIM_REF_COUNT] = {"setpoint", "step", "sine", "circle",
                                                      "figure8"};

const char *sim_ref_kind_name(sim_ref_kind k)
{
    return (unsigned)k < SIM_REF_COUNT ? kind_names[k] : NULL;
}

int sim_ref_kind_parse(const char *name, sim_ref_kind *k)
{
    for (int i = 0; i < SIM_REF_COUNT; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *k = (sim_ref_kind)i;
            return PB_SUCCESS;
        }
    return PB_EINVAL;
}

void sim_ref_init_setpoint(sim_ref *r, size_t nx, const double x[])
{
    memset(r, 0, sizeof *r);
    r->kind = SIM_REF_SETPOINT;
    r->nx = nx;
    for (size_t i = 0; i < nx; i++) {
        r->base[i] = x ? x[i] : 0.0;
        r->tracked[i] = 1;
    }
    r->radius = 1.0;
    r->period = 1.0;
    r->n_comp = nx >= 3 ? 3 : 2;
    for (size_t i = 0; i < 3; i++)
        r->comp[i] = i;
}

static int all_finite(const double *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i]))
            return 0;
    return 1;
}

int sim_ref_validate(const sim_ref *r, pb_error *err)
{
    if ((unsigned)r->kind >= SIM_REF_COUNT)
        return pb_error_set(err, PB_EINVAL, "unknown reference kind");
    if (r->nx == 0 || r->nx > PLANT_NX_MAX)
        return pb_error_set(err, PB_EINVAL, "reference size %zu is not in [1, %d]", r->nx,
                            PLANT_NX_MAX);
    if (!all_finite(r->base, r->nx))
        return pb_error_set(err, PB_EINVAL, "reference values must be finite");
    switch (r->kind) {
    case SIM_REF_STEP:
        if (r->n_steps == 0 || r->n_steps > SIM_REF_STEPS_MAX)
            return pb_error_set(err, PB_EINVAL, "a step reference needs 1 to %d times",
                                SIM_REF_STEPS_MAX);
        for (size_t i = 0; i < r->n_steps; i++) {
            if (!isfinite(r->times[i]) || r->times[i] < 0.0 ||
                (i > 0 && !(r->times[i] > r->times[i - 1])))
                return pb_error_set(err, PB_EINVAL,
                                    "step times must be finite, >= 0 and increasing");
            if (!all_finite(r->values[i], r->nx))
                return pb_error_set(err, PB_EINVAL, "step values must be finite");
        }
        break;
    case SIM_REF_SINE:
        if (!all_finite(r->amplitude, r->nx) || !all_finite(r->frequency, r->nx))
            return pb_error_set(err, PB_EINVAL, "sine amplitude and frequency must be finite");
        for (size_t i = 0; i < r->nx; i++)
            if (r->frequency[i] < 0.0)
                return pb_error_set(err, PB_EINVAL, "sine frequency must be >= 0");
        break;
    case SIM_REF_CIRCLE:
    case SIM_REF_FIGURE8:
        if (!(r->radius > 0.0) || !isfinite(r->radius))
            return pb_error_set(err, PB_EINVAL, "radius must be finite and > 0");
        if (!(r->period > 0.0) || !isfinite(r->period))
            return pb_error_set(err, PB_EINVAL, "period must be finite and > 0");
        if (!isfinite(r->altitude) || !all_finite(r->centre, 2))
            return pb_error_set(err, PB_EINVAL, "altitude and centre must be finite");
        if (r->n_comp < 2 || r->n_comp > 3)
            return pb_error_set(err, PB_EINVAL, "a %s drives 2 or 3 components",
                                kind_names[r->kind]);
        for (size_t i = 0; i < r->n_comp; i++) {
            if (r->comp[i] >= r->nx)
                return pb_error_set(err, PB_EINVAL, "component %zu is not a state index (< %zu)",
                                    r->comp[i], r->nx);
            for (size_t j = 0; j < i; j++)
                if (r->comp[j] == r->comp[i])
                    return pb_error_set(err, PB_EINVAL, "component %zu appears twice", r->comp[i]);
        }
        break;
    default:
        break;
    }
    return PB_SUCCESS;
}

void sim_ref_eval(const sim_ref *r, double t, double ref[])
{
    double w;

    memcpy(ref, r->base, r->nx * sizeof *ref);
    switch (r->kind) {
    case SIM_REF_STEP:
        for (size_t i = 0; i < r->n_steps && t >= r->times[i]; i++)
            memcpy(ref, r->values[i], r->nx * sizeof *ref);
        break;
    case SIM_REF_SINE:
        for (size_t i = 0; i < r->nx; i++)
            ref[i] += r->amplitude[i] * sin(2.0 * M_PI * r->frequency[i] * t);
        break;
    case SIM_REF_CIRCLE:
        w = 2.0 * M_PI / r->period;
        ref[r->comp[0]] = r->centre[0] + r->radius * cos(w * t);
        ref[r->comp[1]] = r->centre[1] + r->radius * sin(w * t);
        if (r->n_comp == 3)
            ref[r->comp[2]] = r->altitude;
        break;
    case SIM_REF_FIGURE8:
        /* Lemniscate of Gerono, x = R sin(wt), y = R sin(wt) cos(wt), through the centre at t = 0.
         */
        w = 2.0 * M_PI / r->period;
        ref[r->comp[0]] = r->centre[0] + r->radius * sin(w * t);
        ref[r->comp[1]] = r->centre[1] + r->radius * sin(w * t) * cos(w * t);
        if (r->n_comp == 3)
            ref[r->comp[2]] = r->altitude;
        break;
    default:
        break;
    }
}

double sim_ref_track_error(const sim_ref *r, const double x[], const double ref[])
{
    double s = 0.0;
    for (size_t i = 0; i < r->nx; i++)
        if (r->tracked[i]) {
            double d = x[i] - ref[i];
            s += d * d;
        }
    return sqrt(s);
}
