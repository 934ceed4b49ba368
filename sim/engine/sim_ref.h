/* sim_ref.h: the reference a closed loop tracks, r(t) in state space, and
 * which state components count in the tracking error.  Plain data (no
 * allocation), filled by the config loader or by hand. */
#ifndef PB_SIM_ENGINE_SIM_REF_H
#define PB_SIM_ENGINE_SIM_REF_H

#include <stddef.h>

#include "pb_error.h"
#include "plant.h"

#define SIM_REF_STEPS_MAX 32 /* switching times of a "step" reference */

typedef enum sim_ref_kind {
    SIM_REF_SETPOINT = 0, /* r(t) = base */
    SIM_REF_STEP,    /* r(t) = values[i] for times[i] <= t < times[i+1]; base before times[0] */
    SIM_REF_SINE,    /* r_i(t) = base_i + amplitude_i sin(2 pi frequency_i t) */
    SIM_REF_CIRCLE,  /* r[c0,c1] = centre + radius (cos wt, sin wt), r[c2] = altitude */
    SIM_REF_FIGURE8, /* lemniscate of Gerono: r[c0] = R sin wt, r[c1] = (R/2) sin 2wt */
    SIM_REF_COUNT
} sim_ref_kind;

typedef struct sim_ref {
    sim_ref_kind kind;
    size_t nx;
    double base[PLANT_NX_MAX]; /* every component the kind does not drive */
    int tracked[PLANT_NX_MAX]; /* 1: counts in the tracking error */
    /* step */
    size_t n_steps;
    double times[SIM_REF_STEPS_MAX];
    double values[SIM_REF_STEPS_MAX][PLANT_NX_MAX];
    /* sine */
    double amplitude[PLANT_NX_MAX];
    double frequency[PLANT_NX_MAX]; /* Hz */
    /* circle, figure8: w = 2 pi / period */
    double radius, period, altitude;
    double centre[2];
    size_t n_comp;  /* 2 (plane) or 3 (plane and altitude) */
    size_t comp[3]; /* state indices of the two plane axes and the altitude */
} sim_ref;

/* "setpoint" etc.; NULL out of range. */
const char *sim_ref_kind_name(sim_ref_kind k);
/* Parses a kind name; PB_EINVAL for an unknown one. */
int sim_ref_kind_parse(const char *name, sim_ref_kind *k);

/* A setpoint reference at x (nx), every component tracked; x NULL means 0. */
void sim_ref_init_setpoint(sim_ref *r, size_t nx, const double x[]);

/* Checks sizes, finiteness, increasing step times, positive period and
 * radius, component indices < nx; PB_EINVAL with a message. */
int sim_ref_validate(const sim_ref *r, pb_error *err);

/* ref (nx) = r(t).  No allocation. */
void sim_ref_eval(const sim_ref *r, double t, double ref[]);

/* Euclidean norm of x - ref over the tracked components. */
double sim_ref_track_error(const sim_ref *r, const double x[], const double ref[]);

#endif
