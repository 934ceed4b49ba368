/* plant_box.h: the bridge between a plant type's jac_box slot (plant.h),
 * whose intervals are pairs of doubles, and Arb's balls (arb.h, Johansson,
 * "Arb: efficient arbitrary-precision midpoint-radius interval arithmetic",
 * IEEE Trans. Computers 66(8), 2017), in which the slots compute.  Only in
 * builds with PB_WITH_TUBE. */
#ifndef PB_PLANTS_PLANT_BOX_H
#define PB_PLANTS_PLANT_BOX_H

#ifdef PB_WITH_TUBE
#include <arb.h>

/* Working precision (bits) of every enclosure of the tube. */
#define PLANT_BOX_PREC 64

/* v := a ball containing [lo, hi] (lo <= hi, finite or infinite). */
void plant_box_get(arb_t v, const double pair[2]);

/* pair := [lo, hi] containing v, rounded outward to doubles.  PB_SUCCESS, or
 * PB_EDIVERGED when v is not finite (pair then [-inf, inf]). */
int plant_box_put(const arb_t v, double pair[2]);

/* z := x op d for a double d (exact as an arf), rounded as Arb rounds. */
#define PLANT_ARB_OP_D(name, op)                                                                   \
    static inline void name(arb_t z, const arb_t x, double d, slong prec)                          \
    {                                                                                              \
        arf_t a;                                                                                   \
        arf_init(a);                                                                               \
        arf_set_d(a, d);                                                                           \
        op(z, x, a, prec);                                                                         \
        arf_clear(a);                                                                              \
    }
PLANT_ARB_OP_D(plant_arb_add_d, arb_add_arf)
PLANT_ARB_OP_D(plant_arb_sub_d, arb_sub_arf)
PLANT_ARB_OP_D(plant_arb_mul_d, arb_mul_arf)
PLANT_ARB_OP_D(plant_arb_div_d, arb_div_arf)
PLANT_ARB_OP_D(plant_arb_addmul_d, arb_addmul_arf)
#endif

#endif
