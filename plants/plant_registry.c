/* plant_registry.c: every plant type, found by name with plant_find(). */
#include "plant.h"

extern const plant_type plant_pendulum;
extern const plant_type plant_cartpole;
extern const plant_type plant_cartpole_arch;
extern const plant_type plant_quadrotor;
extern const plant_type plant_quadrotor_arch;
extern const plant_type plant_tora;

const plant_type *const plant_types[] = {
    &plant_pendulum,
    &plant_cartpole,
    &plant_cartpole_arch,
    &plant_quadrotor,
    &plant_quadrotor_arch,
    &plant_tora,
    NULL,
};
