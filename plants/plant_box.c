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
#endif
