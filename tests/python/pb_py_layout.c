/* pb_py_layout.c: sizes and field offsets of the structs that the Python
 * package mirrors in python/prunebound/_lib.py, as the C compiler lays them
 * out, printed as JSON for tests/python/test_layout.py. */
#include <stddef.h>
#include <stdio.h>

#include "bounds.h"
#include "certify.h"
#include "certify_states.h"
#include "mlp.h"
#include "pb_error.h"
#include "prune.h"
#include "run_job.h"
#include "run_mc.h"

#define F(T, f) printf("%s\"%s\": %zu", first ? "" : ", ", #f, offsetof(T, f)), first = 0
#define S(T, name, ...)                                                                            \
    do {                                                                                           \
        int first = 1;                                                                             \
        printf("%s\"%s\": {\"_size_\": %zu, ", n++ ? ",\n " : "", name, sizeof(T));                \
        __VA_ARGS__;                                                                               \
        printf("}");                                                                               \
    } while (0)

int main(void)
{
    int n = 0;
    printf("{");
    S(pb_error, "pb_error", F(pb_error, code); F(pb_error, msg));
    S(mlp_layer, "mlp_layer", F(mlp_layer, n_in); F(mlp_layer, n_out); F(mlp_layer, W);
      F(mlp_layer, b); F(mlp_layer, mask); F(mlp_layer, act); F(mlp_layer, alpha);
      F(mlp_layer, dW_norm); F(mlp_layer, recon_err));
    S(mlp_provenance, "mlp_provenance", F(mlp_provenance, method); F(mlp_provenance, sparsity);
      F(mlp_provenance, pattern); F(mlp_provenance, parent_sha256));
    S(mlp, "mlp", F(mlp, n_layers); F(mlp, layers); F(mlp, n_in); F(mlp, n_out); F(mlp, in_offset);
      F(mlp, in_scale); F(mlp, out_offset); F(mlp, out_scale); F(mlp, out_low); F(mlp, out_high);
      F(mlp, prov); F(mlp, max_width));
    S(prune_options, "prune_options", F(prune_options, sparsity); F(prune_options, nm_n);
      F(prune_options, nm_m); printf(", \"global_\": %zu", offsetof(prune_options, global));
      F(prune_options, layers); F(prune_options, n_sel); F(prune_options, damp);
      F(prune_options, block); F(prune_options, mask_block); F(prune_options, original_inputs);
      F(prune_options, progress); F(prune_options, progress_ctx));
    S(prune_method, "prune_method", F(prune_method, name); F(prune_method, reference);
      F(prune_method, needs_hessian));
    S(bounds_layer, "bounds_layer", F(bounds_layer, n_in); F(bounds_layer, n_out);
      F(bounds_layer, W_norm); F(bounds_layer, W_fro); F(bounds_layer, b_norm);
      F(bounds_layer, lip); F(bounds_layer, act0); F(bounds_layer, act_rel);
      F(bounds_layer, act_abs); F(bounds_layer, fe_gamma); F(bounds_layer, fe_under);
      F(bounds_layer, fe_act_abs));
    S(bounds_model, "bounds_model", F(bounds_model, n_layers); F(bounds_model, n_in);
      F(bounds_model, n_out); F(bounds_model, layers); F(bounds_model, down);
      F(bounds_model, gain));
    S(bounds_pair, "bounds_pair", F(bounds_pair, n_layers); F(bounds_pair, orig);
      F(bounds_pair, pruned); F(bounds_pair, dW_norm); F(bounds_pair, db_norm);
      F(bounds_pair, changed); F(bounds_pair, n_changed));
    S(certify_states, "certify_states", F(certify_states, orig); F(certify_states, pruned);
      F(certify_states, X); F(certify_states, n); F(certify_states, done); F(certify_states, bm);
      F(certify_states, pair); F(certify_states, actual); F(certify_states, actual_err);
      F(certify_states, bound); F(certify_states, closed); F(certify_states, tight);
      F(certify_states, max_actual); F(certify_states, max_bound); F(certify_states, max_closed);
      F(certify_states, max_tight); F(certify_states, median_tight); F(certify_states, violations);
      F(certify_states, attained); F(certify_states, changed));
    S(bounds_set, "bounds_set", F(bounds_set, kind); F(bounds_set, n); F(bounds_set, lo);
      F(bounds_set, hi); F(bounds_set, center); F(bounds_set, radius));
    S(certify, "certify", F(certify, m); F(certify, bm); F(certify, eps); F(certify, sup_closed);
      F(certify, sup_ibp); F(certify, sup); F(certify, adm));
    S(certify_pruning, "certify_pruning", F(certify_pruning, method); F(certify_pruning, nm_n);
      F(certify_pruning, nm_m));
    S(run_variants, "run_variants", F(run_variants, orig); F(run_variants, n);
      F(run_variants, nets); F(run_variants, variants); F(run_variants, n_calib);
      F(run_variants, note));
    S(run_job, "run_job", F(run_job, cfg); F(run_job, v); F(run_job, v_borrowed); F(run_job, model); F(run_job, data);
      F(run_job, block); F(run_job, results); F(run_job, rows); F(run_job, done));
    S(run_mc, "run_mc", F(run_mc, done); F(run_mc, samples); F(run_mc, cfg); F(run_mc, v));
    printf("}\n");
    return 0;
}
