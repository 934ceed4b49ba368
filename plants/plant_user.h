/* plant_user.h: plants defined without rebuilding prunebound (docs/PLANTS.md,
 * "Plants you define"), three ways:
 *   - a linear plant x' = A x + B u + c (or x+ = A x + B u + c when
 *     discrete), stepped by its exact zero-order hold (plant_discretise);
 *   - an expression plant: one right-hand side per state, written in the
 *     state, input and parameter names (libmatheval; Jacobian by its
 *     symbolic derivative);
 *   - a compiled plugin: a shared object exporting a `plant_type` under
 *     the name PLANT_PLUGIN_SYMBOL, loaded with dlopen.
 * Each is a plant_user that owns its type table (plant.h, with the *_d slots
 * and its data); the type lives as long as the plant_user, so a model built
 * from it must be freed first.  The built-in types are untouched. */
#ifndef PB_PLANTS_PLANT_USER_H
#define PB_PLANTS_PLANT_USER_H

#include <stddef.h>

#include "pb_error.h"
#include "plant.h"

/* The symbol a plugin exports: `const plant_type prunebound_plant = {...};` */
#define PLANT_PLUGIN_SYMBOL "prunebound_plant"

#define PLANT_USER_VAR_MAX 32 /* longest state, input or parameter name + 1 */

typedef struct plant_user plant_user;

/* What a linear or expression plant declares besides its right-hand side.
 * Arrays are borrowed (copied by the allocators); a NULL array takes its
 * default: names x0.., u0.. (linear), parameter values 0, equilibrium 0,
 * limits infinite, LQR weights 1. */
typedef struct plant_user_decl {
    const char *name;           /* the type's name ("linear", "expr") */
    size_t nx, nu, np;          /* 1..PLANT_NX_MAX, 1..PLANT_NU_MAX, 0..PLANT_NP_MAX */
    const char *const *states;  /* [nx] */
    const char *const *inputs;  /* [nu] */
    const char *const *params;  /* [np] (expression plants) */
    const double *param_values; /* [np] the parameters' default values */
    const double *x_eq, *u_eq;  /* [nx], [nu] the equilibrium (x*, u*) */
    const double *x_lo, *x_hi;  /* [nx] state limits (diverged outside) */
    const double *u_lo, *u_hi;  /* [nu] input saturation */
    const double *lqr_q, *lqr_r; /* [nx], [nu] default LQR weights */
} plant_user_decl;

/* A linear plant: A (nx x nx), B (nx x nu), c (nx, NULL: 0), row-major.
 * Continuous time (discrete = 0): x' = A x + B u + c, stepped over each
 * control period of length `period` by the exact zero-order hold
 * x+ = Ad x + Bd u + cd, [Ad, Bd, cd] from Van Loan's exponential of
 * [[A, B, c], [0, 0, 0]] period (plant_discretise); its Jacobian is (A, B).
 * Discrete time (discrete = 1): x+ = A x + B u + c at each control period;
 * its f is the difference quotient (A x + B u + c - x) / period, so that f
 * and the Jacobian ((A - I) / period, B / period) describe the same step.
 * NULL with PB_EINVAL (a message naming the entry) or PB_ENOMEM. */
plant_user *plant_linear_alloc(const plant_user_decl *d, const double A[], const double B[],
                               const double c[], int discrete, double period, pb_error *err);

/* An expression plant: rhs[i] is dx_i/dt in the names of the states,
 * inputs, parameters and `t` (libmatheval's syntax: + - * / ^, sin cos tan
 * exp log sqrt abs ... of one argument, pi as a constant if declared).  On
 * a bad expression returns NULL with PB_EINVAL, a message saying what is
 * wrong (a syntax error, an unknown name, a function of the wrong number of
 * arguments), and *bad = i; *bad = (size_t)-1 for other errors. */
plant_user *plant_expr_alloc(const plant_user_decl *d, const char *const rhs[], size_t *bad,
                             pb_error *err);

/* Loads the shared object at path and its PLANT_PLUGIN_SYMBOL; checks its
 * sizes (1 <= nx <= PLANT_NX_MAX, ...) and required slots.  NULL with
 * PB_EIO (dlopen's or dlsym's message) or PB_EINVAL. */
plant_user *plant_plugin_load(const char *path, pb_error *err);

/* The type (owned by u). */
const plant_type *plant_user_type(const plant_user *u);
void plant_user_free(plant_user *u);

/* ---- Expression maps: observations (sim.h) and any other y = g(vars) ---- */

/* n_out expressions in the names vars[0 .. n_vars) compiled once; their
 * Jacobian with respect to the first n_diff names (n_out x n_diff) by
 * symbolic differentiation.  Evaluation is
 * serialised by a lock inside (libmatheval stores variable values in the
 * expression tree), so one map may be shared by threads. */
typedef struct plant_expr_map plant_expr_map;

/* NULL with PB_EINVAL and *bad = the expression at fault (as for
 * plant_expr_alloc), or PB_ENOMEM. */
plant_expr_map *plant_expr_map_alloc(size_t n_out, const char *const exprs[], size_t n_vars,
                                     const char *const vars[], size_t n_diff, size_t *bad,
                                     pb_error *err);
void plant_expr_map_free(plant_expr_map *g);
size_t plant_expr_map_n_out(const plant_expr_map *g);
size_t plant_expr_map_n_vars(const plant_expr_map *g);
/* y = g(v); dy (n_out x n_diff, row-major) = dg/dv when not NULL.
 * PB_EDIVERGED when a value is not finite. */
int plant_expr_map_eval(const plant_expr_map *g, const double v[], double y[], double dy[]);

/* Non-zero when every derivative of the map with respect to its first n_diff
 * names is a constant expression (its symbolic derivative, as libmatheval
 * writes it without simplifying, reads no name: sums and differences of
 * those names and constant terms pass, "2*a" does not, its derivative being
 * "0*a+2"): the map is then affine in those names, g(v) = g(v with them 0)
 * + D v, and D (n_out x n_diff, row-major) := those constants as evaluated
 * in double.  0 otherwise (and for n_diff = 0). */
int plant_expr_map_affine(const plant_expr_map *g, double D[]);

/* Checks one expression in the names vars[] without keeping it: PB_SUCCESS
 * or PB_EINVAL with what is wrong. */
int plant_expr_check(const char *expr, size_t n_vars, const char *const vars[], pb_error *err);

#endif
