/* prune_magnitude.c: magnitude pruning: the weights of smallest |w_ij| are
 * removed, per layer, per N:M group, or (through the score slot) in one
 * ranking across layers.  No calibration, no compensation (Han, Pool, Tran
 * & Dally 2015, "Learning both weights and connections"). */
#include "prune.h"

#include <math.h>

static void magnitude_score(const prune_layer *l, double s[])
{
    for (size_t i = 0; i < l->n_out * l->n_in; i++)
        s[i] = fabs(l->W[i]);
}

static void magnitude_work_size(const prune_layer *l, size_t *nd, size_t *nz)
{
    *nd = 2 * l->n_out * l->n_in; /* scores, selection scratch */
    *nz = 0;
}

static int magnitude_apply(const prune_layer *l, prune_work *w, pb_error *err)
{
    size_t nw = l->n_out * l->n_in;
    (void)err;
    magnitude_score(l, w->d);
    if (l->nm_m) {
        for (size_t i = 0; i < l->n_out; i++)
            prune_mask_nm_row(l->n_in, w->d + i * l->n_in, l->nm_n, l->nm_m, l->mask + i * l->n_in,
                              w->d + nw);
    } else {
        prune_mask_smallest(nw, w->d, l->n_prune, l->mask, w->d + nw);
    }
    for (size_t i = 0; i < nw; i++)
        if (!l->mask[i])
            l->W[i] = 0.0;
    return PB_SUCCESS;
}

const prune_method prune_magnitude = {
    .name = "magnitude",
    .reference = "Han, Pool, Tran & Dally, NeurIPS 2015 (smallest |w| removed)",
    .needs_hessian = 0,
    .score = magnitude_score,
    .work_size = magnitude_work_size,
    .apply = magnitude_apply,
};
