/* prune_obd.c: Optimal Brain Damage (LeCun, Denker & Solla, NIPS 1990):
 * saliency s_ij = w_ij^2 H_jj / 2 with the diagonal of the layer-wise
 * Hessian H = (2/n) X^T X of the layer's inputs; the smallest saliencies are
 * removed (per layer or per N:M group); no compensation of the kept weights. */
#include "prune.h"

static void obd_work_size(const prune_layer *l, size_t *nd, size_t *nz)
{
    *nd = 2 * l->n_out * l->n_in; /* scores, selection scratch */
    *nz = 0;
}

static int obd_apply(const prune_layer *l, prune_work *w, pb_error *err)
{
    size_t nw = l->n_out * l->n_in;
    (void)err;
    /* LeCun et al. 1990, eq. 7: delta E = 1/2 h_kk u_k^2 (diagonal approximation). */
    for (size_t i = 0; i < l->n_out; i++)
        for (size_t j = 0; j < l->n_in; j++) {
            double v = l->W[i * l->n_in + j];
            w->d[i * l->n_in + j] = 0.5 * v * v * l->H[j * l->n_in + j];
        }
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

const prune_method prune_obd = {
    .name = "obd",
    .reference = "LeCun, Denker & Solla, Optimal Brain Damage, NIPS 1990",
    .needs_hessian = 1,
    .score = NULL,
    .work_size = obd_work_size,
    .apply = obd_apply,
};
