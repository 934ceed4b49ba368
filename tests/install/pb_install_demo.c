/* pb_install_demo.c: a user's program against an installed libprunebound
 * (tests/install/test_install.sh builds it with pkg-config): loads a policy,
 * prunes half of every layer by magnitude, and prints the deviation and its
 * certified bound at one state.  Exit 0 when the bound holds, 1 when not,
 * 2 on an error. */
#include <stdio.h>
#include <stdlib.h>

#include <prunebound/bounds.h>
#include <prunebound/mlp_io.h>
#include <prunebound/prune.h>

int main(int argc, char **argv)
{
    const double x[2] = {0.3, -0.2}; /* a pendulum state: angle (rad), rate (rad/s) */
    prune_options opt;
    pb_error err;
    mlp *orig = NULL, *pruned = NULL;
    mlp_work *wo = NULL, *wp = NULL;
    bounds_model *bm = NULL;
    bounds_pair *pair = NULL;
    double uo[8], up[8], hco[16], hcp[16], hnorm[16], eta[16];
    const double *h[16];
    bounds_point pt;
    int rc = 2;

    pb_error_clear(&err);
    if (argc != 2) {
        fprintf(stderr, "usage: pb_install_demo POLICY.h5\n");
        return 2;
    }
    prune_options_init(&opt);
    opt.sparsity = 0.5;
    if (mlp_read_h5(argv[1], &orig, &err) != PB_SUCCESS ||
        prune_mlp(orig, prune_find("magnitude"), &opt, NULL, 0, &pruned, &err) != PB_SUCCESS)
        goto fail;
    if (orig->n_layers + 1 > 16 || orig->layers[orig->n_layers - 1].n_out > 8 ||
        orig->layers[0].n_in != 2) {
        fprintf(stderr, "pb_install_demo: expects a 2-input policy of at most 15 layers\n");
        goto out;
    }
    wo = mlp_work_alloc(orig, 1, &err);
    wp = mlp_work_alloc(pruned, 1, &err);
    bm = wo && wp ? bounds_model_alloc(orig, &err) : NULL;
    pair = bm ? bounds_pair_alloc(orig, bm, pruned, &err) : NULL;
    if (!pair)
        goto fail;
    mlp_eval(orig, wo, x, uo);
    for (size_t j = 0; j <= orig->n_layers; j++)
        h[j] = mlp_work_hidden(wo, j);
    bounds_pass_norms(bm, h, hco);
    mlp_eval(pruned, wp, x, up);
    for (size_t j = 0; j <= orig->n_layers; j++)
        h[j] = mlp_work_hidden(wp, j);
    bounds_pass_norms(pair->pruned, h, hcp);
    bounds_pair_eval(pair, hco, uo, hcp, up, hnorm, eta, &pt);
    printf("deviation %.6g <= bound %.6g (closed form %.6g): %s\n", pt.actual, pt.bound,
           pt.bound_closed, pt.verdict == BOUNDS_VIOLATED ? "VIOLATED" : "holds");
    rc = pt.verdict == BOUNDS_VIOLATED ? 1 : 0;
    goto out;
fail:
    fprintf(stderr, "pb_install_demo: %s\n", err.msg);
out:
    bounds_pair_free(pair);
    bounds_model_free(bm);
    mlp_work_free(wp);
    mlp_work_free(wo);
    mlp_free(pruned);
    mlp_free(orig);
    return rc;
}
