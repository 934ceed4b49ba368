/* plant_registry.c: every plant type, found by name with plant_find(). */
#include "plant.h"

extern const plant_type plant_pendulum;
extern const plant_type plant_cartpole;
extern const plant_type plant_cartpole_arch;
extern const plant_type plant_quadrotor;
extern const plant_type plant_quadrotor_arch;
extern const plant_type plant_tora;
extern const plant_type plant_acc;
extern const plant_type plant_double_pendulum;
extern const plant_type plant_airplane;
extern const plant_type plant_attitude_control;
extern const plant_type plant_unicycle;
extern const plant_type plant_docking;

const plant_type *const plant_types[] = {
    &plant_pendulum,
    &plant_cartpole,
    &plant_cartpole_arch,
    &plant_quadrotor,
    &plant_quadrotor_arch,
    &plant_tora,
    &plant_acc,
    &plant_double_pendulum,
    &plant_airplane,
    &plant_attitude_control,
    &plant_unicycle,
    &plant_docking,
    NULL,
};
