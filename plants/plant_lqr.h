/* plant_lqr.h: linearisation about an equilibrium, exact zero-order-hold
 * discretisation, and the discrete-time LQR expert. */
#ifndef PB_PLANTS_PLANT_LQR_H
#define PB_PLANTS_PLANT_LQR_H

#include <stddef.h>

#include "pb_error.h"
#include "plant.h"

/* Continuous-time linearisation A = df/dx (nx x nx), B = df/du (nx x nu) at
 * (x, u), from the analytic Jacobian when the type has one, else central
 * differences.  PB_EINVAL for a non-finite point, the plant's code when f or
 * the Jacobian fails there, PB_ENUMERIC for a non-finite result. */
int plant_linearise(const plant *m, const double x[], const double u[], double A[], double B[],
                    pb_error *err);

/* Exact ZOH discretisation over period T: Ad = e^{A T}, Bd = int_0^T e^{A s} ds B,
 * from the exponential of the block matrix [[A, B], [0, 0]] T (Van Loan 1978),
 * by gsl_linalg_exponential_ss after scaling to infinity norm <= 0.01, then
 * squaring.  PB_EINVAL for nx = 0, T not finite and > 0, or non-finite A, B;
 * PB_ENUMERIC when the exponential overflows. */
int plant_discretise(size_t nx, size_t nu, const double A[], const double B[], double T,
                     double Ad[], double Bd[], pb_error *err);

/* Discrete-time LQR gain K (nu x nx), u = u* - K (x - x*), minimising
 * sum x'Qx + u'Ru for x+ = Ad x + Bd u, with Q (nx x nx) and R (nu x nu)
 * row-major, by structure-preserving doubling (Chu, Fan, Lin, Wang 2004)
 * polished by Riccati iteration to a relative change of 1e-13.
 * P (nx x nx) receives the Riccati solution when not NULL.  PB_EINVAL when
 * Q is not symmetric with a non-negative diagonal or R not symmetric positive
 * definite; PB_ENUMERIC when the iteration does not converge (a mode Q weighs
 * that Bd cannot stabilise). */
int plant_dlqr(size_t nx, size_t nu, const double Ad[], const double Bd[], const double Q[],
               const double R[], double K[], double P[], pb_error *err);

/* The LQR expert of a plant: equilibrium, gain and saturation in one object
 * (all arrays in one block owned by the object). */
typedef struct plant_lqr {
    size_t nx, nu;
    double *x_eq; /* [nx] */
    double *u_eq; /* [nu] */
    double *K;    /* [nu x nx] */
    double *u_lo, *u_hi; /* [nu] input limits */
} plant_lqr;

/* Builds the expert of model m at its equilibrium for control period T,
 * with diagonal weights q (nx, >= 0) and r (nu, > 0); NULL weights take the
 * type's defaults.  NULL on failure with the reason in err (PB_EINVAL for an
 * invalid model, period or weight; PB_ENUMERIC, PB_ENOMEM). */
plant_lqr *plant_lqr_alloc(const plant *m, double T, const double q[], const double r[],
                           pb_error *err);
void plant_lqr_free(plant_lqr *c);

/* u = sat(u* - K (x - x*)) with the model's input limits.  No allocation. */
void plant_lqr_eval(const plant_lqr *c, const double x[], double u[]);

#endif
