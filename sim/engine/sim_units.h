/* sim_units.h: the units of the quantities results files record, from the
 * units the plant type declares for its states and inputs (plant.h). */
#ifndef PB_SIM_ENGINE_SIM_UNITS_H
#define PB_SIM_ENGINE_SIM_UNITS_H

#include <stddef.h>

#include "plant.h"

/* Room for any unit string below, with its NUL. */
#define SIM_UNITS_MAX 512

/* The unit of a Euclidean norm over the n variables v: their common unit
 * when all agree ("rad"), else "norm of (rad, rad/s)"; "1" when n == 0.
 * Written into buf (len bytes, truncated to fit). */
void sim_units_norm(const plant_var v[], size_t n, char *buf, size_t len);

#endif
