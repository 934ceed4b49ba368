/* plant_rk4.h: the classic fixed-step Runge-Kutta method of order 4 without
 * an error estimate (Butcher 2008, "Numerical methods for ODEs", table 232;
 * Abramowitz & Stegun 25.5.10), in two forms that round alike:
 *   - plant_rk4_fixed, a gsl_odeiv2_step_type of our own (name "rk4fixed",
 *     listed in plant_stepper_names): four evaluations of f per step, plus
 *     f at the new state when the caller asks for dydt_out (as
 *     gsl_odeiv2_evolve_apply_fixed_step does: five in all), where GSL's rk4
 *     estimates its error by step doubling (twelve, measured);
 *   - plant_rk4_batch_apply, the same step over a batch of states stored as
 *     structure of arrays, with a batched right-hand side per plant type.
 *   k1 = f(t, y), k2 = f(t + h/2, y + h/2 k1), k3 = f(t + h/2, y + h/2 k2),
 *   k4 = f(t + h, y + h k3),  y <- y + (h/6) (((k1 + 2 k2) + 2 k3) + k4).
 * Also the vectorised sin, cos, exp (glibc libmvec, AVX2 when the CPU has it,
 * else the scalar libm) that the batched paths use. */
#ifndef PLANT_RK4_H
#define PLANT_RK4_H

#include <stddef.h>

#include <gsl/gsl_odeiv2.h>

#include "plant.h"

/* The step type: yerr is set to 0 (no estimate), so use it in fixed mode
 * (gsl_odeiv2_evolve_apply_fixed_step, plant_integrator.substeps > 0). */
extern const gsl_odeiv2_step_type *plant_rk4_fixed;

/* A batched right-hand side over n states in structure-of-arrays form:
 * component i of state s is X[i * ld + s] (nx rows of stride ld), input j is
 * U[j * ld + s], the result dX likewise.  w is scratch of
 * PLANT_RK4_RHS_WORK * ld doubles.  Non-finite results are left in dX for the
 * caller's state check.  (Required slots only; no allocation.) */
typedef void (*plant_batch_rhs)(const plant *m, double t, size_t n, size_t ld, const double X[],
                                const double U[], double dX[], double w[]);

#define PLANT_RK4_RHS_WORK (2 * PLANT_NX_MAX + PLANT_NU_MAX)

/* The batched right-hand side of m's type: a vectorised one for the types
 * that have it (quadrotor_arch), else a generic one calling m->type->f state by
 * state (results equal to f's).  Never NULL. */
plant_batch_rhs plant_rk4_batch_rhs(const plant *m);

/* Doubles of workspace plant_rk4_batch_apply needs for stride ld. */
size_t plant_rk4_batch_work_size(size_t ld);

/* One RK4 step of size h from time t for the n states X (nx x ld, SoA, in
 * place) with the inputs U (nu x ld) held; w of plant_rk4_batch_work_size(ld)
 * doubles.  Same arithmetic as plant_rk4_fixed state by state.  No allocation. */
void plant_rk4_batch_apply(const plant *m, plant_batch_rhs f, size_t n, size_t ld, double t,
                           double h, double X[], const double U[], double w[]);

#endif
