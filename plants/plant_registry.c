/* plant_registry.c: every plant type, found by name with plant_find(). */
#include "plant.h"

extern const plant_type plant_pendulum;

const plant_type *const plant_types[] = {
    &plant_pendulum,
    NULL,
};
