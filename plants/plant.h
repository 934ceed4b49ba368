/* plant.h: continuous-time plants x' = f(t, x, u) as a type table plus a
 * parameter block (GSL gsl_odeiv2_step_type style), found by name in a
 * null-terminated registry.  Adding a plant is one file exporting one
 * `const plant_type` and one line in plant_registry.c. */
#ifndef PB_PLANTS_PLANT_H
#define PB_PLANTS_PLANT_H

#include <stddef.h>

#include "pb_error.h"

#define PLANT_NAME_MAX 32
#define PLANT_NX_MAX 64 /* largest nx of any type */
#define PLANT_NU_MAX 16 /* largest nu of any type */
#define PLANT_NP_MAX 64 /* largest np of any type */

/* Scratch of a batched right-hand side per unit of stride: f_batch and
 * plant_batch_eval (plant_rk4.h) take w of PLANT_BATCH_WORK * ld doubles.
 * Enough for every shipped type (quadrotor_arch: 7 rows) and for the generic
 * path's x, dxdt, u, p of one state (2 nx + nu + np <= 208). */
#define PLANT_BATCH_WORK (2 * PLANT_NX_MAX + PLANT_NU_MAX + PLANT_NP_MAX)

/* A named quantity with its unit: a state, an input or a parameter. */
typedef struct plant_var {
    const char *name; /* "theta" */
    const char *unit; /* "rad" */
} plant_var;

/* Flags of a parameter's admissible range. */
enum {
    PLANT_PARAM_LO_OPEN = 1u << 0, /* value must be > lo (not >= lo) */
    PLANT_PARAM_ALLOW_INF = 1u << 1 /* +inf is allowed (a limit that is "none") */
};

/* A parameter a type declares: the config loader validates keys and values
 * from this table, with no per-plant parsing code (MuJoCo plugin attributes). */
typedef struct plant_param {
    const char *name; /* config key, e.g. "m" */
    const char *unit; /* "kg" */
    const char *doc;  /* one line for --help and the results file */
    double def;       /* default */
    double lo, hi;    /* admissible range, lo <= v <= hi (see flags) */
    unsigned flags;
} plant_param;

/* The type table.  Slots marked (optional) may be NULL. */
typedef struct plant_type {
    const char *name;     /* registry name, "pendulum" */
    const char *equation; /* the equation variant in words, with its source */
    size_t nx, nu, np;
    const plant_var *states;   /* [nx] */
    const plant_var *inputs;   /* [nu] */
    const plant_param *params; /* [np] */

    /* Right-hand side dxdt = f(t, x, u; p).  Returns PB_SUCCESS, or
     * PB_EDIVERGED on a non-finite or out-of-domain state. (required) */
    int (*f)(double t, const double x[], const double u[], const double p[], double dxdt[]);

    /* The same right-hand side over n states in structure-of-arrays form,
     * stride ld >= n: component i of state s is X[i * ld + s], input j is
     * U[j * ld + s], parameter q is P[q * ld + s] (parameters may differ per
     * state: Monte Carlo randomises them), the result dX[i * ld + s]; w is
     * scratch of PLANT_BATCH_WORK * ld doubles; dX overlaps none of X, U, P,
     * w.  Computes what f computes state by state, term for term, so the two
     * agree to rounding (the vectorised sin and cos of common/pb_vec.h may
     * differ from libm's in the last bits; bit for bit where they agree).  No
     * return code: where f returns PB_EDIVERGED (a non-finite or out-of-domain
     * state) it leaves a non-finite value in that state's dX for the caller's
     * state check.  No allocation.  Call it through plant_batch_eval
     * (plant_rk4.h), which falls back on f state by state. (optional) */
    void (*f_batch)(double t, size_t n, size_t ld, const double X[], const double U[],
                    const double P[], double dX[], double w[]);

    /* Analytic Jacobians, row-major: dfdx (nx x nx), dfdu (nx x nu).
     * Either output may be NULL when not wanted. (optional) */
    int (*jac)(double t, const double x[], const double u[], const double p[], double dfdx[],
               double dfdu[]);

    /* An equilibrium (x*, u*) with f(x*, u*) = 0 for these parameters. (required) */
    void (*equilibrium)(const double p[], double x[], double u[]);

    /* Saturation of the inputs, lo[i] <= u[i] <= hi[i]; infinite when none. (required) */
    void (*input_limits)(const double p[], double lo[], double hi[]);

    /* Box outside which a trajectory counts as diverged; infinite when none. (required) */
    void (*state_limits)(const double p[], double lo[], double hi[]);

    /* Cross-parameter checks beyond the per-parameter ranges. (optional) */
    int (*validate)(const double p[], pb_error *err);

    /* Default LQR weights: diagonals of Q (nx) and R (nu). (required) A zero
     * entry of Q marks a state the expert does not regulate (an uncontrollable
     * mode, such as the yaw of quadrotor_arch). */
    const double *lqr_q;
    const double *lqr_r;

    /* Suggested control period (s) of the source benchmark, for demos and
     * config defaults; 0 means "none given" (callers then use 0.05). (optional) */
    double period;

    /* ---- Types built at run time (plant_user.h: name = "linear" or "expr",
     * and compiled plugins may use them too) ----
     * A built-in type is a static table whose slots read only p; a run-time
     * type carries its own data (matrices, compiled expressions, limits) in
     * `data` and provides the *_d twins, which receive it.  Where a *_d slot
     * is set it is used and its twin above may be NULL; call the slots
     * through plant_type_f() and the helpers below, which dispatch.  A
     * built-in type leaves all of these NULL. (optional) */
    const void *data;
    int (*f_d)(const void *data, double t, const double x[], const double u[], const double p[],
               double dxdt[]);
    void (*f_batch_d)(const void *data, double t, size_t n, size_t ld, const double X[],
                      const double U[], const double P[], double dX[], double w[]);
    int (*jac_d)(const void *data, double t, const double x[], const double u[], const double p[],
                 double dfdx[], double dfdu[]);
    void (*equilibrium_d)(const void *data, const double p[], double x[], double u[]);
    void (*input_limits_d)(const void *data, const double p[], double lo[], double hi[]);
    void (*state_limits_d)(const void *data, const double p[], double lo[], double hi[]);
    /* The exact sampled map over one control period of length map_period
     * with u held: xnext = Ad x + Bd u + cd for a linear type (its exact
     * zero-order hold, or its own matrices when discrete).  When set, the
     * steppers use it in place of integrating f, and only for that period
     * (plant_stepper_alloc refuses another).  PB_EDIVERGED on a non-finite
     * result. (optional) */
    int (*map_d)(const void *data, const double x[], const double u[], const double p[],
                 double xnext[]);
    double map_period;
    /* Interval enclosures over a box, for the certified tube (docs/TUBE.md).
     * Every interval is a pair of doubles, entry i in [v[2 i], v[2 i + 1]]:
     * x holds nx intervals, u nu intervals.  Fills f (nx intervals) with an
     * enclosure of f(t, x, u; p) over every point of the box, dfdx (nx x nx
     * intervals, row-major) and dfdu (nx x nu) with enclosures of the
     * Jacobians there, computed in Arb's ball arithmetic and rounded outward
     * (plant_box.h).  Any output may be NULL.  Only for plants whose f does
     * not depend on t.  PB_SUCCESS, or PB_EDIVERGED when an enclosure is not
     * finite.  (optional: NULL when not provided, and in builds without Arb,
     * PB_WITH_TUBE off) */
    int (*jac_box)(const double x[], const double u[], const double p[], double f[],
                   double dfdx[], double dfdu[]);
} plant_type;

/* The slots of a type, through its *_d twin when it has one (above).
 * plant_type_jac returns PB_EUNSUPPORTED when the type has no Jacobian. */
int plant_type_f(const plant_type *t, double time, const double x[], const double u[],
                 const double p[], double dxdt[]);
int plant_type_jac(const plant_type *t, double time, const double x[], const double u[],
                   const double p[], double dfdx[], double dfdu[]);
int plant_type_has_jac(const plant_type *t);
void plant_type_equilibrium(const plant_type *t, const double p[], double x[], double u[]);
void plant_type_input_limits(const plant_type *t, const double p[], double lo[], double hi[]);
void plant_type_state_limits(const plant_type *t, const double p[], double lo[], double hi[]);

/* A plant model: a type and its parameter values.  Read-only during a run,
 * so that threads share it. */
typedef struct plant {
    const plant_type *type;
    double *p; /* [type->np] */
} plant;

/* The registry: a NULL-terminated array of every type. */
extern const plant_type *const plant_types[];

/* The type of that name, or NULL for an unknown name. */
const plant_type *plant_find(const char *name);

/* A model of type t with every parameter at its default; NULL when out of memory. */
plant *plant_alloc(const plant_type *t);
void plant_free(plant *m);

/* Index of the parameter of that name, or -1. */
int plant_param_index(const plant_type *t, const char *name);

/* Sets one parameter by name after checking its range; PB_EINVAL with a
 * message naming the parameter and its range otherwise. */
int plant_set_param(plant *m, const char *name, double value, pb_error *err);

/* Checks every parameter against its range and the type's validate();
 * PB_SUCCESS or PB_EINVAL with a message. */
int plant_validate(const plant *m, pb_error *err);

/* Evaluates f; convenience over m->type->f. */
int plant_eval(const plant *m, double t, const double x[], const double u[], double dxdt[]);

/* Clips u to the input limits in place. */
void plant_saturate(const plant *m, double u[]);

/* Non-zero when x is finite and inside the state limits. */
int plant_state_is_valid(const plant *m, const double x[]);

#endif
