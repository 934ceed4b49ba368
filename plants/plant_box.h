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

/* z := x^2 enclosed by the squares of x's endpoints, so never below 0 and
 * away from 0 when x is (Arb's arb_sqr works on the midpoint and radius: for
 * x = [0.07, 1] it returns a ball reaching below 0). */
void plant_box_sqr(arb_t z, const arb_t x, slong prec);

/* A signed product of three balls of a caller's array b: sg b[a] b[b] b[c]
 * (sg = +-1; sg = 0 marks an absent term).  Lets a plant write the terms of
 * a trigonometric matrix (a rotation and its derivatives) as a table. */
typedef struct plant_box_prod {
    int sg, a, b, c;
} plant_box_prod;

/* z := the sum of the n products t over the balls b (y: scratch, none of the
 * balls t names, and not z). */
void plant_box_prod_sum(arb_t z, const plant_box_prod t[], int n, arb_struct *b, arb_t y,
                        slong prec);
#endif

#endif
