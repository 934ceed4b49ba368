/* plant_rk4.h: the classic fixed-step Runge-Kutta method of order 4 without
 * an error estimate (Butcher 2008, "Numerical methods for ODEs", table 232;
 * Abramowitz & Stegun 25.5.10), in two forms that round alike:
 *   - plant_rk4_fixed, a gsl_odeiv2_step_type of our own (name "rk4fixed",
 *     listed in plant_stepper_names): four evaluations of f per step, plus
 *     f at the new state when the caller asks for dydt_out (as
 *     gsl_odeiv2_evolve_apply_fixed_step does: five in all), where GSL's rk4
 *     estimates its error by step doubling (twelve, measured);
 *   - plant_rk4_batch_apply, the same step over a batch of states stored as
 *     structure of arrays, each with its own parameters, through the type's
 *     batched right-hand side (plant_type.f_batch) or f state by state.
 *   k1 = f(t, y), k2 = f(t + h/2, y + h/2 k1), k3 = f(t + h/2, y + h/2 k2),
 *   k4 = f(t + h, y + h k3),  y <- y + (h/6) (((k1 + 2 k2) + 2 k3) + k4).
 * Also plant_batch_eval, the batched right-hand side of any type. */
#ifndef PB_PLANTS_PLANT_RK4_H
#define PB_PLANTS_PLANT_RK4_H

#include <stddef.h>

#include <gsl/gsl_odeiv2.h>

#include "plant.h"

/* The step type: yerr is set to 0 (no estimate), so use it in fixed mode
 * (gsl_odeiv2_evolve_apply_fixed_step, plant_integrator.substeps > 0). */
extern const gsl_odeiv2_step_type *plant_rk4_fixed;

/* The right-hand side of type t over n states in the structure-of-arrays
 * layout of plant_type.f_batch (plant.h): X (nx x ld), U (nu x ld), P
 * (np x ld, each state's own parameters), the result dX (nx x ld); w is
 * scratch of PLANT_BATCH_WORK * ld doubles; n <= ld, and dX overlaps none of
 * the others.  Calls t->f_batch when the type has one, else t->f state by
 * state (gather, evaluate, scatter: bit for bit f's results, NaN in every
 * component of a state where f fails; needs t->np <= PLANT_NP_MAX).  Either
 * way a state where f returns PB_EDIVERGED leaves a non-finite value in its
 * dX, for the caller's state check.  No allocation. */
void plant_batch_eval(const plant_type *t, double time, size_t n, size_t ld, const double X[],
                      const double U[], const double P[], double dX[], double w[]);

/* Doubles of workspace plant_rk4_batch_apply needs for stride ld:
 * (3 PLANT_NX_MAX + PLANT_BATCH_WORK) ld. */
size_t plant_rk4_batch_work_size(size_t ld);

/* One RK4 step of size h from time `time` for the n states X (nx x ld, SoA,
 * in place) of type t with the inputs U (nu x ld) held and the parameters P
 * (np x ld, per state), through plant_batch_eval; w of
 * plant_rk4_batch_work_size(ld) doubles.  Same arithmetic as plant_rk4_fixed
 * state by state (to the last bit where the right-hand sides agree).  No
 * status: a state whose right-hand side is non-finite at any stage comes out
 * non-finite, and the caller checks the state limits after every step, as
 * plant_stepper_apply does (which also evaluates f at the new state, so it
 * sees a finite state with a non-finite f one step earlier).  No allocation. */
void plant_rk4_batch_apply(const plant_type *t, size_t n, size_t ld, double time, double h,
                           double X[], const double U[], const double P[], double w[]);

#endif
