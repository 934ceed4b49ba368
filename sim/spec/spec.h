/* spec.h: safety specifications of a closed loop (docs/SAFETY.md).  A spec is
 * the conjunction of named properties, each a temporal operator over a time
 * window and a predicate on the state:
 *
 *     always     [a, b]  P:  for every control step t_k = k T in [a, b], x_k in P;
 *     eventually [a, b]  P:  for some control step t_k in [a, b], x_k in P;
 *     avoid      [a, b]  P:  for every control step t_k in [a, b], x_k not in P.
 *
 * The predicate is a box today (per-component bounds, infinite ones allowed);
 * spec_pred carries a kind so that an expression g(x) >= 0 can be added as a
 * second kind without changing the operators or the monitor.
 *
 * Quantitative semantics: the robustness degree of Fainekos & Pappas (2009),
 * "Robustness of temporal logic specifications for continuous-time signals",
 * Theor. Comput. Sci. 410, Def. 5 and Thm. 13, on the sampled signal (the
 * control steps, not the integrator's steps).  For a set P and a state x,
 *     rho(x, P) = +dist(x, complement of P)  when x is in P,
 *                 -dist(x, P)                otherwise,
 * with the Euclidean distance (state units); "always" takes the minimum over
 * the window, "eventually" the maximum, "avoid" the minimum of -rho(x, P),
 * the conjunction the minimum over properties.  The sign at the boundary:
 * a state on the boundary of P has rho = 0, and a property is SATISFIED
 * exactly when its robustness is > 0, so a signal that touches the boundary
 * where it must stay inside (or outside) counts as a violation.
 *
 * A row whose state was not reached (the loop diverged: the engine leaves NaN
 * there) has no state: inside an always or avoid window it makes the
 * robustness -inf; an eventually property counts only its reached rows.  An
 * empty window is rejected by spec_validate.
 *
 * Streaming: a spec_monitor (caller storage, O(1) per property, no
 * allocation) folds one row (k, x) at a time, so callers fold the engine's
 * rows as they come. */
#ifndef PB_SIM_SPEC_SPEC_H
#define PB_SIM_SPEC_SPEC_H

#include <stddef.h>

#include "pb_error.h"

#define SPEC_NX_MAX    64 /* = PLANT_NX_MAX (plants/plant.h; the config loader checks) */
#define SPEC_PROPS_MAX 16
#define SPEC_NAME_MAX  32

typedef enum spec_op {
    SPEC_ALWAYS = 0,
    SPEC_EVENTUALLY,
    SPEC_AVOID
} spec_op;

/* "always", "eventually", "avoid"; NULL out of range. */
const char *spec_op_name(spec_op op);

typedef enum spec_pred_kind {
    SPEC_PRED_BOX = 0, /* lo_i <= x_i <= hi_i for every i */
    SPEC_PRED_EXPR     /* g(x) >= 0; rho(x, P) = g(x) (not a distance: in g's units) */
} spec_pred_kind;

/* g(x) of an expression predicate; -inf when g cannot be evaluated at x. */
typedef double (*spec_g_fn)(const void *ctx, const double x[]);

typedef struct spec_pred {
    spec_pred_kind kind;
    size_t nx;
    double lo[SPEC_NX_MAX], hi[SPEC_NX_MAX]; /* -inf / +inf: no bound on that side */
    spec_g_fn g;       /* SPEC_PRED_EXPR: the function and its context (owned by whoever */
    const void *g_ctx; /* filled the spec: sim/config/cfg_spec.c compiles g with libmatheval) */
} spec_pred;

typedef struct spec_prop {
    char name[SPEC_NAME_MAX];
    spec_op op;
    double a, b; /* the window [a, b] in seconds, 0 <= a <= b */
    spec_pred pred;
} spec_prop;

/* The conjunction of n properties. */
typedef struct spec {
    size_t n;
    spec_prop props[SPEC_PROPS_MAX];
} spec;

/* Checks s for a loop of period T and n_steps control steps: names unique and
 * non-empty, lo_i <= hi_i, no NaN bound, 0 <= a <= b, and at least one
 * control step k T (k = 0 .. n_steps) in every window.  PB_EINVAL with a
 * message naming the property ("spec[2] (\"band\"): ..."). */
int spec_validate(const spec *s, double period, size_t n_steps, pb_error *err);

/* The signed distance rho(x, P) of the header comment for one predicate
 * (for an expression predicate g(x) >= 0, g(x) itself): for a box, min_i min(x_i - lo_i, hi_i - x_i) inside (+inf when no bound is
 * finite), -sqrt(sum_i max(lo_i - x_i, 0, x_i - hi_i)^2) outside.  NaN in x
 * gives NaN. */
double spec_pred_rho(const spec_pred *p, const double x[]);

/* The first and last control steps in the window [a, b] of a loop of period
 * T: k_lo = ceil(a / T - 1e-9), k_hi = floor(b / T + 1e-9) (a relative slack
 * of 1e-9 steps so that 0.5 / 0.05 counts step 10), k_hi clamped to n_steps.
 * Returns 0 when the window holds no step. */
int spec_window_steps(double a, double b, double period, size_t n_steps, size_t *k_lo,
                      size_t *k_hi);

/* A monitor of one spec over one loop (caller storage). */
typedef struct spec_monitor {
    const spec *s; /* borrowed */
    size_t k_lo[SPEC_PROPS_MAX], k_hi[SPEC_PROPS_MAX];
    double rob[SPEC_PROPS_MAX]; /* running robustness of each property */
} spec_monitor;

/* Starts a monitor of s (validated) for period T and n_steps steps. */
void spec_monitor_init(spec_monitor *m, const spec *s, double period, size_t n_steps);

/* Folds row k: x [nx] the state at t = k T, or NULL (or any NaN entry) when
 * the loop did not reach the row.  Rows may come in any order, each once.
 * O(n properties), no allocation. */
void spec_monitor_fold(spec_monitor *m, size_t k, const double x[]);

/* The robustness of property i after the rows folded so far (before any row
 * of its window: +inf for always and avoid, -inf for eventually). */
double spec_monitor_prop(const spec_monitor *m, size_t i);

/* The robustness of the conjunction: the minimum over properties (+inf for
 * an empty spec). */
double spec_monitor_robustness(const spec_monitor *m);

/* The satisfied flag of a robustness value: r > 0 (the sign convention above). */
int spec_is_satisfied(double r);

/* Robustness of s over a whole trajectory x [(n_steps + 1) x nx] row-major
 * (NaN rows not reached); rob_props [s->n] receives each property's value
 * when not NULL.  Returns the conjunction's robustness. */
double spec_eval_traj(const spec *s, double period, size_t n_steps, const double x[], size_t nx,
                      double rob_props[]);

#endif
