/* plant_box.c: pairs of doubles to and from Arb balls (plant_box.h). */
#include "plant_box.h"

#ifdef PB_WITH_TUBE
#include <math.h>

#include "pb_error.h"

void plant_box_get(arb_t v, const double pair[2])
{
    arf_t lo, hi;
    arf_init(lo);
    arf_init(hi);
    arf_set_d(lo, pair[0]);
    arf_set_d(hi, pair[1]);
    arb_set_interval_arf(v, lo, hi, PLANT_BOX_PREC);
    arf_clear(lo);
    arf_clear(hi);
}

int plant_box_put(const arb_t v, double pair[2])
{
    arf_t b;
    if (!arb_is_finite(v)) {
        pair[0] = -INFINITY;
        pair[1] = INFINITY;
        return PB_EDIVERGED;
    }
    arf_init(b);
    arb_get_lbound_arf(b, v, PLANT_BOX_PREC);
    pair[0] = arf_get_d(b, ARF_RND_FLOOR);
    arb_get_ubound_arf(b, v, PLANT_BOX_PREC);
    pair[1] = arf_get_d(b, ARF_RND_CEIL);
    arf_clear(b);
    return isfinite(pair[0]) && isfinite(pair[1]) ? PB_SUCCESS : PB_EDIVERGED;
}

void plant_box_sqr(arb_t z, const arb_t x, slong prec)
{
    arf_t a, b, lo, hi;
    if (!arb_is_finite(x)) {
        arb_sqr(z, x, prec);
        return;
    }
    arf_init(a), arf_init(b), arf_init(lo), arf_init(hi);
    arb_get_interval_arf(a, b, x, prec); /* x in [a, b], rounded outward */
    if (arf_sgn(a) >= 0) {                /* [a^2, b^2] */
        arf_mul(lo, a, a, prec, ARF_RND_FLOOR);
        arf_mul(hi, b, b, prec, ARF_RND_CEIL);
    } else if (arf_sgn(b) <= 0) { /* [b^2, a^2] */
        arf_mul(lo, b, b, prec, ARF_RND_FLOOR);
        arf_mul(hi, a, a, prec, ARF_RND_CEIL);
    } else { /* [0, max(a^2, b^2)] */
        arf_zero(lo);
        arf_abs(a, a);
        arf_max(a, a, b);
        arf_mul(hi, a, a, prec, ARF_RND_CEIL);
    }
    arb_set_interval_arf(z, lo, hi, prec);
    arb_nonnegative_part(z, z); /* the ball of [lo, hi] may reach below 0 by rounding */
    arf_clear(a), arf_clear(b), arf_clear(lo), arf_clear(hi);
}

void plant_box_prod_sum(arb_t z, const plant_box_prod t[], int n, arb_struct *b, arb_t y,
                        slong prec)
{
    arb_zero(z);
    for (int k = 0; k < n; k++) {
        if (!t[k].sg)
            continue;
        arb_mul(y, b + t[k].a, b + t[k].b, prec);
        arb_mul(y, y, b + t[k].c, prec);
        if (t[k].sg > 0)
            arb_add(z, z, y, prec);
        else
            arb_sub(z, z, y, prec);
    }
}
#endif
