/* plant_step.h: the sampled-data step.  The input is held constant (zero-order
 * hold) over one control period and the plant integrated across it with a
 * gsl_odeiv2 stepper chosen by name, adaptive (epsabs, epsrel, h0) or with a
 * fixed number of substeps. */
#ifndef PB_PLANTS_PLANT_STEP_H
#define PB_PLANTS_PLANT_STEP_H

#include <stddef.h>

#include "pb_error.h"
#include "plant.h"

#define PLANT_STEPPER_NAME_MAX 16

/* How to integrate one period.  Plain data, filled by the config loader.
 * In fixed mode the multistep methods (msadams, msbdf) still select their
 * order from an error control at (epsabs, epsrel): give them tolerances the
 * fixed step can reach, or GSL keeps them at order 1.  See docs/PLANTS.md. */
typedef struct plant_integrator {
    char method[PLANT_STEPPER_NAME_MAX]; /* rk2 rk4 rkf45 rkck rk8pd rk1imp rk2imp rk4imp
                                            bsimp msadams msbdf */
    double epsabs, epsrel;               /* adaptive mode tolerances */
    double h0;                           /* initial step of adaptive mode (s) */
    size_t substeps;                     /* > 0: fixed mode, period / substeps per step */
    size_t max_steps;                    /* adaptive mode: give up (PB_ENUMERIC) after this many */
} plant_integrator;

/* Defaults: rk8pd, epsabs = epsrel = 1e-10, h0 = 1e-3, adaptive, max_steps = 100000. */
void plant_integrator_init(plant_integrator *opts);

/* Checks the method name (NUL-terminated, one of plant_stepper_names) and
 * the tolerances (finite, >= 0, not both 0); in adaptive mode also h0 > 0 and
 * max_steps > 0.  PB_SUCCESS or PB_EINVAL with a message. */
int plant_integrator_validate(const plant_integrator *opts, pb_error *err);

/* The names accepted in plant_integrator.method, NULL-terminated. */
extern const char *const plant_stepper_names[];

/* Workspace of one trajectory: the GSL stepper, control and evolve objects
 * sized for the model.  Each thread owns its own. */
typedef struct plant_stepper plant_stepper;

/* Allocates a stepper for model m (which must outlive it, and whose
 * parameters must not change during a trajectory: see plant_stepper_reset)
 * with control period `period` > 0; validates the model and the options
 * first.  The implicit methods (rk1imp rk2imp rk4imp bsimp msbdf) use the
 * type's analytic Jacobian, else central differences.  NULL on failure, with
 * the reason in err (PB_EINVAL, PB_ENOMEM). */
plant_stepper *plant_stepper_alloc(const plant *m, const plant_integrator *opts, double period,
                                   pb_error *err);
void plant_stepper_free(plant_stepper *s);

/* Advances x (nx, in place) from time t over one period with u (nu) held,
 * after saturating a copy of u to the input limits.  Returns PB_SUCCESS;
 * PB_EDIVERGED when x is outside the limits on entry, u has a NaN, or the
 * state becomes non-finite or leaves the state limits (x then holds the last
 * state reached: the out-of-limits one, or the last finite one); PB_ENUMERIC
 * when the stepper fails or exceeds max_steps.  Allocates nothing itself;
 * with GSL 2.7 the implicit methods allocate inside gsl_linalg_LU_decomp. */
int plant_stepper_apply(plant_stepper *s, double t, double x[], const double u[]);

/* Resets the stepper's internal state (step-size memory, multistep history)
 * before a new trajectory and takes the state limits from the model's current
 * parameters.  After changing the model's parameters (plant_set_param, or a
 * Monte Carlo sample's draw) the caller must call it before the next
 * trajectory: until then the stepper checks the old limits.  (The method's
 * history is also reset at every period, since the held input jumps there;
 * the step size is carried.) */
void plant_stepper_reset(plant_stepper *s);

#endif
